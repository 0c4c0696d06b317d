# The PDF indexer: poppler-glib (Debian libpoppler-glib-dev).
LIB_SRCS += indexers/pdf.c
PKGS += poppler-glib
