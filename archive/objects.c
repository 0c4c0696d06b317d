/*
 * objects.c: the content-addressed object store (DIR/objects).
 *
 * An object is a byte string named by the SHA-256 of its content and kept
 * as a zlib stream (libdeflate, level 8) in DIR/objects/XX/<62 hex>, the
 * layout of git's loose objects.  Writing follows git's odb/source-loose.c and
 * object-file.c: deflate, re-hash what was compressed, write a temporary
 * file (prefix TMP_PREFIX, mode 0444) in the final fan-out directory,
 * fsync and close it, publish it with link() (EEXIST: the same bytes are
 * there already) or rename(), and remember the directory so that
 * arca_objects_sync() fsyncs it before the catalog refers to the object.
 * A crash leaves at worst a temporary file, which everything here ignores.
 *
 * Reading inflates piece by piece through zstream.c while hashing, and
 * fails with ARCA_ECORRUPT unless the stream ends cleanly and the hash is
 * the object's name.
 *
 * Disk writes go through arca_sys (sys.c).  A store may be shared by
 * threads: the only mutable shared state, the set of directories awaiting
 * fsync, is guarded by a mutex; error messages are thread-local.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "archive-private.h"

#define TMP_PREFIX "tmp_"
#define NFANOUT 256
#define READ_CHUNK (128 * 1024)
/* arca_objects_get()'s bound when given 0: 4 GiB, or what size_t holds. */
#define GET_MAX_DEFAULT                                                  \
    ((uint64_t)SIZE_MAX < ((uint64_t)4 << 30) ? SIZE_MAX                 \
                                              : (size_t)((uint64_t)4 << 30))
#define TMP_TRIES 100

struct arca_objects {
    char *root;                /* "DIR/objects"; owned */
    size_t rootlen;
    pthread_mutex_t lock;      /* guards the three fields below */
    unsigned char dirty[NFANOUT];  /* fan-out dirs awaiting fsync */
    int root_dirty;            /* objects/ itself gained a directory */
    int parent_dirty;          /* DIR gained objects/ */
    atomic_ulong tmp_counter;  /* makes temporary names unique */
};

/* ---- Messages ---- */

static _Thread_local char tls_err[1024];

const char *arca_objects_errmsg(void)
{
    return tls_err;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static arca_status fail(arca_status rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tls_err, sizeof tls_err, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- Hashing ---- */

static const char hexdigits[] = "0123456789abcdef";

static void to_hex(const unsigned char *md, arca_hex out)
{
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hexdigits[md[i] >> 4];
        out[2 * i + 1] = hexdigits[md[i] & 15];
    }
    out[ARCA_HEX_LEN] = '\0';
}

/*
 * The header gives this call no way to fail; OpenSSL fails only when it
 * cannot allocate, and then OUT is the empty string, which
 * arca_hex_valid() refuses and which names no object.
 */
void arca_sha256_hex(const void *data, size_t len, arca_hex out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) ||
        mdlen != 32) {
        out[0] = '\0';
        return;
    }
    to_hex(md, out);
}

int arca_hex_valid(const char *s)
{
    if (s == NULL)
        return 0;
    for (int i = 0; i < ARCA_HEX_LEN; i++) {
        char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return 0;
    }
    return s[ARCA_HEX_LEN] == '\0';
}

static arca_status hash_begin(EVP_MD_CTX **ctx)
{
    *ctx = EVP_MD_CTX_new();
    if (*ctx == NULL || !EVP_DigestInit_ex(*ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(*ctx);
        *ctx = NULL;
        return ARCA_ENOMEM;
    }
    return ARCA_OK;
}

static arca_status hash_end(EVP_MD_CTX *ctx, arca_hex out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32)
        return ARCA_EINTERNAL;
    to_hex(md, out);
    return ARCA_OK;
}

static int fanout_index(const char *hex)
{
    static const signed char val[256] = {
        ['0'] = 0, ['1'] = 1, ['2'] = 2, ['3'] = 3, ['4'] = 4, ['5'] = 5,
        ['6'] = 6, ['7'] = 7, ['8'] = 8, ['9'] = 9, ['a'] = 10, ['b'] = 11,
        ['c'] = 12, ['d'] = 13, ['e'] = 14, ['f'] = 15,
    };
    return val[(unsigned char)hex[0]] * 16 + val[(unsigned char)hex[1]];
}

/* ---- Paths ---- */

/* ROOT/XX/YYYY... into BUF (PATH_MAX). */
static void object_path(const arca_objects *os, const char *hex, char *buf)
{
    memcpy(buf, os->root, os->rootlen);
    buf[os->rootlen] = '/';
    buf[os->rootlen + 1] = hex[0];
    buf[os->rootlen + 2] = hex[1];
    buf[os->rootlen + 3] = '/';
    memcpy(buf + os->rootlen + 4, hex + 2, ARCA_HEX_LEN - 2);
    buf[os->rootlen + 4 + ARCA_HEX_LEN - 2] = '\0';
}

/* ROOT/XX into BUF. */
static void fanout_path(const arca_objects *os, int idx, char *buf)
{
    memcpy(buf, os->root, os->rootlen);
    buf[os->rootlen] = '/';
    buf[os->rootlen + 1] = hexdigits[idx >> 4];
    buf[os->rootlen + 2] = hexdigits[idx & 15];
    buf[os->rootlen + 3] = '\0';
}

/* ---- Open and close ---- */

