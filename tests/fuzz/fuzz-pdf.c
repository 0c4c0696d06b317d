/*
 * fuzz-pdf.c: arca_ix_pdf on any bytes.  The first byte picks the text
 * cap (tiny or 1 MiB); whatever poppler makes of the rest, the text,
 * title and fields must come out as valid UTF-8 within the cap, and a
 * failure must say why.
 */
#include "fuzz.h"
#include "indexers/pdf-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned pick = size > 0 ? data[0] : 0;
    arca_blob b = {size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0,
                   "fuzz.pdf", "application/pdf", NULL};
    arca_limits lim = {.max_text = pick & 0x80 ? 64 : (size_t)1 << 20};
    fuzz_index(arca_ix_pdf, &b, &lim);
    return 0;
}
