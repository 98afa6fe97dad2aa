/* sched.c - priorities: pthreads' policy and number onto weft's 32
 * levels (posix.h), and the scheduling calls. */
#include <errno.h>

#include "posix/posix.h"
#include "weft/thread.h"

int wp_sched_check(int policy, int prio)
{
    switch (policy) {
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
        return prio == 0 ? 0 : EINVAL;
    case SCHED_FIFO:
    case SCHED_RR:
        return prio >= 1 && prio <= 99 ? 0 : EINVAL;
    default:
        return EINVAL;
    }
}

int wp_prio_to_weft(int policy, int prio)
{
    switch (policy) {
    case SCHED_FIFO:
    case SCHED_RR:
        /* 1..99 onto 17..31 */
        return WEFT_PRIO_DEFAULT + 1 + (prio - 1) * (WEFT_PRIO_MAX - WEFT_PRIO_DEFAULT - 1) / 98;
    case SCHED_IDLE:
        return WEFT_PRIO_MIN + 1;
    default:
        return WEFT_PRIO_DEFAULT;
    }
}