arca_status arca_objects_open(const char *dir, int create, arca_objects **out,
                              char *errbuf, size_t errlen)
{
    arca_status rc = ARCA_OK;
    arca_objects *os = NULL;
    char *root = NULL;
    struct stat st;
    size_t dlen;
    int made = 0;

    *out = NULL;
    dlen = strlen(dir);
    /* Room for "/objects/XX/" + 62 hex or a temporary name. */
    if (dlen == 0 || dlen > PATH_MAX - 128) {
        rc = fail(ARCA_EINVAL, "object store %.200s: directory name %s",
                  dir, dlen ? "too long" : "empty");
        goto out;
    }
    os = calloc(1, sizeof *os);
    root = malloc(dlen + sizeof "/objects");
    if (os == NULL || root == NULL || pthread_mutex_init(&os->lock, NULL)) {
        /* The mutex is live only if everything else succeeded. */
        free(os);
        os = NULL;
        rc = fail(ARCA_ENOMEM, "object store %s: out of memory", dir);
        goto out;
    }
    memcpy(root, dir, dlen);
    memcpy(root + dlen, "/objects", sizeof "/objects");
    os->root = root;
    root = NULL;
    os->rootlen = dlen + sizeof "/objects" - 1;
    atomic_init(&os->tmp_counter, 0);

    if (create && arca_sys.mkdir(os->root, 0777) == 0)
        made = 1;
    else if (create && errno != EEXIST)
        rc = fail(errno == ENOENT ? ARCA_ENOTFOUND : ARCA_EIO,
                  "object store %s: cannot create: %s", os->root,
                  strerror(errno));
    if (rc)
        goto out;
    if (stat(os->root, &st) != 0) {
        rc = fail(errno == ENOENT ? ARCA_ENOTFOUND : ARCA_EIO,
                  "object store %s: %s", os->root, strerror(errno));
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        rc = fail(ARCA_EIO, "object store %s: not a directory", os->root);
        goto out;
    }
    if (made) {
        /* Both new names become durable with the first sync. */
        os->root_dirty = 1;
        os->parent_dirty = 1;
    }
    *out = os;
    os = NULL;
out:
    if (rc && errbuf && errlen)
        snprintf(errbuf, errlen, "%s", tls_err);
    arca_objects_close(os);
    free(root);
    return rc;
}

void arca_objects_close(arca_objects *os)
{
    if (os == NULL)
        return;
    pthread_mutex_destroy(&os->lock);
    free(os->root);
    free(os);
}

/* ---- Writing ---- */

static arca_status write_all(int fd, const unsigned char *p, size_t len,
                             const char *path, const char *hex)
{
    while (len > 0) {
        size_t now = len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len;
        ssize_t n = arca_sys.write(fd, p, now);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(ARCA_EIO, "object %s: write %s: %s", hex, path,
                        strerror(errno));
        if (n == 0)
            return fail(ARCA_EIO, "object %s: write %s: no progress", hex,
                        path);
        p += n;
        len -= (size_t)n;
    }
    return ARCA_OK;
}

struct verify_ctx {
    EVP_MD_CTX *md;
};

static arca_status hash_sink(void *ctx, const void *data, size_t len)
{
    struct verify_ctx *v = ctx;

    return EVP_DigestUpdate(v->md, data, len) ? ARCA_OK : ARCA_EINTERNAL;
}

/*
 * Inflate Z (what was compressed) and check that it is the LEN bytes
 * named HEX: the data must not have changed between hashing and
 * compression, as git's "confused by unstable object source data".
 */
static arca_status check_deflated(const void *z, size_t zlen, size_t len,
                                  const char *hex)
{
    arca_status rc;
    arca_zinf zi;
    struct verify_ctx v = { NULL };
    arca_hex got;

    rc = arca_zinf_init(&zi, len);
    if (rc) {
        rc = fail(rc, "object %s: %s", hex, zi.why);
        goto out;
    }
    rc = hash_begin(&v.md);
    if (rc) {
        rc = fail(rc, "object %s: out of memory", hex);
        goto out;
    }
    rc = arca_zinf_feed(&zi, z, zlen, hash_sink, &v);
    if (rc == ARCA_OK)
        rc = arca_zinf_finish(&zi);
    if (rc == ARCA_OK)
        rc = hash_end(v.md, got);
    if (rc == ARCA_OK && (zi.total_out != len || strcmp(got, hex) != 0))
        rc = ARCA_EIO;
    if (rc == ARCA_ENOMEM)
        rc = fail(rc, "object %s: out of memory", hex);
    else if (rc)
        rc = fail(ARCA_EIO, "object %s: confused by unstable data "
                  "(it changed while it was being compressed)", hex);
out:
    EVP_MD_CTX_free(v.md);
    arca_zinf_free(&zi);
    return rc;
}

static void mark_dirty(arca_objects *os, int idx, int root_too)
{
    pthread_mutex_lock(&os->lock);
    os->dirty[idx] = 1;
    if (root_too)
        os->root_dirty = 1;
    pthread_mutex_unlock(&os->lock);
}

/*
 * Create the temporary file in the fan-out directory IDX, making the
 * directory on ENOENT.  Its name goes to TMP (PATH_MAX).
 */
static arca_status create_tmp(arca_objects *os, const char *hex, char *tmp,
                              int *fdp, int *made_dir)
{
    char dir[PATH_MAX];
    int tried_mkdir = 0;

    fanout_path(os, fanout_index(hex), dir);
    for (int i = 0; i < TMP_TRIES; i++) {
        unsigned long n = atomic_fetch_add(&os->tmp_counter, 1);
        int fd;

        /* Room is certain: open() kept the root under PATH_MAX - 128. */
        memcpy(tmp, dir, os->rootlen + 3);
        snprintf(tmp + os->rootlen + 3, PATH_MAX - os->rootlen - 3,
                 "/" TMP_PREFIX "%ld_%lu", (long)getpid(), n);
        fd = arca_sys.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                           0444);
        if (fd >= 0) {
            *fdp = fd;
            return ARCA_OK;
        }
        if (errno == EEXIST)
            continue;   /* a leftover of a crash, or another process */
        if (errno != ENOENT || tried_mkdir)
            return fail(ARCA_EIO, "object %s: cannot create %s: %s", hex,
                        tmp, strerror(errno));
        tried_mkdir = 1;
        if (arca_sys.mkdir(dir, 0777) == 0)
            *made_dir = 1;
        else if (errno != EEXIST)
            return fail(ARCA_EIO, "object %s: cannot create directory "
                        "%s: %s", hex, dir, strerror(errno));
    }
    return fail(ARCA_EIO, "object %s: %s: no unused temporary name after "
                "%d tries", hex, dir, TMP_TRIES);
}

