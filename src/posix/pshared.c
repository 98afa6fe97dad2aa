/* pshared.c - host-futex waits for process-shared mutexes and condvars
 * (pshared.h has the design). */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "core/futex.h"
#include "core/intr.h"
#include "core/runtime.h"
#include "host/host.h"
#include "host/sys.h"
#include "posix/pshared.h"
#include "weft/thread.h"

#define SLICE_MIN 100000ull   /* 100 us */
#define SLICE_MAX 4000000ull  /* 4 ms */
#define BOUND_POLL 10000000ull /* 10 ms: a bound waiter's cancel check */

/* The process the runtime runs in (a child of fork too, set again by
 * fork.c's child handler). A child of _Fork or clone has no vCPUs, so
 * there every thread waits as a bound one would: in the kernel. */
static pid_t runtime_pid;

__attribute__((constructor)) static void note_pid(void)
{
    runtime_pid = getpid();
}

static int host_waits(struct wf_thread *self)
{
    return (self->flags & WF_TF_BOUND) || getpid() != runtime_pid;
}

static int cancel_pending(struct wf_thread *self)
{
    unsigned p = atomic_load_explicit(&self->intr_pending, memory_order_relaxed);
    return (p & WF_INTR_CANCEL) && wf_intr_stops(self, WF_INTR_CANCEL, WF_WAIT_CANCEL);
}

int wp_pshared_wait(_Atomic uint32_t *addr, uint32_t val, uint64_t deadline,
                    uint64_t poll_ns, int cancel)
{
    struct wf_thread *self = wf_self();
    int bound = host_waits(self);
    uint64_t slice = SLICE_MIN;
    uint64_t start = wf_host_now();
    uint64_t poll_end = poll_ns ? start + poll_ns : 0;
    for (;;) {
        if (cancel && cancel_pending(self))
            return ECANCELED;
        if (atomic_load_explicit(&self->intr_pending, memory_order_relaxed) & WF_INTR_SUSPEND)
            wf_safe_point(0);
        if (atomic_load_explicit(addr, memory_order_acquire) != val)
            return 0;
        uint64_t now = wf_host_now();
        if (deadline && now >= deadline)
            return ETIMEDOUT;
        if (poll_end && now >= poll_end)
            return 0;
        uint64_t end = bound ? (cancel ? now + BOUND_POLL : 0) : now + slice;
        if (deadline && (!end || deadline < end))
            end = deadline;
        if (poll_end && (!end || poll_end < end))
            end = poll_end;
        if (bound) {
            struct timespec ts, *tp = NULL;
            if (end) {
                uint64_t left = end - now;
                ts.tv_sec = (time_t)(left / 1000000000u);
                ts.tv_nsec = (long)(left % 1000000000u);
                tp = &ts;
            }
            wf_sys6(SYS_futex, (long)addr, FUTEX_WAIT, val, (long)tp, 0, 0);
        } else {
            int r = wf_futex_wait((const uint32_t *)addr, val, end, 0);
            if (r == 0 && end && wf_host_now() < end)
                return 0; /* woken by a waker of this process */
            if (slice < SLICE_MAX)
                slice *= 2;
        }
    }
}

void wp_pshared_wake(_Atomic uint32_t *addr, int n)
{
    wf_sys6(SYS_futex, (long)addr, FUTEX_WAKE, n, 0, 0, 0);
    if (getpid() == runtime_pid)
        wf_futex_wake((const uint32_t *)addr, n);
}

void wp_pshared_pause(void)
{
    if (host_waits(wf_self()))
        wf_host_yield();
    else
        weft_yield();
}

uint64_t wp_pshared_self(void)
{
    uint64_t pid = (uint64_t)getpid();
    return pid << 42 | (wf_self()->id & ((1ull << 42) - 1));
}

int wp_pshared_pid_dead(uint32_t pid)
{
    return pid > 0 && wf_sys6(SYS_kill, (long)pid, 0, 0, 0, 0, 0) == -ESRCH;
}

void wp_pshared_lock(_Atomic uint32_t *l)
{
    for (unsigned n = 1;; n++) {
        if (!atomic_exchange_explicit(l, 1, memory_order_acquire))
            return;
        while (atomic_load_explicit(l, memory_order_relaxed)) {
            wf_cpu_relax();
            if ((++n & 255) == 0) {
                if (host_waits(wf_self()))
                    wf_host_yield();
                else
                    weft_yield();
            }
        }
    }
}

void wp_pshared_unlock(_Atomic uint32_t *l)
{
    atomic_store_explicit(l, 0, memory_order_release);
}

/* fork's child (fork.c): the runtime survives fork, in this process now. */
void wp_pshared_fork_child(void)
{
    runtime_pid = getpid();
}
