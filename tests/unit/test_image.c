/*
 * test_image.c: arca_ix_image.  EXIF of real photographs (camera, date
 * taken, GPS, orientation, size) checked against the values the corpus
 * manifest lists; OCR of rendered scans in Korean and English, measured
 * as the share of the expected words found (printed per image); damaged
 * images (truncated JPEG and PNG, garbage behind a PNG signature) give
 * ARCA_EFORMAT with a reason; oversized images are refused before
 * decoding; the text cap holds; several threads run OCR at once; raw
 * pixels (grey, RGB, RGBA, rows with padding) read through
 * arca_ocr_pixels, appended after text already there, and its refusals
 * (sizes that describe no image, too many pixels, missing languages).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <leptonica/allheaders.h>
#include <libexif/exif-data.h>
#include <libexif/exif-utils.h>
#include <zlib.h>

#include "indexers/image-private.h"
#include "ix.h"

/* Index DATA into X (initialised here); checks the output's form. */
static arca_status index_image(const void *data, size_t len, int ocr,
                               const char *langs, size_t max_text,
                               arca_extract *x)
{
    arca_blob b = {data, len, "t.img", "image/jpeg", NULL};
    arca_limits lim = {.max_text = max_text ? max_text : ARCA_DEFAULT_MAX_TEXT,
                       .ocr = ocr,
                       .ocr_langs = langs};
    arca_extract_init(x, lim.max_text);
    arca_status rc = arca_ix_image(&b, x, &lim);
    assert_non_null(x->text);
    assert_int_equal(strlen(x->text), x->len);
    assert_true(arca_utf8_valid(x->text, x->len));
    assert_true(x->len <= lim.max_text);
    if (rc != ARCA_OK)
        assert_true(x->errmsg[0] != '\0');
    return rc;
}

static char *load(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *data = read_file(path, len);
    if (data == NULL)
        fail_msg("cannot read %s", path);
    return data;
}

static void index_path(const char *dir, const char *name, int ocr,
                       const char *langs, arca_extract *x)
{
    size_t len;
    char *data = load(dir, name, &len);
    arca_status rc = index_image(data, len, ocr, langs, 0, x);
    if (rc != ARCA_OK)
        fail_msg("%s: %s", name, x->errmsg);
    free(data);
}

static char *fixtures(void)
{
    static char dir[4200];
    snprintf(dir, sizeof dir, "%s/images", testdata());
    return dir;
}

/* ---- EXIF ---- */

static void test_exif_gps(void **state)
{
    (void)state;
    arca_extract x;
    index_path(fixtures(), "sample1.jpg", 0, NULL, &x);
    assert_field(&x, "format", "jpeg");
    assert_field(&x, "camera", "NIKON CORPORATION NIKON D2H");
    assert_string_equal(x.date, "2003-11-23");
    assert_field(&x, "taken", "2003-11-23T18:07:37");
    /* 39 deg 54' 56" N, 116 deg 23' 27" E. */
    assert_field(&x, "gps", "39.915556,116.390833");
    assert_field(&x, "orientation", "Horizontal (normal)");
    assert_field(&x, "width", "500");
    assert_field(&x, "height", "375");
    assert_int_equal(x.len, 0);     /* no OCR asked: no text */
    arca_extract_free(&x);
}

static void test_exif_orientation_only(void **state)
{
    (void)state;
    arca_extract x;
    index_path(fixtures(), "f2-exif.jpg", 0, NULL, &x);
    assert_field(&x, "orientation", "Mirror horizontal");
    assert_field(&x, "width", "40");
    assert_field(&x, "height", "80");
    /* No DateTimeOriginal: the date is the file's DateTime; no camera is
     * invented for a file that names none. */
    assert_string_equal(x.date, "2012-11-04");
    assert_field(&x, "taken", "2012-11-04T05:42:32");
    assert_field(&x, "camera", NULL);
    assert_field(&x, "gps", NULL);
    arca_extract_free(&x);
}

