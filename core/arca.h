/*
 * arca.h: the public interface of libarca.
 *
 * libarca keeps every original file it is given in a content-addressed,
 * zlib-compressed archive (objects/), records what it holds in an SQLite
 * catalog (catalog.db), extracts UTF-8 text from each file, and indexes it
 * with Xapian (index/, derived: `arca reindex` rebuilds it from the archive).
 *
 * Conventions:
 * - Every call that can fail returns an arca_status; ARCA_OK is zero.
 *   Results go out through the last parameter(s), which are NULL on failure.
 * - A handle keeps the message of its last failure: arca_db_errmsg().  It
 *   names the file and the reason and is valid until the next call.
 * - A child belongs to its parent: a result set is valid until it is
 *   destroyed or its collection is closed.  Every _close/_destroy is NULL-safe.
 * - All text in and out is UTF-8.
 */
#ifndef ARCA_H
#define ARCA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define ARCA_BEGIN_DECLS extern "C" {
#define ARCA_END_DECLS }
#else
#define ARCA_BEGIN_DECLS
#define ARCA_END_DECLS
#endif

ARCA_BEGIN_DECLS

#define ARCA_VERSION "0.1.0"

/* ---- Status codes ---- */

typedef enum arca_status {
    ARCA_OK = 0,       /* success */
    ARCA_ENOMEM,       /* an allocation failed */
    ARCA_EIO,          /* a system call failed; the message names file and errno */
    ARCA_ECORRUPT,     /* stored bytes failed verification (hash, zlib, SQLite) */
    ARCA_ELOCKED,      /* another writer holds the collection */
    ARCA_ERETRY,       /* the index changed under a reader: reopen and retry */
    ARCA_EQUERY,       /* the query does not parse */
    ARCA_EUNSUPPORTED, /* no indexer for this type, or an optional part is absent */
    ARCA_EFORMAT,      /* the input is malformed for its type */
    ARCA_ELIMIT,       /* a configured limit (size, depth, count, ratio) refused it */
    ARCA_ENOTFOUND,    /* no such collection, record, attachment or object */
    ARCA_EINVAL,       /* an argument is out of range or malformed */
    ARCA_EEXIST,       /* the thing to create is there already */
    ARCA_EINDEX,       /* the Xapian index failed otherwise */
    ARCA_EINTERNAL,    /* a bug: an unexpected exception or state */
    ARCA_STATUS_COUNT
} arca_status;

/* A short English phrase for a status ("object store corrupt", ...). */
const char *arca_status_str(arca_status st);

/* ---- Collections ---- */

typedef struct arca_db arca_db;

enum {
    ARCA_RDONLY = 0,   /* search and read only; many readers may run at once */
    ARCA_WRITE  = 1,   /* one writer at a time; others get ARCA_ELOCKED */
};

/*
 * Create an empty collection in DIR (made if missing; it must be empty
 * or not exist).  Return value: ARCA_OK, ARCA_EEXIST (a collection is
 * there), ARCA_EIO.  errbuf receives the message on failure.
 */
arca_status arca_db_init(const char *dir, char *errbuf, size_t errlen);

/*
 * Open the collection in DIR.  *out is owned by the caller; close it with
 * arca_db_close().  On failure *out is NULL and errbuf holds the message.
 * A writer reconciles the index with the catalog on open (work lost by a
 * crash between the catalog's commit and the index's is redone).
 */
arca_status arca_db_open(const char *dir, int flags, arca_db **out,
                         char *errbuf, size_t errlen);
void arca_db_close(arca_db *db);

/*
 * Open, read-only, the collection in DIR (NULL: none) with the shards
 * SPECS[0..n): searches on *out span them all as one index (scores,
 * totals, sorting, facets over everything).  A spec is tcp://HOST:PORT,
 * an index `arca shard serve` serves (its HTTP side, for texts and
 * originals, on PORT+1 unless written tcp://HOST:PORT?http=H), or a
 * collection directory.  Hits from a shard name it (arca_hit.shard).
 * With no DIR the handle only searches.  Return value: ARCA_OK,
 * ARCA_EIO (a shard cannot be reached: errbuf names it), ARCA_EINVAL (a
 * malformed spec), ARCA_ELIMIT (more than 64 shards), and
 * arca_db_open()'s.
 */
