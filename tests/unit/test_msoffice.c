/*
 * test_msoffice.c: arca_ix_msoffice (Word, Excel and PowerPoint 97-2003)
 * and the summary property-set parser of ole.c.  The shipped fixtures
 * (made by LibreOffice from corpus documents) give their known text and
 * title; documents built here check what the fixtures cannot show
 * exactly: Word's piece table (8-bit and UTF-16 pieces, field codes,
 * cell marks, surrogate pairs), Excel's shared strings continued across
 * records, its numeric cells and BIFF5 code pages, PowerPoint's text
 * atoms, masters and fields, the code page of summary properties, and
 * the refusals: encrypted files of the three kinds, Word 6/95, Excel 2-4,
 * other compound files, damaged input and nesting bombs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsf/gsf.h>

#include "indexers/indexer-private.h"
#include "indexers/msoffice-private.h"
#include "indexers/ole-private.h"
#include "ix.h"

/* Index DATA as MIME into X (initialised here); checks the text's form. */
static arca_status run(const void *data, size_t len, const char *name,
                       const char *mime, size_t max_text, arca_extract *x)
{
    arca_blob b = {data, len, name, mime, NULL};
    arca_limits lim = {.max_text = max_text ? max_text
                                          : ARCA_DEFAULT_MAX_TEXT};
    arca_extract_init(x, lim.max_text);
    return check_extract(arca_ix_msoffice(&b, x, &lim), x, name, lim.max_text);
}

static char *fixture(const char *file, size_t *len)
{
    char *path, *data;
    assert_true(asprintf(&path, "%s/office/legacy/%s", testdata(), file) > 0);
    data = read_file(path, len);
    if (data == NULL)
        fail_msg("cannot read %s", path);
    free(path);
    return data;
}

/* Index fixture FILE as MIME; it must succeed. */
static void index_fixture(const char *file, const char *mime,
                          arca_extract *x)
{
    size_t len;
    char *data = fixture(file, &len);
    if (run(data, len, file, mime, 0, x) != ARCA_OK)
        fail_msg("%s: %s", file, x->errmsg);
    free(data);
}

/* No control characters but line ends and tabs. */
static void assert_clean(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
            fail_msg("control character 0x%02x in the text", *s);
}

/* ---- The shipped fixtures ---- */

static void test_word_fixtures(void **state)
{
    arca_extract x;
    (void)state;
    index_fixture("ko-gimp-tutorial-quickie-flip.doc", "application/msword",
                  &x);
    assert_string_equal(x.title, "4.8. 이미지 뒤집기");
    assert_non_null(x.date);
    assert_int_equal(strlen(x.date), 10);
    assert_non_null(strstr(x.text, "4.8. 이미지 뒤집기\n"));
    assert_non_null(strstr(x.text, "이 도구를 기본값으로 사용하면 이미지가 "
                                   "좌우로 뒤집힙니다."));
    assert_non_null(strstr(x.text, "Use Tools → Transform Tools → Flip"));
    assert_non_null(strstr(x.text, "좌우로, 위아래로 뒤집은 이미지\n"));
    assert_null(strstr(x.text, "HYPERLINK"));   /* field codes dropped */
    assert_clean(x.text);
    arca_extract_free(&x);

    index_fixture("en-plug-in-align-layers.doc", "application/msword", &x);
    assert_string_equal(x.title, "6.27.\u00a0Align Visible Layers…");
    assert_non_null(strstr(x.text, "With the Align Visible Layers command, "
                                   "you can very precisely position"));
    assert_non_null(strstr(x.text, "6.27.1. Activate the Command\n"));
    assert_non_null(strstr(x.text, "the “eye” icon"));    /* cp1252 quotes */
    assert_clean(x.text);
    arca_extract_free(&x);
}

static void test_excel_fixture(void **state)
{
    arca_extract x;
    (void)state;
    index_fixture("gimp-help-titles.xls", "application/vnd.ms-excel", &x);
    /* The sheet's name, then a line per row, a tab between cells. */
    assert_true(strncmp(x.text, "gimp-help-titles\npage\ten\tko\tja\tzh_CN"
                                "\tru\n", 39) == 0);
    assert_non_null(strstr(x.text, "\t2. Layer Modes\t2. 레이어 모드\t2. "
                                   "レイヤーのモード\t2. Layer Modes\t2. "
                                   "Режимы слоёв\n"));
    assert_non_null(strstr(x.text, "11. 本授权的未来改版"));
    assert_clean(x.text);
    arca_extract_free(&x);
}

