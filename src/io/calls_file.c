/* calls_file.c - open, openat, close, fsync, fdatasync, statx, splice. On
 * io_uring each is one operation; on epoll all but close run on the
 * offload pool (epoll.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "io/call.h"

static int openat_mode(int dirfd, const char *path, int flags, mode_t mode)
{
    weft_io_op_t op;
    wf_io_op_init(&op, WEFT_IO_OPENAT, dirfd);
    op.buf = (void *)path;
    op.flags = flags;
    op.mode = mode;
    return (int)wf_io_ret(wf_io_call(&op));
}

/* The mode argument is there only with O_CREAT or O_TMPFILE (as libc). */
#define MODE_ARG(flags, last, mode)                                            \
    do {                                                                       \
        if ((flags) & (O_CREAT | __O_TMPFILE)) {                               \
            va_list ap;                                                        \
            va_start(ap, last);                                                \
            mode = va_arg(ap, mode_t);                                         \
            va_end(ap);                                                        \
        }                                                                      \
    } while (0)

int weft_open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARG(flags, flags, mode);
    return openat_mode(AT_FDCWD, path, flags, mode);
}

int weft_openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARG(flags, flags, mode);
    return openat_mode(dirfd, path, flags, mode);
}

int weft_close(int fd)
{
    weft_io_op_t op;
    wf_io_op_init(&op, WEFT_IO_CLOSE, fd);
    return (int)wf_io_ret(wf_io_call(&op));
}

static int sync_op(int fd, int flags)
{
    weft_io_op_t op;
    wf_io_op_init(&op, WEFT_IO_FSYNC, fd);
    op.flags = flags;
    return (int)wf_io_ret(wf_io_call(&op));
}

int weft_fsync(int fd)
{
    return sync_op(fd, 0);
}

int weft_fdatasync(int fd)
{
    return sync_op(fd, WEFT_IO_DATASYNC);
}

int weft_statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *buf)
{
    weft_io_op_t op;
    wf_io_op_init(&op, WEFT_IO_STATX, dirfd);
    op.buf = (void *)path;
    op.flags = flags;
    op.mode = mask;
    op.aux = buf;
    return (int)wf_io_ret(wf_io_call(&op));
}

ssize_t weft_splice(int fd_in, off_t *off_in, int fd_out, off_t *off_out, size_t len,
                    unsigned flags)
{
    if ((off_in && *off_in < 0) || (off_out && *off_out < 0))
        return wf_io_ret(-EINVAL); /* -1 means "no offset" to the operation */
    weft_io_op_t op;
    wf_io_op_init(&op, WEFT_IO_SPLICE, fd_in);
    op.off = off_in ? *off_in : -1;
    op.fd2 = fd_out;
    op.off2 = off_out ? *off_out : -1;
    op.len = len;
    op.flags = (int)flags;
    long r = wf_io_call(&op);
    if (r > 0) { /* splice(2) moves the offsets it was given */
        if (off_in)
            *off_in += r;
        if (off_out)
            *off_out += r;
    }
    return wf_io_ret(r);
}
