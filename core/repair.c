/*
 * repair.c: record objects, and `arca fsck --repair`.
 *
 * Every version a catalog adds is also written into the archive as a
 * record object (catalog.c's journal), so that the objects alone hold
 * every record: fields, parts and the objects those name.  A writer's
 * journal puts it loose (arca add, lua) or, during an import, into the
 * batch's pack (ingest.c).
 *
 * arca_db_repair() rebuilds what the archive can give back, in order:
 *   1. the catalog, when it is missing, unreadable or fails SQLite's
 *      check: the damaged file is kept aside (catalog.db.damaged-STAMP),
 *      a new one gets every row SQLite still reads from it, every object
 *      found on disk, and every version its record objects hold;
 *   2. each object that is missing or damaged: an original from the file
 *      it was imported from, when that file is still there with the same
 *      bytes; a record object written again from its catalog rows; a
 *      text extracted again from its original;
 *   3. the record objects of versions made before they were kept;
 *   4. the index, rebuilt when it is missing, damaged, behind, or the
 *      catalog was rebuilt.
 * Then fsck runs again: what it still finds cannot be rebuilt, and each
 * such problem is listed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "arca-private.h"

/* Objects up to this size are read to see whether they are records. */
#define RECORD_OBJECT_MAX ((size_t)4 << 20)
#define RECORD_PREFIX "{\"arca\":\"record\""

/* ---- Record objects ---- */

/* The journal of a writer outside an import: each record object loose. */
static arca_status journal_loose(void *ctx, const char *json, size_t len,
                                 arca_hex hex, char *err, size_t errlen)
{
    arca_db *db = ctx;
    int existed = 0;
    uint64_t zsize = 0;
    arca_objloc loc;
    arca_status rc = arca_objects_put(db->objects, json, len, hex, &existed,
                                      &zsize);
    if (rc) {
        snprintf(err, errlen, "%s", arca_objects_errmsg());
        return rc;
    }
    rc = arca_catalog_locate(db->catalog, hex, &loc, NULL);
    if (rc == ARCA_ENOTFOUND)
        rc = arca_catalog_put_object(db->catalog, hex, len, zsize);
    if (rc)
        snprintf(err, errlen, "%s", arca_catalog_errmsg(db->catalog));
    return rc;
}

void arca_journal_attach(arca_db *db)
{
    if (db->catalog && (db->flags & ARCA_WRITE))
        arca_catalog_set_journal(db->catalog, journal_loose, db);
}

/* ---- Saying what was done ---- */

typedef struct repair {
    const char *dir;
    arca_problem_fn cb;
    void *ctx;
    char stamp[32];            /* names what is kept aside */
    int catalog_rebuilt, index_rebuild, texts_changed;
    uint64_t fixed, lost;
    arca_db *db;
    char *err;
    size_t errlen;
} repair;

