/*
 * image.c: the indexer of photographs and scans (JPEG, PNG, TIFF, GIF,
 * WebP).  The header of the image (read by leptonica without decoding
 * pixels, or by hand for GIF) gives its format and size; the EXIF block
 * (found here in the JPEG APP1 segment, the TIFF header itself, the PNG
 * eXIf chunk or the WebP EXIF chunk, and parsed by libexif) gives the
 * date taken, the camera, the place and the captions.  When lim->ocr is
 * set the pixels are decoded by leptonica and read by tesseract.  The
 * same OCR path reads raw pixels for other indexers (arca_ocr_pixels: the
 * pages of a scanned PDF), sharing the engines, the choice of languages
 * and the deadline.
 *
 * Bounds: images of more than ARCA_IMAGE_MAX_PIXELS are refused before
 * decoding (and checked again after); tesseract has a deadline per image;
 * every EXIF value is copied with its length checked, and libexif's
 * "follow the specification" option is off, since it would invent
 * missing mandatory tags (a DateTime of today).  Leptonica and tesseract
 * are told to print nothing.
 *
 * Threads: the indexer may run in several threads at once.  Each thread
 * keeps one tesseract engine (and the language string it was made for)
 * in a pthread key, deleted when the thread exits.  The default language
 * list is worked out once per process (pthread_once).
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <libexif/exif-data.h>
#include <libexif/exif-utils.h>
#include <tesseract/capi.h>

#include "image-private.h"
#include "indexer-private.h"

#define TEXT_MAX 4096           /* bytes of one EXIF text value kept */
#define TIFF_EXIF_MAX ((size_t)16 << 20)  /* TIFF bytes handed to libexif */
#define LANGS_MAX 256           /* length of a tesseract language string */

/* ---- Formats ---- */

static const struct format {
    int iff;                    /* leptonica's IFF_ code */
    const char *name;
} formats[] = {
    {IFF_JFIF_JPEG, "jpeg"},  {IFF_PNG, "png"},      {IFF_GIF, "gif"},
    {IFF_WEBP, "webp"},       {IFF_TIFF, "tiff"},
    {IFF_TIFF_PACKBITS, "tiff"},
    {IFF_TIFF_RLE, "tiff"},   {IFF_TIFF_G3, "tiff"}, {IFF_TIFF_G4, "tiff"},
    {IFF_TIFF_LZW, "tiff"},   {IFF_TIFF_ZIP, "tiff"}, {IFF_TIFF_JPEG, "tiff"},
};

static const char *format_name(int iff)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].iff == iff)
            return formats[i].name;
    return NULL;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 |
           p[0];
}

/* ---- Leptonica and tesseract, process-wide ---- */

static const char *const default_langs[] = {"kor", "eng", "chi_sim", "jpn",
                                            "rus"};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t engine_key;
static int engine_key_ok;
static char installed_langs[LANGS_MAX];  /* "kor+eng", or "" */

/* One thread's engine. */
struct engine {
    TessBaseAPI *api;
    char langs[LANGS_MAX];
};

static void engine_free(void *p)
{
    struct engine *e = p;
    if (e == NULL)
        return;
    if (e->api != NULL) {
        TessBaseAPIEnd(e->api);
        TessBaseAPIDelete(e->api);
    }
    free(e);
}

static TessBaseAPI *quiet_api(void)
{
    TessBaseAPI *api = TessBaseAPICreate();
    if (api != NULL)
        TessBaseAPISetVariable(api, "debug_file", "/dev/null");
    return api;
}

static int listed(char **names, const char *lang)
{
    for (size_t i = 0; names != NULL && names[i] != NULL; i++)
        if (strcmp(names[i], lang) == 0)
            return 1;
    return 0;
}

/*
 * Which of default_langs tesseract can load.  Tesseract finds its data
 * itself (TESSDATA_PREFIX or its built-in path), so the first default
 * language it initialises with tells where that is, and the list of
 * .traineddata files there gives the rest.
 */
static void find_langs(void)
{
    size_t n = sizeof default_langs / sizeof default_langs[0];
    TessBaseAPI *api = quiet_api();
    char **avail = NULL;

    for (size_t i = 0; api != NULL && i < n && avail == NULL; i++) {
        if (TessBaseAPIInit3(api, NULL, default_langs[i]) == 0)
            avail = TessBaseAPIGetAvailableLanguagesAsVector(api);
    }
    for (size_t i = 0; avail != NULL && i < n; i++) {
        if (!listed(avail, default_langs[i]))
            continue;
        size_t used = strlen(installed_langs);
        snprintf(installed_langs + used, sizeof installed_langs - used,
                 "%s%s", used ? "+" : "", default_langs[i]);
    }
    if (avail != NULL)
        TessDeleteTextArray(avail);
    if (api != NULL) {
        TessBaseAPIEnd(api);
        TessBaseAPIDelete(api);
    }
}

