/*
 * msoffice.c: the indexer of Word, Excel and PowerPoint 97-2003 files.
 *
 * All three are OLE2 compound files, opened from memory with libgsf
 * through ole.c, which also parses their "\005SummaryInformation"
 * property set (title, author, subject, keywords, comments, dates).
 * The format is chosen by the streams present, the MIME type breaking a
 * tie; each has its own small parser here, written from Microsoft's
 * published specifications:
 *
 *   Word ([MS-DOC]): the FIB at the start of the "WordDocument" stream
 *   locates the Clx in the table stream ("0Table" or "1Table"); its piece
 *   table maps character positions to runs of 8-bit (cp1252) or UTF-16LE
 *   text in WordDocument.  Field codes are dropped (their results kept);
 *   paragraph, cell and break marks become line ends and tabs.
 *
 *   Excel ([MS-XLS]): the records of the "Workbook" stream (BIFF8) or the
 *   "Book" stream (BIFF5): sheet names (BOUNDSHEET), the shared strings
 *   (SST, continued across CONTINUE records), and the cells that show
 *   text or numbers (LABELSST, LABEL, RSTRING, NUMBER, RK, MULRK, FORMULA
 *   results), a line per row and a tab between cells.
 *
 *   PowerPoint ([MS-PPT]): the records of the "PowerPoint Document"
 *   stream, walked recursively: TextCharsAtom (UTF-16LE), TextBytesAtom
 *   (Latin-1) and the text of comments (CString).  Master slides, whose
 *   text is the application's boilerplate, are skipped.
 *
 * Bounds: bytes of a stream, pieces, records, shared strings, sheets and
 * record nesting.  Encrypted files (Word's fEncrypted, Excel's FILEPASS,
 * PowerPoint's encrypted current user or EncryptedSummary stream) are
 * refused with ARCA_EUNSUPPORTED; Word 6/95 and Excel 2-4 likewise.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsf/gsf.h>

#include "indexer-private.h"
#include "msoffice-private.h"
#include "ole-private.h"

#define MAX_STREAM ((size_t)64 << 20)      /* bytes of one stream */
#define MAX_SUMMARY ((size_t)16 << 20)     /* bytes of a property set */
#define MAX_PIECES ((size_t)1 << 20)       /* Word piece table entries */
#define MAX_FIELDS 64                      /* Word field nesting tracked */
#define MAX_RECORDS ((size_t)1 << 22)      /* Excel or PowerPoint records */
#define MAX_SHEETS 4096
#define MAX_STRINGS ((size_t)1 << 22)      /* Excel shared strings */
#define MAX_PPT_DEPTH 32                   /* PowerPoint container nesting */

/* ---- Shared: text out through a buffer ---- */

struct ms {
    const char *what;          /* the file's name, for messages */
    arca_extract *out;
    char buf[8192];            /* UTF-8 waiting to be appended */
    size_t w;
    size_t records;
    /* Word: the fields open at this point (1: in the code part). */
    unsigned char field[MAX_FIELDS];
    size_t fields, in_code;
    /* PowerPoint: where a text box's fields stand ("*"), and the UTF-16
     * position in its text. */
    uint32_t mc[16];
    size_t nmc, unit;
};

static uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static arca_status flush(struct ms *m)
{
    arca_status rc = m->w ? arca_extract_append(m->out, m->buf, m->w)
                          : ARCA_OK;
    m->w = 0;
    return rc;
}

/* Append code point C as UTF-8 (surrogates become U+FFFD). */
static arca_status put(struct ms *m, uint32_t c)
{
    char *d;
    if (m->w > sizeof m->buf - 4) {
        arca_status rc = flush(m);
        if (rc)
            return rc;
    }
    d = m->buf + m->w;
    if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
        c = 0xFFFD;
    if (c < 0x80) {
        d[0] = (char)c;
        m->w += 1;
    } else if (c < 0x800) {
        d[0] = (char)(0xC0 | c >> 6);
        d[1] = (char)(0x80 | (c & 0x3F));
        m->w += 2;
    } else if (c < 0x10000) {
        d[0] = (char)(0xE0 | c >> 12);
        d[1] = (char)(0x80 | (c >> 6 & 0x3F));
        d[2] = (char)(0x80 | (c & 0x3F));
        m->w += 3;
    } else {
        d[0] = (char)(0xF0 | c >> 18);
        d[1] = (char)(0x80 | (c >> 12 & 0x3F));
        d[2] = (char)(0x80 | (c >> 6 & 0x3F));
        d[3] = (char)(0x80 | (c & 0x3F));
        m->w += 4;
    }
    return ARCA_OK;
}

static arca_status puts_utf8(struct ms *m, const char *s, size_t n)
{
    arca_status rc = flush(m);
    return rc ? rc : arca_extract_append(m->out, s, n);
}

/* The last character written, or 0 when nothing was. */
static char last_char(const struct ms *m)
{
    if (m->w > 0)
        return m->buf[m->w - 1];
    return m->out->len > 0 ? m->out->text[m->out->len - 1] : 0;
}

/* The Unicode value of cp1252 byte B (undefined bytes stay C1 controls). */
static uint32_t cp1252(unsigned char b)
{
    static const uint16_t high[32] = {
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    };
    return b >= 0x80 && b < 0xA0 ? high[b - 0x80] : b;
}

