/*
 * mail.c: the indexers of e-mail, one message (message/rfc822) and mbox
 * files (application/mbox), through GMime 3, in process.
 *
 * A message: GMime parses the whole MIME tree from a copy of the bytes
 * (RFC 2047 words and RFC 2231 parameters decoded), the headers give the
 * title (Subject), author (From), date and fields, and the tree is
 * walked depth first.  In multipart/alternative the text/plain part is
 * taken, else the text/html part (as text through arca_ix_html), else
 * the last multipart; multipart/signed gives its content and not its
 * signature; multipart/encrypted is counted, not read.  Text parts are
 * decoded from their transfer encoding by GMime and from their declared
 * charset by arca_decode.  Attachments (Content-Disposition attachment),
 * non-text parts and forwarded messages (message/rfc822 parts) become
 * children that the core detects and extracts in its turn.
 *
 * Raw 8-bit headers: GMime decodes them with the first charset of a
 * fallback list that converts them without error.  The list is UTF-8
 * then windows-1252; when the headers hold 8-bit bytes and a text part
 * declares another charset (EUC-KR, KOI8-R ...), the message is parsed
 * again with UTF-8, that charset, windows-1252, because mailers that
 * send raw headers write them in the charset of the body.
 *
 * Bounds: MIME objects walked (lim->max_members), nesting depth
 * (ARCA_MAIL_MAX_DEPTH), bytes of one decoded part (lim->max_member) and
 * of all of them (lim->max_expanded).  Parts past a bound are left out
 * and out->truncated is set; refused attachments are children with a
 * note.  Decoding never grows a part (base64 shrinks it by a quarter,
 * quoted-printable and uuencode never grow it), so a bound from the
 * encoded size is checked before decoding, and the decoded size after.
 *
 * An mbox is split here at "From " lines that start the file or follow
 * an empty line; each message (envelope line dropped, mboxrd quoting
 * undone) is a child "message-N.eml" that the core indexes as a message.
 *
 * GMime is initialised once per process (pthread_once) and never shut
 * down by the indexers; it logs through g_log in the domain "gmime",
 * which a handler installed at the same time drops: the reason that
 * matters reaches out->errmsg instead.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "indexer-private.h"
#include "mail-private.h"

#define DEFAULT_MAX_MEMBER ((uint64_t)64 << 20)
#define DEFAULT_MAX_MEMBERS 10000
#define DEFAULT_MAX_EXPANDED ((uint64_t)256 << 20)
#define HEADER_NAME_MAX 998    /* RFC 5322's line length */
#define SNIFF_MAX 4096         /* bytes arca_mbox_sniff looks at */

/* ---- GMime, once per process ---- */

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void drop_log(const gchar *domain, GLogLevelFlags level,
                     const gchar *message, gpointer data)
{
    (void)domain;
    (void)level;
    (void)message;
    (void)data;
}

static void gmime_start(void)
{
    g_mime_init();
    g_log_set_handler("gmime",
                      G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
                          G_LOG_FLAG_RECURSION,
                      drop_log, NULL);
}

void arca_mail_shutdown(void)
{
    pthread_once(&gmime_once, gmime_start);
    g_mime_shutdown();
}

/* ---- Small helpers ---- */

static uint64_t or_default(uint64_t v, uint64_t dflt)
{
    return v ? v : dflt;
}

/*
 * A malloc'd copy of S[0..n) fit for a field or the text: valid UTF-8
 * (bad bytes become U+FFFD), NUL dropped, the other C0 controls and DEL
 * turned into spaces, but with KEEP_LINES tab and line feed kept and CR
 * LF, lone CR and form feed made line feeds.  NULL when S is NULL or
 * memory runs out.
 */
static char *clean_text(const char *s, size_t n, int keep_lines)
{
    char *fixed = NULL, *out;
    if (s == NULL)
        return NULL;
    if (!arca_utf8_valid(s, n)) {
        fixed = g_utf8_make_valid(s, (gssize)n);
        if (fixed == NULL)
            return NULL;
        s = fixed;
        n = strlen(fixed);
    }
    out = malloc(n + 1);
    if (out == NULL)
        goto out;
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        unsigned char c = (unsigned char)s[r];
        if (c == '\0')
            continue;
        if (c == '\r' && keep_lines) {
            if (r + 1 == n || s[r + 1] != '\n')
                out[w++] = '\n';
        } else if (keep_lines && (c == '\n' || c == '\t')) {
            out[w++] = (char)c;
        } else if (keep_lines && c == '\f') {
            out[w++] = '\n';
        } else if (c < 0x20 || c == 0x7F) {
            out[w++] = ' ';
        } else {
            out[w++] = (char)c;
        }
    }
    out[w] = '\0';
    if (!arca_utf8_valid(out, w)) {
        free(out);          /* GLib and arca disagree on validity */
        out = NULL;
    }
