/*
 * test_decode.c: arca_decode, arca_charset_canon and arca_utf8_valid.
 * Legacy-encoded GIMP manual pages must decode to exactly their UTF-8
 * twins (the shipped fixtures always, the whole shared corpus when it is
 * there); short snippets, BOMs, wrong declarations and damaged UTF-8 must
 * come out as a reader would expect, and always as valid UTF-8.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "indexers/indexer-private.h"

/* ---- Helpers ---- */

/* Decode and check the result is valid UTF-8; the caller frees it. */
static char *decode(const void *data, size_t len, const char *declared,
                    char used[64], size_t *outlen)
{
    char *out = NULL;
    size_t n = 0;
    assert_int_equal(arca_decode(data, len, declared, &out, &n, used),
                     ARCA_OK);
    assert_non_null(out);
    assert_int_equal(out[n], '\0');
    assert_true(arca_utf8_valid(out, n));
    if (outlen)
        *outlen = n;
    return out;
}

static size_t count_fffd(const char *s)
{
    size_t k = 0;
    for (const char *p = s; (p = strstr(p, "\xEF\xBF\xBD")) != NULL; p += 3)
        k++;
    return k;
}

/* ---- arca_utf8_valid ---- */

static void test_utf8_valid(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
        int ok;
    } cases[] = {
        {"", 0, 1},
        {"plain ASCII", 11, 1},
        {"caf\xC3\xA9", 5, 1},
        {"\xED\x95\x9C\xEA\xB5\xAD", 6, 1},          /* 한국 */
        {"\xF0\x9F\x98\x80", 4, 1},                  /* U+1F600 */
        {"a\0b", 3, 1},                              /* NUL is a character */
        {"\xC0\xAF", 2, 0},                          /* overlong '/' */
        {"\xE0\x80\xAF", 3, 0},                      /* overlong, 3 bytes */
        {"\xED\xA0\x80", 3, 0},                      /* surrogate U+D800 */
        {"\xF4\x90\x80\x80", 4, 0},                  /* above U+10FFFF */
        {"\xFE", 1, 0},
        {"\xFF", 1, 0},
        {"\x80", 1, 0},                              /* lone continuation */
        {"\xED\x95", 2, 0},                          /* truncated */
        {"abcdefgh\xC3", 9, 0},                      /* after a fast ASCII run */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(arca_utf8_valid(cases[i].s, cases[i].n),
                         cases[i].ok);
}

/* ---- arca_charset_canon ---- */

