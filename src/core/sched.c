/* sched.c - the scheduler: switching, parking, waking, stealing, idling.
 *
 * THE MODEL
 * weft runs M weft threads on N vCPUs (host threads). Each vCPU owns an
 * O(1) run queue (rq.h): 32 priorities, an active and an expired array,
 * a bitmap each (Codezero's and Linux 2.6's design). A thread runs until it
 * yields, blocks or exits, or is preempted at a safe point past its slice
 * while others wait (preempt.c, wf_sched_preempt). Timeslices are counted
 * in 1 ms jiffies from the timer daemon: a thread that yields after its
 * slice ran out goes to the expired array, so a busy high-priority thread cannot starve lower ones forever.
 * A yield also goes to the expired array while a thread of its priority or
 * above waits there: a yield always lets its equals run first, even when
 * their slices ended at different jiffies. A thread just created or woken
 * by the running one takes the queue's run-next slot, and the one it
 * displaces goes to the head of its FIFO (rq.h): handing the vCPU to a
 * fresh child or a woken partner costs no cache misses, and a tree of
 * spawns runs depth first with few threads alive at once. Both are
 * bounded (a streak of 16, a run of 256) so queued threads still get in.
 *
 * Switches are direct, thread to thread: the thread that gives up the vCPU
 * picks the next one itself and jumps straight to it. Only when nothing is
 * runnable does it switch to the vCPU's idle context (the host thread's own
 * stack), which polls timers and I/O completions, steals, spins briefly and
 * then parks the host thread: in the I/O backend (io_uring or epoll wait,
 * src/io/port.c) together with its next timer, or on a futex when the I/O
 * port is not linked.
 *
 * Adopted host threads (main, library callbacks) are "bound": they are
 * never queued or switched; they wait in the kernel on their state word.
 *
 * THE HAND-OFF PROTOCOL
 * A thread that parks or yields must not become runnable elsewhere before
 * its registers are saved. So it switches away while still holding the lock
 * that a waker (or thief) needs: its wait lock when it blocks, its vCPU's
 * run queue lock always. The context that runs next on the same vCPU
 * releases them first thing (after_switch). The same trick keeps an exiting
 * thread's join_lock held until it is off its stack, so a joiner can never
 * reuse the record or stack while it is still in use.
 *
 * Lost wakeups cannot happen: a waiter decides to sleep and publishes itself
 * under its wait lock, and a waker must hold that lock to find it (waitq.h).
 *
 * WAKING AND STEALING
 * A woken thread goes to the waker's vCPU (cache-warm, one uncontended
 * lock), or to its last vCPU when the waker is a bound thread or daemon.
 * New threads go to the creator's vCPU. An idle vCPU steals half (at most
 * 256) of the busiest queue that has at least two threads waiting, or one
 * thread from a queue the timer daemon marked starving (its vCPU has not
 * switched for a whole tick while threads wait). Taking only from queues
 * of two or more keeps a create-then-join pair on one vCPU.
 *
 * Idle vCPUs spin for a short bounded time, then park. A vCPU that queues
 * work wakes its target if that one is parked, and wakes one parked vCPU
 * when its own queue holds two or more and nobody is spinning: one at a
 * time, never a herd. The park/wake handshake is store-buffer safe because
 * both sides order through run queue locks: the idler sets parked (xchg)
 * and then rechecks every queue under its lock; the enqueuer reads parked
 * only after taking the queue lock (an xchg, a full barrier on x86 and an
 * acquire in C11 terms, which is why `parked` is read seq_cst). Either the
 * idler's recheck sees the new thread or the enqueuer sees parked == 1.
 *
 * REJECTED
 * - A per-vCPU lock-free deque (Chase-Lev): its owner pop needs a full
 *   fence, which costs more here (~10 ns) than the uncontended spinlock
 *   (~2.2 ns lock+unlock measured on this machine), and gives LIFO order,
 *   not round robin.
 * - Asymmetric fences (membarrier) so the owner takes no lock at all: the
 *   yield path would lose ~2 ns, but ThreadSanitizer cannot see such
 *   ordering and the thief side would cost a system call per steal.
 * - Switching through a scheduler context on every switch: doubles the
 *   switch cost.
 * - Waking onto the wakee's last vCPU always: ping-pong between two vCPUs
 *   then bounces every message across cores.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "core/intr.h"
#include "core/runtime.h"
#include "core/sanitizer.h"
#include "core/sched.h"
#include "core/group.h"
#include "core/tls.h"
#include "core/waitq.h"
#include "debug/trace.h"
#include "host/host.h"
#include "host/sys.h"

#define STEAL_MAX 256
#define IDLE_SPIN 4000 /* pause loops (~50-150 us) before parking */

