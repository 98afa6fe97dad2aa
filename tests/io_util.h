/* io_util.h - helpers of the I/O port tests (test-io*.c). Every test runs
 * its body in weft threads: called from main (a bound thread) the calls
 * are the plain system calls. tests/CMakeLists.txt registers each case
 * twice, io.<case> with WEFT_IO=uring and io_epoll.<case> with
 * WEFT_IO=epoll (topics in WEFT_TEST_IO_TOPICS). */
#ifndef WEFT_TESTS_IO_UTIL_H
#define WEFT_TESTS_IO_UTIL_H

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "runner.h"

/* errno through a call: the compiler may keep errno's address across a
 * call that switched vCPUs, and errno is per vCPU until weft has per-thread
 * TLS (docs/pthread.md). */
__attribute__((noinline)) WT_HELPER int io_errno(void)
{
    return errno;
}
__attribute__((noinline)) WT_HELPER void io_errno_clear(void)
{
    errno = 0;
}

/* A libc-convention call: returns -1 and sets errno to want. */
#define IO_ERR(expr, want)                                                    \
    do {                                                                      \
        io_errno_clear();                                                     \
        long io_r_ = (long)(expr);                                            \
        int io_e_ = io_errno();                                               \
        if (io_r_ != -1 || io_e_ != (want))                                   \
            wt_fail(__FILE__, __LINE__,                                       \
                    "%s\n  returned %ld errno %d (%s), expected -1 errno %d (%s)", \
                    #expr, io_r_, io_e_, strerror(io_e_), (int)(want),        \
                    strerror(want));                                          \
    } while (0)

/* A libc-convention call that must succeed: its value (errno printed if not). */
#define IO_OK(expr)                                                           \
    ({                                                                        \
        long io_r_ = (long)(expr);                                            \
        if (io_r_ < 0)                                                        \
            wt_fail(__FILE__, __LINE__, "%s\n  returned %ld errno %d (%s)",   \
                    #expr, io_r_, io_errno(), strerror(io_errno()));          \
        io_r_;                                                                \
    })

/* The backend must be the one the environment asked for; a machine
 * without a usable io_uring skips the uring cases (never a silent pass). */
WT_HELPER void io_check_backend(void)
{
    const char *want = getenv("WEFT_IO");
    if (want && !strcmp(want, "uring") && !strcmp(weft_io_backend(), "epoll"))
        WT_SKIP("io_uring is not usable here (the port fell back to epoll)");
    if (want && *want)
        WT_STR_EQ(weft_io_backend(), want);
}

/* Run fn(arg) in a weft thread and join it; fn returns NULL when well. */
WT_HELPER void io_in_weft(void *(*fn)(void *), void *arg)
{
    io_check_backend();
    weft_t t;
    void *r = (void *)1;
    WT_OK(weft_create(&t, NULL, fn, arg));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, NULL);
}

/* A listening TCP socket on 127.0.0.1, any port; the port in *port. */
WT_HELPER int io_listener(int *port, int backlog)
{
    int fd = IO_OK(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    IO_OK(bind(fd, (struct sockaddr *)&a, sizeof a));
    IO_OK(listen(fd, backlog));
    socklen_t l = sizeof a;
    IO_OK(getsockname(fd, (struct sockaddr *)&a, &l));
    *port = ntohs(a.sin_port);
    return fd;
}

WT_HELPER struct sockaddr_in io_loopback(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return a;
}

#endif
