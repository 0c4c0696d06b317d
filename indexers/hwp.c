/*
 * hwp.c: the indexers of the Korean word processor's documents.
 *
 * HWP 5.x (arca_ix_hwp) is an OLE2 compound file, read from memory with
 * libgsf.  The "FileHeader" stream holds the signature, the version and
 * flags (compressed, password-protected, distribution copy).  The text is
 * in "BodyText/Section0", "Section1" ...: each stream a run of records,
 * raw-deflated when the document is compressed; paragraph text records
 * hold UTF-16LE with inline control characters, dropped here.  Title,
 * author, keywords and dates come from the "\005HwpSummaryInformation"
 * property set, parsed by ole.c (libgsf's reader does not know HWP's
 * format id), which also checks the OLE2 directory before libgsf reads it.
 *
 * HWPX (arca_ix_hwpx) is a zip of OWPML XML parts, read from memory with
 * libarchive.  Contents/content.hpf gives the metadata and the order of
 * the sections; each Contents/sectionN.xml is read with libxml2's
 * streaming reader and the text of its <hp:t> elements kept, a line per
 * <hp:p> paragraph.
 *
 * Bounds: bytes of one stream or member, bytes inflated per document
 * (capped by a ratio to the input's size), sections, records, members,
 * and XML depth.  Password-protected and distribution (DRM) documents and
 * HWP 3.x are refused with ARCA_EUNSUPPORTED and a message saying so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <gsf/gsf.h>
#include <libxml/xmlreader.h>
#include <zlib.h>

#include "hwp-private.h"
#include "indexer-private.h"
#include "ole-private.h"

#define MAX_STREAM ((size_t)64 << 20)      /* bytes of one stream or member */
#define MAX_INFLATED ((size_t)128 << 20)   /* bytes inflated per document */
#define RATIO_FLOOR ((size_t)8 << 20)      /* inflated bytes always allowed */
#define MAX_RATIO 100                      /* inflated bytes per input byte */
#define MAX_SECTIONS 1024
#define MAX_RECORDS ((size_t)1 << 22)      /* records per document */
#define MAX_MEMBERS 10000                  /* zip members looked at */
#define MAX_ITEMS 1024                     /* content.hpf items and itemrefs */

/* ---- Shared: the inflation budget ---- */

struct budget {
    size_t used, cap;
};

static void budget_init(struct budget *b, size_t inlen)
{
    size_t cap = inlen > MAX_INFLATED / MAX_RATIO ? MAX_INFLATED
                                                  : inlen * MAX_RATIO;
    b->used = 0;
    b->cap = cap < RATIO_FLOOR ? RATIO_FLOOR : cap;
}

/* ---- HWP 5.x ---- */

#define HWP_SIGNATURE "HWP Document File"
#define HWP3_SIGNATURE "HWP Document File V3"
#define HWPTAG_PARA_TEXT 67                /* HWPTAG_BEGIN (16) + 51 */

enum {
    HWP_COMPRESSED = 1 << 0,
    HWP_PASSWORD = 1 << 1,
    HWP_DISTRIBUTION = 1 << 2,
};

