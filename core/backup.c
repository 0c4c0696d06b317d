/*
 * backup.c: `arca export` and `arca restore`: a collection to one tar
 * and back.
 *
 * An export holds, as regular files only:
 *   catalog.db           a snapshot of the catalog (archive/snapshot.c)
 *   config.lua           the collection's settings, when it has them
 *   reports/NAME         its reports
 *   objects/XX/<62 hex>  each loose object the snapshot refers to, as is
 *   objects/pack/NAME    each pack holding objects it refers to, cut after
 *                        the last such entry (what follows is no
 *                        committed record's)
 *   arca-export.json     last: the manifest, every other member's path,
 *                        size and SHA-256, and the format's version
 * and not the index, which a restore rebuilds from the archive.
 *
 * Exporting needs no lock: the snapshot is taken first, in one read
 * transaction, and objects are immutable once published, so every object
 * a committed transaction names is on disk whole while imports go on.
 * The tar is written to FILE.tmp, fsynced, then published under FILE.
 *
 * Reading one back (restore, verify) accepts those names only, regular
 * files only, and checks each member's size and SHA-256 against the
 * manifest.  A restore writes into DIR.restoring-XXXXXX beside DIR,
 * rebuilds the index with arca_db_reindex(), runs arca_db_fsck(), and
 * renames it to DIR only when all of that passed; on any failure the
 * staging directory is removed.
 */
#include <dirent.h>
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

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "arca-private.h"
#include "../archive/snapshot.h"

#define MANIFEST_NAME "arca-export.json"
#define FORMAT_NAME "arca-export"
#define FORMAT_VERSION 1

#define CHUNK ((size_t)1 << 20)
/* Bounds on what a tar may make a restore hold in memory or accept. */
#define MANIFEST_MAX ((uint64_t)256 << 20)   /* bytes of the manifest */
#define SMALL_MAX ((uint64_t)64 << 20)       /* config.lua, one report */
#define MEMBERS_MAX ((size_t)20000000)       /* members of one export */
#define REPORT_NAME_MAX 200

/* ---- Messages, hashing, names ---- */

static arca_status efail(char *err, size_t errlen, arca_status rc,
                         const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static arca_status efail(char *err, size_t errlen, arca_status rc,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static const char hexdigits[] = "0123456789abcdef";

static void raw_to_hex(const unsigned char *md, char *out)
{
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hexdigits[md[i] >> 4];
        out[2 * i + 1] = hexdigits[md[i] & 15];
    }
    out[64] = '\0';
}

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) +
           (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* What a member is, by its name; K_BAD for a name no export writes. */
enum kind { K_BAD, K_MANIFEST, K_CATALOG, K_CONFIG, K_REPORT, K_LOOSE,
            K_PACK };

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0' || strchr(hexdigits, s[i]) == NULL)
            return 0;
    return 1;
}

/* A report's file name: letters, digits, '.', '_', '-', '+', not
 * starting with '.' (so neither "." nor ".." nor a hidden file). */
static int report_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > REPORT_NAME_MAX || s[0] == '.')
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789._-+") == n;
}

static enum kind member_kind(const char *name)
{
    if (strcmp(name, MANIFEST_NAME) == 0)
        return K_MANIFEST;
    if (strcmp(name, ARCA_CATALOG_FILE) == 0)
        return K_CATALOG;
    if (strcmp(name, "config.lua") == 0)
        return K_CONFIG;
    if (strncmp(name, "reports/", 8) == 0)
        return report_name_ok(name + 8) ? K_REPORT : K_BAD;
    if (strncmp(name, "objects/pack/", 13) == 0) {
        const char *p = name + 13;    /* "pack-" 16 hex ".pack" */
        return strlen(p) == 26 && strncmp(p, "pack-", 5) == 0 &&
               is_hex(p + 5, 16) && strcmp(p + 21, ".pack") == 0
               ? K_PACK : K_BAD;
    }
    if (strncmp(name, "objects/", 8) == 0) {
        const char *p = name + 8;     /* XX/ 62 hex */
        return strlen(p) == ARCA_HEX_LEN + 1 && is_hex(p, 2) &&
               p[2] == '/' && is_hex(p + 3, ARCA_HEX_LEN - 2)
               ? K_LOOSE : K_BAD;
    }
    return K_BAD;
}

