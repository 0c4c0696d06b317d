/*
 * arca.c: the `arca` command.  Each subcommand is a row of commands[]
 * and a function; the collection is found through -C DIR, else
 * $ARCA_DIR, else the current directory.
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/arca.h"
#include "lua/lua-private.h"
#include "tools/tools.h"
#include "examples_lua.h"       /* generated from lua/reports/ */

enum { EXIT_USAGE = 2 };

typedef struct cli {
    const char *dir;         /* the collection */
    int json;
    int dir_given;           /* by -C or $ARCA_DIR, not the default "." */
} cli;

struct command {
    const char *name;
    int (*fn)(cli *c, int argc, char **argv);
    const char *usage;
    const char *help;
};

static const struct command *find_command(const char *name);

static void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errorf(const char *fmt, ...)
{
    va_list ap;
    fputs("arca: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("arca: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    const struct command *c = cmd ? find_command(cmd) : NULL;
    if (c)
        fprintf(stderr, "\nusage: arca %s %s\n", c->name, c->usage);
    else
        fputs("\nTry 'arca help'.\n", stderr);
    return EXIT_USAGE;
}

static int open_db(cli *c, int flags, arca_db **db)
{
    char err[1024];
    arca_status st = arca_db_open(c->dir, flags, db, err, sizeof err);
    if (st) {
        errorf("%s", err);
        return EXIT_FAILURE;
    }
    return 0;
}

static int print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                JSON_ENSURE_ASCII * 0);
    json_decref(o);
    if (s == NULL)
        return EXIT_FAILURE;
    puts(s);
    free(s);
    return 0;
}

static int parse_uint(const char *cmd, const char *opt, const char *s,
                      unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v > 1000000000UL || s[0] == '-')
        return usage_error(cmd, "%s wants a whole number, not '%s'", opt, s);
    *out = (unsigned)v;
    return 0;
}

/* ---- init ---- */

/* The example reports, into DIR/reports/ (never over a file there). */
static int write_examples(const char *dir)
{
    for (const struct example_report *e = example_reports; e->name; e++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/reports/%s", dir, e->name);
        FILE *f = fopen(path, "wx");
        if (f == NULL) {
            if (errno == EEXIST)
                continue;
            errorf("%s: %s", path, strerror(errno));
            return -1;
        }
        size_t n = fwrite(e->src, 1, e->len, f);
        if (fclose(f) != 0 || n != e->len) {
            errorf("%s: cannot write: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int cmd_init(cli *c, int argc, char **argv)
{
    (void)c;
    if (argc != 2)
        return usage_error("init", "init takes one directory");
    char err[1024];
    arca_status st = arca_db_init(argv[1], err, sizeof err);
    if (st) {
        errorf("%s", err);
        return EXIT_FAILURE;
    }
    if (write_examples(argv[1]) != 0)
        return EXIT_FAILURE;
    printf("Created an empty collection in %s (example reports in "
           "%s/reports)\n", argv[1], argv[1]);
    return 0;
}

/* ---- add ---- */

static int cmd_add(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"title", required_argument, 0, 't'},
        {"date", required_argument, 0, 'd'},
        {"author", required_argument, 0, 'a'},
        {"board", required_argument, 0, 'b'},
        {"tag", required_argument, 0, 'g'},
        {"lang", required_argument, 0, 'l'},
        {"source", required_argument, 0, 's'},
        {"id", required_argument, 0, 'i'},
        {"field", required_argument, 0, 'f'},
        {"body", required_argument, 0, 'B'},
        {"text", required_argument, 0, 'T'},
        {"attach", required_argument, 0, 'A'},
        {"json", no_argument, 0, 'j'},
        {0, 0, 0, 0}};
    arca_record_in rec = {0};
    const char **tags = calloc((size_t)argc, sizeof *tags);
    const char **extra = calloc((size_t)argc * 2, sizeof *extra);
    arca_attachment_in *atts = calloc((size_t)argc, sizeof *atts);
    int rc = 0, o;
    arca_db *db = NULL;

    if (!tags || !extra || !atts) {
        errorf("out of memory");
        rc = EXIT_FAILURE;
        goto out;
    }
    optind = 1;
    while ((o = getopt_long(argc, argv, "t:d:a:b:", opts, NULL)) != -1) {
        switch (o) {
        case 't': rec.title = optarg; break;
        case 'd': rec.date = optarg; break;
        case 'a': rec.author = optarg; break;
        case 'b': rec.board = optarg; break;
        case 'l': rec.lang = optarg; break;
        case 's': rec.source = optarg; break;
        case 'i': rec.id = optarg; break;
        case 'g': tags[rec.ntags++] = optarg; break;
        case 'B': rec.body_path = optarg; break;
        case 'T':
            rec.body = optarg;
            rec.body_len = strlen(optarg);
            break;
        case 'A': atts[rec.nattachments++].path = optarg; break;
        case 'j': c->json = 1; break;
        case 'f': {
            char *eq = strchr(optarg, '=');
            if (eq == NULL || eq == optarg) {
                rc = usage_error("add", "--field wants NAME=VALUE");
                goto out;
            }
            *eq = '\0';
            extra[2 * rec.nextra] = optarg;
            extra[2 * rec.nextra + 1] = eq + 1;
            rec.nextra++;
            break;
        }
        default:
            rc = usage_error("add", "unknown option");
            goto out;
        }
    }
    for (int i = optind; i < argc; i++) {
        /* The first file is the body unless --body or --text gave one. */
        if (rec.body_path == NULL && rec.body == NULL)
            rec.body_path = argv[i];
        else
            atts[rec.nattachments++].path = argv[i];
    }
    if (rec.title == NULL) {
        rc = usage_error("add", "add needs --title");
        goto out;
    }
    rec.tags = tags;
    rec.extra = extra;
    rec.attachments = atts;
    if ((rc = open_db(c, ARCA_WRITE, &db)) != 0)
        goto out;
    char id[256];
    arca_status st = arca_db_add(db, &rec, id, sizeof id);
    if (st) {
        errorf("%s", arca_db_errmsg(db));
        rc = EXIT_FAILURE;
        goto out;
    }
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "id", json_string(id));
        rc = print_json(j);
    } else {
        printf("%s\n", id);
    }
out:
    arca_db_close(db);
    free(tags);
    free(extra);
    free(atts);
    return rc;
}

/* ---- import ---- */

typedef struct import_ui {
    int json, quiet, verbose, tty;
    json_t *errors, *warnings;
    struct timespec t0, last;
    int drew;
    unsigned every;          /* seconds between plain progress lines */
    int dry;                 /* --dry-run: each file is reported */
    json_t *report;          /* --dry-run --json: what each file would be */
    int log;                 /* --log FILE, or -1 */
    const char *log_path;
    int log_failed;          /* told once */
} import_ui;

static const char *outcome_name(arca_outcome o)
{
    static const char *const names[] = {"imported", "unchanged", "skipped",
                                        "failed"};
    return (unsigned)o < 4 ? names[o] : "?";
}

static void clear_progress(import_ui *ui)
{
    if (ui->drew) {
        fputs("\r\033[K", stderr);
        ui->drew = 0;
    }
}

