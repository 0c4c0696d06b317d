/*
 * util.c: small helpers shared by core/: growable strings, whole-file
 * reads, dates, slugs and a script-based language guess.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arca-private.h"

/* ---- Growable strings ---- */

static arca_status str_reserve(arca_str *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return ARCA_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2)
            return ARCA_ENOMEM;
        cap *= 2;
    }
    char *s = realloc(b->s, cap);
    if (s == NULL)
        return ARCA_ENOMEM;
    b->s = s;
    b->cap = cap;
    return ARCA_OK;
}

arca_status arca_str_add(arca_str *b, const char *s, size_t n)
{
    arca_status rc = str_reserve(b, n);
    if (rc)
        return rc;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return ARCA_OK;
}

arca_status arca_str_addz(arca_str *b, const char *s)
{
    return arca_str_add(b, s, strlen(s));
}

arca_status arca_str_printf(arca_str *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return ARCA_EINVAL;
    arca_status rc = str_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return ARCA_OK;
}

void arca_str_free(arca_str *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

char *arca_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---- Files ---- */

int arca_read_full(int fd, void *buf, size_t len, size_t *got)
{
    size_t n = 0;
    while (n < len) {
        ssize_t r = read(fd, (char *)buf + n, len - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            *got = n;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *got = n;
    return 0;
}

arca_status arca_read_file(const char *path, uint64_t max, char **data,
                           size_t *len, char *err, size_t errlen)
{
    arca_status rc = ARCA_OK;
    char *buf = NULL;
    struct stat st;
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return errno == ENOENT ? ARCA_ENOTFOUND : ARCA_EIO;
    }
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        rc = ARCA_EIO;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        rc = ARCA_EINVAL;
        goto out;
    }
    if (max && (uint64_t)st.st_size > max) {
        snprintf(err, errlen, "%s: %lld bytes, over the limit of %llu",
                 path, (long long)st.st_size, (unsigned long long)max);
        rc = ARCA_ELIMIT;
        goto out;
    }
    size_t cap = (size_t)st.st_size, n = 0;
    buf = malloc(cap + 1);
    if (buf == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = ARCA_ENOMEM;
        goto out;
    }
    /* A file that shrank while it was read: what is there is taken. */
    if (arca_read_full(fd, buf, cap, &n) < 0) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = ARCA_EIO;
        goto out;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return rc;
}

static int rm_entry(const char *path, const struct stat *st, int type,
                    struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

arca_status arca_remove_tree(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return ARCA_OK;
    if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0) {
        snprintf(err, errlen, "%s: cannot remove: %s", path, strerror(errno));
        return ARCA_EIO;
    }
    return ARCA_OK;
}

/* ---- Dates ---- */

void arca_now_iso(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int ndigits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int arca_date_norm(const char *in, char norm[11])
{
    if (in == NULL)
        return -1;
    while (*in == ' ' || *in == '\t')
        in++;
    if (!ndigits(in, 4))
        return -1;
    const char *p = in + 4;
    if (*p == '\0' || *p == ' ' || *p == 'T') {
        memcpy(norm, in, 4);
        norm[4] = '\0';
        return 0;
    }
    char sep = *p;
    if ((sep != '-' && sep != '/' && sep != '.') || !ndigits(p + 1, 2))
        return -1;
    int month = (p[1] - '0') * 10 + (p[2] - '0');
    if (month < 1 || month > 12)
        return -1;
    p += 3;
    if (*p == '\0' || *p == ' ' || *p == 'T') {
        snprintf(norm, 11, "%.4s-%02u", in, (unsigned)month % 100u);
        return 0;
    }
    if (*p != sep || !ndigits(p + 1, 2))
        return -1;
    int day = (p[1] - '0') * 10 + (p[2] - '0');
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (day < 1 || day > mdays[month - 1])
        return -1;
    p += 3;
    if (*p != '\0' && *p != ' ' && *p != 'T')
        return -1;
    snprintf(norm, 11, "%.4s-%02u-%02u", in, (unsigned)month % 100u,
             (unsigned)day % 100u);
    return 0;
}

/* ---- Slugs ---- */

/* Length of the valid UTF-8 sequence at S (n bytes available), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t k;
    if (s[0] < 0xC2 || s[0] > 0xF4)
        return 0;
    k = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return arca_utf8_valid((const char *)s, k) ? k : 0;
}

void arca_slug(const char *in, char *out, size_t max)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t n = strlen(in), o = 0;
    int dash = 0;
    for (size_t i = 0; i < n && o + 1 < max;) {
        unsigned char c = s[i];
        size_t k;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
            c == '.' || (c >= 'A' && c <= 'Z')) {
            if (dash && o > 0 && o + 2 < max)
                out[o++] = '-';
            dash = 0;
            out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            i++;
        } else if (c >= 0x80 && (k = utf8_seq(s + i, n - i)) > 0) {
            if (o + k + (dash ? 1 : 0) + 1 > max)
                break;
            if (dash && o > 0)
                out[o++] = '-';
            dash = 0;
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        } else {
            dash = 1;
            i++;
        }
    }
    while (o > 0 && (out[o - 1] == '.' || out[o - 1] == '-'))
        o--;
    out[o] = '\0';
}

/* ---- Language by script ---- */

const char *arca_guess_lang(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t latin = 0, hangul = 0, kana = 0, han = 0, cyr = 0, mongol = 0;
    size_t i = 0, seen = 0;
    while (i < len && seen < 20000) {
        unsigned c = s[i];
        if (c < 0x80) {
            if ((c | 32) >= 'a' && (c | 32) <= 'z')
                latin++, seen++;
            i++;
            continue;
        }
        unsigned cp;
        size_t k;
        if (c >= 0xF0 && i + 3 < len) {
            cp = ((c & 7u) << 18) | ((s[i + 1] & 63u) << 12) |
                 ((s[i + 2] & 63u) << 6) | (s[i + 3] & 63u);
            k = 4;
        } else if (c >= 0xE0 && i + 2 < len) {
            cp = ((c & 15u) << 12) | ((s[i + 1] & 63u) << 6) |
                 (s[i + 2] & 63u);
            k = 3;
        } else if (c >= 0xC0 && i + 1 < len) {
            cp = ((c & 31u) << 6) | (s[i + 1] & 63u);
            k = 2;
        } else {
            i++;
            continue;
        }
        i += k;
        seen++;
        if (cp >= 0xAC00 && cp <= 0xD7A3)
            hangul++;
        else if (cp >= 0x3040 && cp <= 0x30FF)
            kana++;
        else if (cp >= 0x4E00 && cp <= 0x9FFF)
            han++;
        else if (cp >= 0x0400 && cp <= 0x04FF) {
            cyr++;
            /* Ө ө Ү ү: Mongolian Cyrillic, absent from Russian. */
            if (cp == 0x04E8 || cp == 0x04E9 || cp == 0x04AE || cp == 0x04AF)
                mongol++;
        } else if (cp >= 0xC0 && cp <= 0x24F)
            latin++;
    }
    size_t cjk = hangul + kana + han;
    /* A CJK character carries about as much as a short Latin word. */
    if (cjk * 3 >= latin && cjk > 0) {
        if (hangul >= kana && hangul * 4 >= han)
            return "ko";
        if (kana > 0 && kana * 10 >= han)
            return "ja";
        return "zh";
    }
    if (cyr > latin)
        return mongol * 50 >= cyr && mongol > 0 ? "mn" : "ru";
    if (latin > 0)
        return "en";
    return NULL;
}