/* Leptonica's messages, some printed whatever the severity: dropped. */
static void lept_quiet(const char *msg)
{
    (void)msg;
}

static void init_once(void)
{
    setMsgSeverity(L_SEVERITY_NONE);
    leptSetStderrHandler(lept_quiet);
    engine_key_ok = pthread_key_create(&engine_key, engine_free) == 0;
}

/* Default languages are looked for only when OCR is first asked for. */
static pthread_once_t langs_once = PTHREAD_ONCE_INIT;

void arca_image_thread_release(void)
{
    pthread_once(&once, init_once);
    if (!engine_key_ok)
        return;
    engine_free(pthread_getspecific(engine_key));
    pthread_setspecific(engine_key, NULL);
}

/* The calling thread's engine for LANGS, made or remade as needed. */
static arca_status engine_get(arca_extract *out, const char *langs,
                              TessBaseAPI **api)
{
    struct engine *e;

    *api = NULL;
    if (!engine_key_ok)
        return arca_extract_fail(out, ARCA_ENOMEM,
                                 "cannot keep a tesseract engine per thread");
    e = pthread_getspecific(engine_key);
    if (e != NULL && strcmp(e->langs, langs) == 0) {
        *api = e->api;
        return ARCA_OK;
    }
    engine_free(e);
    pthread_setspecific(engine_key, NULL);

    e = calloc(1, sizeof *e);
    if (e == NULL || (e->api = quiet_api()) == NULL) {
        free(e);
        return arca_extract_fail(out, ARCA_ENOMEM, "out of memory");
    }
    if (TessBaseAPIInit3(e->api, NULL, langs) != 0) {
        engine_free(e);
        return arca_extract_fail(out, ARCA_EUNSUPPORTED,
                                 "OCR: tesseract has no data for "
                                 "language(s) \"%s\"", langs);
    }
    snprintf(e->langs, sizeof e->langs, "%s", langs);
    if (pthread_setspecific(engine_key, e) != 0) {
        engine_free(e);
        return arca_extract_fail(out, ARCA_ENOMEM, "out of memory");
    }
    *api = e->api;
    return ARCA_OK;
}

/* ---- Where the EXIF block is ---- */

/*
 * Walk the JPEG segments from SOI to SOS (APPn blocks may hold a whole
 * thumbnail JPEG), taking the size from the frame header (SOFn), then
 * look for the end-of-image marker in the scan data, where 0xFF is
 * always followed by 0x00 or a restart marker unless a marker begins.
 * Returns 0, or -1 when there is no frame header, -2 when the file ends
 * before its end-of-image marker.
 */
static int jpeg_scan(const unsigned char *p, size_t n, uint32_t *w,
                     uint32_t *h)
{
    size_t i = 2;
    int sof = 0;
    while (i + 4 <= n) {
        if (p[i] != 0xFF)
            return -1;
        unsigned m = p[i + 1];
        if (m == 0xFF) {        /* fill byte */
            i++;
            continue;
        }
        if (m == 0xD9)
            return sof ? 0 : -1;
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
            i += 2;
            continue;
        }
        size_t seglen = (size_t)p[i + 2] << 8 | p[i + 3];
        if (seglen < 2)
            return -1;
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (seglen < 8)
                return -1;
            if (i + 9 > n)
                return -2;
            *h = (uint32_t)p[i + 5] << 8 | p[i + 6];
            *w = (uint32_t)p[i + 7] << 8 | p[i + 8];
            sof = 1;
        }
        i += 2 + seglen;
        if (m == 0xDA)          /* start of scan: entropy data follows */
            break;
    }
    if (!sof)
        return i + 4 > n ? -2 : -1;
    for (; i + 1 < n; i++)
        if (p[i] == 0xFF && p[i + 1] == 0xD9)
            return 0;
    return -2;
}

/*
 * Walk the PNG chunks from IHDR to IEND, taking the size from IHDR.
 * Returns 0, or -1 when IHDR is missing, -2 when the file ends before
 * IEND.
 */
