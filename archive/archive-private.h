/*
 * archive-private.h: what the files of archive/ share and nobody else
 * sees.
 *
 * zstream.c offers, besides the one-shot arca_zdeflate()/arca_zinflate()
 * of archive.h, an incremental inflater: objects.c feeds it an object
 * file piece by piece and receives the inflated bytes piece by piece, so
 * that reading or verifying an object never holds more than a chunk of
 * it unless the caller asked for the whole.  It is the only other user of
 * zlib in arca.
 */
#ifndef ARCA_ARCHIVE_PRIVATE_H
#define ARCA_ARCHIVE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "archive.h"

/* Bytes of inflated output handed to the output function at a time. */
#define ARCA_ZCHUNK (64 * 1024)

/*
 * Receives inflated bytes.  Returning anything but ARCA_OK stops the
 * inflater, and arca_zinf_feed() returns that status unchanged.
 */
typedef arca_status (*arca_zout_fn)(void *ctx, const void *data, size_t len);

typedef struct arca_zinf {
    z_stream z;
    unsigned char *buf;      /* ARCA_ZCHUNK bytes of output; owned */
    uint64_t total_in;       /* compressed bytes consumed */
    uint64_t total_out;      /* inflated bytes produced */
    uint64_t max;            /* more output than this is ARCA_ELIMIT */
    int live;                /* inflateInit() succeeded */
    int ended;               /* Z_STREAM_END was seen */
    char why[160];           /* the reason of the last failure */
} arca_zinf;

/* Start inflating a zlib stream that must not inflate past MAX bytes. */
arca_status arca_zinf_init(arca_zinf *zi, uint64_t max);
/*
 * Feed the next LEN compressed bytes; inflated output goes to OUT.
 * ARCA_ECORRUPT for a damaged stream or for bytes after its end,
 * ARCA_ELIMIT past max, ARCA_ENOMEM, or OUT's own status.  zi->why says
 * why (zlib's failures only; OUT explains its own).
 */
arca_status arca_zinf_feed(arca_zinf *zi, const void *in, size_t len,
                           arca_zout_fn out, void *ctx);
/* The input is over: ARCA_ECORRUPT unless the stream ended. */
arca_status arca_zinf_finish(arca_zinf *zi);
/* Release the inflater (safe after a failed init, and twice). */
void arca_zinf_free(arca_zinf *zi);

#endif /* ARCA_ARCHIVE_PRIVATE_H */
