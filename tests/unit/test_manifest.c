/*
 * test_manifest.c: the CSV reader and catalogue manifests (core/manifest.c).
 *
 * Quoted fields with commas, line breaks and doubled quotes; CRLF, LF and
 * CR rows; a byte order mark; empty fields and blank lines; malformed
 * input refused with FILE:LINE; the limits on fields, columns and rows;
 * and a manifest's header renamed by a map, its files found by their
 * canonical paths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/manifest.h"

/* Every row of TEXT as "a|b|c" lines, or "ERR <status>: <message>". */
static char *rows_of(const char *text, size_t len,
                     const arca_csv_limits *lim)
{
    FILE *f = fmemopen((void *)text, len, "rb");
    arca_csv *r = NULL;
    char *out = NULL;
    size_t outlen = 0;
    FILE *o = open_memstream(&out, &outlen);
    assert_non_null(f);
    assert_int_equal(arca_csv_open(f, "t.csv", lim, &r), ARCA_OK);
    for (;;) {
        char **fs;
        size_t n;
        arca_status rc = arca_csv_next(r, &fs, &n);
        if (rc) {
            fprintf(o, "ERR %d: %s\n", (int)rc, arca_csv_errmsg(r));
            break;
        }
        if (n == 0)
            break;
        fprintf(o, "%llu:", (unsigned long long)arca_csv_line(r));
        for (size_t i = 0; i < n; i++)
            fprintf(o, "%s%s", i ? "|" : "", fs[i]);
        fputc('\n', o);
    }
    arca_csv_close(r);
    fclose(f);
    fclose(o);
    return out;
}

static void check(const char *text, const char *want)
{
    char *got = rows_of(text, strlen(text), NULL);
    if (strcmp(got, want) != 0)
        fail_msg("input %s\n  got  %s\n  want %s", text, got, want);
    free(got);
}

static void test_quoting(void **state)
{
    (void)state;
    check("a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n");
    check("\"x, y\",\"say \"\"hi\"\"\",plain\n",
          "1:x, y|say \"hi\"|plain\n");
    /* A line break inside quotes is kept, and counted. */
    check("\"two\nlines\",b\nnext,row\n", "1:two\nlines|b\n3:next|row\n");
    check("\"\",\"\"\"\"\n", "1:|\"\n");
    /* No final line break. */
    check("a,b", "1:a|b\n");
}

static void test_line_ends_and_bom(void **state)
{
    (void)state;
    check("a,b\r\nc,d\r\n", "1:a|b\n2:c|d\n");
    check("a,b\rc,d\r", "1:a|b\n2:c|d\n");
    check("\xEF\xBB\xBFpath,title\nx,y\n", "1:path|title\n2:x|y\n");
    /* A BOM only counts at the very start. */
    check("a\n\xEF\xBB\xBF" "b\n", "1:a\n2:\xEF\xBB\xBF" "b\n");
    /* UTF-8 text passes through. */
    check("제목,Заголовок\n", "1:제목|Заголовок\n");
}

static void test_empty(void **state)
{
    (void)state;
    check("", "");
    check("\xEF\xBB\xBF", "");
    check("a,,c\n,,\n", "1:a||c\n2:||\n");
    /* Blank lines are skipped, but counted. */
    check("a\n\n\r\n\nb\n", "1:a\n5:b\n");
    check("a,\n", "1:a|\n");
}

static void test_bad_input(void **state)
{
    (void)state;
    char *got = rows_of("a,b\nx\"y,z\n", 10, NULL);
    assert_non_null(strstr(got, "ERR 8: t.csv:2: a quote inside an "
                           "unquoted field"));
    free(got);
    got = rows_of("a\n\"open,\nstill\n", 15, NULL);
    assert_non_null(strstr(got, "t.csv:4: a quoted field opened on line 2 "
                           "is never closed"));
    free(got);
    got = rows_of("\"done\"x,y\n", 10, NULL);
    assert_non_null(strstr(got, "t.csv:1: text after the closing quote"));
    free(got);
    got = rows_of("a,b\nc\0d,e\n", 10, NULL);
    assert_non_null(strstr(got, "t.csv:2: a NUL byte"));
    free(got);
    got = rows_of("ok\n\xB0\xA1\xB0\xA2,x\n", 9, NULL);   /* EUC-KR */
    assert_non_null(strstr(got, "t.csv:2: field 1 is not UTF-8"));
    free(got);
}

static void test_limits(void **state)
{
    (void)state;
    arca_csv_limits lim = {4, 3, 2};
    char *got = rows_of("abcd,e\n", 7, &lim);
    assert_string_equal(got, "1:abcd|e\n");
    free(got);
    got = rows_of("abcde\n", 6, &lim);
    assert_non_null(strstr(got, "ERR 9: t.csv:1: a field longer than 4"));
    free(got);
    got = rows_of("\"ab\"\"cd\"\n", 9, &lim);   /* 5 bytes once unquoted */
    assert_non_null(strstr(got, "a field longer than 4 bytes"));
    free(got);
    got = rows_of("a,b,c,d\n", 8, &lim);
    assert_non_null(strstr(got, "t.csv:1: more than 3 columns"));
    free(got);
    got = rows_of("a\nb\nc\n", 6, &lim);
    assert_non_null(strstr(got, "1:a\n2:b\nERR 9: t.csv:3: more than 2 rows"));
    free(got);
    /* The default: 1 MiB a field. */
    size_t big = ARCA_CSV_MAX_FIELD + 1;
    char *text = malloc(big + 1);
    memset(text, 'x', big);
    text[big] = '\0';
    got = rows_of(text, big, NULL);
    assert_non_null(strstr(got, "a field longer than 1048576 bytes"));
    free(got);
    got = rows_of(text, big - 1, NULL);
    assert_int_equal(strlen(got), 2 + ARCA_CSV_MAX_FIELD + 1);
    free(got);
    free(text);
}

