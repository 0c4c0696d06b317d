/*
 * ingest.c: imports and added records.
 *
 * An import walks the paths it is given in the caller's thread, which is
 * also the one writer: it owns the catalog's transaction and the index.
 * Extraction threads take files from a bounded queue, detect, decode and
 * extract them, store their originals and texts as objects, build the
 * index documents, and hand the result back.  Every batch the writer
 * makes the objects durable, commits the catalog, then the index, and
 * only then reports the batch's files: what is reported is never lost.
 *
 *   walk ──> [jobs] ──> extract ×N ──> [results] ──> catalog + index
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "arca-private.h"
#include "manifest.h"

#define DEFAULT_MAX_FILE ((uint64_t)256 << 20)
#define DEFAULT_BATCH 500
#define MAX_SIDECAR ((uint64_t)1 << 20)
#define MAX_WALK_DEPTH 64
#define MAX_ID 128
#define SIDECAR_SUFFIX ".meta.json"
/* The ledger row of the fields a file was given by its path and the
 * manifest: this prefix and its canonical path (never an absolute path). */
#define GIVEN_PREFIX "fields:"
/* Components of a --fields-from-path pattern, and its "**"s. */
#define MAX_PATTERN 32
#define MAX_DEEP 2

/* ---- A file's way through the pipeline ---- */

typedef struct part_out {
    char mime[128];
    char charset[64];
    arca_extract x;
    arca_hex orig, text;
    uint64_t size, text_size, orig_z, text_z;
    void *orig_zdata, *text_zdata;  /* deflated, for the writer to pack */
    int has_text;
    int loose;               /* archived already, by streaming */
    char *meta;              /* JSON of extracted fields */
} part_out;

/* A part found inside the file: a container's member, an attachment. */
typedef struct kid {
    char *name;              /* its path inside the file */
    char *note;              /* why it was refused or not read, or NULL */
    char lang[8];            /* its language, when not the record's */
    part_out po;
} kid;

typedef struct job {
    struct job *next;
    char *path;              /* as given, joined with the path below it */
    char *real;              /* canonical: the ledger's key */
    char *side;              /* sidecar path, or NULL */
    char *side_real;
    struct stat st, side_st;
    /* Results, filled by an extraction thread. */
    arca_status rc;
    char err[512];
    char warn[256];
    part_out part;
    struct kid *kids;        /* members and attachments, parts 1.. */
    size_t nkids;
    arca_cat_record rec;     /* strings owned by the fields below */
    char id[MAX_ID + 1];
    char date[11];
    char *title, *author, *board, *lang, *tags, *extra, *source;
    int weak_date;           /* the date came from the path's YEAR */
    /* Fields given from outside the file: by its path, by the manifest's
     * row (named by given_src, "manifest.csv:12"); NULL when none. */
    json_t *given_path, *given_man;
    char *given_src;
    int64_t given_size, given_hash;  /* their stamp in the ledger */
    int given_prev;          /* the ledger has a stamp for the file */
    int given_same;          /* ... and it is this one */
    struct timespec t0;      /* when a worker took it, or the walk saw it */
    arca_xdoc **docs;
    /* A file of several records (an mailbox): each its own job, while
     * this one only archives the file and answers for it in the ledger. */
    struct job *subs;
    size_t nsubs;
    /* A folder imported as one record: PATH is the folder, BODY the file
     * (below it) whose text is the record's body, FILES the others, its
     * attachments; FOLDER_FIELDS what on_folder gave, or NULL. */
    int is_folder;
    char *body;
    char **files;
    size_t nfiles;
    json_t *folder_fields;
} job;

/* Outcomes waiting for their batch to commit. */
typedef struct pending {
    char *path, *id, *mime, *charset, *error, *warning;
    arca_outcome outcome;
    uint64_t bytes;
    size_t records;
    struct timespec t0;
} pending;

/* A --fields-from-path pattern, compiled. */
typedef enum pat_kind { PAT_LITERAL, PAT_ANY, PAT_DEEP, PAT_FIELD } pat_kind;
typedef struct pat_comp {
    pat_kind kind;
    char *text;              /* the literal, or the field's name */
} pat_comp;
typedef struct pattern {
    pat_comp c[MAX_PATTERN];
    size_t n;
} pattern;

typedef struct importer {
    arca_db *db;
    const arca_import_opts *opts;
    arca_limits lim;
    uint64_t max_file;
    unsigned batch;
    int64_t run;
    char config_path[PATH_MAX];
    int hooks;               /* config.lua has import hooks */
    char collection_real[PATH_MAX];
    arca_import_summary sum;
    struct timespec t0;
    arca_manifest *man;      /* opts->manifest, read; or NULL */
    pattern pat;             /* opts->fields_from_path, compiled */
    arca_hooks *walk_hooks;  /* config.lua's, when it has on_folder */
    const char *root;        /* the PATH being walked */
    int counting;            /* the walk only counts (count_first) */
    struct timespec count_t0;

    /* Queues. */
    pthread_mutex_t mu;
    pthread_cond_t has_job, has_result;
    job *jobs, *jobs_tail, *results, *results_tail;
    unsigned inflight, max_inflight;
    int closing;
    pthread_t *threads;
    int nthreads;

    /* The open batch. */
    arca_packw *pack;        /* its objects, opened at the first one */
    pending *pend;
    size_t npend, cappend;
    unsigned in_batch;
    unsigned docs_in_batch;  /* index documents changed in the batch */
    arca_status fatal;
} importer;

static void job_clear(job *j)
{
    free(j->path);
    free(j->real);
    free(j->side);
    free(j->side_real);
    arca_extract_free(&j->part.x);
    free(j->part.meta);
    free(j->part.orig_zdata);
    free(j->part.text_zdata);
    free(j->title);
    free(j->author);
    free(j->board);
    free(j->lang);
    free(j->tags);
    free(j->extra);
    free(j->source);
    json_decref(j->given_path);
    json_decref(j->given_man);
    free(j->given_src);
    for (size_t i = 0; i < j->nkids; i++) {
        free(j->kids[i].name);
        free(j->kids[i].note);
        arca_extract_free(&j->kids[i].po.x);
        free(j->kids[i].po.meta);
        free(j->kids[i].po.orig_zdata);
        free(j->kids[i].po.text_zdata);
    }
    free(j->kids);
    arca_docs_free(j->docs, j->rec.nparts);
    free(j->rec.parts);
    for (size_t i = 0; i < j->nsubs; i++)
        job_clear(&j->subs[i]);
    free(j->subs);
    free(j->body);
    for (size_t i = 0; i < j->nfiles; i++)
        free(j->files[i]);
    free(j->files);
    json_decref(j->folder_fields);
}

static void job_free(job *j)
{
    if (j == NULL)
        return;
    job_clear(j);
    free(j);
}

static double elapsed(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) +
           (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The name J's content is detected by: its file's, or its body's. */
static const char *job_name(const job *j)
{
    return base_name(j->body ? j->body : j->path);
}

/* ---- Extraction: detect, decode, extract one part ---- */

/*
 * Turn DATA (named NAME) into a part: its type, its text and fields.
 * A type without an indexer is kept with no text and a warning; an
 * indexer's failure is an error.
 */
static arca_status extract_part(arca_detector *det, const char *name,
                                const void *data, size_t len,
                                const arca_limits *lim, part_out *po,
                                char *err, size_t errlen, char *warn,
                                size_t warnlen)
{
    arca_status rc;
    arca_extract_init(&po->x, lim->max_text);
    po->size = len;
    rc = arca_detect(det, data, len, name, po->mime, po->charset);
    if (rc) {
        snprintf(err, errlen, "cannot detect its type: %s",
                 arca_status_str(rc));
        return rc;
    }
    if (len == 0) {
        snprintf(err, errlen, "empty file (0 bytes)");
        return ARCA_EFORMAT;
    }
    const struct arca_indexer *ix = arca_indexer_find(po->mime);
    if (ix == NULL) {
        snprintf(warn, warnlen, "%s has no text extractor yet: the "
                 "original is archived and found by its name and fields",
                 po->mime);
        return ARCA_OK;
    }
    arca_blob blob = {data, len, name, po->mime,
                      po->charset[0] ? po->charset : NULL};
    rc = ix->fn(&blob, &po->x, lim);
    if (rc) {
        snprintf(err, errlen, "%s: %s", ix->name,
                 po->x.errmsg[0] ? po->x.errmsg : arca_status_str(rc));
        return rc;
    }
    /* One form for the text and its fields, whatever wrote them. */
    if (arca_norm_inplace(&po->x.text, &po->x.len) == ARCA_OK)
        po->x.cap = po->x.len + 1;
    arca_norm_inplace(&po->x.title, NULL);
    arca_norm_inplace(&po->x.author, NULL);
    arca_norm_inplace(&po->x.description, NULL);
    arca_norm_inplace(&po->x.keywords, NULL);
    po->has_text = po->x.len > 0;
    if (po->x.charset && strcmp(po->x.charset, "UTF-8") == 0 &&
        !arca_utf8_valid(data, len))
        snprintf(warn, warnlen, "invalid UTF-8 sequences were replaced by "
                 "U+FFFD");
    if (po->x.charset)
        snprintf(po->charset, sizeof po->charset, "%s", po->x.charset);
    else if (!po->has_text)
        po->charset[0] = '\0';
    if (po->x.truncated)
        snprintf(warn, warnlen, "text cut at the limit (%zu bytes, or "
                 "nesting deeper than %u)", lim->max_text, lim->max_depth);

    /* A name that says one type over content of another is worth a word. */
    const char *dot = name ? strrchr(name, '.') : NULL;
    static const struct { const char *ext, *family; } named[] = {
        {".docx", "application/"}, {".pdf", "application/pdf"},
        {".zip", "application/"}, {".hwp", "application/"},
        {".xlsx", "application/"}, {".pptx", "application/"},
    };
    for (size_t i = 0; dot && !warn[0] && i < sizeof named / sizeof *named;
         i++)
        if (strcasecmp(dot, named[i].ext) == 0 &&
            strncmp(po->mime, named[i].family, strlen(named[i].family)) != 0)
            snprintf(warn, warnlen, "named %s but its content is %.100s: "
                     "indexed as such", named[i].ext, po->mime);

    json_t *meta = json_object();
    if (po->x.description)
        json_object_set_new(meta, "description",
                            json_string(po->x.description));
    if (po->x.keywords)
        json_object_set_new(meta, "keywords", json_string(po->x.keywords));
    for (size_t i = 0; i < po->x.nfields; i++)
        json_object_set_new(meta, po->x.fields[i].name,
                            json_string(po->x.fields[i].value));
    if (json_object_size(meta) > 0)
        po->meta = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(meta);
    return ARCA_OK;
}

/*
 * Deflate the part's original and text for the writer, which packs them
 * (extraction threads).
 */
static arca_status prepare_part(const void *data, size_t len, part_out *po,
                                char *err, size_t errlen)
{
    size_t zlen = 0;
    arca_status rc = arca_objects_deflate(data, len, po->orig,
                                          &po->orig_zdata, &zlen);
    po->orig_z = zlen;
    po->text_size = po->x.len;
    if (rc == ARCA_OK && po->has_text) {
        rc = arca_objects_deflate(po->x.text, po->x.len, po->text,
                                  &po->text_zdata, &zlen);
        po->text_z = zlen;
    }
    if (rc)
        snprintf(err, errlen, "cannot archive: %s", arca_objects_errmsg());
    return rc;
}

/* Archive the part's original and text as loose objects. */
static arca_status store_part(arca_objects *os, const void *data, size_t len,
                              part_out *po, char *err, size_t errlen)
{
    int existed;
    arca_status rc = arca_objects_put(os, data, len, po->orig, &existed,
                                      &po->orig_z);
    po->text_size = po->x.len;
    if (rc == ARCA_OK && po->has_text)
        rc = arca_objects_put(os, po->x.text, po->x.len, po->text, &existed,
                              &po->text_z);
    if (rc)
        snprintf(err, errlen, "cannot archive: %s", arca_objects_errmsg());
    return rc;
}

/* ---- Record fields ---- */

static char *lang_primary(const char *tag)
{
    if (tag == NULL || tag[0] == '\0')
        return NULL;
    char buf[16];
    size_t n = 0;
    while (tag[n] && tag[n] != '-' && tag[n] != '_' && n + 1 < sizeof buf) {
        char c = tag[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return NULL;        /* a primary tag is 2 or 3 letters */
        buf[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    buf[n] = '\0';
    return n >= 2 && n <= 3 ? strdup(buf) : NULL;
}

static int id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > MAX_ID || strchr(id, '/') != NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
            return 0;
    return arca_utf8_valid(id, n);
}

/* "slug-0123456789": readable, and unique through the hash of KEY. */
static void make_id(const char *name, const char *key, char id[MAX_ID + 1])
{
    char slug[64];
    arca_hex h;
    arca_sha256_hex(key, strlen(key), h);
    arca_slug(name, slug, sizeof slug);
    if (slug[0])
        snprintf(id, MAX_ID + 1, "%s-%.10s", slug, h);
    else
        snprintf(id, MAX_ID + 1, "r-%.16s", h);
}

static char *json_str_dup(json_t *v)
{
    if (json_is_string(v))
        return json_string_value(v)[0] ? strdup(json_string_value(v)) : NULL;
    if (json_is_integer(v)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return strdup(buf);
    }
    return NULL;
}

/*
 * The fields of the JSON object O, from SRC (a sidecar, a manifest's
 * line, the path), into job J's: each one given replaces J's, unknown
 * keys become extra fields.  A sidecar, a manifest row and the path's
 * fields all come this way, so that they mean the same.  WEAK: a date
 * given here gives way to one in the content (the path's YEAR).
 */
static arca_status apply_fields(job *j, json_t *o, const char *src,
                                json_t *extra, int weak)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        char **slot = NULL;
        if (strcmp(key, "title") == 0)
            slot = &j->title;
        else if (strcmp(key, "author") == 0)
            slot = &j->author;
        else if (strcmp(key, "board") == 0)
            slot = &j->board;
        else if (strcmp(key, "source") == 0)
            slot = &j->source;
        if (slot) {
            free(*slot);
            *slot = json_str_dup(v);
        } else if (strcmp(key, "lang") == 0) {
            free(j->lang);
            j->lang = lang_primary(json_string_value(v));
        } else if (strcmp(key, "date") == 0 || strcmp(key, "year") == 0) {
            char *s = json_str_dup(v), date[11];
            if (s == NULL || arca_date_norm(s, date) != 0) {
                snprintf(j->warn, sizeof j->warn, "%s: '%s' is not a date "
                         "(YYYY, YYYY-MM or YYYY-MM-DD): ignored", src, key);
            } else {
                memcpy(j->date, date, sizeof date);
                j->weak_date = weak;
            }
            free(s);
        } else if (strcmp(key, "id") == 0) {
            const char *id = json_string_value(v);
            if (id == NULL || !id_valid(id)) {
                snprintf(j->err, sizeof j->err, "%s: 'id' must be a string "
                         "of 1 to %d bytes without '/'", src, MAX_ID);
                return ARCA_EINVAL;
            }
            snprintf(j->id, sizeof j->id, "%s", id);
        } else if (j->is_folder && strcmp(key, "body") == 0) {
            continue;           /* the walk has chosen the body by it */
        } else if (strcmp(key, "tags") == 0) {
            json_t *tags = json_array();
            if (json_is_array(v)) {
                size_t i;
                json_t *t;
                json_array_foreach(v, i, t) {
                    if (json_is_string(t))
                        json_array_append(tags, t);
                }
            } else if (json_is_string(v)) {
                char *s = strdup(json_string_value(v)), *save = NULL;
                for (char *t = strtok_r(s, ",", &save); t;
                     t = strtok_r(NULL, ",", &save)) {
                    while (*t == ' ')
                        t++;
                    if (*t)
                        json_array_append_new(tags, json_string(t));
                }
                free(s);
            }
            free(j->tags);
            j->tags = json_dumps(tags, JSON_COMPACT);
            json_decref(tags);
        } else {
            json_object_set(extra, key, v);
        }
    }
    return ARCA_OK;
}

/*
 * The sidecar bytes DATA[0..LEN), named SRC, into job J's fields.  A
 * malformed sidecar fails the file: its fields were meant.
 */
static arca_status parse_sidecar(job *j, const char *src, const char *data,
                                 size_t len, json_t *extra)
{
    json_error_t jerr;
    arca_status rc;
    json_t *o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(o)) {
        if (o == NULL)
            snprintf(j->err, sizeof j->err, "%s: line %d: %s", src,
                     jerr.line, jerr.text);
        else
            snprintf(j->err, sizeof j->err, "%s: not a JSON object", src);
        rc = ARCA_EFORMAT;
    } else {
        rc = apply_fields(j, o, src, extra, 0);
    }
    json_decref(o);
    return rc;
}