static json_t *string_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

/*
 * One JSON line for the file of EV to the --log file, in one write(2),
 * so that a killed import leaves whole lines only.
 */
static void log_line(import_ui *ui, const arca_import_event *ev)
{
    json_t *o = json_object();
    json_object_set_new(o, "path", json_string(ev->path));
    json_object_set_new(o, "outcome", json_string(outcome_name(ev->outcome)));
    json_object_set_new(o, "id", string_or_null(ev->id));
    json_object_set_new(o, "records", json_integer((json_int_t)ev->records));
    json_object_set_new(o, "type", string_or_null(ev->mime));
    json_object_set_new(o, "encoding", string_or_null(ev->charset));
    json_object_set_new(o, "bytes", json_integer((json_int_t)ev->bytes));
    json_object_set_new(o, "ms", json_integer((json_int_t)(ev->ms + 0.5)));
    json_object_set_new(o, "error", string_or_null(ev->error));
    json_object_set_new(o, "warning", string_or_null(ev->warning));
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    size_t len = line ? strlen(line) : 0;
    char *nl = line ? realloc(line, len + 2) : NULL;
    ssize_t w = -1;
    if (nl) {
        line = nl;
        line[len++] = '\n';
        line[len] = '\0';
        do
            w = write(ui->log, line, len);
        while (w < 0 && errno == EINTR);
    }
    if ((w < 0 || (size_t)w != len) && !ui->log_failed) {
        ui->log_failed = 1;
        clear_progress(ui);
        errorf("%s: cannot write: %s", ui->log_path,
               w < 0 ? strerror(errno) : "short write");
    }
    free(line);
}

/* A dry run's line for the file of EV: what it would become. */
static void dry_line(import_ui *ui, const arca_import_event *ev)
{
    if (ui->json) {
        json_t *o = json_object();
        json_object_set_new(o, "path", json_string(ev->path));
        json_object_set_new(o, "outcome",
                            json_string(outcome_name(ev->outcome)));
        json_object_set_new(o, "type", string_or_null(ev->mime));
        json_object_set_new(o, "encoding", string_or_null(ev->charset));
        json_object_set_new(o, "records",
                            json_integer((json_int_t)ev->records));
        json_object_set_new(o, "bytes", json_integer((json_int_t)ev->bytes));
        json_array_append_new(ui->report, o);
        return;
    }
    if (ui->quiet || ev->outcome == ARCA_FAILED)
        return;                 /* failures are told below */
    clear_progress(ui);
    char more[48] = "";
    if (ev->records > 1)
        snprintf(more, sizeof more, ", %zu records", ev->records);
    if (ev->outcome == ARCA_IMPORTED)
        printf("%s\t%s%s%s%s\n", ev->path, ev->mime ? ev->mime : "?",
               ev->charset ? ", " : "", ev->charset ? ev->charset : "", more);
    else
        printf("%s\t(%s)\n", ev->path, outcome_name(ev->outcome));
}

static void on_file(void *ctx, const arca_import_event *ev)
{
    import_ui *ui = ctx;
    if (ui->log >= 0)
        log_line(ui, ev);
    if (ui->dry)
        dry_line(ui, ev);
    if (ev->outcome == ARCA_FAILED) {
        json_t *e = json_object();
        json_object_set_new(e, "path", json_string(ev->path));
        json_object_set_new(e, "error", json_string(ev->error ? ev->error
                                                               : "failed"));
        json_array_append_new(ui->errors, e);
        if (!ui->json) {
            clear_progress(ui);
            fprintf(stderr, "arca: %s: %s\n", ev->path,
                    ev->error ? ev->error : "failed");
        }
    } else if (ev->warning) {
        json_t *e = json_object();
        json_object_set_new(e, "path", json_string(ev->path));
        json_object_set_new(e, "warning", json_string(ev->warning));
        json_array_append_new(ui->warnings, e);
        if (!ui->json && !ui->quiet) {
            clear_progress(ui);
            fprintf(stderr, "arca: %s: warning: %s\n", ev->path,
                    ev->warning);
        }
    }
    if (ui->verbose) {
        clear_progress(ui);
        char more[48] = "";
        if (ev->records > 1)
            snprintf(more, sizeof more, " (and %zu more records)",
                     ev->records - 1);
        fprintf(stderr, "%s %s%s%s%s%s%s\n", outcome_name(ev->outcome),
                ev->path, ev->id ? " -> " : "", ev->id ? ev->id : "", more,
                ev->mime && ev->mime[0] ? " " : "",
                ev->mime ? ev->mime : "");
    }
}