/* Fsync the directory holding PATH. */
static arca_status fsync_parent(const char *path, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        return efail(err, errlen, ARCA_EINVAL, "%s: path too long", path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return efail(err, errlen, ARCA_EIO, "%s: cannot open: %s", dir,
                     strerror(errno));
    int r = fsync(fd);
    int e = errno;
    close(fd);
    if (r != 0)
        return efail(err, errlen, ARCA_EIO, "%s: fsync: %s", dir,
                     strerror(e));
    return ARCA_OK;
}

/* ---- Export ---- */

typedef struct exporter {
    const char *dir;             /* the collection */
    const char *file;            /* the tar, for messages */
    struct archive *a;
    time_t mtime;                /* of every member: the export's start */
    unsigned char *buf;          /* CHUNK bytes */
    arca_str members;            /* the manifest's member lines */
    uint64_t nmembers, bytes, objects;
    /* The pack being gathered by on_object(): its name, and the entry
     * that lies furthest into it. */
    char pack[64];
    char pack_hex[ARCA_HEX_LEN + 1];
    uint64_t pack_offset;
    arca_status rc;              /* on_object()'s failure */
    char *err;
    size_t errlen;
} exporter;

/*
 * Write member NAME: SIZE bytes of FD from its start (PATH, for
 * messages), hashed as they go, and its manifest line.
 */
static arca_status put_member(exporter *ex, const char *name, int fd,
                              const char *path, uint64_t size, int mode)
{
    arca_status rc = ARCA_OK;
    struct archive_entry *e = archive_entry_new();
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned int diglen = 0;
    char hex[ARCA_HEX_LEN + 1];
    uint64_t done = 0;

    if (e == NULL || md == NULL ||
        !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        rc = efail(ex->err, ex->errlen, ARCA_ENOMEM, "%s: out of memory",
                   ex->file);
        goto out;
    }
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, (mode_t)mode);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_mtime(e, ex->mtime, 0);
    if (archive_write_header(ex->a, e) != ARCHIVE_OK) {
        rc = efail(ex->err, ex->errlen, ARCA_EIO, "%s: member %s: %s",
                   ex->file, name, archive_error_string(ex->a));
        goto out;
    }
    while (done < size) {
        size_t want = size - done < CHUNK ? (size_t)(size - done) : CHUNK;
        ssize_t n = pread(fd, ex->buf, want, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = efail(ex->err, ex->errlen, n < 0 ? ARCA_EIO : ARCA_ECORRUPT,
                       "%s: %s", path, n < 0 ? strerror(errno)
                       : "shorter than it was a moment ago");
            goto out;
        }
        if (!EVP_DigestUpdate(md, ex->buf, (size_t)n)) {
            rc = efail(ex->err, ex->errlen, ARCA_ENOMEM, "%s: cannot hash: "
                       "out of memory", path);
            goto out;
        }
        for (ssize_t w = 0; w < n;) {
            la_ssize_t k = archive_write_data(ex->a, ex->buf + w,
                                              (size_t)(n - w));
            if (k <= 0) {
                rc = efail(ex->err, ex->errlen, ARCA_EIO, "%s: %s", ex->file,
                           archive_error_string(ex->a)
                           ? archive_error_string(ex->a) : "cannot write");
                goto out;
            }
            w += k;
        }
        done += (uint64_t)n;
    }
    if (archive_write_finish_entry(ex->a) != ARCHIVE_OK) {
        rc = efail(ex->err, ex->errlen, ARCA_EIO, "%s: member %s: %s",
                   ex->file, name, archive_error_string(ex->a));
        goto out;
    }
    if (!EVP_DigestFinal_ex(md, dig, &diglen) || diglen != 32) {
        rc = efail(ex->err, ex->errlen, ARCA_EINTERNAL, "%s: cannot hash",
                   path);
        goto out;
    }
    raw_to_hex(dig, hex);
    rc = arca_str_printf(&ex->members, "%s    {\"path\": \"%s\", \"size\": "
                         "%llu, \"sha256\": \"%s\"}",
                         ex->nmembers ? ",\n" : "", name,
                         (unsigned long long)size, hex);
    if (rc) {
        efail(ex->err, ex->errlen, rc, "%s: out of memory", ex->file);
        goto out;
    }
    ex->nmembers++;
    ex->bytes += size;
out:
    EVP_MD_CTX_free(md);
    archive_entry_free(e);
    return rc;
}

/*
 * Member NAME from the file PATH, whole (UPTO 0) or its first UPTO bytes
 * (a pack).  ABSENT_OK: a missing file is skipped.
 */
static arca_status put_file(exporter *ex, const char *name, const char *path,
                            int mode, int absent_ok)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && absent_ok)
            return ARCA_OK;
        return efail(ex->err, ex->errlen, errno == ENOENT ? ARCA_ENOTFOUND
                     : ARCA_EIO, "%s: %s", path, strerror(errno));
    }
    arca_status rc = ARCA_OK;
    if (fstat(fd, &st) != 0)
        rc = efail(ex->err, ex->errlen, ARCA_EIO, "%s: %s", path,
                   strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = absent_ok ? ARCA_OK : efail(ex->err, ex->errlen, ARCA_EINVAL,
                                         "%s: not a regular file", path);
    else
        rc = put_member(ex, name, fd, path, (uint64_t)st.st_size, mode);
    close(fd);
    return rc;
}

