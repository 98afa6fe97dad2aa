/* sleep.c - sleeping parks only the calling weft thread on a timer of its
 * vCPU; a bound thread sleeps in the host kernel. */
#define _GNU_SOURCE
#include <errno.h>
#include <time.h>

#include "core/runtime.h"
#include "core/sched.h"
#include "core/waitq.h"
#include "host/host.h"

int weft_sleep(uint64_t nsec)
{
    struct wf_thread *self = wf_self();
    if (nsec == 0) {
        weft_yield();
        return 0;
    }
    uint64_t deadline = wf_host_now() + nsec;
    if (self->flags & WF_TF_BOUND) {
        struct timespec ts = {(time_t)(deadline / 1000000000u), (long)(deadline % 1000000000u)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        return 0;
    }
    wf_spin_lock(&self->sleep_lock);
    atomic_store_explicit(&self->wait_lock, &self->sleep_lock, memory_order_relaxed);
    self->wq = NULL;
    self->wchan = NULL;
    atomic_store_explicit(&self->wchan_kind, "sleep", memory_order_relaxed);
    atomic_store_explicit(&self->state, WF_BLOCKED, memory_order_relaxed);
    wf_wait_deadline(self, deadline);
    wf_park(self, &self->sleep_lock);
    wf_wait_done(self, deadline);
    return 0;
}

int weft_nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!req || req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L)
        return EINVAL;
    weft_sleep((uint64_t)req->tv_sec * 1000000000u + (uint64_t)req->tv_nsec);
    if (rem) {
        rem->tv_sec = 0;
        rem->tv_nsec = 0;
    }
    return 0;
}
