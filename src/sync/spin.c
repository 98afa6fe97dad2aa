/* spin.c - the public spinlock: test and test-and-set.
 *
 * A holder is never preempted: lock disables preemption for the calling
 * thread (weft/preempt.h) until unlock, which honours a request that came
 * meanwhile. A waiter spins with preemption off too, and yields.
 *
 * Spinning alone is unsafe with M:N threads: the holder may be a weft
 * thread that was switched out (it blocked, or yielded, inside its
 * critical section) on the waiter's own vCPU, and it would not run again
 * while the waiter spins (preemption waits a whole timeslice). So after
 * SPIN_ROUNDS relaxed polls (about a microsecond) the waiter yields:
 * weft_yield runs the vCPU's other threads (a bound thread does
 * sched_yield). It never parks: there is no queue to wake it from, which
 * is what keeps unlock a single store.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "arch/arch.h"
#include "core/preempt.h"
#include "weft/sync.h"
#include "sync/hidden.h"
#include "weft/thread.h"

#define SPIN_ROUNDS 256

_Static_assert(sizeof(weft_spinlock_t) <= 4, "bigger than glibc's pthread_spinlock_t");

static inline _Atomic uint32_t *word(weft_spinlock_t *l)
{
    return (_Atomic uint32_t *)&l->v;
}

int weft_spin_init(weft_spinlock_t *l)
{
    if (!l)
        return EINVAL;
    atomic_store_explicit(word(l), 0, memory_order_relaxed);
    return 0;
}

int weft_spin_destroy(weft_spinlock_t *l)
{
    if (!l)
        return EINVAL;
    return atomic_load_explicit(word(l), memory_order_relaxed) ? EBUSY : 0;
}

int weft_spin_trylock(weft_spinlock_t *l)
{
    if (!l)
        return EINVAL;
    wf_preempt_off();
    if (atomic_exchange_explicit(word(l), 1, memory_order_acquire)) {
        wf_preempt_on();
        return EBUSY;
    }
    return 0;
}

int weft_spin_lock(weft_spinlock_t *l)
{
    if (!l)
        return EINVAL;
    _Atomic uint32_t *w = word(l);
    wf_preempt_off();
    while (atomic_exchange_explicit(w, 1, memory_order_acquire)) {
        /* Poll with plain loads so waiting does not bounce the line. */
        for (unsigned n = 1; atomic_load_explicit(w, memory_order_relaxed); n++) {
            if (n % SPIN_ROUNDS)
                wf_cpu_relax();
            else
                weft_yield();
        }
    }
    return 0;
}

int weft_spin_unlock(weft_spinlock_t *l)
{
    if (!l)
        return EINVAL;
    /* Checking first costs a load; a store of 0 would hide the bug. */
    if (!atomic_load_explicit(word(l), memory_order_relaxed))
        return EPERM;
    atomic_store_explicit(word(l), 0, memory_order_release);
    wf_preempt_on();
    return 0;
}

/* Direct entry points for the pthread layer (hidden.h). */
WF_DEFINE_HIDDEN_ALIAS(spin_init);
WF_DEFINE_HIDDEN_ALIAS(spin_destroy);
WF_DEFINE_HIDDEN_ALIAS(spin_lock);
WF_DEFINE_HIDDEN_ALIAS(spin_trylock);
WF_DEFINE_HIDDEN_ALIAS(spin_unlock);
