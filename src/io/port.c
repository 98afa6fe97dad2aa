/* port.c - the I/O port: system calls as messages.
 *
 * THE MODEL (DragonFly's userland threading, LKL's host operations)
 * Every blocking call is an operation (weft_io_op_t): a message with the
 * call's arguments and, once done, its result. A weft thread submits it to
 * the backend of the vCPU it runs on and parks; the backend completes it
 * (wf_io_complete) from wherever the kernel's answer is seen, and that
 * wakes the thread. The synchronous calls (weft_read, ...) are one
 * operation submitted and waited for; weft_io_submit / weft_io_wait keep
 * many in flight for one thread.
 *
 * Backends (one chosen at start, WEFT_IO=uring|epoll to force one):
 * - uring.c: io_uring through liburing, one ring per vCPU. Submissions
 *   queue in the ring until the thread parks (or the vCPU idles, or the
 *   timer daemon's next tick), then go to the kernel in one call.
 * - epoll.c: the descriptor is made non-blocking, the call is tried, and
 *   on EAGAIN the operation waits in the descriptor's waiter list
 *   (fdtab.c) for readiness, then is tried again. What cannot wait for
 *   readiness (regular files, open, statx, fsync, splice) goes to the
 *   offload pool (offload.c), host threads of group 0.
 * Bound threads (main, foreign host threads) make the plain call: they
 * block their own host thread anyway.
 *
 * WHERE COMPLETIONS ARE SEEN
 * An idle vCPU sleeps in its backend (io_uring_enter, epoll_pwait2) with
 * its next timer as the timeout, not on its futex (sched.c idle_sleep),
 * so a completion wakes it as a timer would. The idle loop delivers every
 * vCPU's ready completions (idle vCPUs help busy ones, as with timers),
 * and the timer daemon does it each tick for busy vCPUs. A thread about
 * to park reaps its own vCPU first: an operation the kernel finished
 * inline then costs no switch. Waking a vCPU that sleeps in the backend:
 * vcpu_unpark calls the backend's kick (a NOP into its ring, or a write
 * to its eventfd); the Dekker pair is parked (sched.c) against the
 * backend's in_wait flag, both seq_cst.
 *
 * WAITING, TIMEOUTS, CANCELLATION
 * A thread waits on a bucket of a hashed waitqueue table keyed by its own
 * record (as futex.c keys by address). wf_io_complete stores the result
 * and the DONE state under that bucket's lock and wakes the owner; the
 * owner checks the states under the same lock before it parks, so no
 * completion is lost. The wait is a cancellation point with the thread's
 * deadline: on a timeout or a cancel the thread asks the backend to stop
 * its operations (io_uring: IORING_OP_ASYNC_CANCEL; epoll: off the
 * waiter list) and waits, not cancellable, until each has completed, so
 * the kernel never writes into a buffer of a thread that has gone. An
 * operation that completed anyway returns its result; otherwise a timeout
 * answers ETIMEDOUT and a cancel ends the thread (wf_safe_point). An
 * operation on the offload pool cannot be stopped: the wait lasts until
 * the host thread running it returns.
 *
 * REJECTED
 * - A poller thread: every completion would cost a hand-off between host
 *   threads, and idle vCPUs would sleep twice (futex and poller).
 * - io_uring's linked timeouts for weft's timeouts: the vCPU's timer heap
 *   already has them, for both backends alike.
 * - One ring for all vCPUs: one lock for every submission in the process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/intr.h"
#include "core/signal.h"
#include "core/sched.h"
#include "core/waitq.h"
#include "host/host.h"
#include "io/io.h"

#ifdef WF_HAVE_VALGRIND
#include <valgrind/valgrind.h>
#endif

#define NBUCKETS 256 /* power of two */

static struct wf_waitq buckets[NBUCKETS];
static atomic_long inflight; /* operations submitted, not completed */
const struct wf_io_backend *wf_io_be;

static const char *const kind_names[WEFT_IO_CODES] = {
    "io:nop", "io:read", "io:write", "io:pread", "io:pwrite", "io:readv", "io:writev",
    "io:recv", "io:send", "io:recvmsg", "io:sendmsg", "io:accept", "io:connect",
    "io:poll", "io:close", "io:openat", "io:fsync", "io:statx", "io:splice", "io:call",
};

