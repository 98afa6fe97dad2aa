/* sleep.c - sleeping parks only the calling weft thread on a timer of its
 * vCPU; a bound thread sleeps in the host kernel. */
#define _GNU_SOURCE
#include <errno.h>
#include <time.h>

#include "core/intr.h"
#include "core/runtime.h"
#include "core/sched.h"
#include "core/waitq.h"
#include "host/host.h"

/* *left: what was left when a signal handler ended the sleep (EINTR). */
static int sleep_for(uint64_t nsec, uint64_t *left_out)
{
    struct wf_thread *self = wf_self();
    *left_out = 0;
    if (nsec == 0) {
        weft_yield();
        weft_testcancel();
        return 0;
    }
    uint64_t deadline = wf_host_now() + nsec;
    for (;;) {
        /* A bound thread parks on its state word with the deadline, so it
         * can be interrupted just as a weft thread on its timer. */
        wf_spin_lock(&self->sleep_lock);
        atomic_store_explicit(&self->wait_lock, &self->sleep_lock, memory_order_relaxed);
        if (wf_wait_begin(self, deadline, WF_WAIT_CANCEL)) {
            wf_spin_unlock(&self->sleep_lock);
            wf_wait_done(self, 0);
        } else {
            self->wq = NULL;
            self->wchan = NULL;
            atomic_store_explicit(&self->wchan_kind, "sleep", memory_order_relaxed);
            self->wake_reason = WF_WAKE_NONE;
            atomic_store_explicit(&self->state, WF_BLOCKED, memory_order_relaxed);
            wf_park(self, &self->sleep_lock);
            wf_wait_done(self, deadline);
            if (self->wake_reason != WF_WAKE_INTERRUPTED)
                return 0;
        }
        /* Interrupted: stop while suspended, then sleep what was left. */
        uint64_t now = wf_host_now();
        uint64_t left = deadline > now ? deadline - now : 0;
        if (wf_safe_point(WF_WAIT_CANCEL)) {
            *left_out = left;
            return EINTR; /* a signal handler ran (POSIX: with the rest) */
        }
        if (!left)
            return 0;
        deadline = wf_host_now() + left;
    }
}

int weft_nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!req || req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L)
        return EINVAL;
    uint64_t left;
    int rc = sleep_for((uint64_t)req->tv_sec * 1000000000u + (uint64_t)req->tv_nsec, &left);
    if (rem) {
        rem->tv_sec = (time_t)(left / 1000000000u);
        rem->tv_nsec = (long)(left % 1000000000u);
    }
    return rc;
}

int weft_sleep(uint64_t nsec)
{
    uint64_t left;
    return sleep_for(nsec, &left);
}
