/*
 * office.c: the indexers of zip-and-XML office documents: OOXML (DOCX,
 * XLSX, PPTX) in arca_ix_ooxml and OpenDocument (ODT, ODS, ODP) in
 * arca_ix_odf.  libarchive reads the zip from memory (zip format only),
 * libxml2's streaming reader walks each XML part; no tree is built.
 *
 * Bounds, from arca_limits (defaults below when a limit is 0): the
 * archive's member count, each member's inflated size, the total inflated
 * bytes and the compression ratio (a member that inflates more than
 * max_ratio times its compressed size and past RATIO_FLOOR bytes is a zip
 * bomb: ARCA_ELIMIT, and so are members that together inflate more than
 * max_ratio times the whole package).  Sizes
 * are counted as bytes come out of the inflater, never taken from the
 * headers.  Only stored and deflated members are read.  XML
 * nesting deeper than lim->max_depth stops that part (out->truncated);
 * documents with a DTD are refused, and libxml2 never loads one or
 * touches the network.  Encrypted members give ARCA_EUNSUPPORTED.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <libxml/xmlreader.h>

#include "indexer-private.h"
#include "office-private.h"

#define MEMBERS_MAX 10000                 /* members in one archive */
#define MEMBER_MAX ((size_t)64 << 20)     /* inflated bytes of one member */
#define TOTAL_MAX ((size_t)256 << 20)     /* inflated bytes kept in all */
#define RATIO_MAX 200                     /* inflated / compressed */
#define RATIO_FLOOR ((size_t)4 << 20)     /* ratios count past this size */
#define META_MAX 4096                     /* bytes of one metadata value */
#define CELL_MAX 32768                    /* bytes of one spreadsheet cell */
#define SST_MAX (1u << 22)                /* shared strings of a workbook */
#define SPACES_MAX 64                     /* spaces of one <text:s c=...> */
#define NAME_MAX_LEN 1024                 /* bytes of a member name */

/* ---- The zip archive ---- */

/* One member we want, read whole.  Owned by the struct zip. */
struct member {
    char *name;
    unsigned char *data;
    size_t len;
    unsigned long num;        /* the number in slide12.xml, for ordering */
};

struct zip {
    const arca_blob *in;
    arca_extract *out;
    size_t max_member, max_members, max_total;  /* the limits in force */
    unsigned ratio;
    struct member *m;         /* members kept, in archive order */
    size_t n, cap;
    size_t total;             /* inflated bytes kept so far */
    struct csize {
        const char *name;
        size_t nlen;
        uint64_t size;
        unsigned method;      /* 0 stored, 8 deflated */
    } *cs;
    size_t ncs;               /* compressed sizes from the central directory */
};

static const char *blob_name(const arca_blob *in)
{
    return in->name ? in->name : "document";
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static int csize_cmp(const void *a, const void *b)
{
    const struct csize *x = a, *y = b;
    size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->nlen > y->nlen) - (x->nlen < y->nlen);
}

/*
 * Read the central directory for each member's compressed size, which
 * libarchive does not report.  Sizes that the directory hides (zip64)
 * count as the whole input, which only loosens the ratio test.
 */
static arca_status zip_directory(struct zip *z)
{
    const unsigned char *d = z->in->data;
    size_t len = z->in->len, eocd = 0;
    int found = 0;
    if (len < 22)
        return arca_extract_fail(z->out, ARCA_EFORMAT,
                                 "not a zip archive (too short)");
    for (size_t i = len - 22 + 1; i-- > 0 && len - i <= 22 + 65535;) {
        if (le32(d + i) == 0x06054b50) {
            eocd = i;
            found = 1;
            break;
        }
    }
    if (!found)
        return arca_extract_fail(z->out, ARCA_EFORMAT,
                                 "damaged zip archive: no central directory");
    unsigned count = le16(d + eocd + 10);
    size_t off = le32(d + eocd + 16);
    if (count > z->max_members)
        return arca_extract_fail(z->out, ARCA_ELIMIT,
                                 "zip archive has %u members (limit %zu)",
                                 count, z->max_members);
    z->cs = calloc(count ? count : 1, sizeof *z->cs);
    if (z->cs == NULL)
        return arca_extract_fail(z->out, ARCA_ENOMEM, "out of memory");
    for (unsigned i = 0; i < count && off <= eocd && eocd - off >= 46; i++) {
        const unsigned char *e = d + off;
        if (le32(e) != 0x02014b50)
            break;
        size_t nlen = le16(e + 28), skip = 46 + nlen + le16(e + 30) +
                                           le16(e + 32);
        if (eocd - off < skip)
            break;
        uint64_t c = le32(e + 20);
        z->cs[z->ncs].name = (const char *)e + 46;
        z->cs[z->ncs].nlen = nlen;
        z->cs[z->ncs].size = c == 0xFFFFFFFFu ? (uint64_t)len : c;
        z->cs[z->ncs].method = le16(e + 10);
        z->ncs++;
        off += skip;
    }
    qsort(z->cs, z->ncs, sizeof *z->cs, csize_cmp);
    return ARCA_OK;
}

/* The central directory's entry for member NAME, or NULL. */
static const struct csize *zip_entry(const struct zip *z, const char *name)
{
    struct csize key = {name, strlen(name), 0, 0};
    return bsearch(&key, z->cs, z->ncs, sizeof *z->cs, csize_cmp);
}

/* The number in a name such as "ppt/slides/slide12.xml" (12), or 0. */
static unsigned long name_number(const char *name)
{
    const char *dot = strrchr(name, '.'), *p = dot;
    unsigned long v = 0, mul = 1;
    if (dot == NULL)
        return 0;
    while (p > name && p[-1] >= '0' && p[-1] <= '9' && dot - p < 9) {
        p--;
        v += (unsigned long)(*p - '0') * mul;
        mul *= 10;
    }
    return v;
}