/*
 * Read UTF-16LE or 8-bit text from P[0..n) (N in bytes), calling EACH on
 * every code point: pairs of surrogates are joined, a lone one is U+FFFD.
 * Eight-bit text is cp1252 when CP1252, else Latin-1.
 */
typedef arca_status (*char_fn)(struct ms *m, uint32_t c);

static arca_status chars(struct ms *m, const unsigned char *p, size_t n,
                         int wide, int is_cp1252, char_fn each)
{
    arca_status rc = ARCA_OK;
    if (!wide) {
        for (size_t i = 0; i < n && rc == ARCA_OK; i++)
            rc = each(m, is_cp1252 ? cp1252(p[i]) : p[i]);
        return rc;
    }
    for (size_t i = 0; i + 1 < n && rc == ARCA_OK; i += 2) {
        uint32_t c = le16(p + i);
        if (c >= 0xD800 && c <= 0xDBFF && i + 3 < n) {
            uint32_t lo = le16(p + i + 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            }
        }
        rc = each(m, c);
    }
    return rc;
}

/* Plain text in a cell or on a slide: line ends kept, controls dropped. */
static arca_status plain_char(struct ms *m, uint32_t c)
{
    if (c == '\r' || c == 0x0B || c == '\n')
        return put(m, '\n');
    if (c == '\t')
        return put(m, '\t');
    if (c < 0x20 || (c >= 0x7F && c < 0xA0))
        return ARCA_OK;
    return put(m, c);
}

/* Text inside a spreadsheet cell: line ends and tabs become spaces. */
static arca_status cell_char(struct ms *m, uint32_t c)
{
    if (c == '\r' || c == '\n' || c == '\t' || c == 0x0B)
        return put(m, ' ');
    return plain_char(m, c);
}

/* ---- Word ---- */

enum {
    FIB_ENCRYPTED = 0x0100,
    FIB_WHICH_TABLE = 0x0200,
};

/* One character of a Word document's text stream ([MS-DOC] 2.8.25). */
static arca_status doc_char(struct ms *m, uint32_t c)
{
    switch (c) {
    case 0x13:                          /* field begins: its code first */
        if (m->fields < MAX_FIELDS)
            m->field[m->fields] = 1;
        m->fields++;
        m->in_code++;
        return ARCA_OK;
    case 0x14:                          /* separator: the result follows */
        if (m->fields > 0 && m->fields <= MAX_FIELDS &&
            m->field[m->fields - 1]) {
            m->field[m->fields - 1] = 0;
            m->in_code--;
        }
        return ARCA_OK;
    case 0x15:                          /* field ends */
        if (m->fields == 0)
            return ARCA_OK;
        if (m->fields > MAX_FIELDS || m->field[m->fields - 1])
            m->in_code--;
        m->fields--;
        return ARCA_OK;
    default:
        break;
    }
    if (m->in_code > 0)
        return ARCA_OK;
    switch (c) {
    case 0x0D: case 0x0B: case 0x0C: case 0x0E:
        return put(m, '\n');            /* paragraph, line, page, column */
    case 0x07: case 0x09:
        return put(m, '\t');            /* cell or row end, tab */
    case 0x1E:
        return put(m, '-');             /* non-breaking hyphen */
    case 0xA0:
        return put(m, ' ');
    default:
        break;
    }
    if (c < 0x20 || (c >= 0x7F && c < 0xA0))
        return ARCA_OK;                 /* objects, notes marks, hyphens */
    return put(m, c);
}

/* 1 if child S of a compound file is a storage, not a stream. */
static int is_storage(GsfInput *s)
{
    return GSF_IS_INFILE(s) && gsf_infile_num_children(GSF_INFILE(s)) >= 0;
}

/* A stream of OLE storage DIR into *dst; EFORMAT when it is absent. */
static arca_status stream(struct ms *m, GsfInfile *dir, const char *name,
                          unsigned char **dst, size_t *dlen)
{
    GsfInput *s = arca_ole_child(dir, name);
    arca_status rc;
    *dst = NULL;
    *dlen = 0;
    if (s == NULL || is_storage(s)) {
        if (s != NULL)
            g_object_unref(s);
        return arca_extract_fail(m->out, ARCA_EFORMAT, "%s: no %s stream",
                                 m->what, name);
    }
    rc = arca_ole_read(s, name, MAX_STREAM, m->what, m->out, dst, dlen);
    g_object_unref(s);
    return rc;
}

/* The text of piece table PLC[0..n) over the WordDocument bytes D. */
static arca_status pieces(struct ms *m, const unsigned char *plc, size_t n,
                          const unsigned char *d, size_t dlen, uint64_t ccp)
{
    size_t count = (n - 4) / 12, read = 0;
    const unsigned char *pcd = plc + 4 * (count + 1);
    arca_status rc = ARCA_OK;

    if (count > MAX_PIECES)
        return arca_extract_fail(m->out, ARCA_ELIMIT,
                                 "%s: more than %zu pieces of text",
                                 m->what, MAX_PIECES);
    for (size_t i = 0; i < count && rc == ARCA_OK && !m->out->truncated;
         i++) {
        uint64_t start = le32(plc + 4 * i), end = le32(plc + 4 * i + 4);
        uint32_t fc = le32(pcd + 8 * i + 2);
        int compressed = (fc & 0x40000000u) != 0;
        size_t off, len;
        if (start >= ccp)
            break;
        if (end > ccp)
            end = ccp;
        if (end <= start)
            continue;
        fc &= 0x3FFFFFFFu;
        off = compressed ? fc / 2 : fc;
        len = (size_t)(end - start) * (compressed ? 1 : 2);
        if (off >= dlen)
            continue;                   /* a piece outside the stream */
        if (len > dlen - off)
            len = dlen - off;
        /* Pieces of a sound document never share bytes: reading the
         * stream twice over means a hostile table. */
        read += len;
        if (read > 2 * dlen)
            return arca_extract_fail(m->out, ARCA_ELIMIT,
                                     "%s: the piece table reads the text "
                                     "more than twice over", m->what);
        rc = chars(m, d + off, len, !compressed, 1, doc_char);
    }
    return rc;
}

