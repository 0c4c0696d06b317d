/*
 * fuzz-manifest.c: the CSV reader and the manifest reader on any bytes.
 *
 * The first byte picks small limits or the defaults, and a header map.
 * Every row must come out as UTF-8 fields within the limits; a refusal
 * must say why, naming the input and a line.
 */
#include <stdio.h>

#include "fuzz.h"
#include "core/manifest.h"

static void check_csv(const uint8_t *data, size_t size,
                      const arca_csv_limits *lim)
{
    FILE *f = fmemopen((void *)data, size, "rb");
    arca_csv *r = NULL;
    if (f == NULL)
        return;
    if (arca_csv_open(f, "fuzz.csv", lim, &r) != ARCA_OK)
        abort();
    uint64_t rows = 0, last = 0;
    for (;;) {
        char **fs;
        size_t n;
        arca_status rc = arca_csv_next(r, &fs, &n);
        if (rc != ARCA_OK) {
            if (strncmp(arca_csv_errmsg(r), "fuzz.csv:", 9) != 0)
                abort();
            /* A failed reader stays failed. */
            if (arca_csv_next(r, &fs, &n) != rc || n != 0)
                abort();
            break;
        }
        if (n == 0)
            break;
        if (++rows > lim->max_rows || n > lim->max_cols ||
            arca_csv_line(r) <= last)
            abort();
        last = arca_csv_line(r);
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(fs[i]);
            if (len > lim->max_field || !arca_utf8_valid(fs[i], len))
                abort();
        }
    }
    arca_csv_close(r);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned pick = size > 0 ? data[0] : 0;
    const uint8_t *s = size > 0 ? data + 1 : data;
    size_t n = size > 0 ? size - 1 : 0;
    arca_csv_limits lim = {ARCA_CSV_MAX_FIELD, ARCA_CSV_MAX_COLS,
                           ARCA_CSV_MAX_ROWS};
    if (pick & 1) {
        lim.max_field = 8;
        lim.max_cols = 4;
        lim.max_rows = 5;
    }
    check_csv(s, n, &lim);

    static const char *const maps[] = {
        NULL, "Titel=title,Datei=path", "a=path", "x=", "=y", "path=title",
    };
    FILE *f = fmemopen((void *)s, n, "rb");
    if (f == NULL)
        return 0;
    arca_manifest *m = NULL;
    char err[600];
    arca_status rc = arca_manifest_read(f, "fuzz.csv", "/nonexistent-fuzz",
                                        maps[(pick >> 1) % 6], &lim, &m, err,
                                        sizeof err);
    fclose(f);
    if (rc != ARCA_OK) {
        if (m != NULL || err[0] == '\0')
            abort();
        return 0;
    }
    for (size_t i = 0; i < arca_manifest_nrows(m); i++) {
        const arca_manifest_row *row = arca_manifest_row_at(m, i);
        if (row->path == NULL || row->line == 0)
            abort();
        for (size_t k = 0; k < arca_manifest_ncols(m); k++)
            if (row->values[k] && arca_manifest_col(m, k) == NULL)
                abort();
    }
    arca_manifest_free(m);
    return 0;
}
