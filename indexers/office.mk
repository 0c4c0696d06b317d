# The office indexers: OOXML and OpenDocument (zip via libarchive, XML via
# libxml2).
LIB_SRCS += indexers/office.c
PKGS += libarchive
