/*
 * watch.c: `arca watch DIR`, a drop folder.  Whatever lands in DIR, or
 * in any folder below it (new ones included), is imported once it is
 * complete, until SIGINT or SIGTERM.
 *
 * Linux inotify tells when a file was closed after writing
 * (IN_CLOSE_WRITE) or moved in (IN_MOVED_TO).  The file then waits until
 * it has not changed for --settle seconds, so that a burst of writes is
 * imported once; the files that settle together go to one
 * arca_db_import() call, so sidecars, the ledger, dedup, hooks and the
 * OCR defaults all apply as for `arca import`; a file inside a folder
 * record (a post's folder with its sidecar) imports that folder.  The writer is held only
 * while importing (open, import, close): searches and `arca serve` go on,
 * and other writers get their turn; when the collection is busy
 * (ARCA_ELOCKED) the files wait and the import is tried again later.
 *
 * Bounded: at most WATCH_MAX_PENDING paths wait; beyond that, and when
 * the kernel's event queue overflows (IN_Q_OVERFLOW), the whole folder is
 * walked again instead, which the import ledger makes cheap (unchanged
 * files are skipped).  The files in DIR when watch starts are imported
 * by such a walk too.  A walk imports WATCH_CHUNK files per call.
 *
 * Ignored: names starting with '.', and files whose names end in .part,
 * .tmp, .crdownload or ~ (still being written by a browser or an
 * editor: they are imported when renamed).  Symbolic links to folders
 * are never followed, and links to files only when the file is inside
 * DIR.
 *
 * SIGINT and SIGTERM are blocked and read from a signalfd, so no import
 * is cut: a stop waits for the running import to commit.  Files that had
 * not settled yet are imported by the next start's walk.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tools/tools.h"

#ifndef WATCH_MAX_PENDING
#define WATCH_MAX_PENDING 65536     /* paths waiting to settle */
#endif
#define WATCH_CHUNK 4096            /* files per import call of a walk */
#define WATCH_MAX_DEPTH 64          /* folders below DIR, as import */
#define BACKOFF_MIN 250             /* ms before trying a busy collection */
#define BACKOFF_BUSY_MAX 8000       /* ms, at most, while it is busy */
#define BACKOFF_ERR_MAX 60000       /* ms, at most, after a failed import */
#define PEND_BUCKETS (1u << 16)
#define WD_BUCKETS 1024u
#define SIDECAR_SUFFIX ".meta.json"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
                    IN_CREATE | IN_DELETE | IN_MODIFY | IN_ONLYDIR | \
                    IN_DONT_FOLLOW | IN_EXCL_UNLINK)

static const char watch_usage[] =
    "usage: arca watch DIR [--settle SECONDS] [--jobs N] [--ocr|--no-ocr] "
    "[--json] [--quiet]";

/* A path waiting to settle, in the pending table. */
enum { P_WAIT, P_BATCH, P_DONE };
typedef struct pend {
    struct pend *next;          /* in its bucket */
    int64_t due;                /* ms (monotonic): import once reached */
    int state;                  /* P_WAIT, P_BATCH (being imported), P_DONE */
    char path[];
} pend;

/* A watched folder. */
typedef struct wdir {
    struct wdir *next;          /* in its bucket */
    int wd;
    char path[];
} wdir;

