/* syscall.c - libc's syscall(), with futex waits of weft threads parked
 * in weft instead of in the kernel.
 *
 * Programs and libraries call futexes through syscall() directly:
 * libstdc++'s std::future, std::call_once and static-local guards do.
 * In the kernel such a wait would block the whole vCPU, and the thread
 * that would wake it may be queued behind it on that very vCPU (with one
 * vCPU, always). So for a weft thread, FUTEX_WAIT and FUTEX_WAIT_BITSET
 * (any bitset: waking everyone matching is a permitted spurious wakeup)
 * become wf_futex_wait, and FUTEX_WAKE / FUTEX_WAKE_BITSET wake weft
 * waiters first and pass what is left to the kernel, where bound threads
 * and other processes wait. A shared futex (no FUTEX_PRIVATE_FLAG) may
 * be woken from another process, which weft cannot see: its weft waiters
 * look at the word again every 10 ms (a spurious wakeup, which every
 * futex user handles). Every other call goes to the kernel unchanged. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdint.h>

#include "core/futex.h"
#include "core/intr.h"
#include "core/runtime.h"
#include "host/sys.h"
#include "posix/posix.h"
#include "sync/deadline.h"

#define SHARED_POLL_NS 10000000ull

static long sys_result(long r)
{
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* >= 0: the result of an emulated call; -1: not emulated, go to the kernel. */
static long futex(uint32_t *addr, int op, uint32_t val, long d, long e, long f)
{
    const struct timespec *ts = (const struct timespec *)d;
    int cmd = op & FUTEX_CMD_MASK;
    int private = (op & FUTEX_PRIVATE_FLAG) != 0;
    if (cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET) {
        int n = (int)val;
        int woken = wf_futex_wake(addr, n);
        if (woken < n) {
            long r = wf_sys6(SYS_futex, (long)addr, op, n - woken, d, e, f);
            if (r > 0)
                woken += (int)r;
        }
        return woken;
    }
    if (cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
        return -1;
    struct wf_thread *self = wf_self();
    if (self->flags & WF_TF_BOUND)
        return -1; /* a host thread: the kernel parks it just as well */
    uint64_t deadline = 0;
    if (ts) {
        if (ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L || ts->tv_sec < 0) {
            errno = EINVAL;
            return -2;
        }
        if (cmd == FUTEX_WAIT) { /* relative, monotonic */
            uint64_t now = weft_now(), rel = wf_ts_ns(ts);
            deadline = rel >= WF_DEADLINE_MAX - now ? WF_DEADLINE_MAX : now + rel;
        } else {
            clockid_t clock = (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
            int rc = wf_deadline(clock, ts, &deadline);
            if (rc) {
                errno = rc;
                return -2;
            }
        }
    }
    uint64_t wait_until = deadline;
    if (!private) {
        uint64_t poll = weft_now() + SHARED_POLL_NS;
        if (!wait_until || poll < wait_until)
            wait_until = poll;
    }
    int rc = wf_futex_wait(addr, val, wait_until, 0);
    if (rc == EAGAIN) {
        errno = EAGAIN;
        return -2;
    }
    if (rc == ETIMEDOUT && wait_until == deadline) {
        errno = ETIMEDOUT;
        return -2;
    }
    return 0; /* woken, or a shared futex's poll: spurious either way */
}

WP_EXPORT long syscall(long n, ...)
{
    va_list ap;
    va_start(ap, n);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
    long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    if (n == SYS_futex) {
        long r = futex((uint32_t *)a, (int)b, (uint32_t)c, d, e, f);
        if (r >= 0)
            return r;
        if (r == -2)
            return -1; /* errno set */
    }
    return sys_result(wf_sys6(n, a, b, c, d, e, f));
}
