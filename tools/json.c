/*
 * json.c: the JSON shapes `arca search --json`, `arca stats --json` and
 * the HTTP API share, so a field cannot differ between them.
 */
#include "tools/tools.h"

json_t *arca_json_str(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *hit_json(const arca_hit *h)
{
    json_t *o = json_object(), *atts = json_array();
    json_object_set_new(o, "rank", json_integer(h->rank));
    json_object_set_new(o, "id", arca_json_str(h->id));
    json_object_set_new(o, "score", json_real(h->score));
    json_object_set_new(o, "title", arca_json_str(h->title));
    json_object_set_new(o, "date", arca_json_str(h->date));
    json_object_set_new(o, "author", arca_json_str(h->author));
    json_object_set_new(o, "board", arca_json_str(h->board));
    json_object_set_new(o, "lang", arca_json_str(h->lang));
    json_object_set_new(o, "type", arca_json_str(h->type));
    json_object_set_new(o, "source", arca_json_str(h->source));
    if (h->part)
        json_object_set_new(o, "part", json_string(h->part));
    json_object_set_new(o, "snippet", arca_json_str(h->snippet));
    json_object_set_new(o, "sha256", arca_json_str(h->sha256));
    for (size_t k = 0; k < h->nattachments; k++) {
        const arca_attachment *a = &h->attachments[k];
        json_t *ao = json_object();
        json_object_set_new(ao, "part", json_integer(a->part));
        json_object_set_new(ao, "name", arca_json_str(a->name));
        json_object_set_new(ao, "type", arca_json_str(a->type));
        json_object_set_new(ao, "size", json_integer((json_int_t)a->size));
        json_object_set_new(ao, "sha256", arca_json_str(a->sha256));
        if (a->url)
            json_object_set_new(ao, "url", json_string(a->url));
        json_array_append_new(atts, ao);
    }
    json_object_set_new(o, "attachments", atts);
    if (h->shard)
        json_object_set_new(o, "shard", json_string(h->shard));
    return o;
}

json_t *arca_json_facet(const arca_results *r, const char *name)
{
    size_t nv;
    const arca_facet_value *v = arca_results_facet(r, name, &nv);
    json_t *fo = json_object();
    for (size_t k = 0; k < nv; k++)
        json_object_set_new(fo, v[k].value,
                            json_integer((json_int_t)v[k].count));
    return fo;
}

json_t *arca_json_search(const char *query, unsigned offset,
                         const arca_results *r, const char *const *facets,
                         size_t nfacets)
{
    json_t *j = json_object(), *hits = json_array(), *fj = json_object();
    json_object_set_new(j, "query", json_string(query ? query : ""));
    json_object_set_new(j, "total",
                        json_integer((json_int_t)arca_results_total(r)));
    json_object_set_new(j, "offset", json_integer(offset));
    for (size_t i = 0; i < arca_results_count(r); i++)
        json_array_append_new(hits, hit_json(arca_results_hit(r, i)));
    json_object_set_new(j, "hits", hits);
    for (size_t i = 0; i < nfacets; i++)
        json_object_set_new(fj, facets[i], arca_json_facet(r, facets[i]));
    json_object_set_new(j, "facets", fj);
    json_object_set_new(j, "suggestion",
                        arca_json_str(arca_results_suggestion(r)));
    return j;
}

json_t *arca_json_stats(const arca_stats *s)
{
    json_t *j = json_object();
    json_object_set_new(j, "records", json_integer((json_int_t)s->records));
    json_object_set_new(j, "versions", json_integer((json_int_t)s->versions));
    json_object_set_new(j, "parts", json_integer((json_int_t)s->parts));
    json_object_set_new(j, "objects", json_integer((json_int_t)s->objects));
    json_object_set_new(j, "bytes", json_integer((json_int_t)s->bytes));
    json_object_set_new(j, "stored_bytes",
                        json_integer((json_int_t)s->stored_bytes));
    json_object_set_new(j, "index_docs",
                        json_integer((json_int_t)s->index_docs));
    json_object_set_new(j, "index_bytes",
                        json_integer((json_int_t)s->index_bytes));
    return j;
}
