/*
 * xapian.h: a plain C face on the Xapian index.
 *
 * core/xapian.cc is the only C++ file of arca and the only one that
 * includes <xapian.h>.  Nothing C++ crosses this header: no exception, no
 * std::string.  Every call returns an arca_status; the handle keeps the
 * message of its last failure.
 *
 * Index conventions (Omega's term prefixes, so delve, quest and Omega can
 * read an arca index):
 *   Q  unique id of the document     S  title        A  author
 *   D  date YYYYMMDD   M  YYYYMM      Y  YYYY         T  MIME type
 *   L  language        K  tag         U  source (URL or path)
 *   XB board           XR record id (every part of a record carries it)
 *   XP part name       XE encoding
 * Free text is indexed with positions, CJK n-grams and, for languages that
 * have one, a Snowball stemmer (Z-prefixed stems).
 */
#ifndef ARCA_XAPIAN_H
#define ARCA_XAPIAN_H

#include <stddef.h>
#include <stdint.h>

#include "arca.h"

ARCA_BEGIN_DECLS

/* Value slots. */
enum {
    ARCA_SLOT_RECORD = 0,    /* record id: the collapse key */
    ARCA_SLOT_DATE = 1,      /* YYYYMMDD (or YYYY0000), sorts as a string */
    ARCA_SLOT_SIZE = 2,      /* sortable_serialise(bytes) */
    ARCA_SLOT_YEAR = 3,      /* "YYYY": facet */
    ARCA_SLOT_BOARD = 4,     /* facet */
    ARCA_SLOT_TYPE = 5,      /* MIME type: facet */
    ARCA_SLOT_LANG = 6,      /* facet */
    ARCA_SLOT_AUTHOR = 7,    /* facet */
    ARCA_SLOT_FIELD0 = 16    /* + a hash of its name (16 bits): a declared
                                keyword field's facet */
};

typedef struct arca_xdb arca_xdb;
typedef struct arca_xdoc arca_xdoc;
typedef struct arca_xmset arca_xmset;

/*
 * Open the index at PATH.  WRITABLE creates it if missing and takes
 * Xapian's lock (ARCA_ELOCKED when another writer has it).  FLUSH_DOCS
 * is the number of changed documents after which Xapian flushes on its
 * own (0: Xapian's default).  On failure *out is NULL and errbuf says why.
 */
arca_status arca_xdb_open(const char *path, int writable, unsigned flush_docs,
                          arca_xdb **out, char *errbuf, size_t errlen);
void arca_xdb_close(arca_xdb *x);
const char *arca_xdb_errmsg(const arca_xdb *x);
/* Re-open a reader on the latest committed revision. */
arca_status arca_xdb_reopen(arca_xdb *x);
uint64_t arca_xdb_doccount(arca_xdb *x);

/* ---- Shards ---- */

/* A reader over no index yet, for arca_xdb_add_shard() to fill. */
arca_status arca_xdb_new_reader(arca_xdb **out);
/*
 * Add to the reader X the index at PATH, or (HOST not NULL) the remote
 * index xapian-tcpsrv serves on HOST:PORT, with TIMEOUT_MS for connecting
 * and for each exchange.  Searches then span every index added, as one:
 * scores, totals, collapsing, sorting and facets are computed over all
 * of them (with a remote one, without arca's own match spy, which
 * xapian-tcpsrv cannot run).  ARCA_EIO: the remote index cannot be
 * reached; the handle's message then starts "cannot connect: ".
 */
arca_status arca_xdb_add_shard(arca_xdb *x, const char *path,
                               const char *host, unsigned port,
                               unsigned timeout_ms);

/* ---- Building documents ---- */

arca_status arca_xdoc_new(arca_xdoc **out);
void arca_xdoc_free(arca_xdoc *d);
/* A boolean term PREFIX+VALUE (no positions, wdf 0). */
arca_status arca_xdoc_term(arca_xdoc *d, const char *prefix,
                           const char *value);
/*
 * Index TEXT (UTF-8) with positions and CJK n-grams, each term
 * prefixed with PREFIX ("" for free text), weighted WDF_INC per
 * occurrence.  STEM_LANG ("en", "ru", ... or NULL) chooses the stemmer;
 * CJK languages get none.  Successive calls continue the positions.
 */
arca_status arca_xdoc_text(arca_xdoc *d, const char *prefix, const char *text,
                           size_t len, unsigned wdf_inc,
                           const char *stem_lang);
/* Add PREFIX+VALUE to D as a term with WDF (not lowercased, no
 * position): it counts in the weight, unlike arca_xdoc_term()'s. */
arca_status arca_xdoc_weighted_term(arca_xdoc *d, const char *prefix,
                                    const char *value, unsigned wdf);
/* Whether D's text gets Korean whole words (XW terms) beside its
 * n-grams; on unless turned off. */
void arca_xdoc_words(arca_xdoc *d, int on);
arca_status arca_xdoc_value(arca_xdoc *d, unsigned slot, const char *value,
                            size_t len);
arca_status arca_xdoc_value_number(arca_xdoc *d, unsigned slot, double v);
arca_status arca_xdoc_data(arca_xdoc *d, const char *data, size_t len);

