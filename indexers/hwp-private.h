/*
 * hwp-private.h: the indexers of the Korean word processor's documents
 * (hwp.c), declared for their unit test and fuzz targets until the lead
 * moves them into indexer.h.
 */
#ifndef ARCA_HWP_PRIVATE_H
#define ARCA_HWP_PRIVATE_H

#include "indexer.h"

/* HWP 5.x (application/x-hwp): an OLE2 compound file. */
arca_status arca_ix_hwp(const arca_blob *in, arca_extract *out,
                        const arca_limits *lim);
/* HWPX (application/hwp+zip): a zip of OWPML XML parts. */
arca_status arca_ix_hwpx(const arca_blob *in, arca_extract *out,
                         const arca_limits *lim);

#endif /* ARCA_HWP_PRIVATE_H */
