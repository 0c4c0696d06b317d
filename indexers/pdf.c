/*
 * pdf.c: the indexer of PDF documents, through poppler-glib, in process.
 * The document is opened from the caller's bytes without copying them
 * (a static GBytes), its Info dictionary gives the metadata, and
 * poppler_page_get_text gives each page's text in reading order.  Pages
 * are joined by a line break.  A page whose text is empty or white space
 * has no text layer (a scan): they are counted in "pages_without_text".
 * With lim->ocr, such a page is rendered by poppler on a cairo image
 * surface at ARCA_PDF_OCR_DPI, turned grey, and read by tesseract
 * through the image indexer (arca_ocr_pixels: same engines, languages
 * and deadline); its text takes the page's place, and "pages_ocr"
 * counts those pages.
 *
 * Bounds: at most ARCA_PDF_MAX_PAGES pages are read, and reading stops
 * at the first page that reaches out->max (out->truncated is set either
 * way).  The count of pages without text covers the pages read.  OCR
 * renders a page with ARCA_PDF_OCR_MAX_SIDE pixels a side and
 * ARCA_IMAGE_MAX_PIXELS pixels at most (a larger page at a lower
 * resolution), and stops after ARCA_PDF_OCR_MAX_PAGES pages,
 * ARCA_PDF_OCR_MAX_PIXELS pixels or ARCA_PDF_OCR_MSECS in a document:
 * the scanned pages left are counted in "pages_ocr_skipped" and
 * "ocr_note" says why.  A page OCR fails on (tesseract gave up, its
 * languages are missing) is skipped the same way, since the text layer
 * of the other pages is still worth keeping; only a lack of memory fails
 * the document.  Poppler writes no files and runs no programs.  Time is
 * not bounded otherwise: poppler-glib cannot interrupt a page, so a page
 * whose content stream inflates to gigabytes takes as long as poppler
 * takes to read or draw it.
 *
 * Encryption: a PDF that needs a user password cannot be opened at all
 * (even its Info dictionary is encrypted), so it gives ARCA_EUNSUPPORTED
 * and a message saying so.  One with only an owner password opens, and
 * its text is extracted whatever the permission flags say, like
 * pdftotext does: the archive is its owner's.
 *
 * Logging: poppler reports syntax problems through g_log in the domain
 * "Poppler".  A handler that drops them is installed once per process
 * (pthread_once), because g_log handlers are global and several threads
 * index at once; the reason that matters reaches out->errmsg instead.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cairo.h>
#include <glib.h>
#include <poppler.h>

#include "image-private.h"
#include "indexer-private.h"
#include "pdf-private.h"

/* ---- Logging ---- */

static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void drop_log(const gchar *domain, GLogLevelFlags level,
                     const gchar *message, gpointer data)
{
    (void)domain;
    (void)level;
    (void)message;
    (void)data;
}

static void quiet_poppler(void)
{
    g_log_set_handler("Poppler",
                      G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
                          G_LOG_FLAG_RECURSION,
                      drop_log, NULL);
}

/* ---- Text ---- */

/*
 * Make S (poppler's, NUL-terminated) fit for the index, in place: drop
 * NUL and the C0 controls other than tab and line feed, DEL and the C1
 * controls; CR and form feed become line feeds.  S must be valid UTF-8.
 * Returns the new length; *blank is set when only white space is left.
 */
static size_t tidy(char *s, int *blank)
{
    unsigned char *u = (unsigned char *)s;
    size_t w = 0;
    int ink = 0;
    for (size_t r = 0; u[r] != '\0'; r++) {
        unsigned c = u[r];
        if (c == '\r' || c == '\f' || c == '\v') {
            u[w++] = '\n';
        } else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
            continue;
        } else if (c == 0xC2 && u[r + 1] >= 0x80 && u[r + 1] <= 0x9F) {
            r++;        /* a C1 control, U+0080..U+009F */
        } else {
            if (c != ' ' && c != '\t' && c != '\n')
                ink = 1;
            u[w++] = (unsigned char)c;
        }
    }
    u[w] = '\0';
    *blank = !ink;
    return w;
}

/*
 * S (g_malloc'd by poppler) as valid UTF-8: S itself when it is, else a
 * repaired copy (bad bytes become U+FFFD) and S is freed.  Poppler maps
 * glyphs through the document's own ToUnicode tables, which a hostile
 * file can fill with surrogates or values past U+10FFFF.
 */