typedef struct watcher {
    const char *coll;           /* the collection */
    char drop[PATH_MAX];        /* DIR as given, without a trailing '/' */
    char drop_real[PATH_MAX];
    char coll_real[PATH_MAX];
    int ifd, sfd, root_wd;
    int64_t settle;             /* ms */
    int json, quiet;
    arca_import_opts io;

    pend **pb;                  /* PEND_BUCKETS chains */
    size_t npend;
    wdir *wb[WD_BUCKETS];
    size_t nwatch;
    int limit_said;             /* the watch limit was reported */

    int rescan;                 /* a walk of DIR is due at rescan_due */
    int64_t rescan_due;
    char *chunk[WATCH_CHUNK];   /* a walk's files, to import */
    size_t nchunk;
    int chunk_failed;           /* this walk could not import: retry it */
    int walking;                /* a walk is importing: "unchanged" is quiet */

    int64_t retry_at, backoff;  /* the collection was busy or failed */
    int busy_said;
    char last_err[1024];

    int stop, stop_sig, failed;
} watcher;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    fputs("arca: watch: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- Names ---- */

static int ends_with(const char *s, const char *suffix, int nocase)
{
    size_t n = strlen(s), k = strlen(suffix);
    if (n < k)
        return 0;
    return nocase ? strcasecmp(s + n - k, suffix) == 0
                  : strcmp(s + n - k, suffix) == 0;
}

/* 1 for a name watch leaves alone: hidden, or a file still being written. */
static int ignored_name(const char *name, int is_dir)
{
    static const char *const partial[] = {".part", ".tmp", ".crdownload",
                                          "~"};
    if (name[0] == '.' || name[0] == '\0')
        return 1;
    if (is_dir)
        return 0;
    for (size_t i = 0; i < sizeof partial / sizeof *partial; i++)
        if (ends_with(name, partial[i], 1))
            return 1;
    return 0;
}

static int is_sidecar(const char *name)
{
    return strlen(name) > strlen(SIDECAR_SUFFIX) &&
           ends_with(name, SIDECAR_SUFFIX, 0);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* DIR/NAME into OUT; 0, or -1 when too long. */
static int join(char out[PATH_MAX], const char *dir, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    return n > 0 && n < PATH_MAX ? 0 : -1;
}

/* 1 if the real path REAL is DIR's real path or below it. */
static int inside(const char *real, const char *dir_real)
{
    size_t n = strlen(dir_real);
    return strncmp(real, dir_real, n) == 0 &&
           (real[n] == '\0' || real[n] == '/');
}

/* ---- Output: one line per file ---- */

static const char *outcome_name(arca_outcome o)
{
    static const char *const names[] = {"imported", "unchanged", "skipped",
                                        "failed"};
    return (unsigned)o < 4 ? names[o] : "?";
}

static void report(watcher *w, const char *path, arca_outcome o,
                   const char *id, const char *mime, size_t records,
                   const char *error, const char *warning)
{
    if (w->quiet && o != ARCA_FAILED)
        return;
    if (w->walking && o == ARCA_UNCHANGED)
        return;             /* a walk meets every old file again */
    if (w->json) {
        json_t *j = json_object();
        json_object_set_new(j, "path", json_string(path));
        json_object_set_new(j, "outcome", json_string(outcome_name(o)));
        json_object_set_new(j, "id", arca_json_str(id));
        json_object_set_new(j, "error", arca_json_str(error));
        if (warning)
            json_object_set_new(j, "warning", json_string(warning));
        char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(j);
        if (s) {
            puts(s);
            free(s);
        }
        fflush(stdout);
        return;
    }
    char more[48] = "";
    if (records > 1)
        snprintf(more, sizeof more, " (and %zu more records)", records - 1);
    if (o == ARCA_FAILED || o == ARCA_SKIPPED)
        fprintf(stderr, "%s %s: %s\n", outcome_name(o), path,
                error ? error : warning ? warning : "no reason given");
    else
        fprintf(stderr, "%s %s%s%s%s%s%s%s%s\n", outcome_name(o), path,
                id ? " -> " : "", id ? id : "", more,
                mime && mime[0] ? " " : "", mime ? mime : "",
                warning ? "; warning: " : "", warning ? warning : "");
    fflush(stderr);
}

/* ---- The pending table: paths waiting to settle ---- */

static unsigned hash_path(const char *s)
{
    uint32_t h = 2166136261u;           /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h & (PEND_BUCKETS - 1);
}

static pend *pend_find(watcher *w, const char *path)
{
    for (pend *p = w->pb[hash_path(path)]; p; p = p->next)
        if (strcmp(p->path, path) == 0)
            return p;
    return NULL;
}

static void pend_remove(watcher *w, const char *path)
{
    for (pend **pp = &w->pb[hash_path(path)]; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->path, path) == 0) {
            pend *p = *pp;
            *pp = p->next;
            free(p);
            w->npend--;
            return;
        }
}

static void pend_clear(watcher *w)
{
    for (unsigned i = 0; i < PEND_BUCKETS; i++) {
        for (pend *p = w->pb[i], *next; p; p = next) {
            next = p->next;
            free(p);
        }
        w->pb[i] = NULL;
    }
    w->npend = 0;
}

static void schedule_rescan(watcher *w, const char *why)
{
    if (!w->rescan && !w->quiet)
        say("%s: %s; walking the whole folder instead", w->drop, why);
    pend_clear(w);
    w->rescan = 1;
    w->rescan_due = mono_ms() + w->settle;
}

/* A new entry for PATH, or NULL when the table is full or memory ran out. */
static pend *pend_add(watcher *w, const char *path, int64_t due)
{
    size_t n = strlen(path) + 1;
    pend *p = w->npend < WATCH_MAX_PENDING ? malloc(sizeof *p + n) : NULL;
    if (p == NULL)
        return NULL;
    memcpy(p->path, path, n);
    p->due = due;
    p->state = P_WAIT;
    unsigned h = hash_path(path);
    p->next = w->pb[h];
    w->pb[h] = p;
    w->npend++;
    return p;
}

/*
 * PATH changed: it waits (again) until DUE.  Beyond WATCH_MAX_PENDING
 * paths, a walk of the folder takes over.
 */
static void pend_touch(watcher *w, const char *path, int64_t due)
{
    pend *p = pend_find(w, path);
    if (p) {
        if (p->state == P_WAIT && due > p->due)
            p->due = due;
    } else if (pend_add(w, path, due) == NULL) {
        schedule_rescan(w, w->npend >= WATCH_MAX_PENDING
                               ? "too many files at once" : "out of memory");
    }
}

/* ---- Watched folders ---- */

static wdir *wd_find(watcher *w, int wd)
{
    for (wdir *d = w->wb[(unsigned)wd % WD_BUCKETS]; d; d = d->next)
        if (d->wd == wd)
            return d;
    return NULL;
}

static void wd_forget(watcher *w, int wd)
{
    for (wdir **pp = &w->wb[(unsigned)wd % WD_BUCKETS]; *pp;
         pp = &(*pp)->next)
        if ((*pp)->wd == wd) {
            wdir *d = *pp;
            *pp = d->next;
            free(d);
            w->nwatch--;
            return;
        }
}

/* WD watches PATH (a folder moved inside DIR keeps its watch). */
static void wd_set(watcher *w, int wd, const char *path)
{
    wdir *d = wd_find(w, wd);
    if (d && strcmp(d->path, path) == 0)
        return;
    if (d)
        wd_forget(w, wd);
    size_t n = strlen(path) + 1;
    d = malloc(sizeof *d + n);
    if (d == NULL) {
        inotify_rm_watch(w->ifd, wd);
        return;
    }
    d->wd = wd;
    memcpy(d->path, path, n);
    unsigned h = (unsigned)wd % WD_BUCKETS;
    d->next = w->wb[h];
    w->wb[h] = d;
    w->nwatch++;
}

/* The folder PATH left DIR (or was renamed): stop watching it and below. */
static void wd_drop_tree(watcher *w, const char *path)
{
    size_t n = strlen(path);
    for (unsigned i = 0; i < WD_BUCKETS; i++)
        for (wdir **pp = &w->wb[i]; *pp;) {
            wdir *d = *pp;
            if (strncmp(d->path, path, n) == 0 &&
                (d->path[n] == '\0' || d->path[n] == '/')) {
                inotify_rm_watch(w->ifd, d->wd);
                *pp = d->next;
                free(d);
                w->nwatch--;
            } else {
                pp = &d->next;
            }
        }
}

static void wd_clear(watcher *w)
{
    for (unsigned i = 0; i < WD_BUCKETS; i++) {
        for (wdir *d = w->wb[i], *next; d; d = next) {
            next = d->next;
            free(d);
        }
        w->wb[i] = NULL;
    }
    w->nwatch = 0;
}

/* ---- Importing ---- */

static void on_file(void *ctx, const arca_import_event *ev)
{
    watcher *w = ctx;
    pend *p = w->walking ? NULL : pend_find(w, ev->path);
    struct stat st;
    if (p && p->state == P_BATCH)
        p->state = P_DONE;
    /* Moved or deleted before it could be read: not a failure of the
     * file (moved within DIR, it comes again under its new name). */
    if (ev->outcome == ARCA_FAILED && lstat(ev->path, &st) < 0 &&
        errno == ENOENT)
        return;
    report(w, ev->path, ev->outcome, ev->id, ev->mime, ev->records,
           ev->outcome == ARCA_FAILED ? (ev->error ? ev->error : "failed")
                                      : NULL,
           ev->warning);
}

/* Try again later: at most MAX ms from now, twice as long as last time. */
static void back_off(watcher *w, int64_t max)
{
    w->backoff = w->backoff ? w->backoff * 2 : BACKOFF_MIN;
    if (w->backoff > max)
        w->backoff = max;
    w->retry_at = mono_ms() + w->backoff;
}

/*
 * Import PATHS[0..n) under the writer, taken for this call only.
 * Returns 0, or -1 when the collection was busy or the import stopped:
 * the files are to be tried again at w->retry_at.
 */
static int import_paths(watcher *w, const char *const *paths, size_t n)
{
    arca_db *db = NULL;
    char err[1024];
    arca_status st = arca_db_open(w->coll, ARCA_WRITE, &db, err, sizeof err);
    if (st == ARCA_ELOCKED) {
        if (!w->busy_said && !w->quiet)
            say("%s; %zu file%s wait%s", err, n, n == 1 ? "" : "s",
                n == 1 ? "s" : "");
        w->busy_said = 1;
        back_off(w, BACKOFF_BUSY_MAX);
        return -1;
    }
    if (st != ARCA_OK) {
        if (strcmp(err, w->last_err) != 0)
            say("%s; trying again later", err);
        snprintf(w->last_err, sizeof w->last_err, "%s", err);
        back_off(w, BACKOFF_ERR_MAX);
        return -1;
    }
    if (w->busy_said && !w->quiet)
        say("%s is free again", w->coll);
    w->busy_said = 0;
    arca_import_summary sum;
    st = arca_db_import(db, paths, n, &w->io, &sum);
    if (st != ARCA_OK) {
        const char *msg = arca_db_errmsg(db);
        if (strcmp(msg, w->last_err) != 0)
            say("import stopped: %s; trying again later", msg);
        snprintf(w->last_err, sizeof w->last_err, "%s", msg);
        arca_db_close(db);
        back_off(w, BACKOFF_ERR_MAX);
        return -1;
    }
    arca_db_close(db);
    w->last_err[0] = '\0';
    w->backoff = 0;
    w->retry_at = 0;
    return 0;
}

/*
 * Whether the file PATH is to be imported: 1 yes, 0 no (gone, a folder,
 * or a link out of DIR, which is reported as skipped).
 */
static int importable(watcher *w, const char *path)
{
    struct stat st;
    char real[PATH_MAX];
    if (lstat(path, &st) < 0)
        return errno != ENOENT;     /* gone: quietly; else import says why */
    if (S_ISDIR(st.st_mode))
        return 0;
    if (S_ISLNK(st.st_mode)) {
        if (realpath(path, real) == NULL || stat(real, &st) < 0) {
            report(w, path, ARCA_SKIPPED, NULL, NULL, 0, NULL,
                   "symbolic link to nothing: not followed");
            return 0;
        }
        if (!inside(real, w->drop_real) ||
            (w->coll_real[0] && inside(real, w->coll_real))) {
            report(w, path, ARCA_SKIPPED, NULL, NULL, 0, NULL,
                   "symbolic link out of the drop folder: not followed");
            return 0;
        }
        if (S_ISDIR(st.st_mode))
            return 0;               /* links to folders are not followed */
    }
    if (!S_ISREG(st.st_mode)) {
        report(w, path, ARCA_SKIPPED, NULL, NULL, 0, NULL,
               "not a regular file");
        return 0;
    }
    return 1;
}

/* Grow the array *A of *CAP pointers to hold N + 1. */
static int grow(pend ***a, size_t *cap, size_t n)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    pend **b = realloc(*a, c * sizeof *b);
    if (b == NULL)
        return -1;
    *a = b;
    *cap = c;
    return 0;
}