static struct wf_waitq *bucket(const struct wf_thread *t)
{
    uintptr_t a = (uintptr_t)t;
    a ^= a >> 9 ^ a >> 17;
    return &buckets[(a >> 4) & (NBUCKETS - 1)];
}

void wf_io_complete(weft_io_op_t *op, long res)
{
    struct wf_io_priv *p = wf_io_priv(op);
    struct wf_thread *owner = p->owner;
    struct wf_waitq *wq = bucket(owner);
    wf_spin_lock(&wq->lock);
    op->result = res;
    atomic_store_explicit(&p->state, WF_IO_DONE, memory_order_release);
    for (struct wf_thread *t = wq->head, *next; t; t = next) {
        next = t->wq_next;
        if (t->wchan == owner) {
            wf_waitq_remove(wq, t);
            /* FIFO: the batch a reaper delivers must not jump the queue
             * (the next slot would run the last reaped first, again and
             * again: a long tail of latencies under load). */
            wf_unpark_fifo(t, WF_WAKE_SIGNALED);
        }
    }
    wf_spin_unlock(&wq->lock);
    /* op may be gone now (its owner was free to reuse it). */
    atomic_fetch_sub_explicit(&inflight, 1, memory_order_relaxed);
}

static int count_done(const weft_io_op_t *ops, int n)
{
    int d = 0;
    for (int i = 0; i < n; i++)
        d += atomic_load_explicit(&wf_io_priv(&ops[i])->state, memory_order_acquire) == WF_IO_DONE;
    return d;
}

enum { WAIT_OK, WAIT_TIMEDOUT, WAIT_CANCEL, WAIT_SIGNAL };
/* park_for's flag besides WF_WAIT_*: a signal handler to run ends the
 * wait with WAIT_SIGNAL (the caller stops its operations, then runs it:
 * EINTR or a restart, core/signal.c). */
#define PARK_SIGNAL 0x100

/* Park until nwait of ops are done, the deadline (0: none), or - with
 * WF_WAIT_CANCEL in flags - a cancel that acts here (WAIT_CANCEL: the
 * caller drains its operations, then acts on it). A suspend stops the
 * thread here and the wait goes on. May switch. */
static int park_for(struct wf_thread *self, const weft_io_op_t *ops, int n, int nwait,
                    uint64_t deadline, int flags, const char *kind)
{
    struct wf_waitq *wq = bucket(self);
    for (;;) {
        wf_spin_lock(&wq->lock);
        if (count_done(ops, n) >= nwait) {
            wf_spin_unlock(&wq->lock);
            return WAIT_OK;
        }
        int r = wf_waitq_wait(wq, kind, self, deadline, flags & ~PARK_SIGNAL);
        if (r == WF_WAKE_TIMEDOUT)
            return count_done(ops, n) >= nwait ? WAIT_OK : WAIT_TIMEDOUT;
        if (r == WF_WAKE_INTERRUPTED) {
            if ((flags & WF_WAIT_CANCEL) &&
                wf_intr_stops(self, atomic_load(&self->intr_pending) & WF_INTR_CANCEL,
                              WF_WAIT_CANCEL))
                return WAIT_CANCEL;
            if ((flags & PARK_SIGNAL) && (atomic_load(&self->intr_pending) & WF_INTR_SIGNAL))
                return WAIT_SIGNAL;
            wf_safe_point(0); /* a suspend: stopped here until resumed */
        }
    }
}

void wf_io_cancel_drain(weft_io_op_t *ops, int n)
{
    struct wf_thread *self = wf_self();
    int old;
    /* Not cancellable while the kernel may still write into the buffers. */
    weft_setcancelstate(WEFT_CANCEL_DISABLE, &old);
    for (int i = 0; i < n; i++) {
        struct wf_io_priv *p = wf_io_priv(&ops[i]);
        if (atomic_load_explicit(&p->state, memory_order_acquire) == WF_IO_INFLIGHT &&
            !p->offloaded)
            wf_io_be->cancel(&ops[i]);
    }
    park_for(self, ops, n, n, 0, 0, "io:cancel");
    weft_setcancelstate(old, NULL);
}

