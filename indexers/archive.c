/*
 * archive.c: containers (zip, tar and its compressed forms, 7z, cpio,
 * ISO 9660 and what else libarchive reads), read from memory.
 *
 * Each member becomes a child that the core detects and extracts in its
 * turn, as a part of the same record; the container's own text is the
 * list of its members' names.  Nothing is ever written to disk, so a
 * member named "../../evil" is only a name (cleaned for display).
 * Members are bounded one by one (max_member) and all together, in
 * bytes (max_expanded) and in expansion over the container's own size
 * (max_ratio), which is what refuses a zip bomb after a few megabytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "indexer-private.h"

#define DEFAULT_MAX_MEMBER ((uint64_t)64 << 20)
#define DEFAULT_MAX_MEMBERS 10000
#define DEFAULT_MAX_EXPANDED ((uint64_t)256 << 20)
#define DEFAULT_MAX_RATIO 200
/* Below this, expansion is not counted against the ratio. */
#define RATIO_FREE ((uint64_t)1 << 20)
#define CHUNK 65536

typedef struct budget {
    uint64_t max_member, max_members, max_expanded, max_total;
    uint64_t expanded;       /* bytes read from members so far */
} budget;

/* Read the current member into *buf; a refusal goes to NOTE. */
static arca_status read_member(struct archive *a, budget *b,
                               unsigned char **buf, size_t *len,
                               char *note, size_t notelen)
{
    size_t cap = 0, n = 0;
    unsigned char *p = NULL;
    *buf = NULL;
    *len = 0;
    for (;;) {
        if (cap - n < CHUNK) {
            size_t ncap = cap ? cap * 2 : CHUNK;
            unsigned char *q = realloc(p, ncap);
            if (q == NULL) {
                free(p);
                return ARCA_ENOMEM;
            }
            p = q;
            cap = ncap;
        }
        la_ssize_t r = archive_read_data(a, p + n, CHUNK);
        if (r == 0)
            break;
        if (r < 0) {
            snprintf(note, notelen, "unreadable: %s",
                     archive_error_string(a) ? archive_error_string(a)
                                             : "read error");
            free(p);
            return ARCA_OK;
        }
        n += (size_t)r;
        b->expanded += (uint64_t)r;
        if (b->expanded > b->max_expanded || b->expanded > b->max_total) {
            free(p);
            return ARCA_ELIMIT;
        }
        if (n > b->max_member) {
            snprintf(note, notelen, "refused: larger than %llu bytes",
                     (unsigned long long)b->max_member);
            free(p);
            return ARCA_OK;
        }
    }
    *buf = p;
    *len = n;
    return ARCA_OK;
}

/* Hand member NAME to the core and list its (cleaned) name as text. */
static arca_status add_member(arca_extract *out, const char *name,
                              const void *data, size_t len, const char *note)
{
    arca_status rc = arca_extract_child(out, name, data, len, note);
    if (rc == ARCA_OK) {
        const char *clean = out->children[out->nchildren - 1].name;
        arca_extract_append(out, clean, strlen(clean));
        arca_extract_append(out, "\n", 1);
    }
    return rc;
}

