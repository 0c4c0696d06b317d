/*
 * fuzz-synonyms.c: synonym groups applied to any query text.
 *
 * The input is groups, then a NUL byte, then the query: the groups are
 * lines of forms separated by tabs.  A group the expander refuses is
 * skipped.  An expanded query must be UTF-8 when the query was, within
 * the length limit, and add only balanced parentheses (outside quotes) and
 * whole quoted phrases.
 */
#include "fuzz.h"
#include "core/arca-private.h"

/* Parentheses opened and not closed, outside quotes; quotes in *QUOTES. */
static long balance(const char *s, long *quotes)
{
    long n = 0;
    *quotes = 0;
    for (; *s; s++) {
        if (*s == '"')
            ++*quotes;
        else if (*quotes % 2 == 0)
            n += (*s == '(') - (*s == ')');
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    if (nul == NULL)
        return 0;
    char *groups = strndup((const char *)data, (size_t)(nul - data));
    char *query = strndup((const char *)nul + 1, size - (size_t)(nul - data) - 1);
    arca_synonyms *s = NULL;
    char err[200];

    for (char *line = strtok(groups, "\n"); line; line = strtok(NULL, "\n")) {
        const char *forms[ARCA_SYN_MAX_GROUP];
        size_t n = 0;
        char *save = NULL;
        for (char *f = strtok_r(line, "\t", &save); f && n < ARCA_SYN_MAX_GROUP;
             f = strtok_r(NULL, "\t", &save))
            forms[n++] = f;
        arca_status rc = arca_synonyms_add(&s, forms, n, err, sizeof err);
        if (rc != ARCA_OK && err[0] == '\0')
            abort();
    }
    arca_synonyms_sort(s);
    char *out = NULL;
    if (arca_synonyms_expand(s, query, &out) != ARCA_OK)
        abort();
    if (out != NULL) {
        size_t len = strlen(out);
        if (len > ARCA_SYN_MAX_QUERY || len <= strlen(query))
            abort();
        if (arca_utf8_valid(query, strlen(query)) &&
            !arca_utf8_valid(out, len))
            abort();
        long qin, qout;
        if (balance(out, &qout) != balance(query, &qin) ||
            qout % 2 != qin % 2)
            abort();
    }
    free(out);
    arca_synonyms_free(s);
    free(groups);
    free(query);
    return 0;
}