static void test_canon(void **state)
{
    (void)state;
    static const char *const map[][2] = {
        {"utf-8", "UTF-8"},           {"UTF8", "UTF-8"},
        {"euc-kr", "EUC-KR"},         {"EUC_KR", "EUC-KR"},
        {"ks_c_5601-1987", "CP949"},  {"cp949", "CP949"},
        {"UHC", "CP949"},             {"windows-949", "CP949"},
        {"Shift_JIS", "SHIFT_JIS"},   {"sjis", "SHIFT_JIS"},
        {"x-sjis", "SHIFT_JIS"},      {"MS_Kanji", "SHIFT_JIS"},
        {"windows-31j", "CP932"},     {"euc-jp", "EUC-JP"},
        {"gb2312", "GB2312"},         {"GBK", "GBK"},
        {"gb18030", "GB18030"},       {"big5", "BIG5"},
        {"koi8-r", "KOI8-R"},         {"koi8-u", "KOI8-U"},
        {"windows-1251", "WINDOWS-1251"}, {"cp1251", "WINDOWS-1251"},
        {"iso-8859-5", "ISO-8859-5"}, {"ISO_8859-1", "ISO-8859-1"},
        {"latin1", "ISO-8859-1"},     {"windows-1252", "WINDOWS-1252"},
        {"utf-16", "UTF-16"},         {"UTF-16LE", "UTF-16LE"},
        {"utf-16be", "UTF-16BE"},     {"us-ascii", "US-ASCII"},
        {" \"utf-8\" ", "UTF-8"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        const char *c = arca_charset_canon(map[i][0]);
        assert_non_null(c);
        assert_string_equal(c, map[i][1]);
    }
    assert_null(arca_charset_canon("klingon"));
    assert_null(arca_charset_canon(""));
    assert_null(arca_charset_canon(NULL));
    assert_null(arca_charset_canon("utf-8-and-a-very-long-label-that-goes-on"));
}

/* ---- The fixtures: each legacy file decodes to its twin ---- */

struct pair {
    const char *legacy, *twin, *used, *declared, *used_declared;
};

static const struct pair pairs[] = {
    {"ko/gimp-tutorial-quickie-crop.euc-kr.txt",
     "ko/gimp-tutorial-quickie-crop.utf-8.txt", "EUC-KR", "EUC-KR", "EUC-KR"},
    {"ko/gimp-tutorial-quickie-change-mode.cp949.txt",
     "ko/gimp-tutorial-quickie-change-mode.utf-8.txt", "EUC-KR",
     "ks_c_5601-1987", "CP949"},
    {"ja/gimp-tool-zoom.shift_jis.txt", "ja/gimp-tool-zoom.utf-8.txt",
     "SHIFT_JIS", "Shift_JIS", "SHIFT_JIS"},
    {"ja/gimp-concepts-image-grid-and-guides.euc-jp.txt",
     "ja/gimp-concepts-image-grid-and-guides.utf-8.txt", "EUC-JP", "euc-jp",
     "EUC-JP"},
    {"zh_CN/gimp-using-web.gb18030.txt", "zh_CN/gimp-using-web.utf-8.txt",
     "GB18030", "GB18030", "GB18030"},
    {"zh_CN/gimp-introduction-history-2-0.gbk.txt",
     "zh_CN/gimp-introduction-history-2-0.utf-8.txt", "GB18030", "GBK",
     "GBK"},
    {"zh_CN/gfdl-5.big5.txt", "zh_CN/gfdl-5.utf-8.txt", "BIG5", "Big5",
     "BIG5"},
    {"ru/gimp-layer-crop.koi8-r.txt", "ru/gimp-layer-crop.utf-8.txt",
     "KOI8-R", "koi8-r", "KOI8-R"},
    {"ru/gimp-layer-alpha-selection-replace.cp1251.txt",
     "ru/gimp-layer-alpha-selection-replace.utf-8.txt", "WINDOWS-1251",
     "windows-1251", "WINDOWS-1251"},
};

static void check_pair(const char *dir, const char *legacy, const char *twin,
                       const char *declared, const char *want_used)
{
    char *a, *b, used[64];
    size_t alen, blen, n;
    assert_true(asprintf(&a, "%s/%s", dir, legacy) > 0);
    assert_true(asprintf(&b, "%s/%s", dir, twin) > 0);
    char *raw = read_file(a, &alen), *ref = read_file(b, &blen);
    if (raw == NULL || ref == NULL)
        fail_msg("cannot read %s or %s", a, b);
    char *out = decode(raw, alen, declared, used, &n);
    if (n != blen || memcmp(out, ref, n) != 0)
        fail_msg("%s (decoded as %s) differs from %s", a, used, b);
    if (want_used != NULL && strcmp(used, want_used) != 0)
        fail_msg("%s: decoded as %s, expected %s", a, used, want_used);
    free(out);
    free(raw);
    free(ref);
    free(a);
    free(b);
}

static void test_fixture_pairs_detected(void **state)
{
    char dir[4096];
    (void)state;
    snprintf(dir, sizeof dir, "%s/encodings", testdata());
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        check_pair(dir, pairs[i].legacy, pairs[i].twin, NULL, pairs[i].used);
}

static void test_fixture_pairs_declared(void **state)
{
    char dir[4096];
    (void)state;
    snprintf(dir, sizeof dir, "%s/encodings", testdata());
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        check_pair(dir, pairs[i].legacy, pairs[i].twin, pairs[i].declared,
                   pairs[i].used_declared);
}

/* Libmagic's "iso-8859-1" for EUC-KR must not be taken at its word when
 * it comes through arca_charset_hint. */
static void test_libmagic_latin1_is_no_declaration(void **state)
{
    char dir[4096];
    (void)state;
    snprintf(dir, sizeof dir, "%s/encodings", testdata());
    check_pair(dir, pairs[0].legacy, pairs[0].twin, NULL, "EUC-KR");
    assert_null(arca_charset_hint("iso-8859-1"));
    assert_null(arca_charset_hint("unknown-8bit"));
    assert_null(arca_charset_hint("binary"));
    assert_null(arca_charset_hint(NULL));
    assert_string_equal(arca_charset_hint("utf-8"), "utf-8");
    assert_string_equal(arca_charset_hint("us-ascii"), "us-ascii");
}

/* Every .txt pair of the shared corpus, when it is there. */
static void test_corpus_pairs(void **state)
{
    const char *c = corpus();
    static const char *const langs[] = {"ko", "ja", "zh_CN", "ru"};
    char *dir;
    size_t checked = 0;
    (void)state;
    if (c == NULL)
        skip();
    for (size_t l = 0; l < 4; l++) {
        assert_true(asprintf(&dir, "%s/encodings/%s", c, langs[l]) > 0);
        DIR *d = opendir(dir);
        if (d == NULL)
            fail_msg("cannot open %s: %s", dir, strerror(errno));
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n < 5 || strcmp(e->d_name + n - 4, ".txt") != 0 ||
                strstr(e->d_name, ".utf-8.") != NULL)
                continue;
            /* page.ENC.txt -> page.utf-8.txt */
            char twin[1024];
            const char *dot = e->d_name + n - 4;
            while (dot > e->d_name && dot[-1] != '.')
                dot--;
            snprintf(twin, sizeof twin, "%.*sutf-8.txt",
                     (int)(dot - e->d_name), e->d_name);
            check_pair(dir, e->d_name, twin, NULL, NULL);
            checked++;
        }
        closedir(d);
        free(dir);
    }
    assert_true(checked >= 9);
}