__thread struct wf_thread *wf_tls_self __attribute__((tls_model("initial-exec")));

static inline void count(_Atomic uint64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static inline uint32_t jiffies(void)
{
    return atomic_load_explicit(&wf_rt.jiffies, memory_order_relaxed);
}

/* The sanitizers' fiber calls act on the host thread's sanitizer state,
 * which AddressSanitizer finds through the TLS (a glibc key in the TCB):
 * around them, a thread with TLS of its own gives the vCPU's pointer back.
 * ThreadSanitizer builds have no own TLS (tls.c). */
static inline void san_before(struct wf_vcpu *v, struct wf_thread *self,
                              struct wf_thread *next, int dying)
{
#ifdef WF_ASAN
    if (v->cur_tp != v->host_tp) {
        v->cur_tp = v->host_tp;
        wf_arch_set_tp(v->host_tp);
    }
#else
    (void)v;
#endif
    wf_san_before(self, next, dying);
}

static inline void san_after(struct wf_vcpu *v, struct wf_thread *self)
{
#ifdef WF_ASAN
    if (self->tls) {
        wf_arch_set_tp(v->host_tp);
        wf_san_after(self);
        wf_arch_set_tp(self->tls);
        return;
    }
#else
    (void)v;
#endif
    wf_san_after(self);
}

/* Runs on self's stack right after a switch lands there: finish what the
 * previous context left (see THE HAND-OFF PROTOCOL). */
static void after_switch(struct wf_thread *self)
{
    struct wf_vcpu *v = self->vcpu;
    san_after(v, self);
    if (!self->tls)
        *v->errno_ptr = self->saved_errno;
    struct wf_thread *dead = v->dead;
    struct wf_stack dead_stack;
    int dead_detached = 0;
    if (dead) {
        v->dead = NULL;
        dead_stack = dead->stack;
        wf_san_thread_gone(dead);
        dead_detached = dead->detached;
        if (dead_detached) {
            /* Nobody will join: the handle dies now, under join_lock. */
            atomic_fetch_add_explicit(&dead->gen, 1, memory_order_relaxed);
            atomic_store_explicit(&dead->state, WF_FREE, memory_order_relaxed);
        }
    }
    if (v->unlock_wait) {
        wf_spin_unlock(v->unlock_wait);
        v->unlock_wait = NULL;
    }
    if (v->unlock_rq) {
        wf_spin_unlock(v->unlock_rq);
        v->unlock_rq = NULL;
    }
    if (dead) {
        wf_stack_free(&dead_stack);
        if (dead_detached) {
            wf_group_leave(dead->group);
            wf_slot_free(dead);
        }
    }
}

/* Precondition: self runs on v; v->unlock_* and v->dead are set as the
 * caller wants them handled; next != self and next is not queued.
 * dying: self never runs again. Returns when self is switched back to. */
static void switch_to(struct wf_vcpu *v, struct wf_thread *self,
                      struct wf_thread *next, int dying)
{
    if (!self->tls)
        self->saved_errno = *v->errno_ptr;
    if (__builtin_expect(!wf_stack_intact(&self->stack), 0))
        wf_stack_overflow(self, "the canary at its stack's end was overwritten");
    if (next->in_expired) { /* a fresh timeslice after the expired array */
        next->in_expired = 0;
        next->slice_start = jiffies();
    }
    v->current = next;
    next->vcpu = v;
    atomic_store_explicit(&next->state, WF_RUNNING, memory_order_relaxed);
    count(&v->nswitches);
    if (wf_trace_enabled())
        wf_trace_switch(v, self, next, dying);
    san_before(v, self, next, dying);
    /* Last before the jump, so that everything above ran with self's TLS;
     * wf_tls_self is written after, into the block next will run with. */
    void *tp = next->tls ? next->tls : v->host_tp;
    if (tp != v->cur_tp) {
        v->cur_tp = tp;
        wf_arch_set_tp(tp);
    }
#ifdef WF_ASAN
    if (next->tls)
        wf_tls_asan_switch(next, v);
#endif
    wf_tls_self = next;
    wf_arch_switch(&self->sp, next->sp);
    after_switch(self);
}

_Noreturn void wf_thread_entry(void)
{
    struct wf_thread *self = wf_tls_self;
    after_switch(self);
    if (self->tls)
        wf_tls_thread_start(self);
    if (__builtin_expect(wf_intr_any(self), 0))
        wf_safe_point(0); /* suspended before it ever ran */
    weft_exit(self->fn(self->arg));
}

/* ---- waking idle vCPUs ---- */

static void vcpu_unpark(struct wf_vcpu *w)
{
    if (atomic_exchange(&w->parked, 0)) {
        if (wf_io_hooks) /* it sleeps in the I/O backend (idle_sleep) */
            wf_io_hooks->kick(w);
        else
            wf_host_futex_wake((int *)&w->parked, 1);
    }
}

/* Wake one parked vCPU, unless one is spinning and will find the work. */
void wf_wake_one_idle(struct wf_vcpu *except)
{
    if (atomic_load(&wf_rt.nparked) == 0)
        return;
    if (atomic_load(&wf_rt.nidle) > atomic_load(&wf_rt.nparked))
        return; /* a spinner will see it */
    for (int i = 0; i < wf_rt.nvcpus; i++) {
        struct wf_vcpu *w = &wf_rt.vcpus[i];
        if (w != except && atomic_load(&w->parked)) {
            vcpu_unpark(w);
            return;
        }
    }
}

/* Precondition: t was just queued on v, v's rq lock was taken after the
 * push (the caller's lock acquisition orders the loads below). */
static void kick(struct wf_vcpu *v)
{
    if (atomic_load(&v->parked))
        vcpu_unpark(v);
    else if (wf_rq_nr(&v->rq) >= 2)
        wf_wake_one_idle(v);
}

/* next: into the next slot (rq.h), for a thread the running one of v just
 * created or woke. */
static void enqueue(struct wf_vcpu *v, struct wf_thread *t, int next)
{
    wf_spin_lock(&v->rq.lock);
    if (next)
        wf_rq_push_next(&v->rq, t);
    else
        wf_rq_push(&v->rq, t, 0);
    count(&v->nwakeups);
    wf_spin_unlock(&v->rq.lock);
    if (wf_trace_enabled())
        wf_trace_wake(v, t);
    kick(v);
}

void wf_sched_start(struct wf_thread *t)
{
    static atomic_uint spread;
    struct wf_thread *self = wf_tls_self;
    struct wf_vcpu *v;
    int local = self && !(self->flags & WF_TF_BOUND);
    if (local)
        v = self->vcpu;
    else
        v = &wf_rt.vcpus[atomic_fetch_add_explicit(&spread, 1, memory_order_relaxed) %
                         (unsigned)wf_rt.nvcpus];
    t->vcpu = v;
    atomic_store_explicit(&t->state, WF_RUNNABLE, memory_order_relaxed);
    enqueue(v, t, local);
}

/* ---- parking and waking ---- */

static void bound_park(struct wf_thread *self, wf_spinlock_t *lock)
{
    /* The futex wait fails with EAGAIN when the waker was first: keep the
     * caller's errno, as a switch keeps a vCPU thread's. */
    int saved_errno = errno;
    uint64_t deadline = self->timer.deadline;
    /* A bound thread waiting without a deadline can no longer wake anyone. */
    int counted = !(self->flags & WF_TF_DAEMON) && !deadline;
    /* The waker counts us running again (wf_unpark), so there is no moment
     * when neither of us counts and the deadlock check could misjudge. */
    self->bound_counted = (uint8_t)counted;
    wf_spin_unlock(lock);
    if (counted && atomic_fetch_sub(&wf_rt.bound_running, 1) == 1)
        wf_daemon_kick(); /* it runs the deadlock check if all is idle */
    while (atomic_load_explicit(&self->state, memory_order_acquire) == WF_BLOCKED) {
        int r = wf_host_futex_wait((int *)&self->state, WF_BLOCKED, deadline);
        if (r == -ETIMEDOUT) {
            lock = wf_wait_lock(self); /* a requeue may have moved us */
            if (atomic_load_explicit(&self->state, memory_order_relaxed) == WF_BLOCKED) {
                if (self->wq)
                    wf_waitq_remove_any(self);
                self->wake_reason = WF_WAKE_TIMEDOUT;
                atomic_store_explicit(&self->state, WF_RUNNING, memory_order_relaxed);
            }
            wf_spin_unlock(lock);
        }
    }
    self->timer.deadline = 0;
    errno = saved_errno;
}

void wf_park(struct wf_thread *self, wf_spinlock_t *lock)
{
    if (self->flags & WF_TF_BOUND) {
        bound_park(self, lock);
        return;
    }
    struct wf_vcpu *v = self->vcpu;
    v->unlock_wait = lock;
    wf_spin_lock(&v->rq.lock);
    v->unlock_rq = &v->rq.lock;
    struct wf_thread *next = wf_rq_pop(&v->rq);
    switch_to(v, self, next ? next : v->idle, 0);
}

static void unpark(struct wf_thread *t, int reason, int may_next)
{
    t->wake_reason = reason;
    if (t->flags & WF_TF_BOUND) {
        atomic_fetch_add_explicit(&wf_rt.bound_wakes, 1, memory_order_relaxed);
        if (t->bound_counted) {
            t->bound_counted = 0;
            atomic_fetch_add(&wf_rt.bound_running, 1);
        }
        atomic_store_explicit(&t->state, WF_RUNNING, memory_order_release);
        wf_host_futex_wake((int *)&t->state, 1);
        return;
    }
    atomic_store_explicit(&t->state, WF_RUNNABLE, memory_order_relaxed);
    struct wf_thread *self = wf_tls_self;
    int local = self && !(self->flags & WF_TF_BOUND);
    struct wf_vcpu *v = local ? self->vcpu : t->vcpu;
    enqueue(v, t, may_next && local && !(self->flags & WF_TF_IDLE));
}

void wf_unpark(struct wf_thread *t, int reason)
{
    unpark(t, reason, 1);
}

void wf_unpark_fifo(struct wf_thread *t, int reason)
{
    unpark(t, reason, 0);
}

_Noreturn void wf_sched_exit(struct wf_thread *self)
{
    struct wf_vcpu *v = self->vcpu;
    v->dead = self;
    v->unlock_wait = &self->join_lock;
    wf_spin_lock(&v->rq.lock);
    v->unlock_rq = &v->rq.lock;
    struct wf_thread *next = wf_rq_pop(&v->rq);
    switch_to(v, self, next ? next : v->idle, 1);
    wf_panic(self, "an exited thread was resumed");
}

/* ---- timers seen from the scheduler ---- */

/* Fire the due timers of every vCPU (idle vCPUs help busy ones). */
static int poll_timers(uint64_t now)
{
    int n = 0;
    for (int i = 0; i < wf_rt.nvcpus; i++) {
        struct wf_timer_heap *h = &wf_rt.vcpus[i].timers;
        if (atomic_load_explicit(&h->next, memory_order_relaxed) <= now)
            n += wf_timer_run_due(h, now);
    }
    return n;
}

static int timers_due(uint64_t now)
{
    for (int i = 0; i < wf_rt.nvcpus; i++)
        if (atomic_load_explicit(&wf_rt.vcpus[i].timers.next, memory_order_relaxed) <= now)
            return 1;
    return 0;
}

/* The yield itself, shared by weft_yield and preemption: queue self as
 * after a yield (in the expired array when its slice is over; a yield
 * lets every other thread of the same or a higher priority run first, and
 * those whose slices ran out wait in the expired array: join them there,
 * or the yield would pick self again for the rest of its slice), and
 * switch to the next one unless that is self. */
static inline void requeue_and_switch(struct wf_vcpu *v, struct wf_thread *self, uint32_t j,
                                      int preempted)
{
    int expired = j - self->slice_start >= wf_slice_ticks(self->prio);
    wf_spin_lock(&v->rq.lock);
    expired |= (v->rq.expired->bitmap >> self->prio) != 0;
    wf_rq_push(&v->rq, self, expired);
    struct wf_thread *next = wf_rq_pop(&v->rq);
    if (next == self) {
        if (self->in_expired) {
            self->in_expired = 0;
            self->slice_start = j;
        }
        wf_spin_unlock(&v->rq.lock);
        return;
    }
    atomic_store_explicit(&self->state, WF_RUNNABLE, memory_order_relaxed);
    if (preempted)
        count(&v->npreempts);
    v->unlock_rq = &v->rq.lock;
    switch_to(v, self, next, 0);
}

int weft_yield(void)
{
    struct wf_thread *self = wf_self();
    if (__builtin_expect(wf_intr_any(self), 0))
        wf_safe_point(0); /* a yield is a safe point for suspend */
    if (self->flags & WF_TF_BOUND) {
        wf_host_yield();
        return 0;
    }
    struct wf_vcpu *v = self->vcpu;
    uint32_t j = jiffies();
    if (__builtin_expect(j != atomic_load_explicit(&v->timer_jiffy, memory_order_relaxed), 0)) {
        atomic_store_explicit(&v->timer_jiffy, j, memory_order_relaxed);
        poll_timers(wf_host_now());
    }
    if (!wf_rq_nr(&v->rq))
        return 0; /* nobody else to run */
    requeue_and_switch(v, self, j, 0);
    if (__builtin_expect(wf_intr_any(self), 0))
        wf_safe_point(0); /* suspended while it waited in the queue */
    return 0;
}

/* Preemption (preempt.c): a yield whose timeslice ended, at a safe point
 * the caller found. Queued in the expired array when its slice is over
 * (or its equals wait there), else at the tail of its priority in the
 * active array (a higher-priority thread waits), so priorities and round
 * robin order execution as with yields. Counted in npreempts when it
 * switches. */
void wf_sched_preempt(struct wf_thread *self)
{
    struct wf_vcpu *v = self->vcpu;
    /* A request is done with once looked at (a switch makes it stale too). */
    atomic_store_explicit(&v->preempt_pending, 0, memory_order_relaxed);
    if (!wf_rq_nr(&v->rq))
        return;
    requeue_and_switch(v, self, jiffies(), 1);
}

/* ---- the idle loop ---- */

/* Steal from the busiest queue (see WAKING AND STEALING); returns how many
 * threads were moved onto v's queue. */
static unsigned steal(struct wf_vcpu *v)
{
    struct wf_vcpu *best = NULL;
    unsigned best_nr = 0;
    for (int i = 0; i < wf_rt.nvcpus; i++) {
        struct wf_vcpu *w = &wf_rt.vcpus[i];
        unsigned n = wf_rq_nr(&w->rq);
        if (w == v || n == 0)
            continue;
        if ((n >= 2 || atomic_load_explicit(&w->starving, memory_order_relaxed)) && n > best_nr) {
            best = w;
            best_nr = n;
        }
    }
    if (!best)
        return 0;
    struct wf_thread *list = NULL;
    wf_spin_lock(&best->rq.lock);
    unsigned n = wf_rq_nr(&best->rq);
    unsigned want = n >= 2 ? n / 2 : n;
    if (want > STEAL_MAX)
        want = STEAL_MAX;
    unsigned got = want ? wf_rq_take_tail(&best->rq, want, &list) : 0;
    wf_spin_unlock(&best->rq.lock);
    if (!got)
        return 0;
    atomic_store_explicit(&best->starving, 0, memory_order_relaxed);
    wf_spin_lock(&v->rq.lock);
    while (list) {
        struct wf_thread *t = list;
        list = t->rq_next;
        wf_rq_push(&v->rq, t, t->in_expired);
    }
    atomic_store_explicit(&v->nsteals,
                          atomic_load_explicit(&v->nsteals, memory_order_relaxed) + got,
                          memory_order_relaxed);
    wf_spin_unlock(&v->rq.lock);
    if (wf_trace_enabled())
        wf_trace_steal(v, best, got);
    if (got >= 2)
        wf_wake_one_idle(v); /* more than v can run at once: pass it on */
    return got;
}

/* Something for v to do: its own queue, a queue worth stealing from, a
 * due timer. Racy reads: a hint only. */
static int work_visible(struct wf_vcpu *v, uint64_t now)
{
    if (wf_rq_nr(&v->rq))
        return 1;
    for (int i = 0; i < wf_rt.nvcpus; i++) {
        struct wf_vcpu *w = &wf_rt.vcpus[i];
        unsigned n = wf_rq_nr(&w->rq);
        if (w != v && (n >= 2 || (n && atomic_load_explicit(&w->starving, memory_order_relaxed))))
            return 1;
    }
    return timers_due(now);
}

/* The recheck after announcing parked: every queue under its lock (see the
 * park/wake handshake above). */
static int work_after_parked(struct wf_vcpu *v)
{
    for (int i = 0; i < wf_rt.nvcpus; i++) {
        struct wf_vcpu *w = &wf_rt.vcpus[i];
        wf_spin_lock(&w->rq.lock);
        unsigned n = wf_rq_nr(&w->rq);
        wf_spin_unlock(&w->rq.lock);
        if (w == v ? n > 0 : (n >= 2 || (n && atomic_load(&w->starving))))
            return 1;
    }
    return timers_due(wf_host_now());
}

/* Sleep until woken (parked cleared) or deadline (0: none): in the I/O
 * backend when the port is linked, so completions wake the vCPU too
 * (src/io/port.c), else on the parked word. -ETIMEDOUT or 0. */
static int idle_sleep(struct wf_vcpu *v, uint64_t deadline)
{
    if (wf_io_hooks)
        return wf_io_hooks->idle_wait(v, deadline);
    return wf_host_futex_wait((int *)&v->parked, 1, deadline);
}

static void idle_wait(struct wf_vcpu *v)
{
    atomic_store(&v->idling, 1);
    atomic_fetch_add(&wf_rt.nidle, 1);
    for (int i = 0; i < IDLE_SPIN; i++) {
        if ((i & 63) == 0 ? work_visible(v, wf_host_now()) : wf_rq_nr(&v->rq) != 0)
            goto out;
        wf_cpu_relax();
    }
    atomic_store(&v->parked, 1);
    atomic_fetch_add(&wf_rt.nparked, 1);
    if (!work_after_parked(v)) {
        uint64_t deadline = atomic_load_explicit(&v->timers.next, memory_order_relaxed);
        count(&v->nparks);
        while (atomic_load(&v->parked))
            if (idle_sleep(v, deadline == UINT64_MAX ? 0 : deadline) == -ETIMEDOUT)
                break;
    }
    atomic_store(&v->parked, 0);
    atomic_fetch_sub(&wf_rt.nparked, 1);
out:
    atomic_fetch_sub(&wf_rt.nidle, 1);
    atomic_store(&v->idling, 0);
    wf_daemon_kick();
}

_Noreturn void wf_vcpu_loop(struct wf_vcpu *v)
{
    struct wf_thread *self = v->idle;
    for (;;) {
        poll_timers(wf_host_now());
        atomic_store_explicit(&v->timer_jiffy, jiffies(), memory_order_relaxed);
        if (wf_io_hooks) /* I/O queued or completed, its own and others' */
            for (int i = 0; i < wf_rt.nvcpus; i++)
                wf_io_hooks->poll(&wf_rt.vcpus[i]);
        if (wf_rq_nr(&v->rq) == 0)
            steal(v);
        wf_spin_lock(&v->rq.lock);
        struct wf_thread *next = wf_rq_pop(&v->rq);
        if (next) {
            v->unlock_rq = &v->rq.lock;
            switch_to(v, self, next, 0);
            continue;
        }
        wf_spin_unlock(&v->rq.lock);
        idle_wait(v);
    }
}