arca_status arca_db_open_shards(const char *dir, const char *const *specs,
                                size_t n, arca_db **out, char *errbuf,
                                size_t errlen);

/* The message of the last failure on DB (never NULL; "" if none). */
const char *arca_db_errmsg(const arca_db *db);

/*
 * A reader sees the index as it was when it opened; this moves it to the
 * latest commit (cheap when nothing changed), so a long-lived reader such
 * as `arca serve` sees new imports.
 */
arca_status arca_db_refresh(arca_db *db);
const char *arca_db_dir(const arca_db *db);

/* ---- Records ---- */

/* A record as a caller gives it to arca_db_add(). */
typedef struct arca_attachment_in {
    const char *path;     /* file to read, or NULL to use data/len */
    const char *name;     /* name shown (defaults to the path's base name) */
    const void *data;
    size_t len;
} arca_attachment_in;

typedef struct arca_record_in {
    const char *id;       /* NULL: derived from date and title */
    const char *title;
    const char *date;     /* ISO 8601 date, or a year */
    const char *author;
    const char *board;
    const char *lang;     /* NULL: detected */
    const char *source;
    const char *const *tags;
    size_t ntags;
    const char *const *extra;   /* name, value, name, value, ... */
    size_t nextra;              /* number of pairs */
    const char *body_path;      /* a file whose text is the body, or NULL */
    const void *body;           /* or the body's bytes */
    size_t body_len;
    const arca_attachment_in *attachments;
    size_t nattachments;
} arca_record_in;

/*
 * Archive, catalogue and index one record with its attachments.  The
 * record's id is copied into idbuf.  Return value: ARCA_OK, ARCA_EINVAL
 * (a field is malformed: bad date...), ARCA_EIO, ARCA_ELOCKED ...
 */
arca_status arca_db_add(arca_db *db, const arca_record_in *rec,
                        char *idbuf, size_t idlen);

/*
 * The record ID as JSON (every field, its parts with their objects, its
 * version), in *json, owned by the caller (free()).
 */
arca_status arca_db_record_json(arca_db *db, const char *id, int with_text,
                                char **json);

/*
 * Write the original bytes of an object (by SHA-256 hex), or of a record's
 * part ("ID" for its body's original, "ID/NAME" for an attachment), to
 * SINK.  The bytes are verified against their hash as they are read; on a
 * mismatch the call fails with ARCA_ECORRUPT.
 */
typedef int (*arca_sink_fn)(void *ctx, const void *data, size_t len);
arca_status arca_db_get(arca_db *db, const char *what, arca_sink_fn sink,
                        void *ctx);

/* ---- Import ---- */

typedef enum arca_outcome {
    ARCA_IMPORTED,   /* a new record or a new version of one */
    ARCA_UNCHANGED,  /* seen before, same content: skipped */
    ARCA_SKIPPED,    /* not imported on purpose (sidecar, ignored name) */
    ARCA_FAILED      /* could not be read or extracted: see the message */
} arca_outcome;

typedef struct arca_import_event {
    const char *path;       /* as given, joined with the path below it */
    arca_outcome outcome;
    const char *id;         /* the record's id, when there is one */
    const char *mime;
    const char *charset;    /* the encoding the text was decoded from */
    uint64_t bytes;
    const char *error;      /* why it failed, for ARCA_FAILED */
    const char *warning;    /* imported, but something is worth knowing */
    size_t records;         /* records the file gave: 1, or a mailbox's
                               messages; 0 when not extracted */
    double ms;              /* milliseconds from when a worker took the
                               file (or the walk saw it, for a file that
                               was not extracted) to its commit */
} arca_import_event;

typedef void (*arca_import_fn)(void *ctx, const arca_import_event *ev);

typedef struct arca_import_summary {
    uint64_t files, records, parts, skipped, unchanged, failed, bytes;
    double seconds;
    /* What the import will see, counted before it starts when asked
     * (count_first): files as the import counts them (a folder record is
     * one) and their bytes; 0 when not counted or not known in time. */
    uint64_t total_files, total_bytes;
    uint64_t done;          /* files finished so far (FILES counts those
                               the walk has handed on) */
} arca_import_summary;

/* Called in the caller's thread as each file is done (CURRENT), before
 * it is committed: for progress displays. */
