/*
 * test_catalog.c: the SQLite catalog (archive/catalog.c).
 *
 * Records come back as they were put; putting the same record again
 * writes nothing; a change makes a new version with a larger change
 * number; deletions are versions too and show in foreach_head; the
 * ledger and runs keep what an import saw; a record cannot refer to an
 * object the catalog does not know; a file that is not a catalog is
 * refused with a message naming it; readers see committed data only and
 * work while a writer writes; the check finds damage an administrator
 * could make with the sqlite3 shell.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "archive/archive.h"

struct fixture {
    char dir[64];
    char path[PATH_MAX];
    arca_catalog *c;
    arca_hex obj[4];
};

/* The journal: each record object's row, as the archive would hold it. */
static arca_status journal(void *ctx, const char *json, size_t len,
                           arca_hex hex, char *err, size_t errlen)
{
    arca_catalog *c = *(arca_catalog **)ctx;
    arca_sha256_hex(json, len, hex);
    arca_status rc = arca_catalog_put_object(c, hex, len, len);
    if (rc)
        snprintf(err, errlen, "%s", arca_catalog_errmsg(c));
    return rc;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[512];

    if (f == NULL)
        return -1;
    strcpy(f->dir, "/tmp/arca-catalog-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/catalog.db", f->dir);
    if (arca_catalog_open(f->path, ARCA_CATALOG_CREATE, &f->c, err,
                          sizeof err) != ARCA_OK) {
        fprintf(stderr, "open: %s\n", err);
        rm_tree(f->dir);
        free(f);
        return -1;
    }
    arca_catalog_set_journal(f->c, journal, &f->c);
    for (int i = 0; i < 4; i++) {
        char data[32];
        snprintf(data, sizeof data, "object %d", i);
        arca_sha256_hex(data, strlen(data), f->obj[i]);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    arca_catalog_close(f->c);
    rm_tree(f->dir);
    free(f);
    return 0;
}

static void put_objects(struct fixture *f)
{
    for (int i = 0; i < 4; i++)
        assert_int_equal(arca_catalog_put_object(f->c, f->obj[i],
                                                 1000 + (uint64_t)i,
                                                 100 + (uint64_t)i),
                         ARCA_OK);
}

/* A record with a body and one attachment. */
static void sample(struct fixture *f, arca_cat_record *r, arca_cat_part p[2])
{
    memset(r, 0, sizeof *r);
    memset(p, 0, 2 * sizeof *p);
    r->id = "near-2023-12-13-forum";
    r->title = "Forum in Gyeongju";
    r->date = "2023-12-13";
    r->author = "Admin";
    r->board = "News";
    r->lang = "en";
    r->source = "corpus/announcements/index.txt";
    r->tags = "[\"forum\",\"energy\"]";
    r->extra = "{\"venue\":\"Hwabaek\"}";
    p[0].seq = 0;
    p[0].mime = "text/plain";
    p[0].charset = "UTF-8";
    p[0].lang = "en";
    p[0].original = f->obj[0];
    p[0].text = f->obj[0];
    p[0].size = 1000;
    p[1].seq = 1;
    p[1].name = "1.JPG";
    p[1].mime = "image/jpeg";
    p[1].original = f->obj[1];
    p[1].size = 1001;
    p[1].note = "no text";
    p[1].meta = "{\"width\":640}";
    r->parts = p;
    r->nparts = 2;
}

static void assert_str_or_null(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void assert_same_part(const arca_cat_part *a, const arca_cat_part *b)
{
    assert_int_equal(a->seq, b->seq);
    assert_str_or_null(a->name, b->name);
    assert_str_or_null(a->mime, b->mime);
    assert_str_or_null(a->charset, b->charset);
    assert_str_or_null(a->lang, b->lang);
    assert_str_or_null(a->original, b->original);
    assert_str_or_null(a->text, b->text);
    assert_int_equal(a->size, b->size);
    assert_str_or_null(a->note, b->note);
    assert_str_or_null(a->meta, b->meta);
}

static void test_put_get(void **state)
{
    struct fixture *f = *state;
    arca_cat_record r, *got = NULL;
    arca_cat_part p[2];
    int changed = -1;

    put_objects(f);
    sample(f, &r, p);
    assert_int_equal(arca_catalog_begin(f->c), ARCA_OK);
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(arca_catalog_commit(f->c), ARCA_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(r.version, 1);
    assert_true(r.seq > 0);
    assert_non_null(r.created);
    assert_int_equal(strlen(r.created), 20);   /* 2024-05-01T12:34:56Z */
    assert_int_equal(r.created[10], 'T');
    assert_int_equal(r.created[19], 'Z');

    assert_int_equal(arca_catalog_get_record(f->c, r.id, &got), ARCA_OK);
    assert_string_equal(got->id, r.id);
    assert_int_equal(got->version, 1);
    assert_int_equal(got->seq, r.seq);
    assert_string_equal(got->created, r.created);
    assert_int_equal(got->deleted, 0);
    assert_string_equal(got->title, r.title);
    assert_string_equal(got->date, r.date);
    assert_string_equal(got->author, r.author);
    assert_string_equal(got->board, r.board);
    assert_string_equal(got->lang, r.lang);
    assert_string_equal(got->source, r.source);
    assert_string_equal(got->tags, r.tags);
    assert_string_equal(got->extra, r.extra);
    assert_int_equal(got->nparts, 2);
    assert_same_part(&got->parts[0], &p[0]);
    assert_same_part(&got->parts[1], &p[1]);
    arca_cat_record_free(got);

    assert_int_equal(arca_catalog_get_record(f->c, "no-such-id", &got),
                     ARCA_ENOTFOUND);
    assert_null(got);
    assert_non_null(strstr(arca_catalog_errmsg(f->c), "no-such-id"));
}

static void test_versions(void **state)
{
    struct fixture *f = *state;
    arca_cat_record r, *got = NULL;
    arca_cat_part p[2], swapped[2];
    int changed = -1;
    int64_t seq1, seq2, seq3 = 0, max = 0;

    put_objects(f);
    sample(f, &r, p);
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    seq1 = r.seq;

    /* The same record again, its parts in another order: no change. */
    swapped[0] = p[1];
    swapped[1] = p[0];
    r.parts = swapped;
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(r.version, 1);
    assert_int_equal(r.seq, seq1);
    assert_int_equal(arca_catalog_max_seq(f->c, &max), ARCA_OK);
    assert_int_equal(max, seq1);

    /* One field changes: version 2, a larger change number. */
    r.title = "Forum in Gyeongju (revised)";
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(r.version, 2);
    seq2 = r.seq;
    assert_true(seq2 > seq1);

    /* A part changes: version 3. */
    p[1].text = f->obj[2];
    r.parts = p;
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(r.version, 3);

    assert_int_equal(arca_catalog_get_record(f->c, r.id, &got), ARCA_OK);
    assert_string_equal(got->title, "Forum in Gyeongju (revised)");
    assert_string_equal(got->parts[1].text, f->obj[2]);
    arca_cat_record_free(got);

    /* Deleted: a version of its own; deleting twice is not found. */
    assert_int_equal(arca_catalog_delete_record(f->c, r.id, &seq3), ARCA_OK);
    assert_true(seq3 > r.seq);
    assert_int_equal(arca_catalog_delete_record(f->c, r.id, NULL),
                     ARCA_ENOTFOUND);
    assert_int_equal(arca_catalog_delete_record(f->c, "never", NULL),
                     ARCA_ENOTFOUND);
    assert_int_equal(arca_catalog_get_record(f->c, r.id, &got), ARCA_OK);
    assert_int_equal(got->deleted, 1);
    assert_int_equal(got->version, 4);
    assert_int_equal(got->seq, seq3);
    assert_string_equal(got->title, "Forum in Gyeongju (revised)");
    assert_int_equal(got->nparts, 0);
    arca_cat_record_free(got);
    {
        uint64_t n = 9;
        assert_int_equal(arca_catalog_count_records(f->c, &n), ARCA_OK);
        assert_int_equal(n, 0);
    }

    /* Put back: it lives again as version 5. */
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(r.version, 5);
}

struct heads {
    char ids[8][64];
    int64_t seq[8];
    int deleted[8];
    size_t nparts[8];
    int n;
    int stop_at;
};

static int heads_cb(void *ctx, const arca_cat_record *r)
{
    struct heads *h = ctx;

    if (h->n < 8) {
        snprintf(h->ids[h->n], sizeof h->ids[0], "%s", r->id);
        h->seq[h->n] = r->seq;
        h->deleted[h->n] = r->deleted;
        h->nparts[h->n] = r->nparts;
    }
    h->n++;
    return h->stop_at && h->n >= h->stop_at;
}

static void test_foreach_head(void **state)
{
    struct fixture *f = *state;
    arca_cat_record r;
    arca_cat_part p[2];
    int changed;
    int64_t after_b = 0;
    struct heads h;
    const char *ids[3] = { "a", "b", "c" };

    put_objects(f);
    for (int i = 0; i < 3; i++) {
        sample(f, &r, p);
        r.id = ids[i];
        assert_int_equal(arca_catalog_put_record(f->c, &r, &changed),
                         ARCA_OK);
        if (i == 1)
            after_b = r.seq;
    }
    memset(&h, 0, sizeof h);
    assert_int_equal(arca_catalog_foreach_head(f->c, 0, heads_cb, &h),
                     ARCA_OK);
    assert_int_equal(h.n, 3);
    assert_string_equal(h.ids[0], "a");
    assert_int_equal(h.nparts[0], 2);

    /* Change a, delete b: after b's put, we see c, a, b in that order. */
    sample(f, &r, p);
    r.id = "a";
    r.board = "Events";
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(arca_catalog_delete_record(f->c, "b", NULL), ARCA_OK);
    memset(&h, 0, sizeof h);
    assert_int_equal(arca_catalog_foreach_head(f->c, after_b, heads_cb, &h),
                     ARCA_OK);
    assert_int_equal(h.n, 3);
    assert_string_equal(h.ids[0], "c");
    assert_string_equal(h.ids[1], "a");
    assert_string_equal(h.ids[2], "b");
    assert_int_equal(h.deleted[2], 1);
    assert_true(h.seq[0] < h.seq[1] && h.seq[1] < h.seq[2]);

    /* Nothing after the last change; a callback may stop the walk. */
    memset(&h, 0, sizeof h);
    assert_int_equal(arca_catalog_foreach_head(f->c, h.seq[2] + 100,
                                               heads_cb, &h), ARCA_OK);
    assert_int_equal(h.n, 0);
    memset(&h, 0, sizeof h);
    h.stop_at = 1;
    assert_int_equal(arca_catalog_foreach_head(f->c, 0, heads_cb, &h),
                     ARCA_OK);
    assert_int_equal(h.n, 1);
}

static void test_unknown_object(void **state)
{
    struct fixture *f = *state;
    arca_cat_record r, *got = NULL;
    arca_cat_part p[2];
    int changed = -1;
    int64_t max = -1;
    const char *unknown = "ffffffffffffffffffffffffffffffff"
                          "ffffffffffffffffffffffffffffffff";

    put_objects(f);
    sample(f, &r, p);
    p[1].original = unknown;
    assert_int_equal(arca_catalog_begin(f->c), ARCA_OK);
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed),
                     ARCA_EINVAL);
    assert_int_equal(changed, 0);
    assert_non_null(strstr(arca_catalog_errmsg(f->c), unknown));
    assert_non_null(strstr(arca_catalog_errmsg(f->c), f->path));
    /* Nothing of it was written, and the transaction goes on. */
    assert_int_equal(arca_catalog_get_record(f->c, r.id, &got),
                     ARCA_ENOTFOUND);
    assert_int_equal(arca_catalog_max_seq(f->c, &max), ARCA_OK);
    assert_int_equal(max, 0);
    p[1].original = f->obj[1];
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(arca_catalog_commit(f->c), ARCA_OK);

    /* Malformed input is refused too. */
    p[1].original = "not-a-hash";
    r.id = "other";
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed),
                     ARCA_EINVAL);
    p[1].original = f->obj[1];
    p[1].seq = 0;   /* two parts numbered 0 */
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed),
                     ARCA_EINVAL);
    p[1].seq = 1;
    r.tags = "{not json";
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed),
                     ARCA_EINVAL);
    r.tags = "{\"an\":\"object\"}";
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed),
                     ARCA_EINVAL);
    r.tags = NULL;
    r.id = "";
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed),
                     ARCA_EINVAL);
    assert_int_equal(arca_catalog_put_object(f->c, "ABC", 1, 1),
                     ARCA_EINVAL);
    assert_int_equal(arca_catalog_get_record(f->c, "other", &got),
                     ARCA_ENOTFOUND);
}

