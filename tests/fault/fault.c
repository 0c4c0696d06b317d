/*
 * fault.c: a library preloaded into arca by the fault tests, which makes
 * the Nth allocation or the Nth disk-changing system call fail.
 *
 * SQLite's test harness replaces its allocator and its system call table
 * and fails call N; Lua's tests do the same with a lua_Alloc.  arca's own
 * writes already go through archive/sys.c, but the index writer's are
 * inside libxapian and the catalog's inside libsqlite3, so the seam here
 * is the dynamic linker's: this library defines malloc, open, write,
 * fsync, rename, mkdir and their kin, and each call made from arca's own
 * code or from the libraries named below is counted.  Calls made from
 * anywhere else (libc itself, libmagic, glib, the C++ runtime) pass
 * through uncounted, so that a fault lands where arca must handle it.
 *
 * Environment:
 *   ARCA_FAULT=alloc|io   what to count (unset: the library does nothing)
 *   ARCA_FAULT_AT=N       fail the Nth counted call (0: only count)
 *   ARCA_FAULT_PERSIST=1  fail every counted call from the Nth on
 *   ARCA_FAULT_ERRNO=ENOSPC|EIO|ENOMEM  the failure's errno (io: EIO)
 *   ARCA_FAULT_REPORT=F   at exit, write "CALLS FIRED" to F
 * Writes to standard output and error are never failed, so that arca's
 * message about the failure can be read.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

enum { OFF, ALLOC, IO };

static int kind = OFF;
static long fail_at;
static int persist;
static int fail_errno = EIO;
static const char *report;
static atomic_long calls;
static atomic_long fired;

/* The address ranges whose calls count: arca's executable and the
 * libraries it must survive the failures of. */
#define MAX_RANGES 32
static struct { uintptr_t lo, hi; } ranges[MAX_RANGES];
static int nranges;

static const char *const scoped_libs[] = {
    "libxapian", "libsqlite3", "libjansson", NULL
};

static int add_ranges(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    const char *name = info->dlpi_name;
    int take = name == NULL || name[0] == '\0';  /* the executable */
    for (int i = 0; !take && scoped_libs[i]; i++)
        take = strstr(name, scoped_libs[i]) != NULL;
    if (!take)
        return 0;
    for (int i = 0; i < info->dlpi_phnum && nranges < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        ranges[nranges].lo = info->dlpi_addr + ph->p_vaddr;
        ranges[nranges].hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
        nranges++;
    }
    return 0;
}

static int errno_named(const char *s)
{
    if (s == NULL)
        return 0;
    if (strcmp(s, "ENOSPC") == 0)
        return ENOSPC;
    if (strcmp(s, "ENOMEM") == 0)
        return ENOMEM;
    if (strcmp(s, "EDQUOT") == 0)
        return EDQUOT;
    return EIO;
}

__attribute__((constructor)) static void fault_init(void)
{
    const char *k = getenv("ARCA_FAULT");
    if (k == NULL)
        return;
    const char *at = getenv("ARCA_FAULT_AT");
    fail_at = at ? strtol(at, NULL, 10) : 0;
    persist = getenv("ARCA_FAULT_PERSIST") != NULL;
    report = getenv("ARCA_FAULT_REPORT");
    dl_iterate_phdr(add_ranges, NULL);
    if (strcmp(k, "alloc") == 0) {
        fail_errno = ENOMEM;
        kind = ALLOC;
    } else if (strcmp(k, "io") == 0) {
        kind = IO;
    }
    if (getenv("ARCA_FAULT_ERRNO"))
        fail_errno = errno_named(getenv("ARCA_FAULT_ERRNO"));
}

__attribute__((destructor)) static void fault_report(void)
{
    if (kind == OFF || report == NULL)
        return;
    char line[64];
    int n = snprintf(line, sizeof line, "%ld %ld\n", atomic_load(&calls),
                     atomic_load(&fired));
    int (*real_open)(const char *, int, ...) = dlsym(RTLD_NEXT, "open");
    ssize_t (*real_write)(int, const void *, size_t) =
        dlsym(RTLD_NEXT, "write");
    int fd = real_open(report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (real_write(fd, line, (size_t)n) < 0)
            n = 0;
        close(fd);
    }
}

