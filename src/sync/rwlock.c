/* rwlock.c - read-write lock: one atomic word, one FIFO waitqueue of
 * readers and writers, hand-off on release.
 *
 * The word holds the reader count, WRITER (a writer holds it) and WAIT
 * (the queue is not empty). Uncontended, each call is one CAS: a reader
 * adds one while neither WRITER nor WAIT is set, a writer goes 0 ->
 * WRITER, and releases undo that while WAIT is clear.
 *
 * Policy (sync.h): once anyone waits, nobody barges (the fast paths see
 * WAIT), so a waiting writer keeps every later reader out: readers cannot
 * starve writers. A release that frees the lock hands it, under wq.lock,
 * to the head of the queue: one writer, or all readers up to the next
 * writer (grant). The waiter wakes already holding it, never retries, and
 * FIFO order means writers cannot starve readers either.
 *
 * Readers and writers park on the same queue under two wait-channel kind
 * strings that read alike ("rwlock") but are different objects, so grant
 * tells them apart by address.
 *
 * WAIT is set under wq.lock by a thread about to park, and cleared under
 * it when grant finds the queue empty. Every change that may let a waiter
 * in goes through grant under wq.lock: the last reader's release, a
 * writer's release with WAIT, and a waiter that leaves the queue (timeout,
 * interruption), whose place may have been holding back those behind it.
 */
#include <errno.h>
#include <stdint.h>

#include "core/intr.h"
#include "core/runtime.h"
#include "core/sched.h"
#include "core/waitq.h"
#include "weft/sync.h"
#include "sync/deadline.h"

enum {
    RW_WRITER = 1u << 31,
    RW_WAIT = 1u << 30,
    RW_COUNT = RW_WAIT - 1, /* readers holding it */
};

struct wf_rwlock {
    _Atomic uint32_t state;  /* RW_*; changed only by atomic RMW */
    uint32_t unused;
    _Atomic uint64_t owner;  /* id of the writer holding it, else 0;
                                written by that writer only */
    struct wf_waitq wq;      /* waiting readers and writers, FIFO */
};

_Static_assert(sizeof(struct wf_rwlock) <= sizeof(weft_rwlock_t), "weft_rwlock_t too small");
_Static_assert(_Alignof(struct wf_rwlock) <= _Alignof(weft_rwlock_t), "weft_rwlock_t misaligned");
_Static_assert(sizeof(weft_rwlock_t) <= 56, "bigger than glibc's pthread_rwlock_t");

static const char reader_kind[] = "rwlock";
static const char writer_kind[] = "rwlock";

static inline struct wf_rwlock *RW(weft_rwlock_t *rw)
{
    return (struct wf_rwlock *)rw;
}

static inline uint32_t load(struct wf_rwlock *rw)
{
    return atomic_load_explicit(&rw->state, memory_order_relaxed);
}

static inline int cas(struct wf_rwlock *rw, uint32_t *s, uint32_t v)
{
    /* acquire for lockers, release for unlockers and grants */
    return atomic_compare_exchange_weak_explicit(&rw->state, s, v, memory_order_acq_rel,
                                                 memory_order_relaxed);
}

static inline uint64_t self_id(void)
{
    return wf_self()->id;
}

static inline int writer_holds_it_and_is(struct wf_rwlock *rw, uint32_t s, uint64_t me)
{
    return (s & RW_WRITER) && atomic_load_explicit(&rw->owner, memory_order_relaxed) == me;
}

/* Precondition: wq.lock held. Hand the lock to the head of the queue while
 * it can have it; clear WAIT once the queue is empty. */
