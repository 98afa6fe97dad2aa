/* sleep.c - nanosleep, clock_nanosleep, sleep, usleep: they park the
 * calling weft thread, not its vCPU. glibc's sleep and usleep call its
 * internal nanosleep, which no preloaded library sees, so all of them are
 * here. Cancellation points, as in POSIX. */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "host/sys.h"
#include "posix/posix.h"
#include "sync/deadline.h"
#include "weft/thread.h"

#define NSEC 1000000000L

static int ts_ok(const struct timespec *ts)
{
    return ts && ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < NSEC;
}

/* Sleep until `until` on the monotonic clock (ns): 0, or EINTR when a
 * signal handler ran (docs/signals.md), *left then the time left. */
static int sleep_until(uint64_t until, uint64_t *left)
{
    uint64_t now;
    *left = 0;
    while ((now = weft_now()) < until)
        if (weft_sleep(until - now) == EINTR) {
            now = weft_now();
            *left = until > now ? until - now : 0;
            return EINTR;
        }
    return 0;
}

WP_EXPORT int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
                              struct timespec *rem)
{
    if (!ts_ok(req))
        return EINVAL;
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
    case CLOCK_TAI:
        break;
    case CLOCK_PROCESS_CPUTIME_ID: {
        /* CPU time passes only while some thread runs: nothing a weft
         * timer can wait for. The host call blocks this vCPU meanwhile. */
        long r = wf_sys6(SYS_clock_nanosleep, clock, flags, (long)req, (long)rem, 0, 0);
        return r < 0 ? (int)-r : 0;
    }
    case CLOCK_THREAD_CPUTIME_ID:
        return EINVAL; /* as Linux */
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC_COARSE:
        return ENOTSUP; /* known clocks that cannot sleep: POSIX and Linux */
    default:
        return EINVAL;
    }
    uint64_t want = wf_ts_ns(req);
    if (flags & TIMER_ABSTIME) {
        struct timespec now;
        clock_gettime(clock, &now);
        uint64_t n = wf_ts_ns(&now);
        if (want <= n) {
            weft_testcancel();
            return 0;
        }
        want -= n;
    }
    uint64_t start = weft_now();
    uint64_t until = want >= WF_DEADLINE_MAX - start ? WF_DEADLINE_MAX : start + want;
    weft_testcancel();
    uint64_t left;
    int rc = sleep_until(until, &left);
    if (rem && !(flags & TIMER_ABSTIME)) {
        rem->tv_sec = (time_t)(left / NSEC);
        rem->tv_nsec = (long)(left % NSEC);
    }
    return rc;
}

WP_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    int rc = clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem);
    if (rc) {
        errno = rc;
        return -1;
    }
    return 0;
}

WP_EXPORT int __nanosleep(const struct timespec *req, struct timespec *rem)
{
    return nanosleep(req, rem);
}

WP_EXPORT unsigned int sleep(unsigned int seconds)
{
    struct timespec ts = {(time_t)seconds, 0}, rem = {0, 0};
    if (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem) == EINTR)
        return (unsigned)rem.tv_sec + (rem.tv_nsec > 0); /* seconds left, rounded up */
    return 0;
}

WP_EXPORT int usleep(useconds_t usec)
{
    struct timespec ts = {(time_t)(usec / 1000000), (long)(usec % 1000000) * 1000};
    int rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
    if (rc) {
        errno = rc;
        return -1;
    }
    return 0;
}
