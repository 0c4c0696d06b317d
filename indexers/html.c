/*
 * html.c: the indexer of HTML and XHTML pages.  Finds the page's charset
 * in its raw bytes (BOM, XML declaration, <meta>), decodes it to UTF-8
 * with arca_decode, then runs libxml2's HTML parser over the UTF-8 with
 * the encoding forced, so libxml2 never sees legacy bytes.  Parsing is
 * SAX: no tree is built, and the callbacks below keep the visible text,
 * the title, the metadata of <meta> elements and the page's language.
 *
 * Bounds: nesting deeper than lim->max_depth stops the parse (the text so
 * far is kept, out->truncated is set), so does text past out->max; tags
 * with absurd attribute counts are trimmed before parsing because
 * libxml2 checks attribute names against each other (quadratic).
 * Nothing is fetched: HTML_PARSE_NONET, and the HTML parser reads no DTD.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "indexer-private.h"

#define TITLE_MAX 2048          /* bytes of title kept */
#define SNIFF_BYTES 8192        /* where charset declarations are looked for */
#define MAX_ATTRS 256           /* attributes per tag passed to libxml2 */

/* ---- Elements ---- */

enum kind {
    K_INLINE = 0,
    K_BLOCK,      /* starts and ends a line */
    K_PRE,        /* a block whose line breaks are kept */
    K_BREAK,      /* br, hr: a line break */
    K_SKIP,       /* content not shown: script, style ... */
    K_HEAD,       /* skipped, but holds the title and metas */
    K_TITLE,
    K_META,
    K_IMG,        /* its alt text is text */
    K_ROOT,       /* html: its lang */
    K_BODY,
};

static const struct element {
    const char *name;
    enum kind kind;
} elements[] = {  /* sorted by name, for bsearch */
    {"address", K_BLOCK}, {"area", K_IMG}, {"article", K_BLOCK},
    {"aside", K_BLOCK}, {"blockquote", K_BLOCK}, {"body", K_BODY},
    {"br", K_BREAK}, {"canvas", K_SKIP}, {"caption", K_BLOCK},
    {"center", K_BLOCK}, {"dd", K_BLOCK}, {"details", K_BLOCK},
    {"dialog", K_BLOCK}, {"dir", K_BLOCK}, {"div", K_BLOCK},
    {"dl", K_BLOCK}, {"dt", K_BLOCK}, {"fieldset", K_BLOCK},
    {"figcaption", K_BLOCK}, {"figure", K_BLOCK}, {"footer", K_BLOCK},
    {"form", K_BLOCK}, {"frameset", K_BLOCK}, {"h1", K_BLOCK},
    {"h2", K_BLOCK}, {"h3", K_BLOCK}, {"h4", K_BLOCK}, {"h5", K_BLOCK},
    {"h6", K_BLOCK}, {"head", K_HEAD}, {"header", K_BLOCK},
    {"hgroup", K_BLOCK}, {"hr", K_BREAK}, {"html", K_ROOT},
    {"iframe", K_SKIP}, {"img", K_IMG}, {"legend", K_BLOCK},
    {"li", K_BLOCK}, {"listing", K_PRE}, {"main", K_BLOCK},
    {"menu", K_BLOCK}, {"meta", K_META}, {"nav", K_BLOCK},
    {"noembed", K_SKIP}, {"noframes", K_SKIP}, {"noscript", K_SKIP},
    {"ol", K_BLOCK}, {"option", K_BLOCK}, {"p", K_BLOCK},
    {"plaintext", K_PRE}, {"pre", K_PRE}, {"script", K_SKIP},
    {"section", K_BLOCK}, {"style", K_SKIP}, {"summary", K_BLOCK},
    {"svg", K_SKIP}, {"table", K_BLOCK}, {"tbody", K_BLOCK},
    {"td", K_BLOCK}, {"template", K_SKIP}, {"textarea", K_BLOCK},
    {"tfoot", K_BLOCK}, {"th", K_BLOCK}, {"thead", K_BLOCK},
    {"title", K_TITLE}, {"tr", K_BLOCK}, {"ul", K_BLOCK},
    {"xmp", K_PRE},
};

