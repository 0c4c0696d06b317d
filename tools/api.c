/*
 * api.c: GET /api/search without the HTTP: the parameters of a request
 * in, the status and the JSON answer out.  serve.c calls it for each
 * request; the in-process benchmark (tests/bench/queries.c) calls it
 * too, so the two measure the same work.
 */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/tools.h"

#define MAX_QUERY 8192               /* bytes of q */
#define MAX_PAGE_SIZE 100            /* hits per page */
#define MAX_PAGE 10000               /* pages */
#define MAX_FACET_VALUES 32          /* values of one facet parameter */
#define MAX_VALUE 200                /* bytes of one facet value */

void arca_buf_addn(arca_buf *b, const char *p, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *x = realloc(b->s, cap);
        if (x == NULL) {
            b->failed = true;
            return;
        }
        b->s = x;
        b->cap = cap;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void arca_buf_add(arca_buf *b, const char *p)
{
    arca_buf_addn(b, p, strlen(p));
}

void arca_buf_printf(arca_buf *b, const char *fmt, ...)
{
    char *p = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    arca_buf_addn(b, p, (size_t)n);
    free(p);
}

void arca_buf_free(arca_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

bool arca_api_uint(const char *s, unsigned lo, unsigned hi,
                           unsigned *out)
{
    char *end;
    if (s == NULL || !isdigit((unsigned char)s[0]))
        return false;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = (unsigned)v;
    return true;
}

/* YYYY or YYYY-MM or YYYY-MM-DD as a full date, the first or last day. */
static bool parse_day(const char *s, bool end, char out[11])
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (!(isdigit((unsigned char)s[i]) || (s[i] == '-' &&
                                               (i == 4 || i == 7))))
            return false;
    if (n == 4)
        snprintf(out, 11, "%s-%s", s, end ? "12-31" : "01-01");
    else if (n == 7)
        snprintf(out, 11, "%s-%s", s, end ? "31" : "01");
    else if (n == 10)
        memcpy(out, s, 11);
    else
        return false;
    return true;
}

/* ---- Search ---- */

static const char *const facet_names[] = {"year", "board", "type", "lang"};

/* The values chosen of one facet. */
typedef struct arg_list {
    const char *values[MAX_FACET_VALUES];
    size_t n;
} arg_list;
#define NFACETS (sizeof facet_names / sizeof facet_names[0])

/*
 * The filter for the chosen facet values: values of one facet ORed,
 * facets ANDed, the dates last; facet SKIP (or -1) left out, for the
 * counts of its own values.  ERR says why a value is refused.
 */
static bool build_filter(arg_list *sel, int skip, const char *from,
                         const char *to, arca_buf *b, char *err,
                         size_t errlen)
{
    for (size_t f = 0; f < NFACETS; f++) {
        if ((int)f == skip || sel[f].n == 0)
            continue;
        arca_buf_add(b, b->len ? " AND (" : "(");
        for (size_t i = 0; i < sel[f].n; i++) {
            const char *v = sel[f].values[i];
            if (strlen(v) > MAX_VALUE || strpbrk(v, "\"\r\n") != NULL) {
                snprintf(err, errlen, "%s: a value of at most %d bytes "
                         "without quotes or line breaks", facet_names[f],
                         MAX_VALUE);
                return false;
            }
            arca_buf_printf(b, "%s%s:\"%s\"", i ? " OR " : "", facet_names[f], v);
        }
        arca_buf_add(b, ")");
    }
    /* A bound that is a year is a year: a record dated only "1850" is
     * within from=1850, which date:1850-01-01.. would leave out. */
    const char *bounds[2] = {from, to};
    for (int i = 0; i < 2; i++) {
        char day[11];
        if (bounds[i] == NULL)
            continue;
        if (!parse_day(bounds[i], i == 1, day)) {
            snprintf(err, errlen, "from and to are dates: YYYY, YYYY-MM or "
                     "YYYY-MM-DD");
            return false;
        }
        bool year = strlen(bounds[i]) == 4;
        arca_buf_printf(b, "%s%s:%s%s%s", b->len ? " AND " : "",
                   year ? "year" : "date", i ? ".." : "",
                   year ? bounds[i] : day, i ? "" : "..");
    }
    return !b->failed || (snprintf(err, errlen, "out of memory"), false);
}

/* The value of KEY in P[0..n), the first one, or NULL. */
static const char *param(const arca_api_param *p, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].key, key) == 0)
            return p[i].value;
    return NULL;
}

