/*
 * hits.c: the C side of the Lua iteration benchmark (tests/bench/lua-hits.sh).
 *
 *   hits DIR QUERY
 *
 * Opens the collection in DIR read-only and walks every hit of QUERY the
 * way lua/arca.c's search iterator (search_next) does: the same options as
 * a bare c:search(q) (relevance order, one hit per record, no filter,
 * snippet_len 0, so the library's default snippet), fetched page by page,
 * SEARCH_PAGE hits first and then pages twice as big up to
 * SEARCH_PAGE_MAX, stopping at the first short or empty page.  For each hit
 * it reads the title and the date, summing their lengths as
 * tests/bench/hits.lua does with #(hit.title or "") + #(hit.date or "").
 *
 * Prints "hits N checksum X seconds S", S being CLOCK_MONOTONIC around the
 * walk only (not the open).  Exit status: 0, 1 when a call fails (the
 * message goes to stderr), 2 on bad usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arca.h"

/* As lua/arca.c: keep them equal, or the two loops do different work. */
#define SEARCH_PAGE 100u           /* hits of the first page */
#define SEARCH_PAGE_MAX 1000u      /* pages double up to this */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t len_or_0(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

/*
 * Walk every hit of QUERY in DB, adding one to *nhits and the lengths of
 * its title and date to *sum for each.  Return value: ARCA_OK, or the
 * status of the search that failed (the message is on DB).
 */
static arca_status walk(arca_db *db, const char *query, uint64_t *nhits,
                        uint64_t *sum)
{
    arca_results *page = NULL;
    unsigned offset = 0, asked = 0;
    arca_status rc = ARCA_OK;

    for (;;) {
        unsigned want = SEARCH_PAGE;
        if (page != NULL) {
            size_t had = arca_results_count(page);
            if (had < asked)            /* the last page was short */
                break;
            offset += (unsigned)had;
            want = asked < SEARCH_PAGE_MAX / 2 ? asked * 2 : SEARCH_PAGE_MAX;
        }
        arca_results_destroy(page);
        page = NULL;
        asked = want;
        arca_search_opts so = {offset, want, ARCA_SORT_RELEVANCE, 1, 0,
                               NULL, 0, NULL, 1, 0};
        rc = arca_db_search(db, query, &so, &page);
        if (rc != ARCA_OK)
            goto out;
        size_t n = arca_results_count(page);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            const arca_hit *h = arca_results_hit(page, i);
            (*nhits)++;
            *sum += len_or_0(h->title) + len_or_0(h->date);
        }
    }
out:
    arca_results_destroy(page);
    return rc;
}

int main(int argc, char **argv)
{
    char err[512] = "";
    arca_db *db = NULL;
    uint64_t nhits = 0, sum = 0;
    int rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: hits DIR QUERY\n");
        return 2;
    }
    arca_status st = arca_db_open(argv[1], ARCA_RDONLY, &db, err, sizeof err);
    if (st != ARCA_OK) {
        fprintf(stderr, "hits: %s: %s\n", argv[1],
                err[0] ? err : arca_status_str(st));
        goto out;
    }
    double t0 = now();
    st = walk(db, argv[2], &nhits, &sum);
    double t1 = now();
    if (st != ARCA_OK) {
        fprintf(stderr, "hits: search '%s': %s\n", argv[2],
                arca_db_errmsg(db));
        goto out;
    }
    printf("hits %llu checksum %llu seconds %.3f\n", (unsigned long long)nhits,
           (unsigned long long)sum, t1 - t0);
    rc = 0;
out:
    arca_db_close(db);
    return rc;
}
