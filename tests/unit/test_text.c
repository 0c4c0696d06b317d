/*
 * test_text.c: the arca_extract an indexer fills (text cap at a character
 * boundary, trimmed fields), the registry (exact type, then family), and
 * the plain-text indexer (decoding, line ends, control characters).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "indexers/indexer-private.h"

/* ---- arca_extract ---- */

static void test_extract_append(void **state)
{
    arca_extract x;
    (void)state;
    arca_extract_init(&x, 0);
    assert_non_null(x.text);
    assert_string_equal(x.text, "");
    assert_int_equal(x.max, ARCA_DEFAULT_MAX_TEXT);
    /* Growth by doubling: many small appends stay exact. */
    for (int i = 0; i < 10000; i++)
        assert_int_equal(arca_extract_append(&x, "abc", 3), ARCA_OK);
    assert_int_equal(x.len, 30000);
    assert_int_equal(strlen(x.text), 30000);
    assert_false(x.truncated);
    arca_extract_free(&x);
    arca_extract_free(&x);      /* freeing twice is harmless */
}

static void test_extract_cap(void **state)
{
    arca_extract x;
    (void)state;
    arca_extract_init(&x, 10);
    assert_int_equal(arca_extract_append(&x, "abcd", 4), ARCA_OK);
    /* 가나다 is 9 bytes; only 6 fit, and 2 characters are 6 bytes. */
    assert_int_equal(arca_extract_append(&x, "가나다", 9), ARCA_OK);
    assert_string_equal(x.text, "abcd가나");
    assert_true(x.truncated);
    /* 6 bytes of room would end inside a character: cut before it. */
    arca_extract_free(&x);
    arca_extract_init(&x, 8);
    assert_int_equal(arca_extract_append(&x, "ab", 2), ARCA_OK);
    assert_int_equal(arca_extract_append(&x, "가나다", 9), ARCA_OK);
    assert_string_equal(x.text, "ab가나");
    assert_int_equal(arca_extract_append(&x, "z", 1), ARCA_OK);
    assert_string_equal(x.text, "ab가나");
    assert_true(x.truncated);
    arca_extract_free(&x);
    arca_extract_init(&x, 4);
    assert_int_equal(arca_extract_append(&x, "ab", 2), ARCA_OK);
    assert_int_equal(arca_extract_append(&x, "가", 3), ARCA_OK);
    assert_string_equal(x.text, "ab");
    assert_true(x.truncated);
    arca_extract_free(&x);
}

static void test_extract_fields(void **state)
{
    arca_extract x;
    (void)state;
    arca_extract_init(&x, 0);
    assert_int_equal(arca_extract_set(&x, &x.title, "  \t 제목 Title \n"),
                     ARCA_OK);
    assert_string_equal(x.title, "제목 Title");
    /* Setting again replaces; empty after trimming means none. */
    assert_int_equal(arca_extract_set(&x, &x.title, "\xC2\xA0 \xE3\x80\x80"),
                     ARCA_OK);
    assert_null(x.title);
    assert_int_equal(arca_extract_set(&x, &x.author, "A"), ARCA_OK);
    assert_int_equal(arca_extract_set(&x, &x.author, NULL), ARCA_OK);
    assert_null(x.author);
    assert_int_equal(arca_extract_field(&x, "generator", " DocBook "),
                     ARCA_OK);
    assert_int_equal(arca_extract_field(&x, "empty", "   "), ARCA_OK);
    assert_int_equal(x.nfields, 1);
    assert_string_equal(x.fields[0].name, "generator");
    assert_string_equal(x.fields[0].value, "DocBook");
    /* The number of fields is bounded. */
    for (int i = 0; i < ARCA_FIELDS_MAX + 10; i++)
        assert_int_equal(arca_extract_field(&x, "n", "v"), ARCA_OK);
    assert_int_equal(x.nfields, ARCA_FIELDS_MAX);
    /* A huge value is capped at a character boundary. */
    size_t big = ARCA_FIELD_MAX + 100;
    char *v = malloc(big + 1);
    for (size_t i = 0; i + 3 <= big; i += 3)
        memcpy(v + i, "가", 3);
    v[big - big % 3] = '\0';
    assert_int_equal(arca_extract_set(&x, &x.description, v), ARCA_OK);
    assert_true(strlen(x.description) <= ARCA_FIELD_MAX);
    assert_true(arca_utf8_valid(x.description, strlen(x.description)));
    free(v);
    assert_int_equal(arca_extract_fail(&x, ARCA_EFORMAT, "%s: bad %d",
                                       "page.html", 7),
                     ARCA_EFORMAT);
    assert_string_equal(x.errmsg, "page.html: bad 7");
    arca_extract_free(&x);
    assert_null(x.fields);
    assert_null(x.description);
}

