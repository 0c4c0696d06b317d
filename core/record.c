/*
 * record.c: from catalog records to index documents.
 *
 * A record becomes one Xapian document per part (its body and each
 * attachment), all carrying the record's fields as boolean terms and
 * value slots and sharing the collapse key (the record id), so a search
 * shows one hit per record with the part that matched.  The document data
 * is the JSON a hit is shown from.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "arca-private.h"

/* Bytes of one part's text read back from the archive for indexing. */
#define MAX_INDEX_TEXT ((size_t)64 << 20)
/* Records indexed between commits when catching up. */
#define CATCH_UP_BATCH 1000

/* A boolean term as core/xapian.cc forms it (Omega's rule: a prefix of
 * more than one character takes ':' before a value that starts with an
 * upper-case letter or ':'). */
static void bool_term(arca_str *t, const char *prefix, const char *value)
{
    t->len = 0;
    arca_str_addz(t, prefix);
    if (strlen(prefix) > 1 && (isupper((unsigned char)value[0]) ||
                               value[0] == ':'))
        arca_str_add(t, ":", 1);
    arca_str_addz(t, value);
}

/* Xapian refuses terms over 245 bytes; longer field values stay
 * searchable as text but get no boolean term. */
#define MAX_BOOL_VALUE 200

static arca_status add_bool(arca_xdoc *d, const char *prefix,
                            const char *value)
{
    if (value[0] == '\0' || strlen(value) > MAX_BOOL_VALUE)
        return ARCA_OK;
    return arca_xdoc_term(d, prefix, value);
}

static const char *stem_lang_of(const char *lang)
{
    static const char *const none[] = {"ko", "ja", "zh", NULL};
    if (lang == NULL || lang[0] == '\0')
        return NULL;
    for (size_t i = 0; none[i]; i++)
        if (strncmp(lang, none[i], 2) == 0)
            return NULL;
    return lang;
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The strings of JSON, an array or an object's values, as words of D
 * weighing WDF each. */
static arca_status index_strings(arca_xdoc *d, const char *json, unsigned wdf)
{
    arca_status rc = ARCA_OK;
    json_t *j = json_loads(json, 0, NULL);
    size_t n = json_is_array(j) ? json_array_size(j) : 0;
    for (size_t i = 0; rc == ARCA_OK && i < n; i++) {
        json_t *v = json_array_get(j, i);
        if (json_is_string(v))
            rc = arca_xdoc_text(d, "", json_string_value(v),
                                json_string_length(v), wdf, NULL);
    }
    for (void *it = json_is_object(j) ? json_object_iter(j) : NULL;
         rc == ARCA_OK && it; it = json_object_iter_next(j, it)) {
        json_t *v = json_object_iter_value(it);
        if (json_is_string(v))
            rc = arca_xdoc_text(d, "", json_string_value(v),
                                json_string_length(v), wdf, NULL);
    }
    json_decref(j);
    return rc;
}

/* The attachments list every hit of the record shows. */
static json_t *attachments_json(const arca_cat_record *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->nparts; i++) {
        const arca_cat_part *p = &r->parts[i];
        if (p->seq == 0)
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "part", json_integer(p->seq));
        json_object_set_new(o, "name", jstr(p->name));
        json_object_set_new(o, "type", jstr(p->mime));
        json_object_set_new(o, "size", json_integer(p->size));
        json_object_set_new(o, "sha256", jstr(p->original));
        json_array_append_new(a, o);
    }
    return a;
}

/*
 * The extra fields config.lua declares: a keyword field's value is one
 * exact term (case-folded by core/xapian.cc for XF prefixes) and a facet
 * value (in the slot its name gives), a text field's value words
 * under its prefix.  Numbers count as their text.
 */
static arca_status add_declared(arca_xdoc *d, const arca_config *cfg,
                                const char *extra, const char *lang)
{
    arca_status rc = ARCA_OK;
    json_t *o = json_loads(extra, 0, NULL);
    for (size_t i = 0; rc == ARCA_OK && i < cfg->nfields; i++) {
        const arca_field_decl *f = &cfg->fields[i];
        json_t *v = json_object_get(o, f->name);
        char num[32];
        const char *s = NULL;
        if (json_is_string(v)) {
            s = json_string_value(v);
        } else if (json_is_integer(v)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            s = num;
        } else if (json_is_real(v)) {
            snprintf(num, sizeof num, "%g", json_real_value(v));
            s = num;
        }
        if (s == NULL || s[0] == '\0')
            continue;
        if (f->keyword) {
            rc = add_bool(d, f->prefix, s);
            if (rc == ARCA_OK)
                rc = arca_xdoc_value(d, f->slot, s, strlen(s));
        } else {
            rc = arca_xdoc_text(d, f->prefix, s, strlen(s), 1,
                                stem_lang_of(lang));
        }
    }
    json_decref(o);
    return rc;
}

