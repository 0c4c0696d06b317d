/*
 * fuzz-archive.c: arca_ix_archive on any bytes, with small limits picked
 * by the first byte.  Members must come out with clean names, within the
 * member count and the expansion budget.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned pick = size > 0 ? data[0] : 0;
    arca_blob b = {size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0,
                   "fuzz.zip", "application/zip", NULL};
    arca_limits lim = {.max_text = (size_t)1 << 20,
                       .max_member = pick & 1 ? 4096 : (uint64_t)1 << 20,
                       .max_members = pick & 2 ? 3 : 100,
                       .max_expanded = (uint64_t)8 << 20,
                       .max_ratio = pick & 4 ? 2 : 50};
    arca_extract x;
    arca_extract_init(&x, lim.max_text);
    arca_ix_archive(&b, &x, &lim);
    fuzz_check_extract(&x);
    uint64_t total = 0;
    for (size_t i = 0; i < x.nchildren; i++) {
        const arca_child *c = &x.children[i];
        size_t n = c->name ? strlen(c->name) : 0;
        if (c->name == NULL || n == 0 || c->name[0] == '/' ||
            strcmp(c->name, "..") == 0 || strncmp(c->name, "../", 3) == 0 ||
            strstr(c->name, "/../") || strstr(c->name, "//") ||
            (n >= 3 && strcmp(c->name + n - 3, "/..") == 0) ||
            !arca_utf8_valid(c->name, n))
            abort();
        if (c->data && c->len > lim.max_member)
            abort();
        total += c->len;
    }
    if (x.nchildren > lim.max_members + 1 || total > lim.max_expanded)
        abort();
    arca_extract_free(&x);
    return 0;
}
