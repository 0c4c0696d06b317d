/*
 * catalog.c: the catalog, an SQLite database (DIR/catalog.db).
 *
 * Tables (see SCHEMA below; versioned by PRAGMA user_version):
 *   objects   every archived object: sha256, size, zsize, added
 *   versions  every version of every record, deletions too; seq is the
 *             change number (AUTOINCREMENT, so never reused); manifest
 *             names its record object (below)
 *   heads     the current version of each record id
 *   parts     the parts (body, attachments) of each version
 *   runs      one row per import run
 *   ledger    what each imported path was last seen as
 * Fields are columns, not one JSON blob, so an administrator can query
 * the catalog with the sqlite3 shell; tags, extra and meta hold JSON.
 *
 * Each version is also written out as a record object: a JSON object
 * {"arca": "record", ...} of its fields and parts, stored in the archive
 * like any object through the journal callback the owner sets.  The
 * archive's objects then hold the whole truth of its records, and a
 * catalog lost or damaged is rebuilt from them (arca_catalog_restore()).
 *
 * Writers use WAL mode with synchronous=FULL: in WAL mode NORMAL may
 * lose the last commits on power loss, and what arca reports as imported
 * must survive.  Readers open read-only and work while a writer writes.
 * A handle is used by one thread at a time; its hot statements are
 * prepared once and kept until close.
 *
 * Every failure leaves a message on the handle naming the catalog's path
 * and SQLite's reason.  Knows nothing of the object files: callers put an
 * object's row after arca_objects_put() and sync before committing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "archive-private.h"

#define CATALOG_VERSION 3
#define BUSY_TIMEOUT_MS 5000

static const char SCHEMA[] =
    "CREATE TABLE objects(\n"
    "  sha256 TEXT PRIMARY KEY NOT NULL,\n"
    "  size INTEGER NOT NULL CHECK (size >= 0),\n"
    "  zsize INTEGER NOT NULL CHECK (zsize >= 0),\n"
    "  added TEXT NOT NULL,\n"
    "  pack TEXT,\n"
    "  offset INTEGER CHECK ((pack IS NULL) = (offset IS NULL))\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE versions(\n"
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  id TEXT NOT NULL CHECK (length(id) > 0),\n"
    "  version INTEGER NOT NULL CHECK (version > 0),\n"
    "  created TEXT NOT NULL,\n"
    "  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),\n"
    "  title TEXT, date TEXT, author TEXT, board TEXT, lang TEXT,\n"
    "  source TEXT,\n"
    "  tags TEXT CONSTRAINT tags_must_be_a_json_array CHECK (tags IS NULL\n"
    "    OR CASE WHEN json_valid(tags) THEN json_type(tags) = 'array'\n"
    "    ELSE 0 END),\n"
    "  extra TEXT CONSTRAINT extra_must_be_a_json_object CHECK (extra IS\n"
    "    NULL OR CASE WHEN json_valid(extra) THEN json_type(extra) =\n"
    "    'object' ELSE 0 END),\n"
    "  manifest TEXT REFERENCES objects(sha256),\n"
    "  UNIQUE (id, version)\n"
    ");\n"
    "CREATE TABLE heads(\n"
    "  id TEXT PRIMARY KEY NOT NULL,\n"
    "  seq INTEGER NOT NULL REFERENCES versions(seq)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX heads_seq ON heads(seq);\n"
    "CREATE TABLE parts(\n"
    "  seq INTEGER NOT NULL REFERENCES versions(seq),\n"
    "  part INTEGER NOT NULL CHECK (part >= 0),\n"
    "  name TEXT, mime TEXT, charset TEXT, lang TEXT,\n"
    "  original TEXT REFERENCES objects(sha256),\n"
    "  text TEXT REFERENCES objects(sha256),\n"
    "  size INTEGER,\n"
    "  note TEXT,\n"
    "  meta TEXT CONSTRAINT meta_must_be_a_json_object CHECK (meta IS\n"
    "    NULL OR CASE WHEN json_valid(meta) THEN json_type(meta) =\n"
    "    'object' ELSE 0 END),\n"
    "  PRIMARY KEY (seq, part)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE runs(\n"
    "  run INTEGER PRIMARY KEY,\n"
    "  started TEXT NOT NULL,\n"
    "  finished TEXT,\n"
    "  args TEXT,\n"
    "  status TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE ledger(\n"
    "  path TEXT PRIMARY KEY NOT NULL,\n"
    "  size INTEGER,\n"
    "  mtime_ns INTEGER,\n"
    "  sha256 TEXT,\n"
    "  record TEXT,\n"
    "  outcome TEXT NOT NULL CONSTRAINT outcome_must_be_known\n"
    "    CHECK (outcome IN ('imported', 'unchanged', 'failed', 'skipped',\n"
    "                       'sidecar')),\n"
    "  error TEXT,\n"
    "  run INTEGER REFERENCES runs(run),\n"
    "  seen TEXT NOT NULL,\n"
    "  needs_ocr INTEGER NOT NULL DEFAULT 0 CHECK (needs_ocr IN (0, 1))\n"
    ") WITHOUT ROWID;\n";

/* From each version to the next, in order: MIGRATE[v - 1] takes v to v+1. */
static const char *const MIGRATE[] = {
    /* 1 -> 2: files read without OCR that hold images or scanned pages. */
    "ALTER TABLE ledger ADD COLUMN needs_ocr INTEGER NOT NULL DEFAULT 0 "
    "CHECK (needs_ocr IN (0, 1));"
    "UPDATE ledger SET needs_ocr = 1 WHERE record IN (SELECT h.id FROM "
    "heads h JOIN parts p ON p.seq = h.seq WHERE p.mime LIKE 'image/%' OR "
    "p.meta LIKE '%\"pages_without_text\"%')",
    /* 2 -> 3: each version's record object (arca fsck --repair writes
     * those of versions made before). */
    "ALTER TABLE versions ADD COLUMN manifest TEXT "
    "REFERENCES objects(sha256)",
};

/* The tables a catalog of CATALOG_VERSION must have. */
static const char *const TABLES[] = {
    "objects", "versions", "heads", "parts", "runs", "ledger",
};
#define NTABLES (sizeof TABLES / sizeof TABLES[0])

/* ---- Cached statements ---- */

enum {
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
    ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
    ST_OBJ_PUT, ST_OBJ_HAS, ST_OBJ_LOC,
    ST_HEAD, ST_PARTS,
    ST_VER_INS, ST_VER_DEL, ST_PART_INS, ST_HEAD_SET,
    ST_LEDGER_PUT, ST_LEDGER_GET,
    ST_JOURNAL_JSON, ST_JOURNAL_SET,
    ST_COUNT
};

#define VERSION_COLS \
    "v.seq, v.id, v.version, v.created, v.deleted, v.title, v.date, " \
    "v.author, v.board, v.lang, v.source, v.tags, v.extra"

#define PARTS_SQL \
    "SELECT part, name, mime, charset, lang, original, text, size, note, " \
    "meta FROM parts WHERE seq = ?1 ORDER BY part"

/*
 * The record object of a version (v), in one form whatever the SQLite:
 * keys in a fixed order, parts by number.  A version's object never
 * changes, so writing it twice stores it once.
 */
#define RECORD_JSON_SQL \
    "SELECT v.seq, json_object('arca', 'record', 'format', 1, " \
    "'id', v.id, 'version', v.version, 'created', v.created, " \
    "'deleted', v.deleted, 'title', v.title, 'date', v.date, " \
    "'author', v.author, 'board', v.board, 'lang', v.lang, " \
    "'source', v.source, 'tags', json(v.tags), 'extra', json(v.extra), " \
    "'parts', (SELECT json_group_array(json_object('part', p.part, " \
    "'name', p.name, 'mime', p.mime, 'charset', p.charset, " \
    "'lang', p.lang, 'original', p.original, 'text', p.text, " \
    "'size', p.size, 'note', p.note, 'meta', json(p.meta))) FROM " \
    "(SELECT * FROM parts WHERE seq = v.seq ORDER BY part) p)) " \
    "FROM versions v"

static const char *const STMT_SQL[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT arca_put",
    [ST_RELEASE] = "RELEASE arca_put",
    [ST_ROLLBACK_TO] = "ROLLBACK TO arca_put",
    [ST_OBJ_PUT] =
        "INSERT INTO objects(sha256, size, zsize, added, pack, offset) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(sha256) DO NOTHING",
    [ST_OBJ_HAS] = "SELECT 1 FROM objects WHERE sha256 = ?1",
    [ST_OBJ_LOC] = "SELECT pack, offset, size FROM objects WHERE sha256 = ?1",
    [ST_HEAD] =
        "SELECT " VERSION_COLS " FROM heads h "
        "JOIN versions v ON v.seq = h.seq WHERE h.id = ?1",
    [ST_PARTS] = PARTS_SQL,
    [ST_VER_INS] =
        "INSERT INTO versions(id, version, created, deleted, title, date, "
        "author, board, lang, source, tags, extra) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [ST_VER_DEL] =
        "INSERT INTO versions(id, version, created, deleted, title, date, "
        "author, board, lang, source, tags, extra) "
        "SELECT id, version + 1, ?2, 1, title, date, author, board, lang, "
        "source, tags, extra FROM versions WHERE seq = ?1",
    [ST_PART_INS] =
        "INSERT INTO parts(seq, part, name, mime, charset, lang, original, "
        "text, size, note, meta) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_HEAD_SET] =
        "INSERT INTO heads(id, seq) VALUES (?1, ?2) "
        "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq",
    [ST_LEDGER_PUT] =
        "INSERT INTO ledger(path, size, mtime_ns, sha256, record, outcome, "
        "error, run, seen, needs_ocr) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
        "ON CONFLICT(path) DO UPDATE SET size = excluded.size, "
        "mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256, "
        "record = excluded.record, outcome = excluded.outcome, "
        "error = excluded.error, run = excluded.run, seen = excluded.seen, "
        "needs_ocr = excluded.needs_ocr",
    [ST_LEDGER_GET] =
        "SELECT path, size, mtime_ns, sha256, record, outcome, error, "
        "needs_ocr FROM ledger WHERE path = ?1",
    [ST_JOURNAL_JSON] = RECORD_JSON_SQL " WHERE v.seq = ?1",
    [ST_JOURNAL_SET] = "UPDATE versions SET manifest = ?2 WHERE seq = ?1",
};