/* The completions the owner has now seen, on its vCPU's counter. */
static void count_seen(struct wf_thread *self, weft_io_op_t *ops, int n)
{
    if (self->flags & WF_TF_BOUND)
        return;
    for (int i = 0; i < n; i++) {
        struct wf_io_priv *p = wf_io_priv(&ops[i]);
        if (!p->seen && atomic_load_explicit(&p->state, memory_order_acquire) == WF_IO_DONE) {
            p->seen = 1;
            wf_io_count(&self->vcpu->nio_completions);
        }
    }
}

static void submit_one(struct wf_thread *self, weft_io_op_t *op, int fd_checked)
{
    struct wf_io_priv *p = wf_io_priv(op);
    p->owner = self;
    p->next = NULL;
    p->vcpu = -1;
    p->events = 0;
    p->stage = p->cancel = p->seen = p->offloaded = 0;
    p->fd_checked = (uint8_t)fd_checked;
    op->result = 0;
    atomic_store_explicit(&p->state, WF_IO_INFLIGHT, memory_order_relaxed);
    atomic_fetch_add_explicit(&inflight, 1, memory_order_relaxed);
    int bound = (self->flags & WF_TF_BOUND) != 0;
    if (bound || op->code == WEFT_IO_CALL || !wf_io_be) {
        /* A bound thread's operations run on the pool: its host thread
         * cannot wait on a vCPU's backend. */
        p->offloaded = 1;
        if (!bound)
            wf_io_count(&self->vcpu->noffloads);
        wf_io_offload_submit(op);
        return;
    }
    wf_io_count(&self->vcpu->nio_submits);
    wf_io_be->submit(self->vcpu, op);
}

/* Before parking: what this thread queued goes to the kernel, and what
 * the kernel already finished is delivered (no switch for it). */
static void before_park(struct wf_thread *self)
{
    if (!(self->flags & WF_TF_BOUND) && wf_io_be)
        wf_io_be->before_park(self->vcpu);
}

uint64_t wf_io_deadline(void)
{
    struct wf_thread *t = wf_tls_self;
    return t && t->io_timeout ? wf_host_now() + t->io_timeout : 0;
}

/* A pread answered inline from the page cache (nowait.c), counted as a
 * submission and its completion; a short one goes on for the rest, as a
 * blocking pread would. -EAGAIN or WF_IO_NOWAIT_SKIP: the backend's way. */
static long nowait_pread(struct wf_thread *self, weft_io_op_t *op, uint64_t deadline)
{
    long r = wf_io_nowait_pread(op);
    if (r == -EAGAIN || r == WF_IO_NOWAIT_SKIP)
        return r;
    wf_io_count(&self->vcpu->nio_submits);
    wf_io_count(&self->vcpu->nio_completions);
    if (r <= 0 || (uint64_t)r >= op->len)
        return r;
    weft_io_op_t rest = *op; /* the caller's op stays as it was given */
    rest.buf = (char *)op->buf + r;
    rest.len = op->len - (uint64_t)r;
    rest.off = op->off + r;
    long more = wf_io_sync(&rest, deadline);
    return more < 0 ? r : r + more;
}