static void test_exif_corpus(void **state)
{
    (void)state;
    static const struct {
        const char *path, *camera, *date, *taken, *orientation, *w, *h;
    } want[] = {
        {"gdk-pixbuf-tests/bug725582-testrotate.jpg", "Panasonic DMC-GF1",
         "2013-06-23", "2013-06-23T16:49:15", "Rotate 90 CW", "640", "428"},
        {"gimp-help/slic-ex-default.jpg", "Canon Canon EOS Rebel T7i",
         "2018-12-16", "2018-12-16T03:20:31", NULL, "300", "200"},
        {"gimp-help/spherize-ex-orig.jpg", "NIKON CORPORATION NIKON D7200",
         "2018-05-26", "2018-05-26T10:39:31", NULL, "300", "200"},
        {"goexif/f3-exif.jpg", NULL, "2012-11-04", "2012-11-04T05:42:32",
         "Rotate 180", "40", "80"},
        {"imaging/orientation_6.jpg", NULL, NULL, NULL, "Rotate 90 CW", "70",
         "50"},
        {"kphotoalbum/grand_canyon_3.jpg", "JENOPTIK OPTICAL CO,LTD JD4100",
         "2003-01-02", "2003-01-02T06:31:00", "Horizontal (normal)", "800",
         "600"},
        {"kphotoalbum/skagen.jpg", "Canon Canon EOS 20D", "2005-07-28",
         "2005-07-28T05:09:07", "Horizontal (normal)", "800", "533"},
        {"kphotoalbum/sunset.jpg", "Canon Canon EOS DIGITAL REBEL XT",
         "2005-11-25", "2005-11-25T16:23:10", "Horizontal (normal)", "800",
         "532"},
        {"kphotoalbum/wayne.jpg", "OLYMPUS OPTICAL CO.,LTD C40Z,D40Z",
         "2003-11-15", "2003-11-15T20:51:59", "Horizontal (normal)", "800",
         "600"},
    };
    char dir[4200];
    if (corpus() == NULL)
        skip();
    snprintf(dir, sizeof dir, "%s/images/exif", corpus());
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        arca_extract x;
        index_path(dir, want[i].path, 0, NULL, &x);
        assert_field(&x, "camera", want[i].camera);
        if (want[i].date == NULL)
            assert_null(x.date);
        else
            assert_string_equal(x.date, want[i].date);
        assert_field(&x, "taken", want[i].taken);
        if (want[i].orientation != NULL)
            assert_field(&x, "orientation", want[i].orientation);
        assert_field(&x, "width", want[i].w);
        assert_field(&x, "height", want[i].h);
        arca_extract_free(&x);
    }
}

/* EXIF outside JPEG: a PNG eXIf chunk, a WebP EXIF chunk (both hold the
 * EXIF block of f2-exif.jpg), and a TIFF file's own tags. */
static void test_exif_other_formats(void **state)
{
    (void)state;
    static const char *const files[][2] = {{"exif.png", "png"},
                                           {"exif.webp", "webp"}};
    arca_extract x;
    for (size_t i = 0; i < 2; i++) {
        index_path(fixtures(), files[i][0], 0, NULL, &x);
        assert_field(&x, "format", files[i][1]);
        assert_field(&x, "orientation", "Mirror horizontal");
        assert_string_equal(x.date, "2012-11-04");
        assert_field(&x, "width", "16");
        arca_extract_free(&x);
    }
    index_path(fixtures(), "tiny.tif", 0, NULL, &x);
    assert_field(&x, "format", "tiff");
    assert_field(&x, "width", "16");
    assert_field(&x, "height", "16");
    arca_extract_free(&x);
}

/* Add a tag to IFD of ED (made with MEM). */
static void add_tag(ExifData *ed, ExifMem *mem, ExifIfd ifd, ExifTag tag,
                    ExifFormat fmt, unsigned long components,
                    const void *data, size_t size)
{
    ExifEntry *e = exif_entry_new_mem(mem);
    assert_non_null(e);
    e->tag = tag;
    e->format = fmt;
    e->components = components;
    e->size = (unsigned int)size;
    e->data = exif_mem_alloc(mem, (ExifLong)size);
    assert_non_null(e->data);
    memcpy(e->data, data, size);
    exif_content_add_entry(ed->ifd[ifd], e);
    exif_entry_unref(e);
}

