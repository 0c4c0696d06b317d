/*
 * db.c: a collection on disk: creating, opening (with the writer's lock
 * and the index's catch-up with the catalog), reading records and
 * objects back, figures, fsck and reindex.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <jansson.h>

#include "arca-private.h"

static const char config_template[] =
    "-- config.lua: this collection's settings, read by each import.\n"
    "-- Plain Lua data: only the base, string, table, math and utf8\n"
    "-- libraries are there.  Options given to `arca import` win.\n"
    "return {\n"
    "  import = {\n"
    "    -- ocr = true,            -- read the text of images and scans\n"
    "    -- ocr_langs = \"kor+eng\", -- tesseract languages (default: every\n"
    "    --                        -- installed one of kor eng chi_sim jpn rus)\n"
    "    -- jobs = 2,              -- extraction threads (default: the cores)\n"
    "    -- max_file_size = 268435456,  -- bytes; larger files are archived\n"
    "    --                             -- whole, not read for their text\n"
    "  },\n"
    "  -- Extra fields (from sidecars and hooks) searchable by name:\n"
    "  -- fields = { writer = \"text\", dept = \"keyword\" },  -- writer:kim\n"
    "  -- Korean as n-grams only, without whole words (to compare):\n"
    "  -- analysis = { cjk_words = false },\n"
    "  -- Import hooks.  on_extract(mime, doc) sees a file's extracted\n"
    "  -- doc.text, its original doc.raw (text types), doc.name, doc.path\n"
    "  -- and the fields title, author, date, board, lang, tags, fields;\n"
    "  -- on_record(rec) sees the record before it is stored.  What they\n"
    "  -- leave in the table is kept.  An error fails that file only.\n"
    "  -- on_extract = function(mime, doc)\n"
    "  --   if mime == \"text/html\" then\n"
    "  --     doc.author = doc.raw:match('<span class=\"writer\">(.-)</span>')\n"
    "  --   end\n"
    "  -- end,\n"
    "  -- on_record = function(rec)\n"
    "  --   if rec.title:find(\"Gyeongju\") then table.insert(rec.tags, \"gyeongju\") end\n"
    "  -- end,\n"
    "  -- on_folder(folder) decides whether a folder (folder.path,\n"
    "  -- folder.name, folder.files) is one record with attachments:\n"
    "  -- return true or a table of fields (body = the file of its text),\n"
    "  -- nil to import its files one by one.\n"
    "  -- on_folder = function(folder)\n"
    "  --   for _, f in ipairs(folder.files) do\n"
    "  --     if f == \"index.txt\" then return { board = \"News\" } end\n"
    "  --   end\n"
    "  -- end,\n"
    "}\n";

arca_status arca_db_fail(arca_db *db, arca_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
    va_end(ap);
    return st;
}

const char *arca_db_errmsg(const arca_db *db)
{
    return db ? db->errmsg : "no collection";
}

const char *arca_db_dir(const arca_db *db)
{
    return db->dir;
}

static int path_join(char *out, size_t n, const char *dir, const char *name)
{
    int k = snprintf(out, n, "%s/%s", dir, name);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* ---- Creating ---- */

static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    closedir(d);
    return empty;
}

arca_status arca_db_init(const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX];
    arca_objects *os = NULL;
    arca_catalog *cat = NULL;
    arca_xdb *x = NULL;
    arca_status rc = ARCA_OK;

    if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
        return ARCA_EIO;
    }
    if (path_join(path, sizeof path, dir, ARCA_CATALOG_FILE) < 0) {
        snprintf(err, errlen, "%s: path too long", dir);
        return ARCA_EINVAL;
    }
    if (access(path, F_OK) == 0) {
        snprintf(err, errlen, "%s: already a collection", dir);
        return ARCA_EEXIST;
    }
    if (!dir_is_empty(dir)) {
        snprintf(err, errlen, "%s: not empty; give a new or empty directory",
                 dir);
        return ARCA_EEXIST;
    }
    rc = arca_objects_open(dir, 1, &os, err, errlen);
    if (rc)
        goto out;
    rc = arca_catalog_open(path, ARCA_CATALOG_CREATE, &cat, err, errlen);
    if (rc)
        goto out;
    path_join(path, sizeof path, dir, ARCA_INDEX_DIR);
    rc = arca_xdb_open(path, 1, 0, &x, err, errlen);
    if (rc)
        goto out;
    rc = arca_xdb_set_meta(x, ARCA_META_SEQ, "0");
    if (rc == ARCA_OK)
        rc = arca_xdb_commit(x);
    if (rc) {
        snprintf(err, errlen, "%s", arca_xdb_errmsg(x));
        goto out;
    }
    path_join(path, sizeof path, dir, "reports");
    if (mkdir(path, 0777) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        rc = ARCA_EIO;
        goto out;
    }
    path_join(path, sizeof path, dir, "config.lua");
    FILE *f = fopen(path, "wx");
    if (f != NULL) {
        fputs(config_template, f);
        if (fclose(f) != 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            rc = ARCA_EIO;
        }
    }
