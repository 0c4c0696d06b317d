/*
 * serve.c: `arca serve`, the search page and the JSON API over HTTP.
 *
 *   GET  /                              the page (tools/web/, built in)
 *   GET  /api/search?q=&page=&size=&sort=&year=&board=&type=&lang=&from=&to=
 *   GET  /api/records/ID                the record, as `arca show --json`
 *   GET  /api/records/ID/attachments/N  part N's original bytes (0: body)
 *   GET  /api/objects/SHA256            an object's original bytes
 *   GET  /api/reports                   the collection's reports/NAME.lua
 *   GET  /api/reports/NAME?q=&format=   one run in the sandbox
 *   POST /api/records                   a record upload (multipart), with
 *                                       the token only
 *   GET  /api/stats, GET /healthz
 *
 * libmicrohttpd runs a pool of threads; each thread opens its own
 * read-only handle on the collection (Xapian's handles are not shared
 * between threads) and refreshes it before each request, so an import
 * running beside the server shows as soon as it commits.  The search
 * itself is api.c's, which the in-process benchmark runs too.  Every
 * answer but a download is JSON; errors are {"error": "..."} with their
 * status.
 *
 * Hostile requests are expected: the URL, headers and upload are bounded
 * (connection memory, ARCA_SERVE_MAX_QUERY, --max-upload), identifiers are
 * checked against what they may contain before they reach the library,
 * no path is made from the URL except reports/NAME.lua with NAME checked,
 * and a report runs in a separate `arca report --sandbox` process that is
 * killed at its time limit, so no script can stall or crash the server.
 * The token is compared in constant time; there are no CORS headers.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "indexers/indexer.h"
#include "tools/tools.h"
#include "web_assets.h"         /* generated from tools/web/ */

#define MAX_PARAMS 256              /* parameters of a request */
#define MAX_REPORT_OUT (16u << 20)   /* bytes a report may print */
#define MAX_REPORT_ARGS 16           /* parameters a report takes */
#define REPORT_TIMEOUT 30            /* seconds, the sandbox's own limit */
#define CONN_MEMORY (256 * 1024)     /* bytes per connection: URL, headers */
#define CONN_TIMEOUT 60              /* seconds a connection may idle */
#define CONN_LIMIT 512               /* connections at once */
#define DEFAULT_MAX_UPLOAD (256u << 20)
#define MAX_SHARDS 64                /* --shard, as the library allows */
#define TCPSRV_START_WAIT 10         /* seconds for xapian-tcpsrv to listen */

#ifndef MHD_HTTP_CONTENT_TOO_LARGE
#define MHD_HTTP_CONTENT_TOO_LARGE 413
#endif

extern char **environ;

typedef struct server {
    const char *dir;
    char *self;                  /* this program, to run reports with */
    unsigned char token_sha[SHA256_DIGEST_LENGTH];
    bool has_token;
    uint64_t max_upload;
    pthread_key_t db_key;        /* each thread's arca_db */
    const char *const *shards;   /* --shard: searched with the collection */
    size_t nshards;
    pthread_key_t magic_key;     /* each thread's arca_detector */
} server;

/* One request's state across the calls libmicrohttpd makes for it. */
typedef struct upload_file {
    char *name;
    char *data;
    size_t len, cap;
} upload_file;

typedef struct request {
    bool started;
    unsigned refused;            /* an HTTP status to answer once the body
                                    is read, or 0 */
    bool too_big;                /* the upload passed --max-upload */
    bool bad_form;
    uint64_t received;
    struct MHD_PostProcessor *pp;
    char *fields[8];             /* title date author board lang source tags body */
    size_t field_len[8];
    upload_file *files;
    size_t nfiles;
} request;

static const char *const form_fields[8] = {
    "title", "date", "author", "board", "lang", "source", "tags", "body"};

/* ---- Responses ---- */

static const char *const page_csp =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/* The headers every answer carries. */
static void common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
}

static enum MHD_Result send_buffer(struct MHD_Connection *c, unsigned status,
                                   const char *type, void *data, size_t len,
                                   enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, data, mode);
    if (r == NULL)
        return MHD_NO;
    common_headers(r);
    MHD_add_response_header(r, "Content-Type", type);
    if (strncmp(type, "application/json", 16) == 0) {
        MHD_add_response_header(r, "Cache-Control", "no-store");
        MHD_add_response_header(r, "Content-Security-Policy",
                                "default-src 'none'; frame-ancestors 'none'");
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* J as the answer (J is consumed). */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status,
                                 json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (s == NULL)
        return send_buffer(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                           "application/json",
                           (void *)"{\"error\":\"out of memory\"}", 25,
                           MHD_RESPMEM_PERSISTENT);
    return send_buffer(c, status, "application/json; charset=utf-8", s,
                       strlen(s), MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
                                  const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
                                  const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return send_json(c, status, arca_api_error(msg));
}

/* ---- Each thread's collection ---- */

static void close_db(void *p)
{
    arca_db_close(p);
}

static void free_detector(void *p)
{
    arca_detector_free(p);
}

/* This thread's handle on the collection, refreshed; NULL with ERR. */
static arca_db *thread_db(server *s, char *err, size_t errlen)
{
    arca_db *db = pthread_getspecific(s->db_key);
    if (db != NULL) {
        if (arca_db_refresh(db) == ARCA_OK)
            return db;
        arca_db_close(db);
        pthread_setspecific(s->db_key, NULL);
    }
    if ((s->nshards || s->dir == NULL
             ? arca_db_open_shards(s->dir, s->shards, s->nshards, &db, err,
                                   errlen)
             : arca_db_open(s->dir, ARCA_RDONLY, &db, err, errlen)) != ARCA_OK)
        return NULL;
    pthread_setspecific(s->db_key, db);
    return db;
}

/* ---- Reading requests ---- */

static const char *arg(struct MHD_Connection *c, const char *key)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}