static void test_rollback(void **state)
{
    struct fixture *f = *state;
    arca_cat_record r, *got = NULL;
    arca_cat_part p[2];
    int changed;

    put_objects(f);
    sample(f, &r, p);
    assert_int_equal(arca_catalog_begin(f->c), ARCA_OK);
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(arca_catalog_rollback(f->c), ARCA_OK);
    assert_int_equal(arca_catalog_get_record(f->c, r.id, &got),
                     ARCA_ENOTFOUND);
    assert_int_equal(arca_catalog_rollback(f->c), ARCA_OK);
    assert_int_equal(arca_catalog_commit(f->c), ARCA_EINVAL);
}

static void test_ledger(void **state)
{
    struct fixture *f = *state;
    arca_ledger e, got;
    int64_t run = 0, run2 = 0;
    sqlite3 *db;
    sqlite3_stmt *s;

    assert_int_equal(arca_catalog_run_begin(f->c, "import /data", &run),
                     ARCA_OK);
    assert_true(run > 0);
    memset(&e, 0, sizeof e);
    e.path = "/data/a.txt";
    e.size = 1234;
    e.mtime_ns = 1700000000123456789LL;
    e.sha256 = f->obj[0];
    e.record = "a";
    e.outcome = "imported";
    assert_int_equal(arca_catalog_ledger_put(f->c, run, &e), ARCA_OK);
    assert_int_equal(arca_catalog_ledger_get(f->c, e.path, &got), ARCA_OK);
    assert_string_equal(got.path, e.path);
    assert_int_equal(got.size, 1234);
    assert_int_equal(got.mtime_ns, 1700000000123456789LL);
    assert_string_equal(got.sha256, f->obj[0]);
    assert_string_equal(got.record, "a");
    assert_string_equal(got.outcome, "imported");
    assert_null(got.error);
    arca_ledger_clear(&got);
    assert_null(got.path);

    /* A later run replaces the row. */
    assert_int_equal(arca_catalog_run_begin(f->c, "import again", &run2),
                     ARCA_OK);
    assert_true(run2 > run);
    e.sha256 = NULL;
    e.record = NULL;
    e.outcome = "failed";
    e.error = "cannot read: Permission denied";
    assert_int_equal(arca_catalog_ledger_put(f->c, run2, &e), ARCA_OK);
    assert_int_equal(arca_catalog_ledger_get(f->c, e.path, &got), ARCA_OK);
    assert_string_equal(got.outcome, "failed");
    assert_string_equal(got.error, e.error);
    assert_null(got.sha256);
    assert_null(got.record);
    arca_ledger_clear(&got);

    assert_int_equal(arca_catalog_ledger_get(f->c, "/never", &got),
                     ARCA_ENOTFOUND);
    e.outcome = "exploded";
    assert_int_equal(arca_catalog_ledger_put(f->c, run2, &e), ARCA_EINVAL);
    e.outcome = "skipped";
    assert_int_equal(arca_catalog_ledger_put(f->c, 999, &e), ARCA_EINVAL);

    assert_int_equal(arca_catalog_run_end(f->c, run, "done"), ARCA_OK);
    assert_int_equal(arca_catalog_run_end(f->c, 999, "done"),
                     ARCA_ENOTFOUND);

    /* An administrator sees plain columns with the sqlite3 shell. */
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY,
                                     NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT r.status, "
                                        "r.finished IS NOT NULL, l.outcome, "
                                        "l.run FROM runs r, ledger l "
                                        "WHERE r.run = ?1", -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, run);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "done");
    assert_int_equal(sqlite3_column_int(s, 1), 1);
    assert_string_equal((const char *)sqlite3_column_text(s, 2), "failed");
    assert_int_equal(sqlite3_column_int64(s, 3), run2);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