/*
 * Publish TMP as FINAL: link() first, as git does, since it never
 * replaces an existing object; EEXIST means the same bytes are there.
 * Where link() is not supported, rename().  TMP is gone afterwards in
 * every case, and errno is kept for the message.
 */
static arca_status publish(const char *tmp, const char *final,
                           const char *hex, int *existed)
{
    int err;

    if (arca_sys.link(tmp, final) == 0) {
        unlink(tmp);
        return ARCA_OK;
    }
    if (errno == EEXIST) {
        *existed = 1;
        unlink(tmp);
        return ARCA_OK;
    }
    if (arca_sys.rename(tmp, final) == 0)
        return ARCA_OK;
    err = errno;
    unlink(tmp);
    return fail(ARCA_EIO, "object %s: cannot publish %s as %s: %s", hex, tmp,
                final, strerror(err));
}

arca_status arca_objects_put(arca_objects *os, const void *data, size_t len,
                             arca_hex hex, int *existed, uint64_t *zsize)
{
    arca_status rc = ARCA_OK;
    char final[PATH_MAX], tmp[PATH_MAX];
    struct stat st;
    void *z = NULL;
    size_t zlen = 0;
    int fd = -1, idx, made_dir = 0, was = 0;

    tmp[0] = '\0';
    arca_sha256_hex(data, len, hex);
    if (hex[0] == '\0') {
        rc = fail(ARCA_ENOMEM, "object store %s: cannot hash: out of memory",
                  os->root);
        goto out;
    }
    idx = fanout_index(hex);
    object_path(os, hex, final);

    /* One stat decides: present objects are not written again. */
    if (stat(final, &st) == 0) {
        was = 1;
        zlen = (size_t)st.st_size;
        /*
         * A previous process may have published it and died before its
         * directory was fsynced: sync that directory before we rely on it.
         */
        mark_dirty(os, idx, 0);
        goto out;
    }
    if (errno != ENOENT) {
        rc = fail(ARCA_EIO, "object %s: %s: %s", hex, final,
                  strerror(errno));
        goto out;
    }

    rc = arca_zdeflate(data, len, &z, &zlen);
    if (rc) {
        rc = fail(rc, "object %s: cannot compress %zu bytes: %s", hex, len,
                  arca_status_str(rc));
        goto out;
    }
    rc = check_deflated(z, zlen, len, hex);
    if (rc)
        goto out;

    rc = create_tmp(os, hex, tmp, &fd, &made_dir);
    if (rc) {
        tmp[0] = '\0';
        goto out;
    }
    rc = write_all(fd, z, zlen, tmp, hex);
    if (rc)
        goto out;
    if (arca_sys.fsync(fd) != 0) {
        rc = fail(ARCA_EIO, "object %s: fsync %s: %s", hex, tmp,
                  strerror(errno));
        goto out;
    }
    {
        int r = close(fd);
        fd = -1;
        if (r != 0) {
            rc = fail(ARCA_EIO, "object %s: close %s: %s", hex, tmp,
                      strerror(errno));
            goto out;
        }
    }
    rc = publish(tmp, final, hex, &was);
    tmp[0] = '\0';
    if (rc)
        goto out;
    mark_dirty(os, idx, made_dir);
out:
    if (fd >= 0)
        close(fd);
    if (tmp[0] != '\0') {
        int err = errno;
        unlink(tmp);
        errno = err;
    }
    free(z);
    if (rc == ARCA_OK) {
        if (existed)
            *existed = was;
        if (zsize)
            *zsize = zlen;
    } else if (made_dir) {
        /* The new directory must still reach the disk with objects/. */
        pthread_mutex_lock(&os->lock);
        os->root_dirty = 1;
        pthread_mutex_unlock(&os->lock);
    }
    return rc;
}

static arca_status fsync_dir(const char *path)
{
    int fd, err;

    fd = arca_sys.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0)
        return fail(ARCA_EIO, "%s: cannot open directory: %s", path,
                    strerror(errno));
    if (arca_sys.fsync(fd) != 0) {
        err = errno;
        close(fd);
        return fail(ARCA_EIO, "%s: fsync: %s", path, strerror(err));
    }
    close(fd);
    return ARCA_OK;
}

arca_status arca_objects_sync(arca_objects *os)
{
    arca_status rc = ARCA_OK;
    unsigned char to_sync[NFANOUT];
    int root, parent, i;
    char path[PATH_MAX];

    /* Take the set; what other threads add meanwhile waits for next time. */
    pthread_mutex_lock(&os->lock);
    memcpy(to_sync, os->dirty, sizeof to_sync);
    memset(os->dirty, 0, sizeof os->dirty);
    root = os->root_dirty;
    parent = os->parent_dirty;
    os->root_dirty = os->parent_dirty = 0;
    pthread_mutex_unlock(&os->lock);

    for (i = 0; i < NFANOUT; i++) {
        if (!to_sync[i])
            continue;
        fanout_path(os, i, path);
        rc = fsync_dir(path);
        if (rc)
            goto out;
        to_sync[i] = 0;
    }
    if (root) {
        rc = fsync_dir(os->root);
        if (rc)
            goto out;
        root = 0;
    }
    if (parent) {
        memcpy(path, os->root, os->rootlen - (sizeof "/objects" - 1));
        path[os->rootlen - (sizeof "/objects" - 1)] = '\0';
        rc = fsync_dir(path);
        if (rc)
            goto out;
        parent = 0;
    }
out:
    if (rc) {
        /* Put back what was not synced, so a later call tries again. */
        pthread_mutex_lock(&os->lock);
        for (i = 0; i < NFANOUT; i++)
            os->dirty[i] |= to_sync[i];
        os->root_dirty |= root;
        os->parent_dirty |= parent;
        pthread_mutex_unlock(&os->lock);
    }
    return rc;
}

