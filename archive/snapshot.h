/*
 * snapshot.h: what a backup needs from archive/ (snapshot.c).
 *
 * A consistent copy of the catalog taken while writers may be writing
 * (SQLite's online backup API, one read transaction).  The extent of a
 * pack that the objects of such a copy need (a pack is cut after its last
 * referenced entry) is arca_pack_entry_end(), in archive.h.
 * core/backup.c builds `arca export` and `arca restore` on these.  Knows
 * nothing of tar or of Xapian.
 */
#ifndef ARCA_SNAPSHOT_H
#define ARCA_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "archive.h"

/*
 * Copy the catalog SRC (a live catalog.db, maybe in WAL mode with writers
 * at work) into DST, a new or empty file, as of one moment: the copy is
 * taken in one step under one read transaction, so it holds whole
 * transactions only.  DST ends in rollback-journal mode, one
 * self-contained file.  Return value: ARCA_OK, ARCA_ENOTFOUND (no SRC),
 * ARCA_ELOCKED (SRC stayed busy), ARCA_EIO, ARCA_ECORRUPT, ARCA_ENOMEM;
 * ERR names the file and the reason.
 */
arca_status arca_catalog_snapshot(const char *src, const char *dst, char *err,
                                  size_t errlen);

#endif /* ARCA_SNAPSHOT_H */
