/*
 * status.c: the names of arca's status codes, and the formats it reads.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "arca.h"
#include "../indexers/image-private.h"
#include "../indexers/indexer.h"

static const char *const status_names[ARCA_STATUS_COUNT] = {
    [ARCA_OK] = "success",
    [ARCA_ENOMEM] = "out of memory",
    [ARCA_EIO] = "input/output error",
    [ARCA_ECORRUPT] = "stored data is corrupt",
    [ARCA_ELOCKED] = "collection is busy",
    [ARCA_ERETRY] = "index changed while reading; retry",
    [ARCA_EQUERY] = "query does not parse",
    [ARCA_EUNSUPPORTED] = "unsupported",
    [ARCA_EFORMAT] = "malformed input",
    [ARCA_ELIMIT] = "over a limit",
    [ARCA_ENOTFOUND] = "not found",
    [ARCA_EINVAL] = "invalid argument",
    [ARCA_EEXIST] = "already exists",
    [ARCA_EINDEX] = "index error",
    [ARCA_EINTERNAL] = "internal error",
};

const char *arca_status_str(arca_status st)
{
    if ((unsigned)st >= ARCA_STATUS_COUNT)
        return "unknown status";
    return status_names[st];
}

void arca_formats(arca_format_fn cb, void *ctx)
{
    size_t n;
    const struct arca_indexer *t = arca_indexer_table(&n);
    for (size_t i = 0; i < n; i++) {
        arca_format f = {t[i].mime, t[i].name,
                         (t[i].flags & ARCA_IX_OCR) != 0};
        cb(ctx, &f);
    }
}

static char engine[64], missing[64];
static pthread_once_t readers_once = PTHREAD_ONCE_INIT;
static const char *installed = "";

static void find_readers(void)
{
    static const char *const defaults[] = {"kor", "eng", "chi_sim", "jpn",
                                           "rus"};
    const char *version = NULL;
    arca_ocr_info(&version, &installed);
    snprintf(engine, sizeof engine, "tesseract %s", version ? version : "?");
    size_t used = 0;
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++) {
        /* "kor+eng": a language is installed when it is a whole item. */
        size_t k = strlen(defaults[i]);
        const char *p = installed;
        int found = 0;
        while ((p = strstr(p, defaults[i])) != NULL) {
            if ((p == installed || p[-1] == '+') &&
                (p[k] == '\0' || p[k] == '+')) {
                found = 1;
                break;
            }
            p += k;
        }
        if (!found && used < sizeof missing)
            used += (size_t)snprintf(missing + used, sizeof missing - used,
                                     "%s%s", used ? "+" : "", defaults[i]);
    }
}

void arca_readers_info(arca_readers *out)
{
    pthread_once(&readers_once, find_readers);
    out->ocr_engine = engine;
    out->ocr_languages = installed;
    out->ocr_missing = missing;
    out->filters = "";
}
