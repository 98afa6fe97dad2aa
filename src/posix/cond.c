/* cond.c - pthread_cond_*: glibc's names and 48-byte objects.
 *
 * PRIVATE condvars are weft condvars (src/sync/cond.c; all-zero is
 * PTHREAD_COND_INITIALIZER, CLOCK_REALTIME): with a plain mutex the waits
 * are weft's own (signal moves waiters to the mutex's queue). With a
 * robust, PI, ceiling or process-shared mutex the same condvar wakes its
 * waiters instead, and they unlock and relock through the pthread mutex
 * code (wf_cond_wait_ext): same counting, same EBUSY destroy, no lost
 * signals, cancellation with the mutex held again. EOWNERDEAD from that
 * relock is returned by the wait (the caller holds the mutex).
 *
 * PROCESS-SHARED condvars (pthread_condattr_setpshared) keep everything
 * in the 48 bytes: glibc's pre-2.25 algorithm (total/wakeup/woken
 * sequence counts, a broadcast generation, and a futex word that every
 * signal changes), under a small lock in the object, waiting on the host
 * futex (pshared.c). Tagged in the clock word at offset 28 (the clock of
 * a private one is 0 or 1). They work with any mutex kind. Their waits
 * notice a cancel within a few milliseconds (pshared.c polls), relock the
 * mutex, then act on it. destroy: EBUSY while a waiter has not been
 * signalled; after a broadcast it waits for the woken ones to leave. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "core/intr.h"
#include "core/runtime.h"
#include "posix/posix.h"
#include "posix/pshared.h"
#include "sync/deadline.h"
#include "sync/mutex.h"
#include "weft/sync.h"
#include "weft/thread.h"

_Static_assert(sizeof(pthread_cond_t) == 48, "glibc x86_64 pthread_cond_t");
_Static_assert(sizeof(pthread_condattr_t) == 4, "glibc x86_64 pthread_condattr_t");

struct wp_pcond {
    _Atomic uint32_t lock;    /* wp_pshared_lock: guards all but futex */
    _Atomic uint32_t futex;   /* changes with every signal: the wait word */
    uint64_t total;           /* waits started */
    uint64_t wakeup;          /* waits released (signals, timeouts) */
    uint32_t nwaiters;        /* threads inside a wait */
    uint32_t tag;             /* offset 28: WP_CTAG_PSHARED | clock */
    uint64_t woken;           /* waits that returned as signalled */
    uint32_t bcast;           /* broadcast generation */
    uint32_t pad;
};
_Static_assert(sizeof(struct wp_pcond) == 48, "pshared cond layout");
_Static_assert(offsetof(struct wp_pcond, tag) == 28, "tag on weft's clock word");

static inline uint32_t clock_word(pthread_cond_t *c)
{
    return __atomic_load_n((uint32_t *)((char *)c + 28), __ATOMIC_RELAXED);
}

static inline int is_pshared(pthread_cond_t *c)
{
    return (clock_word(c) & WP_TAG_MASK) == WP_CTAG_PSHARED;
}

static inline struct wp_pcond *PC(pthread_cond_t *c)
{
    return (struct wp_pcond *)c;
}

/* ---- process-shared ---- */

static int pc_wait(struct wp_pcond *c, pthread_mutex_t *m, uint64_t deadline)
{
    wp_pshared_lock(&c->lock);
    int rc = pthread_mutex_unlock(m);
    if (rc) {
        wp_pshared_unlock(&c->lock);
        return rc;
    }
    c->total++;
    atomic_fetch_add(&c->futex, 1);
    c->nwaiters++;
    uint64_t seq = c->wakeup;
    uint32_t bc = c->bcast;
    int cancelled = 0;
    rc = 0;
    for (;;) {
        uint32_t fv = atomic_load(&c->futex);
        wp_pshared_unlock(&c->lock);
        int w = wp_pshared_wait(&c->futex, fv, deadline, 0, 1);
        wp_pshared_lock(&c->lock);
        if (bc != c->bcast)
            goto out; /* released by a broadcast */
        uint64_t val = c->wakeup;
        if (val != seq && c->woken != val)
            break; /* a signal for us */
        if (w == ETIMEDOUT || w == ECANCELED) {
            /* Leave as if signalled, so no later signal goes to us. */
            c->wakeup++;
            atomic_fetch_add(&c->futex, 1);
            rc = w == ETIMEDOUT ? ETIMEDOUT : 0;
            cancelled = w == ECANCELED;
            break;
        }
    }
    c->woken++;
out:
    c->nwaiters--;
    wp_pshared_unlock(&c->lock);
    int lr = pthread_mutex_lock(m);
    if (cancelled)
        wf_safe_point(WF_WAIT_CANCEL); /* with the mutex held */
    return lr ? lr : rc;
}

