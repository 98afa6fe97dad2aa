/* futex.h - futexes for weft threads: wait while a 32-bit word holds a
 * value, wake waiters by address. The kernel's futex would block the
 * whole vCPU; these park only the calling weft thread (a bound thread
 * parks its host thread, as in any weft wait). Process-private: the
 * address is the key. Used by the pthread layer (condvars on robust or
 * priority mutexes, the futex calls of programs run under
 * libweft-pthread). */
#ifndef WF_CORE_FUTEX_H
#define WF_CORE_FUTEX_H

#include <stdint.h>

/* Park while *addr == val, until wf_futex_wake on addr, the deadline
 * (absolute CLOCK_MONOTONIC ns, 0: none) or an interruption. flags:
 * WF_WAIT_* (intr.h); with WF_WAIT_CANCEL a pending cancel ends the
 * thread here. A suspend stops the thread, then the call returns 0 (a
 * spurious wakeup, as the kernel's futex allows).
 * Returns 0 (woken, or spurious), EAGAIN (*addr != val at the check, made
 * under the same lock a waker takes, so no wakeup is lost), ETIMEDOUT.
 * May switch. */
int wf_futex_wait(const uint32_t *addr, uint32_t val, uint64_t deadline, int flags);
/* Wake up to n threads parked on addr, oldest first; the number woken.
 * Never switches. */
int wf_futex_wake(const uint32_t *addr, int n);
/* Move up to n_wake waiters of addr to runnable and up to n_requeue
 * others to wait on addr2 instead (FUTEX_CMP_REQUEUE, without the
 * compare); the number woken plus moved. Never switches. */
int wf_futex_requeue(const uint32_t *addr, int n_wake, const uint32_t *addr2, int n_requeue);

#endif
