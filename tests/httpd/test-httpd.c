/* test-httpd.c - examples/httpd.c over real sockets, responses compared
 * byte for byte.
 *
 * Usage: test-httpd LIB|- weft|nptl SERVER [ARGS...]
 *   LIB   preloaded into the server only (LD_PRELOAD); "-" for none
 *   weft  the server must run on weft: started with WEFT_DUMP_AT_EXIT=1,
 *         its stderr must end with weft's thread table listing main as a
 *         weft thread (so a server that ran on glibc fails)
 *   nptl  the server must not print weft's table (it is asked for in
 *         both cases)
 *
 * Starts the server on a free port (port 0, read back from its first line),
 * runs every case below, each on fresh connections, then stops the server
 * with SIGTERM: it must exit 0, with as many descriptors open just before
 * as right after it started (every connection closed, none leaked).
 *
 * The connections are used one after another, never several at once: a
 * server preloaded with libweft-pthread blocks a vCPU in each read until
 * the I/O port interposes it, and with two vCPUs (one in accept) a second
 * open connection would wait for the first to close.
 *
 * This client is plain C and does not use weft. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HDRS "Content-Type: text/plain\r\n"
static const char OK[] = "HTTP/1.1 200 OK\r\n" HDRS "Content-Length: 6\r\n\r\nhello\n";
static const char OK_CLOSE[] =
    "HTTP/1.1 200 OK\r\n" HDRS "Content-Length: 6\r\nConnection: close\r\n\r\nhello\n";
static const char OK_KEEP10[] =
    "HTTP/1.1 200 OK\r\n" HDRS "Content-Length: 6\r\nConnection: keep-alive\r\n\r\nhello\n";
static const char HEAD_OK[] = "HTTP/1.1 200 OK\r\n" HDRS "Content-Length: 6\r\n\r\n";
static const char NOT_FOUND[] =
    "HTTP/1.1 404 Not Found\r\n" HDRS "Content-Length: 10\r\n\r\nnot found\n";
static const char BAD[] = "HTTP/1.1 400 Bad Request\r\n" HDRS
                          "Content-Length: 12\r\nConnection: close\r\n\r\nbad request\n";
static const char NOT_ALLOWED[] = "HTTP/1.1 405 Method Not Allowed\r\n" HDRS
                                  "Content-Length: 19\r\nAllow: GET, HEAD\r\n"
                                  "Connection: close\r\n\r\nmethod not allowed\n";
static const char NOT_IMPL[] = "HTTP/1.1 501 Not Implemented\r\n" HDRS
                               "Content-Length: 16\r\nConnection: close\r\n\r\nnot implemented\n";
#define GET "GET / HTTP/1.1\r\nHost: t\r\n\r\n"

enum { WAIT_MS = 5000 }; /* any single expected byte must come within this */

static int port;
static pid_t server;
static const char *current; /* the case running */
static int failures;

/* Report a failure of the current case; the case returns false. */
static bool fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL %s: ", current);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return false;
}

static void show(const char *what, const char *s, size_t n) /* escaped */
{
    fprintf(stderr, "  %s (%zu bytes): \"", what, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r')
            fputs("\\r", stderr);
        else if (c == '\n')
            fputs("\\n", stderr);
        else if (c < 32 || c > 126)
            fprintf(stderr, "\\x%02x", c);
        else
            fputc(c, stderr);
    }
    fputs("\"\n", stderr);
}

static int dial(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        perror("test-httpd: connect");
        exit(1);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static bool say(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return fail("write: %s", w < 0 ? strerror(errno) : "0");
        s += w;
        n -= (size_t)w;
    }
    return true;
}
#define SAY(fd, s) say(fd, s, strlen(s))

/* Read up to n bytes, waiting at most ms for each; returns how many came
 * before EOF, error or timeout (*why says which). */
static size_t take(int fd, char *buf, size_t n, int ms, const char **why)
{
    size_t got = 0;
    *why = "complete";
    while (got < n) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, ms);
        if (r == 0) {
            *why = "timeout";
            break;
        }
        ssize_t k = r < 0 ? -1 : read(fd, buf + got, n - got);
        if (k <= 0) {
            *why = k == 0 ? "EOF" : strerror(errno);
            break;
        }
        got += (size_t)k;
    }
    return got;
}