out:
    arca_xdb_close(x);
    arca_catalog_close(cat);
    arca_objects_close(os);
    return rc;
}

/* ---- Opening ---- */

static arca_status take_lock(arca_db *db)
{
    char path[PATH_MAX];
    path_join(path, sizeof path, db->dir, ARCA_LOCK_FILE);
    db->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (db->lockfd < 0)
        return arca_db_fail(db, ARCA_EIO, "%s: cannot open: %s", path,
                            strerror(errno));
    if (flock(db->lockfd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            return arca_db_fail(db, ARCA_ELOCKED,
                                "%s: collection is busy: another arca "
                                "process is writing to it", db->dir);
        return arca_db_fail(db, ARCA_EIO, "%s: cannot lock: %s", path,
                            strerror(errno));
    }
    return ARCA_OK;
}

arca_status arca_db_open(const char *dir, int flags, arca_db **out,
                         char *err, size_t errlen)
{
    char path[PATH_MAX];
    arca_status rc;
    int writable = (flags & ARCA_WRITE) != 0;
    *out = NULL;

    arca_db *db = calloc(1, sizeof *db);
    if (db == NULL) {
        snprintf(err, errlen, "out of memory");
        return ARCA_ENOMEM;
    }
    db->lockfd = -1;
    db->flags = flags;
    db->dir = strdup(dir);
    if (db->dir == NULL) {
        rc = ARCA_ENOMEM;
        snprintf(db->errmsg, sizeof db->errmsg, "out of memory");
        goto out;
    }
    if (path_join(path, sizeof path, dir, ARCA_CATALOG_FILE) < 0 ||
        access(path, F_OK) != 0) {
        rc = arca_db_fail(db, ARCA_ENOTFOUND,
                          "%s: not an arca collection (no %s; create one "
                          "with 'arca init')", dir, ARCA_CATALOG_FILE);
        goto out;
    }
    if (writable && (rc = take_lock(db)) != ARCA_OK)
        goto out;
    /* Its settings first: they say how records are indexed. */
    path_join(path, sizeof path, dir, "config.lua");
    rc = arca_config_load(path, &db->cfg, db->errmsg, sizeof db->errmsg);
    if (rc)
        goto out;
    path_join(path, sizeof path, dir, ARCA_CATALOG_FILE);
    rc = arca_objects_open(dir, writable, &db->objects, db->errmsg,
                           sizeof db->errmsg);
    if (rc)
        goto out;
    rc = arca_catalog_open(path, writable ? ARCA_CATALOG_WRITE
                                          : ARCA_CATALOG_READ,
                           &db->catalog, db->errmsg, sizeof db->errmsg);
    if (rc)
        goto out;
    path_join(path, sizeof path, dir, ARCA_INDEX_DIR);
    rc = arca_xdb_open(path, writable, ARCA_FLUSH_DOCS, &db->xdb, db->errmsg,
                       sizeof db->errmsg);
    if (rc) {
        if (!writable) {
            size_t n = strlen(db->errmsg);
            snprintf(db->errmsg + n, sizeof db->errmsg - n,
                     " (run 'arca reindex' to rebuild the index)");
        }
        goto out;
    }
    if (writable) {
        arca_journal_attach(db);
        arca_objects_clean_tmp(db->objects);
        rc = arca_index_catch_up(db, 0, NULL, NULL);
    }
out:
    if (rc) {
        snprintf(err, errlen, "%s", db->errmsg);
        arca_db_close(db);
        return rc;
    }
    *out = db;
    return ARCA_OK;
}

/* ---- Shards ---- */

/*
 * SPEC into SH: tcp://HOST:PORT[?http=H] (HOST may be [IPv6]), else a
 * collection directory.
 */
static arca_status parse_shard(const char *spec, arca_shard *sh, char *err,
                               size_t errlen)
{
    memset(sh, 0, sizeof *sh);
    if (strncmp(spec, "tcp://", 6) != 0)
        return ARCA_OK;
    const char *h = spec + 6, *hend, *p;
    if (*h == '[') {
        hend = strchr(h, ']');
        p = hend ? hend + 1 : NULL;
        h++;
    } else {
        hend = strrchr(h, ':');
        p = hend;
    }
    if (hend == NULL || p == NULL || *p != ':' || hend == h ||
        (size_t)(hend - h) > 253) {
        snprintf(err, errlen, "%s: not a shard: write tcp://HOST:PORT "
                 "(or a collection directory)", spec);
        return ARCA_EINVAL;
    }
    char *end;
    errno = 0;
    unsigned long port = strtoul(p + 1, &end, 10);
    unsigned long http = port + 1;
    if (*end == '?' && strncmp(end, "?http=", 6) == 0 && end[6] != '\0')
        http = strtoul(end + 6, &end, 10);
    if (errno || end == p + 1 || *end != '\0' || port == 0 ||
        port > 65535 || http == 0 || http > 65535 || !isdigit((unsigned char)p[1])) {
        snprintf(err, errlen, "%s: not a shard: the port must be 1 to "
                 "65535 (tcp://HOST:PORT or tcp://HOST:PORT?http=H)", spec);
        return ARCA_EINVAL;
    }
    sh->host = strndup(h, (size_t)(hend - h));
    if (sh->host == NULL) {
        snprintf(err, errlen, "out of memory");
        return ARCA_ENOMEM;
    }
    for (const char *c = sh->host; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr(".-:_", *c)) {
            snprintf(err, errlen, "%s: not a shard: bad host name", spec);
            return ARCA_EINVAL;
        }
    sh->port = (unsigned)port;
    sh->http_port = (unsigned)http;
    return ARCA_OK;
}

/* A handle on no collection, that only searches shards. */
static arca_status open_bare(arca_db **out, char *err, size_t errlen)
{
    arca_status rc;
    arca_db *db = calloc(1, sizeof *db);
    *out = NULL;
    if (db == NULL) {
        snprintf(err, errlen, "out of memory");
        return ARCA_ENOMEM;
    }
    db->lockfd = -1;
    db->no_local = 1;
    /* The settings of a collection without config.lua: the gazetteer's
     * synonyms, as the collections searched have by default. */
    rc = arca_gazetteer_add(&db->cfg.synonyms, err, errlen);
    if (rc == ARCA_OK) {
        arca_synonyms_sort(db->cfg.synonyms);
        rc = arca_xdb_new_reader(&db->xdb);
        if (rc)
            snprintf(err, errlen, "out of memory");
    }
    if (rc) {
        arca_db_close(db);
        return rc;
    }
    *out = db;
    return ARCA_OK;
}

arca_status arca_db_open_shards(const char *dir, const char *const *specs,
                                size_t n, arca_db **out, char *err,
                                size_t errlen)
{
    arca_status rc;
    arca_db *db = NULL;
    char path[PATH_MAX];

    *out = NULL;
    if (n > ARCA_MAX_SHARDS) {
        snprintf(err, errlen, "%zu shards (at most %d)", n, ARCA_MAX_SHARDS);
        return ARCA_ELIMIT;
    }
    rc = dir ? arca_db_open(dir, ARCA_RDONLY, &db, err, errlen)
             : open_bare(&db, err, errlen);
    if (rc)
        return rc;
    if (n == 0)
        goto out;
    db->shards = calloc(n, sizeof *db->shards);
    if (db->shards == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = ARCA_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        arca_shard *sh = &db->shards[i];
        rc = parse_shard(specs[i], sh, err, errlen);
        db->nshards = i + 1;
        if (rc)
            goto out;
        if ((sh->spec = strdup(specs[i])) == NULL) {
            snprintf(err, errlen, "out of memory");
            rc = ARCA_ENOMEM;
            goto out;
        }
        if (sh->host != NULL) {
            rc = arca_xdb_add_shard(db->xdb, NULL, sh->host, sh->port,
                                    ARCA_SHARD_TIMEOUT_MS);
        } else {
            char e2[ARCA_ERRLEN];
            rc = arca_db_open(specs[i], ARCA_RDONLY, &sh->local, e2,
                              sizeof e2);
            if (rc) {
                snprintf(err, errlen, "%s", e2);
                goto out;
            }
            if (path_join(path, sizeof path, specs[i], ARCA_INDEX_DIR) < 0) {
                snprintf(err, errlen, "%s: path too long", specs[i]);
                rc = ARCA_EINVAL;
                goto out;
            }
            rc = arca_xdb_add_shard(db->xdb, path, NULL, 0, 0);
        }
        if (rc) {
            snprintf(err, errlen, "%s: %s", specs[i],
                     arca_xdb_errmsg(db->xdb));
            goto out;
        }
    }
out:
    if (rc) {
        arca_db_close(db);
        return rc;
    }
    *out = db;
    return ARCA_OK;
}

void arca_db_close(arca_db *db)
{
    if (db == NULL)
        return;
    for (size_t i = 0; i < db->nshards; i++) {
        free(db->shards[i].spec);
        free(db->shards[i].host);
        arca_db_close(db->shards[i].local);
    }
    free(db->shards);
    arca_xdb_close(db->xdb);
    arca_catalog_close(db->catalog);
    arca_objects_close(db->objects);
    if (db->lockfd >= 0)
        close(db->lockfd);
    arca_config_free(&db->cfg);
    free(db->dir);
    free(db);
}

/* ---- Reading records back ---- */

static json_t *jstr_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *json_from_text(const char *s)
{
    if (s == NULL)
        return NULL;
    return json_loads(s, JSON_DECODE_ANY, NULL);
}

static json_t *record_to_json(const arca_cat_record *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "version", json_integer(r->version));
    json_object_set_new(o, "created", jstr_or_null(r->created));
    if (r->deleted)
        json_object_set_new(o, "deleted", json_true());
    json_object_set_new(o, "title", jstr_or_null(r->title));
    json_object_set_new(o, "date", jstr_or_null(r->date));
    json_object_set_new(o, "author", jstr_or_null(r->author));
    json_object_set_new(o, "board", jstr_or_null(r->board));
    json_object_set_new(o, "lang", jstr_or_null(r->lang));
    json_object_set_new(o, "source", jstr_or_null(r->source));
    json_t *tags = json_from_text(r->tags);
    json_object_set_new(o, "tags", tags ? tags : json_array());
    json_t *extra = json_from_text(r->extra);
    json_object_set_new(o, "extra", extra ? extra : json_object());
    json_t *parts = json_array();
    for (size_t i = 0; i < r->nparts; i++) {
        const arca_cat_part *p = &r->parts[i];
        json_t *j = json_object();
        json_object_set_new(j, "part", json_integer(p->seq));
        json_object_set_new(j, "name", jstr_or_null(p->name));
        json_object_set_new(j, "type", jstr_or_null(p->mime));
        json_object_set_new(j, "charset", jstr_or_null(p->charset));
        json_object_set_new(j, "lang", jstr_or_null(p->lang));
        json_object_set_new(j, "size", json_integer(p->size));
        json_object_set_new(j, "sha256", jstr_or_null(p->original));
        json_object_set_new(j, "text_sha256", jstr_or_null(p->text));
        if (p->note)
            json_object_set_new(j, "note", json_string(p->note));
        json_t *meta = json_from_text(p->meta);
        if (meta)
            json_object_set_new(j, "meta", meta);
        json_array_append_new(parts, j);
    }
    json_object_set_new(o, "parts", parts);
    return o;
}

