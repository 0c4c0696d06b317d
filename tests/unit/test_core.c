/*
 * test_core.c: libarca through its public header: collections, locking,
 * records and their versions, search, originals, fsck and reindex.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"
#include "core/arca.h"

typedef struct fixture {
    char dir[64];
    char coll[96];
    arca_db *db;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char err[1024];
    snprintf(f->dir, sizeof f->dir, "/tmp/arca-core-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->coll, sizeof f->coll, "%s/c", f->dir);
    assert_int_equal(arca_db_init(f->coll, err, sizeof err), ARCA_OK);
    assert_int_equal(arca_db_open(f->coll, ARCA_WRITE, &f->db, err,
                                  sizeof err), ARCA_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    arca_db_close(f->db);
    int rc = rm_tree(f->dir);
    free(f);
    return rc;
}

static arca_status add(arca_db *db, const char *title, const char *date,
                       const char *body, char id[128])
{
    arca_record_in r = {0};
    r.title = title;
    r.date = date;
    r.body = body;
    r.body_len = strlen(body);
    r.board = "News";
    return arca_db_add(db, &r, id, 128);
}

static uint64_t count(arca_db *db, const char *q)
{
    arca_results *res = NULL;
    arca_search_opts o = {0, 10, ARCA_SORT_RELEVANCE, 1, 0, NULL, 0, NULL, 0, 0};
    assert_int_equal(arca_db_search(db, q, &o, &res), ARCA_OK);
    uint64_t n = arca_results_total(res);
    arca_results_destroy(res);
    return n;
}

static void test_init_refuses_existing(void **state)
{
    fixture *f = *state;
    char err[1024];
    assert_int_equal(arca_db_init(f->coll, err, sizeof err), ARCA_EEXIST);
    assert_non_null(strstr(err, f->coll));
}

static void test_open_missing(void **state)
{
    fixture *f = *state;
    char err[1024], path[160];
    arca_db *db = (arca_db *)1;
    snprintf(path, sizeof path, "%s/nothing", f->dir);
    assert_int_equal(arca_db_open(path, ARCA_RDONLY, &db, err, sizeof err),
                     ARCA_ENOTFOUND);
    assert_null(db);
    assert_non_null(strstr(err, "not an arca collection"));
}

static void test_second_writer_is_refused(void **state)
{
    fixture *f = *state;
    char err[1024];
    arca_db *other = NULL;
    assert_int_equal(arca_db_open(f->coll, ARCA_WRITE, &other, err,
                                  sizeof err), ARCA_ELOCKED);
    assert_non_null(strstr(err, "busy"));
    /* Readers are welcome while the writer works. */
    assert_int_equal(arca_db_open(f->coll, ARCA_RDONLY, &other, err,
                                  sizeof err), ARCA_OK);
    arca_db_close(other);
}

static void test_add_search_get(void **state)
{
    fixture *f = *state;
    char id[128];
    assert_int_equal(add(f->db, "Forum in Gyeongju", "2023-12-13",
                         "The forum met in Gyeongju-si (경주시에서).", id),
                     ARCA_OK);
    assert_int_equal(count(f->db, "gyeongju"), 1);
    assert_int_equal(count(f->db, "경주"), 1);
    assert_int_equal(count(f->db, "board:News year:2023"), 1);
    assert_int_equal(count(f->db, "year:2020..2022"), 0);
    assert_int_equal(count(f->db, "date:2023-12-01..2023-12-31"), 1);

    arca_results *res = NULL;
    assert_int_equal(arca_db_search(f->db, "forum", NULL, &res), ARCA_OK);
    const arca_hit *h = arca_results_hit(res, 0);
    assert_non_null(h);
    assert_string_equal(h->id, id);
    assert_string_equal(h->title, "Forum in Gyeongju");
    assert_string_equal(h->date, "2023-12-13");
    assert_non_null(strstr(h->snippet, "<b>"));
    arca_results_destroy(res);
}

static int to_buf(void *ctx, const void *data, size_t len)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    if (n + len >= 256)
        return -1;
    memcpy(buf + n, data, len);
    buf[n + len] = '\0';
    return 0;
}

static void test_versions_and_originals(void **state)
{
    fixture *f = *state;
    char id[128], id2[128], buf[256] = "";
    arca_stats s;
    assert_int_equal(add(f->db, "Notice", "2020-01-02", "first text", id),
                     ARCA_OK);
    /* The same record again changes nothing. */
    assert_int_equal(add(f->db, "Notice", "2020-01-02", "first text", id2),
                     ARCA_OK);
    assert_string_equal(id, id2);
    assert_int_equal(arca_db_stats(f->db, &s), ARCA_OK);
    assert_int_equal(s.versions, 1);
    /* New text under the same id is a new version; the old text is gone
     * from search, the new one found. */
    assert_int_equal(add(f->db, "Notice", "2020-01-02", "second words", id2),
                     ARCA_OK);
    assert_int_equal(arca_db_stats(f->db, &s), ARCA_OK);
    assert_int_equal(s.records, 1);
    assert_int_equal(s.versions, 2);
    assert_int_equal(count(f->db, "first"), 0);
    assert_int_equal(count(f->db, "second"), 1);

    assert_int_equal(arca_db_get(f->db, id, to_buf, buf), ARCA_OK);
    assert_string_equal(buf, "second words");
    assert_int_equal(arca_db_get(f->db, "no-such-record", to_buf, buf),
                     ARCA_ENOTFOUND);
    assert_non_null(strstr(arca_db_errmsg(f->db), "no-such-record"));

    char *json = NULL;
    assert_int_equal(arca_db_record_json(f->db, id, 1, &json), ARCA_OK);
    assert_non_null(strstr(json, "\"version\": 2"));
    assert_non_null(strstr(json, "second words"));
    free(json);
}

static void test_bad_input_is_refused(void **state)
{
    fixture *f = *state;
    char id[128];
    assert_int_equal(add(f->db, "Bad date", "2023-13-45", "x", id),
                     ARCA_EINVAL);
    assert_non_null(strstr(arca_db_errmsg(f->db), "2023-13-45"));
    arca_record_in r = {0};
    r.body = "x";
    r.body_len = 1;
    assert_int_equal(arca_db_add(f->db, &r, id, sizeof id), ARCA_EINVAL);
    arca_results *res = NULL;
    assert_int_equal(arca_db_search(f->db, "x", &(arca_search_opts){
                         0, 10, 0, 1, 0, (const char *[]){"colour"}, 1,
                         NULL, 0, 0}, &res), ARCA_EINVAL);
    assert_null(res);
}

static void test_fsck_and_reindex(void **state)
{
    fixture *f = *state;
    char id[128];
    uint64_t n = 99;
    assert_int_equal(add(f->db, "Alpha", "1999", "alpha beta gamma", id),
                     ARCA_OK);
    assert_int_equal(add(f->db, "Delta", "2001", "delta beta", id), ARCA_OK);
    assert_int_equal(arca_db_fsck(f->db, NULL, NULL, &n), ARCA_OK);
    assert_int_equal(n, 0);
    assert_int_equal(arca_db_reindex(f->db, NULL, NULL), ARCA_OK);
    assert_int_equal(count(f->db, "beta"), 2);
    assert_int_equal(count(f->db, "year:1999"), 1);
    arca_stats s;
    assert_int_equal(arca_db_stats(f->db, &s), ARCA_OK);
    assert_int_equal(s.index_docs, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_refuses_existing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_writer_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_add_search_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions_and_originals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fsck_and_reindex, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