static int element_cmp(const void *key, const void *e)
{
    return strcmp(key, ((const struct element *)e)->name);
}

static enum kind kind_of(const xmlChar *name)
{
    const struct element *e =
        bsearch(name, elements, sizeof elements / sizeof elements[0],
                sizeof elements[0], element_cmp);
    return e ? e->kind : K_INLINE;
}

/* ---- Metadata from <meta name=... content=...> ---- */

enum slot { S_TITLE, S_AUTHOR, S_DATE, S_LANG, S_DESCRIPTION, S_KEYWORDS,
            S_COUNT };

/* A meta name, the slot it fills and how much it is trusted there. */
static const struct meta_name {
    const char *name;
    enum slot slot;
    int prio;
} meta_names[] = {
    {"description", S_DESCRIPTION, 3},
    {"dc.description", S_DESCRIPTION, 2},
    {"dcterms.description", S_DESCRIPTION, 2},
    {"og:description", S_DESCRIPTION, 1},
    {"twitter:description", S_DESCRIPTION, 1},
    {"keywords", S_KEYWORDS, 3},
    {"news_keywords", S_KEYWORDS, 3},
    {"dc.subject", S_KEYWORDS, 3},
    {"author", S_AUTHOR, 3},
    {"dc.creator", S_AUTHOR, 2},
    {"dcterms.creator", S_AUTHOR, 2},
    {"article:author", S_AUTHOR, 1},
    {"citation_author", S_AUTHOR, 1},
    {"date", S_DATE, 3},
    {"dc.date", S_DATE, 3},
    {"dc.date.created", S_DATE, 3},
    {"dc.date.issued", S_DATE, 3},
    {"dcterms.date", S_DATE, 3},
    {"dcterms.created", S_DATE, 3},
    {"dcterms.issued", S_DATE, 3},
    {"article:published_time", S_DATE, 3},
    {"og:published_time", S_DATE, 3},
    {"pubdate", S_DATE, 3},
    {"publishdate", S_DATE, 3},
    {"publish-date", S_DATE, 3},
    {"publish_date", S_DATE, 3},
    {"publication_date", S_DATE, 3},
    {"citation_publication_date", S_DATE, 3},
    {"citation_date", S_DATE, 3},
    {"creation_date", S_DATE, 2},
    {"created", S_DATE, 2},
    {"dc.date.modified", S_DATE, 1},
    {"dcterms.modified", S_DATE, 1},
    {"article:modified_time", S_DATE, 1},
    {"last-modified", S_DATE, 1},
    {"dc.title", S_TITLE, 1},
    {"dcterms.title", S_TITLE, 1},
    {"og:title", S_TITLE, 1},
    {"twitter:title", S_TITLE, 1},
    {"dc.language", S_LANG, 1},
    {"dcterms.language", S_LANG, 1},
    {"language", S_LANG, 1},
    {"content-language", S_LANG, 1},
};

/* Priorities of the title and language the page states itself. */
enum { PRIO_TITLE_ELEMENT = 4, PRIO_LANG_BODY = 3, PRIO_LANG_ROOT = 4 };

/* ---- Parse state ---- */

enum { PEND_NONE, PEND_SPACE, PEND_LINE };

struct hx {
    arca_extract *out;
    htmlParserCtxtPtr ctxt;
    arca_status rc;            /* first failure; stops the parse */
    unsigned depth, max_depth;
    unsigned skip;             /* depth of the outermost hidden element */
    int skip_head;             /* ... and it is <head> */
    unsigned pre;              /* depth of the outermost <pre>, or 0 */
    int pending;               /* white space owed before the next text */
    unsigned title_depth;      /* inside <title>: its depth */
    int title_done;
    char title[TITLE_MAX];
    size_t title_len;
    int title_space;
    int prio[S_COUNT];         /* how trusted each slot's value is */
};

