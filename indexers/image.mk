# The image indexer: EXIF through libexif, pixels through leptonica, OCR
# through tesseract's C API.
LIB_SRCS += indexers/image.c
PKGS += libexif lept tesseract
