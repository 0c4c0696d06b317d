/*
 * fuzz-mbox.c: arca_mbox_sniff and arca_ix_mbox on any bytes, then
 * arca_ix_mail on the first messages found.  The first byte picks the
 * limits; the messages handed over must respect them and never be
 * larger than the input.
 */
#include "fuzz.h"

#include "indexers/mail-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned pick = size > 0 ? data[0] : 0;
    const uint8_t *p = size > 0 ? data + 1 : data;
    size_t n = size > 0 ? size - 1 : 0;
    arca_blob b = {p, n, "fuzz.mbox", "application/mbox", NULL};
    arca_limits lim = {.max_text = (size_t)1 << 20,
                       .max_members = pick & 0x40 ? 2 : 0,
                       .max_member = pick & 0x20 ? 32 : 0,
                       .max_expanded = pick & 0x10 ? 64 : 0};
    arca_extract x;
    arca_mbox_sniff(p, n);
    arca_extract_init(&x, lim.max_text);
    arca_status rc = arca_ix_mbox(&b, &x, &lim);
    fuzz_check_extract(&x);
    if (rc != ARCA_OK && x.errmsg[0] == '\0')
        abort();
    if (lim.max_members && x.nchildren > lim.max_members)
        abort();
    for (size_t i = 0; i < x.nchildren; i++) {
        const arca_child *c = &x.children[i];
        if (c->data == NULL ? c->note == NULL
                            : c->len > n || (lim.max_member &&
                                             c->len > lim.max_member))
            abort();
        if (c->data != NULL && i < 4) {
            arca_blob m = {c->data, c->len, c->name, "message/rfc822", NULL};
            arca_extract y;
            arca_extract_init(&y, 4096);
            arca_ix_mail(&m, &y, &lim);
            fuzz_check_extract(&y);
            arca_extract_free(&y);
        }
    }
    arca_extract_free(&x);
    return 0;
}
