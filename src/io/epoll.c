/* epoll.c - the epoll backend: readiness, for where io_uring is missing or
 * forbidden (containers often forbid it) or WEFT_IO=epoll.
 *
 * An operation on a descriptor is tried at once as a non-blocking call;
 * on EAGAIN it joins the descriptor's waiter list (fdtab.h) and the
 * descriptor is armed in one epoll set shared by all vCPUs (EPOLLONESHOT,
 * level-triggered, for the union of what its waiters want: re-arming
 * reports a descriptor that became ready meanwhile, so no readiness is
 * lost). Whoever sees the event (an idle vCPU, the timer daemon) takes the
 * matching waiters off the list and tries their calls again: done, they
 * complete; EAGAIN, they wait again.
 *
 * Blocking descriptors: the first weft call on one makes it O_NONBLOCK
 * and remembers that it did (weft_nb), so the calls keep their blocking
 * meaning. A descriptor the program made non-blocking itself (O_NONBLOCK
 * set, weft_nb clear), or a call with MSG_DONTWAIT, gets EAGAIN as from
 * libc. Each call checks the flags (F_GETFL), so a descriptor closed
 * with plain close() and its number reused is seen afresh. Regular
 * files, block devices and directories do not wait for readiness: their
 * calls, and open, statx, fsync and splice, go to the offload pool; so do
 * blocking calls on descriptors 0, 1 and 2, which weft never makes
 * non-blocking (they are shared with the shell).
 *
 * Idle vCPUs: each has its own epoll set holding its eventfd (the kick)
 * and the shared set (nested epoll: the shared set is readable while it
 * has events). A cancel takes the operation off its waiter list; one
 * that is being tried right now sees its cancel flag when it would wait
 * again. weft_close (WEFT_IO_CLOSE) wakes the descriptor's waiters with
 * EBADF and removes it from the set before closing it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/host.h"
#include "host/sys.h"
#include "io/fdtab.h"
#include "io/io.h"

#define EV_KICK 1u
#define EV_SHARED 2u
#define DISPATCH_BATCH 64
#define EV_MASK (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | EPOLLRDNORM | EPOLLRDBAND | \
                 EPOLLWRNORM | EPOLLWRBAND)

struct vstate {
    int epfd;              /* this vCPU's set: evfd and the shared set */
    int evfd;              /* written by kick */
    atomic_int in_wait;    /* sleeping in epoll_pwait2: seq_cst against
                              vcpu->parked (port.c) */
    unsigned parks;        /* threads parked here (before_park); v only */
} __attribute__((aligned(64)));

static int shared_epfd;
static struct vstate *vs;
static atomic_int nwaiting;           /* operations on waiter lists */
static wf_spinlock_t dispatch_lock;   /* one reader of the shared set at a time */

enum { K_POLLABLE, K_USER_NB, K_FILE };

/* What kind of descriptor fd is now; -errno if none (EBADF). */
static int fd_kind(int fd, struct wf_fdent *e, int checked)
{
    /* The drop-in just read the flags: clear, or set by weft (weft_nb). */
    if (checked && atomic_load_explicit(&e->weft_nb, memory_order_relaxed))
        return K_POLLABLE;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -errno;
    if (fl & O_NONBLOCK) {
        wf_spin_lock(&e->lock);
        int ours = atomic_load_explicit(&e->weft_nb, memory_order_relaxed);
        wf_spin_unlock(&e->lock);
        return ours ? K_POLLABLE : K_USER_NB;
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    /* Standard input, output and error are shared with the shell and the
     * processes around: never made O_NONBLOCK (a terminal left so breaks
     * the shell), their blocking calls run on the pool instead. */
    if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) || S_ISDIR(st.st_mode) || fd <= 2)
        return K_FILE;
    if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    wf_spin_lock(&e->lock);
    atomic_store_explicit(&e->weft_nb, 1, memory_order_relaxed);
    wf_spin_unlock(&e->lock);
    return K_POLLABLE;
}

static uint32_t events_for(const weft_io_op_t *op)
{
    switch (op->code) {
    case WEFT_IO_READ: case WEFT_IO_PREAD: case WEFT_IO_READV: case WEFT_IO_RECV:
    case WEFT_IO_RECVMSG: case WEFT_IO_ACCEPT:
        return EPOLLIN;
    case WEFT_IO_POLL:
        return (uint32_t)op->flags & EV_MASK;
    default:
        return EPOLLOUT;
    }
}

