/* intr.h - interruptible blocking (Codezero's design): cancellation and
 * suspension act only at safe points. A wait that finds one pending, or is
 * interrupted by one, returns WF_WAKE_INTERRUPTED; its caller undoes its
 * half-done wait (for a condvar: relocks the mutex) and calls
 * wf_safe_point, which stops a suspended thread until it is resumed and
 * ends a cancelled one, then retries.
 *
 * The interrupt protocol (Dekker-style, all seq_cst): the interrupter sets
 * a bit in t->intr_pending, raises t->intr_busy, then reads t->intr_wait;
 * the waiter stores t->intr_wait, then reads t->intr_pending (wf_wait_begin).
 * One of them sees the other. An interrupter that sees the wait takes the
 * wait lock and unparks the thread if it is still blocked; the waiter clears
 * intr_wait and waits for intr_busy to drop before it leaves the wait
 * (wf_wait_done), so the wait lock it looked at stays valid. */
#ifndef WF_INTR_H
#define WF_INTR_H

#include "core/thread.h"

enum {
    WF_WAIT_CANCEL = 1,   /* the wait is a cancellation point */
};

/* intr_pending. WF_INTR_SIGNAL: a signal is pending that the thread does
 * not block or waits for (core/signal.c keeps it exact, under sig_lock);
 * every interruptible wait stops for it, runs the handler at the safe
 * point and then retries or returns EINTR (see signal.c). */
enum { WF_INTR_CANCEL = 1, WF_INTR_SUSPEND = 2, WF_INTR_SIGNAL = 4 };
enum { WF_CANCEL_OFF = 1, WF_CANCEL_ASYNC = 2 };         /* cancel_mode */

/* Act on what is pending for the calling thread: run the handlers of
 * deliverable signals, stop while suspended (until weft_resume), then,
 * with WF_WAIT_CANCEL (or the asynchronous type) and cancellation enabled,
 * a cancel: ends the thread, does not return. Call with no lock held. May
 * switch. Returns the WF_SIG_* bits of the signals delivered (signal.h):
 * a call that POSIX lets fail with EINTR returns it when nonzero (or, for
 * the restartable ones, when WF_SIG_NORESTART is set). */
int wf_safe_point(int flags);

/* Wake t out of an interruptible wait if what is pending applies to it. */
void wf_intr_kick(struct wf_thread *t);

/* Would what is pending stop a wait with these flags? */
static inline int wf_intr_stops(struct wf_thread *t, unsigned pending, int flags)
{
    if (pending & (WF_INTR_SUSPEND | WF_INTR_SIGNAL))
        return 1;
    unsigned mode = atomic_load_explicit(&t->cancel_mode, memory_order_relaxed);
    return (pending & WF_INTR_CANCEL) && !(mode & WF_CANCEL_OFF) &&
           ((flags & WF_WAIT_CANCEL) || (mode & WF_CANCEL_ASYNC));
}

/* Cheap check for the yield path: anything pending at all? */
static inline int wf_intr_any(struct wf_thread *t)
{
    return atomic_load_explicit(&t->intr_pending, memory_order_relaxed) != 0;
}

/* Fresh state for a new or adopted thread. */
void wf_intr_init(struct wf_thread *t);
/* weft_exit's first step: cancellation off, cleanup handlers run. */
void wf_intr_exit(struct wf_thread *t);

#endif
