/*
 * pdf-private.h: the PDF indexer's entry point (indexers/pdf.c), for the
 * registry, its unit test and its fuzz target until indexer.h declares
 * it.  Uses poppler-glib; nothing else of arca needs to know that.
 */
#ifndef ARCA_PDF_PRIVATE_H
#define ARCA_PDF_PRIVATE_H

#include "indexer.h"

/* Pages read at most; the rest of a longer document is left out and
 * out->truncated is set. */
#define ARCA_PDF_MAX_PAGES 5000

/*
 * The text of every page of the PDF in IN->data (pages separated by a
 * line break), its title, author, subject (as description), keywords and
 * creation date, and the fields "pages" (the page count), "creator",
 * "producer" and "pages_without_text" (pages with no text layer, when
 * there are any).  Return value: ARCA_OK (also for a damaged file that
 * poppler could repair), ARCA_EFORMAT (not a PDF, or damaged beyond
 * repair: poppler's reason is in out->errmsg), ARCA_EUNSUPPORTED (the PDF
 * is encrypted with a user password), ARCA_ENOMEM.
 */
arca_status arca_ix_pdf(const arca_blob *in, arca_extract *out,
                        const arca_limits *lim);

#endif /* ARCA_PDF_PRIVATE_H */
