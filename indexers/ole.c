/*
 * ole.c: what the readers of OLE2 compound files share (hwp.c for HWP 5,
 * msoffice.c for Word, Excel and PowerPoint 97-2003).
 *
 * libgsf reads the compound file from memory; this file starts it once
 * with its log silenced, checks the directory before libgsf walks it
 * (arca_ole_check), opens children without GLib's warnings and reads
 * whole streams within a limit.  The summary property sets
 * ("\005SummaryInformation", and HWP's "\005HwpSummaryInformation" of the
 * same layout) are parsed here, [MS-OLEPS], every offset checked: libgsf's
 * own reader does not know HWP's format id and dumps it to stdout.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsf/gsf-infile-impl.h>
#include <gsf/gsf.h>

#include "indexer-private.h"
#include "ole-private.h"

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* ---- libgsf ---- */

static pthread_once_t gsf_once = PTHREAD_ONCE_INIT;

static void quiet(const gchar *domain, GLogLevelFlags level,
                  const gchar *message, gpointer data)
{
    (void)domain;
    (void)level;
    (void)message;
    (void)data;
}

/*
 * libgsf's OLE reader reports damaged files on stderr through GLib's log
 * (its own domain, "libgsf:msole"), criticals included; arca reports them
 * through the indexer's status and message instead.
 */
static void gsf_start_once(void)
{
    gsf_init();
    g_log_set_handler("libgsf:msole",
                      G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
                          G_LOG_FLAG_RECURSION, quiet, NULL);
}

void arca_ole_start(void)
{
    pthread_once(&gsf_once, gsf_start_once);
}


/*
 * The child NAME of storage DIR, or NULL.  gsf_infile_child_by_name()
 * would log a warning in GLib's default domain for a damaged child;
 * this asks the class directly and drops the error.
 */
GsfInput *arca_ole_child(GsfInfile *dir, const char *name)
{
    GsfInfileClass *k = GSF_INFILE_CLASS(G_OBJECT_GET_CLASS(dir));
    GError *err = NULL;
    GsfInput *c = NULL;
    if (k->child_by_name != NULL) {
        c = k->child_by_name(dir, name, &err);
    } else {
        int n = gsf_infile_num_children(dir);
        for (int i = 0; i < n && i < 4096; i++) {
            const char *nm = gsf_infile_name_by_index(dir, i);
            if (nm != NULL && strcmp(nm, name) == 0) {
                c = k->child_by_index(dir, i, &err);
                break;
            }
        }
    }
    if (err != NULL) {
        g_error_free(err);
        if (c != NULL)
            g_object_unref(c);
        c = NULL;
    }
    return c;
}

/* ---- The directory, checked ---- */


/*
 * The directory of an OLE2 file, checked before libgsf reads it.  libgsf
 * walks the directory's sibling and child links recursively: it leaks the
 * root's siblings, detects only a link to the entry itself, and recurses
 * as deep as a hostile list of siblings.  Here the links are walked with
 * an explicit stack; a directory where an entry is reached twice, the
 * root has siblings, or the nesting is absurd is refused.  Returns NULL
 * when the directory is sound (or not read here: libgsf then reports what
 * it finds), else the reason.
 */
#define OLE_NOSTREAM 0xFFFFFFFFu
#define OLE_MAX_ENTRIES 65536
#define OLE_MAX_DEPTH 256

struct ole {
    const unsigned char *d;
    size_t n, ss;              /* bytes; sector size */
    size_t nsect;              /* sectors after the header */
};

static const unsigned char *ole_sector(const struct ole *o, uint32_t s)
{
    size_t head = o->ss < 512 ? 512 : o->ss;
    if (s >= o->nsect)
        return NULL;
    return o->d + head + (size_t)s * o->ss;
}

/* The FAT sector holding entry K of the FAT, or OLE_NOSTREAM. */
static uint32_t ole_fat_sector(const struct ole *o, uint32_t k)
{
    size_t per = o->ss / 4 - 1;         /* entries per DIFAT sector */
    uint32_t s;
    if (k < 109)
        return le32(o->d + 0x4C + 4 * k);
    k -= 109;
    s = le32(o->d + 0x44);
    for (size_t hops = 0; hops <= o->nsect; hops++) {
        const unsigned char *p = ole_sector(o, s);
        if (p == NULL)
            return OLE_NOSTREAM;
        if (k < per)
            return le32(p + 4 * k);
        k -= (uint32_t)per;
        s = le32(p + 4 * per);
    }
    return OLE_NOSTREAM;
}

static uint32_t ole_next(const struct ole *o, uint32_t s)
{
    size_t per = o->ss / 4;
    const unsigned char *p = ole_sector(o, ole_fat_sector(o, s / per));
    return p ? le32(p + 4 * (s % per)) : OLE_NOSTREAM;
}

