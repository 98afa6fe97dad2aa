/* io.c - libc's blocking I/O entry points under their own names, so that
 * an unmodified thread-per-connection program run with libweft-pthread
 * parks only the calling thread in read, accept, poll, ... (docs/io.md).
 *
 * Called from a weft thread on a vCPU, in the process the runtime runs
 * in, each is the weft_ call of weft/io.h: the same results and errors,
 * the I/O port's backend, the thread's I/O timeout, a cancellation point.
 * Anywhere else (a bound thread, a host thread weft does not know, the
 * child of a fork that ran no handlers, such as _Fork) it is the plain system
 * call, and so is a call on a descriptor the program made O_NONBLOCK
 * (one fcntl to know). WEFT_IO_INTERPOSE=0 in the environment (read at
 * the first call) makes every one the plain system call.
 *
 * Also here: open and openat (and their 64 names), fsync, fdatasync,
 * statx, splice, waitpid and getaddrinfo (on the offload pool), and the
 * _FORTIFY_SOURCE entry points a fortified program calls instead of read,
 * pread, recv, recvfrom, poll and open (__read_chk, __open_2, ...).
 *
 * Not covered: stdio (glibc reaches the kernel through its internal
 * __read/__write, which no preloaded library sees) and calls outside this
 * list (select, epoll_wait, sendfile). close is interposed only so the
 * epoll backend forgets the descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "host/real.h"
#include "host/sys.h"
#include "io/io.h"
#include "posix/posix.h"
#include "posix/shared_futex.h"

static atomic_int enabled = -1; /* WEFT_IO_INTERPOSE: -1 not read yet */

/* From a weft thread, in the runtime's process, not turned off? */
static int on_weft(void)
{
    if (!wf_io_on_vcpu() || !wp_in_runtime_process())
        return 0;
    int e = atomic_load_explicit(&enabled, memory_order_relaxed);
    if (e < 0) {
        const char *s = getenv("WEFT_IO_INTERPOSE");
        e = !(s && !strcmp(s, "0"));
        atomic_store_explicit(&enabled, e, memory_order_relaxed);
    }
    return e;
}

/* The weft call, rather than the system call? Not for a descriptor the
 * program made non-blocking (nor a bad one): nothing would wait, and the
 * plain system call takes no lock, so libc's async-signal-safety holds
 * there (a signal handler writing to a non-blocking pipe: the self-pipe
 * trick). */
static int interposed(int fd)
{
    if (!on_weft())
        return 0;
    int yes = wf_io_fd_nonblocking(fd) == 0;
    /* The port need not read the flags again (src/core/thread.h). */
    wf_tls_self->io_fd_checked = yes ? fd + 1 : 0;
    return yes;
}

/* A raw system call's result in libc's convention. */
static long plain(long r)
{
    return wf_io_ret(r);
}

#define A(x) ((long)(x))

WP_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    if (interposed(fd))
        return weft_read(fd, buf, n);
    return plain(wf_sys3(SYS_read, fd, A(buf), A(n)));
}

/* A write or send from a weft thread: first the call itself, without
 * waiting (RWF_NOWAIT, MSG_DONTWAIT), with no lock and no flag check: when
 * it takes everything - the usual case - that is libc's answer whatever
 * the descriptor's flags, in one system call; an error other than "no
 * room" too. Only else are the flags read: a descriptor the program made
 * non-blocking gets what was written (or EAGAIN), a blocking one waits in
 * the port for the rest. r: the first try's result; rest: the port's
 * call for the remainder, on a descriptor known to be blocking. */
static ssize_t write_rest(int fd, const char *buf, size_t n, long r,
                          ssize_t (*rest)(int, const void *, size_t, int), int flags)
{
    if (r == (long)n || (r < 0 && r != -EAGAIN)) {
        /* Answered by the port's try: counted as its operation. */
        wf_io_count(&wf_tls_self->vcpu->nio_submits);
        wf_io_count(&wf_tls_self->vcpu->nio_completions);
        return plain(r);
    }
    if (wf_io_fd_nonblocking(fd) != 0) /* the program's non-blocking (or gone) */
        return plain(r);
    wf_tls_self->io_fd_checked = fd + 1;
    size_t done = r > 0 ? (size_t)r : 0;
    ssize_t more = rest(fd, buf + done, n - done, flags);
    return more < 0 ? (done ? (ssize_t)done : more) : (ssize_t)(done + (size_t)more);
}