static arca_status add_fields(arca_xdoc *d, const arca_cat_record *r,
                              const arca_cat_part *p, arca_str *t)
{
    arca_status rc = ARCA_OK;
    char norm[11];
    const char *lang = p->lang ? p->lang : r->lang;

    (void)t;
    rc = arca_xdoc_term(d, "XR", r->id);
    if (rc == ARCA_OK)
        rc = arca_xdoc_value(d, ARCA_SLOT_RECORD, r->id, strlen(r->id));
    if (rc == ARCA_OK && r->date && arca_date_norm(r->date, norm) == 0) {
        char ymd[9];
        size_t n = strlen(norm);
        snprintf(ymd, sizeof ymd, "%.4s%.2s%.2s", norm,
                 n >= 7 ? norm + 5 : "00", n >= 10 ? norm + 8 : "00");
        rc = arca_xdoc_value(d, ARCA_SLOT_DATE, ymd, 8);
        if (rc == ARCA_OK)
            rc = arca_xdoc_value(d, ARCA_SLOT_YEAR, ymd, 4);
        char y[5];
        snprintf(y, sizeof y, "%.4s", ymd);
        if (rc == ARCA_OK)
            rc = add_bool(d, "Y", y);
        if (rc == ARCA_OK && n >= 7) {
            char ym[7];
            snprintf(ym, sizeof ym, "%.6s", ymd);
            rc = add_bool(d, "M", ym);
        }
        if (rc == ARCA_OK && n >= 10)
            rc = add_bool(d, "D", ymd);
    }
    if (rc == ARCA_OK && r->author) {
        rc = arca_xdoc_text(d, "A", r->author, strlen(r->author), 1, NULL);
        if (rc == ARCA_OK)
            rc = arca_xdoc_value(d, ARCA_SLOT_AUTHOR, r->author,
                                 strlen(r->author));
    }
    if (rc == ARCA_OK && r->board) {
        rc = add_bool(d, "XB", r->board);
        if (rc == ARCA_OK)
            rc = arca_xdoc_value(d, ARCA_SLOT_BOARD, r->board,
                                 strlen(r->board));
    }
    if (rc == ARCA_OK && lang) {
        rc = add_bool(d, "L", lang);
        if (rc == ARCA_OK)
            rc = arca_xdoc_value(d, ARCA_SLOT_LANG, lang, strlen(lang));
    }
    if (rc == ARCA_OK && p->mime) {
        rc = add_bool(d, "T", p->mime);
        if (rc == ARCA_OK)
            rc = arca_xdoc_value(d, ARCA_SLOT_TYPE, p->mime, strlen(p->mime));
    }
    if (rc == ARCA_OK && p->charset)
        rc = add_bool(d, "XE", p->charset);
    if (rc == ARCA_OK && r->source)
        rc = add_bool(d, "U", r->source);
    if (rc == ARCA_OK && r->tags) {
        json_t *tags = json_loads(r->tags, 0, NULL);
        size_t i;
        json_t *v;
        json_array_foreach(tags, i, v) {
            if (rc == ARCA_OK && json_is_string(v))
                rc = add_bool(d, "K", json_string_value(v));
        }
        json_decref(tags);
    }
    if (rc == ARCA_OK)
        rc = arca_xdoc_value_number(d, ARCA_SLOT_SIZE, (double)p->size);
    /* The title is searchable with title: from every part, so that
     * title:forum matches a record whose attachment holds the rest. */
    if (rc == ARCA_OK && r->title)
        rc = arca_xdoc_text(d, "S", r->title, strlen(r->title), 1,
                            stem_lang_of(r->lang));
    return rc;
}

static char *doc_data(const arca_cat_record *r, const arca_cat_part *p,
                      json_t *attachments)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "title", jstr(r->title));
    json_object_set_new(o, "date", jstr(r->date));
    json_object_set_new(o, "author", jstr(r->author));
    json_object_set_new(o, "board", jstr(r->board));
    json_object_set_new(o, "lang", jstr(p->lang ? p->lang : r->lang));
    json_object_set_new(o, "type", jstr(p->mime));
    json_object_set_new(o, "source", jstr(r->source));
    if (p->seq > 0)
        json_object_set_new(o, "part", jstr(p->name));
    json_object_set_new(o, "sha256", jstr(p->original));
    json_object_set_new(o, "text", jstr(p->text));
    json_object_set(o, "attachments", attachments);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

