/* once.c - pthread_once on a weft futex.
 *
 * The word (pthread_once_t, 0 at PTHREAD_ONCE_INIT): 0 not run, 1 running,
 * 2 done. Not weft_once, because POSIX wants more: if the init routine is
 * cancelled (or its thread exits), the once object goes back to "not run"
 * and a waiter runs the routine itself. A cleanup handler does that. */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>

#include "core/futex.h"
#include "posix/posix.h"

enum { NOT_RUN = 0, RUNNING = 1, DONE = 2 };

static void reset(void *p)
{
    _Atomic uint32_t *w = p;
    atomic_store_explicit(w, NOT_RUN, memory_order_release);
    wf_futex_wake((const uint32_t *)w, INT_MAX);
}

WP_EXPORT int pthread_once(pthread_once_t *once, void (*fn)(void))
{
    if (!once || !fn)
        return EINVAL;
    _Atomic uint32_t *w = (_Atomic uint32_t *)once;
    if (__builtin_expect(atomic_load_explicit(w, memory_order_acquire) == DONE, 1))
        return 0;
    for (;;) {
        uint32_t s = NOT_RUN;
        if (atomic_compare_exchange_strong_explicit(w, &s, RUNNING, memory_order_acquire,
                                                    memory_order_acquire)) {
            pthread_cleanup_push(reset, (void *)w);
            fn();
            pthread_cleanup_pop(0);
            atomic_store_explicit(w, DONE, memory_order_release);
            wf_futex_wake((const uint32_t *)w, INT_MAX);
            return 0;
        }
        if (s == DONE)
            return 0;
        /* Not a cancellation point (POSIX lists none here). */
        wf_futex_wait((const uint32_t *)w, RUNNING, 0, 0);
    }
}