struct problems {
    int n;
    char first[512];
};

static void problem_cb(void *ctx, const char *problem)
{
    struct problems *p = ctx;

    if (p->n++ == 0)
        snprintf(p->first, sizeof p->first, "%s", problem);
}

static void test_check(void **state)
{
    struct fixture *f = *state;
    arca_cat_record r;
    arca_cat_part p[2];
    int changed;
    uint64_t n = 99;
    struct problems pr = { 0, "" };
    sqlite3 *db;
    char sql[256];

    put_objects(f);
    sample(f, &r, p);
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(arca_catalog_check(f->c, problem_cb, &pr, &n), ARCA_OK);
    assert_int_equal(n, 0);
    assert_int_equal(pr.n, 0);

    /* Someone deletes an object row by hand (foreign keys off). */
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    snprintf(sql, sizeof sql, "DELETE FROM objects WHERE sha256 = '%s'",
             f->obj[1]);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(arca_catalog_check(f->c, problem_cb, &pr, &n), ARCA_OK);
    assert_int_equal(n, 1);
    assert_int_equal(pr.n, 1);
    assert_non_null(strstr(pr.first, f->obj[1]));
    assert_non_null(strstr(pr.first, r.id));

    /* And a head pointing nowhere. */
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE heads SET seq = 12345", NULL,
                                  NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    memset(&pr, 0, sizeof pr);
    assert_int_equal(arca_catalog_check(f->c, problem_cb, &pr, &n), ARCA_OK);
    assert_true(n >= 2);
}

