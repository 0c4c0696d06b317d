/*
 * manifest.h: catalogue manifests, CSV files that give the fields of the
 * files an import takes (`arca import --manifest FILE.csv`).
 *
 * Two layers live in manifest.c.  arca_csv reads RFC 4180 CSV from a
 * stream, one row at a time, within limits (bytes per field, columns,
 * rows), and names FILE:LINE when the input is malformed.  arca_manifest
 * reads a whole manifest with it: a header of column names (renamed by a
 * map such as "Titel=title,Datei=path"), one column naming each file, the
 * others its fields, looked up by the file's canonical path.  Neither
 * knows of the catalog, the index or the import pipeline: ingest.c turns
 * a manifest's row into fields the way it turns a sidecar into them.
 */
#ifndef ARCA_MANIFEST_H
#define ARCA_MANIFEST_H

#include <stdint.h>
#include <stdio.h>

#include "arca.h"

/* ---- CSV ---- */

#define ARCA_CSV_MAX_FIELD ((size_t)1 << 20)   /* bytes of one field */
#define ARCA_CSV_MAX_COLS ((size_t)1000)       /* fields of one row */
#define ARCA_CSV_MAX_ROWS ((uint64_t)10000000) /* rows, the header too */

/* Limits of a reader; a member left 0 takes the default above. */
typedef struct arca_csv_limits {
    size_t max_field;
    size_t max_cols;
    uint64_t max_rows;
} arca_csv_limits;

typedef struct arca_csv arca_csv;

/*
 * A reader of F (not closed by the reader), named NAME in its messages,
 * within LIM (NULL: the defaults).  A UTF-8 byte order mark at the start
 * is skipped.  *out is owned by the caller: arca_csv_close().  Return
 * value: ARCA_OK, ARCA_ENOMEM.
 */
arca_status arca_csv_open(FILE *f, const char *name,
                          const arca_csv_limits *lim, arca_csv **out);

/*
 * The next row: *n fields in *fields, each a NUL-terminated UTF-8 string,
 * owned by R and valid until the next call.  Fields are separated by
 * commas and rows by CRLF, LF or CR; a field in double quotes may hold
 * commas, line breaks and quotes written twice ("").  Lines with nothing
 * on them are skipped.  At the end *n is 0.  Return value: ARCA_OK,
 * ARCA_EFORMAT (malformed: a stray quote, a quote never closed, a NUL
 * byte, bytes that are not UTF-8), ARCA_ELIMIT (a limit refused it),
 * ARCA_EIO, ARCA_ENOMEM; arca_csv_errmsg() then says "NAME:LINE: why",
 * and every later call fails the same way.
 */
arca_status arca_csv_next(arca_csv *r, char ***fields, size_t *n);

/* The line (1-based) on which the last row returned began. */
uint64_t arca_csv_line(const arca_csv *r);
/* The message of the last failure ("" if none); owned by R. */
const char *arca_csv_errmsg(const arca_csv *r);
void arca_csv_close(arca_csv *r);

/* ---- Manifests ---- */

/* One row of a manifest: one file and its fields. */
typedef struct arca_manifest_row {
    const char *path;        /* the file, joined with the manifest's folder */
    const char *real;        /* its canonical path, or NULL: not found */
    int err;                 /* errno of the failed look-up, or 0 */
    uint64_t line;           /* where the row begins in the manifest */
    const char *const *values;  /* one per column; NULL when empty */
} arca_manifest_row;

typedef struct arca_manifest arca_manifest;

/*
 * Read the manifest PATH, its headers renamed by MAP ("Header=field,..."
 * or NULL), within LIM (NULL: the defaults).  A header (after MAP) named
 * "path" or "file", in any case, is the column of the file, relative to
 * the manifest's folder or absolute; "tag" is taken for "tags"; the known
 * fields (title, date, year, author, board, lang, tags, source, id) are
 * taken in any case, other names as they are.  Columns without a name are
 * ignored.  *out is owned by the caller: arca_manifest_free().  Return
 * value: ARCA_OK, ARCA_EFORMAT or ARCA_ELIMIT (ERR names FILE:LINE),
 * ARCA_EINVAL (a bad MAP, or no column names the file), ARCA_EIO,
 * ARCA_ENOMEM.
 */
arca_status arca_manifest_load(const char *path, const char *map,
                               const arca_csv_limits *lim,
                               arca_manifest **out, char *err, size_t errlen);

/* The same from the stream F named NAME, its files relative to DIR. */
arca_status arca_manifest_read(FILE *f, const char *name, const char *dir,
                               const char *map, const arca_csv_limits *lim,
                               arca_manifest **out, char *err, size_t errlen);

/* The field names of its columns; the file's column is NULL. */
size_t arca_manifest_ncols(const arca_manifest *m);
const char *arca_manifest_col(const arca_manifest *m, size_t i);
/* Its rows in the manifest's order; owned by M. */
size_t arca_manifest_nrows(const arca_manifest *m);
const arca_manifest_row *arca_manifest_row_at(const arca_manifest *m,
                                              size_t i);
/* The row of the file whose canonical path is REAL, or NULL. */
const arca_manifest_row *arca_manifest_find(const arca_manifest *m,
                                            const char *real);
/* The manifest's name as given, and its canonical path (or NULL). */
const char *arca_manifest_name(const arca_manifest *m);
const char *arca_manifest_real(const arca_manifest *m);
/* Its folder as given ("." for a bare name). */
const char *arca_manifest_dir(const arca_manifest *m);
void arca_manifest_free(arca_manifest *m);

#endif /* ARCA_MANIFEST_H */