struct arca_catalog {
    sqlite3 *db;
    char *path;                    /* owned */
    int flags;
    sqlite3_stmt *st[ST_COUNT];    /* prepared on first use; owned */
    char created[32];              /* rec->created of the last put_record */
    arca_journal_fn journal;       /* stores record objects, or NULL */
    void *journal_ctx;
    char err[1024];
};

/* ---- Messages and status ---- */

/* SQLite's primary result codes and what they mean to arca. */
static const struct {
    int code;
    arca_status st;
} SQLITE_MAP[] = {
    { SQLITE_BUSY, ARCA_ELOCKED },
    { SQLITE_LOCKED, ARCA_ELOCKED },
    { SQLITE_NOMEM, ARCA_ENOMEM },
    { SQLITE_CORRUPT, ARCA_ECORRUPT },
    { SQLITE_NOTADB, ARCA_ECORRUPT },
    { SQLITE_FORMAT, ARCA_ECORRUPT },
    { SQLITE_CONSTRAINT, ARCA_EINVAL },
    { SQLITE_MISMATCH, ARCA_EINVAL },
    { SQLITE_RANGE, ARCA_EINVAL },
    { SQLITE_TOOBIG, ARCA_ELIMIT },
    { SQLITE_IOERR, ARCA_EIO },
    { SQLITE_FULL, ARCA_EIO },
    { SQLITE_CANTOPEN, ARCA_EIO },
    { SQLITE_READONLY, ARCA_EIO },
    { SQLITE_PERM, ARCA_EIO },
    { SQLITE_PROTOCOL, ARCA_EIO },
    { SQLITE_AUTH, ARCA_EIO },
};

static arca_status map_sqlite(int code)
{
    for (size_t i = 0; i < sizeof SQLITE_MAP / sizeof SQLITE_MAP[0]; i++)
        if (SQLITE_MAP[i].code == (code & 0xff))
            return SQLITE_MAP[i].st;
    return ARCA_EINTERNAL;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static arca_status cfail(arca_catalog *c, arca_status rc, const char *fmt,
                         ...)
{
    va_list ap;
    int n;

    n = snprintf(c->err, sizeof c->err, "catalog %s: ", c->path);
    if (n < 0 || (size_t)n >= sizeof c->err)
        return rc;
    va_start(ap, fmt);
    vsnprintf(c->err + n, sizeof c->err - (size_t)n, fmt, ap);
    va_end(ap);
    return rc;
}

/* SQLite said CODE while doing WHAT: its message goes on the handle. */
static arca_status dbfail(arca_catalog *c, int code, const char *what)
{
    const char *msg = c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(code);

    return cfail(c, map_sqlite(code), "%s: %s", what, msg);
}

const char *arca_catalog_errmsg(const arca_catalog *c)
{
    return c ? c->err : "";
}

static arca_status need_write(arca_catalog *c, const char *what)
{
    if (c->flags & ARCA_CATALOG_WRITE)
        return ARCA_OK;
    return cfail(c, ARCA_EINVAL, "%s: opened read-only", what);
}

/* ---- Small helpers ---- */

/* The current time as ISO 8601 UTC ("2024-05-01T12:34:56Z"). */
static void now_iso(char buf[32])
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static arca_status stmt(arca_catalog *c, int which, sqlite3_stmt **out)
{
    int rc;

    if (c->st[which] == NULL) {
        rc = sqlite3_prepare_v3(c->db, STMT_SQL[which], -1,
                                SQLITE_PREPARE_PERSISTENT, &c->st[which],
                                NULL);
        if (rc != SQLITE_OK) {
            *out = NULL;
            return dbfail(c, rc, "prepare");
        }
    }
    *out = c->st[which];
    return ARCA_OK;
}

/* Reset a cached statement for its next use (NULL-safe). */
static void done(sqlite3_stmt *s)
{
    if (s) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
}

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
    return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC)
             : sqlite3_bind_null(s, i);
}

/* Run a cached statement that returns no rows. */
static arca_status run_simple(arca_catalog *c, int which, const char *what)
{
    arca_status rc;
    sqlite3_stmt *s;
    int r;

    rc = stmt(c, which, &s);
    if (rc)
        return rc;
    r = sqlite3_step(s);
    if (r != SQLITE_DONE && r != SQLITE_ROW)
        rc = dbfail(c, r, what);
    done(s);
    return rc;
}

/* Copy column I of S (NULL stays NULL) into *dst. */
static arca_status col_dup(sqlite3_stmt *s, int i, const char **dst)
{
    const unsigned char *t;
    int n;
    char *p;

    *dst = NULL;
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return ARCA_OK;
    t = sqlite3_column_text(s, i);
    n = sqlite3_column_bytes(s, i);
    if (t == NULL)
        return ARCA_ENOMEM;
    p = malloc((size_t)n + 1);
    if (p == NULL)
        return ARCA_ENOMEM;
    memcpy(p, t, (size_t)n);
    p[n] = '\0';
    *dst = p;
    return ARCA_OK;
}

static void free_str(const char *s)
{
    free((void *)(uintptr_t)s);
}

static int streq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

/* ---- Records in memory ---- */

static void part_clear(arca_cat_part *p)
{
    free_str(p->name);
    free_str(p->mime);
    free_str(p->charset);
    free_str(p->lang);
    free_str(p->original);
    free_str(p->text);
    free_str(p->note);
    free_str(p->meta);
}

void arca_cat_record_free(arca_cat_record *r)
{
    if (r == NULL)
        return;
    free_str(r->id);
    free_str(r->created);
    free_str(r->title);
    free_str(r->date);
    free_str(r->author);
    free_str(r->board);
    free_str(r->lang);
    free_str(r->source);
    free_str(r->tags);
    free_str(r->extra);
    for (size_t i = 0; i < r->nparts; i++)
        part_clear(&r->parts[i]);
    free(r->parts);
    free(r);
}

/* Fill R's fields from a row of VERSION_COLS. */
static arca_status row_record(sqlite3_stmt *s, arca_cat_record *r)
{
    arca_status rc = ARCA_OK;

    r->seq = sqlite3_column_int64(s, 0);
    r->version = sqlite3_column_int64(s, 2);
    r->deleted = sqlite3_column_int(s, 4) != 0;
    if (!rc) rc = col_dup(s, 1, &r->id);
    if (!rc) rc = col_dup(s, 3, &r->created);
    if (!rc) rc = col_dup(s, 5, &r->title);
    if (!rc) rc = col_dup(s, 6, &r->date);
    if (!rc) rc = col_dup(s, 7, &r->author);
    if (!rc) rc = col_dup(s, 8, &r->board);
    if (!rc) rc = col_dup(s, 9, &r->lang);
    if (!rc) rc = col_dup(s, 10, &r->source);
    if (!rc) rc = col_dup(s, 11, &r->tags);
    if (!rc) rc = col_dup(s, 12, &r->extra);
    return rc;
}

/* Load the parts of version R->seq with S (a PARTS_SQL statement). */
static arca_status load_parts(arca_catalog *c, sqlite3_stmt *s,
                              arca_cat_record *r)
{
    arca_status rc = ARCA_OK;
    size_t cap = 0;
    int step;

    sqlite3_bind_int64(s, 1, r->seq);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        arca_cat_part *p;
        int64_t part = sqlite3_column_int64(s, 0);

        if (r->nparts == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            arca_cat_part *np;
            if (ncap > SIZE_MAX / sizeof *np) {
                rc = cfail(c, ARCA_ENOMEM, "record %s: too many parts",
                           r->id);
                goto out;
            }
            np = realloc(r->parts, ncap * sizeof *np);
            if (np == NULL) {
                rc = cfail(c, ARCA_ENOMEM, "out of memory");
                goto out;
            }
            r->parts = np;
            cap = ncap;
        }
        p = &r->parts[r->nparts++];
        memset(p, 0, sizeof *p);
        if (part < 0 || part > INT_MAX) {
            rc = cfail(c, ARCA_ECORRUPT,
                       "record %s version %lld: part number %lld is out "
                       "of range", r->id, (long long)r->version,
                       (long long)part);
            goto out;
        }
        p->seq = (int)part;
        p->size = sqlite3_column_int64(s, 7);
        if (!rc) rc = col_dup(s, 1, &p->name);
        if (!rc) rc = col_dup(s, 2, &p->mime);
        if (!rc) rc = col_dup(s, 3, &p->charset);
        if (!rc) rc = col_dup(s, 4, &p->lang);
        if (!rc) rc = col_dup(s, 5, &p->original);
        if (!rc) rc = col_dup(s, 6, &p->text);
        if (!rc) rc = col_dup(s, 8, &p->note);
        if (!rc) rc = col_dup(s, 9, &p->meta);
        if (rc) {
            rc = cfail(c, rc, "out of memory");
            goto out;
        }
    }
    if (step != SQLITE_DONE)
        rc = dbfail(c, step, "read parts");