long wf_io_sync(weft_io_op_t *op, uint64_t deadline)
{
    struct wf_thread *self = wf_tls_self;
    if (!wf_io_on_vcpu() || !wf_io_be)
        return wf_io_exec(op); /* blocks this host thread, as libc would */
    const char *kind = kind_names[op->code];
    /* The drop-in's word on fd's flags (thread.h io_fd_checked): good for
     * this call's first submission only. */
    int fd_checked = self->io_fd_checked == op->fd + 1 ? WF_IO_BLOCKING : 0;
    self->io_fd_checked = 0;
    for (;;) {
        if (__builtin_expect(wf_intr_any(self), 0))
            wf_safe_point(WF_WAIT_CANCEL); /* a cancellation point even when it would not wait */
        if (op->code == WEFT_IO_PREAD && fd_checked >= 0) {
            long r = nowait_pread(self, op, deadline);
            if (r == -EAGAIN)
                fd_checked = WF_IO_SEEKABLE; /* a file (a pipe says ESPIPE) */
            else if (r != WF_IO_NOWAIT_SKIP)
                return r;
        }
        submit_one(self, op, fd_checked > 0 ? fd_checked : 0);
        fd_checked = -1; /* a retry: neither the hint nor the inline try */
        before_park(self);
        int r;
        for (;;) {
            r = park_for(self, op, 1, 1, deadline, WF_WAIT_CANCEL | PARK_SIGNAL, kind);
            if (r != WAIT_SIGNAL)
                break;
            /* A signal: its handlers run now, on this stack, the operation
             * still in flight (its buffer is the caller's, intact). Then the
             * call fails with EINTR unless every handler had SA_RESTART (a
             * poll always fails), or it goes on waiting. */
            int ran = wf_signal_deliver(self);
            if ((ran & WF_SIG_NORESTART) || (ran && op->code == WEFT_IO_POLL))
                break;
        }
        if (r != WAIT_OK) {
            wf_io_cancel_drain(op, 1);
            /* Offloaded operations cannot be stopped: their result is real. */
            int stopped = !wf_io_priv(op)->offloaded &&
                          (op->result == -ECANCELED || op->result == -EINTR);
            if (r == WAIT_CANCEL && stopped)
                wf_safe_point(WF_WAIT_CANCEL); /* ends the thread */
            if (r == WAIT_TIMEDOUT && stopped) {
                count_seen(self, op, 1);
                return -ETIMEDOUT;
            }
            if (r == WAIT_SIGNAL && stopped) {
                count_seen(self, op, 1);
                return -EINTR; /* one that completed anyway keeps its result */
            }
        }
        count_seen(self, op, 1);
        if (op->result != -EINTR || op->code == WEFT_IO_CALL) /* fn's result is its own */
            return (long)op->result;
        /* Interrupted inside the backend, not by weft: do it again. */
    }
}

/* ---- the public calls ---- */

static int op_valid(const weft_io_op_t *op)
{
    return op && op->code >= 0 && op->code < WEFT_IO_CODES &&
           (op->code != WEFT_IO_CALL || op->fn);
}

int weft_io_submit(weft_io_op_t *ops, int n)
{
    if (!ops || n < 0)
        return EINVAL;
    for (int i = 0; i < n; i++)
        if (!op_valid(&ops[i]) || atomic_load_explicit(&wf_io_priv(&ops[i])->state,
                                                       memory_order_acquire) == WF_IO_INFLIGHT)
            return EINVAL;
    struct wf_thread *self = wf_self();
    /* Queued in the ring; they go to the kernel together when this thread
     * waits or its vCPU switches to idle (or at the daemon's next tick). */
    for (int i = 0; i < n; i++)
        submit_one(self, &ops[i], 0);
    return 0;
}

int weft_io_wait(weft_io_op_t *ops, int n, int nwait, uint64_t timeout_ns)
{
    if (!ops || n < 0 || nwait < 0 || nwait > n)
        return (int)wf_io_ret(-EINVAL);
    struct wf_thread *self = wf_self();
    for (int i = 0; i < n; i++) {
        struct wf_io_priv *p = wf_io_priv(&ops[i]);
        int st = atomic_load_explicit(&p->state, memory_order_acquire);
        if (st == WF_IO_IDLE)
            return (int)wf_io_ret(-EINVAL); /* never submitted: would never complete */
        if (st == WF_IO_INFLIGHT && p->owner != self)
            return (int)wf_io_ret(-EPERM);
    }
    before_park(self);
    uint64_t deadline = timeout_ns ? wf_host_now() + timeout_ns : 0;
    int r, ran = 0;
    do /* a signal whose handler ran ends the wait (EINTR), below */
        r = park_for(self, ops, n, nwait, deadline, WF_WAIT_CANCEL | PARK_SIGNAL, "io:wait");
    while (r == WAIT_SIGNAL && !(ran = wf_signal_deliver(self)));
    if (r == WAIT_CANCEL) {
        wf_io_cancel_drain(ops, n);
        wf_safe_point(WF_WAIT_CANCEL); /* ends the thread */
    }
    if (r == WAIT_SIGNAL && ran) {
        count_seen(self, ops, n);
        return (int)wf_io_ret(-EINTR); /* the operations stay in flight */
    }
    count_seen(self, ops, n);
    return count_done(ops, n);
}