static int png_scan(const unsigned char *p, size_t n, uint32_t *w,
                    uint32_t *h)
{
    if (n < 33 || be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4) != 0)
        return n < 33 ? -2 : -1;
    *w = be32(p + 16);
    *h = be32(p + 20);
    for (size_t i = 8; i + 12 <= n;) {
        uint32_t clen = be32(p + i);
        if (clen > n - i - 12)
            return -2;
        if (memcmp(p + i + 4, "IEND", 4) == 0)
            return 0;
        i += 12 + (size_t)clen;
    }
    return -2;
}

static const unsigned char exif_magic[6] = {'E', 'x', 'i', 'f', 0, 0};

/*
 * The bytes to give libexif: *data and *len, with *prefix set when they
 * lack the "Exif\0\0" header libexif expects (a TIFF file, or a PNG or
 * WebP chunk holding the bare TIFF structure).  *len is 0 when there is
 * no EXIF block.
 */
static void exif_block(const unsigned char *p, size_t n, int iff,
                       const unsigned char **data, size_t *len, int *prefix)
{
    *data = NULL;
    *len = 0;
    *prefix = 0;
    if (iff == IFF_JFIF_JPEG) {
        *data = p;              /* libexif walks the JPEG markers itself */
        *len = n;
    } else if (L_FORMAT_IS_TIFF(iff)) {
        *data = p;
        *len = n < TIFF_EXIF_MAX ? n : TIFF_EXIF_MAX;
        *prefix = 1;
    } else if (iff == IFF_PNG) {
        for (size_t i = 8; i + 12 <= n;) {
            uint32_t clen = be32(p + i);
            if (clen > n - i - 12)
                break;
            if (memcmp(p + i + 4, "eXIf", 4) == 0) {
                *data = p + i + 8;
                *len = clen;
                break;
            }
            if (memcmp(p + i + 4, "IEND", 4) == 0)
                break;
            i += 12 + (size_t)clen;
        }
        if (*len >= 6 && memcmp(*data, exif_magic, 6) == 0)
            return;
        *prefix = *len > 0;
    } else if (iff == IFF_WEBP && n >= 12) {
        for (size_t i = 12; i + 8 <= n;) {
            uint32_t clen = le32(p + i + 4);
            if (clen > n - i - 8)
                break;
            if (memcmp(p + i, "EXIF", 4) == 0) {
                *data = p + i + 8;
                *len = clen;
                break;
            }
            i += 8 + (size_t)clen + (clen & 1);
        }
        if (*len >= 6 && memcmp(*data, exif_magic, 6) == 0)
            return;
        *prefix = *len > 0;
    }
}

static ExifData *exif_load(const unsigned char *p, size_t n, int iff,
                           arca_status *rc)
{
    const unsigned char *data;
    size_t len;
    int prefix;
    unsigned char *copy = NULL;
    ExifData *ed = NULL;

    *rc = ARCA_OK;
    exif_block(p, n, iff, &data, &len, &prefix);
    if (len == 0 || len > UINT32_MAX - 6)
        return NULL;
    if (prefix) {
        copy = malloc(len + 6);
        if (copy == NULL) {
            *rc = ARCA_ENOMEM;
            return NULL;
        }
        memcpy(copy, exif_magic, 6);
        memcpy(copy + 6, data, len);
        data = copy;
        len += 6;
    }
    ed = exif_data_new();
    if (ed == NULL) {
        *rc = ARCA_ENOMEM;
    } else {
        exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
        exif_data_load_data(ed, data, (unsigned int)len);
    }
    free(copy);
    return ed;
}

/* ---- EXIF values ---- */

static ExifEntry *entry(ExifData *ed, ExifIfd ifd, ExifTag tag)
{
    return ed->ifd[ifd] ? exif_content_get_entry(ed->ifd[ifd], tag) : NULL;
}

/* S[0..n) decoded to UTF-8 (DECLARED names its charset, or NULL), with
 * trailing NULs and spaces dropped; *out is malloc'd, or NULL when the
 * value is empty. */
