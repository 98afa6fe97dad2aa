/* futex.c - parking host threads on a 32-bit word. */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/host.h"

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
    long r = syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
                     expected, tp, NULL, FUTEX_BITSET_MATCH_ANY);
    return r == 0 ? 0 : -errno;
}

void wf_host_futex_wake(int *word, int n)
{
    syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL, NULL, 0);
}
