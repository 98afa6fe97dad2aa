/* sys.h - the port's plain system calls, made directly (host/sys.h):
 * libweft-pthread exports read, write, poll, close and the other calls
 * under libc's names (posix/io.c), so a call through libc's name from
 * inside the runtime would come back to the port. Each returns the
 * kernel's result: >= 0, or -errno; errno is not touched. */
#ifndef WF_IO_SYS_H
#define WF_IO_SYS_H

#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "host/sys.h"

#define IO_SYS(n, a, b, c, d, e, f)                                            \
    wf_sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

static inline long io_sys_read(int fd, void *buf, size_t len)
{
    return IO_SYS(SYS_read, fd, buf, len, 0, 0, 0);
}

static inline long io_sys_write(int fd, const void *buf, size_t len)
{
    return IO_SYS(SYS_write, fd, buf, len, 0, 0, 0);
}

static inline long io_sys_pread(int fd, void *buf, size_t len, off_t off)
{
    return IO_SYS(SYS_pread64, fd, buf, len, off, 0, 0);
}

static inline long io_sys_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    return IO_SYS(SYS_pwrite64, fd, buf, len, off, 0, 0);
}

static inline long io_sys_readv(int fd, const struct iovec *iov, int cnt)
{
    return IO_SYS(SYS_readv, fd, iov, cnt, 0, 0, 0);
}

static inline long io_sys_writev(int fd, const struct iovec *iov, int cnt)
{
    return IO_SYS(SYS_writev, fd, iov, cnt, 0, 0, 0);
}

static inline long io_sys_recv(int fd, void *buf, size_t len, int flags)
{
    return IO_SYS(SYS_recvfrom, fd, buf, len, flags, 0, 0);
}

static inline long io_sys_send(int fd, const void *buf, size_t len, int flags)
{
    return IO_SYS(SYS_sendto, fd, buf, len, flags, 0, 0);
}

static inline long io_sys_recvmsg(int fd, struct msghdr *msg, int flags)
{
    return IO_SYS(SYS_recvmsg, fd, msg, flags, 0, 0, 0);
}

static inline long io_sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    return IO_SYS(SYS_sendmsg, fd, msg, flags, 0, 0, 0);
}

static inline long io_sys_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    return IO_SYS(SYS_accept4, fd, addr, len, flags, 0, 0);
}

static inline long io_sys_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    return IO_SYS(SYS_connect, fd, addr, len, 0, 0, 0);
}

static inline long io_sys_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    return IO_SYS(SYS_poll, fds, n, timeout_ms, 0, 0, 0);
}

static inline long io_sys_close(int fd)
{
    return IO_SYS(SYS_close, fd, 0, 0, 0, 0, 0);
}

static inline long io_sys_openat(int dirfd, const char *path, int flags, unsigned mode)
{
    return IO_SYS(SYS_openat, dirfd, path, flags, mode, 0, 0);
}

static inline long io_sys_fsync(int fd, int datasync)
{
    return IO_SYS(datasync ? SYS_fdatasync : SYS_fsync, fd, 0, 0, 0, 0, 0);
}

static inline long io_sys_statx(int dirfd, const char *path, int flags, unsigned mask, void *buf)
{
    return IO_SYS(SYS_statx, dirfd, path, flags, mask, buf, 0);
}

static inline long io_sys_splice(int in, loff_t *off_in, int out, loff_t *off_out,
                                 size_t len, unsigned flags)
{
    return IO_SYS(SYS_splice, in, off_in, out, off_out, len, flags);
}

static inline long io_sys_waitpid(pid_t pid, int *status, int options)
{
    return IO_SYS(SYS_wait4, pid, status, options, 0, 0, 0);
}

#endif
