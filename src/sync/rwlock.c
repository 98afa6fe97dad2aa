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
 *
 * For the pthread layer (rwlock.h) the same lock has two more behaviours,
 * both decided only on the slow paths, so the fast paths above stay one
 * CAS whatever the mode:
 *  - reader preference (glibc's default kinds): a reader that finds WAIT
 *    set takes the lock under wq.lock whenever no writer holds it, and
 *    grant serves every queued reader before a writer. The mode is passed
 *    by each locker and stored in the object by the waiters (grant runs
 *    only when someone waits, so it always finds it there).
 *  - the POSIX priority rule: a real-time waiter (wf_rw_rt_prio) parks
 *    under a kind string rt_kind[prio][writer], so grant reads priority
 *    and role from the address; while nrt says real-time waiters are
 *    queued, grant scans the queue for the best of them (O(waiters), only
 *    then), and readers check for a waiting real-time writer of at least
 *    their priority.
 */
#include <errno.h>
#include <stdint.h>

#include "core/intr.h"
#include "core/runtime.h"
#include "core/sched.h"
#include "core/waitq.h"
#include "weft/sync.h"
#include "sync/hidden.h"
#include "sync/deadline.h"
#include "sync/rwlock.h"
#include "weft/thread.h"

enum {
    RW_WRITER = 1u << 31,
    RW_WAIT = 1u << 30,
    RW_COUNT = RW_WAIT - 1, /* readers holding it */
};

struct wf_rwlock {
    _Atomic uint32_t state;  /* RW_*; changed only by atomic RMW */
    uint32_t mode;           /* WF_RW_READER/WRITER_PREF of the waiters;
                                under wq.lock (rwlock.h) */
    _Atomic uint64_t owner;  /* id of the writer holding it, else 0;
                                written by that writer only */
    struct wf_waitq wq;      /* waiting readers and writers, FIFO */
    uint32_t nrt;            /* real-time waiters on wq (may count one that
                                timed out and is about to take itself off);
                                under wq.lock */
};

_Static_assert(sizeof(struct wf_rwlock) <= sizeof(weft_rwlock_t), "weft_rwlock_t too small");
_Static_assert(_Alignof(struct wf_rwlock) <= _Alignof(weft_rwlock_t), "weft_rwlock_t misaligned");
_Static_assert(sizeof(weft_rwlock_t) <= 56, "bigger than glibc's pthread_rwlock_t");
_Static_assert(sizeof(struct wf_rwlock) <= WF_RWLOCK_FREE_OFFSET,
               "the pthread layer's bytes (rwlock.h) must stay free");

int (*wf_rw_rt_prio)(void);

/* Wait-channel kinds: all read "rwlock" in dumps, but the address says
 * what the waiter is: a reader or a writer, and for a real-time waiter
 * its priority (rt_kind[prio][writer]). */
static const char reader_kind[] = "rwlock";
static const char writer_kind[] = "rwlock";
#define RK2 {"rwlock", "rwlock"}
#define RK8 RK2, RK2, RK2, RK2, RK2, RK2, RK2, RK2
static const char rt_kind[WEFT_PRIO_MAX + 1][2][8] = {RK8, RK8, RK8, RK8};
_Static_assert(WEFT_PRIO_MAX + 1 == 32, "rt_kind has 32 rows");

static inline int kind_rt(const char *k)
{
    uintptr_t a = (uintptr_t)k, b = (uintptr_t)rt_kind;
    return a >= b && a < b + sizeof rt_kind;
}

static inline int kind_writer(const char *k)
{
    if (kind_rt(k))
        return (int)(((uintptr_t)k - (uintptr_t)rt_kind) / 8) & 1;
    return k == writer_kind;
}

/* Order of a waiter in a priority hand-off: 2 * prio + writer for a
 * real-time waiter, -1 for the others. */
static inline int kind_key(const char *k)
{
    if (!kind_rt(k))
        return -1;
    return (int)(((uintptr_t)k - (uintptr_t)rt_kind) / 8);
}

static inline const char *waiter_kind(const struct wf_thread *t)
{
    return atomic_load_explicit(&t->wchan_kind, memory_order_relaxed);
}

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

/* Precondition: wq.lock held. The waiter the lock goes to next: the best
 * real-time one (priority, writers first at equal priority, then FIFO);
 * without any, under reader preference the first reader, else the head. */
static struct wf_thread *pick(struct wf_rwlock *rw)
{
    struct wf_thread *h = rw->wq.head;
    if (!h)
        return NULL;
    if (rw->nrt) {
        struct wf_thread *best = NULL;
        int bestkey = -1;
        for (struct wf_thread *t = h; t; t = t->wq_next) {
            int k = kind_key(waiter_kind(t));
            if (k > bestkey) {
                best = t;
                bestkey = k;
            }
        }
        if (best)
            return best;
    }
    if (rw->mode == WF_RW_READER_PREF)
        for (struct wf_thread *t = h; t; t = t->wq_next)
            if (!kind_writer(waiter_kind(t)))
                return t;
    return h;
}

/* Precondition: wq.lock held; t is on the queue. */
static void take_off(struct wf_rwlock *rw, struct wf_thread *t)
{
    if (kind_rt(waiter_kind(t)) && rw->nrt)
        rw->nrt--;
    wf_waitq_remove(&rw->wq, t);
    wf_unpark(t, WF_WAKE_SIGNALED);
}

/* Precondition: wq.lock held. Hand the lock to the waiters that may have
 * it now (pick); clear WAIT once the queue is empty. */
static void grant(struct wf_rwlock *rw)
{
    uint32_t s = load(rw);
    for (;;) {
        struct wf_thread *t = pick(rw);
        if (!t) {
            while ((s & RW_WAIT) && !cas(rw, &s, s & ~RW_WAIT))
                ;
            return;
        }
        uint32_t more = (rw->wq.head != t || t->wq_next) ? RW_WAIT : 0;
        if (kind_writer(waiter_kind(t))) {
            if (s & (RW_WRITER | RW_COUNT))
                return;
            if (!cas(rw, &s, RW_WRITER | more))
                continue;
            take_off(rw, t); /* it sets owner itself */
            return;
        }
        if ((s & RW_WRITER) || (s & RW_COUNT) == RW_COUNT)
            return;
        if (!cas(rw, &s, ((s & ~RW_WAIT) + 1) | more))
            continue;
        take_off(rw, t);
        s = ((s & ~RW_WAIT) + 1) | more;
    }
}

/* Can a reader take it now, outside the fast path? */
static inline int can_read(uint32_t s)
{
    return !(s & (RW_WRITER | RW_WAIT));
}

/* Precondition: wq.lock held. Does a real-time writer of priority prio or
 * higher wait? */
static int rt_writer_waits(struct wf_rwlock *rw, int prio)
{
    if (!rw->nrt)
        return 0;
    for (struct wf_thread *t = rw->wq.head; t; t = t->wq_next) {
        int k = kind_key(waiter_kind(t));
        if (k >= 0 && (k & 1) && k / 2 >= prio)
            return 1;
    }
    return 0;
}

/* Precondition: wq.lock held. May a reader (rt: real-time, of priority
 * prio) take it in state s under the kind? */
static int reader_may(struct wf_rwlock *rw, uint32_t s, int kind, int rt, int prio)
{
    if (s & RW_WRITER)
        return 0;
    if (rt_writer_waits(rw, prio))
        return 0;
    if (rt || kind == WF_RW_READER_PREF)
        return 1;
    return !(s & RW_WAIT);
}

/* Wait in the queue as a reader or writer; the deadline was computed.
 * Returns 0 once granted, or EDEADLK / EAGAIN / ETIMEDOUT / EBUSY (try:
 * only decides, never queues). */
static int wait_slow(struct wf_rwlock *rw, int writer, uint64_t deadline, uint64_t me, int mode,
                     int try)
{
    /* The timed forms are cancellation points (as the issue and
     * weft/thread.h say; POSIX has no rwlock call among them). */
    int flags = deadline && !(mode & WF_RW_NOCANCEL) ? WF_WAIT_CANCEL : 0;
    int kind = mode & WF_RW_KIND_MASK;
    int rtprio = wf_rw_rt_prio ? wf_rw_rt_prio() : -1;
    if (rtprio > WEFT_PRIO_MAX)
        rtprio = WEFT_PRIO_MAX;
    int prio = rtprio >= 0 ? rtprio : wf_self()->prio;
    const char *wkind = rtprio >= 0 ? rt_kind[rtprio][writer] : writer ? writer_kind : reader_kind;
    wf_runtime_start_fast();
    for (;;) {
        wf_spin_lock(&rw->wq.lock);
        uint32_t s = load(rw);
        for (;;) {
            if (writer ? s == 0 : reader_may(rw, s, kind, rtprio >= 0, prio)) {
                if (!writer && (s & RW_COUNT) == RW_COUNT) {
                    wf_spin_unlock(&rw->wq.lock);
                    return EAGAIN;
                }
                if (cas(rw, &s, writer ? RW_WRITER : s + 1))
                    goto got;
                continue;
            }
            if (try) {
                wf_spin_unlock(&rw->wq.lock);
                return EBUSY;
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
        rw->mode = (uint32_t)kind;
        if (rtprio >= 0)
            rw->nrt++;
        int r = wf_waitq_wait(&rw->wq, wkind, rw, deadline, flags);
        if (r == WF_WAKE_SIGNALED)
            goto granted;
        /* Off the queue without the lock: those behind may go now. */
        wf_spin_lock(&rw->wq.lock);
        if (rtprio >= 0 && rw->nrt)
            rw->nrt--;
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

int wf_rwlock_rdlock_mode(weft_rwlock_t *rwl, int mode, int try, int timed, clockid_t clock,
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
    uint64_t me = self_id();
    if (!try && writer_holds_it_and_is(rw, s, me))
        return EDEADLK;
    /* A writer holds it, or (weft's own policy, no real-time callers
     * possible) one waits: no. The other cases decide under wq.lock. */
    if (try && ((s & RW_WRITER) ||
                ((mode & WF_RW_KIND_MASK) == WF_RW_WRITER_PREF && !wf_rw_rt_prio)))
        return EBUSY;
    uint64_t deadline = 0;
    if (timed) {
        int rc = wf_deadline(clock, ts, &deadline);
        if (rc)
            return rc;
    }
    return wait_slow(rw, 0, deadline, me, mode, try);
}

int wf_rwlock_wrlock_mode(weft_rwlock_t *rwl, int mode, int try, int timed, clockid_t clock,
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
    return wait_slow(rw, 1, deadline, me, mode, 0);
}

static inline int rdlock(weft_rwlock_t *rwl, int try, int timed, clockid_t clock,
                         const struct timespec *ts)
{
    return wf_rwlock_rdlock_mode(rwl, WF_RW_WRITER_PREF, try, timed, clock, ts);
}

static inline int wrlock(weft_rwlock_t *rwl, int try, int timed, clockid_t clock,
                         const struct timespec *ts)
{
    return wf_rwlock_wrlock_mode(rwl, WF_RW_WRITER_PREF, try, timed, clock, ts);
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

/* Direct entry points for the pthread layer (hidden.h). */
WF_DEFINE_HIDDEN_ALIAS(rwlock_init);
WF_DEFINE_HIDDEN_ALIAS(rwlock_destroy);
WF_DEFINE_HIDDEN_ALIAS(rwlock_unlock);
