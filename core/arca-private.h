/*
 * arca-private.h: what the files of core/ share and nothing outside sees.
 *
 * A collection (struct arca_db) ties together the object store and the
 * catalog (archive/), the Xapian index (core/xdb.h) and, for writers,
 * the collection lock.  record.c turns catalog records into index
 * documents; ingest.c runs imports; search.c runs queries.
 */
#ifndef ARCA_PRIVATE_H
#define ARCA_PRIVATE_H

#include <stdarg.h>
#include <stdio.h>

#include "arca.h"
#include "xdb.h"
#include "../archive/archive.h"
#include "../indexers/indexer.h"

/*
 * Synonyms (synonyms.c): groups of forms that mean the same.  A query's
 * plain words that equal a form become the group's forms ORed.
 */
typedef struct arca_synonyms arca_synonyms;
#define ARCA_SYN_MAX_GROUP 64        /* forms in a group */
#define ARCA_SYN_MAX_GROUPS 100000   /* groups in a collection */
#define ARCA_SYN_MAX_FORM 200        /* bytes of a form */
#define ARCA_SYN_MAX_FORM_TEXT "200"
#define ARCA_SYN_MAX_WORDS 8         /* words of a form */
#define ARCA_SYN_MAX_EXPANSIONS 16   /* groups one query takes in */
#define ARCA_SYN_MAX_QUERY 8192      /* bytes of a query, before and after */

/* Add the group FORMS[0..n) to *S (created when NULL); ERR says why not. */
arca_status arca_synonyms_add(arca_synonyms **s, const char *const *forms,
                              size_t n, char *err, size_t errlen);
/* Ready S for arca_synonyms_expand, once every group is added. */
void arca_synonyms_sort(arca_synonyms *s);
/*
 * QUERY with synonyms in *OUT (caller frees), or *OUT NULL: unchanged.
 * S is only read, so threads may share it.
 */
arca_status arca_synonyms_expand(const arca_synonyms *s, const char *query,
                                 char **out);
size_t arca_synonyms_count(const arca_synonyms *s);
void arca_synonyms_free(arca_synonyms *s);

/* The default gazetteer's places (gazetteer.c) added to *S as groups. */
arca_status arca_gazetteer_add(arca_synonyms **s, char *err, size_t errlen);

/* A collection's settings (config.lua, see config.c); 0 or NULL: unset. */
typedef struct arca_config {
    int ocr;                /* 1 on, -1 off */
    char *ocr_langs;
    int jobs;
    uint64_t max_file;
    arca_field_decl fields[ARCA_MAX_FIELDS];
    size_t nfields;
    arca_synonyms *synonyms;  /* config.lua's synonyms and the gazetteer's,
                                 or NULL */
    int no_gazetteer;         /* config.lua: gazetteer = false */
    int no_cjk_words;         /* analysis = { cjk_words = false } */
} arca_config;

#define ARCA_ERRLEN 1024

/* A shard a search spans beside the collection (arca_db_open_shards). */
#define ARCA_MAX_SHARDS 64
#define ARCA_SHARD_TIMEOUT_MS 10000   /* connecting, each exchange, a fetch */
typedef struct arca_shard {
    char *spec;                 /* as the user wrote it */
    char *host;                 /* tcp://HOST:PORT: the host; else NULL */
    unsigned port, http_port;   /* its xapian-tcpsrv and its arca serve */
    arca_db *local;             /* a collection directory: its handle */
} arca_shard;

struct arca_db {
    char *dir;
    int flags;
    int lockfd;                 /* writers hold an flock on DIR/lock */
    arca_objects *objects;
    arca_catalog *catalog;
    arca_xdb *xdb;
    arca_config cfg;            /* config.lua, read at open */
    char errmsg[ARCA_ERRLEN];
    arca_shard *shards;         /* searched with the collection, after it */
    size_t nshards;
    int no_local;               /* shards only: no collection of its own
                                   (dir, objects, catalog are NULL) */
};

/* Files inside a collection. */
#define ARCA_CATALOG_FILE "catalog.db"
#define ARCA_INDEX_DIR "index"
#define ARCA_LOCK_FILE "lock"
/* Index metadata key: the catalog change number the index reflects. */
#define ARCA_META_SEQ "arca.catalog_seq"

/* Documents the index buffers before Xapian flushes on its own. */
#define ARCA_FLUSH_DOCS 2000