static double seconds_between(const struct timespec *a,
                              const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) +
           (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* "1:02:03" or "2:03" for S seconds. */
static void clock_text(double s, char *buf, size_t len)
{
    unsigned long t = s < 0 ? 0 : (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
}

/*
 * Where the import stands: files (of the total, when counted) and bytes
 * done, the rate, the time left, failures so far.  On a terminal a line
 * redrawn five times a second with the current file; elsewhere a plain
 * line every --progress seconds (10 unless given).
 */
static void on_progress(void *ctx, const arca_import_summary *s,
                        const char *current)
{
    import_ui *ui = ctx;
    if (ui->quiet || (!ui->tty && ui->json))
        return;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double since = seconds_between(&ui->last, &t);
    if (ui->tty ? ui->drew && since < 0.2
                : since < (double)ui->every)
        return;
    ui->last = t;
    double took = seconds_between(&ui->t0, &t);
    double rate = took > 0 ? (double)s->done / took : 0;
    char line[400], of[64] = "", left[48] = "";
    if (s->total_files >= s->done && s->total_files > 0) {
        snprintf(of, sizeof of, "/%llu", (unsigned long long)s->total_files);
        if (rate > 0 && s->done > 0) {
            char eta[32];
            clock_text((double)(s->total_files - s->done) / rate, eta,
                       sizeof eta);
            snprintf(left, sizeof left, ", %s left", eta);
        }
    }
    snprintf(line, sizeof line, "%llu%s files, %.1f MB, %.0f files/s, "
             "%.1f MB/s%s, %llu failed", (unsigned long long)s->done, of,
             (double)s->bytes / 1e6, rate,
             took > 0 ? (double)s->bytes / 1e6 / took : 0.0, left,
             (unsigned long long)s->failed);
    if (ui->tty) {
        const char *name = strrchr(current, '/');
        name = name ? name + 1 : current;
        fprintf(stderr, "\r\033[K%s  %.30s", line, name);
        ui->drew = 1;
    } else {
        fprintf(stderr, "arca: import: %s\n", line);
    }
}

static int cmd_import(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'},
        {"jobs", required_argument, 0, 'J'},
        {"dry-run", no_argument, 0, 'n'},
        {"quiet", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},
        {"max-file-size", required_argument, 0, 'M'},
        {"manifest", required_argument, 0, 'm'},
        {"batch", required_argument, 0, 'b'},
        {"ocr", no_argument, 0, 'O'},
        {"no-ocr", no_argument, 0, 'N'},
        {"ocr-langs", required_argument, 0, 'L'},
        {"log", required_argument, 0, 'l'},
        {"manifest-map", required_argument, 0, 'P'},
        {"fields-from-path", required_argument, 0, 'F'},
        {"progress", required_argument, 0, 'p'},
        {0, 0, 0, 0}};
    arca_import_opts io = {0};
    import_ui ui = {.log = -1, .every = 10};
    int o, rc = 0;
    unsigned n;
    arca_db *db = NULL;

    optind = 1;
    while ((o = getopt_long(argc, argv, "nqv", opts, NULL)) != -1) {
        switch (o) {
        case 'j': c->json = 1; break;
        case 'J':
        case 'M':
            if ((rc = parse_uint("import", o == 'J' ? "--jobs" :
                                 "--max-file-size", optarg, &n)) != 0)
                return rc;
            if (o == 'J')
                io.jobs = (int)(n > 64 ? 64 : n);
            else
                io.max_file = n;
            break;
        case 'b':
            if ((rc = parse_uint("import", "--batch", optarg, &io.batch)))
                return rc;
            break;
        case 'n': io.dry_run = 1; break;
        case 'O': io.ocr = 1; break;
        case 'N': io.ocr = -1; break;
        case 'L':
            io.ocr = 1;
            io.ocr_langs = optarg;
            break;
        case 'q': ui.quiet = 1; break;
        case 'v': ui.verbose = 1; break;
        case 'm': io.manifest = optarg; break;
        case 'P': io.manifest_map = optarg; break;
        case 'F':
            if (io.fields_from_path)
                return usage_error("import", "--fields-from-path is given "
                                   "once");
            io.fields_from_path = optarg;
            break;
        case 'l': ui.log_path = optarg; break;
        case 'p':
            if ((rc = parse_uint("import", "--progress", optarg, &ui.every)))
                return rc;
            break;
        default:
            return usage_error("import", "unknown option");
        }
    }
    if (optind >= argc && io.manifest == NULL)
        return usage_error("import", "import needs at least one path, or "
                           "--manifest");
    if (io.manifest_map && io.manifest == NULL)
        return usage_error("import", "--manifest-map needs --manifest");
    if (ui.log_path) {
        ui.log = open(ui.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                      0644);
        if (ui.log < 0) {
            errorf("%s: cannot open: %s", ui.log_path, strerror(errno));
            return EXIT_FAILURE;
        }
    }
    ui.json = c->json;
    ui.tty = isatty(2);
    ui.dry = io.dry_run;
    ui.report = json_array();
    io.count_first = !ui.quiet && !(ui.json && !ui.tty);
    clock_gettime(CLOCK_MONOTONIC, &ui.t0);
    ui.last = ui.t0;
    ui.errors = json_array();
    ui.warnings = json_array();
    io.on_file = on_file;
    io.on_progress = on_progress;
    io.ctx = &ui;
    if ((rc = open_db(c, io.dry_run ? ARCA_RDONLY : ARCA_WRITE, &db)) != 0)
        goto out;
    arca_import_summary s;
    arca_status st = arca_db_import(db, (const char *const *)argv + optind,
                                    (size_t)(argc - optind), &io, &s);
    clear_progress(&ui);
    if (st) {
        errorf("import stopped: %s", arca_db_errmsg(db));
        rc = EXIT_FAILURE;
    }
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "files", json_integer((json_int_t)s.files));
        json_object_set_new(j, "records", json_integer((json_int_t)s.records));
        json_object_set_new(j, "parts", json_integer((json_int_t)s.parts));
        json_object_set_new(j, "skipped", json_integer((json_int_t)s.skipped));
        json_object_set_new(j, "unchanged",
                            json_integer((json_int_t)s.unchanged));
        json_object_set_new(j, "failed", json_integer((json_int_t)s.failed));
        json_object_set_new(j, "bytes", json_integer((json_int_t)s.bytes));
        json_object_set_new(j, "seconds", json_real(s.seconds));
        json_object_set(j, "errors", ui.errors);
        json_object_set(j, "warnings", ui.warnings);
        if (io.dry_run) {
            json_object_set_new(j, "dry_run", json_true());
            json_object_set(j, "report", ui.report);
        }
        if (st)
            json_object_set_new(j, "stopped",
                                json_string(arca_db_errmsg(db)));
        print_json(j);
    } else if (!ui.quiet || s.failed) {
        fprintf(stderr, "%s%llu files, %llu records, %llu unchanged, "
                "%llu skipped, %llu failed, %.1f MB in %.1f s\n",
                io.dry_run ? "dry run: " : "",
                (unsigned long long)s.files, (unsigned long long)s.records,
                (unsigned long long)s.unchanged,
                (unsigned long long)(s.skipped - s.unchanged),
                (unsigned long long)s.failed, (double)s.bytes / 1e6,
                s.seconds);
    }
out:
    json_decref(ui.errors);
    json_decref(ui.warnings);
    json_decref(ui.report);
    arca_db_close(db);
    if (ui.log >= 0 && close(ui.log) != 0 && !ui.log_failed) {
        errorf("%s: cannot write: %s", ui.log_path, strerror(errno));
        rc = EXIT_FAILURE;
    }
    return rc;
}

/* ---- search ---- */


/* Print an HTML-escaped snippet as plain text, matches in bold on a tty. */
static void print_snippet(const char *s, int tty)
{
    static const struct { const char *from, *to; } ent[] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""},
        {"&#39;", "'"}, {"&#x27;", "'"},
    };
    while (*s) {
        if (strncmp(s, "<b>", 3) == 0) {
            fputs(tty ? "\033[1m" : "", stdout);
            s += 3;
            continue;
        }
        if (strncmp(s, "</b>", 4) == 0) {
            fputs(tty ? "\033[0m" : "", stdout);
            s += 4;
            continue;
        }
        size_t k = 0;
        if (*s == '&')
            for (; k < sizeof ent / sizeof *ent; k++)
                if (strncmp(s, ent[k].from, strlen(ent[k].from)) == 0)
                    break;
        if (*s == '&' && k < sizeof ent / sizeof *ent) {
            fputs(ent[k].to, stdout);
            s += strlen(ent[k].from);
        } else {
            putchar(*s == '\n' ? ' ' : *s);
            s++;
        }
    }
}

