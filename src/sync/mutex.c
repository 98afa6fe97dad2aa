/* mutex.c - mutex: one atomic word, a waitqueue for the losers.
 *
 * THE STATE WORD (mutex.h): LOCKED, WAITERS, WOKEN, and the type in bits
 * 8-9. Lock sets LOCKED with one atomic OR (`lock bts`) and has the mutex
 * if the bit was clear; unlock reads the word (a plain load: the line is
 * the holder's) and clears LOCKED with one atomic subtract, which also
 * tells it whether to wake someone. One atomic each way whatever the
 * waiter bits say, no call into the scheduler unless there are waiters.
 * (A CAS from 0 would fail, and cost a second atomic, every time WAITERS
 * is set: under contention, nearly always.) A typed mutex takes a branch
 * more to record or check its owner.
 *
 * WAITING. A locker that finds it held spins a little (SPIN below), then
 * takes wq.lock, sets WAITERS while the mutex is still LOCKED (one CAS, so
 * it cannot miss the unlock) and parks. Unlock clears LOCKED with one
 * atomic; if that saw WAITERS without WOKEN it takes wq.lock and wakes the
 * first waiter, or clears WAITERS if the queue is empty. No wakeup is
 * lost: the waiter's CAS and the unlock's RMW are ordered on the one word,
 * and a waiter that set WAITERS holds wq.lock until it is parked.
 *
 * NO HAND-OFF. The woken waiter is not given the lock; it tries again
 * like anyone (barging). Handing the lock to a thread that is still in a
 * run queue stalls every other locker until that thread runs (a lock
 * convoy); with barging a running thread keeps going. The price is
 * fairness: a waiter may lose a few times. Rejected: Go's starvation mode
 * (hand-off after a waiter waited 1 ms) — preemption (weft/preempt.h)
 * now bounds how long a thread hammering a lock keeps its vCPU, but only
 * to a timeslice at a safe point; revisit with measurements.
 *
 * WOKEN limits the wakeups to one in flight: while a woken waiter has not
 * retried, unlocks do not wake another (a herd would only park again). The
 * woken thread clears WOKEN in the same CAS that takes the lock or marks
 * WAITERS before parking again, so the next unlock wakes the next waiter.
 * Whoever is woken from wq (by an unlock or a requeue) holds this token;
 * one whose time runs out gives it back by clearing WOKEN while the mutex
 * is held (whose unlock then wakes someone). A suspend or cancel never
 * comes on top of a wake (both are decided under wq.lock), so an
 * interrupted waiter holds no token.
 *
 * CONDVARS move their waiters onto wq (wf_waitq_requeue) under both
 * wq.locks, then wf_mutex_requeued sets WAITERS: an unlock after that
 * wakes them one at a time. If the mutex was free at that moment nobody
 * would unlock it, so the requeue wakes one itself.
 *
 * INLINE FAST PATHS. wf_mutex_lock/trylock/unlock live in mutex.h so
 * that the pthread layer (src/posix/mutex.c), whose plain mutexes are
 * these, adds only its one test (not one of its own kinds, no glibc
 * static kind left in wq.head) to the same instructions.
 *
 * SPIN. Spinning helps only while the holder runs on another CPU: with
 * one vCPU a weft holder cannot run while we spin, and when our vCPU has
 * other runnable threads, parking at once lets them do useful work (Go's
 * rule too). A spinner also stops as soon as it sees WAITERS: others are
 * parked already, so the lock is busy, and polling it only slows the
 * holder by pulling its cache line away. A bound thread spins under the
 * same WAITERS rule (its park is a futex sleep of microseconds).
 * Measured on the 2-core machine (medians of 9-15 runs, noisy):
 * - two weft threads, one per vCPU, each ~1 us of work outside a short
 *   critical section: 214 ns/op with SPIN 100, 250 without, 331 for one
 *   thread alone: the spin is what lets the two run in parallel;
 * - bench/weft mutex 4 and 64 (every vCPU busy with lockers): 5.1 ns/op
 *   either way; without the WAITERS rule the spin kept both vCPUs
 *   fighting over the line in 1 run of 5 (11-14 ns/op).
 */
#define SPIN 100 /* polls of the state word, a pause each */

#include <errno.h>
#include <stdint.h>

#include "core/intr.h"
#include "core/rq.h"
#include "core/runtime.h"
#include "core/waitq.h"
#include "sync/deadline.h"
#include "sync/mutex.h"

static inline uint32_t load(struct wf_mutex *m)
{
    return wf_mutex_load(m);
}

static inline int cas(struct wf_mutex *m, uint32_t *s, uint32_t v)
{
    /* acquire: a success may take the lock; release: a success may hand
     * on what the caller wrote under wq.lock (cheap on x86 either way). */
    return atomic_compare_exchange_weak_explicit(&m->state, s, v, memory_order_acq_rel,
                                                 memory_order_relaxed);
}

/* Take the lock if it is free; *s is the value last seen. drop: WOKEN when
 * the caller holds the woken token (given back with the lock). */