/* ---- Short texts ---- */

static void test_short_snippets(void **state)
{
    (void)state;
    static const struct {
        const char *charset, *text, *used;
    } cases[] = {
        {"EUC-KR", "안녕하세요", "EUC-KR"},
        {"EUC-KR", "한국어", "EUC-KR"},
        {"EUC-KR", "경주시에서 국제 포럼이 열렸습니다.\n", "EUC-KR"},
        {"EUC-KR", "동북아 지방정부 연합\n2023년 12월 13일\n", "EUC-KR"},
        {"CP949", "똠방각하", "CP949"},       /* 똠: a CP949-only syllable */
        {"KOI8-R", "Слой\n", "KOI8-R"},
        {"KOI8-R", "Привет, мир", "KOI8-R"},
        {"KOI8-R", "МОСКВА", "KOI8-R"},
        {"WINDOWS-1251", "Слой\n", "WINDOWS-1251"},
        {"WINDOWS-1251", "Москва", "WINDOWS-1251"},
        {"WINDOWS-1251", "МОСКВА", "WINDOWS-1251"},
        {"WINDOWS-1251", "Союз региональных правительств Северо-Восточной Азии",
         "WINDOWS-1251"},
        {"SHIFT_JIS", "こんにちは世界", "SHIFT_JIS"},
        {"EUC-JP", "東京都に住んでいます。", "EUC-JP"},
        {"GB18030", "你好，世界", "GB18030"},
        {"BIG5", "繁體中文測試", "BIG5"},
        {"ISO-8859-1", "café résumé naïve", NULL},
        {"ISO-8859-1", "Ärger", NULL},
        {"WINDOWS-1252", "“Smart quotes” don’t break", "WINDOWS-1252"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char used[64];
        size_t n, len;
        char *raw = encode(cases[i].charset, cases[i].text, &len);
        char *out = decode(raw, len, NULL, used, &n);
        if (strcmp(out, cases[i].text) != 0)
            fail_msg("%s in %s decoded as %s: \"%s\"", cases[i].text,
                     cases[i].charset, used, out);
        if (cases[i].used && strcmp(used, cases[i].used) != 0)
            fail_msg("%s in %s: reported %s", cases[i].text,
                     cases[i].charset, used);
        free(out);
        free(raw);
    }
}

/* ---- Byte-order marks and UTF-16 ---- */

static void test_bom(void **state)
{
    (void)state;
    static const char text[] = "BOM 테스트: Привет, 世界 \xF0\x9F\x98\x80\n";
    static const struct {
        const char *charset, *bom, *used;
        size_t bomlen;
    } cases[] = {
        {"UTF-16LE", "\xFF\xFE", "UTF-16LE", 2},
        {"UTF-16BE", "\xFE\xFF", "UTF-16BE", 2},
        {"UTF-32LE", "\xFF\xFE\0\0", "UTF-32LE", 4},
        {"UTF-32BE", "\0\0\xFE\xFF", "UTF-32BE", 4},
        {"UTF-8", "\xEF\xBB\xBF", "UTF-8", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char used[64];
        size_t len, n;
        char *body = encode(cases[i].charset, text, &len);
        char *raw = malloc(len + 4);
        memcpy(raw, cases[i].bom, cases[i].bomlen);
        memcpy(raw + cases[i].bomlen, body, len);
        /* The BOM wins over a declaration. */
        char *out = decode(raw, len + cases[i].bomlen, "koi8-r", used, &n);
        assert_string_equal(out, text);
        assert_string_equal(used, cases[i].used);
        free(out);
        free(raw);
        free(body);
    }
}

static void test_utf16_without_bom(void **state)
{
    (void)state;
    static const char text[] = "Plain text saved as UTF-16, no BOM: caf\xC3\xA9\n";
    const char *const cs[] = {"UTF-16LE", "UTF-16BE"};
    for (size_t i = 0; i < 2; i++) {
        char used[64];
        size_t len;
        char *raw = encode(cs[i], text, &len);
        char *out = decode(raw, len, NULL, used, NULL);
        assert_string_equal(out, text);
        assert_string_equal(used, cs[i]);
        free(out);
        /* Declared as "UTF-16": the byte order is found. */
        out = decode(raw, len, "utf-16", used, NULL);
        assert_string_equal(out, text);
        assert_string_equal(used, cs[i]);
        free(out);
        free(raw);
    }
}

/* ---- Declarations ---- */

static void test_declared(void **state)
{
    (void)state;
    char used[64];
    size_t len;
    static const char ko[] = "지방정부 협력";

    /* Declared and right. */
    char *raw = encode("EUC-KR", ko, &len);
    char *out = decode(raw, len, "euc-kr", used, NULL);
    assert_string_equal(out, ko);
    assert_string_equal(used, "EUC-KR");
    free(out);

    /* Declared wrong, and the bytes do not decode under it: detected. */
    static const char *const wrong[] = {"iso-2022-jp", "utf-8", "us-ascii"};
    for (size_t i = 0; i < 3; i++) {
        out = decode(raw, len, wrong[i], used, NULL);
        assert_string_equal(out, ko);
        assert_string_equal(used, "EUC-KR");
        free(out);
    }

    /* Latin-1 declared over Korean bytes (old pages and mail do that). */
    out = decode(raw, len, "iso-8859-1", used, NULL);
    assert_string_equal(out, ko);
    assert_string_equal(used, "EUC-KR");
    free(out);
    free(raw);
    /* ... but real Latin-1 stays Latin-1. */
    char *fr = encode("ISO-8859-1", "D\xC3\xA9j\xC3\xA0 vu, na\xC3\xAFve", &len);
    out = decode(fr, len, "iso-8859-1", used, NULL);
    assert_string_equal(out, "D\xC3\xA9j\xC3\xA0 vu, na\xC3\xAFve");
    assert_string_equal(used, "ISO-8859-1");
    free(out);
    free(fr);

    /* An unknown label is no declaration. */
    raw = encode("EUC-KR", ko, &len);
    out = decode(raw, len, "x-no-such-charset", used, NULL);
    assert_string_equal(out, ko);
    free(out);
    free(raw);

    /* UTF-8 labelled as a legacy charset is UTF-8. */
    out = decode(ko, strlen(ko), "windows-1251", used, NULL);
    assert_string_equal(out, ko);
    assert_string_equal(used, "UTF-8");
    free(out);

    /* A declared single-byte charset is honoured for its own bytes. */
    static const char ru[] = "Слой";
    raw = encode("KOI8-R", ru, &len);
    out = decode(raw, len, "koi8-r", used, NULL);
    assert_string_equal(out, ru);
    assert_string_equal(used, "KOI8-R");
    free(out);
    free(raw);

    /* ISO-2022-JP is 7-bit: escapes, not valid-UTF-8 ASCII. */
    static const char ja[] = "日本語のテキスト";
    raw = encode("ISO-2022-JP", ja, &len);
    out = decode(raw, len, NULL, used, NULL);
    assert_string_equal(out, ja);
    assert_string_equal(used, "ISO-2022-JP");
    free(out);
    free(raw);

    /* Declared US-ASCII but 8-bit: the declaration loses. */
    raw = encode("EUC-KR", "대한민국 정부", &len);
    out = decode(raw, len, "us-ascii", used, NULL);
    assert_string_equal(out, "대한민국 정부");
    free(out);
    free(raw);
}

/* ---- Damaged input ---- */

static void test_invalid_utf8_file(void **state)
{
    char path[4096], used[64];
    size_t len;
    (void)state;
    snprintf(path, sizeof path, "%s/bad/invalid-utf8.txt", testdata());
    char *raw = read_file(path, &len);
    assert_non_null(raw);
    char *out = decode(raw, len, NULL, used, NULL);
    /* UTF-8 with damage: the good parts survive, the bad become U+FFFD. */
    assert_string_equal(used, "UTF-8");
    assert_non_null(strstr(out, "한국어"));
    assert_non_null(strstr(out, "caf\xC3\xA9."));
    assert_non_null(strstr(out, "invalidbytes marker quokka"));
    assert_non_null(strstr(out, "[\xEF\xBF\xBD] and [\xEF\xBF\xBD]"));
    assert_true(count_fffd(out) >= 10);
    free(out);
    /* Declared UTF-8 changes nothing. */
    out = decode(raw, len, "utf-8", used, NULL);
    assert_non_null(strstr(out, "quokka"));
    free(out);
    free(raw);
}

static void test_mostly_utf8(void **state)
{
    (void)state;
    char used[64];
    size_t n;
    /* A long UTF-8 text with one stray Latin-1 byte in it. */
    char buf[4096] = "";
    for (int i = 0; i < 40; i++)
        strcat(buf, "동북아시아 지방정부 ");
    strcat(buf, "na\xEFve");
    char *out = decode(buf, strlen(buf), NULL, used, &n);
    assert_string_equal(used, "UTF-8");
    assert_int_equal(count_fffd(out), 1);
    assert_non_null(strstr(out, "지방정부 na\xEF\xBF\xBDve"));
    free(out);

    /* A truncated sequence at the very end: one U+FFFD. */
    out = decode("\xED\x95\x9C\xEA\xB5\xAD\xEC\x96", 8, "utf-8", used, &n);
    assert_string_equal(out, "한국\xEF\xBF\xBD");
    free(out);
}

static void test_hostile_bytes(void **state)
{
    (void)state;
    /* Random bytes under every kind of declaration: always valid UTF-8,
     * never stuck. */
    static const char *const decl[] = {NULL,       "utf-8",  "euc-kr",
                                       "shift_jis", "gb18030", "big5",
                                       "utf-16",   "utf-32", "iso-2022-jp",
                                       "koi8-r",   "us-ascii"};
    size_t len = 1 << 16;
    unsigned char *raw = malloc(len);
    uint32_t seed = 12345;
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        raw[i] = (unsigned char)(seed >> 16);
    }
    for (size_t i = 0; i < sizeof decl / sizeof decl[0]; i++) {
        char used[64];
        char *out = decode(raw, len, decl[i], used, NULL);
        assert_true(used[0] != '\0');
        free(out);
    }
    /* Every short prefix too (truncated sequences at the end). */
    for (size_t k = 0; k < 64; k++) {
        char used[64];
        free(decode(raw, k, NULL, used, NULL));
    }
    free(raw);
}

static void test_edges(void **state)
{
    (void)state;
    char *out = (char *)1, used[64];
    size_t n = 99;
    assert_int_equal(arca_decode("", 0, NULL, &out, &n, used), ARCA_OK);
    assert_string_equal(out, "");
    assert_int_equal(n, 0);
    free(out);
    assert_int_equal(arca_decode(NULL, 0, "utf-8", &out, &n, used), ARCA_OK);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(arca_decode(NULL, 5, NULL, &out, &n, used), ARCA_EINVAL);
    assert_null(out);
    /* NULs survive decoding (callers drop them), length says so. */
    assert_int_equal(arca_decode("a\0b", 3, NULL, &out, &n, used), ARCA_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "a\0b", 3);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_canon),
        cmocka_unit_test(test_fixture_pairs_detected),
        cmocka_unit_test(test_fixture_pairs_declared),
        cmocka_unit_test(test_libmagic_latin1_is_no_declaration),
        cmocka_unit_test(test_corpus_pairs),
        cmocka_unit_test(test_short_snippets),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_utf16_without_bom),
        cmocka_unit_test(test_declared),
        cmocka_unit_test(test_invalid_utf8_file),
        cmocka_unit_test(test_mostly_utf8),
        cmocka_unit_test(test_hostile_bytes),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
