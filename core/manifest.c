/*
 * manifest.c: a bounded RFC 4180 CSV reader, and catalogue manifests
 * read with it (see manifest.h).
 *
 * The reader keeps one row in memory: its fields, each ended by a NUL,
 * side by side in one buffer.  It reads its stream through a buffer of
 * its own, so that it can look one byte ahead (a doubled quote, CRLF) and
 * check for a byte order mark without pushing bytes back.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "manifest.h"
#include "../indexers/indexer.h"   /* arca_utf8_valid */

/* ---- CSV ---- */

struct arca_csv {
    FILE *f;
    char *name;
    arca_csv_limits lim;
    unsigned char in[65536];  /* read ahead */
    size_t ipos, ilen;
    int started;              /* the byte order mark was looked for */
    int eof;
    arca_status failed;       /* sticky: every later call fails too */
    uint64_t line;            /* the line being read, 1-based */
    uint64_t row_line;        /* where the last row began */
    uint64_t rows;
    char *buf;                /* the row's fields, each ended by NUL */
    size_t len, cap;
    size_t *offs;             /* where each field starts in buf */
    char **fields;
    size_t nfields_cap;
    char err[512];
};

static arca_status csv_fail(arca_csv *r, arca_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static arca_status csv_fail(arca_csv *r, arca_status st, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(r->err, sizeof r->err, "%s:%llu: ", r->name,
                     (unsigned long long)r->line);
    if (n < 0 || (size_t)n >= sizeof r->err)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
    va_end(ap);
    r->failed = st;
    return st;
}

arca_status arca_csv_open(FILE *f, const char *name,
                          const arca_csv_limits *lim, arca_csv **out)
{
    arca_csv *r = calloc(1, sizeof *r);
    *out = NULL;
    if (r == NULL)
        return ARCA_ENOMEM;
    r->name = strdup(name ? name : "CSV");
    if (r->name == NULL) {
        free(r);
        return ARCA_ENOMEM;
    }
    r->f = f;
    r->line = 1;
    if (lim)
        r->lim = *lim;
    if (r->lim.max_field == 0)
        r->lim.max_field = ARCA_CSV_MAX_FIELD;
    if (r->lim.max_cols == 0)
        r->lim.max_cols = ARCA_CSV_MAX_COLS;
    if (r->lim.max_rows == 0)
        r->lim.max_rows = ARCA_CSV_MAX_ROWS;
    *out = r;
    return ARCA_OK;
}

void arca_csv_close(arca_csv *r)
{
    if (r == NULL)
        return;
    free(r->name);
    free(r->buf);
    free(r->offs);
    free(r->fields);
    free(r);
}

uint64_t arca_csv_line(const arca_csv *r)
{
    return r->row_line;
}

const char *arca_csv_errmsg(const arca_csv *r)
{
    return r->err;
}

/* Refill the read-ahead; 0 at the end of the stream or on an error. */
static int csv_fill(arca_csv *r)
{
    if (r->ipos < r->ilen)
        return 1;
    if (r->eof)
        return 0;
    r->ipos = 0;
    r->ilen = fread(r->in, 1, sizeof r->in, r->f);
    if (r->ilen == 0)
        r->eof = 1;
    return r->ilen > 0;
}

static int csv_peek(arca_csv *r)
{
    return csv_fill(r) ? r->in[r->ipos] : EOF;
}

static int csv_get(arca_csv *r)
{
    return csv_fill(r) ? r->in[r->ipos++] : EOF;
}

/* Append byte C to the row buffer. */
static arca_status csv_add(arca_csv *r, int c)
{
    if (r->len == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        char *b = realloc(r->buf, cap);
        if (b == NULL)
            return csv_fail(r, ARCA_ENOMEM, "out of memory");
        r->buf = b;
        r->cap = cap;
    }
    r->buf[r->len++] = (char)c;
    return ARCA_OK;
}

/* Append C to the field that began at START, within the limits. */
static arca_status csv_add_byte(arca_csv *r, size_t start, int c)
{
    if (c == '\0')
        return csv_fail(r, ARCA_EFORMAT, "a NUL byte (is this a CSV file "
                        "saved as UTF-8?)");
    if (r->len - start >= r->lim.max_field)
        return csv_fail(r, ARCA_ELIMIT, "a field longer than %zu bytes",
                        r->lim.max_field);
    return csv_add(r, c);
}

/* Skip a UTF-8 byte order mark at the very start. */
static void csv_bom(arca_csv *r)
{
    r->started = 1;
    if (!csv_fill(r))
        return;
    /* Make sure three bytes are there to look at, if the stream has them. */
    if (r->ilen - r->ipos < 3 && !r->eof) {
        memmove(r->in, r->in + r->ipos, r->ilen - r->ipos);
        r->ilen -= r->ipos;
        r->ipos = 0;
        while (r->ilen < 3) {
            size_t k = fread(r->in + r->ilen, 1, sizeof r->in - r->ilen,
                             r->f);
            if (k == 0)
                break;
            r->ilen += k;
        }
    }
    if (r->ilen - r->ipos >= 3 &&
        memcmp(r->in + r->ipos, "\xEF\xBB\xBF", 3) == 0)
        r->ipos += 3;
}

/* Skip empty lines before a row; the first byte of the row, or EOF. */
static int csv_skip_blank(arca_csv *r)
{
    for (;;) {
        int c = csv_peek(r);
        if (c == '\n') {
            csv_get(r);
            r->line++;
        } else if (c == '\r') {
            csv_get(r);
            if (csv_peek(r) == '\n')
                csv_get(r);
            r->line++;
        } else {
            return c;
        }
    }
}

/* Read one quoted field, the opening quote taken; C gets the byte after
 * the closing quote. */
static arca_status csv_quoted(arca_csv *r, size_t start, int *after)
{
    arca_status rc = ARCA_OK;
    uint64_t opened = r->line;
    for (;;) {
        int c = csv_get(r);
        if (c == EOF)
            return csv_fail(r, ARCA_EFORMAT, "a quoted field opened on line "
                            "%llu is never closed",
                            (unsigned long long)opened);
        if (c == '"') {
            if (csv_peek(r) != '"')
                break;
            csv_get(r);
        } else if (c == '\n' || (c == '\r' && csv_peek(r) != '\n')) {
            r->line++;
        }
        if ((rc = csv_add_byte(r, start, c)) != ARCA_OK)
            return rc;
    }
    *after = csv_get(r);
    if (*after != ',' && *after != '\r' && *after != '\n' && *after != EOF)
        return csv_fail(r, ARCA_EFORMAT, "text after the closing quote of a "
                        "field (a quote inside quotes is written twice: \"\")");
    return ARCA_OK;
}

/* Read one unquoted field from its first byte C; *after gets the byte
 * that ended it. */
static arca_status csv_plain(arca_csv *r, size_t start, int c, int *after)
{
    arca_status rc;
    while (c != ',' && c != '\r' && c != '\n' && c != EOF) {
        if (c == '"')
            return csv_fail(r, ARCA_EFORMAT, "a quote inside an unquoted "
                            "field (put the whole field in quotes and "
                            "write the quote twice: \"\")");
        if ((rc = csv_add_byte(r, start, c)) != ARCA_OK)
            return rc;
        c = csv_get(r);
    }
    *after = c;
    return ARCA_OK;
}

/* Note that the field at START is complete, as field number NF. */
static arca_status csv_end_field(arca_csv *r, size_t start, size_t nf)
{
    arca_status rc;
    if ((rc = csv_add(r, '\0')) != ARCA_OK)
        return rc;
    if (!arca_utf8_valid(r->buf + start, r->len - 1 - start))
        return csv_fail(r, ARCA_EFORMAT, "field %zu is not UTF-8 (save the "
                        "file as UTF-8)", nf + 1);
    if (nf == r->nfields_cap) {
        size_t cap = r->nfields_cap ? r->nfields_cap * 2 : 16;
        size_t *o = realloc(r->offs, cap * sizeof *o);
        if (o == NULL)
            return csv_fail(r, ARCA_ENOMEM, "out of memory");
        r->offs = o;
        char **fs = realloc(r->fields, cap * sizeof *fs);
        if (fs == NULL)
            return csv_fail(r, ARCA_ENOMEM, "out of memory");
        r->fields = fs;
        r->nfields_cap = cap;
    }
    r->offs[nf] = start;
    return ARCA_OK;
}

arca_status arca_csv_next(arca_csv *r, char ***fields, size_t *n)
{
    arca_status rc = ARCA_OK;
    size_t nf = 0;
    int c;

    *fields = NULL;
    *n = 0;
    if (r->failed)
        return r->failed;
    if (!r->started)
        csv_bom(r);
    c = csv_skip_blank(r);
    if (c == EOF)
        goto out;
    if (++r->rows > r->lim.max_rows) {
        rc = csv_fail(r, ARCA_ELIMIT, "more than %llu rows",
                      (unsigned long long)r->lim.max_rows);
        goto out;
    }
    r->row_line = r->line;
    r->len = 0;
    for (;;) {
        size_t start = r->len;
        int after = EOF;
        if (nf >= r->lim.max_cols) {
            rc = csv_fail(r, ARCA_ELIMIT, "more than %zu columns",
                          r->lim.max_cols);
            goto out;
        }
        c = csv_get(r);
        if (c == '"')
            rc = csv_quoted(r, start, &after);
        else
            rc = csv_plain(r, start, c, &after);
        if (rc == ARCA_OK)
            rc = csv_end_field(r, start, nf);
        if (rc)
            goto out;
        nf++;
        if (after == ',')
            continue;
        if (after == '\r' && csv_peek(r) == '\n')
            csv_get(r);
        if (after != EOF)
            r->line++;
        break;
    }
    for (size_t i = 0; i < nf; i++)
        r->fields[i] = r->buf + r->offs[i];
    *fields = r->fields;
    *n = nf;
out:
    if (rc == ARCA_OK && ferror(r->f))
        rc = csv_fail(r, ARCA_EIO, "cannot read: %s", strerror(errno));
    if (rc) {
        *fields = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- Manifests ---- */

struct arca_manifest {
    char *name, *real, *dir;
    char **cols;              /* field names; NULL: the file's, or unnamed */
    size_t ncols, pathcol;
    arca_manifest_row *rows;
    size_t nrows, caprows;
    const arca_manifest_row **sorted;  /* found rows, by canonical path */
    size_t nsorted;
};

static const char *const known_fields[] = {
    "title", "date", "year", "author", "board", "lang", "tags", "source",
    "id",
};

/* *S without its leading spaces; the length without trailing ones. */
static size_t trim_spaces(const char **s)
{
    while (**s == ' ')
        ++*s;
    size_t n = strlen(*s);
    while (n > 0 && (*s)[n - 1] == ' ')
        n--;
    return n;
}

/* The field name of header H after MAP; *bad is set when MAP is not a
 * list of Header=field pairs. */
static char *field_name(const char *h, const char *map, int *bad)
{
    size_t hl = trim_spaces(&h);
    for (const char *p = map; p && *p;) {
        const char *end = strchr(p, ','), *eq;
        size_t len = end ? (size_t)(end - p) : strlen(p);
        eq = memchr(p, '=', len);
        if (eq == NULL) {
            *bad = 1;
            return NULL;
        }
        const char *k = p, *ke = eq, *v = eq + 1, *ve = p + len;
        while (k < ke && *k == ' ')
            k++;
        while (ke > k && ke[-1] == ' ')
            ke--;
        while (v < ve && *v == ' ')
            v++;
        while (ve > v && ve[-1] == ' ')
            ve--;
        if (ke == k || ve == v) {
            *bad = 1;
            return NULL;
        }
        if ((size_t)(ke - k) == hl && strncasecmp(k, h, hl) == 0) {
            h = v;
            hl = (size_t)(ve - v);
            break;
        }
        p = end ? end + 1 : p + len;
    }
    if (hl == 0)
        return strdup("");
    if (hl == 3 && strncasecmp(h, "tag", 3) == 0)
        return strdup("tags");
    if (hl == 4 && strncasecmp(h, "file", 4) == 0)
        return strdup("path");
    for (size_t i = 0; i < sizeof known_fields / sizeof *known_fields; i++)
        if (strlen(known_fields[i]) == hl &&
            strncasecmp(h, known_fields[i], hl) == 0)
            return strdup(known_fields[i]);
    if (hl == 4 && strncasecmp(h, "path", 4) == 0)
        return strdup("path");
    return strndup(h, hl);
}

/* Each name MAP renames must be a header of the manifest. */
static int map_unused(const arca_manifest *m, char **heads, size_t nheads,
                      const char *map, char *err, size_t errlen)
{
    for (const char *p = map; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len), *k = p, *ke = eq;
        while (k < ke && *k == ' ')
            k++;
        while (ke > k && ke[-1] == ' ')
            ke--;
        int found = 0;
        for (size_t i = 0; i < nheads && !found; i++) {
            const char *h = heads[i];
            size_t hl = trim_spaces(&h);
            found = hl == (size_t)(ke - k) && strncasecmp(h, k, hl) == 0;
        }
        if (!found) {
            snprintf(err, errlen, "--manifest-map: %s has no column "
                     "'%.*s'", m->name, (int)(ke - k), k);
            return 1;
        }
        p = end ? end + 1 : p + len;
    }
    return 0;
}

/* Take the header row HEADS into M's columns. */
static arca_status take_header(arca_manifest *m, char **heads, size_t n,
                               const char *map, char *err, size_t errlen)
{
    int bad = 0, havepath = 0;
    m->cols = calloc(n ? n : 1, sizeof *m->cols);
    if (m->cols == NULL)
        return ARCA_ENOMEM;
    m->ncols = n;
    for (size_t i = 0; i < n; i++) {
        char *f = field_name(heads[i], map, &bad);
        if (bad) {
            snprintf(err, errlen, "--manifest-map: '%s' is not a list of "
                     "Header=field pairs separated by commas", map);
            return ARCA_EINVAL;
        }
        if (f == NULL)
            return ARCA_ENOMEM;
        for (size_t k = 0; f[0] && k < i; k++)
            if ((m->cols[k] && strcmp(m->cols[k], f) == 0) ||
                (k == m->pathcol && havepath && strcmp(f, "path") == 0)) {
                snprintf(err, errlen, "%s:1: two columns name the field "
                         "'%s' (columns %zu and %zu)", m->name, f, k + 1,
                         i + 1);
                free(f);
                return ARCA_EFORMAT;
            }
        if (strcmp(f, "path") == 0) {
            havepath = 1;
            m->pathcol = i;
            free(f);
        } else if (f[0] == '\0') {
            free(f);            /* a column without a name is ignored */
        } else {
            m->cols[i] = f;
        }
    }
    if (map && map_unused(m, heads, n, map, err, errlen))
        return ARCA_EINVAL;
    if (!havepath) {
        snprintf(err, errlen, "%s:1: no column names the files (call one "
                 "'path' or 'file', or map one: --manifest-map "
                 "'Header=path')", m->name);
        return ARCA_EINVAL;
    }
    return ARCA_OK;
}

/* Add the row FS (N fields, from LINE) to M. */
static arca_status take_row(arca_manifest *m, char **fs, size_t n,
                            uint64_t line, char *err, size_t errlen)
{
    int any = 0;
    for (size_t i = 0; i < n; i++)
        any |= fs[i][0] != '\0';
    if (!any)
        return ARCA_OK;         /* ",,,": an empty row of a spreadsheet */
    if (n > m->ncols) {
        snprintf(err, errlen, "%s:%llu: %zu fields, but the header names %zu "
                 "columns", m->name, (unsigned long long)line, n, m->ncols);
        return ARCA_EFORMAT;
    }
    if (m->pathcol >= n || fs[m->pathcol][0] == '\0') {
        snprintf(err, errlen, "%s:%llu: no file named in column %zu",
                 m->name, (unsigned long long)line, m->pathcol + 1);
        return ARCA_EFORMAT;
    }
    if (m->nrows == m->caprows) {
        size_t cap = m->caprows ? m->caprows * 2 : 64;
        arca_manifest_row *r = realloc(m->rows, cap * sizeof *r);
        if (r == NULL)
            return ARCA_ENOMEM;
        m->rows = r;
        m->caprows = cap;
    }
    arca_manifest_row *row = &m->rows[m->nrows];
    memset(row, 0, sizeof *row);
    char **vals = calloc(m->ncols, sizeof *vals);
    if (vals == NULL)
        return ARCA_ENOMEM;
    row->values = (const char *const *)vals;
    row->line = line;
    m->nrows++;
    for (size_t i = 0; i < n; i++)
        if (m->cols[i] && fs[i][0] && (vals[i] = strdup(fs[i])) == NULL)
            return ARCA_ENOMEM;
    const char *f = fs[m->pathcol];
    char *path;
    if (f[0] == '/' || strcmp(m->dir, ".") == 0)
        path = strdup(f);
    else if (asprintf(&path, "%s/%s", m->dir, f) < 0)
        path = NULL;
    if (path == NULL)
        return ARCA_ENOMEM;
    row->path = path;
    row->real = realpath(path, NULL);
    row->err = row->real ? 0 : errno;
    return ARCA_OK;
}

static int by_real(const void *a, const void *b)
{
    const arca_manifest_row *const *x = a, *const *y = b;
    return strcmp((*x)->real, (*y)->real);
}

/* The index of found rows by canonical path; a file listed twice is an
 * error, its fields being in doubt. */
static arca_status index_rows(arca_manifest *m, char *err, size_t errlen)
{
    m->sorted = calloc(m->nrows ? m->nrows : 1, sizeof *m->sorted);
    if (m->sorted == NULL)
        return ARCA_ENOMEM;
    for (size_t i = 0; i < m->nrows; i++)
        if (m->rows[i].real)
            m->sorted[m->nsorted++] = &m->rows[i];
    qsort(m->sorted, m->nsorted, sizeof *m->sorted, by_real);
    for (size_t i = 1; i < m->nsorted; i++)
        if (strcmp(m->sorted[i - 1]->real, m->sorted[i]->real) == 0) {
            const arca_manifest_row *a = m->sorted[i - 1], *b = m->sorted[i];
            if (a->line > b->line) {
                const arca_manifest_row *t = a;
                a = b;
                b = t;
            }
            snprintf(err, errlen, "%s:%llu: %s is listed again (first on "
                     "line %llu)", m->name, (unsigned long long)b->line,
                     b->path, (unsigned long long)a->line);
            return ARCA_EFORMAT;
        }
    return ARCA_OK;
}

arca_status arca_manifest_read(FILE *f, const char *name, const char *dir,
                               const char *map, const arca_csv_limits *lim,
                               arca_manifest **out, char *err, size_t errlen)
{
    arca_status rc;
    arca_csv *r = NULL;
    arca_manifest *m = calloc(1, sizeof *m);
    char **fs;
    size_t n;

    *out = NULL;
    err[0] = '\0';
    if (m == NULL) {
        rc = ARCA_ENOMEM;
        goto out;
    }
    m->name = strdup(name);
    m->dir = strdup(dir && dir[0] ? dir : ".");
    if (m->name == NULL || m->dir == NULL) {
        rc = ARCA_ENOMEM;
        goto out;
    }
    rc = arca_csv_open(f, name, lim, &r);
    if (rc)
        goto out;
    rc = arca_csv_next(r, &fs, &n);
    if (rc == ARCA_OK && n == 0) {
        snprintf(err, errlen, "%s: empty: a manifest starts with a header "
                 "of column names", name);
        rc = ARCA_EFORMAT;
        goto out;
    }
    if (rc == ARCA_OK)
        rc = take_header(m, fs, n, map, err, errlen);
    while (rc == ARCA_OK) {
        rc = arca_csv_next(r, &fs, &n);
        if (rc || n == 0)
            break;
        rc = take_row(m, fs, n, arca_csv_line(r), err, errlen);
    }
    if (rc == ARCA_OK)
        rc = index_rows(m, err, errlen);
out:
    if (rc && err[0] == '\0')
        snprintf(err, errlen, "%s", r && arca_csv_errmsg(r)[0]
                 ? arca_csv_errmsg(r) : arca_status_str(rc));
    arca_csv_close(r);
    if (rc)
        arca_manifest_free(m);
    else
        *out = m;
    return rc;
}

arca_status arca_manifest_load(const char *path, const char *map,
                               const arca_csv_limits *lim,
                               arca_manifest **out, char *err, size_t errlen)
{
    arca_status rc;
    char *dir = NULL;
    FILE *f = fopen(path, "rb");

    *out = NULL;
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        rc = ARCA_EIO;
        goto out;
    }
    const char *slash = strrchr(path, '/');
    dir = slash == NULL ? strdup(".")
          : slash == path ? strdup("/")
                          : strndup(path, (size_t)(slash - path));
    if (dir == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = ARCA_ENOMEM;
        goto out;
    }
    rc = arca_manifest_read(f, path, dir, map, lim, out, err, errlen);
    if (rc == ARCA_OK)
        (*out)->real = realpath(path, NULL);
out:
    if (f)
        fclose(f);
    free(dir);
    return rc;
}

size_t arca_manifest_ncols(const arca_manifest *m)
{
    return m->ncols;
}

const char *arca_manifest_col(const arca_manifest *m, size_t i)
{
    return i < m->ncols ? m->cols[i] : NULL;
}

size_t arca_manifest_nrows(const arca_manifest *m)
{
    return m->nrows;
}

const arca_manifest_row *arca_manifest_row_at(const arca_manifest *m,
                                              size_t i)
{
    return i < m->nrows ? &m->rows[i] : NULL;
}

const arca_manifest_row *arca_manifest_find(const arca_manifest *m,
                                            const char *real)
{
    arca_manifest_row key = {0};
    const arca_manifest_row *pk = &key, *const *hit;
    if (m == NULL || real == NULL || m->nsorted == 0)
        return NULL;
    key.real = real;
    hit = bsearch(&pk, m->sorted, m->nsorted, sizeof *m->sorted, by_real);
    return hit ? *hit : NULL;
}

const char *arca_manifest_name(const arca_manifest *m)
{
    return m->name;
}

const char *arca_manifest_real(const arca_manifest *m)
{
    return m->real;
}

const char *arca_manifest_dir(const arca_manifest *m)
{
    return m->dir;
}

void arca_manifest_free(arca_manifest *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nrows; i++) {
        arca_manifest_row *r = &m->rows[i];
        for (size_t k = 0; r->values && k < m->ncols; k++)
            free((char *)r->values[k]);
        free((void *)r->values);
        free((char *)r->path);
        free((char *)r->real);
    }
    free(m->rows);
    for (size_t i = 0; m->cols && i < m->ncols; i++)
        free(m->cols[i]);
    free(m->cols);
    free(m->sorted);
    free(m->name);
    free(m->real);
    free(m->dir);
    free(m);
}
