/* httpd.c - a thread-per-connection HTTP/1.1 server in plain POSIX code.
 *
 * main accepts; every connection gets its own pthread, which reads a
 * request, answers it and reads the next one, sequentially, until the
 * client closes or asks to. GET / answers "hello\n"; any other path 404;
 * HEAD as GET without the body; other methods 405; a malformed request 400.
 * Keep-alive is HTTP/1.1's default and HTTP/1.0's on request
 * ("Connection: keep-alive"); pipelined requests already in the buffer are
 * answered together, in order, with one write.
 *
 * It uses no weft header: the same source is built against glibc
 * (build/examples/httpd) and linked with libweft-pthread.a
 * (build/examples/httpd-weft), or the glibc build is run with
 * LD_PRELOAD=build/libweft-pthread.so. See docs/httpd.md.
 *
 * Usage: httpd [port [stack_kib]]   (or HTTPD_PORT, HTTPD_STACK_KIB)
 *   port 0 (the default) takes a free port; the port is printed on stdout
 *   ("httpd: listening on 127.0.0.1:<port>") once the server accepts.
 *   HTTPD_ADDR (default 127.0.0.1) is the address to bind.
 *   SIGTERM or SIGINT: stop accepting and exit 0 (open connections end with
 *   the process).
 *
 * The responses carry no Date header, so that they are fixed bytes (the
 * tests compare them exactly).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum {
    REQ_MAX = 8192,  /* request line + headers; larger is refused (400) */
    OUT_MAX = 4096,  /* pending responses; flushed when the next might not fit */
    RESP_MAX = 256,  /* one response, headers and body */
};

struct request {
    bool head;       /* HEAD: headers only */
    bool http10;     /* an HTTP/1.0 client: keep-alive must be said */
    bool keep_alive; /* the connection stays open after the response */
    int status;      /* 200, 400, 404, 405, 501 */
    size_t body_len; /* request body bytes to skip (Content-Length) */
};

static int listen_fd = -1;
static volatile sig_atomic_t stopping;

/* ---- parsing ---------------------------------------------------------- */

static bool is_tchar(char c) /* RFC 9110 token characters */
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Does the comma-separated header value v (length n) list token tok? */
static bool has_token(const char *v, size_t n, const char *tok)
{
    size_t len = strlen(tok);
    for (size_t i = 0; i < n;) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < n && v[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
            end--;
        if (end - start == len && strncasecmp(v + start, tok, len) == 0)
            return true;
    }
    return false;
}

/* Parse the request head buf[0..len) (ending with the blank line) into r.
 * A request the server cannot frame gets 400/501 and closes the connection:
 * the next request's start would be unknown. */
static void parse(const char *buf, size_t len, struct request *r)
{
    const char *p = buf, *end = buf + len;
    const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
    bool host = false, conn_close = false, conn_keep = false;

    *r = (struct request){.status = 400};
    /* request line: method SP target SP HTTP/1.x */
    const char *m = p;
    while (p < eol && is_tchar(*p))
        p++;
    size_t mlen = (size_t)(p - m);
    if (mlen == 0 || p == eol || *p++ != ' ')
        return;
    const char *target = p;
    while (p < eol && *p != ' ')
        p++;
    size_t tlen = (size_t)(p - target);
    if (tlen == 0 || p == eol || *p++ != ' ' || eol - p != 8)
        return;
    if (memcmp(p, "HTTP/1.1", 8) == 0)
        r->http10 = false;
    else if (memcmp(p, "HTTP/1.0", 8) == 0)
        r->http10 = true;
    else
        return;

    /* header fields: name ":" OWS value OWS */
    for (p = eol + 2; p < end - 2; p = eol + 2) {
        eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        const char *name = p;
        while (p < eol && is_tchar(*p))
            p++;
        size_t nlen = (size_t)(p - name);
        if (nlen == 0 || p == eol || *p++ != ':')
            return;
        while (p < eol && (*p == ' ' || *p == '\t'))
            p++;
        const char *v = p;
        size_t vlen = (size_t)(eol - v);
        if (nlen == 4 && strncasecmp(name, "host", 4) == 0) {
            host = true;
        } else if (nlen == 10 && strncasecmp(name, "connection", 10) == 0) {
            conn_close |= has_token(v, vlen, "close");
            conn_keep |= has_token(v, vlen, "keep-alive");
        } else if (nlen == 14 && strncasecmp(name, "content-length", 14) == 0) {
            char *e;
            errno = 0;
            unsigned long long n = strtoull(v, &e, 10);
            while (e < eol && (*e == ' ' || *e == '\t'))
                e++;
            if (v == eol || *v < '0' || *v > '9' || e != eol || errno || r->body_len)
                return; /* not a number, or a second Content-Length */
            r->body_len = (size_t)n;
        } else if (nlen == 17 && strncasecmp(name, "transfer-encoding", 17) == 0) {
            r->status = 501; /* chunked bodies are not read: cannot find the next request */
            return;
        }
    }
    if (!r->http10 && !host)
        return; /* HTTP/1.1 requires Host */

    r->keep_alive = r->http10 ? conn_keep && !conn_close : !conn_close;
    if (mlen == 4 && memcmp(m, "HEAD", 4) == 0)
        r->head = true;
    else if (!(mlen == 3 && memcmp(m, "GET", 3) == 0)) {
        r->status = 405; /* and close: its body is not read */
        r->keep_alive = false;
        return;
    }
    const char *q = memchr(target, '?', tlen);
    if (q)
        tlen = (size_t)(q - target);
    r->status = tlen == 1 && target[0] == '/' ? 200 : 404;
}

