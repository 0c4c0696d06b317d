/*
 * queries.c: the in-process side of the HTTP benchmark
 * (tests/bench/serve.sh), what `arca serve` costs without HTTP.
 *
 *   queries DIR QUERIES_FILE THREADS SECONDS
 *
 * QUERIES_FILE holds one request a line, the URL query string after
 * /api/search? (lines starting with # and blank lines are skipped).
 * THREADS threads, each with its own read-only handle on the collection
 * in DIR, go round the lines for SECONDS, thread i starting at line
 * i * lines / THREADS, and do for each line the work tools/serve.c's
 * api_search does for the same request:
 *   - split the query string and decode it as libmicrohttpd does ('+' is
 *     a space, then %XX);
 *   - arca_db_refresh() the handle, as thread_db does, reopening it when
 *     that fails;
 *   - arca_api_search (tools/api.c, the server's own code), then
 *     json_dumps the answer as send_json does, and free it.
 * A request the server would not answer 200 counts as an error; the first
 * one of each thread is printed on stderr.
 *
 * Prints "requests N seconds S rps R errors E", S being CLOCK_MONOTONIC
 * from the moment every thread has opened its handle to the end of the
 * last request, then "bytes B" (JSON answers, in total).  Exit status: 0,
 * 1 when the collection or the file cannot be read, 2 on bad usage.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/tools.h"

/* As tools/serve.c: keep them equal, or the two sides do different work. */

#define MAX_PARAMS 64                /* parameters of one line */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- The query string, decoded as libmicrohttpd does ---- */

typedef struct request {
    char *copy;                  /* the line, decoded in place */
    arca_api_param p[MAX_PARAMS];
    size_t n;
} request;

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* '+' to a space, then %XX to its byte; a stray '%' stays. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        int hi, lo;
        if (*r == '+')
            *w++ = ' ';
        else if (*r == '%' && (hi = hexval(r[1])) >= 0 &&
                 (lo = hexval(r[2])) >= 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else
            *w++ = *r;
    }
    *w = '\0';
}

/* Split LINE into RQ (which owns the copy); false when out of memory. */
static bool parse_request(const char *line, request *rq)
{
    rq->n = 0;
    if ((rq->copy = strdup(line)) == NULL)
        return false;
    char *save = NULL;
    for (char *kv = strtok_r(rq->copy, "&", &save); kv != NULL;
         kv = strtok_r(NULL, "&", &save)) {
        if (rq->n == MAX_PARAMS)
            break;
        char *eq = strchr(kv, '=');
        if (eq != NULL) {
            *eq = '\0';
            unescape(eq + 1);
        }
        unescape(kv);
        rq->p[rq->n++] = (arca_api_param){kv, eq ? eq + 1 : ""};
    }
    return true;
}

/* One thread's handle, refreshed as thread_db does; NULL with ERR. */
static arca_db *thread_db(const char *dir, arca_db **db, char *err,
                          size_t errlen)
{
    if (*db != NULL) {
        if (arca_db_refresh(*db) == ARCA_OK)
            return *db;
        arca_db_close(*db);
        *db = NULL;
    }
    if (arca_db_open(dir, ARCA_RDONLY, db, err, errlen) != ARCA_OK)
        return NULL;
    return *db;
}

/*
 * The request LINE against the collection: the HTTP status the server
 * would answer (200, or its error's), with ERR saying why it is not 200
 * and *bytes the length of the JSON answered.
 */
static unsigned search(const char *dir, arca_db **dbp, const char *line,
                       size_t *bytes, char *err, size_t errlen)
{
    request rq;
    json_t *j = NULL;
    unsigned status;

    *bytes = 0;
    if (!parse_request(line, &rq)) {
        snprintf(err, errlen, "out of memory");
        return 500;
    }
    arca_db *db = thread_db(dir, dbp, err, errlen);
    if (db == NULL) {
        free(rq.copy);
        return 503;
    }
    status = arca_api_search(db, rq.p, rq.n, &j);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        status = 500;
    } else {
        *bytes = strlen(s);
        if (status != 200)
            snprintf(err, errlen, "%s",
                     json_string_value(json_object_get(j, "error")));
        free(s);
    }
    json_decref(j);
    free(rq.copy);
    return status;
}

/* ---- The threads ---- */

typedef struct worker {
    pthread_t tid;
    const char *dir;
    char *const *lines;
    size_t nlines, first;
    double seconds;
    pthread_barrier_t *start;
    double *t0;                  /* set by the barrier's serial thread */
    bool open_failed;
    uint64_t requests, errors, bytes;
    double end;
    char err[2048];              /* the first failure */
} worker;