/* ---- Packs ---- */

#define PACK_DIR "pack"
#define PACK_MAGIC "ARCAPK1\n"          /* 8 bytes open every pack */
#define PACK_TMP_PREFIX "tmp_pack_"
/* An entry: raw SHA-256 (32), size (8, little-endian), zsize (8), zlib. */
#define PACK_ENTRY_HEAD ARCA_PACK_ENTRY_HEAD

struct arca_packw {
    arca_objects *os;
    int fd;
    char tmp[PATH_MAX];
    char name[40];             /* chosen at random when the pack opens */
    uint64_t off, count;
};

static int pack_name_valid(const char *name)
{
    /* "pack-" 16 hex ".pack" */
    if (strlen(name) != 5 + 16 + 5 || strncmp(name, "pack-", 5) != 0 ||
        strcmp(name + 21, ".pack") != 0)
        return 0;
    for (int i = 5; i < 21; i++)
        if (strchr(hexdigits, name[i]) == NULL)
            return 0;
    return 1;
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void hex_to_raw(const char *hex, unsigned char raw[32])
{
    for (int i = 0; i < 32; i++) {
        int hi = hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10;
        int lo = hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0'
                                       : hex[2 * i + 1] - 'a' + 10;
        raw[i] = (unsigned char)(hi * 16 + lo);
    }
}

static arca_status pread_full(int fd, void *buf, size_t n, uint64_t at)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(at + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? ARCA_ECORRUPT : ARCA_EIO;
        got += (size_t)r;
    }
    return ARCA_OK;
}

/*
 * Check the head of the entry at AT in pack FD (PATH): it must name HEX
 * and its stream must lie within the file.  *zsize gets its length.
 */
static arca_status pack_entry(int fd, const char *path, const char *hex,
                              uint64_t at, uint64_t *zsize)
{
    unsigned char head[PACK_ENTRY_HEAD], raw[32];
    struct stat st;
    arca_status rc = pread_full(fd, head, sizeof head, at);
    if (rc == ARCA_ECORRUPT)
        return fail(rc, "object %s: corrupt (%s ends before offset %llu)",
                    hex, path, (unsigned long long)at);
    if (rc)
        return fail(rc, "object %s: read %s: %s", hex, path,
                    strerror(errno));
    hex_to_raw(hex, raw);
    if (memcmp(head, raw, 32) != 0)
        return fail(ARCA_ECORRUPT, "object %s: corrupt (%s holds another "
                    "object at offset %llu)", hex, path,
                    (unsigned long long)at);
    *zsize = get_le64(head + 40);
    if (fstat(fd, &st) < 0)
        return fail(ARCA_EIO, "object %s: stat %s: %s", hex, path,
                    strerror(errno));
    if (*zsize > (uint64_t)st.st_size ||
        at + PACK_ENTRY_HEAD > (uint64_t)st.st_size - *zsize)
        return fail(ARCA_ECORRUPT, "object %s: corrupt (%s is truncated)",
                    hex, path);
    return ARCA_OK;
}

arca_status arca_pack_entry_end(int fd, const char *path, const char *hex,
                                uint64_t offset, uint64_t *end, char *err,
                                size_t errlen)
{
    uint64_t zsize = 0;
    arca_status rc;

    *end = 0;
    if (!arca_hex_valid(hex))
        rc = fail(ARCA_EINVAL, "%s: \"%.80s\" is not an object name", path,
                  hex);
    else
        rc = pack_entry(fd, path, hex, offset, &zsize);
    if (rc) {
        if (err && errlen)
            snprintf(err, errlen, "%s", tls_err);
        return rc;
    }
    *end = offset + PACK_ENTRY_HEAD + zsize;
    return ARCA_OK;
}

arca_status arca_objects_deflate(const void *data, size_t len, arca_hex hex,
                                 void **z, size_t *zlen)
{
    arca_status rc;
    *z = NULL;
    *zlen = 0;
    arca_sha256_hex(data, len, hex);
    if (hex[0] == '\0')
        return fail(ARCA_ENOMEM, "cannot hash %zu bytes: out of memory", len);
    rc = arca_zdeflate(data, len, z, zlen);
    if (rc)
        return fail(rc, "object %s: cannot compress %zu bytes: %s", hex, len,
                    arca_status_str(rc));
    rc = check_deflated(*z, *zlen, len, hex);
    if (rc) {
        free(*z);
        *z = NULL;
        *zlen = 0;
    }
    return rc;
}