/* The pack gathered so far, cut after its furthest referenced entry. */
static arca_status flush_pack(exporter *ex)
{
    char name[128], path[PATH_MAX];
    uint64_t end = 0;
    arca_status rc;

    if (ex->pack[0] == '\0')
        return ARCA_OK;
    snprintf(name, sizeof name, "objects/pack/%s", ex->pack);
    if (member_kind(name) != K_PACK)
        return efail(ex->err, ex->errlen, ARCA_ECORRUPT, "%s/%s: the catalog "
                     "names a pack \"%.60s\": not a pack's name", ex->dir,
                     ARCA_CATALOG_FILE, ex->pack);
    if (snprintf(path, sizeof path, "%s/%s", ex->dir, name) >=
        (int)sizeof path)
        return efail(ex->err, ex->errlen, ARCA_EINVAL, "%s: path too long",
                     ex->dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return efail(ex->err, ex->errlen, errno == ENOENT ? ARCA_ECORRUPT
                     : ARCA_EIO, "%s: %s (the catalog refers to it)", path,
                     strerror(errno));
    rc = arca_pack_entry_end(fd, path, ex->pack_hex, ex->pack_offset, &end,
                             ex->err, ex->errlen);
    if (rc == ARCA_OK)
        rc = put_member(ex, name, fd, path, end, 0444);
    close(fd);
    ex->pack[0] = '\0';
    return rc;
}

static int on_object(void *ctx, const char *hex, uint64_t size,
                     uint64_t zsize, const arca_objloc *loc)
{
    exporter *ex = ctx;
    (void)size;
    (void)zsize;
    ex->objects++;
    if (loc->pack[0] == '\0') {
        char name[128], path[PATH_MAX];
        if (!arca_hex_valid(hex)) {
            ex->rc = efail(ex->err, ex->errlen, ARCA_ECORRUPT, "%s/%s: an "
                           "object named \"%.80s\"", ex->dir,
                           ARCA_CATALOG_FILE, hex);
            return 1;
        }
        snprintf(name, sizeof name, "objects/%.2s/%s", hex, hex + 2);
        if (snprintf(path, sizeof path, "%s/%s", ex->dir, name) >=
            (int)sizeof path) {
            ex->rc = efail(ex->err, ex->errlen, ARCA_EINVAL, "%s: path too "
                           "long", ex->dir);
            return 1;
        }
        ex->rc = put_file(ex, name, path, 0444, 0);
        if (ex->rc == ARCA_ENOTFOUND)
            ex->rc = efail(ex->err, ex->errlen, ARCA_ECORRUPT, "%s: object "
                           "missing (the catalog refers to it)", path);
        return ex->rc != ARCA_OK;
    }
    /* Packed objects come grouped by pack, in order of offset. */
    if (strcmp(loc->pack, ex->pack) != 0) {
        if ((ex->rc = flush_pack(ex)) != ARCA_OK)
            return 1;
        snprintf(ex->pack, sizeof ex->pack, "%s", loc->pack);
        ex->pack_offset = 0;
        ex->pack_hex[0] = '\0';
    }
    if (ex->pack_hex[0] == '\0' || loc->offset >= ex->pack_offset) {
        ex->pack_offset = loc->offset;
        snprintf(ex->pack_hex, sizeof ex->pack_hex, "%s", hex);
    }
    return 0;
}

/* config.lua, then reports/NAME for each report, in name order. */
static arca_status put_settings(exporter *ex)
{
    char path[PATH_MAX], name[PATH_MAX];
    struct dirent **ents = NULL;
    arca_status rc;

    snprintf(path, sizeof path, "%s/config.lua", ex->dir);
    rc = put_file(ex, "config.lua", path, 0644, 1);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/reports", ex->dir);
    int n = scandir(path, &ents, NULL, alphasort);
    if (n < 0)
        return errno == ENOENT ? ARCA_OK
               : efail(ex->err, ex->errlen, ARCA_EIO, "%s: %s", path,
                       strerror(errno));
    for (int i = 0; i < n; i++) {
        /* Only names a restore accepts; editors' backups, hidden files
         * and folders stay behind. */
        if (rc == ARCA_OK && report_name_ok(ents[i]->d_name)) {
            snprintf(name, sizeof name, "reports/%s", ents[i]->d_name);
            if (snprintf(path, sizeof path, "%s/%s", ex->dir, name) >=
                (int)sizeof path)
                rc = efail(ex->err, ex->errlen, ARCA_EINVAL, "%s: path too "
                           "long", ex->dir);
            else
                rc = put_file(ex, name, path, 0644, 1);
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

/* The manifest, last. */
static arca_status put_manifest(exporter *ex, uint64_t records, int64_t seq)
{
    arca_str m = {0};
    char now[32], real[PATH_MAX];
    arca_status rc;

    arca_now_iso(now);
    json_t *js = json_string(realpath(ex->dir, real) ? real : ex->dir);
    char *coll = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
    json_decref(js);
    rc = arca_str_printf(&m,
                         "{\n  \"format\": \"" FORMAT_NAME "\",\n"
                         "  \"format_version\": %d,\n"
                         "  \"arca_version\": \"" ARCA_VERSION "\",\n"
                         "  \"created\": \"%s\",\n"
                         "  \"collection\": %s,\n"
                         "  \"catalog_seq\": %lld,\n"
                         "  \"records\": %llu,\n"
                         "  \"objects\": %llu,\n"
                         "  \"members_count\": %llu,\n"
                         "  \"bytes\": %llu,\n"
                         "  \"members\": [\n%s\n  ]\n}\n",
                         FORMAT_VERSION, now, coll ? coll : "null",
                         (long long)seq, (unsigned long long)records,
                         (unsigned long long)ex->objects,
                         (unsigned long long)ex->nmembers,
                         (unsigned long long)ex->bytes,
                         ex->members.s ? ex->members.s : "");
    free(coll);
    if (rc) {
        arca_str_free(&m);
        return efail(ex->err, ex->errlen, rc, "%s: out of memory", ex->file);
    }
    struct archive_entry *e = archive_entry_new();
    if (e == NULL) {
        arca_str_free(&m);
        return efail(ex->err, ex->errlen, ARCA_ENOMEM, "%s: out of memory",
                     ex->file);
    }
    archive_entry_set_pathname(e, MANIFEST_NAME);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)m.len);
    archive_entry_set_mtime(e, ex->mtime, 0);
    if (archive_write_header(ex->a, e) != ARCHIVE_OK ||
        archive_write_data(ex->a, m.s, m.len) != (la_ssize_t)m.len ||
        archive_write_finish_entry(ex->a) != ARCHIVE_OK)
        rc = efail(ex->err, ex->errlen, ARCA_EIO, "%s: member %s: %s",
                   ex->file, MANIFEST_NAME, archive_error_string(ex->a)
                   ? archive_error_string(ex->a) : "cannot write");
    archive_entry_free(e);
    arca_str_free(&m);
    return rc;
}

arca_status arca_export(const char *dir, const char *file, int force,
                        arca_backup_summary *sum, char *err, size_t errlen)
{
    exporter ex = {0};
    arca_catalog *cat = NULL;
    arca_status rc = ARCA_OK;
    char src[PATH_MAX], tmp[PATH_MAX] = "", snap[PATH_MAX] = "";
    int to_stdout = strcmp(file, "-") == 0;
    int fd = -1, published = 0;
    uint64_t records = 0;
    int64_t seq = 0;
    struct timespec t0;
    struct stat st;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(sum, 0, sizeof *sum);
    ex.dir = dir;
    ex.file = to_stdout ? "standard output" : file;
    ex.err = err;
    ex.errlen = errlen;
    ex.mtime = time(NULL);
    if (snprintf(src, sizeof src, "%s/" ARCA_CATALOG_FILE, dir) >=
            (int)sizeof src ||
        (!to_stdout && snprintf(tmp, sizeof tmp, "%s.tmp", file) >=
                           (int)sizeof tmp))
        return efail(err, errlen, ARCA_EINVAL, "%s: path too long",
                     to_stdout ? dir : file);
    if (access(src, F_OK) != 0)
        return efail(err, errlen, ARCA_ENOTFOUND, "%s: not an arca "
                     "collection (no %s)", dir, ARCA_CATALOG_FILE);

    /* Where the tar goes. */
    if (to_stdout) {
        fd = STDOUT_FILENO;
    } else {
        if (!force && lstat(file, &st) == 0)
            return efail(err, errlen, ARCA_EEXIST, "%s: exists (give "
                         "--force to replace it)", file);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST && force && unlink(tmp) == 0)
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            int e = errno;
            tmp[0] = '\0';          /* not ours: leave it */
            return efail(err, errlen, e == EEXIST ? ARCA_EEXIST : ARCA_EIO,
                         "%s.tmp: %s", file, e == EEXIST
                         ? "exists: another export is writing it, or one "
                           "was interrupted (remove it, or give --force)"
                         : strerror(e));
        }
    }

    /* The catalog as of now, beside the tar (or in $TMPDIR). */
    const char *tdir = getenv("TMPDIR");
    if (to_stdout)
        snprintf(snap, sizeof snap, "%s/arca-export-XXXXXX",
                 tdir && tdir[0] ? tdir : "/tmp");
    else
        snprintf(snap, sizeof snap, "%s.catalog-XXXXXX", file);
    int sfd = mkstemp(snap);
    if (sfd < 0) {
        rc = efail(err, errlen, ARCA_EIO, "%s: cannot create: %s", snap,
                   strerror(errno));
        snap[0] = '\0';
        goto out;
    }
    close(sfd);
    rc = arca_catalog_snapshot(src, snap, err, errlen);
    if (rc)
        goto out;
    rc = arca_catalog_open(snap, ARCA_CATALOG_READ, &cat, err, errlen);
    if (rc) {
        /* The message names the snapshot; the catalog is what is wrong. */
        char why[ARCA_ERRLEN];
        snprintf(why, sizeof why, "%s", err);
        efail(err, errlen, rc, "%s: %s", src, why);
        goto out;
    }
    if ((rc = arca_catalog_count_records(cat, &records)) != ARCA_OK ||
        (rc = arca_catalog_max_seq(cat, &seq)) != ARCA_OK) {
        efail(err, errlen, rc, "%s", arca_catalog_errmsg(cat));
        goto out;
    }

    ex.buf = malloc(CHUNK);
    ex.a = archive_write_new();
    if (ex.buf == NULL || ex.a == NULL) {
        rc = efail(err, errlen, ARCA_ENOMEM, "%s: out of memory", ex.file);
        goto out;
    }
    if (archive_write_set_format_pax_restricted(ex.a) != ARCHIVE_OK ||
        archive_write_add_filter_none(ex.a) != ARCHIVE_OK ||
        archive_write_open_fd(ex.a, fd) != ARCHIVE_OK) {
        rc = efail(err, errlen, ARCA_EIO, "%s: %s", ex.file,
                   archive_error_string(ex.a));
        goto out;
    }
    rc = put_file(&ex, ARCA_CATALOG_FILE, snap, 0644, 0);
    if (rc == ARCA_OK)
        rc = put_settings(&ex);
    if (rc == ARCA_OK) {
        rc = arca_catalog_foreach_object(cat, on_object, &ex);
        if (rc)
            efail(err, errlen, rc, "%s", arca_catalog_errmsg(cat));
        else if (ex.rc)
            rc = ex.rc;
        else
            rc = flush_pack(&ex);
    }
    if (rc == ARCA_OK)
        rc = put_manifest(&ex, records, seq);
    if (rc)
        goto out;
    if (archive_write_close(ex.a) != ARCHIVE_OK) {
        rc = efail(err, errlen, ARCA_EIO, "%s: %s", ex.file,
                   archive_error_string(ex.a));
        goto out;
    }
    sum->bytes = (uint64_t)archive_filter_bytes(ex.a, -1);

    /* Durable, then published under its name. */
    if (!to_stdout) {
        if (fsync(fd) != 0) {
            rc = efail(err, errlen, ARCA_EIO, "%s: fsync: %s", tmp,
                       strerror(errno));
            goto out;
        }
        int r = close(fd);
        fd = -1;
        if (r != 0) {
            rc = efail(err, errlen, ARCA_EIO, "%s: close: %s", tmp,
                       strerror(errno));
            goto out;
        }
        if (force) {
            r = rename(tmp, file);
        } else {
            /* link() refuses to replace a FILE that appeared meanwhile. */
            r = link(tmp, file);
            if (r != 0 && errno != EEXIST && lstat(file, &st) != 0)
                r = rename(tmp, file);    /* no hard links here */
            else if (r == 0)
                unlink(tmp);
        }
        if (r != 0) {
            rc = efail(err, errlen, errno == EEXIST ? ARCA_EEXIST : ARCA_EIO,
                       "%s: %s", file, errno == EEXIST
                       ? "appeared during the export; not replaced (give "
                         "--force)" : strerror(errno));
            goto out;
        }
        published = 1;
        rc = fsync_parent(file, err, errlen);
        if (rc)
            goto out;
    }
    sum->objects = ex.objects;
    sum->records = records;
    sum->members = ex.nmembers + 1;
    sum->seconds = since(&t0);
out:
    if (ex.a) {
        if (rc)
            archive_write_fail(ex.a);
        archive_write_free(ex.a);
    }
    arca_catalog_close(cat);
    if (snap[0])
        unlink(snap);
    if (fd >= 0 && !to_stdout)
        close(fd);
    if (!to_stdout && !published && tmp[0])
        unlink(tmp);
    free(ex.buf);
    arca_str_free(&ex.members);
    return rc;
}

