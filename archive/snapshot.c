/*
 * snapshot.c: a consistent copy of the catalog, and the extent of a pack
 * that such a copy needs (see snapshot.h).
 *
 * The copy uses SQLite's online backup API from a connection of its own,
 * opened read-only: sqlite3_backup_step(-1) copies every page under one
 * read transaction, which in WAL mode does not stop writers and sees
 * only what they had committed when it began.  Stepping page by page
 * instead would restart whenever another process writes, and an import
 * writes all the time.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "snapshot.h"

/* Tries when the source is busy (a writer checkpointing or recovering
 * the WAL), 50 ms apart. */
#define SNAPSHOT_TRIES 200
#define BUSY_TIMEOUT_MS 5000


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

static arca_status map_sqlite(int code)
{
    switch (code & 0xff) {
    case SQLITE_NOMEM: return ARCA_ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ARCA_ELOCKED;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return ARCA_ECORRUPT;
    default: return ARCA_EIO;
    }
}

arca_status arca_catalog_snapshot(const char *src, const char *dst, char *err,
                                  size_t errlen)
{
    sqlite3 *from = NULL, *to = NULL;
    sqlite3_backup *b = NULL;
    sqlite3_stmt *s = NULL;
    arca_status rc = ARCA_OK;
    struct stat st;
    int r;

    /* A read-only open of a missing file fails with a vague "unable to
     * open database file": say it plainly. */
    if (stat(src, &st) != 0)
        return efail(err, errlen, errno == ENOENT ? ARCA_ENOTFOUND : ARCA_EIO,
                     "%s: %s", src, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return efail(err, errlen, ARCA_EINVAL, "%s: not a regular file", src);
    r = sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY |
                        SQLITE_OPEN_NOMUTEX, NULL);
    if (r != SQLITE_OK) {
        rc = efail(err, errlen, map_sqlite(r), "%s: %s", src,
                   from ? sqlite3_errmsg(from) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(from, BUSY_TIMEOUT_MS);
    r = sqlite3_open_v2(dst, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX, NULL);
    if (r != SQLITE_OK) {
        rc = efail(err, errlen, map_sqlite(r), "%s: %s", dst,
                   to ? sqlite3_errmsg(to) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(to, BUSY_TIMEOUT_MS);
    b = sqlite3_backup_init(to, "main", from, "main");
    if (b == NULL) {
        rc = efail(err, errlen, map_sqlite(sqlite3_errcode(to)),
                   "%s: cannot start the copy to %s: %s", src, dst,
                   sqlite3_errmsg(to));
        goto out;
    }
    for (int tries = 0;; tries++) {
        r = sqlite3_backup_step(b, -1);
        if (r == SQLITE_DONE)
            break;
        if ((r == SQLITE_BUSY || r == SQLITE_LOCKED) &&
            tries < SNAPSHOT_TRIES) {
            sqlite3_sleep(50);
            continue;
        }
        break;
    }
    int fr = sqlite3_backup_finish(b);
    b = NULL;
    if (r != SQLITE_DONE || fr != SQLITE_OK) {
        int code = r != SQLITE_DONE ? r : fr;
        rc = efail(err, errlen, map_sqlite(code), "%s: cannot copy to %s: %s",
                   src, dst, code == SQLITE_BUSY || code == SQLITE_LOCKED
                   ? "the catalog stayed busy" : sqlite3_errstr(code));
        goto out;
    }
    /* The copy takes the source's journal mode (WAL); one plain file is
     * what a backup should hold.  A restore's writer turns WAL on again. */
    r = sqlite3_prepare_v2(to, "PRAGMA journal_mode = DELETE", -1, &s, NULL);
    if (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        const char *m = (const char *)sqlite3_column_text(s, 0);
        r = m && strcmp(m, "delete") == 0 ? SQLITE_OK : SQLITE_ERROR;
    }
    if (r != SQLITE_OK && r != SQLITE_DONE) {
        rc = efail(err, errlen, map_sqlite(r), "%s: cannot leave WAL mode: %s",
                   dst, sqlite3_errmsg(to));
        goto out;
    }
out:
    sqlite3_finalize(s);
    if (b)
        sqlite3_backup_finish(b);
    if (to && sqlite3_close(to) != SQLITE_OK && rc == ARCA_OK)
        rc = efail(err, errlen, ARCA_EIO, "%s: cannot close: %s", dst,
                   sqlite3_errmsg(to));
    sqlite3_close_v2(from);
    return rc;
}