typedef void (*arca_progress_import_fn)(void *ctx,
                                        const arca_import_summary *sofar,
                                        const char *current);

/*
 * Each option left 0 (or NULL) takes the collection's setting from the
 * `import` table of its config.lua, else arca's default.
 */
typedef struct arca_import_opts {
    int jobs;               /* extraction threads; 0: the number of cores */
    int dry_run;            /* detect and extract, store nothing */
    uint64_t max_file;      /* bytes; 0: default (256 MiB) */
    uint64_t max_text;      /* bytes of text per part; 0: default (16 MiB) */
    unsigned batch;         /* files per commit; 0: default */
    int ocr;                /* read the text of images and scans: 1 yes,
                               -1 no, 0 as the collection says (no) */
    const char *ocr_langs;  /* tesseract's "kor+eng"; NULL: all installed */
    arca_import_fn on_file; /* each file, once its outcome is committed */
    arca_progress_import_fn on_progress;
    void *ctx;
    /* A catalogue manifest: a CSV whose header names its columns, one of
     * them ("path" or "file") the file, relative to the manifest's folder
     * or absolute, the others its fields (title, date, author, board,
     * lang, tags (comma-separated), source, id; other names become extra
     * fields).  NULL: none.  With no PATHS, its files are the import. */
    const char *manifest;
    const char *manifest_map;  /* "Titel=title,Datei=path": its headers
                                  renamed to fields, or NULL */
    /* Fields from the folders below each PATH: a pattern of components
     * separated by slashes, matched against the path below PATH, the
     * file's name included.  An upper-case word names a field taken from
     * that component: BOARD, YEAR (the date, when nothing else gives
     * one), AUTHOR, LANG, TAG (a tag), any other word lower-cased an
     * extra field.  A star is any one component, two stars any number,
     * other text must equal the component.  "BOARD" then "YEAR" then two
     * stars gives the first folder's name as the board and the second's
     * as the year.  A path that does not match gets no fields from it.
     * NULL: none. */
    const char *fields_from_path;
    /* Walk the paths once first to count their files and bytes (for
     * progress: a share done and a time left); given up after a few
     * seconds on a very large tree. */
    int count_first;
    /* The paths are files found inside this folder (a drop folder): one
     * that lies inside a folder record below it imports that folder, once
     * per call, instead of the file alone.  NULL: the paths as given. */
    const char *folder_root;
} arca_import_opts;

/*
 * Import the files and directories in PATHS (recursively).  A file
 * NAME.meta.json beside NAME gives that record's fields.  A record's
 * fields come from, the later winning field by field: its content (an
 * HTML title, a PDF's author), opts->fields_from_path, the manifest's row
 * of the file, its sidecar, then the config.lua hooks; a date from the
 * path's YEAR gives way to a date in the content within that year too.
 * A file the manifest lists that is not there is one ARCA_FAILED event
 * naming the manifest's line.  The manifest itself, when among the files
 * walked, is skipped.  Re-running skips unchanged files (a changed
 * manifest row, path fields or sidecar count as a change).  The import goes on past files that fail; each is
 * reported to opts->on_file with the reason.  Return value: ARCA_OK when it
 * ran through (even if files failed), else the status that stopped it.
 */
arca_status arca_db_import(arca_db *db, const char *const *paths,
                           size_t npaths, const arca_import_opts *opts,
                           arca_import_summary *sum);

/* ---- Search ---- */

typedef enum arca_sort {
    ARCA_SORT_RELEVANCE = 0,
    ARCA_SORT_DATE,         /* newest first */
    ARCA_SORT_DATE_ASC
} arca_sort;

typedef struct arca_search_opts {
    unsigned offset;
    unsigned limit;          /* 0: 10 */
    arca_sort sort;
    int collapse;            /* one hit per record (default on: use 1) */
    unsigned snippet_len;    /* characters; 0: 200 */
    const char *const *facets;  /* "year", "board", "type", "lang", "author" */
    size_t nfacets;
    const char *filter;      /* a second query ANDed as a filter, or NULL */
    int estimate;            /* 1: the total may be an estimate; the search
                                then looks only as far as this page, which
                                makes walking the pages of a long result
                                cheaper (facets stay exact) */
    int same_revision;       /* 1: a walk's next page: at the revision the
                                handle is on, or ARCA_ERETRY if a writer's
                                commits have overwritten it (never a page
                                of a newer revision, which would repeat
                                and miss hits) */
} arca_search_opts;

