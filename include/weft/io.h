/* weft/io.h - the I/O port: blocking system calls that park only the
 * calling weft thread (docs/io.md).
 *
 * Every weft_<call> below behaves like the libc call of the same name:
 * the same arguments, the same return value, errno set the same way,
 * partial transfers and end of file as the kernel reports them. While the
 * call waits, only the calling weft thread waits; its vCPU runs others.
 *
 * Common rules of the calls (each comment says only what differs):
 * - May switch. A bound thread (an adopted host thread such as main) or a
 *   foreign host thread just makes the plain system call: it blocks its
 *   host thread, and the timeout below does not apply to it.
 * - Timeout: weft_io_timeout() sets one for the calling thread (none by
 *   default). A call still waiting when it runs out cancels its operation
 *   and fails with ETIMEDOUT (an operation that completed meanwhile returns
 *   its result instead). weft_io_run() takes a timeout per call.
 * - Cancellation point: weft_cancel of a thread blocked here cancels the
 *   operation in flight, then the thread acts on the cancel as at any
 *   other cancellation point. An operation that had already completed is
 *   returned, and the cancel acts at the next cancellation point.
 * - EINTR: never because of weft (a suspended thread's operation goes on;
 *   an operation interrupted inside the backend is retried). Signals go to
 *   the host threads, not to weft threads.
 * - A descriptor the program made non-blocking (O_NONBLOCK, or MSG_DONTWAIT
 *   in the flags) answers EAGAIN as with libc.
 * - Not async-signal-safe.
 */
#ifndef WEFT_IO_H
#define WEFT_IO_H

#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

struct statx;

/* ---- operations as messages --------------------------------------------- */

/* What an operation does; the fields of weft_io_op_t it reads. */
enum weft_io_code {
    WEFT_IO_NOP = 0,  /* nothing; result 0 */
    WEFT_IO_READ,     /* fd, buf, len */
    WEFT_IO_WRITE,    /* fd, buf, len */
    WEFT_IO_PREAD,    /* fd, buf, len, off */
    WEFT_IO_PWRITE,   /* fd, buf, len, off */
    WEFT_IO_READV,    /* fd, buf = struct iovec *, len = iovcnt */
    WEFT_IO_WRITEV,   /* fd, buf = const struct iovec *, len = iovcnt */
    WEFT_IO_RECV,     /* fd, buf, len, flags (MSG_*) */
    WEFT_IO_SEND,     /* fd, buf, len, flags (MSG_*) */
    WEFT_IO_RECVMSG,  /* fd, buf = struct msghdr *, flags */
    WEFT_IO_SENDMSG,  /* fd, buf = const struct msghdr *, flags */
    WEFT_IO_ACCEPT,   /* fd, buf = struct sockaddr * or NULL, aux = socklen_t *,
                         flags (SOCK_NONBLOCK, SOCK_CLOEXEC) */
    WEFT_IO_CONNECT,  /* fd, buf = const struct sockaddr *, len = its length */
    WEFT_IO_POLL,     /* fd, flags = poll events; result: the revents */
    WEFT_IO_CLOSE,    /* fd */
    WEFT_IO_OPENAT,   /* fd = dirfd, buf = path, flags, mode */
    WEFT_IO_FSYNC,    /* fd, flags = 0 or WEFT_IO_DATASYNC */
    WEFT_IO_STATX,    /* fd = dirfd, buf = path, flags, mode = mask,
                         aux = struct statx * */
    WEFT_IO_SPLICE,   /* fd in, off in (-1: none), fd2 out, off2 out (-1:
                         none), len, flags (SPLICE_F_*) */
    WEFT_IO_CALL,     /* result = fn(aux), on the offload pool */
    WEFT_IO_CODES
};

#define WEFT_IO_DATASYNC 1u /* WEFT_IO_FSYNC: fdatasync */

/* One operation. Fill the fields its code reads (zero the rest), submit
 * it, and do not touch it until it is complete. */
typedef struct weft_io_op {
    int code;             /* enum weft_io_code */
    int fd;
    void *buf;
    uint64_t len;
    int64_t off;
    int flags;
    unsigned mode;
    void *aux;
    int fd2;
    int64_t off2;
    long (*fn)(void *);   /* WEFT_IO_CALL */
    void *user_data;      /* the caller's, untouched */
    /* Out: what the libc call returns (>= 0), or -errno. */
    int64_t result;
    /* weft's bookkeeping while the operation is in flight. */
    uint64_t internal[12];
} weft_io_op_t;