out:
    g_free(fixed);
    return out;
}

/* Set field NAME (or *SLOT when SLOT is not NULL) to S, cleaned. */
static arca_status put(arca_extract *out, char **slot, const char *name,
                       const char *s)
{
    if (s == NULL)
        return ARCA_OK;
    char *v = clean_text(s, strlen(s), 0);
    if (v == NULL)
        return ARCA_ENOMEM;
    arca_status rc = ARCA_OK;
    if (v[strspn(v, " \t")] != '\0')
        rc = slot ? arca_extract_set(out, slot, v)
                  : arca_extract_field(out, name, v);
    free(v);
    return rc;
}

/* Append UTF-8 bytes S[0..n) to the text, cleaned, after a line break
 * when the text does not end with one. */
static arca_status add_text(arca_extract *out, const char *s, size_t n)
{
    char *v = clean_text(s, n, 1);
    if (v == NULL)
        return ARCA_ENOMEM;
    arca_status rc = ARCA_OK;
    size_t len = strlen(v);
    if (len > 0 && out->len > 0 && out->text[out->len - 1] != '\n')
        rc = arca_extract_append(out, "\n", 1);
    if (rc == ARCA_OK)
        rc = arca_extract_append(out, v, len);
    free(v);
    return rc;
}

/* ---- Is it a message at all? ---- */

/* Length of the line at P (up to END), its line break included. */
static size_t line_len(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
}

/* 1 when the line at P is a header field: a name of printable ASCII
 * without colon, optional blanks, a colon. */
static int header_line(const unsigned char *p, const unsigned char *end)
{
    size_t i = 0, n = (size_t)(end - p);
    while (i < n && i < HEADER_NAME_MAX && p[i] > 0x20 && p[i] < 0x7F &&
           p[i] != ':')
        i++;
    if (i == 0)
        return 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    return i < n && p[i] == ':';
}

static int from_line(const unsigned char *p, const unsigned char *end)
{
    return end - p >= 5 && memcmp(p, "From ", 5) == 0;
}

/* ---- The MIME tree ---- */

typedef struct walk {
    arca_extract *out;
    uint64_t max_member, max_members, max_expanded;
    uint64_t objects;           /* MIME objects seen */
    uint64_t expanded;          /* decoded bytes so far */
    unsigned long attachments;  /* children handed over */
    unsigned long encrypted;    /* encrypted parts, not read */
    int deep;                   /* parts nested too deep were left out */
    int have_charset;
} walk;

static const struct ext {
    const char *mime;
    const char *ext;
} exts[] = {
    {"application/gzip", "gz"},
    {"application/msword", "doc"},
    {"application/pdf", "pdf"},
    {"application/pgp-encrypted", "pgp"},
    {"application/pkcs7-mime", "p7m"},
    {"application/rtf", "rtf"},
    {"application/vnd.ms-excel", "xls"},
    {"application/vnd.ms-powerpoint", "ppt"},
    {"application/vnd.oasis.opendocument.text", "odt"},
    {"application/vnd.openxmlformats-officedocument.presentationml."
     "presentation", "pptx"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "xlsx"},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml."
     "document", "docx"},
    {"application/x-gzip", "gz"},
    {"application/x-hwp", "hwp"},
    {"application/x-tar", "tar"},
    {"application/zip", "zip"},
    {"image/gif", "gif"},
    {"image/jpeg", "jpg"},
    {"image/png", "png"},
    {"image/tiff", "tif"},
    {"message/global", "eml"},
    {"message/rfc822", "eml"},
    {"text/calendar", "ics"},
    {"text/csv", "csv"},
    {"text/html", "html"},
    {"text/plain", "txt"},
    {"text/x-vcard", "vcf"},
    {"text/vcard", "vcf"},
};

/* The extension a part of type TYPE/SUB is given when it has no name. */
static const char *ext_of(const char *type, const char *sub)
{
    char mime[256];
    snprintf(mime, sizeof mime, "%s/%s", type ? type : "", sub ? sub : "");
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (strcasecmp(exts[i].mime, mime) == 0)
            return exts[i].ext;
    return type && strcasecmp(type, "text") == 0 ? "txt" : "bin";
}