out:
    return rc;
}

/*
 * Build a record from the current row of S (VERSION_COLS) and its parts
 * read with PS.  *out is the caller's: arca_cat_record_free().
 */
static arca_status load_record(arca_catalog *c, sqlite3_stmt *s,
                               sqlite3_stmt *ps, arca_cat_record **out)
{
    arca_status rc;
    arca_cat_record *r;

    *out = NULL;
    r = calloc(1, sizeof *r);
    if (r == NULL)
        return cfail(c, ARCA_ENOMEM, "out of memory");
    rc = row_record(s, r);
    if (rc) {
        rc = cfail(c, rc, "out of memory");
        goto out;
    }
    rc = load_parts(c, ps, r);
out:
    done(ps);
    if (rc)
        arca_cat_record_free(r);
    else
        *out = r;
    return rc;
}

/* The head of ID, or NULL when it has none (*head owned by the caller). */
static arca_status get_head(arca_catalog *c, const char *id,
                            arca_cat_record **head)
{
    arca_status rc;
    sqlite3_stmt *s = NULL, *ps = NULL;
    int step;

    *head = NULL;
    rc = stmt(c, ST_HEAD, &s);
    if (!rc)
        rc = stmt(c, ST_PARTS, &ps);
    if (rc)
        goto out;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        rc = load_record(c, s, ps, head);
    else if (step != SQLITE_DONE)
        rc = dbfail(c, step, "read head");
out:
    done(s);
    return rc;
}

/* ---- Open and close ---- */

static arca_status fsync_parent(arca_catalog *c)
{
    char dir[4096];
    const char *slash = strrchr(c->path, '/');
    size_t n;
    int fd, err;

    if (slash == NULL) {
        memcpy(dir, ".", 2);
    } else {
        n = (size_t)(slash - c->path);
        if (n == 0)
            n = 1;
        if (n >= sizeof dir)
            return cfail(c, ARCA_EINVAL, "directory name too long");
        memcpy(dir, c->path, n);
        dir[n] = '\0';
    }
    fd = arca_sys.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0)
        return cfail(c, ARCA_EIO, "%s: cannot open directory: %s", dir,
                     strerror(errno));
    if (arca_sys.fsync(fd) != 0) {
        err = errno;
        close(fd);
        return cfail(c, ARCA_EIO, "%s: fsync: %s", dir, strerror(err));
    }
    close(fd);
    return ARCA_OK;
}

/* An integer from a one-row query. */
static arca_status query_int(arca_catalog *c, const char *sql, int64_t *v,
                             const char *what)
{
    sqlite3_stmt *s = NULL;
    int r;
    arca_status rc = ARCA_OK;

    *v = 0;
    r = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
    if (r != SQLITE_OK) {
        rc = dbfail(c, r, what);
        goto out;
    }
    r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        *v = sqlite3_column_int64(s, 0);
    else if (r != SQLITE_DONE)
        rc = dbfail(c, r, what);
out:
    sqlite3_finalize(s);
    return rc;
}

static arca_status exec(arca_catalog *c, const char *sql, const char *what)
{
    int r = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

    return r == SQLITE_OK ? ARCA_OK : dbfail(c, r, what);
}

/* Create the schema unless another process got there first. */
static arca_status create_schema(arca_catalog *c)
{
    arca_status rc;
    int64_t ver = 0, ntables = 0;
    char sql[64];

    rc = exec(c, "BEGIN IMMEDIATE", "create the schema");
    if (rc)
        return rc;
    rc = query_int(c, "PRAGMA user_version", &ver, "read the schema version");
    if (!rc)
        rc = query_int(c, "SELECT count(*) FROM sqlite_master", &ntables,
                       "read the schema");
    if (rc)
        goto out;
    if (ver != 0 || ntables != 0)
        goto out;   /* checked by the caller */
    rc = exec(c, SCHEMA, "create the schema");
    if (rc)
        goto out;
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", CATALOG_VERSION);
    rc = exec(c, sql, "set the schema version");
out:
    if (rc) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return exec(c, "COMMIT", "create the schema");
}

/* Bring a catalog of schema version VER up to CATALOG_VERSION, at once. */
static arca_status migrate(arca_catalog *c, int64_t ver)
{
    char sql[64];
    arca_status rc = exec(c, "BEGIN IMMEDIATE", "upgrade the schema");
    if (rc)
        return rc;
    /* Another writer may have upgraded it meanwhile. */
    rc = query_int(c, "PRAGMA user_version", &ver, "read the schema version");
    for (int64_t v = ver; rc == ARCA_OK && v < CATALOG_VERSION; v++)
        rc = exec(c, MIGRATE[v - 1], "upgrade the schema");
    if (rc == ARCA_OK && ver < CATALOG_VERSION) {
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
                 CATALOG_VERSION);
        rc = exec(c, sql, "set the schema version");
    }
    if (rc) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return exec(c, "COMMIT", "upgrade the schema");
}

/* Is this an arca catalog of a version we can read? */
static arca_status check_schema(arca_catalog *c)
{
    arca_status rc;
    int64_t ver = 0, n = 0;
    char sql[256];
    size_t len;

    rc = query_int(c, "PRAGMA user_version", &ver, "read the schema version");
    if (rc)
        return rc;
    if (ver == 0)
        return cfail(c, ARCA_ECORRUPT, "not an arca catalog (an SQLite "
                     "database without arca's schema)");
    if (ver > CATALOG_VERSION)
        return cfail(c, ARCA_EUNSUPPORTED, "schema version %lld is newer "
                     "than this arca's (%d)", (long long)ver,
                     CATALOG_VERSION);
    if (ver < CATALOG_VERSION && (c->flags & ARCA_CATALOG_WRITE)) {
        rc = migrate(c, ver);
        if (rc)
            return rc;
    }
    len = (size_t)snprintf(sql, sizeof sql, "SELECT count(*) FROM "
                           "sqlite_master WHERE type = 'table' AND name IN (");
    for (size_t i = 0; i < NTABLES; i++)
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s'%s'",
                                i ? ", " : "", TABLES[i]);
    snprintf(sql + len, sizeof sql - len, ")");
    rc = query_int(c, sql, &n, "read the schema");
    if (rc)
        return rc;
    if (n != (int64_t)NTABLES)
        return cfail(c, ARCA_ECORRUPT, "schema incomplete: %lld of the %zu "
                     "tables of an arca catalog", (long long)n, NTABLES);
    return ARCA_OK;
}

arca_status arca_catalog_open(const char *path, int flags,
                              arca_catalog **out, char *errbuf, size_t errlen)
{
    arca_status rc = ARCA_OK;
    arca_catalog *c = NULL;
    struct stat st;
    int r, oflags, isnew = 0;
    int64_t ntables = 0;
    char mode[16] = "";

    *out = NULL;
    c = calloc(1, sizeof *c);
    if (c == NULL || (c->path = strdup(path)) == NULL) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "catalog %s: out of memory", path);
        if (c)
            free(c);
        return ARCA_ENOMEM;
    }
    c->flags = flags;
    if (flags != ARCA_CATALOG_READ && flags != ARCA_CATALOG_WRITE &&
        flags != ARCA_CATALOG_CREATE) {
        rc = cfail(c, ARCA_EINVAL, "bad open flags %d", flags);
        goto out;
    }
    if (stat(path, &st) != 0) {
        if (errno != ENOENT || flags != ARCA_CATALOG_CREATE) {
            rc = cfail(c, errno == ENOENT ? ARCA_ENOTFOUND : ARCA_EIO, "%s",
                       strerror(errno));
            goto out;
        }
        isnew = 1;
    } else if (!S_ISREG(st.st_mode)) {
        rc = cfail(c, ARCA_EINVAL, "not a regular file");
        goto out;
    }

    oflags = SQLITE_OPEN_NOMUTEX;
    if (flags == ARCA_CATALOG_READ)
        oflags |= SQLITE_OPEN_READONLY;
    else
        oflags |= SQLITE_OPEN_READWRITE;
    if (flags == ARCA_CATALOG_CREATE)
        oflags |= SQLITE_OPEN_CREATE;
    r = sqlite3_open_v2(path, &c->db, oflags, NULL);
    if (c->db == NULL) {
        rc = cfail(c, ARCA_ENOMEM, "out of memory");
        goto out;
    }
    sqlite3_extended_result_codes(c->db, 1);
    if (r != SQLITE_OK) {
        rc = dbfail(c, r, "open");
        goto out;
    }
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);

    /*
     * Reading the schema reads the file's first page: a file that is not
     * SQLite or is cut short fails here (SQLITE_NOTADB, SQLITE_CORRUPT).
     */
    rc = query_int(c, "SELECT count(*) FROM sqlite_master", &ntables,
                   "read the schema");
    if (rc)
        goto out;
    rc = exec(c, "PRAGMA foreign_keys = ON; PRAGMA cell_size_check = ON",
              "set up");
    if (rc)
        goto out;
    if (flags & ARCA_CATALOG_WRITE) {
        sqlite3_stmt *s = NULL;
        r = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &s,
                               NULL);
        if (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
            const unsigned char *m = sqlite3_column_text(s, 0);
            snprintf(mode, sizeof mode, "%s", m ? (const char *)m : "");
            r = SQLITE_OK;
        }
        sqlite3_finalize(s);
        if (r != SQLITE_OK) {
            rc = dbfail(c, r, "switch to WAL mode");
            goto out;
        }
        if (strcmp(mode, "wal") != 0) {
            rc = cfail(c, ARCA_EIO, "cannot switch to WAL mode (journal "
                       "mode stays \"%s\")", mode);
            goto out;
        }
        rc = exec(c, "PRAGMA synchronous = FULL", "set up");
        if (rc)
            goto out;
    }
    if (flags == ARCA_CATALOG_CREATE && ntables == 0) {
        rc = create_schema(c);
        if (rc)
            goto out;
    }
    rc = check_schema(c);
    if (rc)
        goto out;
    if (isnew) {
        rc = fsync_parent(c);
        if (rc)
            goto out;
    }
    *out = c;
    c = NULL;