/* GPS degrees, minutes, seconds as three RATIONALs (little-endian). */
static void add_dms(ExifData *ed, ExifMem *mem, ExifTag tag, unsigned d,
                    unsigned m, unsigned s100)
{
    unsigned char b[24];
    ExifRational r[3] = {{d, 1}, {m, 1}, {s100, 100}};
    for (int i = 0; i < 3; i++)
        exif_set_rational(b + 8 * i, EXIF_BYTE_ORDER_INTEL, r[i]);
    add_tag(ed, mem, EXIF_IFD_GPS, tag, EXIF_FORMAT_RATIONAL, 3, b, sizeof b);
}

/*
 * A JPEG (f2-exif.jpg's pixels) whose EXIF block libexif writes here:
 * an EUC-KR ImageDescription, a UTF-16LE XPTitle, a UNICODE UserComment,
 * a DateTimeOriginal and a position south and west.
 */
static void test_exif_encodings(void **state)
{
    (void)state;
    size_t len, elen, jlen;
    char *jpeg = load(fixtures(), "f2-exif.jpg", &len);
    char *euckr = encode("EUC-KR", "서울 야경", &elen);
    euckr = realloc(euckr, elen + 1);   /* an ASCII tag ends with a NUL */
    assert_non_null(euckr);
    euckr[elen] = '\0';
    char *title = encode("UTF-16LE", "한강의 밤", &jlen);
    ExifMem *mem = exif_mem_new_default();
    ExifData *ed = exif_data_new_mem(mem);
    unsigned char *block = NULL;
    unsigned int blen = 0;

    exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_INTEL);
    add_tag(ed, mem, EXIF_IFD_0, EXIF_TAG_IMAGE_DESCRIPTION, EXIF_FORMAT_ASCII,
            elen + 1, euckr, elen + 1);
    add_tag(ed, mem, EXIF_IFD_0, EXIF_TAG_XP_TITLE, EXIF_FORMAT_BYTE, jlen,
            title, jlen);
    add_tag(ed, mem, EXIF_IFD_0, EXIF_TAG_MAKE, EXIF_FORMAT_ASCII, 6, "Canon",
            6);
    add_tag(ed, mem, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL,
            EXIF_FORMAT_ASCII, 20, "2024:02:29 23:59:58", 20);
    char comment[8 + 8] = "UNICODE";
    memcpy(comment + 8, "h\0i\0!\0\0\0", 8);
    add_tag(ed, mem, EXIF_IFD_EXIF, EXIF_TAG_USER_COMMENT,
            EXIF_FORMAT_UNDEFINED, sizeof comment, comment, sizeof comment);
    add_tag(ed, mem, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LATITUDE_REF,
            EXIF_FORMAT_ASCII, 2, "S", 2);
    add_dms(ed, mem, (ExifTag)EXIF_TAG_GPS_LATITUDE, 33, 52, 3000);
    add_tag(ed, mem, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LONGITUDE_REF,
            EXIF_FORMAT_ASCII, 2, "W", 2);
    add_dms(ed, mem, (ExifTag)EXIF_TAG_GPS_LONGITUDE, 151, 12, 4500);
    exif_data_save_data(ed, &block, &blen);
    assert_non_null(block);

    /* SOI, the new APP1, then the JPEG after its own APP1. */
    size_t skip = 2;
    while ((unsigned char)jpeg[skip + 1] != 0xE1)
        skip += 2 + ((unsigned char)jpeg[skip + 2] << 8 |
                     (unsigned char)jpeg[skip + 3]);
    size_t rest = skip + 2 + ((unsigned char)jpeg[skip + 2] << 8 |
                              (unsigned char)jpeg[skip + 3]);
    size_t n = 0;
    unsigned char *img = malloc(len + blen + 8);
    assert_non_null(img);
    memcpy(img, "\xff\xd8\xff\xe1", 4);
    img[4] = (unsigned char)((blen + 2) >> 8);
    img[5] = (unsigned char)(blen + 2);
    memcpy(img + 6, block, blen);
    n = 6 + blen;
    memcpy(img + n, jpeg + rest, len - rest);
    n += len - rest;

    arca_extract x;
    assert_int_equal(index_image(img, n, 0, NULL, 0, &x), ARCA_OK);
    assert_string_equal(x.description, "서울 야경");
    assert_string_equal(x.title, "한강의 밤");
    assert_field(&x, "comment", "hi!");
    assert_field(&x, "camera", "Canon");
    assert_string_equal(x.date, "2024-02-29");
    assert_field(&x, "taken", "2024-02-29T23:59:58");
    assert_field(&x, "gps", "-33.875000,-151.212500");
    arca_extract_free(&x);

    free(img);
    free(block);
    exif_data_unref(ed);
    exif_mem_unref(mem);
    free(euckr);
    free(title);
    free(jpeg);
}

