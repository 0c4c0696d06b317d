/*
 * fuzz-detect.c: arca_detect on any bytes (one detector, kept across
 * inputs as the importer keeps it).  The first byte picks the file name,
 * which steers the refinements.  The answer must be a type/subtype, and
 * the registry must answer for it without trouble.
 */
#include <stdio.h>

#include "fuzz.h"

static const char *const names[] = {
    NULL, "page.html", "page.xhtml", "a.txt", "t.csv", "r.md", "d.json",
    "doc.hwpx", "x.zip", "noext", "dir.html/file", ".html",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static arca_detector *d;
    char mime[128], charset[64], err[256];
    unsigned pick = size > 0 ? data[0] : 0;

    if (d == NULL && arca_detector_new(&d, err, sizeof err) != ARCA_OK) {
        fprintf(stderr, "fuzz-detect: %s\n", err);
        abort();
    }
    if (arca_detect(d, size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0,
                    names[pick % (sizeof names / sizeof names[0])], mime,
                    charset) != ARCA_OK)
        abort();
    if (strchr(mime, '/') == NULL || strlen(mime) >= 128 ||
        strlen(charset) >= 64)
        abort();
    arca_indexer_find(mime);
    return 0;
}
