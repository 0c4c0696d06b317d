/*
 * office-private.h: the office indexers (office.c), declared here until
 * they move into indexer.h.  OOXML: DOCX, XLSX, PPTX; ODF: ODT, ODS, ODP.
 */
#ifndef ARCA_OFFICE_PRIVATE_H
#define ARCA_OFFICE_PRIVATE_H

#include "indexer.h"

arca_status arca_ix_ooxml(const arca_blob *in, arca_extract *out,
                          const arca_limits *lim);
arca_status arca_ix_odf(const arca_blob *in, arca_extract *out,
                        const arca_limits *lim);

#endif /* ARCA_OFFICE_PRIVATE_H */