/* A folder with files a.txt and sub/b.txt, and the manifest TEXT in it. */
static char *folder(const char *text)
{
    char tmpl[] = "/tmp/arca-manifest.XXXXXX", path[PATH_MAX];
    char *dir = strdup(mkdtemp(tmpl));
    FILE *f;
    snprintf(path, sizeof path, "%s/a.txt", dir);
    f = fopen(path, "w");
    fputs("a\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/sub", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/sub/b.txt", dir);
    f = fopen(path, "w");
    fputs("b\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/m.csv", dir);
    f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return dir;
}

static void rm_folder(char *dir)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static arca_status load(const char *dir, const char *map, arca_manifest **m,
                        char *err, size_t errlen)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/m.csv", dir);
    return arca_manifest_load(path, map, NULL, m, err, errlen);
}

static void test_manifest(void **state)
{
    (void)state;
    char *dir = folder("Datei,Titel,Author,Tag,shelf,\n"
                       "a.txt,First,Kim,\"x,y\",A-1,\n"
                       "sub/b.txt,,Lee,,,\n"
                       ",,,,,\n"
                       "missing.txt,Gone,,,,\n");
    arca_manifest *m = NULL;
    char err[600] = "", real[PATH_MAX], path[PATH_MAX];
    assert_int_equal(load(dir, "Titel=title, Datei = path", &m, err,
                          sizeof err), ARCA_OK);
    assert_int_equal(arca_manifest_ncols(m), 6);
    assert_null(arca_manifest_col(m, 0));           /* the file's column */
    assert_string_equal(arca_manifest_col(m, 1), "title");
    assert_string_equal(arca_manifest_col(m, 2), "author");
    assert_string_equal(arca_manifest_col(m, 3), "tags");
    assert_string_equal(arca_manifest_col(m, 4), "shelf");
    assert_null(arca_manifest_col(m, 5));           /* no name: ignored */
    assert_int_equal(arca_manifest_nrows(m), 3);    /* ",,,," is no row */

    snprintf(path, sizeof path, "%s/sub/b.txt", dir);
    assert_non_null(realpath(path, real));
    const arca_manifest_row *row = arca_manifest_find(m, real);
    assert_non_null(row);
    assert_int_equal(row->line, 3);
    assert_null(row->values[1]);                    /* empty: no title */
    assert_string_equal(row->values[2], "Lee");
    snprintf(path, sizeof path, "%s/a.txt", dir);
    assert_non_null(realpath(path, real));
    row = arca_manifest_find(m, real);
    assert_non_null(row);
    assert_string_equal(row->values[1], "First");
    assert_string_equal(row->values[3], "x,y");
    row = arca_manifest_row_at(m, 2);
    assert_null(row->real);
    assert_int_equal(row->line, 5);
    assert_non_null(strstr(row->path, "/missing.txt"));
    assert_null(arca_manifest_find(m, "/no/such/file"));
    arca_manifest_free(m);
    rm_folder(dir);
}

static void test_manifest_errors(void **state)
{
    (void)state;
    arca_manifest *m = NULL;
    char err[600];
    char *dir = folder("title,author\nx,y\n");
    assert_int_equal(load(dir, NULL, &m, err, sizeof err), ARCA_EINVAL);
    assert_null(m);
    assert_non_null(strstr(err, "m.csv:1: no column names the files"));
    assert_int_equal(load(dir, "title=path", &m, err, sizeof err), ARCA_OK);
    arca_manifest_free(m);
    assert_int_equal(load(dir, "Titel=title", &m, err, sizeof err),
                     ARCA_EINVAL);
    assert_non_null(strstr(err, "has no column 'Titel'"));
    assert_int_equal(load(dir, "nonsense", &m, err, sizeof err), ARCA_EINVAL);
    assert_non_null(strstr(err, "Header=field"));
    rm_folder(dir);

    dir = folder("path,title\na.txt,x,extra\n");
    assert_int_equal(load(dir, NULL, &m, err, sizeof err), ARCA_EFORMAT);
    assert_non_null(strstr(err, "m.csv:2: 3 fields, but the header names 2"));
    rm_folder(dir);

    dir = folder("path,title\na.txt,x\n./a.txt,y\n");
    assert_int_equal(load(dir, NULL, &m, err, sizeof err), ARCA_EFORMAT);
    assert_non_null(strstr(err, "m.csv:3: "));
    assert_non_null(strstr(err, "listed again (first on line 2)"));
    rm_folder(dir);

    dir = folder("path,Title,title\na.txt,x,y\n");
    assert_int_equal(load(dir, NULL, &m, err, sizeof err), ARCA_EFORMAT);
    assert_non_null(strstr(err, "two columns name the field 'title'"));
    rm_folder(dir);

    dir = folder("path,title\n\"a.txt,x\n");
    assert_int_equal(load(dir, NULL, &m, err, sizeof err), ARCA_EFORMAT);
    assert_non_null(strstr(err, "m.csv:3: a quoted field opened on line 2"));
    rm_folder(dir);

    dir = folder("");
    assert_int_equal(load(dir, NULL, &m, err, sizeof err), ARCA_EFORMAT);
    assert_non_null(strstr(err, "empty"));
    rm_folder(dir);

    assert_int_equal(arca_manifest_load("/no/such/m.csv", NULL, NULL, &m,
                                        err, sizeof err), ARCA_EIO);
    assert_non_null(strstr(err, "/no/such/m.csv: cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_line_ends_and_bom),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_manifest),
        cmocka_unit_test(test_manifest_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
