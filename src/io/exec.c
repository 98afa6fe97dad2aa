/* exec.c - an operation as the plain system call: for bound threads, the
 * offload pool, and the epoll backend's tries on non-blocking descriptors.
 * Returns the call's result, or -errno; errno itself is left as it was
 * (the callers set it once, for the caller's thread). Raw system calls
 * (io/sys.h): libweft-pthread exports these calls under libc's names. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "io/io.h"
#include "io/sys.h"

long wf_io_exec(weft_io_op_t *op)
{
    long r;
    int fd = op->fd;
    size_t len = (size_t)op->len;
    switch (op->code) {
    case WEFT_IO_NOP: r = 0; break;
    case WEFT_IO_READ: r = io_sys_read(fd, op->buf, len); break;
    case WEFT_IO_WRITE: r = io_sys_write(fd, op->buf, len); break;
    case WEFT_IO_PREAD: r = io_sys_pread(fd, op->buf, len, (off_t)op->off); break;
    case WEFT_IO_PWRITE: r = io_sys_pwrite(fd, op->buf, len, (off_t)op->off); break;
    case WEFT_IO_READV: r = io_sys_readv(fd, op->buf, (int)op->len); break;
    case WEFT_IO_WRITEV: r = io_sys_writev(fd, op->buf, (int)op->len); break;
    case WEFT_IO_RECV: r = io_sys_recv(fd, op->buf, len, op->flags); break;
    case WEFT_IO_SEND: r = io_sys_send(fd, op->buf, len, op->flags); break;
    case WEFT_IO_RECVMSG: r = io_sys_recvmsg(fd, op->buf, op->flags); break;
    case WEFT_IO_SENDMSG: r = io_sys_sendmsg(fd, op->buf, op->flags); break;
    case WEFT_IO_ACCEPT: r = io_sys_accept4(fd, op->buf, op->aux, op->flags); break;
    case WEFT_IO_CONNECT: r = io_sys_connect(fd, op->buf, (socklen_t)op->len); break;
    case WEFT_IO_POLL: {
        struct pollfd p = {.fd = fd, .events = (short)op->flags};
        r = io_sys_poll(&p, 1, -1);
        if (r > 0)
            r = p.revents;
        break;
    }
    case WEFT_IO_CLOSE: r = io_sys_close(fd); break;
    case WEFT_IO_OPENAT: r = io_sys_openat(fd, op->buf, op->flags, op->mode); break;
    case WEFT_IO_FSYNC:
        r = io_sys_fsync(fd, op->flags & WEFT_IO_DATASYNC);
        break;
    case WEFT_IO_STATX:
        r = io_sys_statx(fd, op->buf, op->flags, op->mode, op->aux);
        break;
    case WEFT_IO_SPLICE: {
        loff_t in = op->off, out = op->off2;
        r = io_sys_splice(fd, op->off < 0 ? NULL : &in, op->fd2, op->off2 < 0 ? NULL : &out, len,
                          (unsigned)op->flags);
        break;
    }
    case WEFT_IO_CALL: {
        int saved = errno;
        r = op->fn(op->aux);
        errno = saved;
        break;
    }
    default: r = -EINVAL; break;
    }
    return r;
}
