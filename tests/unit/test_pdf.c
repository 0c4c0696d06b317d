/*
 * test_pdf.c: arca_ix_pdf.  Korean and English text and metadata of the
 * shipped PDFs; the Info dictionary of a generated PDF (UTF-16 title,
 * creation date, creator, producer, page count) and its page without
 * text; a font whose ToUnicode map gives surrogates; encrypted PDFs (a
 * user password refuses, an owner password alone does not); damaged and
 * foreign bytes; the text cap and the page cap; silence on stdout and
 * stderr; several threads at once; OCR of scanned pages (Korean and
 * English words found, the scan's text in its page's place between text
 * pages, nothing read without OCR, missing languages, the OCR page cap,
 * pages of absurd sizes, threads); and, when the shared corpus is there,
 * every PDF in it, with its page count checked against the corpus
 * manifest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "indexers/image-private.h"
#include "indexers/indexer-private.h"
#include "indexers/pdf-private.h"
#include "ix.h"

/* Index DATA as a PDF into X (initialised here), with OCR in LANGS when
 * OCR is set; checks the text's form. */
static arca_status index_pdf_ocr(const void *data, size_t len,
                                 const char *name, size_t max_text, int ocr,
                                 const char *langs, arca_extract *x)
{
    arca_blob b = {data, len, name, "application/pdf", NULL};
    arca_limits lim = {.max_text = max_text ? max_text
                                                : ARCA_DEFAULT_MAX_TEXT,
                       .ocr = ocr,
                       .ocr_langs = langs};
    arca_extract_init(x, lim.max_text);
    return check_extract(arca_ix_pdf(&b, x, &lim), x, name, lim.max_text);
}

static arca_status index_pdf(const void *data, size_t len, const char *name,
                             size_t max_text, arca_extract *x)
{
    return index_pdf_ocr(data, len, name, max_text, 0, NULL, x);
}

/* Index the file at PATH; its status is returned, X is filled. */
static arca_status index_path(const char *path, size_t max_text,
                              arca_extract *x)
{
    size_t len;
    char *data = read_file(path, &len);
    if (data == NULL)
        fail_msg("cannot read %s", path);
    arca_status rc = index_pdf(data, len, path, max_text, x);
    free(data);
    return rc;
}

/* Index the shipped fixture NAME, which must succeed. */
static void index_fixture(const char *name, arca_extract *x)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pdf/%s", testdata(), name);
    if (index_path(path, 0, x) != ARCA_OK)
        fail_msg("%s: %s", path, x->errmsg);
}

static void assert_has(const arca_extract *x, const char *word)
{
    if (strstr(x->text, word) == NULL)
        fail_msg("\"%s\" not in the text", word);
}

/* ---- Shipped documents ---- */

static void test_korean(void **state)
{
    arca_extract x;
    (void)state;
    index_fixture("obchaptertoc-doc.pdf", &x);
    assert_has(&x, "chapter toc for oblivoir");
    assert_has(&x, "개요");
    assert_has(&x, "바탕으로 패키지로 만들었습니다.");
    assert_has(&x, "이것은 가장 간단한 parttoc를 위한 코드입니다.");
    assert_string_equal(x.date, "2020-09-03");
    assert_field(&x, "pages", "3");
    assert_field(&x, "creator", "LaTeX with hyperref");
    assert_field(&x, "producer", "xdvipdfmx (20200315)");
    assert_null(field(&x, "pages_without_text"));
    assert_false(x.truncated);
    arca_extract_free(&x);
}

static void test_english(void **state)
{
    arca_extract x;
    (void)state;
    index_fixture("a-text.pdf", &x);
    /* Both pages, in order, on lines of their own. */
    char *one = strstr(x.text, "This is a text from LibreOffice Writer...");
    char *two = strstr(x.text, "This is the second page.");
    assert_non_null(one);
    assert_non_null(two);
    assert_true(one < two);
    assert_true(two == x.text || two[-1] == '\n');
    assert_has(&x, "A test only.");
    assert_string_equal(x.author, "Eriberto Mota");
    assert_null(x.title);
    assert_string_equal(x.date, "2020-09-11");
    assert_field(&x, "pages", "2");
    assert_field(&x, "creator", "Writer");
    assert_field(&x, "producer", "LibreOffice 7.0");
    arca_extract_free(&x);
}