static ssize_t rest_write(int fd, const void *buf, size_t n, int flags)
{
    (void)flags;
    return weft_write(fd, buf, n);
}

WP_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    if (on_weft()) {
        struct iovec v = {.iov_base = (void *)buf, .iov_len = n};
        long r = wf_sys6(SYS_pwritev2, fd, A(&v), 1, -1, 0, RWF_NOWAIT);
        if (r != -EOPNOTSUPP) /* a file without RWF_NOWAIT: as before */
            return write_rest(fd, buf, n, r, rest_write, 0);
    }
    if (interposed(fd))
        return weft_write(fd, buf, n);
    return plain(wf_sys3(SYS_write, fd, A(buf), A(n)));
}

WP_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    /* No flag check: pread works only where O_NONBLOCK changes nothing
     * (regular files, block devices; ESPIPE elsewhere), and the port tries
     * cached data inline (src/io/nowait.c). */
    if (on_weft())
        return weft_pread(fd, buf, n, off);
    return plain(wf_sys6(SYS_pread64, fd, A(buf), A(n), off, 0, 0));
}

WP_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (interposed(fd))
        return weft_pwrite(fd, buf, n, off);
    return plain(wf_sys6(SYS_pwrite64, fd, A(buf), A(n), off, 0, 0));
}

/* x86_64: off_t is 64 bits, and the *64 names are the same calls. */
WP_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
    return pread(fd, buf, n, off);
}

WP_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    return pwrite(fd, buf, n, off);
}

WP_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
    if (interposed(fd))
        return weft_readv(fd, iov, cnt);
    return plain(wf_sys3(SYS_readv, fd, A(iov), cnt));
}

WP_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    if (interposed(fd))
        return weft_writev(fd, iov, cnt);
    return plain(wf_sys3(SYS_writev, fd, A(iov), cnt));
}

WP_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    if (interposed(fd))
        return weft_recv(fd, buf, n, flags);
    return plain(wf_sys6(SYS_recvfrom, fd, A(buf), A(n), flags, 0, 0));
}

WP_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    if (on_weft()) {
        long r = wf_sys6(SYS_sendto, fd, A(buf), A(n), flags | MSG_DONTWAIT, 0, 0);
        if (flags & MSG_DONTWAIT)
            return plain(r); /* the program's own non-blocking call */
        return write_rest(fd, buf, n, r, weft_send, flags);
    }
    if (interposed(fd))
        return weft_send(fd, buf, n, flags);
    return plain(wf_sys6(SYS_sendto, fd, A(buf), A(n), flags, 0, 0));
}

WP_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from,
                           socklen_t *fromlen)
{
    if (interposed(fd))
        return weft_recvfrom(fd, buf, n, flags, from, fromlen);
    return plain(wf_sys6(SYS_recvfrom, fd, A(buf), A(n), flags, A(from), A(fromlen)));
}

WP_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
                         socklen_t tolen)
{
    if (interposed(fd))
        return weft_sendto(fd, buf, n, flags, to, tolen);
    return plain(wf_sys6(SYS_sendto, fd, A(buf), A(n), flags, A(to), tolen));
}

WP_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    if (interposed(fd))
        return weft_recvmsg(fd, msg, flags);
    return plain(wf_sys3(SYS_recvmsg, fd, A(msg), flags));
}

WP_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    if (interposed(fd))
        return weft_sendmsg(fd, msg, flags);
    return plain(wf_sys3(SYS_sendmsg, fd, A(msg), flags));
}

WP_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    if (interposed(fd))
        return weft_accept4(fd, addr, len, flags);
    return (int)plain(wf_sys6(SYS_accept4, fd, A(addr), A(len), flags, 0, 0));
}

