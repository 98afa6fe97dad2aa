/* intr.c - cancellation and suspension, acted on at safe points (intr.h).
 *
 * Neither reaches into a running thread: weft_cancel and weft_suspend set a
 * bit in the target's intr_pending and, if the target is parked in a wait
 * the bit applies to, wake it with WF_WAKE_INTERRUPTED. The target then
 * undoes its wait and calls wf_safe_point, where it stops (suspend) or ends
 * (cancel). A target that is running or queued finds the bit at its next
 * wait, yield or cancellation point. */
#include <errno.h>
#include <limits.h>

#include "core/intr.h"
#include "core/preempt.h"
#include "core/runtime.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/waitq.h"

void wf_intr_init(struct wf_thread *t)
{
    atomic_store_explicit(&t->intr_pending, 0, memory_order_relaxed);
    atomic_store_explicit(&t->intr_wait, NULL, memory_order_relaxed);
    atomic_store_explicit(&t->cancel_mode, 0, memory_order_relaxed);
    t->suspend_parked = 0;
    t->suspend_count = 0;
    t->cleanup = NULL;
    wf_signal_init(t);
}

/* Wake t out of its wait if the pending bits apply to that wait. Callable
 * from any thread holding no lock. A stale t (ended, record reused) at
 * worst gets a spurious interrupt: every wait retries after one. */
void wf_intr_kick(struct wf_thread *t)
{
    atomic_fetch_add(&t->intr_busy, 1);
    if (atomic_load(&t->intr_wait)) {
        wf_spinlock_t *lk = wf_wait_lock(t);
        if (atomic_load_explicit(&t->state, memory_order_relaxed) == WF_BLOCKED &&
            atomic_load_explicit(&t->intr_wait, memory_order_relaxed) &&
            wf_intr_stops(t, atomic_load(&t->intr_pending), t->intr_flags)) {
            if (t->wq)
                wf_waitq_remove(t->wq, t);
            wf_unpark(t, WF_WAKE_INTERRUPTED);
        }
        wf_spin_unlock(lk);
    } else if (atomic_load_explicit(&t->state, memory_order_relaxed) == WF_RUNNING) {
        wf_preempt_kick(t); /* acts at its next safe point (preempt.c) */
    }
    atomic_fetch_sub(&t->intr_busy, 1);
}

/* Look up a thread that may be interrupted: join_lock held on success. */
static int lock_target(weft_t h, struct wf_thread **out)
{
    wf_runtime_start_fast();
    struct wf_thread *t = wf_thread_lock_handle(h);
    if (!t)
        return ESRCH;
    if (t->flags & (WF_TF_DAEMON | WF_TF_IDLE)) {
        wf_spin_unlock(&t->join_lock);
        return EPERM;
    }
    *out = t;
    return 0;
}

/* ---- suspend ---- */

/* Stop until resumed. The thread is BLOCKED on its own intr_lock with wait
 * channel "suspended"; weft_resume unparks it. */
static void suspend_park(struct wf_thread *self)
{
    wf_spin_lock(&self->intr_lock);
    while (self->suspend_count > 0) {
        atomic_store_explicit(&self->wait_lock, &self->intr_lock, memory_order_relaxed);
        self->wq = NULL;
        self->wchan = NULL;
        atomic_store_explicit(&self->wchan_kind, "suspended", memory_order_relaxed);
        self->suspend_parked = 1;
        atomic_store_explicit(&self->state, WF_BLOCKED, memory_order_relaxed);
        wf_park(self, &self->intr_lock);
        wf_spin_lock(&self->intr_lock);
    }
    atomic_store_explicit(&self->wchan_kind, NULL, memory_order_relaxed);
    wf_spin_unlock(&self->intr_lock);
}

int weft_suspend(weft_t h)
{
    struct wf_thread *t;
    int rc = lock_target(h, &t);
    if (rc)
        return rc;
    if (atomic_load_explicit(&t->state, memory_order_relaxed) == WF_EXITED) {
        wf_spin_unlock(&t->join_lock);
        return ESRCH;
    }
    wf_spin_lock(&t->intr_lock);
    if (t->suspend_count == INT_MAX)
        rc = EAGAIN;
    else if (t->suspend_count++ == 0)
        atomic_fetch_or(&t->intr_pending, WF_INTR_SUSPEND);
    wf_spin_unlock(&t->intr_lock);
    wf_spin_unlock(&t->join_lock);
    if (rc)
        return rc;
    if (t == wf_self())
        wf_safe_point(0);
    else
        wf_intr_kick(t);
    return 0;
}

