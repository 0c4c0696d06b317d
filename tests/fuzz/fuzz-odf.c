/*
 * fuzz-odf.c: arca_ix_odf on any bytes.  An input that starts with "PK"
 * is the package itself.  Any other input is split at "|||" into
 * content.xml, meta.xml and META-INF/manifest.xml, stored uncompressed in
 * a zip built here (the first byte picks the mimetype and the limits), so
 * mutations reach the XML walkers instead of dying in the inflater.
 */
#include "fuzz-zip.h"
#include "indexers/office-private.h"

static const char *const names[] = {"content.xml", "meta.xml",
                                    "META-INF/manifest.xml"};
static const char *const mimes[] = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned pick = size > 0 ? data[0] : 0;
    unsigned char *zip = NULL;
    arca_blob b = {data, size, "fuzz.odt", NULL, NULL};
    if (size < 2 || data[0] != 'P' || data[1] != 'K') {
        zip = fuzz_zip("mimetype", mimes[pick % 3], strlen(mimes[pick % 3]),
                       names, 3, size > 0 ? data + 1 : data,
                       size > 0 ? size - 1 : 0, &b.len);
        b.data = zip;
    }
    arca_limits lim = {.max_text = pick & 0x80 ? 64 : (size_t)1 << 20,
                       .max_depth = pick & 0x40 ? 8 : 0,
                       .max_member = pick & 0x20 ? 4096 : 0,
                       .max_ratio = pick & 0x10 ? 2 : 0};
    fuzz_index(arca_ix_odf, &b, &lim);
    free(zip);
    return 0;
}