/* Read the sidecar of job J into its fields. */
static arca_status read_sidecar(job *j, json_t *extra)
{
    char *data = NULL;
    size_t len;
    arca_status rc = arca_read_file(j->side, MAX_SIDECAR, &data, &len,
                                    j->err, sizeof j->err);
    if (rc)
        return rc;
    rc = parse_sidecar(j, j->side, data, len, extra);
    free(data);
    return rc;
}

/* The fields neither the sidecar nor a hook gave: from the part and the
 * file's name. */
static void fill_defaults(job *j)
{
    part_out *po = &j->part;
    if (j->id[0] == '\0') {
        /* The name without its extension: "report-0123456789". */
        char stem[256];
        const char *b = base_name(j->path), *dot = strrchr(b, '.');
        size_t n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
        snprintf(stem, sizeof stem, "%.*s", (int)(n < 255 ? n : 255), b);
        make_id(stem, j->real, j->id);
    }
    if (j->title == NULL)
        j->title = arca_strdup(po->x.title ? po->x.title : base_name(j->path));
    char date[11];
    if (po->x.date && arca_date_norm(po->x.date, date) == 0 &&
        (j->date[0] == '\0' ||
         (j->weak_date && strncmp(date, j->date, strlen(j->date)) == 0)))
        memcpy(j->date, date, sizeof date);   /* more exact, same year */
    if (j->author == NULL)
        j->author = arca_strdup(po->x.author);
    if (j->lang == NULL)
        j->lang = lang_primary(po->x.lang);
    if (j->lang == NULL)
        j->lang = arca_strdup(arca_detect_lang(po->x.text, po->x.len));
    if (j->source == NULL)
        j->source = strdup(j->path);
}

/* J's fields from outside the file, in the form its text is in, and
 * EXTRA as its JSON. */
static void settle_fields(job *j, json_t *extra)
{
    arca_norm_inplace(&j->title, NULL);
    arca_norm_inplace(&j->author, NULL);
    arca_norm_inplace(&j->board, NULL);
    free(j->extra);
    j->extra = NULL;
    if (json_object_size(extra) > 0)
        j->extra = json_dumps(extra, JSON_COMPACT | JSON_SORT_KEYS);
}

arca_status arca_sidecar_fields(const char *src, const char *data, size_t len,
                                arca_cat_record **out, char *err,
                                size_t errlen, char *warn, size_t warnlen)
{
    arca_status rc = ARCA_ENOMEM;
    job *j = calloc(1, sizeof *j);
    json_t *extra = json_object();
    arca_cat_record *r = calloc(1, sizeof *r);

    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (warn && warnlen)
        warn[0] = '\0';
    if (j == NULL || extra == NULL || r == NULL)
        goto out;
    rc = parse_sidecar(j, src, data, len, extra);
    if (rc)
        goto out;
    settle_fields(j, extra);
    const char **to[] = {&r->title, &r->author, &r->board, &r->lang,
                         &r->source, &r->tags, &r->extra};
    char **from[] = {&j->title, &j->author, &j->board, &j->lang,
                     &j->source, &j->tags, &j->extra};
    for (size_t i = 0; i < sizeof to / sizeof to[0]; i++) {
        *to[i] = *from[i];
        *from[i] = NULL;
    }
    r->id = j->id[0] ? strdup(j->id) : NULL;
    r->date = j->date[0] ? strdup(j->date) : NULL;
    if ((j->id[0] && r->id == NULL) || (j->date[0] && r->date == NULL)) {
        rc = ARCA_ENOMEM;
        goto out;
    }
    *out = r;
    r = NULL;
out:
    if (err && errlen)
        snprintf(err, errlen, "%s", rc == ARCA_ENOMEM ? "out of memory"
                                                      : j->err);
    if (warn && warnlen && j)
        snprintf(warn, warnlen, "%s", j->warn);
    arca_cat_record_free(r);
    json_decref(extra);
    job_free(j);
    return rc;
}

/* Fill J->rec from J's fields, EXTRA and the parts. */
static arca_status build_record(job *j, json_t *extra)
{
    part_out *po = &j->part;
    /* Fields from outside the file, in the form its text is in. */
    settle_fields(j, extra);

    j->rec.parts = calloc(1 + j->nkids, sizeof *j->rec.parts);
    if (j->rec.parts == NULL)
        return ARCA_ENOMEM;
    j->rec.nparts = 1 + j->nkids;
    j->rec.id = j->id;
    j->rec.title = j->title;
    j->rec.date = j->date[0] ? j->date : NULL;
    j->rec.author = j->author;
    j->rec.board = j->board;
    j->rec.lang = j->lang;
    j->rec.source = j->source;
    j->rec.tags = j->tags;
    j->rec.extra = j->extra;
    arca_cat_part *p = &j->rec.parts[0];
    p->seq = 0;
    p->name = j->body;
    p->mime = po->mime;
    p->charset = po->charset[0] ? po->charset : NULL;
    p->lang = NULL;
    p->original = po->orig;
    p->text = po->has_text ? po->text : NULL;
    p->size = (int64_t)po->size;
    p->note = po->x.truncated ? "text truncated"
              : po->loose ? "not read for its text: over the extraction "
                            "limit (--max-file-size)"
                          : NULL;
    p->meta = po->meta;
    for (size_t i = 0; i < j->nkids; i++) {
        kid *k = &j->kids[i];
        p = &j->rec.parts[1 + i];
        p->seq = (int)(1 + i);
        p->name = k->name;
        /* An attachment in another language is indexed in its own. */
        const char *kl = k->po.has_text ? arca_detect_lang(k->po.x.text,
                                                           k->po.x.len)
                                        : NULL;
        if (kl && (j->lang == NULL || strcmp(kl, j->lang) != 0)) {
            snprintf(k->lang, sizeof k->lang, "%s", kl);
            p->lang = k->lang;
        }
        p->mime = k->po.mime[0] ? k->po.mime : NULL;
        p->charset = k->po.charset[0] ? k->po.charset : NULL;
        p->original = k->po.orig[0] ? k->po.orig : NULL;
        p->text = k->po.has_text ? k->po.text : NULL;
        p->size = (int64_t)k->po.size;
        p->note = k->note ? k->note
                          : k->po.x.truncated ? "text truncated" : NULL;
        p->meta = k->po.meta;
    }
    return ARCA_OK;
}

/* Members taken from one file, however deeply nested. */
#define MAX_KIDS 10000
/* Containers inside containers, counting the file itself as 0. */
#define MAX_NESTING 5

/* Take the children out of X: the caller owns them then. */
static arca_child *take_children(arca_extract *x, size_t *n)
{
    arca_child *c = x->children;
    *n = x->nchildren;
    x->children = NULL;
    x->nchildren = 0;
    return c;
}

static void free_children(arca_child *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].name);
        free(c[i].data);
        free(c[i].note);
    }
    free(c);
}

/* A new part of J, zeroed; NULL past the limit (J's warning says so). */
static kid *new_kid(job *j)
{
    if (j->nkids >= MAX_KIDS) {
        snprintf(j->warn, sizeof j->warn, "more than %d members: the rest "
                 "were not taken", MAX_KIDS);
        return NULL;
    }
    kid *ks = realloc(j->kids, (j->nkids + 1) * sizeof *ks);
    if (ks == NULL)
        return NULL;
    j->kids = ks;
    kid *k = &j->kids[j->nkids++];
    memset(k, 0, sizeof *k);
    return k;
}

/*
 * The N children CS (owned by the caller) become parts of J, named by
 * their path inside the file (PREFIX/NAME), each detected, extracted and
 * archived in its turn, and their own children after them, DEPTH levels
 * down.  A member that cannot be read is kept with a note, never fatal.
 */
static arca_status expand_children(importer *im, arca_detector *det, job *j,
                                   arca_child *cs, size_t n,
                                   const char *prefix, unsigned depth)
{
    arca_status rc = ARCA_OK;
    for (size_t i = 0; i < n && rc == ARCA_OK; i++) {
        arca_child *c = &cs[i];
        kid *k = new_kid(j);
        if (k == NULL) {
            if (j->nkids >= MAX_KIDS)
                break;
            return ARCA_ENOMEM;
        }
        arca_str name = {0};
        if (prefix[0]) {
            arca_str_addz(&name, prefix);
            arca_str_add(&name, "/", 1);
        }
        arca_str_addz(&name, c->name);
        if (name.s == NULL)
            return ARCA_ENOMEM;
        k->name = name.s;
        char err[256] = "", warn[256] = "";
        arca_child *grand = NULL;
        size_t ngrand = 0;
        if (c->data == NULL) {
            k->note = strdup(c->note ? c->note : "refused");
        } else if (depth > MAX_NESTING) {
            k->note = strdup("refused: nested deeper than 5 containers");
        } else {
            rc = extract_part(det, base_name(k->name), c->data, c->len,
                              &im->lim, &k->po, err, sizeof err, warn,
                              sizeof warn);
            if (rc == ARCA_ENOMEM) {
                /* Not the member's fault: the file fails, so that the
                 * next import reads it again whole. */
                snprintf(j->err, sizeof j->err, "%s: %s", k->name, err);
                return rc;
            }
            if (rc) {
                /* Kept whole, without text, with the reason. */
                k->note = strdup(err);
                arca_extract_free(&k->po.x);
                k->po.has_text = 0;
                free(k->po.meta);
                k->po.meta = NULL;
                rc = ARCA_OK;
            } else if (warn[0]) {
                k->note = strdup(warn);
            } else if (c->note) {
                k->note = strdup(c->note);   /* an unsafe name, say */
            }
            if (!im->opts->dry_run)
                rc = prepare_part(c->data, c->len, &k->po, err, sizeof err);
            else
                arca_sha256_hex(c->data, c->len, k->po.orig);
            free(c->data);
            c->data = NULL;
            if (rc) {
                snprintf(j->err, sizeof j->err, "%s: %s", k->name, err);
                return rc;
            }
            grand = take_children(&k->po.x, &ngrand);
        }
        if (k->note && !j->warn[0])
            snprintf(j->warn, sizeof j->warn, "%.100s: %.140s", k->name,
                     k->note);
        if (ngrand > 0) {
            /* Its own members, under its name (K may move meanwhile). */
            char *pre = strdup(k->name);
            rc = pre ? expand_children(im, det, j, grand, ngrand, pre,
                                       depth + 1)
                     : ARCA_ENOMEM;
            free(pre);
        }
        free_children(grand, ngrand);
    }
    return rc;
}