static int cmd_search(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'},
        {"limit", required_argument, 0, 'l'},
        {"offset", required_argument, 0, 'o'},
        {"sort", required_argument, 0, 's'},
        {"facet", required_argument, 0, 'f'},
        {"filter", required_argument, 0, 'F'},
        {"all-parts", no_argument, 0, 'p'},
        {"shard", required_argument, 0, 'S'},
        {0, 0, 0, 0}};
    arca_search_opts so = {0, 10, ARCA_SORT_RELEVANCE, 1, 0, NULL, 0, NULL, 0, 0};
    const char **facets = calloc((size_t)argc, sizeof *facets);
    const char **shards = calloc((size_t)argc, sizeof *shards);
    size_t nshards = 0;
    int o, rc = 0;
    arca_db *db = NULL;
    arca_results *res = NULL;
    char *q = NULL, *filters = NULL;

    if (facets == NULL || shards == NULL) {
        free(facets);
        free(shards);
        return EXIT_FAILURE;
    }
    optind = 1;
    while ((o = getopt_long(argc, argv, "jl:o:s:f:", opts, NULL)) != -1) {
        switch (o) {
        case 'j': c->json = 1; break;
        case 'l':
            if ((rc = parse_uint("search", "--limit", optarg, &so.limit)))
                goto out;
            break;
        case 'o':
            if ((rc = parse_uint("search", "--offset", optarg, &so.offset)))
                goto out;
            break;
        case 's':
            if (strcmp(optarg, "relevance") == 0)
                so.sort = ARCA_SORT_RELEVANCE;
            else if (strcmp(optarg, "date") == 0)
                so.sort = ARCA_SORT_DATE;
            else if (strcmp(optarg, "oldest") == 0)
                so.sort = ARCA_SORT_DATE_ASC;
            else {
                rc = usage_error("search", "--sort takes relevance, date or "
                                 "oldest, not '%s'", optarg);
                goto out;
            }
            break;
        case 'f': facets[so.nfacets++] = optarg; break;
        case 'F':
            /* Filters given more than once must all hold. */
            if (so.filter == NULL) {
                so.filter = optarg;
            } else {
                char *both = NULL;
                if (asprintf(&both, "(%s) AND (%s)", so.filter, optarg) < 0) {
                    rc = EXIT_FAILURE;
                    goto out;
                }
                free(filters);
                so.filter = filters = both;
            }
            break;
        case 'p': so.collapse = 0; break;
        case 'S': shards[nshards++] = optarg; break;
        default:
            rc = usage_error("search", "unknown option");
            goto out;
        }
    }
    so.facets = facets;
    size_t qlen = 1;
    for (int i = optind; i < argc; i++)
        qlen += strlen(argv[i]) + 1;
    q = calloc(qlen, 1);
    if (q == NULL) {
        rc = EXIT_FAILURE;
        goto out;
    }
    for (int i = optind; i < argc; i++) {
        if (i > optind)
            strcat(q, " ");
        strcat(q, argv[i]);
    }
    if (nshards > 0) {
        /* The collection too when one was named (-C, $ARCA_DIR). */
        char err[1024];
        if (arca_db_open_shards(c->dir_given ? c->dir : NULL, shards,
                                nshards, &db, err, sizeof err) != ARCA_OK) {
            errorf("%s", err);
            rc = EXIT_FAILURE;
            goto out;
        }
    } else if ((rc = open_db(c, ARCA_RDONLY, &db)) != 0) {
        goto out;
    }
    arca_status st = arca_db_search(db, q ? q : "", &so, &res);
    if (st) {
        errorf("%s", arca_db_errmsg(db));
        rc = st == ARCA_EQUERY || st == ARCA_EINVAL ? EXIT_USAGE
                                                     : EXIT_FAILURE;
        goto out;
    }
    size_t n = arca_results_count(res);
    if (c->json) {
        rc = print_json(arca_json_search(q, so.offset, res, facets,
                                         so.nfacets));
        goto out;
    }
    int tty = isatty(1);
    unsigned long long total = (unsigned long long)arca_results_total(res);
    if (total == 0)
        printf("No records match '%s'.\n", q ? q : "");
    for (size_t i = 0; i < n; i++) {
        const arca_hit *h = arca_results_hit(res, i);
        printf("%u. %s%s%s\n", h->rank, tty ? "\033[1m" : "",
               h->title ? h->title : h->id, tty ? "\033[0m" : "");
        printf("   %s", h->id);
        if (h->date)
            printf(" · %s", h->date);
        if (h->board)
            printf(" · %s", h->board);
        if (h->type)
            printf(" · %s", h->type);
        if (h->part)
            printf(" · in %s", h->part);
        printf("\n   ");
        print_snippet(h->snippet ? h->snippet : "", tty);
        printf("\n");
    }
    if (total > 0)
        printf("%zu of %llu shown (from %u).\n", n, total, so.offset + 1);
    const char *sugg = arca_results_suggestion(res);
    if (sugg)
        printf("Did you mean: %s\n", sugg);
    for (size_t i = 0; i < so.nfacets; i++) {
        size_t nv;
        const arca_facet_value *v = arca_results_facet(res, facets[i], &nv);
        printf("%s:", facets[i]);
        for (size_t k = 0; k < nv; k++)
            printf(" %s (%llu)", v[k].value, (unsigned long long)v[k].count);
        printf("\n");
    }
out:
    free(q);
    free(filters);
    arca_results_destroy(res);
    arca_db_close(db);
    free(facets);
    free(shards);
    return rc;
}

/* ---- show, get ---- */

static int cmd_show(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'},
        {"text", no_argument, 0, 't'},
        {0, 0, 0, 0}};
    int o, with_text = 0, rc = 0;
    arca_db *db = NULL;
    char *js = NULL;

    optind = 1;
    while ((o = getopt_long(argc, argv, "jt", opts, NULL)) != -1) {
        if (o == 'j')
            c->json = 1;
        else if (o == 't')
            with_text = 1;
        else
            return usage_error("show", "unknown option");
    }
    if (argc - optind != 1)
        return usage_error("show", "show takes one record id");
    if ((rc = open_db(c, ARCA_RDONLY, &db)) != 0)
        return rc;
    if (arca_db_record_json(db, argv[optind], with_text || !c->json, &js)) {
        errorf("%s", arca_db_errmsg(db));
        rc = EXIT_FAILURE;
        goto out;
    }
    if (c->json) {
        puts(js);
        goto out;
    }
    json_t *r = json_loads(js, 0, NULL);
    static const char *const keys[] = {"id", "title", "date", "author",
                                       "board", "lang", "source", "created"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *v = json_string_value(json_object_get(r, keys[i]));
        if (v)
            printf("%-8s %s\n", keys[i], v);
    }
    printf("%-8s %lld\n", "version",
           (long long)json_integer_value(json_object_get(r, "version")));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "tags"), i, v)
        printf("%-8s %s\n", "tag", json_string_value(v));
    const char *key;
    json_object_foreach(json_object_get(r, "extra"), key, v) {
        char *s = json_is_string(v) ? strdup(json_string_value(v))
                                    : json_dumps(v, JSON_ENCODE_ANY);
        printf("%s: %s\n", key, s ? s : "");
        free(s);
    }
    json_t *p;
    const char *body_text = NULL;
    json_array_foreach(json_object_get(r, "parts"), i, p) {
        const char *name = json_string_value(json_object_get(p, "name"));
        const char *cs = json_string_value(json_object_get(p, "charset"));
        printf("part %lld: %s, %s, %lld bytes%s%s, sha256 %s\n",
               (long long)json_integer_value(json_object_get(p, "part")),
               name ? name : "(body)",
               json_string_value(json_object_get(p, "type")),
               (long long)json_integer_value(json_object_get(p, "size")),
               cs ? ", " : "", cs ? cs : "",
               json_string_value(json_object_get(p, "sha256")));
        if (json_integer_value(json_object_get(p, "part")) == 0)
            body_text = json_string_value(json_object_get(p, "text"));
    }
    if (body_text) {
        printf("\n");
        fwrite(body_text, 1, strlen(body_text) > 2000 && !with_text
                                 ? 2000 : strlen(body_text), stdout);
        if (strlen(body_text) > 2000 && !with_text)
            printf("\n[... 'arca show --text %s' shows it all]", argv[optind]);
        printf("\n");
    }
    json_decref(r);