static const char metadata_text[] =
    "Arca fixture: the first page has text.\n"
    "Quarterly report on preservation of records.\n"
    "The third page says goodbye.\n"
    "Keyword: xylophone";

static void assert_metadata_pdf(const arca_extract *x)
{
    assert_string_equal(x->text, metadata_text);
    assert_string_equal(x->title, "아카이브 시험 문서");
    assert_string_equal(x->author, "Arca Test Suite");
    assert_string_equal(x->description, "Fixture for the PDF indexer");
    assert_string_equal(x->keywords, "pdf, poppler, fixture");
    assert_string_equal(x->date, "2023-12-13");
    assert_field(x, "creator", "gen.py");
    assert_field(x, "producer", "hand-written PDF");
    assert_field(x, "pages", "3");
    /* Page 2 is a filled rectangle: no text layer. */
    assert_field(x, "pages_without_text", "1");
}

static void test_metadata(void **state)
{
    arca_extract x;
    (void)state;
    index_fixture("metadata.pdf", &x);
    assert_metadata_pdf(&x);
    arca_extract_free(&x);
}

static void test_bad_tounicode(void **state)
{
    arca_extract x;
    (void)state;
    /* The font maps its glyphs to surrogates and to values past U+10FFFF:
     * the text is still valid UTF-8, with U+FFFD in their place. */
    index_fixture("surrogates.pdf", &x);
    assert_true(strncmp(x.text, "ok ", 3) == 0);
    assert_non_null(strstr(x.text, "\xEF\xBF\xBD"));
    assert_true(strcmp(x.text + x.len - 3, " ok") == 0);
    arca_extract_free(&x);
}

/* ---- Encryption ---- */

static void test_encrypted(void **state)
{
    char path[4096];
    arca_extract x;
    (void)state;
    snprintf(path, sizeof path, "%s/pdf/encrypted.pdf", testdata());
    assert_int_equal(index_path(path, 0, &x), ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "encrypted PDF: needs a password"));
    assert_int_equal(x.len, 0);
    assert_null(x.title);
    arca_extract_free(&x);
}

static void test_owner_password_only(void **state)
{
    arca_extract x;
    (void)state;
    /* Copying is forbidden by the permission flags; the archive indexes
     * it anyway, as pdftotext would. */
    index_fixture("restricted.pdf", &x);
    assert_metadata_pdf(&x);
    arca_extract_free(&x);
}

/* ---- Damaged and foreign input ---- */

static void test_truncated(void **state)
{
    char path[4096];
    arca_extract x;
    (void)state;
    snprintf(path, sizeof path, "%s/bad/truncated.pdf", testdata());
    assert_int_equal(index_path(path, 0, &x), ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "damaged PDF"));
    arca_extract_free(&x);
}

static void test_every_cut(void **state)
{
    char path[4096];
    size_t len;
    arca_extract x;
    (void)state;
    snprintf(path, sizeof path, "%s/pdf/metadata.pdf", testdata());
    char *data = read_file(path, &len);
    assert_non_null(data);
    /* Each prefix either gives text that starts the real text (poppler
     * repairs it) or a clear EFORMAT; never anything else. */
    int ok = 0, bad = 0;
    for (size_t cut = 1; cut < len; cut += 7) {
        arca_status rc = index_pdf(data, cut, "cut.pdf", 0, &x);
        if (rc == ARCA_OK) {
            assert_true(strncmp(metadata_text, x.text, x.len) == 0);
            ok++;
        } else {
            assert_int_equal(rc, ARCA_EFORMAT);
            assert_true(strncmp(x.errmsg, "cut.pdf: ", 9) == 0);
            bad++;
        }
        arca_extract_free(&x);
    }
    assert_true(bad > 0);
    assert_true(ok + bad == (int)((len - 2) / 7 + 1));
    free(data);
}

