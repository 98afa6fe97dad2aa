/* test-io.c - the synchronous calls of weft/io.h against what libc does:
 * results and errors on pipes, socketpairs, TCP loopback and files (EOF,
 * EBADF, EAGAIN on descriptors the program made non-blocking, partial
 * writes, EPIPE, ECONNREFUSED), on both backends (io_util.h). */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/uio.h>

#include "io_util.h"

/* ---- pipes ---- */

static void *pipe_body(void *arg)
{
    (void)arg;
    io_check_backend();
    int p[2];
    IO_OK(pipe(p));
    WT_EQ(IO_OK(weft_write(p[1], "hello", 5)), 5);
    char buf[16] = {0};
    WT_EQ(IO_OK(weft_read(p[0], buf, sizeof buf)), 5); /* what is there: a short read */
    WT_STR_EQ(buf, "hello");
    struct iovec w[2] = {{"ab", 2}, {"cde", 3}};
    WT_EQ(IO_OK(weft_writev(p[1], w, 2)), 5);
    char x[2], y[8] = {0};
    struct iovec r[2] = {{x, 2}, {y, sizeof y}};
    WT_EQ(IO_OK(weft_readv(p[0], r, 2)), 5);
    WT_EQ(memcmp(x, "ab", 2), 0);
    WT_STR_EQ(y, "cde");
    IO_ERR(weft_pread(p[0], buf, 1, 0), ESPIPE);
    IO_ERR(weft_pread(p[0], buf, 1, -1), EINVAL);
    IO_OK(weft_close(p[1]));
    WT_EQ(IO_OK(weft_read(p[0], buf, sizeof buf)), 0); /* EOF */
    IO_OK(weft_close(p[0]));
    return NULL;
}

WT_TEST(pipe_calls) { io_in_weft(pipe_body, NULL); }

static int wake_fd;
static void *late_writer(void *arg)
{
    (void)arg;
    weft_sleep(30 * WT_MS);
    WT_EQ(IO_OK(weft_write(wake_fd, "x", 1)), 1);
    return NULL;
}

/* A read that must wait parks only its thread: the writer runs meanwhile
 * even on one vCPU, and the reader shows in a dump as blocked in io:read. */
static void *blocking_read_body(void *arg)
{
    (void)arg;
    int p[2];
    IO_OK(pipe(p));
    wake_fd = p[1];
    weft_t w;
    WT_OK(weft_create(&w, NULL, late_writer, NULL));
    char c = 0;
    WT_EQ(IO_OK(weft_read(p[0], &c, 1)), 1);
    WT_EQ(c, 'x');
    WT_OK(weft_join(w, NULL));
    close(p[0]);
    close(p[1]);
    return NULL;
}

WT_TEST(blocking_read_1vcpu)
{
    wt_start(1, WEFT_DEADLOCK_ABORT);
    io_in_weft(blocking_read_body, NULL);
}

static int dump_fd;
static void *reader_forever(void *arg)
{
    (void)arg;
    char c;
    return weft_read(dump_fd, &c, 1) == 1 ? NULL : (void *)1;
}

WT_TEST(dump_shows_io_wait)
{
    int p[2];
    IO_OK(pipe(p));
    dump_fd = p[0];
    weft_t t;
    WT_OK(weft_create(&t, NULL, reader_forever, NULL));
    WT_WAIT_UNTIL(wt_dump_count("io:read") == 1, 10);
    IO_OK(write(p[1], "z", 1));
    void *r;
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, NULL);
    close(p[0]);
    close(p[1]);
}

/* ---- errors ---- */