static void grant(struct wf_rwlock *rw)
{
    uint32_t s = load(rw);
    for (;;) {
        struct wf_thread *t = rw->wq.head;
        if (!t) {
            while ((s & RW_WAIT) && !cas(rw, &s, s & ~RW_WAIT))
                ;
            return;
        }
        uint32_t more = t->wq_next ? RW_WAIT : 0;
        if (atomic_load_explicit(&t->wchan_kind, memory_order_relaxed) == writer_kind) {
            if (s & (RW_WRITER | RW_COUNT))
                return;
            if (!cas(rw, &s, RW_WRITER | more))
                continue;
            wf_waitq_remove(&rw->wq, t);
            wf_unpark(t, WF_WAKE_SIGNALED); /* it sets owner itself */
            return;
        }
        if ((s & RW_WRITER) || (s & RW_COUNT) == RW_COUNT)
            return;
        if (!cas(rw, &s, ((s & ~RW_WAIT) + 1) | more))
            continue;
        wf_waitq_remove(&rw->wq, t);
        wf_unpark(t, WF_WAKE_SIGNALED);
        s = ((s & ~RW_WAIT) + 1) | more;
    }
}

/* Can the caller take it now (under wq.lock or not)? */
static inline int can_read(uint32_t s)
{
    return !(s & (RW_WRITER | RW_WAIT));
}

/* Wait in the queue as a reader or writer; the deadline was computed.
 * Returns 0 once granted, or EDEADLK / EAGAIN / ETIMEDOUT. */
static int wait_slow(struct wf_rwlock *rw, int writer, uint64_t deadline, uint64_t me)
{
    /* The timed forms are cancellation points (as the issue and
     * weft/thread.h say; POSIX has no rwlock call among them). */
    int flags = deadline ? WF_WAIT_CANCEL : 0;
    wf_runtime_start_fast();
    for (;;) {
        wf_spin_lock(&rw->wq.lock);
        uint32_t s = load(rw);
        for (;;) {
            if (writer ? s == 0 : can_read(s)) {
                if (!writer && (s & RW_COUNT) == RW_COUNT) {
                    wf_spin_unlock(&rw->wq.lock);
                    return EAGAIN;
                }
                if (cas(rw, &s, writer ? RW_WRITER : s + 1))
                    goto got;
                continue;
            }
            if (writer_holds_it_and_is(rw, s, me)) {
                wf_spin_unlock(&rw->wq.lock);
                return EDEADLK;
            }
            if (wf_deadline_passed(deadline)) {
                wf_spin_unlock(&rw->wq.lock);
                return ETIMEDOUT;
            }
            if (cas(rw, &s, s | RW_WAIT))
                break;
        }
        int r = wf_waitq_wait(&rw->wq, writer ? writer_kind : reader_kind, rw, deadline, flags);
        if (r == WF_WAKE_SIGNALED)
            goto granted;
        /* Off the queue without the lock: those behind may go now. */
        wf_spin_lock(&rw->wq.lock);
        grant(rw);
        wf_spin_unlock(&rw->wq.lock);
        if (r == WF_WAKE_TIMEDOUT)
            return ETIMEDOUT;
        wf_safe_point(flags); /* interrupted: stop or end; then wait again */
    }
got:
    wf_spin_unlock(&rw->wq.lock);
granted:
    if (writer)
        atomic_store_explicit(&rw->owner, me, memory_order_relaxed);
    return 0;
}

/* try: 1 for the try forms; timed: clock and ts apply. */
static int rdlock(weft_rwlock_t *rwl, int try, int timed, clockid_t clock,
                  const struct timespec *ts)
{
    if (!rwl || (timed && !wf_clock_valid(clock)))
        return EINVAL;
    struct wf_rwlock *rw = RW(rwl);
    uint32_t s = load(rw);
    while (can_read(s)) {
        if ((s & RW_COUNT) == RW_COUNT)
            return EAGAIN;
        if (cas(rw, &s, s + 1))
            return 0;
    }
    if (try)
        return EBUSY;
    uint64_t me = self_id();
    if (writer_holds_it_and_is(rw, s, me))
        return EDEADLK;
    uint64_t deadline = 0;
    if (timed) {
        int rc = wf_deadline(clock, ts, &deadline);
        if (rc)
            return rc;
    }
    return wait_slow(rw, 0, deadline, me);
}