static void test_not_pdf(void **state)
{
    static const char *const inputs[] = {
        "", "%PDF-1.4\n", "hello, world\n",
        "<html><body>a page</body></html>\n",
    };
    arca_extract x;
    (void)state;
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        assert_int_equal(index_pdf(inputs[i], strlen(inputs[i]), "x.pdf", 0,
                                   &x),
                         ARCA_EFORMAT);
        assert_true(strncmp(x.errmsg, "x.pdf: ", 7) == 0);
        assert_int_equal(x.len, 0);
        arca_extract_free(&x);
    }
    /* Without a name the message still says what failed. */
    assert_int_equal(index_pdf("junk", 4, NULL, 0, &x), ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "PDF"));
    arca_extract_free(&x);
}

/* ---- Limits ---- */

static void test_text_cap(void **state)
{
    char path[4096];
    arca_extract x;
    (void)state;
    snprintf(path, sizeof path, "%s/pdf/metadata.pdf", testdata());
    assert_int_equal(index_path(path, 20, &x), ARCA_OK);
    assert_true(x.truncated);
    assert_string_equal(x.text, "Arca fixture: the fi");
    /* Reading stopped at the first page: the blank page was not reached,
     * but the metadata is all there. */
    assert_null(field(&x, "pages_without_text"));
    assert_field(&x, "pages", "3");
    assert_string_equal(x.author, "Arca Test Suite");
    arca_extract_free(&x);

    /* A cap inside a Korean character cuts before it. */
    snprintf(path, sizeof path, "%s/pdf/obchaptertoc-doc.pdf", testdata());
    for (size_t cap = 60; cap < 90; cap++) {
        assert_int_equal(index_path(path, cap, &x), ARCA_OK);
        assert_true(x.truncated);
        assert_true(x.len + 3 >= cap);
        arca_extract_free(&x);
    }
}

/* A PDF of N pages that each show "pg" (open_memstream'd). */
static char *many_pages(int n, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    long *off = calloc((size_t)n + 5, sizeof *off);
    static const char content[] = "BT /F1 12 Tf 72 720 Td (pg) Tj ET";
    assert_non_null(f);
    assert_non_null(off);
    fprintf(f, "%%PDF-1.4\n");
    off[1] = ftell(f);
    fprintf(f, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[2] = ftell(f);
    fprintf(f, "2 0 obj\n<< /Type /Pages /Count %d /Kids [", n);
    for (int i = 0; i < n; i++)
        fprintf(f, "%d 0 R ", i + 5);
    fprintf(f, "] >>\nendobj\n");
    off[3] = ftell(f);
    fprintf(f, "3 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont "
               "/Helvetica >>\nendobj\n");
    off[4] = ftell(f);
    fprintf(f, "4 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n",
            sizeof content - 1, content);
    for (int i = 0; i < n; i++) {
        off[i + 5] = ftell(f);
        fprintf(f, "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox "
                   "[0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                   "/Contents 4 0 R >>\nendobj\n", i + 5);
    }
    long xref = ftell(f);
    fprintf(f, "xref\n0 %d\n0000000000 65535 f \n", n + 5);
    for (int i = 1; i < n + 5; i++)
        fprintf(f, "%010ld 00000 n \n", off[i]);
    fprintf(f, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%ld\n"
               "%%%%EOF\n", n + 5, xref);
    fclose(f);
    free(off);
    return buf;
}

static size_t count(const char *s, const char *word)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, word)) != NULL; p += strlen(word))
        n++;
    return n;
}

static void test_page_cap(void **state)
{
    size_t len;
    arca_extract x;
    char want[32];
    (void)state;

    char *pdf = many_pages(3, &len);
    assert_int_equal(index_pdf(pdf, len, "three.pdf", 0, &x), ARCA_OK);
    assert_string_equal(x.text, "pg\npg\npg");
    assert_false(x.truncated);
    arca_extract_free(&x);
    free(pdf);

    pdf = many_pages(ARCA_PDF_MAX_PAGES + 1, &len);
    assert_int_equal(index_pdf(pdf, len, "many.pdf", 0, &x), ARCA_OK);
    assert_true(x.truncated);
    assert_int_equal(count(x.text, "pg"), ARCA_PDF_MAX_PAGES);
    snprintf(want, sizeof want, "%d", ARCA_PDF_MAX_PAGES + 1);
    assert_field(&x, "pages", want);
    arca_extract_free(&x);
    free(pdf);
}

