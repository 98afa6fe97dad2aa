/* io.h - the I/O port's internals (src/io): operations in flight, the
 * backends, the offload pool. The design essay is at the top of port.c.
 * Internal prefix: wf_io_. */
#ifndef WF_IO_H
#define WF_IO_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/runtime.h"
#include "core/spinlock.h"
#include "core/thread.h"
#include "core/vcpu.h"
#include "weft/io.h"

/* wf_io_priv.fd_checked: the drop-in just saw fd's O_NONBLOCK clear (or
 * set by the epoll backend), so no fcntl again; or a pread nowait.c tried
 * got EAGAIN, so fd is a file, not a pipe or socket (no ESPIPE check). */
enum { WF_IO_BLOCKING = 1, WF_IO_SEEKABLE = 2 };

/* Where an operation is (wf_io_priv.state). */
enum { WF_IO_IDLE = 0, WF_IO_INFLIGHT, WF_IO_DONE };

/* weft_io_op_t.internal while the operation is in flight. */
struct wf_io_priv {
    struct wf_thread *owner;      /* the submitting thread; fixed while in flight */
    weft_io_op_t *next;           /* link on an fd's waiter list (fdtab lock) or
                                     the offload queue (pool lock) */
    atomic_int state;             /* WF_IO_*: DONE is stored under the owner's
                                     bucket lock (port.c), read by anyone */
    int vcpu;                     /* uring: index of the ring that holds it */
    uint32_t events;              /* epoll: POLLIN/POLLOUT it waits for */
    uint8_t stage;                /* epoll: connect in progress */
    uint8_t cancel;               /* epoll: a cancel was asked; under the fdtab lock */
    uint8_t seen;                 /* the owner counted its completion (owner only) */
    uint8_t offloaded;            /* on the offload pool: cannot be cancelled */
    uint8_t fd_checked;           /* what the caller already knows of fd:
                                     WF_IO_BLOCKING, WF_IO_SEEKABLE or 0 */
};
_Static_assert(sizeof(struct wf_io_priv) <= sizeof(((weft_io_op_t *)0)->internal),
               "weft_io_op_t.internal too small");

static inline struct wf_io_priv *wf_io_priv(const weft_io_op_t *op)
{
    return (struct wf_io_priv *)(void *)op->internal;
}

/* A backend: io_uring (uring.c) or epoll (epoll.c). Every function is
 * called with no lock held. */
struct wf_io_backend {
    const char *name;
    /* At runtime start, before the vCPUs run. 0 or -errno (then the port
     * falls back to the next backend). */
    int (*init)(int nvcpus);
    /* Start op for the caller, a weft thread running on v. The backend may
     * complete it at once (wf_io_complete) or hand it to the offload pool. */
    void (*submit)(struct wf_vcpu *v, weft_io_op_t *op);
    /* Pass what v's thread queued to the kernel (the caller runs on v, or
     * is the timer daemon). */
    void (*flush)(struct wf_vcpu *v);
    /* A thread on v is about to park (the caller runs on v): pass what
     * is queued to the kernel and deliver what is ready, now or - while
     * other threads wait to run on v - later, for more at once. */
    void (*before_park)(struct wf_vcpu *v);
    /* Ask op to stop; its completion (-ECANCELED or its own result)
     * follows. Any thread. */
    void (*cancel)(weft_io_op_t *op);
    /* Deliver the completions that are ready for v (without waiting). */
    void (*reap)(struct wf_vcpu *v);
    /* v's idle context sleeps in the backend until a completion, a kick or
     * deadline (absolute CLOCK_MONOTONIC ns, 0: none). -ETIMEDOUT when
     * the deadline passed, else 0. */
    int (*idle_wait)(struct wf_vcpu *v, uint64_t deadline);
    /* Interrupt v's idle_wait (any thread; nothing if v is not in it). */
    void (*kick)(struct wf_vcpu *v);
};

extern const struct wf_io_backend wf_io_uring, wf_io_epoll;
/* The backend chosen at start; NULL before. */
extern const struct wf_io_backend *wf_io_be;

/* op is done with result res (>= 0, or -errno): wake its owner. Any
 * thread, no lock held. op must not be touched after this returns. */
void wf_io_complete(weft_io_op_t *op, long res);

/* Do op as the plain blocking system call (or fn); >= 0 or -errno. */
long wf_io_exec(weft_io_op_t *op);

/* ppoll(2) as a raw system call (timeout_ms < 0: none); >= 0 or -errno.
 * Inside the library poll/read/write are never called by their libc
 * names: libweft-pthread exports those names (src/posix/io.c). */
struct pollfd;
long wf_io_sys_poll(struct pollfd *fds, unsigned long nfds, int timeout_ms);

/* Is fd non-blocking by the program's choice (1), not (0: blocking, or
 * made non-blocking by the epoll backend), or not a descriptor (-1)? One
 * fcntl, no lock, no allocation: callable from a signal handler. */
int wf_io_fd_nonblocking(int fd);

/* fd is being closed: the epoll backend forgets what it knew of it (its
 * waiters complete with EBADF). Nothing on io_uring. Any thread. */
void wf_io_fd_forget(int fd);

/* A WEFT_IO_PREAD tried inline as preadv2(RWF_NOWAIT) (nowait.c): its
 * result (>= 0 or -errno); -EAGAIN if it must go to the backend and fd is
 * known to be a file (the kernel passed its ESPIPE check); or
 * WF_IO_NOWAIT_SKIP: not tried, the backend's way. */
long wf_io_nowait_pread(weft_io_op_t *op);
#define WF_IO_NOWAIT_SKIP (-ENOSYS)
/* fd is being closed: what nowait.c learnt of it is forgotten. */
void wf_io_nowait_forget(int fd);

/* Run op on the offload pool (offload.c); it completes from there. */
void wf_io_offload_submit(weft_io_op_t *op);
/* Offload pool threads now (for tests and dumps). */
int wf_io_offload_threads(void);

/* Run op synchronously for the calling thread: parks a weft thread until
 * it completes, the deadline (absolute ns, 0: none) or a cancel; a bound
 * thread makes the plain call. Returns the result (>= 0 or -errno;
 * -ETIMEDOUT on the deadline). A cancellation point. */
long wf_io_sync(weft_io_op_t *op, uint64_t deadline);
/* The calling thread's deadline for a call starting now (0: none). */
uint64_t wf_io_deadline(void);
/* Cancel those of ops[0..n) still in flight and wait for all of them
 * (not interruptible by a cancel). */
void wf_io_cancel_drain(weft_io_op_t *ops, int n);

/* The calling thread is a weft thread on a vCPU (not bound, not foreign,
 * not a vCPU's idle context). */
static inline int wf_io_on_vcpu(void)
{
    struct wf_thread *t = wf_tls_self;
    return t && !(t->flags & (WF_TF_BOUND | WF_TF_IDLE));
}

/* The result of a call in libc's convention: >= 0 as it is, else
 * errno = -r and -1. */
static inline long wf_io_ret(long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* A trylock for the reapers: a lock someone holds is being reaped. */
static inline int wf_io_trylock(wf_spinlock_t *l)
{
    return !atomic_load_explicit(&l->v, memory_order_relaxed) &&
           !atomic_exchange_explicit(&l->v, 1, memory_order_acquire);
}

static inline void wf_io_count(_Atomic uint64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* fork's child (core/fork.c through the port's fork_child hook): each
 * part forgets the parent's state; start() makes it anew on restart. */
void wf_io_uring_fork_child(void);
void wf_io_epoll_fork_child(void);
void wf_io_offload_fork_child(void);

#endif