static void test_stats(void **state)
{
    struct fixture *f = *state;
    arca_cat_record r;
    arca_cat_part p[2];
    int changed;
    arca_cat_stats st;
    int64_t max = 0;

    assert_int_equal(arca_catalog_stats(f->c, &st), ARCA_OK);
    assert_int_equal(st.records + st.versions + st.parts + st.objects, 0);
    assert_int_equal(arca_catalog_max_seq(f->c, &max), ARCA_OK);
    assert_int_equal(max, 0);
    /* Record objects would count among the objects: none here. */
    arca_catalog_set_journal(f->c, NULL, NULL);
    put_objects(f);
    sample(f, &r, p);
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    r.title = "changed";
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    r.id = "second";
    r.nparts = 1;
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(arca_catalog_stats(f->c, &st), ARCA_OK);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.versions, 3);
    assert_int_equal(st.parts, 5);
    assert_int_equal(st.objects, 4);
    assert_int_equal(st.bytes, 1000 + 1001 + 1002 + 1003);
    assert_int_equal(st.stored_bytes, 100 + 101 + 102 + 103);
}

static int objects_cb(void *ctx, const char *hex, uint64_t size,
                      uint64_t zsize, const arca_objloc *loc)
{
    int *n = ctx;

    assert_true(arca_hex_valid(hex));
    assert_string_equal(loc->pack, "");
    assert_int_equal(size - zsize, 900);
    (*n)++;
    return 0;
}

