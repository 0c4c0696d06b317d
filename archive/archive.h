/*
 * archive.h: the object store and the catalog, the whole truth of a
 * collection.
 *
 * The object store keeps immutable byte strings named by the SHA-256 of
 * their content, zlib-compressed, under DIR/objects/XX/YYYY... (XX the
 * first two hex digits).  An object is written to a temporary file in its
 * fan-out directory, fsynced, published with link() (rename() where link
 * fails), and its directory is fsynced by arca_objects_sync() before any
 * catalog transaction that refers to it commits.  Every read re-hashes
 * what it inflates.
 *
 * Objects that arrive in bulk (an import's batch) are written instead into
 * one pack file per batch, DIR/objects/pack/pack-<16 random hex>.pack, each
 * entry the object's raw SHA-256, its size, its compressed size and its
 * zlib stream, the whole file written temp -> fsync -> rename -> fsync
 * dir like a loose object.  The catalog records where each packed object
 * lies; reads verify the entry's name and content as for loose objects.
 * Packs spare the file system an inode per object, which is most of the
 * cost of writing small objects.
 *
 * The catalog is an SQLite database (DIR/catalog.db, WAL mode) holding
 * every version of every record (deletions too), the parts of each
 * version and the objects they refer to, and the ledger of imports.
 *
 * Uses zlib, OpenSSL's libcrypto and SQLite.  Knows nothing of Xapian,
 * of file formats or of the ingest pipeline.
 */
#ifndef ARCA_ARCHIVE_H
#define ARCA_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../core/arca.h"

#define ARCA_HEX_LEN 64            /* SHA-256 in lower-case hex */
typedef char arca_hex[ARCA_HEX_LEN + 1];

/* ---- Hashing ---- */

/* SHA-256 of DATA as lower-case hex. */
void arca_sha256_hex(const void *data, size_t len, arca_hex out);
/* 1 if S is 64 lower-case hex digits. */
int arca_hex_valid(const char *s);

/* ---- System call seam (fault injection in tests) ---- */

/*
 * Every system call of archive/ that touches the disk goes through this
 * table, so that a test can make call N fail.  The defaults call libc.
 */
struct arca_sys {
    int (*open)(const char *path, int flags, mode_t mode);
    ssize_t (*write)(int fd, const void *buf, size_t n);
    int (*fsync)(int fd);
    int (*rename)(const char *from, const char *to);
    int (*link)(const char *from, const char *to);
    int (*mkdir)(const char *path, mode_t mode);
};
extern struct arca_sys arca_sys;

/* ---- zlib, wrapped once (zstream.c) ---- */

/*
 * Deflate IN into a malloc'd buffer (*out, *outlen): a zlib stream, made
 * by libdeflate at level 8 (sizes above 4 GiB are safe).
 */
arca_status arca_zdeflate(const void *in, size_t len, void **out,
                          size_t *outlen);
/*
 * Inflate a complete zlib stream.  Requires Z_STREAM_END and no trailing
 * bytes; refuses to produce more than MAX bytes (ARCA_ELIMIT).
 * ARCA_ECORRUPT for a damaged stream.
 */
arca_status arca_zinflate(const void *in, size_t len, size_t max, void **out,
                          size_t *outlen);

/* ---- The object store (objects.c) ---- */

typedef struct arca_objects arca_objects;

/*
 * Open the object store of the collection in DIR (DIR/objects).  With
 * CREATE the directory is made if missing.  Safe to use from several
 * threads at once.  On failure *out is NULL and errbuf has the message.
 */
arca_status arca_objects_open(const char *dir, int create, arca_objects **out,
                              char *errbuf, size_t errlen);
void arca_objects_close(arca_objects *os);
/* The last failure's message in this thread (thread-local). */
const char *arca_objects_errmsg(void);

/*
 * Store DATA; its name goes to HEX.  Deduplicated: an object already
 * present is not written again (*existed = 1).  The file is fsynced
 * before it is published; its directory is fsynced by arca_objects_sync().
 * *zsize (may be NULL) receives the stored (compressed) size.
 */
arca_status arca_objects_put(arca_objects *os, const void *data, size_t len,
                             arca_hex hex, int *existed, uint64_t *zsize);
/*
 * Store the bytes read from FD to its end (at most MAX; 0: no bound) as
 * an object, streaming: hashed and deflated a megabyte at a time into a
 * temporary file, fsynced, then published under its name, so memory
 * stays flat whatever the size.  *size gets the bytes read.
 */