/* ---- Damaged and oversized images ---- */

static void assert_broken(const void *data, size_t len, const char *what)
{
    for (int ocr = 0; ocr <= 1; ocr++) {
        arca_extract x;
        arca_status rc = index_image(data, len, ocr, "eng", 0, &x);
        if (rc != ARCA_EFORMAT)
            fail_msg("%s (ocr %d): want ARCA_EFORMAT, got %d (%s)", what, ocr,
                     rc, x.errmsg);
        assert_int_equal(x.len, 0);
        arca_extract_free(&x);
    }
}

static void test_broken(void **state)
{
    (void)state;
    size_t len;
    char *jpeg = load(fixtures(), "sample1.jpg", &len);
    assert_broken(jpeg, len / 2, "truncated JPEG");
    assert_broken(jpeg, 2, "JPEG SOI only");
    assert_broken(jpeg, 200, "JPEG cut in its EXIF block");
    free(jpeg);

    char *png = load(fixtures(), "scan-mixed-titles.png", &len);
    assert_broken(png, 40, "PNG cut after IHDR");
    free(png);

    unsigned char junk[512];
    memcpy(junk, "\x89PNG\r\n\x1a\n", 8);
    for (size_t i = 8; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 7919 >> 3);
    assert_broken(junk, sizeof junk, "garbage with a PNG signature");
    assert_broken("hello, world, this is text", 26, "text");
    assert_broken("", 0, "empty");

    arca_extract x;
    assert_int_equal(index_image(junk, sizeof junk, 0, NULL, 0, &x),
                     ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "png"));
    arca_extract_free(&x);
}

/* A PNG header (signature and IHDR, with a true CRC) claiming W x H. */
static size_t png_header(unsigned char *p, uint32_t w, uint32_t h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n',
                                         0x1a, '\n'};
    unsigned char ihdr[17] = {'I', 'H', 'D', 'R', (unsigned char)(w >> 24),
                              (unsigned char)(w >> 16), (unsigned char)(w >> 8),
                              (unsigned char)w, (unsigned char)(h >> 24),
                              (unsigned char)(h >> 16), (unsigned char)(h >> 8),
                              (unsigned char)h, 8, 0, 0, 0, 0};
    uLong crc = crc32(0, ihdr, sizeof ihdr);
    memcpy(p, sig, 8);
    memcpy(p + 8, "\0\0\0\x0d", 4);
    memcpy(p + 12, ihdr, sizeof ihdr);
    p[29] = (unsigned char)(crc >> 24);
    p[30] = (unsigned char)(crc >> 16);
    p[31] = (unsigned char)(crc >> 8);
    p[32] = (unsigned char)crc;
    memcpy(p + 33, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
    return 45;
}

static void test_limits(void **state)
{
    (void)state;
    unsigned char png[64];
    size_t n = png_header(png, 20000, 20000);
    arca_extract x;

    /* 400 megapixels: refused for OCR before anything is decoded. */
    assert_int_equal(index_image(png, n, 1, "eng", 0, &x), ARCA_ELIMIT);
    assert_non_null(strstr(x.errmsg, "20000x20000"));
    arca_extract_free(&x);
    /* Without OCR only the header is read, and it is reported. */
    assert_int_equal(index_image(png, n, 0, NULL, 0, &x), ARCA_OK);
    assert_field(&x, "width", "20000");
    arca_extract_free(&x);

    /* A GIF's logical screen of 65535 x 65535, read without leptonica. */
    unsigned char gif[32] = "GIF89a\xff\xff\xff\xff";
    assert_int_equal(index_image(gif, sizeof gif, 1, "eng", 0, &x),
                     ARCA_ELIMIT);
    arca_extract_free(&x);
}

/* ---- OCR ---- */

/* The share of the words of EXPECTED found in TEXT (punctuation around a
 * word ignored). */