static void test_foreach_object(void **state)
{
    struct fixture *f = *state;
    int n = 0;

    put_objects(f);
    put_objects(f);   /* a second put of the same object is harmless */
    assert_int_equal(arca_catalog_foreach_object(f->c, objects_cb, &n),
                     ARCA_OK);
    assert_int_equal(n, 4);
}

static void test_locate(void **state)
{
    struct fixture *f = *state;
    arca_objloc loc = {"pack-0123456789abcdef.pack", 4096}, got;
    uint64_t size = 0;

    assert_int_equal(arca_catalog_begin(f->c), ARCA_OK);
    assert_int_equal(arca_catalog_put_object_at(f->c, f->obj[0], 77, 50,
                                                &loc), ARCA_OK);
    assert_int_equal(arca_catalog_put_object(f->c, f->obj[1], 5, 9), ARCA_OK);
    /* The open transaction sees its own objects: duplicates in a batch
     * are packed once. */
    assert_int_equal(arca_catalog_locate(f->c, f->obj[0], &got, &size),
                     ARCA_OK);
    assert_string_equal(got.pack, loc.pack);
    assert_int_equal(got.offset, 4096);
    assert_int_equal(size, 77);
    assert_int_equal(arca_catalog_commit(f->c), ARCA_OK);
    assert_int_equal(arca_catalog_locate(f->c, f->obj[1], &got, NULL),
                     ARCA_OK);
    assert_string_equal(got.pack, "");
    assert_int_equal(arca_catalog_locate(f->c, f->obj[2], &got, NULL),
                     ARCA_ENOTFOUND);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void test_bad_files(void **state)
{
    struct fixture *f = *state;
    char other[PATH_MAX + 16];
    arca_catalog *c = (arca_catalog *)1;
    char err[512];
    unsigned char junk[8192];
    sqlite3 *db;

    snprintf(other, sizeof other, "%s/other.db", f->dir);

    /* Not there. */
    assert_int_equal(arca_catalog_open(other, ARCA_CATALOG_READ, &c, err,
                                       sizeof err), ARCA_ENOTFOUND);
    assert_null(c);
    assert_non_null(strstr(err, other));

    /* Garbage. */
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 7 + 3);
    write_file(other, junk, sizeof junk);
    for (int fl = 0; fl < 3; fl++) {
        int flags = fl == 0 ? ARCA_CATALOG_READ
                  : fl == 1 ? ARCA_CATALOG_WRITE : ARCA_CATALOG_CREATE;
        err[0] = '\0';
        assert_int_equal(arca_catalog_open(other, flags, &c, err, sizeof err),
                         ARCA_ECORRUPT);
        assert_null(c);
        assert_non_null(strstr(err, other));
        assert_non_null(strstr(err, "not a database"));
    }

    /* A real catalog cut short. */
    {
        arca_cat_record r;
        arca_cat_part p[2];
        int changed;
        FILE *fp;
        long size;
        unsigned char *buf;

        put_objects(f);
        for (int i = 0; i < 300; i++) {
            char id[32];
            sample(f, &r, p);
            snprintf(id, sizeof id, "record-%d", i);
            r.id = id;
            assert_int_equal(arca_catalog_put_record(f->c, &r, &changed),
                             ARCA_OK);
        }
        arca_catalog_close(f->c);   /* checkpoints the WAL */
        f->c = NULL;
        fp = fopen(f->path, "rb");
        assert_non_null(fp);
        fseek(fp, 0, SEEK_END);
        size = ftell(fp);
        rewind(fp);
        assert_true(size > 8192);
        buf = malloc((size_t)size);
        assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
        fclose(fp);
        write_file(other, buf, (size_t)size / 2);
        free(buf);
        assert_int_equal(arca_catalog_open(other, ARCA_CATALOG_WRITE, &c,
                                           err, sizeof err), ARCA_ECORRUPT);
        assert_null(c);
        assert_non_null(strstr(err, other));
        assert_int_equal(arca_catalog_open(f->path, ARCA_CATALOG_WRITE,
                                           &f->c, err, sizeof err), ARCA_OK);
    }

    /* SQLite, but not a catalog. */
    unlink(other);
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(arca_catalog_open(other, ARCA_CATALOG_CREATE, &c, err,
                                       sizeof err), ARCA_ECORRUPT);
    assert_non_null(strstr(err, "not an arca catalog"));

    /* A catalog from a newer arca. */
    unlink(other);
    assert_int_equal(arca_catalog_open(other, ARCA_CATALOG_CREATE, &c, err,
                                       sizeof err), ARCA_OK);
    arca_catalog_close(c);
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(arca_catalog_open(other, ARCA_CATALOG_READ, &c, err,
                                       sizeof err), ARCA_EUNSUPPORTED);
    assert_non_null(strstr(err, "99"));
}

