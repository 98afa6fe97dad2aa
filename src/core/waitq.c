/* waitq.c - queueing threads on a waitqueue (see waitq.h). */
#include "core/waitq.h"
#include "core/runtime.h"
#include "core/intr.h"
#include "core/sched.h"

/* A timed wait ran out: the timer fires with no lock held; the thread
 * cannot leave its wait before this returns (wf_timer_disarm waits). */
static void timeout_fire(struct wf_timer *tm)
{
    struct wf_thread *t = (struct wf_thread *)((char *)tm - offsetof(struct wf_thread, timer));
    wf_spinlock_t *lk = wf_wait_lock(t);
    if (atomic_load_explicit(&t->state, memory_order_relaxed) == WF_BLOCKED) {
        if (t->wq)
            wf_waitq_remove(t->wq, t);
        wf_unpark(t, WF_WAKE_TIMEDOUT);
    }
    wf_spin_unlock(lk);
}

/* Let interrupters find this wait (intr.h), then look for one pending. */
static int intr_begin(struct wf_thread *t, int flags)
{
    t->intr_flags = flags;
    atomic_store(&t->intr_wait, atomic_load_explicit(&t->wait_lock, memory_order_relaxed));
    /* An interrupter that saw intr_wait will wait for the lock we hold and
     * find t not blocked; wf_wait_done waits until it has let go. */
    return wf_intr_stops(t, atomic_load(&t->intr_pending), flags);
}

static void intr_end(struct wf_thread *t)
{
    atomic_store(&t->intr_wait, NULL);
    while (atomic_load(&t->intr_busy))
        wf_cpu_relax();
}

int wf_wait_begin(struct wf_thread *t, uint64_t deadline, int flags)
{
    if (intr_begin(t, flags))
        return 1;
    t->timer.deadline = deadline;
    if (!deadline || (t->flags & WF_TF_BOUND))
        return 0;
    t->timer.fire = timeout_fire;
    if (wf_timer_arm(&t->vcpu->timers, &t->timer, deadline))
        wf_panic(t, "no memory to grow the timer heap");
    return 0;
}

/* After the wait: make sure the timer and interrupters are gone. */
void wf_wait_done(struct wf_thread *t, uint64_t deadline)
{
    if (deadline && !(t->flags & WF_TF_BOUND))
        wf_timer_disarm(&t->timer);
    t->timer.deadline = 0;
    intr_end(t);
    atomic_store_explicit(&t->wchan_kind, NULL, memory_order_relaxed);
}

int wf_waitq_wait(struct wf_waitq *wq, const char *kind, const void *chan, uint64_t deadline,
                  int flags)
{
    struct wf_thread *self = wf_self();
    atomic_store_explicit(&self->wait_lock, &wq->lock, memory_order_relaxed);
    if (wf_wait_begin(self, deadline, flags)) {
        wf_spin_unlock(&wq->lock);
        wf_wait_done(self, 0);
        return WF_WAKE_INTERRUPTED;
    }
    self->wq_next = NULL;
    self->wq_prev = wq->tail;
    if (wq->tail)
        wq->tail->wq_next = self;
    else
        wq->head = self;
    wq->tail = self;
    self->wq = wq;
    self->wchan = chan;
    atomic_store_explicit(&self->wchan_kind, kind, memory_order_relaxed);
    self->wake_reason = WF_WAKE_NONE;
    atomic_store_explicit(&self->state, WF_BLOCKED, memory_order_relaxed);
    wf_park(self, &wq->lock);
    wf_wait_done(self, deadline);
    return self->wake_reason;
}

void wf_waitq_remove(struct wf_waitq *wq, struct wf_thread *t)
{
    if (t->wq_prev)
        t->wq_prev->wq_next = t->wq_next;
    else
        wq->head = t->wq_next;
    if (t->wq_next)
        t->wq_next->wq_prev = t->wq_prev;
    else
        wq->tail = t->wq_prev;
    t->wq_next = t->wq_prev = NULL;
    t->wq = NULL;
}

int wf_waitq_wake_one(struct wf_waitq *wq)
{
    struct wf_thread *t = wq->head;
    if (!t)
        return 0;
    wf_waitq_remove(wq, t);
    wf_unpark(t, WF_WAKE_SIGNALED);
    return 1;
}

wf_spinlock_t *wf_wait_lock(struct wf_thread *t)
{
    for (;;) {
        wf_spinlock_t *lk = atomic_load_explicit(&t->wait_lock, memory_order_acquire);
        wf_spin_lock(lk);
        /* Changing it needs lk too, so it is stable once equal. */
        if (atomic_load_explicit(&t->wait_lock, memory_order_relaxed) == lk)
            return lk;
        wf_spin_unlock(lk);
    }
}

int wf_waitq_requeue(struct wf_waitq *from, struct wf_waitq *to, int max,
                     const char *kind, const void *chan)
{
    int n = 0;
    while (n < max && from->head) {
        struct wf_thread *t = from->head;
        wf_waitq_remove(from, t);
        t->wq_next = NULL;
        t->wq_prev = to->tail;
        if (to->tail)
            to->tail->wq_next = t;
        else
            to->head = t;
        to->tail = t;
        t->wq = to;
        t->wchan = chan;
        atomic_store_explicit(&t->wchan_kind, kind, memory_order_relaxed);
        atomic_store_explicit(&t->wait_lock, &to->lock, memory_order_release);
        n++;
    }
    return n;
}
