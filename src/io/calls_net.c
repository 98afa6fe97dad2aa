/* calls_net.c - the socket calls. recvfrom and sendto are recvmsg and
 * sendmsg operations with the address in the message (io_uring has no
 * recvfrom); send and sendto without an address continue a short
 * transfer as write does (calls_rw.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "io/call.h"

static long msg_op(int code, int fd, const struct msghdr *msg, int flags)
{
    weft_io_op_t op;
    wf_io_op_init(&op, code, fd);
    op.buf = (void *)msg;
    op.flags = flags;
    return wf_io_call(&op);
}

ssize_t weft_recv(int fd, void *buf, size_t len, int flags)
{
    weft_io_op_t op;
    wf_io_op_init(&op, WEFT_IO_RECV, fd);
    op.buf = buf;
    op.len = len;
    op.flags = flags;
    return wf_io_ret(wf_io_call(&op));
}

ssize_t weft_send(int fd, const void *buf, size_t len, int flags)
{
    return wf_io_write_all(WEFT_IO_SEND, fd, buf, len, flags);
}

ssize_t weft_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                      socklen_t *fromlen)
{
    if (from && !fromlen)
        return wf_io_ret(-EFAULT);
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (from) {
        msg.msg_name = from;
        msg.msg_namelen = *fromlen;
    }
    long r = msg_op(WEFT_IO_RECVMSG, fd, &msg, flags);
    if (r >= 0 && from)
        *fromlen = msg.msg_namelen;
    return wf_io_ret(r);
}

ssize_t weft_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
                    socklen_t tolen)
{
    if (!to)
        return wf_io_write_all(WEFT_IO_SEND, fd, buf, len, flags);
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_name = (void *)to;
    msg.msg_namelen = tolen;
    return wf_io_ret(msg_op(WEFT_IO_SENDMSG, fd, &msg, flags));
}

ssize_t weft_recvmsg(int fd, struct msghdr *msg, int flags)
{
    return wf_io_ret(msg_op(WEFT_IO_RECVMSG, fd, msg, flags));
}

ssize_t weft_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    return wf_io_ret(msg_op(WEFT_IO_SENDMSG, fd, msg, flags));
}

int weft_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
    weft_io_op_t op;
    wf_io_op_init(&op, WEFT_IO_ACCEPT, fd);
    op.buf = addr;
    op.aux = addrlen;
    op.flags = flags;
    return (int)wf_io_ret(wf_io_call(&op));
}

int weft_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    return weft_accept4(fd, addr, addrlen, 0);
}

int weft_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    weft_io_op_t op;
    wf_io_op_init(&op, WEFT_IO_CONNECT, fd);
    op.buf = (void *)addr;
    op.len = len;
    return (int)wf_io_ret(wf_io_call(&op));
}