/* Hand over child NAME (or "attachment-N.EXT") with LEN bytes of DATA,
 * or refused (DATA NULL) with NOTE. */
static arca_status add_child(walk *w, const char *name, const char *type,
                             const char *sub, const void *data, size_t len,
                             const char *note)
{
    char fallback[64];
    w->attachments++;
    if (name == NULL || name[strspn(name, " \t")] == '\0') {
        snprintf(fallback, sizeof fallback, "attachment-%lu.%s",
                 w->attachments, ext_of(type, sub));
        name = fallback;
    }
    arca_status rc = arca_extract_child(w->out, name, data, len, note);
    if (rc == ARCA_ELIMIT) {
        w->out->truncated = 1;      /* the extractor's own cap: drop it */
        rc = ARCA_OK;
    }
    return rc;
}

/* NOTE (NOTELEN bytes) says why a part of N bytes is refused, if it is. */
static void check_size(const walk *w, uint64_t n, char *note, size_t notelen)
{
    if (n > w->max_member)
        snprintf(note, notelen, "refused: %llu bytes, over the limit of %llu",
                 (unsigned long long)n, (unsigned long long)w->max_member);
    else if (w->expanded + n > w->max_expanded)
        snprintf(note, notelen, "refused: the message's parts add up to more "
                 "than %llu bytes", (unsigned long long)w->max_expanded);
}

/*
 * The decoded content of PART into *mem (a GMimeStreamMem the caller
 * unrefs; its bytes are g_mime_stream_mem_get_byte_array's), bounded: the
 * size is checked before decoding (an upper bound from the encoded size:
 * base64 shrinks by a quarter, quoted-printable and uuencode never grow)
 * and after.  A refusal sets NOTE and leaves *mem NULL.
 */
static arca_status part_bytes(walk *w, GMimePart *part, GMimeStream **mem,
                              char *note, size_t notelen)
{
    *mem = NULL;
    note[0] = '\0';
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    gint64 raw = 0;
    if (content != NULL) {
        GMimeStream *s = g_mime_data_wrapper_get_stream(content);
        raw = s ? g_mime_stream_length(s) : 0;
        if (raw < 0)
            raw = 0;
        if (g_mime_data_wrapper_get_encoding(content) ==
            GMIME_CONTENT_ENCODING_BASE64)
            raw = raw / 4 * 3 + 3;
    }
    check_size(w, (uint64_t)raw, note, notelen);
    if (note[0])
        return ARCA_OK;
    *mem = g_mime_stream_mem_new();
    if (*mem == NULL)
        return ARCA_ENOMEM;
    if (content != NULL &&
        g_mime_data_wrapper_write_to_stream(content, *mem) < 0)
        snprintf(note, notelen, "unreadable: its content could not be "
                 "decoded");
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(*mem));
    if (!note[0])
        check_size(w, ba->len, note, notelen);
    if (note[0]) {
        g_object_unref(*mem);
        *mem = NULL;
        return ARCA_OK;
    }
    w->expanded += ba->len;
    return ARCA_OK;
}

/* An HTML part (BYTES in CHARSET) as text, through the HTML indexer. */
static arca_status add_html(walk *w, const unsigned char *bytes, size_t len,
                            const char *charset)
{
    arca_extract x;
    size_t room = w->out->max > w->out->len ? w->out->max - w->out->len : 0;
    if (room == 0) {
        w->out->truncated = 1;
        return ARCA_OK;
    }
    arca_blob b = {bytes, len, "body.html", "text/html", charset};
    arca_limits lim = {.max_text = room};
    arca_extract_init(&x, room);
    arca_status rc = arca_ix_html(&b, &x, &lim);
    if (rc == ARCA_OK) {
        rc = add_text(w->out, x.text, x.len);
        if (x.truncated)
            w->out->truncated = 1;
        if (rc == ARCA_OK && !w->have_charset && x.charset) {
            rc = arca_extract_set(w->out, &w->out->charset, x.charset);
            w->have_charset = 1;
        }
    } else if (rc != ARCA_ENOMEM) {
        rc = ARCA_OK;       /* an HTML part too broken for text: left out */
    }
    arca_extract_free(&x);
    return rc;
}