static double word_share(const char *expected, const char *text,
                         size_t *nwords)
{
    static const char *const punct[] = {"\xe2\x80\x9c", "\xe2\x80\x9d", ".",
                                        ",", ":", ";", "(", ")", "\"", "'",
                                        "/"};
    char *copy = strdup(expected), *save = NULL;
    size_t found = 0, total = 0;
    assert_non_null(copy);
    for (char *w = strtok_r(copy, " \t\r\n", &save); w != NULL;
         w = strtok_r(NULL, " \t\r\n", &save)) {
        int again = 1;
        while (again) {
            again = 0;
            for (size_t i = 0; i < sizeof punct / sizeof punct[0]; i++) {
                size_t pl = strlen(punct[i]), wl = strlen(w);
                if (wl >= pl && strncmp(w, punct[i], pl) == 0) {
                    w += pl;
                    again = 1;
                } else if (wl >= pl && strcmp(w + wl - pl, punct[i]) == 0) {
                    w[wl - pl] = '\0';
                    again = 1;
                }
            }
        }
        if (*w == '\0')
            continue;
        total++;
        found += strstr(text, w) != NULL;
    }
    free(copy);
    *nwords = total;
    return total ? (double)found / total : 0;
}

static double ocr_share(const char *dir, const char *image, const char *langs)
{
    char expected_name[512];
    size_t elen, n;
    arca_extract x;

    snprintf(expected_name, sizeof expected_name, "%.*s.expected.txt",
             (int)(strrchr(image, '.') - image), image);
    char *expected = load(dir, expected_name, &elen);
    expected = realloc(expected, elen + 1);
    assert_non_null(expected);
    expected[elen] = '\0';
    index_path(dir, image, 1, langs, &x);
    double share = word_share(expected, x.text, &n);
    printf("# OCR %-28s langs %-24s %3zu words, %5.1f %% found\n", image,
           langs ? langs : "(default)", n, 100 * share);
    arca_extract_free(&x);
    free(expected);
    return share;
}

static void test_ocr_fixture(void **state)
{
    (void)state;
    assert_true(ocr_share(fixtures(), "scan-mixed-titles.png", "kor+eng") >=
                0.7);
    /* The default: every installed one of kor eng chi_sim jpn rus. */
    assert_true(ocr_share(fixtures(), "scan-mixed-titles.png", NULL) >= 0.7);
}

static void test_ocr_corpus(void **state)
{
    (void)state;
    static const char *const images[] = {
        "scan-en-sotu.jpg", "scan-ko-en-parallel.jpg",
        "scan-ko-paragraph.png", "scan-mixed-titles.png"};
    char dir[4200];
    if (corpus() == NULL)
        skip();
    snprintf(dir, sizeof dir, "%s/images/ocr", corpus());
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
        double share = ocr_share(dir, images[i], "kor+eng");
        if (share < 0.7)
            fail_msg("%s: only %.0f %% of the expected words", images[i],
                     100 * share);
    }
    assert_true(ocr_share(dir, "scan-en-sotu.jpg", "eng") >= 0.9);
}

static void test_ocr_cap_and_langs(void **state)
{
    (void)state;
    size_t len;
    char *png = load(fixtures(), "scan-mixed-titles.png", &len);
    arca_extract x;

    assert_int_equal(index_image(png, len, 1, "eng", 16, &x), ARCA_OK);
    assert_true(x.truncated);
    assert_true(x.len > 0 && x.len <= 16);
    arca_extract_free(&x);

    assert_int_equal(index_image(png, len, 1, "xx_none", 0, &x),
                     ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "xx_none"));
    arca_extract_free(&x);

    /* The thread's engine is remade for the next language string. */
    assert_int_equal(index_image(png, len, 1, "eng", 0, &x), ARCA_OK);
    assert_non_null(strstr(x.text, "Image Window"));
    arca_extract_free(&x);
    free(png);
}