arca_status arca_packw_open(arca_objects *os, arca_packw **out)
{
    char dir[PATH_MAX];
    unsigned char rnd[8];
    arca_packw *w = calloc(1, sizeof *w);
    *out = NULL;
    if (w == NULL)
        return fail(ARCA_ENOMEM, "pack: out of memory");
    w->os = os;
    w->fd = -1;
    /* Named before its objects are known, so the catalog can say where
     * they lie in the same transaction: 64 random bits. */
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        arca_packw_abort(w);
        return fail(ARCA_EIO, "pack: no random name: %s", strerror(errno));
    }
    memcpy(w->name, "pack-", 5);
    for (int i = 0; i < 8; i++) {
        w->name[5 + 2 * i] = hexdigits[rnd[i] >> 4];
        w->name[6 + 2 * i] = hexdigits[rnd[i] & 15];
    }
    memcpy(w->name + 21, ".pack", 6);
    snprintf(dir, sizeof dir, "%s/" PACK_DIR, os->root);
    if (arca_sys.mkdir(dir, 0777) == 0) {
        pthread_mutex_lock(&os->lock);
        os->root_dirty = 1;             /* objects/ gained pack/ */
        pthread_mutex_unlock(&os->lock);
    } else if (errno != EEXIST) {
        arca_packw_abort(w);
        return fail(ARCA_EIO, "pack: cannot create %s: %s", dir,
                    strerror(errno));
    }
    for (int i = 0; i < TMP_TRIES && w->fd < 0; i++) {
        unsigned long n = atomic_fetch_add(&os->tmp_counter, 1);
        int k = snprintf(w->tmp, sizeof w->tmp,
                         "%s/" PACK_TMP_PREFIX "%ld_%lu.pack", dir,
                         (long)getpid(), n);
        if (k < 0 || (size_t)k >= sizeof w->tmp)
            break;              /* open() kept the root far shorter */
        w->fd = arca_sys.open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                              0444);
        if (w->fd < 0 && errno != EEXIST) {
            arca_status rc = fail(ARCA_EIO, "pack: cannot create %s: %s",
                                  w->tmp, strerror(errno));
            w->tmp[0] = '\0';
            arca_packw_abort(w);
            return rc;
        }
    }
    if (w->fd < 0) {
        w->tmp[0] = '\0';
        arca_packw_abort(w);
        return fail(ARCA_EIO, "pack: %s: no unused temporary name", dir);
    }
    arca_status rc = write_all(w->fd, (const unsigned char *)PACK_MAGIC, 8,
                               w->tmp, "(pack)");
    if (rc) {
        arca_packw_abort(w);
        return rc;
    }
    w->off = 8;
    *out = w;
    return ARCA_OK;
}

arca_status arca_packw_add(arca_packw *w, const char *hex, uint64_t size,
                           const void *z, size_t zlen, uint64_t *offset)
{
    unsigned char head[PACK_ENTRY_HEAD];
    if (!arca_hex_valid(hex))
        return fail(ARCA_EINVAL, "pack: \"%.80s\" is not an object name",
                    hex);
    hex_to_raw(hex, head);
    put_le64(head + 32, size);
    put_le64(head + 40, zlen);
    arca_status rc = write_all(w->fd, head, sizeof head, w->tmp, hex);
    if (rc == ARCA_OK)
        rc = write_all(w->fd, z, zlen, w->tmp, hex);
    if (rc)
        return rc;
    *offset = w->off;
    w->off += sizeof head + zlen;
    w->count++;
    return ARCA_OK;
}

uint64_t arca_packw_count(const arca_packw *w)
{
    return w ? w->count : 0;
}

const char *arca_packw_name(const arca_packw *w)
{
    return w->name;
}

arca_status arca_packw_finish(arca_packw *w)
{
    char final[PATH_MAX], dir[PATH_MAX];
    arca_status rc = ARCA_OK;

    if (arca_sys.fsync(w->fd) != 0) {
        rc = fail(ARCA_EIO, "pack %s: fsync: %s", w->tmp, strerror(errno));
        goto out;
    }
    int r = close(w->fd);
    w->fd = -1;
    if (r != 0) {
        rc = fail(ARCA_EIO, "pack %s: close: %s", w->tmp, strerror(errno));
        goto out;
    }
    snprintf(dir, sizeof dir, "%s/" PACK_DIR, w->os->root);
    int k = snprintf(final, sizeof final, "%s/%s", dir, w->name);
    if (k < 0 || (size_t)k >= sizeof final) {
        rc = fail(ARCA_EINVAL, "pack: %s: path too long", dir);
        goto out;
    }
    if (arca_sys.rename(w->tmp, final) != 0) {
        rc = fail(ARCA_EIO, "pack: cannot rename %s to %s: %s", w->tmp,
                  final, strerror(errno));
        goto out;
    }
    w->tmp[0] = '\0';
    rc = fsync_dir(dir);
    if (rc == ARCA_OK)
        rc = arca_objects_sync(w->os);  /* objects/ itself, if pack/ is new */
out:
    arca_packw_abort(w);
    return rc;
}

void arca_packw_abort(arca_packw *w)
{
    if (w == NULL)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp[0])
        unlink(w->tmp);
    free(w);
}

/* ---- Streaming a large object in ---- */

#define STREAM_CHUNK ((size_t)1 << 20)

/* Deflate what Z holds (FLUSH: Z_NO_FLUSH or Z_FINISH) into FD. */
static arca_status stream_out(z_stream *z, int flush, int fd,
                              unsigned char *out, const char *tmp,
                              uint64_t *zsize)
{
    for (;;) {
        z->next_out = out;
        z->avail_out = (uInt)STREAM_CHUNK;
        int zr = deflate(z, flush);
        if (zr == Z_STREAM_ERROR)
            return fail(ARCA_EINTERNAL, "object: deflate failed");
        size_t n = STREAM_CHUNK - z->avail_out;
        arca_status rc = write_all(fd, out, n, tmp, "(streamed)");
        if (rc)
            return rc;
        *zsize += n;
        if (flush == Z_FINISH ? zr == Z_STREAM_END : z->avail_out > 0)
            return ARCA_OK;
    }
}

