/*
 * test_objects.c: the object store (archive/objects.c).
 *
 * What a user relies on: what is put comes back byte for byte, under the
 * SHA-256 of its content, stored once and compressed; a damaged or
 * missing object is reported as such, never returned; puts from several
 * threads at once all land; the directories written are fsynced by
 * arca_objects_sync(); and a failing system call (injected through
 * arca_sys) makes a put fail cleanly, publishing nothing and leaving no
 * temporary file behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/archive.h"

struct fixture {
    char dir[64];
    arca_objects *os;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[256];

    if (f == NULL)
        return -1;
    strcpy(f->dir, "/tmp/arca-objects-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    if (arca_objects_open(f->dir, 1, &f->os, err, sizeof err) != ARCA_OK) {
        fprintf(stderr, "open: %s\n", err);
        rm_tree(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    arca_objects_close(f->os);
    rm_tree(f->dir);
    free(f);
    return 0;
}

static unsigned char *random_bytes(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n ? n : 1);
    uint32_t x = seed * 2654435761u + 1;

    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
    return p;
}

static char *text_of(unsigned seed, size_t n)
{
    char *p = malloc(n + 1);
    size_t i = 0;

    assert_non_null(p);
    while (i < n) {
        int w = snprintf(p + i, n + 1 - i, "document %u line %zu: the "
                         "archive keeps every file. ", seed, i);
        if (w < 0)
            break;
        i += (size_t)w;
    }
    p[n] = '\0';
    return p;
}

static void object_file(const struct fixture *f, const char *hex, char *buf)
{
    snprintf(buf, PATH_MAX, "%s/objects/%.2s/%s", f->dir, hex, hex + 2);
}

/* Files under objects/ whose name starts with "tmp_". */
static int tmp_count;
static int count_tmp(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
    (void)st;
    if (flag == FTW_F && strncmp(path + ftw->base, "tmp_", 4) == 0)
        tmp_count++;
    return 0;
}

static int temp_files(const struct fixture *f)
{
    char root[PATH_MAX];

    snprintf(root, sizeof root, "%s/objects", f->dir);
    tmp_count = 0;
    nftw(root, count_tmp, 16, FTW_PHYS);
    return tmp_count;
}

/* ---- Hashing ---- */

static void test_sha256(void **state)
{
    arca_hex h;

    (void)state;
    arca_sha256_hex("abc", 3, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223"
                           "b00361a396177a9cb410ff61f20015ad");
    arca_sha256_hex("", 0, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb924"
                           "27ae41e4649b934ca495991b7852b855");
    assert_true(arca_hex_valid(h));
    assert_false(arca_hex_valid("E3B0C44298FC1C149AFBF4C8996FB924"
                                "27AE41E4649B934CA495991B7852B855"));
    assert_false(arca_hex_valid("e3b0"));
    assert_false(arca_hex_valid(NULL));
    h[63] = 'g';
    assert_false(arca_hex_valid(h));
}

/* ---- Round trips ---- */

static void test_put_get(void **state)
{
    struct fixture *f = *state;
    char *text = text_of(1, 20000);
    arca_hex hex, want;
    void *back = NULL;
    size_t blen = 0;
    int existed = -1;
    uint64_t zsize = 0, size = 0;
    char path[PATH_MAX];
    struct stat st;

    assert_int_equal(arca_objects_put(f->os, text, 20000, hex, &existed,
                                      &zsize), ARCA_OK);
    arca_sha256_hex(text, 20000, want);
    assert_string_equal(hex, want);
    assert_int_equal(existed, 0);
    assert_true(arca_objects_exists(f->os, hex));

    /* Named by its hash, compressed, read-only, a raw zlib stream. */
    object_file(f, hex, path);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, (off_t)zsize);
    assert_true(zsize < 20000 / 4);
    assert_int_equal(st.st_mode & 0777, 0444);
    {
        FILE *fp = fopen(path, "rb");
        void *raw = malloc(zsize), *plain = NULL;
        size_t plen = 0;
        assert_non_null(fp);
        assert_int_equal(fread(raw, 1, zsize, fp), zsize);
        fclose(fp);
        assert_int_equal(arca_zinflate(raw, zsize, 20000, &plain, &plen),
                         ARCA_OK);
        assert_int_equal(plen, 20000);
        assert_memory_equal(plain, text, 20000);
        free(plain);
        free(raw);
    }

    assert_int_equal(arca_objects_get(f->os, hex, 0, &back, &blen), ARCA_OK);
    assert_int_equal(blen, 20000);
    assert_memory_equal(back, text, 20000);
    free(back);
    assert_int_equal(arca_objects_verify(f->os, hex, &size), ARCA_OK);
    assert_int_equal(size, 20000);
    assert_int_equal(arca_objects_sync(f->os), ARCA_OK);
    free(text);
}