static void stop(struct hx *h, arca_status rc)
{
    if (h->rc == ARCA_OK)
        h->rc = rc;
    xmlStopParser(h->ctxt);
}

/* The length of white space (ASCII, U+00A0, U+3000) at S[i..n), or 0. */
static inline size_t space_len(const unsigned char *s, size_t i, size_t n)
{
    unsigned c = s[i];
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f')
        return 1;
    if (c == 0xC2 && i + 1 < n && s[i + 1] == 0xA0)
        return 2;
    if (c == 0xE3 && i + 2 < n && s[i + 1] == 0x80 && s[i + 2] == 0x80)
        return 3;
    return 0;
}

static void owe(struct hx *h, int what)
{
    if (h->pending < what)
        h->pending = what;
}

/* Append text with runs of white space collapsed to one space, or to one
 * line break when a block boundary or a <pre> line end is among them. */
static void add_text(struct hx *h, const unsigned char *s, size_t n)
{
    arca_extract *x = h->out;
    size_t i = 0, k;
    while (i < n && h->rc == ARCA_OK) {
        if ((k = space_len(s, i, n)) != 0) {
            owe(h, h->pre && s[i] == '\n' ? PEND_LINE : PEND_SPACE);
            i += k;
            continue;
        }
        size_t start = i;
        while (i < n && space_len(s, i, n) == 0)
            i++;
        if (x->len > 0 && h->pending != PEND_NONE) {
            const char *sep = h->pending == PEND_LINE ? "\n" : " ";
            if (x->text[x->len - 1] == '\n')
                sep = "";
            if (arca_extract_append(x, sep, strlen(sep)) != ARCA_OK)
                stop(h, ARCA_ENOMEM);
        }
        h->pending = PEND_NONE;
        if (arca_extract_append(x, (const char *)s + start, i - start) !=
            ARCA_OK)
            stop(h, ARCA_ENOMEM);
        else if (x->truncated)
            stop(h, ARCA_OK);
    }
}

/* Title text, collapsed the same way, kept up to TITLE_MAX bytes. */
static void add_title(struct hx *h, const unsigned char *s, size_t n)
{
    size_t i = 0, k;
    while (i < n) {
        if ((k = space_len(s, i, n)) != 0) {
            h->title_space = h->title_len > 0;
            i += k;
            continue;
        }
        size_t room = sizeof h->title - 1 - h->title_len;
        if (h->title_space && room > 1) {
            h->title[h->title_len++] = ' ';
            room--;
        }
        h->title_space = 0;
        size_t start = i;
        while (i < n && space_len(s, i, n) == 0)
            i++;
        size_t len = i - start;
        if (len > room) {
            len = room;
            while (len > 0 && (s[start + len] & 0xC0) == 0x80)
                len--;
        }
        memcpy(h->title + h->title_len, s + start, len);
        h->title_len += len;
    }
}

/* A malloc'd copy of S with runs of white space made one space. */
static char *collapse(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t full = strlen(s), n = full, w = 0, k;
    if (n > ARCA_FIELD_MAX) {
        n = ARCA_FIELD_MAX;
        while (n > 0 && (u[n] & 0xC0) == 0x80)
            n--;
    }
    char *c = malloc(n + 1);
    if (c == NULL)
        return NULL;
    for (size_t i = 0; i < n;) {
        if ((k = space_len(u, i, n)) != 0) {
            if (w > 0 && c[w - 1] != ' ')
                c[w++] = ' ';
            i += k;
        } else {
            c[w++] = s[i++];
        }
    }
    c[w] = '\0';
    return c;
}

static char **slot_ptr(arca_extract *x, enum slot s)
{
    switch (s) {
    case S_TITLE: return &x->title;
    case S_AUTHOR: return &x->author;
    case S_DATE: return &x->date;
    case S_LANG: return &x->lang;
    case S_DESCRIPTION: return &x->description;
    case S_KEYWORDS: return &x->keywords;
    case S_COUNT: break;
    }
    return NULL;
}