static void *errors_body(void *arg)
{
    (void)arg;
    char buf[4] = {0};
    IO_ERR(weft_read(-1, buf, 1), EBADF);
    IO_ERR(weft_write(-1, buf, 1), EBADF);
    IO_ERR(weft_close(-1), EBADF);
    IO_ERR(weft_recv(-1, buf, 1, 0), EBADF);
    IO_ERR(weft_fsync(-1), EBADF);
    IO_ERR(weft_accept(-1, NULL, NULL), EBADF);
    int p[2];
    IO_OK(pipe(p));
    IO_ERR(weft_recv(p[0], buf, 1, 0), ENOTSOCK);
    IO_ERR(weft_send(p[1], buf, 1, 0), ENOTSOCK);
    IO_ERR(weft_accept(p[0], NULL, NULL), ENOTSOCK);
    IO_ERR(weft_write(p[0], buf, 1), EBADF); /* the read end */
    close(p[0]);
    close(p[1]);
    IO_ERR(weft_read(p[0], buf, 1), EBADF); /* closed */
    int s = IO_OK(socket(AF_INET, SOCK_STREAM, 0));
    IO_ERR(weft_accept(s, NULL, NULL), EINVAL); /* not listening */
    close(s);
    IO_ERR(weft_open("/nonexistent/weft", O_RDONLY), ENOENT);
    IO_ERR(weft_openat(AT_FDCWD, "/nonexistent/weft", O_RDONLY), ENOENT);
    IO_ERR(weft_openat(-1, "relative", O_RDONLY), EBADF);
    IO_ERR(weft_pwrite(-1, buf, 1, 0), EBADF);
    struct iovec iov = {buf, 1};
    IO_ERR(weft_readv(-1, &iov, 1), EBADF);
    IO_ERR(weft_writev(-1, &iov, 1), EBADF);
    IO_ERR(weft_sendto(-1, buf, 1, 0, NULL, 0), EBADF);
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    IO_ERR(weft_recvmsg(-1, &m, 0), EBADF);
    IO_ERR(weft_sendmsg(-1, &m, 0), EBADF);
    IO_ERR(weft_recvfrom(-1, buf, 1, 0, NULL, NULL), EBADF);
    IO_ERR(weft_fdatasync(-1), EBADF);
    struct sockaddr_in a = io_loopback(1);
    IO_ERR(weft_connect(-1, (struct sockaddr *)&a, sizeof a), EBADF);
    struct statx stx;
    IO_ERR(weft_statx(-1, "relative", 0, STATX_SIZE, &stx), EBADF);
    IO_ERR(weft_splice(-1, NULL, -1, NULL, 1, 0), EBADF);
    return NULL;
}

WT_TEST(errors) { io_in_weft(errors_body, NULL); }

static void *nonblock_body(void *arg)
{
    (void)arg;
    int p[2];
    IO_OK(pipe2(p, O_NONBLOCK)); /* the program's own choice */
    char buf[4];
    IO_ERR(weft_read(p[0], buf, 1), EAGAIN);
    int sv[2];
    IO_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    IO_ERR(weft_recv(sv[0], buf, 1, MSG_DONTWAIT), EAGAIN);
    int l = IO_OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    struct sockaddr_in a = io_loopback(0);
    IO_OK(bind(l, (struct sockaddr *)&a, sizeof a));
    IO_OK(listen(l, 4));
    IO_ERR(weft_accept(l, NULL, NULL), EAGAIN);
    /* A full non-blocking pipe: a short write, then EAGAIN. */
    static char big[1 << 20];
    long n = IO_OK(weft_write(p[1], big, sizeof big));
    WT_GT(n, 0);
    WT_LT(n, (long)sizeof big);
    IO_ERR(weft_write(p[1], big, sizeof big), EAGAIN);
    /* The flag stays the program's. */
    WT_ASSERT(fcntl(p[0], F_GETFL) & O_NONBLOCK);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
    close(l);
    return NULL;
}

WT_TEST(nonblocking_eagain) { io_in_weft(nonblock_body, NULL); }