/* The next bytes from fd are exactly want. */
static bool expect(int fd, const char *want)
{
    size_t n = strlen(want);
    char buf[4096];
    const char *why;
    size_t got = take(fd, buf, n, WAIT_MS, &why);
    if (got == n && memcmp(buf, want, n) == 0)
        return true;
    fail("unexpected response (%s after %zu bytes)", why, got);
    show("expected", want, n);
    show("got", buf, got);
    return false;
}

/* The server closed the connection cleanly, sending nothing more. */
static bool expect_eof(int fd)
{
    char c;
    const char *why;
    size_t got = take(fd, &c, 1, WAIT_MS, &why);
    if (got == 0 && strcmp(why, "EOF") == 0)
        return true;
    return fail("expected the server to close; got %s", got ? "more bytes" : why);
}

/* Nothing more comes, and the connection stays open, for 200 ms. */
static bool expect_open(int fd)
{
    char c;
    const char *why;
    size_t got = take(fd, &c, 1, 200, &why);
    if (got == 0 && strcmp(why, "timeout") == 0)
        return true;
    return fail("expected the connection to stay open; got %s", got ? "more bytes" : why);
}

/* ---- the cases: each returns true when it passed ------------------------- */

static bool keep_alive(int fd)
{
    for (int i = 0; i < 3; i++)
        if (!SAY(fd, GET) || !expect(fd, OK))
            return false;
    return expect_open(fd);
}

static bool pipelined(int fd)
{
    return SAY(fd, GET "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
                   "HEAD / HTTP/1.1\r\nHost: t\r\n\r\n"
                   "GET /?q=1 HTTP/1.1\r\nHost: t\r\n\r\n") &&
           expect(fd, OK) && expect(fd, NOT_FOUND) && expect(fd, HEAD_OK) && expect(fd, OK) &&
           expect_open(fd);
}

/* One request in three writes: the server must wait for the whole head. */
static bool split(int fd)
{
    const char *parts[] = {"GE", "T / HTTP/1.1\r\nHo", "st: t\r\n\r\n"};
    for (int i = 0; i < 3; i++) {
        if (!SAY(fd, parts[i]))
            return false;
        nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
    }
    return expect(fd, OK) && expect_open(fd);
}

/* A request body (Content-Length) is skipped, not taken for the next request. */
static bool body_skipped(int fd)
{
    return SAY(fd, "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 14\r\n\r\nGET /nope HTTP" GET) &&
           expect(fd, OK) && expect(fd, OK) && expect_open(fd);
}

static bool http10_closes(int fd)
{
    return SAY(fd, "GET / HTTP/1.0\r\n\r\n") && expect(fd, OK_CLOSE) && expect_eof(fd);
}

