/*
 * fuzz-ooxml.c: arca_ix_ooxml on any bytes.  An input that starts with
 * "PK" is the package itself (zip parsing, inflation, bounds).  Any other
 * input is split at "|||" into XML parts that are stored, uncompressed,
 * in a zip built here under the names of a DOCX, an XLSX or a PPTX (the
 * first byte picks which, and the limits), so mutations reach the XML
 * walkers instead of dying in the inflater.
 */
#include "fuzz-zip.h"
#include "indexers/office-private.h"

static const char *const names[3][4] = {
    {"word/document.xml", "docProps/core.xml", "word/header1.xml",
     "word/footnotes.xml"},
    {"xl/sharedStrings.xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml",
     "xl/worksheets/sheet2.xml"},
    {"ppt/slides/slide1.xml", "docProps/core.xml", "ppt/slides/slide2.xml",
     "ppt/notesSlides/notesSlide1.xml"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned pick = size > 0 ? data[0] : 0;
    unsigned char *zip = NULL;
    arca_blob b = {data, size, "fuzz.docx", NULL, NULL};
    if (size < 2 || data[0] != 'P' || data[1] != 'K') {
        zip = fuzz_zip("[Content_Types].xml", "", 0, names[pick % 3], 4,
                       size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0,
                       &b.len);
        b.data = zip;
    }
    arca_limits lim = {.max_text = pick & 0x80 ? 64 : (size_t)1 << 20,
                       .max_depth = pick & 0x40 ? 8 : 0,
                       .max_member = pick & 0x20 ? 4096 : 0,
                       .max_ratio = pick & 0x10 ? 2 : 0};
    fuzz_index(arca_ix_ooxml, &b, &lim);
    free(zip);
    return 0;
}