int weft_resume(weft_t h)
{
    struct wf_thread *t;
    int rc = lock_target(h, &t);
    if (rc)
        return rc;
    wf_spin_lock(&t->intr_lock);
    if (atomic_load_explicit(&t->state, memory_order_relaxed) == WF_EXITED) {
        rc = ESRCH;
    } else if (t->suspend_count == 0) {
        rc = EINVAL;
    } else if (--t->suspend_count == 0) {
        atomic_fetch_and(&t->intr_pending, ~(unsigned)WF_INTR_SUSPEND);
        if (t->suspend_parked) {
            t->suspend_parked = 0;
            wf_unpark(t, WF_WAKE_SIGNALED); /* its wait lock is intr_lock */
        }
    }
    wf_spin_unlock(&t->intr_lock);
    wf_spin_unlock(&t->join_lock);
    return rc;
}

/* ---- cancellation ---- */

int weft_cancel(weft_t h)
{
    struct wf_thread *t;
    int rc = lock_target(h, &t);
    if (rc)
        return rc;
    int live = atomic_load_explicit(&t->state, memory_order_relaxed) != WF_EXITED;
    if (live)
        atomic_fetch_or(&t->intr_pending, WF_INTR_CANCEL);
    wf_spin_unlock(&t->join_lock);
    if (live && t != wf_self())
        wf_intr_kick(t);
    return 0;
}

static _Noreturn void act_on_cancel(void)
{
    const struct wf_posix_hooks *h = atomic_load_explicit(&wf_posix_hooks, memory_order_acquire);
    if (h)
        h->unwind(wf_self(), WEFT_CANCELED);
    weft_exit(WEFT_CANCELED);
}

int wf_safe_point(int flags)
{
    struct wf_thread *self = wf_self();
    int sig = 0;
    if (atomic_load(&self->intr_pending) & WF_INTR_SIGNAL)
        sig = wf_signal_deliver(self);
    if (atomic_load(&self->intr_pending) & WF_INTR_SUSPEND)
        suspend_park(self);
    if (wf_intr_stops(self, atomic_load(&self->intr_pending) & WF_INTR_CANCEL, flags))
        act_on_cancel();
    return sig;
}

void weft_testcancel(void)
{
    wf_safe_point(WF_WAIT_CANCEL);
}

static int set_mode_bit(unsigned bit, int on, int *old)
{
    struct wf_thread *self = wf_self();
    unsigned m = atomic_load_explicit(&self->cancel_mode, memory_order_relaxed);
    if (old)
        *old = (m & bit) != 0;
    m = on ? (m | bit) : (m & ~bit);
    atomic_store_explicit(&self->cancel_mode, (unsigned char)m, memory_order_relaxed);
    /* asynchronous and enabled with a cancel pending: now is a safe point */
    if ((m & WF_CANCEL_ASYNC) && !(m & WF_CANCEL_OFF) &&
        (atomic_load(&self->intr_pending) & WF_INTR_CANCEL))
        act_on_cancel();
    return 0;
}

int weft_setcancelstate(int state, int *old)
{
    if (state != WEFT_CANCEL_ENABLE && state != WEFT_CANCEL_DISABLE)
        return EINVAL;
    return set_mode_bit(WF_CANCEL_OFF, state == WEFT_CANCEL_DISABLE, old);
}

int weft_setcanceltype(int type, int *old)
{
    if (type != WEFT_CANCEL_DEFERRED && type != WEFT_CANCEL_ASYNCHRONOUS)
        return EINVAL;
    return set_mode_bit(WF_CANCEL_ASYNC, type == WEFT_CANCEL_ASYNCHRONOUS, old);
}

/* ---- cleanup handlers ---- */

void weft_cleanup_push_frame(weft_cleanup_t *c, void (*fn)(void *), void *arg)
{
    struct wf_thread *self = wf_self();
    c->fn = fn;
    c->arg = arg;
    c->prev = self->cleanup;
    self->cleanup = c;
}

void weft_cleanup_pop_frame(weft_cleanup_t *c, int execute)
{
    struct wf_thread *self = wf_self();
    self->cleanup = c->prev;
    if (execute && c->fn)
        c->fn(c->arg);
}

void wf_intr_exit(struct wf_thread *self)
{
    /* POSIX: an exiting thread is no longer cancellable, so handlers that
     * reach cancellation points run to the end. */
    atomic_fetch_or_explicit(&self->cancel_mode, WF_CANCEL_OFF, memory_order_relaxed);
    wf_signal_exit(self);
    while (self->cleanup) {
        weft_cleanup_t *c = self->cleanup;
        self->cleanup = c->prev;
        if (c->fn)
            c->fn(c->arg);
    }
}