/* The OCR fixture converted by leptonica to each format read. */
static void test_ocr_formats(void **state)
{
    (void)state;
    static const struct {
        int iff;
        const char *name;
    } fmts[] = {{IFF_JFIF_JPEG, "jpeg"}, {IFF_TIFF_LZW, "tiff"},
                {IFF_TIFF_G4, "tiff"},   {IFF_GIF, "gif"},
                {IFF_WEBP, "webp"}};
    char path[4300];
    snprintf(path, sizeof path, "%s/scan-mixed-titles.png", fixtures());
    PIX *pix = pixRead(path);
    assert_non_null(pix);
    PIX *gray = pixConvertTo8(pix, 0), *bin = pixThresholdToBinary(gray, 128);
    PIX *rgb = pixConvertTo32(pix);
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        PIX *src = fmts[i].iff == IFF_TIFF_G4 ? bin
                   : fmts[i].iff == IFF_WEBP  ? rgb
                                              : gray;
        l_uint8 *data = NULL;
        size_t len = 0;
        arca_extract x;
        assert_int_equal(pixWriteMem(&data, &len, src, fmts[i].iff), 0);
        if (index_image(data, len, 1, "kor+eng", 0, &x) != ARCA_OK)
            fail_msg("%s: %s", fmts[i].name, x.errmsg);
        assert_field(&x, "format", fmts[i].name);
        if (strstr(x.text, "Image Window") == NULL)
            fail_msg("%s: OCR text lacks \"Image Window\": %s", fmts[i].name,
                     x.text);
        arca_extract_free(&x);
        lept_free(data);
    }
    pixDestroy(&pix);
    pixDestroy(&gray);
    pixDestroy(&bin);
    pixDestroy(&rgb);
}

/* ---- Raw pixels (arca_ocr_pixels) ---- */

/* The OCR fixture as raw pixels of BPP bytes (1 grey, 3 RGB, 4 RGBA),
 * rows of *stride bytes with PAD bytes of junk after each (malloc'd). */
static unsigned char *raw_fixture(int bpp, int pad, int *w, int *h,
                                  int *stride)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/scan-mixed-titles.png", fixtures());
    PIX *pix = pixRead(path);
    assert_non_null(pix);
    PIX *grey = pixConvertTo8(pix, 0);
    assert_non_null(grey);
    *w = pixGetWidth(grey);
    *h = pixGetHeight(grey);
    *stride = *w * bpp + pad;
    unsigned char *buf = malloc((size_t)*stride * (size_t)*h);
    assert_non_null(buf);
    memset(buf, 0x5A, (size_t)*stride * (size_t)*h);
    for (int y = 0; y < *h; y++) {
        l_uint32 *line = pixGetData(grey) + y * pixGetWpl(grey);
        unsigned char *row = buf + (size_t)y * (size_t)*stride;
        for (int x = 0; x < *w; x++) {
            unsigned char v = (unsigned char)GET_DATA_BYTE(line, x);
            for (int c = 0; c < bpp; c++)
                row[x * bpp + c] = c == 3 ? 255 : v;
        }
    }
    pixDestroy(&pix);
    pixDestroy(&grey);
    return buf;
}

static void test_ocr_pixels(void **state)
{
    (void)state;
    static const struct {
        int bpp, pad;
    } shapes[] = {{1, 0}, {1, 13}, {3, 0}, {4, 8}};
    arca_limits lim = {.max_text = ARCA_DEFAULT_MAX_TEXT, .ocr = 1,
                       .ocr_langs = "kor+eng"};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int w, h, stride;
        unsigned char *px =
            raw_fixture(shapes[i].bpp, shapes[i].pad, &w, &h, &stride);
        arca_extract x;
        arca_extract_init(&x, lim.max_text);
        /* The text is appended to what is there. */
        assert_int_equal(arca_extract_append(&x, "before\n", 7), ARCA_OK);
        arca_status rc =
            arca_ocr_pixels(px, w, h, shapes[i].bpp, stride, &lim, &x);
        if (rc != ARCA_OK)
            fail_msg("%d bytes a pixel: %s", shapes[i].bpp, x.errmsg);
        assert_true(strncmp(x.text, "before\n", 7) == 0);
        if (strstr(x.text, "Image Window") == NULL ||
            strstr(x.text, "이미지") == NULL)
            fail_msg("%d bytes a pixel, %d of padding: OCR text lacks "
                     "\"Image Window\" or \"이미지\": %s",
                     shapes[i].bpp, shapes[i].pad, x.text);
        assert_true(arca_utf8_valid(x.text, x.len));
        arca_extract_free(&x);
        free(px);
    }
}