arca_status arca_objects_put_fd(arca_objects *os, int fd, uint64_t max,
                                arca_hex hex, uint64_t *size, int *existed,
                                uint64_t *zsize);
/* Fsync every fan-out directory written since the last sync. */
arca_status arca_objects_sync(arca_objects *os);

/*
 * Read object HEX into a malloc'd buffer, verified: inflated completely,
 * re-hashed and compared with its name.  MAX bounds the inflated size
 * (0: 4 GiB).  ARCA_ENOTFOUND, ARCA_ECORRUPT, ARCA_ELIMIT, ARCA_EIO.
 */
arca_status arca_objects_get(arca_objects *os, const char *hex, size_t max,
                             void **data, size_t *len);
/*
 * Stream object HEX to SINK in pieces, hashing as it goes; a mismatch at
 * the end returns ARCA_ECORRUPT (the sink has then seen bad bytes: callers
 * that must not emit them read with arca_objects_get()).  A sink that
 * returns non-zero stops the stream with ARCA_EIO.
 */
arca_status arca_objects_stream(arca_objects *os, const char *hex,
                                arca_sink_fn sink, void *ctx,
                                uint64_t *size);
/* Verify object HEX (inflate and re-hash); its size to *size. */
arca_status arca_objects_verify(arca_objects *os, const char *hex,
                                uint64_t *size);
/* ---- Packs (objects.c) ---- */

/* The head of a pack entry: the raw SHA-256 (32 bytes), the size and the
 * compressed size (8 bytes each, little-endian); the zlib stream follows. */
#define ARCA_PACK_ENTRY_HEAD 48

/*
 * The end of the entry of object HEX at OFFSET in the pack open on FD
 * (PATH, for messages), read from the entry's head: OFFSET, the head and
 * the compressed stream.  ARCA_ECORRUPT if the entry names another
 * object or runs past the end of the file (*end is then 0); ERR says so.
 */
arca_status arca_pack_entry_end(int fd, const char *path, const char *hex,
                                uint64_t offset, uint64_t *end, char *err,
                                size_t errlen);

/* Where an object lies: in a pack at OFFSET, or loose (pack ""). */
typedef struct arca_objloc {
    char pack[40];           /* "pack-<16 hex>.pack", or "" */
    uint64_t offset;         /* of the object's entry in the pack */
} arca_objloc;

/*
 * Hash DATA into HEX and deflate it into a malloc'd *z (*zlen bytes),
 * checked by inflating it again.  Thread-safe: extraction threads
 * prepare objects that the writer then packs.
 */
arca_status arca_objects_deflate(const void *data, size_t len, arca_hex hex,
                                 void **z, size_t *zlen);

typedef struct arca_packw arca_packw;

/* Start a pack (a temporary file in DIR/objects/pack). */
arca_status arca_packw_open(arca_objects *os, arca_packw **out);
/* Append object HEX (SIZE bytes, deflated into Z); its entry's offset
 * goes to *offset. */
arca_status arca_packw_add(arca_packw *w, const char *hex, uint64_t size,
                           const void *z, size_t zlen, uint64_t *offset);
/* Objects in the pack so far (0 for NULL). */
uint64_t arca_packw_count(const arca_packw *w);
/* The name the pack will have ("pack-<16 hex>.pack"), for the catalog. */
const char *arca_packw_name(const arca_packw *w);
/*
 * Fsync the pack, rename it to its name and fsync its directory: only
 * then may a catalog transaction that refers to its objects commit.  W
 * is freed, whatever the outcome.
 */
arca_status arca_packw_finish(arca_packw *w);
/* Drop an unfinished pack (NULL-safe). */
void arca_packw_abort(arca_packw *w);
/* Remove temporary packs left by a writer that died (writers only). */
void arca_objects_clean_tmp(arca_objects *os);

/*
 * As arca_objects_get/stream/verify, for an object at LOC (NULL or a
 * loose location: the loose file).
 */
arca_status arca_objects_get_at(arca_objects *os, const char *hex,
                                const arca_objloc *loc, size_t max,
                                void **data, size_t *len);
arca_status arca_objects_stream_at(arca_objects *os, const char *hex,
                                   const arca_objloc *loc, arca_sink_fn sink,
                                   void *ctx, uint64_t *size);
arca_status arca_objects_verify_at(arca_objects *os, const char *hex,
                                   const arca_objloc *loc, uint64_t *size);

/* 1 if the object's file exists. */
int arca_objects_exists(arca_objects *os, const char *hex);
/* Call CB for each object file present (for fsck), in no set order. */
/*
 * Call CB for every entry of every pack (objects/pack/pack-*.pack), in
 * file order, with its size, stored size and place; a pack cut short ends
 * its walk, and one that is not a pack is skipped, each said to BAD.
 * Nothing is inflated.  CB returning non-zero stops the walk.
 */
