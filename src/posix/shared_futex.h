/* shared_futex.h - waiting on process-shared objects (rwlocks, barriers,
 * semaphores created PTHREAD_PROCESS_SHARED, sem_init(s, 1, v), named
 * semaphores).
 *
 * A weft waitqueue lives in one process: it cannot park a thread of
 * another. So a process-shared object keeps its whole state in its own
 * bytes and waits on the host kernel's shared futexes (raw FUTEX_WAIT_BITSET
 * / FUTEX_WAKE without FUTEX_PRIVATE_FLAG, through wf_sys6: libweft-pthread
 * exports its own syscall()). How a caller waits depends on where it runs:
 *
 *  - In a process without weft's runtime (a child of _Fork or clone; a
 *    child of fork has one: fork.c marks it the runtime's process again),
 *    or from a thread weft never adopted: the
 *    kernel futex, with the caller's clock and absolute time.
 *  - A bound thread of the runtime's process (main, adopted host threads):
 *    the kernel futex too, in slices of at most SLICE_NS, so that the
 *    caller can act on a cancel between them.
 *  - A weft thread on a vCPU must never block its vCPU in the kernel: it
 *    parks on weft's own futex for the same address (core/futex.h), which
 *    a waker in the same process wakes at once, and wakes up now and then
 *    (50 us, doubling up to 2 ms) to look for a change made by another
 *    process, which only the kernel futex would have reported.
 *
 * A waker does FUTEX_WAKE and, in the runtime's process, wf_futex_wake.
 *
 * "The runtime's process" is told by a page mapped with MADV_WIPEONFORK
 * (zero in any child of fork; the drop-in's child handler, fork.c, sets
 * it again when the runtime survives), so the check is one load; without that
 * (old kernels) by comparing getpid() with the pid at load time. */
#ifndef WP_SHARED_FUTEX_H
#define WP_SHARED_FUTEX_H

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#include "core/futex.h"
#include "core/runtime.h"
#include "host/sys.h"
#include "sync/deadline.h"
#include "weft/thread.h"

struct wp_fork_page {
    uint32_t here;   /* 1 in the process that loaded the library */
    int32_t pid;     /* its pid */
};
/* sem.c: the page, or NULL without MADV_WIPEONFORK; the pid at load. */
extern struct wp_fork_page *wp_fork_page;
extern int32_t wp_load_pid;

