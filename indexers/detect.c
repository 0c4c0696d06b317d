/*
 * detect.c: the MIME type of a file from its content (libmagic) and, where
 * libmagic's answer is generic, from its name and a closer look at the
 * bytes.  Knows nothing of what is done with the answer.
 *
 * libmagic is loaded once per detector (magic_load is slow) and never
 * decompresses anything (no MAGIC_COMPRESS); it reads at most
 * DETECT_BYTES of each input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <magic.h>

#include "indexer-private.h"

#define DETECT_BYTES ((size_t)1 << 20)
/* How far the closer looks reach into the content. */
#define SNIFF_BYTES ((size_t)8 << 10)

struct arca_detector {
    magic_t magic;
};

arca_status arca_detector_new(arca_detector **out, char *errbuf,
                              size_t errlen)
{
    arca_status rc = ARCA_OK;
    arca_detector *d = NULL;
    const size_t bytes_max = DETECT_BYTES;

    *out = NULL;
    d = calloc(1, sizeof *d);
    if (d == NULL) {
        rc = ARCA_ENOMEM;
        snprintf(errbuf, errlen, "libmagic: out of memory");
        goto out;
    }
    d->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_MIME_ENCODING |
                          MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF |
                          MAGIC_NO_CHECK_APPTYPE);
    if (d->magic == NULL) {
        rc = errno == ENOMEM ? ARCA_ENOMEM : ARCA_EIO;
        snprintf(errbuf, errlen, "libmagic: cannot open: %s",
                 strerror(errno));
        goto out;
    }
    if (magic_load(d->magic, NULL) != 0) {
        rc = ARCA_EIO;
        snprintf(errbuf, errlen,
                 "libmagic: cannot load the default magic database: %s",
                 magic_error(d->magic) ? magic_error(d->magic) : "unknown");
        goto out;
    }
    if (magic_setparam(d->magic, MAGIC_PARAM_BYTES_MAX, &bytes_max) != 0) {
        rc = ARCA_EIO;
        snprintf(errbuf, errlen, "libmagic: cannot set its byte limit: %s",
                 magic_error(d->magic) ? magic_error(d->magic) : "unknown");
        goto out;
    }
out:
    if (rc != ARCA_OK) {
        arca_detector_free(d);
        return rc;
    }
    *out = d;
    return ARCA_OK;
}

void arca_detector_free(arca_detector *d)
{
    if (d == NULL)
        return;
    if (d->magic != NULL)
        magic_close(d->magic);
    free(d);
}

/* ---- Looking closer ---- */

/* The extension of NAME (after the last dot of its last component). */
static const char *extension(const char *name)
{
    if (name == NULL)
        return "";
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot + 1 : "";
}

/* Does S[0..n) contain NEEDLE (lower case), ignoring ASCII case? */
static int contains_ci(const unsigned char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++) {
        if (s[i] != (unsigned char)needle[0])
            continue;
        if (strncasecmp((const char *)s + i, needle, k) == 0)
            return 1;
    }
    return 0;
}

/* Markup only an HTML page has, in its first bytes. */
static int has_html_markup(const unsigned char *s, size_t n)
{
    static const char *const tags[] = {"<html", "<!doctype html", "<head",
                                       "<body", "<title", "<div", "<p>",
                                       "<table", "<br"};
    if (n > SNIFF_BYTES)
        n = SNIFF_BYTES;
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (contains_ci(s, n, tags[i]))
            return 1;
    return 0;
}

/* Skip from S[i] past the first TERM; n if absent. */
static size_t skip_past(const unsigned char *s, size_t n, size_t i,
                        const char *term)
{
    size_t k = strlen(term);
    for (; i + k <= n; i++)
        if (memcmp(s + i, term, k) == 0)
            return i + k;
    return n;
}

/*
 * Is the root element of this XML an XHTML page: an <html> root (with or
 * without a prefix), or a root in the XHTML namespace?
 */
