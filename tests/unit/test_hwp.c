/*
 * test_hwp.c: arca_ix_hwp and arca_ix_hwpx.  The shipped HWP 5 and HWPX
 * samples give exactly their expected text and their summary metadata;
 * every document of the shared corpus gives its expected text (white
 * space normalised); synthetic documents built here check the control
 * characters of paragraph text, the order of HWPX sections, and the
 * refusals: password-protected, distribution (DRM) and HWP 3.x documents,
 * encrypted HWPX, damaged input, and decompression bombs of both kinds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <gsf/gsf.h>
#include <zlib.h>

#include "indexers/hwp-private.h"
#include "indexers/indexer-private.h"
#include "ix.h"

typedef arca_status (*index_fn)(const arca_blob *, arca_extract *,
                                const arca_limits *);

/* Index DATA with FN into X (initialised here); checks the text's form. */
static arca_status run(index_fn fn, const void *data, size_t len,
                       const char *name, size_t max_text, arca_extract *x)
{
    arca_blob b = {data, len, name, NULL, NULL};
    arca_limits lim = {.max_text = max_text ? max_text
                                          : ARCA_DEFAULT_MAX_TEXT};
    arca_extract_init(x, lim.max_text);
    return check_extract(fn(&b, x, &lim), x, name, lim.max_text);
}

static index_fn fn_for(const char *path)
{
    size_t n = strlen(path);
    return n > 5 && strcmp(path + n - 5, ".hwpx") == 0 ? arca_ix_hwpx
                                                       : arca_ix_hwp;
}

/* Runs of white space made one space, ends trimmed (in place). */
static char *squeeze(char *s)
{
    size_t w = 0;
    int space = 0;
    for (size_t r = 0; s[r]; r++) {
        if (s[r] == ' ' || s[r] == '\n' || s[r] == '\t' || s[r] == '\r') {
            space = w > 0;
            continue;
        }
        if (space)
            s[w++] = ' ';
        space = 0;
        s[w++] = s[r];
    }
    s[w] = '\0';
    return s;
}

/* ---- The shipped samples ---- */

static void test_samples_exact(void **state)
{
    static const char *const files[] = {
        "target.hwp", "etc.hwp", "hello_world.hwp",
        "Table.hwpx", "no_manifest.hwpx", "HeaderFooter.hwpx",
    };
    (void)state;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *path, *want_path;
        size_t len, want_len;
        arca_extract x;
        assert_true(asprintf(&path, "%s/hwp/%s", testdata(), files[i]) > 0);
        assert_true(asprintf(&want_path, "%s.txt", path) > 0);
        char *data = read_file(path, &len);
        char *want = read_file(want_path, &want_len);
        if (data == NULL || want == NULL)
            fail_msg("cannot read %s or its expected text", path);
        arca_status rc = run(fn_for(path), data, len, path, 0, &x);
        if (rc != ARCA_OK)
            fail_msg("%s: %s", path, x.errmsg);
        if (x.len != want_len || memcmp(x.text, want, want_len) != 0)
            fail_msg("%s: text differs from %s:\n%s", path, want_path,
                     x.text);
        arca_extract_free(&x);
        free(data);
        free(want);
        free(path);
        free(want_path);
    }
}

static void index_sample(const char *file, arca_extract *x)
{
    char *path;
    size_t len;
    assert_true(asprintf(&path, "%s/hwp/%s", testdata(), file) > 0);
    char *data = read_file(path, &len);
    if (data == NULL)
        fail_msg("cannot read %s", path);
    if (run(fn_for(path), data, len, path, 0, x) != ARCA_OK)
        fail_msg("%s: %s", path, x->errmsg);
    free(data);
    free(path);
}

static void test_hwp_metadata(void **state)
{
    arca_extract x;
    (void)state;
    index_sample("target.hwp", &x);
    assert_string_equal(x.text, "이것은 Target HWP의 문단 내용입니다.\n");
    assert_string_equal(x.author, "박성균");
    assert_string_equal(x.date, "2016-11-02");
    assert_null(x.title);
    assert_string_equal(field(&x, "hwp-version"), "5.0.5.0");
    arca_extract_free(&x);

    index_sample("hello_world.hwp", &x);
    assert_string_equal(x.title, "Hello World");
    assert_string_equal(x.author, "hanlee");
    assert_string_equal(x.date, "2022-09-27");
    assert_string_equal(field(&x, "last-author"), "hanlee");
    arca_extract_free(&x);
}

