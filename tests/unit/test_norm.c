/*
 * test_norm.c: the one form text is kept and searched in (core/norm.c).
 *
 * Decomposed Hangul and combining accents come out composed (NFC);
 * full-width Latin and punctuation, half-width katakana and the
 * ideographic space come out in their ordinary forms; other compatibility
 * characters (circled digits, ligatures) are left as they are; ASCII and
 * text already in that form are not copied; bytes that are not UTF-8 are
 * refused.  The key of a whole title drops its section number, case and
 * extra spaces, and is cut on a character.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/arca-private.h"

/* IN normalised: WANT, or NULL when IN is to come back unchanged. */
static void check(const char *in, const char *want)
{
    char *out = (char *)1;
    size_t len = 99;
    assert_int_equal(arca_norm(in, strlen(in), &out, &len), ARCA_OK);
    if (want == NULL) {
        assert_null(out);
        assert_int_equal(len, 0);
        return;
    }
    assert_non_null(out);
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
    free(out);
}

static void test_nfc(void **state)
{
    (void)state;
    /* 한국: ᄒ ᅡ ᆫ ᄀ ᅮ ᆨ, as some file systems store it. */
    check("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab\xe1\x84\x80\xe1\x85\xae"
          "\xe1\x86\xa8 archive", "한국 archive");
    check("Pe\xcc\x81rez", "P\xc3\xa9rez");           /* e + U+0301 */
    check("가나다 한국어", NULL);                       /* already NFC */
}

static void test_width(void **state)
{
    (void)state;
    check("Ｇｙｅｏｎｇｊｕ　２０２３", "Gyeongju 2023");
    check("（경주）：＂서라벌＂", "(경주):\"서라벌\"");
    check("ﾊﾟﾝとｶﾞｲﾄﾞ", "パンとガイド");
    check("①ﬁ", NULL);          /* not folded: not the same text */
}

static void test_ascii_and_errors(void **state)
{
    (void)state;
    check("plain ASCII text, left alone", NULL);
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(arca_norm("\xff\xfe bad", 6, &out, &len), ARCA_EINVAL);
    assert_null(out);
    assert_int_equal(arca_norm(NULL, 0, &out, &len), ARCA_OK);
    assert_null(out);

    char *s = strdup("Ａ　Ｂ");
    size_t n = strlen(s);
    assert_int_equal(arca_norm_inplace(&s, &n), ARCA_OK);
    assert_string_equal(s, "A B");
    assert_int_equal(n, 3);
    free(s);
    s = NULL;
    assert_int_equal(arca_norm_inplace(&s, NULL), ARCA_OK);
}

static void key_is(const char *title, const char *want)
{
    char key[ARCA_TITLE_KEY_MAX + 1];
    assert_int_equal(arca_title_key(title, key, sizeof key), strlen(want));
    assert_string_equal(key, want);
}

static void test_title_key(void **state)
{
    (void)state;
    key_is("3. Blur Filters", "blur filters");
    key_is("  3.1.2   Blur   Filters ", "blur filters");
    key_is("8장. 이미지 합치기", "이미지 합치기");
    key_is("第3章 ぼかし", "ぼかし");
    key_is("Фильтры Размывания", "фильтры размывания");
    key_is("2023 Annual Report", "2023 annual report");   /* a year, kept */
    key_is("3.", "3.");                 /* nothing after it: kept */
    key_is("", "");
    key_is(NULL, "");

    /* Long titles are cut on a character boundary. */
    char big[1000] = "";
    for (int i = 0; i < 200; i++)
        strcat(big, "한");
    char key[ARCA_TITLE_KEY_MAX + 1];
    size_t n = arca_title_key(big, key, sizeof key);
    assert_true(n <= ARCA_TITLE_KEY_MAX && n % 3 == 0 && n > 190);
    char tiny[5];
    assert_int_equal(arca_title_key("abcdef", tiny, sizeof tiny), 4);
    assert_string_equal(tiny, "abcd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nfc),
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_ascii_and_errors),
        cmocka_unit_test(test_title_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