static int xml_root_is_html(const unsigned char *s, size_t n)
{
    size_t i = 0;
    if (n > SNIFF_BYTES)
        n = SNIFF_BYTES;
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        i = 3;
    while (i < n) {
        unsigned c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            i++;
        } else if (c != '<' || i + 1 >= n) {
            return 0;
        } else if (s[i + 1] == '?') {
            i = skip_past(s, n, i + 2, "?>");
        } else if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
            i = skip_past(s, n, i + 4, "-->");
        } else if (s[i + 1] == '!') {
            /* A DOCTYPE, perhaps with an internal subset in [...]. */
            size_t j = i + 2;
            while (j < n && s[j] != '>' && s[j] != '[')
                j++;
            if (j < n && s[j] == '[')
                j = skip_past(s, n, j, "]");
            i = skip_past(s, n, j, ">");
        } else {
            size_t a = i + 1, b = a, colon = a;
            while (b < n && s[b] != ' ' && s[b] != '>' && s[b] != '/' &&
                   s[b] != '\t' && s[b] != '\r' && s[b] != '\n') {
                if (s[b] == ':')
                    colon = b + 1;
                b++;
            }
            if (b - colon == 4 && strncasecmp((const char *)s + colon,
                                              "html", 4) == 0)
                return 1;
            size_t end = b;
            while (end < n && s[end] != '>')
                end++;
            return contains_ci(s + b, end - b, "http://www.w3.org/1999/xhtml");
        }
    }
    return 0;
}

/*
 * The charset name libmagic gives text: "us-ascii", "utf-8", "iso-8859-1"
 * (8-bit without C1 controls, whatever the real encoding) or
 * "unknown-8bit".
 */
static const char *text_charset(const unsigned char *s, size_t n)
{
    size_t high = 0, c1 = 0;
    for (size_t i = 0; i < n; i++) {
        high += s[i] >= 0x80;
        c1 += s[i] >= 0x80 && s[i] < 0xA0;
    }
    if (high == 0)
        return "us-ascii";
    if (arca_utf8_valid((const char *)s, n))
        return "utf-8";
    return c1 ? "unknown-8bit" : "iso-8859-1";
}

/*
 * Text that libmagic called binary over a stray control byte or two: no
 * NUL, and at most one control character per thousand bytes.  *CHARSET
 * gets what libmagic would have said of clean text.
 */
static int looks_like_text(const unsigned char *s, size_t n,
                           const char **charset)
{
    size_t ctrl = 0;
    if (n > DETECT_BYTES)
        n = DETECT_BYTES;
    for (size_t i = 0; i < n; i++) {
        unsigned c = s[i];
        if (c == 0)
            return 0;
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' &&
             c != '\v' && c != '\b' && c != 0x1B) || c == 0x7F)
            ctrl++;
    }
    if (ctrl * 1000 > n)
        return 0;
    *charset = text_charset(s, n);
    return 1;
}

/*
 * A web page, known from its first bytes: "<!DOCTYPE html", "<html", or
 * an XML declaration followed by an <html> root.  libmagic would say
 * text/html or text/xml (refined to text/html below) after running its
 * whole text rule set, which costs more than extracting the page.
 */
static int markup_page(const unsigned char *s, size_t n, const char **charset)
{
    size_t i = 0, m = n < SNIFF_BYTES ? n : SNIFF_BYTES;
    if (memchr(s, 0, m) != NULL)
        return 0;
    if (m >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        i = 3;
    while (i < m && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
                     s[i] == '\n'))
        i++;
    if (!(m - i >= 14 && strncasecmp((const char *)s + i, "<!doctype html", 14) == 0) &&
        !(m - i >= 5 && strncasecmp((const char *)s + i, "<html", 5) == 0 &&
          (m - i == 5 || strchr(" \t\r\n>", s[i + 5]) != NULL)) &&
        !(m - i >= 5 && memcmp(s + i, "<?xml", 5) == 0 &&
          xml_root_is_html(s, m)))
        return 0;
    *charset = text_charset(s, n < DETECT_BYTES ? n : DETECT_BYTES);
    return 1;
}

static unsigned le16(const unsigned char *p)
{
    return p[0] | (unsigned)p[1] << 8;
}

static unsigned long le32(const unsigned char *p)
{
    return le16(p) | (unsigned long)le16(p + 2) << 16;
}

static int mime_char(unsigned c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '+' || c == '-' || c == '/' || c == '_';
}

/*
 * A zip whose first member is an uncompressed "mimetype" (the packaging
 * of ODF, EPUB and HWPX) names its own type.  Copy it into OUT.
 */
static int zip_mimetype(const unsigned char *s, size_t n, char out[128])
{
    if (n < 38 || memcmp(s, "PK\3\4", 4) != 0)
        return 0;
    unsigned flags = le16(s + 6), method = le16(s + 8);
    unsigned long size = le32(s + 18);
    size_t name_len = le16(s + 26), extra_len = le16(s + 28);
    if (method != 0 || name_len != 8 || memcmp(s + 30, "mimetype", 8) != 0)
        return 0;
    size_t off = 30 + name_len + extra_len, k = 0, slashes = 0;
    if (off >= n)
        return 0;
    if (size == 0 && (flags & 8))
        size = 127;     /* sizes follow the data: read up to the next PK */
    while (k < size && k < 127 && off + k < n && mime_char(s[off + k])) {
        slashes += s[off + k] == '/';
        k++;
    }
    if (k < 3 || slashes != 1 || s[off] == '/' || s[off + k - 1] == '/')
        return 0;
    if (!(flags & 8) && k != size)
        return 0;
    memcpy(out, s + off, k);
    out[k] = '\0';
    return 1;
}