static arca_status text_of(const void *s, size_t n, const char *declared,
                           char **out)
{
    const unsigned char *b = s;
    char used[64];
    size_t len;

    *out = NULL;
    if (n > TEXT_MAX)
        n = TEXT_MAX;
    if (declared != NULL && strncmp(declared, "UTF-16", 6) == 0) {
        n -= n & 1;             /* whole code units, trailing NULs dropped */
        while (n >= 2 && b[n - 1] == 0 && b[n - 2] == 0)
            n -= 2;
    } else {
        if (declared == NULL) { /* a C string: it ends at its first NUL */
            const unsigned char *z = memchr(b, 0, n);
            if (z != NULL)
                n = (size_t)(z - b);
        }
        while (n > 0 && (b[n - 1] == 0 || b[n - 1] == ' '))
            n--;
    }
    if (n == 0)
        return ARCA_OK;
    arca_status rc = arca_decode(b, n, declared, out, &len, used);
    if (rc == ARCA_OK && strspn(*out, " \t\r\n") == len) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* An ASCII-typed tag (in practice any legacy encoding) as UTF-8. */
static arca_status ascii_tag(ExifData *ed, ExifIfd ifd, ExifTag tag,
                             char **out)
{
    ExifEntry *e = entry(ed, ifd, tag);
    *out = NULL;
    if (e == NULL || e->data == NULL || e->format != EXIF_FORMAT_ASCII)
        return ARCA_OK;
    return text_of(e->data, e->size, NULL, out);
}

/* The Windows XP tags (XPTitle ...): UTF-16LE in BYTE components. */
static arca_status xp_tag(ExifData *ed, ExifTag tag, char **out)
{
    ExifEntry *e = entry(ed, EXIF_IFD_0, tag);
    *out = NULL;
    if (e == NULL || e->data == NULL || e->format != EXIF_FORMAT_BYTE)
        return ARCA_OK;
    return text_of(e->data, e->size, "UTF-16LE", out);
}

/* UserComment: an 8-byte character code, then the text. */
static arca_status user_comment(ExifData *ed, char **out)
{
    static const struct {
        const char code[8];
        const char *charset;
    } codes[] = {
        {"ASCII\0\0\0", NULL},
        {"JIS\0\0\0\0\0", "ISO-2022-JP"},
        {"\0\0\0\0\0\0\0\0", NULL},
    };
    ExifEntry *e = entry(ed, EXIF_IFD_EXIF, EXIF_TAG_USER_COMMENT);
    const char *charset = NULL;

    *out = NULL;
    if (e == NULL || e->data == NULL || e->size <= 8)
        return ARCA_OK;
    if (memcmp(e->data, "UNICODE\0", 8) == 0) {
        /* The byte order of the EXIF block, though some writers differ. */
        charset = exif_data_get_byte_order(ed) == EXIF_BYTE_ORDER_MOTOROLA
                      ? "UTF-16BE"
                      : "UTF-16LE";
    } else {
        size_t i, n = sizeof codes / sizeof codes[0];
        for (i = 0; i < n && memcmp(e->data, codes[i].code, 8) != 0; i++)
            ;
        if (i == n)
            return ARCA_OK;     /* an unknown code: the text is not text */
        charset = codes[i].charset;
        if (charset == NULL)
            charset = "";       /* not UTF-16: see text_of's NUL rule */
    }
    return text_of(e->data + 8, e->size - 8, *charset ? charset : NULL, out);
}

/* Set *slot (if still empty) or the field NAME to VALUE, which is freed. */
static arca_status put(arca_extract *out, char **slot, const char *name,
                       char *value)
{
    arca_status rc = ARCA_OK;
    if (value == NULL)
        return ARCA_OK;
    if (slot != NULL && *slot == NULL)
        rc = arca_extract_set(out, slot, value);
    else if (name != NULL)
        rc = arca_extract_field(out, name, value);
    free(value);
    return rc;
}

/* "YYYY:MM:DD HH:MM:SS" (some writers put '-' or '/' in the date, or
 * 'T' between date and time) into out->date and the field "taken". */
static arca_status put_date(arca_extract *out, const char *s)
{
    static const char shape[] = "dddd?dd?dd?dd:dd:dd";
    char iso[20], ymd[11], day[11];

    if (strlen(s) < sizeof shape - 1)
        return ARCA_OK;
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        int digit = s[i] >= '0' && s[i] <= '9';
        if (shape[i] == 'd' ? !digit : shape[i] == ':' ? s[i] != ':' : digit)
            return ARCA_OK;
    }
    snprintf(iso, sizeof iso, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s", s, s + 5,
             s + 8, s + 11, s + 14, s + 17);
    memcpy(ymd, iso, 10);
    ymd[10] = '\0';
    if (!arca_date_parse(ymd, day) || strcmp(day, ymd) != 0 ||
        memcmp(s + 11, "24", 2) > 0 || memcmp(s + 14, "59", 2) > 0 ||
        memcmp(s + 17, "60", 2) > 0)
        return ARCA_OK;         /* "0000:00:00 00:00:00" and the like */
    arca_status rc = arca_extract_set(out, &out->date, day);
    if (rc == ARCA_OK)
        rc = arca_extract_field(out, "taken", iso);
    return rc;
}