/* Set db->errmsg (printf-style) and return ST. */
arca_status arca_db_fail(arca_db *db, arca_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Read object HEX wherever it lies (a pack or a loose file), verified.
 * The catalog says where: only the thread that owns DB may call these.
 */
arca_status arca_db_object_get(arca_db *db, const char *hex, size_t max,
                               void **data, size_t *len);
arca_status arca_db_object_stream(arca_db *db, const char *hex,
                                  arca_sink_fn sink, void *ctx);

/* ---- util.c ---- */

/* A growable string; s is NUL-terminated after any successful call. */
typedef struct arca_str {
    char *s;
    size_t len, cap;
} arca_str;
arca_status arca_str_add(arca_str *b, const char *s, size_t n);
arca_status arca_str_addz(arca_str *b, const char *s);
arca_status arca_str_printf(arca_str *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void arca_str_free(arca_str *b);

char *arca_strdup(const char *s);       /* NULL-safe */

/* Read PATH (absent: all unset); an error names the file and line. */
arca_status arca_config_load(const char *path, arca_config *out, char *err,
                             size_t errlen);
void arca_config_free(arca_config *c);

/*
 * The import hooks of config.lua (on_extract, on_record, on_folder): one
 * set per extraction thread, and one for the walk.  *out is NULL when config.lua defines none.
 */
typedef struct arca_hooks arca_hooks;
arca_status arca_hooks_open(const char *path, arca_hooks **out, char *err,
                            size_t errlen);
void arca_hooks_close(arca_hooks *h);

/* What a hook sees and may change (the strings are malloc'd; tags a JSON
 * array and fields a JSON object, owned). */
typedef struct arca_hook_doc {
    const char *name, *path, *mime, *id;
    const char *text, *raw;  /* extracted text; the original's bytes */
    size_t len, rawlen;
    char *title, *author, *date, *board, *lang;
    struct json_t *tags, *fields;
} arca_hook_doc;
/* Call on_extract(mime, doc) / on_record(rec); a hook's error (with
 * config.lua's line) goes to ERR and the status is ARCA_EINVAL. */
arca_status arca_hooks_extract(arca_hooks *h, arca_hook_doc *d, char *err,
                               size_t errlen);
arca_status arca_hooks_record(arca_hooks *h, arca_hook_doc *d, char *err,
                              size_t errlen);
/* 1 if H has on_folder. */
int arca_hooks_have_folder(const arca_hooks *h);
/*
 * Call on_folder(folder) for the folder PATH holding FILES (names below
 * it).  *IS_RECORD 0: it returned nil or false, its files are imported
 * one by one.  1: the folder is one record; *BODY (malloc'd, or NULL) is
 * the file it named as the body, and D (zeroed by the caller) holds the
 * fields it gave.
 */
arca_status arca_hooks_folder(arca_hooks *h, const char *path,
                              const char *const *files, size_t n,
                              int *is_record, char **body, arca_hook_doc *d,
                              char *err, size_t errlen);
/*
 * S[0..N) in the one form arca keeps text in (norm.c): NFC, with
 * full-width and half-width forms made ordinary.  *out is a malloc'd
 * NUL-terminated copy, or NULL when S is in that form already.
 * ARCA_EINVAL: S is not UTF-8.
 */
arca_status arca_norm(const char *s, size_t n, char **out, size_t *outlen);
/* The same over *S, a malloc'd string of *LEN bytes (LEN NULL: strlen),
 * replaced when it changes. */
arca_status arca_norm_inplace(char **s, size_t *len);
/*
 * The key of a whole title, the same for a record's title and a query
 * that types it: without a leading section number ("3.1.", "8장."),
 * case folded, spaces made one, at most ARCA_TITLE_KEY_MAX bytes cut on a
 * character.  Its length; 0 (and "") when nothing is left.
 */
#define ARCA_TITLE_KEY_MAX 200
size_t arca_title_key(const char *title, char *out, size_t outlen);
/*
 * The language of TEXT (ISO 639: "ko", "en", "de"...), or NULL: by its
 * script, and for Latin and some Cyrillic text by libexttextcat (lang.c).
 * The string is static or thread-local: copy it.
 */
const char *arca_detect_lang(const char *text, size_t len);
/* Read up to LEN bytes of FD, to its end if sooner (*got: how many);
 * -1 with errno on a read error. */
int arca_read_full(int fd, void *buf, size_t len, size_t *got);
/* Read a whole file into a malloc'd buffer (NUL added, not counted). */
arca_status arca_read_file(const char *path, uint64_t max, char **data,
                           size_t *len, char *err, size_t errlen);
/* Remove PATH and everything below it (no error if it is absent). */
arca_status arca_remove_tree(const char *path, char *err, size_t errlen);
/* "YYYY-MM-DDTHH:MM:SSZ" now, UTC. */
void arca_now_iso(char buf[32]);

/*
 * Parse a date given as YYYY, YYYY-MM, YYYY-MM-DD (optionally followed by
 * a time) into its normal form ("1790", "2023-12", "2023-12-13").  Returns
 * 0 and fills NORM, or -1 when it is not such a date.
 */
int arca_date_norm(const char *in, char norm[11]);

/* A record id made safe: ASCII letters, digits, '-', '_', '.', and UTF-8
 * letters; other runs become '-'; at most MAX bytes. */
void arca_slug(const char *in, char *out, size_t max);

/* Language of TEXT by its letters' scripts: "ko", "ja", "zh", "ru",
 * "mn" (Cyrillic with Mongolian letters), "en" (Latin), or NULL. */
const char *arca_guess_lang(const char *text, size_t len);

/* ---- ingest.c ---- */

/*
 * The record fields a sidecar gives: DATA[0..LEN), the bytes of a
 * NAME.meta.json named SRC, read as an import reads them (a key given
 * twice refused, unknown keys extra fields).  In *out, owned by
 * the caller (arca_cat_record_free()), the fields given, NULL where not:
 * title, author, board, source normalised; date normal (YYYY[-MM[-DD]]);
 * lang a primary tag; tags a JSON array; extra a JSON object; no parts.
 * WARN (may be NULL) says what was ignored.  Return value: ARCA_OK,
 * ARCA_EFORMAT (not a JSON object), ARCA_EINVAL (a bad id), ARCA_ENOMEM;
 * ERR then says why, naming SRC.
 */
arca_status arca_sidecar_fields(const char *src, const char *data, size_t len,
                                arca_cat_record **out, char *err,
                                size_t errlen, char *warn, size_t warnlen);

/* ---- record.c ---- */

/* The texts of a record's parts when the caller has them in memory. */
typedef struct arca_part_text {
    const char *text;
    size_t len;
} arca_part_text;

/*
 * Build the index documents of record R, one per part, into *docs (an
 * array of R->nparts, NULL for a deleted record); free them with
 * arca_docs_free().  Extraction threads call it with every text given
 * (DB is then not touched); only the writer's thread may leave texts out.
 */
arca_status arca_record_docs(arca_db *db, const arca_cat_record *r,
                             const arca_part_text *texts, arca_xdoc ***docs,
                             char *err, size_t errlen);
void arca_docs_free(arca_xdoc **docs, size_t n);
/* Replace R's documents in the index by DOCS (the writer's thread).
 * FRESH: the index cannot hold R yet (its first version, or an empty
 * index), so nothing is looked up or deleted. */
arca_status arca_index_docs(arca_db *db, const arca_cat_record *r,
                            arca_xdoc *const *docs, int fresh);
/*
 * (Re)index record R: delete its old documents, add one per part.
 * TEXTS (may be NULL) holds R->nparts texts; missing ones are read from
 * the object store.  A deleted record just loses its documents.
 */
arca_status arca_index_record(arca_db *db, const arca_cat_record *r,
                              const arca_part_text *texts, int fresh);

/* Bring the index up to the catalog: index every head changed after
 * the index's recorded change number, then commit. */
arca_status arca_index_catch_up(arca_db *db, int from_scratch,
                                arca_progress_fn cb, void *ctx);

/* Commit the objects, the catalog transaction, then the index, in that
 * order (the durability rule).  Opens no new transaction. */
arca_status arca_commit_all(arca_db *db);

/* Record objects through a writer's loose journal (repair.c); an import
 * sets its own for the time it runs and puts this one back. */
void arca_journal_attach(arca_db *db);
/* DATA (named NAME) detected and its text extracted again, as an import
 * would (ingest.c); *text is malloc'd, NULL when it has none. */
arca_status arca_extract_again(arca_db *db, const void *data, size_t len,
                               const char *name, char **text, size_t *tlen,
                               char *err, size_t errlen);

#endif /* ARCA_PRIVATE_H */
