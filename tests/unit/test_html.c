/*
 * test_html.c: arca_ix_html.  Titles and visible text of the GIMP manual
 * in five languages; what is hidden (scripts, styles, head) stays out;
 * blocks make lines and inline elements do not; metadata from <meta>;
 * charsets from the BOM, the XML declaration, <meta>, or detection, with
 * each legacy page giving exactly the text of its UTF-8 twin; and the
 * bounds: depth, text size, attribute bombs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"

#include <dirent.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "indexers/indexer-private.h"

/* Index DATA as HTML into X (initialised here); checks the text's form. */
static arca_status index_html(const void *data, size_t len, const char *name,
                              const char *charset, size_t max_text,
                              unsigned max_depth, arca_extract *x)
{
    arca_blob b = {data, len, name, "text/html", charset};
    arca_limits lim = {.max_text = max_text ? max_text
                                            : ARCA_DEFAULT_MAX_TEXT,
                       .max_depth = max_depth};
    arca_extract_init(x, lim.max_text);
    arca_status rc = arca_ix_html(&b, x, &lim);
    assert_non_null(x->text);
    assert_int_equal(strlen(x->text), x->len);
    assert_true(arca_utf8_valid(x->text, x->len));
    assert_true(x->len <= lim.max_text);
    return rc;
}

static void index_str(const char *html, arca_extract *x)
{
    assert_int_equal(index_html(html, strlen(html), "t.html", NULL, 0, 0, x),
                     ARCA_OK);
}

static void index_file(const char *path, arca_extract *x)
{
    size_t len;
    char *data = read_file(path, &len);
    if (data == NULL)
        fail_msg("cannot read %s", path);
    arca_status rc = index_html(data, len, path, NULL, 0, 0, x);
    if (rc != ARCA_OK)
        fail_msg("%s: %s", path, x->errmsg);
    free(data);
}

/* ---- The GIMP manual ---- */

static void test_gimp_pages(void **state)
{
    static const struct {
        const char *lang, *title, *words[3];
    } pages[] = {
        {"en", "3. Blur Filters",
         {"Chapter 17. Filters", "This is a set of filters that blur images",
          "Gaussian blur"}},
        {"ko", "3. 블러 필터", {"17장. 필터", "그림 17.2. Original for demo",
                                "Selective blur"}},
        {"ja", "3. ぼかしフィルター", {"第17章 フィルター", "3.1. あらまし",
                                       "ぼかし"}},
        {"zh_CN", "3. 模糊滤镜", {"上一页", "3. 模糊滤镜", "Pixelize"}},
        {"ru", "3. Фильтры размывания", {"Глава 17. Фильтры",
                                         "3.1. Введение", "размыв"}},
    };
    (void)state;
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        char *path;
        arca_extract x;
        assert_true(asprintf(&path, "%s/html/%s/filters-blur.html",
                             testdata(), pages[i].lang) > 0);
        index_file(path, &x);
        assert_non_null(x.title);
        assert_string_equal(x.title, pages[i].title);
        assert_string_equal(x.charset, "UTF-8");
        for (size_t w = 0; w < 3; w++)
            if (strstr(x.text, pages[i].words[w]) == NULL)
                fail_msg("%s: \"%s\" not in the text", path,
                         pages[i].words[w]);
        /* The visible text starts with the page heading, not the head. */
        assert_true(strncmp(x.text, pages[i].title,
                            strlen(pages[i].title)) == 0);
        /* No markup, no stylesheet names, no XML declaration. */
        assert_null(strchr(x.text, '<'));
        assert_null(strstr(x.text, "gimp-help-plain.css"));
        assert_null(strstr(x.text, "encoding="));
        assert_null(strstr(x.text, "  "));
        /* The DocBook generator is kept as a field. */
        assert_int_equal(x.nfields, 1);
        assert_string_equal(x.fields[0].name, "generator");
        arca_extract_free(&x);
        free(path);
    }
}

/* ---- Structure of the text ---- */

static void test_hidden_content(void **state)
{
    arca_extract x;
    (void)state;
    index_str("<html><head><title>T</title>"
              "<style>body { color: red }</style>"
              "<script>var hidden = 1;</script></head>"
              "<body><p>shown one</p><script>alert('no')</script>"
              "<noscript>enable scripts</noscript>"
              "<template><p>template text</p></template>"
              "<!-- a comment -->"
              "<style>.x{}</style><p>shown two</p>"
              "<svg><title>icon</title><text>svg text</text></svg>"
              "</body></html>",
              &x);
    assert_string_equal(x.text, "shown one\nshown two");
    assert_string_equal(x.title, "T");
    arca_extract_free(&x);
}