static arca_status zip_keep(struct zip *z, struct archive *a,
                            const char *name)
{
    arca_status rc = ARCA_OK;
    const struct csize *ce = zip_entry(z, name);
    /* A member the directory does not list counts as the whole input. */
    uint64_t csize = ce ? ce->size : (uint64_t)z->in->len;
    size_t cap = z->max_member, len = 0, bufcap = 0;
    unsigned char *buf = NULL;
    char *nm = NULL;
    int bomb = 0;
    if (ce != NULL && ce->method != 0 && ce->method != 8) {
        rc = arca_extract_fail(z->out, ARCA_EUNSUPPORTED,
                               "zip member %s uses compression method %u "
                               "(only stored and deflated are read)",
                               name, ce->method);
        goto out;
    }
    /* The ratio caps the member only where it is tighter than the size. */
    if (csize <= cap / z->ratio) {
        size_t rcap = (size_t)csize * z->ratio;
        if (rcap < RATIO_FLOOR)
            rcap = RATIO_FLOOR;
        if (rcap < cap) {
            cap = rcap;
            bomb = 1;
        }
    }
    for (;;) {
        if (bufcap - len < 65536) {
            size_t nc = bufcap ? bufcap * 2 : 65536;
            if (nc > cap + 65536)
                nc = cap + 65536;
            unsigned char *p = realloc(buf, nc);
            if (p == NULL) {
                rc = arca_extract_fail(z->out, ARCA_ENOMEM,
                                       "%s: out of memory", name);
                goto out;
            }
            buf = p;
            bufcap = nc;
        }
        la_ssize_t r = archive_read_data(a, buf + len, bufcap - len);
        if (r < 0) {
            rc = arca_extract_fail(z->out, ARCA_EFORMAT,
                                   "damaged zip member %s: %s", name,
                                   archive_error_string(a));
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > cap) {
            if (bomb)
                rc = arca_extract_fail(
                    z->out, ARCA_ELIMIT,
                    "zip bomb: member %s inflates more than %u times its "
                    "%llu compressed bytes",
                    name, z->ratio, (unsigned long long)csize);
            else
                rc = arca_extract_fail(z->out, ARCA_ELIMIT,
                                       "zip member %s inflates past %zu "
                                       "bytes", name, z->max_member);
            goto out;
        }
        /* Many small bombs together are one big bomb. */
        if (z->total + len > 4 * RATIO_FLOOR &&
            (z->total + len) / z->ratio > z->in->len) {
            rc = arca_extract_fail(z->out, ARCA_ELIMIT,
                                   "zip bomb: members inflate more than %u "
                                   "times the package's %zu bytes",
                                   z->ratio, z->in->len);
            goto out;
        }
        if (z->total + len > z->max_total) {
            rc = arca_extract_fail(z->out, ARCA_ELIMIT,
                                   "zip members inflate past %zu bytes in "
                                   "all", z->max_total);
            goto out;
        }
    }
    if (z->n == z->cap) {
        size_t nc = z->cap ? z->cap * 2 : 16;
        struct member *p = realloc(z->m, nc * sizeof *p);
        if (p == NULL) {
            rc = arca_extract_fail(z->out, ARCA_ENOMEM, "out of memory");
            goto out;
        }
        z->m = p;
        z->cap = nc;
    }
    nm = strdup(name);
    if (nm == NULL) {
        rc = arca_extract_fail(z->out, ARCA_ENOMEM, "out of memory");
        goto out;
    }
    z->m[z->n].name = nm;
    z->m[z->n].data = buf;
    z->m[z->n].len = len;
    z->m[z->n].num = name_number(name);
    z->n++;
    z->total += len;
    buf = NULL;
out:
    free(buf);
    return rc;
}

/* The limits of LIM, or the defaults where they are 0. */
static void zip_limits(struct zip *z, const arca_limits *lim)
{
    z->max_member = MEMBER_MAX;
    z->max_members = MEMBERS_MAX;
    z->max_total = TOTAL_MAX;
    z->ratio = RATIO_MAX;
    if (lim == NULL)
        return;
    if (lim->max_member && lim->max_member < (uint64_t)INT32_MAX)
        z->max_member = (size_t)lim->max_member;
    if (lim->max_members && lim->max_members < (uint64_t)SIZE_MAX)
        z->max_members = (size_t)lim->max_members;
    if (lim->max_expanded && lim->max_expanded < (uint64_t)SIZE_MAX / 2)
        z->max_total = (size_t)lim->max_expanded;
    if (lim->max_ratio)
        z->ratio = lim->max_ratio;
}

/*
 * Open the zip in Z->in and keep, in memory, the members WANT accepts.
 * Members refused by WANT are skipped without being inflated.
 */
static arca_status zip_read(struct zip *z, int (*want)(const char *))
{
    arca_status rc = ARCA_OK;
    struct archive *a = NULL;
    struct archive_entry *e;
    const unsigned char *d = z->in->data;
    unsigned count = 0;
    static const unsigned char ole2[8] = {0xD0, 0xCF, 0x11, 0xE0,
                                          0xA1, 0xB1, 0x1A, 0xE1};
    if (z->in->len >= 8 && memcmp(d, ole2, 8) == 0) {
        rc = arca_extract_fail(z->out, ARCA_EUNSUPPORTED,
                               "not a zip package but an OLE2 file "
                               "(encrypted or legacy binary office file)");
        goto out;
    }
    if (z->in->len < 4 || d[0] != 'P' || d[1] != 'K' ||
        !((d[2] == 3 && d[3] == 4) || (d[2] == 5 && d[3] == 6))) {
        rc = arca_extract_fail(z->out, ARCA_EFORMAT,
                               "not a zip archive (no PK signature)");
        goto out;
    }
    rc = zip_directory(z);
    if (rc)
        goto out;
    a = archive_read_new();
    if (a == NULL) {
        rc = arca_extract_fail(z->out, ARCA_ENOMEM, "out of memory");
        goto out;
    }
    if (archive_read_support_format_zip(a) != ARCHIVE_OK ||
        archive_read_open_memory(a, z->in->data, z->in->len) != ARCHIVE_OK) {
        rc = arca_extract_fail(z->out, ARCA_EFORMAT, "not a zip archive: %s",
                               archive_error_string(a));
        goto out;
    }
    for (;;) {
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            rc = arca_extract_fail(z->out, ARCA_EFORMAT,
                                   "damaged zip archive: %s",
                                   archive_error_string(a));
            goto out;
        }
        if (++count > z->max_members) {
            rc = arca_extract_fail(z->out, ARCA_ELIMIT,
                                   "zip archive has more than %zu members",
                                   z->max_members);
            goto out;
        }
        const char *name = archive_entry_pathname(e);
        if (name == NULL || strlen(name) > NAME_MAX_LEN || !want(name))
            continue;
        if (archive_entry_is_encrypted(e)) {
            rc = arca_extract_fail(z->out, ARCA_EUNSUPPORTED,
                                   "encrypted document (member %s)", name);
            goto out;
        }
        rc = zip_keep(z, a, name);
        if (rc)
            goto out;
    }
