# HWP 5.x (libgsf, zlib) and HWPX (libarchive, libxml2): indexers/hwp.c.
LIB_SRCS += indexers/hwp.c
PKGS += libgsf-1 libarchive
