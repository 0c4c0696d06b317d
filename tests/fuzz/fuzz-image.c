/*
 * fuzz-image.c: arca_ix_image on any bytes, OCR off: the header readers
 * (the JPEG and PNG walkers here, leptonica's for TIFF and WebP), the
 * search for the EXIF block and libexif's parser.  Fields must come out
 * as valid UTF-8 and the date as YYYY-MM-DD.
 */
#include "fuzz.h"
#include "indexers/image-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arca_blob b = {data, size, "fuzz.jpg", "image/jpeg", NULL};
    arca_limits lim = {.max_text = (size_t)1 << 20};
    fuzz_index(arca_ix_image, &b, &lim);
    return 0;
}
