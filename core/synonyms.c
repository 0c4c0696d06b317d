/*
 * synonyms.c: groups of words that mean the same, applied to queries.
 *
 * A group is a list of forms, in any script: {"Gyeongju", "경주", "慶州",
 * "Кёнджу"}.  Before a query is parsed, a word or run of words that equals
 * a form (compared as NFKC with case folded, so "GYEONGJU", "gyeongju"
 * and full-width "Ｇｙｅｏｎｇｊｕ" are one) becomes the group, ORed:
 *
 *   forum 경주        ->  forum (경주 OR Gyeongju OR 慶州 OR Кёнджу)
 *
 * Each form is then read by the query parser as if the user had typed it:
 * stemmed, split into CJK n-grams, a phrase when it has several words.
 * This is why arca expands query text rather than use Xapian's synonym
 * table: Xapian maps a term to terms, which cannot reach a Korean or
 * Chinese word indexed as n-grams, nor a phrase in another script.
 *
 * Words are expanded only where the user wrote plain words: not inside
 * quotes unless the whole phrase is a form, not after a field prefix, a
 * + or -, nor in wildcards or operators.  The longest run of words that
 * is a form wins.  A form may sit in several groups: the groups are
 * joined.  Bounds: ARCA_SYN_MAX_GROUP forms per group, ARCA_SYN_MAX_FORM
 * bytes per form, ARCA_SYN_MAX_WORDS words, and a query grows to at most
 * ARCA_SYN_MAX_QUERY bytes (expansion stops there).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "arca-private.h"

typedef struct syn_key {
    char *key;              /* normalised form */
    size_t group;
} syn_key;

struct arca_synonyms {
    char ***groups;         /* each a NULL-terminated list of forms */
    size_t ngroups, capgroups;
    syn_key *keys;
    size_t nkeys, capkeys;
    bool sorted;
    size_t maxwords;        /* words in the longest form */
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
}

/*
 * S[0..N) case folded, with runs of spaces made one, and as NFKC when
 * COMPAT (full-width letters become plain ones): with COMPAT, the key two
 * spellings of one word share; without, what the query parser makes of
 * them alike.  NULL when S is not UTF-8 or memory runs out.
 */