static bool http10_keep_alive(int fd)
{
    for (int i = 0; i < 2; i++)
        if (!SAY(fd, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") ||
            !expect(fd, OK_KEEP10))
            return false;
    return expect_open(fd);
}

/* "close" among other tokens, any case; the request after it is not answered. */
static bool connection_close(int fd)
{
    return SAY(fd, "GET / HTTP/1.1\r\nHost: t\r\nConnection: foo, CLOSE\r\n\r\n" GET) &&
           expect(fd, OK_CLOSE) && expect_eof(fd);
}

static bool not_found_keeps_open(int fd)
{
    return SAY(fd, "GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n") && expect(fd, NOT_FOUND) &&
           SAY(fd, GET) && expect(fd, OK) && expect_open(fd);
}

static bool head(int fd)
{
    return SAY(fd, "HEAD / HTTP/1.1\r\nHost: t\r\n\r\n") && expect(fd, HEAD_OK) &&
           expect_open(fd);
}

static bool post_refused(int fd)
{
    return SAY(fd, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc") &&
           expect(fd, NOT_ALLOWED) && expect_eof(fd);
}

static bool chunked_refused(int fd)
{
    return SAY(fd, "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") &&
           expect(fd, NOT_IMPL) && expect_eof(fd);
}

/* Each of these is answered 400, and the connection closed. */
static const char *const malformed_requests[] = {
    "garbage\r\n\r\n",
    "GET / HTTP/1.1\r\n\r\n",                           /* 1.1 without Host */
    "GET / HTTP/2.0\r\nHost: t\r\n\r\n",                /* unknown version */
    "GET /\r\nHost: t\r\n\r\n",                         /* no version */
    "GET  / HTTP/1.1\r\nHost: t\r\n\r\n",               /* two spaces */
    "GET / HTTP/1.1\r\nHost t\r\n\r\n",                 /* field without colon */
    "GET / HTTP/1.1\r\nHost : t\r\n\r\n",               /* space before colon */
    "GET / HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n",     /* obsolete line folding */
    "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
};

static bool malformed(int unused)
{
    (void)unused;
    for (size_t i = 0; i < sizeof malformed_requests / sizeof *malformed_requests; i++) {
        int fd = dial();
        bool ok = SAY(fd, malformed_requests[i]) && expect(fd, BAD) && expect_eof(fd);
        close(fd);
        if (!ok) {
            show("request", malformed_requests[i], strlen(malformed_requests[i]));
            return false;
        }
    }
    return true;
}

/* A head that does not fit the server's 8 KiB buffer. */
static bool too_large(int fd)
{
    static char req[9000];
    memset(req, 'a', sizeof req - 1);
    memcpy(req, "GET / HTTP/1.1\r\nX: ", 19);
    return SAY(fd, req) && expect(fd, BAD) && expect_eof(fd);
}

/* The client leaves in the middle of a request: no answer, a clean close. */
static bool eof_mid_request(int fd)
{
    return SAY(fd, "GET / HTTP/1.1\r\nHost:") && shutdown(fd, SHUT_WR) == 0 && expect_eof(fd);
}

/* Many short connections, one after another. */
static bool many_connections(int unused)
{
    (void)unused;
    for (int i = 0; i < 200; i++) {
        int fd = dial();
        bool ok = SAY(fd, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") &&
                  expect(fd, OK_CLOSE) && expect_eof(fd);
        close(fd);
        if (!ok)
            return fail("connection %d", i);
    }
    return true;
}

/* 500 connections open at once, each with a thread of the server's blocked
 * in read between requests: a server whose blocked threads held their
 * vCPUs (weft without its I/O interposition) answers only a few. */
static bool concurrent_connections(int unused)
{
    (void)unused;
    enum { N = 500 };
    static int fds[N];
    bool ok = true;
    for (int i = 0; i < N && ok; i++)
        if ((fds[i] = dial()) < 0)
            ok = fail("dial %d", i);
    for (int round = 0; round < 2 && ok; round++) {
        for (int i = 0; i < N && ok; i++)
            ok = SAY(fds[i], "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        for (int i = 0; i < N && ok; i++)
            if (!expect(fds[i], OK))
                ok = fail("connection %d, round %d", i, round);
    }
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return ok;
}

static const struct {
    const char *name;
    bool (*run)(int fd);
    bool own_connections; /* the case dials by itself */
} cases[] = {
    {"keep_alive", keep_alive, false},
    {"pipelined", pipelined, false},
    {"split", split, false},
    {"body_skipped", body_skipped, false},
    {"http10_closes", http10_closes, false},
    {"http10_keep_alive", http10_keep_alive, false},
    {"connection_close", connection_close, false},
    {"not_found_keeps_open", not_found_keeps_open, false},
    {"head", head, false},
    {"post_refused", post_refused, false},
    {"chunked_refused", chunked_refused, false},
    {"malformed", malformed, true},
    {"too_large", too_large, false},
    {"eof_mid_request", eof_mid_request, false},
    {"many_connections", many_connections, true},
    {"concurrent_connections", concurrent_connections, true},
};

/* ---- the server process ----------------------------------------------- */

static int open_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Start argv with stdout on a pipe and stderr in errf; return the pipe. */
static FILE *start(char **argv, const char *lib, FILE *errf)
{
    int p[2];
    if (pipe(p)) {
        perror("pipe");
        exit(1);
    }
    server = fork();
    if (server < 0) {
        perror("fork");
        exit(1);
    }
    if (server == 0) {
        dup2(p[1], 1);
        dup2(fileno(errf), 2);
        close(p[0]);
        close(p[1]);
        unsetenv("LD_PRELOAD");
        if (strcmp(lib, "-") != 0)
            setenv("LD_PRELOAD", lib, 1);
        setenv("WEFT_DUMP_AT_EXIT", "1", 1); /* weft's table at exit, if weft runs it */
        setenv("HTTPD_PORT", "0", 1);
        execv(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    close(p[1]);
    return fdopen(p[0], "r");
}

/* Wait for the server to end, at most ms; its wait status, or -1. */
static int reap(int ms)
{
    int status;
    for (int waited = 0; waited < ms; waited += 10) {
        pid_t r = waitpid(server, &status, WNOHANG);
        if (r == server)
            return status;
        nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    }
    kill(server, SIGKILL);
    waitpid(server, &status, 0);
    return -1;
}

/* Everything the server wrote to stderr, or NULL. */
static char *slurp(FILE *f)
{
    static char buf[1 << 16];
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    return buf;
}

static bool has_line(const char *text, const char *pattern)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE | REG_NOSUB))
        return false;
    bool found = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return found;
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[2], "weft") && strcmp(argv[2], "nptl"))) {
        fprintf(stderr, "usage: test-httpd LIB|- weft|nptl SERVER [ARGS...]\n");
        return 2;
    }
    bool weft = strcmp(argv[2], "weft") == 0;
    signal(SIGPIPE, SIG_IGN);
    FILE *errf = tmpfile();
    FILE *out = start(argv + 3, argv[1], errf);
    char line[256];

    /* The first line says the port; a server that never says it fails here. */
    struct pollfd p = {.fd = fileno(out), .events = POLLIN};
    if (poll(&p, 1, 10000) != 1 || !fgets(line, sizeof line, out) ||
        sscanf(line, "httpd: listening on 127.0.0.1:%d", &port) != 1) {
        fprintf(stderr, "FAIL: no 'listening' line from the server\n%s", slurp(errf));
        reap(0);
        return 1;
    }
    printf("%s", line);
    int fds_at_start = open_fds(server);

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        current = cases[i].name;
        int fd = cases[i].own_connections ? -1 : dial();
        bool ok = cases[i].run(fd);
        if (fd >= 0)
            close(fd);
        printf("%s %s\n", ok ? "ok  " : "FAIL", current);
        failures += !ok;
    }

    /* Every connection is closed by now; the server's threads close theirs
     * as they see EOF. Give them a moment, then count. */
    current = "descriptors";
    int fds = -1;
    for (int i = 0; i < 200 && (fds = open_fds(server)) != fds_at_start; i++)
        nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    if (fds != fds_at_start)
        failures += !fail("%d descriptors open after the cases, %d at start", fds, fds_at_start);

    current = "shutdown";
    kill(server, SIGTERM);
    int status = reap(10000);
    const char *err = slurp(errf);
    if (status == -1)
        failures += !fail("the server did not stop within 10 s of SIGTERM");
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        failures += !fail("the server ended with wait status %#x", status);
    else if (!fgets(line, sizeof line, out) || strcmp(line, "httpd: stopped\n") != 0)
        failures += !fail("no 'httpd: stopped' line");
    if (weft && !(has_line(err, "^weft: at exit") &&
                  has_line(err, "^ +[0-9]+ +main +[0-9]+ +[a-z]+ .* [0-9]+ +[0-9]+ ")))
        failures += !fail("weft's thread table with main as a weft thread is missing: not run by weft");
    if (!weft && has_line(err, "^weft: "))
        failures += !fail("weft's messages from a server that should run on glibc");
    if (failures)
        fprintf(stderr, "--- server stderr (first 4 KiB)\n%.4096s\n", err);
    printf("%s: %d failure%s\n", failures ? "FAIL" : "ok", failures, failures == 1 ? "" : "s");
    return failures ? 1 : 0;
}