/*
 * The sidecar S settled: its record's file (NAME for NAME.meta.json, or
 * NAME.EXT) is imported again, unless it is still settling itself.
 */
static void sidecar_files(watcher *w, const char *s, pend ***batch,
                          size_t *n, size_t *cap)
{
    char dir[PATH_MAX], path[PATH_MAX];
    const char *base = base_name(s);
    size_t stem = strlen(base) - strlen(SIDECAR_SUFFIX);
    snprintf(dir, sizeof dir, "%.*s", (int)(base - s - 1), s);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        const char *dot = strrchr(name, '.');
        size_t k = strlen(name);
        if (!(k == stem || (dot && (size_t)(dot - name) == stem)) ||
            strncmp(name, base, stem) != 0 || ignored_name(name, 0) ||
            is_sidecar(name) || join(path, dir, name) < 0)
            continue;
        pend *p = pend_find(w, path);
        if (p && p->state != P_WAIT)
            continue;               /* in this batch already */
        if (p && p->due > mono_ms())
            continue;               /* still settling: it comes later */
        if (p == NULL && (p = pend_add(w, path, 0)) == NULL)
            break;                  /* full: the walk after will see it */
        if (grow(batch, cap, *n) < 0)
            break;
        p->state = P_BATCH;
        (*batch)[(*n)++] = p;
    }
    closedir(d);
}