static char *fold(const char *s, size_t n, bool compat)
{
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t len = utf8proc_map(
        (const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &out,
        UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
            UTF8PROC_IGNORE | (compat ? UTF8PROC_COMPAT : 0));
    if (len < 0)
        return NULL;
    char *p = (char *)out, *w = p;
    bool space = true;          /* drops leading spaces */
    for (const char *r = p; *r; r++) {
        if (is_space(*r)) {
            space = true;
            continue;
        }
        if (space && w != p)
            *w++ = ' ';
        space = false;
        *w++ = *r;
    }
    *w = '\0';
    return p;
}

static char *normalise(const char *s, size_t n)
{
    return fold(s, n, true);
}

static size_t count_words(const char *norm)
{
    size_t n = *norm ? 1 : 0;
    for (; *norm; norm++)
        n += *norm == ' ';
    return n;
}

static int key_cmp(const void *a, const void *b)
{
    const syn_key *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->group < y->group ? -1 : x->group > y->group;
}

/* Why FORM cannot be a synonym, or NULL when it can. */
static const char *bad_form(const char *form)
{
    size_t n = strlen(form);
    if (n == 0)
        return "empty";
    if (n > ARCA_SYN_MAX_FORM)
        return "too long (at most " ARCA_SYN_MAX_FORM_TEXT " bytes)";
    if (utf8proc_decompose((const utf8proc_uint8_t *)form, (utf8proc_ssize_t)n,
                           NULL, 0, 0) < 0)
        return "not UTF-8";
    for (const char *p = form; *p; p++) {
        if (*p == '"')
            return "a double quote (a form is words, not query syntax)";
        if ((unsigned char)*p < 0x20 && !is_space(*p))
            return "a control character";
    }
    return NULL;
}

/* Room for one more group of N forms in S. */
static arca_status grow(arca_synonyms *s, size_t n)
{
    if (s->ngroups == s->capgroups) {
        size_t cap = s->capgroups ? s->capgroups * 2 : 64;
        char ***g = realloc(s->groups, cap * sizeof *g);
        if (g == NULL)
            return ARCA_ENOMEM;
        s->groups = g;
        s->capgroups = cap;
    }
    if (s->nkeys + n > s->capkeys) {
        size_t cap = s->capkeys ? s->capkeys : 256;
        while (cap < s->nkeys + n)
            cap *= 2;
        syn_key *k = realloc(s->keys, cap * sizeof *k);
        if (k == NULL)
            return ARCA_ENOMEM;
        s->keys = k;
        s->capkeys = cap;
    }
    return ARCA_OK;
}

arca_status arca_synonyms_add(arca_synonyms **sp, const char *const *forms,
                              size_t n, char *err, size_t errlen)
{
    arca_status rc = ARCA_OK;
    char **group = NULL;
    size_t done = 0, words = 0;

    if (n < 2 || n > ARCA_SYN_MAX_GROUP) {
        snprintf(err, errlen, "a group has 2 to %d forms, not %zu",
                 ARCA_SYN_MAX_GROUP, n);
        return ARCA_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        const char *why = bad_form(forms[i]);
        if (why) {
            snprintf(err, errlen, "form %zu: %s", i + 1, why);
            return ARCA_EINVAL;
        }
    }
    if (*sp == NULL && (*sp = calloc(1, sizeof **sp)) == NULL)
        goto nomem;
    arca_synonyms *s = *sp;
    if (s->ngroups >= ARCA_SYN_MAX_GROUPS) {
        snprintf(err, errlen, "more than %d groups", ARCA_SYN_MAX_GROUPS);
        return ARCA_ELIMIT;
    }
    if (grow(s, n) != ARCA_OK || (group = calloc(n + 1, sizeof *group)) == NULL)
        goto nomem;
    for (; done < n; done++) {
        char *norm = normalise(forms[done], strlen(forms[done]));
        if (norm == NULL || (group[done] = strdup(forms[done])) == NULL) {
            free(norm);
            goto nomem;
        }
        size_t w = count_words(norm);
        s->keys[s->nkeys + done] = (syn_key){norm, s->ngroups};
        if (w == 0 || w > ARCA_SYN_MAX_WORDS) {
            snprintf(err, errlen, "form %zu: %s", done + 1,
                     w ? "too many words" : "only spaces");
            done++;
            rc = ARCA_EINVAL;
            goto out;
        }
        if (w > words)
            words = w;
    }
    s->nkeys += n;
    s->groups[s->ngroups++] = group;
    if (words > s->maxwords)
        s->maxwords = words;
    s->sorted = false;
    return ARCA_OK;

nomem:
    snprintf(err, errlen, "out of memory");
    rc = ARCA_ENOMEM;
out:
    for (size_t i = 0; i < done; i++)
        free((*sp)->keys[(*sp)->nkeys + i].key);
    for (size_t i = 0; group && i < n; i++)
        free(group[i]);
    free(group);
    return rc;
}

void arca_synonyms_free(arca_synonyms *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nkeys; i++)
        free(s->keys[i].key);
    for (size_t g = 0; g < s->ngroups; g++) {
        for (char **f = s->groups[g]; *f; f++)
            free(*f);
        free(s->groups[g]);
    }
    free(s->keys);
    free(s->groups);
    free(s);
}

size_t arca_synonyms_count(const arca_synonyms *s)
{
    return s ? s->ngroups : 0;
}

/* The keys equal to NORM: *N of them from the returned one on. */
static const syn_key *find(const arca_synonyms *s, const char *norm, size_t *n)
{
    size_t lo = 0, hi = s->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->keys[mid].key, norm) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t e = lo;
    while (e < s->nkeys && strcmp(s->keys[e].key, norm) == 0)
        e++;
    *n = e - lo;
    return e > lo ? &s->keys[lo] : NULL;
}

/* ---- Reading the query ---- */

typedef struct token {
    size_t start, end;      /* the token, spaces excluded */
    size_t wstart, wend;    /* its word, without parentheses around it */
    bool word;              /* a plain word synonyms may replace */
    bool phrase;            /* a whole quoted phrase "..." */
} token;