static void test_excel_password(void **state)
{
    arca_extract x;
    size_t len;
    char *data = fixture("sotu-index-password.xls", &len);
    (void)state;
    assert_int_equal(run(data, len, "sotu-index-password.xls",
                         "application/vnd.ms-excel", 0, &x),
                     ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "password-protected Excel workbook"));
    assert_null(strstr(x.text, "Washington"));
    arca_extract_free(&x);
    free(data);
}

static void test_powerpoint_fixture(void **state)
{
    arca_extract x;
    (void)state;
    index_fixture("ko-gimp-first-steps.ppt", "application/vnd.ms-powerpoint",
                  &x);
    assert_string_equal(x.title, "3장. 윌버와 함께하는 첫 단계");
    assert_true(strncmp(x.text, "3장. 윌버와 함께하는 첫 단계\n",
                        strlen("3장. 윌버와 함께하는 첫 단계\n")) == 0);
    assert_non_null(strstr(x.text, "\n김프의 주요 화면\n"));
    assert_non_null(strstr(x.text, "4.2. 이미지의 크기 바꾸기 (화면용)"));
    /* Masters' boilerplate and slide-number fields stay out. */
    assert_null(strstr(x.text, "Click to edit"));
    assert_null(strstr(x.text, "*"));
    assert_clean(x.text);
    arca_extract_free(&x);
}

/* The streams decide; the MIME type only breaks ties. */
static void test_dispatch(void **state)
{
    static const char *const mimes[] = {
        "application/vnd.ms-excel", "application/CDFV2",
        "application/x-ole-storage", NULL,
    };
    size_t len;
    char *data = fixture("en-plug-in-align-layers.doc", &len);
    (void)state;
    for (size_t i = 0; i < sizeof mimes / sizeof mimes[0]; i++) {
        arca_extract x;
        assert_int_equal(run(data, len, "a.doc", mimes[i], 0, &x), ARCA_OK);
        assert_non_null(strstr(x.text, "Align Visible Layers"));
        arca_extract_free(&x);
    }
    free(data);
}

static void test_limits(void **state)
{
    arca_extract x;
    size_t len;
    char *data = fixture("ko-gimp-tutorial-quickie-flip.doc", &len);
    (void)state;
    assert_int_equal(run(data, len, "a.doc", NULL, 100, &x), ARCA_OK);
    assert_true(x.truncated);
    assert_true(x.len > 80 && x.len <= 100);
    arca_extract_free(&x);
    free(data);
}

/* ---- Documents built here ---- */

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

struct member {
    const char *name;
    const void *data;
    size_t len;
};

/* A compound file of the streams M[0..n) (NULL data: an empty storage). */
static unsigned char *make_ole(const struct member *m, size_t n, size_t *len)
{
    GsfOutput *mem = gsf_output_memory_new();
    GsfOutfile *ole = gsf_outfile_msole_new(mem);
    for (size_t i = 0; i < n; i++) {
        GsfOutput *s = gsf_outfile_new_child(ole, m[i].name,
                                             m[i].data == NULL);
        assert_non_null(s);
        if (m[i].len > 0)
            assert_true(gsf_output_write(s, m[i].len, m[i].data));
        assert_true(gsf_output_close(s));
        g_object_unref(s);
    }
    assert_true(gsf_output_close(GSF_OUTPUT(ole)));
    g_object_unref(ole);
    *len = (size_t)gsf_output_size(mem);
    unsigned char *out = malloc(*len);
    memcpy(out, gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(mem)), *len);
    g_object_unref(mem);
    return out;
}

/* A growing byte buffer. */
struct buf {
    unsigned char d[65536];
    size_t n;
};

static size_t add(struct buf *b, const void *p, size_t n)
{
    size_t at = b->n;
    assert_true(n <= sizeof b->d - b->n);
    memcpy(b->d + b->n, p, n);
    b->n += n;
    return at;
}

static void add16(struct buf *b, unsigned v)
{
    unsigned char t[2];
    put16(t, v);
    add(b, t, 2);
}

static void add32(struct buf *b, uint32_t v)
{
    unsigned char t[4];
    put32(t, v);
    add(b, t, 4);
}

/*
 * A "\005SummaryInformation" property set in code page 949: title,
 * subject, author, keywords, comments as EUC-KR strings, and creation and
 * last-save times.
 */