/* ---- Refinements, by what libmagic said ---- */

struct sniff {
    const unsigned char *data;
    size_t len;
    const char *name;
    const char *ext;
    char *mime;             /* [128], rewritten in place */
    char *charset;          /* [64] */
};

static void set_str(char *dst, size_t size, const char *s)
{
    snprintf(dst, size, "%s", s);
}

static int ext_is(const struct sniff *f, const char *const *exts)
{
    for (; *exts; exts++)
        if (strcasecmp(f->ext, *exts) == 0)
            return 1;
    return 0;
}

static const char *const html_exts[] = {"html", "htm", "xhtml", "shtml",
                                        NULL};

static void refine_binary(struct sniff *f)
{
    const char *cs;
    if (looks_like_text(f->data, f->len, &cs)) {
        set_str(f->mime, 128, "text/plain");
        set_str(f->charset, 64, cs);
    }
}

static void refine_text(struct sniff *f)
{
    static const struct {
        const char *ext, *mime;
    } by_ext[] = {
        {"csv", "text/csv"},
        {"tsv", "text/tab-separated-values"},
        {"md", "text/markdown"},
        {"markdown", "text/markdown"},
        {"json", "application/json"},
    };
    if (ext_is(f, html_exts) && has_html_markup(f->data, f->len)) {
        set_str(f->mime, 128, "text/html");
        return;
    }
    /* libmagic names an mbox only when its first message has certain
     * headers; an envelope line followed by any header is enough. */
    if (arca_mbox_sniff(f->data, f->len)) {
        set_str(f->mime, 128, "application/mbox");
        return;
    }
    for (size_t i = 0; i < sizeof by_ext / sizeof by_ext[0]; i++)
        if (strcasecmp(f->ext, by_ext[i].ext) == 0) {
            set_str(f->mime, 128, by_ext[i].mime);
            return;
        }
}

static void refine_xml(struct sniff *f)
{
    if (xml_root_is_html(f->data, f->len) ||
        (ext_is(f, html_exts) &&
         contains_ci(f->data, f->len < SNIFF_BYTES ? f->len : SNIFF_BYTES,
                     "<html")))
        set_str(f->mime, 128, "text/html");
}

static void refine_zip(struct sniff *f)
{
    char m[128];
    if (zip_mimetype(f->data, f->len, m))
        set_str(f->mime, 128, m);
}

static const struct refinement {
    const char *mime;
    void (*fn)(struct sniff *f);
} refinements[] = {
    {"application/octet-stream", refine_binary},
    {"text/plain", refine_text},
    {"text/xml", refine_xml},
    {"application/xml", refine_xml},
    {"application/zip", refine_zip},
};

arca_status arca_detect(arca_detector *d, const void *data, size_t len,
                        const char *name, char mime[128], char charset[64])
{
    struct sniff f = {data, len, name, extension(name), mime, charset};
    mime[0] = charset[0] = '\0';
    if (d == NULL || (data == NULL && len > 0))
        return ARCA_EINVAL;
    if (len == 0) {
        set_str(mime, 128, "inode/x-empty");
        set_str(charset, 64, "binary");
        return ARCA_OK;
    }

    const char *cs;
    if (markup_page(data, len, &cs)) {
        set_str(mime, 128, "text/html");
        set_str(charset, 64, cs);
        return ARCA_OK;
    }

    /* "type/subtype; charset=x"; on failure, the type of unknown bytes. */
    const char *r = magic_buffer(d->magic, data, len);
    if (r == NULL)
        r = "application/octet-stream; charset=binary";
    size_t k = strcspn(r, "; \t\n");
    snprintf(mime, 128, "%.*s", (int)(k < 127 ? k : 127), r);
    cs = strstr(r + k, "charset=");
    if (cs != NULL) {
        cs += 8;
        snprintf(charset, 64, "%.*s", (int)strcspn(cs, "; \t\n"), cs);
    }

    /* Each refinement may hand over to the next (binary -> text). */
    for (size_t i = 0; i < sizeof refinements / sizeof refinements[0]; i++)
        if (strcmp(mime, refinements[i].mime) == 0)
            refinements[i].fn(&f);
    return ARCA_OK;
}