static void test_hwpx_metadata(void **state)
{
    arca_extract x;
    (void)state;
    index_sample("Table.hwpx", &x);
    assert_string_equal(x.title, "제목");
    assert_string_equal(x.author, "fff");
    assert_string_equal(x.date, "2023-01-26");
    assert_string_equal(x.lang, "ko");
    assert_string_equal(field(&x, "last-author"), "fff");
    /* Table cells are paragraphs: one line each, in reading order. */
    assert_non_null(strstr(x.text, "이름\n국어\n영어\n수학\n"));
    arca_extract_free(&x);

    /* No META-INF/manifest.xml: still read. */
    index_sample("no_manifest.hwpx", &x);
    assert_non_null(strstr(x.text, "울산광역시 남구 공고 제2021-174호"));
    assert_string_equal(x.date, "2006-02-06");
    arca_extract_free(&x);
}

/* ---- The shared corpus ---- */

struct tally {
    size_t files, exact, near, refused;
};
static struct tally tally;

static int corpus_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    size_t n = strlen(path), len, want_len;
    const char *base = corpus();
    char *want_path;
    arca_extract x;
    (void)st;
    (void)ftw;
    if (flag != FTW_F || strstr(path, "/expected-text/") ||
        !((n > 4 && strcmp(path + n - 4, ".hwp") == 0) ||
          (n > 5 && strcmp(path + n - 5, ".hwpx") == 0)))
        return 0;
    tally.files++;
    char *data = read_file(path, &len);
    assert_non_null(data);
    arca_status rc = run(fn_for(path), data, len, path, 0, &x);
    free(data);
    if (strstr(path, "password")) {
        assert_int_equal(rc, ARCA_EUNSUPPORTED);
        assert_non_null(strstr(x.errmsg, "password-protected HWP document"));
        tally.refused++;
        arca_extract_free(&x);
        return 0;
    }
    if (rc != ARCA_OK)
        fail_msg("%s: %s", path, x.errmsg);
    assert_true(asprintf(&want_path, "%s/hwp/expected-text%s.txt", base,
                         path + strlen(base) + strlen("/hwp")) > 0);
    char *want = read_file(want_path, &want_len);
    if (want != NULL) {
        want = realloc(want, want_len + 1);
        want[want_len] = '\0';
        if (want_len == x.len && memcmp(want, x.text, x.len) == 0)
            tally.exact++;
        else if (strcmp(squeeze(want), squeeze(x.text)) == 0)
            tally.near++;
        else
            fail_msg("%s: text differs from %s", path, want_path);
    }
    free(want);
    free(want_path);
    arca_extract_free(&x);
    return 0;
}

static void test_corpus(void **state)
{
    char *dir;
    (void)state;
    if (corpus() == NULL)
        skip();
    assert_true(asprintf(&dir, "%s/hwp", corpus()) > 0);
    memset(&tally, 0, sizeof tally);
    assert_int_equal(nftw(dir, corpus_one, 16, FTW_PHYS), 0);
    free(dir);
    print_message("corpus: %zu files, %zu exact, %zu equal but for white "
                  "space, %zu refused (password)\n", tally.files, tally.exact,
                  tally.near, tally.refused);
    assert_true(tally.files >= 20);
    assert_true(tally.exact >= 18);
}

/* ---- Synthetic HWP 5 documents ---- */

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v & 0xFFFF);
    put16(p + 2, v >> 16);
}

/* A record header for TAG with SIZE bytes at P; returns its length. */
static size_t record_head(unsigned char *p, unsigned tag, size_t size)
{
    if (size < 0xFFF) {
        put32(p, tag | (uint32_t)size << 20);
        return 4;
    }
    put32(p, tag | 0xFFFu << 20);
    put32(p + 4, (uint32_t)size);
    return 8;
}