/* ---- Reading an export back ---- */

/* A member as read: its name, size and SHA-256. */
typedef struct got_member {
    char *path;
    uint64_t size;
    char sha[ARCA_HEX_LEN + 1];
    int listed;                  /* the manifest names it */
} got_member;

typedef struct reader {
    const char *file;            /* the tar, for messages */
    const char *stage;           /* restore: the staging directory */
    const char *catalog_to;      /* verify: where catalog.db goes */
    got_member *m;
    size_t n, cap;
    char *manifest;              /* its bytes, NUL-terminated */
    size_t manifest_len;
    unsigned char *buf;          /* CHUNK bytes */
    uint64_t bytes;
    char *err;
    size_t errlen;
} reader;

static void reader_free(reader *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->m[i].path);
    free(r->m);
    free(r->manifest);
    free(r->buf);
}

static int got_cmp(const void *a, const void *b)
{
    return strcmp(((const got_member *)a)->path,
                  ((const got_member *)b)->path);
}

static got_member *got_find(reader *r, const char *path)
{
    got_member key = {.path = (char *)path};
    return bsearch(&key, r->m, r->n, sizeof *r->m, got_cmp);
}

static const char *type_name(mode_t t)
{
    switch (t) {
    case AE_IFDIR: return "a directory";
    case AE_IFLNK: return "a symbolic link";
    case AE_IFCHR:
    case AE_IFBLK: return "a device";
    case AE_IFIFO: return "a FIFO";
    case AE_IFSOCK: return "a socket";
    default: return "not a regular file";
    }
}