/* Append r's response to out; returns its length. */
static size_t respond(const struct request *r, char *out)
{
    const char *reason, *body;
    switch (r->status) {
    case 200: reason = "OK"; body = "hello\n"; break;
    case 404: reason = "Not Found"; body = "not found\n"; break;
    case 405: reason = "Method Not Allowed"; body = "method not allowed\n"; break;
    case 501: reason = "Not Implemented"; body = "not implemented\n"; break;
    default: reason = "Bad Request"; body = "bad request\n"; break;
    }
    int n = snprintf(out, RESP_MAX,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: text/plain\r\n"
                     "Content-Length: %zu\r\n"
                     "%s"
                     "%s"
                     "\r\n"
                     "%s",
                     r->status, reason, strlen(body),
                     r->status == 405 ? "Allow: GET, HEAD\r\n" : "",
                     !r->keep_alive ? "Connection: close\r\n"
                     : r->http10   ? "Connection: keep-alive\r\n"
                                   : "",
                     r->head ? "" : body);
    return (size_t)n;
}

/* ---- one connection ------------------------------------------------------ */

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* After the last response: stop sending, then read until the client closes
 * (at most 2 s), so that requests it had already sent do not turn our close
 * into a reset that could destroy the response in flight (nginx's
 * "lingering close"). */
static void close_gracefully(int fd)
{
    struct timeval tv = {.tv_sec = 2};
    char sink[512];
    shutdown(fd, SHUT_WR);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (read(fd, sink, sizeof sink) > 0)
        ;
    close(fd);
}

static void *connection(void *arg)
{
    int fd = (int)(long)arg;
    char in[REQ_MAX], out[OUT_MAX];
    size_t have = 0, pending = 0, skip = 0; /* skip: request body bytes still to drop */
    bool open = true;

    while (open) {
        ssize_t n = read(fd, in + have, sizeof in - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EOF or error: drop any partial request */
        have += (size_t)n;

        /* Answer every complete request in the buffer, in order. */
        size_t used = 0;
        while (open) {
            size_t drop = skip < have - used ? skip : have - used;
            used += drop;
            skip -= drop;
            if (skip)
                break;
            const char *start = in + used;
            const char *hdr_end = memmem(start, have - used, "\r\n\r\n", 4);
            if (!hdr_end) {
                if (used == 0 && have == sizeof in) { /* head too large */
                    struct request r = {.status = 400};
                    pending += respond(&r, out + pending);
                    open = false;
                }
                break;
            }
            size_t len = (size_t)(hdr_end + 4 - start);
            struct request r;
            parse(start, len, &r);
            if (r.status == 400 || r.status == 501)
                r.keep_alive = false;
            if (pending + RESP_MAX > sizeof out) {
                if (!write_all(fd, out, pending))
                    goto out;
                pending = 0;
            }
            pending += respond(&r, out + pending);
            used += len;
            skip = r.body_len;
            open = r.keep_alive;
        }
        if (pending && !write_all(fd, out, pending))
            goto out;
        pending = 0;
        memmove(in, in + used, have - used);
        have -= used;
        if (!open) {
            close_gracefully(fd);
            return NULL;
        }
    }
out:
    close(fd);
    return NULL;
}

/* ---- main: listen, accept, one thread per connection ----------------------- */

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
    /* Wakes an accept blocked in another thread (Linux: EINVAL). */
    shutdown(listen_fd, SHUT_RD);
}

static long setting(int argc, char **argv, int i, const char *env, long dflt)
{
    const char *s = argc > i ? argv[i] : getenv(env);
    if (!s || !*s)
        return dflt;
    char *e;
    long v = strtol(s, &e, 10);
    if (*e || v < 0) {
        fprintf(stderr, "httpd: bad %s '%s'\n", env, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    long port = setting(argc, argv, 1, "HTTPD_PORT", 0);
    long stack_kib = setting(argc, argv, 2, "HTTPD_STACK_KIB", 64);
    const char *addr = getenv("HTTPD_ADDR") ? getenv("HTTPD_ADDR") : "127.0.0.1";
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    socklen_t salen = sizeof sa;
    int one = 1;

    if (port > 65535 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "httpd: bad port %ld or address '%s'\n", port, addr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-response: write fails with EPIPE */
    struct sigaction stop = {.sa_handler = on_stop}; /* no SA_RESTART: accept returns */
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGINT, &stop, NULL);

    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd < 0 || setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) || listen(listen_fd, SOMAXCONN) ||
        getsockname(listen_fd, (struct sockaddr *)&sa, &salen)) {
        perror("httpd: listen");
        return 1;
    }

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_attr_setstacksize(&attr, (size_t)stack_kib * 1024)) {
        fprintf(stderr, "httpd: bad stack size %ld KiB\n", stack_kib);
        return 2;
    }
    printf("httpd: listening on %s:%d (stack %ld KiB)\n", addr, ntohs(sa.sin_port), stack_kib);
    fflush(stdout);

    while (!stopping) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS)
                nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL); /* let some close */
            else if (errno != EINTR && errno != ECONNABORTED && !stopping)
                perror("httpd: accept");
            continue;
        }
        /* Small responses go out at once rather than waiting for an ACK. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        int err = pthread_create(&t, &attr, connection, (void *)(long)fd);
        if (err) {
            fprintf(stderr, "httpd: pthread_create: %s\n", strerror(err));
            close(fd);
        }
    }
    pthread_attr_destroy(&attr);
    close(listen_fd);
    printf("httpd: stopped\n");
    return 0;
}