static void *stdio_body(void *arg)
{
    (void)arg;
    int p[2];
    IO_OK(pipe(p));
    int saved = IO_OK(dup(0));
    IO_OK(dup2(p[0], 0)); /* a pipe as standard input */
    wake_fd = p[1];
    weft_t w;
    WT_OK(weft_create(&w, NULL, late_writer, NULL));
    char c = 0;
    WT_EQ(IO_OK(weft_read(0, &c, 1)), 1);
    WT_EQ(c, 'x');
    WT_OK(weft_join(w, NULL));
    /* It stays blocking: it is shared with whatever started us. */
    WT_EQ(fcntl(0, F_GETFL) & O_NONBLOCK, 0);
    IO_OK(dup2(saved, 0));
    close(saved);
    close(p[0]);
    close(p[1]);
    return NULL;
}

WT_TEST(stdin_stays_blocking) { io_in_weft(stdio_body, NULL); }

static int drain_fd;
static atomic_long drained;
static void *slow_drain(void *arg)
{
    (void)arg;
    char buf[4096];
    long n;
    weft_sleep(20 * WT_MS);
    while ((n = weft_read(drain_fd, buf, sizeof buf)) > 0)
        atomic_fetch_add(&drained, n);
    return n == 0 ? NULL : (void *)1;
}

/* A blocking write of more than fits: all of it, not a short count. */
static void *partial_body(void *arg)
{
    (void)arg;
    int sv[2];
    IO_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    drain_fd = sv[1];
    atomic_store(&drained, 0);
    weft_t t;
    WT_OK(weft_create(&t, NULL, slow_drain, NULL));
    size_t len = 1 << 20;
    char *big = calloc(1, len);
    WT_EQ(IO_OK(weft_write(sv[0], big, len)), (long)len);
    WT_EQ(IO_OK(weft_send(sv[0], big, len, 0)), (long)len);
    struct iovec iov[2] = {{big, len / 2}, {big + len / 2, len / 2}};
    WT_EQ(IO_OK(weft_writev(sv[0], iov, 2)), (long)len);
    IO_OK(weft_close(sv[0]));
    void *r;
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, NULL);
    WT_EQ(atomic_load(&drained), 3 * (long)len);
    close(sv[1]);
    free(big);
    return NULL;
}

WT_TEST(partial_writes_complete) { io_in_weft(partial_body, NULL); }

static void *epipe_body(void *arg)
{
    (void)arg;
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    IO_OK(pipe(p));
    close(p[0]);
    IO_ERR(weft_write(p[1], "x", 1), EPIPE);
    close(p[1]);
    int sv[2];
    IO_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    close(sv[1]);
    IO_ERR(weft_send(sv[0], "x", 1, 0), EPIPE);
    IO_ERR(weft_send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
    close(sv[0]);
    return NULL;
}

WT_TEST(epipe) { io_in_weft(epipe_body, NULL); }

static void *epipe_blocked_body(void *arg)
{
    (void)arg;
    int p[2];
    IO_OK(pipe(p));
    close(p[0]);
    IO_ERR(weft_write(p[1], "x", 1), EPIPE);
    close(p[1]);
    int sv[2];
    IO_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    close(sv[1]);
    IO_ERR(weft_send(sv[0], "x", 1, 0), EPIPE);
    close(sv[0]);
    return NULL;
}

/* SIGPIPE blocked instead of ignored: blocked in main before the runtime
 * starts, so every host thread of weft (vCPUs, daemon, offload pool)
 * inherits the mask, whichever of them makes the write. */
WT_TEST(epipe_sigpipe_blocked)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    WT_OK(pthread_sigmask(SIG_BLOCK, &s, NULL));
    wt_start(2, WEFT_DEADLOCK_ABORT);
    io_in_weft(epipe_blocked_body, NULL);
}

/* ---- TCP ---- */

static void *refused_body(void *arg)
{
    (void)arg;
    int port;
    int l = io_listener(&port, 1);
    close(l); /* nobody listens there now */
    int s = IO_OK(socket(AF_INET, SOCK_STREAM, 0));
    struct sockaddr_in a = io_loopback(port);
    IO_ERR(weft_connect(s, (struct sockaddr *)&a, sizeof a), ECONNREFUSED);
    close(s);
    return NULL;
}