static bool is_operator(const char *q, size_t n)
{
    static const char *const ops[] = {"AND", "OR", "NOT", "XOR", "NEAR",
                                      "ADJ", NULL};
    for (size_t i = 0; ops[i]; i++) {
        size_t l = strlen(ops[i]);
        if (n >= l && memcmp(q, ops[i], l) == 0 && (n == l || q[l] == '/'))
            return true;
    }
    return false;
}

/* Q[t->start, t->end) classified: its word, and whether it is plain. */
static void classify(const char *q, token *t)
{
    size_t a = t->start, b = t->end;
    if (q[a] == '"') {
        t->phrase = b - a >= 2 && q[b - 1] == '"' &&
                    memchr(q + a + 1, '"', b - a - 2) == NULL;
        t->wstart = a + 1;
        t->wend = b - 1;
        return;
    }
    while (a < b && q[a] == '(')
        a++;
    while (b > a && q[b - 1] == ')')
        b--;
    t->wstart = a;
    t->wend = b;
    if (a == b || q[a] == '+' || q[a] == '-' || is_operator(q + a, b - a))
        return;
    for (size_t i = a; i < b; i++)
        if (strchr(":\"*()", q[i]))
            return;
    t->word = true;
}

/*
 * Q split at spaces outside quotes: a token ends at a space only when
 * its quotes are paired, so no word is taken from inside a phrase (an
 * unclosed quote runs to the end).  At most MAX tokens: the rest of the
 * query is left as it is.
 */
static size_t tokenise(const char *q, token *out, size_t max)
{
    size_t n = 0, i = 0, len = strlen(q);
    while (n < max) {
        while (i < len && is_space(q[i]))
            i++;
        if (i == len)
            break;
        token *t = &out[n++];
        memset(t, 0, sizeof *t);
        t->start = i;
        bool quoted = false;
        while (i < len && (quoted || !is_space(q[i])))
            quoted ^= q[i++] == '"';
        t->end = i;
        classify(q, t);
    }
    return n;
}

/* Is FORM safe to write bare, as one word the parser reads as typed? */
static bool bare_form(const char *form)
{
    if (is_operator(form, strlen(form)) || form[0] == '+' || form[0] == '-')
        return false;
    for (const char *p = form; *p; p++)
        if (is_space(*p) || strchr(":\"*()", *p))
            return false;
    return true;
}

/*
 * Append "(TYPED OR form OR ...)" for the keys K[0..nk) to OUT; TYPED in
 * quotes when QUOTE (words the user wrote apart, which matched a form of
 * several words, are read as that phrase).
 */
static arca_status add_group(arca_str *out, const arca_synonyms *s,
                             const char *typed, size_t tlen, bool quote,
                             const syn_key *k, size_t nk)
{
    arca_status rc = ARCA_OK;
    const char **seen = NULL;
    size_t nseen = 0, cap = 0;

    /* The forms the typed words already are, to the parser, are left
     * out; "ＧＹＥＯＮＧＪＵ" is not "Gyeongju" to it, so that stays. */
    bool phrase = tlen >= 2 && typed[0] == '"' && typed[tlen - 1] == '"';
    char *typed_fold = phrase ? fold(typed + 1, tlen - 2, false)
                              : fold(typed, tlen, false);
    if (typed_fold == NULL)
        return ARCA_ENOMEM;
    rc = arca_str_addz(out, quote ? "(\"" : "(");
    if (rc == ARCA_OK)
        rc = arca_str_add(out, typed, tlen);
    if (rc == ARCA_OK && quote)
        rc = arca_str_addz(out, "\"");
    for (size_t i = 0; rc == ARCA_OK && i < nk; i++) {
        for (char **f = s->groups[k[i].group]; rc == ARCA_OK && *f; f++) {
            char *norm = normalise(*f, strlen(*f));
            if (norm == NULL) {
                rc = ARCA_ENOMEM;
                break;
            }
            char *f_fold = fold(*f, strlen(*f), false);
            bool dup = f_fold == NULL || strcmp(f_fold, typed_fold) == 0;
            free(f_fold);
            for (size_t j = 0; !dup && j < nseen; j++)
                dup = strcmp(seen[j], norm) == 0;
            if (dup) {
                free(norm);
                continue;
            }
            if (nseen == cap) {
                size_t c = cap ? cap * 2 : 16;
                const char **x = realloc(seen, c * sizeof *x);
                if (x == NULL) {
                    free(norm);
                    rc = ARCA_ENOMEM;
                    break;
                }
                seen = x;
                cap = c;
            }
            seen[nseen++] = norm;
            rc = bare_form(*f) ? arca_str_printf(out, " OR %s", *f)
                               : arca_str_printf(out, " OR \"%s\"", *f);
        }
    }
    if (rc == ARCA_OK)
        rc = arca_str_addz(out, ")");
    for (size_t j = 0; j < nseen; j++)
        free((char *)seen[j]);
    free(seen);
    free(typed_fold);
    return rc;
}