static void test_empty_and_large(void **state)
{
    struct fixture *f = *state;
    size_t n = 3 * 1024 * 1024 + 17;
    unsigned char *big = random_bytes(n, 5);
    arca_hex h0, h1;
    void *back = NULL;
    size_t blen = 1;

    assert_int_equal(arca_objects_put(f->os, "", 0, h0, NULL, NULL), ARCA_OK);
    assert_string_equal(h0, "e3b0c44298fc1c149afbf4c8996fb924"
                            "27ae41e4649b934ca495991b7852b855");
    assert_int_equal(arca_objects_get(f->os, h0, 0, &back, &blen), ARCA_OK);
    assert_non_null(back);
    assert_int_equal(blen, 0);
    free(back);

    assert_int_equal(arca_objects_put(f->os, big, n, h1, NULL, NULL),
                     ARCA_OK);
    assert_int_equal(arca_objects_get(f->os, h1, 0, &back, &blen), ARCA_OK);
    assert_int_equal(blen, n);
    assert_memory_equal(back, big, n);
    free(back);
    /* A bound below the size refuses it. */
    assert_int_equal(arca_objects_get(f->os, h1, n - 1, &back, &blen),
                     ARCA_ELIMIT);
    assert_null(back);
    assert_non_null(strstr(arca_objects_errmsg(), h1));
    free(big);
}

static int count_names(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void test_dedup(void **state)
{
    struct fixture *f = *state;
    char *text = text_of(2, 5000), dir[PATH_MAX];
    arca_hex a, b;
    int existed = -1;
    uint64_t z1 = 0, z2 = 0;

    assert_int_equal(arca_objects_put(f->os, text, 5000, a, &existed, &z1),
                     ARCA_OK);
    assert_int_equal(existed, 0);
    assert_int_equal(arca_objects_put(f->os, text, 5000, b, &existed, &z2),
                     ARCA_OK);
    assert_int_equal(existed, 1);
    assert_string_equal(a, b);
    assert_int_equal(z1, z2);
    snprintf(dir, sizeof dir, "%s/objects/%.2s", f->dir, a);
    assert_int_equal(count_names(dir), 1);
    free(text);
}

/* ---- Damage ---- */

static void flip_byte(const char *path, off_t at)
{
    int fd;
    unsigned char ch;

    chmod(path, 0644);
    fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &ch, 1, at), 1);
    ch ^= 0x5a;
    assert_int_equal(pwrite(fd, &ch, 1, at), 1);
    close(fd);
}

