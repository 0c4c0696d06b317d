/*
 * registry.c: which indexer handles which MIME type.  One table, looked up
 * by exact type, then by family (a row whose subtype is "*").  Adding a
 * format is adding a file with its arca_ix_ function and a row here.
 */
#include <string.h>
#include <strings.h>

#include "indexer-private.h"

static const struct arca_indexer indexers[] = {
    {"text/html", "html", arca_ix_html, 0},
    {"application/xhtml+xml", "html", arca_ix_html, 0},
    {"text/plain", "text", arca_ix_text, 0},
    {"text/csv", "text", arca_ix_text, 0},
    {"text/tab-separated-values", "text", arca_ix_text, 0},
    {"text/markdown", "text", arca_ix_text, 0},
    {"application/json", "text", arca_ix_text, 0},
    {"text/xml", "text", arca_ix_text, 0},
    {"application/xml", "text", arca_ix_text, 0},
    {"application/javascript", "text", arca_ix_text, 0},
    {"inode/x-empty", "text", arca_ix_text, 0},   /* an empty file: no text */
    {"application/pdf", "pdf", arca_ix_pdf, ARCA_IX_OCR},
    {"image/jpeg", "image", arca_ix_image, ARCA_IX_OCR},
    {"image/png", "image", arca_ix_image, ARCA_IX_OCR},
    {"image/tiff", "image", arca_ix_image, ARCA_IX_OCR},
    {"image/gif", "image", arca_ix_image, ARCA_IX_OCR},
    {"image/webp", "image", arca_ix_image, ARCA_IX_OCR},
    {"application/x-hwp", "hwp", arca_ix_hwp, 0},
#define OOXML "application/vnd.openxmlformats-officedocument."
#define ODF "application/vnd.oasis.opendocument."
    {OOXML "wordprocessingml.document", "ooxml", arca_ix_ooxml, 0},
    {OOXML "wordprocessingml.template", "ooxml", arca_ix_ooxml, 0},
    {OOXML "spreadsheetml.sheet", "ooxml", arca_ix_ooxml, 0},
    {OOXML "spreadsheetml.template", "ooxml", arca_ix_ooxml, 0},
    {OOXML "presentationml.presentation", "ooxml", arca_ix_ooxml, 0},
    {OOXML "presentationml.template", "ooxml", arca_ix_ooxml, 0},
    {"application/vnd.ms-word.document.macroEnabled.12", "ooxml",
     arca_ix_ooxml, 0},
    {"application/vnd.ms-excel.sheet.macroEnabled.12", "ooxml",
     arca_ix_ooxml, 0},
    {"application/vnd.ms-powerpoint.presentation.macroEnabled.12", "ooxml",
     arca_ix_ooxml, 0},
    {ODF "text", "odf", arca_ix_odf, 0},
    {ODF "text-template", "odf", arca_ix_odf, 0},
    {ODF "spreadsheet", "odf", arca_ix_odf, 0},
    {ODF "spreadsheet-template", "odf", arca_ix_odf, 0},
    {ODF "presentation", "odf", arca_ix_odf, 0},
    {ODF "presentation-template", "odf", arca_ix_odf, 0},
    {"application/hwp+zip", "hwpx", arca_ix_hwpx, 0},
    {"message/rfc822", "mail", arca_ix_mail, 0},
    {"application/mbox", "mbox", arca_ix_mbox, ARCA_IX_RECORDS},
    {"application/msword", "msoffice", arca_ix_msoffice, 0},
    {"application/vnd.ms-excel", "msoffice", arca_ix_msoffice, 0},
    {"application/vnd.ms-powerpoint", "msoffice", arca_ix_msoffice, 0},
    /* Compound files libmagic cannot name: the streams tell. */
    {"application/CDFV2", "msoffice", arca_ix_msoffice, 0},
    {"application/x-ole-storage", "msoffice", arca_ix_msoffice, 0},
    {"text/rtf", "rtf", arca_ix_rtf, 0},
    {"application/rtf", "rtf", arca_ix_rtf, 0},
    {"application/zip", "archive", arca_ix_archive, ARCA_IX_CONTAINER},
    {"application/x-tar", "archive", arca_ix_archive, ARCA_IX_CONTAINER},
    {"application/gzip", "archive", arca_ix_archive, ARCA_IX_CONTAINER},
    {"application/x-gzip", "archive", arca_ix_archive, ARCA_IX_CONTAINER},
    {"application/x-bzip2", "archive", arca_ix_archive, ARCA_IX_CONTAINER},
    {"application/x-xz", "archive", arca_ix_archive, ARCA_IX_CONTAINER},
    {"application/zstd", "archive", arca_ix_archive, ARCA_IX_CONTAINER},
    {"application/x-7z-compressed", "archive", arca_ix_archive,
     ARCA_IX_CONTAINER},
    {"application/x-cpio", "archive", arca_ix_archive, ARCA_IX_CONTAINER},
    {"application/x-iso9660-image", "archive", arca_ix_archive,
     ARCA_IX_CONTAINER},
    {"text/*", "text", arca_ix_text, 0},          /* family fallback */
};

/* MIME's length without parameters ("text/html; charset=x") or blanks. */
static size_t bare_len(const char *mime)
{
    size_t n = strcspn(mime, "; \t");
    return n;
}

static const struct arca_indexer *lookup(const char *mime, size_t n)
{
    for (size_t i = 0; i < sizeof indexers / sizeof indexers[0]; i++)
        if (strlen(indexers[i].mime) == n &&
            strncasecmp(indexers[i].mime, mime, n) == 0)
            return &indexers[i];
    return NULL;
}

const struct arca_indexer *arca_indexer_find(const char *mime)
{
    char family[64];
    const struct arca_indexer *ix;
    if (mime == NULL)
        return NULL;
    size_t n = bare_len(mime);
    if ((ix = lookup(mime, n)) != NULL)
        return ix;
    const char *slash = memchr(mime, '/', n);
    size_t type = slash ? (size_t)(slash - mime) : 0;
    if (type == 0 || type + 3 > sizeof family)
        return NULL;
    memcpy(family, mime, type);
    memcpy(family + type, "/*", 3);
    return lookup(family, type + 2);
}

const struct arca_indexer *arca_indexer_table(size_t *n)
{
    *n = sizeof indexers / sizeof indexers[0];
    return indexers;
}
