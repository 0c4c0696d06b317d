/*
 * image-private.h: the image indexer's entry point (indexers/image.c),
 * for the registry, its unit test and its fuzz target until indexer.h
 * declares it.  Uses libexif for metadata, leptonica to read pixels and
 * tesseract's C API for OCR, which the PDF indexer shares for scanned
 * pages (arca_ocr_pixels); nothing else of arca needs to know that.
 */
#ifndef ARCA_IMAGE_PRIVATE_H
#define ARCA_IMAGE_PRIVATE_H

#include "indexer.h"

/* Largest image decoded for OCR, in pixels; larger ones are refused
 * (ARCA_ELIMIT) before any pixel is decoded when the header tells. */
#define ARCA_IMAGE_MAX_PIXELS ((uint64_t)100 * 1000 * 1000)
/* Time tesseract may spend on one image, in milliseconds. */
#define ARCA_IMAGE_OCR_MSECS 120000

/*
 * The metadata of the JPEG, PNG, TIFF, GIF or WebP image in IN->data and,
 * when lim->ocr is set, its text read by tesseract in the languages
 * lim->ocr_langs (NULL: every installed one of kor eng chi_sim jpn rus).
 * From EXIF: out->date (DateTimeOriginal, else DateTime) with the full
 * timestamp in the field "taken" (YYYY-MM-DDTHH:MM:SS), out->title
 * (XPTitle), out->description (ImageDescription, else UserComment or
 * XPComment), out->author (Artist, else XPAuthor), out->keywords
 * (XPKeywords), and the fields "camera" (Make and Model), "gps" ("lat,lon"
 * in decimal degrees, south and west negative), "orientation" (its EXIF
 * name, "Rotate 90 CW"), "copyright"; from the image's header the fields
 * "width" and "height" (pixels) and "format" ("jpeg", "png" ...).
 * Without OCR the text is empty.  Each thread keeps one tesseract engine
 * per language string, made on first use and deleted when the thread
 * exits (or by arca_image_thread_release()).
 * Return value: ARCA_OK; ARCA_EFORMAT (not an image of these formats,
 * truncated or damaged: the reason is in out->errmsg); ARCA_ELIMIT (more
 * than ARCA_IMAGE_MAX_PIXELS pixels, with OCR on); ARCA_EUNSUPPORTED (OCR
 * asked for but no language data installed, or the languages asked for
 * are missing); ARCA_ENOMEM.
 */
arca_status arca_ix_image(const arca_blob *in, arca_extract *out,
                          const arca_limits *lim);

/*
 * Read the text of raw pixels with the same engines, languages and time
 * limit as images: PIX holds H rows of STRIDE bytes, each row W pixels of
 * BYTES_PER_PIXEL bytes (1: grey; 3: R, G, B; 4: R, G, B, A).  The text,
 * if any, is appended to OUT; the pixels stay the caller's (tesseract
 * copies them).  For the PDF indexer, which renders scanned pages.
 * Return value: ARCA_OK; ARCA_EINVAL (the sizes do not describe an
 * image); ARCA_ELIMIT (more than ARCA_IMAGE_MAX_PIXELS pixels, or
 * tesseract gave up after ARCA_IMAGE_OCR_MSECS); ARCA_EUNSUPPORTED (no
 * language data, or the languages asked for are missing); ARCA_ENOMEM.
 * Each failure says why in out->errmsg.
 */
arca_status arca_ocr_pixels(const unsigned char *pix, int w, int h,
                            int bytes_per_pixel, int stride,
                            const arca_limits *lim, arca_extract *out);

/*
 * For `arca formats`: tesseract's VERSION, and which of the default
 * languages (kor eng chi_sim jpn rus) are INSTALLED, as "kor+eng", or ""
 * when none is.  Both are static strings.
 */
void arca_ocr_info(const char **version, const char **installed);

/* Delete the calling thread's tesseract engine now (a thread that exits
 * has its engine deleted anyway; the main thread may call this before
 * exit so that leak checkers see nothing). */
void arca_image_thread_release(void);

#endif /* ARCA_IMAGE_PRIVATE_H */
