/*
 * test_zstream.c: the zlib wrapper (archive/zstream.c).
 *
 * Round trips of empty, small, compressible and random data; every way a
 * stored stream can be damaged (cut short, garbage after its end, a
 * flipped byte, not zlib at all) must come back as ARCA_ECORRUPT, and a
 * stream inflating past its bound as ARCA_ELIMIT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "archive/archive-private.h"

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

static unsigned char *text_bytes(size_t n)
{
    static const char words[] = "the archive keeps every original file "
                                "byte for byte; ";
    unsigned char *p = malloc(n ? n : 1);

    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)words[i % (sizeof words - 1)];
    return p;
}

static void round_trip(const void *data, size_t len)
{
    void *z = NULL, *back = NULL;
    size_t zlen = 0, blen = 0;

    assert_int_equal(arca_zdeflate(data, len, &z, &zlen), ARCA_OK);
    assert_non_null(z);
    assert_true(zlen >= 8);   /* header and Adler-32 at least */
    assert_int_equal(arca_zinflate(z, zlen, len, &back, &blen), ARCA_OK);
    assert_non_null(back);
    assert_int_equal(blen, len);
    if (len)
        assert_memory_equal(back, data, len);
    free(z);
    free(back);
}

static void test_round_trip_empty(void **state)
{
    (void)state;
    round_trip("", 0);
}

static void test_round_trip_text(void **state)
{
    unsigned char *t = text_bytes(100000);
    void *z = NULL;
    size_t zlen = 0;

    (void)state;
    round_trip("x", 1);
    round_trip(t, 100000);
    /* Text must actually shrink: level 6, not stored blocks. */
    assert_int_equal(arca_zdeflate(t, 100000, &z, &zlen), ARCA_OK);
    assert_true(zlen < 100000 / 10);
    free(z);
    free(t);
}

static void test_round_trip_random_3mb(void **state)
{
    size_t n = 3 * 1024 * 1024;
    unsigned char *r = random_bytes(n, 7);

    (void)state;
    round_trip(r, n);
    free(r);
}

/* Deflate LEN bytes of text into *z. */
static size_t make_stream(size_t len, void **z, unsigned char **data)
{
    size_t zlen = 0;

    *data = text_bytes(len);
    assert_int_equal(arca_zdeflate(*data, len, z, &zlen), ARCA_OK);
    return zlen;
}

static void test_truncated(void **state)
{
    void *z, *out = (void *)1;
    unsigned char *data;
    size_t zlen = make_stream(50000, &z, &data), olen = 1;

    (void)state;
    /* Cut anywhere, even inside the 4-byte checksum: corrupt. */
    size_t cuts[] = { 0, 1, 2, zlen / 2, zlen - 4, zlen - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        assert_int_equal(arca_zinflate(z, cuts[i], 50000, &out, &olen),
                         ARCA_ECORRUPT);
        assert_null(out);
        assert_int_equal(olen, 0);
    }
    free(z);
    free(data);
}

static void test_trailing_garbage(void **state)
{
    void *z, *out = NULL;
    unsigned char *data, *longer;
    size_t zlen = make_stream(5000, &z, &data), olen = 0;
    arca_zinf zi;

    (void)state;
    longer = malloc(zlen + 3);
    assert_non_null(longer);
    memcpy(longer, z, zlen);
    memcpy(longer + zlen, "xyz", 3);
    assert_int_equal(arca_zinflate(longer, zlen + 1, 5000, &out, &olen),
                     ARCA_ECORRUPT);
    assert_null(out);
    assert_int_equal(arca_zinflate(longer, zlen + 3, 5000, &out, &olen),
                     ARCA_ECORRUPT);

    /* The same when the garbage arrives in a later piece. */
    assert_int_equal(arca_zinf_init(&zi, 5000), ARCA_OK);
    assert_int_equal(arca_zinf_feed(&zi, longer, zlen, NULL, NULL), ARCA_OK);
    assert_int_equal(arca_zinf_feed(&zi, longer + zlen, 3, NULL, NULL),
                     ARCA_ECORRUPT);
    assert_non_null(strstr(zi.why, "garbage at end"));
    arca_zinf_free(&zi);
    free(longer);
    free(z);
    free(data);
}