/* Import the files that have settled by NOW, in one call. */
static void import_settled(watcher *w, int64_t now)
{
    pend **batch = NULL;
    size_t n = 0, cap = 0;
    for (unsigned i = 0; i < PEND_BUCKETS && w->npend; i++)
        for (pend *p = w->pb[i]; p; p = p->next)
            if (p->state == P_WAIT && p->due <= now) {
                if (grow(&batch, &cap, n) < 0)
                    goto out;
                p->state = P_BATCH;
                batch[n++] = p;
            }
    if (n == 0)
        goto out;
    /* Sidecars bring their files; then what is gone or out is left. */
    for (size_t i = 0; i < n; i++)
        if (is_sidecar(base_name(batch[i]->path)))
            sidecar_files(w, batch[i]->path, &batch, &n, &cap);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        pend *p = batch[i];
        if (!is_sidecar(base_name(p->path)) && importable(w, p->path))
            batch[k++] = p;
        else
            pend_remove(w, p->path);
    }
    n = k;
    if (n == 0)
        goto out;
    const char **paths = malloc(n * sizeof *paths);
    if (paths == NULL) {
        for (size_t i = 0; i < n; i++)
            batch[i]->state = P_WAIT;
        back_off(w, BACKOFF_ERR_MAX);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        paths[i] = batch[i]->path;
    int rc = import_paths(w, paths, n);
    free(paths);
    /* Done, or on failure tried again, except those it reported. */
    for (size_t i = 0; i < n; i++) {
        pend *p = batch[i];
        if (rc == 0 || p->state == P_DONE) {
            pend_remove(w, p->path);
        } else {
            p->state = P_WAIT;
            p->due = w->retry_at;
        }
    }
out:
    free(batch);
}