arca_status arca_record_docs(arca_db *db, const arca_cat_record *r,
                             const arca_part_text *texts, arca_xdoc ***out,
                             char *err, size_t errlen)
{
    arca_status rc = ARCA_OK;
    arca_str term = {0};
    json_t *atts = NULL;
    arca_xdoc **docs = NULL;

    *out = NULL;
    if (r->deleted || r->nparts == 0)
        return ARCA_OK;
    docs = calloc(r->nparts, sizeof *docs);
    if (docs == NULL)
        return ARCA_ENOMEM;
    atts = attachments_json(r);
    for (size_t i = 0; i < r->nparts; i++) {
        const arca_cat_part *p = &r->parts[i];
        const char *lang = p->lang ? p->lang : r->lang;
        void *loaded = NULL;
        const char *text = texts ? texts[i].text : NULL;
        size_t len = texts ? texts[i].len : 0;
        arca_xdoc *d = NULL;

        if (text == NULL && p->text != NULL) {
            rc = arca_db_object_get(db, p->text, MAX_INDEX_TEXT, &loaded,
                                    &len);
            if (rc) {
                snprintf(err, errlen, "record %s: text of part %d: %s",
                         r->id, p->seq, arca_db_errmsg(db));
                goto out;
            }
            text = loaded;
        }
        rc = arca_xdoc_new(&d);
        if (rc == ARCA_OK) {
            docs[i] = d;
            arca_xdoc_words(d, !db->cfg.no_cjk_words);
            rc = add_fields(d, r, p, &term);
            if (rc == ARCA_OK && r->extra && db->cfg.nfields > 0)
                rc = add_declared(d, &db->cfg, r->extra,
                                  p->lang ? p->lang : r->lang);
        }
        if (rc == ARCA_OK && p->seq == 0 && r->title)
            rc = arca_xdoc_text(d, "", r->title, strlen(r->title), 3,
                                stem_lang_of(r->lang));
        /* Tags are words of the record too, weighing as its title's. */
        if (rc == ARCA_OK && p->seq == 0 && r->tags)
            rc = index_strings(d, r->tags, 3);
        /* The whole title as one term, for a query that types it. */
        char tkey[ARCA_TITLE_KEY_MAX + 1];
        if (rc == ARCA_OK && p->seq == 0 &&
            arca_title_key(r->title, tkey, sizeof tkey) > 0)
            rc = arca_xdoc_weighted_term(d, "XT", tkey, 1);
        if (rc == ARCA_OK && p->name)
            rc = arca_xdoc_text(d, "", p->name, strlen(p->name), 2, NULL);
        /* Extracted fields (a camera, keywords, a description) are
         * words of the part too. */
        if (rc == ARCA_OK && p->meta)
            rc = index_strings(d, p->meta, 1);
        /* A file is found by its own name too ("metadata.pdf"). */
        if (rc == ARCA_OK && p->seq == 0 && r->source) {
            const char *base = strrchr(r->source, '/');
            base = base ? base + 1 : r->source;
            rc = arca_xdoc_text(d, "", base, strlen(base), 2, NULL);
        }
        if (rc == ARCA_OK && text && len)
            rc = arca_xdoc_text(d, "", text, len, 1, stem_lang_of(lang));
        free(loaded);
        char *data = rc ? NULL : doc_data(r, p, atts);
        if (rc == ARCA_OK && data == NULL)
            rc = ARCA_ENOMEM;
        if (rc == ARCA_OK)
            rc = arca_xdoc_data(d, data, strlen(data));
        free(data);
        if (rc == ARCA_OK) {
            term.len = 0;
            rc = arca_str_printf(&term, "%s#%d", r->id, p->seq);
        }
        if (rc == ARCA_OK)
            rc = arca_xdoc_term(d, "Q", term.s);
        if (rc) {
            snprintf(err, errlen, "record %s: cannot build its index "
                     "document: %s", r->id, arca_status_str(rc));
            goto out;
        }
    }
    *out = docs;
    docs = NULL;
out:
    arca_docs_free(docs, r->nparts);
    json_decref(atts);
    arca_str_free(&term);
    return rc;
}