static arca_status word(struct ms *m, GsfInfile *ole)
{
    unsigned char *d = NULL, *t = NULL;
    size_t dlen = 0, tlen = 0, at, lw, fclcb, csw, cslw;
    uint64_t ccp = 0;
    uint32_t fc, lcb;
    unsigned nfib, flags;
    arca_status rc;

    rc = stream(m, ole, "WordDocument", &d, &dlen);
    if (rc)
        goto out;
    if (dlen < 34 || le16(d) != 0xA5EC) {
        rc = arca_extract_fail(m->out, ARCA_EFORMAT,
                               "%s: WordDocument lacks the Word signature",
                               m->what);
        goto out;
    }
    nfib = le16(d + 2);
    flags = le16(d + 10);
    if (nfib < 0xC0) {
        rc = arca_extract_fail(m->out, ARCA_EUNSUPPORTED,
                               "%s: Word 6/95 document (nFib %u): only Word "
                               "97-2003 documents are supported", m->what,
                               nfib);
        goto out;
    }
    if (flags & FIB_ENCRYPTED) {
        rc = arca_extract_fail(m->out, ARCA_EUNSUPPORTED,
                               "%s: password-protected Word document: its "
                               "text is encrypted", m->what);
        goto out;
    }
    /* The FIB's variable parts, each preceded by its count. */
    csw = le16(d + 32);
    at = 34 + 2 * csw;
    cslw = at + 2 <= dlen ? le16(d + at) : 0;
    lw = at + 2;
    at = lw + 4 * cslw;
    if (cslw < 11 || at + 2 > dlen || le16(d + at) <= 33 ||
        at + 2 + 34 * 8 > dlen) {
        rc = arca_extract_fail(m->out, ARCA_EFORMAT,
                               "%s: the FIB is cut short", m->what);
        goto out;
    }
    fclcb = at + 2;
    /* ccpText, ccpFtn, ccpHdd, (ccpMcr), ccpAtn, ccpEdn, ccpTxbx,
     * ccpHdrTxbx: every story's characters, the main text first. */
    for (size_t k = 3; k <= 10; k++) {
        uint32_t v = le32(d + lw + 4 * k);
        if (k != 6 && v < 0x80000000u)
            ccp += v;
    }
    ccp += 1;                           /* the final paragraph mark */
    fc = le32(d + fclcb + 33 * 8);
    lcb = le32(d + fclcb + 33 * 8 + 4);
    rc = stream(m, ole, flags & FIB_WHICH_TABLE ? "1Table" : "0Table", &t,
                &tlen);
    if (rc)
        goto out;
    if (fc > tlen || lcb > tlen - fc) {
        rc = arca_extract_fail(m->out, ARCA_EFORMAT,
                               "%s: the Clx lies outside the table stream",
                               m->what);
        goto out;
    }
    /* The Clx: Prc entries (0x01, a 16-bit size, properties), then the
     * Pcdt (0x02, a 32-bit size, the piece table). */
    const unsigned char *clx = t + fc;
    size_t off = 0;
    while (off < lcb && clx[off] == 0x01) {
        if (lcb - off < 3) {
            off = lcb;
            break;
        }
        off += 3 + le16(clx + off + 1);
    }
    if (off >= lcb || clx[off] != 0x02 || lcb - off < 5) {
        rc = arca_extract_fail(m->out, ARCA_EFORMAT,
                               "%s: no piece table in the Clx", m->what);
        goto out;
    }
    size_t plen = le32(clx + off + 1);
    off += 5;
    if (plen > lcb - off || plen < 16 || (plen - 4) % 12 != 0) {
        rc = arca_extract_fail(m->out, ARCA_EFORMAT,
                               "%s: damaged piece table (%zu bytes)", m->what,
                               plen);
        goto out;
    }
    rc = pieces(m, clx + off, plen, d, dlen, ccp);
    if (rc == ARCA_OK)
        rc = flush(m);
out:
    free(d);
    free(t);
    return rc;
}

/* ---- Excel ---- */

enum {
    XLS_FORMULA = 0x0006, XLS_EOF = 0x000A, XLS_FILEPASS = 0x002F,
    XLS_CONTINUE = 0x003C, XLS_CODEPAGE = 0x0042, XLS_BOUNDSHEET = 0x0085,
    XLS_MULRK = 0x00BD, XLS_RSTRING = 0x00D6, XLS_SST = 0x00FC,
    XLS_LABELSST = 0x00FD, XLS_NUMBER = 0x0203, XLS_LABEL = 0x0204,
    XLS_STRING = 0x0207, XLS_RK = 0x027E, XLS_BOF = 0x0809,
};

struct sheet {
    uint32_t pos;              /* stream offset of its BOF */
    char *name;                /* UTF-8, malloc'd */
};