out:
    if (rc && errbuf && errlen)
        snprintf(errbuf, errlen, "%s", c->err);
    arca_catalog_close(c);
    return rc;
}

void arca_catalog_close(arca_catalog *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close_v2(c->db);
    free(c->path);
    free(c);
}

/* ---- Transactions ---- */

arca_status arca_catalog_begin(arca_catalog *c)
{
    arca_status rc = need_write(c, "begin");

    if (rc)
        return rc;
    if (!sqlite3_get_autocommit(c->db))
        return cfail(c, ARCA_EINVAL, "begin: a transaction is open already");
    return run_simple(c, ST_BEGIN, "begin");
}

arca_status arca_catalog_commit(arca_catalog *c)
{
    if (sqlite3_get_autocommit(c->db))
        return cfail(c, ARCA_EINVAL, "commit: no transaction is open");
    return run_simple(c, ST_COMMIT, "commit");
}

arca_status arca_catalog_rollback(arca_catalog *c)
{
    /* Nothing open (SQLite may have rolled back already): nothing to do. */
    if (sqlite3_get_autocommit(c->db))
        return ARCA_OK;
    return run_simple(c, ST_ROLLBACK, "rollback");
}

/* ---- Objects ---- */

arca_status arca_catalog_put_object(arca_catalog *c, const char *hex,
                                    uint64_t size, uint64_t zsize)
{
    return arca_catalog_put_object_at(c, hex, size, zsize, NULL);
}

arca_status arca_catalog_put_object_at(arca_catalog *c, const char *hex,
                                       uint64_t size, uint64_t zsize,
                                       const arca_objloc *loc)
{
    arca_status rc;
    sqlite3_stmt *s = NULL;
    char now[32];
    int r;

    rc = need_write(c, "put object");
    if (rc)
        return rc;
    if (!arca_hex_valid(hex))
        return cfail(c, ARCA_EINVAL, "object name \"%.80s\" is not 64 "
                     "lower-case hex digits", hex ? hex : "(null)");
    if (size > INT64_MAX || zsize > INT64_MAX)
        return cfail(c, ARCA_EINVAL, "object %s: size out of range", hex);
    rc = stmt(c, ST_OBJ_PUT, &s);
    if (rc)
        return rc;
    now_iso(now);
    sqlite3_bind_text(s, 1, hex, ARCA_HEX_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (int64_t)size);
    sqlite3_bind_int64(s, 3, (int64_t)zsize);
    sqlite3_bind_text(s, 4, now, -1, SQLITE_STATIC);
    if (loc && loc->pack[0]) {
        sqlite3_bind_text(s, 5, loc->pack, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 6, (int64_t)loc->offset);
    } else {
        sqlite3_bind_null(s, 5);
        sqlite3_bind_null(s, 6);
    }
    r = sqlite3_step(s);
    if (r != SQLITE_DONE)
        rc = dbfail(c, r, "put object");
    done(s);
    return rc;
}

static void loc_from(sqlite3_stmt *s, int col, arca_objloc *loc)
{
    const char *pack = (const char *)sqlite3_column_text(s, col);
    memset(loc, 0, sizeof *loc);
    if (pack) {
        snprintf(loc->pack, sizeof loc->pack, "%s", pack);
        loc->offset = (uint64_t)sqlite3_column_int64(s, col + 1);
    }
}

arca_status arca_catalog_locate(arca_catalog *c, const char *hex,
                                arca_objloc *loc, uint64_t *size)
{
    arca_status rc;
    sqlite3_stmt *s = NULL;
    int r;

    memset(loc, 0, sizeof *loc);
    rc = stmt(c, ST_OBJ_LOC, &s);
    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, hex, -1, SQLITE_STATIC);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        loc_from(s, 0, loc);
        if (size)
            *size = (uint64_t)sqlite3_column_int64(s, 2);
    } else if (r == SQLITE_DONE) {
        rc = cfail(c, ARCA_ENOTFOUND, "object %.64s is not in the catalog",
                   hex);
    } else {
        rc = dbfail(c, r, "locate object");
    }
    done(s);
    return rc;
}

/* Is HEX in the objects table?  *has 1 or 0. */
static arca_status object_known(arca_catalog *c, const char *hex, int *has)
{
    arca_status rc;
    sqlite3_stmt *s = NULL;
    int r;

    *has = 0;
    rc = stmt(c, ST_OBJ_HAS, &s);
    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, hex, -1, SQLITE_STATIC);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        *has = 1;
    else if (r != SQLITE_DONE)
        rc = dbfail(c, r, "look up object");
    done(s);
    return rc;
}

arca_status arca_catalog_foreach_object(arca_catalog *c,
                                        int (*cb)(void *ctx, const char *hex,
                                                  uint64_t size,
                                                  uint64_t zsize,
                                                  const arca_objloc *loc),
                                        void *ctx)
{
    arca_objloc loc;
    arca_status rc = ARCA_OK;
    sqlite3_stmt *s = NULL;
    int r;

    /* In the order they lie on disk: packs are read front to back. */
    r = sqlite3_prepare_v2(c->db, "SELECT sha256, size, zsize, pack, offset "
                           "FROM objects ORDER BY pack, offset, sha256", -1,
                           &s, NULL);
    if (r != SQLITE_OK) {
        rc = dbfail(c, r, "list objects");
        goto out;
    }
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        const char *hex = (const char *)sqlite3_column_text(s, 0);
        int64_t size = sqlite3_column_int64(s, 1);
        int64_t zsize = sqlite3_column_int64(s, 2);
        if (hex == NULL) {
            rc = cfail(c, ARCA_ENOMEM, "list objects: out of memory");
            goto out;
        }
        loc_from(s, 3, &loc);
        if (cb(ctx, hex, size < 0 ? 0 : (uint64_t)size,
               zsize < 0 ? 0 : (uint64_t)zsize, &loc) != 0)
            goto out;
    }
    if (r != SQLITE_DONE)
        rc = dbfail(c, r, "list objects");
out:
    sqlite3_finalize(s);
    return rc;
}

/* ---- Records ---- */

static int part_cmp(const void *a, const void *b)
{
    const arca_cat_part *const *pa = a, *const *pb = b;

    return ((*pa)->seq > (*pb)->seq) - ((*pa)->seq < (*pb)->seq);
}

static int same_part(const arca_cat_part *a, const arca_cat_part *b)
{
    return a->seq == b->seq && a->size == b->size &&
           streq(a->name, b->name) && streq(a->mime, b->mime) &&
           streq(a->charset, b->charset) && streq(a->lang, b->lang) &&
           streq(a->original, b->original) && streq(a->text, b->text) &&
           streq(a->note, b->note) && streq(a->meta, b->meta);
}

/* Does REC (parts in SORTED order) say what HEAD says? */
static int same_record(const arca_cat_record *head,
                       const arca_cat_record *rec,
                       arca_cat_part *const *sorted)
{
    if (head->deleted != (rec->deleted != 0) ||
        !streq(head->title, rec->title) || !streq(head->date, rec->date) ||
        !streq(head->author, rec->author) ||
        !streq(head->board, rec->board) || !streq(head->lang, rec->lang) ||
        !streq(head->source, rec->source) ||
        !streq(head->tags, rec->tags) || !streq(head->extra, rec->extra) ||
        head->nparts != rec->nparts)
        return 0;
    for (size_t i = 0; i < rec->nparts; i++)
        if (!same_part(&head->parts[i], sorted[i]))
            return 0;
    return 1;
}