static void make_summary(struct buf *b)
{
    static const char *const text[] = {"한국어 제목", "주제", "홍길동",
                                       "키워드", "설명"};
    static const uint32_t pids[] = {2, 3, 4, 5, 6};
    struct buf v = {.n = 0};
    uint32_t offs[8], ids[8];
    size_t k = 0;
    memset(b, 0, sizeof *b);
    add16(b, 0xFFFE);
    add16(b, 0);
    add32(b, 0x00020006);
    for (int i = 0; i < 16; i++)
        add(b, "", 1);                      /* CLSID */
    add32(b, 1);
    add(b, "\xE0\x85\x9F\xF2\xF9\x4F\x68\x10\xAB\x91\x08\x00\x2B\x27\xB3"
           "\xD9", 16);
    add32(b, 48);
    /* Values first (offsets from the section's start, after the table). */
    size_t table = 8 + 8 * 8;
    ids[k] = 1;
    offs[k++] = (uint32_t)(table + v.n);
    add32(&v, 2);                           /* VT_I2 */
    add16(&v, 949);
    add16(&v, 0);
    for (size_t i = 0; i < 5; i++) {
        size_t sl;
        char *s = encode("CP949", text[i], &sl);
        ids[k] = pids[i];
        offs[k++] = (uint32_t)(table + v.n);
        add32(&v, 30);                      /* VT_LPSTR */
        add32(&v, (uint32_t)sl + 1);
        add(&v, s, sl);
        for (size_t pad = sl + 1; pad % 4; pad++)
            add(&v, "", 1);
        add(&v, "", 1);
        free(s);
    }
    /* Last save (13) 2002-03-04 before creation (12) 2001-02-03. */
    ids[k] = 13;
    offs[k++] = (uint32_t)(table + v.n);
    add32(&v, 64);
    add32(&v, 0x9A4E6000u);
    add32(&v, 0x01C1C312u);
    ids[k] = 12;
    offs[k++] = (uint32_t)(table + v.n);
    add32(&v, 64);
    uint64_t ft = 126256320000000000ULL;    /* 2001-02-03 00:00 UTC */
    add32(&v, (uint32_t)ft);
    add32(&v, (uint32_t)(ft >> 32));
    assert_int_equal(k, 8);
    add32(b, (uint32_t)(table + v.n));
    add32(b, (uint32_t)k);
    for (size_t i = 0; i < k; i++) {
        add32(b, ids[i]);
        add32(b, offs[i]);
    }
    add(b, v.d, v.n);
}

static void test_summary(void **state)
{
    struct buf *b = malloc(sizeof *b);
    arca_extract x;
    (void)state;
    make_summary(b);
    arca_extract_init(&x, 1024);
    assert_int_equal(arca_ole_summary(b->d, b->n, "s", &x), ARCA_OK);
    assert_string_equal(x.title, "한국어 제목");
    assert_string_equal(x.author, "홍길동");
    assert_string_equal(x.keywords, "키워드");
    assert_string_equal(x.description, "설명");
    assert_string_equal(field(&x, "subject"), "주제");
    assert_string_equal(x.date, "2001-02-03");  /* creation wins */
    arca_extract_free(&x);
    /* Every truncation of it is read without harm. */
    for (size_t n = 0; n < b->n; n++) {
        arca_extract_init(&x, 1024);
        assert_int_equal(arca_ole_summary(b->d, n, "s", &x), ARCA_OK);
        arca_extract_free(&x);
    }
    free(b);
}

/* ---- Word ---- */

struct piece {
    const char *utf8;
    int compressed;            /* cp1252 bytes, else UTF-16LE */
};

/*
 * A Word 97 document whose main text is the pieces P[0..n), with FIB
 * FLAGS and NFIB; a summary property set when SUMMARY.
 */