/* A path piece made of letters, digits and . _ - only. */
static bool safe_id(const char *s, size_t n)
{
    if (n == 0 || n > 255 || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
            return false;
    return true;
}

static bool is_sha256(const char *s)
{
    size_t n = strlen(s);
    if (n != 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return false;
    return true;
}

/* ---- Search ---- */

typedef struct params {
    arca_api_param p[MAX_PARAMS];
    size_t n;
    bool overflow;
} params;

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
    params *ps = cls;
    (void)kind;
    if (ps->n == MAX_PARAMS) {
        ps->overflow = true;
        return MHD_NO;
    }
    ps->p[ps->n++] = (arca_api_param){key, value ? value : ""};
    return MHD_YES;
}

static enum MHD_Result api_search(server *s, struct MHD_Connection *c)
{
    char err[1024];
    params ps = {.n = 0};
    json_t *j = NULL;

    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_param, &ps);
    if (ps.overflow)
        return send_error(c, MHD_HTTP_BAD_REQUEST, "at most %d parameters",
                          MAX_PARAMS);
    arca_db *db = thread_db(s, err, sizeof err);
    if (db == NULL)
        return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err);
    unsigned status = arca_api_search(db, ps.p, ps.n, &j);
    return send_json(c, status, j);
}

/* ---- Records and originals ---- */

static enum MHD_Result api_record(server *s, struct MHD_Connection *c,
                                  const char *id)
{
    char err[1024], *js = NULL;
    arca_db *db = thread_db(s, err, sizeof err);
    if (db == NULL)
        return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err);
    arca_status st = arca_db_record_json(db, id, 0, &js);
    if (st)
        return send_error(c, arca_api_status(st), "%s", arca_db_errmsg(db));
    return send_buffer(c, MHD_HTTP_OK, "application/json; charset=utf-8", js,
                       strlen(js), MHD_RESPMEM_MUST_FREE);
}

static int file_sink(void *ctx, const void *data, size_t len)
{
    return fwrite(data, 1, len, ctx) == len ? 0 : -1;
}

/*
 * Content-Disposition for NAME (RFC 6266): an ASCII fallback in
 * filename="..." and the UTF-8 name in filename*=, percent-encoded, so a
 * Korean name arrives intact and no byte of it can end the header.
 */
static void disposition(const char *name, char *out, size_t outlen)
{
    char ascii[128], enc[1024];
    size_t a = 0, e = 0;
    for (const unsigned char *p = (const unsigned char *)name;
         *p && a + 1 < sizeof ascii; p++)
        ascii[a++] = (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' ||
                      *p == '/' || *p == ';')
                         ? '_'
                         : (char)*p;
    ascii[a] = '\0';
    for (const unsigned char *p = (const unsigned char *)name;
         *p && e + 4 < sizeof enc; p++) {
        if (isalnum(*p) || strchr("!#$&+-.^_`|~", *p))
            enc[e++] = (char)*p;
        else
            e += (size_t)snprintf(enc + e, sizeof enc - e, "%%%02X", *p);
    }
    enc[e] = '\0';
    snprintf(out, outlen, "attachment; filename=\"%s\"; filename*=UTF-8''%s",
             a ? ascii : "download", enc);
}

/*
 * The bytes of WHAT (an object's hash, or "ID/N") as a download named
 * NAME of TYPE (NULL: detected from the bytes).  They are spooled to an
 * unnamed temporary file, so memory stays flat whatever their size.
 */
static enum MHD_Result send_original(server *s, struct MHD_Connection *c,
                                     arca_db *db, const char *what,
                                     const char *name, const char *type)
{
    char mime[128], charset[64], cd[1400];
    FILE *f = tmpfile();
    if (f == NULL)
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                          "temporary file: %s", strerror(errno));
    arca_status st = arca_db_get(db, what, file_sink, f);
    if (st || fflush(f) != 0) {
        fclose(f);
        return send_error(c, st ? arca_api_status(st) : 500, "%s",
                          st ? arca_db_errmsg(db) : "temporary file");
    }
    off_t size = ftello(f);
    if (type == NULL) {
        char head[8192];
        rewind(f);
        size_t n = fread(head, 1, sizeof head, f);
        arca_detector *d = pthread_getspecific(s->magic_key);
        if (d == NULL && arca_detector_new(&d, NULL, 0) == ARCA_OK)
            pthread_setspecific(s->magic_key, d);
        type = d && arca_detect(d, head, n, name, mime, charset) == ARCA_OK
                   ? mime
                   : "application/octet-stream";
    }
    int fd = dup(fileno(f));
    fclose(f);
    struct MHD_Response *r =
        fd < 0 ? NULL : MHD_create_response_from_fd((uint64_t)size, fd);
    if (r == NULL) {
        if (fd >= 0)
            close(fd);
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    common_headers(r);
    disposition(name, cd, sizeof cd);
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Content-Disposition", cd);
    /* An original is never run as a page of this site. */
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; sandbox");
    MHD_add_response_header(r, "Cache-Control", "private, max-age=3600");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result api_attachment(server *s, struct MHD_Connection *c,
                                      const char *id, unsigned part)
{
    char err[1024], *js = NULL, what[300], name[256];
    arca_db *db = thread_db(s, err, sizeof err);
    if (db == NULL)
        return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err);
    arca_status st = arca_db_record_json(db, id, 0, &js);
    if (st)
        return send_error(c, arca_api_status(st), "%s", arca_db_errmsg(db));
    json_t *rec = json_loads(js, 0, NULL);
    free(js);
    json_t *parts = json_object_get(rec, "parts"), *p = NULL;
    size_t i;
    json_array_foreach(parts, i, p)
    {
        if (json_integer_value(json_object_get(p, "part")) == (json_int_t)part)
            break;
    }
    if (p == NULL || i == json_array_size(parts)) {
        json_decref(rec);
        return send_error(c, MHD_HTTP_NOT_FOUND, "%s has no part %u", id,
                          part);
    }
    const char *pname = json_string_value(json_object_get(p, "name"));
    const char *source = json_string_value(json_object_get(rec, "source"));
    const char *base = source ? strrchr(source, '/') : NULL;
    snprintf(name, sizeof name, "%s",
             pname ? pname : base ? base + 1 : source ? source : id);
    const char *type = json_string_value(json_object_get(p, "type"));
    char type_buf[128];
    snprintf(type_buf, sizeof type_buf, "%s",
             type ? type : "application/octet-stream");
    const char *sha = json_string_value(json_object_get(p, "sha256"));
    snprintf(what, sizeof what, "%s", sha ? sha : "");
    json_decref(rec);
    if (!is_sha256(what))
        return send_error(c, MHD_HTTP_NOT_FOUND, "%s: part %u has no "
                          "original", id, part);
    return send_original(s, c, db, what, name, type_buf);
}