out:
    archive_read_free(a);
    return rc;
}

static void zip_free(struct zip *z)
{
    for (size_t i = 0; i < z->n; i++) {
        free(z->m[i].name);
        free(z->m[i].data);
    }
    free(z->m);
    free(z->cs);
}

static const struct member *zip_find(const struct zip *z, const char *name)
{
    for (size_t i = 0; i < z->n; i++)
        if (strcmp(z->m[i].name, name) == 0)
            return &z->m[i];
    return NULL;
}

static int prefix_is(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static int suffix_is(const char *s, const char *x)
{
    size_t n = strlen(s), m = strlen(x);
    return n >= m && strcmp(s + n - m, x) == 0;
}

/* ---- Text output with separators that are written lazily ---- */

enum sep { SEP_NONE, SEP_SPACE, SEP_TAB, SEP_LINE, SEP_PARA };

struct sink {
    arca_extract *out;
    enum sep pend;
    int started;              /* something was written */
};

static arca_status emit(struct sink *s, const char *t, size_t n)
{
    static const char *const seps[] = {"", " ", "\t", "\n", "\n\n"};
    arca_status rc;
    if (n == 0)
        return ARCA_OK;
    if (s->started && s->pend != SEP_NONE) {
        rc = arca_extract_append(s->out, seps[s->pend],
                                 strlen(seps[s->pend]));
        if (rc)
            return rc;
    }
    s->pend = SEP_NONE;
    s->started = 1;
    return arca_extract_append(s->out, t, n);
}

static void sep(struct sink *s, enum sep k)
{
    if (k > s->pend)
        s->pend = k;
}

/* A small growing string, capped at MAX bytes (cut at a UTF-8 boundary). */
struct str {
    char *p;
    size_t len, cap, max;
};

static arca_status str_add(struct str *b, const char *s, size_t n)
{
    if (n > b->max - b->len) {
        n = b->max - b->len;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 64;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *p = realloc(b->p, nc);
        if (p == NULL)
            return ARCA_ENOMEM;
        b->p = p;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return ARCA_OK;
}

/* ---- Walking one XML part ---- */

/* The callbacks of one kind of part; any may be NULL. */
struct walker {
    arca_status (*start)(void *ctx, xmlTextReaderPtr r, const char *name);
    arca_status (*end)(void *ctx, const char *name);
    arca_status (*text)(void *ctx, const char *t, size_t n);
};

/*
 * Whether the prolog of D[0..n) (after a BOM, white space, processing
 * instructions and comments) holds a document type declaration.  libxml2
 * would parse its internal subset before the reader shows it to us.
 */
static int has_doctype(const unsigned char *d, size_t n)
{
    const unsigned char *p = d, *end = d + n, *q;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
                           *p == '\n'))
            p++;
        if (end - p >= 2 && memcmp(p, "<?", 2) == 0) {
            q = memmem(p, (size_t)(end - p), "?>", 2);
            if (q == NULL)
                return 0;
            p = q + 2;
        } else if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
            q = memmem(p, (size_t)(end - p), "-->", 3);
            if (q == NULL)
                return 0;
            p = q + 3;
        } else {
            return end - p >= 9 && memcmp(p, "<!DOCTYPE", 9) == 0;
        }
    }
}

/*
 * Walk member M with W.  Elements are named by their local names: each
 * part uses few namespaces and their local names do not collide, while
 * writers differ in the prefixes they choose.  Deeper than MAX_DEPTH the walk stops
 * and the text so far stays (truncated).
 */
