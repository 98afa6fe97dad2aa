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

#include "io/io.h"

static long res(long r)
{
    return r < 0 ? -errno : r;
}

long wf_io_exec(weft_io_op_t *op)
{
    int saved = errno;
    long r;
    int fd = op->fd;
    size_t len = (size_t)op->len;
    switch (op->code) {
    case WEFT_IO_NOP: r = 0; break;
    case WEFT_IO_READ: r = res(read(fd, op->buf, len)); break;
    case WEFT_IO_WRITE: r = res(write(fd, op->buf, len)); break;
    case WEFT_IO_PREAD: r = res(pread(fd, op->buf, len, (off_t)op->off)); break;
    case WEFT_IO_PWRITE: r = res(pwrite(fd, op->buf, len, (off_t)op->off)); break;
    case WEFT_IO_READV: r = res(readv(fd, op->buf, (int)op->len)); break;
    case WEFT_IO_WRITEV: r = res(writev(fd, op->buf, (int)op->len)); break;
    case WEFT_IO_RECV: r = res(recv(fd, op->buf, len, op->flags)); break;
    case WEFT_IO_SEND: r = res(send(fd, op->buf, len, op->flags)); break;
    case WEFT_IO_RECVMSG: r = res(recvmsg(fd, op->buf, op->flags)); break;
    case WEFT_IO_SENDMSG: r = res(sendmsg(fd, op->buf, op->flags)); break;
    case WEFT_IO_ACCEPT: r = res(accept4(fd, op->buf, op->aux, op->flags)); break;
    case WEFT_IO_CONNECT: r = res(connect(fd, op->buf, (socklen_t)op->len)); break;
    case WEFT_IO_POLL: {
        struct pollfd p = {.fd = fd, .events = (short)op->flags};
        r = res(poll(&p, 1, -1));
        if (r > 0)
            r = p.revents;
        break;
    }
    case WEFT_IO_CLOSE: r = res(close(fd)); break;
    case WEFT_IO_OPENAT: r = res(openat(fd, op->buf, op->flags, (mode_t)op->mode)); break;
    case WEFT_IO_FSYNC:
        r = res((op->flags & WEFT_IO_DATASYNC) ? fdatasync(fd) : fsync(fd));
        break;
    case WEFT_IO_STATX:
        r = res(statx(fd, op->buf, op->flags, op->mode, op->aux));
        break;
    case WEFT_IO_SPLICE: {
        loff_t in = op->off, out = op->off2;
        r = res(splice(fd, op->off < 0 ? NULL : &in, op->fd2, op->off2 < 0 ? NULL : &out, len,
                       (unsigned)op->flags));
        break;
    }
    case WEFT_IO_CALL: r = op->fn(op->aux); break;
    default: r = -EINVAL; break;
    }
    errno = saved;
    return r;
}