static void say(repair *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(repair *r, const char *fmt, ...)
{
    char line[ARCA_ERRLEN + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (strncmp(line, "fixed: ", 7) == 0)
        r->fixed++;
    else if (strncmp(line, "lost: ", 6) == 0)
        r->lost++;
    if (r->cb)
        r->cb(r->ctx, line);
}

static arca_status fail(repair *r, arca_status rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static arca_status fail(repair *r, arca_status rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static void join(char *out, size_t n, const char *dir, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

/* Move PATH (and its SQLite companions when SQLITE) aside, to
 * PATH.damaged-STAMP; a missing PATH is no error. */
static arca_status keep_aside(repair *r, const char *path, int sqlite,
                              char *kept, size_t keptlen)
{
    static const char *const sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < (sqlite ? 3 : 1); i++) {
        char from[PATH_MAX], to[PATH_MAX + 64];
        snprintf(from, sizeof from, "%s%s", path, sfx[i]);
        snprintf(to, sizeof to, "%s.damaged-%s%s", path, r->stamp, sfx[i]);
        if (i == 0 && kept)
            snprintf(kept, keptlen, "%s", to);
        if (rename(from, to) < 0 && errno != ENOENT)
            return fail(r, ARCA_EIO, "%s: cannot move aside: %s", from,
                        strerror(errno));
    }
    return ARCA_OK;
}

/* ---- 1. The catalog ---- */

struct verdict {
    char *why;
    size_t len;
    int bad;
};

/* PRAGMA quick_check's rows: "ok", or what is wrong. */
static int check_row(void *ctx, int ncol, const char *const *cols)
{
    struct verdict *v = ctx;
    if (ncol > 0 && cols[0] && strcmp(cols[0], "ok") != 0) {
        snprintf(v->why, v->len, "%s", cols[0]);
        v->bad = 1;
        return 1;
    }
    return 0;
}

/* Any row at all. */
static int found_row(void *ctx, int ncol, const char *const *cols)
{
    (void)ncol;
    (void)cols;
    *(int *)ctx = 1;
    return 1;
}

/* Whether the catalog at PATH opens and passes SQLite's own check. */
static int catalog_sound(const char *path, char *why, size_t whylen)
{
    arca_catalog *c = NULL;
    char err[ARCA_ERRLEN];
    if (access(path, F_OK) != 0) {
        snprintf(why, whylen, "missing");
        return 0;
    }
    if (arca_catalog_open(path, ARCA_CATALOG_WRITE, &c, err, sizeof err)) {
        snprintf(why, whylen, "%s", err);
        return 0;
    }
    struct verdict v = {why, whylen, 0};
    arca_status rc = arca_catalog_query(c, "PRAGMA quick_check", NULL,
                                        check_row, &v);
    if (rc) {
        snprintf(why, whylen, "%s", arca_catalog_errmsg(c));
        v.bad = 1;
    }
    arca_catalog_close(c);
    return !v.bad;
}

struct rebuild {
    repair *r;
    arca_catalog *c;
    arca_objects *os;
    uint64_t loose, packed, unreadable;
    char (*cand)[ARCA_HEX_LEN + 1];   /* small objects: records, maybe */
    arca_objloc *cand_loc;
    size_t ncand, capcand;
};

static void note_line(void *ctx, const char *line)
{
    struct rebuild *b = ctx;
    say(b->r, "note: catalog: %s", line);
}

static int add_candidate(struct rebuild *b, const char *hex,
                         const arca_objloc *loc)
{
    if (b->ncand == b->capcand) {
        size_t cap = b->capcand ? b->capcand * 2 : 256;
        void *h = realloc(b->cand, cap * sizeof *b->cand);
        if (h == NULL)
            return -1;
        b->cand = h;
        void *l = realloc(b->cand_loc, cap * sizeof *b->cand_loc);
        if (l == NULL)
            return -1;
        b->cand_loc = l;
        b->capcand = cap;
    }
    memcpy(b->cand[b->ncand], hex, ARCA_HEX_LEN + 1);
    if (loc)
        b->cand_loc[b->ncand] = *loc;
    else
        memset(&b->cand_loc[b->ncand], 0, sizeof *b->cand_loc);
    b->ncand++;
    return 0;
}

static int found_loose(void *ctx, const char *hex)
{
    struct rebuild *b = ctx;
    uint64_t size = 0;
    char path[PATH_MAX];
    struct stat st;
    if (arca_objects_verify(b->os, hex, &size) != ARCA_OK) {
        b->unreadable++;
        return 0;
    }
    snprintf(path, sizeof path, "%s/objects/%.2s/%s", b->r->dir, hex,
             hex + 2);
    if (stat(path, &st) < 0)
        return 0;
    if (arca_catalog_put_object(b->c, hex, size, (uint64_t)st.st_size) ==
        ARCA_OK)
        b->loose++;
    if (size <= RECORD_OBJECT_MAX && add_candidate(b, hex, NULL) < 0)
        return 1;
    return 0;
}

static int found_packed(void *ctx, const char *hex, uint64_t size,
                        uint64_t zsize, const arca_objloc *loc)
{
    struct rebuild *b = ctx;
    if (arca_catalog_put_object_at(b->c, hex, size, zsize, loc) == ARCA_OK)
        b->packed++;
    if (size <= RECORD_OBJECT_MAX && add_candidate(b, hex, loc) < 0)
        return 1;
    return 0;
}

static void bad_pack(void *ctx, const char *problem)
{
    struct rebuild *b = ctx;
    say(b->r, "note: %s", problem);
}

/* Read candidate I into *data if it is a record object (else NULL). */
static arca_status read_candidate(struct rebuild *b, size_t i, void **data,
                                  size_t *len)
{
    *data = NULL;
    *len = 0;
    arca_status rc = b->cand_loc[i].pack[0]
        ? arca_objects_get_at(b->os, b->cand[i], &b->cand_loc[i],
                              RECORD_OBJECT_MAX, data, len)
        : arca_objects_get(b->os, b->cand[i], RECORD_OBJECT_MAX, data, len);
    if (rc == ARCA_ENOMEM)
        return fail(b->r, rc, "out of memory");
    if (rc != ARCA_OK || *len <= sizeof RECORD_PREFIX ||
        memcmp(*data, RECORD_PREFIX, sizeof RECORD_PREFIX - 1) != 0) {
        free(*data);
        *data = NULL;
    }
    return ARCA_OK;
}

static int cmp_hex(const void *a, const void *b)
{
    return memcmp(a, b, ARCA_HEX_LEN);
}

/*
 * The objects the record objects name as a part's original or text.
 * Anyone may import a file that reads like a record object; such a file
 * is an original (or a text) of some record, and so is never taken for
 * a record itself.
 */
static arca_status part_objects(struct rebuild *b, arca_hex **set,
                                size_t *n)
{
    size_t cap = 0;
    *set = NULL;
    *n = 0;
    for (size_t i = 0; i < b->ncand; i++) {
        void *data;
        size_t len;
        arca_status rc = read_candidate(b, i, &data, &len);
        if (rc)
            return rc;
        if (data == NULL)
            continue;
        json_t *o = json_loadb(data, len, 0, NULL);
        free(data);
        json_t *p;
        size_t k;
        json_array_foreach(json_object_get(o, "parts"), k, p) {
            const char *h[2] = {json_string_value(json_object_get(p,
                                                                  "original")),
                                json_string_value(json_object_get(p,
                                                                  "text"))};
            for (int j = 0; j < 2; j++) {
                if (h[j] == NULL || !arca_hex_valid(h[j]))
                    continue;
                if (*n == cap) {
                    cap = cap ? cap * 2 : 256;
                    arca_hex *m = realloc(*set, cap * sizeof *m);
                    if (m == NULL) {
                        json_decref(o);
                        return fail(b->r, ARCA_ENOMEM, "out of memory");
                    }
                    *set = m;
                }
                memcpy((*set)[(*n)++], h[j], ARCA_HEX_LEN + 1);
            }
        }
        json_decref(o);
    }
    if (*n)
        qsort(*set, *n, sizeof **set, cmp_hex);
    return ARCA_OK;
}

/* Every version the record objects among the candidates hold. */
static arca_status restore_records(struct rebuild *b, uint64_t *restored,
                                   uint64_t *seen)
{
    arca_hex *parts = NULL;
    size_t nparts = 0;
    arca_status rc = part_objects(b, &parts, &nparts);
    for (size_t i = 0; rc == ARCA_OK && i < b->ncand; i++) {
        void *data;
        size_t len;
        int salvaged_part = 0;
        if (nparts && bsearch(b->cand[i], parts, nparts, sizeof *parts,
                              cmp_hex))
            continue;
        arca_catalog_query(b->c, "SELECT 1 FROM parts WHERE original = ?1 "
                           "OR text = ?1 LIMIT 1", b->cand[i], found_row,
                           &salvaged_part);
        if (salvaged_part)
            continue;
        rc = read_candidate(b, i, &data, &len);
        if (rc || data == NULL)
            continue;
        int added = 0;
        (*seen)++;
        rc = arca_catalog_restore(b->c, b->cand[i], data, len, &added);
        free(data);
        if (rc == ARCA_EFORMAT) {
            say(b->r, "note: %s", arca_catalog_errmsg(b->c));
            rc = ARCA_OK;
        } else if (rc) {
            fail(b->r, rc, "%s", arca_catalog_errmsg(b->c));
        }
        *restored += (uint64_t)added;
    }
    free(parts);
    return rc;
}

struct ids {
    arca_catalog *c;
    repair *r;
    uint64_t missing;
};

/* A record the old index knows and the new catalog does not is lost. */
static int check_index_id(void *ctx, const char *term, uint64_t freq)
{
    struct ids *ids = ctx;
    int found = 0;
    (void)freq;
    arca_catalog_query(ids->c, "SELECT 1 FROM versions WHERE id = ?1 "
                       "LIMIT 1", term + 2, found_row, &found);
    if (!found) {
        ids->missing++;
        if (ids->missing <= 1000)
            say(ids->r, "lost: record %s: neither its catalog rows nor its "
                "record object survive (the index still knew it)", term + 2);
    }
    return 0;
}

static arca_status rebuild_catalog(repair *r, const char *why)
{
    char path[PATH_MAX], fresh[PATH_MAX + 16], kept[PATH_MAX + 64] = "";
    char err[ARCA_ERRLEN];
    arca_status rc;
    struct rebuild b = {.r = r};
    uint64_t rows = 0, restored = 0, seen = 0;

    join(path, sizeof path, r->dir, ARCA_CATALOG_FILE);
    say(r, "note: catalog: %s: rebuilding it from what it still holds and "
        "from the archive's objects", why);
    int had = access(path, F_OK) == 0;
    rc = keep_aside(r, path, 1, kept, sizeof kept);
    if (rc)
        return rc;
    snprintf(fresh, sizeof fresh, "%s.rebuild", path);
    static const char *const sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[PATH_MAX + 32];
        snprintf(p, sizeof p, "%s%s", fresh, sfx[i]);
        unlink(p);
    }
    rc = arca_catalog_open(fresh, ARCA_CATALOG_CREATE, &b.c, err,
                           sizeof err);
    if (rc)
        return fail(r, rc, "catalog %s: %s", fresh, err);
    rc = arca_objects_open(r->dir, 1, &b.os, err, sizeof err);
    if (rc) {
        arca_catalog_close(b.c);
        return fail(r, rc, "%s", err);
    }
    rc = arca_catalog_foreign_keys(b.c, 0);
    if (!rc)
        rc = arca_catalog_begin(b.c);
    if (!rc && had)
        rc = arca_catalog_salvage(b.c, kept, note_line, &b, &rows);
    if (!rc)
        rc = arca_objects_foreach(b.os, found_loose, &b);
    if (!rc)
        rc = arca_objects_foreach_packed(b.os, found_packed, bad_pack, &b);
    if (rc && !r->err[0])
        fail(r, rc, "%s", b.c ? arca_catalog_errmsg(b.c) : "");
    if (!rc)
        rc = restore_records(&b, &restored, &seen);
    if (!rc)
        rc = arca_catalog_rebuild_heads(b.c);
    if (!rc)
        rc = arca_catalog_commit(b.c);
    if (rc && !r->err[0])
        fail(r, rc, "%s", arca_catalog_errmsg(b.c));
    if (!rc)
        rc = arca_catalog_foreign_keys(b.c, 1);

    /* What the old index knew and the new catalog lacks is lost. */
    if (!rc) {
        char ipath[PATH_MAX];
        arca_xdb *x = NULL;
        join(ipath, sizeof ipath, r->dir, ARCA_INDEX_DIR);
        if (arca_xdb_open(ipath, 0, 0, &x, err, sizeof err) == ARCA_OK) {
            struct ids ids = {b.c, r, 0};
            arca_xdb_terms(x, "XR", check_index_id, &ids);
            if (ids.missing > 1000)
                say(r, "lost: %llu more records",
                    (unsigned long long)(ids.missing - 1000));
            arca_xdb_close(x);
        }
    }
    uint64_t nrec = 0;
    if (!rc)
        arca_catalog_count_records(b.c, &nrec);
    arca_catalog_close(b.c);
    arca_objects_close(b.os);
    free(b.cand);
    free(b.cand_loc);
    if (rc)
        return rc;
    if (rename(fresh, path) < 0)
        return fail(r, ARCA_EIO, "%s: cannot rename: %s", fresh,
                    strerror(errno));
    r->catalog_rebuilt = 1;
    r->index_rebuild = 1;
    say(r, "fixed: catalog rebuilt: %llu records (%llu rows read from the "
        "damaged catalog, %llu versions added from %llu record objects, "
        "%llu objects found on disk)%s%s",
        (unsigned long long)nrec, (unsigned long long)rows,
        (unsigned long long)restored, (unsigned long long)seen,
        (unsigned long long)(b.loose + b.packed), had ? "; the damaged file "
        "is kept as " : "", had ? kept : "");
    if (b.unreadable)
        say(r, "note: %llu damaged loose objects were left out",
            (unsigned long long)b.unreadable);
    say(r, "note: import ledger: files it no longer lists are read again "
        "by the next import; unchanged ones make no new version");
    return ARCA_OK;
}

/* ---- 2. Objects ---- */

typedef struct bad_object {
    arca_hex hex;
    uint64_t size;
    arca_objloc loc;
} bad_object;

struct scan {
    repair *r;
    bad_object *bad;
    size_t n, cap;
    int oom;
};

static int verify_one(void *ctx, const char *hex, uint64_t size,
                      uint64_t zsize, const arca_objloc *loc)
{
    struct scan *s = ctx;
    uint64_t got = 0;
    (void)zsize;
    arca_status rc = arca_objects_verify_at(s->r->db->objects, hex, loc,
                                            &got);
    if (rc == ARCA_OK && got == size)
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        bad_object *b = realloc(s->bad, cap * sizeof *b);
        if (b == NULL) {
            s->oom = 1;
            return 1;
        }
        s->bad = b;
        s->cap = cap;
    }
    bad_object *b = &s->bad[s->n++];
    memcpy(b->hex, hex, sizeof b->hex);
    b->size = size;
    if (loc)
        b->loc = *loc;
    else
        memset(&b->loc, 0, sizeof b->loc);
    return 0;
}

/* DATA, which must hash to HEX, stored loose and its row pointed at it. */
static arca_status put_back(repair *r, const bad_object *b, const void *data,
                            size_t len)
{
    arca_db *db = r->db;
    arca_hex got;
    int existed = 0;
    uint64_t zsize = 0;
    arca_status rc = arca_objects_put(db->objects, data, len, got, &existed,
                                      &zsize);
    if (rc)
        return fail(r, rc, "%s", arca_objects_errmsg());
    if (strcmp(got, b->hex) != 0)
        return ARCA_ECORRUPT;
    rc = arca_catalog_relocate(db->catalog, b->hex, zsize, NULL);
    if (rc)
        return fail(r, rc, "%s", arca_catalog_errmsg(db->catalog));
    return ARCA_OK;
}

/* A damaged loose copy goes to objects/damaged-STAMP/, out of the way
 * of the one put back. */
static void move_loose_aside(repair *r, const bad_object *b)
{
    char from[PATH_MAX], dir[PATH_MAX], to[PATH_MAX + 80];
    if (b->loc.pack[0])
        return;
    snprintf(from, sizeof from, "%s/objects/%.2s/%s", r->dir, b->hex,
             b->hex + 2);
    if (access(from, F_OK) != 0)
        return;
    snprintf(dir, sizeof dir, "%s/objects/damaged-%s", r->dir, r->stamp);
    mkdir(dir, 0755);
    snprintf(to, sizeof to, "%s/%s", dir, b->hex);
    if (rename(from, to) == 0)
        say(r, "note: object %s: the damaged copy is kept as %s", b->hex,
            to);
}

struct paths {
    char path[8][PATH_MAX];
    size_t n;
};

static int take_path(void *ctx, int ncol, const char *const *cols)
{
    struct paths *p = ctx;
    if (ncol > 0 && cols[0] && p->n < 8)
        snprintf(p->path[p->n++], PATH_MAX, "%s", cols[0]);
    return p->n == 8;
}

/* From a file imported with these bytes, if one is still there. */
static int from_source(repair *r, const bad_object *b)
{
    struct paths p = {.n = 0};
    arca_catalog_query(r->db->catalog, "SELECT path FROM ledger WHERE "
                       "sha256 = ?1 AND path NOT LIKE '%:%'", b->hex,
                       take_path, &p);
    for (size_t i = 0; i < p.n; i++) {
        int fd = open(p.path[i], O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
            continue;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
            (uint64_t)st.st_size != b->size || b->size > SIZE_MAX) {
            close(fd);
            continue;
        }
        size_t len = 0;
        void *data = malloc(b->size ? (size_t)b->size : 1);
        int rd = data ? arca_read_full(fd, data, (size_t)b->size, &len) : -1;
        close(fd);
        arca_status rc = ARCA_OK;
        if (rd == 0 && len == b->size) {
            arca_hex h;
            arca_sha256_hex(data, len, h);
            if (strcmp(h, b->hex) == 0) {
                move_loose_aside(r, b);
                rc = put_back(r, b, data, len);
                free(data);
                if (rc == ARCA_OK) {
                    say(r, "fixed: object %s: restored from %s", b->hex,
                        p.path[i]);
                    return 1;
                }
                return 0;
            }
        }
        free(data);
    }
    return 0;
}

struct use {
    char kind[16], id[256], name[512], original[ARCA_HEX_LEN + 1];
    int part, found;
};

static int take_use(void *ctx, int ncol, const char *const *cols)
{
    struct use *u = ctx;
    if (ncol < 5)
        return 1;
    snprintf(u->kind, sizeof u->kind, "%s", cols[0] ? cols[0] : "");
    snprintf(u->id, sizeof u->id, "%s", cols[1] ? cols[1] : "?");
    u->part = cols[2] ? atoi(cols[2]) : 0;
    snprintf(u->name, sizeof u->name, "%s", cols[3] ? cols[3] : "");
    snprintf(u->original, sizeof u->original, "%s", cols[4] ? cols[4] : "");
    u->found = 1;
    return 1;
}

/* A text extracted again from its original. */
static int from_original(repair *r, const bad_object *b, const struct use *u)
{
    arca_db *db = r->db;
    void *orig = NULL;
    size_t olen = 0;
    char *text = NULL;
    size_t tlen = 0;
    char err[ARCA_ERRLEN] = "";
    arca_hex got;

    if (!arca_hex_valid(u->original) ||
        arca_db_object_get(db, u->original, 0, &orig, &olen) != ARCA_OK) {
        free(orig);
        return 0;
    }
    arca_status rc = arca_extract_again(db, orig, olen,
                                        u->name[0] ? u->name : u->id, &text,
                                        &tlen, err, sizeof err);
    free(orig);
    if (rc || text == NULL) {
        free(text);
        return 0;
    }
    arca_sha256_hex(text, tlen, got);
    if (strcmp(got, b->hex) == 0) {
        move_loose_aside(r, b);
        rc = put_back(r, b, text, tlen);
        free(text);
        if (rc)
            return 0;
        say(r, "fixed: object %s: the text of record %s, extracted again "
            "from its original", b->hex, u->id);
        return 1;
    }
    /* Extraction has changed since: the parts take the new text. */
    int existed = 0;
    uint64_t zsize = 0;
    rc = arca_objects_put(db->objects, text, tlen, got, &existed, &zsize);
    free(text);
    if (rc)
        return 0;
    arca_objloc loc;
    if (arca_catalog_locate(db->catalog, got, &loc, NULL) == ARCA_ENOTFOUND)
        rc = arca_catalog_put_object(db->catalog, got, tlen, zsize);
    int dummy = 0;
    if (!rc) {
        char sql[512];
        snprintf(sql, sizeof sql, "UPDATE versions SET manifest = NULL "
                 "WHERE seq IN (SELECT seq FROM parts WHERE text = ?1)");
        rc = arca_catalog_query(db->catalog, sql, b->hex, found_row, &dummy);
    }
    if (!rc) {
        char sql[256];
        snprintf(sql, sizeof sql, "UPDATE parts SET text = '%s' WHERE "
                 "text = ?1", got);
        rc = arca_catalog_query(db->catalog, sql, b->hex, found_row,
                                &dummy);
    }
    if (rc)
        return 0;
    r->texts_changed = 1;
    say(r, "fixed: object %s: the text of record %s, extracted again from "
        "its original (as %s: extraction has changed since)", b->hex, u->id,
        got);
    return 1;
}

/* Forget the row of an object nothing refers to any more. */
static int forget_if_unused(repair *r, const bad_object *b)
{
    int used = 0;
    arca_catalog_query(r->db->catalog,
                       "SELECT 1 FROM parts WHERE original = ?1 OR "
                       "text = ?1 UNION ALL SELECT 1 FROM versions WHERE "
                       "manifest = ?1 LIMIT 1", b->hex, found_row, &used);
    if (used)
        return 0;
    int dummy = 0;
    if (arca_catalog_query(r->db->catalog, "DELETE FROM objects WHERE "
                           "sha256 = ?1", b->hex, found_row, &dummy))
        return 0;
    say(r, "fixed: object %s: damaged, and nothing refers to it: "
        "forgotten", b->hex);
    return 1;
}

static arca_status repair_objects(repair *r)
{
    arca_db *db = r->db;
    struct scan s = {.r = r};
    arca_status rc = arca_catalog_foreach_object(db->catalog, verify_one,
                                                 &s);
    if (rc == ARCA_OK && s.oom)
        rc = fail(r, ARCA_ENOMEM, "out of memory");
    else if (rc)
        fail(r, rc, "%s", arca_catalog_errmsg(db->catalog));
    for (size_t i = 0; rc == ARCA_OK && i < s.n; i++) {
        const bad_object *b = &s.bad[i];
        struct use u = {.found = 0};
        arca_catalog_query(db->catalog,
                           "SELECT 'original', v.id, p.part, p.name, NULL "
                           "FROM parts p JOIN versions v ON v.seq = p.seq "
                           "WHERE p.original = ?1 UNION ALL "
                           "SELECT 'text', v.id, p.part, p.name, p.original "
                           "FROM parts p JOIN versions v ON v.seq = p.seq "
                           "WHERE p.text = ?1 UNION ALL "
                           "SELECT 'record', id, version, NULL, NULL FROM "
                           "versions WHERE manifest = ?1",
                           b->hex, take_use, &u);
        if (from_source(r, b))
            continue;
        if (u.found && strcmp(u.kind, "record") == 0) {
            /* Written again from its rows, below, with the others. */
            int dummy = 0;
            move_loose_aside(r, b);
            arca_catalog_query(db->catalog, "UPDATE versions SET manifest "
                               "= NULL WHERE manifest = ?1", b->hex,
                               found_row, &dummy);
            forget_if_unused(r, b);
            continue;
        }
        if (u.found && strcmp(u.kind, "text") == 0 &&
            from_original(r, b, &u)) {
            forget_if_unused(r, b);
            continue;
        }
        if (!u.found) {
            forget_if_unused(r, b);
            continue;
        }
        if (u.name[0])
            say(r, "lost: object %s: the %s of record %s (part %d, '%s') "
                "is %s and no copy is left", b->hex, u.kind, u.id, u.part,
                u.name, b->loc.pack[0] ? "damaged" : "missing or damaged");
        else
            say(r, "lost: object %s: the %s of record %s is %s and no copy "
                "is left", b->hex, u.kind, u.id,
                b->loc.pack[0] ? "damaged" : "missing or damaged");
    }
    free(s.bad);
    return rc;
}

/* ---- The whole repair ---- */

static arca_status take_lock(repair *r, int *fd)
{
    char path[PATH_MAX];
    join(path, sizeof path, r->dir, ARCA_LOCK_FILE);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (*fd < 0)
        return fail(r, ARCA_EIO, "%s: cannot open: %s", path,
                    strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
        close(*fd);
        *fd = -1;
        return fail(r, errno == EWOULDBLOCK ? ARCA_ELOCKED : ARCA_EIO,
                    "%s: %s", r->dir, errno == EWOULDBLOCK
                    ? "collection is busy: another arca process is writing "
                      "to it" : strerror(errno));
    }
    return ARCA_OK;
}

static void left_problem(void *ctx, const char *problem)
{
    repair *r = ctx;
    say(r, "problem: %s", problem);
}

arca_status arca_db_repair(const char *dir, arca_problem_fn cb, void *ctx,
                           uint64_t *nleft, char *err, size_t errlen)
{
    repair r = {.dir = dir, .cb = cb, .ctx = ctx, .err = err,
                .errlen = errlen};
    char path[PATH_MAX], why[ARCA_ERRLEN];
    arca_status rc;
    int lockfd = -1;
    time_t now = time(NULL);
    struct tm tm;

    err[0] = '\0';
    *nleft = 0;
    gmtime_r(&now, &tm);
    strftime(r.stamp, sizeof r.stamp, "%Y%m%d-%H%M%S", &tm);
    join(path, sizeof path, dir, "config.lua");
    char objdir[PATH_MAX];
    join(objdir, sizeof objdir, dir, "objects");
    if (access(path, F_OK) != 0 && access(objdir, F_OK) != 0)
        return fail(&r, ARCA_ENOTFOUND, "%s: not an arca collection (no "
                    "config.lua, no objects/)", dir);
    rc = take_lock(&r, &lockfd);
    if (rc)
        return rc;

    /* 1. The catalog. */
    join(path, sizeof path, dir, ARCA_CATALOG_FILE);
    if (!catalog_sound(path, why, sizeof why))
        rc = rebuild_catalog(&r, why);

    /* The index: rebuilt from a new catalog, or set aside if damaged. */
    char ipath[PATH_MAX];
    join(ipath, sizeof ipath, dir, ARCA_INDEX_DIR);
    if (rc == ARCA_OK) {
        arca_xdb *x = NULL;
        char xerr[ARCA_ERRLEN];
        if (access(ipath, F_OK) != 0) {
            say(&r, "note: index: missing: it is built again");
            r.index_rebuild = 1;
        } else if (r.catalog_rebuilt) {
            rc = arca_remove_tree(ipath, err, errlen);
        } else if (arca_xdb_open(ipath, 0, 0, &x, xerr, sizeof xerr)) {
            say(&r, "note: index: %s: it is built again", xerr);
            rc = keep_aside(&r, ipath, 0, NULL, 0);
            if (rc == ARCA_OK)
                rc = arca_remove_tree(ipath, err, errlen);
            r.index_rebuild = 1;
        }
        arca_xdb_close(x);
    }
    /*
     * arca_db_open() takes the lock itself, on a descriptor of its own,
     * which this one would refuse: it is handed over between the two.
     */
    close(lockfd);
    if (rc)
        return rc;
    rc = arca_db_open(dir, ARCA_WRITE, &r.db, err, errlen);
    if (rc)
        return rc;
    if (r.index_rebuild)
        say(&r, "fixed: index rebuilt from the catalog");

    /* 2 and 3. Objects, and record objects. */
    rc = arca_catalog_begin(r.db->catalog);
    if (rc)
        fail(&r, rc, "%s", arca_catalog_errmsg(r.db->catalog));
    if (rc == ARCA_OK)
        rc = repair_objects(&r);
    uint64_t written = 0;
    if (rc == ARCA_OK) {
        rc = arca_catalog_journal_missing(r.db->catalog, &written);
        if (rc)
            fail(&r, rc, "%s", arca_catalog_errmsg(r.db->catalog));
    }
    if (rc == ARCA_OK) {
        rc = arca_commit_all(r.db);
        if (rc)
            fail(&r, rc, "%s", arca_db_errmsg(r.db));
    } else {
        arca_catalog_rollback(r.db->catalog);
    }
    if (rc == ARCA_OK && written)
        say(&r, "fixed: %llu record objects written (for versions made "
            "before arca kept them, or whose own was damaged)",
            (unsigned long long)written);

    /* 4. The index again, when texts changed. */
    if (rc == ARCA_OK && r.texts_changed) {
        rc = arca_db_reindex(r.db, NULL, NULL);
        if (rc)
            fail(&r, rc, "%s", arca_db_errmsg(r.db));
        else
            say(&r, "fixed: index rebuilt with the texts extracted again");
    }

    /* What is still wrong cannot be rebuilt. */
    if (rc == ARCA_OK) {
        if (arca_db_fsck(r.db, left_problem, &r, nleft) != ARCA_OK &&
            *nleft == 0)
            *nleft = 1;
    }
    arca_db_close(r.db);
    return rc;
}
