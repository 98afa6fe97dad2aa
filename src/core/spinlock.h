/* spinlock.h - the runtime's only lock. Held for a few dozen instructions;
 * some are held across a context switch and released by the context that
 * runs next on the same vCPU (see sched.c). Lock order: lockorder.h. */
#ifndef WF_SPINLOCK_H
#define WF_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>

#include "arch/arch.h"
#include "host/sys.h"

typedef struct wf_spinlock {
    atomic_int v;
} wf_spinlock_t;

static inline void wf_spin_lock(wf_spinlock_t *l)
{
    while (atomic_exchange_explicit(&l->v, 1, memory_order_acquire)) {
        /* Spin on a plain load so waiting does not bounce the line; give the
         * host CPU away now and then in case the holder was preempted. */
        for (unsigned n = 1; atomic_load_explicit(&l->v, memory_order_relaxed); n++) {
            wf_cpu_relax();
            if ((n & 1023) == 0)
                wf_host_yield();
        }
    }
}

static inline void wf_spin_unlock(wf_spinlock_t *l)
{
    atomic_store_explicit(&l->v, 0, memory_order_release);
}

#endif
