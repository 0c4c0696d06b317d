/*
 * text.c: the indexer of plain text (and of the text-like types the
 * registry sends here: CSV, Markdown, JSON, XML, source code).  Decodes
 * to UTF-8 (decode.c), makes line ends "\n" and drops control characters.
 * The title is left to the caller, which knows the file name.
 */
#include <stdlib.h>
#include <string.h>

#include "indexer-private.h"

/*
 * Normalise S[0..n) in place: CR LF and lone CR become LF, form feed and
 * vertical tab become LF, NUL and the other C0 and C1 controls and DEL are
 * dropped, tabs are kept.  Returns the new length.  S is valid UTF-8 and
 * stays so (only whole ASCII bytes and whole two-byte C1 characters go).
 */
static size_t normalise(char *s, size_t n)
{
    unsigned char *u = (unsigned char *)s;
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        unsigned c = u[r];
        if (c == '\r') {
            u[w++] = '\n';
            if (r + 1 < n && u[r + 1] == '\n')
                r++;
        } else if (c == '\f' || c == '\v') {
            u[w++] = '\n';
        } else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
            continue;
        } else if (c == 0xC2 && r + 1 < n && u[r + 1] >= 0x80 &&
                   u[r + 1] <= 0x9F) {
            r++;        /* a C1 control, U+0080..U+009F */
        } else {
            u[w++] = (unsigned char)c;
        }
    }
    return w;
}

arca_status arca_ix_text(const arca_blob *in, arca_extract *out,
                         const arca_limits *lim)
{
    char *text = NULL;
    size_t len = 0;
    char used[64];
    arca_status rc = ARCA_OK;
    const char *what = in->name ? in->name : "text";

    (void)lim;
    if (in->len == 0)
        goto out;
    rc = arca_decode(in->data, in->len, arca_charset_hint(in->charset), &text,
                     &len, used);
    if (rc != ARCA_OK) {
        rc = arca_extract_fail(out, rc, "%s: cannot decode the text: %s",
                               what, arca_status_str(rc));
        goto out;
    }
    len = normalise(text, len);
    rc = arca_extract_append(out, text, len);
    if (rc == ARCA_OK)
        rc = arca_extract_set(out, &out->charset, used);
    if (rc != ARCA_OK)
        rc = arca_extract_fail(out, rc, "%s: %s keeping %zu bytes of text",
                               what, arca_status_str(rc), len);
out:
    free(text);
    return rc;
}