/* ---- Import hooks (config.lua) ---- */

/* The original's bytes are given to hooks for text types up to this. */
#define HOOK_RAW_MAX ((size_t)16 << 20)

static char *take(char **p)
{
    char *s = *p;
    *p = NULL;
    return s;
}

/* J's fields as a hook sees them. */
static void hook_doc(const job *j, json_t *extra, arca_hook_doc *d)
{
    memset(d, 0, sizeof *d);
    d->name = base_name(j->path);
    d->path = j->path;
    d->mime = j->part.mime;
    d->id = j->id[0] ? j->id : NULL;
    d->text = j->part.x.text;
    d->len = j->part.x.len;
    d->title = arca_strdup(j->title ? j->title : j->part.x.title);
    d->author = arca_strdup(j->author ? j->author : j->part.x.author);
    d->date = arca_strdup(j->date[0] ? j->date : j->part.x.date);
    d->board = arca_strdup(j->board);
    d->lang = arca_strdup(j->lang ? j->lang : j->part.x.lang);
    d->tags = j->tags ? json_loads(j->tags, 0, NULL) : NULL;
    d->fields = json_deep_copy(extra);
}

/* What the hook left in D becomes J's; D is emptied. */
static arca_status hook_back(job *j, json_t *extra, arca_hook_doc *d,
                             const char *name)
{
    arca_status rc = ARCA_OK;
    free(j->title);
    j->title = take(&d->title);
    free(j->author);
    j->author = take(&d->author);
    free(j->board);
    j->board = take(&d->board);
    free(j->lang);
    j->lang = lang_primary(d->lang);
    j->date[0] = '\0';
    if (d->date && d->date[0] && arca_date_norm(d->date, j->date) != 0) {
        j->date[0] = '\0';
        snprintf(j->err, sizeof j->err, "%s: date \"%.100s\" is not a "
                 "date (YYYY-MM-DD, YYYY.MM.DD, YYYY/MM/DD, YYYY-MM or "
                 "YYYY)", name, d->date);
        rc = ARCA_EINVAL;
    }
    free(j->tags);
    j->tags = json_array_size(d->tags) > 0
                  ? json_dumps(d->tags, JSON_COMPACT) : NULL;
    json_object_clear(extra);
    json_object_update(extra, d->fields);
    free(d->date);
    free(d->lang);
    json_decref(d->tags);
    json_decref(d->fields);
    memset(d, 0, sizeof *d);
    return rc;
}

/* Run HOOK (on_extract or on_record) over J; its error fails J. */
static arca_status run_hook(arca_hooks *h, job *j, json_t *extra,
                            const char *data, size_t len, int record)
{
    arca_hook_doc d;
    char err[400];
    hook_doc(j, extra, &d);
    const char *m = j->part.mime;
    if (!record && len <= HOOK_RAW_MAX &&
        (strncmp(m, "text/", 5) == 0 || strstr(m, "xml") ||
         strstr(m, "json"))) {
        d.raw = data;
        d.rawlen = len;
    }
    arca_status rc = record ? arca_hooks_record(h, &d, err, sizeof err)
                            : arca_hooks_extract(h, &d, err, sizeof err);
    if (rc) {
        snprintf(j->err, sizeof j->err, "%s", err);
        free(d.title);
        free(d.author);
        free(d.date);
        free(d.board);
        free(d.lang);
        json_decref(d.tags);
        json_decref(d.fields);
        return rc;
    }
    return hook_back(j, extra, &d, record ? "on_record" : "on_extract");
}

/* ---- Files above the extraction limit ---- */

/* The first bytes of a large file, which its type is detected from. */
#define HEAD_BYTES ((size_t)64 << 10)

/*
 * PATH (named NAME), larger than the extraction limit, into PO without
 * reading it whole: its type from its first bytes, its bytes archived by
 * streaming (not in a dry run), no text, and WARN saying why.
 */
static arca_status stream_part(importer *im, arca_detector *det,
                               const char *path, const char *name,
                               part_out *po, char *err, size_t errlen,
                               char *warn, size_t warnlen)
{
    arca_status rc = ARCA_OK;
    struct stat st;
    size_t n = 0;
    unsigned char *head = malloc(HEAD_BYTES);
    arca_extract_init(&po->x, im->lim.max_text);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (head == NULL || fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", name,
                 head ? strerror(errno) : "out of memory");
        rc = head ? ARCA_EIO : ARCA_ENOMEM;
        goto out;
    }
    if (arca_read_full(fd, head, HEAD_BYTES, &n) < 0) {
        snprintf(err, errlen, "%s: read error: %s", name, strerror(errno));
        rc = ARCA_EIO;
        goto out;
    }
    po->size = (uint64_t)st.st_size;
    rc = arca_detect(det, head, n, name, po->mime, po->charset);
    po->charset[0] = '\0';
    if (rc) {
        snprintf(err, errlen, "cannot detect its type: %s",
                 arca_status_str(rc));
        goto out;
    }
    if (!im->opts->dry_run) {
        /* A file that grows while it is read is taken up to a bound. */
        uint64_t max = (uint64_t)st.st_size + ((uint64_t)1 << 30);
        if (lseek(fd, 0, SEEK_SET) < 0) {
            snprintf(err, errlen, "%s: cannot seek: %s", name,
                     strerror(errno));
            rc = ARCA_EIO;
            goto out;
        }
        rc = arca_objects_put_fd(im->db->objects, fd, max, po->orig,
                                 &po->size, NULL, &po->orig_z);
        if (rc) {
            snprintf(err, errlen, "cannot archive: %s",
                     arca_objects_errmsg());
            goto out;
        }
        po->loose = 1;
    }
    snprintf(warn, warnlen, "not read for its text: %llu bytes is over the "
             "extraction limit of %llu (--max-file-size); the original is "
             "archived whole", (unsigned long long)po->size,
             (unsigned long long)im->max_file);
out:
    if (fd >= 0)
        close(fd);
    free(head);
    return rc;
}

/* An attachment of a folder record above the extraction limit. */
static arca_status big_kid(importer *im, arca_detector *det, job *j,
                           const char *path, const char *name)
{
    char err[300] = "", warn[256] = "";
    kid *k = new_kid(j);
    if (k == NULL)
        return j->nkids >= MAX_KIDS ? ARCA_OK : ARCA_ENOMEM;
    if ((k->name = strdup(name)) == NULL)
        return ARCA_ENOMEM;
    arca_status rc = stream_part(im, det, path, name, &k->po, err,
                                 sizeof err, warn, sizeof warn);
    k->note = strdup(rc ? err : warn);
    if (rc == ARCA_ENOMEM)
        return rc;
    if (!j->warn[0])
        snprintf(j->warn, sizeof j->warn, "%.100s: %.140s", name,
                 rc ? err : warn);
    return ARCA_OK;
}

/*
 * The files of J's folder, but its body, become its parts in name order,
 * each read when its turn comes.  One that cannot be read is kept as a
 * part with the reason, as a damaged member of a zip is.
 */
static arca_status expand_folder(importer *im, arca_detector *det, job *j)
{
    arca_status rc = ARCA_OK;
    for (size_t i = 0; i < j->nfiles && rc == ARCA_OK; i++) {
        char path[PATH_MAX], err[300] = "";
        char *data = NULL;
        size_t len = 0;
        arca_child c = {j->files[i], NULL, 0, NULL};
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", j->path, j->files[i]) >=
            (int)sizeof path)
            snprintf(err, sizeof err, "path too long");
        else if (stat(path, &st) == 0 && (uint64_t)st.st_size > im->max_file) {
            rc = big_kid(im, det, j, path, j->files[i]);
            continue;
        } else if ((rc = arca_read_file(path, im->max_file, &data, &len,
                                       err, sizeof err)) == ARCA_OK)
            c.data = (unsigned char *)data, c.len = len;
        else if (rc == ARCA_ENOMEM)
            return rc;      /* the folder fails, to be read again */
        if (c.data == NULL)
            c.note = err;
        rc = expand_children(im, det, j, &c, 1, "", 1);
        free(c.data);
    }
    return rc;
}

/* Records taken from one file of several (messages of a mailbox). */
#define MAX_SUBS 10000

static arca_status extract_bytes(importer *im, arca_detector *det,
                                 arca_hooks *hooks, job *j,
                                 const char *data, size_t len,
                                 json_t *extra, int top);
static arca_status finish_record(importer *im, arca_hooks *hooks, job *j,
                                 json_t *extra, const char *data, size_t len);

/*
 * The file of J holds several records, the N children CS (owned by the
 * caller): each becomes a job of its own, named PATH/NAME, with an id
 * from the file's stem and the child's name, and J's sidecar fields.
 */
static arca_status split_records(importer *im, arca_detector *det,
                                 arca_hooks *hooks, job *j,
                                 arca_child *cs, size_t n, json_t *extra)
{
    char stem[128];
    const char *b = base_name(j->path), *dot = strrchr(b, '.');
    size_t sl = dot && dot != b ? (size_t)(dot - b) : strlen(b);
    snprintf(stem, sizeof stem, "%.*s", (int)(sl < 100 ? sl : 100), b);

    j->subs = calloc(n < MAX_SUBS ? n : MAX_SUBS, sizeof *j->subs);
    if (j->subs == NULL)
        return ARCA_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        arca_child *c = &cs[i];
        if (c->data == NULL || i >= MAX_SUBS) {
            if (!j->warn[0])
                snprintf(j->warn, sizeof j->warn, "%.100s: %.140s", c->name,
                         c->data ? "more records than the limit" :
                         c->note ? c->note : "refused");
            continue;
        }
        job *s = &j->subs[j->nsubs++];
        char name[256], key[PATH_MAX + 300];
        const char *cdot = strrchr(c->name, '.');
        size_t cl = cdot && cdot != c->name ? (size_t)(cdot - c->name)
                                             : strlen(c->name);
        snprintf(name, sizeof name, "%s-%.*s", stem, (int)(cl < 100 ? cl : 100),
                 c->name);
        snprintf(key, sizeof key, "%s#%s", j->real, c->name);
        make_id(name, key, s->id);
        if (asprintf(&s->path, "%s/%s", j->path, c->name) < 0)
            s->path = NULL;
        s->real = strdup(key);
        s->st = j->st;
        s->board = j->board ? strdup(j->board) : NULL;
        s->tags = j->tags ? strdup(j->tags) : NULL;
        s->lang = j->lang ? strdup(j->lang) : NULL;
        if (s->path == NULL || s->real == NULL)
            return ARCA_ENOMEM;
        json_t *own = json_deep_copy(extra);   /* hooks may change it */
        s->rc = own ? extract_bytes(im, det, hooks, s,
                                    (const char *)c->data, c->len, own, 0)
                    : ARCA_ENOMEM;
        json_decref(own);
        free(c->data);
        c->data = NULL;
        if (s->rc) {
            snprintf(j->err, sizeof j->err, "%s", s->err);
            return s->rc;
        }
        if (s->warn[0] && !j->warn[0])
            snprintf(j->warn, sizeof j->warn, "%.100s: %.140s", c->name,
                     s->warn);
    }
    return ARCA_OK;
}

/*
 * DATA, the bytes of J's file, become J's record: its parts extracted and
 * archived, its index documents built.  A file of several records (TOP
 * only: a mailbox inside a zip is a part like any other) becomes J's
 * sub-jobs instead.
 */