static enum MHD_Result api_object(server *s, struct MHD_Connection *c,
                                  const char *sha)
{
    char err[1024];
    arca_db *db = thread_db(s, err, sizeof err);
    if (db == NULL)
        return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err);
    return send_original(s, c, db, sha, sha, NULL);
}

static enum MHD_Result api_stats(server *s, struct MHD_Connection *c)
{
    char err[1024];
    arca_stats st;
    arca_db *db = thread_db(s, err, sizeof err);
    if (db == NULL)
        return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err);
    if (arca_db_stats(db, &st) != ARCA_OK)
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s",
                          arca_db_errmsg(db));
    return send_json(c, MHD_HTTP_OK, arca_json_stats(&st));
}

static enum MHD_Result healthz(server *s, struct MHD_Connection *c)
{
    char err[1024];
    arca_db *db = thread_db(s, err, sizeof err);
    json_t *j = json_object();
    json_object_set_new(j, "ok", json_boolean(db != NULL));
    if (db == NULL)
        json_object_set_new(j, "error", json_string(err));
    return send_json(c, db ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, j);
}

/* ---- Reports ---- */

/* The summary line of a report: the text after "NAME.lua: " in its head. */
static json_t *report_summary(const char *path, const char *name)
{
    char head[2048], want[300];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return json_null();
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[n] = '\0';
    snprintf(want, sizeof want, "%s.lua: ", name);
    char *p = strstr(head, want);
    if (p == NULL)
        return json_null();
    p += strlen(want);
    size_t len = strcspn(p, "\n");
    while (len > 0 && (p[len - 1] == '.' || p[len - 1] == ' '))
        len--;
    return arca_utf8_valid(p, len) ? json_stringn(p, len) : json_null();
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum MHD_Result api_reports(server *s, struct MHD_Connection *c)
{
    char path[PATH_MAX], *names[512];
    size_t n = 0;
    snprintf(path, sizeof path, "%s/reports", s->dir);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && n < sizeof names / sizeof names[0] &&
           (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".lua") == 0 &&
            safe_id(e->d_name, len - 4) &&
            (names[n] = strndup(e->d_name, len - 4)) != NULL)
            n++;
    }
    if (d)
        closedir(d);
    /* Sorted by name, so the list is the same on every machine. */
    qsort(names, n, sizeof *names, cmp_str);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        char file[PATH_MAX + 300];
        snprintf(file, sizeof file, "%s/%s.lua", path, names[i]);
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(names[i]));
        json_object_set_new(o, "summary", report_summary(file, names[i]));
        json_array_append_new(list, o);
        free(names[i]);
    }
    json_t *j = json_object();
    json_object_set_new(j, "reports", list);
    return send_json(c, MHD_HTTP_OK, j);
}

typedef struct report_args {
    char *argv[2 * MAX_REPORT_ARGS + 16];
    int argc;
    char *owned[2 * MAX_REPORT_ARGS + 2];
    int nowned;
    bool bad;
    char why[200];
} report_args;

/* Each parameter but q becomes --KEY VALUE for the report. */
static enum MHD_Result report_arg(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
    report_args *a = cls;
    (void)kind;
    if (strcmp(key, "q") == 0)
        return MHD_YES;
    size_t n = strlen(key);
    bool ok = n > 0 && n <= 40 && islower((unsigned char)key[0]);
    for (size_t i = 0; ok && i < n; i++)
        ok = islower((unsigned char)key[i]) || isdigit((unsigned char)key[i]) ||
             key[i] == '-' || key[i] == '_';
    if (!ok || a->nowned >= 2 * MAX_REPORT_ARGS) {
        a->bad = true;
        snprintf(a->why, sizeof a->why, ok ? "at most %d parameters"
                                           : "a parameter name is lower-case "
                                             "letters, digits, - and _",
                 MAX_REPORT_ARGS);
        return MHD_NO;
    }
    char *opt = malloc(n + 3);
    char *val = strdup(value ? value : "");
    if (opt == NULL || val == NULL) {
        free(opt);
        free(val);
        a->bad = true;
        snprintf(a->why, sizeof a->why, "out of memory");
        return MHD_NO;
    }
    snprintf(opt, n + 3, "--%s", key);
    a->owned[a->nowned++] = opt;
    a->owned[a->nowned++] = val;
    a->argv[a->argc++] = opt;
    a->argv[a->argc++] = val;
    return MHD_YES;
}

static const char *report_type(const char *format)
{
    static const char *const types[][2] = {
        {"csv", "text/csv; charset=utf-8"},
        {"json", "application/json; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"},
        {"markdown", "text/markdown; charset=utf-8"},
        {"html", "text/html; charset=utf-8"},
        {"svg", "image/svg+xml"},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(format, types[i][0]) == 0)
            return types[i][1];
    return NULL;
}