static inline int32_t wp_raw_getpid(void)
{
    return (int32_t)wf_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

/* Is this the process whose runtime (if started) is alive? */
static inline int wp_in_runtime_process(void)
{
    struct wp_fork_page *p = wp_fork_page;
    if (__builtin_expect(p != NULL, 1))
        return p->here != 0;
    return wp_raw_getpid() == wp_load_pid;
}

static inline int32_t wp_getpid(void)
{
    struct wp_fork_page *p = wp_fork_page;
    if (p && p->here)
        return p->pid;
    return wp_raw_getpid();
}

/* An identity for the calling thread, unique among the threads of every
 * process sharing an object: pid in the high half, and the weft thread id
 * (runtime's process) or the kernel tid (elsewhere) in the low. */
static inline uint64_t wp_shared_self(void)
{
    if (wp_in_runtime_process())
        return (uint64_t)(uint32_t)wp_getpid() << 32 | (uint32_t)wf_self()->id;
    return (uint64_t)(uint32_t)wp_raw_getpid() << 32 |
           (uint32_t)wf_sys6(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

static inline long wp_futex(const void *addr, int op, uint32_t val, const struct timespec *ts,
                            uint32_t val3)
{
    return wf_sys6(SYS_futex, (long)addr, op, (long)val, (long)ts, 0, (long)val3);
}

/* An absolute timeout: has == 0 for none. */
struct wp_tmo {
    int has;
    clockid_t clock;
    struct timespec abs;
    uint64_t mono; /* the same as CLOCK_MONOTONIC ns, fixed at the start */
};

/* 0, EINVAL (bad clock or timespec), ETIMEDOUT (already passed). */
static inline int wp_tmo_set(struct wp_tmo *t, clockid_t clock, const struct timespec *ts)
{
    if (!wf_clock_valid(clock))
        return EINVAL;
    int rc = wf_deadline(clock, ts, &t->mono);
    if (rc)
        return rc;
    t->has = 1;
    t->clock = clock;
    t->abs = *ts;
    return 0;
}

#define WP_SPIN_NS 3000ull
#define WP_SLICE_NS (20 * 1000000ull)
#define WP_POLL_MIN_NS (50 * 1000ull)
#define WP_POLL_MAX_NS (2 * 1000000ull)

/* Wait while *addr == val, or a while (a spurious return is normal:
 * recheck). *poll starts at 0 for each call (the first wait spins a
 * little) and carries the weft thread's backoff.
 * Returns 0, or ETIMEDOUT once the timeout (may be NULL) has passed.
 * Never acts on cancellation itself: a caller that is a cancellation
 * point undoes its waiter count and calls weft_testcancel between waits. */
static inline int wp_shared_wait(_Atomic uint32_t *addr, uint32_t val, const struct wp_tmo *tmo,
                                 uint64_t *poll)
{
    /* The other side often answers within microseconds (a ping-pong
     * across processes): look for a while (WP_SPIN_NS) before sleeping,
     * once per call; a weft thread first lets its vCPU's other threads
     * run, in case the answer is to come from one of them. */
    if (!*poll) {
        if (wf_tls_self && !(wf_tls_self->flags & WF_TF_BOUND) && wp_in_runtime_process())
            weft_yield();
        uint64_t end = 0;
        for (unsigned i = 0;; i++) {
            if (atomic_load_explicit(addr, memory_order_relaxed) != val)
                return 0;
            if ((i & 31) == 0) {
                uint64_t now = wf_host_now();
                if (!end)
                    end = now + WP_SPIN_NS;
                else if (now >= end)
                    break;
            }
            wf_cpu_relax();
        }
        *poll = 1;
    }
    if (!wp_in_runtime_process()) {
        long r;
        if (tmo && tmo->has) {
            int op = FUTEX_WAIT_BITSET | (tmo->clock == CLOCK_REALTIME ? FUTEX_CLOCK_REALTIME : 0);
            r = wp_futex(addr, op, val, &tmo->abs, FUTEX_BITSET_MATCH_ANY);
        } else {
            r = wp_futex(addr, FUTEX_WAIT, val, NULL, 0);
        }
        return r == -ETIMEDOUT ? ETIMEDOUT : 0;
    }
    struct wf_thread *self = wf_self();
    uint64_t now = wf_host_now();
    if (tmo && tmo->has && now >= tmo->mono)
        return ETIMEDOUT;
    if (self->flags & WF_TF_BOUND) {
        uint64_t until = now + WP_SLICE_NS;
        if (tmo && tmo->has && tmo->mono < until)
            until = tmo->mono;
        struct timespec ts = {(time_t)(until / WF_NSEC), (long)(until % WF_NSEC)};
        wp_futex(addr, FUTEX_WAIT_BITSET, val, &ts, FUTEX_BITSET_MATCH_ANY);
    } else {
        *poll = *poll > 1 ? (*poll * 2 > WP_POLL_MAX_NS ? WP_POLL_MAX_NS : *poll * 2)
                          : WP_POLL_MIN_NS;
        uint64_t until = now + *poll;
        if (tmo && tmo->has && tmo->mono < until)
            until = tmo->mono;
        wf_futex_wait((const uint32_t *)addr, val, until, 0);
    }
    if (tmo && tmo->has && wf_host_now() >= tmo->mono)
        return ETIMEDOUT;
    return 0;
}

/* Wake up to n waiters of addr, in every process. */
static inline void wp_shared_wake(_Atomic uint32_t *addr, int n)
{
    wp_futex(addr, FUTEX_WAKE, (uint32_t)n, NULL, 0);
    if (wp_in_runtime_process())
        wf_futex_wake((const uint32_t *)addr, n);
}

/* Is a cancel for the caller worth looking at (runtime's process only)? */
static inline void wp_shared_testcancel(void)
{
    if (wp_in_runtime_process() && wf_tls_self)
        weft_testcancel();
}

/* A lock word for the short critical sections of process-shared objects:
 * 0 free, 1 held, 2 held with waiters. Never held across a wait. */
static inline void wp_ll_lock(_Atomic uint32_t *l)
{
    uint32_t z = 0;
    if (__builtin_expect(atomic_compare_exchange_strong_explicit(l, &z, 1, memory_order_acquire,
                                                                  memory_order_relaxed), 1))
        return;
    for (int i = 0; i < 200; i++) {
        wf_cpu_relax();
        z = 0;
        if (atomic_load_explicit(l, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong_explicit(l, &z, 1, memory_order_acquire,
                                                    memory_order_relaxed))
            return;
    }
    while (atomic_exchange_explicit(l, 2, memory_order_acquire) != 0)
        wp_futex(l, FUTEX_WAIT, 2, NULL, 0);
}

static inline void wp_ll_unlock(_Atomic uint32_t *l)
{
    if (atomic_exchange_explicit(l, 0, memory_order_release) == 2)
        wp_futex(l, FUTEX_WAKE, 1, NULL, 0);
}

#endif