struct xls {
    struct ms *m;
    const unsigned char *d;    /* the whole stream */
    size_t n;
    int biff8;
    unsigned codepage;
    struct sheet *sheets;
    size_t nsheets;
    char *sst;                 /* shared strings, each NUL-terminated */
    size_t sst_len, sst_cap;
    size_t *sst_off;
    size_t nsst, sst_offcap;
    long row;                  /* row of the last cell written, or -1 */
    unsigned depth;            /* BOF ... EOF substreams open */
    int in_sheet;              /* the outermost one is a worksheet */
    uint32_t formula_row;      /* the row of the FORMULA a STRING follows */
};

/* Decode the BIFF5 bytes P[0..n) in the workbook's code page into cells. */
static arca_status xls_bytes(struct xls *x, const unsigned char *p, size_t n,
                             char_fn each)
{
    char label[16], used[64], *s = NULL;
    size_t len = 0;
    arca_status rc;
    unsigned cp = x->codepage;
    if (n == 0)
        return ARCA_OK;
    if (cp == 0 || cp == 1200 || cp == 32769)
        cp = 1252;
    if (cp == 32768)
        snprintf(label, sizeof label, "MACINTOSH");
    else
        snprintf(label, sizeof label, "CP%u", cp);
    rc = arca_decode(p, n, label, &s, &len, used);
    if (rc)
        return arca_extract_fail(x->m->out, rc, "%s: cannot decode a string "
                                 "of the workbook", x->m->what);
    /* Decoded text is valid UTF-8: pass it through, controls filtered. */
    for (size_t i = 0; i < len && rc == ARCA_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20)
            rc = each(x->m, c);
        else if (c < 0x80)
            rc = put(x->m, c);
        else {
            rc = flush(x->m);
            size_t j = i + 1;
            while (j < len && ((unsigned char)s[j] & 0xC0) == 0x80)
                j++;
            if (rc == ARCA_OK)
                rc = arca_extract_append(x->m->out, s + i, j - i);
            i = j - 1;
        }
    }
    free(s);
    return rc;
}

/*
 * A string of a record at P[0..n): BIFF8's XLUnicodeString (a count of
 * CCH bytes, 1 or 2, then flags and characters) or BIFF5's byte string.
 * Characters beyond the record are dropped.
 */
static arca_status xls_string(struct xls *x, const unsigned char *p, size_t n,
                              size_t cch, char_fn each)
{
    size_t count;
    if (n < cch)
        return ARCA_OK;
    count = cch == 1 ? p[0] : le16(p);
    p += cch;
    n -= cch;
    if (!x->biff8)
        return xls_bytes(x, p, count < n ? count : n, each);
    if (n < 1)
        return ARCA_OK;
    int wide = p[0] & 1;                /* fHighByte; no other flags */
    p++;
    n--;
    if (count > n / (wide ? 2 : 1))
        count = n / (wide ? 2 : 1);
    return chars(x->m, p, count * (wide ? 2 : 1), wide, 0, each);
}

/* Start a cell at ROW: a line end before a new row, else a tab. */
static arca_status cell(struct xls *x, uint32_t row)
{
    arca_status rc = ARCA_OK;
    if (x->row != (long)row) {
        if (x->row >= 0)
            rc = put(x->m, '\n');
        x->row = row;
    } else {
        rc = put(x->m, '\t');
    }
    return rc;
}

static arca_status number(struct xls *x, uint32_t row, double v)
{
    char s[40];
    arca_status rc;
    if (!isfinite(v))
        return ARCA_OK;
    rc = cell(x, row);
    if (rc == ARCA_OK)
        rc = puts_utf8(x->m, s, (size_t)snprintf(s, sizeof s, "%.15g", v));
    return rc;
}

/* An RK number ([MS-XLS] 2.5.217). */
static double rk(uint32_t v)
{
    double d;
    if (v & 2) {
        d = (double)((int32_t)v >> 2);
    } else {
        uint64_t bits = (uint64_t)(v & 0xFFFFFFFCu) << 32;
        memcpy(&d, &bits, sizeof d);
    }
    return v & 1 ? d / 100 : d;
}

static arca_status sst_grow(struct xls *x, size_t more)
{
    if (x->sst_cap - x->sst_len < more) {
        size_t cap = x->sst_cap ? x->sst_cap : 4096;
        while (cap - x->sst_len < more)
            cap *= 2;
        char *ns = realloc(x->sst, cap);
        if (ns == NULL)
            return ARCA_ENOMEM;
        x->sst = ns;
        x->sst_cap = cap;
    }
    return ARCA_OK;
}

static arca_status sst_put(struct xls *x, uint32_t c)
{
    char tmp[4];
    size_t k;
    if (c < 0x20 || (c >= 0x7F && c < 0xA0))
        c = c == '\n' || c == '\r' || c == '\t' ? ' ' : 0;
    if (c == 0)
        return ARCA_OK;
    if (c >= 0xD800 && c <= 0xDFFF)
        c = 0xFFFD;
    if (c < 0x80) {
        tmp[0] = (char)c;
        k = 1;
    } else if (c < 0x800) {
        tmp[0] = (char)(0xC0 | c >> 6);
        tmp[1] = (char)(0x80 | (c & 0x3F));
        k = 2;
    } else if (c < 0x10000) {
        tmp[0] = (char)(0xE0 | c >> 12);
        tmp[1] = (char)(0x80 | (c >> 6 & 0x3F));
        tmp[2] = (char)(0x80 | (c & 0x3F));
        k = 3;
    } else {
        tmp[0] = (char)(0xF0 | c >> 18);
        tmp[1] = (char)(0x80 | (c >> 12 & 0x3F));
        tmp[2] = (char)(0x80 | (c >> 6 & 0x3F));
        tmp[3] = (char)(0x80 | (c & 0x3F));
        k = 4;
    }
    if (sst_grow(x, k) != ARCA_OK)
        return ARCA_ENOMEM;
    memcpy(x->sst + x->sst_len, tmp, k);
    x->sst_len += k;
    return ARCA_OK;
}