static char *valid_utf8(char *s)
{
    if (s == NULL || arca_utf8_valid(s, strlen(s)))
        return s;
    char *v = g_utf8_make_valid(s, -1);
    g_free(s);
    if (v != NULL && !arca_utf8_valid(v, strlen(v))) {
        g_free(v);      /* GLib and arca disagree on validity: drop it */
        v = NULL;
    }
    return v;
}

/* Append TEXT[0..n) as the next page's text, on a line of its own. */
static arca_status append_page(arca_extract *out, const char *text, size_t n)
{
    arca_status rc = ARCA_OK;
    if (out->len > 0 && out->text[out->len - 1] != '\n')
        rc = arca_extract_append(out, "\n", 1);
    if (rc == ARCA_OK)
        rc = arca_extract_append(out, text, n);
    return rc;
}

/* Append the text of PAGE (NULL: a page object poppler could not find);
 * *blank when it has none. */
static arca_status add_page(PopplerPage *page, arca_extract *out, int *blank)
{
    char *text = NULL;
    arca_status rc = ARCA_OK;

    *blank = 1;
    if (page == NULL)
        goto out;
    text = valid_utf8(poppler_page_get_text(page));
    if (text == NULL)
        goto out;
    size_t n = tidy(text, blank);
    if (!*blank)
        rc = append_page(out, text, n);
out:
    g_free(text);
    return rc;
}

/* ---- OCR of pages without text ---- */

/* How OCR of one document goes. */
struct ocr_run {
    int read;                /* pages read by OCR */
    int skipped;             /* pages without text left unread */
    int stopped;             /* 1: the rest are skipped too */
    uint64_t pixels;         /* pixels rendered so far */
    int started;             /* 1: START is set */
    struct timespec start;   /* when the first page was given to OCR */
    char note[sizeof ((arca_extract *)0)->errmsg];  /* why the first was */
};

static long long msecs_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)(t.tv_sec - t0->tv_sec) * 1000 +
           (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Count a page left unread; the first reason (printf-style) is kept. */
static void skip_page(struct ocr_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void skip_page(struct ocr_run *run, const char *fmt, ...)
{
    run->skipped++;
    if (run->note[0] != '\0' || fmt == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->note, sizeof run->note, fmt, ap);
    va_end(ap);
}

/*
 * The size in pixels to render a page of PW x PH points at:
 * ARCA_PDF_OCR_DPI, or less to keep within ARCA_PDF_OCR_MAX_SIDE a side
 * and ARCA_IMAGE_MAX_PIXELS in all.  0 when the page has no usable size.
 */
static int render_size(double pw, double ph, int *w, int *h)
{
    if (!isfinite(pw) || !isfinite(ph) || pw <= 0 || ph <= 0)
        return 0;
    double scale = ARCA_PDF_OCR_DPI / 72.0;
    if (pw * scale > ARCA_PDF_OCR_MAX_SIDE)
        scale = ARCA_PDF_OCR_MAX_SIDE / pw;
    if (ph * scale > ARCA_PDF_OCR_MAX_SIDE)
        scale = ARCA_PDF_OCR_MAX_SIDE / ph;
    if (pw * scale * ph * scale > (double)ARCA_IMAGE_MAX_PIXELS)
        scale = sqrt((double)ARCA_IMAGE_MAX_PIXELS / (pw * ph));
    double dw = floor(pw * scale), dh = floor(ph * scale);
    *w = dw < 1 ? 1 : dw > ARCA_PDF_OCR_MAX_SIDE ? ARCA_PDF_OCR_MAX_SIDE
                                                  : (int)dw;
    *h = dh < 1 ? 1 : dh > ARCA_PDF_OCR_MAX_SIDE ? ARCA_PDF_OCR_MAX_SIDE
                                                  : (int)dh;
    return 1;
}

/*
 * The pixels of a cairo RGB24 surface (W x H, STRIDE bytes a row, each
 * pixel a native-endian 0xXXRRGGBB) made 8-bit grey in place, W bytes a
 * row: each grey byte lands at or before the pixel it comes from, so no
 * pixel is overwritten before it is read.
 */
static void to_grey(unsigned char *data, int w, int h, int stride)
{
    for (int y = 0; y < h; y++) {
        const unsigned char *row = data + (size_t)y * (size_t)stride;
        unsigned char *grey = data + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++) {
            uint32_t px;
            memcpy(&px, row + 4 * (size_t)x, 4);
            unsigned r = px >> 16 & 0xFF, g = px >> 8 & 0xFF, b = px & 0xFF;
            grey[x] = (unsigned char)((77 * r + 150 * g + 29 * b) >> 8);
        }
    }
}

/* PAGE (PW x PH points) drawn on a white surface of W x H pixels, or
 * NULL when cairo cannot make or draw on one (no memory for it). */
static cairo_surface_t *render(PopplerPage *page, double pw, double ph,
                               int w, int h)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, w / pw, h / ph);
    poppler_page_render(page, cr);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    return s;
}