/* ---- Writing ---- */

/* Replace the document holding UNIQUE_TERM (or add it) by D. */
arca_status arca_xdb_replace(arca_xdb *x, const char *unique_term,
                             const arca_xdoc *d);
/* Add D with UNIQUE_TERM, known to be new: no look-up of the term. */
arca_status arca_xdb_add(arca_xdb *x, const char *unique_term,
                         const arca_xdoc *d);
/* Delete every document indexed by TERM. */
arca_status arca_xdb_delete_term(arca_xdb *x, const char *term);
/* Commit; metadata set since the last commit goes with it. */
arca_status arca_xdb_commit(arca_xdb *x);
/* Drop everything uncommitted (after a failed batch). */
arca_status arca_xdb_cancel(arca_xdb *x);
arca_status arca_xdb_set_meta(arca_xdb *x, const char *key,
                              const char *value);
/* *value is malloc'd ("" when unset). */
arca_status arca_xdb_get_meta(arca_xdb *x, const char *key, char **value);

/* ---- Searching ---- */

/* Extra fields a collection declares searchable (config.lua's fields,
 * read by config.c). */
#define ARCA_MAX_FIELDS 32
typedef struct arca_field_decl {
    char name[32];          /* "writer": the query's writer: */
    char prefix[40];        /* "XFWRITER": its terms' prefix */
    int keyword;            /* 1: one exact (case-folded) term; 0: text */
    unsigned slot;          /* a keyword's facet values: from its name
                               alone, so declarations may come and go */
} arca_field_decl;

typedef struct arca_xquery {
    const char *query;       /* user syntax; "" or NULL matches everything */
    const char *filter;      /* second query, ANDed as a filter, or NULL */
    unsigned offset, limit;
    int sort;                /* 0 relevance, 1 date newest first, 2 oldest */
    int collapse;            /* one hit per ARCA_SLOT_RECORD */
    const unsigned *facet_slots;
    size_t nfacets;
    /* Extra fields the collection declares: NAME: searches PREFIX terms
     * (KEYWORD: one exact, case-folded term; else words). */
    const arca_field_decl *fields;
    size_t nfields;
    /* The query as the user wrote it, when QUERY is a rewriting of it
     * (synonyms): the spelling suggestion corrects this.  NULL: QUERY. */
    const char *typed;
    int estimate;            /* the total may be an estimate */
    /* The query as a whole title's key (arca_title_key), or NULL: a
     * record whose title is just that ranks first. */
    const char *title_key;
    int same_revision;       /* never reopen: ARCA_ERETRY instead */
} arca_xquery;

/*
 * Parse and run Q.  Query syntax: Xapian's QueryParser (AND OR NOT,
 * phrases, wildcards, +/-) with CJK n-grams; field prefixes title: (S)
 * author: (A) board: (XB) tag: (K) type: (T) lang: (L) year: (Y) source:
 * (U); ranges year:A..B and date:YYYY-MM-DD..YYYY-MM-DD on ARCA_SLOT_DATE
 * (either end may be left open).  Query words are stemmed with the
 * stemmer of their script (Cyrillic: Russian, otherwise English).  The
 * total is exact.  *out is owned by the caller.
 */
arca_status arca_xdb_search(arca_xdb *x, const arca_xquery *q,
                            arca_xmset **out);
uint64_t arca_xmset_total(const arca_xmset *m);
size_t arca_xmset_size(const arca_xmset *m);
/* The i-th hit: its score and document data (owned by M). */
arca_status arca_xmset_get(arca_xmset *m, size_t i, double *score,
                           const char **data, size_t *len);
/* The sub-database (0 for the first index added) hit I comes from. */
size_t arca_xmset_shard(const arca_xmset *m, size_t i);
/*
 * A snippet of TEXT around the query's matches, at most MAXLEN bytes,
 * HTML-escaped, with matches in <b>...</b>; *out is malloc'd.
 */
arca_status arca_xmset_snippet(arca_xmset *m, const char *text, size_t len,
                               size_t maxlen, char **out);
/*
 * Values and counts of the facet on SLOT over the whole match set, most
 * frequent first, to CB.
 */
arca_status arca_xmset_facet(arca_xmset *m, unsigned slot,
                             void (*cb)(void *ctx, const char *value,
                                        uint64_t count),
                             void *ctx);
/* A spelling correction of the query, or NULL. Owned by M. */
const char *arca_xmset_suggestion(const arca_xmset *m);
/*
 * Each term of the index that starts with PREFIX (raw, with its field
 * prefix: "Y" gives the years, "lib" the free-text words starting with
 * "lib"), in byte order, with the number of documents (parts) indexed by
 * it, to CB.  CB returns nonzero to stop early.
 */
arca_status arca_xdb_terms(arca_xdb *x, const char *prefix,
                           int (*cb)(void *ctx, const char *term,
                                     uint64_t freq),
                           void *ctx);

void arca_xmset_free(arca_xmset *m);

ARCA_END_DECLS

#endif /* ARCA_XAPIAN_H */