/* Degrees from three RATIONALs (degrees, minutes, seconds), or -1. */
static double dms(ExifData *ed, ExifEntry *e)
{
    ExifByteOrder bo = exif_data_get_byte_order(ed);
    double v = 0, scale = 1;
    if (e == NULL || e->data == NULL || e->format != EXIF_FORMAT_RATIONAL ||
        e->components < 3 || e->size < 24)
        return -1;
    for (int i = 0; i < 3; i++, scale *= 60) {
        ExifRational r = exif_get_rational(e->data + 8 * i, bo);
        if (r.denominator == 0) {
            if (r.numerator != 0 || i == 0)
                return -1;
            continue;           /* 0/0 minutes or seconds: absent */
        }
        v += (double)r.numerator / r.denominator / scale;
    }
    return v;
}

/* 'N' or 'S' (or 'E', 'W') from a Ref tag, or 0. */
static char ref(ExifData *ed, ExifTag tag)
{
    ExifEntry *e = entry(ed, EXIF_IFD_GPS, tag);
    if (e == NULL || e->data == NULL || e->format != EXIF_FORMAT_ASCII ||
        e->size < 1)
        return 0;
    return (char)e->data[0];
}

static arca_status put_gps(arca_extract *out, ExifData *ed)
{
    char buf[64];
    char lat_ref = ref(ed, (ExifTag)EXIF_TAG_GPS_LATITUDE_REF);
    char lon_ref = ref(ed, (ExifTag)EXIF_TAG_GPS_LONGITUDE_REF);
    double lat =
        dms(ed, entry(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LATITUDE));
    double lon =
        dms(ed, entry(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LONGITUDE));

    if (lat < 0 || lat > 90 || lon < 0 || lon > 180 ||
        (lat_ref != 'N' && lat_ref != 'S') ||
        (lon_ref != 'E' && lon_ref != 'W'))
        return ARCA_OK;
    snprintf(buf, sizeof buf, "%.6f,%.6f", lat_ref == 'S' ? -lat : lat,
             lon_ref == 'W' ? -lon : lon);
    return arca_extract_field(out, "gps", buf);
}

static arca_status put_orientation(arca_extract *out, ExifData *ed)
{
    static const char *const names[] = {
        "Horizontal (normal)",
        "Mirror horizontal",
        "Rotate 180",
        "Mirror vertical",
        "Mirror horizontal and rotate 270 CW",
        "Rotate 90 CW",
        "Mirror horizontal and rotate 90 CW",
        "Rotate 270 CW",
    };
    ExifEntry *e = entry(ed, EXIF_IFD_0, EXIF_TAG_ORIENTATION);
    ExifByteOrder bo = exif_data_get_byte_order(ed);
    long v = 0;
    /* SHORT by the standard; some cameras write a LONG or SLONG. */
    if (e == NULL || e->data == NULL || e->components < 1)
        return ARCA_OK;
    if (e->format == EXIF_FORMAT_SHORT && e->size >= 2)
        v = exif_get_short(e->data, bo);
    else if (e->format == EXIF_FORMAT_LONG && e->size >= 4)
        v = (long)exif_get_long(e->data, bo);
    else if (e->format == EXIF_FORMAT_SLONG && e->size >= 4)
        v = exif_get_slong(e->data, bo);
    if (v < 1 || v > 8)
        return ARCA_OK;
    return arca_extract_field(out, "orientation", names[v - 1]);
}

/* "Make Model", as cameras write them (often "Canon Canon EOS 20D"). */
static arca_status put_camera(arca_extract *out, ExifData *ed)
{
    char *make = NULL, *model = NULL, *both = NULL;
    arca_status rc = ascii_tag(ed, EXIF_IFD_0, EXIF_TAG_MAKE, &make);
    if (rc == ARCA_OK)
        rc = ascii_tag(ed, EXIF_IFD_0, EXIF_TAG_MODEL, &model);
    if (rc == ARCA_OK && (make != NULL || model != NULL)) {
        if (asprintf(&both, "%s%s%s", make ? make : "",
                     make && model ? " " : "", model ? model : "") < 0) {
            both = NULL;
            rc = ARCA_ENOMEM;
        } else {
            rc = put(out, NULL, "camera", both);
        }
    }
    free(make);
    free(model);
    return rc;
}