/* ---- Walking the folder ---- */

static int check_stop(watcher *w)
{
    struct signalfd_siginfo si;
    if (!w->stop && read(w->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        w->stop = 1;
        w->stop_sig = (int)si.ssi_signo;
    }
    return w->stop;
}

static void flush_chunk(watcher *w)
{
    if (w->nchunk && !w->chunk_failed && !check_stop(w)) {
        w->walking = 1;
        if (import_paths(w, (const char *const *)w->chunk, w->nchunk) < 0)
            w->chunk_failed = 1;
        w->walking = 0;
    }
    for (size_t i = 0; i < w->nchunk; i++)
        free(w->chunk[i]);
    w->nchunk = 0;
}

enum walk_mode {
    WALK_WATCH,         /* watch the folders only */
    WALK_PEND,          /* and let each file settle (a new folder) */
    WALK_IMPORT         /* and import the files (start, overflow) */
};

/* A file met by a walk of MODE. */
static void walk_file(watcher *w, const char *path, const struct stat *st,
                      enum walk_mode mode, int64_t now)
{
    if (mode == WALK_PEND) {
        if (!w->rescan)
            pend_touch(w, path, now + w->settle);
        return;
    }
    if (pend_find(w, path))
        return;                     /* settling: imported when it has */
    /* Written within the settle time: it may still be being written. */
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    int64_t age = ((int64_t)t.tv_sec - st->st_mtim.tv_sec) * 1000 +
                  (t.tv_nsec - st->st_mtim.tv_nsec) / 1000000;
    if (age < w->settle && w->npend < WATCH_MAX_PENDING) {
        pend_touch(w, path, now + w->settle);
        return;
    }
    if (w->chunk_failed || !importable(w, path))
        return;
    if ((w->chunk[w->nchunk] = strdup(path)) == NULL) {
        w->chunk_failed = 1;
        back_off(w, BACKOFF_ERR_MAX);
        return;
    }
    if (++w->nchunk == WATCH_CHUNK)
        flush_chunk(w);
}

/*
 * Watch the folder PATH and the folders below it, and with MODE do
 * something with their files.  Returns 0, or -1 when PATH could not be
 * watched.
 */
static int walk(watcher *w, const char *path, int depth, enum walk_mode mode,
                int64_t now)
{
    int wd = inotify_add_watch(w->ifd, path, WATCH_MASK);
    if (wd < 0) {
        if (errno == ENOSPC) {
            if (!w->limit_said)
                say("%s: cannot watch: the limit of inotify watches is "
                    "reached (raise fs.inotify.max_user_watches); its new "
                    "files are imported at the next start", path);
            w->limit_said = 1;
        } else if (errno != ENOENT && errno != ENOTDIR) {
            say("%s: cannot watch: %s", path, strerror(errno));
        }
        return -1;
    }
    wd_set(w, wd, path);
    DIR *d = opendir(path);
    if (d == NULL) {
        if (errno != ENOENT)
            say("%s: cannot list: %s", path, strerror(errno));
        return 0;
    }
    struct dirent *e;
    char sub[PATH_MAX];
    while ((e = readdir(d)) != NULL && !w->stop) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            join(sub, path, e->d_name) < 0 || lstat(sub, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            char real[PATH_MAX];
            if (ignored_name(e->d_name, 1) ||
                (realpath(sub, real) && strcmp(real, w->coll_real) == 0))
                continue;
            if (depth + 1 >= WATCH_MAX_DEPTH) {
                say("%s: folders nested too deep: not watched", sub);
                continue;
            }
            walk(w, sub, depth + 1, mode, now);
        } else if (mode != WALK_WATCH && !ignored_name(e->d_name, 0) &&
                   !is_sidecar(e->d_name) &&
                   (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
            walk_file(w, sub, &st, mode, now);
        }
    }
    closedir(d);
    return 0;
}

/* Walk all of DIR, watching every folder and importing what is new. */
static void rescan(watcher *w)
{
    int64_t now = mono_ms();
    w->chunk_failed = 0;
    w->rescan = 0;
    walk(w, w->drop, 0, WALK_IMPORT, now);
    flush_chunk(w);
    if (w->chunk_failed && !w->stop) {
        w->rescan = 1;              /* all of it again, later */
        w->rescan_due = w->retry_at;
    }
}

/* ---- Events ---- */

static void on_event(watcher *w, const struct inotify_event *ev, int64_t now)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        schedule_rescan(w, "too many events at once");
        return;
    }
    if (ev->mask & IN_IGNORED) {
        if (ev->wd == w->root_wd) {
            say("%s: the folder is gone", w->drop);
            w->stop = w->failed = 1;
        }
        wd_forget(w, ev->wd);
        return;
    }
    wdir *d = wd_find(w, ev->wd);
    if (d == NULL || ev->len == 0 || ev->name[0] == '\0')
        return;
    int is_dir = (ev->mask & IN_ISDIR) != 0;
    char path[PATH_MAX];
    if (ignored_name(ev->name, is_dir) || join(path, d->path, ev->name) < 0)
        return;
    if (is_dir) {
        if (ev->mask & IN_MOVED_FROM)
            wd_drop_tree(w, path);
        if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
            int depth = 0;
            for (const char *s = path + strlen(w->drop); *s; s++)
                depth += *s == '/';
            char real[PATH_MAX];
            if (depth < WATCH_MAX_DEPTH &&
                !(realpath(path, real) && strcmp(real, w->coll_real) == 0))
                walk(w, path, depth, w->rescan ? WALK_WATCH : WALK_PEND,
                     now);
        }
        return;
    }
    if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
        pend_remove(w, path);
        return;
    }
    if (w->rescan)
        return;                     /* the walk to come will see it */
    if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
        pend_touch(w, path, now + w->settle);
    } else if (ev->mask & IN_CREATE) {
        /* A link has no close: it counts once made. */
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            pend_touch(w, path, now + w->settle);
    } else if (ev->mask & IN_MODIFY) {
        pend *p = pend_find(w, path);
        if (p && p->state == P_WAIT)
            p->due = now + w->settle;   /* still changing: it waits */
    }
}