/* REC's parts sorted by number into *sorted (malloc'd), checked. */
static arca_status check_parts(arca_catalog *c, const arca_cat_record *rec,
                               arca_cat_part ***sorted)
{
    arca_cat_part **v;

    *sorted = NULL;
    if (rec->nparts > 0 && rec->parts == NULL)
        return cfail(c, ARCA_EINVAL, "record %s: %zu parts but no array",
                     rec->id, rec->nparts);
    if (rec->nparts > SIZE_MAX / sizeof *v)
        return cfail(c, ARCA_EINVAL, "record %s: too many parts", rec->id);
    v = malloc((rec->nparts ? rec->nparts : 1) * sizeof *v);
    if (v == NULL)
        return cfail(c, ARCA_ENOMEM, "out of memory");
    for (size_t i = 0; i < rec->nparts; i++) {
        const arca_cat_part *p = &rec->parts[i];
        v[i] = &rec->parts[i];
        if (p->seq < 0) {
            free(v);
            return cfail(c, ARCA_EINVAL, "record %s: part number %d is "
                         "negative", rec->id, p->seq);
        }
        if ((p->original && !arca_hex_valid(p->original)) ||
            (p->text && !arca_hex_valid(p->text))) {
            free(v);
            return cfail(c, ARCA_EINVAL, "record %s part %d: object name "
                         "is not 64 lower-case hex digits", rec->id, p->seq);
        }
    }
    qsort(v, rec->nparts, sizeof *v, part_cmp);
    for (size_t i = 1; i < rec->nparts; i++) {
        if (v[i]->seq == v[i - 1]->seq) {
            int dup = v[i]->seq;
            free(v);
            return cfail(c, ARCA_EINVAL, "record %s: part %d appears twice",
                         rec->id, dup);
        }
    }
    *sorted = v;
    return ARCA_OK;
}

/* Every object REC's parts name must be in the catalog already. */
static arca_status check_objects(arca_catalog *c, const arca_cat_record *rec)
{
    arca_status rc = ARCA_OK;

    for (size_t i = 0; i < rec->nparts && !rc; i++) {
        const arca_cat_part *p = &rec->parts[i];
        const char *names[2] = { p->original, p->text };
        for (int k = 0; k < 2 && !rc; k++) {
            int has;
            if (names[k] == NULL)
                continue;
            rc = object_known(c, names[k], &has);
            if (!rc && !has)
                rc = cfail(c, ARCA_EINVAL, "record %s part %d: object %s "
                           "is not in the catalog", rec->id, p->seq,
                           names[k]);
        }
    }
    return rc;
}

static arca_status insert_version(arca_catalog *c, const arca_cat_record *rec,
                                  int64_t version, const char *created,
                                  int64_t *seq)
{
    arca_status rc;
    sqlite3_stmt *s = NULL;
    int r;

    rc = stmt(c, ST_VER_INS, &s);
    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, rec->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, version);
    sqlite3_bind_text(s, 3, created, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, rec->deleted != 0);
    bind_text(s, 5, rec->title);
    bind_text(s, 6, rec->date);
    bind_text(s, 7, rec->author);
    bind_text(s, 8, rec->board);
    bind_text(s, 9, rec->lang);
    bind_text(s, 10, rec->source);
    bind_text(s, 11, rec->tags);
    bind_text(s, 12, rec->extra);
    r = sqlite3_step(s);
    if (r != SQLITE_DONE)
        rc = cfail(c, map_sqlite(r), "record %s: add version: %s", rec->id,
                   sqlite3_errmsg(c->db));
    else
        *seq = sqlite3_last_insert_rowid(c->db);
    done(s);
    return rc;
}

static arca_status insert_part(arca_catalog *c, const char *id, int64_t seq,
                               const arca_cat_part *p)
{
    arca_status rc;
    sqlite3_stmt *s = NULL;
    int r;

    rc = stmt(c, ST_PART_INS, &s);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_int(s, 2, p->seq);
    bind_text(s, 3, p->name);
    bind_text(s, 4, p->mime);
    bind_text(s, 5, p->charset);
    bind_text(s, 6, p->lang);
    bind_text(s, 7, p->original);
    bind_text(s, 8, p->text);
    sqlite3_bind_int64(s, 9, p->size);
    bind_text(s, 10, p->note);
    bind_text(s, 11, p->meta);
    r = sqlite3_step(s);
    if (r != SQLITE_DONE)
        rc = cfail(c, map_sqlite(r), "record %s: add part %d: %s", id,
                   p->seq, sqlite3_errmsg(c->db));
    done(s);
    return rc;
}

static arca_status set_head(arca_catalog *c, const char *id, int64_t seq)
{
    arca_status rc;
    sqlite3_stmt *s = NULL;
    int r;

    rc = stmt(c, ST_HEAD_SET, &s);
    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, seq);
    r = sqlite3_step(s);
    if (r != SQLITE_DONE)
        rc = dbfail(c, r, "set head");
    done(s);
    return rc;
}

void arca_catalog_set_journal(arca_catalog *c, arca_journal_fn fn,
                              void *ctx)
{
    c->journal = fn;
    c->journal_ctx = ctx;
}

/* Version SEQ's record object, through the journal, and its name noted. */
static arca_status write_journal(arca_catalog *c, int64_t seq)
{
    arca_status rc;
    sqlite3_stmt *s = NULL, *u = NULL;
    arca_hex hex = "";
    char err[512] = "";
    int r;

    if (c->journal == NULL)
        return ARCA_OK;
    rc = stmt(c, ST_JOURNAL_JSON, &s);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, seq);
    r = sqlite3_step(s);
    if (r != SQLITE_ROW) {
        rc = r == SQLITE_DONE
                 ? cfail(c, ARCA_ENOTFOUND, "change %lld: no such version",
                         (long long)seq)
                 : dbfail(c, r, "write a record object");
        done(s);
        return rc;
    }
    const char *json = (const char *)sqlite3_column_text(s, 1);
    size_t len = (size_t)sqlite3_column_bytes(s, 1);
    if (json == NULL) {
        done(s);
        return cfail(c, ARCA_ENOMEM, "change %lld: record object: out of "
                     "memory", (long long)seq);
    }
    rc = c->journal(c->journal_ctx, json, len, hex, err, sizeof err);
    done(s);
    if (rc)
        return cfail(c, rc, "change %lld: record object: %s",
                     (long long)seq, err);
    rc = stmt(c, ST_JOURNAL_SET, &u);
    if (rc)
        return rc;
    sqlite3_bind_int64(u, 1, seq);
    sqlite3_bind_text(u, 2, hex, -1, SQLITE_STATIC);
    r = sqlite3_step(u);
    if (r != SQLITE_DONE)
        rc = dbfail(c, r, "note a record object");
    done(u);
    return rc;
}

/*
 * A write of several statements runs inside a savepoint, so that it is
 * whole or absent both inside the caller's transaction and outside one.
 */
static arca_status savepoint_end(arca_catalog *c, arca_status rc)
{
    if (rc) {
        /* Keep the first message: it says what went wrong. */
        char keep[sizeof c->err];
        memcpy(keep, c->err, sizeof keep);
        run_simple(c, ST_ROLLBACK_TO, "roll back");
        run_simple(c, ST_RELEASE, "release");
        memcpy(c->err, keep, sizeof keep);
        return rc;
    }
    return run_simple(c, ST_RELEASE, "release");
}

arca_status arca_catalog_put_record(arca_catalog *c, arca_cat_record *rec,
                                    int *changed)
{
    arca_status rc;
    arca_cat_record *head = NULL;
    arca_cat_part **sorted = NULL;
    int64_t seq = 0, version;
    char now[32];

    if (changed)
        *changed = 0;
    rc = need_write(c, "put record");
    if (rc)
        return rc;
    if (rec == NULL || rec->id == NULL || rec->id[0] == '\0')
        return cfail(c, ARCA_EINVAL, "put record: no record id");
    rc = check_parts(c, rec, &sorted);
    if (rc)
        return rc;
    rc = run_simple(c, ST_SAVEPOINT, "put record");
    if (rc)
        goto out_nosp;

    rc = get_head(c, rec->id, &head);
    if (rc)
        goto out;
    if (head && same_record(head, rec, sorted)) {
        snprintf(c->created, sizeof c->created, "%s",
                 head->created ? head->created : "");
        rec->version = head->version;
        rec->seq = head->seq;
        rec->created = c->created;
        goto out;
    }
    rc = check_objects(c, rec);
    if (rc)
        goto out;
    version = head ? head->version + 1 : 1;
    now_iso(now);
    rc = insert_version(c, rec, version, now, &seq);
    for (size_t i = 0; i < rec->nparts && !rc; i++)
        rc = insert_part(c, rec->id, seq, sorted[i]);
    if (!rc)
        rc = set_head(c, rec->id, seq);
    if (!rc)
        rc = write_journal(c, seq);
    if (rc)
        goto out;
    memcpy(c->created, now, sizeof now);
    rec->version = version;
    rec->seq = seq;
    rec->created = c->created;
    if (changed)
        *changed = 1;
out:
    rc = savepoint_end(c, rc);
    if (rc && changed)
        *changed = 0;
out_nosp:
    arca_cat_record_free(head);
    free(sorted);
    return rc;
}