arca_status arca_objects_foreach_packed(
    arca_objects *os,
    int (*cb)(void *ctx, const char *hex, uint64_t size, uint64_t zsize,
              const arca_objloc *loc),
    void (*bad)(void *ctx, const char *problem), void *ctx);
arca_status arca_objects_foreach(arca_objects *os,
                                 int (*cb)(void *ctx, const char *hex),
                                 void *ctx);

/* ---- The catalog (catalog.c) ---- */

typedef struct arca_catalog arca_catalog;

enum {
    ARCA_CATALOG_READ = 0,
    ARCA_CATALOG_WRITE = 1,
    ARCA_CATALOG_CREATE = 2 | 1
};

/* One part of a record version: its body (seq 0) or an attachment. */
typedef struct arca_cat_part {
    int seq;                 /* 0 for the body, 1.. for attachments */
    const char *name;        /* attachment or member name; NULL for a body */
    const char *mime;
    const char *charset;     /* the encoding its text was decoded from */
    const char *lang;
    const char *original;    /* hex of the original bytes, or NULL */
    const char *text;        /* hex of the extracted UTF-8 text, or NULL */
    int64_t size;            /* bytes of the original */
    const char *note;        /* e.g. "text truncated at 16 MiB", or NULL */
    const char *meta;        /* JSON object of extracted fields, or NULL */
} arca_cat_part;

/* One version of a record. */
typedef struct arca_cat_record {
    const char *id;
    int64_t version;         /* 1, 2, ...; set by put_record */
    int64_t seq;             /* catalog change number; set by put_record */
    const char *created;     /* ISO 8601 UTC; set by put_record */
    int deleted;
    const char *title, *date, *author, *board, *lang, *source;
    const char *tags;        /* JSON array of strings, or NULL */
    const char *extra;       /* JSON object, or NULL */
    arca_cat_part *parts;
    size_t nparts;
} arca_cat_record;

/*
 * The journal: put the record object JSON (LEN bytes) into the archive,
 * its row into the objects table, and its name into HEX; on failure say
 * why in ERR.  The catalog calls it for each version it adds.
 */
typedef arca_status (*arca_journal_fn)(void *ctx, const char *json,
                                       size_t len, arca_hex hex, char *err,
                                       size_t errlen);

/* Frees a record returned by the catalog (all of its strings too). */
void arca_cat_record_free(arca_cat_record *r);

arca_status arca_catalog_open(const char *path, int flags,
                              arca_catalog **out, char *errbuf,
                              size_t errlen);
void arca_catalog_close(arca_catalog *c);
const char *arca_catalog_errmsg(const arca_catalog *c);

/* Write transactions (BEGIN IMMEDIATE; ARCA_ELOCKED when busy). */
arca_status arca_catalog_begin(arca_catalog *c);
arca_status arca_catalog_commit(arca_catalog *c);
arca_status arca_catalog_rollback(arca_catalog *c);

/* Record that object HEX exists (size uncompressed, zsize stored). */
arca_status arca_catalog_put_object(arca_catalog *c, const char *hex,
                                    uint64_t size, uint64_t zsize);
/* The same for an object at LOC (NULL: loose). */
arca_status arca_catalog_put_object_at(arca_catalog *c, const char *hex,
                                       uint64_t size, uint64_t zsize,
                                       const arca_objloc *loc);
/* Where object HEX lies, and its size; ARCA_ENOTFOUND if unknown. */
arca_status arca_catalog_locate(arca_catalog *c, const char *hex,
                                arca_objloc *loc, uint64_t *size);

/*
 * Store REC as the new head version of REC->id.  If the head version has
 * the same fields and parts, nothing is written and *changed = 0.
 * Otherwise a version is added, *changed = 1, and REC->version/seq are set.
 * Every object the parts name must have been put first (ARCA_EINVAL).
 */
arca_status arca_catalog_put_record(arca_catalog *c, arca_cat_record *rec,
                                    int *changed);
/* Add a deletion version of ID.  ARCA_ENOTFOUND if no live record. */
arca_status arca_catalog_delete_record(arca_catalog *c, const char *id,
                                       int64_t *seq);
/* The head version of ID (deleted ones too), or ARCA_ENOTFOUND. */
arca_status arca_catalog_get_record(arca_catalog *c, const char *id,
                                    arca_cat_record **out);