WT_TEST(econnrefused) { io_in_weft(refused_body, NULL); }

static int srv_fd;
static void *echo_server(void *arg)
{
    (void)arg;
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int c = weft_accept4(srv_fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
    if (c < 0 || plen != sizeof peer || peer.sin_family != AF_INET)
        return (void *)1;
    if (!(fcntl(c, F_GETFD) & FD_CLOEXEC))
        return (void *)2;
    char buf[256];
    long n;
    while ((n = weft_recv(c, buf, sizeof buf, 0)) > 0)
        if (weft_send(c, buf, (size_t)n, 0) != n)
            return (void *)3;
    weft_close(c);
    return n == 0 ? NULL : (void *)4;
}

static void *tcp_body(void *arg)
{
    (void)arg;
    int port;
    srv_fd = io_listener(&port, 16);
    weft_t t;
    WT_OK(weft_create(&t, NULL, echo_server, NULL));
    int s = IO_OK(socket(AF_INET, SOCK_STREAM, 0));
    struct sockaddr_in a = io_loopback(port);
    IO_OK(weft_connect(s, (struct sockaddr *)&a, sizeof a));
    char buf[64] = {0};
    WT_EQ(IO_OK(weft_sendto(s, "ping", 4, 0, NULL, 0)), 4);
    WT_EQ(IO_OK(weft_recv(s, buf, 4, MSG_WAITALL)), 4);
    WT_EQ(memcmp(buf, "ping", 4), 0);
    struct iovec iov = {"msg!", 4};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    WT_EQ(IO_OK(weft_sendmsg(s, &m, 0)), 4);
    char in[4];
    struct iovec riov = {in, 4};
    struct msghdr rm = {.msg_iov = &riov, .msg_iovlen = 1};
    WT_EQ(IO_OK(weft_recvmsg(s, &rm, MSG_WAITALL)), 4);
    WT_EQ(memcmp(in, "msg!", 4), 0);
    shutdown(s, SHUT_WR);
    WT_EQ(IO_OK(weft_read(s, buf, sizeof buf)), 0); /* the server closed: EOF */
    void *r;
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, NULL);
    close(s);
    close(srv_fd);
    return NULL;
}

WT_TEST(tcp_echo) { io_in_weft(tcp_body, NULL); }

static void *udp_body(void *arg)
{
    (void)arg;
    int a = IO_OK(socket(AF_INET, SOCK_DGRAM, 0)), b = IO_OK(socket(AF_INET, SOCK_DGRAM, 0));
    struct sockaddr_in sa = io_loopback(0);
    IO_OK(bind(b, (struct sockaddr *)&sa, sizeof sa));
    socklen_t l = sizeof sa;
    IO_OK(getsockname(b, (struct sockaddr *)&sa, &l));
    WT_EQ(IO_OK(weft_sendto(a, "dgram", 5, 0, (struct sockaddr *)&sa, sizeof sa)), 5);
    char buf[16] = {0};
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    WT_EQ(IO_OK(weft_recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl)), 5);
    WT_STR_EQ(buf, "dgram");
    WT_EQ(fl, sizeof from);
    WT_EQ(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    IO_ERR(weft_recvfrom(b, buf, 1, MSG_DONTWAIT, NULL, NULL), EAGAIN);
    close(a);
    close(b);
    return NULL;
}

WT_TEST(udp_sendto_recvfrom) { io_in_weft(udp_body, NULL); }

/* ---- files ---- */

