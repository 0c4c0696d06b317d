/*
 * fuzz-hwp.c: arca_ix_hwp on any bytes.  The first byte picks the limits
 * (a small text cap, a shallow XML depth); the text and metadata must
 * come out as valid UTF-8 within the caps, whatever the status.
 */
#include "fuzz.h"
#include "indexers/hwp-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned pick = size > 0 ? data[0] : 0;
    arca_blob b = {size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0,
                   "fuzz.hwp", "application/x-hwp", NULL};
    arca_limits lim = {.max_text = pick & 0x80 ? 64 : (size_t)1 << 20,
                       .max_depth = pick & 0x40 ? 8 : 0};
    fuzz_index(arca_ix_hwp, &b, &lim);
    return 0;
}