/* Everything this indexer takes from EXIF, in the order of the header. */
static arca_status put_exif(arca_extract *out, ExifData *ed)
{
    char *v = NULL;
    arca_status rc;

    rc = ascii_tag(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL, &v);
    if (rc == ARCA_OK && v != NULL)
        rc = put_date(out, v);
    free(v);
    v = NULL;
    if (rc == ARCA_OK && out->date == NULL) {
        rc = ascii_tag(ed, EXIF_IFD_0, EXIF_TAG_DATE_TIME, &v);
        if (rc == ARCA_OK && v != NULL)
            rc = put_date(out, v);
        free(v);
        v = NULL;
    }
    if (rc == ARCA_OK)
        rc = put_camera(out, ed);
    if (rc == ARCA_OK && (rc = xp_tag(ed, EXIF_TAG_XP_TITLE, &v)) == ARCA_OK)
        rc = put(out, &out->title, "title", v);
    if (rc == ARCA_OK &&
        (rc = ascii_tag(ed, EXIF_IFD_0, EXIF_TAG_IMAGE_DESCRIPTION, &v)) ==
            ARCA_OK)
        rc = put(out, &out->description, "description", v);
    if (rc == ARCA_OK && (rc = user_comment(ed, &v)) == ARCA_OK)
        rc = put(out, &out->description, "comment", v);
    if (rc == ARCA_OK && (rc = xp_tag(ed, EXIF_TAG_XP_COMMENT, &v)) == ARCA_OK)
        rc = put(out, &out->description, "comment", v);
    if (rc == ARCA_OK &&
        (rc = ascii_tag(ed, EXIF_IFD_0, EXIF_TAG_ARTIST, &v)) == ARCA_OK)
        rc = put(out, &out->author, "artist", v);
    if (rc == ARCA_OK && (rc = xp_tag(ed, EXIF_TAG_XP_AUTHOR, &v)) == ARCA_OK)
        rc = put(out, &out->author, NULL, v);
    if (rc == ARCA_OK && (rc = xp_tag(ed, EXIF_TAG_XP_KEYWORDS, &v)) == ARCA_OK)
        rc = put(out, &out->keywords, NULL, v);
    if (rc == ARCA_OK &&
        (rc = ascii_tag(ed, EXIF_IFD_0, EXIF_TAG_COPYRIGHT, &v)) == ARCA_OK)
        rc = put(out, NULL, "copyright", v);
    if (rc == ARCA_OK)
        rc = put_orientation(out, ed);
    if (rc == ARCA_OK)
        rc = put_gps(out, ed);
    return rc;
}

/* ---- The header ---- */

/*
 * The format, width and height from the header.  JPEG, PNG and GIF
 * headers are read here: leptonica would have libjpeg print warnings
 * about damaged files, and it decodes a whole GIF to answer.  A JPEG or
 * PNG that ends before its end marker is refused.
 */
static arca_status read_header(const arca_blob *in, arca_extract *out,
                               int *iff, uint32_t *w, uint32_t *h)
{
    const unsigned char *p = in->data;
    l_int32 fmt = IFF_UNKNOWN, lw = 0, lh = 0, bps, spp, cmap;
    int r = 0;

    *iff = IFF_UNKNOWN;
    *w = *h = 0;
    if (in->len < 12)
        return arca_extract_fail(out, ARCA_EFORMAT,
                                 "not an image: %zu bytes", in->len);
    if (findFileFormatBuffer(p, &fmt) != 0 || format_name(fmt) == NULL)
        return arca_extract_fail(out, ARCA_EFORMAT,
                                 "not a JPEG, PNG, TIFF, GIF or WebP image");
    *iff = fmt;
    if (fmt == IFF_GIF) {
        *w = (uint32_t)p[6] | (uint32_t)p[7] << 8;
        *h = (uint32_t)p[8] | (uint32_t)p[9] << 8;
    } else if (fmt == IFF_JFIF_JPEG) {
        r = jpeg_scan(p, in->len, w, h);
    } else if (fmt == IFF_PNG) {
        r = png_scan(p, in->len, w, h);
    } else if (pixReadHeaderMem(p, in->len, &fmt, &lw, &lh, &bps, &spp,
                                &cmap) == 0 && lw > 0 && lh > 0) {
        *w = (uint32_t)lw;
        *h = (uint32_t)lh;
    }
    if (r == -2)
        return arca_extract_fail(out, ARCA_EFORMAT,
                                 "truncated %s image: it ends before its "
                                 "end marker", format_name(*iff));
    if (r != 0 || *w == 0 || *h == 0)
        return arca_extract_fail(out, ARCA_EFORMAT,
                                 "damaged %s image: its header does not read",
                                 format_name(*iff));
    return ARCA_OK;
}

