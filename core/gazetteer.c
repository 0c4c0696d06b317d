/*
 * gazetteer.c: the default gazetteer as synonym groups.
 *
 * core/gazetteer.tsv (built into the library; see core/gazetteer.md) has
 * one place a line: kind, country, then its names in English, Korean,
 * Chinese (simplified, traditional), Japanese, Russian and Mongolian, and
 * other spellings separated by '|'.  Every name of a place becomes one
 * synonym group, so a query for "Gyeongju" finds 경주, 慶州 and Кёнджу.
 * Rows whose kind starts with '!' are names that are also common words
 * (전주 "last week", 나라 "country"): they are left out.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "arca-private.h"
#include "gazetteer_tsv.h"      /* generated from core/gazetteer.tsv */

#define GAZ_CELLS 10            /* kind country en ko zh_hans zh_hant ja ru mn other */
#define GAZ_MAX_LINE 4096

/* The names of one row (LINE, changed in place) into FORMS; their count. */
static size_t row_forms(char *line, const char **forms, size_t max)
{
    char *cells[GAZ_CELLS];
    size_t ncells = 0, n = 0;
    char *p = line;

    while (ncells < GAZ_CELLS) {
        cells[ncells++] = p;
        p = strchr(p, '\t');
        if (p == NULL)
            break;
        *p++ = '\0';
    }
    if (ncells < 3 || cells[0][0] == '!')
        return 0;
    for (size_t c = 2; c < ncells; c++) {
        char *save = NULL;
        for (char *f = strtok_r(cells[c], "|", &save); f != NULL;
             f = strtok_r(NULL, "|", &save)) {
            bool dup = false;
            for (size_t i = 0; i < n && !dup; i++)
                dup = strcmp(forms[i], f) == 0;
            if (!dup && *f && n < max)
                forms[n++] = f;
        }
    }
    return n;
}

arca_status arca_gazetteer_add(arca_synonyms **s, char *err, size_t errlen)
{
    const char *text = (const char *)gazetteer_tsv;
    const char *forms[ARCA_SYN_MAX_GROUP];
    char line[GAZ_MAX_LINE], why[200];
    unsigned lineno = 0;

    while (*text) {
        size_t len = strcspn(text, "\n");
        lineno++;
        if (len >= sizeof line) {
            snprintf(err, errlen, "gazetteer.tsv:%u: line too long", lineno);
            return ARCA_EINTERNAL;
        }
        memcpy(line, text, len);
        line[len] = '\0';
        text += len + (text[len] == '\n');
        if (line[0] == '#' || line[0] == '\0')
            continue;
        size_t n = row_forms(line, forms, ARCA_SYN_MAX_GROUP);
        if (n < 2)
            continue;
        arca_status rc = arca_synonyms_add(s, forms, n, why, sizeof why);
        if (rc) {
            snprintf(err, errlen, "gazetteer.tsv:%u: %s", lineno, why);
            return rc;
        }
    }
    return ARCA_OK;
}