static void *file_body(void *arg)
{
    (void)arg;
    char path[] = "/tmp/weft-io-XXXXXX";
    int tmp = IO_OK(mkstemp(path));
    close(tmp);
    int fd = IO_OK(weft_open(path, O_RDWR | O_TRUNC | O_CREAT, 0600));
    WT_EQ(IO_OK(weft_write(fd, "0123456789", 10)), 10);
    WT_EQ(IO_OK(weft_pwrite(fd, "AB", 2, 4)), 2);
    char buf[16] = {0};
    WT_EQ(IO_OK(weft_pread(fd, buf, sizeof buf, 0)), 10);
    WT_STR_EQ(buf, "0123AB6789");
    WT_EQ(IO_OK(weft_read(fd, buf, sizeof buf)), 0); /* the position is at the end */
    IO_OK(lseek(fd, 8, SEEK_SET));
    memset(buf, 0, sizeof buf);
    WT_EQ(IO_OK(weft_read(fd, buf, sizeof buf)), 2); /* reads move the position */
    WT_STR_EQ(buf, "89");
    IO_OK(weft_fsync(fd));
    IO_OK(weft_fdatasync(fd));
    struct statx stx;
    IO_OK(weft_statx(AT_FDCWD, path, 0, STATX_SIZE, &stx));
    WT_EQ(stx.stx_size, 10);
    IO_ERR(weft_statx(AT_FDCWD, "/nonexistent/x", 0, STATX_SIZE, &stx), ENOENT);
    /* splice: file (at offset 2, moved) into a pipe */
    int p[2];
    IO_OK(pipe(p));
    off_t off = 2;
    WT_EQ(IO_OK(weft_splice(fd, &off, p[1], NULL, 3, 0)), 3);
    WT_EQ(off, 5);
    memset(buf, 0, sizeof buf);
    WT_EQ(IO_OK(weft_read(p[0], buf, sizeof buf)), 3);
    WT_STR_EQ(buf, "23A");
    off = -1;
    IO_ERR(weft_splice(fd, &off, p[1], NULL, 3, 0), EINVAL);
    IO_OK(weft_close(fd));
    IO_ERR(weft_close(fd), EBADF);
    int dir = IO_OK(weft_open("/tmp", O_RDONLY | O_DIRECTORY));
    int fd2 = IO_OK(weft_openat(dir, path + 5, O_RDONLY));
    WT_EQ(IO_OK(weft_read(fd2, buf, 4)), 4);
    IO_OK(weft_close(fd2));
    IO_OK(weft_close(dir));
    close(p[0]);
    close(p[1]);
    unlink(path);
    return NULL;
}

WT_TEST(file_calls) { io_in_weft(file_body, NULL); }

/* pread tried inline from the page cache (src/io/nowait.c): the kernel's
 * answers whether the data is cached, partly cached, or not at all
 * (O_DIRECT goes to the backend), and on what is not a file. */