/* Raw deflate of DATA[0..n) into a malloc'd buffer. */
static unsigned char *deflate_raw(const void *data, size_t n, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 9,
                                  Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, n);
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *outlen = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static void add_stream(GsfOutfile *dir, const char *name, const void *data,
                       size_t n)
{
    GsfOutput *s = gsf_outfile_new_child(dir, name, FALSE);
    assert_non_null(s);
    assert_true(gsf_output_write(s, n, data));
    assert_true(gsf_output_close(s));
    g_object_unref(s);
}

/* An HWP 5 file with header FLAGS and one section BODY[0..n), deflated
 * when FLAGS says so; malloc'd into *len. */
static unsigned char *make_hwp(uint32_t flags, const void *body, size_t n,
                               size_t *len)
{
    unsigned char head[256] = "HWP Document File";
    GsfOutput *mem = gsf_output_memory_new();
    GsfOutfile *ole = gsf_outfile_msole_new(mem);
    put32(head + 32, 0x05000300);
    put32(head + 36, flags);
    add_stream(ole, "FileHeader", head, sizeof head);
    GsfOutfile *text = GSF_OUTFILE(gsf_outfile_new_child(ole, "BodyText",
                                                         TRUE));
    if (flags & 1) {
        size_t zn;
        unsigned char *z = deflate_raw(body, n, &zn);
        add_stream(text, "Section0", z, zn);
        free(z);
    } else {
        add_stream(text, "Section0", body, n);
    }
    assert_true(gsf_output_close(GSF_OUTPUT(text)));
    g_object_unref(text);
    assert_true(gsf_output_close(GSF_OUTPUT(ole)));
    g_object_unref(ole);
    *len = (size_t)gsf_output_size(mem);
    unsigned char *out = malloc(*len);
    memcpy(out, gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(mem)), *len);
    g_object_unref(mem);
    return out;
}

/* A paragraph text record of the UTF-16 units U[0..n) at P. */
static size_t para_record(unsigned char *p, const uint16_t *u, size_t n)
{
    size_t h = record_head(p, 67, n * 2);
    for (size_t i = 0; i < n; i++)
        put16(p + h + 2 * i, u[i]);
    return h + n * 2;
}

static void test_controls(void **state)
{
    /* "A", an extended control (a table: 8 units), "B", a tab (inline,
     * 8 units), "C", a line break, "D", a field begin (extended), "한",
     * U+1F600 as a surrogate pair, a lone surrogate, a bound space, "E",
     * the paragraph end. */
    static const uint16_t para[] = {
        'A', 11, 't', 'b', 'l', ' ', 0, 0, 11, 'B',
        9, 0, 0, 0, 0, 0, 0, 9, 'C', 10, 'D',
        3, '%', 'c', 'l', 'k', 0, 0, 3, 0xD55C,
        0xD83D, 0xDE00, 0xDC00, 30, 'E', 13,
    };
    static const uint16_t second[] = {'F', 13};
    unsigned char body[512];
    size_t n = 0, len;
    arca_extract x;
    (void)state;
    /* Records the indexer skips: a paragraph header, a char shape. */
    n += record_head(body + n, 66, 22);
    memset(body + n, 0, 22);
    n += 22;
    n += para_record(body + n, para, sizeof para / 2);
    n += record_head(body + n, 68, 8);
    memset(body + n, 0x43, 8);
    n += 8;
    n += para_record(body + n, second, 2);
    for (uint32_t flags = 0; flags <= 1; flags++) {
        unsigned char *hwp = make_hwp(flags, body, n, &len);
        assert_int_equal(run(arca_ix_hwp, hwp, len, "c.hwp", 0, &x),
                         ARCA_OK);
        assert_string_equal(x.text, "AB\tC\nD한\xF0\x9F\x98\x80\xEF\xBF\xBD"
                                    " E\nF\n");
        arca_extract_free(&x);
        free(hwp);
    }
    /* A long record (its size past 0xFFF) keeps every character. */
    size_t units = 10000;
    uint16_t *many = malloc(units * 2);
    unsigned char *big = malloc(units * 2 + 8);
    for (size_t i = 0; i < units; i++)
        many[i] = i % 1000 == 999 ? 10 : 0xAC00;
    size_t bn = para_record(big, many, units);
    unsigned char *hwpl = make_hwp(1, big, bn, &len);
    assert_int_equal(run(arca_ix_hwp, hwpl, len, "l.hwp", 0, &x), ARCA_OK);
    assert_int_equal(x.len, 9990 * 3 + 10 + 1);
    assert_memory_equal(x.text + 999 * 3, "\n가", 4);
    arca_extract_free(&x);
    free(hwpl);
    free(big);
    free(many);

    /* A record longer than the stream ends it; what came before stays. */
    put32(body + n, 67 | 100u << 20);
    unsigned char *hwp = make_hwp(1, body, n + 4, &len);
    assert_int_equal(run(arca_ix_hwp, hwp, len, "c.hwp", 0, &x), ARCA_OK);
    assert_non_null(strstr(x.text, "F\n"));
    arca_extract_free(&x);
    free(hwp);
}

