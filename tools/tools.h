/*
 * tools.h: what the files of tools/ share: the JSON shapes of search
 * results and statistics (json.c), which the command line and the HTTP
 * API both print, and `arca serve` (serve.c).
 */
#ifndef ARCA_TOOLS_H
#define ARCA_TOOLS_H

#include <jansson.h>

#include "core/arca.h"

/*
 * The JSON of a search (DESIGN.md's shape): query, total, offset, hits
 * with their attachments, the facets named in FACETS[0..nfacets) and the
 * spelling suggestion.  A new reference, owned by the caller.
 */
json_t *arca_json_search(const char *query, unsigned offset,
                         const arca_results *r, const char *const *facets,
                         size_t nfacets);

/* One facet of R as {value: count}, most frequent first. */
json_t *arca_json_facet(const arca_results *r, const char *name);

json_t *arca_json_stats(const arca_stats *s);

/* A string, or JSON null for NULL. */
json_t *arca_json_str(const char *s);

/* `arca serve` on the collection DIR; the exit status. */
int arca_serve(const char *dir, int argc, char **argv);

#endif
