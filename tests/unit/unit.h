/*
 * unit.h: helpers the cmocka unit tests share.  Include it after
 * <cmocka.h>.  Everything here is static: each test is one program.
 */
#ifndef ARCA_UNIT_H
#define ARCA_UNIT_H

#include <ftw.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The whole of file PATH (malloc'd), or NULL; its length to *len. */
static inline char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0, r;
    char *buf = malloc(cap);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

/* The project's own fixtures. */
static inline const char *testdata(void)
{
    const char *d = getenv("ARCA_TESTDATA");
    return d ? d : "tests/data";
}

/* The shared corpus ($ARCA_CORPUS, else ../shared/corpus beside the
 * checkout), or NULL when it is absent: tests over it are skipped. */
static inline const char *corpus(void)
{
    static char path[4096];
    struct stat st;
    const char *c = getenv("ARCA_CORPUS");
    if (c == NULL) {
        snprintf(path, sizeof path, "%s/../../../shared/corpus", testdata());
        c = path;
    }
    return stat(c, &st) == 0 && S_ISDIR(st.st_mode) ? c : NULL;
}

/* UTF-8 text converted with iconv to charset TO (malloc'd). */
static inline char *encode(const char *to, const char *utf8, size_t *outlen)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t il = strlen(utf8), cap = il * 4 + 16, ol = cap;
    char *out = malloc(cap), *op = out, *ip = (char *)utf8;
    assert_non_null(out);
    assert_int_not_equal(iconv(cd, &ip, &il, &op, &ol), (size_t)-1);
    iconv_close(cd);
    *outlen = cap - ol;
    return out;
}

static inline int rm_one(const char *path, const struct stat *st, int flag,
                         struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Remove the tree at PATH. */
static inline int rm_tree(const char *path)
{
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif /* ARCA_UNIT_H */