/* ---- Quiet and thread-safe ---- */

static void test_quiet(void **state)
{
    char path[4096];
    arca_extract x;
    (void)state;
    /* GLib's default handler would now print poppler's syntax messages,
     * on stdout (info) or stderr: both go to TMP, which must stay empty. */
    setenv("G_MESSAGES_DEBUG", "all", 1);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    assert_true(saved_out >= 0 && saved_err >= 0);
    assert_true(dup2(fileno(tmp), 1) >= 0 && dup2(fileno(tmp), 2) >= 0);

    snprintf(path, sizeof path, "%s/bad/truncated.pdf", testdata());
    arca_status rc1 = index_path(path, 0, &x);
    arca_extract_free(&x);
    snprintf(path, sizeof path, "%s/pdf/metadata.pdf", testdata());
    size_t len;
    char *data = read_file(path, &len);
    arca_status rc2 = index_pdf(data, len / 2, "half.pdf", 0, &x);
    arca_extract_free(&x);
    free(data);

    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    unsetenv("G_MESSAGES_DEBUG");
    assert_int_equal(rc1, ARCA_EFORMAT);
    assert_int_equal(rc2, ARCA_EFORMAT);
    assert_int_equal(fseek(tmp, 0, SEEK_END), 0);
    long written = ftell(tmp);
    fclose(tmp);
    assert_int_equal(written, 0);
}

struct job {
    const char *path;
    int rounds;
    int failures;
    size_t len;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    size_t len;
    char *data = read_file(j->path, &len);
    for (int i = 0; i < j->rounds && data != NULL; i++) {
        arca_blob b = {(const unsigned char *)data, len, j->path,
                       "application/pdf", NULL};
        arca_limits lim = {.max_text = ARCA_DEFAULT_MAX_TEXT};
        arca_extract x;
        arca_extract_init(&x, lim.max_text);
        if (arca_ix_pdf(&b, &x, &lim) != ARCA_OK ||
            (j->len != 0 && x.len != j->len))
            j->failures++;
        j->len = x.len;
        arca_extract_free(&x);
    }
    if (data == NULL)
        j->failures++;
    free(data);
    return NULL;
}

static void test_threads(void **state)
{
    static const char *const names[] = {"metadata.pdf", "obchaptertoc-doc.pdf",
                                        "a-text.pdf", "restricted.pdf"};
    enum { N = 4 };
    char paths[N][4096];
    struct job jobs[N];
    pthread_t t[N];
    (void)state;
    for (int i = 0; i < N; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/pdf/%s", testdata(),
                 names[i]);
        jobs[i] = (struct job){paths[i], 8, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
        assert_true(jobs[i].len > 0);
    }
    assert_int_equal(jobs[0].len, strlen(metadata_text));
}

/* ---- OCR of scanned pages ---- */

/* Index the shipped fixture NAME with OCR (or not), which must succeed. */
static void index_scan(const char *name, int ocr, const char *langs,
                       size_t max_text, arca_extract *x)
{
    char path[4096];
    size_t len;
    snprintf(path, sizeof path, "%s/pdf/%s", testdata(), name);
    char *data = read_file(path, &len);
    if (data == NULL)
        fail_msg("cannot read %s", path);
    if (index_pdf_ocr(data, len, path, max_text, ocr, langs, x) != ARCA_OK)
        fail_msg("%s: %s", path, x->errmsg);
    free(data);
}

static void assert_no_field(const arca_extract *x, const char *name)
{
    const char *v = field(x, name);
    if (v != NULL)
        fail_msg("field %s: want none, got \"%s\"", name, v);
}

/* The share of the words of EXPECTED (punctuation around them dropped)
 * found in TEXT; their count to *nwords. */