/* A reader sees what is committed, while the writer goes on writing. */
static void test_reader(void **state)
{
    struct fixture *f = *state;
    arca_catalog *rd = NULL;
    arca_cat_record r, *got = NULL;
    arca_cat_part p[2];
    int changed;
    char err[512];
    uint64_t n = 99;
    sqlite3 *db;
    sqlite3_stmt *s;

    put_objects(f);
    sample(f, &r, p);
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(arca_catalog_open(f->path, ARCA_CATALOG_READ, &rd, err,
                                       sizeof err), ARCA_OK);

    assert_int_equal(arca_catalog_begin(f->c), ARCA_OK);
    r.id = "uncommitted";
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(arca_catalog_count_records(rd, &n), ARCA_OK);
    assert_int_equal(n, 1);
    assert_int_equal(arca_catalog_get_record(rd, "uncommitted", &got),
                     ARCA_ENOTFOUND);
    assert_int_equal(arca_catalog_commit(f->c), ARCA_OK);
    assert_int_equal(arca_catalog_count_records(rd, &n), ARCA_OK);
    assert_int_equal(n, 2);
    assert_int_equal(arca_catalog_get_record(rd, "uncommitted", &got),
                     ARCA_OK);
    arca_cat_record_free(got);

    /* A reader cannot write. */
    assert_int_equal(arca_catalog_begin(rd), ARCA_EINVAL);
    assert_int_equal(arca_catalog_put_record(rd, &r, &changed), ARCA_EINVAL);
    assert_non_null(strstr(arca_catalog_errmsg(rd), "read-only"));
    arca_catalog_close(rd);

    /* WAL mode and the schema version are in the file. */
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY,
                                     NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s,
                                        NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
                                        NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 3);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static int schema_version(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    int v = -1;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
                                        NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/*
 * A catalog of schema version 1 (a ledger without needs_ocr) is read as
 * it is, and upgraded when a writer opens it: a file that held an image
 * is marked as one OCR would read more of.
 */
static void test_migrate(void **state)
{
    struct fixture *f = *state;
    arca_cat_record r;
    arca_cat_part p[2];
    arca_ledger e = {0}, got;
    arca_catalog *c = NULL;
    int changed = 0;
    int64_t run = 0;
    sqlite3 *db;
    char err[512];

    put_objects(f);
    sample(f, &r, p);
    assert_int_equal(arca_catalog_begin(f->c), ARCA_OK);
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(arca_catalog_run_begin(f->c, "import", &run), ARCA_OK);
    e.path = "/data/with-image.txt";
    e.record = r.id;
    e.outcome = "imported";
    assert_int_equal(arca_catalog_ledger_put(f->c, run, &e), ARCA_OK);
    e.path = "/data/other.txt";
    e.record = "other";
    assert_int_equal(arca_catalog_ledger_put(f->c, run, &e), ARCA_OK);
    assert_int_equal(arca_catalog_commit(f->c), ARCA_OK);
    arca_catalog_close(f->c);
    f->c = NULL;

    /* Back to version 1, as an older arca made it. */
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
        "PRAGMA legacy_alter_table = ON;"
        "ALTER TABLE versions RENAME TO v2;"
        "CREATE TABLE versions(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " id TEXT NOT NULL, version INTEGER NOT NULL, created TEXT NOT NULL,"
        " deleted INTEGER NOT NULL DEFAULT 0, title TEXT, date TEXT,"
        " author TEXT, board TEXT, lang TEXT, source TEXT, tags TEXT,"
        " extra TEXT, UNIQUE (id, version));"
        "INSERT INTO versions SELECT seq, id, version, created, deleted,"
        " title, date, author, board, lang, source, tags, extra FROM v2;"
        "DROP TABLE v2;"
        "ALTER TABLE ledger RENAME TO l2;"
        "CREATE TABLE ledger(path TEXT PRIMARY KEY NOT NULL, size INTEGER,"
        " mtime_ns INTEGER, sha256 TEXT, record TEXT, outcome TEXT NOT NULL,"
        " error TEXT, run INTEGER REFERENCES runs(run), seen TEXT NOT NULL)"
        " WITHOUT ROWID;"
        "INSERT INTO ledger SELECT path, size, mtime_ns, sha256, record,"
        " outcome, error, run, seen FROM l2;"
        "DROP TABLE l2; PRAGMA user_version = 1;", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);

    /* A reader leaves it alone. */
    assert_int_equal(arca_catalog_open(f->path, ARCA_CATALOG_READ, &c, err,
                                       sizeof err), ARCA_OK);
    arca_catalog_close(c);
    assert_int_equal(schema_version(f->path), 1);

    /* A writer upgrades it. */
    assert_int_equal(arca_catalog_open(f->path, ARCA_CATALOG_WRITE, &f->c,
                                       err, sizeof err), ARCA_OK);
    assert_int_equal(schema_version(f->path), 3);
    assert_int_equal(arca_catalog_ledger_get(f->c, "/data/with-image.txt",
                                             &got), ARCA_OK);
    assert_int_equal(got.needs_ocr, 1);
    arca_ledger_clear(&got);
    assert_int_equal(arca_catalog_ledger_get(f->c, "/data/other.txt", &got),
                     ARCA_OK);
    assert_int_equal(got.needs_ocr, 0);
    arca_ledger_clear(&got);

    /* The version made before record objects were kept gets one. */
    uint64_t n = 0, written = 0;
    struct problems pr = { 0, "" };
    assert_int_equal(arca_catalog_check(f->c, problem_cb, &pr, &n), ARCA_OK);
    assert_int_equal(n, 1);
    assert_non_null(strstr(pr.first, "no record object"));
    arca_catalog_set_journal(f->c, journal, &f->c);
    assert_int_equal(arca_catalog_journal_missing(f->c, &written), ARCA_OK);
    assert_int_equal(written, 1);
    n = 99;
    assert_int_equal(arca_catalog_check(f->c, problem_cb, &pr, &n), ARCA_OK);
    assert_int_equal(n, 0);
}

