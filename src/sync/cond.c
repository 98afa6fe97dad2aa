/* cond.c - condition variable: a waitqueue whose waiters move to the
 * mutex's queue when signalled ("wait morphing").
 *
 * A waiter takes wq.lock, counts itself, releases the mutex and parks on
 * wq, still holding wq.lock until it is off its stack: a signal needs
 * wq.lock, so none can slip between the release and the park.
 *
 * Signal and broadcast do not wake anyone directly: they move one or all
 * waiters onto the mutex's queue (wf_waitq_requeue, lock order: the
 * condvar's wq.lock, then the mutex's). The mutex then wakes them one at
 * a time as it is unlocked (mutex.c), so a broadcast to a hundred waiters
 * costs a hundred wakeups spread over a hundred unlocks, not a hundred
 * threads fighting for the mutex at once. A woken waiter was woken from
 * the mutex's queue and relocks the mutex as a woken waiter (mutex.c).
 *
 * After a requeue the waiter never touches the condvar again, so the
 * condvar may be destroyed right after a broadcast. A waiter knows it was
 * moved because its wait channel is then the mutex (wf_waitq_requeue
 * rewrites it): a timeout or interruption after the move counts as a
 * signal received, so no signal is lost to a waiter that timed out.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>

#include "core/intr.h"
#include "core/runtime.h"
#include "core/waitq.h"
#include "weft/sync.h"
#include "sync/deadline.h"
#include "sync/mutex.h"

struct wf_cond {
    struct wf_waitq wq;            /* wq.lock guards mutex and the queue */
    _Atomic uint32_t nwait;        /* waiters not yet moved or timed out;
                                      changed under wq.lock, read without
                                      it by signal (a hint: 0 = nobody) */
    uint32_t clock;                /* clockid_t of timedwait; fixed at init */
    struct wf_mutex *mutex;        /* the waiters' mutex while nwait > 0;
                                      low bit set: an external mutex
                                      (wf_cond_wait_ext), whose waiters
                                      are woken, not requeued */
};

_Static_assert(sizeof(struct wf_cond) <= sizeof(weft_cond_t), "weft_cond_t too small");
_Static_assert(_Alignof(struct wf_cond) <= _Alignof(weft_cond_t), "weft_cond_t misaligned");
_Static_assert(sizeof(weft_cond_t) <= 48, "bigger than glibc's pthread_cond_t");
_Static_assert(CLOCK_REALTIME == 0, "an all-zero condvar must use CLOCK_REALTIME");

static inline struct wf_cond *C(weft_cond_t *c)
{
    return (struct wf_cond *)c;
}

/* ---- attributes ---- */

int weft_condattr_init(weft_condattr_t *a)
{
    if (!a)
        return EINVAL;
    a->clock = CLOCK_REALTIME;
    return 0;
}

int weft_condattr_destroy(weft_condattr_t *a)
{
    return a ? 0 : EINVAL;
}

int weft_condattr_setclock(weft_condattr_t *a, clockid_t clock)
{
    if (!a || !wf_clock_valid(clock))
        return EINVAL;
    a->clock = (uint32_t)clock;
    return 0;
}

int weft_condattr_getclock(const weft_condattr_t *a, clockid_t *clock)
{
    if (!a || !clock)
        return EINVAL;
    *clock = (clockid_t)a->clock;
    return 0;
}

/* ---- the condvar ---- */

int weft_cond_init(weft_cond_t *cv, const weft_condattr_t *a)
{
    if (!cv || (a && !wf_clock_valid((clockid_t)a->clock)))
        return EINVAL;
    *cv = (weft_cond_t){{0}};
    C(cv)->clock = a ? a->clock : (uint32_t)CLOCK_REALTIME;
    return 0;
}

