/* daemon.c - the timer daemon, a thread of group 0 on its own host thread.
 * Every millisecond while any vCPU is busy it:
 * - advances the jiffy clock that timeslices are counted in (a clock read
 *   on every yield would cost more than the rest of the yield);
 * - fires timers of vCPUs too busy to poll them (idle vCPUs poll everyone's
 *   timers themselves), and passes on their I/O submissions and completions
 *   (src/io: at most a tick late when no thread of theirs waits);
 * - marks a vCPU starving when it has not switched for a whole tick while
 *   threads wait in its queue, and wakes a parked vCPU to steal them (also
 *   whenever two or more threads wait in a busy vCPU's queue).
 * - asks a vCPU whose thread ran past its timeslice while others wait to
 *   switch it out (preemption, preempt.c);
 * - every TRIM_TICKS, gives back the pages of cached stacks unused since;
 * - with WEFT_STALL_MS set, reports a thread that has held its vCPU that
 *   long without switching (src/debug/stall.c).
 * When every vCPU is idle it runs the deadlock check (deadlock.c), then
 * sleeps until a vCPU wakes up or a bound thread starts to wait
 * (wf_daemon_kick). */
#define _GNU_SOURCE
#include <time.h>

#include "core/preempt.h"
#include "core/runtime.h"
#include "core/sched.h"
#include "debug/debug.h"
#include "host/host.h"
#include "host/sys.h"

#define TRIM_TICKS 256 /* ~1/4 s: stacks unused that long give back pages */

static void tick(void)
{
    uint32_t j = atomic_load(&wf_rt.jiffies) + 1;
    atomic_store(&wf_rt.jiffies, j);
    if (j % TRIM_TICKS == 0)
        wf_stack_trim();
    uint64_t now = wf_host_now();
    for (int i = 0; i < wf_rt.nvcpus; i++) {
        struct wf_vcpu *v = &wf_rt.vcpus[i];
        if (atomic_load(&v->idling))
            continue;
        /* Submissions and completions of a busy vCPU, as its timers. */
        if (wf_io_hooks)
            wf_io_hooks->poll(v);
        /* Acquire: pairs with the detector's start (its table is ready). */
        if (__builtin_expect(atomic_load_explicit(&wf_debug_stall_ns, memory_order_acquire) != 0, 0))
            wf_debug_stall_check(v, now);
        uint32_t polled = atomic_load_explicit(&v->timer_jiffy, memory_order_relaxed);
        if (atomic_load_explicit(&v->timers.next, memory_order_relaxed) <= now && j - polled >= 2)
            wf_timer_run_due(&v->timers, now);
        uint32_t sw = (uint32_t)atomic_load_explicit(&v->nswitches, memory_order_relaxed);
        int stuck = sw == v->daemon_switches && wf_rq_nr(&v->rq) > 0;
        v->daemon_switches = sw;
        atomic_store_explicit(&v->starving, stuck, memory_order_relaxed);
        wf_preempt_check(v, j); /* a thread past its slice (preempt.c) */
        /* A stuck vCPU's queue, or two or more threads waiting behind a
         * busy one while another vCPU is parked: wake that one to steal.
         * Wakeups kick idle vCPUs themselves; this catches queues that grew
         * without a wakeup (creation, a steal of many). */
        if (stuck || wf_rq_nr(&v->rq) >= 2)
            wf_wake_one_idle(v);
    }
}

static void *daemon_main(void *arg)
{
    struct wf_thread *self = arg;
    (void)self;
    struct timespec ms = {0, 1000000};
    for (;;) {
        if (atomic_load(&wf_rt.nidle) == wf_rt.nvcpus) {
            atomic_store(&wf_rt.daemon_word, 1);
            if (atomic_load(&wf_rt.nidle) == wf_rt.nvcpus) {
                /* The deadlock check waits 20 ms for the state to settle:
                 * done here, where nobody waits for us, never by a vCPU
                 * (it would be deaf to new work meanwhile). A kick during
                 * the check clears daemon_word, so the wait below returns. */
                wf_deadlock_check();
                wf_host_futex_wait((int *)&wf_rt.daemon_word, 1, 0);
            }
            atomic_store(&wf_rt.daemon_word, 0);
        }
        wf_host_nanosleep(&ms);
        tick();
    }
    return NULL;
}

void wf_daemon_kick(void)
{
    if (atomic_load(&wf_rt.daemon_word) && atomic_exchange(&wf_rt.daemon_word, 0))
        wf_host_futex_wake((int *)&wf_rt.daemon_word, 1);
}

static void *daemon_entry(void *arg)
{
    (void)arg;
    struct wf_thread *self = wf_daemon_record("timer");
    wf_tls_self = self;
    return daemon_main(self);
}

void wf_daemon_start(void)
{
    if (wf_host_thread_start(daemon_entry, NULL, "weft-timer"))
        wf_panic(NULL, "cannot start the timer daemon");
}