static void test_blocks_and_inline(void **state)
{
    arca_extract x;
    (void)state;
    index_str("<body><h1>Heading</h1><p>Some <b>bold</b>er and "
              "<i>it</i><span>alic</span>   words\n\n across   lines."
              "</p><ul><li>one</li><li>two<br>three</li></ul>"
              "<table><tr><td>a</td><td>b</td></tr></table>"
              "<div><div><p>deep</p></div></div>end</body>",
              &x);
    assert_string_equal(x.text,
                        "Heading\nSome bolder and italic words across lines."
                        "\none\ntwo\nthree\na\nb\ndeep\nend");
    arca_extract_free(&x);
}

static void test_pre_and_entities(void **state)
{
    arca_extract x;
    (void)state;
    index_str("<p>caf&eacute; &amp; &lt;tag&gt; &#xAC00;&#44032; "
              "a&nbsp;b</p><pre>line 1\nline   2\n</pre><p>after</p>",
              &x);
    assert_string_equal(x.text, "café & <tag> 가가 a b\nline 1\nline 2\n"
                                "after");
    arca_extract_free(&x);
}

static void test_img_alt(void **state)
{
    arca_extract x;
    (void)state;
    index_str("<p>before<img src=a.png alt=\"a picture\">after</p>", &x);
    assert_string_equal(x.text, "before a picture after");
    arca_extract_free(&x);
}

/* ---- Metadata ---- */

static void test_meta(void **state)
{
    arca_extract x;
    (void)state;
    index_str("<html lang=\"ko\"><head>"
              "<title>\n  NEAR   Forum\n 2023 </title>"
              "<meta name=\"Description\" content=\" The   forum\n page \">"
              "<meta name=\"keywords\" content=\"forum, NEAR\">"
              "<meta name=\"news_keywords\" content=\"Gyeongju\">"
              "<meta name=\"author\" content=\"Secretariat\">"
              "<meta property=\"article:published_time\" "
              "content=\"2023-12-13T10:00:00+09:00\">"
              "<meta name=\"dc.date.modified\" content=\"2024-01-02\">"
              "<meta name=\"robots\" content=\"index\">"
              "<meta property=\"og:title\" content=\"Not the title\">"
              "</head><body>x</body></html>",
              &x);
    assert_string_equal(x.title, "NEAR Forum 2023");
    assert_string_equal(x.description, "The forum page");
    assert_string_equal(x.keywords, "forum, NEAR, Gyeongju");
    assert_string_equal(x.author, "Secretariat");
    assert_string_equal(x.date, "2023-12-13");
    assert_string_equal(x.lang, "ko");
    int robots = 0;
    for (size_t i = 0; i < x.nfields; i++)
        robots |= strcmp(x.fields[i].name, "robots") == 0 &&
                  strcmp(x.fields[i].value, "index") == 0;
    assert_true(robots);
    arca_extract_free(&x);
}

static void test_meta_fallbacks(void **state)
{
    arca_extract x;
    (void)state;
    /* No <title>: og:title.  A date in words.  Language from a meta. */
    index_str("<head><meta property=\"og:title\" content=\"From OG\">"
              "<meta name=\"date\" content=\"Wed, 13 Dec 2023 10:00:00 GMT\">"
              "<meta http-equiv=\"content-language\" content=\"ru\">"
              "</head><body>x</body>",
              &x);
    assert_string_equal(x.title, "From OG");
    assert_string_equal(x.date, "2023-12-13");
    assert_string_equal(x.lang, "ru");
    arca_extract_free(&x);

    /* A date that does not parse is a field, not x.date. */
    index_str("<meta name=\"date\" content=\"sometime last spring\">"
              "<p>x</p>",
              &x);
    assert_null(x.date);
    assert_int_equal(x.nfields, 1);
    assert_string_equal(x.fields[0].name, "date");
    assert_string_equal(x.fields[0].value, "sometime last spring");
    arca_extract_free(&x);

    /* A lang attribute that is no language tag is ignored. */
    index_str("<html lang=\"<script>\"><p>x</p></html>", &x);
    assert_null(x.lang);
    arca_extract_free(&x);
}