/* A text part's BYTES, declared in CHARSET (or NULL), as text. */
static arca_status add_plain(walk *w, const unsigned char *bytes, size_t len,
                             const char *charset)
{
    char *text = NULL, used[64];
    size_t n = 0;
    arca_status rc = arca_decode(bytes, len, charset, &text, &n, used);
    if (rc == ARCA_OK)
        rc = add_text(w->out, text, n);
    if (rc == ARCA_OK && !w->have_charset && used[0]) {
        rc = arca_extract_set(w->out, &w->out->charset, used);
        w->have_charset = 1;
    }
    free(text);
    return rc;
}

static int is_type(GMimeObject *o, const char *type, const char *sub)
{
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    return ct != NULL && g_mime_content_type_is_type(ct, type, sub);
}

static int is_signature(GMimeObject *o)
{
    return is_type(o, "application", "pgp-signature") ||
           is_type(o, "application", "pkcs7-signature") ||
           is_type(o, "application", "x-pkcs7-signature");
}

/* A leaf part: text, or a child. */
static arca_status walk_leaf(walk *w, GMimePart *part)
{
    GMimeObject *o = GMIME_OBJECT(part);
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    const char *type = ct ? g_mime_content_type_get_media_type(ct) : "text";
    const char *sub = ct ? g_mime_content_type_get_media_subtype(ct)
                         : "plain";
    GMimeStream *mem = NULL;
    char note[256];
    arca_status rc;

    if (is_signature(o))
        return ARCA_OK;
    int text = type && strcasecmp(type, "text") == 0 &&
               !g_mime_part_is_attachment(part);
    rc = part_bytes(w, part, &mem, note, sizeof note);
    if (rc)
        goto out;
    if (text && mem == NULL) {
        w->out->truncated = 1;      /* a text part over the limits */
    } else if (text) {
        GByteArray *ba =
            g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
        const char *charset = g_mime_object_get_content_type_parameter(
            o, "charset");
        if (sub && strcasecmp(sub, "html") == 0)
            rc = add_html(w, ba->data, ba->len, charset);
        else
            rc = add_plain(w, ba->data, ba->len, charset);
    } else {
        GByteArray *ba = mem ? g_mime_stream_mem_get_byte_array(
                                   GMIME_STREAM_MEM(mem))
                             : NULL;
        /* An empty GByteArray may have no buffer: "" stands for it. */
        const void *bytes = ba == NULL   ? NULL
                            : ba->data ? (const void *)ba->data
                                       : "";
        rc = add_child(w, g_mime_part_get_filename(part), type, sub, bytes,
                       ba ? ba->len : 0, note[0] ? note : NULL);
    }
out:
    if (mem != NULL)
        g_object_unref(mem);
    return rc;
}

/* A forwarded message: its bytes, as GMime writes them back, a child. */
static arca_status walk_message_part(walk *w, GMimeMessagePart *mp)
{
    GMimeObject *o = GMIME_OBJECT(mp);
    GMimeMessage *inner = g_mime_message_part_get_message(mp);
    const char *name = g_mime_object_get_content_disposition_parameter(
        o, "filename");
    if (name == NULL)
        name = g_mime_object_get_content_type_parameter(o, "name");
    if (inner == NULL)
        return ARCA_OK;
    GMimeStream *mem = g_mime_stream_mem_new();
    if (mem == NULL)
        return ARCA_ENOMEM;
    arca_status rc;
    char note[256] = "";
    if (g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, mem) < 0)
        snprintf(note, sizeof note, "unreadable: the forwarded message "
                 "could not be written back");
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    if (!note[0])
        check_size(w, ba->len, note, sizeof note);
    if (!note[0])
        w->expanded += ba->len;
    rc = add_child(w, name, "message", "rfc822",
                   note[0] ? NULL : ba->data ? (const void *)ba->data : "",
                   note[0] ? 0 : ba->len, note[0] ? note : NULL);
    g_object_unref(mem);
    return rc;
}

static arca_status walk_object(walk *w, GMimeObject *o, unsigned depth);

/* multipart/alternative: text/plain, else text/html, else the last
 * multipart, else the first part. */
static arca_status walk_alternative(walk *w, GMimeMultipart *mp,
                                    unsigned depth)
{
    GMimeObject *plain = NULL, *html = NULL, *multi = NULL, *first = NULL;
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; i++) {
        GMimeObject *c = g_mime_multipart_get_part(mp, i);
        if (c == NULL)
            continue;
        if (first == NULL)
            first = c;
        if (GMIME_IS_MULTIPART(c))
            multi = c;
        else if (GMIME_IS_PART(c) && !g_mime_part_is_attachment(GMIME_PART(c)))
        {
            if (plain == NULL && is_type(c, "text", "plain"))
                plain = c;
            else if (html == NULL && is_type(c, "text", "html"))
                html = c;
        }
    }
    GMimeObject *pick = plain ? plain : html ? html : multi ? multi : first;
    return pick ? walk_object(w, pick, depth + 1) : ARCA_OK;
}

