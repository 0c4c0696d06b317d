/*
 * test_synonyms.c: the synonym groups of config.lua applied to queries
 * (core/synonyms.c).
 *
 * A plain word or run of words equal to a form, in any case, width or
 * spacing, becomes its group ORed; quoted phrases match whole; field
 * prefixes, + and -, wildcards and operators are left alone; bad forms
 * are refused with the reason; the limits hold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arca-private.h"

static arca_synonyms *build(void)
{
    static const char *const g1[] = {"Gyeongju", "경주", "慶州", "Кёнджу"};
    static const char *const g2[] = {"ROK", "South Korea", "대한민국"};
    static const char *const g3[] = {"경주", "Gyeongju-si"};
    static const char *const g4[] = {"OR", "either"};
    arca_synonyms *s = NULL;
    char err[200] = "";
    assert_int_equal(arca_synonyms_add(&s, g1, 4, err, sizeof err), ARCA_OK);
    assert_int_equal(arca_synonyms_add(&s, g2, 3, err, sizeof err), ARCA_OK);
    assert_int_equal(arca_synonyms_add(&s, g3, 2, err, sizeof err), ARCA_OK);
    assert_int_equal(arca_synonyms_add(&s, g4, 2, err, sizeof err), ARCA_OK);
    arca_synonyms_sort(s);
    assert_int_equal(arca_synonyms_count(s), 4);
    return s;
}

/* Q expanded, or "=" when it is left as it is. */
static char *expand(const arca_synonyms *s, const char *q)
{
    char *out = NULL;
    assert_int_equal(arca_synonyms_expand(s, q, &out), ARCA_OK);
    return out ? out : strdup("=");
}

static void check(const arca_synonyms *s, const char *q, const char *want)
{
    char *got = expand(s, q);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n  got  %s\n  want %s", q, got, want);
    free(got);
}

static void test_words(void **state)
{
    (void)state;
    arca_synonyms *s = build();
    check(s, "慶州", "(慶州 OR Gyeongju OR 경주 OR Кёнджу)");
    check(s, "forum gyeongju 2023",
          "forum (gyeongju OR 경주 OR 慶州 OR Кёнджу) 2023");
    /* Case, width and Cyrillic case fold; the parser folds case but not
     * width, so full-width words keep the plain form beside them. */
    check(s, "ＧＹＥＯＮＧＪＵ",
          "(ＧＹＥＯＮＧＪＵ OR Gyeongju OR 경주 OR 慶州 OR Кёнджу)");
    check(s, "кёнджу", "(кёнджу OR Gyeongju OR 경주 OR 慶州)");
    /* A form in two groups takes in both, each form once. */
    check(s, "경주", "(경주 OR Gyeongju OR 慶州 OR Кёнджу OR Gyeongju-si)");
    /* Parentheses around a word stay outside. */
    check(s, "(rok OR japan)",
          "((rok OR \"South Korea\" OR 대한민국) OR japan)");
    check(s, "nothing here", "=");
    check(s, "", "=");
    arca_synonyms_free(s);
}

static void test_phrases(void **state)
{
    (void)state;
    arca_synonyms *s = build();
    /* Words written apart that make a form of two are read as it. */
    check(s, "south  korea forum",
          "(\"south  korea\" OR ROK OR 대한민국) forum");
    check(s, "\"South Korea\"", "(\"South Korea\" OR ROK OR 대한민국)");
    /* A phrase that only contains a form is left whole. */
    check(s, "\"in South Korea\"", "=");
    /* The longest form wins; "south" alone is none. */
    check(s, "south", "=");
    arca_synonyms_free(s);
}

static void test_syntax_left_alone(void **state)
{
    (void)state;
    arca_synonyms *s = build();
    check(s, "title:경주", "=");
    check(s, "-경주 forum", "=");
    check(s, "+경주", "=");
    check(s, "gyeong*", "=");
    /* An operator is not the word "or": "OR" is a form of g4 but stays. */
    check(s, "a OR b", "=");
    check(s, "a or b", "a (or OR either) b");
    check(s, "\"unclosed 경주", "=");
    arca_synonyms_free(s);
}

static void test_bad_forms(void **state)
{
    (void)state;
    arca_synonyms *s = NULL;
    char err[200];
    const char *one[] = {"alone"};
    assert_int_equal(arca_synonyms_add(&s, one, 1, err, sizeof err),
                     ARCA_EINVAL);
    assert_non_null(strstr(err, "2 to 64 forms"));
    const char *quote[] = {"a", "say \"hi\""};
    assert_int_equal(arca_synonyms_add(&s, quote, 2, err, sizeof err),
                     ARCA_EINVAL);
    assert_non_null(strstr(err, "form 2: a double quote"));
    const char *bad_utf8[] = {"a", "\xff\xfe"};
    assert_int_equal(arca_synonyms_add(&s, bad_utf8, 2, err, sizeof err),
                     ARCA_EINVAL);
    assert_non_null(strstr(err, "not UTF-8"));
    const char *blank[] = {"a", "   "};
    assert_int_equal(arca_synonyms_add(&s, blank, 2, err, sizeof err),
                     ARCA_EINVAL);
    assert_non_null(strstr(err, "only spaces"));
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *long_form[] = {"a", big};
    assert_int_equal(arca_synonyms_add(&s, long_form, 2, err, sizeof err),
                     ARCA_EINVAL);
    assert_non_null(strstr(err, "too long"));
    const char *words[] = {"a", "1 2 3 4 5 6 7 8 9"};
    assert_int_equal(arca_synonyms_add(&s, words, 2, err, sizeof err),
                     ARCA_EINVAL);
    assert_non_null(strstr(err, "too many words"));
    assert_int_equal(arca_synonyms_count(s), 0);
    arca_synonyms_free(s);
}

static void test_limits(void **state)
{
    (void)state;
    arca_synonyms *s = NULL;
    char err[200];
    const char *g[] = {"w", "wide"};
    assert_int_equal(arca_synonyms_add(&s, g, 2, err, sizeof err), ARCA_OK);
    arca_synonyms_sort(s);
    /* At most ARCA_SYN_MAX_EXPANSIONS groups in one query. */
    char q[200] = "";
    for (int i = 0; i < 20; i++)
        strcat(q, "w ");
    char *out = expand(s, q);
    size_t n = 0;
    for (const char *p = out; (p = strstr(p, "OR wide")) != NULL; p++)
        n++;
    assert_int_equal(n, ARCA_SYN_MAX_EXPANSIONS);
    free(out);
    /* A query longer than the limit is left alone. */
    char *huge = malloc(ARCA_SYN_MAX_QUERY + 10);
    memset(huge, 'w', ARCA_SYN_MAX_QUERY + 9);
    huge[ARCA_SYN_MAX_QUERY + 9] = '\0';
    for (size_t i = 1; i < ARCA_SYN_MAX_QUERY + 9; i += 2)
        huge[i] = ' ';
    out = expand(s, huge);
    assert_string_equal(out, "=");
    free(out);
    free(huge);
    /* None at all: nothing to do. */
    assert_int_equal(arca_synonyms_expand(NULL, "w", &out), ARCA_OK);
    assert_null(out);
    arca_synonyms_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_phrases),
        cmocka_unit_test(test_syntax_left_alone),
        cmocka_unit_test(test_bad_forms),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
