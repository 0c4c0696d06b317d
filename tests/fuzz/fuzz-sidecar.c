/*
 * fuzz-sidecar.c: the sidecar reader (a NAME.meta.json beside an
 * imported file) on any bytes, through arca_sidecar_fields(), the code an
 * import runs on a sidecar.
 *
 * A refusal must come with a reason naming the sidecar.  Fields that are
 * given must be what the catalog expects: UTF-8 strings, a date in its
 * normal form, a valid id, tags a JSON array of strings, extra fields a
 * JSON object, a language a short tag.
 */
#include <jansson.h>

#include "fuzz.h"
#include "core/arca-private.h"

#define SRC "fuzz.meta.json"

static void check_str(const char *s)
{
    if (s == NULL)
        return;
    if (s[0] == '\0' || !arca_utf8_valid(s, strlen(s)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arca_cat_record *r = NULL;
    char err[600], warn[300];
    arca_status rc = arca_sidecar_fields(SRC, (const char *)data, size, &r,
                                         err, sizeof err, warn, sizeof warn);
    if (rc != ARCA_OK) {
        if (r != NULL || strncmp(err, SRC ": ", strlen(SRC) + 2) != 0)
            abort();
        return 0;
    }
    if (r == NULL || r->nparts != 0 || r->parts != NULL)
        abort();
    if (warn[0] != '\0' && strncmp(warn, SRC ": ", strlen(SRC) + 2) != 0)
        abort();
    const char *strs[] = {r->id, r->title, r->author, r->board, r->lang,
                          r->source, r->tags, r->extra, r->date};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        check_str(strs[i]);
    if (r->id != NULL &&
        (strlen(r->id) > 128 || strchr(r->id, '/') != NULL))
        abort();
    for (const char *p = r->id; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            abort();
    char norm[11];
    if (r->date != NULL &&
        (arca_date_norm(r->date, norm) != 0 || strcmp(norm, r->date) != 0))
        abort();
    if (r->lang != NULL && (strlen(r->lang) < 2 || strlen(r->lang) > 3 ||
                            strspn(r->lang, "abcdefghijklmnopqrstuvwxyz") !=
                                strlen(r->lang)))
        abort();
    if (r->tags != NULL) {
        json_t *t = json_loads(r->tags, 0, NULL);
        size_t i;
        json_t *v;
        if (!json_is_array(t))
            abort();
        json_array_foreach(t, i, v) {
            if (!json_is_string(v))
                abort();
        }
        json_decref(t);
    }
    if (r->extra != NULL) {
        json_t *x = json_loads(r->extra, 0, NULL);
        if (!json_is_object(x) || json_object_size(x) == 0)
            abort();
        json_decref(x);
    }
    arca_cat_record_free(r);
    return 0;
}