/* ---- OCR ---- */

static arca_status ocr_langs(const arca_limits *lim, arca_extract *out,
                             const char **langs)
{
    *langs = lim->ocr_langs;
    if (*langs != NULL && **langs != '\0') {
        if (strlen(*langs) >= LANGS_MAX)
            return arca_extract_fail(out, ARCA_EUNSUPPORTED,
                                     "OCR: language list too long");
        return ARCA_OK;
    }
    pthread_once(&langs_once, find_langs);
    *langs = installed_langs;
    if (**langs == '\0')
        return arca_extract_fail(out, ARCA_EUNSUPPORTED,
                                 "OCR: no tesseract data installed for kor, "
                                 "eng, chi_sim, jpn or rus");
    return ARCA_OK;
}

/* Which of the default languages are installed, and the engine's
 * version: for `arca formats`. */
void arca_ocr_info(const char **version, const char **installed)
{
    pthread_once(&langs_once, find_langs);
    *version = TessVersion();
    *installed = installed_langs;
}

/* PIX in a depth tesseract takes (1, 8 or 32 bits, no colour map). */
static PIX *ocr_ready(PIX *pix)
{
    PIX *t;
    if (pixGetColormap(pix) != NULL) {
        t = pixRemoveColormap(pix, REMOVE_CMAP_BASED_ON_SRC);
        pixDestroy(&pix);
        pix = t;
    }
    if (pix != NULL && pixGetDepth(pix) != 1 && pixGetDepth(pix) != 8 &&
        pixGetDepth(pix) != 32) {
        t = pixConvertTo8(pix, 0);
        pixDestroy(&pix);
        pix = t;
    }
    return pix;
}

/*
 * What tesseract is to read: a leptonica PIX (an image file's pixels),
 * or raw pixels (a rendered PDF page), W x H of BPP bytes each (grey,
 * RGB or RGBA), STRIDE bytes a row; both stay the caller's.
 */
struct pixels {
    PIX *pix;
    const unsigned char *data;
    int w, h, bpp, stride;
};

/* Read the text of IMG in the languages of LIM, appended to OUT. */
static arca_status recognize(const struct pixels *img, const arca_limits *lim,
                             arca_extract *out)
{
    const char *langs;
    TessBaseAPI *api = NULL;
    ETEXT_DESC *monitor = NULL;
    char *text = NULL, *clean = NULL;
    char used[64];
    size_t len;
    arca_status rc;

    rc = ocr_langs(lim, out, &langs);
    if (rc)
        goto out;
    rc = engine_get(out, langs, &api);
    if (rc)
        goto out;
    monitor = TessMonitorCreate();
    if (monitor == NULL) {
        rc = arca_extract_fail(out, ARCA_ENOMEM, "out of memory");
        goto out;
    }
    TessMonitorSetDeadlineMSecs(monitor, ARCA_IMAGE_OCR_MSECS);
    if (img->pix != NULL)
        TessBaseAPISetImage2(api, img->pix);
    else
        TessBaseAPISetImage(api, img->data, img->w, img->h, img->bpp,
                            img->stride);
    if (TessBaseAPIRecognize(api, monitor) != 0) {
        rc = arca_extract_fail(out, ARCA_ELIMIT,
                               "OCR gave up (over %d s, or the image is "
                               "unreadable)", ARCA_IMAGE_OCR_MSECS / 1000);
        goto out;
    }
    text = TessBaseAPIGetUTF8Text(api);
    if (text == NULL)
        goto out;
    /* Tesseract writes UTF-8; decode anyway so nothing invalid passes. */
    rc = arca_decode(text, strlen(text), "UTF-8", &clean, &len, used);
    if (rc == ARCA_OK)
        rc = arca_extract_append(out, clean, len);
    if (rc && out->errmsg[0] == '\0')
        arca_extract_fail(out, rc, "out of memory keeping the OCR text");
out:
    if (api != NULL)
        TessBaseAPIClear(api);  /* drop its copy of the image */
    if (monitor != NULL)
        TessMonitorDelete(monitor);
    if (text != NULL)
        TessDeleteText(text);
    free(clean);
    return rc;
}

