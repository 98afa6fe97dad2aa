/* sys.h - raw system calls. The runtime uses these instead of libc's
 * wrappers for the calls that libweft-pthread exports under libc's own
 * names (syscall, sched_yield, nanosleep): inside the drop-in library a
 * call to those names would come back to weft's own versions. */
#ifndef WF_HOST_SYS_H
#define WF_HOST_SYS_H

#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

/* The kernel's result: >= 0, or -errno. errno is not touched. */
#if defined(__x86_64__)
static inline long wf_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}
#else
#include <errno.h>
#include <unistd.h>
/* Elsewhere through libc until the arch has its own (not drop-in safe). */
static inline long wf_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    int saved = errno;
    long r = syscall(n, a, b, c, d, e, f);
    if (r == -1)
        r = -errno;
    errno = saved;
    return r;
}
#endif

static inline long wf_sys3(long n, long a, long b, long c)
{
    return wf_sys6(n, a, b, c, 0, 0, 0);
}

/* sched_yield(2) of the calling host thread. */
static inline void wf_host_yield(void)
{
    wf_sys6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
}

/* Sleep the host thread for *ts (relative, CLOCK_MONOTONIC); 0 or -errno. */
static inline long wf_host_nanosleep(const struct timespec *ts)
{
    return wf_sys6(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)ts, 0, 0, 0);
}

#endif