/* Read every event queued. */
static void read_events(watcher *w)
{
    static char buf[64 * 1024]
        __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(w->ifd, buf, sizeof buf);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                say("inotify: %s", strerror(errno));
                w->stop = w->failed = 1;
            }
            return;
        }
        int64_t now = mono_ms();
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            on_event(w, ev, now);
            p += sizeof *ev + ev->len;
        }
    }
}

/* When something is next due (ms, monotonic), or -1 for nothing. */
static int64_t next_due(const watcher *w)
{
    int64_t next = -1;
    if (w->rescan)
        next = w->rescan_due;
    for (unsigned i = 0; i < PEND_BUCKETS && w->npend; i++)
        for (const pend *p = w->pb[i]; p; p = p->next)
            if (p->state == P_WAIT && (next < 0 || p->due < next))
                next = p->due;
    if (next >= 0 && next < w->retry_at)
        next = w->retry_at;
    return next;
}

static void loop(watcher *w)
{
    while (!w->stop) {
        int64_t now = mono_ms(), next = next_due(w);
        int timeout = -1;
        if (next >= 0)
            timeout = next <= now ? 0 : next - now > INT_MAX ? INT_MAX
                                                            : (int)(next - now);
        struct pollfd fds[2] = {{.fd = w->ifd, .events = POLLIN},
                                {.fd = w->sfd, .events = POLLIN}};
        if (poll(fds, 2, timeout) < 0 && errno != EINTR) {
            say("poll: %s", strerror(errno));
            w->failed = 1;
            return;
        }
        if (check_stop(w))
            return;
        read_events(w);
        now = mono_ms();
        if (w->stop || now < w->retry_at)
            continue;
        if (w->rescan && now >= w->rescan_due)
            rescan(w);
        else
            import_settled(w, now);
    }
}