/* A language tag as declared, if it looks like one (BCP 47 characters). */
static int lang_ok(const char *v)
{
    size_t n = 0;
    for (; v[n]; n++) {
        char c = v[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return n >= 2 && n <= 35;
}

/* Put VALUE into slot S if it is trusted more than what is there. */
static void fill(struct hx *h, enum slot s, int prio, const char *value)
{
    char date[11];
    char *v = collapse(value);
    arca_status rc = ARCA_OK;
    if (v == NULL) {
        stop(h, ARCA_ENOMEM);
        return;
    }
    char *t = v;
    while (*t == ' ')
        t++;
    if (*t == '\0')
        goto out;
    if (s == S_KEYWORDS && h->out->keywords != NULL) {
        /* Several keyword lists add up. */
        size_t a = strlen(h->out->keywords), b = strlen(t);
        if (a + b + 2 > ARCA_FIELD_MAX)
            goto out;
        char *joined = malloc(a + b + 3);
        if (joined == NULL) {
            rc = ARCA_ENOMEM;
            goto out;
        }
        memcpy(joined, h->out->keywords, a);
        memcpy(joined + a, ", ", 2);
        memcpy(joined + a + 2, t, b + 1);
        free(h->out->keywords);
        h->out->keywords = joined;
        goto out;
    }
    if (prio <= h->prio[s])
        goto out;
    if (s == S_DATE) {
        /* A date that does not parse stays a field of its own. */
        if (!arca_date_parse(t, date))
            goto out;
        t = date;
    }
    if (s == S_LANG && !lang_ok(t))
        goto out;
    rc = arca_extract_set(h->out, slot_ptr(h->out, s), t);
    h->prio[s] = prio;
out:
    free(v);
    if (rc != ARCA_OK)
        stop(h, rc);
}

static const char *attr(const xmlChar **atts, const char *name)
{
    for (size_t i = 0; atts != NULL && atts[i] != NULL; i += 2)
        if (strcasecmp((const char *)atts[i], name) == 0)
            return atts[i + 1] ? (const char *)atts[i + 1] : "";
    return NULL;
}

static void on_meta(struct hx *h, const xmlChar **atts)
{
    const char *content = attr(atts, "content");
    const char *key = attr(atts, "name");
    char lower[64];
    size_t n;

    if (key == NULL)
        key = attr(atts, "property");
    if (key == NULL)
        key = attr(atts, "itemprop");
    int equiv = key == NULL;
    if (equiv)
        key = attr(atts, "http-equiv");
    if (key == NULL || content == NULL)
        return;
    for (n = 0; key[n] && n < sizeof lower - 1; n++)
        lower[n] = (char)(key[n] >= 'A' && key[n] <= 'Z' ? key[n] + 32
                                                         : key[n]);
    lower[n] = '\0';
    if (key[n] != '\0')
        return;
    for (size_t i = 0; i < sizeof meta_names / sizeof meta_names[0]; i++)
        if (strcmp(lower, meta_names[i].name) == 0) {
            char date[11];
            fill(h, meta_names[i].slot, meta_names[i].prio, content);
            if (meta_names[i].slot != S_DATE || arca_date_parse(content, date))
                return;
            break;
        }
    /* Every other named meta (and a date that does not parse) is a field;
     * other http-equiv pragmas (Content-Type, refresh ...) are not. */
    if (equiv)
        return;
    char *v = collapse(content);
    if (v == NULL || arca_extract_field(h->out, lower, v) != ARCA_OK)
        stop(h, ARCA_ENOMEM);
    free(v);
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    struct hx *h = ctx;
    const char *v;
    if (h->rc != ARCA_OK)
        return;
    if (++h->depth > h->max_depth) {
        h->out->truncated = 1;
        stop(h, ARCA_OK);
        return;
    }
    switch (kind_of(name)) {
    case K_INLINE:
        break;
    case K_BLOCK:
        owe(h, PEND_LINE);
        break;
    case K_PRE:
        owe(h, PEND_LINE);
        if (!h->pre)
            h->pre = h->depth;
        break;
    case K_BREAK:
        owe(h, PEND_LINE);
        break;
    case K_SKIP:
        if (!h->skip)
            h->skip = h->depth, h->skip_head = 0;
        break;
    case K_HEAD:
        if (!h->skip)
            h->skip = h->depth, h->skip_head = 1;
        break;
    case K_TITLE:
        if (!h->title_done && !h->title_depth && (!h->skip || h->skip_head))
            h->title_depth = h->depth;
        break;
    case K_META:
        on_meta(h, atts);
        break;
    case K_IMG:
        v = attr(atts, "alt");
        if (v != NULL && !h->skip && !h->title_depth) {
            owe(h, PEND_SPACE);
            add_text(h, (const unsigned char *)v, strlen(v));
            owe(h, PEND_SPACE);
        }
        break;
    case K_ROOT:
        if ((v = attr(atts, "lang")) != NULL ||
            (v = attr(atts, "xml:lang")) != NULL)
            fill(h, S_LANG, PRIO_LANG_ROOT, v);
        break;
    case K_BODY:
        owe(h, PEND_LINE);
        if ((v = attr(atts, "lang")) != NULL ||
            (v = attr(atts, "xml:lang")) != NULL)
            fill(h, S_LANG, PRIO_LANG_BODY, v);
        break;
    }
}

static void on_end(void *ctx, const xmlChar *name)
{
    struct hx *h = ctx;
    if (h->rc != ARCA_OK || h->depth == 0)
        return;
    if (h->title_depth == h->depth) {
        h->title_depth = 0;
        h->title_done = 1;
        h->title[h->title_len] = '\0';
        if (h->title_len > 0)
            fill(h, S_TITLE, PRIO_TITLE_ELEMENT, h->title);
    }
    if (h->skip == h->depth)
        h->skip = 0;
    if (h->pre == h->depth)
        h->pre = 0;
    switch (kind_of(name)) {
    case K_BLOCK:
    case K_PRE:
    case K_BODY:
        owe(h, PEND_LINE);
        break;
    default:
        break;
    }
    h->depth--;
}

static void on_text(void *ctx, const xmlChar *s, int len)
{
    struct hx *h = ctx;
    if (h->rc != ARCA_OK || len <= 0)
        return;
    if (h->title_depth)
        add_title(h, s, (size_t)len);
    else if (!h->skip)
        add_text(h, s, (size_t)len);
}

/* ---- Charset declarations in the raw bytes ---- */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int starts_ci(const unsigned char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n >= k && strncasecmp((const char *)s, lit, k) == 0;
}

/* Copy a charset label at S (letters, digits, - _ . :) into LABEL. */
static int copy_label(const unsigned char *s, size_t n, char label[64])
{
    size_t k = 0;
    while (k < n && k < 63 &&
           ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
            (s[k] >= '0' && s[k] <= '9') || s[k] == '-' || s[k] == '_' ||
            s[k] == '.' || s[k] == ':'))
        k++;
    memcpy(label, s, k);
    label[k] = '\0';
    return k > 0;
}

/* "text/html; charset=EUC-KR" -> "EUC-KR" */
static int charset_param(const unsigned char *s, size_t n, char label[64])
{
    for (size_t i = 0; i + 7 <= n; i++) {
        if (!starts_ci(s + i, n - i, "charset"))
            continue;
        size_t j = i + 7;
        while (j < n && is_space(s[j]))
            j++;
        if (j >= n || s[j] != '=')
            continue;
        j++;
        while (j < n && (is_space(s[j]) || s[j] == '"' || s[j] == '\''))
            j++;
        return copy_label(s + j, n - j, label);
    }
    return 0;
}

/* encoding="..." in an XML declaration at the start of S. */
static int xml_encoding(const unsigned char *s, size_t n, char label[64])
{
    size_t i = 0;
    while (i < n && is_space(s[i]))
        i++;
    if (!starts_ci(s + i, n - i, "<?xml"))
        return 0;
    size_t end = i + 5;
    while (end + 1 < n && !(s[end] == '?' && s[end + 1] == '>'))
        end++;
    for (size_t j = i + 5; j + 8 <= end; j++) {
        if (memcmp(s + j, "encoding", 8) != 0)
            continue;
        size_t k = j + 8;
        while (k < end && is_space(s[k]))
            k++;
        if (k >= end || s[k] != '=')
            return 0;
        k++;
        while (k < end && is_space(s[k]))
            k++;
        if (k >= end || (s[k] != '"' && s[k] != '\''))
            return 0;
        return copy_label(s + k + 1, end - k - 1, label);
    }
    return 0;
}

/*
 * <meta charset=X> or <meta http-equiv=Content-Type content="...;
 * charset=X">, found as the HTML standard's prescan does: comments are
 * skipped and attributes are read properly (quoted or not).
 */
static int meta_charset(const unsigned char *s, size_t n, char label[64])
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '<')
            continue;
        if (starts_ci(s + i, n - i, "<!--")) {
            size_t j = i + 4;
            while (j + 3 <= n && memcmp(s + j, "-->", 3) != 0)
                j++;
            i = j + 2;
            continue;
        }
        if (!starts_ci(s + i, n - i, "<meta") || i + 5 >= n ||
            !(is_space(s[i + 5]) || s[i + 5] == '/'))
            continue;
        size_t p = i + 5;
        int is_ctype = 0;
        char from_content[64] = "";
        for (;;) {
            while (p < n && (is_space(s[p]) || s[p] == '/'))
                p++;
            if (p >= n || s[p] == '>')
                break;
            size_t a = p;
            while (p < n && !is_space(s[p]) && s[p] != '=' && s[p] != '>' &&
                   s[p] != '/')
                p++;
            size_t alen = p - a, v = p, vlen = 0;
            while (p < n && is_space(s[p]))
                p++;
            if (p < n && s[p] == '=') {
                p++;
                while (p < n && is_space(s[p]))
                    p++;
                if (p < n && (s[p] == '"' || s[p] == '\'')) {
                    unsigned char q = s[p++];
                    v = p;
                    while (p < n && s[p] != q)
                        p++;
                    vlen = p - v;
                    if (p < n)
                        p++;
                } else {
                    v = p;
                    while (p < n && !is_space(s[p]) && s[p] != '>')
                        p++;
                    vlen = p - v;
                }
            }
            if (alen == 7 && starts_ci(s + a, alen, "charset"))
                return copy_label(s + v, vlen, label);
            if (alen == 10 && starts_ci(s + a, alen, "http-equiv") &&
                vlen == 12 && starts_ci(s + v, vlen, "content-type"))
                is_ctype = 1;
            if (alen == 7 && starts_ci(s + a, alen, "content"))
                charset_param(s + v, vlen, from_content);
        }
        if (is_ctype && from_content[0]) {
            memcpy(label, from_content, sizeof from_content);
            return 1;
        }
        i = p;
    }
    return 0;
}

