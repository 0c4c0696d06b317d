/*
 * search.c: queries, hits, snippets and facets.
 *
 * A hit is shown from its document's data (the JSON record.c stores)
 * and a snippet cut from the part's extracted text, read back from the
 * archive: the archive of the collection the hit comes from, which for
 * a remote shard is fetched over HTTP from the shard's `arca serve`.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/sha.h>

#include "arca-private.h"

/* Bytes of text read back to cut a snippet from. */
#define SNIPPET_SOURCE_MAX ((size_t)4 << 20)

struct facet_name {
    const char *name;
    unsigned slot;
};

static const struct facet_name facet_names[] = {
    {"year", ARCA_SLOT_YEAR},   {"board", ARCA_SLOT_BOARD},
    {"type", ARCA_SLOT_TYPE},   {"lang", ARCA_SLOT_LANG},
    {"author", ARCA_SLOT_AUTHOR},
};
#define NFACET_NAMES (sizeof facet_names / sizeof facet_names[0])

typedef struct facet {
    const char *name;
    arca_facet_value *values;
    size_t n, cap;
} facet;

struct arca_results {
    uint64_t total;
    arca_hit *hits;
    size_t nhits;
    json_t **data;           /* each hit's document data: owns its strings */
    char **snippets;
    arca_attachment **atts;
    facet *facets;
    size_t nfacets;
    char *suggestion;
    char **owned;            /* strings the hits point to (urls) */
    size_t nowned, capowned;
};

static const char *jget(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void add_facet_value(void *ctx, const char *value, uint64_t count)
{
    facet *f = ctx;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        arca_facet_value *v = realloc(f->values, cap * sizeof *v);
        if (v == NULL)
            return;
        f->values = v;
        f->cap = cap;
    }
    char *copy = strdup(value);
    if (copy == NULL)
        return;
    f->values[f->n].value = copy;
    f->values[f->n].count = count;
    f->n++;
}

void arca_results_destroy(arca_results *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nhits; i++) {
        json_decref(r->data[i]);
        free(r->snippets[i]);
        free(r->atts[i]);
    }
    free(r->hits);
    free(r->data);
    free(r->snippets);
    free(r->atts);
    for (size_t i = 0; i < r->nfacets; i++) {
        for (size_t k = 0; k < r->facets[i].n; k++)
            free((char *)r->facets[i].values[k].value);
        free(r->facets[i].values);
    }
    free(r->facets);
    free(r->suggestion);
    for (size_t i = 0; i < r->nowned; i++)
        free(r->owned[i]);
    free(r->owned);
    free(r);
}

/* ---- Remote shards ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_start(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct fetch_buf {
    char *data;
    size_t len, max;
} fetch_buf;

static size_t fetch_write(char *p, size_t size, size_t n, void *ctx)
{
    fetch_buf *b = ctx;
    size_t k = size * n;
    if (k > b->max - b->len)
        return 0;               /* over the cap: the transfer fails */
    char *d = realloc(b->data, b->len + k + 1);
    if (d == NULL)
        return 0;
    memcpy(d + b->len, p, k);
    b->data = d;
    b->len += k;
    d[b->len] = '\0';
    return k;
}