/* ---- The command ---- */

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
    va_list ap;
    fputs("arca: watch: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s\n", watch_usage);
    return 2;
}

int arca_watch(const char *dir, int argc, char **argv)
{
    static const struct option opts[] = {
        {"settle", required_argument, 0, 's'},
        {"jobs", required_argument, 0, 'J'},
        {"ocr", no_argument, 0, 'O'},
        {"no-ocr", no_argument, 0, 'N'},
        {"json", no_argument, 0, 'j'},
        {"quiet", no_argument, 0, 'q'},
        {0, 0, 0, 0}};
    watcher *w = calloc(1, sizeof *w);
    double settle = 2;
    unsigned jobs;
    int o, rc = 1;
    char err[1024];
    arca_db *probe = NULL;
    sigset_t sigs;

    if (w == NULL || (w->pb = calloc(PEND_BUCKETS, sizeof *w->pb)) == NULL) {
        say("out of memory");
        if (w)
            free(w);
        return 1;
    }
    w->ifd = w->sfd = w->root_wd = -1;
    w->coll = dir;
    optind = 1;
    while ((o = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
        switch (o) {
        case 's': {
            char *end;
            errno = 0;
            settle = strtod(optarg, &end);
            if (errno || *end || end == optarg || !isfinite(settle) ||
                settle < 0 || settle > 86400) {
                rc = usage("--settle wants seconds (0 to 86400), not '%s'",
                           optarg);
                goto out;
            }
            break;
        }
        case 'J':
            if (!arca_api_uint(optarg, 0, 1000000000, &jobs)) {
                rc = usage("--jobs wants a whole number, not '%s'", optarg);
                goto out;
            }
            w->io.jobs = (int)(jobs > 64 ? 64 : jobs);
            break;
        case 'O': w->io.ocr = 1; break;
        case 'N': w->io.ocr = -1; break;
        case 'j': w->json = 1; break;
        case 'q': w->quiet = 1; break;
        default:
            rc = usage("unknown option");
            goto out;
        }
    }
    if (optind + 1 != argc) {
        rc = usage("%s", optind >= argc ? "watch needs the folder to watch"
                                        : "watch takes one folder");
        goto out;
    }
    w->settle = (int64_t)llround(settle * 1000);
    w->io.on_file = on_file;
    w->io.ctx = w;

    /* DIR, without trailing slashes (a path is DIR/NAME). */
    const char *drop = argv[optind];
    size_t len = strlen(drop);
    while (len > 1 && drop[len - 1] == '/')
        len--;
    if (len >= sizeof w->drop) {
        say("%s: path too long", drop);
        goto out;
    }
    memcpy(w->drop, drop, len);
    w->drop[len] = '\0';
    w->io.folder_root = w->drop;
    struct stat st;
    if (stat(w->drop, &st) < 0 || realpath(w->drop, w->drop_real) == NULL) {
        say("%s: %s", w->drop, strerror(errno));
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        say("%s: not a folder", w->drop);
        goto out;
    }
    /* The collection must open now, not at the first file. */
    if (arca_db_open(dir, ARCA_RDONLY, &probe, err, sizeof err) != ARCA_OK) {
        say("%s", err);
        goto out;
    }
    arca_db_close(probe);
    if (realpath(dir, w->coll_real) == NULL)
        w->coll_real[0] = '\0';
    if (w->coll_real[0] && inside(w->drop_real, w->coll_real)) {
        say("%s: the folder is inside the collection %s", w->drop, dir);
        goto out;
    }

    /* Signals are read from a descriptor, never handled mid-import;
     * the import's threads inherit the mask.  It stays blocked: the
     * command ends the process, and a second SIGTERM pending must not
     * kill it on the way out. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &sigs, NULL) != 0 ||
        (w->sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        say("signalfd: %s", strerror(errno));
        goto out;
    }
    if ((w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
        say("inotify: %s", strerror(errno));
        goto out;
    }
    if (walk(w, w->drop, 0, WALK_WATCH, mono_ms()) < 0) {
        if (!w->limit_said)
            say("%s: cannot watch it", w->drop);
        goto out;
    }
    w->root_wd = inotify_add_watch(w->ifd, w->drop, WATCH_MASK);
    if (!w->quiet) {
        fprintf(stderr, "arca: watching %s for %s (%zu folder%s; a file is "
                "imported %g s after its last change)\n", w->drop, dir,
                w->nwatch, w->nwatch == 1 ? "" : "s", settle);
        fflush(stderr);
    }
    /* What is there already: a walk, now. */
    w->rescan = 1;
    w->rescan_due = mono_ms();
    loop(w);
    if (!w->quiet && w->stop_sig)
        say("stopping (%s)", w->stop_sig == SIGINT ? "interrupt"
                                                   : "terminate");
    rc = w->failed ? 1 : 0;
out:
    if (w->ifd >= 0)
        close(w->ifd);
    if (w->sfd >= 0)
        close(w->sfd);
    for (size_t i = 0; i < w->nchunk; i++)
        free(w->chunk[i]);
    pend_clear(w);
    wd_clear(w);
    free(w->pb);
    free(w);
    return rc;
}