arca_status arca_objects_put_fd(arca_objects *os, int fd, uint64_t max,
                                arca_hex hex, uint64_t *size, int *existed,
                                uint64_t *zsize)
{
    arca_status rc = ARCA_OK;
    char dir[PATH_MAX], tmp[PATH_MAX] = "", final[PATH_MAX];
    unsigned char *in = malloc(STREAM_CHUNK), *out = malloc(STREAM_CHUNK);
    EVP_MD_CTX *md = NULL;
    z_stream z;
    int out_fd = -1, zlive = 0, made_dir = 0, was = 0;
    uint64_t total = 0, zlen = 0;

    hex[0] = '\0';
    memset(&z, 0, sizeof z);
    if (in == NULL || out == NULL) {
        rc = fail(ARCA_ENOMEM, "object: out of memory");
        goto out;
    }
    if ((rc = hash_begin(&md)) != ARCA_OK)
        goto out;
    if (deflateInit(&z, 6) != Z_OK) {
        rc = fail(ARCA_ENOMEM, "object: zlib: out of memory");
        goto out;
    }
    zlive = 1;
    /* Written beside the packs, whose temporary files a crash may leave
     * and arca_objects_clean_tmp() removes. */
    snprintf(dir, sizeof dir, "%s/" PACK_DIR, os->root);
    if (arca_sys.mkdir(dir, 0777) != 0 && errno != EEXIST) {
        rc = fail(ARCA_EIO, "object: cannot create %s: %s", dir,
                  strerror(errno));
        goto out;
    }
    for (int i = 0; i < TMP_TRIES && out_fd < 0; i++) {
        unsigned long n = atomic_fetch_add(&os->tmp_counter, 1);
        int k = snprintf(tmp, sizeof tmp, "%s/" PACK_TMP_PREFIX "obj_%ld_%lu",
                         dir, (long)getpid(), n);
        if (k < 0 || (size_t)k >= sizeof tmp)
            break;              /* open() kept the root far shorter */
        out_fd = arca_sys.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                               0444);
        if (out_fd < 0 && errno != EEXIST) {
            rc = fail(ARCA_EIO, "object: cannot create %s: %s", tmp,
                      strerror(errno));
            tmp[0] = '\0';
            goto out;
        }
    }
    if (out_fd < 0) {
        tmp[0] = '\0';
        rc = fail(ARCA_EIO, "object: %s: no unused temporary name", dir);
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, in, STREAM_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = fail(ARCA_EIO, "object: read error: %s", strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        total += (uint64_t)r;
        if (max && total > max) {
            rc = fail(ARCA_ELIMIT, "object: more than %llu bytes",
                      (unsigned long long)max);
            goto out;
        }
        if (!EVP_DigestUpdate(md, in, (size_t)r)) {
            rc = fail(ARCA_ENOMEM, "object: cannot hash: out of memory");
            goto out;
        }
        z.next_in = in;
        z.avail_in = (uInt)r;
        if ((rc = stream_out(&z, Z_NO_FLUSH, out_fd, out, tmp, &zlen)))
            goto out;
    }
    if ((rc = stream_out(&z, Z_FINISH, out_fd, out, tmp, &zlen)))
        goto out;
    if (hash_end(md, hex) != ARCA_OK) {
        rc = fail(ARCA_EINTERNAL, "object: cannot hash");
        goto out;
    }
    if (arca_sys.fsync(out_fd) != 0) {
        rc = fail(ARCA_EIO, "object %s: fsync %s: %s", hex, tmp,
                  strerror(errno));
        goto out;
    }
    int cr = close(out_fd);
    out_fd = -1;
    if (cr != 0) {
        rc = fail(ARCA_EIO, "object %s: close %s: %s", hex, tmp,
                  strerror(errno));
        goto out;
    }
    int idx = fanout_index(hex);
    fanout_path(os, idx, dir);
    if (arca_sys.mkdir(dir, 0777) == 0)
        made_dir = 1;
    else if (errno != EEXIST) {
        rc = fail(ARCA_EIO, "object %s: cannot create directory %s: %s", hex,
                  dir, strerror(errno));
        goto out;
    }
    object_path(os, hex, final);
    rc = publish(tmp, final, hex, &was);
    tmp[0] = '\0';
    if (rc)
        goto out;
    if (was) {
        struct stat st;
        if (stat(final, &st) == 0)
            zlen = (uint64_t)st.st_size;
    }
    mark_dirty(os, idx, made_dir);
out:
    if (out_fd >= 0)
        close(out_fd);
    if (tmp[0] != '\0')
        unlink(tmp);
    if (zlive)
        deflateEnd(&z);
    EVP_MD_CTX_free(md);
    free(in);
    free(out);
    if (rc == ARCA_OK) {
        *size = total;
        if (existed)
            *existed = was;
        if (zsize)
            *zsize = zlen;
    } else {
        hex[0] = '\0';
    }
    return rc;
}

void arca_objects_clean_tmp(arca_objects *os)
{
    char dir[PATH_MAX], path[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/" PACK_DIR, os->root);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, PACK_TMP_PREFIX, strlen(PACK_TMP_PREFIX)) == 0 &&
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) <
                (int)sizeof path)
            unlink(path);
    closedir(d);
}

/* ---- Reading ---- */

struct read_ctx {
    EVP_MD_CTX *md;
    arca_sink_fn sink;         /* the caller's, or NULL */
    void *sink_ctx;
    unsigned char *buf;        /* get: the growing result */
    size_t len, size;
    int collect;               /* get: append to buf */
    int sink_stopped;
};

static arca_status read_out(void *ctx, const void *data, size_t len)
{
    struct read_ctx *r = ctx;

    if (!EVP_DigestUpdate(r->md, data, len))
        return ARCA_EINTERNAL;
    if (r->sink && r->sink(r->sink_ctx, data, len) != 0) {
        r->sink_stopped = 1;
        return ARCA_EIO;
    }
    if (r->collect) {
        if (len > r->size - r->len) {
            size_t nsize = r->size ? r->size : ARCA_ZCHUNK;
            unsigned char *nb;
            while (nsize - r->len < len) {
                if (nsize > SIZE_MAX / 2)
                    return ARCA_ENOMEM;
                nsize *= 2;
            }
            nb = realloc(r->buf, nsize);
            if (nb == NULL)
                return ARCA_ENOMEM;
            r->buf = nb;
            r->size = nsize;
        }
        memcpy(r->buf + r->len, data, len);
        r->len += len;
    }
    return ARCA_OK;
}