static void test_refusals(void **state)
{
    static const uint16_t para[] = {'s', 'e', 'c', 'r', 'e', 't', 13};
    unsigned char body[64];
    size_t n = para_record(body, para, 7), len;
    arca_extract x;
    (void)state;

    unsigned char *hwp = make_hwp(1 | 2, body, n, &len);
    assert_int_equal(run(arca_ix_hwp, hwp, len, "p.hwp", 0, &x),
                     ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "password-protected HWP document"));
    assert_int_equal(x.len, 0);
    arca_extract_free(&x);
    free(hwp);

    hwp = make_hwp(1 | 4, body, n, &len);
    assert_int_equal(run(arca_ix_hwp, hwp, len, "d.hwp", 0, &x),
                     ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "distribution (DRM)"));
    arca_extract_free(&x);
    free(hwp);

    static const char v3[] = "HWP Document File V3.00 \x1a\x01\x02\x03\x04\x05";
    assert_int_equal(run(arca_ix_hwp, v3, sizeof v3, "old.hwp", 0, &x),
                     ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "HWP 3.x"));
    arca_extract_free(&x);
}

static void test_damaged_hwp(void **state)
{
    static const char junk[] = "this is not an OLE2 compound file at all";
    char *path;
    size_t len;
    arca_extract x;
    (void)state;
    assert_int_equal(run(arca_ix_hwp, junk, sizeof junk, "j.hwp", 0, &x),
                     ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "not an OLE2 compound file"));
    arca_extract_free(&x);
    assert_int_equal(run(arca_ix_hwp, "", 0, "empty.hwp", 0, &x),
                     ARCA_EFORMAT);
    arca_extract_free(&x);

    /* Every prefix of a real file fails cleanly or gives its text. */
    assert_true(asprintf(&path, "%s/hwp/target.hwp", testdata()) > 0);
    char *data = read_file(path, &len);
    assert_non_null(data);
    for (size_t cut = 0; cut < len; cut += 509) {
        run(arca_ix_hwp, data, cut, "cut.hwp", 0, &x);
        arca_extract_free(&x);
    }
    /* Directories libgsf would leak or recurse on forever: the root
     * with a sibling, and a child linking back to the root. */
    unsigned char *dir = (unsigned char *)data + 512 +
                         512 * (size_t)(data[0x30] | data[0x31] << 8);
    uint32_t child = (uint32_t)dir[0x4C] | (uint32_t)dir[0x4D] << 8;
    for (int k = 0; k < 2; k++) {
        char *copy = malloc(len);
        memcpy(copy, data, len);
        unsigned char *at = (unsigned char *)copy + (dir - (unsigned char *)data);
        if (k == 0)
            put32(at + 0x48, 1);
        else
            put32(at + 128 * child + 0x44, 0);
        assert_int_equal(run(arca_ix_hwp, copy, len, "loop.hwp", 0, &x),
                         ARCA_EFORMAT);
        assert_non_null(strstr(x.errmsg, "damaged OLE2 directory"));
        arca_extract_free(&x);
        free(copy);
    }

    /* A damaged compressed section is an error that says so. */
    size_t hwplen;
    unsigned char body[64] = {0xFF, 0xFF, 0xFF, 0xFF};
    unsigned char *hwp = make_hwp(0, body, 4, &hwplen);
    /* Set the compressed flag by hand over stored junk. */
    unsigned char *sig = memmem(hwp, hwplen, "HWP Document File", 17);
    assert_non_null(sig);
    sig[36] |= 1;
    assert_int_equal(run(arca_ix_hwp, hwp, hwplen, "z.hwp", 0, &x),
                     ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "damaged compressed data"));
    arca_extract_free(&x);
    free(hwp);
    free(data);
    free(path);
}

