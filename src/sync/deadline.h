/* deadline.h - absolute timespecs of the timed sync calls to the absolute
 * CLOCK_MONOTONIC nanoseconds that wf_waitq_wait takes. */
#ifndef WF_SYNC_DEADLINE_H
#define WF_SYNC_DEADLINE_H

#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "host/host.h"

#define WF_NSEC 1000000000ull
/* Later deadlines are cut to this (292 years): UINT64_MAX means "no timer"
 * to the timer heap, and ns arithmetic must not overflow. */
#define WF_DEADLINE_MAX ((uint64_t)INT64_MAX)

static inline int wf_clock_valid(clockid_t clock)
{
    return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC;
}

static inline uint64_t wf_ts_ns(const struct timespec *ts)
{
    if ((uint64_t)ts->tv_sec >= WF_DEADLINE_MAX / WF_NSEC)
        return WF_DEADLINE_MAX;
    return (uint64_t)ts->tv_sec * WF_NSEC + (uint64_t)ts->tv_nsec;
}

/* Precondition: clock already checked with wf_clock_valid.
 * Returns 0 with *deadline set (never 0, which means "none"), EINVAL for a
 * NULL or malformed timespec, ETIMEDOUT when the time has passed.
 * A CLOCK_REALTIME time becomes "now + what is left", fixed from here on:
 * setting the system clock later does not move it (pthreads on Linux would
 * follow the change; weft's timers run on the monotonic clock only). */
static inline int wf_deadline(clockid_t clock, const struct timespec *ts, uint64_t *deadline)
{
    if (!ts || ts->tv_nsec < 0 || ts->tv_nsec >= (long)WF_NSEC)
        return EINVAL;
    if (ts->tv_sec < 0)
        return ETIMEDOUT;
    uint64_t abs = wf_ts_ns(ts);
    if (clock == CLOCK_MONOTONIC) {
        if (abs <= wf_host_now())
            return ETIMEDOUT;
        *deadline = abs;
        return 0;
    }
    /* The realtime clock first, then the monotonic one: time that passes
     * between the two reads then makes the deadline later, never early.
     * (The realtime read is a vDSO call; host.h has only the monotonic
     * clock so far.) */
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    uint64_t rnow = wf_ts_ns(&rt);
    uint64_t now = wf_host_now();
    if (abs <= rnow)
        return ETIMEDOUT;
    uint64_t left = abs - rnow;
    *deadline = left >= WF_DEADLINE_MAX - now ? WF_DEADLINE_MAX : now + left;
    return 0;
}

/* Has a deadline (0: none) passed? */
static inline int wf_deadline_passed(uint64_t deadline)
{
    return deadline && wf_host_now() >= deadline;
}

#endif