static double word_share(const char *expected, const char *text,
                         size_t *nwords)
{
    char *copy = strdup(expected), *save = NULL;
    size_t found = 0, total = 0;
    assert_non_null(copy);
    for (char *w = strtok_r(copy, " \t\r\n", &save); w != NULL;
         w = strtok_r(NULL, " \t\r\n", &save)) {
        size_t n = strlen(w);
        while (n > 0 && strchr(".,;:()\"'", w[n - 1]) != NULL)
            w[--n] = '\0';
        if (n == 0)
            continue;
        total++;
        found += strstr(text, w) != NULL;
    }
    free(copy);
    *nwords = total;
    return total ? (double)found / total : 0;
}

/* scan.pdf: one page holding a scan of Korean and English paragraphs, no
 * text layer. */
static void test_scan_ocr(void **state)
{
    char path[4096];
    size_t elen, n;
    arca_extract x;
    (void)state;
    snprintf(path, sizeof path, "%s/pdf/scan.expected.txt", testdata());
    char *expected = read_file(path, &elen);
    assert_non_null(expected);
    expected = realloc(expected, elen + 1);
    assert_non_null(expected);
    expected[elen] = '\0';

    index_scan("scan.pdf", 1, "kor+eng", 0, &x);
    double share = word_share(expected, x.text, &n);
    printf("# OCR scan.pdf kor+eng: %zu words, %.1f %% found\n", n,
           100 * share);
    assert_true(share >= 0.7);
    assert_has(&x, "rectangular selection");
    assert_has(&x, "마우스");
    assert_has(&x, "화살표");
    assert_field(&x, "pages", "1");
    assert_field(&x, "pages_without_text", "1");
    assert_field(&x, "pages_ocr", "1");
    assert_no_field(&x, "pages_ocr_skipped");
    assert_no_field(&x, "ocr_note");
    assert_string_equal(x.title, "A scanned page");
    /* The page's text ends where its last line does. */
    assert_true(x.len > 0 && x.text[x.len - 1] != '\n');
    arca_extract_free(&x);
    free(expected);
}

static void test_scan_without_ocr(void **state)
{
    arca_extract x;
    (void)state;
    index_scan("scan.pdf", 0, NULL, 0, &x);
    assert_int_equal(x.len, 0);
    assert_field(&x, "pages_without_text", "1");
    assert_no_field(&x, "pages_ocr");
    assert_no_field(&x, "pages_ocr_skipped");
    assert_string_equal(x.title, "A scanned page");
    arca_extract_free(&x);

    /* Without any page lacking text, OCR on changes nothing. */
    index_scan("a-text.pdf", 1, "eng", 0, &x);
    assert_has(&x, "This is the second page.");
    assert_no_field(&x, "pages_without_text");
    assert_no_field(&x, "pages_ocr");
    arca_extract_free(&x);
}

static const char mixed_text[] = "Page one: the text layer comes first.\n"
                                 "Page three: the text layer comes last.";

/* mixed-scan.pdf: a text page, a scanned page, a text page. */
static void test_mixed_order(void **state)
{
    arca_extract x;
    (void)state;
    index_scan("mixed-scan.pdf", 0, NULL, 0, &x);
    assert_string_equal(x.text, mixed_text);
    assert_field(&x, "pages_without_text", "1");
    arca_extract_free(&x);

    index_scan("mixed-scan.pdf", 1, "kor+eng", 0, &x);
    char *one = strstr(x.text, "Page one: the text layer comes first.");
    char *help = strstr(x.text, "Context Help");
    char *window = strstr(x.text, "Image Window");
    char *korean = strstr(x.text, "이미지");
    char *three = strstr(x.text, "Page three: the text layer comes last.");
    if (!one || !help || !window || !korean || !three)
        fail_msg("a page is missing from the text:\n%s", x.text);
    /* In page order, each page's text on lines of its own. */
    assert_true(one == x.text);
    assert_true(one < help && help < window && window < three);
    assert_true(korean < three);
    assert_true(three[-1] == '\n');
    assert_true(one[strlen("Page one: the text layer comes first.")] ==
                '\n');
    assert_string_equal(three, "Page three: the text layer comes last.");
    assert_field(&x, "pages", "3");
    assert_field(&x, "pages_without_text", "1");
    assert_field(&x, "pages_ocr", "1");
    arca_extract_free(&x);
}