/*
 * The longest run of plain words from T[i] on (or T[i]'s whole phrase)
 * that is a form: its keys in *K and *NK, its last token returned, or
 * I - 1 when none is.  *NORM gets the run's normal form (caller frees).
 */
static size_t longest(const arca_synonyms *s, const char *q, const token *t,
                      size_t i, size_t n, const syn_key **k, size_t *nk,
                      char **norm)
{
    size_t last = i;
    if (t[i].phrase) {
        last = i;
    } else {
        /* Words after the first have no "(" and all but the last no ")". */
        while (last + 1 < n && last + 1 - i < s->maxwords &&
               t[last + 1].word && t[last].wend == t[last].end &&
               t[last + 1].wstart == t[last + 1].start)
            last++;
    }
    for (;; last--) {
        *norm = normalise(q + t[i].wstart, t[last].wend - t[i].wstart);
        if (*norm != NULL && **norm && (*k = find(s, *norm, nk)) != NULL)
            return last;
        free(*norm);
        *norm = NULL;
        if (last == i)
            return i - 1;
    }
}

void arca_synonyms_sort(arca_synonyms *s)
{
    if (s != NULL && !s->sorted) {
        qsort(s->keys, s->nkeys, sizeof *s->keys, key_cmp);
        s->sorted = true;
    }
}

arca_status arca_synonyms_expand(const arca_synonyms *s, const char *query,
                                 char **out)
{
    arca_status rc = ARCA_OK;
    token *t = NULL;
    arca_str b = {0};
    size_t copied = 0, expansions = 0;

    *out = NULL;
    if (s == NULL || s->nkeys == 0 || query == NULL ||
        strlen(query) > ARCA_SYN_MAX_QUERY)
        return ARCA_OK;
    if (!s->sorted)
        return ARCA_EINVAL;
    size_t max = strlen(query) / 2 + 1;
    if ((t = calloc(max, sizeof *t)) == NULL)
        return ARCA_ENOMEM;
    size_t n = tokenise(query, t, max);
    for (size_t i = 0; rc == ARCA_OK && i < n; i++) {
        if ((!t[i].word && !t[i].phrase) ||
            expansions >= ARCA_SYN_MAX_EXPANSIONS)
            continue;
        const syn_key *k = NULL;
        size_t nk = 0;
        char *norm = NULL;
        size_t last = longest(s, query, t, i, n, &k, &nk, &norm);
        if (last + 1 == i)
            continue;
        size_t from = t[i].phrase ? t[i].start : t[i].wstart;
        size_t to = t[last].phrase ? t[last].end : t[last].wend;
        rc = arca_str_add(&b, query + copied, from - copied);
        if (rc == ARCA_OK)
            rc = add_group(&b, s, query + from, to - from, last > i, k, nk);
        free(norm);
        copied = to;
        expansions++;
        i = last;
    }
    if (rc == ARCA_OK && expansions > 0)
        rc = arca_str_addz(&b, query + copied);
    free(t);
    if (rc == ARCA_OK && expansions > 0 && b.len <= ARCA_SYN_MAX_QUERY) {
        *out = b.s;
        return ARCA_OK;
    }
    arca_str_free(&b);
    return rc;
}