WP_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    return accept4(fd, addr, len, 0);
}

WP_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (interposed(fd))
        return weft_connect(fd, addr, len);
    return (int)plain(wf_sys3(SYS_connect, fd, A(addr), len));
}

/* close stays the plain system call (it does not wait), but the epoll
 * backend must forget the descriptor: a number reused for a descriptor the
 * program makes non-blocking must not look like one weft made so. */
WP_EXPORT int close(int fd)
{
    if (wp_in_runtime_process())
        wf_io_fd_forget(fd);
    return (int)plain(wf_sys3(SYS_close, fd, 0, 0));
}

WP_EXPORT int poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
    if (on_weft())
        return weft_poll(fds, nfds, timeout_ms);
    return (int)plain(wf_io_sys_poll(fds, nfds, timeout_ms));
}

/* ---- the calls with no descriptor to wait on, or a file's ---- */

/* open and openat take a mode only with these flags. */
static int needs_mode(int flags)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static mode_t mode_arg(int flags, va_list ap)
{
    return needs_mode(flags) ? (mode_t)va_arg(ap, int) : 0;
}

static int open_at(int dirfd, const char *path, int flags, mode_t mode)
{
    if (on_weft())
        return weft_openat(dirfd, path, flags, mode);
    return (int)plain(wf_sys6(SYS_openat, dirfd, A(path), flags, mode, 0, 0));
}

WP_EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return open_at(AT_FDCWD, path, flags, mode);
}

WP_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return open_at(dirfd, path, flags, mode);
}

/* x86_64: O_LARGEFILE is what the 64 names add. */
WP_EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return open_at(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

WP_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return open_at(dirfd, path, flags | O_LARGEFILE, mode);
}

WP_EXPORT int fsync(int fd)
{
    if (on_weft())
        return weft_fsync(fd);
    return (int)plain(wf_sys3(SYS_fsync, fd, 0, 0));
}

WP_EXPORT int fdatasync(int fd)
{
    if (on_weft())
        return weft_fdatasync(fd);
    return (int)plain(wf_sys3(SYS_fdatasync, fd, 0, 0));
}

WP_EXPORT int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *buf)
{
    if (on_weft())
        return weft_statx(dirfd, path, flags, mask, buf);
    return (int)plain(wf_sys6(SYS_statx, dirfd, A(path), flags, mask, A(buf), 0));
}

WP_EXPORT ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
                         unsigned flags)
{
    if (on_weft())
        return weft_splice(in, off_in, out, off_out, len, flags);
    return plain(wf_sys6(SYS_splice, in, A(off_in), out, A(off_out), A(len), flags));
}

WP_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
    if (on_weft())
        return weft_waitpid(pid, status, options);
    return (pid_t)plain(wf_sys6(SYS_wait4, pid, A(status), options, 0, 0, 0));
}

WP_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                          struct addrinfo **res)
{
    if (on_weft())
        return weft_getaddrinfo(node, service, hints, res);
    static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    if (!real)
        *(void **)&real = wf_real_sym("getaddrinfo");
    return real(node, service, hints, res);
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

/* A mode needed but not given: glibc's own entry point reports it and
 * aborts, as in a program without weft. */
#define OPEN_2(self, ...)                                                      \
    if (needs_mode(flags)) {                                                   \
        static __typeof__(&self) real;                                         \
        if (!real)                                                             \
            *(void **)&real = wf_real_sym(#self);                              \
        return real(__VA_ARGS__);                                              \
    }

WP_EXPORT int __open_2(const char *path, int flags)
{
    OPEN_2(__open_2, path, flags)
    return open_at(AT_FDCWD, path, flags, 0);
}

WP_EXPORT int __open64_2(const char *path, int flags)
{
    OPEN_2(__open64_2, path, flags)
    return open_at(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

WP_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    OPEN_2(__openat_2, dirfd, path, flags)
    return open_at(dirfd, path, flags, 0);
}

WP_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
    OPEN_2(__openat64_2, dirfd, path, flags)
    return open_at(dirfd, path, flags | O_LARGEFILE, 0);
}
