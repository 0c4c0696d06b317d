/*
 * zstream.c: zlib, wrapped once.
 *
 * Like git's git-zlib.c, this file exists to make sure no zlib error is
 * missed: zlib counts in uInt, so every call is given at most ZCAP bytes
 * of input and of output while the totals are kept in size_t/uint64_t; a
 * stream is complete only at Z_STREAM_END, and bytes after its end are
 * an error ("garbage at end"), as in git's unpack_loose_rest().
 *
 * The one-shot calls of archive.h are built on the incremental inflater
 * declared in archive-private.h, which objects.c uses directly.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "archive-private.h"

/* The most handed to one zlib call: fits any uInt, as git's 1 GiB cap. */
#define ZCAP ((size_t)1 << 30)

static uInt cap(size_t n)
{
    return (uInt)(n > ZCAP ? ZCAP : n);
}

/* ---- Deflate ---- */

/*
 * Whole buffers are deflated by libdeflate, which writes the same zlib
 * format as zlib (any inflater reads it) in about half zlib's time at
 * level 6 and, at its level 8, a little smaller than gzip -6 does.  A
 * compressor is not shared between threads: each thread keeps its own,
 * freed when the thread ends.
 */
#define DEFLATE_LEVEL 8

static pthread_key_t comp_key;
static pthread_once_t comp_once = PTHREAD_ONCE_INIT;
static int comp_key_ok;

static void comp_free(void *c)
{
    libdeflate_free_compressor(c);
}

static void comp_key_init(void)
{
    comp_key_ok = pthread_key_create(&comp_key, comp_free) == 0;
}

static struct libdeflate_compressor *compressor(void)
{
    pthread_once(&comp_once, comp_key_init);
    if (!comp_key_ok)
        return NULL;
    struct libdeflate_compressor *c = pthread_getspecific(comp_key);
    if (c == NULL) {
        c = libdeflate_alloc_compressor(DEFLATE_LEVEL);
        if (c != NULL && pthread_setspecific(comp_key, c) != 0) {
            libdeflate_free_compressor(c);
            c = NULL;
        }
    }
    return c;
}

arca_status arca_zdeflate(const void *in, size_t len, void **out,
                          size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    struct libdeflate_compressor *c = compressor();
    if (c == NULL)
        return ARCA_ENOMEM;
    size_t size = libdeflate_zlib_compress_bound(c, len);
    if (size < len)
        return ARCA_ELIMIT;     /* the bound overflowed */
    unsigned char *buf = malloc(size);
    if (buf == NULL)
        return ARCA_ENOMEM;
    size_t used = libdeflate_zlib_compress(c, in, len, buf, size);
    if (used == 0) {
        /* The bound is exact; this cannot happen. */
        free(buf);
        return ARCA_EINTERNAL;
    }
    /* Most objects are small: give back what the bound over-reserved. */
    unsigned char *fit = size - used > 4096 ? realloc(buf, used) : NULL;
    *out = fit ? fit : buf;
    *outlen = used;
    return ARCA_OK;
}

/* ---- Incremental inflate ---- */

arca_status arca_zinf_init(arca_zinf *zi, uint64_t max)
{
    memset(zi, 0, sizeof *zi);
    zi->max = max;
    zi->buf = malloc(ARCA_ZCHUNK);
    if (zi->buf == NULL) {
        snprintf(zi->why, sizeof zi->why, "out of memory");
        return ARCA_ENOMEM;
    }
    if (inflateInit(&zi->z) != Z_OK) {
        snprintf(zi->why, sizeof zi->why, "zlib: out of memory");
        return ARCA_ENOMEM;
    }
    zi->live = 1;
    return ARCA_OK;
}

static arca_status zfail(arca_zinf *zi, arca_status rc, const char *what)
{
    snprintf(zi->why, sizeof zi->why, "zlib: %s", what);
    return rc;
}