static void test_hwp_limits(void **state)
{
    /* 40 MiB of one repeated record: a bomb of 40 KiB. */
    size_t n = (size_t)40 << 20, len;
    unsigned char *body = malloc(n);
    arca_extract x;
    (void)state;
    for (size_t off = 0; off + 2048 <= n; off += 2048) {
        size_t h = record_head(body + off, 67, 2044);
        for (size_t i = h; i < 2048; i += 2)
            put16(body + off + i, 0xAC00);
    }
    unsigned char *hwp = make_hwp(1, body, n, &len);
    free(body);
    assert_int_equal(run(arca_ix_hwp, hwp, len, "bomb.hwp", 0, &x),
                     ARCA_ELIMIT);
    assert_non_null(strstr(x.errmsg, "inflates past"));
    arca_extract_free(&x);
    free(hwp);

    /* The text cap holds, at a character boundary. */
    char *path;
    assert_true(asprintf(&path, "%s/hwp/target.hwp", testdata()) > 0);
    char *data = read_file(path, &len);
    assert_int_equal(run(arca_ix_hwp, data, len, "t.hwp", 9, &x), ARCA_OK);
    assert_true(x.truncated);
    assert_string_equal(x.text, "이것은");
    arca_extract_free(&x);
    free(data);
    free(path);
}

/* ---- Synthetic HWPX documents ---- */

struct member {
    const char *name;
    const char *data;
    size_t len;                /* 0: strlen(data) */
};

/* A zip of the members M[0..n), malloc'd into *len. */
static unsigned char *make_zip(const struct member *m, size_t n, size_t *len)
{
    size_t cap = 1 << 20;
    for (size_t i = 0; i < n; i++)
        cap += m[i].len / 100;
    unsigned char *buf = malloc(cap);
    struct archive *a = archive_write_new();
    assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(a, buf, cap, len),
                     ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        size_t sz = m[i].len ? m[i].len : strlen(m[i].data);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, m[i].name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)sz);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, m[i].data, sz), (ssize_t)sz);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return buf;
}

#define SEC_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" \
    "<hs:sec xmlns:hs=\"http://www.hancom.co.kr/hwpml/2011/section\" " \
    "xmlns:hp=\"http://www.hancom.co.kr/hwpml/2011/paragraph\">"

static void test_hwpx_structure(void **state)
{
    static const char hpf[] =
        "<?xml version=\"1.0\"?><opf:package "
        "xmlns:opf=\"http://www.idpf.org/2007/opf/\"><opf:metadata>"
        "<opf:title>순서</opf:title>"
        "<opf:meta name=\"creator\" content=\"text\">작성자</opf:meta>"
        "<opf:meta name=\"keyword\" content=\"text\">가, 나</opf:meta>"
        "<opf:meta name=\"date\" content=\"text\">2023년 1월 27일 금요일"
        "</opf:meta></opf:metadata><opf:manifest>"
        "<opf:item id=\"s0\" href=\"Contents/section0.xml\"/>"
        "<opf:item id=\"s1\" href=\"Contents/section1.xml\"/>"
        "</opf:manifest><opf:spine><opf:itemref idref=\"s1\"/>"
        "<opf:itemref idref=\"s0\"/></opf:spine></opf:package>";
    static const char sec0[] = SEC_HEAD
        "<hp:p><hp:run><hp:t>둘째 구역</hp:t></hp:run></hp:p></hs:sec>";
    static const char sec1[] = SEC_HEAD
        "<hp:p><hp:run><hp:t>첫째<hp:tab/>구역<hp:lineBreak/>다음 줄"
        "</hp:t><hp:t>&amp; 이어서</hp:t></hp:run></hp:p><hp:p/>"
        "<hp:p><hp:run><hp:t>표 앞</hp:t><hp:tbl><hp:tr><hp:tc><hp:subList>"
        "<hp:p><hp:run><hp:t>칸</hp:t></hp:run></hp:p></hp:subList>"
        "</hp:tc></hp:tr></hp:tbl></hp:run></hp:p>"
        "<other:p xmlns:other=\"urn:x\"><other:t>숨김</other:t></other:p>"
        "</hs:sec>";
    const struct member m[] = {
        {"mimetype", "application/hwp+zip", 0},
        {"Contents/section0.xml", sec0, 0},
        {"Contents/content.hpf", hpf, 0},
        {"Contents/section1.xml", sec1, 0},
        {"Contents/section1.xml.bak", "<x>no</x>", 0},
    };
    size_t len;
    arca_extract x;
    (void)state;
    unsigned char *zip = make_zip(m, 5, &len);
    assert_int_equal(run(arca_ix_hwpx, zip, len, "s.hwpx", 0, &x), ARCA_OK);
    assert_string_equal(x.text, "첫째\t구역\n다음 줄& 이어서\n표 앞칸\n"
                                "둘째 구역\n");
    assert_string_equal(x.title, "순서");
    assert_string_equal(x.author, "작성자");
    assert_string_equal(x.keywords, "가, 나");
    assert_string_equal(x.date, "2023-01-27");
    arca_extract_free(&x);
    free(zip);
}