static void pc_signal(struct wp_pcond *c, int all)
{
    wp_pshared_lock(&c->lock);
    if (c->total > c->wakeup) {
        if (all) {
            c->woken = c->wakeup = c->total;
            c->bcast++;
        } else {
            c->wakeup++;
        }
        atomic_fetch_add(&c->futex, 1);
        wp_pshared_unlock(&c->lock);
        wp_pshared_wake(&c->futex, all ? INT_MAX : 1);
        return;
    }
    wp_pshared_unlock(&c->lock);
}

static int pc_destroy(struct wp_pcond *c)
{
    wp_pshared_lock(&c->lock);
    if (c->total > c->wakeup) {
        wp_pshared_unlock(&c->lock);
        return EBUSY;
    }
    /* Released waiters still to leave: wait for them (they only need the
     * lock, never a signal). */
    while (c->nwaiters) {
        wp_pshared_unlock(&c->lock);
        wp_pshared_pause();
        wp_pshared_lock(&c->lock);
    }
    /* All zero: a later (undefined) use finds a fresh private condvar,
     * not a weft condvar with sequence numbers for queue pointers. */
    memset((char *)c + sizeof c->lock, 0, sizeof *c - sizeof c->lock);
    wp_pshared_unlock(&c->lock);
    return 0;
}

/* ---- the calls ---- */

WP_EXPORT int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
    if (!c)
        return EINVAL;
    uint32_t a = attr ? wp_attr_word(attr) : 0;
    clockid_t clock = (clockid_t)((a & WP_CA_CLOCK_MASK) >> WP_CA_CLOCK_SHIFT);
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
        return EINVAL;
    if (a & WP_CA_PSHARED) {
        memset(c, 0, sizeof *c);
        __atomic_store_n(&PC(c)->tag, WP_CTAG_PSHARED | (uint32_t)clock, __ATOMIC_RELEASE);
        return 0;
    }
    memset(c, 0, sizeof *c);
    weft_condattr_t wa = {(uint32_t)clock};
    return weft_cond_init((weft_cond_t *)c, &wa);
}

WP_EXPORT int pthread_cond_destroy(pthread_cond_t *c)
{
    if (!c)
        return EINVAL;
    if (is_pshared(c))
        return pc_destroy(PC(c));
    return weft_cond_destroy((weft_cond_t *)c);
}

WP_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
    if (!c)
        return EINVAL;
    if (__builtin_expect(is_pshared(c), 0)) {
        pc_signal(PC(c), 0);
        return 0;
    }
    return weft_cond_signal((weft_cond_t *)c);
}

WP_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
    if (!c)
        return EINVAL;
    if (__builtin_expect(is_pshared(c), 0)) {
        pc_signal(PC(c), 1);
        return 0;
    }
    return weft_cond_broadcast((weft_cond_t *)c);
}

/* timed: clock and ts apply. */
static int wait(pthread_cond_t *c, pthread_mutex_t *m, int timed, clockid_t clock,
                const struct timespec *ts)
{
    if (!c || !m)
        return EINVAL;
    int ps = is_pshared(c);
    if (!ps && wp_mutex_is_plain(m)) {
        if (!timed)
            return weft_cond_wait((weft_cond_t *)c, (weft_mutex_t *)m);
        return weft_cond_clockwait((weft_cond_t *)c, (weft_mutex_t *)m, clock, ts);
    }
    uint64_t deadline = 0;
    if (timed) {
        int rc = wf_deadline(clock, ts, &deadline);
        if (rc == ETIMEDOUT) { /* passed already: keep the mutex */
            int own = wp_mutex_owned(m);
            return own ? own : ETIMEDOUT;
        }
        if (rc)
            return rc;
    }
    if (ps)
        return pc_wait(PC(c), m, deadline);
    struct wf_cond_ext x;
    int rc = wp_mutex_ext(m, &x);
    if (rc)
        return rc;
    return wf_cond_wait_ext((weft_cond_t *)c, &x, deadline);
}

WP_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    return wait(c, m, 0, CLOCK_REALTIME, NULL);
}

WP_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                     const struct timespec *ts)
{
    if (!c)
        return EINVAL;
    return wait(c, m, 1, (clockid_t)(clock_word(c) & 0xffffu), ts);
}

WP_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                                     const struct timespec *ts)
{
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
        return EINVAL;
    return wait(c, m, 1, clock, ts);
}
