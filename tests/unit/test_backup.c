/*
 * test_backup.c: the catalog snapshot and pack extents of
 * archive/snapshot.c, and export/restore through the API (core/backup.c).
 *
 * A snapshot holds committed transactions only, even with a writer's
 * transaction open; a missing catalog is named; the end of a pack entry
 * is read from its head and a wrong name or offset is refused; a record
 * exported and restored comes back with the same bytes; a restore does
 * not go into a directory that holds something, and an export does not
 * replace a file unless forced.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "archive/archive.h"
#include "archive/snapshot.h"
#include "core/arca.h"

struct fixture {
    char dir[64];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/arca-backup-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rm_tree(f->dir);
    free(f);
    return 0;
}

static uint64_t count_objects(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    uint64_t n = UINT64_MAX;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM objects", -1, &s,
                           NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        n = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

static void test_snapshot_committed_only(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX], snap[PATH_MAX], err[1024];
    arca_catalog *c = NULL;
    arca_hex a, b;

    snprintf(path, sizeof path, "%s/catalog.db", f->dir);
    snprintf(snap, sizeof snap, "%s/snap.db", f->dir);
    assert_int_equal(arca_catalog_open(path, ARCA_CATALOG_CREATE, &c, err,
                                       sizeof err), ARCA_OK);
    arca_sha256_hex("one", 3, a);
    arca_sha256_hex("two", 3, b);
    assert_int_equal(arca_catalog_begin(c), ARCA_OK);
    assert_int_equal(arca_catalog_put_object(c, a, 3, 11), ARCA_OK);
    assert_int_equal(arca_catalog_commit(c), ARCA_OK);
    /* A writer's transaction is open while the copy is taken. */
    assert_int_equal(arca_catalog_begin(c), ARCA_OK);
    assert_int_equal(arca_catalog_put_object(c, b, 3, 11), ARCA_OK);
    assert_int_equal(arca_catalog_snapshot(path, snap, err, sizeof err),
                     ARCA_OK);
    assert_int_equal(count_objects(snap), 1);
    assert_int_equal(arca_catalog_commit(c), ARCA_OK);
    arca_catalog_close(c);

    /* One self-contained file, a catalog arca opens. */
    char wal[PATH_MAX + 8];
    snprintf(wal, sizeof wal, "%s-wal", snap);
    assert_int_not_equal(access(wal, F_OK), 0);
    assert_int_equal(arca_catalog_open(snap, ARCA_CATALOG_READ, &c, err,
                                       sizeof err), ARCA_OK);
    arca_catalog_close(c);

    snprintf(path, sizeof path, "%s/none.db", f->dir);
    assert_int_equal(arca_catalog_snapshot(path, snap, err, sizeof err),
                     ARCA_ENOTFOUND);
    assert_non_null(strstr(err, "none.db"));
}

static void test_pack_entry_end(void **state)
{
    struct fixture *f = *state;
    char err[1024], path[PATH_MAX];
    arca_objects *os = NULL;
    arca_packw *w = NULL;
    arca_hex h1, h2;
    void *z1 = NULL, *z2 = NULL;
    size_t l1 = 0, l2 = 0;
    uint64_t o1 = 0, o2 = 0, end = 1;
    struct stat st;

    assert_int_equal(arca_objects_open(f->dir, 1, &os, err, sizeof err),
                     ARCA_OK);
    assert_int_equal(arca_objects_deflate("first object", 12, h1, &z1, &l1),
                     ARCA_OK);
    assert_int_equal(arca_objects_deflate("second one", 10, h2, &z2, &l2),
                     ARCA_OK);
    assert_int_equal(arca_packw_open(os, &w), ARCA_OK);
    assert_int_equal(arca_packw_add(w, h1, 12, z1, l1, &o1), ARCA_OK);
    assert_int_equal(arca_packw_add(w, h2, 10, z2, l2, &o2), ARCA_OK);
    snprintf(path, sizeof path, "%s/objects/pack/%s", f->dir,
             arca_packw_name(w));
    assert_int_equal(arca_packw_finish(w), ARCA_OK);

    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(arca_pack_entry_end(fd, path, h1, o1, &end, err,
                                         sizeof err), ARCA_OK);
    assert_int_equal(end, o2);
    assert_int_equal(arca_pack_entry_end(fd, path, h2, o2, &end, err,
                                         sizeof err), ARCA_OK);
    assert_int_equal(end, (uint64_t)st.st_size);
    /* The wrong object at an offset, an offset past the end. */
    assert_int_equal(arca_pack_entry_end(fd, path, h2, o1, &end, err,
                                         sizeof err), ARCA_ECORRUPT);
    assert_non_null(strstr(err, path));
    assert_int_equal(end, 0);
    assert_int_equal(arca_pack_entry_end(fd, path, h1,
                                         (uint64_t)st.st_size - 10, &end, err,
                                         sizeof err), ARCA_ECORRUPT);
    close(fd);
    free(z1);
    free(z2);
    arca_objects_close(os);
}

struct buf {
    char data[256];
    size_t len;
};

static int to_buf(void *ctx, const void *data, size_t len)
{
    struct buf *b = ctx;
    if (len > sizeof b->data - b->len)
        return -1;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static void test_export_restore(void **state)
{
    struct fixture *f = *state;
    char coll[PATH_MAX], tar[PATH_MAX], back[PATH_MAX], err[2048], id[256];
    static const char body[] = "A body kept loose, then restored.";
    arca_db *db = NULL;
    arca_backup_summary s;

    snprintf(coll, sizeof coll, "%s/c", f->dir);
    snprintf(tar, sizeof tar, "%s/b.tar", f->dir);
    snprintf(back, sizeof back, "%s/r", f->dir);
    assert_int_equal(arca_db_init(coll, err, sizeof err), ARCA_OK);
    assert_int_equal(arca_db_open(coll, ARCA_WRITE, &db, err, sizeof err),
                     ARCA_OK);
    arca_record_in rec = {.title = "Kept", .date = "2020-01-02",
                          .body = body, .body_len = sizeof body - 1};
    assert_int_equal(arca_db_add(db, &rec, id, sizeof id), ARCA_OK);
    arca_db_close(db);

    assert_int_equal(arca_export(coll, tar, 0, &s, err, sizeof err), ARCA_OK);
    assert_int_equal(s.records, 1);
    assert_true(s.objects >= 1);
    assert_int_equal(arca_export(coll, tar, 0, &s, err, sizeof err),
                     ARCA_EEXIST);
    assert_int_equal(arca_export(coll, tar, 1, &s, err, sizeof err), ARCA_OK);
    assert_int_equal(arca_export_verify(tar, NULL, NULL, &s, err, sizeof err),
                     ARCA_OK);

    assert_int_equal(arca_restore(tar, back, NULL, NULL, NULL, &s, err,
                                  sizeof err), ARCA_OK);
    assert_int_equal(s.records, 1);
    assert_int_equal(arca_db_open(back, ARCA_RDONLY, &db, err, sizeof err),
                     ARCA_OK);
    struct buf b = {.len = 0};
    assert_int_equal(arca_db_get(db, id, to_buf, &b), ARCA_OK);
    assert_int_equal(b.len, sizeof body - 1);
    assert_memory_equal(b.data, body, b.len);
    arca_db_close(db);

    /* DIR holds a collection now: refused, and left as it was. */
    assert_int_equal(arca_restore(tar, back, NULL, NULL, NULL, &s, err,
                                  sizeof err), ARCA_EEXIST);
    assert_non_null(strstr(err, "not empty"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_snapshot_committed_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pack_entry_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_restore, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