const char *arca_ole_check(const unsigned char *d, size_t n)
{
    static const unsigned char sig[8] = {0xD0, 0xCF, 0x11, 0xE0,
                                         0xA1, 0xB1, 0x1A, 0xE1};
    struct ole o = {d, n, 0, 0};
    uint32_t *dirs = NULL, s;
    size_t ndirs = 0, per, nentries;
    unsigned char *seen = NULL;
    struct { uint32_t e; unsigned depth; } *stack = NULL;
    size_t top = 0;
    const char *why = NULL;
    unsigned shift;

    if (n < 512 || memcmp(d, sig, sizeof sig) != 0)
        return NULL;
    shift = (unsigned)d[0x1E] | (unsigned)d[0x1F] << 8;
    if (shift != 9 && shift != 12)
        return "unusual sector size";
    o.ss = (size_t)1 << shift;
    if (n <= (o.ss < 512 ? 512 : o.ss))
        return NULL;
    o.nsect = (n - (o.ss < 512 ? 512 : o.ss)) / o.ss;
    per = o.ss / 128;
    dirs = malloc(sizeof *dirs * (OLE_MAX_ENTRIES / 4));
    if (dirs == NULL)
        return "out of memory";
    for (s = le32(d + 0x30); ole_sector(&o, s) != NULL; s = ole_next(&o, s)) {
        if (ndirs * per >= OLE_MAX_ENTRIES || ndirs > o.nsect) {
            why = "directory too long or looping";
            goto out;
        }
        dirs[ndirs++] = s;
    }
    nentries = ndirs * per;
    if (nentries == 0)
        goto out;                       /* libgsf says what is wrong */
    seen = calloc(nentries, 1);
    stack = malloc(sizeof *stack * (3 * nentries + 1));   /* 3 per entry */
    if (seen == NULL || stack == NULL) {
        why = "out of memory";
        goto out;
    }
#define ENTRY(e) (ole_sector(&o, dirs[(e) / per]) + 128 * ((e) % per))
    if (le32(ENTRY(0) + 0x44) < nentries || le32(ENTRY(0) + 0x48) < nentries) {
        why = "root entry with siblings";
        goto out;
    }
    stack[top].e = 0;
    stack[top++].depth = 0;
    while (top > 0) {
        uint32_t e = stack[--top].e;
        unsigned depth = stack[top].depth;
        const unsigned char *p;
        if (e >= nentries)
            continue;                   /* libgsf skips it */
        if (seen[e]) {
            why = "directory entry linked twice (a cycle)";
            goto out;
        }
        if (depth > OLE_MAX_DEPTH) {
            why = "directory nested too deep";
            goto out;
        }
        seen[e] = 1;
        p = ENTRY(e);
        if (p[0x42] != 1 && p[0x42] != 2 && p[0x42] != 5)
            continue;                   /* libgsf stops at unknown types */
        uint32_t links[3] = {le32(p + 0x44), le32(p + 0x48),
                             p[0x42] != 2 ? le32(p + 0x4C) : OLE_NOSTREAM};
        for (int i = 0; i < 3; i++) {
            if (links[i] >= nentries)
                continue;
            stack[top].e = links[i];
            stack[top++].depth = depth + 1;
        }
    }
#undef ENTRY
out:
    free(dirs);
    free(seen);
    free(stack);
    return why;
}

arca_status arca_ole_open(const unsigned char *d, size_t n, const char *what,
                          arca_extract *out, GsfInput **src, GsfInfile **ole)
{
    GError *err = NULL;
    const char *why = arca_ole_check(d, n);
    arca_status rc = ARCA_OK;

    *src = NULL;
    *ole = NULL;
    if (why != NULL)
        return arca_extract_fail(out, ARCA_EFORMAT,
                                 "%s: damaged OLE2 directory: %s", what, why);
    arca_ole_start();
    *src = gsf_input_memory_new(d, (gsf_off_t)n, FALSE);
    if (*src == NULL)
        return arca_extract_fail(out, ARCA_ENOMEM, "%s: cannot wrap the bytes",
                                 what);
    *ole = gsf_infile_msole_new(*src, &err);
    if (*ole == NULL)
        rc = arca_extract_fail(out, ARCA_EFORMAT,
                               "%s: not an OLE2 compound file: %s", what,
                               err ? err->message : "unreadable");
    if (err)
        g_error_free(err);
    return rc;
}

arca_status arca_ole_read(GsfInput *s, const char *name, size_t max,
                          const char *what, arca_extract *out,
                          unsigned char **dst, size_t *dlen)
{
    gsf_off_t size = gsf_input_size(s);
    unsigned char *buf;
    if (size < 0 || (uint64_t)size > max)
        return arca_extract_fail(out, ARCA_ELIMIT,
                                 "%s: stream %s has %lld bytes, over the "
                                 "limit of %zu", what, name, (long long)size,
                                 max);
    buf = malloc(size ? (size_t)size : 1);
    if (buf == NULL)
        return arca_extract_fail(out, ARCA_ENOMEM,
                                 "%s: out of memory reading stream %s", what,
                                 name);
    if (size > 0 && gsf_input_read(s, (size_t)size, buf) == NULL) {
        free(buf);
        return arca_extract_fail(out, ARCA_EFORMAT,
                                 "%s: cannot read stream %s", what, name);
    }
    *dst = buf;
    *dlen = (size_t)size;
    return ARCA_OK;
}

/* ---- Summary property sets ---- */

