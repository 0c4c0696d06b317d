/*
 * indexer.h: turning the bytes of a file into UTF-8 text and fields.
 *
 * Detection (detect.c) names a file's MIME type from its content first
 * (libmagic) and its name second.  Decoding (decode.c) turns text in any
 * encoding into valid UTF-8 (BOMs, declared charsets, uchardet, iconv).
 * Each indexer handles one family of types and lives in its own file; the
 * registry (registry.c) is a table keyed by MIME type.
 *
 * Indexers know nothing of Xapian, the archive or the catalog: bytes in,
 * text and fields out.  They never write files and never run programs.
 */
#ifndef ARCA_INDEXER_H
#define ARCA_INDEXER_H

#include <stddef.h>
#include <stdint.h>

#include "../core/arca.h"

/* ---- Inputs and limits ---- */

typedef struct arca_blob {
    const unsigned char *data;
    size_t len;
    const char *name;        /* file name (for messages and detection), or NULL */
    const char *mime;        /* detected type */
    const char *charset;     /* declared or detected charset, or NULL */
} arca_blob;

typedef struct arca_limits {
    size_t max_text;         /* bytes of UTF-8 text kept per part */
    uint64_t max_member;     /* bytes of one container member (0: 64 MiB) */
    uint64_t max_members;    /* members taken from one container (0: 10000) */
    uint64_t max_expanded;   /* bytes a container may expand to (0: 256 MiB) */
    unsigned max_ratio;      /* inflated / compressed (0: 200) */
    unsigned max_depth;      /* HTML/XML nesting depth */
    int ocr;                 /* 1: read the text of images (and scans) */
    const char *ocr_langs;   /* tesseract languages ("kor+eng"), or NULL:
                                every installed one of kor eng chi_sim jpn rus */
} arca_limits;

#define ARCA_DEFAULT_MAX_TEXT ((size_t)16 << 20)

/* ---- What an indexer produces ---- */

typedef struct arca_kv {
    char *name;
    char *value;
} arca_kv;

typedef struct arca_extract {
    char *text;              /* UTF-8, NUL-terminated; never NULL after init */
    size_t len, cap;
    size_t max;              /* cap on len; appends past it set truncated */
    int truncated;
    char *title;             /* each NULL or malloc'd UTF-8 */
    char *author;
    char *date;              /* ISO 8601 (YYYY-MM-DD or longer) */
    char *lang;              /* BCP 47 as declared (html lang="ko") */
    char *description;
    char *keywords;
    char *charset;           /* encoding the text was decoded from */
    arca_kv *fields;         /* other metadata */
    size_t nfields;
    struct arca_child *children;  /* members or attachments, for the core */
    size_t nchildren;
    uint64_t child_bytes;    /* their bytes, all told */
    char errmsg[256];        /* why the indexer failed */
} arca_extract;

/*
 * A file inside the one being extracted: a container's member or a
 * message's attachment.  The core detects and extracts it in its turn,
 * as a part of the same record, within its limits on depth, count and
 * bytes.  A member that was refused has no data and says why in NOTE.
 */
typedef struct arca_child {
    char *name;              /* path inside the container, UTF-8 */
    unsigned char *data;     /* malloc'd; NULL when refused */
    size_t len;
    char *note;              /* why it was refused, or NULL */
} arca_child;

void arca_extract_init(arca_extract *x, size_t max_text);
void arca_extract_free(arca_extract *x);
/* Append UTF-8 text; past x->max it is cut at a character boundary. */
arca_status arca_extract_append(arca_extract *x, const char *s, size_t n);
/* Set *slot to a copy of S (UTF-8, trimmed of surrounding white space). */
arca_status arca_extract_set(arca_extract *x, char **slot, const char *s);
arca_status arca_extract_field(arca_extract *x, const char *name,
                               const char *value);
/*
 * Hand the core a member NAME of LEN bytes (copied; NULL data with a NOTE
 * for a refused one).  Names are made valid UTF-8 and stripped of "..",
 * leading "/" and empty segments: a display name, never a path on disk.
 */
arca_status arca_extract_child(arca_extract *x, const char *name,
                               const void *data, size_t len,
                               const char *note);
