# The RTF indexer: a reader of arca's own (Debian has no C library for
# RTF); code pages through glibc's iconv, so no package is needed.
LIB_SRCS += indexers/rtf.c