int weft_cond_destroy(weft_cond_t *cv)
{
    if (!cv)
        return EINVAL;
    struct wf_cond *c = C(cv);
    wf_spin_lock(&c->wq.lock);
    int busy = !wf_waitq_empty(&c->wq) || atomic_load_explicit(&c->nwait, memory_order_relaxed);
    wf_spin_unlock(&c->wq.lock);
    return busy ? EBUSY : 0;
}

/* timed: wait until deadline (already checked, nonzero). */
static int wait(struct wf_cond *c, struct wf_mutex *m, uint64_t deadline)
{
    int rc = wf_mutex_check_owner(m);
    if (rc)
        return rc;
    wf_runtime_start_fast();
    struct wf_thread *self = wf_self();
    wf_spin_lock(&c->wq.lock);
    if (!wf_waitq_empty(&c->wq) && c->mutex != m) {
        wf_spin_unlock(&c->wq.lock);
        return EINVAL;
    }
    c->mutex = m;
    atomic_store_explicit(&c->nwait, atomic_load_explicit(&c->nwait, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    /* Nests m->wq.lock inside c->wq.lock if it wakes a locker. */
    uint32_t count = wf_mutex_release_all(m);
    /* Set here too: a wait interrupted before it queues leaves the
     * channel alone, and an old one could be m. */
    self->wchan = c;
    int r = wf_waitq_wait(&c->wq, "cond", c, deadline, WF_WAIT_CANCEL);
    /* Moved to the mutex's queue: the requeue rewrote the channel. */
    int moved = self->wchan == (const void *)m;
    if (!moved) { /* timed out or interrupted on our queue: uncount */
        wf_spin_lock(&c->wq.lock);
        atomic_store_explicit(&c->nwait,
                              atomic_load_explicit(&c->nwait, memory_order_relaxed) - 1,
                              memory_order_relaxed);
        wf_spin_unlock(&c->wq.lock);
    }
    /* A suspend stops us here, without the mutex: others may need it
     * while we are stopped. (So does an asynchronous cancel, whose
     * handlers must not rely on the mutex anyway.) */
    if (r == WF_WAKE_INTERRUPTED)
        wf_safe_point(0);
    /* Only a mutex unlock (or a requeue) wakes us, handing us the mutex's
     * woken token; a timeout or interruption does not. */
    wf_mutex_relock(m, count, r == WF_WAKE_SIGNALED);
    if (r == WF_WAKE_INTERRUPTED) {
        /* A cancel acts with the mutex held, as POSIX wants for the
         * cleanup handlers; else report a spurious wakeup. */
        wf_safe_point(WF_WAIT_CANCEL);
        return 0;
    }
    return r == WF_WAKE_TIMEDOUT && !moved ? ETIMEDOUT : 0;
}

int weft_cond_wait(weft_cond_t *cv, weft_mutex_t *mu)
{
    if (!cv || !mu)
        return EINVAL;
    return wait(C(cv), wf_mutex(mu), 0);
}

int weft_cond_clockwait(weft_cond_t *cv, weft_mutex_t *mu, clockid_t clock,
                        const struct timespec *ts)
{
    if (!cv || !mu || !wf_clock_valid(clock))
        return EINVAL;
    uint64_t deadline;
    int rc = wf_deadline(clock, ts, &deadline);
    if (rc == ETIMEDOUT) /* passed already: no need to let go of the mutex */
        return wf_mutex_check_owner(wf_mutex(mu)) ? EPERM : ETIMEDOUT;
    if (rc)
        return rc;
    return wait(C(cv), wf_mutex(mu), deadline);
}

int weft_cond_timedwait(weft_cond_t *cv, weft_mutex_t *mu, const struct timespec *ts)
{
    if (!cv)
        return EINVAL;
    return weft_cond_clockwait(cv, mu, (clockid_t)C(cv)->clock, ts);
}

static inline struct wf_mutex *ext_tag(void *mutex)
{
    return (struct wf_mutex *)((uintptr_t)mutex | 1);
}

static inline int is_ext(struct wf_mutex *m)
{
    return (uintptr_t)m & 1;
}

/* As wait(), for a mutex of the pthread layer (mutex.h). The waiter is
 * woken (not moved) by a signal; a wake and a timeout are decided under
 * wq.lock, so exactly one of them counts. */
int wf_cond_wait_ext(weft_cond_t *cv, const struct wf_cond_ext *x, uint64_t deadline)
{
    if (!cv || !x)
        return EINVAL;
    struct wf_cond *c = C(cv);
    struct wf_mutex *tag = ext_tag(x->mutex);
    wf_runtime_start_fast();
    struct wf_thread *self = wf_self();
    wf_spin_lock(&c->wq.lock);
    if (!wf_waitq_empty(&c->wq) && c->mutex != tag) {
        wf_spin_unlock(&c->wq.lock);
        return EINVAL;
    }
    uint32_t count = 0;
    int rc = x->unlock(x->mutex, &count);
    if (rc) {
        wf_spin_unlock(&c->wq.lock);
        return rc;
    }
    c->mutex = tag;
    atomic_store_explicit(&c->nwait, atomic_load_explicit(&c->nwait, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    self->wchan = c;
    int r = wf_waitq_wait(&c->wq, "cond", c, deadline, WF_WAIT_CANCEL);
    if (r != WF_WAKE_SIGNALED) { /* the waker uncounted a woken one */
        wf_spin_lock(&c->wq.lock);
        atomic_store_explicit(&c->nwait,
                              atomic_load_explicit(&c->nwait, memory_order_relaxed) - 1,
                              memory_order_relaxed);
        wf_spin_unlock(&c->wq.lock);
    }
    if (r == WF_WAKE_INTERRUPTED)
        wf_safe_point(0); /* a suspend stops us without the mutex */
    rc = x->relock(x->mutex, count);
    if (r == WF_WAKE_INTERRUPTED)
        wf_safe_point(WF_WAIT_CANCEL); /* cancel with the mutex held */
    if (rc)
        return rc;
    return r == WF_WAKE_TIMEDOUT ? ETIMEDOUT : 0;
}

/* Move up to max waiters to their mutex's queue. */
static int release_waiters(weft_cond_t *cv, int max)
{
    if (!cv)
        return EINVAL;
    struct wf_cond *c = C(cv);
    /* With nobody waiting a signal costs one load. Relaxed: a waiter
     * counts itself before it releases the mutex, so a signaller that has
     * locked the mutex since sees the count (POSIX promises nothing to one
     * that has not). */
    if (!atomic_load_explicit(&c->nwait, memory_order_relaxed))
        return 0;
    wf_spin_lock(&c->wq.lock);
    if (!wf_waitq_empty(&c->wq)) {
        struct wf_mutex *m = c->mutex;
        if (is_ext(m)) { /* wake them: they relock by themselves */
            int n = 0;
            while (n < max && wf_waitq_wake_one(&c->wq))
                n++;
            atomic_store_explicit(&c->nwait,
                                  atomic_load_explicit(&c->nwait, memory_order_relaxed) -
                                      (uint32_t)n,
                                  memory_order_relaxed);
            wf_spin_unlock(&c->wq.lock);
            return 0;
        }
        wf_spin_lock(&m->wq.lock);
        int n = wf_waitq_requeue(&c->wq, &m->wq, max, "mutex", m);
        atomic_store_explicit(&c->nwait,
                              atomic_load_explicit(&c->nwait, memory_order_relaxed) - (uint32_t)n,
                              memory_order_relaxed);
        wf_mutex_requeued(m);
        wf_spin_unlock(&m->wq.lock);
    }
    wf_spin_unlock(&c->wq.lock);
    return 0;
}

int weft_cond_signal(weft_cond_t *cv)
{
    return release_waiters(cv, 1);
}

int weft_cond_broadcast(weft_cond_t *cv)
{
    return release_waiters(cv, INT_MAX);
}