static void test_ocr_missing_langs(void **state)
{
    arca_extract x;
    (void)state;
    /* The languages are missing: the text layer is kept, the scanned
     * page is counted as skipped, and the note says why. */
    index_scan("mixed-scan.pdf", 1, "xx_none", 0, &x);
    assert_string_equal(x.text, mixed_text);
    assert_field(&x, "pages_without_text", "1");
    assert_field(&x, "pages_ocr", "0");
    assert_field(&x, "pages_ocr_skipped", "1");
    const char *note = field(&x, "ocr_note");
    assert_non_null(note);
    assert_non_null(strstr(note, "page 2"));
    assert_non_null(strstr(note, "xx_none"));
    assert_int_equal(x.errmsg[0], '\0');
    arca_extract_free(&x);
}

static void test_ocr_text_cap(void **state)
{
    arca_extract x;
    (void)state;
    index_scan("scan.pdf", 1, "eng", 16, &x);
    assert_true(x.truncated);
    assert_true(x.len > 0 && x.len <= 16);
    assert_field(&x, "pages_ocr", "1");
    arca_extract_free(&x);

    /* The cap is reached on page one: the scan is not even rendered. */
    index_scan("mixed-scan.pdf", 1, "eng", 10, &x);
    assert_true(x.truncated);
    assert_string_equal(x.text, "Page one: ");
    assert_no_field(&x, "pages_ocr");
    arca_extract_free(&x);
}

/* A PDF of N pages with no content, each with the media box BOX
 * (open_memstream'd). */
