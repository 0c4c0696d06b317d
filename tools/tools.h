/*
 * tools.h: what the files of tools/ share: the JSON shapes of search
 * results and statistics (json.c), which the command line and the HTTP
 * API both print, and `arca serve` (serve.c).
 */
#ifndef ARCA_TOOLS_H
#define ARCA_TOOLS_H

#include <stdbool.h>

#include <jansson.h>

#include "core/arca.h"

/*
 * The JSON of a search (DESIGN.md's shape): query, total, offset, hits
 * with their attachments, the facets named in FACETS[0..nfacets) and the
 * spelling suggestion.  A new reference, owned by the caller.
 */
json_t *arca_json_search(const char *query, unsigned offset,
                         const arca_results *r, const char *const *facets,
                         size_t nfacets);

/* One facet of R as {value: count}, most frequent first. */
json_t *arca_json_facet(const arca_results *r, const char *name);

json_t *arca_json_stats(const arca_stats *s);

/* A string, or JSON null for NULL. */
json_t *arca_json_str(const char *s);

/* ---- api.c: the API's requests without the HTTP ---- */

/* A growing string; `failed` once memory ran out (later adds do nothing). */
typedef struct arca_buf {
    char *s;
    size_t len, cap;
    bool failed;
} arca_buf;
void arca_buf_addn(arca_buf *b, const char *p, size_t n);
void arca_buf_add(arca_buf *b, const char *p);
void arca_buf_printf(arca_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void arca_buf_free(arca_buf *b);

/* A decimal number from LO to HI, all of S. */
bool arca_api_uint(const char *s, unsigned lo, unsigned hi, unsigned *out);

/* A request's parameter (a key may come more than once). */
typedef struct arca_api_param {
    const char *key, *value;
} arca_api_param;

/*
 * GET /api/search with P[0..n) on DB: the HTTP status, and in *OUT the
 * answer (the search shape with page, size and the four facets) or
 * {"error": ...}; *OUT is the caller's.
 */
unsigned arca_api_search(arca_db *db, const arca_api_param *p, size_t n,
                         json_t **out);

/* {"error": MSG}, and the HTTP status of a library failure. */
json_t *arca_api_error(const char *msg);
unsigned arca_api_status(arca_status st);

/* `arca serve` on the collection DIR; the exit status.  DIR NULL: no
 * collection of its own (with --shard: it searches the shards only). */
int arca_serve(const char *dir, int argc, char **argv);

/* `arca shard serve` on the collection DIR (serve.c): the exit status. */
int arca_shard_serve(const char *dir, int argc, char **argv);

/*
 * The server of `arca serve` on the collection DIR with no socket and no
 * thread of its own, for tests (tests/fuzz/fuzz-http.c): hand it each
 * connection with MHD_add_connection() and drive it with MHD_run(), in
 * one thread.  TOKEN_FILE as --token-file (NULL: uploads are off); SELF
 * the program a report runs in (NULL: this one).  NULL on failure, with
 * ERR.  DIR must outlive it; arca_server_free() stops it, in the
 * thread that ran it.
 */
struct MHD_Daemon;
typedef struct arca_server arca_server;
arca_server *arca_server_new(const char *dir, const char *token_file,
                             const char *self, char *err, size_t errlen);
struct MHD_Daemon *arca_server_daemon(arca_server *sv);
void arca_server_free(arca_server *sv);

/* `arca watch` on the collection DIR (watch.c): the exit status. */
int arca_watch(const char *dir, int argc, char **argv);

#endif
