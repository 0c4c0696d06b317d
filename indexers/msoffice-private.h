/*
 * msoffice-private.h: the indexer of legacy Microsoft Office binaries
 * (msoffice.c), declared for its unit test and fuzz target until the lead
 * moves it into indexer.h.
 */
#ifndef ARCA_MSOFFICE_PRIVATE_H
#define ARCA_MSOFFICE_PRIVATE_H

#include "indexer.h"

/*
 * Word, Excel and PowerPoint 97-2003 (application/msword,
 * application/vnd.ms-excel, application/vnd.ms-powerpoint), all OLE2
 * compound files.  The format is chosen by the streams the file holds
 * (WordDocument; Workbook or Book; PowerPoint Document), the MIME type
 * breaking a tie, so a generic OLE2 type (application/CDFV2,
 * application/x-ole-storage) may be routed here too: a compound file of
 * none of the three fails with ARCA_EFORMAT.
 */
arca_status arca_ix_msoffice(const arca_blob *in, arca_extract *out,
                             const arca_limits *lim);

#endif /* ARCA_MSOFFICE_PRIVATE_H */