/*
 * Read object HEX, inflating at most MAX bytes into R, and check its
 * hash.  *size receives the inflated size.
 */
static arca_status read_object(arca_objects *os, const char *hex,
                               const arca_objloc *loc, uint64_t max,
                               struct read_ctx *r, uint64_t *size)
{
    arca_status rc = ARCA_OK;
    char path[PATH_MAX];
    unsigned char *in = NULL;
    arca_zinf zi;
    arca_hex got;
    int fd = -1;
    int packed = loc != NULL && loc->pack[0] != '\0';
    uint64_t pos = 0, left = UINT64_MAX;

    memset(&zi, 0, sizeof zi);
    if (!arca_hex_valid(hex)) {
        rc = fail(ARCA_EINVAL,
                  "object name \"%.80s\" is not 64 lower-case hex digits",
                  hex ? hex : "(null)");
        goto out;
    }
    if (packed) {
        if (!pack_name_valid(loc->pack)) {
            rc = fail(ARCA_EINVAL, "object %s: \"%.60s\" is not a pack name",
                      hex, loc->pack);
            goto out;
        }
        snprintf(path, sizeof path, "%s/" PACK_DIR "/%s", os->root,
                 loc->pack);
    } else {
        object_path(os, hex, path);
    }
    fd = arca_sys.open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        rc = fail(errno == ENOENT ? ARCA_ENOTFOUND : ARCA_EIO,
                  "object %s: %s (%s)",
                  hex, errno == ENOENT ? "not found" : strerror(errno), path);
        goto out;
    }
    if (packed) {
        rc = pack_entry(fd, path, hex, loc->offset, &left);
        if (rc)
            goto out;
        pos = loc->offset + PACK_ENTRY_HEAD;
    }
    if (hash_begin(&r->md) != ARCA_OK ||
        (in = malloc(READ_CHUNK)) == NULL) {
        rc = fail(ARCA_ENOMEM, "object %s: out of memory", hex);
        goto out;
    }
    rc = arca_zinf_init(&zi, max);
    if (rc) {
        rc = fail(rc, "object %s: %s", hex, zi.why);
        goto out;
    }
    while (left > 0) {
        size_t want = left < READ_CHUNK ? (size_t)left : READ_CHUNK;
        ssize_t n = packed ? pread(fd, in, want, (off_t)pos)
                           : read(fd, in, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = fail(ARCA_EIO, "object %s: read %s: %s", hex, path,
                      strerror(errno));
            goto out;
        }
        if (n == 0) {
            if (packed) {
                rc = fail(ARCA_ECORRUPT, "object %s: corrupt (%s is "
                          "truncated)", hex, path);
                goto out;
            }
            break;
        }
        if (packed) {
            pos += (uint64_t)n;
            left -= (uint64_t)n;
        }
        rc = arca_zinf_feed(&zi, in, (size_t)n, read_out, r);
        if (rc)
            break;
    }
    if (rc == ARCA_OK)
        rc = arca_zinf_finish(&zi);
    if (rc == ARCA_EIO && r->sink_stopped) {
        rc = fail(rc, "object %s: the output stopped after %llu bytes", hex,
                  (unsigned long long)zi.total_out);
        goto out;
    }
    if (rc == ARCA_ELIMIT) {
        rc = fail(rc, "object %s: larger than the limit of %llu bytes", hex,
                  (unsigned long long)max);
        goto out;
    }
    if (rc == ARCA_ECORRUPT) {
        rc = fail(rc, "object %s: corrupt (%s)", hex, zi.why);
        goto out;
    }
    if (rc) {
        rc = fail(rc, "object %s: %s", hex,
                  zi.why[0] ? zi.why : arca_status_str(rc));
        goto out;
    }
    rc = hash_end(r->md, got);
    if (rc) {
        rc = fail(rc, "object %s: cannot finish the hash", hex);
        goto out;
    }
    if (strcmp(got, hex) != 0) {
        rc = fail(ARCA_ECORRUPT, "object %s: corrupt (hash mismatch: "
                  "content hashes to %s)", hex, got);
        goto out;
    }
    if (size)
        *size = zi.total_out;
out:
    arca_zinf_free(&zi);
    EVP_MD_CTX_free(r->md);
    r->md = NULL;
    free(in);
    if (fd >= 0)
        close(fd);
    return rc;
}

arca_status arca_objects_get(arca_objects *os, const char *hex, size_t max,
                             void **data, size_t *len)
{
    return arca_objects_get_at(os, hex, NULL, max, data, len);
}

arca_status arca_objects_get_at(arca_objects *os, const char *hex,
                                const arca_objloc *loc, size_t max,
                                void **data, size_t *len)
{
    arca_status rc;
    struct read_ctx r;
    uint64_t size = 0;

    *data = NULL;
    *len = 0;
    memset(&r, 0, sizeof r);
    r.collect = 1;
    rc = read_object(os, hex, loc, max ? max : GET_MAX_DEFAULT, &r, &size);
    if (rc)
        goto out;
    if (r.buf == NULL && (r.buf = malloc(1)) == NULL) {
        rc = fail(ARCA_ENOMEM, "object %s: out of memory", hex);
        goto out;
    }
    *data = r.buf;
    *len = r.len;
    r.buf = NULL;
out:
    free(r.buf);
    return rc;
}

arca_status arca_objects_stream(arca_objects *os, const char *hex,
                                arca_sink_fn sink, void *ctx, uint64_t *size)
{
    return arca_objects_stream_at(os, hex, NULL, sink, ctx, size);
}