static void test_date_parse(void **state)
{
    static const char *const ok[][2] = {
        {"2023-12-13", "2023-12-13"},
        {"2023-12-13T10:00:00+09:00", "2023-12-13"},
        {"2023/12/13", "2023-12-13"},
        {"2023.1.5", "2023-01-05"},
        {"20231213", "2023-12-13"},
        {"13.12.2023", "2023-12-13"},
        {"12/13/2023", "2023-12-13"},
        {"13 Dec 2023", "2023-12-13"},
        {"December 13, 2023", "2023-12-13"},
        {"Wed, 13 Dec 2023 10:00:00 GMT", "2023-12-13"},
        {"2023년 12월 13일", "2023-12-13"},
        {"2024-02-29", "2024-02-29"},
    };
    static const char *const bad[] = {"", "2023", "2023-13-01",
                                      "2023-02-30", "2023-02-29",
                                      "soon", "99/99/99", "Dec 2023"};
    char out[11];
    (void)state;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (!arca_date_parse(ok[i][0], out))
            fail_msg("\"%s\" did not parse", ok[i][0]);
        assert_string_equal(out, ok[i][1]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (arca_date_parse(bad[i], out))
            fail_msg("\"%s\" parsed as %s", bad[i], out);
}

/* ---- Charsets ---- */

/* A small Korean page: PROLOG, then HEAD inside <head>. */
static char *ko_page(const char *prolog, const char *head)
{
    char *page;
    assert_true(asprintf(&page,
                         "%s<html><head>%s<title>동북아 지방정부</title>"
                         "</head><body><p>경주시에서 국제 포럼이 "
                         "열렸습니다.</p></body></html>",
                         prolog, head) > 0);
    return page;
}

static void check_korean(arca_extract *x)
{
    assert_string_equal(x->title, "동북아 지방정부");
    assert_string_equal(x->text, "경주시에서 국제 포럼이 열렸습니다.");
}

static void test_meta_charset(void **state)
{
    static const char *const decl[][2] = {
        {"<meta charset=\"euc-kr\">", "EUC-KR"},
        {"<meta charset=EUC-KR/>", "EUC-KR"},
        {"<meta http-equiv=\"Content-Type\" "
         "content=\"text/html; charset=ks_c_5601-1987\">",
         "CP949"},
        {"<META CONTENT='text/html; CHARSET=euc-kr' "
         "HTTP-EQUIV='content-type'>",
         "EUC-KR"},
        /* A commented-out declaration does not count. */
        {"<!-- <meta charset=\"koi8-r\"> --><meta charset=\"euc-kr\">",
         "EUC-KR"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof decl / sizeof decl[0]; i++) {
        char *utf8, *raw;
        size_t len;
        arca_extract x;
        utf8 = ko_page("", decl[i][0]);
        raw = encode("EUC-KR", utf8, &len);
        assert_int_equal(index_html(raw, len, "k.html", "iso-8859-1", 0, 0,
                                    &x),
                         ARCA_OK);
        check_korean(&x);
        assert_string_equal(x.charset, decl[i][1]);
        arca_extract_free(&x);
        free(raw);
        free(utf8);
    }
}

static void test_xml_declaration_charset(void **state)
{
    char *raw;
    size_t len;
    arca_extract x;
    (void)state;
    /* The XML declaration is read before the meta. */
    char *page = ko_page("<?xml version=\"1.0\" encoding=\"EUC-KR\"?>\n",
                         "<meta charset=\"shift_jis\">");
    raw = encode("EUC-KR", page, &len);
    assert_int_equal(index_html(raw, len, "x.html", NULL, 0, 0, &x),
                     ARCA_OK);
    check_korean(&x);
    assert_string_equal(x.charset, "EUC-KR");
    arca_extract_free(&x);
    free(raw);
    free(page);
}

static void test_bom_and_detection(void **state)
{
    char *page, *raw, *body;
    size_t len;
    arca_extract x;
    (void)state;
    page = ko_page("", "");

    /* UTF-16LE with a BOM. */
    body = encode("UTF-16LE", page, &len);
    raw = malloc(len + 2);
    memcpy(raw, "\xFF\xFE", 2);
    memcpy(raw + 2, body, len);
    assert_int_equal(index_html(raw, len + 2, "u.html", NULL, 0, 0, &x),
                     ARCA_OK);
    check_korean(&x);
    assert_string_equal(x.charset, "UTF-16LE");
    arca_extract_free(&x);
    free(raw);
    free(body);

    /* No declaration at all: detected. */
    raw = encode("EUC-KR", page, &len);
    assert_int_equal(index_html(raw, len, "n.html", NULL, 0, 0, &x),
                     ARCA_OK);
    check_korean(&x);
    assert_string_equal(x.charset, "EUC-KR");
    arca_extract_free(&x);
    free(raw);

    /* A meta saying UTF-16 in an ASCII-compatible page means UTF-8. */
    free(page);
    page = ko_page("", "<meta charset=\"utf-16\">");
    assert_int_equal(index_html(page, strlen(page), "w.html", NULL, 0, 0,
                                &x),
                     ARCA_OK);
    check_korean(&x);
    assert_string_equal(x.charset, "UTF-8");
    arca_extract_free(&x);
    free(page);
}

/* Legacy page and UTF-8 twin: same title, same text. */
static void check_twins(const char *legacy, const char *twin,
                        const char *charset)
{
    arca_extract a, b;
    index_file(legacy, &a);
    index_file(twin, &b);
    if (strcmp(a.text, b.text) != 0)
        fail_msg("%s (as %s) and %s differ in text", legacy, a.charset,
                 twin);
    assert_non_null(a.title);
    assert_string_equal(a.title, b.title);
    assert_true(a.len > 200);
    if (charset != NULL)
        assert_string_equal(a.charset, charset);
    arca_extract_free(&a);
    arca_extract_free(&b);
}

static void test_fixture_twins(void **state)
{
    static const char *const pairs[][3] = {
        {"ko/plug-in-dbbrowser.cp949.nometa.html",
         "ko/plug-in-dbbrowser.utf-8.html", "EUC-KR"},
        {"ru/gimp-layer-mask-selection-intersect.koi8-r.meta.html",
         "ru/gimp-layer-mask-selection-intersect.utf-8.html", "KOI8-R"},
        {"ja/gimp-image-window-quick-mask-button.shift_jis.meta.html",
         "ja/gimp-image-window-quick-mask-button.utf-8.html", "SHIFT_JIS"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char *a, *b;
        assert_true(asprintf(&a, "%s/encodings/%s", testdata(),
                             pairs[i][0]) > 0);
        assert_true(asprintf(&b, "%s/encodings/%s", testdata(),
                             pairs[i][1]) > 0);
        check_twins(a, b, pairs[i][2]);
        free(a);
        free(b);
    }
}

static void test_corpus_twins(void **state)
{
    static const char *const langs[] = {"ko", "ja", "zh_CN", "ru"};
    const char *c = corpus();
    size_t checked = 0;
    (void)state;
    if (c == NULL)
        skip();
    for (size_t l = 0; l < 4; l++) {
        char *dir;
        assert_true(asprintf(&dir, "%s/encodings/%s", c, langs[l]) > 0);
        DIR *d = opendir(dir);
        assert_non_null(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            /* page.ENC.meta.html / page.ENC.nometa.html */
            const char *tail = strstr(e->d_name, "meta.html");
            if (tail == NULL || strstr(e->d_name, ".utf-8.") != NULL)
                continue;
            const char *end = tail - (tail[-1] == 'o' ? 3 : 1);
            const char *dot = end;
            while (dot > e->d_name && dot[-1] != '.')
                dot--;
            char *a, *b;
            assert_true(asprintf(&a, "%s/%s", dir, e->d_name) > 0);
            assert_true(asprintf(&b, "%s/%.*sutf-8.html", dir,
                                 (int)(dot - e->d_name), e->d_name) > 0);
            check_twins(a, b, NULL);
            free(a);
            free(b);
            checked++;
        }
        closedir(d);
        free(dir);
    }
    assert_true(checked >= 8);
}

/* Every page of the shared corpus: a title, text, valid UTF-8, fast. */
static void test_corpus_pages(void **state)
{
    static const char *const langs[] = {"en", "ko", "ja", "zh_CN", "ru"};
    const char *c = corpus();
    size_t pages = 0;
    double seconds = 0;
    (void)state;
    if (c == NULL)
        skip();
    for (size_t l = 0; l < 5; l++) {
        char *dir;
        assert_true(asprintf(&dir, "%s/html/%s", c, langs[l]) > 0);
        DIR *d = opendir(dir);
        assert_non_null(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strstr(e->d_name, ".html") == NULL)
                continue;
            char *path;
            size_t len;
            arca_extract x;
            assert_true(asprintf(&path, "%s/%s", dir, e->d_name) > 0);
            char *data = read_file(path, &len);
            assert_non_null(data);
            clock_t t0 = clock();
            assert_int_equal(index_html(data, len, path, "utf-8", 0, 0, &x),
                             ARCA_OK);
            seconds += (double)(clock() - t0) / CLOCKS_PER_SEC;
            if (x.title == NULL || x.len == 0)
                fail_msg("%s: no title or no text", path);
            assert_false(x.truncated);
            arca_extract_free(&x);
            free(data);
            free(path);
            pages++;
        }
        closedir(d);
        free(dir);
    }
    assert_true(pages >= 750);
    print_message("    %zu pages, %.3f ms per page\n", pages,
                  seconds * 1000 / (double)pages);
}

/* ---- Bounds and hostile input ---- */

static void test_deep_nesting(void **state)
{
    size_t n = 100000, len = 0;
    char *html = malloc(n * 11 + 64);
    (void)state;
    len += (size_t)sprintf(html, "<p>before</p>");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(html + len, "<div>");
    len += (size_t)sprintf(html + len, "deep text");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(html + len, "</div>");
    arca_extract x;
    clock_t t0 = clock();
    assert_int_equal(index_html(html, len, "deep.html", NULL, 0, 200, &x),
                     ARCA_OK);
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
    assert_true(x.truncated);
    assert_string_equal(x.text, "before");
    arca_extract_free(&x);

    /* Within the limit the text is all there. */
    len = (size_t)sprintf(html, "<div><div><div><b>three deep</b></div></div>"
                                "</div>");
    assert_int_equal(index_html(html, len, "ok.html", NULL, 0, 200, &x),
                     ARCA_OK);
    assert_false(x.truncated);
    assert_string_equal(x.text, "three deep");
    arca_extract_free(&x);
    free(html);
}

static void test_text_cap(void **state)
{
    char html[8192] = "<p>";
    arca_extract x;
    (void)state;
    for (int i = 0; i < 200; i++)
        strcat(html, "한국어 ");
    strcat(html, "</p>");
    /* 100 bytes: 한 is three bytes, so the cut falls inside a word. */
    assert_int_equal(index_html(html, strlen(html), "cap.html", NULL, 100, 0,
                                &x),
                     ARCA_OK);
    assert_true(x.truncated);
    assert_true(x.len <= 100 && x.len >= 96);
    arca_extract_free(&x);
}

static void test_attribute_bomb(void **state)
{
    /* libxml2 compares each attribute name with all earlier ones. */
    size_t n = 200000, len = 0;
    char *html = malloc(n * 12 + 64);
    (void)state;
    len += (size_t)sprintf(html, "<p");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(html + len, " a%zu=1", i);
    len += (size_t)sprintf(html + len, ">visible</p>");
    arca_extract x;
    clock_t t0 = clock();
    assert_int_equal(index_html(html, len, "attrs.html", NULL, 0, 0, &x),
                     ARCA_OK);
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
    assert_string_equal(x.text, "visible");
    arca_extract_free(&x);
    free(html);
}

static void test_garbage(void **state)
{
    arca_extract x;
    unsigned char junk[65536];
    uint32_t seed = 99;
    (void)state;
    for (size_t i = 0; i < sizeof junk; i++) {
        seed = seed * 1103515245u + 12345u;
        junk[i] = (unsigned char)(seed >> 16);
        if (i % 7 == 0)
            junk[i] = "<>/=\"&;"[(seed >> 8) % 7];
    }
    assert_int_equal(index_html(junk, sizeof junk, "junk.html", "utf-8", 0,
                                0, &x),
                     ARCA_OK);
    arca_extract_free(&x);

    /* Empty input: no text, no title, no failure. */
    assert_int_equal(index_html("", 0, "empty.html", NULL, 0, 0, &x),
                     ARCA_OK);
    assert_int_equal(x.len, 0);
    assert_null(x.title);
    arca_extract_free(&x);

    /* NULs inside (UTF-16 without a BOM read as bytes, say). */
    static const char nul[] = "<p>a\0b</p>\0<p>c</p>";
    assert_int_equal(index_html(nul, sizeof nul - 1, "nul.html", NULL, 0, 0,
                                &x),
                     ARCA_OK);
    assert_string_equal(x.text, "ab\nc");
    arca_extract_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gimp_pages),
        cmocka_unit_test(test_hidden_content),
        cmocka_unit_test(test_blocks_and_inline),
        cmocka_unit_test(test_pre_and_entities),
        cmocka_unit_test(test_img_alt),
        cmocka_unit_test(test_meta),
        cmocka_unit_test(test_meta_fallbacks),
        cmocka_unit_test(test_date_parse),
        cmocka_unit_test(test_meta_charset),
        cmocka_unit_test(test_xml_declaration_charset),
        cmocka_unit_test(test_bom_and_detection),
        cmocka_unit_test(test_fixture_twins),
        cmocka_unit_test(test_corpus_twins),
        cmocka_unit_test(test_corpus_pages),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_text_cap),
        cmocka_unit_test(test_attribute_bomb),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