typedef struct arca_attachment {
    unsigned part;           /* its number in the record: arca get ID/PART */
    const char *name;
    const char *type;
    uint64_t size;
    const char *sha256;
    const char *url;         /* a remote shard's hit: where its arca serve
                                gives the bytes; else NULL */
} arca_attachment;

typedef struct arca_hit {
    unsigned rank;           /* 1-based, counting from offset */
    double score;
    const char *id, *title, *date, *author, *board, *lang, *type, *source;
    const char *part;        /* attachment that matched, or NULL for the body */
    const char *snippet;     /* HTML-escaped, matches in <b>...</b> */
    const char *sha256;      /* original of the matching part */
    const char *text_sha256; /* its extracted text */
    const arca_attachment *attachments;
    size_t nattachments;
    const char *shard;       /* the shard's spec, for a hit from a shard;
                                NULL for the collection's own */
} arca_hit;

typedef struct arca_facet_value {
    const char *value;
    uint64_t count;
} arca_facet_value;

typedef struct arca_results arca_results;

/*
 * Run QUERY (Xapian QueryParser syntax plus the field prefixes title:
 * author: board: tag: type: lang: year: date: and ranges such as
 * year:2020..2023).  *out is owned by the caller: arca_results_destroy().
 * Return value: ARCA_OK, ARCA_EQUERY (the message says why), ARCA_EINDEX.
 */
arca_status arca_db_search(arca_db *db, const char *query,
                           const arca_search_opts *opts, arca_results **out);
uint64_t arca_results_total(const arca_results *r);
size_t arca_results_count(const arca_results *r);
/* The i-th hit; owned by R. */
const arca_hit *arca_results_hit(const arca_results *r, size_t i);
/* Facet values of NAME, most frequent first; owned by R. */
const arca_facet_value *arca_results_facet(const arca_results *r,
                                           const char *name, size_t *n);
/* A spelling suggestion for the query, or NULL. */
const char *arca_results_suggestion(const arca_results *r);
void arca_results_destroy(arca_results *r);

/*
 * Each term of the index that starts with PREFIX, in byte order, with
 * the number of indexed parts that carry it, to CB; CB returns nonzero to
 * stop.  Terms are raw Xapian terms: free-text words are lowercase, field
 * terms start with their prefix (Y year, S title, A author, XB board,
 * T type, L language, K tag; see core/xdb.h), stems with Z.  The callback
 * must not call back into DB.  Return value: ARCA_OK, ARCA_ELIMIT (a
 * prefix longer than a term can be), ARCA_EINDEX.
 */
typedef int (*arca_term_fn)(void *ctx, const char *term, uint64_t freq);
arca_status arca_db_terms(arca_db *db, const char *prefix, arca_term_fn cb,
                          void *ctx);

/* ---- Formats ---- */

/* A MIME type arca extracts text from (a family ends in "/" "*"). */
typedef struct arca_format {
    const char *mime;
    const char *indexer;     /* the name of the indexer that reads it */
    int ocr;                 /* 1: with OCR on, its pictures are read too */
} arca_format;
typedef void (*arca_format_fn)(void *ctx, const arca_format *f);
/* Each format, to CB. */
void arca_formats(arca_format_fn cb, void *ctx);

/* The optional parts of reading: OCR, and filter programs. */
typedef struct arca_readers {
    const char *ocr_engine;     /* "tesseract 5.3.0" */
    const char *ocr_languages;  /* the default languages installed, as
                                   "kor+eng+chi_sim+jpn+rus"; "" if none */
    const char *ocr_missing;    /* the default languages not installed */
    const char *filters;        /* external programs run: "" (none) */
} arca_readers;
/* Fill OUT (static strings; the OCR part costs a tesseract start). */
void arca_readers_info(arca_readers *out);

/* ---- Maintenance ---- */

typedef struct arca_stats {
    uint64_t records, versions, parts, objects;
    uint64_t bytes;          /* originals and texts, uncompressed */
    uint64_t stored_bytes;   /* as stored, compressed */
    uint64_t index_docs;
    uint64_t index_bytes;
} arca_stats;
arca_status arca_db_stats(arca_db *db, arca_stats *out);