/* One non-blocking try: the result, or -EAGAIN to wait for readiness. */
static long attempt(weft_io_op_t *op)
{
    struct wf_io_priv *p = wf_io_priv(op);
    if (op->code == WEFT_IO_POLL) {
        struct pollfd pf = {.fd = op->fd, .events = (short)op->flags};
        long n = wf_io_sys_poll(&pf, 1, 0);
        return n < 0 ? n : n == 0 ? -EAGAIN : pf.revents;
    }
    if (op->code == WEFT_IO_CONNECT && p->stage) {
        int err = 0;
        socklen_t l = sizeof err;
        if (getsockopt(op->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
            return -errno;
        return -err;
    }
    long r = wf_io_exec(op);
    if (op->code == WEFT_IO_CONNECT && r == -EINPROGRESS) {
        p->stage = 1; /* connecting: writable when done */
        return -EAGAIN;
    }
    return r;
}

/* Precondition: e->lock held. Arm fd for what its waiters want. */
static int arm(struct wf_fdent *e, int fd)
{
    uint32_t want = 0;
    for (weft_io_op_t *w = e->waiters; w; w = wf_io_priv(w)->next)
        want |= wf_io_priv(w)->events;
    struct epoll_event ev = {.events = want | EPOLLONESHOT, .data.fd = fd};
    int how = e->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(shared_epfd, how, fd, &ev) < 0) {
        /* Our idea was stale (a plain close dropped it, or a dup kept it). */
        how = errno == ENOENT ? EPOLL_CTL_ADD : errno == EEXIST ? EPOLL_CTL_MOD : -1;
        if (how < 0 || epoll_ctl(shared_epfd, how, fd, &ev) < 0)
            return -errno;
    }
    e->armed = 1;
    return 0;
}

static void unlink_waiter(struct wf_fdent *e, weft_io_op_t *op)
{
    for (weft_io_op_t **pp = &e->waiters; *pp; pp = &wf_io_priv(*pp)->next)
        if (*pp == op) {
            *pp = wf_io_priv(op)->next;
            return;
        }
}

/* op got EAGAIN: wait on its descriptor (or complete, if cancelled). */
static void park(weft_io_op_t *op)
{
    struct wf_io_priv *p = wf_io_priv(op);
    struct wf_fdent *e = wf_fdent(op->fd);
    p->events = events_for(op);
    wf_spin_lock(&e->lock);
    if (p->cancel) {
        wf_spin_unlock(&e->lock);
        wf_io_complete(op, -ECANCELED);
        return;
    }
    p->next = e->waiters;
    e->waiters = op;
    int rc = arm(e, op->fd);
    if (rc < 0)
        unlink_waiter(e, op);
    else
        atomic_fetch_add(&nwaiting, 1);
    wf_spin_unlock(&e->lock);
    if (rc < 0)
        wf_io_complete(op, rc);
}

static void try_or_park(weft_io_op_t *op)
{
    long r = attempt(op);
    if (r == -EAGAIN)
        park(op);
    else
        wf_io_complete(op, r);
}

static void offload(struct wf_vcpu *v, weft_io_op_t *op)
{
    wf_io_priv(op)->offloaded = 1;
    wf_io_count(&v->noffloads);
    wf_io_offload_submit(op);
}

void wf_io_fd_forget(int fd)
{
    wf_io_nowait_forget(fd);
    if (wf_io_be != &wf_io_epoll)
        return;
    struct wf_fdent *e = wf_fdent_peek(fd);
    weft_io_op_t *gone = NULL;
    if (e) {
        wf_spin_lock(&e->lock);
        gone = e->waiters;
        e->waiters = NULL;
        if (e->armed)
            epoll_ctl(shared_epfd, EPOLL_CTL_DEL, fd, NULL);
        e->armed = 0;
        atomic_store_explicit(&e->weft_nb, 0, memory_order_relaxed);
        wf_spin_unlock(&e->lock);
    }
    while (gone) {
        weft_io_op_t *next = wf_io_priv(gone)->next;
        atomic_fetch_sub(&nwaiting, 1);
        wf_io_complete(gone, -EBADF);
        gone = next;
    }
}

static void do_close(weft_io_op_t *op)
{
    wf_io_fd_forget(op->fd);
    wf_io_complete(op, wf_io_exec(op));
}

static void submit(struct wf_vcpu *v, weft_io_op_t *op)
{
    int saved = errno;
    switch (op->code) {
    case WEFT_IO_OPENAT: case WEFT_IO_STATX: case WEFT_IO_FSYNC: case WEFT_IO_SPLICE:
        offload(v, op);
        break;
    case WEFT_IO_CLOSE:
        do_close(op);
        break;
    case WEFT_IO_NOP:
        wf_io_complete(op, 0);
        break;
    case WEFT_IO_POLL:
        if (!wf_fdent(op->fd)) /* poll(2) would ignore it; one operation cannot */
            wf_io_complete(op, -EBADF);
        else
            try_or_park(op);
        break;
    default: {
        int dontwait = (op->code == WEFT_IO_RECV || op->code == WEFT_IO_SEND ||
                        op->code == WEFT_IO_RECVMSG || op->code == WEFT_IO_SENDMSG) &&
                       (op->flags & MSG_DONTWAIT);
        struct wf_fdent *e = wf_fdent(op->fd);
        if (dontwait || !e) { /* the caller's non-blocking call; or fd < 0 */
            if (e || op->fd < 0)
                wf_io_complete(op, wf_io_exec(op));
            else
                offload(v, op); /* beyond the table: may block */
            break;
        }
        int k = fd_kind(op->fd, e, wf_io_priv(op)->fd_checked == WF_IO_BLOCKING);
        if (k < 0)
            wf_io_complete(op, k);
        else if (k == K_FILE)
            offload(v, op);
        else if (k == K_USER_NB)
            wf_io_complete(op, wf_io_exec(op));
        else
            try_or_park(op);
        break;
    }
    }
    errno = saved;
}

/* Read the shared set's events and move their waiters on. */
static void dispatch(void)
{
    struct epoll_event evs[DISPATCH_BATCH];
    if (!wf_io_trylock(&dispatch_lock))
        return; /* another reader has them */
    int n = epoll_wait(shared_epfd, evs, DISPATCH_BATCH, 0);
    wf_spin_unlock(&dispatch_lock);
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        uint32_t got = evs[i].events;
        struct wf_fdent *e = wf_fdent(fd);
        weft_io_op_t *ready = NULL;
        wf_spin_lock(&e->lock);
        for (weft_io_op_t **pp = &e->waiters; *pp;) {
            weft_io_op_t *w = *pp;
            struct wf_io_priv *p = wf_io_priv(w);
            if (got & (p->events | EPOLLERR | EPOLLHUP)) {
                *pp = p->next;
                p->next = ready;
                ready = w;
            } else {
                pp = &p->next;
            }
        }
        if (e->waiters)
            arm(e, fd); /* the others wait on (ONESHOT disarmed it) */
        wf_spin_unlock(&e->lock);
        while (ready) {
            weft_io_op_t *next = wf_io_priv(ready)->next;
            atomic_fetch_sub(&nwaiting, 1);
            try_or_park(ready);
            ready = next;
        }
    }
}