enum { VT_LPSTR = 30, VT_LPWSTR = 31, VT_FILETIME = 64, VT_I2 = 2 };

static const struct {
    uint32_t pid;
    size_t slot;               /* offset in arca_extract, or 0: a field */
    const char *field;
} props[] = {
    {2, offsetof(arca_extract, title), NULL},
    {3, 0, "subject"},
    {4, offsetof(arca_extract, author), NULL},
    {5, offsetof(arca_extract, keywords), NULL},
    {6, offsetof(arca_extract, description), NULL},
    {8, 0, "last-author"},
};

/* A string property at P[0..n) of type VT to UTF-8 in a malloc'd *s. */
static arca_status prop_string(const unsigned char *p, size_t n, uint32_t vt,
                               unsigned codepage, char **s)
{
    char used[64], label[16];
    size_t len, outlen;
    const char *cs;
    *s = NULL;
    if (n < 4)
        return ARCA_OK;
    len = le32(p);
    if (vt == VT_LPWSTR || codepage == 1200) {
        if (vt == VT_LPWSTR)
            len *= 2;
        cs = "UTF-16LE";
    } else if (codepage == 65001) {
        cs = "UTF-8";
    } else {
        snprintf(label, sizeof label, "CP%u", codepage);
        cs = label;
    }
    if (len > n - 4 || len > ARCA_FIELD_MAX)
        return ARCA_OK;
    /* Drop the terminating NUL (one or two bytes) and what follows it. */
    if (strcmp(cs, "UTF-16LE") == 0) {
        size_t k = 0;
        while (k + 1 < len && (p[4 + k] || p[5 + k]))
            k += 2;
        len = k;
    } else {
        len = strnlen((const char *)p + 4, len);
    }
    if (len == 0)
        return ARCA_OK;
    return arca_decode(p + 4, len, cs, s, &outlen, used);
}

/* FILETIME (100 ns since 1601) at P to "YYYY-MM-DD"; 0 if out of range. */
static int prop_date(const unsigned char *p, size_t n, char iso[11])
{
    uint64_t ft;
    struct tm tm;
    time_t t;
    if (n < 8)
        return 0;
    ft = (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
    if (ft < 116444736000000000ULL)     /* before 1970: unset */
        return 0;
    t = (time_t)((ft - 116444736000000000ULL) / 10000000ULL);
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999)
        return 0;
    return snprintf(iso, 11, "%04d-%02d-%02d", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday) == 10;
}

arca_status arca_ole_summary(const unsigned char *p, size_t n,
                             const char *what, arca_extract *out)
{
    size_t sec, size, count;
    unsigned codepage = 0;
    arca_status rc = ARCA_OK;
    char iso[11];

    if (n < 48 || p[0] != 0xFE || p[1] != 0xFF || le32(p + 24) < 1)
        return ARCA_OK;
    sec = le32(p + 44);
    if (sec > n || n - sec < 8)
        return ARCA_OK;
    size = le32(p + sec);
    count = le32(p + sec + 4);
    if (size < 8 || size > n - sec || count > (size - 8) / 8)
        return ARCA_OK;
    p += sec;
    n = size;
    /* The code page (property 1) comes first in practice, not by rule. */
    for (size_t i = 0; i < count; i++) {
        size_t off = le32(p + 8 + 8 * i + 4);
        if (le32(p + 8 + 8 * i) == 1 && off <= n - 6 &&
            (le32(p + off) & 0xFFFF) == VT_I2)
            codepage = (unsigned)p[off + 4] | (unsigned)p[off + 5] << 8;
    }
    for (size_t i = 0; i < count && rc == ARCA_OK; i++) {
        uint32_t pid = le32(p + 8 + 8 * i);
        size_t off = le32(p + 8 + 8 * i + 4);
        uint32_t vt;
        if (off > n - 4)
            continue;
        vt = le32(p + off) & 0xFFFF;
        if (vt == VT_FILETIME && (pid == 12 || pid == 13) &&
            prop_date(p + off + 4, n - off - 4, iso)) {
            /* Creation (12) wins over last save (13). */
            if (out->date == NULL || pid == 12) {
                free(out->date);
                out->date = NULL;
                rc = arca_extract_set(out, &out->date, iso);
            }
            continue;
        }
        if (vt != VT_LPSTR && vt != VT_LPWSTR)
            continue;
        for (size_t k = 0; k < sizeof props / sizeof props[0]; k++) {
            char *s = NULL, **slot;
            if (props[k].pid != pid)
                continue;
            rc = prop_string(p + off + 4, n - off - 4, vt, codepage, &s);
            if (rc == ARCA_OK && s != NULL && *s != '\0') {
                slot = (char **)((char *)out + props[k].slot);
                if (props[k].field)
                    rc = arca_extract_field(out, props[k].field, s);
                else if (*slot == NULL)
                    rc = arca_extract_set(out, slot, s);
            }
            free(s);
            break;
        }
    }
    if (rc != ARCA_OK && out->errmsg[0] == '\0')
        rc = arca_extract_fail(out, rc, "%s: summary information: %s",
                               what, arca_status_str(rc));
    return rc;
}
