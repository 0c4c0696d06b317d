# The PDF indexer: poppler-glib (Debian libpoppler-glib-dev), and cairo
# (libcairo2-dev) to render scanned pages for OCR.
LIB_SRCS += indexers/pdf.c
PKGS += poppler-glib cairo