arca_status arca_catalog_delete_record(arca_catalog *c, const char *id,
                                       int64_t *seq)
{
    arca_status rc;
    arca_cat_record *head = NULL;
    sqlite3_stmt *s = NULL;
    int64_t nseq = 0;
    char now[32];
    int r;

    rc = need_write(c, "delete record");
    if (rc)
        return rc;
    if (id == NULL || id[0] == '\0')
        return cfail(c, ARCA_EINVAL, "delete record: no record id");
    rc = run_simple(c, ST_SAVEPOINT, "delete record");
    if (rc)
        return rc;
    rc = get_head(c, id, &head);
    if (rc)
        goto out;
    if (head == NULL || head->deleted) {
        rc = cfail(c, ARCA_ENOTFOUND, "record %s: %s", id,
                   head ? "deleted already" : "not found");
        goto out;
    }
    /* The deletion keeps the fields, so that it can be shown, not parts. */
    rc = stmt(c, ST_VER_DEL, &s);
    if (rc)
        goto out;
    now_iso(now);
    sqlite3_bind_int64(s, 1, head->seq);
    sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
    r = sqlite3_step(s);
    if (r != SQLITE_DONE)
        rc = cfail(c, map_sqlite(r), "record %s: add deletion: %s", id,
                   sqlite3_errmsg(c->db));
    else
        nseq = sqlite3_last_insert_rowid(c->db);
    done(s);
    if (!rc)
        rc = set_head(c, id, nseq);
    if (!rc)
        rc = write_journal(c, nseq);
out:
    rc = savepoint_end(c, rc);
    if (!rc && seq)
        *seq = nseq;
    arca_cat_record_free(head);
    return rc;
}

arca_status arca_catalog_get_record(arca_catalog *c, const char *id,
                                    arca_cat_record **out)
{
    arca_status rc;

    *out = NULL;
    if (id == NULL)
        return cfail(c, ARCA_EINVAL, "get record: no record id");
    rc = get_head(c, id, out);
    if (!rc && *out == NULL)
        rc = cfail(c, ARCA_ENOTFOUND, "record %.200s: not found", id);
    return rc;
}

arca_status arca_catalog_foreach_head(arca_catalog *c, int64_t after,
                                      int (*cb)(void *ctx,
                                                const arca_cat_record *r),
                                      void *ctx)
{
    arca_status rc = ARCA_OK;
    sqlite3_stmt *s = NULL, *ps = NULL;
    arca_cat_record *rec = NULL;
    int r;

    /*
     * Statements of its own, so that CB may use the handle meanwhile; a
     * record is loaded whole before CB sees it.
     */
    r = sqlite3_prepare_v2(c->db, "SELECT " VERSION_COLS " FROM heads h "
                           "JOIN versions v ON v.seq = h.seq "
                           "WHERE h.seq > ?1 ORDER BY h.seq", -1, &s, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(c->db, PARTS_SQL, -1, &ps, NULL);
    if (r != SQLITE_OK) {
        rc = dbfail(c, r, "list heads");
        goto out;
    }
    sqlite3_bind_int64(s, 1, after);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        int stop;
        rc = load_record(c, s, ps, &rec);
        if (rc)
            goto out;
        stop = cb(ctx, rec);
        arca_cat_record_free(rec);
        rec = NULL;
        if (stop)
            goto out;
    }
    if (r != SQLITE_DONE)
        rc = dbfail(c, r, "list heads");
out:
    arca_cat_record_free(rec);
    sqlite3_finalize(ps);
    sqlite3_finalize(s);
    return rc;
}

arca_status arca_catalog_max_seq(arca_catalog *c, int64_t *seq)
{
    return query_int(c, "SELECT coalesce(max(seq), 0) FROM versions", seq,
                     "read the last change number");
}

arca_status arca_catalog_count_records(arca_catalog *c, uint64_t *n)
{
    arca_status rc;
    int64_t v = 0;

    rc = query_int(c, "SELECT count(*) FROM heads h JOIN versions v "
                   "ON v.seq = h.seq WHERE v.deleted = 0", &v,
                   "count records");
    *n = rc ? 0 : (uint64_t)v;
    return rc;
}

/* ---- The import ledger ---- */

arca_status arca_catalog_run_begin(arca_catalog *c, const char *args,
                                   int64_t *run)
{
    arca_status rc;
    sqlite3_stmt *s = NULL;
    char now[32];
    int r;

    *run = 0;
    rc = need_write(c, "begin run");
    if (rc)
        return rc;
    r = sqlite3_prepare_v2(c->db, "INSERT INTO runs(started, args, status) "
                           "VALUES (?1, ?2, 'running')", -1, &s, NULL);
    if (r == SQLITE_OK) {
        now_iso(now);
        sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
        bind_text(s, 2, args);
        r = sqlite3_step(s);
    }
    if (r != SQLITE_DONE)
        rc = dbfail(c, r, "begin run");
    else
        *run = sqlite3_last_insert_rowid(c->db);
    sqlite3_finalize(s);
    return rc;
}

arca_status arca_catalog_run_end(arca_catalog *c, int64_t run,
                                 const char *status)
{
    arca_status rc;
    sqlite3_stmt *s = NULL;
    char now[32];
    int r;

    rc = need_write(c, "end run");
    if (rc)
        return rc;
    if (status == NULL)
        return cfail(c, ARCA_EINVAL, "end run %lld: no status",
                     (long long)run);
    r = sqlite3_prepare_v2(c->db, "UPDATE runs SET finished = ?1, "
                           "status = ?2 WHERE run = ?3", -1, &s, NULL);
    if (r == SQLITE_OK) {
        now_iso(now);
        sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, run);
        r = sqlite3_step(s);
    }
    if (r != SQLITE_DONE)
        rc = dbfail(c, r, "end run");
    else if (sqlite3_changes(c->db) == 0)
        rc = cfail(c, ARCA_ENOTFOUND, "run %lld: not found", (long long)run);
    sqlite3_finalize(s);
    return rc;
}

arca_status arca_catalog_ledger_put(arca_catalog *c, int64_t run,
                                    const arca_ledger *e)
{
    arca_status rc;
    sqlite3_stmt *s = NULL;
    char now[32];
    int r;

    rc = need_write(c, "ledger");
    if (rc)
        return rc;
    if (e == NULL || e->path == NULL || e->outcome == NULL)
        return cfail(c, ARCA_EINVAL, "ledger: entry without path or "
                     "outcome");
    if (e->sha256 && !arca_hex_valid(e->sha256))
        return cfail(c, ARCA_EINVAL, "ledger %s: hash \"%.80s\" is not 64 "
                     "lower-case hex digits", e->path, e->sha256);
    rc = stmt(c, ST_LEDGER_PUT, &s);
    if (rc)
        return rc;
    now_iso(now);
    sqlite3_bind_text(s, 1, e->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, e->size);
    sqlite3_bind_int64(s, 3, e->mtime_ns);
    bind_text(s, 4, e->sha256);
    bind_text(s, 5, e->record);
    bind_text(s, 6, e->outcome);
    bind_text(s, 7, e->error);
    if (run > 0)
        sqlite3_bind_int64(s, 8, run);
    else
        sqlite3_bind_null(s, 8);
    sqlite3_bind_text(s, 9, now, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 10, e->needs_ocr != 0);
    r = sqlite3_step(s);
    if (r != SQLITE_DONE)
        rc = cfail(c, map_sqlite(r), "ledger %s: %s", e->path,
                   sqlite3_errmsg(c->db));
    done(s);
    return rc;
}

arca_status arca_catalog_ledger_get(arca_catalog *c, const char *path,
                                    arca_ledger *out)
{
    arca_status rc;
    sqlite3_stmt *s = NULL;
    int r;

    memset(out, 0, sizeof *out);
    if (path == NULL)
        return cfail(c, ARCA_EINVAL, "ledger: no path");
    rc = stmt(c, ST_LEDGER_GET, &s);
    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        out->size = sqlite3_column_int64(s, 1);
        out->mtime_ns = sqlite3_column_int64(s, 2);
        out->needs_ocr = sqlite3_column_int(s, 7);
        if (!rc) rc = col_dup(s, 0, &out->path);
        if (!rc) rc = col_dup(s, 3, &out->sha256);
        if (!rc) rc = col_dup(s, 4, &out->record);
        if (!rc) rc = col_dup(s, 5, &out->outcome);
        if (!rc) rc = col_dup(s, 6, &out->error);
        if (rc) {
            arca_ledger_clear(out);
            rc = cfail(c, rc, "ledger %s: out of memory", path);
        }
    } else if (r == SQLITE_DONE) {
        rc = cfail(c, ARCA_ENOTFOUND, "ledger %.200s: never seen", path);
    } else {
        rc = cfail(c, map_sqlite(r), "ledger %.200s: %s", path,
                   sqlite3_errmsg(c->db));
    }
    done(s);
    return rc;
}

void arca_ledger_clear(arca_ledger *e)
{
    if (e == NULL)
        return;
    free_str(e->path);
    free_str(e->sha256);
    free_str(e->record);
    free_str(e->outcome);
    free_str(e->error);
    memset(e, 0, sizeof *e);
}

/* ---- Checks and figures ---- */

/*
 * The catalog's own rules, beyond SQLite's: each query lists what breaks
 * one, as the text of a problem.
 */
