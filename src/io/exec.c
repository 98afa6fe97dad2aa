/* exec.c - an operation as the plain system call: for bound threads, the
 * offload pool, and the epoll backend's tries on non-blocking descriptors.
 * Returns the call's result, or -errno; errno itself is left as it was
 * (the callers set it once, for the caller's thread). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "host/sys.h"
#include "io/io.h"

/* Raw system calls (host/sys.h), never libc's wrappers: libweft-pthread
 * exports read, write, poll, ... under libc's names (src/posix/io.c), and
 * a call to those names from inside the library would come back to weft. */
#define SYS(n, a, b, c) wf_sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS6(n, a, b, c, d, e, f)                                              \
    wf_sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

long wf_io_exec(weft_io_op_t *op)
{
    long r;
    int fd = op->fd;
    size_t len = (size_t)op->len;
    switch (op->code) {
    case WEFT_IO_NOP: r = 0; break;
    case WEFT_IO_READ: r = SYS(SYS_read, fd, op->buf, len); break;
    case WEFT_IO_WRITE: r = SYS(SYS_write, fd, op->buf, len); break;
    case WEFT_IO_PREAD: r = SYS6(SYS_pread64, fd, op->buf, len, op->off, 0, 0); break;
    case WEFT_IO_PWRITE: r = SYS6(SYS_pwrite64, fd, op->buf, len, op->off, 0, 0); break;
    case WEFT_IO_READV: r = SYS(SYS_readv, fd, op->buf, op->len); break;
    case WEFT_IO_WRITEV: r = SYS(SYS_writev, fd, op->buf, op->len); break;
    case WEFT_IO_RECV: r = SYS6(SYS_recvfrom, fd, op->buf, len, op->flags, 0, 0); break;
    case WEFT_IO_SEND: r = SYS6(SYS_sendto, fd, op->buf, len, op->flags, 0, 0); break;
    case WEFT_IO_RECVMSG: r = SYS(SYS_recvmsg, fd, op->buf, op->flags); break;
    case WEFT_IO_SENDMSG: r = SYS(SYS_sendmsg, fd, op->buf, op->flags); break;
    case WEFT_IO_ACCEPT: r = SYS6(SYS_accept4, fd, op->buf, op->aux, op->flags, 0, 0); break;
    case WEFT_IO_CONNECT: r = SYS(SYS_connect, fd, op->buf, op->len); break;
    case WEFT_IO_POLL: {
        struct pollfd p = {.fd = fd, .events = (short)op->flags};
        r = wf_io_sys_poll(&p, 1, -1);
        if (r > 0)
            r = p.revents;
        break;
    }
    case WEFT_IO_CLOSE: r = SYS(SYS_close, fd, 0, 0); break;
    case WEFT_IO_OPENAT: r = SYS6(SYS_openat, fd, op->buf, op->flags, op->mode, 0, 0); break;
    case WEFT_IO_FSYNC:
        r = SYS((op->flags & WEFT_IO_DATASYNC) ? SYS_fdatasync : SYS_fsync, fd, 0, 0);
        break;
    case WEFT_IO_STATX:
        r = SYS6(SYS_statx, fd, op->buf, op->flags, op->mode, op->aux, 0);
        break;
    case WEFT_IO_SPLICE: {
        loff_t in = op->off, out = op->off2;
        r = SYS6(SYS_splice, fd, op->off < 0 ? NULL : &in, op->fd2, op->off2 < 0 ? NULL : &out,
                 len, op->flags);
        break;
    }
    case WEFT_IO_CALL: {
        int saved = errno; /* fn runs on whichever host thread: keep errno */
        r = op->fn(op->aux);
        errno = saved;
        break;
    }
    default: r = -EINVAL; break;
    }
    return r;
}

long wf_io_sys_poll(struct pollfd *fds, unsigned long nfds, int timeout_ms)
{
    struct timespec ts, *tp = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000;
        tp = &ts;
    }
    return SYS6(SYS_ppoll, fds, nfds, tp, 0, 8, 0);
}