/* The charset the page declares, or NULL. */
static const char *declared_charset(const unsigned char *s, size_t n,
                                    char label[64])
{
    if (n > SNIFF_BYTES)
        n = SNIFF_BYTES;
    if ((xml_encoding(s, n, label) && arca_charset_canon(label)) ||
        (meta_charset(s, n, label) && arca_charset_canon(label))) {
        /* Read in ASCII, so not really UTF-16 or UTF-32 (HTML standard). */
        if (strncmp(arca_charset_canon(label), "UTF-16", 6) == 0 ||
            strncmp(arca_charset_canon(label), "UTF-32", 6) == 0)
            return "UTF-8";
        return label;
    }
    return NULL;
}

/* ---- Before parsing ---- */

/*
 * Drop NULs and C0 controls other than white space (libxml2 would stop or
 * complain at them), and blank out attributes past MAX_ATTRS in a tag:
 * libxml2 compares each attribute's name with all before it.
 */
static size_t prepare(char *buf, size_t n)
{
    unsigned char *s = (unsigned char *)buf;
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        unsigned c = s[r];
        if ((c < 0x20 && !is_space((unsigned char)c)) || c == 0x7F)
            continue;
        s[w++] = (unsigned char)c;
    }
    for (size_t i = 0; i + 1 < w; i++) {
        if (s[i] != '<' || !((s[i + 1] | 0x20) >= 'a' && (s[i + 1] | 0x20) <= 'z'))
            continue;
        size_t p = i + 1, attrs = 0;
        int in_space = 0;
        while (p < w && s[p] != '>') {
            if (s[p] == '"' || s[p] == '\'') {
                unsigned char q = s[p++];
                while (p < w && s[p] != q)
                    p++;
                if (p < w)
                    p++;
                in_space = 0;
                continue;
            }
            if (is_space(s[p])) {
                in_space = 1;
            } else if (in_space) {
                in_space = 0;
                if (s[p] != '=' && ++attrs > MAX_ATTRS) {
                    while (p < w && s[p] != '>')
                        s[p++] = ' ';
                    break;
                }
            }
            p++;
        }
        i = p > i ? p - 1 : i;
    }
    return w;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