static unsigned char *make_word(unsigned flags, unsigned nfib,
                                const struct piece *p, size_t n, int summary,
                                size_t *len)
{
    struct buf *doc = calloc(1, sizeof *doc), *tab = calloc(1, sizeof *tab),
               *si = calloc(1, sizeof *si);
    uint32_t cp[16], fc[16];
    assert_true(n < 16);
    doc->n = 1024;                          /* the FIB, then the text */
    cp[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t sl;
        char *s = encode(p[i].compressed ? "CP1252" : "UTF-16LE", p[i].utf8,
                         &sl);
        size_t at = add(doc, s, sl);
        fc[i] = p[i].compressed ? (uint32_t)(2 * at) | 0x40000000u
                                : (uint32_t)at;
        cp[i + 1] = cp[i] + (uint32_t)(p[i].compressed ? sl : sl / 2);
        free(s);
    }
    put16(doc->d, 0xA5EC);
    put16(doc->d + 2, nfib);
    put16(doc->d + 10, flags);
    put16(doc->d + 32, 14);                 /* csw */
    put16(doc->d + 62, 22);                 /* cslw */
    put32(doc->d + 64 + 12, cp[n] - 1);     /* ccpText */
    put16(doc->d + 152, 93);                /* cbRgFcLcb */
    /* The table stream: some bytes, then the Clx (a Prc, the Pcdt). */
    add(tab, "not the clx", 11);
    size_t clx = tab->n;
    add(tab, "\x01\x02\x00\xAA\xBB", 5);
    add(tab, "\x02", 1);
    add32(tab, (uint32_t)(4 * (n + 1) + 8 * n));
    for (size_t i = 0; i <= n; i++)
        add32(tab, cp[i]);
    for (size_t i = 0; i < n; i++) {
        add16(tab, 0);
        add32(tab, fc[i]);
        add16(tab, 0);
    }
    put32(doc->d + 0x1A2, (uint32_t)clx);
    put32(doc->d + 0x1A6, (uint32_t)(tab->n - clx));
    if (summary)
        make_summary(si);
    struct member m[] = {
        {"WordDocument", doc->d, doc->n},
        {flags & 0x0200 ? "1Table" : "0Table", tab->d, tab->n},
        {"\005SummaryInformation", si->d, si->n},
    };
    unsigned char *out = make_ole(m, summary ? 3 : 2, len);
    free(doc);
    free(tab);
    free(si);
    return out;
}

static void test_word_pieces(void **state)
{
    static const struct piece p[] = {
        {"Caf\u00e9 \u201cquoted\u201d \u2014 \u20ac5\r", 1},
        {"\x13 HYPERLINK \"http://example.com\" \x14한국어 링크\x15 end"
         "\x07" "cell2\x07\x07\r", 0},
        {"\x13 IF \x13 PAGE \x14" "1\x15 = 1 \x14yes\x15\x0Bnext\x0C"
         "opt\x1Fhy\x1Enated\r", 1},
        {"\U0001F600 emoji\r", 0},
    };
    arca_extract x;
    size_t len;
    (void)state;
    for (unsigned table = 0; table <= 0x0200; table += 0x0200) {
        unsigned char *d = make_word(table, 0x00C1, p, 4, 1, &len);
        assert_int_equal(run(d, len, "w.doc", "application/msword", 0, &x),
                         ARCA_OK);
        assert_string_equal(x.text,
                            "Café “quoted” — €5\n"
                            "한국어 링크 end\tcell2\t\t\n"
                            "yes\nnext\nopthy-nated\n"
                            "\U0001F600 emoji\n");
        assert_string_equal(x.title, "한국어 제목");
        assert_string_equal(x.author, "홍길동");
        assert_string_equal(x.date, "2001-02-03");
        arca_extract_free(&x);
        free(d);
    }
}

static void test_word_refusals(void **state)
{
    static const struct piece p[] = {{"secret text\r", 1}};
    arca_extract x;
    size_t len;
    unsigned char *d;
    (void)state;
    d = make_word(0x0100, 0x00C1, p, 1, 1, &len);
    assert_int_equal(run(d, len, "e.doc", "application/msword", 0, &x),
                     ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "password-protected Word document"));
    assert_null(strstr(x.text, "secret"));
    arca_extract_free(&x);
    free(d);

    d = make_word(0, 0x0065, p, 1, 0, &len);
    assert_int_equal(run(d, len, "w6.doc", NULL, 0, &x), ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "Word 6/95 document"));
    arca_extract_free(&x);
    free(d);
}

/* A piece table whose pieces all read the same bytes is refused. */
static void test_word_overlap(void **state)
{
    struct piece p[15];
    char big[2001];
    arca_extract x;
    size_t len;
    (void)state;
    memset(big, 'a', 2000);
    big[2000] = '\0';
    p[0].utf8 = big;
    p[0].compressed = 1;
    for (int i = 1; i < 15; i++) {
        p[i].utf8 = "b";
        p[i].compressed = 1;
    }
    unsigned char *d = make_word(0, 0x00C1, p, 15, 0, &len);
    unsigned char *fib = memmem(d, len, "\xEC\xA5\xC1\x00", 4);
    unsigned char *tab = memmem(d, len, "not the clx", 11);
    assert_non_null(fib);
    assert_non_null(tab);
    unsigned char *cps = tab + 11 + 5 + 5, *pcd = cps + 4 * 16;
    put32(fib + 64 + 12, 15 * 2000);
    for (int i = 0; i <= 15; i++)
        put32(cps + 4 * i, (uint32_t)(i * 2000));
    for (int i = 1; i < 15; i++)
        memcpy(pcd + 8 * i + 2, pcd + 2, 4);
    assert_int_equal(run(d, len, "o.doc", NULL, 0, &x), ARCA_ELIMIT);
    assert_non_null(strstr(x.errmsg, "more than twice over"));
    arca_extract_free(&x);
    free(d);
}

