/*
 * test_detect.c: arca_detect.  libmagic's answer stands unless it is
 * generic; then the name and a closer look refine it: XHTML pages are
 * text/html, .csv/.md/.json text gets its type, text with a stray control
 * byte is text/plain, an HWPX zip is application/hwp+zip.  Over the whole
 * shared corpus (when present) every answer is libmagic's (MANIFEST.tsv)
 * or exactly one of those refinements.
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
#include <sys/stat.h>
#include <time.h>

#include <zlib.h>

#include "indexers/indexer.h"

static int setup(void **state)
{
    arca_detector *d = NULL;
    char err[256];
    if (arca_detector_new(&d, err, sizeof err) != ARCA_OK) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    arca_detector_free(*state);
    return 0;
}

/* Detect DATA named NAME and compare with the expected type. */
static void expect(arca_detector *d, const void *data, size_t len,
                   const char *name, const char *mime, const char *charset)
{
    char m[128], cs[64];
    assert_int_equal(arca_detect(d, data, len, name, m, cs), ARCA_OK);
    if (strcmp(m, mime) != 0)
        fail_msg("%s: detected %s, expected %s", name ? name : "(no name)",
                 m, mime);
    if (charset != NULL && strcmp(cs, charset) != 0)
        fail_msg("%s: charset %s, expected %s", name ? name : "(no name)",
                 cs, charset);
}

static void expect_file(arca_detector *d, const char *rel, const char *name,
                        const char *mime, const char *charset)
{
    char *path;
    size_t len;
    assert_true(asprintf(&path, "%s/%s", testdata(), rel) > 0);
    char *data = read_file(path, &len);
    if (data == NULL)
        fail_msg("cannot read %s", path);
    expect(d, data, len, name ? name : rel, mime, charset);
    free(data);
    free(path);
}

static void test_empty(void **state)
{
    expect(*state, "", 0, "empty.txt", "inode/x-empty", "binary");
    expect(*state, NULL, 0, NULL, "inode/x-empty", NULL);
}

static void test_bad_arguments(void **state)
{
    char m[128], cs[64];
    assert_int_equal(arca_detect(*state, NULL, 3, "x", m, cs), ARCA_EINVAL);
    assert_int_equal(arca_detect(NULL, "abc", 3, "x", m, cs), ARCA_EINVAL);
}