static int in_scope(const void *ra)
{
    uintptr_t a = (uintptr_t)ra;
    for (int i = 0; i < nranges; i++)
        if (a >= ranges[i].lo && a < ranges[i].hi)
            return 1;
    return 0;
}

/* Whether the call of kind K made from RA fails; sets errno if so. */
static int should_fail(int k, const void *ra)
{
    if (kind != k || !in_scope(ra))
        return 0;
    long n = atomic_fetch_add(&calls, 1) + 1;
    if (fail_at <= 0 || n < fail_at || (n > fail_at && !persist))
        return 0;
    atomic_fetch_add(&fired, 1);
    errno = fail_errno;
    return 1;
}

#define RA __builtin_return_address(0)

/* ---- Allocation ---- */

void *malloc(size_t n)
{
    if (should_fail(ALLOC, RA))
        return NULL;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (should_fail(ALLOC, RA))
        return NULL;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (n && should_fail(ALLOC, RA))
        return NULL;
    return __libc_realloc(p, n);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = __libc_malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *strdup(const char *s)
{
    if (should_fail(ALLOC, RA))
        return NULL;
    return dup_n(s, strlen(s));
}

char *strndup(const char *s, size_t n)
{
    if (should_fail(ALLOC, RA))
        return NULL;
    return dup_n(s, strnlen(s, n));
}

/* ---- System calls that change the disk ---- */

#define REAL(name)                                                         \
    static __typeof__(&name) real_##name;                                  \
    if (real_##name == NULL)                                               \
        real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

/* open's mode argument is there only when O_CREAT or O_TMPFILE asks. */
#define OPEN_MODE(flags, mode)                                             \
    do {                                                                   \
        if ((flags) & (O_CREAT | O_TMPFILE)) {                             \
            va_list ap;                                                    \
            va_start(ap, flags);                                           \
            mode = (mode_t)va_arg(ap, int);                                \
            va_end(ap);                                                    \
        }                                                                  \
    } while (0)

/* Opening for reading changes nothing: only opens that may write count. */
#define OPEN_WRITES(flags) (((flags) & O_ACCMODE) != O_RDONLY || \
                            ((flags) & (O_CREAT | O_TRUNC)))

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    REAL(open);
    if (OPEN_WRITES(flags) && should_fail(IO, RA))
        return -1;
    return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    REAL(open64);
    if (OPEN_WRITES(flags) && should_fail(IO, RA))
        return -1;
    return real_open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    REAL(openat);
    if (OPEN_WRITES(flags) && should_fail(IO, RA))
        return -1;
    return real_openat(dirfd, path, flags, mode);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(write);
    if (fd > 2 && should_fail(IO, RA))
        return -1;
    return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t at)
{
    REAL(pwrite);
    if (should_fail(IO, RA))
        return -1;
    return real_pwrite(fd, buf, n, at);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t at)
{
    REAL(pwrite64);
    if (should_fail(IO, RA))
        return -1;
    return real_pwrite64(fd, buf, n, at);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    REAL(writev);
    if (fd > 2 && should_fail(IO, RA))
        return -1;
    return real_writev(fd, iov, n);
}

int fsync(int fd)
{
    REAL(fsync);
    if (should_fail(IO, RA))
        return -1;
    return real_fsync(fd);
}

int fdatasync(int fd)
{
    REAL(fdatasync);
    if (should_fail(IO, RA))
        return -1;
    return real_fdatasync(fd);
}

int ftruncate(int fd, off_t len)
{
    REAL(ftruncate);
    if (should_fail(IO, RA))
        return -1;
    return real_ftruncate(fd, len);
}

int rename(const char *from, const char *to)
{
    REAL(rename);
    if (should_fail(IO, RA))
        return -1;
    return real_rename(from, to);
}

int link(const char *from, const char *to)
{
    REAL(link);
    if (should_fail(IO, RA))
        return -1;
    return real_link(from, to);
}

int mkdir(const char *path, mode_t mode)
{
    REAL(mkdir);
    if (should_fail(IO, RA))
        return -1;
    return real_mkdir(path, mode);
}

int unlink(const char *path)
{
    REAL(unlink);
    if (should_fail(IO, RA))
        return -1;
    return real_unlink(path);
}