static char *blank_pages(int n, const char *box, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    long *off = calloc((size_t)n + 3, sizeof *off);
    assert_non_null(f);
    assert_non_null(off);
    fprintf(f, "%%PDF-1.4\n");
    off[1] = ftell(f);
    fprintf(f, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[2] = ftell(f);
    fprintf(f, "2 0 obj\n<< /Type /Pages /Count %d /Kids [", n);
    for (int i = 0; i < n; i++)
        fprintf(f, "%d 0 R ", i + 3);
    fprintf(f, "] >>\nendobj\n");
    for (int i = 0; i < n; i++) {
        off[i + 3] = ftell(f);
        fprintf(f, "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox %s "
                   ">>\nendobj\n", i + 3, box);
    }
    long xref = ftell(f);
    fprintf(f, "xref\n0 %d\n0000000000 65535 f \n", n + 3);
    for (int i = 1; i < n + 3; i++)
        fprintf(f, "%010ld 00000 n \n", off[i]);
    fprintf(f, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%ld\n"
               "%%%%EOF\n", n + 3, xref);
    fclose(f);
    free(off);
    return buf;
}

static void test_ocr_page_cap(void **state)
{
    size_t len;
    arca_extract x;
    char want[32];
    (void)state;
    /* Small empty pages, quick to read: OCR stops at its page cap. */
    int n = ARCA_PDF_OCR_MAX_PAGES + 2;
    char *pdf = blank_pages(n, "[0 0 12 12]", &len);
    assert_int_equal(index_pdf_ocr(pdf, len, "blank.pdf", 0, 1, "eng", &x),
                     ARCA_OK);
    assert_int_equal(x.len, 0);
    snprintf(want, sizeof want, "%d", n);
    assert_field(&x, "pages_without_text", want);
    snprintf(want, sizeof want, "%d", ARCA_PDF_OCR_MAX_PAGES);
    assert_field(&x, "pages_ocr", want);
    assert_field(&x, "pages_ocr_skipped", "2");
    const char *note = field(&x, "ocr_note");
    assert_non_null(note);
    snprintf(want, sizeof want, "page %d:", ARCA_PDF_OCR_MAX_PAGES + 1);
    assert_non_null(strstr(note, want));
    snprintf(want, sizeof want, "%d scanned pages", ARCA_PDF_OCR_MAX_PAGES);
    assert_non_null(strstr(note, want));
    arca_extract_free(&x);
    free(pdf);
}

static void test_ocr_odd_sizes(void **state)
{
    static const char *const boxes[] = {
        "[0 0 0 0]",   "[0 0 -50 -50]",  "[0 0 1e30 1e30]",
        "[0 0 14400 1]", "[0 0 100000 100000]", "[0 0 0.001 500]",
        "[0 0 /x 5]",
    };
    size_t len;
    arca_extract x;
    (void)state;
    /* Whatever size a page claims, it is rendered within the bounds (or
     * skipped with a reason); nothing fails and nothing is read. */
    for (size_t i = 0; i < sizeof boxes / sizeof boxes[0]; i++) {
        char *pdf = blank_pages(1, boxes[i], &len);
        arca_status rc = index_pdf_ocr(pdf, len, "odd.pdf", 0, 1, "eng", &x);
        if (rc != ARCA_OK)
            fail_msg("media box %s: %s", boxes[i], x.errmsg);
        assert_int_equal(x.len, 0);
        assert_field(&x, "pages_without_text", "1");
        const char *read = field(&x, "pages_ocr");
        const char *skipped = field(&x, "pages_ocr_skipped");
        assert_non_null(read);
        assert_int_equal(atoi(read) + (skipped ? atoi(skipped) : 0), 1);
        printf("# media box %-22s pages_ocr %s, skipped %s\n", boxes[i],
               read, skipped ? skipped : "0");
        arca_extract_free(&x);
        free(pdf);
    }
}

struct ocr_job {
    const char *path;
    int rounds;
    int failures;
};

static void *ocr_worker(void *arg)
{
    struct ocr_job *j = arg;
    size_t len;
    char *data = read_file(j->path, &len);
    for (int i = 0; i < j->rounds && data != NULL; i++) {
        arca_blob b = {(const unsigned char *)data, len, j->path,
                       "application/pdf", NULL};
        arca_limits lim = {.max_text = ARCA_DEFAULT_MAX_TEXT, .ocr = 1,
                           .ocr_langs = "kor+eng"};
        arca_extract x;
        arca_extract_init(&x, lim.max_text);
        if (arca_ix_pdf(&b, &x, &lim) != ARCA_OK ||
            strstr(x.text, "Image Window") == NULL ||
            strstr(x.text, "Page three") == NULL)
            j->failures++;
        arca_extract_free(&x);
    }
    if (data == NULL)
        j->failures++;
    free(data);
    return NULL;
}

/* Several threads render and read scans at once, each with its own
 * engine (deleted as the thread exits). */
static void test_ocr_threads(void **state)
{
    enum { N = 2 };
    char path[4096];
    struct ocr_job jobs[N];
    pthread_t t[N];
    (void)state;
    snprintf(path, sizeof path, "%s/pdf/mixed-scan.pdf", testdata());
    for (int i = 0; i < N; i++) {
        jobs[i] = (struct ocr_job){path, 2, 0};
        assert_int_equal(pthread_create(&t[i], NULL, ocr_worker, &jobs[i]),
                         0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
}

/* ---- The shared corpus ---- */

/* The page count the manifest's notes give for PATH ("pages: N"), or -1. */
static int manifest_pages(const char *manifest, const char *rel)
{
    size_t n = strlen(rel);
    for (const char *p = manifest; p != NULL && *p;) {
        const char *eol = strchr(p, '\n');
        if (strncmp(p, rel, n) == 0 && p[n] == '\t') {
            const char *pg = strstr(p, "pages: ");
            if (pg != NULL && (eol == NULL || pg < eol))
                return atoi(pg + 7);
            return -1;
        }
        p = eol ? eol + 1 : NULL;
    }
    return -1;
}

static void test_corpus(void **state)
{
    const char *c = corpus();
    char path[8192], want[16];
    size_t mlen;
    (void)state;
    if (c == NULL) {
        skip();
        return;
    }
    snprintf(path, sizeof path, "%s/MANIFEST.tsv", c);
    char *manifest = read_file(path, &mlen);
    assert_non_null(manifest);
    manifest = realloc(manifest, mlen + 1);
    manifest[mlen] = '\0';

    snprintf(path, sizeof path, "%s/pdf", c);
    DIR *top = opendir(path);
    assert_non_null(top);
    int seen = 0;
    struct dirent *pkg;
    while ((pkg = readdir(top)) != NULL) {
        if (pkg->d_name[0] == '.')
            continue;
        char sub[8192];
        snprintf(sub, sizeof sub, "%s/pdf/%s", c, pkg->d_name);
        DIR *d = opendir(sub);
        if (d == NULL)
            continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n < 5 || strcmp(e->d_name + n - 4, ".pdf") != 0)
                continue;
            char rel[1024];
            arca_extract x;
            snprintf(rel, sizeof rel, "pdf/%s/%s", pkg->d_name, e->d_name);
            snprintf(path, sizeof path, "%s/%s", c, rel);
            if (index_path(path, 0, &x) != ARCA_OK)
                fail_msg("%s: %s", path, x.errmsg);
            if (x.len < 100)
                fail_msg("%s: only %zu bytes of text", path, x.len);
            int pages = manifest_pages(manifest, rel);
            if (pages > 0) {
                snprintf(want, sizeof want, "%d", pages);
                assert_field(&x, "pages", want);
            }
            assert_non_null(x.date);
            arca_extract_free(&x);
            seen++;
        }
        closedir(d);
    }
    closedir(top);
    assert_true(seen >= 20);

    /* Some of them, by words only their text holds. */
    static const struct {
        const char *rel, *title, *word;
    } known[] = {
        {"pdf/texlive-lang-korean/nanum-sampler.pdf", NULL,
         "나눔글꼴은 네이버가 공개한 유니코드 기반의 한글 지원 글꼴이다."},
        {"pdf/texlive-lang-korean/cjk-ko-doc.pdf", "cjk-ko 간단 매뉴얼", NULL},
        {"pdf/texlive-lang-chinese/zhlipsum.pdf",
         "zhlipsum: 中文乱数假文（Lorem ipsum）", "有一个胡子雪雪白的上帝"},
        {"pdf/texlive-lang-japanese/bxjaholiday-ja.pdf",
         "bxjaholidayパッケージ", NULL},
        {"pdf/texlive-lang-cyrillic/churchslavonic-ru.pdf", NULL,
         "церковнославянских текстов"},
        {"pdf/golang-github-jung-kurt-gofpdf-dev/Fpdf_AddUTF8Font.pdf", NULL,
         "Φάτε μερικά από αυτά τα μαλακά γαλλικά"},
        {"pdf/simh/pdp11interrupts.pdf",
         "PDP-11 Interrupts: Variations On A Theme", "Interrupt"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        arca_extract x;
        snprintf(path, sizeof path, "%s/%s", c, known[i].rel);
        assert_int_equal(index_path(path, 0, &x), ARCA_OK);
        if (known[i].title != NULL)
            assert_string_equal(x.title, known[i].title);
        if (known[i].word != NULL && strstr(x.text, known[i].word) == NULL)
            fail_msg("%s: \"%s\" not in the text", path, known[i].word);
        arca_extract_free(&x);
    }

    /* The truncated PDF of the corpus fails clearly. */
    arca_extract x;
    snprintf(path, sizeof path, "%s/bad/truncated.pdf", c);
    assert_int_equal(index_path(path, 0, &x), ARCA_EFORMAT);
    arca_extract_free(&x);
    free(manifest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_korean),
        cmocka_unit_test(test_english),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_bad_tounicode),
        cmocka_unit_test(test_encrypted),
        cmocka_unit_test(test_owner_password_only),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_every_cut),
        cmocka_unit_test(test_not_pdf),
        cmocka_unit_test(test_text_cap),
        cmocka_unit_test(test_page_cap),
        cmocka_unit_test(test_quiet),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_scan_ocr),
        cmocka_unit_test(test_scan_without_ocr),
        cmocka_unit_test(test_mixed_order),
        cmocka_unit_test(test_ocr_missing_langs),
        cmocka_unit_test(test_ocr_text_cap),
        cmocka_unit_test(test_ocr_page_cap),
        cmocka_unit_test(test_ocr_odd_sizes),
        cmocka_unit_test(test_ocr_threads),
        cmocka_unit_test(test_corpus),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    /* The main thread's tesseract engine, so that leak checkers see
     * nothing. */
    arca_image_thread_release();
    return failed;
}