static void test_hwpx_refusals(void **state)
{
    static const char sec[] = SEC_HEAD "<hp:p><hp:t>x</hp:t></hp:p></hs:sec>";
    static const char manifest[] =
        "<odf:manifest xmlns:odf=\"urn:oasis:names:tc:opendocument:xmlns:"
        "manifest:1.0\"><odf:file-entry odf:full-path=\"Contents/"
        "section0.xml\"><odf:encryption-data/></odf:file-entry>"
        "</odf:manifest>";
    size_t len;
    arca_extract x;
    (void)state;

    struct member enc[] = {{"META-INF/manifest.xml", manifest, 0},
                           {"Contents/section0.xml", sec, 0}};
    unsigned char *zip = make_zip(enc, 2, &len);
    assert_int_equal(run(arca_ix_hwpx, zip, len, "e.hwpx", 0, &x),
                     ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "password-protected HWPX"));
    arca_extract_free(&x);
    free(zip);

    struct member none[] = {{"mimetype", "application/hwp+zip", 0},
                            {"Contents/header.xml", "<a/>", 0}};
    zip = make_zip(none, 2, &len);
    assert_int_equal(run(arca_ix_hwpx, zip, len, "n.hwpx", 0, &x),
                     ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "no Contents/section0.xml"));
    arca_extract_free(&x);
    free(zip);

    struct member bad[] = {{"Contents/section0.xml",
                            SEC_HEAD "<hp:p><hp:t>kept</hp:t></hp:p><hp:p>",
                            0}};
    zip = make_zip(bad, 1, &len);
    assert_int_equal(run(arca_ix_hwpx, zip, len, "b.hwpx", 0, &x),
                     ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "Contents/section0.xml: bad XML"));
    arca_extract_free(&x);
    free(zip);

    static const char junk[] = "PK\003\004 but not really a zip";
    assert_int_equal(run(arca_ix_hwpx, junk, sizeof junk, "j.hwpx", 0, &x),
                     ARCA_EFORMAT);
    arca_extract_free(&x);

    /* A bomb: 64 MiB of white space inside one <hp:t>. */
    size_t big = (size_t)64 << 20;
    char *bomb = malloc(big);
    memset(bomb, ' ', big);
    memcpy(bomb, SEC_HEAD "<hp:p><hp:t>", strlen(SEC_HEAD "<hp:p><hp:t>"));
    struct member boom[] = {{"Contents/section0.xml", bomb, big}};
    zip = make_zip(boom, 1, &len);
    free(bomb);
    assert_true(len < ((size_t)1 << 20));
    assert_int_equal(run(arca_ix_hwpx, zip, len, "bomb.hwpx", 0, &x),
                     ARCA_ELIMIT);
    assert_non_null(strstr(x.errmsg, "inflates past the limit"));
    arca_extract_free(&x);
    free(zip);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_exact),
        cmocka_unit_test(test_hwp_metadata),
        cmocka_unit_test(test_hwpx_metadata),
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_controls),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_damaged_hwp),
        cmocka_unit_test(test_hwp_limits),
        cmocka_unit_test(test_hwpx_structure),
        cmocka_unit_test(test_hwpx_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