/* Read OUT and ERR of a child until both close or DEADLINE passes. */
static bool drain(int out, int err, arca_buf *o, char *msg, size_t msglen,
                  time_t deadline, bool *too_big)
{
    struct pollfd p[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
    size_t mlen = 0;
    char buf[65536];
    while (p[0].fd >= 0 || p[1].fd >= 0) {
        int left = (int)(deadline - time(NULL));
        if (left <= 0)
            return false;
        if (poll(p, 2, left * 1000) <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(p[i].fd, buf, sizeof buf);
            if (n <= 0) {
                p[i].fd = -1;
                continue;
            }
            if (i == 0) {
                if (o->len + (size_t)n > MAX_REPORT_OUT)
                    *too_big = true;
                else
                    arca_buf_addn(o, buf, (size_t)n);
            } else if (mlen + 1 < msglen) {
                size_t k = (size_t)n < msglen - mlen - 1 ? (size_t)n
                                                         : msglen - mlen - 1;
                memcpy(msg + mlen, buf, k);
                mlen += k;
                msg[mlen] = '\0';
            }
        }
    }
    return true;
}

static enum MHD_Result api_report(server *s, struct MHD_Connection *c,
                                  const char *name)
{
    report_args a = {0};
    char timeout[16], msg[2048] = "";
    const char *format = arg(c, "format");
    const char *q = arg(c, "q");
    enum MHD_Result ret;

    if (format == NULL || format[0] == '\0')
        format = "csv";
    const char *type = report_type(format);
    if (type == NULL)
        return send_error(c, MHD_HTTP_BAD_REQUEST,
                          "format: csv, json, md, html or svg");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/reports/%s.lua", s->dir, name);
    if (access(path, R_OK) != 0)
        return send_error(c, MHD_HTTP_NOT_FOUND, "no report '%s'", name);
    snprintf(timeout, sizeof timeout, "%d", REPORT_TIMEOUT);
    char *head[] = {s->self, "-C", (char *)s->dir, "report", "--sandbox",
                    "--timeout", timeout, (char *)name};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        a.argv[a.argc++] = head[i];
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, report_arg, &a);
    if (a.bad) {
        ret = send_error(c, MHD_HTTP_BAD_REQUEST, "%s", a.why);
        goto out;
    }
    if (arg(c, "format") == NULL) {
        a.argv[a.argc++] = "--format";
        a.argv[a.argc++] = (char *)format;
    }
    if (q && q[0])
        a.argv[a.argc++] = (char *)q;
    a.argv[a.argc] = NULL;

    int outp[2] = {-1, -1}, errp[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    pid_t pid = -1;
    if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
        ret = send_error(c, 500, "pipe: %s", strerror(errno));
        goto close_pipes;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    int e = posix_spawn(&pid, s->self, &fa, NULL, a.argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(outp[1]);
    close(errp[1]);
    outp[1] = errp[1] = -1;
    if (e != 0) {
        ret = send_error(c, 500, "%s: %s", s->self, strerror(e));
        goto close_pipes;
    }
    arca_buf o = {0};
    bool too_big = false;
    bool in_time = drain(outp[0], errp[0], &o, msg, sizeof msg,
                         time(NULL) + REPORT_TIMEOUT + 5, &too_big);
    if (!in_time)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!in_time) {
        ret = send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "report %s: no "
                         "answer within %d seconds", name, REPORT_TIMEOUT + 5);
    } else if (too_big) {
        ret = send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "report %s: more "
                         "than %u MiB of output", name, MAX_REPORT_OUT >> 20);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || o.failed) {
        /* The sandbox's message: "arca: FILE:LINE: ..." and a traceback. */
        msg[strcspn(msg, "\n")] = '\0';
        ret = send_error(c, WIFEXITED(status) && WEXITSTATUS(status) == 2
                                ? MHD_HTTP_BAD_REQUEST
                                : MHD_HTTP_INTERNAL_SERVER_ERROR,
                         "report %s failed: %s", name,
                         strncmp(msg, "arca: ", 6) == 0 ? msg + 6 : msg);
    } else {
        struct MHD_Response *r = MHD_create_response_from_buffer(
            o.len, o.s ? o.s : (char *)"", o.s ? MHD_RESPMEM_MUST_FREE
                                               : MHD_RESPMEM_PERSISTENT);
        if (r == NULL) {
            ret = MHD_NO;
        } else {
            o.s = NULL;
            common_headers(r);
            MHD_add_response_header(r, "Content-Type", type);
            /* A report is shown inside the page, never run as one. */
            MHD_add_response_header(r, "Content-Security-Policy",
                                    "default-src 'none'; style-src "
                                    "'unsafe-inline'; img-src data:; "
                                    "frame-ancestors 'self'; sandbox");
            MHD_add_response_header(r, "Cache-Control", "no-store");
            ret = MHD_queue_response(c, MHD_HTTP_OK, r);
            MHD_destroy_response(r);
        }
    }
    arca_buf_free(&o);
close_pipes:
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
out:
    for (int i = 0; i < a.nowned; i++)
        free(a.owned[i]);
    return ret;
}

/* ---- Uploads ---- */

static bool token_ok(server *s, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                "Authorization");
    unsigned char got[SHA256_DIGEST_LENGTH];
    if (!s->has_token || h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    h += 7;
    /* Hashing first makes the comparison's time independent of where
     * the two differ and of the token's length. */
    SHA256((const unsigned char *)h, strlen(h), got);
    return CRYPTO_memcmp(got, s->token_sha, sizeof got) == 0;
}

static enum MHD_Result on_form(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *filename,
                               const char *content_type,
                               const char *transfer_encoding, const char *data,
                               uint64_t off, size_t size)
{
    request *rq = cls;
    (void)kind, (void)content_type, (void)transfer_encoding, (void)off;
    if (filename != NULL) {
        upload_file *f = rq->nfiles ? &rq->files[rq->nfiles - 1] : NULL;
        if (f == NULL || off == 0) {
            if (rq->nfiles >= 256) {
                rq->bad_form = true;
                return MHD_NO;
            }
            upload_file *nf = realloc(rq->files,
                                      (rq->nfiles + 1) * sizeof *nf);
            if (nf == NULL)
                return MHD_NO;
            rq->files = nf;
            f = &rq->files[rq->nfiles++];
            memset(f, 0, sizeof *f);
            if ((f->name = strdup(filename)) == NULL)
                return MHD_NO;
        }
        if (f->len + size > f->cap) {
            size_t cap = f->cap ? f->cap : 65536;
            while (cap < f->len + size)
                cap *= 2;
            char *d = realloc(f->data, cap);
            if (d == NULL)
                return MHD_NO;
            f->data = d;
            f->cap = cap;
        }
        if (size)
            memcpy(f->data + f->len, data, size);
        f->len += size;
        return MHD_YES;
    }
    /* A part without a name (no name= in its Content-Disposition) comes
     * with KEY NULL. */
    for (size_t i = 0; key != NULL && i < 8; i++) {
        if (strcmp(key, form_fields[i]) != 0)
            continue;
        size_t len = rq->field_len[i];
        char *v = realloc(rq->fields[i], len + size + 1);
        if (v == NULL)
            return MHD_NO;
        memcpy(v + len, data, size);
        v[len + size] = '\0';
        rq->fields[i] = v;
        rq->field_len[i] = len + size;
        return MHD_YES;
    }
    return MHD_YES;     /* other fields are ignored */
}