/* Closed and reopened, everything is still there. */
static void test_reopen(void **state)
{
    struct fixture *f = *state;
    arca_cat_record r, *got = NULL;
    arca_cat_part p[2];
    int changed;
    char err[512];

    put_objects(f);
    sample(f, &r, p);
    assert_int_equal(arca_catalog_begin(f->c), ARCA_OK);
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(arca_catalog_commit(f->c), ARCA_OK);
    arca_catalog_close(f->c);
    f->c = NULL;
    assert_int_equal(arca_catalog_open(f->path, ARCA_CATALOG_WRITE, &f->c,
                                       err, sizeof err), ARCA_OK);
    assert_int_equal(arca_catalog_get_record(f->c, r.id, &got), ARCA_OK);
    assert_int_equal(got->nparts, 2);
    arca_cat_record_free(got);
    /* CREATE on an existing catalog opens it. */
    arca_catalog_close(f->c);
    f->c = NULL;
    assert_int_equal(arca_catalog_open(f->path, ARCA_CATALOG_CREATE, &f->c,
                                       err, sizeof err), ARCA_OK);
    assert_int_equal(arca_catalog_put_record(f->c, &r, &changed), ARCA_OK);
    assert_int_equal(changed, 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_put_get),
        T(test_versions),
        T(test_foreach_head),
        T(test_unknown_object),
        T(test_rollback),
        T(test_ledger),
        T(test_check),
        T(test_stats),
        T(test_foreach_object),
        T(test_locate),
        T(test_bad_files),
        T(test_reader),
        T(test_migrate),
        T(test_reopen),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
