/*
 * fuzz-zip.h: a zip built around a fuzz input, for the targets of
 * zip-packaged formats (OOXML, ODF), so that mutations reach their XML
 * readers instead of dying in the inflater.
 */
#ifndef ARCA_FUZZ_ZIP_H
#define ARCA_FUZZ_ZIP_H

#include <archive.h>
#include <archive_entry.h>

#include "fuzz.h"

static inline void fuzz_zip_add(struct archive *a, struct archive_entry *e,
                                const char *name, const void *p, size_t n)
{
    archive_entry_clear(e);
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)n);
    if (archive_write_header(a, e) != ARCHIVE_OK)
        abort();
    if (n > 0 && archive_write_data(a, p, n) != (la_ssize_t)n)
        abort();
}

/*
 * A stored (uncompressed) zip, malloc'd, its length in *LEN: first FIRST
 * (named FIRST_NAME, FIRST_LEN bytes), then DATA split at "|||" into at
 * most N parts named NAMES[0..N).
 */
static inline unsigned char *fuzz_zip(const char *first_name,
                                      const void *first, size_t first_len,
                                      const char *const *names, size_t n,
                                      const uint8_t *data, size_t size,
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
    fuzz_zip_add(a, e, first_name, first, first_len);
    for (size_t i = 0; i < n && p <= end; i++) {
        const uint8_t *q = memmem(p, (size_t)(end - p), "|||", 3);
        size_t k = q ? (size_t)(q - p) : (size_t)(end - p);
        fuzz_zip_add(a, e, names[i], p, k);
        p = q ? q + 3 : end + 1;
    }
    if (archive_write_close(a) != ARCHIVE_OK)
        abort();
    archive_write_free(a);
    archive_entry_free(e);
    return buf;
}

#endif /* ARCA_FUZZ_ZIP_H */