static void test_ocr_pixels_refused(void **state)
{
    (void)state;
    unsigned char px[64] = {0};
    arca_limits lim = {.max_text = ARCA_DEFAULT_MAX_TEXT, .ocr = 1,
                       .ocr_langs = "eng"};
    static const struct {
        int w, h, bpp, stride;
    } bad[] = {{0, 4, 1, 4},  {4, 0, 1, 4},  {-4, 4, 1, 4}, {4, 4, 2, 8},
               {4, 4, 1, 3},  {4, 4, 3, 11}, {4, 4, 4, -16}, {4, 4, 0, 4},
               {4, 1024, 1, 1 << 22}};
    arca_extract x;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        arca_extract_init(&x, lim.max_text);
        arca_status rc = arca_ocr_pixels(px, bad[i].w, bad[i].h, bad[i].bpp,
                                         bad[i].stride, &lim, &x);
        if (rc != ARCA_EINVAL)
            fail_msg("%dx%d, %d bytes a pixel, %d a row: want ARCA_EINVAL, "
                     "got %d", bad[i].w, bad[i].h, bad[i].bpp, bad[i].stride,
                     rc);
        assert_true(x.errmsg[0] != '\0');
        assert_int_equal(x.len, 0);
        arca_extract_free(&x);
    }
    arca_extract_init(&x, lim.max_text);
    assert_int_equal(arca_ocr_pixels(NULL, 4, 4, 1, 4, &lim, &x),
                     ARCA_EINVAL);
    arca_extract_free(&x);

    /* Refused on its sizes alone: no pixel is read. */
    arca_extract_init(&x, lim.max_text);
    assert_int_equal(arca_ocr_pixels(px, 20000, 20000, 1, 20000, &lim, &x),
                     ARCA_ELIMIT);
    assert_non_null(strstr(x.errmsg, "20000x20000"));
    arca_extract_free(&x);

    /* A blank image reads as nothing; missing languages are named. */
    unsigned char white[32 * 32];
    memset(white, 255, sizeof white);
    arca_extract_init(&x, lim.max_text);
    assert_int_equal(arca_ocr_pixels(white, 32, 32, 1, 32, &lim, &x),
                     ARCA_OK);
    assert_int_equal(strspn(x.text, " \n"), x.len);
    arca_extract_free(&x);
    lim.ocr_langs = "xx_none";
    arca_extract_init(&x, lim.max_text);
    assert_int_equal(arca_ocr_pixels(white, 32, 32, 1, 32, &lim, &x),
                     ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "xx_none"));
    arca_extract_free(&x);
}

struct job {
    const char *png;
    size_t len;
    arca_status rc;
    int found;
};

static void *ocr_thread(void *arg)
{
    struct job *j = arg;
    for (int round = 0; round < 2; round++) {
        arca_extract x;
        arca_blob b = {(const unsigned char *)j->png, j->len, "t.png",
                       "image/png", NULL};
        arca_limits lim = {.max_text = ARCA_DEFAULT_MAX_TEXT, .ocr = 1,
                           .ocr_langs = "kor+eng"};
        arca_extract_init(&x, lim.max_text);
        j->rc = arca_ix_image(&b, &x, &lim);
        j->found += strstr(x.text, "Context Help") != NULL;
        arca_extract_free(&x);
    }
    return NULL;
}

static void test_ocr_threads(void **state)
{
    (void)state;
    size_t len;
    char *png = load(fixtures(), "scan-mixed-titles.png", &len);
    struct job jobs[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        jobs[i] = (struct job){png, len, ARCA_EINTERNAL, 0};
        assert_int_equal(pthread_create(&t[i], NULL, ocr_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].rc, ARCA_OK);
        assert_int_equal(jobs[i].found, 2);
    }
    free(png);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exif_gps),
        cmocka_unit_test(test_exif_orientation_only),
        cmocka_unit_test(test_exif_corpus),
        cmocka_unit_test(test_exif_other_formats),
        cmocka_unit_test(test_exif_encodings),
        cmocka_unit_test(test_broken),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_ocr_fixture),
        cmocka_unit_test(test_ocr_corpus),
        cmocka_unit_test(test_ocr_cap_and_langs),
        cmocka_unit_test(test_ocr_formats),
        cmocka_unit_test(test_ocr_threads),
        cmocka_unit_test(test_ocr_pixels),
        cmocka_unit_test(test_ocr_pixels_refused),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    arca_image_thread_release();
    return failed;
}