arca_status arca_db_record_json(arca_db *db, const char *id, int with_text,
                                char **out)
{
    if (db->no_local)
        return arca_db_fail(db, ARCA_ENOTFOUND, "no collection here: this "
                            "handle only searches shards");
    arca_cat_record *r = NULL;
    json_t *o = NULL;
    *out = NULL;
    arca_status rc = arca_catalog_get_record(db->catalog, id, &r);
    if (rc == ARCA_ENOTFOUND)
        return arca_db_fail(db, rc, "no record with id '%s'", id);
    if (rc)
        return arca_db_fail(db, rc, "%s", arca_catalog_errmsg(db->catalog));
    o = record_to_json(r);
    if (with_text) {
        json_t *parts = json_object_get(o, "parts");
        for (size_t i = 0; i < r->nparts; i++) {
            if (r->parts[i].text == NULL)
                continue;
            void *text = NULL;
            size_t len = 0;
            rc = arca_db_object_get(db, r->parts[i].text, 0, &text, &len);
            if (rc)
                goto out;
            json_object_set_new(json_array_get(parts, i), "text",
                                json_stringn(text, len));
            free(text);
        }
    }
    *out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (*out == NULL)
        rc = arca_db_fail(db, ARCA_ENOMEM, "out of memory");
out:
    json_decref(o);
    arca_cat_record_free(r);
    return rc;
}