static arca_status walk_object(walk *w, GMimeObject *o, unsigned depth)
{
    if (++w->objects > w->max_members || depth > ARCA_MAIL_MAX_DEPTH) {
        w->deep |= depth > ARCA_MAIL_MAX_DEPTH;
        w->out->truncated = 1;
        return ARCA_OK;
    }
    if (GMIME_IS_MESSAGE_PART(o))
        return walk_message_part(w, GMIME_MESSAGE_PART(o));
    if (GMIME_IS_MULTIPART_ENCRYPTED(o)) {
        w->encrypted++;
        return ARCA_OK;
    }
    if (GMIME_IS_MULTIPART_SIGNED(o)) {
        GMimeObject *c = g_mime_multipart_get_part(
            GMIME_MULTIPART(o), GMIME_MULTIPART_SIGNED_CONTENT);
        return c ? walk_object(w, c, depth + 1) : ARCA_OK;
    }
    if (GMIME_IS_MULTIPART(o)) {
        GMimeMultipart *mp = GMIME_MULTIPART(o);
        if (is_type(o, "multipart", "alternative"))
            return walk_alternative(w, mp, depth);
        arca_status rc = ARCA_OK;
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n && rc == ARCA_OK; i++) {
            GMimeObject *c = g_mime_multipart_get_part(mp, i);
            if (c != NULL)
                rc = walk_object(w, c, depth + 1);
            if (w->objects > w->max_members)
                break;
        }
        return rc;
    }
    if (GMIME_IS_MESSAGE_PARTIAL(o))
        return ARCA_OK;     /* a fragment of a message split in several */
    if (GMIME_IS_PART(o))
        return walk_leaf(w, GMIME_PART(o));
    return ARCA_OK;
}

/* The charset the first text part declares, when it is neither ASCII nor
 * UTF-8 (the label GMime keeps; owned by the message), else NULL. */
static const char *body_charset(GMimeObject *o, unsigned depth)
{
    if (o == NULL || depth > ARCA_MAIL_MAX_DEPTH)
        return NULL;
    if (GMIME_IS_MULTIPART(o)) {
        GMimeMultipart *mp = GMIME_MULTIPART(o);
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n && i < 64; i++) {
            const char *c =
                body_charset(g_mime_multipart_get_part(mp, i), depth + 1);
            if (c != NULL)
                return c;
        }
        return NULL;
    }
    if (!GMIME_IS_PART(o) || !is_type(o, "text", "*"))
        return NULL;
    const char *label = g_mime_object_get_content_type_parameter(o,
                                                                 "charset");
    const char *canon = label ? arca_charset_canon(label) : NULL;
    if (label == NULL || strcasecmp(label, "us-ascii") == 0 ||
        (canon != NULL && strcmp(canon, "UTF-8") == 0) ||
        strcasecmp(label, "utf-8") == 0)
        return NULL;
    return label;
}

/* ---- Headers ---- */

/* An address list as "Name <addr>, ..." (g_malloc'd), or NULL. */
static char *addresses(InternetAddressList *list)
{
    if (list == NULL || internet_address_list_length(list) <= 0)
        return NULL;
    return internet_address_list_to_string(list, NULL, FALSE);
}

/* A header's decoded value (owned by the message), or NULL. */
static const char *header(GMimeMessage *m, const char *name)
{
    return g_mime_object_get_header(GMIME_OBJECT(m), name);
}

static arca_status put_date(arca_extract *out, GDateTime *dt)
{
    char iso[11], sent[64];
    if (dt == NULL)
        return ARCA_OK;
    int y = g_date_time_get_year(dt);
    if (y < 1 || y > 9999)
        return ARCA_OK;
    snprintf(iso, sizeof iso, "%04d-%02d-%02d", y, g_date_time_get_month(dt),
             g_date_time_get_day_of_month(dt));
    long long off = (long long)(g_date_time_get_utc_offset(dt) /
                                G_TIME_SPAN_MINUTE);
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    snprintf(sent, sizeof sent, "%sT%02d:%02d:%02d%c%02lld:%02lld", iso,
             g_date_time_get_hour(dt), g_date_time_get_minute(dt),
             g_date_time_get_second(dt), sign, (off / 60) % 100, off % 60);
    arca_status rc = arca_extract_set(out, &out->date, iso);
    if (rc == ARCA_OK)
        rc = arca_extract_field(out, "sent", sent);
    return rc;
}