/*
 * Call CB for the head version of every record changed after change
 * number AFTER (0: all), in order of seq; deletions included.  CB's
 * record is valid during the call.  CB returning non-zero stops it.
 */
arca_status arca_catalog_foreach_head(arca_catalog *c, int64_t after,
                                      int (*cb)(void *ctx,
                                                const arca_cat_record *r),
                                      void *ctx);
/* The last change number (0 when empty). */
arca_status arca_catalog_max_seq(arca_catalog *c, int64_t *seq);
/* Live records count (heads not deleted). */
arca_status arca_catalog_count_records(arca_catalog *c, uint64_t *n);

/* Versions added from now on get their record object through FN. */
void arca_catalog_set_journal(arca_catalog *c, arca_journal_fn fn,
                              void *ctx);
/* Write the record object of every version that has none; *n counts. */
arca_status arca_catalog_journal_missing(arca_catalog *c, uint64_t *n);

/* ---- Rebuilding (arca fsck --repair) ---- */

/*
 * Copy into C (a catalog just created) every row SQLite still reads from
 * the damaged catalog at PATH, each table read from its start and, past
 * damage, from its end.  One line per table to CB; *rows counts rows.
 */
arca_status arca_catalog_salvage(arca_catalog *c, const char *path,
                                 void (*cb)(void *ctx, const char *line),
                                 void *ctx, uint64_t *rows);
/* Add the version the record object JSON (named HEX) holds, and its
 * parts, unless there already; *added says whether it was missing. */
arca_status arca_catalog_restore(arca_catalog *c, const char *hex,
                                 const char *json, size_t len, int *added);
/* Each record's head is its latest version; orphan parts go. */
arca_status arca_catalog_rebuild_heads(arca_catalog *c);
arca_status arca_catalog_foreign_keys(arca_catalog *c, int on);
/* Object HEX's row now says it lies at LOC (NULL: loose), ZSIZE bytes. */
arca_status arca_catalog_relocate(arca_catalog *c, const char *hex,
                                  uint64_t zsize, const arca_objloc *loc);
/* Each row of SQL (its ?1 bound to ARG unless NULL) as text columns to
 * CB, which returns non-zero to stop. */
arca_status arca_catalog_query(arca_catalog *c, const char *sql,
                               const char *arg,
                               int (*cb)(void *ctx, int ncol,
                                         const char *const *cols),
                               void *ctx);

/* ---- The import ledger ---- */

typedef struct arca_ledger {
    const char *path;        /* absolute, canonical */
    int64_t size;
    int64_t mtime_ns;
    const char *sha256;      /* content hash, or NULL */
    const char *record;      /* record id, or NULL */
    const char *outcome;     /* "imported", "unchanged", "failed", "skipped",
                                "sidecar" (a sidecar file's own row) */
    const char *error;       /* or NULL */
    int needs_ocr;           /* read without OCR, it holds images or
                                scanned pages that OCR would read */
} arca_ledger;

arca_status arca_catalog_run_begin(arca_catalog *c, const char *args,
                                   int64_t *run);
arca_status arca_catalog_run_end(arca_catalog *c, int64_t run,
                                 const char *status);
/* Insert or replace the ledger row of E->path. */
arca_status arca_catalog_ledger_put(arca_catalog *c, int64_t run,
                                    const arca_ledger *e);
/*
 * The ledger row of PATH; its strings are malloc'd into *out and freed
 * with arca_ledger_clear().  ARCA_ENOTFOUND when never seen.
 */
arca_status arca_catalog_ledger_get(arca_catalog *c, const char *path,
                                    arca_ledger *out);
void arca_ledger_clear(arca_ledger *e);

/* ---- Checks and figures ---- */

/*
 * SQLite's integrity check and the catalog's own references: every part's
 * object is in the objects table, every head version exists.  Each
 * problem goes to CB as one line; *n counts them.
 */
arca_status arca_catalog_check(arca_catalog *c,
                               void (*cb)(void *ctx, const char *problem),
                               void *ctx, uint64_t *n);
/* Call CB for every object the catalog knows, with where it lies. */
arca_status arca_catalog_foreach_object(arca_catalog *c,
                                        int (*cb)(void *ctx, const char *hex,
                                                  uint64_t size,
                                                  uint64_t zsize,
                                                  const arca_objloc *loc),
                                        void *ctx);

typedef struct arca_cat_stats {
    uint64_t records, versions, parts, objects, bytes, stored_bytes;
} arca_cat_stats;
arca_status arca_catalog_stats(arca_catalog *c, arca_cat_stats *out);

#endif /* ARCA_ARCHIVE_H */