/* ---- Registry ---- */

static void test_registry(void **state)
{
    static const char *const cases[][2] = {
        {"text/html", "html"},
        {"application/xhtml+xml", "html"},
        {"TEXT/HTML; charset=utf-8", "html"},
        {"text/plain", "text"},
        {"text/csv", "text"},
        {"text/markdown", "text"},
        {"application/json", "text"},
        {"text/xml", "text"},
        {"application/xml", "text"},
        {"text/x-c", "text"},            /* by family */
        {"text/x-shellscript", "text"},
        {"inode/x-empty", "text"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct arca_indexer *ix = arca_indexer_find(cases[i][0]);
        if (ix == NULL)
            fail_msg("no indexer for %s", cases[i][0]);
        assert_string_equal(ix->name, cases[i][1]);
    }
    assert_null(arca_indexer_find("video/mp4"));
    assert_null(arca_indexer_find("application/octet-stream"));
    assert_null(arca_indexer_find("text"));
    assert_null(arca_indexer_find(""));
    assert_null(arca_indexer_find(NULL));
    /* The family row is found only through a type of that family. */
    assert_string_equal(arca_indexer_find("text/*")->name, "text");

    size_t n;
    const struct arca_indexer *t = arca_indexer_table(&n);
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(t[i].fn);
        assert_non_null(strchr(t[i].mime, '/'));
        assert_true(arca_indexer_find(t[i].mime) == &t[i]);
    }
}

/* Every indexer of the table has a fuzz corpus (tests/fuzz/corpus/NAME). */
static void test_registry_fuzz_corpora(void **state)
{
    size_t n;
    const struct arca_indexer *t = arca_indexer_table(&n);
    (void)state;
    for (size_t i = 0; i < n; i++) {
        char *dir;
        struct stat st;
        assert_true(asprintf(&dir, "%s/../fuzz/corpus/%s", testdata(),
                             t[i].name) > 0);
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            fail_msg("indexer %s (%s) has no fuzz corpus %s", t[i].name,
                     t[i].mime, dir);
        free(dir);
    }
}

/*
 * Every indexer of the table runs on a sample of its type: the inline
 * page for the text family, a fixture file for the others.  A new
 * indexer without a row here fails this test until it has a sample.
 */
static const struct sample {
    const char *indexer, *file, *words;
} samples[] = {
    {"html", NULL, "sample words"},
    {"text", NULL, "sample words"},
    {"archive", "archives/bundle.zip", "bundle/sotu"},
    {"pdf", "pdf/a-text.pdf", ""},
    {"ooxml", "office", ""},
    {"odf", "office", ""},
    {"hwp", "hwp", ""},
    {"hwpx", "hwp", ""},
    {"image", "images", ""},
    {"rtf", "office/rtf/korean-cp949.rtf", "김치와 똠방각하"},
    {"mail", "mail/korean-utf8.eml", ""},
    {"mbox", "mail/mboxrd.mbox", ""},
    {"msoffice", "office/legacy/ko-gimp-tutorial-quickie-flip.doc",
     "이미지 뒤집기"},
};

static void test_registry_samples(void **state)
{
    size_t n;
    const struct arca_indexer *t = arca_indexer_table(&n);
    static const char page[] =
        "<html><head><title>x</title></head><body>sample words</body></html>";
    (void)state;
    for (size_t i = 0; i < n; i++) {
        const struct sample *sm = NULL;
        for (size_t k = 0; k < sizeof samples / sizeof *samples; k++)
            if (strcmp(samples[k].indexer, t[i].name) == 0)
                sm = &samples[k];
        if (sm == NULL)
            fail_msg("indexer %s (%s) has no sample in test_text.c",
                     t[i].name, t[i].mime);
        if (sm->file != NULL && sm->words[0] == '\0')
            continue;           /* its own unit test reads its samples */
        char *data = NULL, *path = NULL;
        size_t len = sizeof page - 1;
        if (sm->file) {
            assert_true(asprintf(&path, "%s/%s", testdata(), sm->file) > 0);
            data = read_file(path, &len);
            assert_non_null(data);
        }
        arca_blob b = {(const unsigned char *)(data ? data : page), len,
                       sm->file ? sm->file : "sample", t[i].mime, NULL};
        arca_limits lim = {.max_text = 1 << 20};
        arca_extract x;
        arca_extract_init(&x, lim.max_text);
        assert_int_equal(t[i].fn(&b, &x, &lim), ARCA_OK);
        if (strstr(x.text, sm->words) == NULL)
            fail_msg("indexer %s: \"%s\" not in its sample's text",
                     t[i].name, sm->words);
        arca_extract_free(&x);
        free(data);
        free(path);
    }
}

