/*
 * status.c: the names of arca's status codes, and the formats it reads.
 */
#include "arca.h"
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
    for (size_t i = 0; i < n; i++)
        cb(ctx, t[i].mime, t[i].name);
}