/* ---- Objects, wherever they lie ---- */

arca_status arca_db_object_get(arca_db *db, const char *hex, size_t max,
                               void **data, size_t *len)
{
    if (db->no_local)
        return arca_db_fail(db, ARCA_ENOTFOUND, "no collection here: this "
                            "handle only searches shards");
    arca_objloc loc;
    arca_status rc = arca_catalog_locate(db->catalog, hex, &loc, NULL);
    if (rc && rc != ARCA_ENOTFOUND)
        return arca_db_fail(db, rc, "%s", arca_catalog_errmsg(db->catalog));
    rc = arca_objects_get_at(db->objects, hex, rc ? NULL : &loc, max, data,
                             len);
    if (rc)
        arca_db_fail(db, rc, "%s", arca_objects_errmsg());
    return rc;
}

arca_status arca_db_object_stream(arca_db *db, const char *hex,
                                  arca_sink_fn sink, void *ctx)
{
    if (db->no_local)
        return arca_db_fail(db, ARCA_ENOTFOUND, "no collection here: this "
                            "handle only searches shards");
    arca_objloc loc;
    arca_status rc = arca_catalog_locate(db->catalog, hex, &loc, NULL);
    if (rc && rc != ARCA_ENOTFOUND)
        return arca_db_fail(db, rc, "%s", arca_catalog_errmsg(db->catalog));
    rc = arca_objects_stream_at(db->objects, hex, rc ? NULL : &loc, sink, ctx,
                                NULL);
    if (rc)
        arca_db_fail(db, rc, "%s", arca_objects_errmsg());
    return rc;
}