arca_status arca_zinf_feed(arca_zinf *zi, const void *in, size_t len,
                           arca_zout_fn out, void *ctx)
{
    const unsigned char *p = in;
    size_t left = len;

    if (!zi->live)
        return zfail(zi, ARCA_EINTERNAL, "inflater not initialised");
    while (left > 0) {
        uInt in_now = cap(left);
        size_t produced;
        int zr;

        if (zi->ended)
            return zfail(zi, ARCA_ECORRUPT, "garbage at end of stream");
        zi->z.next_in = (Bytef *)(uintptr_t)p;
        zi->z.avail_in = in_now;
        /*
         * Inflate until this input is used up: zlib stops early only when
         * the output chunk is full, and then has more to give.
         */
        do {
            zi->z.next_out = zi->buf;
            zi->z.avail_out = ARCA_ZCHUNK;
            zr = inflate(&zi->z, Z_NO_FLUSH);
            switch (zr) {
            case Z_OK:
            case Z_STREAM_END:
                break;
            case Z_BUF_ERROR:
                /* No progress possible: needs more input. */
                break;
            case Z_MEM_ERROR:
                return zfail(zi, ARCA_ENOMEM, "out of memory");
            case Z_NEED_DICT:
                return zfail(zi, ARCA_ECORRUPT,
                             "stream needs a preset dictionary");
            default:
                return zfail(zi, ARCA_ECORRUPT,
                             zi->z.msg ? zi->z.msg : "damaged stream");
            }
            produced = ARCA_ZCHUNK - zi->z.avail_out;
            if (produced > 0) {
                arca_status rc;
                if (produced > zi->max - zi->total_out)
                    return zfail(zi, ARCA_ELIMIT,
                                 "inflated size over the limit");
                zi->total_out += produced;
                rc = out ? out(ctx, zi->buf, produced) : ARCA_OK;
                if (rc)
                    return rc;
            }
            if (zr == Z_STREAM_END)
                zi->ended = 1;
        } while (zi->z.avail_out == 0 && zr == Z_OK);
        {
            size_t used = in_now - zi->z.avail_in;
            zi->total_in += used;
            p += used;
            left -= used;
            if (zi->ended && left > 0)
                return zfail(zi, ARCA_ECORRUPT, "garbage at end of stream");
            if (!zi->ended && used == 0 && zr == Z_BUF_ERROR && left > 0)
                return zfail(zi, ARCA_ECORRUPT, "stream makes no progress");
        }
    }
    return ARCA_OK;
}

arca_status arca_zinf_finish(arca_zinf *zi)
{
    if (!zi->live)
        return zfail(zi, ARCA_EINTERNAL, "inflater not initialised");
    if (!zi->ended)
        return zfail(zi, ARCA_ECORRUPT, "truncated stream");
    return ARCA_OK;
}

void arca_zinf_free(arca_zinf *zi)
{
    if (zi->live)
        inflateEnd(&zi->z);
    zi->live = 0;
    free(zi->buf);
    zi->buf = NULL;
}

/* ---- One-shot inflate ---- */

struct growbuf {
    unsigned char *p;
    size_t len, size;
};

static arca_status grow_append(void *ctx, const void *data, size_t len)
{
    struct growbuf *g = ctx;

    if (len > g->size - g->len) {
        size_t nsize = g->size ? g->size : ARCA_ZCHUNK;
        unsigned char *np;
        while (nsize - g->len < len) {
            if (nsize > SIZE_MAX / 2)
                return ARCA_ENOMEM;
            nsize *= 2;
        }
        np = realloc(g->p, nsize);
        if (np == NULL)
            return ARCA_ENOMEM;
        g->p = np;
        g->size = nsize;
    }
    memcpy(g->p + g->len, data, len);
    g->len += len;
    return ARCA_OK;
}

arca_status arca_zinflate(const void *in, size_t len, size_t max, void **out,
                          size_t *outlen)
{
    arca_status rc;
    arca_zinf zi;
    struct growbuf g = { NULL, 0, 0 };

    *out = NULL;
    *outlen = 0;
    rc = arca_zinf_init(&zi, max);
    if (rc)
        goto out;
    /* Start near the likely size (text compresses about 3:1). */
    if (len > 0 && len <= SIZE_MAX / 4) {
        size_t guess = len * 4 < max ? len * 4 : max;
        if (guess > ARCA_ZCHUNK) {
            g.p = malloc(guess);
            g.size = g.p ? guess : 0;
        }
    }
    rc = arca_zinf_feed(&zi, in, len, grow_append, &g);
    if (rc)
        goto out;
    rc = arca_zinf_finish(&zi);
    if (rc)
        goto out;
    if (g.p == NULL) {
        /* An empty stream still yields a buffer the caller can free(). */
        g.p = malloc(1);
        if (g.p == NULL) {
            rc = ARCA_ENOMEM;
            goto out;
        }
    }
    *out = g.p;
    *outlen = g.len;
    g.p = NULL;
out:
    arca_zinf_free(&zi);
    free(g.p);
    return rc;
}
