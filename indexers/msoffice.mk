# Word, Excel and PowerPoint 97-2003 (OLE2 via libgsf and ole.c):
# indexers/msoffice.c.
LIB_SRCS += indexers/msoffice.c
PKGS += libgsf-1