out:
    free(js);
    arca_db_close(db);
    return rc;
}

static int write_sink(void *ctx, const void *data, size_t len)
{
    return fwrite(data, 1, len, ctx) == len ? 0 : -1;
}

static int cmd_get(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {0, 0, 0, 0}};
    const char *outpath = NULL;
    int o, rc = 0;
    arca_db *db = NULL;
    FILE *f = stdout;

    optind = 1;
    while ((o = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (o == 'o')
            outpath = optarg;
        else
            return usage_error("get", "unknown option");
    }
    if (argc - optind != 1)
        return usage_error("get", "get takes one HASH, ID or ID/ATTACHMENT");
    if (outpath == NULL && isatty(1)) {
        errorf("not writing a file's bytes to a terminal: redirect the "
               "output or give -o FILE");
        return EXIT_FAILURE;
    }
    if ((rc = open_db(c, ARCA_RDONLY, &db)) != 0)
        return rc;
    if (outpath && (f = fopen(outpath, "wb")) == NULL) {
        errorf("%s: %s", outpath, strerror(errno));
        rc = EXIT_FAILURE;
        goto out;
    }
    if (arca_db_get(db, argv[optind], write_sink, f) != ARCA_OK) {
        errorf("%s", arca_db_errmsg(db));
        rc = EXIT_FAILURE;
    }
    if (fflush(f) != 0 || (outpath && fclose(f) != 0)) {
        errorf("%s: %s", outpath ? outpath : "standard output",
               strerror(errno));
        rc = EXIT_FAILURE;
    }
    if (rc && outpath)
        unlink(outpath);
out:
    arca_db_close(db);
    return rc;
}

/* ---- stats, fsck, reindex ---- */

static int parse_json_only(cli *c, const char *cmd, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            c->json = 1;
        else
            return usage_error(cmd, "unexpected '%s'", argv[i]);
    }
    return 0;
}

static int cmd_stats(cli *c, int argc, char **argv)
{
    int rc = parse_json_only(c, "stats", argc, argv);
    arca_db *db = NULL;
    arca_stats s;
    if (rc || (rc = open_db(c, ARCA_RDONLY, &db)) != 0)
        return rc;
    if (arca_db_stats(db, &s)) {
        errorf("%s", arca_db_errmsg(db));
        arca_db_close(db);
        return EXIT_FAILURE;
    }
    arca_db_close(db);
    if (c->json)
        return print_json(arca_json_stats(&s));
    printf("records       %llu (%llu versions, %llu parts)\n",
           (unsigned long long)s.records, (unsigned long long)s.versions,
           (unsigned long long)s.parts);
    printf("objects       %llu, %.1f MB stored as %.1f MB\n",
           (unsigned long long)s.objects, (double)s.bytes / 1e6,
           (double)s.stored_bytes / 1e6);
    printf("index         %llu documents, %.1f MB\n",
           (unsigned long long)s.index_docs, (double)s.index_bytes / 1e6);
    return 0;
}

static void on_problem(void *ctx, const char *problem)
{
    if (ctx)
        json_array_append_new(ctx, json_string(problem));
    else
        printf("%s\n", problem);
}

struct repair_out {
    json_t *fixed, *lost, *notes, *problems;
};

/* A line of arca_db_repair: printed, or sorted into --json's arrays. */
static void on_repair(void *ctx, const char *line)
{
    struct repair_out *o = ctx;
    if (o == NULL) {
        printf("%s\n", line);
        fflush(stdout);
        return;
    }
    static const struct { const char *prefix; size_t off; } kinds[] = {
        {"fixed: ", offsetof(struct repair_out, fixed)},
        {"lost: ", offsetof(struct repair_out, lost)},
        {"note: ", offsetof(struct repair_out, notes)},
        {"problem: ", offsetof(struct repair_out, problems)},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i].prefix);
        if (strncmp(line, kinds[i].prefix, n) == 0) {
            json_t *a = *(json_t **)((char *)o + kinds[i].off);
            json_array_append_new(a, json_string(line + n));
            return;
        }
    }
}

static int fsck_repair(cli *c)
{
    char err[1024];
    uint64_t left = 0;
    struct repair_out o = {json_array(), json_array(), json_array(),
                           json_array()};
    arca_status st = arca_db_repair(c->dir, on_repair, c->json ? &o : NULL,
                                    &left, err, sizeof err);
    if (st) {
        errorf("%s", err);
    } else if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "ok", json_boolean(left == 0 &&
                                                  json_array_size(o.lost) ==
                                                      0));
        json_object_set_new(j, "fixed", json_incref(o.fixed));
        json_object_set_new(j, "lost", json_incref(o.lost));
        json_object_set_new(j, "notes", json_incref(o.notes));
        json_object_set_new(j, "problems", json_incref(o.problems));
        print_json(j);
    } else if (left == 0) {
        printf("%s: no problems left\n", c->dir);
    } else {
        errorf("%s: %llu problem%s left that cannot be repaired", c->dir,
               (unsigned long long)left, left == 1 ? "" : "s");
    }
    int lost = json_array_size(o.lost) > 0;
    json_decref(o.fixed);
    json_decref(o.lost);
    json_decref(o.notes);
    json_decref(o.problems);
    return st || left || lost ? EXIT_FAILURE : 0;
}

static int cmd_fsck(cli *c, int argc, char **argv)
{
    int repair = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            c->json = 1;
        else if (strcmp(argv[i], "--repair") == 0)
            repair = 1;
        else
            return usage_error("fsck", "unexpected '%s'", argv[i]);
    }
    if (repair)
        return fsck_repair(c);
    arca_db *db = NULL;
    uint64_t n = 0;
    char err[1024];
    arca_status st = arca_db_open(c->dir, ARCA_RDONLY, &db, err, sizeof err);
    if (st) {
        /* A collection that does not open is a problem fsck names. */
        if (st == ARCA_ENOTFOUND && strstr(err, "not an arca collection")) {
            errorf("%s", err);
            return EXIT_FAILURE;
        }
        if (c->json) {
            json_t *j = json_object();
            json_t *problems = json_array();
            json_array_append_new(problems, json_string(err));
            json_object_set_new(j, "ok", json_false());
            json_object_set_new(j, "problems", problems);
            print_json(j);
        } else {
            printf("%s\n", err);
            errorf("%s: cannot be opened ('arca fsck --repair' rebuilds "
                   "what can be rebuilt)", c->dir);
        }
        return EXIT_FAILURE;
    }
    json_t *problems = c->json ? json_array() : NULL;
    st = arca_db_fsck(db, on_problem, problems, &n);
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "ok", json_boolean(st == ARCA_OK));
        json_object_set_new(j, "problems", problems);
        print_json(j);
    } else if (st == ARCA_OK) {
        printf("%s: no problems found\n", arca_db_dir(db));
    } else {
        errorf("%s ('arca fsck --repair' rebuilds what can be rebuilt)",
               arca_db_errmsg(db));
    }
    arca_db_close(db);
    return st == ARCA_OK ? 0 : EXIT_FAILURE;
}