static arca_status extract_bytes(importer *im, arca_detector *det,
                                 arca_hooks *hooks, job *j,
                                 const char *data, size_t len,
                                 json_t *extra, int top)
{
    arca_status rc = extract_part(det, job_name(j), data, len,
                                  &im->lim, &j->part, j->err, sizeof j->err,
                                  j->warn, sizeof j->warn);
    if (rc == ARCA_EFORMAT || rc == ARCA_EUNSUPPORTED || rc == ARCA_ELIMIT) {
        /* Damaged, locked or too much: the original is kept all the same,
         * found by its name and fields, and the reason told. */
        if (len > 0) {
            snprintf(j->warn, sizeof j->warn, "%.250s", j->err);
            j->err[0] = '\0';
            arca_extract_free(&j->part.x);
            free(j->part.meta);
            j->part.meta = NULL;
            j->part.has_text = 0;
            j->part.charset[0] = '\0';
            rc = ARCA_OK;
        }
    }
    if (rc)
        return rc;
    if (im->opts->dry_run)
        arca_sha256_hex(data, len, j->part.orig);
    else if ((rc = prepare_part(data, len, &j->part, j->err,
                                sizeof j->err)) != ARCA_OK)
        return rc;
    size_t n;
    arca_child *cs = take_children(&j->part.x, &n);
    const struct arca_indexer *ix = arca_indexer_find(j->part.mime);
    if (top && n > 0 && ix && (ix->flags & ARCA_IX_RECORDS) &&
        !j->is_folder) {
        rc = split_records(im, det, hooks, j, cs, n, extra);
        free_children(cs, n);
        return rc;
    }
    rc = expand_children(im, det, j, cs, n, "", 1);
    free_children(cs, n);
    if (rc == ARCA_OK && top && j->is_folder)
        rc = expand_folder(im, det, j);
    return rc ? rc : finish_record(im, hooks, j, extra, data, len);
}

/*
 * J's parts extracted and archived, the hooks run over DATA (its
 * original, when read), the record built, and its index documents.
 */
static arca_status finish_record(importer *im, arca_hooks *hooks, job *j,
                                 json_t *extra, const char *data, size_t len)
{
    arca_status rc = ARCA_OK;
    if (hooks)
        rc = run_hook(hooks, j, extra, data, len, 0);
    if (rc == ARCA_OK)
        fill_defaults(j);
    if (rc == ARCA_OK && hooks)
        rc = run_hook(hooks, j, extra, data, len, 1);
    if (rc == ARCA_OK)
        rc = build_record(j, extra);
    if (rc || im->opts->dry_run)
        return rc;
    arca_part_text *t = calloc(j->rec.nparts, sizeof *t);
    if (t == NULL)
        return ARCA_ENOMEM;
    t[0].text = j->part.x.text;
    t[0].len = j->part.x.len;
    for (size_t i = 0; i < j->nkids; i++) {
        t[1 + i].text = j->kids[i].po.x.text;
        t[1 + i].len = j->kids[i].po.x.len;
    }
    rc = arca_record_docs(im->db, &j->rec, t, &j->docs, j->err,
                          sizeof j->err);
    free(t);
    /* The texts are in the documents and the archive now. */
    if (rc == ARCA_OK) {
        arca_extract_free(&j->part.x);
        for (size_t i = 0; i < j->nkids; i++)
            arca_extract_free(&j->kids[i].po.x);
    }
    return rc;
}

/* J's file (SRC: its own, or its folder's body) is above the extraction
 * limit: archived by streaming, found by its name and fields. */
static arca_status extract_big(importer *im, arca_detector *det,
                               arca_hooks *hooks, job *j, const char *src,
                               json_t *extra)
{
    arca_status rc = stream_part(im, det, src, job_name(j), &j->part,
                                 j->err, sizeof j->err, j->warn,
                                 sizeof j->warn);
    if (rc == ARCA_OK && j->is_folder)
        rc = expand_folder(im, det, j);
    return rc ? rc : finish_record(im, hooks, j, extra, NULL, 0);
}

/* The whole of one file's extraction, in a worker thread. */
static void process_job(importer *im, arca_detector *det, arca_hooks *hooks,
                        job *j)
{
    char *data = NULL;
    size_t len = 0;
    json_t *extra = json_object();

    clock_gettime(CLOCK_MONOTONIC, &j->t0);
    j->rc = extra ? ARCA_OK : ARCA_ENOMEM;
    char body[PATH_MAX];
    if (j->rc == ARCA_OK && j->is_folder &&
        snprintf(body, sizeof body, "%s/%s", j->path, j->body) >=
            (int)sizeof body) {
        snprintf(j->err, sizeof j->err, "%s: path too long", j->body);
        j->rc = ARCA_ELIMIT;
    }
    const char *src = j->is_folder ? body : j->path;
    struct stat st;
    int big = j->rc == ARCA_OK && stat(src, &st) == 0 && S_ISREG(st.st_mode) &&
              (uint64_t)st.st_size > im->max_file;
    if (j->rc == ARCA_OK && !big)
        j->rc = arca_read_file(src, im->max_file, &data, &len, j->err,
                               sizeof j->err);
    /* The more specific source wins: the path, the manifest, the file's
     * own sidecar. */
    if (j->rc == ARCA_OK && j->given_path)
        j->rc = apply_fields(j, j->given_path, "the path's fields", extra, 1);
    if (j->rc == ARCA_OK && j->given_man)
        j->rc = apply_fields(j, j->given_man, j->given_src, extra, 0);
    if (j->rc == ARCA_OK && j->side)
        j->rc = read_sidecar(j, extra);
    if (j->rc == ARCA_OK && j->folder_fields)
        j->rc = apply_fields(j, j->folder_fields, "on_folder", extra, 0);
    if (j->rc == ARCA_OK && big)
        j->rc = extract_big(im, det, hooks, j, src, extra);
    else if (j->rc == ARCA_OK)
        j->rc = extract_bytes(im, det, hooks, j, data, len, extra, 1);
    free(data);
    json_decref(extra);
}

static void *worker(void *arg)
{
    importer *im = arg;
    arca_detector *det = NULL;
    arca_hooks *hooks = NULL;
    char err[512];
    arca_status st = arca_detector_new(&det, err, sizeof err);
    if (st == ARCA_OK && im->hooks)
        st = arca_hooks_open(im->config_path, &hooks, err, sizeof err);

    pthread_mutex_lock(&im->mu);
    for (;;) {
        while (im->jobs == NULL && !im->closing)
            pthread_cond_wait(&im->has_job, &im->mu);
        if (im->jobs == NULL)
            break;
        job *j = im->jobs;
        im->jobs = j->next;
        if (im->jobs == NULL)
            im->jobs_tail = NULL;
        pthread_mutex_unlock(&im->mu);

        if (st == ARCA_OK)
            process_job(im, det, hooks, j);
        else {
            j->rc = st;
            snprintf(j->err, sizeof j->err, "%s", err);
        }

        pthread_mutex_lock(&im->mu);
        j->next = NULL;
        if (im->results_tail)
            im->results_tail->next = j;
        else
            im->results = j;
        im->results_tail = j;
        pthread_cond_signal(&im->has_result);
    }
    pthread_mutex_unlock(&im->mu);
    arca_hooks_close(hooks);
    arca_detector_free(det);
    return NULL;
}

/* ---- The writer ---- */

static char *dup_or_null(const char *s)
{
    return s && s[0] ? strdup(s) : NULL;
}

static void pend(importer *im, const job *j, arca_outcome outcome)
{
    if (im->npend == im->cappend) {
        size_t cap = im->cappend ? im->cappend * 2 : 64;
        pending *p = realloc(im->pend, cap * sizeof *p);
        if (p == NULL)
            return;             /* the report is lost, never the data */
        im->pend = p;
        im->cappend = cap;
    }
    pending *p = &im->pend[im->npend++];
    p->path = strdup(j->path);
    p->id = outcome == ARCA_FAILED ? NULL : dup_or_null(j->id);
    p->mime = dup_or_null(j->part.mime);
    p->charset = dup_or_null(j->part.charset);
    p->error = outcome == ARCA_FAILED ? dup_or_null(j->err) : NULL;
    p->warning = dup_or_null(j->warn);
    p->outcome = outcome;
    p->bytes = (uint64_t)j->st.st_size;
    p->records = outcome == ARCA_FAILED || j->part.mime[0] == '\0' ? 0
                 : j->nsubs ? j->nsubs : 1;
    p->t0 = j->t0;
    if (p->t0.tv_sec == 0 && p->t0.tv_nsec == 0)
        clock_gettime(CLOCK_MONOTONIC, &p->t0);
}

/* Tell the caller what the last commit made certain. */
static void flush_pending(importer *im)
{
    for (size_t i = 0; i < im->npend; i++) {
        pending *p = &im->pend[i];
        if (im->opts->on_file) {
            arca_import_event ev = {p->path, p->outcome, p->id, p->mime,
                                    p->charset, p->bytes, p->error,
                                    p->warning, p->records,
                                    elapsed(&p->t0) * 1000.0};
            im->opts->on_file(im->opts->ctx, &ev);
        }
        free(p->path);
        free(p->id);
        free(p->mime);
        free(p->charset);
        free(p->error);
        free(p->warning);
    }
    im->npend = 0;
}

/* Would OCR read more of this part than was read? */
static int part_needs_ocr(const part_out *po)
{
    return strncmp(po->mime, "image/", 6) == 0 ||
           (po->meta && strstr(po->meta, "\"pages_without_text\""));
}

/* Read without OCR, does J's file hold images or scanned pages? */
static int job_needs_ocr(const importer *im, const job *j)
{
    if (im->lim.ocr)
        return 0;
    if (part_needs_ocr(&j->part))
        return 1;
    for (size_t i = 0; i < j->nkids; i++)
        if (part_needs_ocr(&j->kids[i].po))
            return 1;
    for (size_t i = 0; i < j->nsubs; i++)
        if (job_needs_ocr(im, &j->subs[i]))
            return 1;
    return 0;
}

static arca_status ledger(importer *im, const job *j, const char *outcome)
{
    /* A path that is not there has no canonical name to keep a row by. */
    if (j->real == NULL)
        return ARCA_OK;
    arca_ledger e = {j->real, (int64_t)j->st.st_size,
                     (int64_t)j->st.st_mtim.tv_sec * 1000000000 +
                         j->st.st_mtim.tv_nsec,
                     j->part.orig[0] ? j->part.orig : NULL,
                     j->id[0] ? j->id : NULL, outcome,
                     j->rc ? j->err : NULL, job_needs_ocr(im, j)};
    arca_catalog *c = im->db->catalog;
    arca_status rc = arca_catalog_ledger_put(c, im->run, &e);
    if (rc == ARCA_OK && j->side_real) {
        arca_ledger s = {j->side_real, (int64_t)j->side_st.st_size,
                         (int64_t)j->side_st.st_mtim.tv_sec * 1000000000 +
                             j->side_st.st_mtim.tv_nsec,
                         NULL, j->id[0] ? j->id : NULL, "sidecar", NULL, 0};
        rc = arca_catalog_ledger_put(c, im->run, &s);
    }
    if (rc == ARCA_OK && (j->given_size || j->given_prev)) {
        char *key = NULL;
        if (asprintf(&key, GIVEN_PREFIX "%s", j->real) < 0)
            return arca_db_fail(im->db, ARCA_ENOMEM, "out of memory");
        arca_ledger g = {key, j->given_size, j->given_hash, NULL,
                         j->id[0] ? j->id : NULL, "sidecar", NULL, 0};
        rc = arca_catalog_ledger_put(c, im->run, &g);
        free(key);
    }
    if (rc)
        arca_db_fail(im->db, rc, "%s", arca_catalog_errmsg(c));
    return rc;
}

/*
 * Put object HEX (deflated Z) into the batch's pack and the catalog,
 * unless the catalog has it already (this batch's objects included).
 */
static arca_status pack_object(importer *im, const char *hex, uint64_t size,
                               const void *z, size_t zlen)
{
    arca_catalog *c = im->db->catalog;
    arca_objloc loc;
    arca_status rc = arca_catalog_locate(c, hex, &loc, NULL);
    if (rc == ARCA_OK)
        return ARCA_OK;                 /* archived once, linked again */
    if (rc != ARCA_ENOTFOUND)
        return arca_db_fail(im->db, rc, "%s", arca_catalog_errmsg(c));
    if (im->pack == NULL &&
        (rc = arca_packw_open(im->db->objects, &im->pack)) != ARCA_OK)
        return arca_db_fail(im->db, rc, "%s", arca_objects_errmsg());
    snprintf(loc.pack, sizeof loc.pack, "%s", arca_packw_name(im->pack));
    rc = arca_packw_add(im->pack, hex, size, z, zlen, &loc.offset);
    if (rc)
        return arca_db_fail(im->db, rc, "%s", arca_objects_errmsg());
    rc = arca_catalog_put_object_at(c, hex, size, zlen, &loc);
    if (rc)
        return arca_db_fail(im->db, rc, "%s", arca_catalog_errmsg(c));
    return ARCA_OK;
}

/* The journal during an import: record objects go into the batch's pack. */
static arca_status journal_pack(void *ctx, const char *json, size_t len,
                                arca_hex hex, char *err, size_t errlen)
{
    importer *im = ctx;
    void *z = NULL;
    size_t zlen = 0;
    arca_status rc = arca_objects_deflate(json, len, hex, &z, &zlen);
    if (rc) {
        snprintf(err, errlen, "%s", arca_objects_errmsg());
        return rc;
    }
    rc = pack_object(im, hex, len, z, zlen);
    free(z);
    if (rc)
        snprintf(err, errlen, "%s", arca_db_errmsg(im->db));
    return rc;
}

