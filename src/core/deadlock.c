/* deadlock.c - "all threads are asleep" (Go's report). When every vCPU is
 * idle, no bound thread is outside a wait, no queue holds a thread and no
 * timer is armed, nothing inside the process can wake a blocked thread:
 * print every thread and abort (or just report, or ignore: WEFT_DEADLOCK).
 * The state is checked twice, 20 ms apart, with no scheduling activity in
 * between, so a wakeup in flight is never mistaken for a deadlock. A host
 * thread that has not called weft yet could still wake someone (it becomes
 * a bound thread at its first call), so while the process has host threads
 * weft does not know, nothing is reported; nor while an I/O operation is
 * in flight (its completion wakes a thread). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/runtime.h"
#include "core/sanitizer.h"
#include "host/host.h"
#include "host/sys.h"

static int quiet(void)
{
    if (atomic_load(&wf_rt.nidle) != wf_rt.nvcpus || atomic_load(&wf_rt.bound_running) > 0)
        return 0;
    for (int i = 0; i < wf_rt.nvcpus; i++)
        if (wf_rq_nr(&wf_rt.vcpus[i].rq) || wf_timer_pending(&wf_rt.vcpus[i].timers))
            return 0;
    /* An I/O operation in flight will wake its thread. */
    return !(wf_io_hooks && wf_io_hooks->busy());
}

/* Every host thread of the process is a vCPU, the daemon or adopted. */
static int all_host_threads_known(void)
{
    long known = wf_rt.nvcpus + 1 + atomic_load(&wf_rt.bound_alive);
    if (wf_io_hooks)
        known += wf_io_hooks->host_threads();
#ifdef WF_TSAN
    known += atomic_load(&wf_rt.tsan_threads);
#endif
    long n = wf_host_thread_count();
    return n < 0 || n <= known;
}

static uint64_t activity(void)
{
    uint64_t a = atomic_load(&wf_rt.bound_wakes);
    for (int i = 0; i < wf_rt.nvcpus; i++)
        a += atomic_load(&wf_rt.vcpus[i].nswitches) + atomic_load(&wf_rt.vcpus[i].nwakeups);
    return a;
}

static void count_blocked(struct wf_thread *t, void *arg)
{
    if (!(t->flags & WF_TF_DAEMON) &&
        atomic_load_explicit(&t->state, memory_order_relaxed) == WF_BLOCKED)
        ++*(long *)arg;
}

static wf_spinlock_t lock; /* one checker at a time (below) */

/* fork's child (core/fork.c): the daemon that may have held it is gone. */
void wf_deadlock_fork_child(void)
{
    atomic_store_explicit(&lock.v, 0, memory_order_relaxed);
}

void wf_deadlock_check(void)
{
    /* One checker at a time, and every caller gets its own look: with a
     * trylock, a check that gave up (activity in its 20 ms) could hide the
     * last caller's, and the deadlock would go unreported. */
    static uint64_t reported = ~0ull; /* activity at the last report */
    if (wf_rt.deadlock_mode == WEFT_DEADLOCK_IGNORE || !quiet())
        return;
    wf_spin_lock(&lock);
    uint64_t a = activity();
    struct timespec pause = {0, 20 * 1000000};
    wf_host_nanosleep(&pause);
    long blocked = 0;
    if (quiet() && activity() == a && a != reported && all_host_threads_known()) {
        wf_san_racy_reads_begin(); /* records of exiting threads may change */
        wf_slot_foreach(count_blocked, &blocked);
        wf_san_racy_reads_end();
        if (blocked) {
            reported = a;
            fprintf(stderr,
                    "weft: deadlock: all threads are asleep - %ld blocked, none runnable, "
                    "no timer armed, no host thread that could wake one\n",
                    blocked);
            weft_dump(stderr);
            fflush(stderr);
            if (wf_rt.deadlock_mode == WEFT_DEADLOCK_ABORT)
                abort();
        }
    }
    wf_spin_unlock(&lock);
}
