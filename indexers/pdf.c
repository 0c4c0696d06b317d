/*
 * pdf.c: the indexer of PDF documents, through poppler-glib, in process.
 * The document is opened from the caller's bytes without copying them
 * (a static GBytes), its Info dictionary gives the metadata, and
 * poppler_page_get_text gives each page's text in reading order.  Pages
 * are joined by a line break.  A page whose text is empty or white space
 * has no text layer (a scan): they are counted in "pages_without_text"
 * for OCR to pick up later.
 *
 * Bounds: at most ARCA_PDF_MAX_PAGES pages are read, and reading stops
 * at the first page that reaches out->max (out->truncated is set either
 * way).  The count of pages without text covers the pages read.
 * Poppler writes no files and runs no programs.  Time is not bounded:
 * poppler-glib cannot interrupt a page, so a page whose content stream
 * inflates to gigabytes takes as long as poppler takes to read it.
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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <poppler.h>

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

/* Append the text of page I; *blank when it has none. */
static arca_status add_page(PopplerDocument *doc, int i, arca_extract *out,
                            int *blank)
{
    PopplerPage *page = poppler_document_get_page(doc, i);
    char *text = NULL;
    arca_status rc = ARCA_OK;

    *blank = 1;
    if (page == NULL)
        goto out;       /* a page object poppler could not find: no text */
    text = valid_utf8(poppler_page_get_text(page));
    if (text == NULL)
        goto out;
    size_t n = tidy(text, blank);
    if (*blank)
        goto out;
    if (out->len > 0 && out->text[out->len - 1] != '\n')
        rc = arca_extract_append(out, "\n", 1);
    if (rc == ARCA_OK)
        rc = arca_extract_append(out, text, n);
out:
    g_free(text);
    if (page != NULL)
        g_object_unref(page);
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

/* The metadata and the text of the first pages of DOC, which has PAGES. */
static arca_status extract(PopplerDocument *doc, int pages, arca_extract *out)
{
    int blank, without = 0, last = pages;
    char num[32];
    arca_status rc = metadata(doc, out);

    if (last > ARCA_PDF_MAX_PAGES)
        last = ARCA_PDF_MAX_PAGES;
    for (int i = 0; i < last && rc == ARCA_OK && !out->truncated; i++) {
        rc = add_page(doc, i, out, &blank);
        without += blank;
    }
    if (last < pages)
        out->truncated = 1;
    if (rc == ARCA_OK && without > 0) {
        snprintf(num, sizeof num, "%d", without);
        rc = arca_extract_field(out, "pages_without_text", num);
    }
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

    (void)lim;          /* the text cap is out->max */
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
    rc = extract(doc, pages, out);
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