/* The batch's pack reaches the disk before the catalog refers to it. */
static arca_status finish_pack(importer *im)
{
    arca_packw *w = im->pack;
    im->pack = NULL;
    if (w == NULL)
        return ARCA_OK;
    arca_status rc = arca_packw_finish(w);
    if (rc)
        arca_db_fail(im->db, rc, "%s", arca_objects_errmsg());
    return rc;
}

static arca_status commit_batch(importer *im)
{
    arca_status rc = finish_pack(im);
    if (rc)
        return rc;
    rc = arca_commit_all(im->db);
    if (rc)
        return rc;
    flush_pending(im);
    im->in_batch = 0;
    im->docs_in_batch = 0;
    rc = arca_catalog_begin(im->db->catalog);
    if (rc)
        arca_db_fail(im->db, rc, "%s", arca_catalog_errmsg(im->db->catalog));
    return rc;
}

/* A part's original, archived loose by streaming, into the catalog. */
static arca_status note_loose(importer *im, const part_out *po)
{
    arca_catalog *c = im->db->catalog;
    arca_objloc loc;
    arca_status rc = arca_catalog_locate(c, po->orig, &loc, NULL);
    if (rc == ARCA_ENOTFOUND)
        rc = arca_catalog_put_object(c, po->orig, po->size, po->orig_z);
    if (rc)
        return arca_db_fail(im->db, rc, "%s", arca_catalog_errmsg(c));
    return ARCA_OK;
}

/* Pack the objects of J's parts (J's own original first). */
static arca_status pack_parts(importer *im, const job *j)
{
    arca_status rc = ARCA_OK;
    for (size_t i = 0; rc == ARCA_OK && i <= j->nkids; i++) {
        const part_out *po = i == 0 ? &j->part : &j->kids[i - 1].po;
        if (po->loose)
            rc = note_loose(im, po);
        if (po->orig_zdata)
            rc = pack_object(im, po->orig, po->size, po->orig_zdata,
                             po->orig_z);
        if (rc == ARCA_OK && po->has_text)
            rc = pack_object(im, po->text, po->text_size, po->text_zdata,
                             po->text_z);
    }
    return rc;
}

/* J's record into the catalog and, when it changed, the index. */
static arca_status store_record(importer *im, job *j, int *changed)
{
    arca_catalog *c = im->db->catalog;
    arca_status rc = pack_parts(im, j);
    if (rc)
        return rc;
    *changed = 0;
    rc = arca_catalog_put_record(c, &j->rec, changed);
    if (rc)
        return arca_db_fail(im->db, rc, "%s: %s", j->path,
                            arca_catalog_errmsg(c));
    if (*changed) {
        rc = arca_index_docs(im->db, &j->rec, j->docs,
                             j->rec.version == 1);
        if (rc)
            return rc;
        im->sum.records++;
        im->sum.parts += j->rec.nparts;
        im->docs_in_batch += (unsigned)j->rec.nparts;
    }
    return ARCA_OK;
}

/* Take one finished job into the catalog and the index. */
static arca_status take_result(importer *im, job *j)
{
    arca_status rc = ARCA_OK;
    arca_outcome outcome = ARCA_IMPORTED;

    im->sum.bytes += (uint64_t)j->st.st_size;
    im->sum.done++;
    if (j->rc) {
        outcome = ARCA_FAILED;
        im->sum.failed++;
        if (!im->opts->dry_run)
            rc = ledger(im, j, "failed");
        goto out;
    }
    if (im->opts->dry_run) {
        size_t n = j->nsubs ? j->nsubs : 1;
        im->sum.records += n;
        im->sum.parts += n;
        goto out;
    }
    int changed = 0;
    if (j->nsubs > 0) {
        /* The file itself is kept whole; its records come from it. */
        rc = pack_parts(im, j);
        for (size_t i = 0; rc == ARCA_OK && i < j->nsubs; i++) {
            int one = 0;
            rc = store_record(im, &j->subs[i], &one);
            changed |= one;
        }
        snprintf(j->id, sizeof j->id, "%s", j->subs[0].id);
    } else {
        rc = store_record(im, j, &changed);
    }
    if (rc)
        return rc;
    if (!changed) {
        outcome = ARCA_UNCHANGED;
        im->sum.unchanged++;
        im->sum.skipped++;
    }
    rc = ledger(im, j, changed ? "imported" : "unchanged");
out:
    if (rc)
        return rc;
    pend(im, j, outcome);
    if (im->opts->on_progress)
        im->opts->on_progress(im->opts->ctx, &im->sum, j->path);
    /* Commit before the index would flush on its own: a flush inside the
     * batch could not be taken back if the catalog's commit failed. */
    if (!im->opts->dry_run && (++im->in_batch >= im->batch ||
                               im->docs_in_batch >= ARCA_FLUSH_DOCS / 2))
        rc = commit_batch(im);
    else if (im->opts->dry_run)
        flush_pending(im);
    return rc;
}

/* Wait for one result (BLOCK) or take one if ready; 0 if none. */
static int next_result(importer *im, int block)
{
    pthread_mutex_lock(&im->mu);
    while (block && im->results == NULL)
        pthread_cond_wait(&im->has_result, &im->mu);
    job *j = im->results;
    if (j) {
        im->results = j->next;
        if (im->results == NULL)
            im->results_tail = NULL;
        im->inflight--;
    }
    pthread_mutex_unlock(&im->mu);
    if (j == NULL)
        return 0;
    if (im->fatal == ARCA_OK)
        im->fatal = take_result(im, j);
    job_free(j);
    return 1;
}

static void submit(importer *im, job *j)
{
    while (im->inflight >= im->max_inflight)
        next_result(im, 1);
    pthread_mutex_lock(&im->mu);
    j->next = NULL;
    if (im->jobs_tail)
        im->jobs_tail->next = j;
    else
        im->jobs = j;
    im->jobs_tail = j;
    im->inflight++;
    pthread_cond_signal(&im->has_job);
    pthread_mutex_unlock(&im->mu);
    while (next_result(im, 0))
        ;
}

/* A file failed before it reached a worker: report it the same way. */
static void fail_now(importer *im, job *j, arca_status st)
{
    if (im->counting) {
        im->sum.total_files++;
        job_free(j);
        return;
    }
    j->rc = st;
    im->sum.files++;
    if (im->fatal == ARCA_OK)
        im->fatal = take_result(im, j);
    job_free(j);
}

/* ---- Walking ---- */

static int same_stamp(const arca_ledger *e, const struct stat *st)
{
    return e->size == (int64_t)st->st_size &&
           e->mtime_ns == (int64_t)st->st_mtim.tv_sec * 1000000000 +
                              st->st_mtim.tv_nsec;
}

/*
 * The sidecar of PATH in form 0 ("NAME.meta.json") or 1 (its extension
 * replaced: "report.meta.json" for "report.txt").  0 when there is no
 * such form.
 */
static int sidecar_name(const char *path, int form, char out[PATH_MAX])
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t keep = strlen(path);
    if (form == 1) {
        if (dot == NULL || dot == base)
            return 0;
        keep = (size_t)(dot - path);
    }
    int n = snprintf(out, PATH_MAX, "%.*s" SIDECAR_SUFFIX, (int)keep, path);
    return n > 0 && n < PATH_MAX;
}

static int find_sidecar(const char *path, char out[PATH_MAX], struct stat *st)
{
    for (int form = 0; form < 2; form++)
        if (sidecar_name(path, form, out) && stat(out, st) == 0 &&
            S_ISREG(st->st_mode))
            return 1;
    return 0;
}

/* 1 if the ledger says J's file and sidecar are as they were. */
static int unchanged(importer *im, const job *j)
{
    arca_ledger e = {0};
    int same = 0;
    if (arca_catalog_ledger_get(im->db->catalog, j->real, &e) != ARCA_OK)
        return 0;
    same = same_stamp(&e, &j->st) && e.outcome &&
           (strcmp(e.outcome, "imported") == 0 ||
            strcmp(e.outcome, "unchanged") == 0) &&
           !(im->lim.ocr && e.needs_ocr);
    arca_ledger_clear(&e);
    if (!same || !j->given_same)
        return 0;
    /* The sidecar must be as it was too, or absent as it was. */
    if (j->side_real) {
        if (arca_catalog_ledger_get(im->db->catalog, j->side_real, &e) !=
            ARCA_OK)
            return 0;
        same = same_stamp(&e, &j->side_st);
        arca_ledger_clear(&e);
        return same;
    }
    char side[PATH_MAX];
    for (int form = 0; form < 2; form++)
        if (sidecar_name(j->real, form, side) &&
            arca_catalog_ledger_get(im->db->catalog, side, &e) == ARCA_OK) {
            arca_ledger_clear(&e);
            return 0;
        }
    return 1;
}

static int is_sidecar(const char *name)
{
    size_t n = strlen(name), k = strlen(SIDECAR_SUFFIX);
    return n > k && strcmp(name + n - k, SIDECAR_SUFFIX) == 0;
}

static void report_skip(importer *im, const char *path, const char *why);

/* ---- Fields given from outside the file ---- */

static void pattern_free(pattern *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->c[i].text);
    p->n = 0;
}

/* A field word: upper-case letters, digits and '_', a letter first. */
static int field_word(const char *s, size_t n)
{
    if (n == 0 || s[0] < 'A' || s[0] > 'Z')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return 0;
    return 1;
}

/* Compile the --fields-from-path pattern SRC into P; ERR says why not. */
static arca_status pattern_compile(const char *src, pattern *p, char *err,
                                   size_t errlen)
{
    arca_status rc = ARCA_OK;
    size_t deep = 0, fields = 0;
    memset(p, 0, sizeof *p);
    for (const char *s = src; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n > 0) {
            if (p->n == MAX_PATTERN) {
                snprintf(err, errlen, "pattern '%s': more than %d "
                         "components", src, MAX_PATTERN);
                rc = ARCA_EINVAL;
                goto out;
            }
            pat_comp *c = &p->c[p->n++];
            if (n == 2 && strncmp(s, "**", 2) == 0) {
                c->kind = PAT_DEEP;
                deep++;
            } else if (n == 1 && s[0] == '*') {
                c->kind = PAT_ANY;
            } else if (memchr(s, '*', n)) {
                snprintf(err, errlen, "pattern '%s': '%.*s': a star is a "
                         "whole component (* or **)", src, (int)n, s);
                rc = ARCA_EINVAL;
                goto out;
            } else if (field_word(s, n)) {
                c->kind = PAT_FIELD;
                fields++;
                if ((n == 3 && strncmp(s, "TAG", 3) == 0) ||
                    (n == 4 && strncmp(s, "TAGS", 4) == 0))
                    c->text = strdup("tags");
                else if ((c->text = strndup(s, n)) != NULL)
                    for (char *t = c->text; *t; t++)
                        if (*t >= 'A' && *t <= 'Z')
                            *t = (char)(*t + 32);
            } else {
                c->kind = PAT_LITERAL;
                c->text = strndup(s, n);
            }
            if (c->kind != PAT_DEEP && c->kind != PAT_ANY && c->text == NULL) {
                snprintf(err, errlen, "out of memory");
                rc = ARCA_ENOMEM;
                goto out;
            }
        }
        s += n;
        if (*s == '/')
            s++;
    }
    if (deep > MAX_DEEP) {
        snprintf(err, errlen, "pattern '%s': more than %d '**'", src,
                 MAX_DEEP);
        rc = ARCA_EINVAL;
    } else if (fields == 0) {
        snprintf(err, errlen, "pattern '%s' names no field: field names "
                 "are upper-case words, as in BOARD/YEAR/**", src);
        rc = ARCA_EINVAL;
    }
out:
    if (rc)
        pattern_free(p);
    return rc;
}

/* Does P from component PI match COMP from CI?  CAP[k] gets the component
 * that field k of P took. */
static int pattern_match(const pattern *p, size_t pi, char **comp,
                         size_t nc, size_t ci, size_t *cap)
{
    if (pi == p->n)
        return ci == nc;
    const pat_comp *k = &p->c[pi];
    if (k->kind == PAT_DEEP) {
        for (size_t at = ci; at <= nc; at++)
            if (pattern_match(p, pi + 1, comp, nc, at, cap))
                return 1;
        return 0;
    }
    if (ci >= nc)
        return 0;
    if (k->kind == PAT_LITERAL && strcmp(k->text, comp[ci]) != 0)
        return 0;
    if (k->kind == PAT_FIELD) {
        char date[11];
        /* A YEAR that is no year is a path of another shape. */
        if ((strcmp(k->text, "year") == 0 || strcmp(k->text, "date") == 0) &&
            arca_date_norm(comp[ci], date) != 0)
            return 0;
        cap[pi] = ci;
    }
    return pattern_match(p, pi + 1, comp, nc, ci + 1, cap);
}