static void flush(struct wf_vcpu *v)
{
    (void)v; /* every call went to the kernel when it was submitted */
}

static void reap(struct wf_vcpu *v)
{
    (void)v;
    if (atomic_load_explicit(&nwaiting, memory_order_relaxed))
        dispatch();
}

/* Batching, as on io_uring: while other threads wait to run on v, a
 * thread that parks leaves the shared set for later (one epoll_wait then
 * delivers more): when v runs out of threads (its idle loop dispatches),
 * at every PARK_BATCH-th park, or at the timer daemon's next tick. One
 * epoll_wait per request cost as much as the request's read. */
#define PARK_BATCH 32

static void before_park(struct wf_vcpu *v)
{
    struct vstate *s = &vs[v->index];
    if (wf_rq_nr(&v->rq) == 0 || ++s->parks % PARK_BATCH == 0)
        reap(v);
}

static void cancel(weft_io_op_t *op)
{
    struct wf_fdent *e = wf_fdent(op->fd);
    if (!e)
        return; /* completed at submission */
    int found = 0;
    wf_spin_lock(&e->lock);
    for (weft_io_op_t *w = e->waiters; w; w = wf_io_priv(w)->next)
        found |= w == op;
    if (found)
        unlink_waiter(e, op);
    else
        wf_io_priv(op)->cancel = 1; /* being tried now: it will not wait again */
    wf_spin_unlock(&e->lock);
    if (found) {
        atomic_fetch_sub(&nwaiting, 1);
        wf_io_complete(op, -ECANCELED);
    }
}

static atomic_int no_pwait2; /* epoll_pwait2 answered ENOSYS once */