static void *run(void *arg_)
{
    worker *w = arg_;
    arca_db *db = NULL;
    char err[1024];

    if (arca_db_open(w->dir, ARCA_RDONLY, &db, err, sizeof err) != ARCA_OK) {
        snprintf(w->err, sizeof w->err, "%s: %s", w->dir, err);
        w->open_failed = true;
    }
    if (pthread_barrier_wait(w->start) == PTHREAD_BARRIER_SERIAL_THREAD)
        *w->t0 = now();
    pthread_barrier_wait(w->start);
    double deadline = *w->t0 + w->seconds;
    for (size_t i = w->first; !w->open_failed && now() < deadline; i++) {
        const char *line = w->lines[i % w->nlines];
        size_t bytes;
        unsigned status = search(w->dir, &db, line, &bytes, err, sizeof err);
        w->requests++;
        w->bytes += bytes;
        if (status != 200 && w->errors++ == 0)
            snprintf(w->err, sizeof w->err, "%s: %u: %s", line, status, err);
    }
    w->end = now();
    arca_db_close(db);
    return NULL;
}

/* The request lines of PATH in *out (owned by the caller); -1 on failure. */
static long read_lines(const char *path, char ***out)
{
    FILE *f = fopen(path, "r");
    char *line = NULL, **v = NULL;
    size_t cap = 0, n = 0, vcap = 0;
    ssize_t len;

    *out = NULL;
    if (f == NULL)
        return -1;
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        if (n == vcap) {
            vcap = vcap ? vcap * 2 : 64;
            char **x = realloc(v, vcap * sizeof *v);
            if (x == NULL)
                goto fail;
            v = x;
        }
        if ((v[n] = strdup(line)) == NULL)
            goto fail;
        n++;
    }
    if (ferror(f))
        goto fail;
    fclose(f);
    free(line);
    *out = v;
    return (long)n;
fail:
    while (n > 0)
        free(v[--n]);
    free(v);
    free(line);
    fclose(f);
    return -1;
}

int main(int argc, char **argv)
{
    char **lines = NULL;
    worker *w = NULL;
    unsigned nthreads, secs;
    long nlines = 0;
    pthread_barrier_t start;
    double t0 = 0, t1 = 0;
    uint64_t requests = 0, errors = 0, bytes = 0;
    int rc = 1;

    if (argc != 5 || !arca_api_uint(argv[3], 1, 256, &nthreads) ||
        !arca_api_uint(argv[4], 1, 3600, &secs)) {
        fprintf(stderr, "usage: queries DIR QUERIES_FILE THREADS(1-256) "
                "SECONDS(1-3600)\n");
        return 2;
    }
    nlines = read_lines(argv[2], &lines);
    if (nlines < 0) {
        fprintf(stderr, "queries: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    if (nlines == 0) {
        fprintf(stderr, "queries: %s: no queries\n", argv[2]);
        goto out;
    }
    if ((w = calloc(nthreads, sizeof *w)) == NULL) {
        fprintf(stderr, "queries: out of memory\n");
        goto out;
    }
    pthread_barrier_init(&start, NULL, nthreads);
    for (unsigned i = 0; i < nthreads; i++) {
        w[i] = (worker){.dir = argv[1], .lines = lines,
                        .nlines = (size_t)nlines,
                        .first = (size_t)nlines * i / nthreads,
                        .seconds = secs, .start = &start, .t0 = &t0};
        int e = pthread_create(&w[i].tid, NULL, run, &w[i]);
        if (e != 0) {
            /* The barrier would wait for this thread for ever. */
            fprintf(stderr, "queries: cannot start a thread: %s\n",
                    strerror(e));
            exit(1);
        }
    }
    bool open_failed = false;
    for (unsigned i = 0; i < nthreads; i++) {
        pthread_join(w[i].tid, NULL);
        requests += w[i].requests;
        errors += w[i].errors;
        bytes += w[i].bytes;
        if (w[i].end > t1)
            t1 = w[i].end;
        if (w[i].err[0])
            fprintf(stderr, "queries: thread %u: %s\n", i, w[i].err);
        open_failed |= w[i].open_failed;
    }
    pthread_barrier_destroy(&start);
    if (open_failed)
        goto out;
    double s = t1 - t0;
    printf("requests %llu seconds %.3f rps %.1f errors %llu\n",
           (unsigned long long)requests, s, s > 0 ? (double)requests / s : 0,
           (unsigned long long)errors);
    printf("bytes %llu\n", (unsigned long long)bytes);
    rc = 0;
out:
    for (long i = 0; i < nlines; i++)
        free(lines[i]);
    free(lines);
    free(w);
    return rc;
}