/* PATH below the PATH being walked ("News/2019/a.txt"). */
static const char *below_root(const importer *im, const char *path)
{
    const char *root = im->root;
    size_t n = root ? strlen(root) : 0;
    while (n > 1 && root[n - 1] == '/')
        n--;
    if (root && strcmp(root, ".") == 0 && path[0] != '/') {
        while (path[0] == '.' && path[1] == '/')
            path += 2;
        return path;
    }
    if (n > 0 && strncmp(path, root, n) == 0 && path[n] == '/') {
        path += n;
        while (*path == '/')
            path++;
        return path;
    }
    return base_name(path);
}

/* The fields J's path gives by the pattern, into *out (NULL: none). */
static arca_status path_fields(const importer *im, const job *j, json_t **out)
{
    arca_status rc = ARCA_OK;
    char *rel = strdup(below_root(im, j->path)), *comp[MAX_WALK_DEPTH + 2];
    size_t nc = 0, cap[MAX_PATTERN];
    arca_str tags = {0};
    char *save = NULL;

    *out = NULL;
    if (rel == NULL)
        return ARCA_ENOMEM;
    for (char *t = strtok_r(rel, "/", &save); t && nc < MAX_WALK_DEPTH + 2;
         t = strtok_r(NULL, "/", &save))
        comp[nc++] = t;
    if (!pattern_match(&im->pat, 0, comp, nc, 0, cap))
        goto out;
    json_t *o = json_object();
    if (o == NULL) {
        rc = ARCA_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < im->pat.n; i++) {
        const pat_comp *k = &im->pat.c[i];
        if (k->kind != PAT_FIELD)
            continue;
        if (strcmp(k->text, "tags") == 0)
            arca_str_printf(&tags, "%s%s", tags.s ? "," : "", comp[cap[i]]);
        else
            json_object_set_new(o, k->text, json_string(comp[cap[i]]));
    }
    if (tags.s)
        json_object_set_new(o, "tags", json_string(tags.s));
    *out = o;
out:
    arca_str_free(&tags);
    free(rel);
    return rc;
}

/* The fields J's manifest row gives, into *out (NULL: not listed). */
static arca_status manifest_fields(const importer *im, job *j, json_t **out)
{
    const arca_manifest_row *row = arca_manifest_find(im->man, j->real);
    *out = NULL;
    if (row == NULL)
        return ARCA_OK;
    json_t *o = json_object();
    if (o == NULL || asprintf(&j->given_src, "%s:%llu",
                              arca_manifest_name(im->man),
                              (unsigned long long)row->line) < 0) {
        j->given_src = NULL;
        json_decref(o);
        return ARCA_ENOMEM;
    }
    for (size_t i = 0; i < arca_manifest_ncols(im->man); i++) {
        const char *name = arca_manifest_col(im->man, i);
        if (name && row->values[i])
            json_object_set_new(o, name, json_string(row->values[i]));
    }
    *out = o;
    return ARCA_OK;
}

/*
 * J's fields from its path and the manifest, and their stamp: whether
 * they are what the ledger says the file was last given.
 */
static arca_status given_fields(importer *im, job *j)
{
    arca_status rc = ARCA_OK;
    arca_str all = {0};
    if (im->pat.n > 0)
        rc = path_fields(im, j, &j->given_path);
    if (rc == ARCA_OK && im->man)
        rc = manifest_fields(im, j, &j->given_man);
    if (rc)
        return rc;
    j->given_size = 0;
    j->given_hash = 0;
    if (j->given_path || j->given_man) {
        char *a = j->given_path ? json_dumps(j->given_path, JSON_COMPACT |
                                             JSON_SORT_KEYS) : NULL;
        char *b = j->given_man ? json_dumps(j->given_man, JSON_COMPACT |
                                            JSON_SORT_KEYS) : NULL;
        arca_str_printf(&all, "path %s\nmanifest %s", a ? a : "{}",
                        b ? b : "{}");
        free(a);
        free(b);
        if (all.s == NULL)
            return ARCA_ENOMEM;
        arca_hex h;
        arca_sha256_hex(all.s, all.len, h);
        h[15] = '\0';
        j->given_size = (int64_t)all.len;
        j->given_hash = strtoll(h, NULL, 16);
        arca_str_free(&all);
    }
    /* Compare with the stamp of the last import. */
    j->given_prev = 0;
    j->given_same = j->given_size == 0;
    if (!im->opts->dry_run) {
        char *key = NULL;
        arca_ledger e = {0};
        if (asprintf(&key, GIVEN_PREFIX "%s", j->real) < 0)
            return ARCA_ENOMEM;
        if (arca_catalog_ledger_get(im->db->catalog, key, &e) == ARCA_OK) {
            j->given_prev = 1;
            j->given_same = e.size == j->given_size &&
                            e.mtime_ns == j->given_hash;
            arca_ledger_clear(&e);
        }
        free(key);
    }
    return ARCA_OK;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* J, its file named and stamped, into the pipeline, or skipped when the
 * ledger has it as it is. */
static void enqueue(importer *im, job *j)
{
    if (given_fields(im, j) != ARCA_OK) {
        im->fatal = arca_db_fail(im->db, ARCA_ENOMEM, "out of memory");
        job_free(j);
        return;
    }
    if (!im->opts->dry_run && unchanged(im, j)) {
        im->sum.files++;
        im->sum.done++;
        im->sum.unchanged++;
        im->sum.skipped++;
        snprintf(j->part.mime, sizeof j->part.mime, "%s", "");
        arca_ledger e = {0};
        if (arca_catalog_ledger_get(im->db->catalog, j->real, &e) == ARCA_OK &&
            e.record)
            snprintf(j->id, sizeof j->id, "%s", e.record);
        arca_ledger_clear(&e);
        pend(im, j, ARCA_UNCHANGED);
        if (im->opts->on_progress)
            im->opts->on_progress(im->opts->ctx, &im->sum, j->path);
        job_free(j);
        return;
    }
    im->sum.files++;
    submit(im, j);
}

static void import_file(importer *im, const char *path, const struct stat *st)
{
    job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        im->fatal = arca_db_fail(im->db, ARCA_ENOMEM, "out of memory");
        return;
    }
    j->path = strdup(path);
    j->st = *st;
    j->real = realpath(path, NULL);
    if (j->path == NULL || j->real == NULL) {
        snprintf(j->err, sizeof j->err, "%s: %s", path,
                 j->real ? "out of memory" : strerror(errno));
        fail_now(im, j, ARCA_EIO);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &j->t0);
    if (im->man && arca_manifest_real(im->man) &&
        strcmp(j->real, arca_manifest_real(im->man)) == 0) {
        report_skip(im, path, "the manifest: read for its fields, not "
                    "imported");
        job_free(j);
        return;
    }
    char side[PATH_MAX];
    if (find_sidecar(path, side, &j->side_st)) {
        j->side = strdup(side);
        j->side_real = realpath(side, NULL);
    }
    enqueue(im, j);
}

/* ---- Folders as records ---- */

/* Folders inside a folder record, and its files. */
#define MAX_FOLDER_DEPTH 8
#define MAX_FOLDER_FILES MAX_KIDS

/* The files below a folder, by their names below it. */
typedef struct flist {
    char **v;
    size_t n, cap;
    uint64_t bytes;          /* their sizes' sum */
    uint64_t stamp;          /* a hash of their names, sizes and times */
    const char *over;        /* why some were left out, or NULL */
} flist;

static void flist_free(flist *fl)
{
    for (size_t i = 0; i < fl->n; i++)
        free(fl->v[i]);
    free(fl->v);
    memset(fl, 0, sizeof *fl);
}

static void stamp_add(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= 0x100000001b3ull;     /* FNV-1a */
    }
}

/*
 * The files below DIR (REL from the folder record's top) into FL, in
 * name order, sidecars left out.  Links to files are followed, links to
 * folders are not, as in the walk.  -1 on a folder that cannot be read.
 */
static int list_folder(const char *dir, const char *rel, int depth, flist *fl)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        char path[PATH_MAX], sub[PATH_MAX];
        struct stat st;
        if (rc || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
            is_sidecar(name))
            goto next;
        if (snprintf(path, sizeof path, "%s/%s", dir, name) >=
                (int)sizeof path ||
            snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "",
                     name) >= (int)sizeof sub) {
            fl->over = "a path too long was left out";
            goto next;
        }
        if (lstat(path, &st) < 0)
            goto next;
        if (S_ISLNK(st.st_mode) && (stat(path, &st) < 0 ||
                                    !S_ISREG(st.st_mode)))
            goto next;
        if (S_ISDIR(st.st_mode)) {
            if (depth + 1 >= MAX_FOLDER_DEPTH)
                fl->over = "folders nested deeper than 8 were left out";
            else if (list_folder(path, sub, depth + 1, fl) < 0)
                rc = -1;
            goto next;
        }
        if (!S_ISREG(st.st_mode))
            goto next;
        if (fl->n >= MAX_FOLDER_FILES) {
            fl->over = "more than 10000 files: the rest were left out";
            goto next;
        }
        if (fl->n == fl->cap) {
            size_t cap = fl->cap ? fl->cap * 2 : 16;
            char **v = realloc(fl->v, cap * sizeof *v);
            if (v == NULL) {
                rc = -1;
                goto next;
            }
            fl->v = v;
            fl->cap = cap;
        }
        if ((fl->v[fl->n] = strdup(sub)) == NULL) {
            rc = -1;
            goto next;
        }
        fl->n++;
        fl->bytes += (uint64_t)st.st_size;
        int64_t t = (int64_t)st.st_mtim.tv_sec * 1000000000 +
                    st.st_mtim.tv_nsec;
        stamp_add(&fl->stamp, sub, strlen(sub) + 1);
        stamp_add(&fl->stamp, &st.st_size, sizeof st.st_size);
        stamp_add(&fl->stamp, &t, sizeof t);
    next:
        free(names[i]);
    }
    free(names);
    return rc;
}

/* 1 if NAME (no folder) is STEM with some extension, case aside. */
static int stem_is(const char *name, const char *stem)
{
    size_t n = strlen(stem);
    return strncasecmp(name, stem, n) == 0 &&
           (name[n] == '\0' || name[n] == '.');
}

/*
 * The body of a folder record that names none: a top-level file named
 * index, body, post or content (any extension); else its first text or
 * HTML file; else its first file.
 */
static size_t pick_body(const flist *fl)
{
    static const char *const stems[] = {"index", "body", "post", "content"};
    static const char *const exts[] = {".txt", ".html", ".htm", ".md",
                                       ".xhtml", ".eml"};
    for (size_t s = 0; s < sizeof stems / sizeof *stems; s++)
        for (size_t i = 0; i < fl->n; i++)
            if (!strchr(fl->v[i], '/') && stem_is(fl->v[i], stems[s]))
                return i;
    for (size_t i = 0; i < fl->n; i++) {
        const char *dot = strrchr(fl->v[i], '.');
        for (size_t e = 0; dot && !strchr(fl->v[i], '/') &&
                           e < sizeof exts / sizeof *exts; e++)
            if (strcasecmp(dot, exts[e]) == 0)
                return i;
    }
    for (size_t i = 0; i < fl->n; i++)
        if (!strchr(fl->v[i], '/'))
            return i;
    return 0;
}

/* The "body" a folder's sidecar SIDE names, or NULL (errors in the
 * sidecar are told when it is read for its fields). */
static char *sidecar_body(const char *side)
{
    char *data = NULL, err[64];
    size_t len;
    if (arca_read_file(side, MAX_SIDECAR, &data, &len, err, sizeof err))
        return NULL;
    json_t *o = json_loadb(data, len, 0, NULL);
    free(data);
    char *body = json_str_dup(json_object_get(o, "body"));
    json_decref(o);
    return body;
}

/* What on_folder gave in D, as the fields of a sidecar. */
static json_t *hook_fields(arca_hook_doc *d)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    if (json_is_object(d->fields))
        json_object_update(o, d->fields);
    const char *k[] = {"title", "author", "date", "board", "lang"};
    char *v[] = {d->title, d->author, d->date, d->board, d->lang};
    for (size_t i = 0; i < 5; i++)
        if (v[i] && v[i][0])
            json_object_set_new(o, k[i], json_string(v[i]));
    if (json_array_size(d->tags) > 0)
        json_object_set(o, "tags", d->tags);
    return o;
}

static void hook_doc_clear(arca_hook_doc *d)
{
    free(d->title);
    free(d->author);
    free(d->date);
    free(d->board);
    free(d->lang);
    json_decref(d->tags);
    json_decref(d->fields);
    memset(d, 0, sizeof *d);
}

/*
 * PATH, a folder, is one record when a sidecar beside it says so
 * (FOLDER.meta.json: its fields, and "body", the file whose text is the
 * record's), or else config.lua's on_folder does.  Its other files are
 * the record's attachments.  1 when it was taken so (or failed), 0 when
 * its files are to be walked one by one.
 */