static void test_word_damaged(void **state)
{
    static const struct piece p[] = {{"some text\r", 1}, {"더\r", 0}};
    arca_extract x;
    size_t len;
    (void)state;
    /* Offsets patched into the FIB after the file is built are found by
     * the stream's signature in the compound file's bytes. */
    unsigned char *d = make_word(0, 0x00C1, p, 2, 0, &len);
    unsigned char *fib = memmem(d, len, "\xEC\xA5\xC1\x00", 4);
    assert_non_null(fib);

    /* The Clx beyond the table stream. */
    put32(fib + 0x1A2, 0x7FFFFFF0u);
    assert_int_equal(run(d, len, "c.doc", NULL, 0, &x), ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "the Clx lies outside the table"));
    arca_extract_free(&x);

    /* No piece table where the Clx points. */
    put32(fib + 0x1A2, 0);
    assert_int_equal(run(d, len, "c.doc", NULL, 0, &x), ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "no piece table"));
    arca_extract_free(&x);

    /* A FIB cut short by its own counts. */
    put32(fib + 0x1A2, 11);
    put16(fib + 62, 2);
    assert_int_equal(run(d, len, "c.doc", NULL, 0, &x), ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "the FIB is cut short"));
    arca_extract_free(&x);

    /* No Word signature. */
    put16(fib + 62, 22);
    fib[0] = 'X';
    assert_int_equal(run(d, len, "c.doc", NULL, 0, &x), ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "lacks the Word signature"));
    arca_extract_free(&x);
    free(d);
}

/* ---- Excel ---- */

static size_t rec(struct buf *b, unsigned type, const void *p, size_t n)
{
    size_t at = b->n;
    add16(b, type);
    add16(b, (unsigned)n);
    add(b, p, n);
    return at;
}

static void bof(struct buf *b, unsigned vers, unsigned dt)
{
    unsigned char t[16] = {0};
    put16(t, vers);
    put16(t + 2, dt);
    rec(b, 0x0809, t, sizeof t);
}

/* A cell record head: row, column, format index. */
static void cell_head(unsigned char *t, unsigned row, unsigned col)
{
    put16(t, row);
    put16(t + 2, col);
    put16(t + 4, 15);
}