arca_status arca_ix_html(const arca_blob *in, arca_extract *out,
                         const arca_limits *lim)
{
    struct hx *h = NULL;
    htmlParserCtxtPtr ctxt = NULL;
    char *text = NULL, used[64], label[64];
    size_t len = 0;
    const char *what = in->name ? in->name : "HTML page";
    arca_status rc;

    pthread_once(&xml_once, xml_init);
    if (in->len == 0)
        return ARCA_OK;

    const char *declared = declared_charset(in->data, in->len, label);
    if (declared == NULL)
        declared = arca_charset_hint(in->charset);
    rc = arca_decode(in->data, in->len, declared, &text, &len, used);
    if (rc != ARCA_OK) {
        rc = arca_extract_fail(out, rc, "%s: cannot decode the page: %s",
                               what, arca_status_str(rc));
        goto out;
    }
    rc = arca_extract_set(out, &out->charset, used);
    if (rc != ARCA_OK)
        goto out;
    len = prepare(text, len);
    if (len > (size_t)INT32_MAX - 1) {
        len = (size_t)INT32_MAX - 1;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
        out->truncated = 1;
    }
    if (len == 0)
        goto out;

    h = calloc(1, sizeof *h);
    ctxt = htmlCreateMemoryParserCtxt(text, (int)len);
    if (h == NULL || ctxt == NULL || ctxt->sax == NULL) {
        rc = arca_extract_fail(out, ARCA_ENOMEM,
                               "%s: out of memory starting the HTML parser",
                               what);
        goto out;
    }
    h->out = out;
    h->ctxt = ctxt;
    h->max_depth = lim && lim->max_depth ? lim->max_depth
                                         : ARCA_DEFAULT_MAX_DEPTH;

    memset(ctxt->sax, 0, sizeof *ctxt->sax);
    ctxt->sax->startElement = on_start;
    ctxt->sax->endElement = on_end;
    ctxt->sax->characters = on_text;
    ctxt->sax->ignorableWhitespace = on_text;
    ctxt->sax->initialized = 1;   /* SAX1 callbacks, as the HTML parser uses */
    ctxt->userData = h;
    htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NONET |
                                 HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                 HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC);
    xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
    if (ctxt->encoding == NULL)
        ctxt->encoding = xmlStrdup(BAD_CAST "UTF-8");

    htmlParseDocument(ctxt);
    if (h->rc != ARCA_OK) {
        rc = arca_extract_fail(out, h->rc, "%s: %s while extracting HTML text",
                               what, arca_status_str(h->rc));
        goto out;
    }
    /* A <title> cut off by the end of the page still counts. */
    if (h->title_depth && h->title_len > 0) {
        h->title[h->title_len] = '\0';
        fill(h, S_TITLE, PRIO_TITLE_ELEMENT, h->title);
        rc = h->rc;
    }
out:
    if (ctxt != NULL)
        htmlFreeParserCtxt(ctxt);
    free(h);
    free(text);
    return rc;
}