/*
 * The shared string table: the SST record at X->d[at..at+size) and the
 * CONTINUE records after it, copied into one buffer with the offsets
 * where each CONTINUE began.  A string's characters that run into a
 * CONTINUE resume after a byte of flags (1: UTF-16, 0: 8-bit); its other
 * parts run on without one.
 */
static arca_status sst(struct xls *x, size_t at, size_t size)
{
    unsigned char *b = NULL;
    size_t *bound = NULL, nb = 0, blen = 0, off = at + size, nrec = 0;
    arca_status rc = ARCA_OK;
    uint32_t unique;

    /* Gather: the SST's body, then each CONTINUE's. */
    while (off + 4 <= x->n && le16(x->d + off) == XLS_CONTINUE &&
           le16(x->d + off + 2) <= x->n - off - 4) {
        off += 4 + le16(x->d + off + 2);
        nrec++;
    }
    b = malloc(off - at + 1);
    bound = malloc((nrec + 1) * sizeof *bound);
    if (b == NULL || bound == NULL) {
        rc = ARCA_ENOMEM;
        goto out;
    }
    memcpy(b, x->d + at, size);
    blen = size;
    for (size_t r = 0, o = at + size; r < nrec; r++) {
        size_t sz = le16(x->d + o + 2);
        bound[nb++] = blen;
        memcpy(b + blen, x->d + o + 4, sz);
        blen += sz;
        o += 4 + sz;
    }
    bound[nb] = (size_t)-1;
    if (blen < 8)
        goto out;
    unique = le32(b + 4);
    size_t pos = 8, bi = 0;
    for (uint32_t i = 0; i < unique && pos + 3 <= blen; i++) {
        size_t cch = le16(b + pos), runs = 0, ext = 0;
        int wide = b[pos + 2] & 1;
        unsigned fl = b[pos + 2];
        pos += 3;
        if (fl & 0x08) {
            if (pos + 2 > blen)
                break;
            runs = le16(b + pos);
            pos += 2;
        }
        if (fl & 0x04) {
            if (pos + 4 > blen)
                break;
            ext = le32(b + pos);
            pos += 4;
        }
        if (x->nsst == MAX_STRINGS) {
            rc = arca_extract_fail(x->m->out, ARCA_ELIMIT,
                                   "%s: more than %zu shared strings",
                                   x->m->what, MAX_STRINGS);
            goto out;
        }
        if (x->nsst == x->sst_offcap) {
            size_t cap = x->sst_offcap ? x->sst_offcap * 2 : 256;
            size_t *no = realloc(x->sst_off, cap * sizeof *no);
            if (no == NULL) {
                rc = ARCA_ENOMEM;
                goto out;
            }
            x->sst_off = no;
            x->sst_offcap = cap;
        }
        x->sst_off[x->nsst++] = x->sst_len;
        while (bound[bi] < pos)
            bi++;
        int cut = 0;
        for (size_t k = 0; k < cch && pos < blen && rc == ARCA_OK; k++) {
            if (bound[bi] == pos) {     /* continued: new flags */
                wide = b[pos++] & 1;
                bi++;
                if (pos >= blen)
                    break;
            }
            uint32_t c;
            if (wide && (pos + 2 > blen || bound[bi] == pos + 1)) {
                cut = 1;                /* a character split: the end */
                break;
            }
            if (wide) {
                c = le16(b + pos);
                pos += 2;
            } else {
                c = b[pos++];
            }
            rc = sst_put(x, c);
        }
        if (rc == ARCA_OK)
            rc = sst_grow(x, 1);
        if (rc)
            goto out;
        x->sst[x->sst_len++] = '\0';
        if (cut || 4 * runs > blen - pos || ext > blen - pos - 4 * runs)
            break;
        pos += 4 * runs + ext;
    }
out:
    if (rc == ARCA_ENOMEM)
        rc = arca_extract_fail(x->m->out, rc,
                               "%s: out of memory reading shared strings",
                               x->m->what);
    free(b);
    free(bound);
    return rc;
}

static arca_status boundsheet(struct xls *x, const unsigned char *p, size_t n)
{
    struct ms *m = x->m, name_ms;
    arca_extract name;
    arca_status rc;
    if (n < 8 || x->nsheets == MAX_SHEETS)
        return ARCA_OK;
    /* The name is decoded like a cell, into an extract of its own. */
    arca_extract_init(&name, 1024);
    memset(&name_ms, 0, sizeof name_ms);
    name_ms.what = m->what;
    name_ms.out = &name;
    x->m = &name_ms;
    if (x->biff8)
        rc = xls_string(x, p + 6, n - 6, 1, cell_char);
    else
        rc = xls_bytes(x, p + 7, p[6] < n - 7 ? p[6] : n - 7, cell_char);
    if (rc == ARCA_OK)
        rc = flush(&name_ms);
    x->m = m;
    if (rc == ARCA_OK) {
        x->sheets[x->nsheets].name = strdup(name.text);
        if (x->sheets[x->nsheets].name == NULL)
            rc = arca_extract_fail(m->out, ARCA_ENOMEM, "%s: out of memory",
                                   m->what);
        else
            x->sheets[x->nsheets++].pos = le32(p);
    } else {
        rc = arca_extract_fail(m->out, rc, "%s", name.errmsg);
    }
    arca_extract_free(&name);
    return rc;
}