static int wrlock(weft_rwlock_t *rwl, int try, int timed, clockid_t clock,
                  const struct timespec *ts)
{
    if (!rwl || (timed && !wf_clock_valid(clock)))
        return EINVAL;
    struct wf_rwlock *rw = RW(rwl);
    uint64_t me = self_id();
    uint32_t s = 0;
    if (atomic_compare_exchange_strong_explicit(&rw->state, &s, RW_WRITER,
                                                memory_order_acquire, memory_order_relaxed)) {
        atomic_store_explicit(&rw->owner, me, memory_order_relaxed);
        return 0;
    }
    if (try)
        return EBUSY;
    if (writer_holds_it_and_is(rw, s, me))
        return EDEADLK;
    uint64_t deadline = 0;
    if (timed) {
        int rc = wf_deadline(clock, ts, &deadline);
        if (rc)
            return rc;
    }
    return wait_slow(rw, 1, deadline, me);
}

int weft_rwlock_init(weft_rwlock_t *rw)
{
    if (!rw)
        return EINVAL;
    *rw = (weft_rwlock_t){{0}};
    return 0;
}

int weft_rwlock_destroy(weft_rwlock_t *rwl)
{
    if (!rwl)
        return EINVAL;
    struct wf_rwlock *rw = RW(rwl);
    wf_spin_lock(&rw->wq.lock);
    int busy = load(rw) != 0 || !wf_waitq_empty(&rw->wq);
    wf_spin_unlock(&rw->wq.lock);
    return busy ? EBUSY : 0;
}

int weft_rwlock_rdlock(weft_rwlock_t *rw)
{
    return rdlock(rw, 0, 0, CLOCK_REALTIME, NULL);
}

int weft_rwlock_tryrdlock(weft_rwlock_t *rw)
{
    return rdlock(rw, 1, 0, CLOCK_REALTIME, NULL);
}

int weft_rwlock_timedrdlock(weft_rwlock_t *rw, const struct timespec *ts)
{
    return rdlock(rw, 0, 1, CLOCK_REALTIME, ts);
}

int weft_rwlock_clockrdlock(weft_rwlock_t *rw, clockid_t clock, const struct timespec *ts)
{
    return rdlock(rw, 0, 1, clock, ts);
}

int weft_rwlock_wrlock(weft_rwlock_t *rw)
{
    return wrlock(rw, 0, 0, CLOCK_REALTIME, NULL);
}

int weft_rwlock_trywrlock(weft_rwlock_t *rw)
{
    return wrlock(rw, 1, 0, CLOCK_REALTIME, NULL);
}

int weft_rwlock_timedwrlock(weft_rwlock_t *rw, const struct timespec *ts)
{
    return wrlock(rw, 0, 1, CLOCK_REALTIME, ts);
}

int weft_rwlock_clockwrlock(weft_rwlock_t *rw, clockid_t clock, const struct timespec *ts)
{
    return wrlock(rw, 0, 1, clock, ts);
}

int weft_rwlock_unlock(weft_rwlock_t *rwl)
{
    if (!rwl)
        return EINVAL;
    struct wf_rwlock *rw = RW(rwl);
    uint32_t s = load(rw);
    if (s & RW_WRITER) {
        if (atomic_load_explicit(&rw->owner, memory_order_relaxed) != self_id())
            return EPERM;
        atomic_store_explicit(&rw->owner, 0, memory_order_relaxed);
        s = RW_WRITER;
        if (atomic_compare_exchange_strong_explicit(&rw->state, &s, 0, memory_order_release,
                                                    memory_order_relaxed))
            return 0;
        wf_spin_lock(&rw->wq.lock); /* waiters: hand it on */
        s = load(rw);
        while (!cas(rw, &s, s & ~RW_WRITER))
            ;
        grant(rw);
        wf_spin_unlock(&rw->wq.lock);
        return 0;
    }
    for (;;) {
        if (!(s & RW_COUNT))
            return EPERM;
        if ((s & RW_COUNT) == 1 && (s & RW_WAIT))
            break; /* the last reader, with waiters */
        if (cas(rw, &s, s - 1))
            return 0;
    }
    wf_spin_lock(&rw->wq.lock);
    s = load(rw);
    do {
        if (!(s & RW_COUNT)) { /* a racing bad unlock took it */
            wf_spin_unlock(&rw->wq.lock);
            return EPERM;
        }
    } while (!cas(rw, &s, s - 1));
    grant(rw);
    wf_spin_unlock(&rw->wq.lock);
    return 0;
}
