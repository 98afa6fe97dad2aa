/* waitq.h - the one blocking primitive. Every primitive that waits (join,
 * semaphores, and later mutexes, condvars, I/O) parks its threads on a
 * waitqueue, recording a wait channel for dumps.
 *
 * No lost wakeups: the waiter checks its condition and queues itself under
 * wq->lock, and that lock stays held until the waiter is off its stack
 * (sched.c); a waker needs the same lock to find it. */
#ifndef WF_WAITQ_H
#define WF_WAITQ_H

#include <stdint.h>

#include "core/spinlock.h"
#include "core/thread.h"

struct wf_waitq {
    wf_spinlock_t lock;           /* guards the list and the waiters' wq links */
    struct wf_thread *head, *tail;
};

/* Precondition: wq->lock held by the caller, who found it must wait.
 * Queues the caller, parks it, returns with wq->lock released.
 * deadline: absolute CLOCK_MONOTONIC ns, 0 for none.
 * flags: WF_WAIT_* (intr.h); WF_WAIT_CANCEL makes the wait a cancellation
 * point.
 * Returns WF_WAKE_SIGNALED, WF_WAKE_TIMEDOUT, or WF_WAKE_INTERRUPTED: a
 * suspend (or, with WF_WAIT_CANCEL, a cancel) is pending; the caller is
 * off the queue and must undo its half-done wait, then call
 * wf_safe_point(flags) holding no lock, then retry. May switch. */
int wf_waitq_wait(struct wf_waitq *wq, const char *kind, const void *chan,
                  uint64_t deadline, int flags);
/* Precondition: wq->lock held. Wake the first waiter; 1 if one was woken. */
int wf_waitq_wake_one(struct wf_waitq *wq);
/* Precondition: wq->lock held. Unlink t (timeouts). */
void wf_waitq_remove(struct wf_waitq *wq, struct wf_thread *t);
/* The same for whichever queue t is on (t->wq->lock held). */
static inline void wf_waitq_remove_any(struct wf_thread *t)
{
    wf_waitq_remove(t->wq, t);
}

/* Every wait (waitq, join, sleep) is framed by these. Precondition of
 * wf_wait_begin: t->wait_lock set and held, t not yet BLOCKED. It returns 1
 * when a suspend or cancel (per flags, intr.h) is already pending: do not
 * park; release the lock, call wf_wait_done(t, 0) and report
 * WF_WAKE_INTERRUPTED. Else it arms the
 * deadline (0: none) and returns 0; set BLOCKED and park, then call
 * wf_wait_done with no lock held. */
int wf_wait_begin(struct wf_thread *t, uint64_t deadline, int flags);
void wf_wait_done(struct wf_thread *t, uint64_t deadline);

/* Lock t's current wait lock (which a requeue may change while t is
 * blocked) and return it. */
wf_spinlock_t *wf_wait_lock(struct wf_thread *t);

/* Precondition: from->lock and to->lock held (take from's first). Move up
 * to max waiters from the head of from to the tail of to, where they wait
 * as if they had called wf_waitq_wait on it (channel kind/chan, same
 * deadline, same flags); they are not woken. Returns the number moved.
 * A condvar's broadcast moves its waiters to the mutex this way, so they
 * wake one at a time as the mutex is released instead of as a herd. */
int wf_waitq_requeue(struct wf_waitq *from, struct wf_waitq *to, int max,
                     const char *kind, const void *chan);

static inline int wf_waitq_empty(const struct wf_waitq *wq)
{
    return wq->head == NULL;
}

#endif
