/*
 * indexer-private.h: helpers shared by the files of indexers/ and by
 * nothing else.  The interface the rest of arca uses is indexer.h.
 */
#ifndef ARCA_INDEXER_PRIVATE_H
#define ARCA_INDEXER_PRIVATE_H

#include "indexer.h"

/* Longest value kept by arca_extract_set() and arca_extract_field(). */
#define ARCA_FIELD_MAX ((size_t)64 << 10)
/* Most fields kept by arca_extract_field(); later ones are dropped. */
#define ARCA_FIELDS_MAX 256
/* Nesting depth used when the caller gives no limit. */
#define ARCA_DEFAULT_MAX_DEPTH 256

/*
 * LABEL when it is a real declaration of a charset, NULL when it is absent
 * or one of libmagic's generic answers: "binary", "unknown-8bit", and
 * "iso-8859-1", which libmagic reports for any 8-bit text without C1
 * controls (EUC-KR, KOI8-R, GBK ... alike), so it declares nothing.
 */
const char *arca_charset_hint(const char *label);

/*
 * Parse a date as people and metadata write it ("2023-12-13",
 * "2023-12-13T10:00:00+09:00", "2023/12/13", "20231213", "13 Dec 2023",
 * "December 13, 2023", "Wed, 13 Dec 2023 10:00:00 GMT", "2023년 12월 13일")
 * into ISO 8601 "YYYY-MM-DD" in OUT.  Returns 1 when S held a valid date.
 */
int arca_date_parse(const char *s, char out[11]);

#endif /* ARCA_INDEXER_PRIVATE_H */