static enum MHD_Result api_upload(server *s, struct MHD_Connection *c,
                                  request *rq)
{
    char err[1024], id[256];
    arca_record_in r;
    arca_db *w = NULL;
    const char *tags[64];
    arca_attachment_in *atts = NULL;

    if (rq->bad_form)
        return send_error(c, MHD_HTTP_BAD_REQUEST,
                          "the form is malformed or has too many files");
    for (size_t i = 0; i < 8; i++)
        if (rq->fields[i] && !arca_utf8_valid(rq->fields[i],
                                              rq->field_len[i]))
            return send_error(c, MHD_HTTP_BAD_REQUEST, "%s: not UTF-8",
                              form_fields[i]);
    memset(&r, 0, sizeof r);
    r.title = rq->fields[0];
    r.date = rq->fields[1];
    r.author = rq->fields[2];
    r.board = rq->fields[3];
    r.lang = rq->fields[4];
    r.source = rq->fields[5];
    if (rq->fields[7]) {
        r.body = rq->fields[7];
        r.body_len = rq->field_len[7];
    }
    if (rq->fields[6]) {
        for (char *save = NULL, *t = strtok_r(rq->fields[6], ",", &save);
             t && r.ntags < 64; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            if (*t)
                tags[r.ntags++] = t;
        }
        r.tags = tags;
    }
    if (r.title == NULL && r.body == NULL && rq->nfiles == 0)
        return send_error(c, MHD_HTTP_BAD_REQUEST,
                          "a record needs a title, a body or a file");
    if (rq->nfiles) {
        atts = calloc(rq->nfiles, sizeof *atts);
        if (atts == NULL)
            return send_error(c, 500, "out of memory");
        for (size_t i = 0; i < rq->nfiles; i++) {
            atts[i].name = rq->files[i].name;
            atts[i].data = rq->files[i].data ? rq->files[i].data : "";
            atts[i].len = rq->files[i].len;
        }
        r.attachments = atts;
        r.nattachments = rq->nfiles;
    }
    arca_status st = arca_db_open(s->dir, ARCA_WRITE, &w, err, sizeof err);
    if (st) {
        free(atts);
        return send_error(c, arca_api_status(st), "%s", err);
    }
    st = arca_db_add(w, &r, id, sizeof id);
    if (st) {
        snprintf(err, sizeof err, "%s", arca_db_errmsg(w));
        arca_db_close(w);
        free(atts);
        return send_error(c, arca_api_status(st), "%s", err);
    }
    arca_db_close(w);
    free(atts);
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(id));
    return send_json(c, MHD_HTTP_CREATED, j);
}

/* ---- Routing ---- */

static enum MHD_Result send_asset(struct MHD_Connection *c, const char *url)
{
    static const struct {
        const char *url;
        const unsigned char *data;
        size_t len;
        const char *type;
    } assets[] = {
        {"/", web_index_html, sizeof web_index_html - 1,
         "text/html; charset=utf-8"},
        {"/index.html", web_index_html, sizeof web_index_html - 1,
         "text/html; charset=utf-8"},
        {"/app.js", web_app_js, sizeof web_app_js - 1,
         "text/javascript; charset=utf-8"},
        {"/style.css", web_style_css, sizeof web_style_css - 1,
         "text/css; charset=utf-8"},
    };
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++) {
        if (strcmp(url, assets[i].url) != 0)
            continue;
        struct MHD_Response *r = MHD_create_response_from_buffer(
            assets[i].len, (void *)assets[i].data, MHD_RESPMEM_PERSISTENT);
        if (r == NULL)
            return MHD_NO;
        common_headers(r);
        MHD_add_response_header(r, "Content-Type", assets[i].type);
        MHD_add_response_header(r, "Content-Security-Policy", page_csp);
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
        MHD_add_response_header(r, "Cache-Control", "no-cache");
        enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        return ret;
    }
    return send_error(c, MHD_HTTP_NOT_FOUND, "no such page");
}