static void on_reindex(void *ctx, uint64_t done, uint64_t total)
{
    if (*(int *)ctx)
        fprintf(stderr, "\r\033[Kreindexed %llu of %llu records",
                (unsigned long long)done, (unsigned long long)total);
}

static int cmd_reindex(cli *c, int argc, char **argv)
{
    int rc = parse_json_only(c, "reindex", argc, argv);
    arca_db *db = NULL;
    int tty = isatty(2);
    if (rc || (rc = open_db(c, ARCA_WRITE, &db)) != 0)
        return rc;
    arca_status st = arca_db_reindex(db, on_reindex, &tty);
    if (tty)
        fputs("\r\033[K", stderr);
    if (st) {
        errorf("%s", arca_db_errmsg(db));
        arca_db_close(db);
        return EXIT_FAILURE;
    }
    arca_stats s;
    if (arca_db_stats(db, &s) == ARCA_OK && !c->json)
        printf("Reindexed %llu records into %llu documents\n",
               (unsigned long long)s.records,
               (unsigned long long)s.index_docs);
    arca_db_close(db);
    return 0;
}

/* ---- export, restore ---- */

static json_t *backup_json(const char *key, const char *value,
                           const arca_backup_summary *s)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:f}", key, value, "objects",
                     (json_int_t)s->objects, "records",
                     (json_int_t)s->records, "bytes", (json_int_t)s->bytes,
                     "seconds", s->seconds);
}

static int cmd_export(cli *c, int argc, char **argv)
{
    const char *file = NULL;
    int force = 0, verify = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            c->json = 1;
        else if (strcmp(argv[i], "--force") == 0)
            force = 1;
        else if (strcmp(argv[i], "--verify") == 0)
            verify = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return usage_error("export", "unknown option '%s'", argv[i]);
        else if (file == NULL)
            file = argv[i];
        else
            return usage_error("export", "export takes one FILE.tar");
    }
    if (file == NULL)
        return usage_error("export", "no FILE.tar given");
    if (verify && force)
        return usage_error("export", "--verify writes nothing: no --force");
    char err[2048];
    arca_backup_summary s;
    arca_status st;
    if (verify) {
        json_t *problems = c->json ? json_array() : NULL;
        st = arca_export_verify(file, on_problem, problems, &s, err,
                                sizeof err);
        if (c->json) {
            json_t *j = backup_json("file", file, &s);
            json_object_set_new(j, "ok", json_boolean(st == ARCA_OK));
            json_object_set_new(j, "problems", problems);
            if (st)
                json_object_set_new(j, "error", json_string(err));
            print_json(j);
        }
        if (st) {
            errorf("%s", err);
            return EXIT_FAILURE;
        }
        if (!c->json)
            printf("%s: a sound export: %llu records, %llu objects, "
                   "%llu members, %.1f MB\n", file,
                   (unsigned long long)s.records,
                   (unsigned long long)s.objects,
                   (unsigned long long)s.members, (double)s.bytes / 1e6);
        return 0;
    }
    if (strcmp(file, "-") == 0 && isatty(1)) {
        errorf("not writing a tar to a terminal: redirect the output or "
               "give a FILE.tar");
        return EXIT_FAILURE;
    }
    st = arca_export(c->dir, file, force, &s, err, sizeof err);
    if (st) {
        errorf("%s", err);
        return EXIT_FAILURE;
    }
    /* With the tar on standard output, the summary goes to stderr. */
    FILE *out = strcmp(file, "-") == 0 ? stderr : stdout;
    if (c->json) {
        json_t *j = backup_json("file", file, &s);
        char *txt = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(j);
        if (txt == NULL)
            return EXIT_FAILURE;
        fprintf(out, "%s\n", txt);
        free(txt);
    } else {
        fprintf(out, "Exported %llu records (%llu objects) to %s: %.1f MB "
                "in %.1f s\n", (unsigned long long)s.records,
                (unsigned long long)s.objects, file, (double)s.bytes / 1e6,
                s.seconds);
    }
    return 0;
}

static int cmd_restore(cli *c, int argc, char **argv)
{
    const char *args[2];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            c->json = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return usage_error("restore", "unknown option '%s'", argv[i]);
        else if (n < 2)
            args[n++] = argv[i];
        else
            return usage_error("restore", "restore takes FILE.tar and DIR");
    }
    if (n != 2)
        return usage_error("restore", "restore takes FILE.tar and DIR");
    char err[2048];
    arca_backup_summary s;
    int tty = isatty(2);
    arca_status st = arca_restore(args[0], args[1], on_problem, on_reindex,
                                  &tty, &s, err, sizeof err);
    if (tty)
        fputs("\r\033[K", stderr);
    if (st) {
        errorf("%s", err);
        return EXIT_FAILURE;
    }
    if (c->json)
        return print_json(backup_json("dir", args[1], &s));
    printf("Restored %llu records (%llu objects, %.1f MB) into %s in "
           "%.1f s; index rebuilt, no problems found\n",
           (unsigned long long)s.records, (unsigned long long)s.objects,
           (double)s.bytes / 1e6, args[1], s.seconds);
    return 0;
}

/* ---- formats ---- */

static void on_format(void *ctx, const arca_format *f)
{
    if (ctx) {
        json_t *o = json_object();
        json_object_set_new(o, "type", json_string(f->mime));
        json_object_set_new(o, "indexer", json_string(f->indexer));
        json_object_set_new(o, "ocr", json_boolean(f->ocr));
        json_array_append_new(ctx, o);
    } else {
        printf("%-72s %s%s\n", f->mime, f->indexer, f->ocr ? " +OCR" : "");
    }
}

/* "kor+eng" as a JSON array. */
static json_t *plus_list(const char *s)
{
    json_t *a = json_array();
    while (s && *s) {
        size_t n = strcspn(s, "+");
        json_array_append_new(a, json_stringn(s, n));
        s += n + (s[n] == '+');
    }
    return a;
}

static int cmd_formats(cli *c, int argc, char **argv)
{
    int rc = parse_json_only(c, "formats", argc, argv);
    if (rc)
        return rc;
    arca_readers r;
    arca_readers_info(&r);
    json_t *list = c->json ? json_array() : NULL;
    if (list == NULL)
        printf("%-72s %s\n", "TYPE", "INDEXER");
    arca_formats(on_format, list);
    if (list) {
        json_t *j = json_object();
        json_object_set_new(j, "formats", list);
        json_object_set_new(j, "ocr", json_pack("{s:s, s:o, s:o}", "engine",
                                                r.ocr_engine, "languages",
                                                plus_list(r.ocr_languages),
                                                "missing",
                                                plus_list(r.ocr_missing)));
        json_object_set_new(j, "filters", plus_list(r.filters));
        return print_json(j);
    }
    printf("\n+OCR: with 'import --ocr', the text of pictures and scanned "
           "pages is read too,\n      by %s in %s%s%s.\n", r.ocr_engine,
           r.ocr_languages[0] ? r.ocr_languages : "no language (none of "
                                                  "kor eng chi_sim jpn rus "
                                                  "is installed)",
           r.ocr_missing[0] ? "; not installed: " : "", r.ocr_missing);
    printf("Filter programs: %s.\n", r.filters[0] ? r.filters
           : "none; every type above is read inside arca, no program is "
             "ever run");
    printf("Other files are archived whole and found by their names and "
           "fields.\n");
    return 0;
}

