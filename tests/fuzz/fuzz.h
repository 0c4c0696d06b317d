/*
 * fuzz.h: what the fuzz targets share: the libFuzzer entry point and a
 * check that an extraction came out well formed.
 */
#ifndef ARCA_FUZZ_H
#define ARCA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "indexers/indexer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The charset label a fuzz input picks with its first byte. */
static inline const char *fuzz_charset(unsigned pick)
{
    static const char *const labels[] = {
        NULL,           "utf-8",        "euc-kr",     "ks_c_5601-1987",
        "shift_jis",    "euc-jp",       "gb18030",    "big5",
        "koi8-r",       "windows-1251", "utf-16",     "utf-16be",
        "utf-32",       "iso-2022-jp",  "iso-8859-1", "us-ascii",
        "unknown-8bit", "binary",       "no-such-charset",
    };
    return labels[pick % (sizeof labels / sizeof labels[0])];
}

static inline void fuzz_check_str(const char *s)
{
    if (s != NULL && !arca_utf8_valid(s, strlen(s)))
        abort();
}

/* Abort (so the fuzzer reports it) unless X holds valid UTF-8 throughout
 * and respects its cap. */
static inline void fuzz_check_extract(const arca_extract *x)
{
    if (x->text == NULL || strlen(x->text) != x->len || x->len > x->max ||
        !arca_utf8_valid(x->text, x->len))
        abort();
    fuzz_check_str(x->title);
    fuzz_check_str(x->author);
    fuzz_check_str(x->date);
    fuzz_check_str(x->lang);
    fuzz_check_str(x->description);
    fuzz_check_str(x->keywords);
    fuzz_check_str(x->charset);
    for (size_t i = 0; i < x->nfields; i++) {
        fuzz_check_str(x->fields[i].name);
        fuzz_check_str(x->fields[i].value);
    }
    if (x->date != NULL && strlen(x->date) != 10)
        abort();
}

/* Run indexer FN on B within LIM: abort on a failure without a reason or
 * on output that is not well formed. */
static inline void fuzz_index(arca_index_fn fn, const arca_blob *b,
                              const arca_limits *lim)
{
    arca_extract x;
    arca_extract_init(&x, lim->max_text);
    if (fn(b, &x, lim) != ARCA_OK && x.errmsg[0] == '\0')
        abort();
    fuzz_check_extract(&x);
    arca_extract_free(&x);
}

#endif /* ARCA_FUZZ_H */