static inline int try_take(struct wf_mutex *m, uint32_t *s, uint32_t drop)
{
    while (!(*s & WF_M_LOCKED))
        if (cas(m, s, (*s | WF_M_LOCKED) & ~drop))
            return 1;
    return 0;
}

static inline uint64_t self_id(void)
{
    return wf_self()->id;
}

/* Spin briefly for a holder running elsewhere (see SPIN above). */
static int spin(struct wf_mutex *m, uint32_t drop)
{
    struct wf_thread *self = wf_self();
    if (!(self->flags & WF_TF_BOUND) &&
        (wf_rt.nvcpus < 2 || wf_rq_nr(&self->vcpu->rq) != 0))
        return 0;
    uint32_t s = load(m);
    for (int i = SPIN; i > 0; i--) {
        if (try_take(m, &s, drop))
            return 1;
        if (s & WF_M_WAITERS)
            return 0; /* others already wait: queue behind them */
        wf_cpu_relax();
        s = load(m);
    }
    return 0;
}

/* Lock m, parking while it is held. woken: the caller holds the WOKEN
 * token. deadline: absolute monotonic ns, 0 for none. flags: WF_WAIT_*.
 * 0 or ETIMEDOUT. May switch. */
static int acquire(struct wf_mutex *m, uint64_t deadline, int flags, int woken)
{
    for (;;) {
        uint32_t drop = woken ? WF_M_WOKEN : 0;
        if (spin(m, drop))
            return 0;
        wf_spin_lock(&m->wq.lock);
        uint32_t s = load(m);
        for (;;) {
            if (try_take(m, &s, drop)) {
                wf_spin_unlock(&m->wq.lock);
                return 0;
            }
            if (wf_deadline_passed(deadline)) {
                /* Held: give the token back; its holder will wake one. */
                if (cas(m, &s, s & ~drop)) {
                    wf_spin_unlock(&m->wq.lock);
                    return ETIMEDOUT;
                }
                continue;
            }
            if (cas(m, &s, (s | WF_M_WAITERS) & ~drop))
                break;
        }
        int r = wf_waitq_wait(&m->wq, "mutex", m, deadline, flags);
        woken = r == WF_WAKE_SIGNALED;
        /* An interrupt never comes on top of a wake (both are decided
         * under wq.lock), so we hold no token to pass on: just stop. */
        if (r == WF_WAKE_INTERRUPTED)
            wf_safe_point(flags);
    }
}

void wf_mutex_wake_next(struct wf_mutex *m)
{
    wf_spin_lock(&m->wq.lock);
    uint32_t s = load(m);
    for (;;) {
        /* Held again: its unlock sees WAITERS. Woken: that one goes on. */
        if (s & (WF_M_LOCKED | WF_M_WOKEN))
            break;
        if (wf_waitq_empty(&m->wq)) {
            if (cas(m, &s, s & ~WF_M_WAITERS))
                break;
        } else if (cas(m, &s, s | WF_M_WOKEN)) {
            wf_waitq_wake_one(&m->wq);
            break;
        }
    }
    wf_spin_unlock(&m->wq.lock);
}

static int valid_type(int type)
{
    return type == WEFT_MUTEX_NORMAL || type == WEFT_MUTEX_RECURSIVE ||
           type == WEFT_MUTEX_ERRORCHECK;
}

/* ---- attributes ---- */

int weft_mutexattr_init(weft_mutexattr_t *a)
{
    if (!a)
        return EINVAL;
    a->type = WEFT_MUTEX_DEFAULT;
    return 0;
}

int weft_mutexattr_destroy(weft_mutexattr_t *a)
{
    return a ? 0 : EINVAL;
}

int weft_mutexattr_settype(weft_mutexattr_t *a, int type)
{
    if (!a || !valid_type(type))
        return EINVAL;
    a->type = (uint32_t)type;
    return 0;
}

int weft_mutexattr_gettype(const weft_mutexattr_t *a, int *type)
{
    if (!a || !type)
        return EINVAL;
    *type = (int)a->type;
    return 0;
}

/* ---- the mutex ---- */

int weft_mutex_init(weft_mutex_t *mu, const weft_mutexattr_t *a)
{
    if (!mu || (a && !valid_type((int)a->type)))
        return EINVAL;
    *mu = (weft_mutex_t){{0}};
    atomic_store_explicit(&wf_mutex(mu)->state, (a ? a->type : 0) << WF_M_TYPE_SHIFT,
                          memory_order_relaxed);
    return 0;
}

int weft_mutex_destroy(weft_mutex_t *mu)
{
    if (!mu)
        return EINVAL;
    struct wf_mutex *m = wf_mutex(mu);
    wf_spin_lock(&m->wq.lock);
    uint32_t s = load(m);
    /* WOKEN: a woken locker is on its way back to it. */
    int busy = (s & (WF_M_LOCKED | WF_M_WOKEN)) || !wf_waitq_empty(&m->wq);
    wf_spin_unlock(&m->wq.lock);
    return busy ? EBUSY : 0;
}