/* A worksheet's BOF at stream offset AT: its name on a line. */
static arca_status sheet_start(struct xls *x, size_t at)
{
    arca_status rc = ARCA_OK;
    x->in_sheet = 1;
    x->row = -1;
    if (last_char(x->m) != 0 && last_char(x->m) != '\n')
        rc = put(x->m, '\n');
    for (size_t i = 0; i < x->nsheets && rc == ARCA_OK; i++) {
        if (x->sheets[i].pos != at)
            continue;
        rc = puts_utf8(x->m, x->sheets[i].name, strlen(x->sheets[i].name));
        if (rc == ARCA_OK)
            rc = put(x->m, '\n');
        break;
    }
    return rc;
}

/* One record of type TYPE with body P[0..n), at stream offset AT. */
static arca_status xls_record(struct xls *x, unsigned type,
                              const unsigned char *p, size_t n, size_t at)
{
    struct ms *m = x->m;
    arca_status rc = ARCA_OK;
    switch (type) {
    case XLS_FILEPASS:
        return arca_extract_fail(m->out, ARCA_EUNSUPPORTED,
                                 "%s: password-protected Excel workbook: its "
                                 "cells are encrypted", m->what);
    case XLS_CODEPAGE:
        if (n >= 2)
            x->codepage = le16(p);
        return ARCA_OK;
    case XLS_BOUNDSHEET:
        return boundsheet(x, p, n);
    case XLS_SST:
        return x->biff8 && x->nsst == 0 ? sst(x, at + 4, n) : ARCA_OK;
    case XLS_BOF:
        /* A chart's substream may sit inside a worksheet's. */
        if (++x->depth == 1 && n >= 4 && le16(p + 2) == 0x0010)
            return sheet_start(x, at);
        return ARCA_OK;
    case XLS_EOF:
        if (x->depth > 0 && --x->depth == 0)
            x->in_sheet = 0;
        return ARCA_OK;
    default:
        break;
    }
    if (!x->in_sheet || x->depth != 1 || n < 6)
        return ARCA_OK;
    uint32_t row = le16(p);
    switch (type) {
    case XLS_LABELSST:
        if (n >= 10 && le32(p + 6) < x->nsst) {
            const char *s = x->sst + x->sst_off[le32(p + 6)];
            rc = cell(x, row);
            if (rc == ARCA_OK)
                rc = puts_utf8(m, s, strlen(s));
        }
        return rc;
    case XLS_LABEL: case XLS_RSTRING:
        rc = cell(x, row);
        return rc ? rc : xls_string(x, p + 6, n - 6, 2, cell_char);
    case XLS_NUMBER:
        if (n >= 14) {
            double v;
            memcpy(&v, p + 6, sizeof v);   /* little-endian IEEE 754 */
            rc = number(x, row, v);
        }
        return rc;
    case XLS_RK:
        return n >= 10 ? number(x, row, rk(le32(p + 6))) : ARCA_OK;
    case XLS_MULRK:
        for (size_t o = 4; o + 6 <= n - 2 && rc == ARCA_OK; o += 6)
            rc = number(x, row, rk(le32(p + o + 2)));
        return rc;
    case XLS_FORMULA:
        /* A cached number, unless its last two bytes are 0xFFFF: then a
         * STRING record may follow with the text. */
        x->formula_row = row;
        if (n >= 14 && le16(p + 12) != 0xFFFF) {
            double v;
            memcpy(&v, p + 6, sizeof v);
            rc = number(x, row, v);
        }
        return rc;
    default:
        return ARCA_OK;
    }
}

static arca_status xls_string_record(struct xls *x, const unsigned char *p,
                                     size_t n)
{
    arca_status rc = cell(x, x->formula_row);
    return rc ? rc : xls_string(x, p, n, 2, cell_char);
}