static unsigned char *make_biff8(int filepass, size_t *len)
{
    struct buf *b = calloc(1, sizeof *b);
    unsigned char t[64];
    bof(b, 0x0600, 0x0005);
    if (filepass)
        rec(b, 0x002F, "\x01\x00\x01\x00", 4);
    rec(b, 0x0042, "\xB0\x04", 2);          /* CODEPAGE 1200 */
    size_t bs = rec(b, 0x0085, "\0\0\0\0\0\0\x04\x00" "Data", 12);
    /* SST: "ab" + (continued, now UTF-16) "한글", then "plain" whose
     * header starts the next CONTINUE, then a rich string whose runs
     * are split across records. */
    size_t n = 0;
    put32(t, 3);
    put32(t + 4, 3);
    memcpy(t + 8, "\x04\x00\x00" "ab", 5);
    n = 13;
    rec(b, 0x00FC, t, n);
    rec(b, 0x003C, "\x01\x5C\xD5\x00\xAE", 5);
    rec(b, 0x003C, "\x05\x00\x00" "plain" "\x03\x00\x08\x01\x00" "rs", 15);
    rec(b, 0x003C, "\x00" "t" "\x01\x00\x02\x00", 6);
    rec(b, 0x000A, "", 0);
    put32(b->d + bs + 4, (uint32_t)b->n);   /* the sheet's BOF */
    bof(b, 0x0600, 0x0010);
    cell_head(t, 0, 0);
    put32(t + 6, 0);
    rec(b, 0x00FD, t, 10);                  /* LABELSST "ab한글" */
    cell_head(t, 0, 1);
    put32(t + 6, 1);
    rec(b, 0x00FD, t, 10);                  /* LABELSST "plain" */
    cell_head(t, 0, 2);
    put32(t + 6, 2);
    rec(b, 0x00FD, t, 10);                  /* LABELSST "rst" */
    cell_head(t, 0, 3);
    put32(t + 6, 99);
    rec(b, 0x00FD, t, 10);                  /* out of range: skipped */
    cell_head(t, 1, 0);
    put32(t + 6, 42u << 2 | 2);
    rec(b, 0x027E, t, 10);                  /* RK 42 */
    cell_head(t, 1, 1);
    put32(t + 6, 1234u << 2 | 3);
    rec(b, 0x027E, t, 10);                  /* RK 12.34 */
    cell_head(t, 2, 0);
    double v = 3.5;
    memcpy(t + 6, &v, 8);
    rec(b, 0x0203, t, 14);                  /* NUMBER */
    put16(t, 3);
    put16(t + 2, 0);
    put16(t + 4, 15);
    put32(t + 6, 1u << 2 | 2);
    put16(t + 10, 15);
    put32(t + 12, (uint32_t)-7 << 2 | 2);
    put16(t + 16, 1);
    rec(b, 0x00BD, t, 18);                  /* MULRK 1, -7 */
    cell_head(t, 4, 0);
    memcpy(t + 6, "\x05\x00\x00hello", 8);
    rec(b, 0x0204, t, 14);                  /* LABEL */
    bof(b, 0x0600, 0x0020);                 /* an embedded chart */
    cell_head(t, 9, 0);
    memcpy(t + 6, "\x05\x00\x00chart", 8);
    rec(b, 0x0204, t, 14);
    rec(b, 0x000A, "", 0);
    cell_head(t, 5, 0);
    memset(t + 6, 0xFF, 8);
    t[6] = 0;                               /* a string result */
    rec(b, 0x0006, t, 20);
    size_t sl;
    char *s = encode("UTF-16LE", "템플릿", &sl);
    put16(t, (unsigned)sl / 2);
    t[2] = 1;
    memcpy(t + 3, s, sl);
    rec(b, 0x0207, t, 3 + sl);              /* STRING after a FORMULA */
    free(s);
    rec(b, 0x000A, "", 0);
    struct member m[] = {{"Workbook", b->d, b->n}};
    unsigned char *out = make_ole(m, 1, len);
    free(b);
    return out;
}

static void test_excel_records(void **state)
{
    arca_extract x;
    size_t len;
    unsigned char *d = make_biff8(0, &len);
    (void)state;
    assert_int_equal(run(d, len, "b8.xls", "application/vnd.ms-excel", 0,
                         &x), ARCA_OK);
    assert_string_equal(x.text, "Data\n"
                                "ab한글\tplain\trst\n"
                                "42\t12.34\n"
                                "3.5\n"
                                "1\t-7\n"
                                "hello\n"
                                "템플릿\n");
    arca_extract_free(&x);
    free(d);

    d = make_biff8(1, &len);
    assert_int_equal(run(d, len, "p.xls", NULL, 0, &x), ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "password-protected Excel workbook"));
    arca_extract_free(&x);
    free(d);
}

static void test_excel_biff5(void **state)
{
    struct buf *b = calloc(1, sizeof *b);
    unsigned char t[64];
    size_t sl, nl, len;
    char *s = encode("CP949", "한국어 셀", &sl);
    char *name = encode("CP949", "시트", &nl);
    arca_extract x;
    (void)state;
    bof(b, 0x0500, 0x0005);
    rec(b, 0x0042, "\xB5\x03", 2);          /* CODEPAGE 949 */
    memset(t, 0, 6);
    t[6] = (unsigned char)nl;
    memcpy(t + 7, name, nl);
    size_t bs = rec(b, 0x0085, t, 7 + nl);
    rec(b, 0x000A, "", 0);
    put32(b->d + bs + 4, (uint32_t)b->n);
    bof(b, 0x0500, 0x0010);
    cell_head(t, 0, 0);
    put16(t + 6, (unsigned)sl);
    memcpy(t + 8, s, sl);
    rec(b, 0x0204, t, 8 + sl);
    rec(b, 0x000A, "", 0);
    struct member m[] = {{"Book", b->d, b->n}};
    unsigned char *d = make_ole(m, 1, &len);
    assert_int_equal(run(d, len, "b5.xls", NULL, 0, &x), ARCA_OK);
    assert_string_equal(x.text, "시트\n한국어 셀\n");
    arca_extract_free(&x);
    free(d);

    /* Excel 2-4: a BOF of another kind. */
    b->n = 0;
    rec(b, 0x0409, "\x00\x00\x10\x00", 4);
    struct member m4[] = {{"Workbook", b->d, b->n}};
    d = make_ole(m4, 1, &len);
    assert_int_equal(run(d, len, "b4.xls", NULL, 0, &x), ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "Excel 2-4 workbook"));
    arca_extract_free(&x);
    free(d);
    free(b);
    free(s);
    free(name);
}

