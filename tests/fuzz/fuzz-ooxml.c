/*
 * fuzz-ooxml.c: arca_ix_ooxml on any bytes.  An input that starts with
 * "PK" is the package itself (zip parsing, inflation, bounds).  Any other
 * input is split at "|||" into XML parts that are stored, uncompressed,
 * in a zip built here under the names of a DOCX, an XLSX or a PPTX (the
 * first byte picks which, and the limits), so mutations reach the XML
 * walkers instead of dying in the inflater.
 */
#include <archive.h>
#include <archive_entry.h>

#include "fuzz.h"
#include "indexers/office-private.h"

static const char *const names[3][4] = {
    {"word/document.xml", "docProps/core.xml", "word/header1.xml",
     "word/footnotes.xml"},
    {"xl/sharedStrings.xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml",
     "xl/worksheets/sheet2.xml"},
    {"ppt/slides/slide1.xml", "docProps/core.xml", "ppt/slides/slide2.xml",
     "ppt/notesSlides/notesSlide1.xml"},
};

/* A stored zip of "[Content_Types].xml" and the parts of DATA. */
static unsigned char *build(const uint8_t *data, size_t size, unsigned kind,
                            size_t *len)
{
    size_t cap = size * 2 + 8192;
    unsigned char *buf = malloc(cap);
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    const uint8_t *p = data, *end = data + size;
    if (buf == NULL || a == NULL || e == NULL ||
        archive_write_set_format_zip(a) != ARCHIVE_OK ||
        archive_write_zip_set_compression_store(a) != ARCHIVE_OK ||
        archive_write_open_memory(a, buf, cap, len) != ARCHIVE_OK)
        abort();
    for (int i = -1; i < 4 && p <= end; i++) {
        const uint8_t *q = i < 0 ? p : memmem(p, (size_t)(end - p), "|||", 3);
        size_t n = i < 0 ? 0 : (q ? (size_t)(q - p) : (size_t)(end - p));
        archive_entry_clear(e);
        archive_entry_set_pathname(e, i < 0 ? "[Content_Types].xml"
                                            : names[kind][i]);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)n);
        if (archive_write_header(a, e) != ARCHIVE_OK)
            abort();
        if (n > 0 && archive_write_data(a, p, n) != (la_ssize_t)n)
            abort();
        if (i >= 0)
            p = q ? q + 3 : end + 1;
    }
    if (archive_write_close(a) != ARCHIVE_OK)
        abort();
    archive_write_free(a);
    archive_entry_free(e);
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned pick = size > 0 ? data[0] : 0;
    unsigned char *zip = NULL;
    arca_blob b = {data, size, "fuzz.docx", NULL, NULL};
    if (size < 2 || data[0] != 'P' || data[1] != 'K') {
        zip = build(size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0,
                    pick % 3, &b.len);
        b.data = zip;
    }
    arca_limits lim = {.max_text = pick & 0x80 ? 64 : (size_t)1 << 20,
                       .max_depth = pick & 0x40 ? 8 : 0,
                       .max_member = pick & 0x20 ? 4096 : 0,
                       .max_ratio = pick & 0x10 ? 2 : 0};
    arca_extract x;
    arca_extract_init(&x, lim.max_text);
    if (arca_ix_ooxml(&b, &x, &lim) != ARCA_OK && x.errmsg[0] == '\0')
        abort();
    fuzz_check_extract(&x);
    arca_extract_free(&x);
    free(zip);
    return 0;
}