static void test_damaged(void **state)
{
    void *z, *out = NULL;
    unsigned char *data, *bad;
    size_t zlen = make_stream(20000, &z, &data), olen = 0;

    (void)state;
    bad = random_bytes(4096, 3);
    assert_int_equal(arca_zinflate(bad, 4096, 1 << 20, &out, &olen),
                     ARCA_ECORRUPT);
    assert_null(out);
    /* One flipped bit anywhere: the format or the Adler-32 says no. */
    for (size_t pos = 0; pos < zlen; pos += zlen / 7 + 1) {
        ((unsigned char *)z)[pos] ^= 0x10;
        assert_int_equal(arca_zinflate(z, zlen, 1 << 20, &out, &olen),
                         ARCA_ECORRUPT);
        assert_null(out);
        ((unsigned char *)z)[pos] ^= 0x10;
    }
    free(bad);
    free(z);
    free(data);
}

static void test_limit(void **state)
{
    void *z, *out = NULL;
    unsigned char *data;
    size_t zlen = make_stream(100000, &z, &data), olen = 0;

    (void)state;
    assert_int_equal(arca_zinflate(z, zlen, 99999, &out, &olen), ARCA_ELIMIT);
    assert_null(out);
    assert_int_equal(arca_zinflate(z, zlen, 0, &out, &olen), ARCA_ELIMIT);
    assert_int_equal(arca_zinflate(z, zlen, 100000, &out, &olen), ARCA_OK);
    assert_int_equal(olen, 100000);
    free(out);
    free(z);
    free(data);
}

struct collect {
    unsigned char *p;
    size_t len, size, calls;
};

static arca_status collect_out(void *ctx, const void *data, size_t len)
{
    struct collect *c = ctx;

    assert_true(len <= ARCA_ZCHUNK);
    assert_true(c->len + len <= c->size);
    memcpy(c->p + c->len, data, len);
    c->len += len;
    c->calls++;
    return ARCA_OK;
}

/* Fed a byte at a time, the inflater gives the same bytes in chunks. */
static void test_incremental(void **state)
{
    size_t n = 300000;
    unsigned char *data = random_bytes(n, 11);
    void *z = NULL;
    size_t zlen = 0;
    struct collect c = { NULL, 0, n, 0 };
    arca_zinf zi;

    (void)state;
    c.p = malloc(n);
    assert_non_null(c.p);
    assert_int_equal(arca_zdeflate(data, n, &z, &zlen), ARCA_OK);
    assert_int_equal(arca_zinf_init(&zi, n), ARCA_OK);
    for (size_t i = 0; i < zlen; i++)
        assert_int_equal(arca_zinf_feed(&zi, (unsigned char *)z + i, 1,
                                        collect_out, &c), ARCA_OK);
    assert_int_equal(arca_zinf_finish(&zi), ARCA_OK);
    assert_int_equal(zi.total_out, n);
    assert_int_equal(zi.total_in, zlen);
    assert_int_equal(c.len, n);
    assert_memory_equal(c.p, data, n);
    assert_true(c.calls >= n / ARCA_ZCHUNK);
    arca_zinf_free(&zi);
    arca_zinf_free(&zi);   /* twice is safe */

    /* A stream that stops early is refused at finish. */
    c.len = 0;
    assert_int_equal(arca_zinf_init(&zi, n), ARCA_OK);
    assert_int_equal(arca_zinf_feed(&zi, z, zlen - 1, collect_out, &c),
                     ARCA_OK);
    assert_int_equal(arca_zinf_finish(&zi), ARCA_ECORRUPT);
    assert_non_null(strstr(zi.why, "truncated"));
    arca_zinf_free(&zi);
    free(c.p);
    free(z);
    free(data);
}

static arca_status stop_out(void *ctx, const void *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return ARCA_EIO;
}

static void test_output_stops(void **state)
{
    void *z;
    unsigned char *data;
    size_t zlen = make_stream(1000, &z, &data);
    arca_zinf zi;

    (void)state;
    assert_int_equal(arca_zinf_init(&zi, 1000), ARCA_OK);
    assert_int_equal(arca_zinf_feed(&zi, z, zlen, stop_out, NULL), ARCA_EIO);
    arca_zinf_free(&zi);
    free(z);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_empty),
        cmocka_unit_test(test_round_trip_text),
        cmocka_unit_test(test_round_trip_random_3mb),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_incremental),
        cmocka_unit_test(test_output_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