/* Submit n operations. Each runs as soon as the backend can; the calling
 * thread owns them and waits for them with weft_io_wait (only it may).
 * Returns 0, or EINVAL (ops NULL, n < 0, an unknown code, an operation
 * still in flight), before submitting any. Never switches. */
int weft_io_submit(weft_io_op_t *ops, int n);

/* Wait until at least nwait of the n operations (1: any, n: all) are
 * complete, or timeout_ns (relative; 0: no timeout) has passed. Returns
 * how many of the n are complete (fewer than nwait on a timeout; those
 * not complete stay in flight), or -1 with errno EINVAL (bad arguments,
 * nwait > n) or EPERM (an operation submitted by another thread). A
 * cancellation point: a cancel cancels the operations still in flight,
 * waits for them, then ends the thread. -1 with errno EINTR when a signal
 * handler ran while it waited (the operations stay in flight;
 * weft/signal.h). May switch. */
int weft_io_wait(weft_io_op_t *ops, int n, int nwait, uint64_t timeout_ns);

/* 1 if op is complete (its result is set), 0 while in flight. Never
 * switches. */
int weft_io_done(const weft_io_op_t *op);

/* Ask the backend to stop op (the caller's own): it completes with
 * -ECANCELED, or with its own result if it was already finishing. 0, or
 * EINVAL (not in flight), EPERM (not the caller's). Never waits. */
int weft_io_cancel(weft_io_op_t *op);

/* Run one operation synchronously with its own timeout: timeout_ns 0
 * takes the thread's (weft_io_timeout), WEFT_IO_FOREVER none. Returns
 * op->result when >= 0, else -1 with errno set. A cancellation point. */
#define WEFT_IO_FOREVER UINT64_MAX
long weft_io_run(weft_io_op_t *op, uint64_t timeout_ns);

/* The calling thread's timeout for every later weft I/O call, in
 * nanoseconds (0: none); returns the previous one. Per thread, starts at
 * 0 in every new thread. Never switches. */
uint64_t weft_io_timeout(uint64_t ns);

/* The backend chosen at start: "uring" or "epoll" (WEFT_IO=uring|epoll
 * overrides the probe). Starts the runtime. */
const char *weft_io_backend(void);

/* Run fn(arg) on the offload pool (host threads of group 0) and return
 * its result: for library calls that would block a vCPU. Not a
 * cancellation point while fn runs (it cannot be interrupted). */
long weft_io_offload(long (*fn)(void *), void *arg);

/* ---- the calls ----------------------------------------------------------- */
ssize_t weft_read(int fd, void *buf, size_t len);
ssize_t weft_write(int fd, const void *buf, size_t len);
ssize_t weft_pread(int fd, void *buf, size_t len, off_t off);
ssize_t weft_pwrite(int fd, const void *buf, size_t len, off_t off);
ssize_t weft_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t weft_writev(int fd, const struct iovec *iov, int iovcnt);
ssize_t weft_recv(int fd, void *buf, size_t len, int flags);
ssize_t weft_send(int fd, const void *buf, size_t len, int flags);
ssize_t weft_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                      socklen_t *fromlen);
ssize_t weft_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
                    socklen_t tolen);
ssize_t weft_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t weft_sendmsg(int fd, const struct msghdr *msg, int flags);
int weft_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
int weft_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);
int weft_connect(int fd, const struct sockaddr *addr, socklen_t len);
/* timeout_ms as poll's; the thread's I/O timeout, if shorter, applies too
 * (ETIMEDOUT). */
int weft_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms);
int weft_close(int fd);
int weft_open(const char *path, int flags, ...);
int weft_openat(int dirfd, const char *path, int flags, ...);
int weft_fsync(int fd);
int weft_fdatasync(int fd);
int weft_statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *buf);
ssize_t weft_splice(int fd_in, off_t *off_in, int fd_out, off_t *off_out, size_t len,
                    unsigned flags);
/* pid > 0: waits on a pidfd, parking only the caller; pid <= 0 (any
 * child, a process group) runs on the offload pool. */
pid_t weft_waitpid(pid_t pid, int *status, int options);
/* getaddrinfo on the offload pool; returns its EAI_* code. */
int weft_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                     struct addrinfo **res);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