/* GET URL: the API's routes, then the page. */
static enum MHD_Result route_get(server *s, struct MHD_Connection *c,
                                 const char *url)
{
    if (strcmp(url, "/api/search") == 0)
        return api_search(s, c);
    if (strcmp(url, "/api/stats") == 0)
        return api_stats(s, c);
    if (strcmp(url, "/healthz") == 0)
        return healthz(s, c);
    if (s->dir == NULL && strncmp(url, "/api/reports", 12) == 0)
        return send_error(c, MHD_HTTP_NOT_FOUND, "no reports: this server "
                          "searches shards only");
    if (strcmp(url, "/api/reports") == 0)
        return api_reports(s, c);
    if (strncmp(url, "/api/reports/", 13) == 0) {
        const char *name = url + 13;
        if (!safe_id(name, strlen(name)) || strchr(name, '.'))
            return send_error(c, MHD_HTTP_NOT_FOUND, "no such report");
        return api_report(s, c, name);
    }
    if (strncmp(url, "/api/objects/", 13) == 0) {
        if (!is_sha256(url + 13))
            return send_error(c, MHD_HTTP_NOT_FOUND,
                              "an object is named by its SHA-256 in hex");
        return api_object(s, c, url + 13);
    }
    if (strncmp(url, "/api/records/", 13) == 0) {
        const char *id = url + 13;
        const char *slash = strchr(id, '/');
        size_t n = slash ? (size_t)(slash - id) : strlen(id);
        char idbuf[256];
        if (!safe_id(id, n))
            return send_error(c, MHD_HTTP_NOT_FOUND, "no such record");
        snprintf(idbuf, sizeof idbuf, "%.*s", (int)n, id);
        if (slash == NULL)
            return api_record(s, c, idbuf);
        unsigned part;
        if (strncmp(slash, "/attachments/", 13) == 0 &&
            arca_api_uint(slash + 13, 0, 1000000, &part))
            return api_attachment(s, c, idbuf, part);
        return send_error(c, MHD_HTTP_NOT_FOUND, "no such resource");
    }
    if (strncmp(url, "/api/", 5) == 0)
        return send_error(c, MHD_HTTP_NOT_FOUND, "no such resource");
    return send_asset(c, url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    server *s = cls;
    request *rq = *req_cls;
    (void)version;

    if (rq == NULL) {
        if ((rq = calloc(1, sizeof *rq)) == NULL)
            return MHD_NO;
        *req_cls = rq;
        return MHD_YES;
    }
    bool post = strcmp(method, "POST") == 0;
    if (post && s->dir == NULL)
        return send_error(c, MHD_HTTP_NOT_FOUND, "no uploads: this server "
                          "searches shards only");
    if (post && strcmp(url, "/api/records") == 0) {
        /* A refusal is answered once the body is read (and dropped):
         * answering mid-upload would cut the client off with no answer. */
        if (!rq->started) {
            rq->started = true;
            if (!token_ok(s, c))
                rq->refused = MHD_HTTP_UNAUTHORIZED;
            else if ((rq->pp = MHD_create_post_processor(c, 65536, on_form,
                                                         rq)) == NULL)
                rq->refused = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
        }
        if (*upload_size > 0) {
            rq->received += *upload_size;
            if (rq->received > s->max_upload)
                rq->too_big = true;
            else if (!rq->too_big && !rq->refused &&
                     MHD_post_process(rq->pp, upload, *upload_size) != MHD_YES)
                rq->bad_form = true;
            *upload_size = 0;
            return MHD_YES;
        }
        if (rq->refused == MHD_HTTP_UNAUTHORIZED)
            return send_error(c, MHD_HTTP_UNAUTHORIZED,
                              s->has_token ? "a valid token is needed "
                                             "(Authorization: Bearer)"
                                           : "uploads are off: the server "
                                             "has no --token-file");
        if (rq->refused)
            return send_error(c, rq->refused, "send multipart/form-data");
        if (rq->too_big)
            return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
                              "the upload is over %llu bytes",
                              (unsigned long long)s->max_upload);
        return api_upload(s, c, rq);
    }
    if (*upload_size > 0) {     /* a body where none belongs: drop it */
        rq->received += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->received > 0)
        return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
                          "%s %s takes no body", method, url);
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        return route_get(s, c, url);
    if (post)
        return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                          "POST is for /api/records only");
    return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "%s is not served",
                      method);
}

static void on_done(void *cls, struct MHD_Connection *c, void **req_cls,
                    enum MHD_RequestTerminationCode why)
{
    request *rq = *req_cls;
    (void)cls, (void)c, (void)why;
    if (rq == NULL)
        return;
    if (rq->pp)
        MHD_destroy_post_processor(rq->pp);
    for (size_t i = 0; i < 8; i++)
        free(rq->fields[i]);
    for (size_t i = 0; i < rq->nfiles; i++) {
        free(rq->files[i].name);
        free(rq->files[i].data);
    }
    free(rq->files);
    free(rq);
    *req_cls = NULL;
}

/* ---- The command ---- */

static int stop_pipe[2] = {-1, -1};
/* A process whose end ends the command (`arca shard serve`), or 0. */
static pid_t watched_child;
static const char *watched_name = "";

static void on_stop(int sig)
{
    unsigned char b = (unsigned char)sig;
    int saved = errno;
    if (write(stop_pipe[1], &b, 1) < 0) {
        /* The pipe is full: a stop is under way already. */
    }
    errno = saved;
}

static int read_token(server *s, const char *path)
{
    char *data = NULL;
    size_t len = 0, cap = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "arca: serve: %s: %s\n", path, strerror(errno));
        return 1;
    }
    ssize_t n = getline(&data, &cap, f);
    fclose(f);
    if (n > 0)
        len = (size_t)n;
    while (len > 0 && isspace((unsigned char)data[len - 1]))
        len--;
    if (len < 16) {
        fprintf(stderr, "arca: serve: %s: a token of at least 16 "
                "characters is needed\n", path);
        free(data);
        return 1;
    }
    SHA256((const unsigned char *)data, len, s->token_sha);
    OPENSSL_cleanse(data, len);
    free(data);
    s->has_token = true;
    return 0;
}

/* The daemon serving S, with the limits on connections.  THREADS: the
 * size of its pool (with an internal polling thread), or 0. */
static struct MHD_Daemon *start_daemon(server *s, unsigned flags,
                                       unsigned port,
                                       const struct sockaddr *addr,
                                       unsigned threads)
{
    return MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, s,
        MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
        MHD_OPTION_END);
}