/* A typed mutex the caller already holds: count or refuse. */
static int relock(struct wf_mutex *m, uint32_t type, int try)
{
    if (type != (uint32_t)WEFT_MUTEX_RECURSIVE << WF_M_TYPE_SHIFT)
        return try ? EBUSY : EDEADLK;
    if (m->count == UINT32_MAX)
        return EAGAIN;
    m->count++;
    return 0;
}

/* The mutex was held when held() looked. timed: clock and ts apply. */
int wf_mutex_lock_slow(struct wf_mutex *m, int timed, clockid_t clock,
                       const struct timespec *ts)
{
    uint32_t type = load(m) & WF_M_TYPE_MASK;
    uint64_t me = 0;
    if (type) {
        me = self_id();
        if (atomic_load_explicit(&m->owner, memory_order_relaxed) == me)
            return relock(m, type, 0);
    }
    uint64_t deadline = 0;
    if (timed) {
        int rc = wf_deadline(clock, ts, &deadline);
        if (rc)
            return rc;
    }
    wf_runtime_start_fast();
    /* The timed forms are cancellation points (as the issue and
     * weft/thread.h say; POSIX has no mutex call among them). */
    int rc = acquire(m, deadline, timed ? WF_WAIT_CANCEL : 0, 0);
    if (rc)
        return rc;
    if (type) {
        atomic_store_explicit(&m->owner, me, memory_order_relaxed);
        m->count = 0;
    }
    return 0;
}

int weft_mutex_lock(weft_mutex_t *mu)
{
    if (!mu)
        return EINVAL;
    return wf_mutex_lock(wf_mutex(mu));
}

int weft_mutex_clocklock(weft_mutex_t *mu, clockid_t clock, const struct timespec *ts)
{
    if (!mu || !wf_clock_valid(clock))
        return EINVAL;
    struct wf_mutex *m = wf_mutex(mu);
    if (wf_mutex_held(m))
        return wf_mutex_lock_slow(m, 1, clock, ts);
    wf_mutex_took(m);
    return 0;
}

int weft_mutex_timedlock(weft_mutex_t *mu, const struct timespec *ts)
{
    return weft_mutex_clocklock(mu, CLOCK_REALTIME, ts);
}

int wf_mutex_trylock_slow(struct wf_mutex *m)
{
    uint32_t type = load(m) & WF_M_TYPE_MASK;
    if (type && atomic_load_explicit(&m->owner, memory_order_relaxed) == self_id())
        return relock(m, type, 1);
    return EBUSY;
}

int weft_mutex_trylock(weft_mutex_t *mu)
{
    if (!mu)
        return EINVAL;
    return wf_mutex_trylock(wf_mutex(mu));
}

int wf_mutex_unlock_slow(struct wf_mutex *m, uint32_t s)
{
    if (!(s & WF_M_LOCKED))
        return EPERM;
    if (atomic_load_explicit(&m->owner, memory_order_relaxed) != self_id())
        return EPERM;
    if (m->count) {
        m->count--;
        return 0;
    }
    atomic_store_explicit(&m->owner, 0, memory_order_relaxed);
    wf_mutex_release(m);
    return 0;
}

int weft_mutex_unlock(weft_mutex_t *mu)
{
    if (!mu)
        return EINVAL;
    return wf_mutex_unlock(wf_mutex(mu));
}

/* ---- for condvars (mutex.h) ---- */

int wf_mutex_check_owner(struct wf_mutex *m)
{
    uint32_t s = load(m);
    if (!(s & WF_M_LOCKED))
        return EPERM;
    if ((s & WF_M_TYPE_MASK) && atomic_load_explicit(&m->owner, memory_order_relaxed) != self_id())
        return EPERM;
    return 0;
}

uint32_t wf_mutex_release_all(struct wf_mutex *m)
{
    uint32_t count = 0;
    if (load(m) & WF_M_TYPE_MASK) {
        count = m->count;
        m->count = 0;
        atomic_store_explicit(&m->owner, 0, memory_order_relaxed);
    }
    wf_mutex_release(m);
    return count;
}

void wf_mutex_relock(struct wf_mutex *m, uint32_t count, int woken)
{
    uint32_t s = load(m);
    if (woken || !try_take(m, &s, 0))
        acquire(m, 0, 0, woken); /* no cancel before the mutex is back */
    if (s & WF_M_TYPE_MASK) {
        atomic_store_explicit(&m->owner, self_id(), memory_order_relaxed);
        m->count = count;
    }
}

void wf_mutex_requeued(struct wf_mutex *m)
{
    /* Ordered against the holder's unlock on the one word: either that
     * unlock sees WAITERS (and then waits for wq.lock, which we hold), or
     * we see the mutex free here and wake one ourselves. */
    uint32_t s = atomic_fetch_or_explicit(&m->state, WF_M_WAITERS, memory_order_acq_rel) |
                 WF_M_WAITERS;
    while (!(s & (WF_M_LOCKED | WF_M_WOKEN)))
        if (cas(m, &s, s | WF_M_WOKEN)) {
            wf_waitq_wake_one(&m->wq);
            break;
        }
}