/* ---- The text indexer ---- */

static arca_status index_text(const void *data, size_t len,
                              const char *charset, size_t max,
                              arca_extract *x)
{
    arca_blob b = {data, len, "t.txt", "text/plain", charset};
    arca_limits lim = {.max_text = max ? max : ARCA_DEFAULT_MAX_TEXT};
    arca_extract_init(x, lim.max_text);
    arca_status rc = arca_ix_text(&b, x, &lim);
    assert_true(arca_utf8_valid(x->text, x->len));
    assert_int_equal(strlen(x->text), x->len);
    return rc;
}

static void test_text_normalise(void **state)
{
    static const char in[] = "line one\r\nline two\rline three\n"
                             "tab\there\x01\x02\x7f\0 and\fpage\vx"
                             "\xC2\x85 c1 gone";
    arca_extract x;
    (void)state;
    assert_int_equal(index_text(in, sizeof in - 1, NULL, 0, &x), ARCA_OK);
    assert_string_equal(x.text, "line one\nline two\nline three\n"
                                "tab\there and\npage\nx c1 gone");
    assert_string_equal(x.charset, "UTF-8");
    assert_null(x.title);
    arca_extract_free(&x);
}

static void test_text_empty(void **state)
{
    arca_extract x;
    (void)state;
    assert_int_equal(index_text("", 0, NULL, 0, &x), ARCA_OK);
    assert_int_equal(x.len, 0);
    assert_null(x.charset);
    arca_extract_free(&x);
}

static void test_text_legacy(void **state)
{
    char *a, *b;
    size_t alen, blen;
    arca_extract x;
    (void)state;
    assert_true(asprintf(&a, "%s/encodings/ko/gimp-tutorial-quickie-crop."
                             "euc-kr.txt", testdata()) > 0);
    assert_true(asprintf(&b, "%s/encodings/ko/gimp-tutorial-quickie-crop."
                             "utf-8.txt", testdata()) > 0);
    char *raw = read_file(a, &alen), *ref = read_file(b, &blen);
    assert_non_null(raw);
    assert_non_null(ref);
    /* libmagic says iso-8859-1 for it: that is no declaration. */
    assert_int_equal(index_text(raw, alen, "iso-8859-1", 0, &x), ARCA_OK);
    assert_int_equal(x.len, blen);
    assert_memory_equal(x.text, ref, blen);
    assert_string_equal(x.charset, "EUC-KR");
    arca_extract_free(&x);
    /* A real declaration is used. */
    assert_int_equal(index_text(raw, alen, "ks_c_5601-1987", 0, &x), ARCA_OK);
    assert_string_equal(x.charset, "CP949");
    assert_memory_equal(x.text, ref, blen);
    arca_extract_free(&x);
    free(raw);
    free(ref);
    free(a);
    free(b);
}

static void test_text_stray_control(void **state)
{
    char *path;
    size_t len;
    arca_extract x;
    (void)state;
    assert_true(asprintf(&path, "%s/sotu/1890_benjamin_harrison_r.txt",
                         testdata()) > 0);
    char *raw = read_file(path, &len);
    assert_non_null(raw);
    assert_non_null(memchr(raw, 0x02, len));
    assert_int_equal(index_text(raw, len, "binary", 0, &x), ARCA_OK);
    assert_null(memchr(x.text, 0x02, x.len));
    assert_int_equal(x.len, len - 1);
    assert_non_null(strstr(x.text, "Congress"));
    arca_extract_free(&x);
    free(raw);
    free(path);
}

static void test_text_cap(void **state)
{
    char in[3000] = "";
    arca_extract x;
    (void)state;
    for (int i = 0; i < 200; i++)
        strcat(in, "Привет ");      /* 13 bytes each */
    assert_int_equal(index_text(in, strlen(in), "utf-8", 1001, &x), ARCA_OK);
    assert_true(x.truncated);
    assert_true(x.len <= 1001 && x.len >= 999);
    arca_extract_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract_append),
        cmocka_unit_test(test_extract_cap),
        cmocka_unit_test(test_extract_fields),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_registry_fuzz_corpora),
        cmocka_unit_test(test_registry_samples),
        cmocka_unit_test(test_text_normalise),
        cmocka_unit_test(test_text_empty),
        cmocka_unit_test(test_text_legacy),
        cmocka_unit_test(test_text_stray_control),
        cmocka_unit_test(test_text_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
