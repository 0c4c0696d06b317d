/*
 * fuzz-http.c: `arca serve` (tools/serve.c, tools/api.c) on any bytes
 * sent as an HTTP connection.
 *
 * A real libmicrohttpd daemon serves a small collection (fuzz-db.h) with
 * a token for uploads and one report (run by a stand-in program, not the
 * sandbox), without a socket of its own: each input is written into one
 * end of a socket pair handed to it, the write side is shut, and the
 * daemon runs until it closes the connection, within one second.  The
 * answer must be HTTP and not a failure of the server's (500, 503), and
 * a JSON answer must parse; no connection may be left behind.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "fuzz.h"
#include "fuzz-db.h"
#include "tools/tools.h"

#define TOKEN "fuzz-token-0123456789abcdef"
#define ANSWER_MAX ((size_t)1 << 20)   /* bytes of an answer kept */
#define TIME_LIMIT_NS 1000000000LL     /* per input */

static arca_server *srv;

static void stop_server(void)
{
    arca_server_free(srv);
    srv = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[1024], path[4200], self[4200], reports[4200];
    (void)argc, (void)argv;
    const char *dir = fuzz_collection();
    fuzz_write(dir, "token", TOKEN "\n", 0);
    /* The stand-in for `arca report --sandbox`: a CSV of one row. */
    fuzz_write(dir, "report.sh", "#!/bin/sh\necho \"args,$#\"\n", 0755);
    snprintf(reports, sizeof reports, "%s/reports", dir);
    if (mkdir(reports, 0777) != 0 && errno != EEXIST)
        fuzz_die(reports, strerror(errno));
    fuzz_write(reports, "per-year.lua",
               "-- per-year.lua: Records per year.\nreturn {}\n", 0);
    snprintf(path, sizeof path, "%s/token", dir);
    snprintf(self, sizeof self, "%s/report.sh", dir);
    srv = arca_server_new(dir, path, self, err, sizeof err);
    if (srv == NULL)
        fuzz_die("arca_server_new", err);
    atexit(stop_server);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static unsigned connections(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *i =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return i ? i->num_connections : 0;
}

/* The value of header NAME in the head HEAD[0..n), or NULL. */
static const char *header(const char *head, size_t n, const char *name,
                          size_t *len)
{
    size_t k = strlen(name);
    for (const char *p = head; p && p < head + n;) {
        const char *eol = memchr(p, '\n', (size_t)(head + n - p));
        if (eol == NULL)
            break;
        if ((size_t)(eol - p) > k + 1 && strncasecmp(p, name, k) == 0 &&
            p[k] == ':') {
            const char *v = p + k + 1;
            while (*v == ' ')
                v++;
            *len = (size_t)(eol - v) - (eol > v && eol[-1] == '\r');
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

/* Abort unless A[0..n), the start of the answer, is HTTP and not a
 * failure and, if JSON, a JSON object. */
static void check_answer(const char *a, size_t n, int head_request)
{
    if (n == 0)
        return;             /* closed without an answer: no request */
    if (n < 12 || memcmp(a, "HTTP/1.", 7) != 0 ||
        !isdigit((unsigned char)a[9]) || !isdigit((unsigned char)a[10]) ||
        !isdigit((unsigned char)a[11])) {
        fprintf(stderr, "fuzz-http: not an HTTP answer: %.*s\n",
                (int)(n < 80 ? n : 80), a);
        abort();
    }
    int status = atoi(a + 9);
    const char *end = memmem(a, n, "\r\n\r\n", 4);
    /* 505 and others are libmicrohttpd's; these are arca's failures. */
    if (status == 500 || status == 503) {
        fprintf(stderr, "fuzz-http: %.*s\n", (int)(n < 600 ? n : 600), a);
        abort();
    }
    if (end == NULL || head_request)
        return;
    size_t hn = (size_t)(end - a) + 2, tl, cl;
    const char *type = header(a, hn, "Content-Type", &tl);
    const char *len = header(a, hn, "Content-Length", &cl);
    const char *body = end + 4;
    size_t have = n - (size_t)(body - a);
    if (type == NULL || tl < 16 || strncmp(type, "application/json", 16) ||
        len == NULL)
        return;
    size_t blen = strtoul(len, NULL, 10);
    if (blen > have)
        return;             /* cut at ANSWER_MAX */
    json_t *j = json_loadb(body, blen, 0, NULL);
    if (!json_is_object(j)) {
        fprintf(stderr, "fuzz-http: not a JSON object: %.*s\n",
                (int)(blen < 300 ? blen : 300), body);
        abort();
    }
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];
    if (srv == NULL)
        LLVMFuzzerInitialize(NULL, NULL);
    struct MHD_Daemon *d = arca_server_daemon(srv);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return 0;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (MHD_add_connection(d, sv[0], (const struct sockaddr *)&addr,
                           sizeof addr) != MHD_YES) {
        /* MHD closed sv[0] already. */
        close(sv[1]);
        return 0;
    }
    char *answer = malloc(ANSWER_MAX);
    size_t off = 0, alen = 0;
    int shut = 0, timed_out = 0;
    long long deadline = now_ns() + TIME_LIMIT_NS;
    if (answer == NULL)
        abort();
    for (;;) {
        if (off < size) {
            ssize_t k = send(sv[1], data + off, size - off,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            if (k > 0)
                off += (size_t)k;
            else if (k < 0 && errno != EAGAIN && errno != EINTR)
                off = size;     /* the server closed: the rest is lost */
        }
        if (off == size && !shut) {
            shutdown(sv[1], SHUT_WR);
            shut = 1;
        }
        MHD_run(d);
        char buf[65536];
        ssize_t k = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
        if (k == 0)
            break;
        if (k > 0) {
            size_t keep = ANSWER_MAX - alen < (size_t)k ? ANSWER_MAX - alen
                                                        : (size_t)k;
            memcpy(answer + alen, buf, keep);
            alen += keep;
        } else if (errno != EAGAIN && errno != EINTR) {
            break;
        }
        if (now_ns() > deadline) {
            timed_out = 1;
            break;
        }
    }
    close(sv[1]);
    while (connections(d) > 0 && now_ns() <= deadline + TIME_LIMIT_NS)
        MHD_run(d);
    if (timed_out || connections(d) > 0) {
        fprintf(stderr, "fuzz-http: the connection was %s after 1 s\n",
                timed_out ? "still open" : "not cleaned up");
        abort();
    }
    /* FUZZ_HTTP_SHOW=1: each answer's status line, to check a seed;
     * FUZZ_HTTP_SHOW=all: the answers whole. */
    const char *show = getenv("FUZZ_HTTP_SHOW");
    if (show != NULL && strcmp(show, "all") == 0)
        fwrite(answer, 1, alen, stderr);
    else if (show != NULL)
        for (const char *p = memmem(answer, alen, "HTTP/1.", 7); p;
             p = memmem(p + 1, (size_t)(answer + alen - p - 1), "HTTP/1.",
                        7)) {
            const char *eol = memchr(p, '\r', (size_t)(answer + alen - p));
            size_t n = eol ? (size_t)(eol - p) : (size_t)(answer + alen - p);
            fprintf(stderr, "fuzz-http: %.*s\n", (int)n, p);
        }
    size_t i = 0;
    while (i < size && isspace(data[i]))
        i++;
    check_answer(answer, alen, size - i >= 5 &&
                                   memcmp(data + i, "HEAD ", 5) == 0);
    free(answer);
    return 0;
}