static arca_status excel(struct ms *m, GsfInfile *ole)
{
    struct xls x = {.m = m, .row = -1};
    unsigned char *d = NULL;
    size_t n = 0, off = 0;
    arca_status rc;
    GsfInput *s = arca_ole_child(ole, "Workbook");
    const char *name = "Workbook";

    if (s == NULL) {
        name = "Book";
        s = arca_ole_child(ole, name);
    }
    if (s == NULL || is_storage(s)) {
        rc = arca_extract_fail(m->out, ARCA_EFORMAT,
                               "%s: no Workbook or Book stream", m->what);
        goto out;
    }
    rc = arca_ole_read(s, name, MAX_STREAM, m->what, m->out, &d, &n);
    if (rc)
        goto out;
    if (n < 8 || (le16(d) & 0xFF) != 0x09) {
        rc = arca_extract_fail(m->out, ARCA_EFORMAT,
                               "%s: the %s stream does not begin with a BOF "
                               "record", m->what, name);
        goto out;
    }
    if (le16(d) != XLS_BOF) {
        rc = arca_extract_fail(m->out, ARCA_EUNSUPPORTED,
                               "%s: Excel 2-4 workbook: only Excel 5-2003 "
                               "workbooks are supported", m->what);
        goto out;
    }
    x.d = d;
    x.n = n;
    x.biff8 = le16(d + 4) >= 0x0600;
    x.sheets = calloc(MAX_SHEETS, sizeof *x.sheets);
    if (x.sheets == NULL) {
        rc = arca_extract_fail(m->out, ARCA_ENOMEM, "%s: out of memory",
                               m->what);
        goto out;
    }
    while (rc == ARCA_OK && !m->out->truncated && n - off >= 4) {
        unsigned type = le16(d + off);
        size_t size = le16(d + off + 2);
        if (size > n - off - 4)
            break;                      /* a record cut short ends it */
        if (++m->records > MAX_RECORDS) {
            rc = arca_extract_fail(m->out, ARCA_ELIMIT,
                                   "%s: more than %zu records", m->what,
                                   MAX_RECORDS);
            break;
        }
        if (type == XLS_STRING && x.in_sheet && x.depth == 1)
            rc = xls_string_record(&x, d + off + 4, size);
        else
            rc = xls_record(&x, type, d + off + 4, size, off);
        off += 4 + size;
    }
    if (rc == ARCA_OK && last_char(m) != 0 && last_char(m) != '\n')
        rc = put(m, '\n');
    if (rc == ARCA_OK)
        rc = flush(m);
out:
    if (s)
        g_object_unref(s);
    for (size_t i = 0; i < x.nsheets; i++)
        free(x.sheets[i].name);
    free(x.sheets);
    free(x.sst);
    free(x.sst_off);
    free(d);
    return rc;
}

/* ---- PowerPoint ---- */

enum {
    PPT_MAIN_MASTER = 0x03F8,
    PPT_SLIDE_NUMBER_MC = 0x0FD8,
    PPT_DATE_TIME_MC = 0x0FF7,
    PPT_GENERIC_DATE_MC = 0x0FF8,
    PPT_HEADER_MC = 0x0FF9,
    PPT_FOOTER_MC = 0x0FFA,
    PPT_RTF_DATE_TIME_MC = 0x1015,
    PPT_CLIENT_TEXTBOX = 0xF00D,
    PPT_TEXT_CHARS = 0x0FA0,
    PPT_TEXT_BYTES = 0x0FA8,
    PPT_CSTRING = 0x0FBA,
    PPT_COMMENT10 = 0x2EE0,
    PPT_CRYPT_SESSION = 0x2F14,
};

#define PPT_HEADER_TOKEN_ENCRYPTED 0xF3D1C4DFu

/*
 * The fields of the text box whose records are P[0..n): a slide number,
 * a date, a header or a footer stands in its text as a "*" at the
 * position its MC atom gives ([MS-PPT] 2.9.9 ff.).
 */
static void ppt_fields(struct ms *m, const unsigned char *p, size_t n)
{
    m->nmc = 0;
    for (size_t off = 0; n - off >= 8; off += 8 + le32(p + off + 4)) {
        unsigned type = le16(p + off + 2);
        size_t len = le32(p + off + 4);
        if (len > n - off - 8)
            break;
        if ((type == PPT_SLIDE_NUMBER_MC || type == PPT_DATE_TIME_MC ||
             type == PPT_GENERIC_DATE_MC || type == PPT_HEADER_MC ||
             type == PPT_FOOTER_MC || type == PPT_RTF_DATE_TIME_MC) &&
            len >= 4 && m->nmc < sizeof m->mc / sizeof m->mc[0])
            m->mc[m->nmc++] = le32(p + off + 8);
    }
}

/* A character of slide text: the "*" of a field is dropped. */
static arca_status ppt_char(struct ms *m, uint32_t c)
{
    size_t at = m->unit;
    m->unit += c > 0xFFFF ? 2 : 1;
    if (c == '*')
        for (size_t i = 0; i < m->nmc; i++)
            if (m->mc[i] == at)
                return ARCA_OK;
    return plain_char(m, c);
}

/* The records P[0..n) inside a container of type PARENT at DEPTH. */
static arca_status ppt_records(struct ms *m, const unsigned char *p, size_t n,
                               unsigned parent, unsigned depth)
{
    size_t off = 0;
    arca_status rc = ARCA_OK;
    while (rc == ARCA_OK && !m->out->truncated && n - off >= 8) {
        unsigned ver = p[off] & 0x0F;
        unsigned inst = le16(p + off) >> 4;
        unsigned type = le16(p + off + 2);
        size_t len = le32(p + off + 4);
        const unsigned char *body = p + off + 8;
        off += 8;
        if (len > n - off)
            len = n - off;              /* cut short: what is there */
        off += len;
        if (++m->records > MAX_RECORDS)
            return arca_extract_fail(m->out, ARCA_ELIMIT,
                                     "%s: more than %zu records", m->what,
                                     MAX_RECORDS);
        if (type == PPT_CRYPT_SESSION)
            return arca_extract_fail(m->out, ARCA_EUNSUPPORTED,
                                     "%s: password-protected PowerPoint "
                                     "presentation: its slides are "
                                     "encrypted", m->what);
        if (ver == 0x0F) {
            if (type == PPT_MAIN_MASTER)
                continue;
            if (depth >= MAX_PPT_DEPTH)
                return arca_extract_fail(m->out, ARCA_ELIMIT,
                                         "%s: records nested deeper than %d",
                                         m->what, MAX_PPT_DEPTH);
            if (type == PPT_CLIENT_TEXTBOX)
                ppt_fields(m, body, len);
            rc = ppt_records(m, body, len, type, depth + 1);
            if (type == PPT_CLIENT_TEXTBOX)
                m->nmc = 0;
            continue;
        }
        int text = type == PPT_TEXT_CHARS || type == PPT_TEXT_BYTES ||
                   (type == PPT_CSTRING && parent == PPT_COMMENT10 &&
                    inst == 1);
        if (!text || len == 0)
            continue;
        m->unit = 0;
        rc = chars(m, body, len, type != PPT_TEXT_BYTES, 0, ppt_char);
        if (rc == ARCA_OK && last_char(m) != 0 && last_char(m) != '\n')
            rc = put(m, '\n');
    }
    return rc;
}