int arca_serve(const char *dir, int argc, char **argv)
{
    static const struct option opts[] = {
        {"bind", required_argument, 0, 'b'},
        {"port", required_argument, 0, 'p'},
        {"token-file", required_argument, 0, 't'},
        {"threads", required_argument, 0, 'T'},
        {"max-upload", required_argument, 0, 'u'},
        {"shard", required_argument, 0, 'S'},
        {0, 0, 0, 0}};
    server s = {.dir = dir, .max_upload = DEFAULT_MAX_UPLOAD};
    const char *shards[MAX_SHARDS];
    const char *bind = "127.0.0.1";
    unsigned port = 8080, threads = 0;
    int o, rc = 1;
    struct MHD_Daemon *d = NULL;
    struct addrinfo *ai = NULL;
    arca_db *probe = NULL;
    char err[1024];

    s.shards = shards;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'S':
            if (s.nshards == MAX_SHARDS) {
                fprintf(stderr, "arca: serve: at most %d shards\n",
                        MAX_SHARDS);
                return 2;
            }
            shards[s.nshards++] = optarg;
            break;
        case 'b': bind = optarg; break;
        case 'p':
            if (!arca_api_uint(optarg, 0, 65535, &port)) {
                fprintf(stderr, "arca: serve: --port takes 0 to 65535\n");
                return 2;
            }
            break;
        case 't':
            if (read_token(&s, optarg))
                return 1;
            break;
        case 'T':
            if (!arca_api_uint(optarg, 1, 256, &threads)) {
                fprintf(stderr, "arca: serve: --threads takes 1 to 256\n");
                return 2;
            }
            break;
        case 'u': {
            unsigned mib;
            if (!arca_api_uint(optarg, 1, 65536, &mib)) {
                fprintf(stderr, "arca: serve: --max-upload takes MiB, 1 "
                        "to 65536\n");
                return 2;
            }
            s.max_upload = (uint64_t)mib << 20;
            break;
        }
        default:
            fprintf(stderr, "arca: serve: unknown option\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "arca: serve: unexpected argument '%s'\n",
                argv[optind]);
        return 2;
    }
    /* The collection (and its shards) must open now, not at the first
     * request. */
    if ((s.nshards || dir == NULL
             ? arca_db_open_shards(dir, shards, s.nshards, &probe, err,
                                   sizeof err)
             : arca_db_open(dir, ARCA_RDONLY, &probe, err, sizeof err)) !=
        ARCA_OK) {
        fprintf(stderr, "arca: serve: %s\n", err);
        return 1;
    }
    arca_db_close(probe);
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_PASSIVE,
                             .ai_socktype = SOCK_STREAM};
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", port);
    int e = getaddrinfo(bind, portstr, &hints, &ai);
    if (e != 0) {
        fprintf(stderr, "arca: serve: --bind %s: %s (an IPv4 or IPv6 "
                "address)\n", bind, gai_strerror(e));
        return 2;
    }
    if ((s.self = realpath("/proc/self/exe", NULL)) == NULL) {
        fprintf(stderr, "arca: serve: /proc/self/exe: %s\n", strerror(errno));
        goto out;
    }
    if (threads == 0) {
        /* Two a core (a request waits on the disk at times), 2 to 16. */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n < 1 ? 2 : n >= 8 ? 16 : (unsigned)n * 2;
    }
    pthread_key_create(&s.db_key, close_db);
    pthread_key_create(&s.magic_key, free_detector);
    /* A report's pipe closing early must not kill the server. */
    signal(SIGPIPE, SIG_IGN);

    /* SIGINT and SIGTERM, whichever thread takes them, write to a pipe
     * the main thread waits on. */
    if (pipe2(stop_pipe, O_CLOEXEC) != 0) {
        fprintf(stderr, "arca: serve: pipe: %s\n", strerror(errno));
        goto keys;
    }
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (watched_child > 0) {
        sa.sa_flags = SA_NOCLDSTOP;
        sigaction(SIGCHLD, &sa, NULL);
        on_stop(SIGCHLD);       /* it may have ended already */
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    d = start_daemon(&s, flags, port, ai->ai_addr, threads);
    if (d == NULL) {
        fprintf(stderr, "arca: serve: cannot listen on %s port %u: %s\n",
                bind, port, strerror(errno));
        goto keys;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned bound = info ? info->port : port;
    fprintf(stderr, "arca: serving %s%s at http://%s%s%s:%u/ (%u threads%s)\n",
            dir ? dir : "shards", dir && s.nshards ? " and shards" : "",
            ai->ai_family == AF_INET6 ? "[" : "", bind,
            ai->ai_family == AF_INET6 ? "]" : "", bound, threads,
            s.has_token ? ", uploads with the token" : "");
    fflush(stderr);
    unsigned char sig = 0;
    rc = 0;
    for (;;) {
        if (read(stop_pipe[0], &sig, 1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (sig != SIGCHLD)
            break;
        /* A report's process ended, or the command's companion did
         * (`arca shard serve`'s xapian-tcpsrv): that ends the command. */
        int ws;
        if (watched_child > 0 &&
            waitpid(watched_child, &ws, WNOHANG) == watched_child) {
            watched_child = 0;
            fprintf(stderr, "arca: serve: %s ended (%s %d); stopping\n",
                    watched_name, WIFSIGNALED(ws) ? "signal" : "status",
                    WIFSIGNALED(ws) ? WTERMSIG(ws) : WEXITSTATUS(ws));
            rc = 1;
            break;
        }
    }
    if (rc == 0)
        fprintf(stderr, "arca: serve: stopping (%s)\n",
                sig == SIGINT ? "interrupt" : "terminate");
    MHD_stop_daemon(d);
keys:
    for (int i = 0; i < 2; i++)
        if (stop_pipe[i] >= 0)
            close(stop_pipe[i]);
    pthread_key_delete(s.db_key);
    pthread_key_delete(s.magic_key);
out:
    free(s.self);
    freeaddrinfo(ai);
    return rc;
}

/* ---- arca shard serve ---- */

/* Whether AI can be listened on now; errno says why not. */
static bool port_free(const struct addrinfo *ai)
{
    int one = 1, fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int r = bind(fd, ai->ai_addr, ai->ai_addrlen);
    int e = errno;
    close(fd);
    errno = e;
    return r == 0;
}

/*
 * xapian-tcpsrv serves DIR/index read-only on BIND:PORT; it forks a
 * process per connection that opens the index afresh, so each new search
 * sees what was committed before it.  It runs in a session of its own:
 * on SIGTERM it signals its whole process group.  Beside it, in this
 * process, `arca serve` on BIND:HTTP gives the texts (for snippets) and
 * the originals of its hits.  The command ends when either ends.
 */
int arca_shard_serve(const char *dir, int argc, char **argv)
{
    static const struct option opts[] = {
        {"bind", required_argument, 0, 'b'},
        {"port", required_argument, 0, 'p'},
        {"http-port", required_argument, 0, 'H'},
        {0, 0, 0, 0}};
    const char *bind = "127.0.0.1";
    unsigned port = 0, http = 0;
    char err[1024], index[PATH_MAX], pstr[8], hstr[8];
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_PASSIVE,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *tai = NULL, *hai = NULL;
    arca_db *probe = NULL;
    pid_t pid = 0;
    int o, rc = 1;

    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'b': bind = optarg; break;
        case 'p':
        case 'H':
            if (!arca_api_uint(optarg, 1, 65535, o == 'p' ? &port : &http)) {
                fprintf(stderr, "arca: shard serve: --%s takes 1 to 65535\n",
                        o == 'p' ? "port" : "http-port");
                return 2;
            }
            break;
        default:
            fprintf(stderr, "arca: shard serve: unknown option\n");
            return 2;
        }
    }
    if (optind < argc || port == 0) {
        fprintf(stderr, "arca: shard serve: %s\nusage: arca shard serve "
                "--port P [--bind 127.0.0.1] [--http-port H]\n",
                port == 0 ? "--port is needed" : "unexpected argument");
        return 2;
    }
    if (http == 0)
        http = port + 1;
    if (http > 65535 || http == port) {
        fprintf(stderr, "arca: shard serve: --http-port: give a port "
                "other than %u\n", port);
        return 2;
    }
    if (arca_db_open(dir, ARCA_RDONLY, &probe, err, sizeof err) != ARCA_OK) {
        fprintf(stderr, "arca: shard serve: %s\n", err);
        return 1;
    }
    arca_db_close(probe);
    if (snprintf(index, sizeof index, "%s/index", dir) >= (int)sizeof index) {
        fprintf(stderr, "arca: shard serve: %s: path too long\n", dir);
        return 1;
    }
    snprintf(pstr, sizeof pstr, "%u", port);
    snprintf(hstr, sizeof hstr, "%u", http);
    int e = getaddrinfo(bind, pstr, &hints, &tai);
    if (e == 0)
        e = getaddrinfo(bind, hstr, &hints, &hai);
    if (e != 0) {
        fprintf(stderr, "arca: shard serve: --bind %s: %s (an IPv4 or IPv6 "
                "address)\n", bind, gai_strerror(e));
        rc = 2;
        goto out;
    }
    /* Both ports now, for a clear message: xapian-tcpsrv's is terse. */
    if (!port_free(tai) || !port_free(hai)) {
        fprintf(stderr, "arca: shard serve: cannot listen on %s port %s: "
                "%s\n", bind, port_free(tai) ? hstr : pstr, strerror(errno));
        goto out;
    }
    char *targv[] = {"xapian-tcpsrv", "--interface", (char *)bind, "--port",
                     pstr, index, NULL};
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    posix_spawn_file_actions_init(&fa);
    /* It tells each connection on its stdout. */
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    e = posix_spawnp(&pid, "xapian-tcpsrv", &fa, &attr, targv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (e != 0) {
        pid = 0;
        fprintf(stderr, "arca: shard serve: cannot run xapian-tcpsrv: %s "
                "(install xapian-tools)\n", strerror(e));
        goto out;
    }
    for (int i = 0;; i++) {
        int ws;
        if (waitpid(pid, &ws, WNOHANG) == pid) {
            pid = 0;
            fprintf(stderr, "arca: shard serve: xapian-tcpsrv on %s port %u "
                    "ended at once (%s %d)\n", bind, port,
                    WIFSIGNALED(ws) ? "signal" : "status",
                    WIFSIGNALED(ws) ? WTERMSIG(ws) : WEXITSTATUS(ws));
            goto out;
        }
        /* Listening: without connecting, which xapian-tcpsrv would log
         * as a failed connection. */
        if (!port_free(tai) && errno == EADDRINUSE)
            break;
        if (i >= TCPSRV_START_WAIT * 20) {
            fprintf(stderr, "arca: shard serve: xapian-tcpsrv does not "
                    "listen on %s port %u\n", bind, port);
            goto out;
        }
        usleep(50000);
    }
    fprintf(stderr, "arca: shard: serving %s to searches at tcp://%s%s%s:%u "
            "(xapian-tcpsrv, read-only)\n", index,
            tai->ai_family == AF_INET6 ? "[" : "", bind,
            tai->ai_family == AF_INET6 ? "]" : "", port);
    fflush(stderr);
    watched_child = pid;
    watched_name = "xapian-tcpsrv";
    char *sargv[] = {"serve", "--bind", (char *)bind, "--port", hstr, NULL};
    rc = arca_serve(dir, 5, sargv);
    if (watched_child == 0)
        pid = 0;                /* it ended, and was waited for */
    watched_child = 0;
out:
    if (pid > 0) {
        kill(pid, SIGTERM);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (tai)
        freeaddrinfo(tai);
    if (hai)
        freeaddrinfo(hai);
    return rc;
}

/* ---- The server without its socket, for tests ---- */

struct arca_server {
    server s;
    struct MHD_Daemon *d;
};

arca_server *arca_server_new(const char *dir, const char *token_file,
                             const char *self, char *err, size_t errlen)
{
    arca_db *probe = NULL;
    arca_server *sv = calloc(1, sizeof *sv);
    if (sv == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sv->s.dir = dir;
    sv->s.max_upload = DEFAULT_MAX_UPLOAD;
    if (token_file && read_token(&sv->s, token_file)) {
        snprintf(err, errlen, "%s: no token read", token_file);
        free(sv);
        return NULL;
    }
    if (arca_db_open(dir, ARCA_RDONLY, &probe, err, errlen) != ARCA_OK) {
        free(sv);
        return NULL;
    }
    arca_db_close(probe);
    sv->s.self = self ? strdup(self) : realpath("/proc/self/exe", NULL);
    if (sv->s.self == NULL) {
        snprintf(err, errlen, "%s: %s", self ? self : "/proc/self/exe",
                 strerror(errno));
        free(sv);
        return NULL;
    }
    pthread_key_create(&sv->s.db_key, close_db);
    pthread_key_create(&sv->s.magic_key, free_detector);
    sv->d = start_daemon(&sv->s, MHD_USE_NO_LISTEN_SOCKET, 0, NULL, 0);
    if (sv->d == NULL) {
        snprintf(err, errlen, "cannot start the daemon: %s", strerror(errno));
        arca_server_free(sv);
        return NULL;
    }
    return sv;
}

struct MHD_Daemon *arca_server_daemon(arca_server *sv)
{
    return sv->d;
}

void arca_server_free(arca_server *sv)
{
    if (sv == NULL)
        return;
    if (sv->d)
        MHD_stop_daemon(sv->d);
    /* This thread's handles: pthread_key_delete() runs no destructor. */
    arca_db_close(pthread_getspecific(sv->s.db_key));
    arca_detector_free(pthread_getspecific(sv->s.magic_key));
    pthread_key_delete(sv->s.db_key);
    pthread_key_delete(sv->s.magic_key);
    free(sv->s.self);
    free(sv);
}
