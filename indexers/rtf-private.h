/*
 * rtf-private.h: the RTF indexer's entry point (indexers/rtf.c), for the
 * registry, its unit test and its fuzz target until indexer.h declares
 * it.  The reader is arca's own (Debian ships no C library that reads
 * RTF); it uses glibc's iconv for code pages and nothing else.
 */
#ifndef ARCA_RTF_PRIVATE_H
#define ARCA_RTF_PRIVATE_H

#include "indexer.h"

/* Fonts remembered from font tables; later ones are ignored. */
#define ARCA_RTF_MAX_FONTS 1024
/* Bytes kept of each \info string (title, author ...). */
#define ARCA_RTF_MAX_INFO 4096

/*
 * The text of the RTF document in IN->data (paragraphs and table rows end
 * with a line break, cells with a tab), with the title, author, subject
 * (as description), keywords and creation date (\creatim, as YYYY-MM-DD)
 * of its \info group, the fields "comment", "operator", "company",
 * "manager", "category" (the other \info strings) and "modified"
 * (\revtim), and out->charset set to the document's code page.  Bytes
 * written as \'hh are decoded in the code page of the current font
 * (\fcharset or \cpg in the font table) or else of the document
 * (\ansicpg, \mac, \pc, \pca); \uN characters are taken as they are.
 * Font, colour and style tables, pictures, object data, headers,
 * footers, field instructions and ignorable (\*) destinations are left
 * out.
 *
 * Groups nested deeper than lim->max_depth (0: ARCA_DEFAULT_MAX_DEPTH)
 * are skipped whole and out->truncated is set; text past out->max is cut
 * (out->truncated).  Unbalanced groups at the end are tolerated.
 *
 * Return value: ARCA_OK, ARCA_EFORMAT (the data does not start with
 * "{\rtf"), ARCA_ENOMEM.
 */
arca_status arca_ix_rtf(const arca_blob *in, arca_extract *out,
                        const arca_limits *lim);

#endif /* ARCA_RTF_PRIVATE_H */