static arca_status powerpoint(struct ms *m, GsfInfile *ole)
{
    unsigned char *d = NULL;
    size_t n = 0;
    arca_status rc = ARCA_OK;
    GsfInput *s = arca_ole_child(ole, "EncryptedSummary");
    unsigned char cu[16];

    if (s == NULL) {
        s = arca_ole_child(ole, "Current User");
        /* The CurrentUserAtom's headerToken says whether it is encrypted. */
        if (s != NULL && gsf_input_size(s) >= 16 &&
            gsf_input_read(s, 16, cu) != NULL &&
            le32(cu + 12) != PPT_HEADER_TOKEN_ENCRYPTED) {
            g_object_unref(s);
            s = NULL;
        } else if (s != NULL && gsf_input_size(s) < 16) {
            g_object_unref(s);
            s = NULL;
        }
    }
    if (s != NULL) {
        g_object_unref(s);
        return arca_extract_fail(m->out, ARCA_EUNSUPPORTED,
                                 "%s: password-protected PowerPoint "
                                 "presentation: its slides are encrypted",
                                 m->what);
    }
    rc = stream(m, ole, "PowerPoint Document", &d, &n);
    if (rc == ARCA_OK)
        rc = ppt_records(m, d, n, 0, 0);
    if (rc == ARCA_OK)
        rc = flush(m);
    free(d);
    return rc;
}

/* ---- The entry point ---- */

typedef arca_status (*format_fn)(struct ms *m, GsfInfile *ole);

static const struct {
    const char *mime;
    const char *streams[2];    /* any of them marks the format */
    format_fn fn;
} formats[] = {
    {"application/msword", {"WordDocument", NULL}, word},
    {"application/vnd.ms-excel", {"Workbook", "Book"}, excel},
    {"application/vnd.ms-powerpoint", {"PowerPoint Document", NULL},
     powerpoint},
};

#define NFORMATS (sizeof formats / sizeof formats[0])

static int has_stream(GsfInfile *ole, size_t f)
{
    for (size_t k = 0; k < 2 && formats[f].streams[k]; k++) {
        GsfInput *s = arca_ole_child(ole, formats[f].streams[k]);
        if (s != NULL) {
            g_object_unref(s);
            return 1;
        }
    }
    return 0;
}

/* Title, author ... from "\005SummaryInformation", if any and sound. */
static arca_status summary(struct ms *m, GsfInfile *ole)
{
    GsfInput *s = arca_ole_child(ole, "\005SummaryInformation");
    unsigned char *data = NULL;
    size_t len = 0;
    arca_status rc;
    if (s == NULL)
        return ARCA_OK;
    rc = arca_ole_read(s, "SummaryInformation", MAX_SUMMARY, m->what, m->out,
                       &data, &len);
    g_object_unref(s);
    if (rc) {
        /* Metadata is a bonus: a damaged property set costs only itself. */
        m->out->errmsg[0] = '\0';
        return ARCA_OK;
    }
    rc = arca_ole_summary(data, len, m->what, m->out);
    free(data);
    return rc;
}

arca_status arca_ix_msoffice(const arca_blob *in, arca_extract *out,
                             const arca_limits *lim)
{
    struct ms *m = calloc(1, sizeof *m);
    GsfInput *src = NULL;
    GsfInfile *ole = NULL;
    const char *what = in->name ? in->name : "Office document";
    size_t f = NFORMATS;
    arca_status rc;

    (void)lim;                          /* text is capped by OUT itself */
    if (m == NULL)
        return arca_extract_fail(out, ARCA_ENOMEM, "%s: out of memory", what);
    m->what = what;
    m->out = out;
    rc = arca_ole_open(in->data, in->len, what, out, &src, &ole);
    if (rc)
        goto out;
    /* The type detected first, when its stream is there; else any. */
    for (size_t i = 0; i < NFORMATS && in->mime != NULL; i++)
        if (strcmp(in->mime, formats[i].mime) == 0 && has_stream(ole, i))
            f = i;
    for (size_t i = 0; i < NFORMATS && f == NFORMATS; i++)
        if (has_stream(ole, i))
            f = i;
    if (f == NFORMATS) {
        rc = arca_extract_fail(out, ARCA_EFORMAT,
                               "%s: an OLE2 compound file without a "
                               "WordDocument, Workbook or PowerPoint "
                               "Document stream: not a Word, Excel or "
                               "PowerPoint 97-2003 file", what);
        goto out;
    }
    rc = summary(m, ole);
    if (rc == ARCA_OK)
        rc = formats[f].fn(m, ole);
out:
    if (ole)
        g_object_unref(ole);
    if (src)
        g_object_unref(src);
    free(m);
    return rc;
}