static void test_xhtml(void **state)
{
    /* gimp-help pages: libmagic says text/xml. */
    expect_file(*state, "html/ko/filters-blur.html", NULL, "text/html",
                "utf-8");
    expect_file(*state, "html/ru/filters-blur.html", "page.xml", "text/html",
                "utf-8");
    /* Legacy-encoded XHTML: libmagic's charset names are kept. */
    expect_file(*state,
                "encodings/ru/gimp-layer-mask-selection-intersect.koi8-r.meta.html",
                NULL, "text/html", "unknown-8bit");
    expect_file(*state, "encodings/ko/plug-in-dbbrowser.cp949.nometa.html",
                NULL, "text/html", "iso-8859-1");
    /* An XHTML root with a prefix, no name. */
    static const char prefixed[] =
        "<?xml version=\"1.0\"?>\n<!-- generated -->\n"
        "<h:html xmlns:h=\"http://www.w3.org/1999/xhtml\"><h:body>"
        "<h:p>x</h:p></h:body></h:html>\n";
    expect(*state, prefixed, strlen(prefixed), NULL, "text/html", NULL);
    /* A DOCTYPE with an internal subset before the root. */
    static const char subset[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE html [ <!ENTITY a \"b\"> ]>\n"
        "<html><body><p>&a;</p></body></html>\n";
    expect(*state, subset, strlen(subset), NULL, "text/html", NULL);
}

static void test_xml_stays_xml(void **state)
{
    static const char rss[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<rss version=\"2.0\"><channel><title>News</title>"
        "<item><title>html is mentioned here: <![CDATA[<html>]]></title>"
        "</item></channel></rss>\n";
    char m[128], cs[64];
    assert_int_equal(arca_detect(*state, rss, strlen(rss), "feed.rss", m, cs),
                     ARCA_OK);
    assert_string_not_equal(m, "text/html");
    /* ... unless the name says HTML and the content has <html. */
    expect(*state, rss, strlen(rss), "feed.html", "text/html", NULL);
}

static void test_text_by_name(void **state)
{
    static const char csv[] = "name,notes\nfoo,bar\nbaz,qux\n";
    static const char md[] = "Notes\n\nSome *words* here, and a list:\n\n"
                             "- one\n- two\n";
    static const char json[] = "{\"title\": \"truncated JSON\", \"tags\": [";
    static const char page[] = "Some words first.\n<p>Then a paragraph "
                               "of a page fragment.</p>\n";
    expect(*state, csv, strlen(csv), "table.csv", "text/csv", NULL);
    expect(*state, md, strlen(md), "README.md", "text/markdown", NULL);
    expect(*state, md, strlen(md), "notes.txt", "text/plain", "us-ascii");
    expect(*state, json, strlen(json), "broken.json", "application/json",
           NULL);
    expect(*state, page, strlen(page), "fragment.htm", "text/html", NULL);
    expect(*state, md, strlen(md), "notes.html", "text/plain", NULL);
    /* Name refinements need text: a .csv of binary stays binary. */
    static const unsigned char bin[] = {0x00, 0x01, 0x02, 0x03, 0xFF, 0xFE,
                                        0x00, 0x10, 0x80, 0x81, 0x00, 0x00};
    char m[128], cs[64];
    assert_int_equal(arca_detect(*state, bin, sizeof bin, "x.csv", m, cs),
                     ARCA_OK);
    assert_string_not_equal(m, "text/csv");
}

static void test_stray_control_byte(void **state)
{
    /* sotu/1890_benjamin_harrison_r.txt has one 0x02 byte: libmagic says
     * application/octet-stream. */
    expect_file(*state, "sotu/1890_benjamin_harrison_r.txt", NULL,
                "text/plain", "us-ascii");
    /* Real binary stays binary. */
    unsigned char bin[4096];
    uint32_t seed = 7;
    for (size_t i = 0; i < sizeof bin; i++) {
        seed = seed * 1103515245u + 12345u;
        bin[i] = (unsigned char)(seed >> 16);
    }
    expect(*state, bin, sizeof bin, "random.txt", "application/octet-stream",
           NULL);
}

/* A stored zip with one member NAME holding DATA. */
static size_t make_zip(unsigned char *out, const char *name, const char *data)
{
    size_t nl = strlen(name), dl = strlen(data), p = 0;
    uint32_t crc = (uint32_t)crc32(0, (const unsigned char *)data, (uInt)dl);
#define PUT16(v) (out[p++] = (unsigned char)(v), out[p++] = (unsigned char)((v) >> 8))
#define PUT32(v) (PUT16((v) & 0xFFFF), PUT16(((uint32_t)(v)) >> 16))
    PUT32(0x04034b50u); PUT16(10); PUT16(0); PUT16(0); PUT16(0); PUT16(0);
    PUT32(crc); PUT32(dl); PUT32(dl); PUT16(nl); PUT16(0);
    memcpy(out + p, name, nl); p += nl;
    memcpy(out + p, data, dl); p += dl;
    size_t cd = p;
    PUT32(0x02014b50u); PUT16(20); PUT16(10); PUT16(0); PUT16(0); PUT16(0);
    PUT16(0); PUT32(crc); PUT32(dl); PUT32(dl); PUT16(nl); PUT16(0); PUT16(0);
    PUT16(0); PUT16(0); PUT32(0); PUT32(0);
    memcpy(out + p, name, nl); p += nl;
    size_t cdlen = p - cd;
    PUT32(0x06054b50u); PUT16(0); PUT16(0); PUT16(1); PUT16(1);
    PUT32(cdlen); PUT32(cd); PUT16(0);
#undef PUT16
#undef PUT32
    return p;
}

static void test_zip_mimetype(void **state)
{
    unsigned char zip[512];
    size_t n = make_zip(zip, "mimetype", "application/hwp+zip");
    expect(*state, zip, n, "notice.hwpx", "application/hwp+zip", NULL);
    expect(*state, zip, n, NULL, "application/hwp+zip", NULL);
    /* An ordinary zip stays a zip. */
    n = make_zip(zip, "readme.txt", "hello, world\n");
    expect(*state, zip, n, "bundle.zip", "application/zip", NULL);
    /* A "mimetype" member holding no MIME type is ignored. */
    n = make_zip(zip, "mimetype", "not a type at all");
    expect(*state, zip, n, "odd.zip", "application/zip", NULL);
}

static void test_gzip_not_opened(void **state)
{
    /* A gzip is a gzip: libmagic must not look inside. */
    static const unsigned char gz[] = {
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb,
        0x48, 0xcd, 0xc9, 0xc9, 0xe7, 0x02, 0x00, 0x20, 0x30, 0x3a, 0x36,
        0x06, 0x00, 0x00, 0x00};
    expect(*state, gz, sizeof gz, "hello.txt.gz", "application/gzip", NULL);
}

static void test_speed(void **state)
{
    /* A detector is loaded once and reused: a thousand small texts must
     * not take seconds. */
    static const char text[] = "Just a line of plain English text.\n";
    char m[128], cs[64];
    clock_t t0 = clock();
    for (int i = 0; i < 1000; i++)
        assert_int_equal(arca_detect(*state, text, strlen(text), "a.txt", m,
                                     cs),
                         ARCA_OK);
    double s = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_string_equal(m, "text/plain");
    assert_true(s < 5.0);
}

/* The type MANIFEST.tsv gives (libmagic's), refined as arca should. */
static const char *refined(const char *path, const char *mime)
{
    size_t n = strlen(path);
    if (strcmp(mime, "text/xml") == 0 && n > 5 &&
        strcmp(path + n - 5, ".html") == 0)
        return "text/html";
    if (strcmp(mime, "application/zip") == 0 && n > 5 &&
        strcmp(path + n - 5, ".hwpx") == 0)
        return "application/hwp+zip";
    if (strcmp(mime, "application/octet-stream") == 0 &&
        strncmp(path, "sotu/", 5) == 0)
        return "text/plain";
    if (strcmp(mime, "text/plain") == 0 && n > 4 &&
        strcmp(path + n - 4, ".tsv") == 0)
        return "text/tab-separated-values";
    if (strcmp(mime, "text/plain") == 0 && n > 5 &&
        strcmp(path + n - 5, ".mbox") == 0)
        return "application/mbox";      /* the manifest's kind says so */
    return mime;
}

/* Mail: a message, and an mbox whatever headers its first message has. */
static void test_mail(void **state)
{
    static const char mbox[] = "From jane@example.org Thu Aug 22 12:46:39 "
                               "2002\nX-Spam: no\nSubject: hi\n\nbody\n";
    static const char notes[] = "From the minutes of the meeting:\n"
                                "Subject: budget\n";
    expect_file(*state, "mail/ham-plain.eml", NULL, "message/rfc822", NULL);
    expect_file(*state, "mail/mboxrd.mbox", NULL, "application/mbox", NULL);
    expect(*state, mbox, strlen(mbox), "saved", "application/mbox", NULL);
    expect(*state, notes, strlen(notes), "notes.txt", "text/plain", NULL);
}

static void test_corpus_manifest(void **state)
{
    const char *c = corpus();
    char *manifest, line[8192];
    size_t checked = 0;
    if (c == NULL)
        skip();
    assert_true(asprintf(&manifest, "%s/MANIFEST.tsv", c) > 0);
    FILE *f = fopen(manifest, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));      /* the header */
    while (fgets(line, sizeof line, f)) {
        char *save, *path = strtok_r(line, "\t", &save);
        strtok_r(NULL, "\t", &save);
        char *mime = strtok_r(NULL, "\t", &save);
        char *full, m[128], cs[64];
        size_t len;
        if (path == NULL || mime == NULL)
            continue;
        assert_true(asprintf(&full, "%s/%s", c, path) > 0);
        char *data = read_file(full, &len);
        if (data == NULL)
            fail_msg("cannot read %s", full);
        assert_int_equal(arca_detect(*state, data, len, path, m, cs),
                         ARCA_OK);
        if (strcmp(m, refined(path, mime)) != 0)
            fail_msg("%s: detected %s, libmagic says %s", path, m, mime);
        free(data);
        free(full);
        checked++;
    }
    fclose(f);
    free(manifest);
    assert_true(checked > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_xhtml),
        cmocka_unit_test(test_xml_stays_xml),
        cmocka_unit_test(test_text_by_name),
        cmocka_unit_test(test_stray_control_byte),
        cmocka_unit_test(test_zip_mimetype),
        cmocka_unit_test(test_gzip_not_opened),
        cmocka_unit_test(test_mail),
        cmocka_unit_test(test_speed),
        cmocka_unit_test(test_corpus_manifest),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
