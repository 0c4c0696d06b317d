/*
 * pdf-private.h: the PDF indexer's entry point (indexers/pdf.c), for the
 * registry, its unit test and its fuzz target until indexer.h declares
 * it.  Uses poppler-glib, cairo to render scanned pages and the image
 * indexer's OCR (arca_ocr_pixels); nothing else of arca needs to know
 * that.
 */
#ifndef ARCA_PDF_PRIVATE_H
#define ARCA_PDF_PRIVATE_H

#include "indexer.h"

/* Pages read at most; the rest of a longer document is left out and
 * out->truncated is set. */
#define ARCA_PDF_MAX_PAGES 5000

/* OCR of pages without a text layer (with lim->ocr).  Pages are rendered
 * at this resolution, in dots per inch: tesseract reads best at 300. */
#define ARCA_PDF_OCR_DPI 300
/* Pixels on a side of a rendered page at most; a page larger than 24
 * inches (or of more than ARCA_IMAGE_MAX_PIXELS at ARCA_PDF_OCR_DPI) is
 * rendered at a lower resolution instead.  The page's surface takes 4
 * bytes a pixel: 207 MB at most (7200 x 7200). */
#define ARCA_PDF_OCR_MAX_SIDE 7200
/* Pages read by OCR in one document at most: at a few seconds a page,
 * 500 scanned pages take the better part of half an hour. */
#define ARCA_PDF_OCR_MAX_PAGES 500
/* Pixels rendered for OCR in one document at most (500 A4 pages at 300
 * dpi), so that many huge pages cannot add up to hours. */
#define ARCA_PDF_OCR_MAX_PIXELS ((uint64_t)5000 * 1000 * 1000)
/* Time OCR may spend on one document, in milliseconds; checked between
 * pages, so a page begun may take its own ARCA_IMAGE_OCR_MSECS beyond. */
#define ARCA_PDF_OCR_MSECS (30 * 60 * 1000)

/*
 * The text of every page of the PDF in IN->data (pages separated by a
 * line break), its title, author, subject (as description), keywords and
 * creation date, and the fields "pages" (the page count), "creator",
 * "producer" and "pages_without_text" (pages with no text layer, when
 * there are any).  With lim->ocr, the pages without a text layer (scans)
 * are rendered and read by tesseract in the languages lim->ocr_langs (as
 * images are: see image-private.h), their text in its page's place, and
 * when there were such pages the fields "pages_ocr" (pages read by OCR)
 * and, when some were left unread, "pages_ocr_skipped" (their count) and
 * "ocr_note" (why the first was: a limit above, tesseract giving up on
 * it, or its languages missing) are set.  Return value: ARCA_OK (also for a damaged file that
 * poppler could repair), ARCA_EFORMAT (not a PDF, or damaged beyond
 * repair: poppler's reason is in out->errmsg), ARCA_EUNSUPPORTED (the PDF
 * is encrypted with a user password), ARCA_ENOMEM.
 */
arca_status arca_ix_pdf(const arca_blob *in, arca_extract *out,
                        const arca_limits *lim);

#endif /* ARCA_PDF_PRIVATE_H */