static void *pread_inline_body(void *arg)
{
    (void)arg;
    enum { B = 4096, NB = 512 }; /* 2 MiB: several folios, so half can leave the cache */
    char path[] = "/tmp/weft-io-XXXXXX";
    int fd = IO_OK(mkstemp(path));
    static char data[NB * B], got[NB * B] __attribute__((aligned(4096)));
    for (int i = 0; i < NB * B; i++)
        data[i] = (char)(i * 7 + i / B);
    WT_EQ(IO_OK(weft_pwrite(fd, data, sizeof data, 0)), (long)sizeof data);
    IO_OK(weft_fsync(fd));
    weft_stats_t s0, s1;
    WT_OK(weft_stats(WEFT_STATS_ALL, &s0));
    /* cached: whole, short at the end, at and past the end */
    WT_EQ(IO_OK(weft_pread(fd, got, sizeof got, 0)), (long)sizeof got);
    WT_EQ(memcmp(got, data, sizeof got), 0);
    WT_EQ(IO_OK(weft_pread(fd, got, 2 * B, (NB - 1) * B + 10)), B - 10);
    WT_EQ(memcmp(got, data + (NB - 1) * B + 10, B - 10), 0);
    WT_EQ(IO_OK(weft_pread(fd, got, B, NB * B)), 0);
    WT_EQ(IO_OK(weft_pread(fd, got, B, 10 * NB * B)), 0);
    WT_EQ(IO_OK(weft_pread(fd, got, 0, 0)), 0);
    WT_OK(weft_stats(WEFT_STATS_ALL, &s1));
    WT_GE(s1.io_submits - s0.io_submits, 5); /* still counted as the port's */
    /* only the start cached (no read-ahead): one pread over all of it
     * gets everything (the cached part inline, the rest by the backend) */
    WT_OK(posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM));
    for (int round = 0; round < 3; round++) {
        WT_OK(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
        WT_EQ(IO_OK(weft_pread(fd, got, B, 0)), B);
        memset(got, 0, sizeof got);
        WT_EQ(IO_OK(weft_pread(fd, got, sizeof got, 0)), (long)sizeof got);
        WT_EQ(memcmp(got, data, sizeof got), 0);
    }
    /* not cached at all */
    WT_OK(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
    memset(got, 0, sizeof got);
    WT_EQ(IO_OK(weft_pread(fd, got, B, B)), B);
    WT_EQ(memcmp(got, data + B, B), 0);
    /* O_DIRECT (where the file system has it): the backend's way, same data */
    int dfd = weft_open(path, O_RDONLY | O_DIRECT);
    if (dfd >= 0) {
        memset(got, 0, sizeof got);
        WT_EQ(IO_OK(weft_pread(dfd, got, 2 * B, 2 * B)), 2 * B);
        WT_EQ(memcmp(got, data + 2 * B, 2 * B), 0);
        IO_OK(weft_close(dfd));
    } else {
        WT_EQ(errno, EINVAL);
    }
    /* a write-only descriptor, a closed one, a socket */
    int wfd = IO_OK(weft_open(path, O_WRONLY));
    IO_ERR(weft_pread(wfd, got, B, 0), EBADF);
    IO_OK(weft_close(wfd));
    IO_ERR(weft_pread(wfd, got, B, 0), EBADF);
    IO_OK(weft_close(fd));
    IO_ERR(weft_pread(fd, got, B, 0), EBADF);
    int dp[2]; /* a packet-mode pipe is O_DIRECT too, and still no file */
    IO_OK(pipe2(dp, O_DIRECT));
    WT_EQ(IO_OK(weft_write(dp[1], "x", 1)), 1);
    IO_ERR(weft_pread(dp[0], got, B, 0), ESPIPE);
    IO_ERR(weft_pread(dp[0], got, B, 0), ESPIPE);
    IO_OK(weft_close(dp[0]));
    IO_OK(weft_close(dp[1]));
    int sv[2];
    IO_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)); /* likely fd's number again */
    IO_ERR(weft_pread(sv[0], got, B, 0), ESPIPE);
    IO_OK(weft_close(sv[0]));
    IO_OK(weft_close(sv[1]));
    unlink(path);
    return NULL;
}

WT_TEST(pread_inline) { io_in_weft(pread_inline_body, NULL); }

/* ---- poll, waitpid ---- */

static void *poll_body(void *arg)
{
    (void)arg;
    int p[2];
    IO_OK(pipe(p));
    struct pollfd pf[2] = {{.fd = p[0], .events = POLLIN}, {.fd = -1, .events = POLLIN}};
    uint64_t t0 = weft_now();
    WT_EQ(IO_OK(weft_poll(pf, 2, 30)), 0); /* timeout */
    WT_GE(weft_now() - t0, 30 * WT_MS);
    wake_fd = p[1];
    weft_t w;
    WT_OK(weft_create(&w, NULL, late_writer, NULL));
    WT_EQ(IO_OK(weft_poll(pf, 2, -1)), 1);
    WT_EQ(pf[0].revents, POLLIN);
    WT_EQ(pf[1].revents, 0);
    WT_OK(weft_join(w, NULL));
    pf[0].events = POLLOUT;
    pf[0].fd = p[1];
    WT_EQ(IO_OK(weft_poll(pf, 1, 0)), 1);
    WT_EQ(pf[0].revents, POLLOUT);
    close(p[0]);
    close(p[1]);
    pf[0].fd = p[0]; /* closed */
    pf[0].events = POLLIN;
    WT_EQ(IO_OK(weft_poll(pf, 1, 0)), 1);
    WT_EQ(pf[0].revents, POLLNVAL);
    return NULL;
}