static arca_status write_full(int fd, const void *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return ARCA_EIO;
        p = (const char *)p + w;
        n -= (size_t)w;
    }
    return ARCA_OK;
}

/*
 * Where member NAME (of KIND) goes: an open file descriptor, -1 for
 * nowhere (hashed only), or a failure.
 */
static arca_status member_dest(reader *r, const char *name, enum kind kind,
                               int *fd)
{
    char path[PATH_MAX];
    *fd = -1;
    if (r->stage == NULL && !(kind == K_CATALOG && r->catalog_to))
        return ARCA_OK;
    if (r->stage == NULL) {
        snprintf(path, sizeof path, "%s", r->catalog_to);
        *fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    } else {
        if (snprintf(path, sizeof path, "%s/%s", r->stage, name) >=
            (int)sizeof path)
            return efail(r->err, r->errlen, ARCA_EINVAL, "%s: path too long",
                         r->stage);
        /* The folders of the few names accepted: objects/XX,
         * objects/pack (objects/ and reports/ are made already). */
        if (kind == K_LOOSE || kind == K_PACK) {
            char *slash = strrchr(path, '/');
            *slash = '\0';
            int mr = mkdir(path, 0777);
            *slash = '/';
            if (mr != 0 && errno != EEXIST)
                return efail(r->err, r->errlen, ARCA_EIO, "%s: cannot "
                             "create: %s", path, strerror(errno));
        }
        *fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                   kind == K_LOOSE || kind == K_PACK ? 0444 : 0644);
    }
    if (*fd < 0)
        return efail(r->err, r->errlen, errno == EEXIST ? ARCA_EFORMAT
                     : ARCA_EIO, "%s: member %s: %s", r->file, name,
                     errno == EEXIST ? "appears twice"
                     : strerror(errno));
    return ARCA_OK;
}

/* Read member NAME's data: to FD (or the manifest buffer), hashed. */
static arca_status read_member(reader *r, struct archive *a, const char *name,
                               enum kind kind, int fd, uint64_t size)
{
    arca_status rc = ARCA_OK;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned int diglen = 0;
    uint64_t got = 0;
    got_member *g;

    if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        rc = efail(r->err, r->errlen, ARCA_ENOMEM, "%s: out of memory",
                   r->file);
        goto out;
    }
    if (kind == K_MANIFEST) {
        r->manifest = malloc((size_t)size + 1);
        if (r->manifest == NULL) {
            rc = efail(r->err, r->errlen, ARCA_ENOMEM, "%s: member %s: out "
                       "of memory", r->file, name);
            goto out;
        }
    }
    for (;;) {
        la_ssize_t n = archive_read_data(a, r->buf, CHUNK);
        if (n == 0)
            break;
        if (n < 0) {
            rc = efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %s: %s",
                       r->file, name, archive_error_string(a)
                       ? archive_error_string(a) : "cannot read");
            goto out;
        }
        if ((uint64_t)n > size - got) {
            rc = efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %s: "
                       "longer than its header says", r->file, name);
            goto out;
        }
        if (kind == K_MANIFEST)
            memcpy(r->manifest + got, r->buf, (size_t)n);
        else if (fd >= 0 && write_full(fd, r->buf, (size_t)n) != ARCA_OK) {
            rc = efail(r->err, r->errlen, ARCA_EIO, "%s: member %s: cannot "
                       "write: %s", r->file, name, strerror(errno));
            goto out;
        }
        if (!EVP_DigestUpdate(md, r->buf, (size_t)n)) {
            rc = efail(r->err, r->errlen, ARCA_ENOMEM, "%s: out of memory",
                       r->file);
            goto out;
        }
        got += (uint64_t)n;
    }
    if (got != size) {
        rc = efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %s: %llu "
                   "bytes, its header says %llu (cut short?)", r->file, name,
                   (unsigned long long)got, (unsigned long long)size);
        goto out;
    }
    if (!EVP_DigestFinal_ex(md, dig, &diglen) || diglen != 32) {
        rc = efail(r->err, r->errlen, ARCA_EINTERNAL, "%s: cannot hash",
                   r->file);
        goto out;
    }
    if (kind == K_MANIFEST) {
        r->manifest[got] = '\0';
        r->manifest_len = (size_t)got;
        goto out;                /* the manifest does not list itself */
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        got_member *m = realloc(r->m, cap * sizeof *m);
        if (m == NULL) {
            rc = efail(r->err, r->errlen, ARCA_ENOMEM, "%s: out of memory",
                       r->file);
            goto out;
        }
        r->m = m;
        r->cap = cap;
    }
    g = &r->m[r->n];
    memset(g, 0, sizeof *g);
    if ((g->path = strdup(name)) == NULL) {
        rc = efail(r->err, r->errlen, ARCA_ENOMEM, "%s: out of memory",
                   r->file);
        goto out;
    }
    g->size = size;
    raw_to_hex(dig, g->sha);
    r->n++;
    r->bytes += size;
out:
    EVP_MD_CTX_free(md);
    return rc;
}