/* WHAT is an object's hex, "ID" (the body's original) or "ID/NAME". */
arca_status arca_db_get(arca_db *db, const char *what, arca_sink_fn sink,
                        void *ctx)
{
    if (db->no_local)
        return arca_db_fail(db, ARCA_ENOTFOUND, "no collection here: this "
                            "handle only searches shards");
    arca_status rc;
    arca_cat_record *r = NULL;
    char hex[ARCA_HEX_LEN + 1];
    const char *part = NULL;
    char *id = NULL;

    if (arca_hex_valid(what)) {
        snprintf(hex, sizeof hex, "%s", what);
        goto stream;
    }
    rc = arca_catalog_get_record(db->catalog, what, &r);
    if (rc == ARCA_ENOTFOUND) {
        /* Not an id as a whole: split at the first '/' for ID/NAME. */
        const char *slash = strchr(what, '/');
        if (slash == NULL)
            return arca_db_fail(db, rc, "no record or object '%s'", what);
        id = strndup(what, (size_t)(slash - what));
        if (id == NULL)
            return arca_db_fail(db, ARCA_ENOMEM, "out of memory");
        part = slash + 1;
        rc = arca_catalog_get_record(db->catalog, id, &r);
        if (rc == ARCA_ENOTFOUND) {
            arca_db_fail(db, rc, "no record with id '%s'", id);
            goto out;
        }
    }
    if (rc) {
        arca_db_fail(db, rc, "%s", arca_catalog_errmsg(db->catalog));
        goto out;
    }
    const arca_cat_part *found = NULL;
    for (size_t i = 0; i < r->nparts && found == NULL; i++) {
        const arca_cat_part *p = &r->parts[i];
        if (part == NULL ? p->seq == 0
                         : (p->name && strcmp(p->name, part) == 0))
            found = p;
    }
    /* A number names an attachment by its position (1, 2, ...). */
    if (found == NULL && part != NULL) {
        char *end;
        long n = strtol(part, &end, 10);
        for (size_t i = 0; *end == '\0' && i < r->nparts; i++)
            if (r->parts[i].seq == n)
                found = &r->parts[i];
    }
    if (found == NULL || found->original == NULL) {
        rc = arca_db_fail(db, ARCA_ENOTFOUND, "record '%s' has no %s%s%s",
                          r->id, part ? "attachment '" : "original body",
                          part ? part : "", part ? "'" : "");
        goto out;
    }
    snprintf(hex, sizeof hex, "%s", found->original);
stream:
    rc = arca_db_object_stream(db, hex, sink, ctx);
out:
    free(id);
    arca_cat_record_free(r);
    return rc;
}

