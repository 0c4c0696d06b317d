/*
 * test_rtf.c: arca_ix_rtf.  Text and metadata of RTF saved by LibreOffice
 * (Korean and English GIMP manual pages) and of hand-written documents:
 * \'hh bytes in CP949, CP1251, Shift_JIS (with plain trail bytes), GBK
 * and Big5, chosen by \ansicpg, \fcharset or \cpg; \uN with \ucN skips
 * and surrogate pairs; what is not text stays out (tables of fonts,
 * colours and styles, pictures, object data, \bin data, headers, field
 * instructions, \* destinations); and the bounds: depth, \bin lengths,
 * text size, cut files, files that are not RTF.  And libmagic's name
 * for the fixtures, text/rtf.
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

#include "indexers/indexer-private.h"
#include "indexers/rtf-private.h"
#include "ix.h"

/* Index DATA as RTF into X (initialised here); checks the text's form. */
static arca_status index_rtf(const void *data, size_t len, size_t max_text,
                             unsigned max_depth, arca_extract *x)
{
    arca_blob b = {data, len, "t.rtf", "text/rtf", NULL};
    arca_limits lim = {.max_text = max_text ? max_text
                                            : ARCA_DEFAULT_MAX_TEXT,
                       .max_depth = max_depth};
    arca_extract_init(x, lim.max_text);
    arca_status rc = arca_ix_rtf(&b, x, &lim);
    assert_non_null(x->text);
    assert_int_equal(strlen(x->text), x->len);
    assert_true(arca_utf8_valid(x->text, x->len));
    assert_true(x->len <= lim.max_text);
    return rc;
}

static void index_str(const char *rtf, arca_extract *x)
{
    arca_status rc = index_rtf(rtf, strlen(rtf), 0, 0, x);
    if (rc != ARCA_OK)
        fail_msg("%s", x->errmsg);
}

static char *fixture(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/office/rtf/%s", testdata(), name);
    char *data = read_file(path, len);
    if (data == NULL)
        fail_msg("cannot read %s", path);
    return data;
}

static void index_fixture(const char *name, arca_extract *x)
{
    size_t len;
    char *data = fixture(name, &len);
    arca_status rc = index_rtf(data, len, 0, 0, x);
    if (rc != ARCA_OK)
        fail_msg("%s: %s", name, x->errmsg);
    free(data);
}

static void assert_has(const arca_extract *x, const char *what)
{
    if (strstr(x->text, what) == NULL)
        fail_msg("\"%s\" not in the text:\n%s", what, x->text);
}

static void assert_lacks(const arca_extract *x, const char *what)
{
    if (strstr(x->text, what) != NULL)
        fail_msg("\"%s\" should not be in the text:\n%s", what, x->text);
}

/* ---- Documents saved by LibreOffice ---- */

static void test_libreoffice_korean(void **state)
{
    arca_extract x;
    (void)state;
    index_fixture("ko-gimp-tutorial-quickie-flip.rtf", &x);
    /* The title comes from \upr's Unicode half, not its "???" half. */
    assert_string_equal(x.title, "4.8. 이미지 뒤집기");
    assert_string_equal(x.date, "2026-11-29");
    assert_true(strncmp(x.text, "4.8. 이미지 뒤집기\n", 22) == 0);
    assert_has(&x, "그림 3.35. Menu for “Flip an Image”");
    assert_has(&x, "이 도구를 기본값으로 사용하면 이미지가 좌우로 뒤집힙니다.");
    assert_has(&x, "Use Tools → Transform Tools → Flip");
    assert_has(&x, "4.9. 이미지 회전하기");
    assert_has(&x, "Report a bug in GIMP");
    /* The \'3f fallbacks of \uN, fonts, styles and field
     * instructions stay out. */
    assert_lacks(&x, "??");
    assert_lacks(&x, "Times New Roman");
    assert_lacks(&x, "Heading 1");
    assert_lacks(&x, "HYPERLINK");
    assert_lacks(&x, "gitlab.gnome.org");
    assert_lacks(&x, "DocBook");
    arca_extract_free(&x);
}

