/*
 * fuzz-msoffice.c: arca_ix_msoffice on any bytes.  The first byte picks
 * the MIME type claimed (Word, Excel, PowerPoint, or a generic OLE2 type)
 * and the text limit; the rest is the file.  The text and fields must
 * come out as valid UTF-8 within the caps.
 */
#include "fuzz.h"
#include "indexers/msoffice-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const mimes[] = {
        "application/msword", "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint", "application/CDFV2",
    };
    unsigned pick = size > 0 ? data[0] : 0;
    arca_blob b = {size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0,
                   "fuzz.doc", mimes[pick & 3], NULL};
    arca_limits lim = {.max_text = pick & 0x80 ? 64 : (size_t)1 << 20};
    fuzz_index(arca_ix_msoffice, &b, &lim);
    return 0;
}
