/*
 * extract.c: the arca_extract an indexer fills: the text (grown by
 * doubling, capped at x->max and cut at a character boundary), the
 * metadata slots and the list of other fields.  Also the date parser the
 * indexers share.  Knows nothing of any format.
 *
 * Ownership: every pointer in an arca_extract is owned by it and freed by
 * arca_extract_free().  x->text is malloc'd, except in the one case where
 * arca_extract_init() could not allocate even its first bytes: then it
 * points to a static "" and x->cap is 0.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "indexer-private.h"

static char empty_text[1];

void arca_extract_init(arca_extract *x, size_t max_text)
{
    memset(x, 0, sizeof *x);
    x->max = max_text ? max_text : ARCA_DEFAULT_MAX_TEXT;
    x->cap = 256;
    x->text = malloc(x->cap);
    if (x->text == NULL) {
        x->text = empty_text;
        x->cap = 0;
    }
    x->text[0] = '\0';
}

void arca_extract_free(arca_extract *x)
{
    if (x == NULL)
        return;
    if (x->cap)
        free(x->text);
    free(x->title);
    free(x->author);
    free(x->date);
    free(x->lang);
    free(x->description);
    free(x->keywords);
    free(x->charset);
    for (size_t i = 0; i < x->nfields; i++) {
        free(x->fields[i].name);
        free(x->fields[i].value);
    }
    free(x->fields);
    for (size_t i = 0; i < x->nchildren; i++) {
        free(x->children[i].name);
        free(x->children[i].data);
        free(x->children[i].note);
    }
    free(x->children);
    memset(x, 0, sizeof *x);
}

/* Members a single extraction may hand over, whatever the indexer. */
#define MAX_CHILDREN 100000

/* NAME as a display name: valid UTF-8, no "." or ".." segments, no
 * leading or doubled "/", no control characters. */
static char *clean_name(const char *name)
{
    size_t n = strlen(name);
    char *out = malloc(n + 2), *o = out;
    if (out == NULL)
        return NULL;
    const char *p = name;
    while (*p) {
        const char *seg = p;
        while (*p && *p != '/' && *p != '\\')
            p++;
        size_t k = (size_t)(p - seg);
        if (*p)
            p++;
        if (k == 0 || (k == 1 && seg[0] == '.') ||
            (k == 2 && seg[0] == '.' && seg[1] == '.'))
            continue;
        if (o != out)
            *o++ = '/';
        for (size_t i = 0; i < k; i++)
            *o++ = (unsigned char)seg[i] < 0x20 ? '_' : seg[i];
    }
    *o = '\0';
    if (!arca_utf8_valid(out, (size_t)(o - out))) {
        /* A legacy-encoded name (CP949 zips...): decoded as text is. */
        char *dec = NULL, used[64];
        size_t dlen;
        if (arca_decode(out, (size_t)(o - out), NULL, &dec, &dlen, used) ==
            ARCA_OK) {
            free(out);
            return dec;
        }
        free(dec);
        for (char *q = out; *q; q++)
            if ((unsigned char)*q >= 0x80)
                *q = '_';
    }
    if (out[0] == '\0') {
        free(out);
        out = strdup("unnamed");
    }
    return out;
}

arca_status arca_extract_child(arca_extract *x, const char *name,
                               const void *data, size_t len,
                               const char *note)
{
    if (x->nchildren >= MAX_CHILDREN)
        return ARCA_ELIMIT;
    arca_child *c = realloc(x->children,
                            (x->nchildren + 1) * sizeof *x->children);
    if (c == NULL)
        return ARCA_ENOMEM;
    x->children = c;
    c = &x->children[x->nchildren];
    memset(c, 0, sizeof *c);
    c->name = clean_name(name ? name : "");
    /* A name that climbs out ("../../x") or starts at the root says
     * something about the file: keep that as its note. */
    char unsafe[512];
    if (note == NULL && name && c->name &&
        (name[0] == '/' || strncmp(name, "../", 3) == 0 ||
         strstr(name, "/../") != NULL || strcmp(name, "..") == 0)) {
        snprintf(unsafe, sizeof unsafe, "unsafe name \"%.200s\" kept as "
                 "\"%.200s\"", name, c->name);
        note = unsafe;
    }
    if (data) {
        c->data = malloc(len ? len : 1);
        if (c->data)
            memcpy(c->data, data, len);
        c->len = len;
    }
    c->note = note ? strdup(note) : NULL;
    if (c->name == NULL || (data && c->data == NULL) ||
        (note && c->note == NULL)) {
        free(c->name);
        free(c->data);
        free(c->note);
        return ARCA_ENOMEM;
    }
    x->nchildren++;
    x->child_bytes += len;
    return ARCA_OK;
}