static void test_libreoffice_english(void **state)
{
    arca_extract x;
    (void)state;
    index_fixture("en-plug-in-align-layers.rtf", &x);
    assert_string_equal(x.title, "6.27.\xC2\xA0" "Align Visible Layers…");
    assert_string_equal(x.date, "2026-11-29");
    assert_string_equal(field(&x, "modified"), "2026-11-29");
    assert_has(&x, "With the Align Visible Layers command, you can very "
                   "precisely position the visible layers");
    assert_has(&x, "(those marked with the “eye” icon)");
    assert_has(&x, "6.27.1.\xC2\xA0" "Activate the Command");
    assert_has(&x, "Image → Align Visible layers…");
    assert_lacks(&x, "Arial");
    assert_lacks(&x, "\\");
    assert_lacks(&x, "{");
    arca_extract_free(&x);
}

/* ---- Code pages ---- */

static void test_korean_fcharset(void **state)
{
    arca_extract x;
    (void)state;
    index_fixture("korean-cp949.rtf", &x);
    assert_string_equal(x.text, "한국어 문서입니다.\n"
                                "김치와 똠방각하 English words 끝\n");
    assert_string_equal(x.title, "한국어 문서");
    assert_string_equal(x.author, "홍길동");
    assert_string_equal(x.date, "2023-12-13");
    assert_string_equal(x.charset, "CP949");
    arca_extract_free(&x);
}

static void test_korean_ansicpg(void **state)
{
    arca_extract x;
    (void)state;
    /* No \fcharset: the document's \ansicpg949 decides, and "똠" is a
     * CP949 extension outside EUC-KR. */
    index_fixture("korean-ansicpg.rtf", &x);
    assert_string_equal(x.text, "똠방각하 읽기\n");
    assert_string_equal(x.charset, "CP949");
    arca_extract_free(&x);
}

static void test_cyrillic(void **state)
{
    arca_extract x;
    (void)state;
    index_fixture("cyrillic-cp1251.rtf", &x);
    assert_string_equal(x.text,
                        "Привет, мир! Съешь же ещё этих мягких французских "
                        "булок.\ncafé naïve\n");
    assert_string_equal(x.title, "Кисть");
    assert_string_equal(x.description, "Инструменты рисования");
    assert_string_equal(x.keywords, "GIMP, кисть");
    /* \creatim says 30 February: no date rather than a wrong one. */
    assert_null(x.date);
    assert_string_equal(field(&x, "modified"), "2022-03-04");
    arca_extract_free(&x);
}

static void test_cjk_fonts(void **state)
{
    arca_extract x;
    (void)state;
    index_fixture("cjk-fonts.rtf", &x);
    assert_string_equal(x.text, "Japanese: テスト文書\n"
                                "Chinese: 中文文档\n"
                                "Traditional: 繁體中文\n"
                                "Korean: 바탕체\n");
    arca_extract_free(&x);
    /* A font with both: \fcharset wins over \cpg (the specification's
     * Far East section); \fcharset1 ("default") leaves it to \cpg. */
    index_str("{\\rtf1{\\fonttbl{\\f1\\fcharset204\\cpg949 A;}"
              "{\\f2\\fcharset1\\cpg1251 B;}}{\\f1 \\'cf}{\\f2 \\'cf}}", &x);
    assert_string_equal(x.text, "ПП");
    arca_extract_free(&x);
}

static void test_raw_8bit(void **state)
{
    arca_extract x;
    size_t n;
    (void)state;
    /* Bytes above 0x7F written as they are (not \'hh) decode the same. */
    char *ru = encode("CP1251", "Съешь ещё", &n);
    char doc[256];
    int k = snprintf(doc, sizeof doc, "{\\rtf1\\ansi\\ansicpg1251 %.*s\\par}",
                     (int)n, ru);
    assert_int_equal(index_rtf(doc, (size_t)k, 0, 0, &x), ARCA_OK);
    assert_string_equal(x.text, "Съешь ещё\n");
    assert_string_equal(x.charset, "WINDOWS-1251");
    arca_extract_free(&x);
    free(ru);
}

/* A run of \'hh longer than the reader's buffer, with its double-byte
 * characters falling across every boundary. */
