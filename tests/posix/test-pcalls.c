/* test-pcalls.c - the drop-in's interposed calls one by one
 * (src/posix/io.c): libc's results and errors (EBADF, EAGAIN, EOF, EPIPE,
 * ECONNREFUSED, ENOENT, poll's timeout), the file calls (open, pread,
 * pwrite, readv, writev, fsync, fdatasync, statx, openat, splice),
 * waitpid and getaddrinfo, cancellation of a thread blocked in read and
 * in accept, and the fortified entry points. test-pio.c shows that a
 * blocked call leaves the vCPU to the others.
 *
 * The cases run in child processes on one vCPU (where a call that held
 * the vCPU would hang the child: its parent kills it after 30 s and the
 * test fails), once per backend (WEFT_IO=uring, WEFT_IO=epoll). This file
 * is built with _FORTIFY_SOURCE=2, so some calls arrive as __read_chk,
 * __recv_chk, __poll_chk, __open_2. */
#include "ptest.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

static uint64_t io_submits(void)
{
    weft_stats_t st;
    WT_OK(weft_stats(WEFT_STATS_ALL, &st));
    return st.io_submits;
}

/* ---- TCP on loopback ---- */

static int port;

static int tcp_listen(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    WT_ASSERT(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    WT_OK(bind(fd, (struct sockaddr *)&a, sizeof a));
    WT_OK(listen(fd, 512));
    socklen_t l = sizeof a;
    WT_OK(getsockname(fd, (struct sockaddr *)&a, &l));
    port = ntohs(a.sin_port);
    return fd;
}

static int tcp_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* ---- cancellation of a thread blocked in read and in accept ---- */

static void *blocked_read(void *arg)
{
    char c;
    if (read((int)(intptr_t)arg, &c, 1) < 0)
        return (void *)2;
    return (void *)1; /* not reached: cancelled */
}

static void *blocked_accept(void *arg)
{
    accept((int)(intptr_t)arg, NULL, NULL);
    return (void *)1;
}

WT_TEST(cancel_blocked_child)
{
    child_only();
    int p[2];
    WT_OK(pipe(p));
    int l = tcp_listen();
    pthread_t r = spawn(blocked_read, (void *)(intptr_t)p[0]);
    pthread_t a = spawn(blocked_accept, (void *)(intptr_t)l);
    usleep(20000);
    WT_OK(pthread_cancel(r));
    WT_OK(pthread_cancel(a));
    WT_PTR_EQ(join(r), PTHREAD_CANCELED);
    WT_PTR_EQ(join(a), PTHREAD_CANCELED);
    /* the descriptors still work: nothing was consumed */
    WT_EQ(write(p[1], "z", 1), 1);
    char c;
    WT_EQ(read(p[0], &c, 1), 1);
    WT_EQ(c, 'z');
    close(p[0]);
    close(p[1]);
    close(l);
}

/* ---- libc's results and errors ---- */

WT_TEST(errors_child)
{
    child_only();
    char buf[16];
    WT_EQ(read(-1, buf, 1), -1);
    WT_EQ(errno, EBADF);
    WT_EQ(write(12345, buf, 1), -1);
    WT_EQ(errno, EBADF);
    WT_EQ(close(12345), -1);
    WT_EQ(errno, EBADF);

    int p[2];
    WT_OK(pipe2(p, O_NONBLOCK)); /* the program's own non-blocking pipe */
    WT_EQ(read(p[0], buf, sizeof buf), -1);
    WT_EQ(errno, EAGAIN);
    WT_EQ(write(p[1], "hi", 2), 2);
    WT_EQ(read(p[0], buf, sizeof buf), 2);
    close(p[1]);
    WT_EQ(read(p[0], buf, sizeof buf), 0); /* EOF */
    close(p[0]);

    WT_OK(pipe(p));
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    WT_EQ(write(p[1], "x", 1), -1);
    WT_EQ(errno, EPIPE);
    close(p[1]);

    int l = tcp_listen();
    close(l); /* nobody listens on port now */
    WT_EQ(tcp_connect(), -1);
    WT_EQ(errno, ECONNREFUSED);

    WT_EQ(open("/nonexistent/weft", O_RDONLY), -1);
    WT_EQ(errno, ENOENT);

    struct pollfd none = {.fd = -1};
    WT_EQ(poll(&none, 1, 10), 0); /* times out */
}

WT_TEST(files_child)
{
    child_only();
    char path[] = "/tmp/weft-pio-XXXXXX";
    int fd = mkstemp(path);
    WT_ASSERT(fd >= 0);
    close(fd);
    fd = open(path, O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
    WT_ASSERT(fd >= 0);
    WT_EQ(pwrite(fd, "0123456789", 10, 100), 10);
    WT_OK(fsync(fd));
    WT_OK(fdatasync(fd));
    char buf[32];
    WT_EQ(pread(fd, buf, 10, 100), 10);
    WT_ASSERT(!memcmp(buf, "0123456789", 10));
    struct iovec v[2] = {{"ab", 2}, {"cd", 2}};
    WT_EQ(lseek(fd, 0, SEEK_SET), 0);
    WT_EQ(writev(fd, v, 2), 4);
    WT_EQ(lseek(fd, 0, SEEK_SET), 0);
    char x[2], y[2];
    struct iovec r[2] = {{x, 2}, {y, 2}};
    WT_EQ(readv(fd, r, 2), 4);
    WT_ASSERT(!memcmp(x, "ab", 2) && !memcmp(y, "cd", 2));
    struct statx sx;
    WT_OK(statx(AT_FDCWD, path, 0, STATX_SIZE, &sx));
    WT_EQ((long)sx.stx_size, 110);
    int dfd = openat(AT_FDCWD, path, O_RDONLY);
    WT_ASSERT(dfd >= 0);
    WT_OK(close(dfd));
    /* splice: file -> pipe */
    int p[2];
    WT_OK(pipe(p));
    loff_t off = 100;
    WT_EQ(splice(fd, &off, p[1], NULL, 10, 0), 10);
    WT_EQ(read(p[0], buf, sizeof buf), 10);
    WT_ASSERT(!memcmp(buf, "0123456789", 10));
    close(p[0]);
    close(p[1]);
    WT_OK(close(fd));
    unlink(path);
}

WT_TEST(waitpid_and_resolver_child)
{
    child_only();
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        _exit(7);
    }
    int st = 0;
    WT_EQ(waitpid(pid, &st, 0), pid);
    WT_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 7);
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
    WT_EQ(getaddrinfo("127.0.0.1", "80", &hints, &res), 0);
    WT_ASSERT(res && res->ai_family == AF_INET);
    freeaddrinfo(res);
}