static void replace_file(const char *path, const void *data, size_t len)
{
    FILE *fp;

    chmod(path, 0644);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void test_corrupt(void **state)
{
    struct fixture *f = *state;
    char *text = text_of(3, 30000), path[PATH_MAX];
    arca_hex hex;
    void *back = (void *)1, *z = NULL;
    size_t blen = 1, zlen = 0;
    uint64_t zsize = 0, size = 0;

    assert_int_equal(arca_objects_put(f->os, text, 30000, hex, NULL, &zsize),
                     ARCA_OK);
    object_file(f, hex, path);

    /* A flipped byte in the middle. */
    flip_byte(path, (off_t)zsize / 2);
    assert_int_equal(arca_objects_get(f->os, hex, 0, &back, &blen),
                     ARCA_ECORRUPT);
    assert_null(back);
    assert_int_equal(blen, 0);
    assert_non_null(strstr(arca_objects_errmsg(), hex));
    assert_non_null(strstr(arca_objects_errmsg(), "corrupt"));
    assert_int_equal(arca_objects_verify(f->os, hex, &size), ARCA_ECORRUPT);
    flip_byte(path, (off_t)zsize / 2);
    assert_int_equal(arca_objects_verify(f->os, hex, &size), ARCA_OK);

    /* A valid stream of other bytes: only the hash can tell. */
    assert_int_equal(arca_zdeflate("forged", 6, &z, &zlen), ARCA_OK);
    replace_file(path, z, zlen);
    assert_int_equal(arca_objects_get(f->os, hex, 0, &back, &blen),
                     ARCA_ECORRUPT);
    assert_non_null(strstr(arca_objects_errmsg(), "hash mismatch"));
    assert_int_equal(arca_objects_verify(f->os, hex, NULL), ARCA_ECORRUPT);

    /* Cut short, and with bytes after the stream's end. */
    replace_file(path, z, zlen - 2);
    assert_int_equal(arca_objects_verify(f->os, hex, NULL), ARCA_ECORRUPT);
    assert_non_null(strstr(arca_objects_errmsg(), "zlib"));
    {
        unsigned char *longer = malloc(zlen + 1);
        memcpy(longer, z, zlen);
        longer[zlen] = 0;
        replace_file(path, longer, zlen + 1);
        free(longer);
    }
    assert_int_equal(arca_objects_verify(f->os, hex, NULL), ARCA_ECORRUPT);
    assert_non_null(strstr(arca_objects_errmsg(), "garbage"));
    free(z);
    free(text);
}

static void test_missing(void **state)
{
    struct fixture *f = *state;
    void *back = (void *)1;
    size_t blen = 1;
    const char *hex = "0123456789abcdef0123456789abcdef"
                      "0123456789abcdef0123456789abcdef";

    assert_false(arca_objects_exists(f->os, hex));
    assert_int_equal(arca_objects_get(f->os, hex, 0, &back, &blen),
                     ARCA_ENOTFOUND);
    assert_null(back);
    assert_non_null(strstr(arca_objects_errmsg(), hex));
    assert_non_null(strstr(arca_objects_errmsg(), "not found"));
    assert_int_equal(arca_objects_verify(f->os, hex, NULL), ARCA_ENOTFOUND);
    assert_int_equal(arca_objects_get(f->os, "../../etc/passwd", 0, &back,
                                      &blen), ARCA_EINVAL);
    assert_false(arca_objects_exists(f->os, "../x"));
}

static void test_open_missing(void **state)
{
    struct fixture *f = *state;
    arca_objects *os = (arca_objects *)1;
    char err[256], dir[PATH_MAX];

    snprintf(dir, sizeof dir, "%s/nothing-here", f->dir);
    assert_int_equal(arca_objects_open(dir, 0, &os, err, sizeof err),
                     ARCA_ENOTFOUND);
    assert_null(os);
    assert_non_null(strstr(err, "nothing-here"));
}

/* ---- Streaming ---- */

struct buf {
    unsigned char *p;
    size_t len;
    size_t stop_after;   /* 0: never */
    int calls;
};

static int buf_sink(void *ctx, const void *data, size_t len)
{
    struct buf *b = ctx;
    unsigned char *np = realloc(b->p, b->len + len + 1);

    if (np == NULL)
        return 1;
    b->p = np;
    memcpy(b->p + b->len, data, len);
    b->len += len;
    b->calls++;
    return b->stop_after && b->len >= b->stop_after;
}

static void test_stream(void **state)
{
    struct fixture *f = *state;
    size_t n = 1000000;
    unsigned char *data = random_bytes(n, 9);
    struct buf b = { NULL, 0, 0, 0 };
    void *got = NULL;
    size_t glen = 0;
    uint64_t size = 0;
    arca_hex hex;

    assert_int_equal(arca_objects_put(f->os, data, n, hex, NULL, NULL),
                     ARCA_OK);
    assert_int_equal(arca_objects_stream(f->os, hex, buf_sink, &b, &size),
                     ARCA_OK);
    assert_int_equal(size, n);
    assert_true(b.calls > 1);    /* in pieces, not all at once */
    assert_int_equal(arca_objects_get(f->os, hex, 0, &got, &glen), ARCA_OK);
    assert_int_equal(glen, b.len);
    assert_memory_equal(got, b.p, glen);
    assert_memory_equal(got, data, n);
    free(got);
    free(b.p);

    /* A sink that stops ends the stream with ARCA_EIO. */
    memset(&b, 0, sizeof b);
    b.stop_after = 1;
    assert_int_equal(arca_objects_stream(f->os, hex, buf_sink, &b, &size),
                     ARCA_EIO);
    assert_int_equal(b.calls, 1);
    free(b.p);
    free(data);
}

/* ---- Listing ---- */

struct seen {
    char hex[64][ARCA_HEX_LEN + 1];
    int n;
};

static int seen_cb(void *ctx, const char *hex)
{
    struct seen *s = ctx;

    assert_true(arca_hex_valid(hex));
    if (s->n < 64)
        strcpy(s->hex[s->n], hex);
    s->n++;
    return 0;
}

static int in_seen(const struct seen *s, const char *hex)
{
    for (int i = 0; i < s->n && i < 64; i++)
        if (strcmp(s->hex[i], hex) == 0)
            return 1;
    return 0;
}

static void test_foreach(void **state)
{
    struct fixture *f = *state;
    arca_hex hex[10];
    struct seen s;
    char path[PATH_MAX];
    FILE *fp;

    for (unsigned i = 0; i < 10; i++) {
        char *t = text_of(100 + i, 1000);
        assert_int_equal(arca_objects_put(f->os, t, 1000, hex[i], NULL, NULL),
                         ARCA_OK);
        free(t);
    }
    /* A crash's leftover temporary file and a stray name are not objects. */
    snprintf(path, sizeof path, "%s/objects/%.2s/tmp_1234_0", f->dir, hex[0]);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("half", fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/objects/README", f->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);

    memset(&s, 0, sizeof s);
    assert_int_equal(arca_objects_foreach(f->os, seen_cb, &s), ARCA_OK);
    assert_int_equal(s.n, 10);
    for (int i = 0; i < 10; i++)
        assert_true(in_seen(&s, hex[i]));
}

/* ---- Threads ---- */

#define NTHREADS 4
#define PER_THREAD 120

struct worker {
    arca_objects *os;
    int first;
    int failures;
};

static void *put_worker(void *arg)
{
    struct worker *w = arg;

    /* Thread t puts objects t*40 .. t*40+119: neighbours overlap. */
    for (int i = w->first; i < w->first + PER_THREAD; i++) {
        char *t = text_of((unsigned)i, 3000 + (size_t)i);
        arca_hex hex;
        if (arca_objects_put(w->os, t, 3000 + (size_t)i, hex, NULL, NULL))
            w->failures++;
        free(t);
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct fixture *f = *state;
    pthread_t th[NTHREADS];
    struct worker w[NTHREADS];
    struct seen s;
    int last = (NTHREADS - 1) * 40 + PER_THREAD;

    for (int t = 0; t < NTHREADS; t++) {
        w[t].os = f->os;
        w[t].first = t * 40;
        w[t].failures = 0;
        assert_int_equal(pthread_create(&th[t], NULL, put_worker, &w[t]), 0);
    }
    for (int t = 0; t < NTHREADS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(w[t].failures, 0);
    }
    assert_int_equal(arca_objects_sync(f->os), ARCA_OK);
    for (int i = 0; i < last; i++) {
        char *t = text_of((unsigned)i, 3000 + (size_t)i);
        arca_hex hex;
        uint64_t size = 0;
        arca_sha256_hex(t, 3000 + (size_t)i, hex);
        assert_int_equal(arca_objects_verify(f->os, hex, &size), ARCA_OK);
        assert_int_equal(size, 3000 + (size_t)i);
        free(t);
    }
    memset(&s, 0, sizeof s);
    assert_int_equal(arca_objects_foreach(f->os, seen_cb, &s), ARCA_OK);
    assert_int_equal(s.n, last);
    assert_int_equal(temp_files(f), 0);
}

/* ---- Fault injection through arca_sys ---- */

static struct arca_sys real_sys;
static int countdown;        /* fail the call that brings it to 0 */
static int fail_errno;
static int fsync_calls;

static int tick(void)
{
    if (countdown > 0 && --countdown == 0) {
        errno = fail_errno;
        return 1;
    }
    return 0;
}

static int f_open(const char *p, int fl, mode_t m)
{
    return tick() ? -1 : real_sys.open(p, fl, m);
}
static ssize_t f_write(int fd, const void *b, size_t n)
{
    return tick() ? -1 : real_sys.write(fd, b, n);
}
static int f_fsync(int fd)
{
    fsync_calls++;
    return tick() ? -1 : real_sys.fsync(fd);
}
static int rename_calls;
static int f_rename(const char *a, const char *b)
{
    rename_calls++;
    return tick() ? -1 : real_sys.rename(a, b);
}
static int link_unsupported;
static int f_link(const char *a, const char *b)
{
    if (link_unsupported) {
        errno = EPERM;
        return -1;
    }
    return tick() ? -1 : real_sys.link(a, b);
}
static int f_mkdir(const char *p, mode_t m)
{
    return tick() ? -1 : real_sys.mkdir(p, m);
}

static void inject(int n, int err)
{
    countdown = n;
    fail_errno = err;
}

static int sys_setup(void **state)
{
    real_sys = arca_sys;
    arca_sys.open = f_open;
    arca_sys.write = f_write;
    arca_sys.fsync = f_fsync;
    arca_sys.rename = f_rename;
    arca_sys.link = f_link;
    arca_sys.mkdir = f_mkdir;
    countdown = 0;
    fsync_calls = 0;
    link_unsupported = 0;
    return setup(state);
}

static int sys_teardown(void **state)
{
    arca_sys = real_sys;
    return teardown(state);
}

static void test_fault_fsync_write(void **state)
{
    struct fixture *f = *state;
    char *t = text_of(7, 8000);
    arca_hex hex, want;

    arca_sha256_hex(t, 8000, want);
    /*
     * The first put into an empty store calls open (ENOENT: no fan-out
     * directory yet), mkdir, open, write, fsync, link: fail the fsync.
     */
    inject(5, EIO);
    assert_int_equal(arca_objects_put(f->os, t, 8000, hex, NULL, NULL),
                     ARCA_EIO);
    assert_int_equal(countdown, 0);
    assert_non_null(strstr(arca_objects_errmsg(), "fsync"));
    assert_false(arca_objects_exists(f->os, want));
    assert_int_equal(temp_files(f), 0);

    /* Now the directory exists: open, write; the disk is full. */
    inject(2, ENOSPC);
    assert_int_equal(arca_objects_put(f->os, t, 8000, hex, NULL, NULL),
                     ARCA_EIO);
    assert_int_equal(countdown, 0);
    assert_non_null(strstr(arca_objects_errmsg(), strerror(ENOSPC)));
    assert_false(arca_objects_exists(f->os, want));
    assert_int_equal(temp_files(f), 0);

    /* Without faults the same put succeeds. */
    assert_int_equal(arca_objects_put(f->os, t, 8000, hex, NULL, NULL),
                     ARCA_OK);
    assert_string_equal(hex, want);
    assert_int_equal(arca_objects_verify(f->os, hex, NULL), ARCA_OK);
    free(t);
}

/*
 * Fail call N of a put for N = 1, 2, ... until a put runs through
 * untouched: each either fails with no object and no temporary file, or
 * succeeds with a verifiable object (link() failing falls back to
 * rename()).
 */
static void test_fault_every_call(void **state)
{
    struct fixture *f = *state;
    int n, failed = 0, passed = 0;

    for (n = 1; n < 50; n++) {
        char *t = text_of(1000 + (unsigned)n, 4000);
        arca_hex hex, want;
        arca_status rc;

        arca_sha256_hex(t, 4000, want);
        inject(n, EIO);
        rc = arca_objects_put(f->os, t, 4000, hex, NULL, NULL);
        int fired = countdown == 0;
        countdown = 0;
        free(t);
        assert_int_equal(temp_files(f), 0);
        if (rc) {
            assert_int_equal(rc, ARCA_EIO);
            assert_true(fired);
            assert_false(arca_objects_exists(f->os, want));
            assert_true(strlen(arca_objects_errmsg()) > 0);
            failed++;
        } else {
            assert_int_equal(arca_objects_verify(f->os, want, NULL),
                             ARCA_OK);
            passed++;
            if (!fired)
                break;   /* the put needs fewer than N calls */
        }
    }
    assert_true(failed >= 3);   /* open, write, fsync at least */
    assert_true(passed >= 1);
    assert_true(n < 50);
}

/* link() unsupported (as on some file systems): rename() publishes. */
static void test_fault_link_fallback(void **state)
{
    struct fixture *f = *state;
    char *t = text_of(77, 3000);
    arca_hex hex;

    link_unsupported = 1;
    rename_calls = 0;
    assert_int_equal(arca_objects_put(f->os, t, 3000, hex, NULL, NULL),
                     ARCA_OK);
    link_unsupported = 0;
    assert_int_equal(rename_calls, 1);
    assert_int_equal(arca_objects_verify(f->os, hex, NULL), ARCA_OK);
    assert_int_equal(temp_files(f), 0);
    free(t);
}

static void test_sync(void **state)
{
    struct fixture *f = *state;
    arca_hex hex[20];
    int dirs = 0;
    char seen[256] = { 0 };

    /* The store was just made: objects/ and its parent await fsync. */
    fsync_calls = 0;
    assert_int_equal(arca_objects_sync(f->os), ARCA_OK);
    assert_int_equal(fsync_calls, 2);
    fsync_calls = 0;
    assert_int_equal(arca_objects_sync(f->os), ARCA_OK);
    assert_int_equal(fsync_calls, 0);

    for (unsigned i = 0; i < 20; i++) {
        char *t = text_of(500 + i, 2000);
        assert_int_equal(arca_objects_put(f->os, t, 2000, hex[i], NULL, NULL),
                         ARCA_OK);
        free(t);
        if (!seen[strtol((char[3]){ hex[i][0], hex[i][1], 0 }, NULL, 16)]++)
            dirs++;
    }
    /* One fsync per object file, then one per new directory and objects/. */
    fsync_calls = 0;
    assert_int_equal(arca_objects_sync(f->os), ARCA_OK);
    assert_int_equal(fsync_calls, dirs + 1);
    fsync_calls = 0;
    assert_int_equal(arca_objects_sync(f->os), ARCA_OK);
    assert_int_equal(fsync_calls, 0);

    /* A failed sync keeps the directories for the next one. */
    {
        char *t = text_of(999, 2000);
        arca_hex h;
        assert_int_equal(arca_objects_put(f->os, t, 2000, h, NULL, NULL),
                         ARCA_OK);
        free(t);
    }
    inject(2, EIO);   /* open the directory, then its fsync fails */
    assert_int_equal(arca_objects_sync(f->os), ARCA_EIO);
    assert_non_null(strstr(arca_objects_errmsg(), "fsync"));
    fsync_calls = 0;
    assert_int_equal(arca_objects_sync(f->os), ARCA_OK);
    assert_true(fsync_calls >= 1);

    /* Putting an object that is there already syncs its directory too. */
    fsync_calls = 0;
    assert_int_equal(arca_objects_put(f->os, "seed", 4, hex[0], NULL, NULL),
                     ARCA_OK);
    assert_int_equal(arca_objects_sync(f->os), ARCA_OK);
    assert_true(fsync_calls >= 2);   /* the new object, its directory... */
    fsync_calls = 0;
    {
        int existed = 0;
        assert_int_equal(arca_objects_put(f->os, "seed", 4, hex[0], &existed,
                                          NULL), ARCA_OK);
        assert_int_equal(existed, 1);
    }
    assert_int_equal(fsync_calls, 0);
    assert_int_equal(arca_objects_sync(f->os), ARCA_OK);
    assert_int_equal(fsync_calls, 1);
}

/* ---- Packs ---- */

static int sink_len(void *ctx, const void *data, size_t len)
{
    (void)data;
    *(size_t *)ctx += len;
    return 0;
}

static void test_pack(void **state)
{
    struct fixture *f = *state;
    static const char *const texts[] = {"first object", "", "third, longer "
                                        "object, third, longer object"};
    arca_hex hex[3];
    arca_objloc loc[3];
    arca_packw *w = NULL;
    char path[PATH_MAX];

    assert_int_equal(arca_packw_open(f->os, &w), ARCA_OK);
    assert_int_equal(arca_packw_count(w), 0);
    for (int i = 0; i < 3; i++) {
        void *z = NULL;
        size_t zlen = 0, len = strlen(texts[i]);
        assert_int_equal(arca_objects_deflate(texts[i], len, hex[i], &z,
                                              &zlen), ARCA_OK);
        snprintf(loc[i].pack, sizeof loc[i].pack, "%s", arca_packw_name(w));
        assert_int_equal(arca_packw_add(w, hex[i], len, z, zlen,
                                        &loc[i].offset), ARCA_OK);
        free(z);
    }
    assert_int_equal(arca_packw_count(w), 3);
    /* Not readable before it is finished: the name does not exist yet. */
    void *data = NULL;
    size_t len = 0;
    assert_int_equal(arca_objects_get_at(f->os, hex[0], &loc[0], 0, &data,
                                         &len), ARCA_ENOTFOUND);
    assert_int_equal(arca_packw_finish(w), ARCA_OK);

    for (int i = 0; i < 3; i++) {
        assert_int_equal(arca_objects_get_at(f->os, hex[i], &loc[i], 0, &data,
                                             &len), ARCA_OK);
        assert_int_equal(len, strlen(texts[i]));
        assert_memory_equal(data, texts[i], len);
        free(data);
        size_t n = 0;
        uint64_t size = 0;
        assert_int_equal(arca_objects_stream_at(f->os, hex[i], &loc[i],
                                                sink_len, &n, &size), ARCA_OK);
        assert_int_equal(n, strlen(texts[i]));
        assert_int_equal(arca_objects_verify_at(f->os, hex[i], &loc[i],
                                                &size), ARCA_OK);
    }
    /* The wrong offset names another object: refused, not misread. */
    arca_objloc wrong = loc[0];
    wrong.offset = loc[2].offset;
    assert_int_equal(arca_objects_get_at(f->os, hex[0], &wrong, 0, &data,
                                         &len), ARCA_ECORRUPT);
    assert_non_null(strstr(arca_objects_errmsg(), "another object"));
    /* Not a pack name: refused before any path is built. */
    arca_objloc evil = loc[0];
    snprintf(evil.pack, sizeof evil.pack, "../../etc/passwd");
    assert_int_equal(arca_objects_get_at(f->os, hex[0], &evil, 0, &data,
                                         &len), ARCA_EINVAL);

    /* A flipped byte in the third object's stream, then a cut pack. */
    snprintf(path, sizeof path, "%s/objects/pack/%s", f->dir, loc[2].pack);
    assert_int_equal(chmod(path, 0644), 0);
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, (long)loc[2].offset + 48 + 4, SEEK_SET), 0);
    int c = fgetc(fp);
    assert_int_equal(fseek(fp, (long)loc[2].offset + 48 + 4, SEEK_SET), 0);
    fputc(c ^ 0x40, fp);
    fclose(fp);
    assert_int_equal(arca_objects_verify_at(f->os, hex[2], &loc[2], NULL),
                     ARCA_ECORRUPT);
    assert_int_equal(arca_objects_verify_at(f->os, hex[0], &loc[0], NULL),
                     ARCA_OK);
    assert_int_equal(truncate(path, (off_t)loc[2].offset + 50), 0);
    assert_int_equal(arca_objects_verify_at(f->os, hex[2], &loc[2], NULL),
                     ARCA_ECORRUPT);
    assert_non_null(strstr(arca_objects_errmsg(), "truncated"));
}

static void test_pack_abort_and_clean(void **state)
{
    struct fixture *f = *state;
    arca_packw *w = NULL, *left = NULL;
    char dir[PATH_MAX];

    snprintf(dir, sizeof dir, "%s/objects/pack", f->dir);
    assert_int_equal(arca_packw_open(f->os, &w), ARCA_OK);
    arca_packw_abort(w);
    assert_int_equal(count_names(dir), 0);
    /* A writer that died leaves its temporary pack; clean_tmp removes it. */
    assert_int_equal(arca_packw_open(f->os, &left), ARCA_OK);
    assert_int_equal(count_names(dir), 1);
    arca_objects_clean_tmp(f->os);
    assert_int_equal(count_names(dir), 0);
    arca_packw_abort(left);
    arca_packw_abort(NULL);
}

/* ---- Streaming a large object in ---- */

/* A temporary file holding N bytes of TEXT_OF(SEED); its fd, at 0. */
static int temp_input(unsigned seed, size_t n, char **data)
{
    char path[] = "/tmp/arca-put-fd-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    *data = text_of(seed, n);
    assert_int_equal(write(fd, *data, n), (ssize_t)n);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

/* Several megabytes come in a chunk at a time and back byte for byte,
 * under the hash of their content, stored once. */
static void test_put_fd(void **state)
{
    struct fixture *f = *state;
    size_t n = (3u << 20) + 12345;
    char *data;
    int fd = temp_input(5, n, &data);
    arca_hex hex, want;
    uint64_t size = 0, zsize = 0;
    int existed = -1;

    arca_sha256_hex(data, n, want);
    assert_int_equal(arca_objects_put_fd(f->os, fd, 0, hex, &size, &existed,
                                         &zsize), ARCA_OK);
    assert_string_equal(hex, want);
    assert_int_equal(size, n);
    assert_int_equal(existed, 0);
    assert_true(zsize > 0 && zsize < n / 4);
    void *back = NULL;
    size_t blen = 0;
    assert_int_equal(arca_objects_get(f->os, hex, 0, &back, &blen), ARCA_OK);
    assert_int_equal(blen, n);
    assert_memory_equal(back, data, n);
    free(back);

    /* The same bytes again: published already, nothing left behind. */
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(arca_objects_put_fd(f->os, fd, 0, hex, &size, &existed,
                                         NULL), ARCA_OK);
    assert_int_equal(existed, 1);
    assert_int_equal(temp_files(f), 0);

    /* More than the bound: refused, nothing published. */
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(arca_objects_put_fd(f->os, fd, n - 1, hex, &size, NULL,
                                         NULL), ARCA_ELIMIT);
    assert_string_equal(hex, "");
    assert_int_equal(temp_files(f), 0);
    close(fd);
    free(data);
}

/* Fail each system call of a streamed put in turn: it fails cleanly,
 * with no object and no temporary file, or it succeeds verified. */
static void test_fault_put_fd(void **state)
{
    struct fixture *f = *state;
    int n, failed = 0;

    for (n = 1; n < 50; n++) {
        char *data;
        int fd = temp_input(300 + (unsigned)n, 40000, &data);
        arca_hex hex, want;
        uint64_t size;

        arca_sha256_hex(data, 40000, want);
        inject(n, ENOSPC);
        arca_status rc = arca_objects_put_fd(f->os, fd, 0, hex, &size, NULL,
                                             NULL);
        int fired = countdown == 0;
        countdown = 0;
        close(fd);
        free(data);
        assert_int_equal(temp_files(f), 0);
        if (rc) {
            assert_int_equal(rc, ARCA_EIO);
            assert_false(arca_objects_exists(f->os, want));
            assert_true(strlen(arca_objects_errmsg()) > 0);
            failed++;
        } else {
            assert_int_equal(arca_objects_verify(f->os, want, NULL),
                             ARCA_OK);
            if (!fired)
                break;
        }
    }
    assert_true(failed >= 3);   /* open, write, fsync at least */
    assert_true(n < 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pack_abort_and_clean, setup,
                                        teardown),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test_setup_teardown(test_put_fd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_put_fd, sys_setup,
                                        sys_teardown),
        cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_large, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dedup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_fsync_write, sys_setup,
                                        sys_teardown),
        cmocka_unit_test_setup_teardown(test_fault_every_call, sys_setup,
                                        sys_teardown),
        cmocka_unit_test_setup_teardown(test_fault_link_fallback, sys_setup,
                                        sys_teardown),
        cmocka_unit_test_setup_teardown(test_sync, sys_setup, sys_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