static const struct {
    const char *sql;
} CHECKS[] = {
    { "SELECT 'record ' || coalesce(v.id, '?') || ' (change ' || k.s || "
      "') part ' || k.n || ': ' || k.what || ' object ' || k.hex || "
      "' is not in the objects table' FROM "
      "(SELECT 'original' AS what, original AS hex, seq AS s, part AS n "
      "FROM parts WHERE original IS NOT NULL UNION ALL "
      "SELECT 'text', text, seq, part FROM parts WHERE text IS NOT NULL) k "
      "LEFT JOIN versions v ON v.seq = k.s WHERE NOT EXISTS "
      "(SELECT 1 FROM objects o WHERE o.sha256 = k.hex)" },
    { "SELECT 'part ' || p.part || ' of change ' || p.seq || "
      "': no such version' FROM parts p WHERE NOT EXISTS "
      "(SELECT 1 FROM versions v WHERE v.seq = p.seq)" },
    { "SELECT 'record ' || h.id || ': head change ' || h.seq || "
      "' is not a version' FROM heads h WHERE NOT EXISTS "
      "(SELECT 1 FROM versions v WHERE v.seq = h.seq)" },
    { "SELECT 'record ' || h.id || ': head change ' || h.seq || "
      "' is a version of ' || v.id FROM heads h JOIN versions v "
      "ON v.seq = h.seq WHERE v.id != h.id" },
    { "SELECT 'record ' || h.id || ': head is version ' || v.version || "
      "' but version ' || m.mv || ' exists' FROM heads h "
      "JOIN versions v ON v.seq = h.seq JOIN (SELECT id, max(version) AS mv "
      "FROM versions GROUP BY id) m ON m.id = h.id WHERE m.mv != v.version" },
    { "SELECT 'record ' || id || ': versions but no head' FROM "
      "(SELECT DISTINCT id FROM versions) WHERE id NOT IN "
      "(SELECT id FROM heads)" },
    { "SELECT 'ledger ' || l.path || ': run ' || l.run || "
      "' does not exist' FROM ledger l WHERE l.run IS NOT NULL AND "
      "NOT EXISTS (SELECT 1 FROM runs r WHERE r.run = l.run)" },
    { "SELECT 'object ' || quote(sha256) || ': name is not 64 lower-case "
      "hex digits' FROM objects WHERE length(sha256) != 64 OR "
      "sha256 GLOB '*[^0-9a-f]*'" },
    /* From schema version 3 on (MANIFEST_CHECKS below). */
    { "SELECT 'record ' || v.id || ' version ' || v.version || "
      "': no record object (arca fsck --repair writes it)' FROM "
      "versions v WHERE v.manifest IS NULL" },
    { "SELECT 'record ' || v.id || ' version ' || v.version || "
      "': record object ' || v.manifest || ' is not in the objects table' "
      "FROM versions v WHERE v.manifest IS NOT NULL AND NOT EXISTS "
      "(SELECT 1 FROM objects o WHERE o.sha256 = v.manifest)" },
};
#define MANIFEST_CHECKS 2

/* Report every row of SQL (its first column) as a problem. */
static arca_status check_rows(arca_catalog *c, const char *sql,
                              const char *prefix,
                              void (*cb)(void *ctx, const char *problem),
                              void *ctx, uint64_t *n)
{
    arca_status rc = ARCA_OK;
    sqlite3_stmt *s = NULL;
    char line[1024];
    int r;

    r = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
    if (r != SQLITE_OK) {
        rc = dbfail(c, r, "check");
        goto out;
    }
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        if (prefix == NULL && t && strcmp(t, "ok") == 0)
            continue;   /* integrity_check's all-clear */
        snprintf(line, sizeof line, "catalog %s: %s%s", c->path,
                 prefix ? prefix : "", t ? t : "(null)");
        (*n)++;
        if (cb)
            cb(ctx, line);
    }
    if (r != SQLITE_DONE)
        rc = dbfail(c, r, "check");
out:
    sqlite3_finalize(s);
    return rc;
}

/*
 * SQLite's integrity check, its foreign key check for the tables that
 * CHECKS does not cover with clearer words (none today: it guards tables
 * added later), then CHECKS.
 */
arca_status arca_catalog_check(arca_catalog *c,
                               void (*cb)(void *ctx, const char *problem),
                               void *ctx, uint64_t *n)
{
    arca_status rc;

    *n = 0;
    rc = check_rows(c, "PRAGMA integrity_check", NULL, cb, ctx, n);
    if (rc == ARCA_OK)
        rc = check_rows(c, "SELECT 'table ' || \"table\" || ' row ' || "
                        "coalesce(rowid, '?') || ' refers to a missing row "
                        "of ' || parent FROM pragma_foreign_key_check "
                        "WHERE \"table\" NOT IN ('parts', 'heads', 'ledger')",
                        "foreign key: ", cb, ctx, n);
    int64_t ver = CATALOG_VERSION;
    size_t nchecks = sizeof CHECKS / sizeof CHECKS[0];
    if (rc == ARCA_OK)
        rc = query_int(c, "PRAGMA user_version", &ver,
                       "read the schema version");
    if (ver < 3)
        nchecks -= MANIFEST_CHECKS;   /* upgraded by the next writer */
    for (size_t i = 0; rc == ARCA_OK && i < nchecks; i++)
        rc = check_rows(c, CHECKS[i].sql, "", cb, ctx, n);
    if (rc == ARCA_ECORRUPT) {
        /* A catalog too damaged to check is a problem to report too. */
        (*n)++;
        if (cb)
            cb(ctx, c->err);
    }
    return rc;
}