static void test_long_dbcs_run(void **state)
{
    size_t n, cap = 64 << 10;
    char *doc = malloc(cap), *want = malloc(cap);
    size_t d = 0, w = 0;
    (void)state;
    assert_non_null(doc);
    assert_non_null(want);
    d += (size_t)sprintf(doc, "{\\rtf1\\ansi\\ansicpg949 x");
    want[w++] = 'x';
    for (int i = 0; i < 3000; i++) {
        const char *syl = i % 3 == 0 ? "한" : i % 3 == 1 ? "글" : "똠";
        char *b = encode("CP949", syl, &n);
        assert_int_equal(n, 2);
        d += (size_t)sprintf(doc + d, "\\'%02x\\'%02x", (unsigned char)b[0],
                             (unsigned char)b[1]);
        free(b);
        memcpy(want + w, syl, 3);
        w += 3;
    }
    want[w] = '\0';
    d += (size_t)sprintf(doc + d, "}");
    arca_extract x;
    assert_int_equal(index_rtf(doc, d, 0, 0, &x), ARCA_OK);
    assert_string_equal(x.text, want);
    arca_extract_free(&x);
    free(doc);
    free(want);
}

/* ---- Unicode ---- */

static void test_unicode(void **state)
{
    arca_extract x;
    (void)state;
    index_fixture("unicode.rtf", &x);
    assert_string_equal(x.text, "Café, naïve 😀 smile\n"
                                "한글\n"
                                "Привет\n"
                                "lone \xEF\xBF\xBDx and \xEF\xBF\xBDy\n"
                                "€ euro — dash\n");
    arca_extract_free(&x);
}

static void test_uc_skips(void **state)
{
    arca_extract x;
    (void)state;
    /* A control word counts as one skipped character; a group's end stops
     * the skipping; \uc is scoped to its group. */
    index_str("{\\rtf1{\\uc2\\u1071\\'41\\par B}C\\u1071 DE"
              "{\\uc2\\u1071?}F\\u1071\\'c0G}", &x);
    assert_string_equal(x.text, "ЯBCЯEЯFЯG");
    arca_extract_free(&x);
    /* Out-of-range values become U+FFFD; controls are dropped. */
    index_str("{\\rtf1 a\\u70000?b\\u-70000?c\\u7?d\\u9?e}", &x);
    assert_string_equal(x.text, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "cd\te");
    arca_extract_free(&x);
}

/* ---- What is text and what is not ---- */

static void test_structure(void **state)
{
    arca_extract x;
    (void)state;
    index_fixture("structure.rtf", &x);
    assert_string_equal(x.text,
                        "First bold nested deeper back paragraph.\n"
                        "Escapes: {braces} and \\backslash\xC2\xA0nbsp"
                        "\xE2\x80\x94" "dash\ttabbed\n"
                        "Object result textBinary  after binary.\n"
                        "link text\n"
                        "cell one\tcell two\t\n"
                        "footnote text\n"
                        "Last line.\n");
    assert_string_equal(x.title, "Structure test");
    assert_string_equal(x.author, "Jane Roe");
    assert_string_equal(x.description, "Nested groups and binary data");
    assert_string_equal(x.keywords, "rtf, fixture");
    assert_string_equal(x.date, "2024-02-29");
    assert_string_equal(field(&x, "comment"), "written for arca");
    assert_string_equal(field(&x, "company"), "Arca Project");
    assert_string_equal(field(&x, "operator"), "Joe Bloggs");
    assert_int_equal(x.nfields, 3);
    assert_string_equal(x.charset, "WINDOWS-1252");
    assert_int_equal(x.truncated, 0);
    arca_extract_free(&x);
}

static void test_upr(void **state)
{
    arca_extract x;
    (void)state;
    index_str("{\\rtf1{\\info{\\upr{\\author Hong}{\\*\\ud{\\author "
              "\\u54861?\\u44600?\\u46041?}}}}body}", &x);
    assert_string_equal(x.author, "홍길동");
    assert_string_equal(x.text, "body");
    arca_extract_free(&x);
}

static void test_unbalanced(void **state)
{
    arca_extract x;
    (void)state;
    /* Groups left open at the end: the text is kept. */
    index_str("{\\rtf1 hello {\\b world {\\i again", &x);
    assert_string_equal(x.text, "hello world again");
    arca_extract_free(&x);
    /* Text after the document's closing brace is not the document's. */
    index_str("{\\rtf1 inside} outside {more}", &x);
    assert_string_equal(x.text, "inside");
    arca_extract_free(&x);
    /* A lone backslash, a cut \'h and a \u without its number at the end. */
    index_str("{\\rtf1 a\\'4", &x);
    assert_string_equal(x.text, "a4");
    arca_extract_free(&x);
    index_str("{\\rtf1 a\\u", &x);
    assert_string_equal(x.text, "a");
    arca_extract_free(&x);
    index_str("{\\rtf1 a\\", &x);
    assert_string_equal(x.text, "a");
    arca_extract_free(&x);
}