/* Every member of the tar, checked by name and type, read and hashed. */
static arca_status read_members(reader *r, struct archive *a)
{
    struct archive_entry *e;
    char last[128] = "";         /* the last good member, for messages */
    int after_manifest = 0;

    for (;;) {
        int ar = archive_read_next_header(a, &e);
        if (ar == ARCHIVE_EOF)
            return ARCA_OK;
        if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
            return efail(r->err, r->errlen, ARCA_EFORMAT, "%s: %s%s%s: %s",
                         r->file, last[0] ? "damaged after member " : "",
                         last, last[0] ? "" : "not a tar, or damaged",
                         archive_error_string(a) ? archive_error_string(a)
                                                 : "cannot read");
        const char *name = archive_entry_pathname(e);
        if (name == NULL || name[0] == '\0')
            return efail(r->err, r->errlen, ARCA_EFORMAT, "%s: a member "
                         "without a usable name%s%s", r->file,
                         last[0] ? " after " : "", last);
        if (archive_entry_hardlink(e) != NULL)
            return efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %.200s:"
                         " a hard link; an export holds regular files only",
                         r->file, name);
        mode_t type = archive_entry_filetype(e);
        if (type != AE_IFREG || archive_entry_symlink(e) != NULL)
            return efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %.200s:"
                         " %s; an export holds regular files only", r->file,
                         name, type_name(type));
        enum kind kind = member_kind(name);
        if (kind == K_BAD)
            return efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %.200s:"
                         " not a name arca export writes; refused", r->file,
                         name);
        if (after_manifest)
            return efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %.200s:"
                         " comes after the manifest (%s)", r->file, name,
                         MANIFEST_NAME);
        if (r->n >= MEMBERS_MAX)
            return efail(r->err, r->errlen, ARCA_ELIMIT, "%s: more than %zu "
                         "members", r->file, MEMBERS_MAX);
        if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
            return efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %s: no "
                         "size", r->file, name);
        uint64_t size = (uint64_t)archive_entry_size(e);
        uint64_t max = kind == K_MANIFEST ? MANIFEST_MAX
                       : kind == K_CONFIG || kind == K_REPORT ? SMALL_MAX
                       : UINT64_MAX;
        if (size > max)
            return efail(r->err, r->errlen, ARCA_ELIMIT, "%s: member %s: "
                         "%llu bytes, more than the %llu allowed", r->file,
                         name, (unsigned long long)size,
                         (unsigned long long)max);
        int fd = -1;
        arca_status rc = member_dest(r, name, kind, &fd);
        if (rc == ARCA_OK)
            rc = read_member(r, a, name, kind, fd, size);
        if (fd >= 0 && close(fd) != 0 && rc == ARCA_OK)
            rc = efail(r->err, r->errlen, ARCA_EIO, "%s: member %s: cannot "
                       "write: %s", r->file, name, strerror(errno));
        if (rc)
            return rc;
        snprintf(last, sizeof last, "%s", name);
        after_manifest = kind == K_MANIFEST;
    }
}

/* The members read against the manifest: sizes, hashes, none missing,
 * none extra. */
static arca_status check_manifest(reader *r, uint64_t *records,
                                  uint64_t *objects)
{
    arca_status rc = ARCA_OK;
    json_error_t jerr;
    json_t *j = NULL;

    if (r->manifest == NULL)
        return efail(r->err, r->errlen, ARCA_EFORMAT, "%s: no %s: not an "
                     "arca export, or cut short", r->file, MANIFEST_NAME);
    qsort(r->m, r->n, sizeof *r->m, got_cmp);
    for (size_t i = 1; i < r->n; i++)
        if (strcmp(r->m[i - 1].path, r->m[i].path) == 0)
            return efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %s: "
                         "appears twice", r->file, r->m[i].path);
    j = json_loadb(r->manifest, r->manifest_len, JSON_REJECT_DUPLICATES,
                   &jerr);
    if (j == NULL)
        return efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %s: line "
                     "%d: %s", r->file, MANIFEST_NAME, jerr.line, jerr.text);
    json_t *fmt = json_object_get(j, "format");
    json_t *ver = json_object_get(j, "format_version");
    json_t *members = json_object_get(j, "members");
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt),
                                       FORMAT_NAME) != 0 ||
        !json_is_integer(ver) || !json_is_array(members)) {
        rc = efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %s: not the "
                   "manifest of an arca export", r->file, MANIFEST_NAME);
        goto out;
    }
    if (json_integer_value(ver) > FORMAT_VERSION ||
        json_integer_value(ver) < 1) {
        rc = efail(r->err, r->errlen, ARCA_EUNSUPPORTED, "%s: export format "
                   "version %lld; this arca reads version %d", r->file,
                   (long long)json_integer_value(ver), FORMAT_VERSION);
        goto out;
    }
    size_t i;
    json_t *m;
    json_array_foreach(members, i, m) {
        json_t *p = json_object_get(m, "path");
        json_t *sz = json_object_get(m, "size");
        json_t *sha = json_object_get(m, "sha256");
        if (!json_is_string(p) || !json_is_integer(sz) ||
            json_integer_value(sz) < 0 || !json_is_string(sha) ||
            !arca_hex_valid(json_string_value(sha))) {
            rc = efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %s: "
                       "entry %zu is malformed", r->file, MANIFEST_NAME, i);
            goto out;
        }
        const char *path = json_string_value(p);
        got_member *g = got_find(r, path);
        if (g == NULL) {
            rc = efail(r->err, r->errlen, ARCA_ECORRUPT, "%s: member %.200s:"
                       " listed in the manifest, missing from the tar",
                       r->file, path);
            goto out;
        }
        if (g->listed) {
            rc = efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %s: "
                       "listed twice in the manifest", r->file, path);
            goto out;
        }
        g->listed = 1;
        if (g->size != (uint64_t)json_integer_value(sz)) {
            rc = efail(r->err, r->errlen, ARCA_ECORRUPT, "%s: member %s: "
                       "%llu bytes, the manifest says %lld", r->file, path,
                       (unsigned long long)g->size,
                       (long long)json_integer_value(sz));
            goto out;
        }
        if (strcmp(g->sha, json_string_value(sha)) != 0) {
            rc = efail(r->err, r->errlen, ARCA_ECORRUPT, "%s: member %s: "
                       "damaged (its SHA-256 is not the manifest's)",
                       r->file, path);
            goto out;
        }
    }
    for (i = 0; i < r->n; i++)
        if (!r->m[i].listed) {
            rc = efail(r->err, r->errlen, ARCA_EFORMAT, "%s: member %s: not "
                       "in the manifest", r->file, r->m[i].path);
            goto out;
        }
    if (got_find(r, ARCA_CATALOG_FILE) == NULL) {
        rc = efail(r->err, r->errlen, ARCA_EFORMAT, "%s: no %s", r->file,
                   ARCA_CATALOG_FILE);
        goto out;
    }
    json_t *rec = json_object_get(j, "records");
    json_t *obj = json_object_get(j, "objects");
    *records = json_is_integer(rec) && json_integer_value(rec) >= 0
               ? (uint64_t)json_integer_value(rec) : 0;
    *objects = json_is_integer(obj) && json_integer_value(obj) >= 0
               ? (uint64_t)json_integer_value(obj) : 0;
out:
    json_decref(j);
    return rc;
}