/* The length of S[0..n) cut back so it does not end inside a character. */
static size_t utf8_cut(const char *s, size_t n, size_t want)
{
    if (want >= n)
        return n;
    while (want > 0 && ((unsigned char)s[want] & 0xC0) == 0x80)
        want--;
    return want;
}

arca_status arca_extract_append(arca_extract *x, const char *s, size_t n)
{
    if (n == 0 || x->truncated)
        return ARCA_OK;
    if (x->len >= x->max) {
        x->truncated = 1;
        return ARCA_OK;
    }
    if (n > x->max - x->len) {
        n = utf8_cut(s, n, x->max - x->len);
        x->truncated = 1;
        if (n == 0)
            return ARCA_OK;
    }
    if (x->cap == 0 || n >= x->cap - x->len) {
        size_t need = x->len + n + 1;
        size_t cap = x->cap ? x->cap : 256;
        while (cap < need)
            cap = cap > (size_t)-1 / 2 ? need : cap * 2;
        char *p = realloc(x->cap ? x->text : NULL, cap);
        if (p == NULL)
            return arca_extract_fail(x, ARCA_ENOMEM,
                                     "out of memory growing text to %zu bytes",
                                     need);
        x->text = p;
        x->cap = cap;
    }
    memcpy(x->text + x->len, s, n);
    x->len += n;
    x->text[x->len] = '\0';
    return ARCA_OK;
}

/* Is S[i..] white space (ASCII, U+00A0, U+3000)?  Its length, or 0. */
static size_t space_at(const unsigned char *s, size_t i, size_t n)
{
    if (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))
        return 1;
    if (s[i] == 0xC2 && i + 1 < n && s[i + 1] == 0xA0)
        return 2;
    if (s[i] == 0xE3 && i + 2 < n && s[i + 1] == 0x80 && s[i + 2] == 0x80)
        return 3;
    return 0;
}

/* A malloc'd copy of S trimmed of white space and capped; NULL if empty. */
static char *trimmed_copy(const char *s, int *oom)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), a = 0, k;
    *oom = 0;
    while (a < n && (k = space_at(u, a, n)) != 0)
        a += k;
    size_t b = n;
    while (b > a) {
        if (u[b - 1] == ' ' || (u[b - 1] >= '\t' && u[b - 1] <= '\r'))
            b--;
        else if (b - a >= 2 && u[b - 2] == 0xC2 && u[b - 1] == 0xA0)
            b -= 2;
        else if (b - a >= 3 && u[b - 3] == 0xE3 && u[b - 2] == 0x80 &&
                 u[b - 1] == 0x80)
            b -= 3;
        else
            break;
    }
    if (b == a)
        return NULL;
    size_t len = utf8_cut(s + a, b - a, ARCA_FIELD_MAX);
    char *c = malloc(len + 1);
    if (c == NULL) {
        *oom = 1;
        return NULL;
    }
    memcpy(c, s + a, len);
    c[len] = '\0';
    return c;
}

arca_status arca_extract_set(arca_extract *x, char **slot, const char *s)
{
    char *c = NULL;
    int oom = 0;
    if (s != NULL) {
        c = trimmed_copy(s, &oom);
        if (oom)
            return arca_extract_fail(x, ARCA_ENOMEM,
                                     "out of memory copying a field");
    }
    free(*slot);
    *slot = c;
    return ARCA_OK;
}

arca_status arca_extract_field(arca_extract *x, const char *name,
                               const char *value)
{
    int oom = 0;
    if (x->nfields >= ARCA_FIELDS_MAX || name == NULL || value == NULL)
        return ARCA_OK;
    char *v = trimmed_copy(value, &oom);
    if (v == NULL)
        goto out;
    char *nm = strdup(name);
    arca_kv *f = realloc(x->fields, (x->nfields + 1) * sizeof *f);
    if (nm == NULL || f == NULL) {
        free(nm);
        free(v);
        if (f != NULL)
            x->fields = f;
        oom = 1;
        goto out;
    }
    x->fields = f;
    f[x->nfields].name = nm;
    f[x->nfields].value = v;
    x->nfields++;
out:
    if (oom)
        return arca_extract_fail(x, ARCA_ENOMEM,
                                 "out of memory adding field %s", name);
    return ARCA_OK;
}