/* ---- PowerPoint ---- */

static size_t ppt_head(struct buf *b, unsigned ver, unsigned inst,
                       unsigned type, size_t n)
{
    size_t at = b->n;
    add16(b, ver | inst << 4);
    add16(b, type);
    add32(b, (uint32_t)n);
    return at;
}

/* Close the container whose header is at AT. */
static void ppt_close(struct buf *b, size_t at)
{
    put32(b->d + at + 4, (uint32_t)(b->n - at - 8));
}

static void ppt_utf16(struct buf *b, unsigned type, unsigned inst,
                      const char *utf8)
{
    size_t sl;
    char *s = encode("UTF-16LE", utf8, &sl);
    ppt_head(b, 0, inst, type, sl);
    add(b, s, sl);
    free(s);
}

static unsigned char *make_ppt(uint32_t token, int encrypted_summary,
                               size_t *len)
{
    struct buf *b = calloc(1, sizeof *b), cu = {.n = 0};
    size_t doc = ppt_head(b, 0xF, 0, 0x03E8, 0);
    size_t master = ppt_head(b, 0xF, 0, 0x03F8, 0);
    ppt_utf16(b, 0x0FA0, 0, "Master boilerplate");
    ppt_close(b, master);
    size_t slide = ppt_head(b, 0xF, 0, 0x03EE, 0);
    size_t box = ppt_head(b, 0xF, 0, 0xF00D, 0);
    ppt_utf16(b, 0x0FA0, 0, "Page * of 2*");
    ppt_head(b, 0, 0, 0x0FD8, 4);           /* SlideNumberMCAtom at 5 */
    add32(b, 5);
    ppt_head(b, 0, 0, 0x0FF7, 8);           /* DateTimeMCAtom at 11 */
    add32(b, 11);
    add32(b, 0);
    ppt_close(b, box);
    ppt_utf16(b, 0x0FA0, 0, "슬라이드 제목\rsecond\x0Bline");
    ppt_head(b, 0, 0, 0x0FA8, 4);
    add(b, "caf\xE9", 4);                   /* TextBytesAtom: Latin-1 */
    size_t comment = ppt_head(b, 0xF, 0, 0x2EE0, 0);
    ppt_utf16(b, 0x0FBA, 0, "Author Name");
    ppt_utf16(b, 0x0FBA, 1, "comment text");
    ppt_close(b, comment);
    ppt_utf16(b, 0x0FBA, 0, "___PPT10");
    ppt_close(b, slide);
    ppt_close(b, doc);
    ppt_head(&cu, 0, 0, 0x0FF6, 20);
    add32(&cu, 20);
    add32(&cu, token);
    add32(&cu, 0);
    struct member m[] = {
        {"Current User", cu.d, cu.n},
        {"PowerPoint Document", b->d, b->n},
        {"EncryptedSummary", "x", 1},
    };
    unsigned char *out = make_ole(m, encrypted_summary ? 3 : 2, len);
    free(b);
    return out;
}

static void test_powerpoint_records(void **state)
{
    arca_extract x;
    size_t len;
    unsigned char *d = make_ppt(0xE391C05Fu, 0, &len);
    (void)state;
    assert_int_equal(run(d, len, "s.ppt", "application/vnd.ms-powerpoint", 0,
                         &x), ARCA_OK);
    assert_string_equal(x.text, "Page  of 2\n"
                                "슬라이드 제목\nsecond\nline\n"
                                "café\n"
                                "comment text\n");
    arca_extract_free(&x);
    free(d);
}