/* ---- Bounds ---- */

static void test_depth(void **state)
{
    arca_extract x;
    char *doc = malloc(8192);
    size_t n = 0;
    (void)state;
    assert_non_null(doc);
    n += (size_t)sprintf(doc, "{\\rtf1 top ");
    for (int i = 0; i < 1000; i++)
        doc[n++] = '{';
    n += (size_t)sprintf(doc + n, "deep");
    for (int i = 0; i < 1000; i++)
        doc[n++] = '}';
    n += (size_t)sprintf(doc + n, " after}");
    /* Past the limit, groups are skipped whole; the text around them is
     * kept and the extract says something is missing. */
    assert_int_equal(index_rtf(doc, n, 0, 8, &x), ARCA_OK);
    assert_string_equal(x.text, "top  after");
    assert_int_equal(x.truncated, 1);
    arca_extract_free(&x);
    /* Within the limit, everything. */
    assert_int_equal(index_rtf(doc, n, 0, 1002, &x), ARCA_OK);
    assert_string_equal(x.text, "top deep after");
    assert_int_equal(x.truncated, 0);
    arca_extract_free(&x);
    /* The default limit applies when the caller gives none. */
    assert_int_equal(index_rtf(doc, n, 0, 0, &x), ARCA_OK);
    assert_string_equal(x.text, "top  after");
    assert_int_equal(x.truncated, 1);
    arca_extract_free(&x);
    free(doc);
}

static void test_bin(void **state)
{
    arca_extract x;
    (void)state;
    /* \bin skips exactly N bytes, braces and backslashes included. */
    static const char doc[] = "{\\rtf1 a{\\bin5 }{\\}b}c}";
    assert_int_equal(index_rtf(doc, sizeof doc - 1, 0, 0, &x), ARCA_OK);
    assert_string_equal(x.text, "ac");
    arca_extract_free(&x);
    /* A length past the end of the input, huge or negative. */
    index_str("{\\rtf1 a\\bin999999999999999999 bbbb", &x);
    assert_string_equal(x.text, "a");
    arca_extract_free(&x);
    index_str("{\\rtf1 a\\bin-5 b}", &x);
    assert_string_equal(x.text, "ab");
    arca_extract_free(&x);
    /* \bin in a \u fallback counts as one character, data and all. */
    index_str("{\\rtf1\\uc1\\u1071\\bin3 xyzq}", &x);
    assert_string_equal(x.text, "Яq");
    arca_extract_free(&x);
}

static void test_text_cap(void **state)
{
    arca_extract x;
    size_t len;
    (void)state;
    char *data = fixture("korean-cp949.rtf", &len);
    /* 12 bytes: "한국어 " is 10; the next syllable does not fit whole. */
    assert_int_equal(index_rtf(data, len, 12, 0, &x), ARCA_OK);
    assert_int_equal(x.truncated, 1);
    assert_string_equal(x.text, "한국어 ");
    /* The metadata is still read. */
    assert_string_equal(x.title, "한국어 문서");
    arca_extract_free(&x);
    free(data);
}

/* Every prefix of a real file reads without failure. */
static void test_every_cut(void **state)
{
    size_t len;
    (void)state;
    char *data = fixture("ko-gimp-tutorial-quickie-flip.rtf", &len);
    for (size_t cut = 5; cut < len; cut += 7) {
        arca_extract x;
        assert_int_equal(index_rtf(data, cut, 0, 0, &x), ARCA_OK);
        arca_extract_free(&x);
    }
    free(data);
}

