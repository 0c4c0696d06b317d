/*
 * fuzz-query.c: the query front end, arca_db_search(), on any bytes:
 * normalisation, synonyms, the title key, and Xapian's QueryParser with
 * arca's field prefixes, ranges, CJK and Korean words, run on a small
 * collection in several languages (fuzz-db.h) with every facet on.
 *
 * The input is the query; a NUL byte in it starts the filter (--filter),
 * up to the next NUL.  The first byte's low bits pick the sort and the
 * page.  Inputs are cut at 4 KiB.  A failure must be a status with a
 * message (a query error, never an internal one); a success must give
 * well-formed hits and facets.
 */
#include "fuzz.h"
#include "fuzz-db.h"

#define QUERY_MAX 4096

static arca_db *db;

static const char *const facets[] = {"year", "board", "type", "lang",
                                     "author", "docno"};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[1024];
    (void)argc, (void)argv;
    if (arca_db_open(fuzz_collection(), ARCA_RDONLY, &db, err,
                     sizeof err) != ARCA_OK)
        fuzz_die("arca_db_open", err);
    return 0;
}

/* Abort, saying why, unless OK. */
static void expect(int ok, const char *what, const char *s)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz-query: %s: %s\n", what, s ? s : "(null)");
    abort();
}

static int utf8(const char *s)
{
    return s == NULL || arca_utf8_valid(s, strlen(s));
}

static void check_results(const arca_results *r, unsigned limit)
{
    size_t n = arca_results_count(r);
    expect(n <= limit && arca_results_total(r) >= n, "count", NULL);
    for (size_t i = 0; i < n; i++) {
        const arca_hit *h = arca_results_hit(r, i);
        expect(h != NULL && h->id != NULL && h->snippet != NULL, "hit",
               NULL);
        expect(utf8(h->snippet), "snippet not UTF-8", h->snippet);
        expect(utf8(h->title), "title not UTF-8", h->title);
        /* Snippets are HTML-escaped: the only tags are <b> and </b>. */
        for (const char *p = strchr(h->snippet, '<'); p;
             p = strchr(p + 1, '<'))
            expect(strncmp(p, "<b>", 3) == 0 || strncmp(p, "</b>", 4) == 0,
                   "snippet has a tag", h->snippet);
    }
    for (size_t f = 0; f < sizeof facets / sizeof facets[0]; f++) {
        size_t nv;
        const arca_facet_value *v = arca_results_facet(r, facets[f], &nv);
        for (size_t i = 0; i < nv; i++) {
            expect(v[i].value != NULL && v[i].count > 0, "facet value",
                   facets[f]);
            expect(utf8(v[i].value), "facet value not UTF-8", v[i].value);
        }
    }
    expect(utf8(arca_results_suggestion(r)), "suggestion not UTF-8",
           arca_results_suggestion(r));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (db == NULL)
        LLVMFuzzerInitialize(NULL, NULL);
    if (size > QUERY_MAX)
        size = QUERY_MAX;
    char *query = malloc(size + 1);
    if (query == NULL)
        return 0;
    memcpy(query, data, size);
    query[size] = '\0';
    size_t qlen = strlen(query);
    const char *filter = qlen < size ? query + qlen + 1 : NULL;
    unsigned pick = size > 0 ? data[0] : 0;
    arca_search_opts so = {
        .offset = pick & 4 ? 2 : 0,
        .limit = pick & 8 ? 3 : 10,
        .sort = (arca_sort)(pick % 3),
        .collapse = 1,
        .facets = facets,
        .nfacets = sizeof facets / sizeof facets[0],
        .filter = filter,
        .estimate = (pick & 16) != 0,
    };
    arca_results *r = NULL;
    arca_status rc = arca_db_search(db, query, &so, &r);
    if (rc == ARCA_OK) {
        if (r == NULL)
            abort();
        check_results(r, so.limit);
    } else if (r != NULL || arca_db_errmsg(db)[0] == '\0' ||
               (rc != ARCA_EQUERY && rc != ARCA_ELIMIT)) {
        fprintf(stderr, "fuzz-query: %s (%d): %s\n", arca_status_str(rc),
                (int)rc, arca_db_errmsg(db));
        abort();
    }
    arca_results_destroy(r);
    free(query);
    return 0;
}