/*
 * Read PAGE (the page numbered NO, from 1), which has no text layer, by
 * OCR into OUT, or count it in RUN as skipped and why.  Only a lack of
 * memory fails.
 */
static arca_status ocr_page(PopplerPage *page, int no,
                            const arca_limits *lim, arca_extract *out,
                            struct ocr_run *run)
{
    cairo_surface_t *surface = NULL;
    arca_extract text;
    double pw = 0, ph = 0;
    int w, h;
    arca_status rc = ARCA_OK;

    arca_extract_init(&text, out->max);
    if (run->stopped) {
        skip_page(run, NULL);
        goto out;
    }
    if (run->read >= ARCA_PDF_OCR_MAX_PAGES) {
        run->stopped = 1;
        skip_page(run, "page %d: OCR stops after %d scanned pages", no,
                  ARCA_PDF_OCR_MAX_PAGES);
        goto out;
    }
    if (!run->started) {
        clock_gettime(CLOCK_MONOTONIC, &run->start);
        run->started = 1;
    } else if (msecs_since(&run->start) > ARCA_PDF_OCR_MSECS) {
        run->stopped = 1;
        skip_page(run, "page %d: OCR stops after %d s on one document", no,
                  ARCA_PDF_OCR_MSECS / 1000);
        goto out;
    }
    if (page != NULL)
        poppler_page_get_size(page, &pw, &ph);
    if (page == NULL || !render_size(pw, ph, &w, &h)) {
        skip_page(run, "page %d: no page to render for OCR", no);
        goto out;
    }
    if (run->pixels + (uint64_t)w * (uint64_t)h > ARCA_PDF_OCR_MAX_PIXELS) {
        run->stopped = 1;
        skip_page(run, "page %d: OCR stops after %llu pixels rendered", no,
                  (unsigned long long)ARCA_PDF_OCR_MAX_PIXELS);
        goto out;
    }
    run->pixels += (uint64_t)w * (uint64_t)h;
    surface = render(page, pw, ph, w, h);
    if (surface == NULL) {
        skip_page(run, "page %d: cairo cannot render it at %dx%d pixels",
                  no, w, h);
        goto out;
    }
    unsigned char *data = cairo_image_surface_get_data(surface);
    to_grey(data, w, h, cairo_image_surface_get_stride(surface));
    rc = arca_ocr_pixels(data, w, h, 1, w, lim, &text);
    if (rc == ARCA_ENOMEM)
        goto out;
    if (rc != ARCA_OK) {
        /* Missing languages will be missing for every page. */
        run->stopped = rc == ARCA_EUNSUPPORTED;
        skip_page(run, "page %d: %s", no, text.errmsg);
        rc = ARCA_OK;
        goto out;
    }
    run->read++;
    int blank;
    size_t n = tidy(text.text, &blank);
    while (n > 0 && (text.text[n - 1] == '\n' || text.text[n - 1] == ' ' ||
                     text.text[n - 1] == '\t'))
        n--;
    if (!blank)
        rc = append_page(out, text.text, n);
    if (text.truncated)
        out->truncated = 1;
out:
    if (surface != NULL)
        cairo_surface_destroy(surface);
    arca_extract_free(&text);
    return rc;
}

/* The fields that tell how OCR went, when there was a page to read. */
static arca_status ocr_fields(arca_extract *out, const struct ocr_run *run)
{
    char num[32];
    snprintf(num, sizeof num, "%d", run->read);
    arca_status rc = arca_extract_field(out, "pages_ocr", num);
    if (rc == ARCA_OK && run->skipped > 0) {
        snprintf(num, sizeof num, "%d", run->skipped);
        rc = arca_extract_field(out, "pages_ocr_skipped", num);
        if (rc == ARCA_OK)
            rc = arca_extract_field(out, "ocr_note", run->note);
    }
    return rc;
}

/* ---- Metadata ---- */

/* Put poppler's string S (g_malloc'd, may be NULL) into SLOT or, when
 * SLOT is NULL, into the field NAME; S is freed. */
static arca_status put(arca_extract *out, char **slot, const char *name,
                       char *s)
{
    arca_status rc = ARCA_OK;
    s = valid_utf8(s);
    if (s == NULL)
        return ARCA_OK;
    if (slot != NULL)
        rc = arca_extract_set(out, slot, s);
    else
        rc = arca_extract_field(out, name, s);
    g_free(s);
    return rc;
}