struct hwp {
    const char *what;          /* the file's name, for messages */
    arca_extract *out;
    size_t records;
};

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static size_t put_utf8(char *d, uint32_t c)
{
    if (c < 0x80) {
        d[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        d[0] = (char)(0xC0 | c >> 6);
        d[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        d[0] = (char)(0xE0 | c >> 12);
        d[1] = (char)(0x80 | (c >> 6 & 0x3F));
        d[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | c >> 18);
    d[1] = (char)(0x80 | (c >> 12 & 0x3F));
    d[2] = (char)(0x80 | (c >> 6 & 0x3F));
    d[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/*
 * What control character C (below 32) of paragraph text stands for: the
 * UTF-16 units it occupies (8 for extended and inline controls, which
 * carry their parameters with them, else 1) and the text it becomes.
 */
static unsigned control(unsigned c, const char **text)
{
    static const unsigned char units[32] = {
        1, 8, 8, 8, 8, 8, 8, 8, 8, 8, 1, 8, 8, 1, 8, 8,
        8, 8, 8, 8, 8, 8, 8, 8, 1, 1, 1, 1, 1, 1, 1, 1,
    };
    switch (c) {
    case 9: *text = "\t"; break;        /* tab (an inline control) */
    case 10: *text = "\n"; break;       /* line break */
    case 24: *text = "-"; break;        /* hyphen */
    case 30: case 31: *text = " "; break;   /* bound and fixed-width space */
    default: *text = ""; break;         /* 13 ends the paragraph */
    }
    return units[c];
}

/* One paragraph text record, P[0..n): its text and a line end.  The
 * UTF-8 goes out through a fixed buffer, whatever the record's size. */
static arca_status para_text(struct hwp *h, const unsigned char *p, size_t n)
{
    char buf[8192];
    size_t units = n / 2, w = 0;
    arca_status rc = ARCA_OK;
    for (size_t i = 0; i < units && rc == ARCA_OK;) {
        uint32_t c = (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
        if (c < 32) {
            const char *t;
            i += control(c, &t);
            w += strlen(strcpy(buf + w, t));
        } else {
            i++;
            if (c >= 0xD800 && c <= 0xDBFF && i < units) {
                uint32_t lo = (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                    i++;
                }
            }
            if (c >= 0xD800 && c <= 0xDFFF)
                c = 0xFFFD;             /* an unpaired surrogate */
            w += put_utf8(buf + w, c);
        }
        if (w > sizeof buf - 8) {       /* room for one more character */
            rc = arca_extract_append(h->out, buf, w);
            w = 0;
        }
    }
    buf[w++] = '\n';
    return rc == ARCA_OK ? arca_extract_append(h->out, buf, w) : rc;
}

/* The records of one section, P[0..n).  A record cut short ends it. */
static arca_status records(struct hwp *h, const unsigned char *p, size_t n)
{
    size_t off = 0;
    arca_status rc = ARCA_OK;
    while (rc == ARCA_OK && !h->out->truncated && n - off >= 4) {
        uint32_t head = le32(p + off);
        unsigned tag = head & 0x3FF;
        size_t size = head >> 20;
        off += 4;
        if (size == 0xFFF) {
            if (n - off < 4)
                break;
            size = le32(p + off);
            off += 4;
        }
        if (size > n - off)
            break;
        if (++h->records > MAX_RECORDS)
            return arca_extract_fail(h->out, ARCA_ELIMIT,
                                     "%s: more than %zu records", h->what,
                                     MAX_RECORDS);
        if (tag == HWPTAG_PARA_TEXT)
            rc = para_text(h, p + off, size);
        off += size;
    }
    return rc;
}

/*
 * Inflate the raw deflate stream SRC[0..n) of section SEC into a malloc'd
 * *dst, within budget B.  A stream that ends early gives what it holds.
 */
static arca_status inflate_section(struct hwp *h, unsigned sec,
                                   const unsigned char *src, size_t n,
                                   struct budget *b, unsigned char **dst,
                                   size_t *dlen)
{
    z_stream z;
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0;
    arca_status rc = ARCA_OK;
    int zr = Z_OK;

    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK)
        return arca_extract_fail(h->out, ARCA_ENOMEM,
                                 "%s: cannot start zlib", h->what);
    z.next_in = (unsigned char *)src;
    z.avail_in = (uInt)n;               /* n <= MAX_STREAM */
    while (zr == Z_OK) {
        if (len == cap) {
            size_t want = cap ? cap * 2 : (n < 4096 ? 16384 : n * 4);
            if (want > b->cap - b->used)
                want = b->cap - b->used;
            if (want <= cap) {
                rc = arca_extract_fail(
                    h->out, ARCA_ELIMIT,
                    "%s: Section%u inflates past %zu bytes (%zu bytes in "
                    "the file)", h->what, sec, b->cap, n);
                goto out;
            }
            unsigned char *nb = realloc(buf, want);
            if (nb == NULL) {
                rc = arca_extract_fail(h->out, ARCA_ENOMEM,
                                       "%s: out of memory inflating Section%u",
                                       h->what, sec);
                goto out;
            }
            buf = nb;
            cap = want;
        }
        z.next_out = buf + len;
        z.avail_out = (uInt)(cap - len);
        zr = inflate(&z, Z_NO_FLUSH);
        len = cap - z.avail_out;
        if (zr == Z_BUF_ERROR && z.avail_in == 0)
            break;                       /* cut short: keep what there is */
        if (zr == Z_BUF_ERROR)
            zr = Z_OK;                   /* out of room: grow */
    }
    if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
        rc = arca_extract_fail(h->out, ARCA_EFORMAT,
                               "%s: Section%u: damaged compressed data (%s)",
                               h->what, sec, z.msg ? z.msg : "zlib error");
        goto out;
    }
    b->used += len;
    *dst = buf;
    *dlen = len;
    buf = NULL;
out:
    inflateEnd(&z);
    free(buf);
    return rc;
}

/* Title, author, dates ... from "\005HwpSummaryInformation", if any. */
static arca_status summary(struct hwp *h, GsfInfile *ole)
{
    GsfInput *s = arca_ole_child(ole, "\005HwpSummaryInformation");
    unsigned char *data = NULL;
    size_t len = 0;
    arca_status rc;
    if (s == NULL)
        return ARCA_OK;
    /* Metadata is a bonus: a damaged property set costs only itself. */
    if (gsf_input_size(s) > (gsf_off_t)(1 << 20) ||
        arca_ole_read(s, "HwpSummaryInformation", (size_t)1 << 20, h->what,
                      h->out, &data, &len) != ARCA_OK) {
        h->out->errmsg[0] = '\0';
        g_object_unref(s);
        return ARCA_OK;
    }
    g_object_unref(s);
    rc = arca_ole_summary(data, len, h->what, h->out);
    free(data);
    return rc;
}

/* The signature, version and flags of the "FileHeader" stream. */
static arca_status file_header(struct hwp *h, GsfInfile *ole, uint32_t *flags)
{
    GsfInput *s = arca_ole_child(ole, "FileHeader");
    unsigned char head[40];
    arca_status rc = ARCA_OK;
    if (s == NULL)
        return arca_extract_fail(h->out, ARCA_EFORMAT,
                                 "%s: no FileHeader stream: not an HWP 5 "
                                 "document", h->what);
    if (gsf_input_size(s) < (gsf_off_t)sizeof head ||
        gsf_input_read(s, sizeof head, head) == NULL ||
        memcmp(head, HWP_SIGNATURE, strlen(HWP_SIGNATURE)) != 0) {
        rc = arca_extract_fail(h->out, ARCA_EFORMAT,
                               "%s: FileHeader lacks the HWP signature",
                               h->what);
        goto out;
    }
    *flags = le32(head + 36);
    uint32_t v = le32(head + 32);
    char version[32];
    snprintf(version, sizeof version, "%u.%u.%u.%u", v >> 24 & 0xFF,
             v >> 16 & 0xFF, v >> 8 & 0xFF, v & 0xFF);
    rc = arca_extract_field(h->out, "hwp-version", version);
out:
    g_object_unref(s);
    return rc;
}

/* The paragraph text of every section of storage BODY. */
static arca_status sections(struct hwp *h, GsfInfile *body, uint32_t flags,
                            struct budget *b)
{
    arca_status rc = ARCA_OK;
    unsigned i;
    for (i = 0; i < MAX_SECTIONS && rc == ARCA_OK && !h->out->truncated;
         i++) {
        char name[32];
        unsigned char *raw = NULL, *plain = NULL;
        size_t rawlen = 0, plainlen = 0;
        snprintf(name, sizeof name, "Section%u", i);
        GsfInput *s = arca_ole_child(body, name);
        if (s == NULL)
            break;
        rc = arca_ole_read(s, name, MAX_STREAM, h->what, h->out, &raw,
                           &rawlen);
        g_object_unref(s);
        if (rc == ARCA_OK && (flags & HWP_COMPRESSED))
            rc = inflate_section(h, i, raw, rawlen, b, &plain, &plainlen);
        if (rc == ARCA_OK)
            rc = plain ? records(h, plain, plainlen) : records(h, raw, rawlen);
        free(raw);
        free(plain);
    }
    if (rc == ARCA_OK && i == 0)
        rc = arca_extract_fail(h->out, ARCA_EFORMAT,
                               "%s: BodyText holds no Section0 stream",
                               h->what);
    return rc;
}

arca_status arca_ix_hwp(const arca_blob *in, arca_extract *out,
                        const arca_limits *lim)
{
    struct hwp h = {in->name ? in->name : "HWP document", out, 0};
    struct budget b;
    GsfInput *src = NULL;
    GsfInfile *ole = NULL, *body = NULL;
    uint32_t flags = 0;
    arca_status rc = ARCA_OK;

    (void)lim;
    budget_init(&b, in->len);
    if (in->len >= strlen(HWP3_SIGNATURE) &&
        memcmp(in->data, HWP3_SIGNATURE, strlen(HWP3_SIGNATURE)) == 0) {
        rc = arca_extract_fail(out, ARCA_EUNSUPPORTED,
                               "%s: HWP 3.x document: only HWP 5.x and HWPX "
                               "are supported", h.what);
        goto out;
    }
    rc = arca_ole_open(in->data, in->len, h.what, out, &src, &ole);
    if (rc)
        goto out;
    rc = file_header(&h, ole, &flags);
    if (rc == ARCA_OK)
        rc = summary(&h, ole);
    if (rc)
        goto out;
    if (flags & HWP_PASSWORD) {
        rc = arca_extract_fail(out, ARCA_EUNSUPPORTED,
                               "%s: password-protected HWP document: its text "
                               "is encrypted", h.what);
        goto out;
    }
    if (flags & HWP_DISTRIBUTION) {
        rc = arca_extract_fail(out, ARCA_EUNSUPPORTED,
                               "%s: distribution (DRM) HWP document: its text "
                               "is encrypted", h.what);
        goto out;
    }
    GsfInput *bt = arca_ole_child(ole, "BodyText");
    if (bt != NULL && !GSF_IS_INFILE(bt)) {
        g_object_unref(bt);             /* a stream where a storage belongs */
        bt = NULL;
    }
    if (bt == NULL) {
        GsfInput *vt = arca_ole_child(ole, "ViewText");
        rc = arca_extract_fail(out, vt ? ARCA_EUNSUPPORTED : ARCA_EFORMAT,
                               vt ? "%s: distribution (DRM) HWP document: "
                                    "its text is encrypted"
                                  : "%s: no BodyText storage", h.what);
        if (vt)
            g_object_unref(vt);
        goto out;
    }
    body = GSF_INFILE(bt);
    rc = sections(&h, body, flags, &b);
out:
    if (body)
        g_object_unref(body);
    if (ole)
        g_object_unref(ole);
    if (src)
        g_object_unref(src);
    return rc;
}

/* ---- HWPX ---- */

#define HWPML_NS "http://www.hancom.co.kr/hwpml/"

struct part {
    char *name;                /* path in the zip */
    unsigned char *data;
    size_t len;
    unsigned section;          /* N of Contents/sectionN.xml, or -1 */
    int used;
};

struct hwpx {
    const char *what;
    arca_extract *out;
    unsigned max_depth;
    struct part *parts;
    size_t nparts, cap;
    char *items[MAX_ITEMS][2]; /* content.hpf manifest: id, href */
    size_t nitems;
    char *spine[MAX_ITEMS];    /* content.hpf spine: idrefs */
    size_t nspine;
    char xmlerr[160];          /* the first XML error of a part */
    int open_line;             /* text written since the last line end */
};

/* Append S[0..n) to the text; a paragraph's end (PARA) makes a line end
 * only after some text, so empty paragraphs leave no blank lines. */
static arca_status emit(struct hwpx *x, const char *s, size_t n, int para)
{
    if (para) {
        if (!x->open_line)
            return ARCA_OK;
        s = "\n";
        n = 1;
    }
    if (n > 0)
        x->open_line = s[n - 1] != '\n';
    return arca_extract_append(x->out, s, n);
}

/* The number N when NAME is "Contents/sectionN.xml", else -1. */
static long section_number(const char *name)
{
    unsigned n;
    int end = 0;
    if (sscanf(name, "Contents/section%u.xml%n", &n, &end) == 1 &&
        end > 0 && name[end] == '\0' && n < MAX_SECTIONS &&
        name[16] >= '0' && name[16] <= '9')
        return n;
    return -1;
}

/* The parts of interest of the zip IN, each inflated within budget B. */
static arca_status read_zip(struct hwpx *x, const arca_blob *in,
                            struct budget *b)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    arca_status rc = ARCA_OK;
    size_t members = 0;
    int r;

    if (a == NULL)
        return arca_extract_fail(x->out, ARCA_ENOMEM,
                                 "%s: cannot start libarchive", x->what);
    archive_read_support_format_zip(a);
    if (archive_read_open_memory(a, in->data, in->len) != ARCHIVE_OK) {
        rc = arca_extract_fail(x->out, ARCA_EFORMAT, "%s: not a zip: %s",
                               x->what, archive_error_string(a));
        goto out;
    }
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        long sec;
        if (++members > MAX_MEMBERS) {
            rc = arca_extract_fail(x->out, ARCA_ELIMIT,
                                   "%s: more than %d zip members", x->what,
                                   MAX_MEMBERS);
            goto out;
        }
        if (name == NULL)
            continue;
        sec = section_number(name);
        if (sec < 0 && strcmp(name, "Contents/content.hpf") != 0 &&
            strcmp(name, "META-INF/manifest.xml") != 0)
            continue;
        if (archive_entry_is_encrypted(e)) {
            rc = arca_extract_fail(x->out, ARCA_EUNSUPPORTED,
                                   "%s: password-protected HWPX document: "
                                   "%s is encrypted", x->what, name);
            goto out;
        }
        if (x->nparts == x->cap) {
            size_t cap = x->cap ? x->cap * 2 : 8;
            struct part *np = realloc(x->parts, cap * sizeof *np);
            if (np == NULL) {
                rc = arca_extract_fail(x->out, ARCA_ENOMEM,
                                       "%s: out of memory", x->what);
                goto out;
            }
            x->parts = np;
            x->cap = cap;
        }
        struct part *p = &x->parts[x->nparts];
        memset(p, 0, sizeof *p);
        p->section = sec < 0 ? (unsigned)-1 : (unsigned)sec;
        p->name = strdup(name);
        if (p->name == NULL) {
            rc = arca_extract_fail(x->out, ARCA_ENOMEM, "%s: out of memory",
                                   x->what);
            goto out;
        }
        x->nparts++;
        size_t cap = 0;
        for (;;) {
            if (p->len == cap) {
                size_t want = cap ? cap * 2 : 65536;
                if (want > MAX_STREAM)
                    want = MAX_STREAM;
                if (want > b->cap - b->used + cap)
                    want = b->cap - b->used + cap;
                if (want <= cap) {
                    rc = arca_extract_fail(
                        x->out, ARCA_ELIMIT,
                        "%s: %s inflates past the limit (%zu bytes for the "
                        "document, %zu per part)", x->what, name, b->cap,
                        MAX_STREAM);
                    goto out;
                }
                unsigned char *nd = realloc(p->data, want);
                if (nd == NULL) {
                    rc = arca_extract_fail(x->out, ARCA_ENOMEM,
                                           "%s: out of memory reading %s",
                                           x->what, name);
                    goto out;
                }
                p->data = nd;
                cap = want;
            }
            la_ssize_t got = archive_read_data(a, p->data + p->len,
                                               cap - p->len);
            if (got < 0) {
                rc = arca_extract_fail(x->out, ARCA_EFORMAT,
                                       "%s: cannot inflate %s: %s", x->what,
                                       name, archive_error_string(a));
                goto out;
            }
            if (got == 0)
                break;
            p->len += (size_t)got;
            b->used += (size_t)got;
        }
    }
    if (r != ARCHIVE_EOF) {
        rc = arca_extract_fail(x->out, ARCA_EFORMAT, "%s: damaged zip: %s",
                               x->what, archive_error_string(a));
        goto out;
    }
out:
    archive_read_free(a);
    return rc;
}

static void xml_error(void *arg, xmlErrorPtr e)
{
    struct hwpx *x = arg;
    if (x->xmlerr[0] == '\0' && e != NULL && e->message != NULL) {
        snprintf(x->xmlerr, sizeof x->xmlerr, "line %d: %s", e->line,
                 e->message);
        x->xmlerr[strcspn(x->xmlerr, "\n")] = '\0';
    }
}

static xmlTextReaderPtr xml_open(struct hwpx *x, const struct part *p)
{
    xmlTextReaderPtr r;
    if (p->len > (size_t)INT32_MAX)
        return NULL;
    x->xmlerr[0] = '\0';
    r = xmlReaderForMemory((const char *)p->data, (int)p->len, p->name, NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR |
                               XML_PARSE_NOWARNING);
    if (r != NULL)
        xmlTextReaderSetStructuredErrorHandler(r, xml_error, x);
    return r;
}

static int hwpml_ns(xmlTextReaderPtr r, const char *suffix)
{
    const char *ns = (const char *)xmlTextReaderConstNamespaceUri(r);
    size_t n, s = strlen(suffix);
    if (ns == NULL || strncmp(ns, HWPML_NS, strlen(HWPML_NS)) != 0)
        return 0;
    n = strlen(ns);
    return n >= s && strcmp(ns + n - s, suffix) == 0;
}

static int is(xmlTextReaderPtr r, const char *local)
{
    const char *l = (const char *)xmlTextReaderConstLocalName(r);
    return l != NULL && strcmp(l, local) == 0;
}

/* The text of one section part: <hp:t> content, a line per <hp:p>. */
static arca_status section_text(struct hwpx *x, const struct part *p)
{
    xmlTextReaderPtr r;
    arca_status rc = ARCA_OK;
    int t_depth = -1, ret;
    if (p->len == 0)
        return arca_extract_fail(x->out, ARCA_EFORMAT, "%s: %s is empty",
                                 x->what, p->name);
    r = xml_open(x, p);
    if (r == NULL)
        return arca_extract_fail(x->out, ARCA_ENOMEM,
                                 "%s: cannot start the XML reader for %s",
                                 x->what, p->name);
    while (rc == ARCA_OK && !x->out->truncated &&
           (ret = xmlTextReaderRead(r)) == 1) {
        int type = xmlTextReaderNodeType(r);
        int depth = xmlTextReaderDepth(r);
        if (depth < 0 || (unsigned)depth > x->max_depth) {
            x->out->truncated = 1;
            break;
        }
        if (type == XML_READER_TYPE_ELEMENT && hwpml_ns(r, "/paragraph")) {
            if (t_depth < 0 && is(r, "t") && !xmlTextReaderIsEmptyElement(r))
                t_depth = depth;
            else if (t_depth >= 0 && is(r, "tab"))
                rc = emit(x, "\t", 1, 0);
            else if (t_depth >= 0 && is(r, "lineBreak"))
                rc = emit(x, "\n", 1, 0);
            else if (t_depth >= 0 && (is(r, "nbSpace") || is(r, "fwSpace")))
                rc = emit(x, " ", 1, 0);
            else if (t_depth >= 0 && is(r, "hyphen"))
                rc = emit(x, "-", 1, 0);
            else if (is(r, "p") && xmlTextReaderIsEmptyElement(r))
                rc = emit(x, NULL, 0, 1);
        } else if (type == XML_READER_TYPE_END_ELEMENT) {
            if (depth == t_depth)
                t_depth = -1;
            else if (is(r, "p") && hwpml_ns(r, "/paragraph"))
                rc = emit(x, NULL, 0, 1);
        } else if (t_depth >= 0 &&
                   (type == XML_READER_TYPE_TEXT ||
                    type == XML_READER_TYPE_CDATA ||
                    type == XML_READER_TYPE_WHITESPACE ||
                    type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE)) {
            const char *v = (const char *)xmlTextReaderConstValue(r);
            if (v != NULL)
                rc = emit(x, v, strlen(v), 0);
        }
    }
    if (rc == ARCA_OK && !x->out->truncated && ret != 0)
        rc = arca_extract_fail(x->out, ARCA_EFORMAT, "%s: %s: bad XML: %s",
                               x->what, p->name,
                               x->xmlerr[0] ? x->xmlerr : "unreadable");
    xmlFreeTextReader(r);
    return rc;
}

/* The value of a content.hpf <opf:meta name=NAME> to its slot. */
static arca_status hpf_meta(struct hwpx *x, const char *name, const char *v)
{
    static const struct {
        const char *name;
        size_t slot;           /* offset in arca_extract, or 0: a field */
        const char *field;
    } metas[] = {
        {"creator", offsetof(arca_extract, author), NULL},
        {"description", offsetof(arca_extract, description), NULL},
        {"keyword", offsetof(arca_extract, keywords), NULL},
        {"subject", 0, "subject"},
        {"lastsaveby", 0, "last-author"},
    };
    char iso[11];
    if (strcmp(name, "CreatedDate") == 0 || strcmp(name, "date") == 0) {
        if (x->out->date == NULL && arca_date_parse(v, iso))
            return arca_extract_set(x->out, &x->out->date, iso);
        return ARCA_OK;
    }
    for (size_t i = 0; i < sizeof metas / sizeof metas[0]; i++) {
        if (strcmp(name, metas[i].name) != 0)
            continue;
        if (metas[i].field)
            return arca_extract_field(x->out, metas[i].field, v);
        char **slot = (char **)((char *)x->out + metas[i].slot);
        return *slot ? ARCA_OK : arca_extract_set(x->out, slot, v);
    }
    return ARCA_OK;
}

static arca_status keep(struct hwpx *x, char **dst, xmlTextReaderPtr r,
                        const char *attr)
{
    xmlChar *v = xmlTextReaderGetAttribute(r, (const xmlChar *)attr);
    if (v == NULL)
        return ARCA_OK;
    *dst = strdup((const char *)v);
    xmlFree(v);
    return *dst ? ARCA_OK
                : arca_extract_fail(x->out, ARCA_ENOMEM, "%s: out of memory",
                                    x->what);
}

/* Metadata and the order of sections, from Contents/content.hpf. */
static arca_status package(struct hwpx *x, const struct part *p)
{
    xmlTextReaderPtr r = p->len > 0 ? xml_open(x, p) : NULL;
    arca_status rc = ARCA_OK;
    if (r == NULL)
        return ARCA_OK;
    while (rc == ARCA_OK && xmlTextReaderRead(r) == 1) {
        xmlChar *text = NULL, *name = NULL;
        if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
            continue;
        if ((unsigned)xmlTextReaderDepth(r) > x->max_depth)
            break;
        if (is(r, "item") && x->nitems < MAX_ITEMS) {
            char **it = x->items[x->nitems];
            rc = keep(x, &it[0], r, "id");
            if (rc == ARCA_OK)
                rc = keep(x, &it[1], r, "href");
            x->nitems++;
        } else if (is(r, "itemref") && x->nspine < MAX_ITEMS) {
            rc = keep(x, &x->spine[x->nspine++], r, "idref");
        } else if (is(r, "title") || is(r, "language") || is(r, "meta")) {
            text = xmlTextReaderReadString(r);
            name = is(r, "meta")
                       ? xmlTextReaderGetAttribute(r, (const xmlChar *)"name")
                       : NULL;
            const char *v = (const char *)text;
            if (v != NULL && *v != '\0' && strlen(v) < ARCA_FIELD_MAX) {
                if (is(r, "title") && x->out->title == NULL)
                    rc = arca_extract_set(x->out, &x->out->title, v);
                else if (is(r, "language") && x->out->lang == NULL)
                    rc = arca_extract_set(x->out, &x->out->lang, v);
                else if (name != NULL)
                    rc = hpf_meta(x, (const char *)name, v);
            }
        }
        xmlFree(text);
        xmlFree(name);
    }
    /* A damaged content.hpf costs its metadata only: no error here. */
    xmlFreeTextReader(r);
    return rc;
}

static int by_section(const void *a, const void *b)
{
    const struct part *p = a, *q = b;
    return (p->section > q->section) - (p->section < q->section);
}

static struct part *find_part(struct hwpx *x, const char *name)
{
    for (size_t i = 0; i < x->nparts; i++)
        if (strcmp(x->parts[i].name, name) == 0)
            return &x->parts[i];
    return NULL;
}

/* Sections in the spine's order, then any the spine left out. */
static arca_status all_sections(struct hwpx *x)
{
    arca_status rc = ARCA_OK;
    size_t found = 0;
    for (size_t s = 0; s < x->nspine && rc == ARCA_OK; s++) {
        for (size_t i = 0; i < x->nitems && x->spine[s]; i++) {
            struct part *p;
            if (x->items[i][0] == NULL || x->items[i][1] == NULL ||
                strcmp(x->items[i][0], x->spine[s]) != 0)
                continue;
            p = find_part(x, x->items[i][1]);
            if (p != NULL && p->section != (unsigned)-1 && !p->used) {
                p->used = 1;
                found++;
                rc = section_text(x, p);
            }
            break;
        }
    }
    for (size_t i = 0; i < x->nparts && rc == ARCA_OK; i++) {
        struct part *p = &x->parts[i];
        if (p->section != (unsigned)-1 && !p->used) {
            p->used = 1;
            found++;
            rc = section_text(x, p);
        }
    }
    if (rc == ARCA_OK && found == 0)
        rc = arca_extract_fail(x->out, ARCA_EFORMAT,
                               "%s: no Contents/section0.xml: not an HWPX "
                               "document", x->what);
    return rc;
}

arca_status arca_ix_hwpx(const arca_blob *in, arca_extract *out,
                         const arca_limits *lim)
{
    struct hwpx *x = calloc(1, sizeof *x);
    struct budget b;
    struct part *p;
    arca_status rc = ARCA_OK;

    if (x == NULL)
        return arca_extract_fail(out, ARCA_ENOMEM, "%s: out of memory",
                                 in->name ? in->name : "HWPX document");
    x->what = in->name ? in->name : "HWPX document";
    x->out = out;
    x->max_depth = lim && lim->max_depth ? lim->max_depth
                                         : ARCA_DEFAULT_MAX_DEPTH;
    budget_init(&b, in->len);
    rc = read_zip(x, in, &b);
    if (rc)
        goto out;
    p = find_part(x, "META-INF/manifest.xml");
    if (p != NULL && p->len > 0 &&
        memmem(p->data, p->len, "encryption-data", 15) != NULL) {
        rc = arca_extract_fail(out, ARCA_EUNSUPPORTED,
                               "%s: password-protected HWPX document: its "
                               "sections are encrypted", x->what);
        goto out;
    }
    /* Numeric order first, so that sections the spine omits follow it. */
    if (x->nparts > 1)
        qsort(x->parts, x->nparts, sizeof *x->parts, by_section);
    p = find_part(x, "Contents/content.hpf");
    if (p != NULL)
        rc = package(x, p);
    if (rc == ARCA_OK)
        rc = all_sections(x);
out:
    for (size_t i = 0; i < x->nparts; i++) {
        free(x->parts[i].name);
        free(x->parts[i].data);
    }
    for (size_t i = 0; i < x->nitems; i++) {
        free(x->items[i][0]);
        free(x->items[i][1]);
    }
    for (size_t i = 0; i < x->nspine; i++)
        free(x->spine[i]);
    free(x->parts);
    free(x);
    return rc;
}