/* ---- run, report ---- */

/*
 * The options of run and report, up to the script (or report name):
 * --sandbox, and the sandbox's limits.  *I is left on the script.
 */
static int parse_lua_opts(const char *cmd, int argc, char **argv, int *i,
                          arca_lua_opts *o)
{
    int limits = 0;
    for (*i = 1; *i < argc && argv[*i][0] == '-'; (*i)++) {
        const char *a = argv[*i];
        const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
        if (strcmp(a, "--") == 0) {
            (*i)++;
            break;
        } else if (strcmp(a, "--sandbox") == 0) {
            o->sandbox = 1;
            continue;
        }
        if (v == NULL)
            return usage_error(cmd, "%s wants a value", a);
        if (strcmp(a, "--max-memory") == 0) {
            if (arca_lua_parse_size(v, &o->max_memory) || o->max_memory == 0)
                return usage_error(cmd, "--max-memory wants a size such as "
                                   "64M, not '%s'", v);
        } else if (strcmp(a, "--max-instructions") == 0) {
            char *end;
            errno = 0;
            o->max_instructions = strtoull(v, &end, 10);
            if (errno || *end || end == v || v[0] == '-' ||
                o->max_instructions == 0)
                return usage_error(cmd, "--max-instructions wants a whole "
                                   "number, not '%s'", v);
        } else if (strcmp(a, "--timeout") == 0) {
            char *end;
            errno = 0;
            o->timeout = strtod(v, &end);
            if (errno || *end || end == v || !(o->timeout > 0) ||
                o->timeout > 1e6)
                return usage_error(cmd, "--timeout wants seconds, not '%s'",
                                   v);
        } else {
            return usage_error(cmd, "unknown option '%s'", a);
        }
        limits = 1;
        (*i)++;
    }
    if (limits && !o->sandbox)
        return usage_error(cmd, "the limits apply to --sandbox only");
    if (*i >= argc)
        return usage_error(cmd, "%s", strcmp(cmd, "run") == 0
                                          ? "no script given"
                                          : "no report named");
    return 0;
}

static int cmd_run(cli *c, int argc, char **argv)
{
    arca_lua_opts o = {0};
    int i, rc;

    o.dir = c->dir;
    if ((rc = parse_lua_opts("run", argc, argv, &i, &o)) != 0)
        return rc;
    return arca_lua_run(&o, argv[i], argc - i, argv + i);
}

/* The names of DIR/reports/NAME.lua, ", "-separated, into OUT. */
static void report_names(const char *dir, char *out, size_t outlen)
{
    char path[PATH_MAX];
    struct dirent **ents = NULL;
    size_t used = 0;
    out[0] = '\0';
    snprintf(path, sizeof path, "%s/reports", dir);
    int n = scandir(path, &ents, NULL, alphasort);
    for (int k = 0; k < n; k++) {
        size_t l = strlen(ents[k]->d_name);
        if (l > 4 && strcmp(ents[k]->d_name + l - 4, ".lua") == 0 &&
            used < outlen)
            used += (size_t)snprintf(out + used, outlen - used, "%s%.*s",
                                     used ? ", " : "", (int)(l - 4),
                                     ents[k]->d_name);
        free(ents[k]);
    }
    free(ents);
}

static int cmd_report(cli *c, int argc, char **argv)
{
    arca_lua_opts o = {0};
    int i, rc;

    o.dir = c->dir;
    if ((rc = parse_lua_opts("report", argc, argv, &i, &o)) != 0)
        return rc;
    const char *name = argv[i];
    size_t n = strlen(name);
    if (n == 0 || n > 100 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_-") != n)
        return usage_error("report", "a report name is letters, digits, _ "
                           "and -, not '%s'", name);
    size_t len = strlen(c->dir) + n + sizeof "/reports/.lua";
    char *path = malloc(len);
    if (path == NULL)
        return EXIT_FAILURE;
    snprintf(path, len, "%s/reports/%s.lua", c->dir, name);
    if (access(path, R_OK) != 0) {
        char names[1024];
        int e = errno;
        report_names(c->dir, names, sizeof names);
        errorf("%s: no such report (%s); the collection has: %s", path,
               strerror(e), names[0] ? names : "none");
        free(path);
        return EXIT_FAILURE;
    }
    /* arg[0] is the report's file, as for `arca run`. */
    char *saved = argv[i];
    argv[i] = path;
    rc = arca_lua_run(&o, path, argc - i, argv + i);
    argv[i] = saved;
    free(path);
    return rc;
}

static int cmd_serve(cli *c, int argc, char **argv)
{
    /* With shards, the collection is searched only when named. */
    for (int i = 1; i < argc && !c->dir_given; i++)
        if (strcmp(argv[i], "--shard") == 0 ||
            strncmp(argv[i], "--shard=", 8) == 0)
            return arca_serve(NULL, argc, argv);
    return arca_serve(c->dir, argc, argv);
}

static int cmd_shard(cli *c, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "serve") != 0)
        return usage_error("shard", "shard takes 'serve'");
    return arca_shard_serve(c->dir, argc - 1, argv + 1);
}

static int cmd_watch(cli *c, int argc, char **argv)
{
    return arca_watch(c->dir, argc, argv);
}

/* ---- help and dispatch ---- */

static int cmd_help(cli *c, int argc, char **argv);
static int cmd_version(cli *c, int argc, char **argv)
{
    (void)c;
    (void)argc;
    (void)argv;
    printf("arca %s\n", ARCA_VERSION);
    return 0;
}

