/*
 * fuzz-rtf.c: arca_ix_rtf on any bytes.  The first byte picks the limits
 * (a small text cap, a shallow depth); the input is then made to start
 * with "{\rtf" half of the time, so the reader itself is exercised and
 * not only the check of the signature.  The text, title and fields must
 * come out as valid UTF-8 within the caps.
 */
#include "fuzz.h"
#include "indexers/rtf-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char magic[] = "{\\rtf1";
    unsigned pick = size > 0 ? data[0] : 0;
    const uint8_t *body = size > 0 ? data + 1 : data;
    size_t len = size > 0 ? size - 1 : 0;
    uint8_t *buf = NULL;

    if (pick & 0x20) {
        buf = malloc(len + sizeof magic);
        if (buf == NULL)
            return 0;
        memcpy(buf, magic, sizeof magic - 1);
        memcpy(buf + sizeof magic - 1, body, len);
        body = buf;
        len += sizeof magic - 1;
    }
    arca_blob b = {body, len, "fuzz.rtf", "text/rtf", NULL};
    arca_limits lim = {.max_text = pick & 0x80 ? 64 : (size_t)1 << 20,
                       .max_depth = pick & 0x40 ? 8 : 0};
    fuzz_index(arca_ix_rtf, &b, &lim);
    free(buf);
    return 0;
}
