/*
 * ix.h: what every indexer promises, checked the same way by each
 * indexer's unit test.  Include after indexers/indexer.h.
 */
#ifndef ARCA_TEST_IX_H
#define ARCA_TEST_IX_H

#include <string.h>

/*
 * After an indexer ran on a file NAME (may be NULL) with status RC: its
 * text is NUL-terminated valid UTF-8 within the cap MAX, and a failure
 * gives a reason that names the file.  Returns RC.
 */
static inline arca_status check_extract(arca_status rc, const arca_extract *x,
                                        const char *name, size_t max)
{
    assert_non_null(x->text);
    assert_int_equal(strlen(x->text), x->len);
    assert_true(arca_utf8_valid(x->text, x->len));
    assert_true(x->len <= max);
    if (rc != ARCA_OK) {
        assert_true(x->errmsg[0] != '\0');
        if (name != NULL)
            assert_non_null(strstr(x->errmsg, name));
    }
    return rc;
}

/* The value of X's field NAME, or NULL. */
static inline const char *field(const arca_extract *x, const char *name)
{
    for (size_t i = 0; i < x->nfields; i++)
        if (strcmp(x->fields[i].name, name) == 0)
            return x->fields[i].value;
    return NULL;
}

/* X's field NAME is WANT (NULL: X has no such field). */
static inline void assert_field(const arca_extract *x, const char *name,
                                const char *want)
{
    const char *got = field(x, name);
    if (want == NULL) {
        if (got != NULL)
            fail_msg("field %s: want none, got \"%s\"", name, got);
        return;
    }
    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("field %s: want \"%s\", got \"%s\"", name, want,
                 got ? got : "(none)");
}

#endif /* ARCA_TEST_IX_H */
