/* spin.c - pthread_spin_*.
 *
 * glibc's pthread_spinlock_t is an int. A private spinlock is a
 * weft_spinlock_t (0 unlocked, 1 locked: it yields its vCPU after a
 * microsecond of spinning, sync/spin.c). A process-shared one
 * (pthread_spin_init(l, PTHREAD_PROCESS_SHARED)) keeps WP_SPIN_SHARED set
 * in the same word (2 unlocked, 3 locked): each call loads the word once
 * and branches on that bit. A shared lock spins, then yields: weft_yield
 * in a weft thread of the runtime's process, sched_yield elsewhere.
 *
 * Errors: EINVAL for a bad pshared value; EBUSY from trylock and from
 * destroy of a locked lock; EPERM from unlock of an unlocked lock. Like
 * glibc, lock does not detect a relock by the holder (it spins forever). */
#include <errno.h>
#include <stdatomic.h>

#include "arch/arch.h"
#include "posix/posix.h"
#include "posix/shared_futex.h"
#include "sync/hidden.h"
#include "weft/sync.h"
#include "weft/thread.h"

_Static_assert(sizeof(pthread_spinlock_t) == 4, "glibc's pthread_spinlock_t");
_Static_assert(sizeof(weft_spinlock_t) <= sizeof(pthread_spinlock_t), "weft_spinlock_t fits");

#define WP_SPIN_SHARED 2u
#define SPIN_ROUNDS 256

static inline _Atomic uint32_t *word(volatile pthread_spinlock_t *l)
{
    return (_Atomic uint32_t *)l;
}

WP_EXPORT int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
    if (!l || (pshared != PTHREAD_PROCESS_PRIVATE && pshared != PTHREAD_PROCESS_SHARED))
        return EINVAL;
    atomic_store_explicit(word(l), pshared == PTHREAD_PROCESS_SHARED ? WP_SPIN_SHARED : 0,
                          memory_order_release);
    return 0;
}

WP_EXPORT int pthread_spin_destroy(pthread_spinlock_t *l)
{
    if (!l)
        return EINVAL;
    return atomic_load_explicit(word(l), memory_order_relaxed) & 1 ? EBUSY : 0;
}

static int shared_trylock(_Atomic uint32_t *w)
{
    uint32_t v = WP_SPIN_SHARED;
    return atomic_compare_exchange_strong_explicit(w, &v, WP_SPIN_SHARED | 1, memory_order_acquire,
                                                   memory_order_relaxed)
               ? 0
               : EBUSY;
}

static int shared_lock(_Atomic uint32_t *w)
{
    while (shared_trylock(w)) {
        for (unsigned n = 1; atomic_load_explicit(w, memory_order_relaxed) & 1; n++) {
            if (n % SPIN_ROUNDS)
                wf_cpu_relax();
            else if (wp_in_runtime_process() && wf_tls_self)
                weft_yield();
            else
                wf_host_yield();
        }
    }
    return 0;
}

WP_EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
    _Atomic uint32_t *w = word(l);
    if (__builtin_expect(atomic_load_explicit(w, memory_order_relaxed) & WP_SPIN_SHARED, 0))
        return shared_lock(w);
    return wfs_spin_lock((weft_spinlock_t *)l);
}

WP_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l)
{
    _Atomic uint32_t *w = word(l);
    if (__builtin_expect(atomic_load_explicit(w, memory_order_relaxed) & WP_SPIN_SHARED, 0))
        return shared_trylock(w);
    return wfs_spin_trylock((weft_spinlock_t *)l);
}

WP_EXPORT int pthread_spin_unlock(pthread_spinlock_t *l)
{
    _Atomic uint32_t *w = word(l);
    uint32_t v = atomic_load_explicit(w, memory_order_relaxed);
    if (!(v & 1))
        return EPERM;
    atomic_store_explicit(w, v & WP_SPIN_SHARED, memory_order_release);
    return 0;
}