/* Open FILE ("-": standard input) and read every member through R. */
static arca_status read_export(reader *r, const char *file, uint64_t *records,
                               uint64_t *objects)
{
    arca_status rc;
    struct archive *a = archive_read_new();
    r->buf = malloc(CHUNK);
    if (a == NULL || r->buf == NULL) {
        archive_read_free(a);
        return efail(r->err, r->errlen, ARCA_ENOMEM, "%s: out of memory",
                     r->file);
    }
    /* A gzipped export (FILE.tar.gz) reads as well. */
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    int ar = strcmp(file, "-") == 0
             ? archive_read_open_fd(a, STDIN_FILENO, 64 * 1024)
             : archive_read_open_filename(a, file, 64 * 1024);
    if (ar != ARCHIVE_OK) {
        /* A file that cannot be opened says why plainly; else
         * libarchive's reason ("Unrecognized archive format"). */
        int fd = strcmp(file, "-") == 0 ? STDIN_FILENO
                                        : open(file, O_RDONLY | O_CLOEXEC);
        int e = fd < 0 ? errno : 0;
        if (fd > STDIN_FILENO)
            close(fd);
        rc = efail(r->err, r->errlen, e == ENOENT ? ARCA_ENOTFOUND
                   : e ? ARCA_EIO : ARCA_EFORMAT, "%s: %s", r->file,
                   e ? strerror(e) : archive_error_string(a)
                   ? archive_error_string(a) : "cannot open");
        archive_read_free(a);
        return rc;
    }
    rc = read_members(r, a);
    archive_read_free(a);
    if (rc == ARCA_OK)
        rc = check_manifest(r, records, objects);
    return rc;
}

/* ---- Verify ---- */

struct verify_ctx {
    reader *r;
    arca_problem_fn problem;
    void *ctx;
    uint64_t n, objects;
};