int weft_io_done(const weft_io_op_t *op)
{
    return op && atomic_load_explicit(&wf_io_priv(op)->state, memory_order_acquire) == WF_IO_DONE;
}

int weft_io_cancel(weft_io_op_t *op)
{
    if (!op)
        return EINVAL;
    struct wf_io_priv *p = wf_io_priv(op);
    if (atomic_load_explicit(&p->state, memory_order_acquire) != WF_IO_INFLIGHT)
        return EINVAL;
    if (p->owner != wf_self())
        return EPERM;
    if (!p->offloaded)
        wf_io_be->cancel(op);
    return 0;
}

long weft_io_run(weft_io_op_t *op, uint64_t timeout_ns)
{
    if (!op_valid(op) ||
        atomic_load_explicit(&wf_io_priv(op)->state, memory_order_acquire) == WF_IO_INFLIGHT)
        return wf_io_ret(-EINVAL);
    wf_runtime_start_fast();
    uint64_t deadline = timeout_ns == 0                 ? wf_io_deadline()
                        : timeout_ns == WEFT_IO_FOREVER ? 0
                                                        : wf_host_now() + timeout_ns;
    long r = wf_io_sync(op, deadline);
    if (!wf_io_on_vcpu())
        op->result = r; /* the plain call did not go through the port */
    return wf_io_ret(r);
}

uint64_t weft_io_timeout(uint64_t ns)
{
    struct wf_thread *self = wf_self();
    uint64_t old = self->io_timeout;
    self->io_timeout = ns;
    return old;
}

const char *weft_io_backend(void)
{
    wf_runtime_start_fast();
    return wf_io_be ? wf_io_be->name : "none";
}

/* ---- the scheduler's hooks (core/runtime.h) ---- */

static int under_valgrind(void)
{
#ifdef WF_HAVE_VALGRIND
    return RUNNING_ON_VALGRIND;
#else
    return 0;
#endif
}

/* The probe: io_uring if the ring can be set up with the operations weft
 * needs, else epoll. Valgrind (3.19) does not follow the rings' shared
 * memory: epoll there, whatever WEFT_IO says. */
static void start(int nvcpus)
{
    const char *want = getenv("WEFT_IO");
    int uring_ok = !under_valgrind() && !(want && !strcasecmp(want, "epoll"));
    if (uring_ok && wf_io_uring.init(nvcpus) == 0) {
        wf_io_be = &wf_io_uring;
        return;
    }
    if (want && !strcasecmp(want, "uring") && !under_valgrind())
        fprintf(stderr, "weft: WEFT_IO=uring: io_uring is not usable here; using epoll\n");
    int rc = wf_io_epoll.init(nvcpus);
    if (rc)
        wf_panic(NULL, "no I/O backend: epoll: %s", strerror(-rc));
    wf_io_be = &wf_io_epoll;
}

static int idle_wait(struct wf_vcpu *v, uint64_t deadline)
{
    return wf_io_be->idle_wait(v, deadline);
}

static void kick(struct wf_vcpu *v)
{
    wf_io_be->kick(v);
}

static void poll_vcpu(struct wf_vcpu *v)
{
    wf_io_be->flush(v);
    wf_io_be->reap(v);
}

static int busy(void)
{
    return atomic_load_explicit(&inflight, memory_order_relaxed) > 0;
}

/* fork's child (core/fork.c): every operation in flight was another
 * thread's; the backend keeps its choice (wf_io_be) but forgets its
 * descriptors, and start() makes new ones when the vCPUs restart. */
static void fork_child(void)
{
    memset(buckets, 0, sizeof buckets);
    atomic_store(&inflight, 0);
    wf_io_uring_fork_child();
    wf_io_epoll_fork_child();
    wf_io_offload_fork_child();
}

static const struct wf_io_hooks hooks = {
    .start = start, .idle_wait = idle_wait, .kick = kick, .poll = poll_vcpu, .busy = busy,
    .host_threads = wf_io_offload_threads, .fork_child = fork_child,
};

/* Linked in (a program that uses the port): take part in the idle loop.
 * Only before the runtime has started; after, the calls make plain system
 * calls (wf_io_be stays NULL). */
__attribute__((constructor)) static void register_hooks(void)
{
    if (atomic_load(&wf_rt.started) == 0)
        wf_io_hooks = &hooks;
}
