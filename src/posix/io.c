/* io.c - libc's blocking calls, interposed: a weft thread that calls read,
 * write, accept, poll, ... in an unmodified program parks on the I/O port
 * (weft/io.h, docs/io.md) instead of holding its vCPU, so a
 * thread-per-connection server gets the port's benefit without a change.
 *
 * The weft_<call> has the libc call's semantics (results, errno, partial
 * transfers, EOF, O_NONBLOCK descriptors) and is a cancellation point, as
 * POSIX makes these calls. Callers that are not weft threads on a vCPU
 * (the first host thread, the runtime's own) go straight to libc, and so
 * does everything when WEFT_PTHREAD_IO=0 is in the environment.
 *
 * The _FORTIFY_SOURCE entry points (__read_chk, __open_2, ...) are here
 * too: a program built with fortification calls those instead. glibc's
 * own internal calls (stdio's reads and writes, the resolver's sockets)
 * never pass through here; they block the vCPU as before. */
#undef _FORTIFY_SOURCE /* the names below are defined here, not wrapped */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/runtime.h"
#include "host/real.h"
#include "posix/posix.h"
#include "weft/io.h"

static int port_off = -1; /* WEFT_PTHREAD_IO=0; -1 until read */

/* Set in the child of a fork: it has no vCPUs to run the port (until the
 * runtime learns to restart there), so its calls go to libc, including
 * the dup2s, closes and writes a child makes before exec. */
static int forked;

static void in_child(void)
{
    forked = 1;
}

extern void *__dso_handle __attribute__((weak));

__attribute__((constructor)) static void watch_fork(void)
{
    int (*reg)(void (*)(void), void (*)(void), void (*)(void), void *);
    *(void **)&reg = wf_real_sym("__register_atfork");
    if (reg)
        reg(NULL, NULL, in_child, &__dso_handle ? __dso_handle : NULL);
}

static int use_port(void)
{
    struct wf_thread *t = wf_tls_self;
    if (!t || (t->flags & WF_TF_BOUND) || forked)
        return 0;
    int off = __atomic_load_n(&port_off, __ATOMIC_RELAXED);
    if (off < 0) {
        const char *e = getenv("WEFT_PTHREAD_IO");
        off = e && !strcmp(e, "0");
        __atomic_store_n(&port_off, off, __ATOMIC_RELAXED);
    }
    return !off;
}

/* libc's function of this name (the next definition after ours). */
#define REAL(name)                                                             \
    ({                                                                         \
        static __typeof__(&name) real_;                                        \
        if (!real_)                                                            \
            *(void **)&real_ = wf_real_sym(#name);                             \
        real_;                                                                 \
    })

#define PORT_OR_LIBC(name, args)                                               \
    return use_port() ? weft_##name args : REAL(name) args

/* open and openat take a mode only with these flags. */
static int needs_mode(int flags)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

WP_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
    PORT_OR_LIBC(read, (fd, buf, len));
}

WP_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
    PORT_OR_LIBC(write, (fd, buf, len));
}

WP_EXPORT ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
    PORT_OR_LIBC(pread, (fd, buf, len, off));
}

WP_EXPORT ssize_t pread64(int fd, void *buf, size_t len, off_t off)
{
    return use_port() ? weft_pread(fd, buf, len, off) : REAL(pread64)(fd, buf, len, off);
}

WP_EXPORT ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    PORT_OR_LIBC(pwrite, (fd, buf, len, off));
}

WP_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    return use_port() ? weft_pwrite(fd, buf, len, off) : REAL(pwrite64)(fd, buf, len, off);
}

WP_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
    PORT_OR_LIBC(readv, (fd, iov, cnt));
}

WP_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    PORT_OR_LIBC(writev, (fd, iov, cnt));
}

WP_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    PORT_OR_LIBC(recv, (fd, buf, len, flags));
}

WP_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    PORT_OR_LIBC(send, (fd, buf, len, flags));
}

WP_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                           socklen_t *fromlen)
{
    PORT_OR_LIBC(recvfrom, (fd, buf, len, flags, from, fromlen));
}

