/* calls_rw.c - read, write, pread, pwrite, readv, writev.
 *
 * Partial writes: a blocking write to a pipe or stream socket transfers
 * everything before it returns (unless a signal interrupts it); the
 * backends transfer what fits and complete. So a short write is continued
 * until all is written, the call fails (then the bytes written so far are
 * returned, as the kernel does), the descriptor turns out non-blocking
 * (EAGAIN: the count so far), or the timeout runs out (the count so far,
 * or ETIMEDOUT if none). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "io/call.h"

static long rw(int code, int fd, void *buf, size_t len, int64_t off, int flags, uint64_t deadline)
{
    weft_io_op_t op;
    wf_io_op_init(&op, code, fd);
    op.buf = buf;
    op.len = len;
    op.off = off;
    op.flags = flags;
    return wf_io_sync(&op, deadline);
}

ssize_t wf_io_write_all(int code, int fd, const void *buf, size_t len, int flags)
{
    uint64_t deadline = wf_io_deadline();
    size_t done = 0;
    for (;;) {
        long r = rw(code, fd, (char *)buf + done, len - done, 0, flags, deadline);
        if (r < 0)
            return done ? (ssize_t)done : wf_io_ret(r);
        done += (size_t)r;
        /* A bound thread made the plain call: its result is libc's. */
        if (done >= len || r == 0 || !wf_io_on_vcpu())
            return (ssize_t)done;
    }
}

ssize_t weft_read(int fd, void *buf, size_t len)
{
    return wf_io_ret(rw(WEFT_IO_READ, fd, buf, len, 0, 0, wf_io_deadline()));
}

ssize_t weft_write(int fd, const void *buf, size_t len)
{
    return wf_io_write_all(WEFT_IO_WRITE, fd, buf, len, 0);
}

ssize_t weft_pread(int fd, void *buf, size_t len, off_t off)
{
    if (off < 0) /* io_uring would take -1 for "the file position" */
        return wf_io_ret(-EINVAL);
    return wf_io_ret(rw(WEFT_IO_PREAD, fd, buf, len, off, 0, wf_io_deadline()));
}

ssize_t weft_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    if (off < 0)
        return wf_io_ret(-EINVAL);
    return wf_io_ret(rw(WEFT_IO_PWRITE, fd, (void *)buf, len, off, 0, wf_io_deadline()));
}

ssize_t weft_readv(int fd, const struct iovec *iov, int iovcnt)
{
    return wf_io_ret(rw(WEFT_IO_READV, fd, (void *)iov, (size_t)iovcnt, 0, 0, wf_io_deadline()));
}

/* Skip n bytes of iov[0..*cnt), in place. */
static struct iovec *advance(struct iovec *iov, int *cnt, size_t n)
{
    while (*cnt > 0 && n >= iov->iov_len) {
        n -= iov->iov_len;
        iov++;
        --*cnt;
    }
    if (*cnt > 0) {
        iov->iov_base = (char *)iov->iov_base + n;
        iov->iov_len -= n;
    }
    return iov;
}

ssize_t weft_writev(int fd, const struct iovec *iov, int iovcnt)
{
    uint64_t deadline = wf_io_deadline();
    long r = rw(WEFT_IO_WRITEV, fd, (void *)iov, (size_t)iovcnt, 0, 0, deadline);
    if (r < 0 || !wf_io_on_vcpu() || iovcnt <= 0 || iovcnt > IOV_MAX)
        return wf_io_ret(r);
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    if ((size_t)r >= total || r == 0)
        return r;
    /* Short: go on with a copy of the rest (the caller's array is const). */
    struct iovec *copy = malloc(sizeof *copy * (size_t)iovcnt);
    if (!copy)
        return r;
    for (int i = 0; i < iovcnt; i++)
        copy[i] = iov[i];
    size_t done = (size_t)r;
    int cnt = iovcnt;
    struct iovec *rest = advance(copy, &cnt, done);
    weft_cleanup_push(free, copy);
    while (done < total) {
        long n = rw(WEFT_IO_WRITEV, fd, rest, (size_t)cnt, 0, 0, deadline);
        if (n <= 0)
            break;
        done += (size_t)n;
        rest = advance(rest, &cnt, (size_t)n);
    }
    weft_cleanup_pop(1);
    return (ssize_t)done;
}