static int folder_record(importer *im, const char *path)
{
    char dir[PATH_MAX], side[PATH_MAX], err[512] = "";
    struct stat side_st;
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n >= sizeof dir)
        return 0;
    memcpy(dir, path, n);
    dir[n] = '\0';
    int has_side = sidecar_name(dir, 0, side) && stat(side, &side_st) == 0 &&
                   S_ISREG(side_st.st_mode);
    if (!has_side && !arca_hooks_have_folder(im->walk_hooks))
        return 0;

    flist fl = {0};
    fl.stamp = 0xcbf29ce484222325ull;
    job *j = calloc(1, sizeof *j);
    if (j == NULL || (j->path = strdup(dir)) == NULL) {
        free(j);
        im->fatal = arca_db_fail(im->db, ARCA_ENOMEM, "out of memory");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &j->t0);
    j->is_folder = 1;
    if (list_folder(dir, "", 0, &fl) < 0) {
        snprintf(j->err, sizeof j->err, "cannot list folder: %s",
                 strerror(errno));
        goto fail;
    }
    if (has_side) {
        j->body = sidecar_body(side);
        j->side = strdup(side);
        j->side_real = realpath(side, NULL);
        j->side_st = side_st;
    } else {
        arca_hook_doc d = {0};
        int is_record = 0;
        if (arca_hooks_folder(im->walk_hooks, dir,
                              (const char *const *)fl.v, fl.n, &is_record,
                              &j->body, &d, err, sizeof err) != ARCA_OK) {
            snprintf(j->err, sizeof j->err, "%s", err);
            goto fail;
        }
        if (!is_record) {
            flist_free(&fl);
            job_free(j);
            return 0;
        }
        j->folder_fields = hook_fields(&d);
        hook_doc_clear(&d);
    }
    if (im->counting) {
        im->sum.total_files++;
        im->sum.total_bytes += fl.bytes;
        flist_free(&fl);
        job_free(j);
        return 1;
    }
    if (fl.n == 0) {
        snprintf(j->err, sizeof j->err, "a folder record with no file in "
                 "it: nothing to archive");
        goto fail;
    }
    size_t b = fl.n;
    if (j->body) {
        for (size_t i = 0; i < fl.n && b == fl.n; i++)
            if (strcmp(fl.v[i], j->body) == 0)
                b = i;
        if (b == fl.n) {
            snprintf(j->err, sizeof j->err, "%.200s: body \"%.200s\" is not a "
                     "file in the folder",
                     has_side ? base_name(side) : "on_folder",
                     j->body);
            goto fail;
        }
    } else {
        b = pick_body(&fl);
        j->body = strdup(fl.v[b]);
    }
    if (fl.over)
        snprintf(j->warn, sizeof j->warn, "%s", fl.over);
    /* The body out of the list: the rest are the attachments. */
    free(fl.v[b]);
    memmove(&fl.v[b], &fl.v[b + 1], (fl.n - b - 1) * sizeof *fl.v);
    fl.n--;
    j->files = fl.v;
    j->nfiles = fl.n;
    /* The ledger's stamp of a folder: the files' total size, and a hash
     * of their names, sizes and times in the place of a time. */
    j->real = realpath(dir, NULL);
    if (j->real == NULL || j->body == NULL ||
        stat(dir, &j->st) < 0) {
        snprintf(j->err, sizeof j->err, "%s", strerror(errno));
        j->files = NULL;
        j->nfiles = 0;
        goto fail;
    }
    j->st.st_size = (off_t)fl.bytes;
    j->st.st_mtim.tv_sec = (time_t)((fl.stamp >> 2) / 1000000000u);
    j->st.st_mtim.tv_nsec = (long)((fl.stamp >> 2) % 1000000000u);
    enqueue(im, j);
    return 1;
fail:
    flist_free(&fl);
    if (im->counting) {
        im->sum.total_files++;          /* it will fail: one file */
        job_free(j);
        return 1;
    }
    fail_now(im, j, ARCA_EINVAL);
    return 1;
}

static void report_skip(importer *im, const char *path, const char *why)
{
    if (im->counting)
        return;
    job j = {0};
    j.path = (char *)path;
    snprintf(j.warn, sizeof j.warn, "%s", why);
    im->sum.skipped++;
    pend(im, &j, ARCA_SKIPPED);
}

/*
 * 1 if DIR is a folder record: a sidecar beside it, or on_folder's word.
 */
static int is_record_folder(importer *im, const char *dir)
{
    char side[PATH_MAX], err[256];
    struct stat st;
    if (sidecar_name(dir, 0, side) && stat(side, &st) == 0 &&
        S_ISREG(st.st_mode))
        return 1;
    if (!arca_hooks_have_folder(im->walk_hooks))
        return 0;
    flist fl = {0};
    arca_hook_doc d = {0};
    int is_record = 0;
    char *body = NULL;
    if (list_folder(dir, "", 0, &fl) == 0 &&
        arca_hooks_folder(im->walk_hooks, dir, (const char *const *)fl.v,
                          fl.n, &is_record, &body, &d, err,
                          sizeof err) != ARCA_OK)
        is_record = 1;          /* its import tells the hook's error */
    free(body);
    hook_doc_clear(&d);
    flist_free(&fl);
    return is_record;
}

/*
 * PATH, a file found inside ROOT: the outermost folder record between
 * them that holds it, malloc'd, or NULL when it lies in none.
 */
static char *record_folder_of(importer *im, const char *root,
                              const char *path)
{
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/')
        rl--;
    if (strncmp(path, root, rl) != 0 || path[rl] != '/')
        return NULL;
    char dir[PATH_MAX];
    for (const char *p = strchr(path + rl + 1, '/'); p;
         p = strchr(p + 1, '/')) {
        size_t n = (size_t)(p - path);
        if (n >= sizeof dir)
            return NULL;
        memcpy(dir, path, n);
        dir[n] = '\0';
        if (is_record_folder(im, dir))
            return strdup(dir);
    }
    return NULL;
}

/* The counting walk gives up after this long. */
#define COUNT_SECONDS 5.0

static int same_file(const char *path, const char *real)
{
    char r[PATH_MAX];
    return realpath(path, r) && strcmp(r, real) == 0;
}

static void walk(importer *im, const char *path, int depth)
{
    struct stat st;
    if (im->fatal)
        return;
    if (lstat(path, &st) < 0) {
        job *j = calloc(1, sizeof *j);
        if (j == NULL)
            return;
        j->path = strdup(path);
        snprintf(j->err, sizeof j->err, "cannot read: %s", strerror(errno));
        fail_now(im, j, ARCA_EIO);
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        /* Links to files are followed; links to folders are not, so
         * that a loop cannot hold an import forever. */
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
            report_skip(im, path, "symbolic link to a folder or to "
                        "nothing: not followed");
            return;
        }
    }
    if (S_ISREG(st.st_mode)) {
        if (im->counting) {
            if (!im->man || !arca_manifest_real(im->man) ||
                !same_file(path, arca_manifest_real(im->man))) {
                im->sum.total_files++;
                im->sum.total_bytes += (uint64_t)st.st_size;
            }
            return;
        }
        import_file(im, path, &st);
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        report_skip(im, path, "not a regular file or folder");
        return;
    }
    char real[PATH_MAX];
    if (realpath(path, real) && strcmp(real, im->collection_real) == 0) {
        report_skip(im, path, "the collection itself: not imported");
        return;
    }
    if (depth >= MAX_WALK_DEPTH) {
        report_skip(im, path, "folders nested too deep");
        return;
    }
    if (folder_record(im, path))
        return;
    struct dirent **names = NULL;
    int n = scandir(path, &names, NULL, by_name);
    if (n < 0) {
        job *j = calloc(1, sizeof *j);
        if (j == NULL)
            return;
        j->path = strdup(path);
        snprintf(j->err, sizeof j->err, "cannot list folder: %s",
                 strerror(errno));
        fail_now(im, j, ARCA_EIO);
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (im->counting && elapsed(&im->count_t0) > COUNT_SECONDS)
            im->counting = -1;              /* too long: not known */
        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
            !is_sidecar(name) && !im->fatal && im->counting >= 0) {
            char sub[PATH_MAX];
            size_t pl = strlen(path);
            int k = snprintf(sub, sizeof sub, "%s%s%s", path,
                             pl && path[pl - 1] == '/' ? "" : "/", name);
            if (k > 0 && (size_t)k < sizeof sub)
                walk(im, sub, depth + 1);
            else
                report_skip(im, name, "path too long");
        }
        free(names[i]);
    }
    free(names);
}

/* ---- Import ---- */

static int ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

