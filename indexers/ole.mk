# OLE2 compound files (libgsf): indexers/ole.c, the stream reader and the
# property-set parser shared by the HWP and legacy Office indexers.
LIB_SRCS += indexers/ole.c
PKGS += libgsf-1