static void verify_problem(struct verify_ctx *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void verify_problem(struct verify_ctx *v, const char *fmt, ...)
{
    char buf[ARCA_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    v->n++;
    if (v->problem)
        v->problem(v->ctx, buf);
}

static void catalog_problem(void *ctx, const char *msg)
{
    verify_problem(ctx, "catalog: %s", msg);
}

/* Each object the catalog refers to is a member, or inside one. */
static int verify_object(void *ctx, const char *hex, uint64_t size,
                         uint64_t zsize, const arca_objloc *loc)
{
    struct verify_ctx *v = ctx;
    char name[128];
    (void)size;
    v->objects++;
    if (!arca_hex_valid(hex)) {
        verify_problem(v, "catalog: an object named \"%.80s\"", hex);
        return 0;
    }
    if (loc->pack[0] == '\0')
        snprintf(name, sizeof name, "objects/%.2s/%s", hex, hex + 2);
    else
        snprintf(name, sizeof name, "objects/pack/%.60s", loc->pack);
    got_member *g = got_find(v->r, name);
    if (g == NULL)
        verify_problem(v, "object %s: not in the export (%s)", hex, name);
    else if (loc->pack[0] && (g->size < ARCA_PACK_ENTRY_HEAD ||
                              loc->offset > g->size - ARCA_PACK_ENTRY_HEAD ||
                              zsize > g->size - ARCA_PACK_ENTRY_HEAD -
                                      loc->offset))
        verify_problem(v, "object %s: past the end of %s as exported", hex,
                       name);
    return 0;
}

arca_status arca_export_verify(const char *file, arca_problem_fn problem,
                               void *ctx, arca_backup_summary *sum,
                               char *err, size_t errlen)
{
    reader r = {0};
    arca_catalog *cat = NULL;
    char snap[PATH_MAX];
    uint64_t records = 0, objects = 0;
    struct timespec t0;
    struct verify_ctx v = {&r, problem, ctx, 0, 0};

    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(sum, 0, sizeof *sum);
    r.file = strcmp(file, "-") == 0 ? "standard input" : file;
    r.err = err;
    r.errlen = errlen;
    const char *tdir = getenv("TMPDIR");
    snprintf(snap, sizeof snap, "%s/arca-verify-XXXXXX",
             tdir && tdir[0] ? tdir : "/tmp");
    int sfd = mkstemp(snap);
    if (sfd < 0)
        return efail(err, errlen, ARCA_EIO, "%s: cannot create: %s", snap,
                     strerror(errno));
    close(sfd);
    r.catalog_to = snap;
    arca_status rc = read_export(&r, file, &records, &objects);
    if (rc)
        goto out;
    rc = arca_catalog_open(snap, ARCA_CATALOG_READ, &cat, err, errlen);
    if (rc) {
        char why[ARCA_ERRLEN];
        snprintf(why, sizeof why, "%s", err);
        efail(err, errlen, rc, "%s: member %s: %s", r.file,
              ARCA_CATALOG_FILE, why);
        goto out;
    }
    uint64_t ncat = 0;
    rc = arca_catalog_check(cat, catalog_problem, &v, &ncat);
    if (rc && rc != ARCA_ECORRUPT)
        verify_problem(&v, "catalog: %s", arca_catalog_errmsg(cat));
    rc = arca_catalog_foreach_object(cat, verify_object, &v);
    if (rc)
        verify_problem(&v, "catalog: %s", arca_catalog_errmsg(cat));
    rc = arca_catalog_count_records(cat, &records);
    if (rc)
        verify_problem(&v, "catalog: %s", arca_catalog_errmsg(cat));
    rc = ARCA_OK;
    if (v.n) {
        rc = efail(err, errlen, ARCA_ECORRUPT, "%s: %llu problem%s found",
                   r.file, (unsigned long long)v.n, v.n == 1 ? "" : "s");
        goto out;
    }
    sum->objects = v.objects;
    sum->records = records;
    sum->members = r.n + 1;
    sum->bytes = r.bytes + r.manifest_len;
    sum->seconds = since(&t0);
out:
    arca_catalog_close(cat);
    unlink(snap);
    reader_free(&r);
    return rc;
}

/* ---- Restore ---- */

static arca_status dir_usable(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(dir, &st) != 0) {
        if (errno == ENOENT)
            return ARCA_OK;
        return efail(err, errlen, ARCA_EIO, "%s: %s", dir, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return efail(err, errlen, ARCA_EEXIST, "%s: exists and is not a "
                     "directory", dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        return efail(err, errlen, ARCA_EIO, "%s: %s", dir, strerror(errno));
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty ? ARCA_OK
                 : efail(err, errlen, ARCA_EEXIST, "%s: exists and is not "
                         "empty; give a new or empty directory", dir);
}

/*
 * The index of the staged collection: an empty one that says it is up to
 * date with the catalog, so that opening the collection does not index
 * it a first time, arca_db_reindex() then builds the real one.  Nobody
 * sees it: the staging directory is not a collection until renamed.
 */
static arca_status stage_index(const char *stage, char *err, size_t errlen)
{
    char path[PATH_MAX + 64], buf[32];
    arca_catalog *cat = NULL;
    arca_xdb *x = NULL;
    int64_t seq = 0;

    snprintf(path, sizeof path, "%s/" ARCA_CATALOG_FILE, stage);
    arca_status rc = arca_catalog_open(path, ARCA_CATALOG_READ, &cat, err,
                                       errlen);
    if (rc == ARCA_OK && (rc = arca_catalog_max_seq(cat, &seq)) != ARCA_OK)
        efail(err, errlen, rc, "%s", arca_catalog_errmsg(cat));
    arca_catalog_close(cat);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/" ARCA_INDEX_DIR, stage);
    rc = arca_xdb_open(path, 1, 0, &x, err, errlen);
    if (rc)
        return rc;
    snprintf(buf, sizeof buf, "%lld", (long long)seq);
    rc = arca_xdb_set_meta(x, ARCA_META_SEQ, buf);
    if (rc == ARCA_OK)
        rc = arca_xdb_commit(x);
    if (rc)
        efail(err, errlen, rc, "%s", arca_xdb_errmsg(x));
    arca_xdb_close(x);
    return rc;
}

arca_status arca_restore(const char *file, const char *dir,
                         arca_problem_fn problem, arca_progress_fn progress,
                         void *ctx, arca_backup_summary *sum, char *err,
                         size_t errlen)
{
    reader r = {0};
    arca_db *db = NULL;
    char target[PATH_MAX], stage[PATH_MAX] = "", path[PATH_MAX + 64];
    uint64_t records = 0, objects = 0, nproblems = 0;
    struct timespec t0;
    arca_status rc;
    int done = 0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(sum, 0, sizeof *sum);
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (len == 0 || len >= sizeof target - 32)
        return efail(err, errlen, ARCA_EINVAL, "%s: %s", dir,
                     len ? "path too long" : "no directory given");
    memcpy(target, dir, len);
    target[len] = '\0';
    if (strcmp(target, "/") == 0 || strcmp(target, ".") == 0 ||
        strcmp(target, "..") == 0)
        return efail(err, errlen, ARCA_EINVAL, "%s: give a new directory's "
                     "name", dir);
    if ((rc = dir_usable(target, err, errlen)) != ARCA_OK)
        return rc;

    /* Staged beside DIR, so that the last step is one rename. */
    if (snprintf(stage, sizeof stage, "%s.restoring-XXXXXX", target) >=
        (int)sizeof stage)
        return efail(err, errlen, ARCA_EINVAL, "%s: path too long", dir);
    if (mkdtemp(stage) == NULL) {
        rc = efail(err, errlen, ARCA_EIO, "%s: cannot create the staging "
                   "directory %s beside it: %s", target, stage,
                   strerror(errno));
        stage[0] = '\0';
        return rc;
    }
    /* mkdtemp() made it 0700; it becomes DIR, made as mkdir(1) would
     * (or as the empty DIR was). */
    struct stat tst;
    mode_t mask = umask(0);
    umask(mask);
    if (chmod(stage, lstat(target, &tst) == 0 ? tst.st_mode & 07777
                                              : 0777 & ~mask) != 0) {
        rc = efail(err, errlen, ARCA_EIO, "%s: chmod: %s", stage,
                   strerror(errno));
        goto out;
    }
    const char *subdirs[] = {"objects", "reports"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", stage, subdirs[i]);
        if (mkdir(path, 0777) != 0) {
            rc = efail(err, errlen, ARCA_EIO, "%s: cannot create: %s", path,
                       strerror(errno));
            goto out;
        }
    }
    r.file = strcmp(file, "-") == 0 ? "standard input" : file;
    r.stage = stage;
    r.err = err;
    r.errlen = errlen;
    rc = read_export(&r, file, &records, &objects);
    if (rc)
        goto out;

    /* The index, rebuilt as `arca reindex` does; then `arca fsck`. */
    rc = stage_index(stage, err, errlen);
    if (rc)
        goto out;
    rc = arca_db_open(stage, ARCA_WRITE, &db, err, errlen);
    if (rc)
        goto out;
    rc = arca_db_reindex(db, progress, ctx);
    if (rc == ARCA_OK)
        rc = arca_db_fsck(db, problem, ctx, &nproblems);
    if (rc) {
        efail(err, errlen, rc, "%s: %s%s", target,
              nproblems ? "the restored collection fails its check: "
                        : "", arca_db_errmsg(db));
        goto out;
    }
    arca_stats st;
    if (arca_db_stats(db, &st) == ARCA_OK) {
        records = st.records;
        objects = st.objects;
    }
    arca_db_close(db);
    db = NULL;

    /* Durable as a whole, then in place. */
    int sfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sfd < 0 || syncfs(sfd) != 0) {
        rc = efail(err, errlen, ARCA_EIO, "%s: cannot sync: %s", stage,
                   strerror(errno));
        if (sfd >= 0)
            close(sfd);
        goto out;
    }
    close(sfd);
    if (rename(stage, target) != 0) {
        rc = efail(err, errlen, errno == ENOTEMPTY || errno == EEXIST
                   ? ARCA_EEXIST : ARCA_EIO, "%s: cannot rename %s to it: %s",
                   target, stage, strerror(errno));
        goto out;
    }
    done = 1;
    rc = fsync_parent(target, err, errlen);
    if (rc)
        goto out;
    sum->objects = objects;
    sum->records = records;
    sum->members = r.n + 1;
    sum->bytes = r.bytes + r.manifest_len;
    sum->seconds = since(&t0);
out:
    arca_db_close(db);
    if (!done && stage[0]) {
        char e2[ARCA_ERRLEN];
        arca_remove_tree(stage, e2, sizeof e2);
    }
    reader_free(&r);
    return rc;
}