static arca_status ocr(const arca_blob *in, arca_extract *out,
                       const arca_limits *lim, int iff)
{
    const char *langs, *fmt = format_name(iff);
    struct pixels img = {0};
    arca_status rc;

    /* The languages first: a missing one is found before decoding. */
    rc = ocr_langs(lim, out, &langs);
    if (rc)
        goto out;
    img.pix = pixReadMem(in->data, in->len);
    if (img.pix == NULL) {
        rc = arca_extract_fail(out, ARCA_EFORMAT,
                               "damaged %s image: its pixels do not decode",
                               fmt);
        goto out;
    }
    if ((uint64_t)pixGetWidth(img.pix) * (uint64_t)pixGetHeight(img.pix) >
        ARCA_IMAGE_MAX_PIXELS) {
        rc = arca_extract_fail(out, ARCA_ELIMIT,
                               "%dx%d image: more pixels than the OCR limit "
                               "(%llu)", pixGetWidth(img.pix),
                               pixGetHeight(img.pix),
                               (unsigned long long)ARCA_IMAGE_MAX_PIXELS);
        goto out;
    }
    img.pix = ocr_ready(img.pix);
    if (img.pix == NULL) {
        rc = arca_extract_fail(out, ARCA_ENOMEM, "out of memory");
        goto out;
    }
    rc = recognize(&img, lim, out);
out:
    pixDestroy(&img.pix);
    return rc;
}

arca_status arca_ocr_pixels(const unsigned char *pix, int w, int h,
                            int bytes_per_pixel, int stride,
                            const arca_limits *lim, arca_extract *out)
{
    struct pixels img = {NULL, pix, w, h, bytes_per_pixel, stride};

    pthread_once(&once, init_once);
    if (pix == NULL || w <= 0 || h <= 0 ||
        (bytes_per_pixel != 1 && bytes_per_pixel != 3 &&
         bytes_per_pixel != 4) ||
        stride / bytes_per_pixel < w ||
        (uint64_t)stride * (uint64_t)h > INT_MAX)  /* tesseract's int math */
        return arca_extract_fail(out, ARCA_EINVAL,
                                 "OCR: not an image of %dx%d pixels, %d "
                                 "bytes each, %d bytes a row", w, h,
                                 bytes_per_pixel, stride);
    if ((uint64_t)w * (uint64_t)h > ARCA_IMAGE_MAX_PIXELS)
        return arca_extract_fail(out, ARCA_ELIMIT,
                                 "%dx%d image: more pixels than the OCR "
                                 "limit (%llu)", w, h,
                                 (unsigned long long)ARCA_IMAGE_MAX_PIXELS);
    return recognize(&img, lim, out);
}

/* ---- The indexer ---- */

arca_status arca_ix_image(const arca_blob *in, arca_extract *out,
                          const arca_limits *lim)
{
    ExifData *ed = NULL;
    char num[32];
    uint32_t w, h;
    int iff;
    arca_status rc;

    pthread_once(&once, init_once);
    rc = read_header(in, out, &iff, &w, &h);
    if (rc)
        goto out;
    if (lim->ocr && (uint64_t)w * h > ARCA_IMAGE_MAX_PIXELS) {
        rc = arca_extract_fail(out, ARCA_ELIMIT,
                               "%ux%u image: more pixels than the OCR limit "
                               "(%llu)", w, h,
                               (unsigned long long)ARCA_IMAGE_MAX_PIXELS);
        goto out;
    }
    rc = arca_extract_field(out, "format", format_name(iff));
    snprintf(num, sizeof num, "%u", w);
    if (rc == ARCA_OK)
        rc = arca_extract_field(out, "width", num);
    snprintf(num, sizeof num, "%u", h);
    if (rc == ARCA_OK)
        rc = arca_extract_field(out, "height", num);
    if (rc == ARCA_OK)
        ed = exif_load(in->data, in->len, iff, &rc);
    if (rc == ARCA_OK && ed != NULL)
        rc = put_exif(out, ed);
    if (rc) {
        if (out->errmsg[0] == '\0')
            arca_extract_fail(out, rc, "out of memory reading EXIF");
        goto out;
    }
    if (lim->ocr)
        rc = ocr(in, out, lim, iff);
out:
    if (ed != NULL)
        exif_data_unref(ed);
    return rc;
}