/* _FORTIFY_SOURCE: lengths and flags the compiler cannot see make the
 * calls go through glibc's checked entry points, which the drop-in takes
 * too. */
static volatile size_t vlen = 4;
static volatile int vflags = O_RDONLY;
static volatile nfds_t vnfds = 1;

WT_TEST(fortified_child)
{
    child_only();
    int p[2];
    WT_OK(pipe(p));
    uint64_t before = io_submits();
    char buf[8];
    WT_EQ(write(p[1], "abcd", 4), 4);
    WT_EQ(read(p[0], buf, vlen), 4); /* __read_chk */
    WT_ASSERT(!memcmp(buf, "abcd", 4));
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    WT_EQ(poll(&pf, vnfds, 0), 0); /* __poll_chk */
    int fd = open("/dev/null", vflags); /* __open_2 */
    WT_ASSERT(fd >= 0);
    WT_EQ(pread(fd, buf, vlen, 0), 0); /* __pread64_chk: EOF */
    close(fd);
    int s[2];
    WT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
    WT_EQ(send(s[0], "wxyz", 4, 0), 4);
    WT_EQ(recv(s[1], buf, vlen, 0), 4); /* __recv_chk */
    WT_EQ(send(s[0], "wxyz", 4, 0), 4);
    WT_EQ(recvfrom(s[1], buf, vlen, 0, NULL, NULL), 4); /* __recvfrom_chk */
    WT_ASSERT(!memcmp(buf, "wxyz", 4));
    WT_GT(io_submits(), before);
    close(s[0]);
    close(s[1]);
    close(p[0]);
    close(p[1]);
}

/* ---- the parents: each case on one vCPU, on both backends ---- */

static void run_child(const char *name, const char *backend)
{
    struct wt_child c;
    setenv("WEFT_IO", backend, 1);
    run_self(&c, name, "WEFT_VCPUS=1");
    unsetenv("WEFT_IO");
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s on %s: %s; stderr:\n%s", name, backend,
               wt_child_describe(&c), c.err);
    wt_child_free(&c);
}

static void both(const char *name)
{
    run_child(name, "uring");
    run_child(name, "epoll");
}

WT_TEST(cancel_blocked) { both("cancel_blocked_child"); }
WT_TEST(errors) { both("errors_child"); }
WT_TEST(files) { both("files_child"); }
WT_TEST(waitpid_and_resolver) { both("waitpid_and_resolver_child"); }
WT_TEST(fortified) { both("fortified_child"); }

WT_MAIN(WT_ENTRY(cancel_blocked, 0, 90),
        WT_ENTRY(cancel_blocked_child, WT_MANUAL, 30),
        WT_ENTRY(errors, 0, 90),
        WT_ENTRY(errors_child, WT_MANUAL, 30),
        WT_ENTRY(files, 0, 90),
        WT_ENTRY(files_child, WT_MANUAL, 30),
        WT_ENTRY(waitpid_and_resolver, 0, 90),
        WT_ENTRY(waitpid_and_resolver_child, WT_MANUAL, 30),
        WT_ENTRY(fortified, 0, 90),
        WT_ENTRY(fortified_child, WT_MANUAL, 30))