/* "http://HOST:H" of SH's arca serve, an IPv6 host in brackets. */
static int shard_base(const arca_shard *sh, char *out, size_t n)
{
    int ipv6 = strchr(sh->host, ':') != NULL;
    int k = snprintf(out, n, "http://%s%s%s:%u", ipv6 ? "[" : "", sh->host,
                     ipv6 ? "]" : "", sh->http_port);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/*
 * Object HEX from the remote shard SH's arca serve, at most MAX bytes,
 * checked against its hash.  Any failure (unreachable, too slow, too
 * big, not found, not matching) is just a failure: the caller shows the
 * title instead.
 */
static arca_status shard_fetch(const arca_shard *sh, const char *hex,
                               size_t max, void **data, size_t *len)
{
    char url[512];
    fetch_buf b = {NULL, 0, max};
    unsigned char md[SHA256_DIGEST_LENGTH];
    arca_status rc = ARCA_EIO;

    *data = NULL;
    *len = 0;
    if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64 ||
        shard_base(sh, url, sizeof url - 80) < 0)
        return ARCA_EINVAL;
    strcat(url, "/api/objects/");
    strcat(url, hex);
    pthread_once(&curl_once, curl_start);
    CURL *c = curl_easy_init();
    if (c == NULL)
        return ARCA_ENOMEM;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ARCA_SHARD_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (curl_easy_perform(c) == CURLE_OK) {
        char got[65];
        SHA256((const unsigned char *)(b.data ? b.data : ""), b.len, md);
        for (size_t i = 0; i < sizeof md; i++)
            snprintf(got + 2 * i, 3, "%02x", md[i]);
        if (strcmp(got, hex) == 0)
            rc = ARCA_OK;
    }
    curl_easy_cleanup(c);
    if (rc) {
        free(b.data);
        return rc;
    }
    *data = b.data ? b.data : strdup("");
    *len = b.len;
    return *data ? ARCA_OK : ARCA_ENOMEM;
}

/* The shard hit I of M comes from, or NULL: DB's own collection. */
static const arca_shard *hit_shard(const arca_db *db, arca_xmset *m,
                                   size_t i)
{
    if (db->nshards == 0)
        return NULL;
    size_t k = arca_xmset_shard(m, i);
    if (!db->no_local) {
        if (k == 0)
            return NULL;
        k--;
    }
    return k < db->nshards ? &db->shards[k] : NULL;
}

static char *keep(arca_results *r, char *s)
{
    if (s == NULL)
        return NULL;
    if (r->nowned == r->capowned) {
        size_t cap = r->capowned ? r->capowned * 2 : 16;
        char **o = realloc(r->owned, cap * sizeof *o);
        if (o == NULL) {
            free(s);
            return NULL;
        }
        r->owned = o;
        r->capowned = cap;
    }
    r->owned[r->nowned++] = s;
    return s;
}

/* A snippet for hit H: from its text, or its title when it has none. */
static char *make_snippet(arca_db *db, const arca_shard *sh, arca_xmset *m,
                          json_t *data, size_t maxlen)
{
    const char *hex = jget(data, "text");
    void *text = NULL;
    size_t len = 0;
    char *out = NULL;
    arca_status st = ARCA_OK;
    if (hex && sh && sh->host)
        st = shard_fetch(sh, hex, SNIPPET_SOURCE_MAX, &text, &len);
    else if (hex)
        st = arca_db_object_get(sh ? sh->local : db, hex, SNIPPET_SOURCE_MAX,
                                &text, &len);
    if (hex && st != ARCA_OK) {
        free(text);
        text = NULL;
        len = 0;
    }
    if (text == NULL) {
        const char *t = jget(data, "part");
        if (t == NULL)
            t = jget(data, "title");
        if (t == NULL)
            t = "";
        text = strdup(t);
        len = strlen(t);
    }
    if (text && arca_xmset_snippet(m, text, len, maxlen, &out) != ARCA_OK)
        out = NULL;
    free(text);
    return out ? out : strdup("");
}