/* ---- Figures ---- */

static uint64_t du(const char *path, int depth)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return 0;
    uint64_t n = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    if (!S_ISDIR(st.st_mode) || depth > 8)
        return n;
    DIR *d = opendir(path);
    if (d == NULL)
        return n;
    struct dirent *e;
    char sub[PATH_MAX];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (path_join(sub, sizeof sub, path, e->d_name) == 0)
            n += du(sub, depth + 1);
    }
    closedir(d);
    return n;
}

arca_status arca_db_refresh(arca_db *db)
{
    if (db == NULL)
        return ARCA_EINVAL;
    if (db->flags & ARCA_WRITE)
        return ARCA_OK;         /* a writer sees its own changes */
    arca_status rc = arca_xdb_reopen(db->xdb);
    if (rc)
        return arca_db_fail(db, rc, "%s", arca_xdb_errmsg(db->xdb));
    return ARCA_OK;
}

arca_status arca_db_stats(arca_db *db, arca_stats *out)
{
    arca_cat_stats cs;
    memset(out, 0, sizeof *out);
    if (db->no_local)
        return arca_db_fail(db, ARCA_ENOTFOUND, "no collection here: this "
                            "handle only searches shards");
    arca_status rc = arca_catalog_stats(db->catalog, &cs);
    if (rc)
        return arca_db_fail(db, rc, "%s", arca_catalog_errmsg(db->catalog));
    out->records = cs.records;
    out->versions = cs.versions;
    out->parts = cs.parts;
    out->objects = cs.objects;
    out->bytes = cs.bytes;
    out->stored_bytes = cs.stored_bytes;
    out->index_docs = arca_xdb_doccount(db->xdb);
    char path[PATH_MAX];
    path_join(path, sizeof path, db->dir, ARCA_INDEX_DIR);
    out->index_bytes = du(path, 0);
    return ARCA_OK;
}

/* ---- fsck ---- */

struct fsck_ctx {
    arca_db *db;
    arca_problem_fn cb;
    void *ctx;
    uint64_t n;
    uint64_t checked;
};