/* Append "NAME: VALUE\n" to HB when VALUE is there. */
static void block_line(GString *hb, const char *name, const char *value)
{
    if (value != NULL && value[0] != '\0')
        g_string_append_printf(hb, "%s: %s\n", name, value);
}

static arca_status put_headers(GMimeMessage *m, arca_extract *out)
{
    char *from = addresses(g_mime_message_get_from(m));
    char *to = addresses(g_mime_message_get_to(m));
    char *cc = addresses(g_mime_message_get_cc(m));
    const char *subject = g_mime_message_get_subject(m);
    const char *date = header(m, "Date");
    const char *irt = header(m, "In-Reply-To");
    char *irt_id = irt ? g_mime_utils_decode_message_id(irt) : NULL;
    GString *hb = g_string_new(NULL);
    arca_status rc;

    rc = put(out, &out->title, NULL, subject);
    if (rc == ARCA_OK)
        rc = put(out, &out->author, NULL, from);
    if (rc == ARCA_OK)
        rc = put(out, NULL, "from", from);
    if (rc == ARCA_OK)
        rc = put(out, NULL, "to", to);
    if (rc == ARCA_OK)
        rc = put(out, NULL, "cc", cc);
    if (rc == ARCA_OK)
        rc = put(out, NULL, "message_id", g_mime_message_get_message_id(m));
    if (rc == ARCA_OK)
        rc = put(out, NULL, "in_reply_to", irt_id ? irt_id : irt);
    if (rc == ARCA_OK)
        rc = put_date(out, g_mime_message_get_date(m));
    if (rc)
        goto out;

    block_line(hb, "From", from);
    block_line(hb, "To", to);
    block_line(hb, "Cc", cc);
    block_line(hb, "Subject", subject);
    block_line(hb, "Date", date);
    if (hb->len > 0) {
        g_string_append_c(hb, '\n');
        rc = add_text(out, hb->str, hb->len);
    }
out:
    g_string_free(hb, TRUE);
    g_free(from);
    g_free(to);
    g_free(cc);
    g_free(irt_id);
    return rc;
}

/* ---- One message ---- */