arca_status arca_catalog_stats(arca_catalog *c, arca_cat_stats *out)
{
    arca_status rc = ARCA_OK;
    sqlite3_stmt *s = NULL;
    int r;

    memset(out, 0, sizeof *out);
    r = sqlite3_prepare_v2(c->db,
                           "SELECT (SELECT count(*) FROM heads h JOIN "
                           "versions v ON v.seq = h.seq WHERE v.deleted = 0),"
                           " (SELECT count(*) FROM versions),"
                           " (SELECT count(*) FROM parts),"
                           " (SELECT count(*) FROM objects),"
                           " (SELECT coalesce(sum(size), 0) FROM objects),"
                           " (SELECT coalesce(sum(zsize), 0) FROM objects)",
                           -1, &s, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_step(s);
    if (r != SQLITE_ROW) {
        rc = dbfail(c, r, "stats");
        goto out;
    }
    out->records = (uint64_t)sqlite3_column_int64(s, 0);
    out->versions = (uint64_t)sqlite3_column_int64(s, 1);
    out->parts = (uint64_t)sqlite3_column_int64(s, 2);
    out->objects = (uint64_t)sqlite3_column_int64(s, 3);
    out->bytes = (uint64_t)sqlite3_column_int64(s, 4);
    out->stored_bytes = (uint64_t)sqlite3_column_int64(s, 5);
out:
    sqlite3_finalize(s);
    return rc;
}

/* ---- Rebuilding a damaged catalog ---- */

arca_status arca_catalog_journal_missing(arca_catalog *c, uint64_t *n)
{
    arca_status rc = need_write(c, "write record objects");
    sqlite3_stmt *s = NULL;
    int64_t *seqs = NULL;
    size_t nseq = 0, cap = 0;
    int r;

    *n = 0;
    if (rc)
        return rc;
    if (c->journal == NULL)
        return cfail(c, ARCA_EINVAL, "write record objects: no journal");
    r = sqlite3_prepare_v2(c->db, "SELECT seq FROM versions WHERE manifest "
                           "IS NULL ORDER BY seq", -1, &s, NULL);
    while (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        if (nseq == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            int64_t *m = realloc(seqs, ncap * sizeof *m);
            if (m == NULL) {
                rc = cfail(c, ARCA_ENOMEM, "write record objects: out of "
                           "memory");
                break;
            }
            seqs = m;
            cap = ncap;
        }
        seqs[nseq++] = sqlite3_column_int64(s, 0);
        r = SQLITE_OK;
    }
    if (rc == ARCA_OK && r != SQLITE_DONE)
        rc = dbfail(c, r, "list versions without a record object");
    sqlite3_finalize(s);
    for (size_t i = 0; rc == ARCA_OK && i < nseq; i++) {
        rc = write_journal(c, seqs[i]);
        if (rc == ARCA_OK)
            (*n)++;
    }
    free(seqs);
    return rc;
}

/*
 * Each table with its columns, and the order that reads it backwards:
 * a scan stopped by a damaged page from the front is taken up again from
 * the back, so the rows on both sides of it are saved.
 */
static const struct {
    const char *table, *cols, *backwards;
} SALVAGE[] = {
    {"objects", "sha256, size, zsize, added, pack, offset", "sha256 DESC"},
    {"versions", "seq, id, version, created, deleted, title, date, author, "
     "board, lang, source, tags, extra, manifest", "seq DESC"},
    {"parts", "seq, part, name, mime, charset, lang, original, text, size, "
     "note, meta", "seq DESC, part DESC"},
    {"runs", "run, started, finished, args, status", "run DESC"},
    {"ledger", "path, size, mtime_ns, sha256, record, outcome, error, run, "
     "seen, needs_ocr", "path DESC"},
};

/* Copy the rows SQL reads from OLD into C's TABLE; *n counts new rows. */
static int salvage_scan(arca_catalog *c, sqlite3 *old, const char *sql,
                        const char *insert, uint64_t *n)
{
    sqlite3_stmt *s = NULL, *ins = NULL;
    int r = sqlite3_prepare_v2(old, sql, -1, &s, NULL);
    if (r != SQLITE_OK)
        return r;
    r = sqlite3_prepare_v2(c->db, insert, -1, &ins, NULL);
    while (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        int ncol = sqlite3_column_count(s);
        for (int i = 0; i < ncol; i++)
            sqlite3_bind_value(ins, i + 1, sqlite3_column_value(s, i));
        int w = sqlite3_step(ins);
        if (w == SQLITE_DONE && sqlite3_changes(c->db) > 0)
            (*n)++;
        sqlite3_reset(ins);
        r = SQLITE_OK;
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(s);
    return r == SQLITE_DONE ? SQLITE_OK : r;
}

arca_status arca_catalog_salvage(arca_catalog *c, const char *path,
                                 void (*cb)(void *ctx, const char *line),
                                 void *ctx, uint64_t *rows)
{
    sqlite3 *old = NULL;
    char line[1024], sql[512], insert[512];
    arca_status rc = need_write(c, "salvage");

    *rows = 0;
    if (rc)
        return rc;
    int r = sqlite3_open_v2(path, &old, SQLITE_OPEN_READONLY, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_exec(old, "PRAGMA cell_size_check = ON", NULL, NULL,
                         NULL);
    if (r != SQLITE_OK) {
        snprintf(line, sizeof line, "%s: nothing can be read: %s", path,
                 old ? sqlite3_errmsg(old) : sqlite3_errstr(r));
        if (cb)
            cb(ctx, line);
        sqlite3_close_v2(old);
        return ARCA_OK;
    }
    for (size_t t = 0; t < sizeof SALVAGE / sizeof SALVAGE[0]; t++) {
        uint64_t got = 0;
        snprintf(insert, sizeof insert, "INSERT OR IGNORE INTO %s(%s) "
                 "VALUES (", SALVAGE[t].table, SALVAGE[t].cols);
        size_t len = strlen(insert);
        int ncol = 1;
        for (const char *p = SALVAGE[t].cols; *p; p++)
            ncol += *p == ',';
        for (int i = 0; i < ncol && len + 8 < sizeof insert; i++)
            len += (size_t)snprintf(insert + len, sizeof insert - len,
                                    "%s?%d", i ? ", " : "", i + 1);
        snprintf(insert + len, sizeof insert - len, ")");
        snprintf(sql, sizeof sql, "SELECT %s FROM %s", SALVAGE[t].cols,
                 SALVAGE[t].table);
        int r1 = salvage_scan(c, old, sql, insert, &got);
        int r2 = SQLITE_OK;
        if (r1 != SQLITE_OK) {
            snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY %s",
                     SALVAGE[t].cols, SALVAGE[t].table,
                     SALVAGE[t].backwards);
            r2 = salvage_scan(c, old, sql, insert, &got);
        }
        *rows += got;
        if (cb) {
            if (r1 == SQLITE_OK)
                snprintf(line, sizeof line, "table %s: %llu rows read",
                         SALVAGE[t].table, (unsigned long long)got);
            else
                snprintf(line, sizeof line, "table %s: %llu rows read "
                         "around damage (%s%s)", SALVAGE[t].table,
                         (unsigned long long)got, sqlite3_errstr(r1),
                         r2 == SQLITE_OK ? "" : ", from both ends");
            cb(ctx, line);
        }
    }
    sqlite3_close_v2(old);
    return ARCA_OK;
}

#define JX(key) "json_extract(?1, '$." key "')"

arca_status arca_catalog_restore(arca_catalog *c, const char *hex,
                                 const char *json, size_t len, int *added)
{
    static const char ins_version[] =
        "INSERT INTO versions(id, version, created, deleted, title, date, "
        "author, board, lang, source, tags, extra, manifest) "
        "SELECT " JX("id") ", " JX("version") ", " JX("created") ", "
        "coalesce(" JX("deleted") ", 0), " JX("title") ", " JX("date") ", "
        JX("author") ", " JX("board") ", " JX("lang") ", " JX("source") ", "
        JX("tags") ", " JX("extra") ", ?2 "
        "WHERE json_valid(?1) AND " JX("arca") " = 'record' AND "
        "typeof(" JX("id") ") = 'text' AND "
        "typeof(" JX("version") ") = 'integer' AND NOT EXISTS (SELECT 1 "
        "FROM versions WHERE id = " JX("id") " AND version = "
        JX("version") ")";
    static const char set_manifest[] =
        "UPDATE versions SET manifest = ?2 WHERE manifest IS NULL AND "
        "id = " JX("id") " AND version = " JX("version");
    static const char ins_parts[] =
        "INSERT OR IGNORE INTO parts(seq, part, name, mime, charset, lang, "
        "original, text, size, note, meta) "
        "SELECT v.seq, json_extract(p.value, '$.part'), "
        "json_extract(p.value, '$.name'), json_extract(p.value, '$.mime'), "
        "json_extract(p.value, '$.charset'), "
        "json_extract(p.value, '$.lang'), "
        "json_extract(p.value, '$.original'), "
        "json_extract(p.value, '$.text'), json_extract(p.value, '$.size'), "
        "json_extract(p.value, '$.note'), json_extract(p.value, '$.meta') "
        "FROM versions v, json_each(?1, '$.parts') p "
        "WHERE v.id = " JX("id") " AND v.version = " JX("version") " "
        "AND typeof(json_extract(p.value, '$.part')) = 'integer'";
    const char *const sqls[] = {ins_version, set_manifest, ins_parts};
    arca_status rc = need_write(c, "restore a record");

    *added = 0;
    if (rc)
        return rc;
    if (len > INT_MAX)
        return cfail(c, ARCA_ELIMIT, "record object %s: too large", hex);
    for (size_t i = 0; rc == ARCA_OK && i < 3; i++) {
        sqlite3_stmt *s = NULL;
        int r = sqlite3_prepare_v2(c->db, sqls[i], -1, &s, NULL);
        if (r == SQLITE_OK) {
            sqlite3_bind_text(s, 1, json, (int)len, SQLITE_STATIC);
            sqlite3_bind_text(s, 2, hex, -1, SQLITE_STATIC);
            r = sqlite3_step(s);
        }
        if (r == SQLITE_DONE && i == 0)
            *added = sqlite3_changes(c->db) > 0;
        else if (r != SQLITE_DONE)
            rc = cfail(c, r == SQLITE_CONSTRAINT ? ARCA_EFORMAT
                                                 : map_sqlite(r),
                       "record object %s: %s", hex, sqlite3_errmsg(c->db));
        sqlite3_finalize(s);
    }
    return rc;
}

arca_status arca_catalog_rebuild_heads(arca_catalog *c)
{
    arca_status rc = need_write(c, "rebuild heads");
    if (rc)
        return rc;
    return exec(c, "DELETE FROM heads; "
                   "INSERT INTO heads(id, seq) SELECT v.id, v.seq FROM "
                   "versions v WHERE v.version = (SELECT max(version) FROM "
                   "versions w WHERE w.id = v.id); "
                   "DELETE FROM parts WHERE seq NOT IN (SELECT seq FROM "
                   "versions); "
                   "DELETE FROM ledger WHERE run IS NOT NULL AND run NOT IN "
                   "(SELECT run FROM runs)",
                "rebuild heads");
}

arca_status arca_catalog_foreign_keys(arca_catalog *c, int on)
{
    return exec(c, on ? "PRAGMA foreign_keys = ON"
                      : "PRAGMA foreign_keys = OFF",
                "set foreign keys");
}

arca_status arca_catalog_relocate(arca_catalog *c, const char *hex,
                                  uint64_t zsize, const arca_objloc *loc)
{
    sqlite3_stmt *s = NULL;
    arca_status rc = need_write(c, "relocate an object");
    if (rc)
        return rc;
    int r = sqlite3_prepare_v2(c->db, "UPDATE objects SET zsize = ?2, "
                               "pack = ?3, offset = ?4 WHERE sha256 = ?1",
                               -1, &s, NULL);
    if (r == SQLITE_OK) {
        sqlite3_bind_text(s, 1, hex, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, (int64_t)zsize);
        if (loc && loc->pack[0]) {
            sqlite3_bind_text(s, 3, loc->pack, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 4, (int64_t)loc->offset);
        }
        r = sqlite3_step(s);
    }
    if (r != SQLITE_DONE)
        rc = dbfail(c, r, "relocate an object");
    sqlite3_finalize(s);
    return rc;
}

arca_status arca_catalog_query(arca_catalog *c, const char *sql,
                               const char *arg,
                               int (*cb)(void *ctx, int ncol,
                                         const char *const *cols),
                               void *ctx)
{
    sqlite3_stmt *s = NULL;
    const char *cols[16];
    arca_status rc = ARCA_OK;
    int r = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
    if (r == SQLITE_OK && arg)
        sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
    while (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        int n = sqlite3_column_count(s);
        if (n > 16)
            n = 16;
        for (int i = 0; i < n; i++)
            cols[i] = (const char *)sqlite3_column_text(s, i);
        if (cb(ctx, n, cols) != 0) {
            r = SQLITE_DONE;
            break;
        }
        r = SQLITE_OK;
    }
    if (r != SQLITE_DONE)
        rc = dbfail(c, r, "query");
    sqlite3_finalize(s);
    return rc;
}