arca_status arca_db_search(arca_db *db, const char *query,
                           const arca_search_opts *opts, arca_results **out)
{
    static const arca_search_opts defaults = {0, 10, ARCA_SORT_RELEVANCE, 1,
                                              0, NULL, 0, NULL, 0, 0};
    arca_status rc;
    arca_xmset *m = NULL;
    unsigned slots[NFACET_NAMES + ARCA_MAX_FIELDS];
    size_t nslots = 0;
    char *wide = NULL, *nq = NULL, *nf = NULL;
    size_t nlen;

    *out = NULL;
    if (opts == NULL)
        opts = &defaults;
    /* Queries are read in the form text is kept in (norm.c); one that is
     * not UTF-8 is left to the parser as it is. */
    const char *filter = opts->filter;
    if (query && arca_norm(query, strlen(query), &nq, &nlen) == ARCA_OK &&
        nq)
        query = nq;
    if (filter && arca_norm(filter, strlen(filter), &nf, &nlen) == ARCA_OK &&
        nf)
        filter = nf;
    arca_results *r = calloc(1, sizeof *r);
    if (r == NULL) {
        free(nq);
        free(nf);
        return arca_db_fail(db, ARCA_ENOMEM, "out of memory");
    }
    r->facets = calloc(opts->nfacets ? opts->nfacets : 1, sizeof *r->facets);
    if (r->facets == NULL) {
        rc = arca_db_fail(db, ARCA_ENOMEM, "out of memory");
        goto out;
    }
    if (opts->nfacets > NFACET_NAMES + ARCA_MAX_FIELDS) {
        rc = arca_db_fail(db, ARCA_EINVAL, "too many facets (%zu)",
                          opts->nfacets);
        goto out;
    }
    for (size_t i = 0; i < opts->nfacets; i++) {
        size_t k = 0;
        while (k < NFACET_NAMES &&
               strcmp(facet_names[k].name, opts->facets[i]) != 0)
            k++;
        if (k < NFACET_NAMES) {
            slots[nslots++] = facet_names[k].slot;
            r->facets[r->nfacets++].name = facet_names[k].name;
            continue;
        }
        /* A keyword field config.lua declares. */
        const arca_config *cfg = &db->cfg;
        for (k = 0; k < cfg->nfields; k++)
            if (cfg->fields[k].keyword &&
                strcmp(cfg->fields[k].name, opts->facets[i]) == 0)
                break;
        if (k == cfg->nfields) {
            rc = arca_db_fail(db, ARCA_EINVAL, "no facet '%s' (there are "
                              "year, board, type, lang, author and the "
                              "keyword fields config.lua declares)",
                              opts->facets[i]);
            goto out;
        }
        slots[nslots++] = cfg->fields[k].slot;
        r->facets[r->nfacets++].name = cfg->fields[k].name;
    }

    /* Synonyms widen the query; the spelling suggestion is still made
     * from the words as typed. */
    if (arca_synonyms_expand(db->cfg.synonyms, query, &wide) != ARCA_OK) {
        rc = arca_db_fail(db, ARCA_ENOMEM, "out of memory");
        goto out;
    }
    char key[ARCA_TITLE_KEY_MAX + 1];
    arca_title_key(query, key, sizeof key);
    arca_xquery q = {wide ? wide : query, filter, opts->offset,
                     opts->limit ? opts->limit : 10, (int)opts->sort,
                     opts->collapse, slots, nslots, db->cfg.fields,
                     db->cfg.nfields, wide ? query : NULL, opts->estimate,
                     key, opts->same_revision};
    rc = arca_xdb_search(db->xdb, &q, &m);
    if (rc == ARCA_ERETRY && !opts->same_revision &&
        arca_xdb_reopen(db->xdb) == ARCA_OK)
        rc = arca_xdb_search(db->xdb, &q, &m);
    if (rc) {
        arca_db_fail(db, rc, "%s", arca_xdb_errmsg(db->xdb));
        goto out;
    }
    r->total = arca_xmset_total(m);
    size_t n = arca_xmset_size(m);
    r->hits = calloc(n ? n : 1, sizeof *r->hits);
    r->data = calloc(n ? n : 1, sizeof *r->data);
    r->snippets = calloc(n ? n : 1, sizeof *r->snippets);
    r->atts = calloc(n ? n : 1, sizeof *r->atts);
    if (!r->hits || !r->data || !r->snippets || !r->atts) {
        rc = arca_db_fail(db, ARCA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        double score;
        const char *data;
        size_t len;
        rc = arca_xmset_get(m, i, &score, &data, &len);
        if (rc) {
            arca_db_fail(db, rc, "%s", arca_xdb_errmsg(db->xdb));
            goto out;
        }
        json_t *d = json_loadb(data, len, 0, NULL);
        if (!json_is_object(d)) {
            json_decref(d);
            d = json_object();
        }
        r->data[i] = d;
        r->nhits = i + 1;
        arca_hit *h = &r->hits[i];
        h->rank = opts->offset + (unsigned)i + 1;
        h->score = score;
        h->id = jget(d, "id");
        h->title = jget(d, "title");
        h->date = jget(d, "date");
        h->author = jget(d, "author");
        h->board = jget(d, "board");
        h->lang = jget(d, "lang");
        h->type = jget(d, "type");
        h->source = jget(d, "source");
        h->part = jget(d, "part");
        h->sha256 = jget(d, "sha256");
        h->text_sha256 = jget(d, "text");
        json_t *a = json_object_get(d, "attachments");
        size_t na = json_array_size(a);
        r->atts[i] = calloc(na ? na : 1, sizeof **r->atts);
        for (size_t k = 0; r->atts[i] && k < na; k++) {
            json_t *o = json_array_get(a, k);
            r->atts[i][k].name = jget(o, "name");
            r->atts[i][k].type = jget(o, "type");
            r->atts[i][k].size =
                (uint64_t)json_integer_value(json_object_get(o, "size"));
            r->atts[i][k].sha256 = jget(o, "sha256");
            /* Indexes written before parts were numbered here list the
             * attachments in part order, from 1. */
            json_int_t part = json_integer_value(json_object_get(o, "part"));
            r->atts[i][k].part = part > 0 ? (unsigned)part : (unsigned)k + 1;
        }
        h->attachments = r->atts[i];
        h->nattachments = r->atts[i] ? na : 0;
        const arca_shard *sh = hit_shard(db, m, i);
        if (sh != NULL) {
            char base[300];
            h->shard = sh->spec;
            for (size_t k = 0; sh->host && r->atts[i] && k < na; k++) {
                const char *sha = r->atts[i][k].sha256;
                char *url = NULL;
                if (sha && shard_base(sh, base, sizeof base) == 0 &&
                    asprintf(&url, "%s/api/objects/%s", base, sha) < 0)
                    url = NULL;
                r->atts[i][k].url = keep(r, url);
            }
        }
        r->snippets[i] = make_snippet(db, sh, m, d,
                                      opts->snippet_len ? opts->snippet_len
                                                        : 200);
        h->snippet = r->snippets[i];
    }
    for (size_t i = 0; i < r->nfacets; i++) {
        rc = arca_xmset_facet(m, slots[i], add_facet_value, &r->facets[i]);
        if (rc) {
            arca_db_fail(db, rc, "%s", arca_xdb_errmsg(db->xdb));
            goto out;
        }
    }
    /* The suggestion repeats the query around the words it corrects: a
     * query that is not UTF-8 gets none, since all text out is UTF-8. */
    const char *sugg = arca_xmset_suggestion(m);
    r->suggestion = sugg && arca_utf8_valid(sugg, strlen(sugg)) ? strdup(sugg)
                                                                : NULL;
out:
    arca_xmset_free(m);
    free(wide);
    free(nq);
    free(nf);
    if (rc) {
        arca_results_destroy(r);
        return rc;
    }
    *out = r;
    return ARCA_OK;
}

uint64_t arca_results_total(const arca_results *r)
{
    return r->total;
}

size_t arca_results_count(const arca_results *r)
{
    return r->nhits;
}

const arca_hit *arca_results_hit(const arca_results *r, size_t i)
{
    return i < r->nhits ? &r->hits[i] : NULL;
}

const arca_facet_value *arca_results_facet(const arca_results *r,
                                           const char *name, size_t *n)
{
    for (size_t i = 0; i < r->nfacets; i++)
        if (strcmp(r->facets[i].name, name) == 0) {
            *n = r->facets[i].n;
            return r->facets[i].values;
        }
    *n = 0;
    return NULL;
}

const char *arca_results_suggestion(const arca_results *r)
{
    return r->suggestion;
}

arca_status arca_db_terms(arca_db *db, const char *prefix, arca_term_fn cb,
                          void *ctx)
{
    arca_status rc = arca_xdb_terms(db->xdb, prefix ? prefix : "", cb, ctx);
    if (rc == ARCA_ERETRY && arca_xdb_reopen(db->xdb) == ARCA_OK)
        rc = arca_xdb_terms(db->xdb, prefix ? prefix : "", cb, ctx);
    if (rc)
        return arca_db_fail(db, rc, "%s", arca_xdb_errmsg(db->xdb));
    return ARCA_OK;
}