WP_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
                         socklen_t tolen)
{
    PORT_OR_LIBC(sendto, (fd, buf, len, flags, to, tolen));
}

WP_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    PORT_OR_LIBC(recvmsg, (fd, msg, flags));
}

WP_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    PORT_OR_LIBC(sendmsg, (fd, msg, flags));
}

WP_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    PORT_OR_LIBC(accept, (fd, addr, len));
}

WP_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    PORT_OR_LIBC(accept4, (fd, addr, len, flags));
}

WP_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    PORT_OR_LIBC(connect, (fd, addr, len));
}

WP_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    PORT_OR_LIBC(poll, (fds, n, timeout_ms));
}

WP_EXPORT int close(int fd)
{
    PORT_OR_LIBC(close, (fd));
}

WP_EXPORT int fsync(int fd)
{
    PORT_OR_LIBC(fsync, (fd));
}

WP_EXPORT int fdatasync(int fd)
{
    PORT_OR_LIBC(fdatasync, (fd));
}

WP_EXPORT int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *buf)
{
    PORT_OR_LIBC(statx, (dirfd, path, flags, mask, buf));
}

WP_EXPORT ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
                         unsigned flags)
{
    PORT_OR_LIBC(splice, (in, off_in, out, off_out, len, flags));
}

WP_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
    PORT_OR_LIBC(waitpid, (pid, status, options));
}

WP_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                          struct addrinfo **res)
{
    PORT_OR_LIBC(getaddrinfo, (node, service, hints, res));
}

/* ---- open: a mode only with O_CREAT or O_TMPFILE ---- */

static mode_t mode_arg(int flags, va_list ap)
{
    return needs_mode(flags) ? (mode_t)va_arg(ap, int) : 0;
}

WP_EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return use_port() ? weft_open(path, flags, mode) : REAL(open)(path, flags, mode);
}

WP_EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return use_port() ? weft_open(path, flags | O_LARGEFILE, mode)
                      : REAL(open64)(path, flags, mode);
}

WP_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return use_port() ? weft_openat(dirfd, path, flags, mode)
                      : REAL(openat)(dirfd, path, flags, mode);
}

WP_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return use_port() ? weft_openat(dirfd, path, flags | O_LARGEFILE, mode)
                      : REAL(openat64)(dirfd, path, flags, mode);
}

/* ---- _FORTIFY_SOURCE entry points: glibc's checks, then the call ---- */

extern void __chk_fail(void) __attribute__((noreturn));

WP_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
    if (len > buflen)
        __chk_fail();
    return read(fd, buf, len);
}

WP_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t len, off_t off, size_t buflen)
{
    if (len > buflen)
        __chk_fail();
    return pread(fd, buf, len, off);
}

WP_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t len, off_t off, size_t buflen)
{
    if (len > buflen)
        __chk_fail();
    return pread(fd, buf, len, off);
}

WP_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
    if (len > buflen)
        __chk_fail();
    return recv(fd, buf, len, flags);
}

WP_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                                 struct sockaddr *from, socklen_t *fromlen)
{
    if (len > buflen)
        __chk_fail();
    return recvfrom(fd, buf, len, flags, from, fromlen);
}

WP_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout_ms, size_t fdslen)
{
    if (fdslen / sizeof *fds < n)
        __chk_fail();
    return poll(fds, n, timeout_ms);
}

/* Without a mode where one is needed, glibc's own reports and aborts. */
WP_EXPORT int __open_2(const char *path, int flags)
{
    return needs_mode(flags) ? REAL(__open_2)(path, flags) : open(path, flags);
}

WP_EXPORT int __open64_2(const char *path, int flags)
{
    return needs_mode(flags) ? REAL(__open64_2)(path, flags) : open64(path, flags);
}

WP_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    return needs_mode(flags) ? REAL(__openat_2)(dirfd, path, flags) : openat(dirfd, path, flags);
}

WP_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
    return needs_mode(flags) ? REAL(__openat64_2)(dirfd, path, flags)
                             : openat64(dirfd, path, flags);
}