/* Report each problem found; returns ARCA_OK only when none was found. */
typedef void (*arca_problem_fn)(void *ctx, const char *problem);
arca_status arca_db_fsck(arca_db *db, arca_problem_fn cb, void *ctx,
                         uint64_t *nproblems);

/* Rebuild the index from the catalog and the objects alone. */
/*
 * Rebuild what the archive can give back in the collection at DIR (a
 * damaged or lost catalog, damaged or missing objects, record objects,
 * the index), saying each step to CB as one line: "fixed: ...", "lost:
 * ..." (cannot be rebuilt), "note: ...", and, after a last fsck,
 * "problem: ..." for each problem left (*nleft counts those).  Needs
 * the collection to itself: ARCA_ELOCKED while another writer has it.
 */
arca_status arca_db_repair(const char *dir, arca_problem_fn cb, void *ctx,
                           uint64_t *nleft, char *err, size_t errlen);

typedef void (*arca_progress_fn)(void *ctx, uint64_t done, uint64_t total);
arca_status arca_db_reindex(arca_db *db, arca_progress_fn cb, void *ctx);

/* ---- Backup (backup.c) ---- */

typedef struct arca_backup_summary {
    uint64_t objects;        /* objects the catalog refers to */
    uint64_t records;        /* live records */
    uint64_t members;        /* members of the tar, the manifest included */
    uint64_t bytes;          /* export: bytes of the tar; restore and
                                verify: bytes of its members */
    double seconds;
} arca_backup_summary;

/*
 * Back the collection in DIR up into FILE, a tar ("-": standard output):
 * catalog.db, a snapshot of the catalog taken with SQLite's online backup
 * (consistent while imports run; no lock is taken); exactly the objects it
 * refers to (objects/XX/..., and each pack cut after the last entry it
 * needs); config.lua and reports/; last arca-export.json, the manifest:
 * every member's path, size and SHA-256, the format's version, arca's,
 * the date and the counts.  Not the index: a restore rebuilds it.  FILE is
 * written as FILE.tmp, fsynced, then renamed; an existing FILE is refused
 * unless FORCE.  Return value: ARCA_OK, ARCA_EEXIST (FILE, or FILE.tmp,
 * is there), ARCA_ENOTFOUND (no collection in DIR), ARCA_ECORRUPT (an
 * object the catalog refers to is missing or cut short), ARCA_ELOCKED,
 * ARCA_EIO, ARCA_ENOMEM.  ERR names the file and the reason.
 */
arca_status arca_export(const char *dir, const char *file, int force,
                        arca_backup_summary *sum, char *err, size_t errlen);

/*
 * Check the export FILE ("-": standard input) without restoring it: only
 * the names and types an export writes (regular files), each member's
 * size and SHA-256 as the manifest says, none missing, none extra; the
 * catalog in it passes SQLite's integrity check and the catalog's
 * reference checks, and every object it refers to is in the tar.  Each
 * problem of the catalog to PROBLEM.  Return value: ARCA_OK, ARCA_EFORMAT
 * (a member refused, the tar or the manifest malformed), ARCA_ECORRUPT (a
 * member damaged or missing, or problems in the catalog), ARCA_ELIMIT,
 * ARCA_EUNSUPPORTED (a newer format), ARCA_ENOTFOUND, ARCA_EIO.
 */
arca_status arca_export_verify(const char *file, arca_problem_fn problem,
                               void *ctx, arca_backup_summary *sum,
                               char *err, size_t errlen);

/*
 * Restore the export FILE ("-": standard input) into DIR, which must not
 * exist or be empty.  The members are checked as arca_export_verify()
 * does while they are written into DIR.restoring-XXXXXX beside DIR; then
 * the index is rebuilt (arca_db_reindex(), PROGRESS its progress) and the
 * collection checked (arca_db_fsck(), each problem to PROBLEM); only
 * then is it renamed to DIR.  On failure nothing is left behind.  Return
 * value: as arca_export_verify(), and ARCA_EEXIST (DIR is not empty).
 */
arca_status arca_restore(const char *file, const char *dir,
                         arca_problem_fn problem, arca_progress_fn progress,
                         void *ctx, arca_backup_summary *sum, char *err,
                         size_t errlen);

ARCA_END_DECLS

#endif /* ARCA_H */