static const struct command commands[] = {
    {"init", cmd_init, "DIR", "create an empty collection"},
    {"add", cmd_add,
     "[BODY [ATTACHMENT...]] --title T [--date D] [--author A] [--board B] "
     "[--tag X]... [--lang L] [--source S] [--id ID] [--field K=V]... "
     "[--body FILE | --text TEXT] [--attach FILE]... [--json]",
     "archive and index one record with its attachments"},
    {"import", cmd_import,
     "PATH... [--json] [--jobs N] [--dry-run] [--quiet] [--verbose] "
     "[--max-file-size BYTES] [--batch FILES] [--ocr|--no-ocr] "
     "[--ocr-langs kor+eng] [--log FILE.jsonl] [--progress SECONDS] "
     "[--manifest FILE.csv [--manifest-map 'Header=field,...']] "
     "[--fields-from-path 'BOARD/YEAR/**']\n"
     "       arca import --manifest FILE.csv [OPTIONS]   "
     "(the files it lists)",
     "import files and folders (NAME.meta.json sidecars give fields; "
     "config.lua's import table gives defaults).\n"
     "  --log FILE        append one JSON line per file: path, outcome, id, "
     "records,\n"
     "                    type, encoding, bytes, ms, error, warning\n"
     "  --manifest CSV    a catalogue: a header row, a column 'path' (or "
     "'file') naming\n"
     "                    each file (relative to the CSV's folder), the "
     "others its\n"
     "                    fields (title, date, author, board, lang, tags, "
     "source, id,\n"
     "                    any other name an extra field)\n"
     "  --manifest-map M  rename its headers: 'Titel=title,Datei=path'\n"
     "  --fields-from-path P  fields from folder names below each PATH: "
     "upper-case\n"
     "                    words name fields (BOARD YEAR AUTHOR LANG TAG, "
     "others extra),\n"
     "                    * is one folder or name, ** any number\n"
     "  Precedence, field by field: the file's content < its path < the "
     "manifest <\n"
     "  its sidecar < config.lua hooks."},
    {"search", cmd_search,
     "QUERY [--json] [--limit N] [--offset K] [--sort relevance|date|oldest] "
     "[--facet year|board|type|lang|author|FIELD]... [--filter QUERY] [--all-parts] "
     "[--shard tcp://HOST:PORT|DIR]...",
     "search the collection (and --shard: other collections, local or "
     "served by 'arca shard serve', as one index)"},
    {"show", cmd_show, "ID [--json] [--text]", "show a record"},
    {"get", cmd_get, "HASH|ID|ID/ATTACHMENT [-o FILE]",
     "write an original's bytes"},
    {"stats", cmd_stats, "[--json]", "figures about the collection"},
    {"fsck", cmd_fsck, "[--json] [--repair]",
     "check the catalog, every object and every reference (--repair: "
     "rebuild what the archive can give back, list what it cannot)"},
    {"reindex", cmd_reindex, "", "rebuild the index from the archive"},
    {"export", cmd_export,
     "FILE.tar [--force] [--json]\n"
     "       arca export --verify FILE.tar [--json]",
     "back the collection up into one tar, consistent while imports run "
     "(- for standard output).\n"
     "  The tar holds a snapshot of the catalog, the objects it refers to, "
     "config.lua,\n"
     "  reports/ and a manifest (arca-export.json); not the index.\n"
     "  --force     replace an existing FILE.tar\n"
     "  --verify    check an export (names, sizes, SHA-256, its catalog) "
     "without restoring"},
    {"restore", cmd_restore, "FILE.tar DIR [--json]",
     "restore an export into DIR (new or empty): every member verified, "
     "the index rebuilt,\n  then checked as fsck does; nothing is left "
     "behind on failure"},
    {"formats", cmd_formats, "[--json]",
     "the file types whose text arca extracts"},
    {"run", cmd_run,
     "[--sandbox [--max-memory 64M] [--max-instructions N] "
     "[--timeout SECONDS]] SCRIPT.lua [ARGS...]",
     "run a Lua script with the arca module (--sandbox: read-only, "
     "limited)"},
    {"report", cmd_report,
     "[--sandbox [--max-memory 64M] [--max-instructions N] "
     "[--timeout SECONDS]] NAME [ARGS...]",
     "run the collection's reports/NAME.lua"},
    {"serve", cmd_serve,
     "[--bind 127.0.0.1] [--port 8080] [--token-file F] [--threads N] "
     "[--max-upload MIB] [--shard tcp://HOST:PORT|DIR]...",
     "serve the search page and the JSON API over HTTP (--port 0: any free "
     "port)"},
    {"shard", cmd_shard, "serve --port P [--bind 127.0.0.1] [--http-port H]",
     "serve the collection's index to other machines' searches "
     "(xapian-tcpsrv on P, read-only) with arca serve on H (default P+1) "
     "for texts and originals"},
    {"watch", cmd_watch,
     "DIR [--settle SECONDS] [--jobs N] [--ocr|--no-ocr] [--json] [--quiet]",
     "import what lands in the folder DIR, as it lands, until stopped"},
    {"help", cmd_help, "[COMMAND]", "this help"},
    {"version", cmd_version, "", "print the version"},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int cmd_help(cli *c, int argc, char **argv)
{
    (void)c;
    if (argc > 1) {
        const struct command *cmd = find_command(argv[1]);
        if (cmd == NULL)
            return usage_error(NULL, "no command '%s'", argv[1]);
        printf("usage: arca %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->help);
        return 0;
    }
    printf("usage: arca [-C DIR] COMMAND [ARGS]\n\n"
           "arca keeps every file it is given in a compressed archive and "
           "finds them again.\nThe collection is -C DIR, else $ARCA_DIR, "
           "else the current directory.\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        printf("  %-8s %s\n", commands[i].name, commands[i].help);
    printf("\nQueries: words (all must match), \"a phrase\", OR, NOT, "
           "word*, title: author:\nboard: tag: type: lang: year:2023 "
           "year:2020..2023 date:2023-12-01..2023-12-31\n"
           "\n'arca help COMMAND' shows a command's options.\n");
    return 0;
}

int main(int argc, char **argv)
{
    cli c = {0};
    int i = 1;

    /*
     * Tesseract parallelises each page with OpenMP, and its threads spin
     * against arca's own extraction threads: four times slower here.  The
     * OpenMP runtime reads its limit when it loads, before main(), so the
     * limit is set and the program started again, once.
     */
    if (getenv("OMP_THREAD_LIMIT") == NULL &&
        setenv("OMP_THREAD_LIMIT", "1", 1) == 0)
        execv("/proc/self/exe", argv);  /* on failure, just go on */

    signal(SIGPIPE, SIG_IGN);
    /* Names inside archives come out as UTF-8 only under a UTF-8 locale. */
    if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
        setlocale(LC_CTYPE, "");
    c.dir = getenv("ARCA_DIR");
    c.dir_given = c.dir != NULL && c.dir[0] != '\0';
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "-C") == 0 && i + 1 < argc) {
            c.dir = argv[i + 1];
            c.dir_given = 1;
            i += 2;
        } else if (strncmp(argv[i], "-C", 2) == 0 && argv[i][2]) {
            c.dir = argv[i] + 2;
            c.dir_given = 1;
            i++;
        } else if (strcmp(argv[i], "--help") == 0 ||
                   strcmp(argv[i], "-h") == 0) {
            return cmd_help(&c, 1, argv);
        } else if (strcmp(argv[i], "--version") == 0) {
            return cmd_version(&c, 0, NULL);
        } else {
            return usage_error(NULL, "unknown option '%s'", argv[i]);
        }
    }
    if (c.dir == NULL || c.dir[0] == '\0')
        c.dir = ".";
    if (i >= argc)
        return usage_error(NULL, "no command given");
    const struct command *cmd = find_command(argv[i]);
    if (cmd == NULL)
        return usage_error(NULL, "no command '%s'", argv[i]);
    return cmd->fn(&c, argc - i, argv + i);
}