static void test_not_rtf(void **state)
{
    static const struct {
        const char *data;
        size_t len;
    } bad[] = {
        {"", 0},
        {"{\\rt", 4},
        {" {\\rtf1 leading space}", 23},
        {"PK\003\004 a zip", 10},
        {"plain text, not RTF", 19},
        {"{\\RTF1 upper case}", 18},
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        arca_extract x;
        arca_blob b = {(const unsigned char *)bad[i].data, bad[i].len,
                       "letter.rtf", "text/rtf", NULL};
        arca_limits lim = {.max_text = 1024};
        arca_extract_init(&x, lim.max_text);
        assert_int_equal(arca_ix_rtf(&b, &x, &lim), ARCA_EFORMAT);
        assert_non_null(strstr(x.errmsg, "letter.rtf"));
        assert_non_null(strstr(x.errmsg, "not an RTF document"));
        assert_int_equal(x.len, 0);
        arca_extract_free(&x);
    }
}

/* Many fonts, many code pages: the font table is capped and the text
 * still decodes. */
static void test_many_fonts(void **state)
{
    static const int cps[] = {1250, 1251, 1252, 1253, 1254, 1255, 1256,
                              1257, 1258, 874,  437,  850,  866,  10000};
    size_t cap = 1 << 20, n = 0;
    char *doc = malloc(cap);
    arca_extract x;
    (void)state;
    assert_non_null(doc);
    n += (size_t)sprintf(doc, "{\\rtf1\\ansi{\\fonttbl"
                              "{\\f2\\fcharset129 Gulim;}"
                              "{\\f1\\fcharset204 Cyr;}");
    for (int i = 5000; i > 2; i--)
        n += (size_t)sprintf(doc + n, "{\\f%d\\fcharset%d F;}", i,
                             i % 2 ? 204 : 129);
    n += (size_t)sprintf(doc + n, "}");
    /* Fonts 1, 2 and 4999 are in the table; 3000 came past its cap and
     * falls back to the document's CP1252. */
    n += (size_t)sprintf(doc + n, "{\\f1 \\'cf}{\\f2 \\'c7\\'d1}"
                                  "{\\f4999 \\'e9}{\\f3000 \\'e9}");
    /* Fourteen code pages in turn, each opened once. */
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++)
            n += (size_t)sprintf(doc + n, "\\ansicpg%d \\'e9", cps[i]);
    n += (size_t)sprintf(doc + n, "}");
    assert_int_equal(index_rtf(doc, n, 0, 0, &x), ARCA_OK);
    assert_true(strncmp(x.text, "П한йé", strlen("П한йé")) == 0);
    /* \'e9 in CP1250, CP1251, CP1252, CP1253 ... */
    assert_true(strncmp(x.text + strlen("П한йé"), "éйéι",
                        strlen("éйéι")) == 0);
    arca_extract_free(&x);
    free(doc);
}

/* libmagic names every fixture text/rtf, the type the registry maps to
 * this indexer. */
static void test_detected_type(void **state)
{
    static const char *const files[] = {
        "ko-gimp-tutorial-quickie-flip.rtf", "en-plug-in-align-layers.rtf",
        "korean-cp949.rtf", "korean-ansicpg.rtf", "cyrillic-cp1251.rtf",
        "cjk-fonts.rtf", "unicode.rtf", "structure.rtf",
    };
    arca_detector *d = NULL;
    char err[256], mime[128], charset[64];
    (void)state;
    assert_int_equal(arca_detector_new(&d, err, sizeof err), ARCA_OK);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *data = fixture(files[i], &len);
        assert_int_equal(arca_detect(d, data, len, files[i], mime, charset),
                         ARCA_OK);
        if (strcmp(mime, "text/rtf") != 0)
            fail_msg("%s: detected as %s", files[i], mime);
        free(data);
    }
    arca_detector_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libreoffice_korean),
        cmocka_unit_test(test_libreoffice_english),
        cmocka_unit_test(test_korean_fcharset),
        cmocka_unit_test(test_korean_ansicpg),
        cmocka_unit_test(test_cyrillic),
        cmocka_unit_test(test_cjk_fonts),
        cmocka_unit_test(test_raw_8bit),
        cmocka_unit_test(test_long_dbcs_run),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_uc_skips),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_upr),
        cmocka_unit_test(test_unbalanced),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_bin),
        cmocka_unit_test(test_text_cap),
        cmocka_unit_test(test_every_cut),
        cmocka_unit_test(test_not_rtf),
        cmocka_unit_test(test_many_fonts),
        cmocka_unit_test(test_detected_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
