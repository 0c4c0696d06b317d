/*
 * norm.c: one form for text that means the same.
 *
 * Every text arca extracts, every field and every query goes through
 * arca_norm() before it is stored or indexed or parsed, so that the same
 * words match however they were written:
 * - Unicode NFC (utf8proc): Hangul decomposed into jamo by some file
 *   systems and old tools (U+1100 ᄒ U+1161 ᅡ U+11AB ᆫ) becomes the
 *   syllable (U+D55C 한), a letter and a combining accent one letter;
 * - the full-width and half-width forms (U+FF00..U+FFEF) and the
 *   ideographic space (U+3000) become their ordinary forms: Ａｒｃａ is
 *   Arca, （ is (, ﾊﾟ is パ.  Only these: full NFKC would also turn ①
 *   into 1 and ﬁ into fi, which is not the same text.
 * Text made only of characters both leave alone (most text) is checked
 * in one pass and not copied.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "arca-private.h"

/* A width variant as its ordinary character; anything else unchanged. */
static utf8proc_int32_t fold_width(utf8proc_int32_t c, void *unused)
{
    (void)unused;
    if (c == 0x3000)
        return ' ';
    if (c < 0xFF00 || c > 0xFFEF)
        return c;
    utf8proc_int32_t d[4];
    int last = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(
        c, d, 4, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, &last);
    return n == 1 ? d[0] : c;
}

/*
 * 1 if every character of S[0..N) is one NFC and the width folding leave
 * alone for sure: ASCII, precomposed Latin, Cyrillic, general
 * punctuation, CJK punctuation but the ideographic space, kana but the
 * two combining sound marks, unified Han, Hangul syllables.  Most text is
 * all of these, and then utf8proc, which decomposes and composes every
 * character, need not run.  Anything else (combining marks, jamo, width
 * forms, compatibility ideographs) or a byte that is not UTF-8: 0.
 */
static int surely_normal(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        unsigned cp;
        if ((c & 0xE0) == 0xC0 && i + 1 < n) {
            cp = ((c & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu);
            i += 2;
        } else if ((c & 0xF0) == 0xE0 && i + 2 < n) {
            cp = ((c & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) |
                 (p[i + 2] & 0x3Fu);
            i += 3;
        } else {
            return 0;
        }
        int safe = (cp >= 0x80 && cp < 0x300) ||
                   (cp >= 0x400 && cp <= 0x482) ||     /* Cyrillic letters */
                   (cp >= 0x48A && cp <= 0x52F) ||
                   (cp >= 0x2010 && cp <= 0x205E) ||   /* punctuation */
                   (cp >= 0x3001 && cp <= 0x3029) ||   /* CJK punctuation */
                   (cp >= 0x3030 && cp <= 0x303F) ||
                   (cp >= 0x3041 && cp <= 0x3096) ||   /* hiragana */
                   (cp >= 0x30A0 && cp <= 0x30FF) ||   /* katakana */
                   (cp >= 0x4E00 && cp <= 0x9FFF) ||   /* unified Han */
                   (cp >= 0xAC00 && cp <= 0xD7A3);     /* Hangul */
        if (!safe)
            return 0;
    }
    return 1;
}

arca_status arca_norm(const char *s, size_t n, char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (s == NULL || surely_normal(s, n))
        return ARCA_OK;
    if (n > (size_t)PTRDIFF_MAX / 8)
        return ARCA_ELIMIT;
    utf8proc_uint8_t *r = NULL;
    utf8proc_ssize_t len = utf8proc_map_custom(
        (const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &r,
        UTF8PROC_STABLE | UTF8PROC_COMPOSE, fold_width, NULL);
    if (len < 0)
        return len == UTF8PROC_ERROR_NOMEM ? ARCA_ENOMEM : ARCA_EINVAL;
    if ((size_t)len == n && memcmp(r, s, n) == 0) {
        free(r);                /* the same: keep the caller's */
        return ARCA_OK;
    }
    *out = (char *)r;
    *outlen = (size_t)len;
    return ARCA_OK;
}

arca_status arca_norm_inplace(char **s, size_t *len)
{
    if (*s == NULL)
        return ARCA_OK;
    size_t n = len ? *len : strlen(*s), m;
    char *t;
    arca_status rc = arca_norm(*s, n, &t, &m);
    if (rc || t == NULL)
        return rc;
    free(*s);
    *s = t;
    if (len)
        *len = m;
    return ARCA_OK;
}

/* ---- Whole titles ---- */

static int is_space_byte(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* S past a leading section number: "3.", "3.1.2 ", "8장. ", "第3章 ". */
static const char *past_number(const char *s)
{
    const char *p = s;
    int first = strncmp(p, "第", 3) == 0;
    if (first)
        p += 3;
    if (*p < '0' || *p > '9')
        return s;
    int marked = first;         /* a dot or a chapter sign: a number,
                                   where "2023 Report" is a year */
    while ((*p >= '0' && *p <= '9') || *p == '.')
        marked |= *p++ == '.';
    if (strncmp(p, "장", 3) == 0 || strncmp(p, "章", 3) == 0 ||
        strncmp(p, "절", 3) == 0) {
        p += 3;
        marked = 1;
    }
    if (*p == '.' || *p == ')') {
        p++;
        marked = 1;
    }
    if (!marked)
        return s;
    if (!is_space_byte(*p) && !(first && p > s + 3))
        return s;
    while (is_space_byte(*p))
        p++;
    return *p ? p : s;
}

size_t arca_title_key(const char *title, char *out, size_t outlen)
{
    if (outlen == 0)
        return 0;
    out[0] = '\0';
    if (title == NULL)
        return 0;
    while (is_space_byte(*title))
        title++;
    const char *t = past_number(title);
    utf8proc_uint8_t *f = NULL;
    utf8proc_ssize_t n = utf8proc_map(
        (const utf8proc_uint8_t *)t, (utf8proc_ssize_t)strlen(t), &f,
        UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
    if (n < 0)
        return 0;
    size_t o = 0;
    int space = 0;
    for (const char *r = (const char *)f; *r; r++) {
        if (is_space_byte(*r)) {
            space = o > 0;
            continue;
        }
        size_t k = 1;           /* the whole character, or none of it */
        while ((r[k] & 0xC0) == 0x80)
            k++;
        if (o + space + k + 1 > outlen || o + space + k > ARCA_TITLE_KEY_MAX)
            break;
        if (space)
            out[o++] = ' ';
        space = 0;
        memcpy(out + o, r, k);
        o += k;
        r += k - 1;
    }
    out[o] = '\0';
    free(f);
    return o;
}
