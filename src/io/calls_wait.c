/* calls_wait.c - poll, waitpid, getaddrinfo and weft_io_offload: the
 * calls that wait for something other than one transfer. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/host.h"
#include "host/sys.h"
#include "io/call.h"

#define POLL_STACK_OPS 16

long weft_io_offload(long (*fn)(void *), void *arg)
{
    if (!fn)
        return wf_io_ret(-EINVAL);
    if (!wf_io_on_vcpu())
        return fn(arg);
    weft_io_op_t op;
    wf_io_op_init(&op, WEFT_IO_CALL, -1);
    op.fn = fn;
    op.aux = arg;
    return wf_io_sync(&op, 0);
}

/* The earlier of two deadlines, 0 meaning none. */
static uint64_t earlier(uint64_t a, uint64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

/* Wait (parked) until one of the descriptors is ready or the deadline;
 * the caller then asks poll(2) itself, so revents are exactly the
 * kernel's. One WEFT_IO_POLL operation per descriptor. */
static int wait_any(struct pollfd *fds, nfds_t nfds, uint64_t deadline)
{
    int rc = 0;
    weft_io_op_t stack_ops[POLL_STACK_OPS], *ops = stack_ops;
    int m = 0;
    for (nfds_t i = 0; i < nfds; i++)
        m += fds[i].fd >= 0;
    uint64_t now = wf_host_now();
    if (m == 0) { /* nothing to wait for: poll sleeps */
        return weft_sleep(deadline ? (deadline > now ? deadline - now : 0) : UINT64_MAX / 2);
    }
    if (m > POLL_STACK_OPS && !(ops = malloc(sizeof *ops * (size_t)m))) {
        return weft_sleep(1000000); /* no memory: look again in 1 ms */
    }
    weft_cleanup_push(ops == stack_ops ? NULL : free, ops);
    for (nfds_t i = 0, k = 0; i < nfds; i++)
        if (fds[i].fd >= 0) {
            wf_io_op_init(&ops[k], WEFT_IO_POLL, fds[i].fd);
            ops[k++].flags = fds[i].events | POLLERR | POLLHUP;
        }
    weft_io_submit(ops, m);
    if (weft_io_wait(ops, m, 1, deadline ? (deadline > now ? deadline - now : 1) : 0) < 0 &&
        errno == EINTR)
        rc = EINTR; /* a signal handler ran: poll fails with EINTR */
    wf_io_cancel_drain(ops, m);
    weft_cleanup_pop(ops != stack_ops);
    return rc;
}

int weft_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
    if (!wf_io_on_vcpu() || !wf_io_be)
        return (int)wf_io_ret(wf_io_sys_poll(fds, nfds, timeout_ms));
    uint64_t io_deadline = wf_io_deadline();
    uint64_t user_deadline =
        timeout_ms < 0 ? 0 : wf_host_now() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        weft_testcancel();
        long r = wf_io_sys_poll(fds, nfds, 0);
        if (r != 0 || timeout_ms == 0)
            return (int)wf_io_ret(r);
        uint64_t now = wf_host_now();
        if (user_deadline && now >= user_deadline)
            return 0;
        if (io_deadline && now >= io_deadline)
            return (int)wf_io_ret(-ETIMEDOUT);
        if (wait_any(fds, nfds, earlier(user_deadline, io_deadline)) == EINTR)
            return (int)wf_io_ret(-EINTR);
    }
}

/* waitpid as the raw system call: libweft-pthread exports waitpid itself,
 * and would send a call by that name back here. */
static pid_t sys_waitpid(pid_t pid, int *status, int options)
{
    return (pid_t)wf_io_ret(wf_sys6(SYS_wait4, pid, (long)status, options, 0, 0, 0));
}

struct waitpid_args {
    pid_t pid;
    int *status;
    int options;
};

static long waitpid_fn(void *arg)
{
    struct waitpid_args *a = arg;
    pid_t r = sys_waitpid(a->pid, a->status, a->options);
    return r < 0 ? -errno : r;
}

static void close_fd(void *arg)
{
    wf_sys3(SYS_close, (long)(intptr_t)arg, 0, 0); /* raw: errno untouched */
}

pid_t weft_waitpid(pid_t pid, int *status, int options)
{
    if (!wf_io_on_vcpu() || !wf_io_be || (options & WNOHANG))
        return sys_waitpid(pid, status, options);
    struct waitpid_args a = {pid, status, options};
    int pfd = pid > 0 ? (int)wf_sys3(SYS_pidfd_open, pid, 0, 0) : -1;
    if (pfd < 0) {
        /* Any child, a group, or no pidfd: the pool waits for it. */
        return (pid_t)wf_io_ret(weft_io_offload(waitpid_fn, &a));
    }
    uint64_t deadline = wf_io_deadline();
    pid_t ret;
    weft_cleanup_push(close_fd, (void *)(intptr_t)pfd);
    for (;;) {
        ret = sys_waitpid(pid, status, options | WNOHANG);
        if (ret != 0)
            break; /* reaped, or an error (errno set by waitpid) */
        weft_io_op_t op; /* readable once the process has exited */
        wf_io_op_init(&op, WEFT_IO_POLL, pfd);
        op.flags = POLLIN;
        long r = wf_io_sync(&op, deadline);
        if (r < 0) {
            ret = (pid_t)wf_io_ret(r);
            break;
        }
    }
    weft_cleanup_pop(1);
    return ret;
}

struct gai_args {
    const char *node, *service;
    const struct addrinfo *hints;
    struct addrinfo **res;
};

static long gai_fn(void *arg)
{
    struct gai_args *a = arg;
    return getaddrinfo(a->node, a->service, a->hints, a->res);
}

int weft_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                     struct addrinfo **res)
{
    struct gai_args a = {node, service, hints, res};
    return (int)weft_io_offload(gai_fn, &a);
}