static void problem(struct fsck_ctx *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct fsck_ctx *f, const char *fmt, ...)
{
    char buf[ARCA_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    f->n++;
    if (f->cb)
        f->cb(f->ctx, buf);
}

static void catalog_problem(void *ctx, const char *msg)
{
    problem(ctx, "catalog: %s", msg);
}

static int fsck_object(void *ctx, const char *hex, uint64_t size,
                       uint64_t zsize, const arca_objloc *loc)
{
    struct fsck_ctx *f = ctx;
    uint64_t got = 0;
    (void)zsize;
    f->checked++;
    arca_status rc = arca_objects_verify_at(f->db->objects, hex, loc, &got);
    if (rc == ARCA_ENOTFOUND)
        problem(f, "object %s: missing (the catalog refers to it)", hex);
    else if (rc)
        problem(f, "object %s: %s", hex, arca_objects_errmsg());
    else if (got != size)
        problem(f, "object %s: %llu bytes, the catalog says %llu", hex,
                (unsigned long long)got, (unsigned long long)size);
    return 0;
}

arca_status arca_db_fsck(arca_db *db, arca_problem_fn cb, void *ctx,
                         uint64_t *nproblems)
{
    struct fsck_ctx f = {db, cb, ctx, 0, 0};
    uint64_t ncat = 0;
    arca_status rc = arca_catalog_check(db->catalog, catalog_problem, &f,
                                        &ncat);
    if (rc && rc != ARCA_ECORRUPT) {
        problem(&f, "catalog: %s", arca_catalog_errmsg(db->catalog));
        goto out;
    }
    rc = arca_catalog_foreach_object(db->catalog, fsck_object, &f);
    if (rc)
        problem(&f, "catalog: %s", arca_catalog_errmsg(db->catalog));
    /* The index must reflect the catalog. */
    char *seq = NULL;
    int64_t cat_seq = 0;
    if (arca_xdb_get_meta(db->xdb, ARCA_META_SEQ, &seq) == ARCA_OK &&
        arca_catalog_max_seq(db->catalog, &cat_seq) == ARCA_OK &&
        strtoll(seq, NULL, 10) != cat_seq)
        problem(&f, "index: reflects catalog change %s of %lld (run 'arca "
                "reindex', or open the collection for writing)", seq,
                (long long)cat_seq);
    free(seq);
out:
    if (nproblems)
        *nproblems = f.n;
    if (f.n)
        return arca_db_fail(db, ARCA_ECORRUPT, "%s: %llu problem%s found",
                            db->dir, (unsigned long long)f.n,
                            f.n == 1 ? "" : "s");
    return ARCA_OK;
}

/* ---- reindex ---- */

arca_status arca_db_reindex(arca_db *db, arca_progress_fn cb, void *ctx)
{
    char path[PATH_MAX], tmp[PATH_MAX], old[PATH_MAX];
    arca_status rc;
    arca_xdb *fresh = NULL;
    if (!(db->flags & ARCA_WRITE))
        return arca_db_fail(db, ARCA_EINVAL, "reindex needs a writer");

    /* Build beside the live index, then swap it in. */
    path_join(path, sizeof path, db->dir, ARCA_INDEX_DIR);
    path_join(tmp, sizeof tmp, db->dir, ARCA_INDEX_DIR ".new");
    path_join(old, sizeof old, db->dir, ARCA_INDEX_DIR ".old");
    char cmd_err[ARCA_ERRLEN];
    if (access(tmp, F_OK) == 0 && arca_xdb_open(tmp, 1, 0, &fresh, cmd_err,
                                                sizeof cmd_err) == ARCA_OK) {
        /* A reindex that was interrupted: start that one again. */
        arca_xdb_close(fresh);
        fresh = NULL;
    }
    rc = arca_remove_tree(tmp, db->errmsg, sizeof db->errmsg);
    if (rc)
        return rc;
    rc = arca_xdb_open(tmp, 1, ARCA_FLUSH_DOCS, &fresh, db->errmsg,
                       sizeof db->errmsg);
    if (rc)
        return rc;
    arca_xdb *live = db->xdb;
    db->xdb = fresh;
    rc = arca_index_catch_up(db, 1, cb, ctx);
    db->xdb = live;
    arca_xdb_close(fresh);
    if (rc)
        return rc;
    arca_xdb_close(db->xdb);
    db->xdb = NULL;
    rc = arca_remove_tree(old, db->errmsg, sizeof db->errmsg);
    if (rc == ARCA_OK && access(path, F_OK) == 0 && rename(path, old) < 0)
        rc = arca_db_fail(db, ARCA_EIO, "%s: cannot rename: %s", path,
                          strerror(errno));
    if (rc == ARCA_OK && rename(tmp, path) < 0)
        rc = arca_db_fail(db, ARCA_EIO, "%s: cannot rename: %s", tmp,
                          strerror(errno));
    if (rc == ARCA_OK)
        rc = arca_remove_tree(old, db->errmsg, sizeof db->errmsg);
    arca_status rc2 = arca_xdb_open(path, 1, ARCA_FLUSH_DOCS, &db->xdb,
                                    db->errmsg, sizeof db->errmsg);
    return rc ? rc : rc2;
}
