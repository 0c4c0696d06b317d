/*
 * ole-private.h: what the readers of OLE2 compound files (hwp.c,
 * msoffice.c) share, from ole.c: libgsf's start-up, a check of the OLE2
 * directory before libgsf walks it, quiet access to children and streams,
 * and a parser of the summary property sets ([MS-OLEPS]).
 */
#ifndef ARCA_OLE_PRIVATE_H
#define ARCA_OLE_PRIVATE_H

#include <stddef.h>

#include <gsf/gsf.h>

#include "indexer.h"

/* Start libgsf once per process, its OLE reader's log silenced. */
void arca_ole_start(void);

/*
 * Check the OLE2 directory of D[0..n) for what libgsf handles badly
 * (cycles, a root entry with siblings, absurd nesting).  NULL when the
 * directory is sound or is not OLE2 (libgsf then says what is wrong),
 * else the reason (a static string).
 */
const char *arca_ole_check(const unsigned char *d, size_t n);

/*
 * Open D[0..n) as an OLE2 compound file: *src and *ole (both to be
 * unreferenced by the caller, whatever the status; NULL on failure).
 * WHAT names the file in messages written to OUT.
 */
arca_status arca_ole_open(const unsigned char *d, size_t n, const char *what,
                          arca_extract *out, GsfInput **src, GsfInfile **ole);

/* The child NAME of storage DIR (a new reference), or NULL; no logging. */
GsfInput *arca_ole_child(GsfInfile *dir, const char *name);

/*
 * The whole of stream S (called NAME in messages) into a malloc'd *dst of
 * *dlen bytes; ARCA_ELIMIT past MAX bytes.
 */
arca_status arca_ole_read(GsfInput *s, const char *name, size_t max,
                          const char *what, arca_extract *out,
                          unsigned char **dst, size_t *dlen);

/*
 * Title (2), subject (3, field "subject"), author (4), keywords (5),
 * comments (6, description), last author (8, field "last-author") and
 * the creation date (12, else the last save, 13) from the first section
 * of the property set DATA[0..len) into OUT, for the slots still empty.
 * A damaged property set yields what it can and ARCA_OK; only running out
 * of memory fails (the message names WHAT).
 */
arca_status arca_ole_summary(const unsigned char *data, size_t len,
                             const char *what, arca_extract *out);

#endif /* ARCA_OLE_PRIVATE_H */