WT_TEST(poll_calls) { io_in_weft(poll_body, NULL); }

static void *poll_efault_body(void *arg)
{
    (void)arg;
    IO_ERR(weft_poll(NULL, 1, 0), EFAULT);
    return NULL;
}

/* Not under valgrind (the Makefile leaves it out): it hands the kernel a
 * NULL array on purpose. */
WT_TEST(poll_efault) { io_in_weft(poll_efault_body, NULL); }

static void *waitpid_body(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
        _exit(7);
    }
    WT_GT(pid, 0);
    int st = 0;
    WT_EQ(IO_OK(weft_waitpid(pid, &st, 0)), pid);
    WT_ASSERT(WIFEXITED(st));
    WT_EQ(WEXITSTATUS(st), 7);
    IO_ERR(weft_waitpid(pid, &st, 0), ECHILD); /* reaped already */
    IO_ERR(weft_waitpid(getpid(), &st, 0), ECHILD); /* not a child */
    /* any child: through the offload pool */
    pid = fork();
    if (pid == 0)
        _exit(3);
    WT_EQ(IO_OK(weft_waitpid(-1, &st, 0)), pid);
    WT_EQ(WEXITSTATUS(st), 3);
    IO_ERR(weft_waitpid(-1, &st, WNOHANG), ECHILD); /* none left */
    return NULL;
}

WT_TEST(waitpid_pidfd)
{
    /* fork in the test process: a fresh one, the runtime not yet started */
    wt_start(2, WEFT_DEADLOCK_ABORT);
    io_in_weft(waitpid_body, NULL);
}

/* ---- from a bound thread: the plain calls ---- */

WT_TEST(bound_thread_plain_calls)
{
    int p[2];
    IO_OK(pipe(p));
    WT_EQ(IO_OK(weft_write(p[1], "ab", 2)), 2);
    char buf[4];
    WT_EQ(IO_OK(weft_read(p[0], buf, sizeof buf)), 2);
    IO_ERR(weft_read(-1, buf, 1), EBADF);
    IO_OK(weft_close(p[0]));
    IO_OK(weft_close(p[1]));
    WT_ASSERT(!(fcntl(p[1], F_GETFL) >= 0));
}

WT_MAIN(WT_ENTRY(pipe_calls, 0, 30),
        WT_ENTRY(blocking_read_1vcpu, WT_FRESH, 30),
        WT_ENTRY(dump_shows_io_wait, 0, 30),
        WT_ENTRY(errors, 0, 30),
        WT_ENTRY(nonblocking_eagain, 0, 30),
        WT_ENTRY(stdin_stays_blocking, 0, 30),
        WT_ENTRY(partial_writes_complete, 0, 60),
        WT_ENTRY(epipe, 0, 30),
        WT_ENTRY(epipe_sigpipe_blocked, WT_FRESH, 30),
        WT_ENTRY(econnrefused, 0, 30),
        WT_ENTRY(tcp_echo, 0, 30),
        WT_ENTRY(udp_sendto_recvfrom, 0, 30),
        WT_ENTRY(file_calls, 0, 30),
        WT_ENTRY(pread_inline, 0, 30),
        WT_ENTRY(poll_calls, 0, 30),
        WT_ENTRY(poll_efault, 0, 30),
        WT_ENTRY(waitpid_pidfd, WT_FRESH, 30),
        WT_ENTRY(bound_thread_plain_calls, 0, 30))