/* Fill x->errmsg (printf-style) and return ST. */
arca_status arca_extract_fail(arca_extract *x, arca_status st,
                              const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- The registry ---- */

typedef arca_status (*arca_index_fn)(const arca_blob *in, arca_extract *out,
                                     const arca_limits *lim);

/*
 * ARCA_IX_CONTAINER: its children are the members of an archive.
 * ARCA_IX_OCR: with lim->ocr, it reads the text of pictures (scans).
 * ARCA_IX_RECORDS: a file of several records (a mailbox): imported on
 * its own, each child is a record of its own rather than a part; inside
 * another file its children are parts like any others.
 */
enum { ARCA_IX_CONTAINER = 1, ARCA_IX_RECORDS = 2, ARCA_IX_OCR = 4 };

struct arca_indexer {
    const char *mime;        /* "text/html", or a family "text/" "*" */
    const char *name;
    arca_index_fn fn;
    unsigned flags;
};

/* Exact match, then the family (type/ and a star), else NULL. */
const struct arca_indexer *arca_indexer_find(const char *mime);
/* The whole table, for `arca formats` and its test. */
const struct arca_indexer *arca_indexer_table(size_t *n);

arca_status arca_ix_text(const arca_blob *in, arca_extract *out,
                         const arca_limits *lim);
arca_status arca_ix_html(const arca_blob *in, arca_extract *out,
                         const arca_limits *lim);
arca_status arca_ix_archive(const arca_blob *in, arca_extract *out,
                            const arca_limits *lim);
/* HWP 5 (libgsf) and HWPX (libarchive + libxml2): indexers/hwp.c. */
arca_status arca_ix_hwp(const arca_blob *in, arca_extract *out,
                        const arca_limits *lim);
arca_status arca_ix_hwpx(const arca_blob *in, arca_extract *out,
                         const arca_limits *lim);
/* OOXML (DOCX, XLSX, PPTX) and ODF (ODT, ODS, ODP): indexers/office.c. */
arca_status arca_ix_ooxml(const arca_blob *in, arca_extract *out,
                          const arca_limits *lim);
arca_status arca_ix_odf(const arca_blob *in, arca_extract *out,
                        const arca_limits *lim);
/* Images: EXIF (libexif) and, with lim->ocr, text (tesseract). */
arca_status arca_ix_image(const arca_blob *in, arca_extract *out,
                          const arca_limits *lim);
/* PDF (poppler-glib): see indexers/pdf-private.h for what it yields. */
arca_status arca_ix_pdf(const arca_blob *in, arca_extract *out,
                        const arca_limits *lim);

/* Word, Excel, PowerPoint 97-2003 (OLE2 via libgsf, arca's own readers
 * of their streams): see indexers/msoffice-private.h. */
arca_status arca_ix_msoffice(const arca_blob *in, arca_extract *out,
                             const arca_limits *lim);
/* One e-mail message, and an mbox of them (GMime): see
 * indexers/mail-private.h. */
arca_status arca_ix_mail(const arca_blob *in, arca_extract *out,
                         const arca_limits *lim);
arca_status arca_ix_mbox(const arca_blob *in, arca_extract *out,
                         const arca_limits *lim);
/* 1 when DATA starts like an mbox ("From " envelope, then headers). */
int arca_mbox_sniff(const void *data, size_t len);
/* RTF (arca's own reader, glibc iconv): see indexers/rtf-private.h. */
arca_status arca_ix_rtf(const arca_blob *in, arca_extract *out,
                        const arca_limits *lim);

/* ---- Detection (detect.c) ---- */

/* One libmagic handle; not thread-safe: one per thread. */
typedef struct arca_detector arca_detector;

arca_status arca_detector_new(arca_detector **out, char *errbuf,
                              size_t errlen);
void arca_detector_free(arca_detector *d);

/*
 * The MIME type of DATA (named NAME, may be NULL) into MIME, and the
 * charset libmagic reports (or "") into CHARSET.  Content first; the name
 * refines generic answers (text/plain, text/xml, application/octet-stream,
 * application/zip) where the content agrees: an XHTML page is text/html, a
 * .csv is text/csv, an HWPX package is application/hwp+zip.  Empty input
 * is "inode/x-empty".
 */
arca_status arca_detect(arca_detector *d, const void *data, size_t len,
                        const char *name, char mime[128], char charset[64]);

/* ---- Decoding (decode.c) ---- */

/*
 * Decode DATA to valid UTF-8 in a malloc'd, NUL-terminated *out.
 * The encoding is chosen in this order: a byte-order mark (UTF-8, UTF-16,
 * UTF-32); DECLARED (a charset label from HTML or a container, may be
 * NULL) when the bytes decode under it; valid UTF-8; uchardet's guess;
 * windows-1252.  Bytes that do not decode become U+FFFD.  The name of the
 * encoding used goes to USED ("UTF-8", "EUC-KR", ...).
 */
arca_status arca_decode(const void *data, size_t len, const char *declared,
                        char **out, size_t *outlen, char used[64]);

/* Canonical name of a charset label ("ks_c_5601-1987" -> "CP949"), or NULL. */
const char *arca_charset_canon(const char *label);

/* 1 if S[0..n) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int arca_utf8_valid(const char *s, size_t n);

#endif /* ARCA_INDEXER_H */
