/* futex.c - parking host threads on a 32-bit word. */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/host.h"
#include "host/sys.h"

int wf_host_futex_wait(int *word, int expected, uint64_t deadline)
{
    struct timespec ts, *tp = NULL;
    if (deadline) {
        ts.tv_sec = (time_t)(deadline / 1000000000u);
        ts.tv_nsec = (long)(deadline % 1000000000u);
        tp = &ts;
    }
    /* WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, so a retry
     * after a spurious wakeup does not stretch the wait. */
    long r = wf_sys6(SYS_futex, (long)word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
                     expected, (long)tp, 0, FUTEX_BITSET_MATCH_ANY);
    return r == 0 ? 0 : (int)r;
}

void wf_host_futex_wake(int *word, int n)
{
    wf_sys6(SYS_futex, (long)word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, 0, 0, 0);
}