static void test_powerpoint_refusals(void **state)
{
    arca_extract x;
    size_t len;
    unsigned char *d;
    (void)state;
    d = make_ppt(0xF3D1C4DFu, 0, &len);
    assert_int_equal(run(d, len, "e.ppt", NULL, 0, &x), ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "password-protected PowerPoint"));
    assert_null(strstr(x.text, "comment"));
    arca_extract_free(&x);
    free(d);

    d = make_ppt(0xE391C05Fu, 1, &len);
    assert_int_equal(run(d, len, "e.ppt", NULL, 0, &x), ARCA_EUNSUPPORTED);
    arca_extract_free(&x);
    free(d);

    /* Containers nested past the bound. */
    struct buf *b = calloc(1, sizeof *b);
    size_t at[64];
    for (int i = 0; i < 64; i++)
        at[i] = ppt_head(b, 0xF, 0, 0x03EE, 0);
    ppt_utf16(b, 0x0FA0, 0, "deep");
    for (int i = 63; i >= 0; i--)
        ppt_close(b, at[i]);
    struct member m[] = {{"PowerPoint Document", b->d, b->n}};
    d = make_ole(m, 1, &len);
    assert_int_equal(run(d, len, "deep.ppt", NULL, 0, &x), ARCA_ELIMIT);
    assert_non_null(strstr(x.errmsg, "nested deeper"));
    arca_extract_free(&x);
    free(d);

    /* A CryptSession10Container among the records. */
    b->n = 0;
    ppt_head(b, 0xF, 0, 0x2F14, 0);
    m[0].len = b->n;
    d = make_ole(m, 1, &len);
    assert_int_equal(run(d, len, "c.ppt", NULL, 0, &x), ARCA_EUNSUPPORTED);
    arca_extract_free(&x);
    free(d);
    free(b);
}

/* ---- Not Office, or damaged ---- */

static void test_not_office(void **state)
{
    static const char junk[] = "this is not an OLE2 compound file at all";
    struct member m[] = {{"Contents", "abc", 3}, {"Storage", NULL, 0}};
    arca_extract x;
    size_t len;
    unsigned char *d;
    (void)state;
    assert_int_equal(run(junk, sizeof junk, "j.doc", NULL, 0, &x),
                     ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "not an OLE2 compound file"));
    arca_extract_free(&x);

    d = make_ole(m, 2, &len);
    assert_int_equal(run(d, len, "o.doc", "application/msword", 0, &x),
                     ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "not a Word, Excel or PowerPoint"));
    arca_extract_free(&x);
    free(d);

    /* A storage where the stream belongs is no stream. */
    struct member w[] = {{"WordDocument", NULL, 0}};
    d = make_ole(w, 1, &len);
    assert_int_equal(run(d, len, "s.doc", NULL, 0, &x), ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "no WordDocument stream"));
    arca_extract_free(&x);
    free(d);
}

/* Cut and scribbled-on fixtures fail cleanly or give what they hold. */
static void test_damaged(void **state)
{
    static const char *const files[] = {
        "ko-gimp-tutorial-quickie-flip.doc", "gimp-help-titles.xls",
        "ko-gimp-first-steps.ppt",
    };
    uint32_t seed = 12345;
    (void)state;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t len;
        char *data = fixture(files[f], &len);
        arca_extract x;
        assert_int_equal(run(data, len / 3, "cut", NULL, 0, &x),
                         ARCA_EFORMAT);
        arca_extract_free(&x);
        for (int round = 0; round < 300; round++) {
            char *copy = malloc(len);
            memcpy(copy, data, len);
            for (int k = 0; k < 16; k++) {
                seed = seed * 1103515245u + 12345u;
                /* The header and directory are left to test_not_office. */
                size_t at = 512 + (seed >> 8) % (len - 512);
                copy[at] = (char)(seed >> 3);
            }
            arca_status rc = run(copy, len, "scribbled", NULL, 0, &x);
            assert_true(rc == ARCA_OK || rc == ARCA_EFORMAT ||
                        rc == ARCA_ELIMIT || rc == ARCA_EUNSUPPORTED);
            arca_extract_free(&x);
            free(copy);
        }
        free(data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word_fixtures),
        cmocka_unit_test(test_excel_fixture),
        cmocka_unit_test(test_excel_password),
        cmocka_unit_test(test_powerpoint_fixture),
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_word_pieces),
        cmocka_unit_test(test_word_refusals),
        cmocka_unit_test(test_word_overlap),
        cmocka_unit_test(test_word_damaged),
        cmocka_unit_test(test_excel_records),
        cmocka_unit_test(test_excel_biff5),
        cmocka_unit_test(test_powerpoint_records),
        cmocka_unit_test(test_powerpoint_refusals),
        cmocka_unit_test(test_not_office),
        cmocka_unit_test(test_damaged),
    };
    gsf_init();
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    gsf_shutdown();
    return failed;
}