static uint64_t rel_ns(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static int idle_wait(struct wf_vcpu *v, uint64_t deadline)
{
    struct vstate *s = &vs[v->index];
    int rc = 0;
    atomic_store(&s->in_wait, 1);
    if (atomic_load(&v->parked)) { /* else a waker came first (it saw in_wait 0) */
        struct epoll_event evs[4];
        struct timespec ts, *tp = NULL;
        if (deadline) {
            uint64_t now = wf_host_now(), rel = deadline > now ? deadline - now : 0;
            ts.tv_sec = (time_t)(rel / 1000000000u);
            ts.tv_nsec = (long)(rel % 1000000000u);
            tp = &ts;
        }
        int n = -1;
        if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
            n = epoll_pwait2(s->epfd, evs, 4, tp, NULL);
            if (n < 0 && errno == ENOSYS)
                atomic_store_explicit(&no_pwait2, 1, memory_order_relaxed);
        }
        if (atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
            /* Before Linux 5.11 (or under valgrind 3.19): milliseconds,
             * rounded up so the vCPU never wakes before its timer. */
            long ms = tp ? (long)((rel_ns(tp) + 999999) / 1000000) : -1;
            n = epoll_wait(s->epfd, evs, 4, ms > INT_MAX ? INT_MAX : (int)ms);
        }
        if (n == 0)
            rc = -ETIMEDOUT;
        for (int i = 0; i < n; i++)
            if (evs[i].data.u32 == EV_KICK) {
                uint64_t x; /* raw: read is libweft-pthread's own name */
                wf_sys3(SYS_read, s->evfd, (long)&x, sizeof x);
            }
    }
    atomic_store(&s->in_wait, 0);
    dispatch(); /* also drops events nobody waits for any more */
    return rc;
}

static void kick(struct wf_vcpu *v)
{
    struct vstate *s = &vs[v->index];
    if (atomic_load(&s->in_wait)) {
        uint64_t one = 1;
        wf_sys3(SYS_write, s->evfd, (long)&one, sizeof one);
    }
}

static int init(int nvcpus)
{
    shared_epfd = epoll_create1(EPOLL_CLOEXEC);
    vs = aligned_alloc(64, sizeof *vs * (size_t)nvcpus);
    if (shared_epfd < 0 || !vs)
        return shared_epfd < 0 ? -errno : -ENOMEM;
    memset(vs, 0, sizeof *vs * (size_t)nvcpus);
    for (int i = 0; i < nvcpus; i++) {
        struct vstate *s = &vs[i];
        s->epfd = epoll_create1(EPOLL_CLOEXEC);
        s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (s->epfd < 0 || s->evfd < 0)
            return -errno;
        struct epoll_event k = {.events = EPOLLIN, .data.u32 = EV_KICK};
        struct epoll_event sh = {.events = EPOLLIN, .data.u32 = EV_SHARED};
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &k) < 0 ||
            epoll_ctl(s->epfd, EPOLL_CTL_ADD, shared_epfd, &sh) < 0)
            return -errno;
    }
    return 0;
}

int wf_io_fd_nonblocking(int fd)
{
    long fl = wf_sys3(SYS_fcntl, fd, F_GETFL, 0);
    if (fl < 0 || !(fl & O_NONBLOCK))
        return fl < 0 ? -1 : 0;
    if (wf_io_be != &wf_io_epoll)
        return 1;
    struct wf_fdent *e = wf_fdent_peek(fd);
    return !(e && atomic_load_explicit(&e->weft_nb, memory_order_relaxed));
}

const struct wf_io_backend wf_io_epoll = {
    .name = "epoll", .init = init, .submit = submit, .flush = flush, .before_park = before_park,
    .cancel = cancel,
    .reap = reap, .idle_wait = idle_wait, .kick = kick,
};

/* fork's child (port.c): close this process's copies of the parent's sets
 * and eventfds (the parent's stay as they are) and forget every waiter and
 * registration; the child's vCPUs make new sets when they restart. */
void wf_io_epoll_fork_child(void)
{
    if (!vs)
        return;
    for (int i = 0; i < wf_rt.nvcpus; i++) {
        if (vs[i].epfd > 0)
            wf_sys3(SYS_close, vs[i].epfd, 0, 0);
        if (vs[i].evfd > 0)
            wf_sys3(SYS_close, vs[i].evfd, 0, 0);
    }
    free(vs);
    vs = NULL;
    if (shared_epfd > 0)
        wf_sys3(SYS_close, shared_epfd, 0, 0);
    shared_epfd = -1;
    atomic_store(&nwaiting, 0);
    atomic_store_explicit(&dispatch_lock.v, 0, memory_order_relaxed);
    wf_fdtab_fork_child();
}