arca_status arca_objects_stream_at(arca_objects *os, const char *hex,
                                   const arca_objloc *loc, arca_sink_fn sink,
                                   void *ctx, uint64_t *size)
{
    struct read_ctx r;

    memset(&r, 0, sizeof r);
    r.sink = sink;
    r.sink_ctx = ctx;
    return read_object(os, hex, loc, UINT64_MAX, &r, size);
}

arca_status arca_objects_verify(arca_objects *os, const char *hex,
                                uint64_t *size)
{
    return arca_objects_verify_at(os, hex, NULL, size);
}

arca_status arca_objects_verify_at(arca_objects *os, const char *hex,
                                   const arca_objloc *loc, uint64_t *size)
{
    struct read_ctx r;

    memset(&r, 0, sizeof r);
    return read_object(os, hex, loc, UINT64_MAX, &r, size);
}

int arca_objects_exists(arca_objects *os, const char *hex)
{
    char path[PATH_MAX];
    struct stat st;

    if (!arca_hex_valid(hex))
        return 0;
    object_path(os, hex, path);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- Listing ---- */

static int is_hex_name(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return 0;
    }
    return s[n] == '\0';
}

/*
 * Every name of ROOT/XX/ that is 62 hex digits is an object; temporary
 * files (TMP_PREFIX) and anything else are skipped.  CB returning
 * non-zero stops the walk (ARCA_OK).
 */
arca_status arca_objects_foreach(arca_objects *os,
                                 int (*cb)(void *ctx, const char *hex),
                                 void *ctx)
{
    arca_status rc = ARCA_OK;
    DIR *top = NULL, *sub = NULL;
    struct dirent *de, *se;
    char path[PATH_MAX];
    arca_hex hex;
    int stop = 0;

    top = opendir(os->root);
    if (top == NULL) {
        rc = fail(errno == ENOENT ? ARCA_ENOTFOUND : ARCA_EIO, "%s: %s",
                  os->root, strerror(errno));
        goto out;
    }
    while (!stop) {
        errno = 0;
        de = readdir(top);
        if (de == NULL) {
            if (errno != 0)
                rc = fail(ARCA_EIO, "%s: %s", os->root, strerror(errno));
            break;
        }
        if (!is_hex_name(de->d_name, 2))
            continue;
        fanout_path(os, fanout_index(de->d_name), path);
        sub = opendir(path);
        if (sub == NULL) {
            if (errno == ENOTDIR)
                continue;
            rc = fail(ARCA_EIO, "%s: %s", path, strerror(errno));
            goto out;
        }
        while (!stop) {
            errno = 0;
            se = readdir(sub);
            if (se == NULL) {
                if (errno != 0) {
                    rc = fail(ARCA_EIO, "%s: %s", path, strerror(errno));
                    goto out;
                }
                break;
            }
            if (!is_hex_name(se->d_name, ARCA_HEX_LEN - 2))
                continue;
            hex[0] = de->d_name[0];
            hex[1] = de->d_name[1];
            memcpy(hex + 2, se->d_name, ARCA_HEX_LEN - 2 + 1);
            if (cb(ctx, hex) != 0)
                stop = 1;
        }
        closedir(sub);
        sub = NULL;
    }
out:
    if (sub)
        closedir(sub);
    if (top)
        closedir(top);
    return rc;
}

arca_status arca_objects_foreach_packed(
    arca_objects *os,
    int (*cb)(void *ctx, const char *hex, uint64_t size, uint64_t zsize,
              const arca_objloc *loc),
    void (*bad)(void *ctx, const char *problem), void *ctx)
{
    char dir[PATH_MAX], path[PATH_MAX + 300], msg[PATH_MAX + 400];
    unsigned char head[PACK_ENTRY_HEAD];
    struct dirent *de;
    arca_status rc = ARCA_OK;
    int stop = 0;

    snprintf(dir, sizeof dir, "%s/" PACK_DIR, os->root);
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? ARCA_OK
                               : fail(ARCA_EIO, "%s: %s", dir,
                                      strerror(errno));
    while (!stop && (de = readdir(d)) != NULL) {
        if (!pack_name_valid(de->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            snprintf(msg, sizeof msg, "%s: cannot read: %s", path,
                     strerror(errno));
            if (bad)
                bad(ctx, msg);
            if (fd >= 0)
                close(fd);
            continue;
        }
        uint64_t at = 8, end = (uint64_t)st.st_size;
        if (pread_full(fd, head, 8, 0) != ARCA_OK ||
            memcmp(head, PACK_MAGIC, 8) != 0) {
            snprintf(msg, sizeof msg, "%s: not a pack", path);
            if (bad)
                bad(ctx, msg);
            close(fd);
            continue;
        }
        arca_objloc loc;
        memcpy(loc.pack, de->d_name, strlen(de->d_name) + 1); /* valid */
        while (!stop && at < end) {
            if (end - at < PACK_ENTRY_HEAD ||
                pread_full(fd, head, PACK_ENTRY_HEAD, at) != ARCA_OK) {
                snprintf(msg, sizeof msg, "%s: cut short at offset %llu",
                         path, (unsigned long long)at);
                if (bad)
                    bad(ctx, msg);
                break;
            }
            uint64_t size = get_le64(head + 32), zsize = get_le64(head + 40);
            if (zsize > end - at - PACK_ENTRY_HEAD) {
                snprintf(msg, sizeof msg, "%s: cut short in the entry at "
                         "offset %llu", path, (unsigned long long)at);
                if (bad)
                    bad(ctx, msg);
                break;
            }
            arca_hex hex;
            to_hex(head, hex);
            loc.offset = at;
            if (cb(ctx, hex, size, zsize, &loc) != 0)
                stop = 1;
            at += PACK_ENTRY_HEAD + zsize;
        }
        close(fd);
    }
    closedir(d);
    return rc;
}