arca_status arca_extract_fail(arca_extract *x, arca_status st,
                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->errmsg, sizeof x->errmsg, fmt, ap);
    va_end(ap);
    return st;
}

/* ---- Dates ---- */

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

static int date_ok(int y, int m, int d, char out[11])
{
    if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 ||
        d > days_in_month(y, m))
        return 0;
    const int v[3] = {y, m, d}, w[3] = {4, 2, 2};
    char *o = out;
    for (int f = 0; f < 3; f++) {
        for (int k = w[f] - 1, x = v[f]; k >= 0; k--, x /= 10)
            o[k] = (char)('0' + x % 10);
        o += w[f];
        *o++ = f < 2 ? '-' : '\0';
    }
    return 1;
}

/* A month's number from an English name or its first three letters. */
static int month_name(const char *w, size_t n)
{
    static const char *const names[12] = {
        "january", "february", "march", "april", "may", "june", "july",
        "august", "september", "october", "november", "december"};
    if (n < 3)
        return 0;
    for (int i = 0; i < 12; i++) {
        size_t full = strlen(names[i]);
        if (n > full || (n != 3 && n != full && !(i == 8 && n == 4)))
            continue;
        if (strncasecmp(w, names[i], n) == 0)
            return i + 1;
    }
    return 0;
}

enum { DATE_TOKENS = 12 };

struct date_tok {
    int kind;          /* 'n' number, 'm' month name */
    int value;
    int digits;
    char after;        /* the byte after the token */
};

int arca_date_parse(const char *s, char out[11])
{
    struct date_tok t[DATE_TOKENS];
    int nt = 0;
    const unsigned char *p = (const unsigned char *)s;

    /* Split into numbers and words; keep the separator after each. */
    while (*p && nt < DATE_TOKENS) {
        if (isdigit(*p)) {
            int v = 0, dg = 0;
            while (isdigit(*p)) {
                if (dg < 9)
                    v = v * 10 + (*p - '0');
                dg++;
                p++;
            }
            t[nt++] = (struct date_tok){'n', v, dg, (char)*p};
        } else if (isalpha(*p)) {
            const unsigned char *w = p;
            while (isalpha(*p))
                p++;
            int m = month_name((const char *)w, (size_t)(p - w));
            if (m)
                t[nt++] = (struct date_tok){'m', m, 0, (char)*p};
        } else {
            p++;
        }
    }
    if (nt == 0)
        return 0;

    /* 20231213 */
    if (t[0].kind == 'n' && t[0].digits == 8)
        return date_ok(t[0].value / 10000, t[0].value / 100 % 100,
                       t[0].value % 100, out);
    /* 2023-12-13, 2023/12/13, 2023.12.13, 2023년 12월 13일, ISO with time */
    if (nt >= 3 && t[0].kind == 'n' && t[0].digits == 4 &&
        t[1].kind == 'n' && t[1].digits <= 2 && t[2].kind == 'n' &&
        t[2].digits <= 2)
        return date_ok(t[0].value, t[1].value, t[2].value, out);
    /* 13.12.2023 (day first), 12/13/2023 (US, unless the first is > 12) */
    if (nt >= 3 && t[0].kind == 'n' && t[0].digits <= 2 &&
        t[1].kind == 'n' && t[1].digits <= 2 && t[2].kind == 'n' &&
        t[2].digits == 4) {
        if (t[0].after == '/' && t[0].value <= 12)
            return date_ok(t[2].value, t[0].value, t[1].value, out);
        return date_ok(t[2].value, t[1].value, t[0].value, out);
    }
    /* Month names: "13 Dec 2023", "December 13, 2023", RFC 2822. */
    int month = 0, day = 0, year = 0;
    for (int i = 0; i < nt; i++) {
        if (t[i].kind == 'm' && !month)
            month = t[i].value;
        else if (t[i].kind == 'n' && t[i].digits == 4 && !year)
            year = t[i].value;
        else if (t[i].kind == 'n' && t[i].digits <= 2 && t[i].after != ':' &&
                 !day && !(i > 0 && t[i - 1].after == ':'))
            day = t[i].value;
    }
    if (month && day && year)
        return date_ok(year, month, day, out);
    return 0;
}