/* *OUT = {"error": message}; STATUS returned. */
static unsigned fail(json_t **out, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static unsigned fail(json_t **out, unsigned status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    *out = arca_api_error(msg);
    return status;
}

json_t *arca_api_error(const char *msg)
{
    json_t *j = json_object();
    /* Messages may quote bytes from the request: keep them UTF-8. */
    json_t *m = json_string(msg);
    json_object_set_new(j, "error", m ? m : json_string("bad request"));
    return j;
}

unsigned arca_api_status(arca_status st)
{
    switch (st) {
    case ARCA_EQUERY:
    case ARCA_EINVAL:
    case ARCA_EFORMAT:
        return 400;
    case ARCA_ENOTFOUND:
        return 404;
    case ARCA_ELIMIT:
        return 413;
    case ARCA_ELOCKED:
    case ARCA_ERETRY:
        return 503;
    default:
        return 500;
    }
}

unsigned arca_api_search(arca_db *db, const arca_api_param *p, size_t n,
                         json_t **out)
{
    char err[1024];
    const char *q = param(p, n, "q");
    unsigned page = 1, size = 10;
    arca_search_opts so = {0, 10, ARCA_SORT_RELEVANCE, 1, 0, NULL, 0, NULL, 0, 0};
    arg_list sel[NFACETS];
    arca_buf filter = {0};
    arca_results *r = NULL;

    *out = NULL;
    if (q == NULL || q[0] == '\0')
        return fail(out, 400, "q: a query is needed");
    if (strlen(q) > MAX_QUERY)
        return fail(out, 414, "q: at most %d bytes", MAX_QUERY);
    const char *v = param(p, n, "page");
    if (v && !arca_api_uint(v, 1, MAX_PAGE, &page))
        return fail(out, 400, "page: 1 to %d", MAX_PAGE);
    v = param(p, n, "size");
    if (v && !arca_api_uint(v, 1, MAX_PAGE_SIZE, &size))
        return fail(out, 400, "size: 1 to %d", MAX_PAGE_SIZE);
    const char *sort = param(p, n, "sort");
    if (sort == NULL || strcmp(sort, "relevance") == 0)
        so.sort = ARCA_SORT_RELEVANCE;
    else if (strcmp(sort, "date") == 0)
        so.sort = ARCA_SORT_DATE;
    else if (strcmp(sort, "oldest") == 0)
        so.sort = ARCA_SORT_DATE_ASC;
    else
        return fail(out, 400, "sort: relevance, date or oldest");
    for (size_t f = 0; f < NFACETS; f++) {
        sel[f] = (arg_list){.n = 0};
        for (size_t i = 0; i < n; i++) {
            if (strcmp(p[i].key, facet_names[f]) != 0 || !p[i].value[0])
                continue;
            if (sel[f].n == MAX_FACET_VALUES)
                return fail(out, 400, "%s: at most %d values",
                            facet_names[f], MAX_FACET_VALUES);
            sel[f].values[sel[f].n++] = p[i].value;
        }
    }
    const char *from = param(p, n, "from"), *to = param(p, n, "to");
    if (from && !*from)
        from = NULL;
    if (to && !*to)
        to = NULL;
    if (!build_filter(sel, -1, from, to, &filter, err, sizeof err)) {
        arca_buf_free(&filter);
        return fail(out, 400, "%s", err);
    }
    so.offset = (page - 1) * size;
    so.limit = size;
    so.filter = filter.len ? filter.s : NULL;
    so.facets = facet_names;
    so.nfacets = NFACETS;
    arca_status st = arca_db_search(db, q, &so, &r);
    if (st) {
        arca_buf_free(&filter);
        return fail(out, arca_api_status(st), "%s", arca_db_errmsg(db));
    }
    json_t *j = arca_json_search(q, so.offset, r, facet_names, NFACETS);
    json_object_set_new(j, "page", json_integer(page));
    json_object_set_new(j, "size", json_integer(size));
    /*
     * A facet with values chosen counts its values without its own
     * choice, so that the other values stay offered (choosing two years
     * means either): one more count-only search per such facet.
     */
    json_t *facets = json_object_get(j, "facets");
    for (size_t f = 0; f < NFACETS; f++) {
        if (sel[f].n == 0)
            continue;
        arca_buf other = {0};
        arca_results *fr = NULL;
        const char *name = facet_names[f];
        arca_search_opts fo = so;
        build_filter(sel, (int)f, from, to, &other, err, sizeof err);
        fo.offset = 0;
        fo.limit = 1;
        fo.filter = other.len ? other.s : NULL;
        fo.facets = &name;
        fo.nfacets = 1;
        if (arca_db_search(db, q, &fo, &fr) == ARCA_OK)
            json_object_set_new(facets, name, arca_json_facet(fr, name));
        arca_results_destroy(fr);
        arca_buf_free(&other);
    }
    arca_results_destroy(r);
    arca_buf_free(&filter);
    *out = j;
    return 200;
}