/* 1 when the header block (up to the first empty line) has 8-bit bytes. */
static int raw_8bit_headers(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x80)
            return 1;
        if (p[i] == '\n' && i + 1 < n &&
            (p[i + 1] == '\n' ||
             (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')))
            return 0;
    }
    return 0;
}

/* Parse DATA[0..len) as a message with FALLBACK charsets for raw 8-bit
 * headers into *m; *opts keeps the options the message's headers use.
 * Returns ARCA_ENOMEM, or ARCA_OK with *m NULL when GMime saw no message. */
static arca_status parse(const unsigned char *data, size_t len,
                         const char **fallback, GMimeParserOptions **opts,
                         GMimeMessage **m)
{
    *m = NULL;
    *opts = g_mime_parser_options_new();
    GMimeStream *s = g_mime_stream_mem_new_with_buffer((const char *)data,
                                                       len);
    GMimeParser *p = s ? g_mime_parser_new_with_stream(s) : NULL;
    if (*opts == NULL || s == NULL || p == NULL) {
        if (s != NULL)
            g_object_unref(s);
        return ARCA_ENOMEM;
    }
    g_object_unref(s);
    g_mime_parser_options_set_fallback_charsets(*opts, fallback);
    g_mime_parser_set_format(p, GMIME_FORMAT_MESSAGE);
    *m = g_mime_parser_construct_message(p, *opts);
    g_object_unref(p);
    return ARCA_OK;
}

arca_status arca_ix_mail(const arca_blob *in, arca_extract *out,
                         const arca_limits *lim)
{
    const unsigned char *p = in->data, *end = in->data + in->len;
    const char *what = in->name ? in->name : "message";
    static const char *first[] = {"UTF-8", "windows-1252", NULL};
    const char *second[4] = {"UTF-8", NULL, "windows-1252", NULL};
    GMimeParserOptions *opts = NULL;
    GMimeMessage *m = NULL;
    walk w = {
        .out = out,
        .max_member = or_default(lim ? lim->max_member : 0,
                                 DEFAULT_MAX_MEMBER),
        .max_members = or_default(lim ? lim->max_members : 0,
                                  DEFAULT_MAX_MEMBERS),
        .max_expanded = or_default(lim ? lim->max_expanded : 0,
                                   DEFAULT_MAX_EXPANDED),
    };
    char label[64], fallback[64];
    size_t len;
    arca_status rc;

    pthread_once(&gmime_once, gmime_start);
    if (in->len > 0 && from_line(p, end))
        p += line_len(p, end);      /* an mbox envelope line */
    if (p == end || !header_line(p, end)) {
        rc = arca_extract_fail(out, ARCA_EFORMAT, "%s: not an e-mail "
                               "message: it does not start with header "
                               "lines (\"Name: value\")", what);
        goto out;
    }
    len = (size_t)(end - p);
    rc = parse(p, len, first, &opts, &m);
    if (rc == ARCA_OK && m != NULL && raw_8bit_headers(p, len)) {
        const char *cs = body_charset(g_mime_message_get_mime_part(m), 0);
        if (cs != NULL) {
            const char *canon = arca_charset_canon(cs);
            snprintf(fallback, sizeof fallback, "%s", canon ? canon : cs);
            second[1] = fallback;
            g_object_unref(m);
            g_mime_parser_options_free(opts);
            rc = parse(p, len, second, &opts, &m);
        }
    }
    if (rc) {
        rc = arca_extract_fail(out, rc, "%s: out of memory parsing the "
                               "message", what);
        goto out;
    }
    if (m == NULL) {
        rc = arca_extract_fail(out, ARCA_EFORMAT, "%s: not an e-mail "
                               "message: GMime found no message in it", what);
        goto out;
    }

    rc = put_headers(m, out);
    GMimeObject *body = g_mime_message_get_mime_part(m);
    if (rc == ARCA_OK && body != NULL)
        rc = walk_object(&w, body, 0);
    if (rc == ARCA_OK && w.attachments > 0) {
        snprintf(label, sizeof label, "%lu", w.attachments);
        rc = arca_extract_field(out, "attachments", label);
    }
    if (rc == ARCA_OK && w.encrypted > 0) {
        snprintf(label, sizeof label, "%lu", w.encrypted);
        rc = arca_extract_field(out, "encrypted_parts", label);
    }
    if (rc == ARCA_OK && (w.objects > w.max_members || w.deep)) {
        snprintf(label, sizeof label, "MIME parts %s were not read",
                 w.deep ? "nested too deep" : "past the limit");
        rc = arca_extract_field(out, "warning", label);
    }
out:
    if (rc && out->errmsg[0] == '\0')
        arca_extract_fail(out, rc, "%s: %s while extracting the message",
                          what, arca_status_str(rc));
    if (m != NULL)
        g_object_unref(m);
    if (opts != NULL)
        g_mime_parser_options_free(opts);
    return rc;
}

/* ---- mbox ---- */

/* 1 when the line at P (its LEN bytes, break included) is empty. */
static int empty_line(const unsigned char *p, size_t len)
{
    return len == 0 || (len == 1 && p[0] == '\n') ||
           (len == 2 && p[0] == '\r' && p[1] == '\n');
}

/* The next message of the mbox from *POS (just after an envelope line):
 * its bytes [*start, *stop) without the separating empty line, and *POS
 * moved to the next envelope line (or END). */
static void next_message(const unsigned char *data, const unsigned char *end,
                         const unsigned char **pos,
                         const unsigned char **start,
                         const unsigned char **stop)
{
    const unsigned char *p = *pos, *prev = NULL;
    size_t prevlen = 0;
    *start = p;
    while (p < end) {
        size_t n = line_len(p, end);
        if (from_line(p, end) && (p == data || empty_line(prev, prevlen)))
            break;
        prev = p;
        prevlen = n;
        p += n;
    }
    *stop = p;
    *pos = p;
    if (p < end && prev != NULL)
        *stop = prev;   /* the empty line before "From " is the mbox's */
}

/* Copy [s, e) into BUF undoing mboxrd quoting: a line ">>From " loses
 * one '>'.  Returns the length written (at most e - s). */
static size_t unquote(const unsigned char *s, const unsigned char *e,
                      unsigned char *buf)
{
    size_t w = 0;
    while (s < e) {
        size_t n = line_len(s, e);
        size_t q = 0;
        while (q < n && s[q] == '>')
            q++;
        int quoted = q > 0 && n - q >= 5 && memcmp(s + q, "From ", 5) == 0;
        memcpy(buf + w, s + quoted, n - (size_t)quoted);
        w += n - (size_t)quoted;
        s += n;
    }
    return w;
}

arca_status arca_ix_mbox(const arca_blob *in, arca_extract *out,
                         const arca_limits *lim)
{
    const unsigned char *data = in->data, *end = in->data + in->len;
    const char *what = in->name ? in->name : "mbox";
    uint64_t max_member = or_default(lim ? lim->max_member : 0,
                                     DEFAULT_MAX_MEMBER);
    uint64_t max_members = or_default(lim ? lim->max_members : 0,
                                      DEFAULT_MAX_MEMBERS);
    uint64_t max_expanded = or_default(lim ? lim->max_expanded : 0,
                                       DEFAULT_MAX_EXPANDED);
    uint64_t count = 0, taken = 0, bytes = 0;
    unsigned char *buf = NULL;
    char name[64], note[256];
    arca_status rc = ARCA_OK;

    if (in->len == 0 || !from_line(data, end)) {
        rc = arca_extract_fail(out, ARCA_EFORMAT, "%s: not an mbox: it does "
                               "not start with a \"From \" line", what);
        goto out;
    }
    const unsigned char *pos = data;
    while (pos < end) {
        const unsigned char *s, *e;
        pos += line_len(pos, end);          /* the envelope line */
        next_message(data, end, &pos, &s, &e);
        count++;
        if (taken < count - 1)
            continue;                       /* past a limit: only counted */
        size_t len = (size_t)(e - s);
        if (count > max_members || bytes + len > max_expanded)
            continue;
        taken++;
        snprintf(name, sizeof name, "message-%llu.eml",
                 (unsigned long long)count);
        if (len > max_member) {
            snprintf(note, sizeof note, "refused: %zu bytes, over the limit "
                     "of %llu", len, (unsigned long long)max_member);
            rc = arca_extract_child(out, name, NULL, 0, note);
        } else {
            bytes += len;
            unsigned char *nb = realloc(buf, len ? len : 1);
            if (nb == NULL) {
                rc = ARCA_ENOMEM;
                break;
            }
            buf = nb;
            rc = arca_extract_child(out, name, buf, unquote(s, e, buf), NULL);
        }
        if (rc == ARCA_ELIMIT) {
            taken--;            /* the extractor's own cap on children */
            rc = ARCA_OK;
        }
        if (rc)
            break;
    }
    if (rc) {
        rc = arca_extract_fail(out, rc, "%s: %s splitting the mbox", what,
                               arca_status_str(rc));
        goto out;
    }
    snprintf(name, sizeof name, "%llu", (unsigned long long)count);
    rc = arca_extract_field(out, "messages", name);
    if (rc == ARCA_OK && taken < count) {
        out->truncated = 1;
        snprintf(note, sizeof note, "only the first %llu of %llu messages "
                 "were taken: the limit of %llu messages or %llu bytes was "
                 "reached", (unsigned long long)taken,
                 (unsigned long long)count, (unsigned long long)max_members,
                 (unsigned long long)max_expanded);
        rc = arca_extract_field(out, "warning", note);
    }
out:
    free(buf);
    return rc;
}

/* ---- Sniffing ---- */

static int digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

int arca_mbox_sniff(const void *data, size_t len)
{
    const unsigned char *p = data;
    const unsigned char *end = p + (len < SNIFF_MAX ? len : SNIFF_MAX);
    if (p == NULL || !from_line(p, end))
        return 0;
    size_t n = line_len(p, end);
    if (n == 0 || p[n - 1] != '\n' || p[5] == ' ' || p[5] == '\n')
        return 0;       /* a whole first line, with a sender */
    /* A time hh:mm, then a four-digit year among the words after it. */
    size_t i = 5, t = 0;
    for (; i + 4 < n; i++)
        if (digit(p[i]) && p[i + 1] == ':' && digit(p[i + 2]) &&
            digit(p[i + 3]) && (i == 0 || p[i - 1] == ' ' ||
                                digit(p[i - 1]))) {
            t = i + 4;
            break;
        }
    if (t == 0)
        return 0;
    int year = 0;
    for (i = t; i + 4 <= n; i++)
        if ((p[i - 1] == ' ') && digit(p[i]) && digit(p[i + 1]) &&
            digit(p[i + 2]) && digit(p[i + 3]) &&
            (i + 4 == n || p[i + 4] == ' ' || p[i + 4] == '\r' ||
             p[i + 4] == '\n'))
            year = 1;
    return year && header_line(p + n, end);
}