arca_status arca_ix_archive(const arca_blob *in, arca_extract *out,
                            const arca_limits *lim)
{
    arca_status rc = ARCA_OK;
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    budget b;
    uint64_t members = 0, refused = 0;
    char note[256];

    if (a == NULL)
        return arca_extract_fail(out, ARCA_ENOMEM, "out of memory");
    b.max_member = lim->max_member ? lim->max_member : DEFAULT_MAX_MEMBER;
    b.max_members = lim->max_members ? lim->max_members
                                     : DEFAULT_MAX_MEMBERS;
    b.max_expanded = lim->max_expanded ? lim->max_expanded
                                       : DEFAULT_MAX_EXPANDED;
    unsigned ratio = lim->max_ratio ? lim->max_ratio : DEFAULT_MAX_RATIO;
    b.max_total = RATIO_FREE + (uint64_t)ratio * in->len;
    b.expanded = 0;

    archive_read_support_filter_all(a);
    /* Formats by name, not all: mtree's bidder reads a text stream (a
     * gzipped log, say) whole into memory before it gives up. */
    archive_read_support_format_zip(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_format_7zip(a);
    archive_read_support_format_cpio(a);
    archive_read_support_format_iso9660(a);
    archive_read_support_format_rar(a);
    archive_read_support_format_rar5(a);
    archive_read_support_format_cab(a);
    archive_read_support_format_ar(a);
    archive_read_support_format_xar(a);
    /* A lone compressed file (notes.txt.gz) is one member, its name
     * that of the file without the compression's extension. */
    archive_read_support_format_raw(a);
    if (archive_read_open_memory(a, in->data, in->len) != ARCHIVE_OK) {
        rc = arca_extract_fail(out, ARCA_EFORMAT, "not a readable archive: %s",
                               archive_error_string(a)
                                   ? archive_error_string(a) : "unknown");
        goto out;
    }
    for (;;) {
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r == ARCHIVE_FATAL) {
            /* What was read before the damage is kept. */
            if (members == 0)
                rc = arca_extract_fail(out, ARCA_EFORMAT, "damaged archive: "
                                       "%s", archive_error_string(a)
                                                 ? archive_error_string(a)
                                                 : "unknown");
            else
                out->truncated = 1;
            break;
        }
        const char *name = archive_entry_pathname_utf8(e);
        if (name == NULL)
            name = archive_entry_pathname(e);
        if (name == NULL)
            name = "unnamed";
        char raw[256];
        if (archive_format(a) == ARCHIVE_FORMAT_RAW) {
            const char *base = in->name ? strrchr(in->name, '/') : NULL;
            base = base ? base + 1 : in->name ? in->name : "data";
            const char *dot = strrchr(base, '.');
            int n = dot && dot != base ? (int)(dot - base)
                                       : (int)strlen(base);
            snprintf(raw, sizeof raw, "%.*s", n < 255 ? n : 255, base);
            name = raw;
        }
        if (archive_entry_filetype(e) != AE_IFREG)
            continue;           /* folders, links, devices: names only */
        if (++members > b.max_members) {
            rc = add_member(out, name, NULL, 0, "refused: more than "
                                    "the member limit");
            out->truncated = 1;
            break;
        }
        if (archive_entry_is_encrypted(e)) {
            refused++;
            rc = add_member(out, name, NULL, 0,
                                    "refused: encrypted member");
            if (rc)
                break;
            continue;
        }
        if (archive_entry_size_is_set(e) &&
            (uint64_t)archive_entry_size(e) > b.max_member) {
            refused++;
            snprintf(note, sizeof note, "refused: %lld bytes, over the limit "
                     "of %llu", (long long)archive_entry_size(e),
                     (unsigned long long)b.max_member);
            rc = add_member(out, name, NULL, 0, note);
            if (rc)
                break;
            continue;
        }
        unsigned char *data = NULL;
        size_t len = 0;
        note[0] = '\0';
        rc = read_member(a, &b, &data, &len, note, sizeof note);
        if (rc == ARCA_ELIMIT) {
            snprintf(note, sizeof note, "refused: the archive expands past "
                     "%llu bytes (%u times its size): a decompression bomb?",
                     (unsigned long long)(b.max_total < b.max_expanded
                                              ? b.max_total
                                              : b.max_expanded),
                     ratio);
            /* The members before it stay; the rest are not read. */
            refused++;
            rc = add_member(out, name, NULL, 0, note);
            break;
        }
        if (rc)
            break;
        if (note[0])
            refused++;
        rc = add_member(out, name, data, len, note[0] ? note : NULL);
        free(data);
        if (rc)
            break;
    }
    if (rc == ARCA_OK && refused) {
        snprintf(note, sizeof note, "%llu", (unsigned long long)refused);
        arca_extract_field(out, "refused_members", note);
    }
out:
    archive_read_free(a);
    return rc;
}
