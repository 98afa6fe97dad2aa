/* once.c - run a function once; late callers park until it has returned.
 *
 * weft_once_t is 4 bytes (glibc's pthread_once_t), no room for a queue,
 * so waiters park on one of a few shared waitqueues chosen by the
 * object's address (a parking lot). The one that finishes wakes, in its
 * bucket, only the threads whose wait channel is its object.
 *
 * States: NEVER (0, the static initializer) -> RUNNING (one caller runs
 * fn) -> DONE. WAITERS marks RUNNING with parked waiters, set under the
 * bucket's lock, so the runner takes that lock only when someone waits.
 * If fn is cancelled (it reached a cancellation point), a cleanup handler
 * puts the object back to NEVER and wakes the waiters, one of which runs
 * fn anew (POSIX).
 */
#include <errno.h>
#include <stdint.h>

#include "core/intr.h"
#include "core/runtime.h"
#include "core/sched.h"
#include "core/waitq.h"
#include "weft/sync.h"
#include "weft/thread.h"

enum { NEVER = 0, RUNNING = 1, WAITERS = 2, DONE = 3 };

#define NBUCKETS 64 /* a power of two */

/* Buckets never go away; each bucket's lock guards its queue. */
static struct wf_waitq buckets[NBUCKETS];

_Static_assert(sizeof(weft_once_t) <= 4, "bigger than glibc's pthread_once_t");

static struct wf_waitq *bucket(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    return &buckets[((a >> 2) ^ (a >> 9) ^ (a >> 16)) & (NBUCKETS - 1)];
}

static inline _Atomic uint32_t *word(weft_once_t *once)
{
    return (_Atomic uint32_t *)&once->state;
}

/* Leave RUNNING for to (DONE, or NEVER after a cancel); wake the waiters
 * if there are any. */
static void finish(weft_once_t *once, uint32_t to)
{
    /* release: publishes fn's effects with DONE */
    if (atomic_exchange_explicit(word(once), to, memory_order_acq_rel) != WAITERS)
        return;
    struct wf_waitq *wq = bucket(once);
    wf_spin_lock(&wq->lock);
    for (struct wf_thread *t = wq->head, *next; t; t = next) {
        next = t->wq_next;
        if (t->wchan == (const void *)once) {
            wf_waitq_remove(wq, t);
            wf_unpark(t, WF_WAKE_SIGNALED);
        }
    }
    wf_spin_unlock(&wq->lock);
}

static void cancelled(void *once)
{
    finish(once, NEVER);
}

/* Park while fn runs; return once it is DONE or back to NEVER. */
static void wait_running(weft_once_t *once)
{
    _Atomic uint32_t *w = word(once);
    struct wf_waitq *wq = bucket(once);
    wf_runtime_start_fast();
    for (;;) {
        wf_spin_lock(&wq->lock);
        uint32_t s = atomic_load_explicit(w, memory_order_acquire);
        if (s == RUNNING &&
            atomic_compare_exchange_strong_explicit(w, &s, WAITERS, memory_order_acquire,
                                                    memory_order_acquire))
            s = WAITERS; /* a failed CAS leaves s = DONE or NEVER */
        if (s != WAITERS) {
            wf_spin_unlock(&wq->lock);
            return;
        }
        /* Not a cancellation point (POSIX); a suspend interrupts it. */
        if (wf_waitq_wait(wq, "once", once, 0, 0) == WF_WAKE_INTERRUPTED)
            wf_safe_point(0);
    }
}

int weft_once(weft_once_t *once, void (*fn)(void))
{
    if (!once || !fn)
        return EINVAL;
    _Atomic uint32_t *w = word(once);
    for (;;) {
        /* acquire: fn's effects are visible to whoever sees DONE */
        uint32_t s = atomic_load_explicit(w, memory_order_acquire);
        if (__builtin_expect(s == DONE, 1))
            return 0;
        if (s == NEVER &&
            atomic_compare_exchange_strong_explicit(w, &s, RUNNING, memory_order_acquire,
                                                    memory_order_acquire)) {
            weft_cleanup_push(cancelled, once);
            fn();
            weft_cleanup_pop(0);
            finish(once, DONE);
            return 0;
        }
        if (s != NEVER)
            wait_running(once);
    }
}