static arca_status metadata(PopplerDocument *doc, arca_extract *out)
{
    arca_status rc;
    char num[32];

    rc = put(out, &out->title, NULL, poppler_document_get_title(doc));
    if (rc == ARCA_OK)
        rc = put(out, &out->author, NULL, poppler_document_get_author(doc));
    if (rc == ARCA_OK)
        rc = put(out, &out->description, NULL,
                 poppler_document_get_subject(doc));
    if (rc == ARCA_OK)
        rc = put(out, &out->keywords, NULL,
                 poppler_document_get_keywords(doc));
    if (rc == ARCA_OK)
        rc = put(out, NULL, "creator", poppler_document_get_creator(doc));
    if (rc == ARCA_OK)
        rc = put(out, NULL, "producer", poppler_document_get_producer(doc));
    if (rc != ARCA_OK)
        return rc;

    GDateTime *dt = poppler_document_get_creation_date_time(doc);
    if (dt != NULL) {
        int y, m, d;
        g_date_time_get_ymd(dt, &y, &m, &d);
        g_date_time_unref(dt);
        if (y >= 1000 && y <= 9999) {
            snprintf(num, sizeof num, "%04d-%02d-%02d", y, m, d);
            rc = arca_extract_set(out, &out->date, num);
        }
    }
    if (rc != ARCA_OK)
        return rc;
    snprintf(num, sizeof num, "%d", poppler_document_get_n_pages(doc));
    return arca_extract_field(out, "pages", num);
}

/* ---- The indexer ---- */

/* The metadata and the text of the first pages of DOC, which has PAGES;
 * with lim->ocr, pages without text are read by OCR. */
static arca_status extract(PopplerDocument *doc, int pages, arca_extract *out,
                           const arca_limits *lim)
{
    int blank, without = 0, last = pages;
    struct ocr_run run = {0};
    char num[32];
    arca_status rc = metadata(doc, out);

    if (last > ARCA_PDF_MAX_PAGES)
        last = ARCA_PDF_MAX_PAGES;
    for (int i = 0; i < last && rc == ARCA_OK && !out->truncated; i++) {
        PopplerPage *page = poppler_document_get_page(doc, i);
        rc = add_page(page, out, &blank);
        without += blank;
        if (rc == ARCA_OK && blank && lim->ocr)
            rc = ocr_page(page, i + 1, lim, out, &run);
        if (page != NULL)
            g_object_unref(page);
    }
    if (last < pages)
        out->truncated = 1;
    if (rc == ARCA_OK && without > 0) {
        snprintf(num, sizeof num, "%d", without);
        rc = arca_extract_field(out, "pages_without_text", num);
    }
    if (rc == ARCA_OK && without > 0 && lim->ocr)
        rc = ocr_fields(out, &run);
    return rc;
}

arca_status arca_ix_pdf(const arca_blob *in, arca_extract *out,
                        const arca_limits *lim)
{
    const char *what = in->name ? in->name : "PDF document";
    GBytes *bytes = NULL;
    PopplerDocument *doc = NULL;
    GError *err = NULL;
    arca_status rc = ARCA_OK;

    pthread_once(&log_once, quiet_poppler);
    if (in->len == 0) {
        rc = arca_extract_fail(out, ARCA_EFORMAT,
                               "%s: empty file, not a PDF", what);
        goto out;
    }

    bytes = g_bytes_new_static(in->data, in->len);
    doc = poppler_document_new_from_bytes(bytes, NULL, &err);
    if (doc == NULL) {
        if (err != NULL && err->domain == POPPLER_ERROR &&
            err->code == POPPLER_ERROR_ENCRYPTED)
            rc = arca_extract_fail(out, ARCA_EUNSUPPORTED,
                                   "%s: encrypted PDF: needs a password",
                                   what);
        else
            rc = arca_extract_fail(out, ARCA_EFORMAT,
                                   "%s: not a readable PDF: %s", what,
                                   err ? err->message : "no reason given");
        goto out;
    }

    int pages = poppler_document_get_n_pages(doc);
    if (pages <= 0) {
        rc = arca_extract_fail(out, ARCA_EFORMAT,
                               "%s: damaged PDF: no page can be read", what);
        goto out;
    }
    rc = extract(doc, pages, out, lim);
    if (rc != ARCA_OK)
        rc = arca_extract_fail(out, rc, "%s: %s while extracting PDF text",
                               what, arca_status_str(rc));
out:
    if (err != NULL)
        g_error_free(err);
    if (doc != NULL)
        g_object_unref(doc);
    if (bytes != NULL)
        g_bytes_unref(bytes);
    return rc;
}