void arca_docs_free(arca_xdoc **docs, size_t n)
{
    if (docs == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        arca_xdoc_free(docs[i]);
    free(docs);
}

arca_status arca_index_docs(arca_db *db, const arca_cat_record *r,
                            arca_xdoc *const *docs, int fresh)
{
    arca_str term = {0};
    arca_status rc = ARCA_OK;

    /* A record the index cannot hold yet needs no look-ups. */
    if (!fresh) {
        bool_term(&term, "XR", r->id);
        rc = arca_xdb_delete_term(db->xdb, term.s);
    }
    for (size_t i = 0; rc == ARCA_OK && docs && i < r->nparts; i++) {
        term.len = 0;
        rc = arca_str_printf(&term, "Q%s#%d", r->id, r->parts[i].seq);
        if (rc == ARCA_OK)
            rc = fresh ? arca_xdb_add(db->xdb, term.s, docs[i])
                       : arca_xdb_replace(db->xdb, term.s, docs[i]);
    }
    if (rc)
        arca_db_fail(db, rc, "index: record %s: %s", r->id,
                     arca_xdb_errmsg(db->xdb));
    arca_str_free(&term);
    return rc;
}

arca_status arca_index_record(arca_db *db, const arca_cat_record *r,
                              const arca_part_text *texts, int fresh)
{
    arca_xdoc **docs = NULL;
    char err[ARCA_ERRLEN];
    arca_status rc = arca_record_docs(db, r, texts, &docs, err, sizeof err);
    if (rc)
        arca_db_fail(db, rc, "%s", err);
    if (rc == ARCA_OK)
        rc = arca_index_docs(db, r, docs, fresh);
    arca_docs_free(docs, r->nparts);
    return rc;
}

/* ---- Keeping the index level with the catalog ---- */

struct catch_up {
    arca_db *db;
    int fresh;               /* into an empty index */
    arca_status rc;
    uint64_t done, total, since_commit;
    arca_progress_fn cb;
    void *ctx;
};

static arca_status set_seq_commit(arca_db *db, int64_t seq)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)seq);
    arca_status rc = arca_xdb_set_meta(db->xdb, ARCA_META_SEQ, buf);
    if (rc == ARCA_OK)
        rc = arca_xdb_commit(db->xdb);
    if (rc)
        arca_db_fail(db, rc, "index: %s", arca_xdb_errmsg(db->xdb));
    return rc;
}

static int catch_up_one(void *ctx, const arca_cat_record *r)
{
    struct catch_up *c = ctx;
    c->rc = arca_index_record(c->db, r, NULL, c->fresh);
    if (c->rc)
        return 1;
    c->done++;
    if (++c->since_commit >= CATCH_UP_BATCH) {
        /* Heads come in order of change number, so this is a true
         * statement of what the index holds. */
        c->rc = set_seq_commit(c->db, r->seq);
        if (c->rc)
            return 1;
        c->since_commit = 0;
    }
    if (c->cb && (c->done % 100 == 0 || c->done == c->total))
        c->cb(c->ctx, c->done, c->total);
    return 0;
}

arca_status arca_index_catch_up(arca_db *db, int from_scratch,
                                arca_progress_fn cb, void *ctx)
{
    arca_status rc;
    int64_t after = 0, max = 0;
    char *seq = NULL;

    if (!from_scratch) {
        rc = arca_xdb_get_meta(db->xdb, ARCA_META_SEQ, &seq);
        if (rc)
            return arca_db_fail(db, rc, "index: %s", arca_xdb_errmsg(db->xdb));
        after = strtoll(seq, NULL, 10);
        free(seq);
    }
    rc = arca_catalog_max_seq(db->catalog, &max);
    if (rc)
        return arca_db_fail(db, rc, "%s", arca_catalog_errmsg(db->catalog));
    if (after == max && !from_scratch)
        return ARCA_OK;
    if (after > max)            /* an index from another catalog */
        after = 0;
    struct catch_up c = {db, from_scratch, ARCA_OK, 0, 0, 0, cb, ctx};
    if (cb)
        arca_catalog_count_records(db->catalog, &c.total);
    rc = arca_catalog_foreach_head(db->catalog, after, catch_up_one, &c);
    if (c.rc)
        return c.rc;
    if (rc)
        return arca_db_fail(db, rc, "%s", arca_catalog_errmsg(db->catalog));
    return set_seq_commit(db, max);
}

arca_status arca_commit_all(arca_db *db)
{
    int64_t max = 0;
    arca_status rc = arca_objects_sync(db->objects);
    if (rc)
        return arca_db_fail(db, rc, "%s", arca_objects_errmsg());
    rc = arca_catalog_commit(db->catalog);
    if (rc)
        return arca_db_fail(db, rc, "%s", arca_catalog_errmsg(db->catalog));
    rc = arca_catalog_max_seq(db->catalog, &max);
    if (rc)
        return arca_db_fail(db, rc, "%s", arca_catalog_errmsg(db->catalog));
    return set_seq_commit(db, max);
}
