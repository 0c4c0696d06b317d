/*
 * fuzz-text.c: arca_decode, then arca_ix_text, on any bytes.  The first
 * byte picks the declared charset.  The decoded text must be valid UTF-8
 * (what arca_decode promises) and the indexer's text too.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned pick = size > 0 ? data[0] : 0;
    const uint8_t *s = size > 0 ? data + 1 : data;
    size_t n = size > 0 ? size - 1 : 0;
    const char *declared = fuzz_charset(pick);
    char *out = NULL, used[64];
    size_t len = 0;

    if (arca_decode(s, n, declared, &out, &len, used) != ARCA_OK ||
        out == NULL || out[len] != '\0' || !arca_utf8_valid(out, len) ||
        used[0] == '\0')
        abort();
    free(out);

    arca_blob b = {s, n, "fuzz.txt", "text/plain", declared};
    arca_limits lim = {.max_text = pick & 0x80 ? 100 : (size_t)1 << 20};
    arca_extract x;
    arca_extract_init(&x, lim.max_text);
    if (arca_ix_text(&b, &x, &lim) != ARCA_OK)
        abort();
    fuzz_check_extract(&x);
    for (size_t i = 0; i < x.len; i++) {
        unsigned char c = (unsigned char)x.text[i];
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F)
            abort();
    }
    arca_extract_free(&x);
    return 0;
}
