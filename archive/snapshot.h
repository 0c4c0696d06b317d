/*
 * snapshot.h: what a backup needs from archive/ (snapshot.c).
 *
 * A consistent copy of the catalog taken while writers may be writing
 * (SQLite's online backup API, one read transaction), and the extent of a
 * pack that the objects of such a copy need (a pack is cut after its last
 * referenced entry: whatever lies beyond belongs to no committed record).
 * core/backup.c builds `arca export` and `arca restore` on these.  Knows
 * nothing of tar or of Xapian.
 */
#ifndef ARCA_SNAPSHOT_H
#define ARCA_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "archive.h"

/* The head of a pack entry, as objects.c writes it: the raw SHA-256 (32
 * bytes), the size and the compressed size (8 bytes each, little-endian);
 * the zlib stream follows.  objects.c owns the format: keep them equal. */
#define ARCA_PACK_ENTRY_HEAD 48

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

/*
 * The end of the entry of object HEX at OFFSET in the pack open on FD
 * (PATH, for messages), read from the entry's head: OFFSET, the head and
 * the compressed stream.  ARCA_ECORRUPT if the entry names another
 * object or runs past the end of the file (*end is then 0).
 */
arca_status arca_pack_entry_end(int fd, const char *path, const char *hex,
                                uint64_t offset, uint64_t *end, char *err,
                                size_t errlen);

#endif /* ARCA_SNAPSHOT_H */
