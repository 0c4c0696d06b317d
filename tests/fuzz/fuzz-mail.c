/*
 * fuzz-mail.c: arca_ix_mail on any bytes.  The first byte picks the
 * limits (text cap, parts, bytes per part and in all); the text, title
 * and fields must come out as valid UTF-8 within the caps, a failure
 * must say why, and every child must be well formed.
 */
#include "fuzz.h"

#include "indexers/mail-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned pick = size > 0 ? data[0] : 0;
    arca_blob b = {size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0,
                   "fuzz.eml", "message/rfc822", NULL};
    arca_limits lim = {.max_text = pick & 0x80 ? 64 : (size_t)1 << 20,
                       .max_members = pick & 0x40 ? 3 : 0,
                       .max_member = pick & 0x20 ? 16 : 0,
                       .max_expanded = pick & 0x10 ? 32 : 0};
    arca_extract x;
    arca_extract_init(&x, lim.max_text);
    arca_status rc = arca_ix_mail(&b, &x, &lim);
    fuzz_check_extract(&x);
    if (rc != ARCA_OK && x.errmsg[0] == '\0')
        abort();
    for (size_t i = 0; i < x.nchildren; i++) {
        const arca_child *c = &x.children[i];
        fuzz_check_str(c->name);
        if (c->name == NULL || (c->data == NULL && c->note == NULL) ||
            (lim.max_member && c->data && c->len > lim.max_member))
            abort();
    }
    arca_extract_free(&x);
    return 0;
}