arca_status arca_db_import(arca_db *db, const char *const *paths,
                           size_t npaths, const arca_import_opts *opts,
                           arca_import_summary *sum)
{
    static const arca_import_opts defaults = {0};
    importer im = {0};
    arca_status rc = ARCA_OK;
    int began = 0;
    char path[PATH_MAX], err[512];

    if (sum)
        memset(sum, 0, sizeof *sum);
    if (opts == NULL)
        opts = &defaults;
    if (!(db->flags & ARCA_WRITE) && !opts->dry_run)
        return arca_db_fail(db, ARCA_EINVAL, "import needs a writer");
    /* The settings were read when the collection was opened; the hooks
     * are checked here, once, before any thread runs them. */
    const arca_config *cfg = &db->cfg;
    snprintf(path, sizeof path, "%s/config.lua", db->dir);
    arca_hooks *probe = NULL;
    rc = arca_hooks_open(path, &probe, err, sizeof err);
    if (rc)
        return arca_db_fail(db, rc, "%s", err);
    im.hooks = probe != NULL;
    if (arca_hooks_have_folder(probe))
        im.walk_hooks = probe;      /* the walk's own */
    else
        arca_hooks_close(probe);
    snprintf(im.config_path, sizeof im.config_path, "%s", path);
    im.db = db;
    im.opts = opts;
    if (!opts->dry_run)
        arca_catalog_set_journal(db->catalog, journal_pack, &im);
    im.lim.max_text = opts->max_text ? (size_t)opts->max_text
                                     : ARCA_DEFAULT_MAX_TEXT;
    im.lim.max_depth = 256;
    im.lim.ocr = (opts->ocr ? opts->ocr : cfg->ocr) > 0;
    im.lim.ocr_langs = opts->ocr_langs ? opts->ocr_langs : cfg->ocr_langs;
    im.max_file = opts->max_file ? opts->max_file
                  : cfg->max_file ? cfg->max_file : DEFAULT_MAX_FILE;
    im.batch = opts->batch ? opts->batch : DEFAULT_BATCH;
    im.nthreads = opts->jobs > 0 ? opts->jobs
                  : cfg->jobs > 0 ? cfg->jobs : ncores();
    im.max_inflight = (unsigned)im.nthreads * 4;
    clock_gettime(CLOCK_MONOTONIC, &im.t0);
    if (realpath(db->dir, im.collection_real) == NULL)
        im.collection_real[0] = '\0';
    pthread_mutex_init(&im.mu, NULL);
    pthread_cond_init(&im.has_job, NULL);
    pthread_cond_init(&im.has_result, NULL);

    if (!opts->dry_run) {
        arca_str args = {0};
        for (size_t i = 0; i < npaths; i++)
            arca_str_printf(&args, "%s%s", i ? " " : "", paths[i]);
        rc = arca_catalog_run_begin(db->catalog, args.s ? args.s : "",
                                    &im.run);
        arca_str_free(&args);
        if (rc == ARCA_OK)
            rc = arca_catalog_begin(db->catalog);
        if (rc) {
            arca_db_fail(db, rc, "%s", arca_catalog_errmsg(db->catalog));
            goto out;
        }
        began = 1;
    }
    im.threads = calloc((size_t)im.nthreads, sizeof *im.threads);
    if (im.threads == NULL) {
        rc = arca_db_fail(db, ARCA_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < im.nthreads; i++)
        if (pthread_create(&im.threads[i], NULL, worker, &im) != 0) {
            im.nthreads = i;
            break;
        }
    if (im.nthreads == 0) {
        rc = arca_db_fail(db, ARCA_EIO, "cannot start extraction threads");
        goto out;
    }

    if (opts->fields_from_path &&
        (rc = pattern_compile(opts->fields_from_path, &im.pat, err,
                              sizeof err)) != ARCA_OK) {
        arca_db_fail(db, rc, "%s", err);
        goto out;
    }
    if (opts->manifest &&
        (rc = arca_manifest_load(opts->manifest, opts->manifest_map, NULL,
                                 &im.man, err, sizeof err)) != ARCA_OK) {
        arca_db_fail(db, rc, "%s", err);
        goto out;
    }
    if (opts->count_first) {
        /* The same walk, counting only. */
        im.counting = 1;
        clock_gettime(CLOCK_MONOTONIC, &im.count_t0);
        for (size_t i = 0; i < npaths && im.counting > 0; i++) {
            im.root = paths[i];
            walk(&im, paths[i], 0);
        }
        for (size_t i = 0; im.man && im.counting > 0 &&
                           i < arca_manifest_nrows(im.man); i++) {
            const arca_manifest_row *row = arca_manifest_row_at(im.man, i);
            im.root = arca_manifest_dir(im.man);
            if (row->real == NULL)
                im.sum.total_files++;   /* it will fail: not there */
            else if (npaths == 0)
                walk(&im, row->path, 0);
        }
        if (im.counting < 0)
            im.sum.total_files = im.sum.total_bytes = 0;
        im.counting = 0;
    }
    char **seen = opts->folder_root ? calloc(npaths + 1, sizeof *seen)
                                    : NULL;
    size_t nseen = 0;
    if (opts->folder_root && seen == NULL)
        im.fatal = arca_db_fail(db, ARCA_ENOMEM, "out of memory");
    for (size_t i = 0; i < npaths && !im.fatal; i++) {
        const char *p = paths[i];
        char *folder = seen ? record_folder_of(&im, opts->folder_root, p)
                            : NULL;
        int again = 0;
        for (size_t k = 0; folder && k < nseen && !again; k++)
            again = strcmp(seen[k], folder) == 0;
        if (again) {
            free(folder);
            continue;           /* imported with an earlier file */
        }
        if (folder) {
            seen[nseen++] = folder;
            p = folder;
        }
        im.root = p;
        walk(&im, p, 0);
    }
    for (size_t k = 0; k < nseen; k++)
        free(seen[k]);
    free(seen);
    /* The manifest alone: its files are the import. */
    im.root = im.man ? arca_manifest_dir(im.man) : NULL;
    for (size_t i = 0; npaths == 0 && im.man &&
                       i < arca_manifest_nrows(im.man) && !im.fatal; i++) {
        const arca_manifest_row *row = arca_manifest_row_at(im.man, i);
        if (row->real)
            walk(&im, row->path, 0);
    }
    /* The files it lists that are not there. */
    for (size_t i = 0; im.man && i < arca_manifest_nrows(im.man) &&
                       !im.fatal; i++) {
        const arca_manifest_row *row = arca_manifest_row_at(im.man, i);
        if (row->real)
            continue;
        job *j = calloc(1, sizeof *j);
        if (j == NULL || (j->path = strdup(row->path)) == NULL) {
            free(j);
            im.fatal = arca_db_fail(db, ARCA_ENOMEM, "out of memory");
            break;
        }
        snprintf(j->err, sizeof j->err, "listed in %s:%llu but not there: "
                 "%s", arca_manifest_name(im.man),
                 (unsigned long long)row->line, strerror(row->err));
        fail_now(&im, j, ARCA_ENOTFOUND);
    }
    while (im.inflight > 0)
        next_result(&im, 1);

    rc = im.fatal;
    if (rc == ARCA_OK && began) {
        rc = finish_pack(&im);
        if (rc == ARCA_OK)
            rc = arca_commit_all(db);
        began = 0;
        if (rc == ARCA_OK)
            flush_pending(&im);
        arca_catalog_run_end(db->catalog, im.run, rc ? "failed" : "done");
    } else if (rc == ARCA_OK) {
        flush_pending(&im);
    }
out:
    pthread_mutex_lock(&im.mu);
    im.closing = 1;
    pthread_cond_broadcast(&im.has_job);
    pthread_mutex_unlock(&im.mu);
    /* No thread runs yet when the catalog refused the run. */
    for (int i = 0; im.threads && i < im.nthreads; i++)
        pthread_join(im.threads[i], NULL);
    free(im.threads);
    for (job *j = im.results, *next; j; j = next) {
        next = j->next;
        job_free(j);
    }
    arca_packw_abort(im.pack);
    if (began) {
        arca_catalog_rollback(db->catalog);
        arca_xdb_cancel(db->xdb);
    }
    if (!opts->dry_run)
        arca_journal_attach(db);
    /* Outcomes of a batch that did not commit are not reported. */
    for (size_t i = 0; i < im.npend; i++) {
        free(im.pend[i].path);
        free(im.pend[i].id);
        free(im.pend[i].mime);
        free(im.pend[i].charset);
        free(im.pend[i].error);
        free(im.pend[i].warning);
    }
    free(im.pend);
    arca_manifest_free(im.man);
    arca_hooks_close(im.walk_hooks);
    pattern_free(&im.pat);
    pthread_mutex_destroy(&im.mu);
    pthread_cond_destroy(&im.has_job);
    pthread_cond_destroy(&im.has_result);
    im.sum.seconds = elapsed(&im.t0);
    if (sum)
        *sum = im.sum;
    return rc;
}

/* ---- Adding one record by hand ---- */

typedef struct add_part {
    part_out po;
    char *name;
} add_part;

arca_status arca_db_add(arca_db *db, const arca_record_in *in, char *idbuf,
                        size_t idlen)
{
    arca_status rc = ARCA_OK;
    arca_detector *det = NULL;
    size_t nparts = 1 + in->nattachments;
    add_part *parts = calloc(nparts, sizeof *parts);
    arca_cat_record rec = {0};
    arca_part_text *texts = NULL;
    arca_xdoc **docs = NULL;
    json_t *tags = json_array(), *extra = json_object();
    char *tags_s = NULL, *extra_s = NULL, *lang = NULL;
    char id[MAX_ID + 1], date[11], err[512] = "", warn[256] = "";
    arca_limits lim = {.max_text = ARCA_DEFAULT_MAX_TEXT, .max_depth = 256};
    int began = 0, changed = 0;

    if (!(db->flags & ARCA_WRITE))
        return arca_db_fail(db, ARCA_EINVAL, "adding needs a writer");
    if (parts == NULL || tags == NULL || extra == NULL) {
        rc = arca_db_fail(db, ARCA_ENOMEM, "out of memory");
        goto out;
    }
    if (in->title == NULL || in->title[0] == '\0') {
        rc = arca_db_fail(db, ARCA_EINVAL, "a record needs a title");
        goto out;
    }
    date[0] = '\0';
    if (in->date && arca_date_norm(in->date, date) != 0) {
        rc = arca_db_fail(db, ARCA_EINVAL, "'%s' is not a date (YYYY, "
                          "YYYY-MM or YYYY-MM-DD)", in->date);
        goto out;
    }
    if (in->id) {
        if (!id_valid(in->id)) {
            rc = arca_db_fail(db, ARCA_EINVAL, "'%s' is not a valid id (1 "
                              "to %d bytes, no '/')", in->id, MAX_ID);
            goto out;
        }
        snprintf(id, sizeof id, "%s", in->id);
    } else {
        char name[512];
        snprintf(name, sizeof name, "%s %s", date, in->title);
        make_id(name, name, id);
    }
    rc = arca_detector_new(&det, err, sizeof err);
    if (rc) {
        arca_db_fail(db, rc, "%s", err);
        goto out;
    }

    /* Read and extract every part before touching the archive. */
    for (size_t i = 0; i < nparts; i++) {
        const char *path = i == 0 ? in->body_path
                                  : in->attachments[i - 1].path;
        const void *bytes = i == 0 ? in->body : in->attachments[i - 1].data;
        size_t len = i == 0 ? in->body_len : in->attachments[i - 1].len;
        const char *name = i == 0 ? NULL : in->attachments[i - 1].name;
        char *data = NULL;
        if (path) {
            rc = arca_read_file(path, DEFAULT_MAX_FILE, &data, &len, err,
                                sizeof err);
            if (rc) {
                arca_db_fail(db, rc, "%s", err);
                goto out;
            }
            bytes = data;
            if (name == NULL)
                name = base_name(path);
        }
        if (i > 0 && name == NULL) {
            free(data);
            rc = arca_db_fail(db, ARCA_EINVAL, "attachment %zu has no name",
                              i);
            goto out;
        }
        parts[i].name = arca_strdup(name);
        if (bytes == NULL) {        /* a record with no body */
            arca_extract_init(&parts[i].po.x, 0);
            continue;
        }
        warn[0] = '\0';
        rc = extract_part(det, name ? name : "body", bytes, len, &lim,
                          &parts[i].po, err, sizeof err, warn, sizeof warn);
        if (rc == ARCA_EFORMAT && len == 0)
            rc = ARCA_OK;       /* an empty body is no body */
        if (rc == ARCA_OK)
            rc = store_part(db->objects, bytes, len, &parts[i].po, err,
                            sizeof err);
        free(data);
        if (rc) {
            arca_db_fail(db, rc, "%s: %s", path ? path : name ? name : "body",
                         err);
            goto out;
        }
    }

    for (size_t i = 0; i < in->ntags; i++)
        json_array_append_new(tags, json_string(in->tags[i]));
    for (size_t i = 0; i < in->nextra; i++)
        json_object_set_new(extra, in->extra[2 * i],
                            json_string(in->extra[2 * i + 1]));
    tags_s = json_dumps(tags, JSON_COMPACT);
    extra_s = json_object_size(extra) ? json_dumps(extra, JSON_COMPACT |
                                                   JSON_SORT_KEYS)
                                      : NULL;
    lang = lang_primary(in->lang);
    if (lang == NULL)
        lang = lang_primary(parts[0].po.x.lang);
    if (lang == NULL)
        lang = arca_strdup(arca_detect_lang(parts[0].po.x.text,
                                           parts[0].po.x.len));

    rec.parts = calloc(nparts, sizeof *rec.parts);
    texts = calloc(nparts, sizeof *texts);
    if (rec.parts == NULL || texts == NULL) {
        rc = arca_db_fail(db, ARCA_ENOMEM, "out of memory");
        goto out;
    }
    rec.id = id;
    rec.title = in->title;
    rec.date = date[0] ? date : NULL;
    rec.author = in->author;
    rec.board = in->board;
    rec.lang = lang;
    rec.source = in->source ? in->source : in->body_path;
    rec.tags = in->ntags ? tags_s : NULL;
    rec.extra = extra_s;
    for (size_t i = 0; i < nparts; i++) {
        part_out *po = &parts[i].po;
        arca_cat_part *p = &rec.parts[rec.nparts];
        if (i == 0 && po->size == 0 && !po->has_text)
            continue;           /* no body: the record is its attachments */
        p->seq = (int)i;
        p->name = parts[i].name;
        p->mime = po->mime;
        p->charset = po->charset[0] ? po->charset : NULL;
        p->original = po->orig;
        p->text = po->has_text ? po->text : NULL;
        p->size = (int64_t)po->size;
        p->note = po->x.truncated ? "text truncated" : NULL;
        p->meta = po->meta;
        texts[rec.nparts].text = po->x.text;
        texts[rec.nparts].len = po->x.len;
        rec.nparts++;
    }
    rc = arca_record_docs(db, &rec, texts, &docs, err, sizeof err);
    if (rc) {
        arca_db_fail(db, rc, "%s", err);
        goto out;
    }
    rc = arca_catalog_begin(db->catalog);
    if (rc) {
        arca_db_fail(db, rc, "%s", arca_catalog_errmsg(db->catalog));
        goto out;
    }
    began = 1;
    for (size_t i = 0; rc == ARCA_OK && i < rec.nparts; i++) {
        const part_out *po = &parts[rec.parts[i].seq].po;
        rc = arca_catalog_put_object(db->catalog, po->orig, po->size,
                                     po->orig_z);
        if (rc == ARCA_OK && po->has_text)
            rc = arca_catalog_put_object(db->catalog, po->text,
                                         po->text_size, po->text_z);
    }
    if (rc == ARCA_OK)
        rc = arca_catalog_put_record(db->catalog, &rec, &changed);
    if (rc) {
        arca_db_fail(db, rc, "%s", arca_catalog_errmsg(db->catalog));
        goto out;
    }
    if (changed &&
        (rc = arca_index_docs(db, &rec, docs, rec.version == 1)) != ARCA_OK)
        goto out;
    rc = arca_commit_all(db);
    began = 0;
    if (rc == ARCA_OK)
        snprintf(idbuf, idlen, "%s", id);
out:
    if (began) {
        arca_catalog_rollback(db->catalog);
        arca_xdb_cancel(db->xdb);
    }
    arca_docs_free(docs, rec.nparts);
    free(rec.parts);
    free(texts);
    for (size_t i = 0; parts && i < nparts; i++) {
        arca_extract_free(&parts[i].po.x);
        free(parts[i].po.meta);
        free(parts[i].name);
    }
    free(parts);
    arca_detector_free(det);
    json_decref(tags);
    json_decref(extra);
    free(tags_s);
    free(extra_s);
    free(lang);
    return rc;
}

arca_status arca_extract_again(arca_db *db, const void *data, size_t len,
                               const char *name, char **text, size_t *tlen,
                               char *err, size_t errlen)
{
    arca_detector *det = NULL;
    part_out po;
    char warn[512] = "";
    arca_limits lim = {0};

    *text = NULL;
    *tlen = 0;
    memset(&po, 0, sizeof po);
    arca_status rc = arca_detector_new(&det, err, errlen);
    if (rc)
        return rc;
    lim.max_text = ARCA_DEFAULT_MAX_TEXT;
    lim.max_depth = 256;
    lim.ocr = db->cfg.ocr > 0;
    lim.ocr_langs = db->cfg.ocr_langs;
    rc = extract_part(det, name, data, len, &lim, &po, err, errlen, warn,
                      sizeof warn);
    if (rc == ARCA_OK && po.has_text) {
        *text = po.x.text;
        *tlen = po.x.len;
        po.x.text = NULL;
    }
    arca_extract_free(&po.x);
    free(po.meta);
    arca_detector_free(det);
    return rc;
}