static arca_status walk(const struct member *m, const struct walker *w,
                        void *ctx, arca_extract *out, unsigned max_depth)
{
    arca_status rc = ARCA_OK;
    xmlTextReaderPtr r;
    int ret;
    if (m->len > (size_t)INT32_MAX)
        return arca_extract_fail(out, ARCA_ELIMIT, "%s is too large",
                                 m->name);
    if (has_doctype(m->data, m->len))
        return arca_extract_fail(out, ARCA_EFORMAT,
                                 "%s declares a DTD, which office "
                                 "documents never do", m->name);
    r = xmlReaderForMemory((const char *)m->data, (int)m->len, m->name,
                           NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR |
                               XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (r == NULL)
        return arca_extract_fail(out, ARCA_ENOMEM, "%s: out of memory",
                                 m->name);
    while ((ret = xmlTextReaderRead(r)) == 1) {
        int type = xmlTextReaderNodeType(r);
        const char *name = (const char *)xmlTextReaderConstLocalName(r);
        if (name == NULL)
            name = "";
        if (out->truncated)
            break;
        if ((unsigned)xmlTextReaderDepth(r) > max_depth) {
            out->truncated = 1;
            break;
        }
        switch (type) {
        case XML_READER_TYPE_DOCUMENT_TYPE:
            rc = arca_extract_fail(out, ARCA_EFORMAT,
                                   "%s declares a DTD, which office "
                                   "documents never do", m->name);
            goto out;
        case XML_READER_TYPE_ELEMENT:
            if (w->start) {
                rc = w->start(ctx, r, name);
                if (rc)
                    goto out;
            }
            if (xmlTextReaderIsEmptyElement(r) && w->end) {
                rc = w->end(ctx, name);
                if (rc)
                    goto out;
            }
            break;
        case XML_READER_TYPE_END_ELEMENT:
            if (w->end) {
                rc = w->end(ctx, name);
                if (rc)
                    goto out;
            }
            break;
        case XML_READER_TYPE_TEXT:
        case XML_READER_TYPE_CDATA:
        case XML_READER_TYPE_WHITESPACE:
        case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
            if (w->text) {
                const char *v = (const char *)xmlTextReaderConstValue(r);
                if (v != NULL) {
                    rc = w->text(ctx, v, strlen(v));
                    if (rc)
                        goto out;
                }
            }
            break;
        default:
            break;
        }
    }
    if (ret < 0 && !out->truncated)
        rc = arca_extract_fail(out, ARCA_EFORMAT,
                               "%s is not well-formed XML (line %d)",
                               m->name, xmlTextReaderGetParserLineNumber(r));
out:
    xmlFreeTextReader(r);
    if (rc == ARCA_ENOMEM && out->errmsg[0] == '\0')
        arca_extract_fail(out, rc, "%s: out of memory", m->name);
    return rc;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* libxml2 wants one initialisation before threads use it. */
static void xml_init(void)
{
    xmlInitParser();
}

static unsigned depth_of(const arca_limits *lim)
{
    return lim && lim->max_depth ? lim->max_depth : ARCA_DEFAULT_MAX_DEPTH;
}

/* ---- Metadata (docProps/core.xml and meta.xml) ---- */

enum mslot { M_NONE, M_TITLE, M_AUTHOR, M_CREATOR2, M_SUBJECT,
             M_DESCRIPTION, M_KEYWORDS, M_KEYWORD, M_CREATED, M_MODIFIED,
             M_MODIFIER, M_LANG };

static const struct meta_name {
    const char *name;
    enum mslot slot;
} meta_names[] = {
    {"title", M_TITLE},                 /* dc: */
    {"creator", M_AUTHOR},              /* dc: OOXML author, ODF modifier */
    {"initial-creator", M_CREATOR2},    /* meta: */
    {"subject", M_SUBJECT},             /* dc: */
    {"description", M_DESCRIPTION},     /* dc: */
    {"keywords", M_KEYWORDS},           /* cp: */
    {"keyword", M_KEYWORD},             /* meta: */
    {"created", M_CREATED},             /* dcterms: */
    {"creation-date", M_CREATED},       /* meta: */
    {"modified", M_MODIFIED},           /* dcterms: */
    {"date", M_MODIFIED},               /* dc: */
    {"lastModifiedBy", M_MODIFIER},     /* cp: */
    {"language", M_LANG},               /* dc: */
};

static enum mslot meta_slot(const char *name)
{
    for (size_t i = 0; i < sizeof meta_names / sizeof meta_names[0]; i++)
        if (strcmp(name, meta_names[i].name) == 0)
            return meta_names[i].slot;
    return M_NONE;
}

struct meta {
    int odf;
    enum mslot cur;
    struct str v;
    char *slot[M_LANG + 1];  /* values found, malloc'd */
};

static arca_status meta_start(void *ctx, xmlTextReaderPtr r,
                              const char *name)
{
    struct meta *m = ctx;
    enum mslot s = meta_slot(name);
    (void)r;
    if (s != M_NONE) {
        m->cur = s;
        m->v.len = 0;
    }
    return ARCA_OK;
}

static arca_status meta_text(void *ctx, const char *t, size_t n)
{
    struct meta *m = ctx;
    return m->cur == M_NONE ? ARCA_OK : str_add(&m->v, t, n);
}

static arca_status meta_end(void *ctx, const char *name)
{
    struct meta *m = ctx;
    if (meta_slot(name) == M_NONE)
        return ARCA_OK;
    if (m->cur == M_NONE || m->v.len == 0)
        goto out;
    if (m->cur == M_KEYWORD && m->slot[M_KEYWORDS] != NULL) {
        /* ODF writes one keyword per element: join them. */
        size_t a = strlen(m->slot[M_KEYWORDS]);
        if (a + m->v.len + 3 > META_MAX)
            goto out;
        char *p = realloc(m->slot[M_KEYWORDS], a + m->v.len + 3);
        if (p == NULL)
            return ARCA_ENOMEM;
        memcpy(p + a, ", ", 2);
        memcpy(p + a + 2, m->v.p, m->v.len + 1);
        m->slot[M_KEYWORDS] = p;
        goto out;
    }
    enum mslot s = m->cur == M_KEYWORD ? M_KEYWORDS : m->cur;
    if (m->slot[s] == NULL) {
        m->slot[s] = strdup(m->v.p);
        if (m->slot[s] == NULL)
            return ARCA_ENOMEM;
    }
out:
    m->cur = M_NONE;
    m->v.len = 0;
    return ARCA_OK;
}

static const struct walker meta_walker = {meta_start, meta_end, meta_text};

/* Move what M found into OUT. */
static arca_status meta_store(struct meta *m, arca_extract *out)
{
    arca_status rc = ARCA_OK;
    char day[11];
    /* ODF: meta:initial-creator is the author, dc:creator the last editor. */
    const char *author = m->odf && m->slot[M_CREATOR2] ? m->slot[M_CREATOR2]
                                                       : m->slot[M_AUTHOR];
    const char *modifier = m->odf ? m->slot[M_AUTHOR] : m->slot[M_MODIFIER];
    if (m->slot[M_TITLE] && (rc = arca_extract_set(out, &out->title,
                                                   m->slot[M_TITLE])))
        return rc;
    if (author && (rc = arca_extract_set(out, &out->author, author)))
        return rc;
    if (m->slot[M_KEYWORDS] &&
        (rc = arca_extract_set(out, &out->keywords, m->slot[M_KEYWORDS])))
        return rc;
    if (m->slot[M_DESCRIPTION] &&
        (rc = arca_extract_set(out, &out->description,
                               m->slot[M_DESCRIPTION])))
        return rc;
    if (m->slot[M_LANG] &&
        (rc = arca_extract_set(out, &out->lang, m->slot[M_LANG])))
        return rc;
    if (m->slot[M_CREATED] && arca_date_parse(m->slot[M_CREATED], day) &&
        (rc = arca_extract_set(out, &out->date, day)))
        return rc;
    static const struct { enum mslot s; const char *field; } fields[] = {
        {M_SUBJECT, "subject"}, {M_CREATED, "created"},
        {M_MODIFIED, "modified"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (m->slot[fields[i].s] &&
            (rc = arca_extract_field(out, fields[i].field,
                                     m->slot[fields[i].s])))
            return rc;
    if (modifier && modifier != author)
        rc = arca_extract_field(out, "modified_by", modifier);
    return rc;
}

static arca_status do_meta(const struct member *mem, int odf,
                           arca_extract *out, unsigned max_depth)
{
    struct meta m = {.odf = odf, .v = {.max = META_MAX}};
    arca_status rc = walk(mem, &meta_walker, &m, out, max_depth);
    if (rc == ARCA_OK)
        rc = meta_store(&m, out);
    free(m.v.p);
    for (size_t i = 0; i <= M_LANG; i++)
        free(m.slot[i]);
    if (rc == ARCA_ENOMEM && out->errmsg[0] == '\0')
        arca_extract_fail(out, rc, "%s: out of memory", mem->name);
    return rc;
}

/* ---- Word-processing and slide text (DOCX, PPTX) ---- */

/*
 * What an element means for the text, by local name: w: in
 * WordprocessingML, a: in DrawingML and m: in OMML mean the same.
 * DrawingML writes tabs as characters; its a:tab is a tab stop.
 */
enum act { A_NONE, A_TEXT, A_PARA, A_TAB, A_BREAK, A_SKIP, A_CELL, A_ROW };

struct rule {
    const char *name;
    enum act act;
};

static const struct rule docx_rules[] = {
    {"t", A_TEXT}, {"p", A_PARA}, {"tab", A_TAB}, {"br", A_BREAK},
    {"cr", A_BREAK}, {"tc", A_CELL}, {"tr", A_ROW}, {"delText", A_SKIP},
    {"instrText", A_SKIP}, {"tabs", A_SKIP}, {"tabLst", A_SKIP},
    {NULL, A_NONE},
};

static enum act act_of(const struct rule *rules, const char *name)
{
    for (const struct rule *r = rules; r->name; r++)
        if (strcmp(r->name, name) == 0)
            return r->act;
    return A_NONE;
}

struct flow {
    struct sink *s;
    const struct rule *rules;
    unsigned in_text;         /* inside elements whose text is kept */
    unsigned skip;            /* inside elements whose text is dropped */
    unsigned cell;            /* inside table cells */
};

static arca_status flow_start(void *ctx, xmlTextReaderPtr r,
                              const char *name)
{
    struct flow *f = ctx;
    enum act act = act_of(f->rules, name);
    if (f->skip && act != A_SKIP)
        return ARCA_OK;
    switch (act) {
    case A_TEXT:
        f->in_text++;
        break;
    case A_SKIP:
        f->skip++;
        break;
    case A_CELL:
        f->cell++;            /* an empty cell gets its end call too */
        break;
    case A_TAB:
        if (!xmlTextReaderIsEmptyElement(r))
            break;
        sep(f->s, SEP_TAB);
        break;
    case A_BREAK:
        sep(f->s, SEP_LINE);
        break;
    default:
        break;
    }
    return ARCA_OK;
}

static arca_status flow_end(void *ctx, const char *name)
{
    struct flow *f = ctx;
    enum act act = act_of(f->rules, name);
    if (f->skip && act != A_SKIP)
        return ARCA_OK;
    switch (act) {
    case A_TEXT:
        if (f->in_text)
            f->in_text--;
        break;
    case A_SKIP:
        if (f->skip)
            f->skip--;
        break;
    case A_PARA:
        /* Paragraphs in a table cell stay on the row's line. */
        sep(f->s, f->cell ? SEP_SPACE : SEP_LINE);
        break;
    case A_ROW:
        sep(f->s, SEP_LINE);
        break;
    case A_CELL:
        if (f->cell)
            f->cell--;
        sep(f->s, SEP_TAB);
        break;
    default:
        break;
    }
    return ARCA_OK;
}

static arca_status flow_text(void *ctx, const char *t, size_t n)
{
    struct flow *f = ctx;
    if (!f->in_text || f->skip)
        return ARCA_OK;
    return emit(f->s, t, n);
}

static const struct walker flow_walker = {flow_start, flow_end, flow_text};

static arca_status do_flow(const struct member *m, struct sink *s,
                           arca_extract *out, unsigned max_depth)
{
    struct flow f = {.s = s, .rules = docx_rules};
    arca_status rc = walk(m, &flow_walker, &f, out, max_depth);
    sep(s, SEP_PARA);
    return rc;
}

/* ---- Spreadsheets (XLSX) ---- */

/* The shared strings: one buffer of NUL-separated strings and offsets. */
struct sst {
    struct str all;
    size_t *off;
    size_t n, cap;
    struct str cur;           /* the <si> being read */
    int in_si, in_t;
    unsigned phonetic;        /* inside <rPh>: reading aids, not text */
};

static arca_status sst_start(void *ctx, xmlTextReaderPtr r,
                             const char *name)
{
    struct sst *t = ctx;
    (void)r;
    if (strcmp(name, "si") == 0) {
        t->in_si = 1;
        t->cur.len = 0;
    } else if (strcmp(name, "t") == 0) {
        t->in_t = 1;
    } else if (strcmp(name, "rPh") == 0) {
        t->phonetic++;
    }
    return ARCA_OK;
}

static arca_status sst_end(void *ctx, const char *name)
{
    struct sst *t = ctx;
    if (strcmp(name, "t") == 0) {
        t->in_t = 0;
    } else if (strcmp(name, "rPh") == 0) {
        if (t->phonetic)
            t->phonetic--;
    } else if (strcmp(name, "si") == 0 && t->in_si) {
        t->in_si = 0;
        if (t->n >= SST_MAX)
            return ARCA_OK;
        if (t->n == t->cap) {
            size_t nc = t->cap ? t->cap * 2 : 256;
            size_t *p = realloc(t->off, nc * sizeof *p);
            if (p == NULL)
                return ARCA_ENOMEM;
            t->off = p;
            t->cap = nc;
        }
        t->off[t->n++] = t->all.len;
        if (str_add(&t->all, t->cur.len ? t->cur.p : "", t->cur.len) ||
            str_add(&t->all, "", 1))
            return ARCA_ENOMEM;
    }
    return ARCA_OK;
}

static arca_status sst_text(void *ctx, const char *s, size_t n)
{
    struct sst *t = ctx;
    if (!t->in_si || !t->in_t || t->phonetic)
        return ARCA_OK;
    return str_add(&t->cur, s, n);
}

static const struct walker sst_walker = {sst_start, sst_end, sst_text};

/* Sheet names from xl/workbook.xml, in tab order. */
struct names {
    char **v;
    size_t n, cap;
};

static arca_status book_start(void *ctx, xmlTextReaderPtr r,
                              const char *name)
{
    struct names *b = ctx;
    if (strcmp(name, "sheet") != 0 || b->n >= MEMBERS_MAX)
        return ARCA_OK;
    xmlChar *v = xmlTextReaderGetAttribute(r, BAD_CAST "name");
    if (v == NULL)
        return ARCA_OK;
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 8;
        char **p = realloc(b->v, nc * sizeof *p);
        if (p == NULL) {
            xmlFree(v);
            return ARCA_ENOMEM;
        }
        b->v = p;
        b->cap = nc;
    }
    b->v[b->n] = strdup((const char *)v);
    xmlFree(v);
    return b->v[b->n++] ? ARCA_OK : ARCA_ENOMEM;
}

static const struct walker book_walker = {book_start, NULL, NULL};

struct sheet {
    struct sink *s;
    const struct sst *sst;
    char type[16];            /* the t attribute of the current <c> */
    int in_c, in_v, in_t;
    struct str cell;
};

static arca_status sheet_start(void *ctx, xmlTextReaderPtr r,
                               const char *name)
{
    struct sheet *h = ctx;
    if (strcmp(name, "c") == 0) {
        xmlChar *t = xmlTextReaderGetAttribute(r, BAD_CAST "t");
        snprintf(h->type, sizeof h->type, "%s", t ? (const char *)t : "n");
        xmlFree(t);
        h->in_c = 1;
        h->cell.len = 0;
    } else if (strcmp(name, "v") == 0) {
        h->in_v = 1;
    } else if (strcmp(name, "t") == 0) {
        h->in_t = 1;
    }
    return ARCA_OK;
}

static arca_status sheet_end(void *ctx, const char *name)
{
    struct sheet *h = ctx;
    if (strcmp(name, "v") == 0) {
        h->in_v = 0;
    } else if (strcmp(name, "t") == 0) {
        h->in_t = 0;
    } else if (strcmp(name, "row") == 0) {
        sep(h->s, SEP_LINE);
    } else if (strcmp(name, "c") == 0 && h->in_c) {
        const char *v = h->cell.len ? h->cell.p : "";
        size_t n = h->cell.len;
        h->in_c = 0;
        if (strcmp(h->type, "s") == 0) {
            char *end;
            unsigned long i = strtoul(v, &end, 10);
            if (n == 0 || *end != '\0' || i >= h->sst->n)
                return ARCA_OK;
            v = h->sst->all.p + h->sst->off[i];
            n = strlen(v);
        } else if (strcmp(h->type, "b") == 0) {
            v = strcmp(v, "1") == 0 ? "TRUE" : "FALSE";
            n = strlen(v);
        }
        if (n == 0)
            return ARCA_OK;
        sep(h->s, SEP_TAB);
        return emit(h->s, v, n);
    }
    return ARCA_OK;
}

static arca_status sheet_text(void *ctx, const char *t, size_t n)
{
    struct sheet *h = ctx;
    if (!h->in_c || !(h->in_v || h->in_t))
        return ARCA_OK;
    return str_add(&h->cell, t, n);
}

static const struct walker sheet_walker = {sheet_start, sheet_end,
                                           sheet_text};

/* ---- OOXML ---- */

static int ooxml_want(const char *n)
{
    if (strcmp(n, "docProps/core.xml") == 0 ||
        strcmp(n, "[Content_Types].xml") == 0)
        return 1;
    if (prefix_is(n, "word/"))
        return strcmp(n, "word/document.xml") == 0 ||
               strcmp(n, "word/footnotes.xml") == 0 ||
               strcmp(n, "word/endnotes.xml") == 0 ||
               strcmp(n, "word/comments.xml") == 0 ||
               (strchr(n + 5, '/') == NULL &&
                (prefix_is(n, "word/header") || prefix_is(n, "word/footer"))
                && suffix_is(n, ".xml"));
    if (prefix_is(n, "xl/"))
        return strcmp(n, "xl/workbook.xml") == 0 ||
               strcmp(n, "xl/sharedStrings.xml") == 0 ||
               (prefix_is(n, "xl/worksheets/sheet") && suffix_is(n, ".xml") &&
                strchr(n + 14, '/') == NULL);
    if (prefix_is(n, "ppt/"))
        return ((prefix_is(n, "ppt/slides/slide") &&
                 strchr(n + 11, '/') == NULL) ||
                (prefix_is(n, "ppt/notesSlides/notesSlide") &&
                 strchr(n + 16, '/') == NULL)) &&
               suffix_is(n, ".xml");
    return 0;
}

/* By the number in the name, then in archive order. */
static int member_cmp(const void *a, const void *b)
{
    const struct member *x = *(const struct member *const *)a;
    const struct member *y = *(const struct member *const *)b;
    if (x->num != y->num)
        return x->num < y->num ? -1 : 1;
    return (x > y) - (x < y);
}

/* Members whose names start with PREFIX, ordered by their number. */
static size_t pick(const struct zip *z, const char *prefix,
                   const struct member **v)
{
    size_t n = 0;
    for (size_t i = 0; i < z->n; i++)
        if (prefix_is(z->m[i].name, prefix))
            v[n++] = &z->m[i];
    qsort(v, n, sizeof *v, member_cmp);
    return n;
}

static arca_status ooxml_parts(struct zip *z, const char *prefix,
                               struct sink *s, unsigned depth)
{
    arca_status rc = ARCA_OK;
    const struct member **v = calloc(z->n ? z->n : 1, sizeof *v);
    if (v == NULL)
        return arca_extract_fail(z->out, ARCA_ENOMEM, "out of memory");
    size_t n = pick(z, prefix, v);
    for (size_t i = 0; i < n && !rc && !z->out->truncated; i++)
        rc = do_flow(v[i], s, z->out, depth);
    free(v);
    return rc;
}

static arca_status ooxml_sheets(struct zip *z, struct sink *s,
                                unsigned depth)
{
    arca_status rc = ARCA_OK;
    struct sst t = {.all = {.max = z->max_total}, .cur = {.max = CELL_MAX}};
    struct names book = {0};
    struct sheet h = {.s = s, .sst = &t, .cell = {.max = CELL_MAX}};
    const struct member *m, **v = calloc(z->n ? z->n : 1, sizeof *v);
    char count[32];
    if (v == NULL) {
        rc = ARCA_ENOMEM;
        goto out;
    }
    if ((m = zip_find(z, "xl/sharedStrings.xml")) != NULL &&
        (rc = walk(m, &sst_walker, &t, z->out, depth)))
        goto out;
    if ((m = zip_find(z, "xl/workbook.xml")) != NULL &&
        (rc = walk(m, &book_walker, &book, z->out, depth)))
        goto out;
    /* Sheets are named sheetN in tab order by the common writers. */
    size_t n = pick(z, "xl/worksheets/sheet", v);
    for (size_t i = 0; i < n && !z->out->truncated; i++) {
        if (i < book.n) {
            rc = emit(s, book.v[i], strlen(book.v[i]));
            if (rc)
                goto out;
            sep(s, SEP_LINE);
        }
        rc = walk(v[i], &sheet_walker, &h, z->out, depth);
        if (rc)
            goto out;
        sep(s, SEP_PARA);
    }
    snprintf(count, sizeof count, "%zu", n);
    rc = arca_extract_field(z->out, "sheets", count);
out:
    if (rc == ARCA_ENOMEM && z->out->errmsg[0] == '\0')
        arca_extract_fail(z->out, rc, "out of memory reading the workbook");
    free(v);
    free(t.all.p);
    free(t.off);
    free(t.cur.p);
    free(h.cell.p);
    for (size_t i = 0; i < book.n; i++)
        free(book.v[i]);
    free(book.v);
    return rc;
}

arca_status arca_ix_ooxml(const arca_blob *in, arca_extract *out,
                          const arca_limits *lim)
{
    arca_status rc;
    struct zip z = {.in = in, .out = out};
    struct sink s = {.out = out};
    unsigned depth = depth_of(lim);
    const struct member *m;
    char count[32];
    pthread_once(&xml_once, xml_init);
    zip_limits(&z, lim);
    rc = zip_read(&z, ooxml_want);
    if (rc)
        goto out;
    if ((m = zip_find(&z, "docProps/core.xml")) != NULL &&
        (rc = do_meta(m, 0, out, depth)))
        goto out;
    if ((m = zip_find(&z, "word/document.xml")) != NULL) {
        rc = do_flow(m, &s, out, depth);
        if (rc)
            goto out;
        static const char *const extra[] = {
            "word/header", "word/footnotes.xml", "word/endnotes.xml",
            "word/footer", "word/comments.xml",
        };
        for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
            rc = ooxml_parts(&z, extra[i], &s, depth);
            if (rc)
                goto out;
        }
    } else if (zip_find(&z, "xl/workbook.xml") != NULL) {
        rc = ooxml_sheets(&z, &s, depth);
    } else if (zip_find(&z, "[Content_Types].xml") != NULL) {
        size_t n = 0;
        for (size_t i = 0; i < z.n; i++)
            n += prefix_is(z.m[i].name, "ppt/slides/slide");
        rc = ooxml_parts(&z, "ppt/slides/slide", &s, depth);
        if (rc == ARCA_OK)
            rc = ooxml_parts(&z, "ppt/notesSlides/notesSlide", &s, depth);
        if (rc == ARCA_OK && n > 0) {
            snprintf(count, sizeof count, "%zu", n);
            rc = arca_extract_field(out, "slides", count);
        }
    } else {
        rc = arca_extract_fail(out, ARCA_EFORMAT,
                               "zip archive is not an OOXML document "
                               "(no [Content_Types].xml)");
    }
out:
    zip_free(&z);
    if (rc && out->errmsg[0] == '\0')
        arca_extract_fail(out, rc, "cannot read %s", blob_name(in));
    return rc;
}

/* ---- OpenDocument ---- */

struct odf {
    struct sink *s;
    unsigned body;            /* inside office:body */
    unsigned skip;            /* inside content that is not text */
    unsigned cell;            /* inside a table cell */
    size_t pages, tables;
};

/* Elements whose text is not document text. */
static const char *const odf_skip[] = {
    "tracked-changes", "sequence-decls", "forms", "table-source",
    "object-ole", "variable-decls", "binary-data", NULL,
};

#define ODF_TEXT_NS "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define ODF_TABLE_NS "urn:oasis:names:tc:opendocument:xmlns:table:1.0"

static int in_list(const char *const *l, const char *name)
{
    for (; *l; l++)
        if (strcmp(*l, name) == 0)
            return 1;
    return 0;
}

static arca_status odf_start(void *ctx, xmlTextReaderPtr r,
                             const char *name)
{
    struct odf *o = ctx;
    arca_status rc = ARCA_OK;
    if (strcmp(name, "body") == 0) {
        o->body++;
        return ARCA_OK;
    }
    if (!o->body)
        return ARCA_OK;
    if (in_list(odf_skip, name)) {
        o->skip++;
        return ARCA_OK;
    }
    if (o->skip)
        return ARCA_OK;
    if (strcmp(name, "s") == 0) {
        xmlChar *c = xmlTextReaderGetAttributeNs(r, BAD_CAST "c",
                                                 BAD_CAST ODF_TEXT_NS);
        long k = c ? strtol((const char *)c, NULL, 10) : 1;
        xmlFree(c);
        if (k < 1)
            k = 1;
        if (k > SPACES_MAX)
            k = SPACES_MAX;
        static const char spaces[SPACES_MAX + 1] =
            "                                                                ";
        /* Spaces at the start of a line or after a space say nothing. */
        if (o->s->started && o->s->pend == SEP_NONE)
            rc = emit(o->s, spaces, (size_t)k);
    } else if (strcmp(name, "tab") == 0) {
        sep(o->s, SEP_TAB);
    } else if (strcmp(name, "line-break") == 0) {
        sep(o->s, SEP_LINE);
    } else if (strcmp(name, "table-cell") == 0 ||
               strcmp(name, "covered-table-cell") == 0) {
        if (!xmlTextReaderIsEmptyElement(r)) {
            o->cell++;
            sep(o->s, SEP_TAB);
        }
    } else if (strcmp(name, "table") == 0) {
        xmlChar *t = xmlTextReaderGetAttributeNs(r, BAD_CAST "name",
                                                 BAD_CAST ODF_TABLE_NS);
        o->tables++;
        sep(o->s, SEP_PARA);
        if (t != NULL)
            rc = emit(o->s, (const char *)t, strlen((const char *)t));
        sep(o->s, SEP_LINE);
        xmlFree(t);
    } else if (strcmp(name, "page") == 0) {
        o->pages++;
        sep(o->s, SEP_PARA);
    }
    return rc;
}

static arca_status odf_end(void *ctx, const char *name)
{
    struct odf *o = ctx;
    if (strcmp(name, "body") == 0) {
        if (o->body)
            o->body--;
        return ARCA_OK;
    }
    if (!o->body)
        return ARCA_OK;
    if (in_list(odf_skip, name)) {
        if (o->skip)
            o->skip--;
        return ARCA_OK;
    }
    if (o->skip)
        return ARCA_OK;
    if (strcmp(name, "p") == 0 || strcmp(name, "h") == 0 ||
        strcmp(name, "list-item") == 0) {
        sep(o->s, o->cell ? SEP_SPACE : SEP_LINE);
    } else if (strcmp(name, "table-cell") == 0 ||
               strcmp(name, "covered-table-cell") == 0) {
        if (o->cell)
            o->cell--;
    } else if (strcmp(name, "table-row") == 0) {
        sep(o->s, SEP_LINE);
    } else if (strcmp(name, "frame") == 0) {
        sep(o->s, SEP_LINE);
    }
    return ARCA_OK;
}

/* ODF collapses white space in text like HTML does (text:s keeps it). */
static arca_status odf_text(void *ctx, const char *t, size_t n)
{
    struct odf *o = ctx;
    arca_status rc = ARCA_OK;
    if (!o->body || o->skip)
        return ARCA_OK;
    size_t i = 0;
    while (i < n && !rc) {
        size_t j = i;
        while (j < n && t[j] != ' ' && t[j] != '\t' && t[j] != '\n' &&
               t[j] != '\r')
            j++;
        if (j > i)
            rc = emit(o->s, t + i, j - i);
        if (j < n)
            sep(o->s, SEP_SPACE);
        while (j < n && (t[j] == ' ' || t[j] == '\t' || t[j] == '\n' ||
                         t[j] == '\r'))
            j++;
        i = j;
    }
    return rc;
}

static const struct walker odf_walker = {odf_start, odf_end, odf_text};

static int odf_want(const char *n)
{
    return strcmp(n, "content.xml") == 0 || strcmp(n, "meta.xml") == 0 ||
           strcmp(n, "mimetype") == 0 ||
           strcmp(n, "META-INF/manifest.xml") == 0;
}

arca_status arca_ix_odf(const arca_blob *in, arca_extract *out,
                        const arca_limits *lim)
{
    arca_status rc;
    struct zip z = {.in = in, .out = out};
    struct sink s = {.out = out};
    struct odf o = {.s = &s};
    unsigned depth = depth_of(lim);
    const struct member *m;
    char count[32];
    pthread_once(&xml_once, xml_init);
    zip_limits(&z, lim);
    rc = zip_read(&z, odf_want);
    if (rc)
        goto out;
    m = zip_find(&z, "META-INF/manifest.xml");
    if (m != NULL &&
        memmem(m->data, m->len, "manifest:encryption-data", 24) != NULL) {
        rc = arca_extract_fail(out, ARCA_EUNSUPPORTED,
                               "password-protected OpenDocument file");
        goto out;
    }
    if ((m = zip_find(&z, "meta.xml")) != NULL &&
        (rc = do_meta(m, 1, out, depth)))
        goto out;
    if ((m = zip_find(&z, "content.xml")) == NULL) {
        rc = arca_extract_fail(out, ARCA_EFORMAT,
                               "zip archive is not an OpenDocument file "
                               "(no content.xml)");
        goto out;
    }
    rc = walk(m, &odf_walker, &o, out, depth);
    if (rc)
        goto out;
    if (o.pages) {
        snprintf(count, sizeof count, "%zu", o.pages);
        rc = arca_extract_field(out, "slides", count);
    } else if (o.tables && (m = zip_find(&z, "mimetype")) != NULL &&
               m->len >= 11 && memmem(m->data, m->len, "spreadsheet", 11)) {
        snprintf(count, sizeof count, "%zu", o.tables);
        rc = arca_extract_field(out, "sheets", count);
    }
out:
    zip_free(&z);
    if (rc && out->errmsg[0] == '\0')
        arca_extract_fail(out, rc, "cannot read %s", blob_name(in));
    return rc;
}
