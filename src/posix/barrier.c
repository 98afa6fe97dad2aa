/* barrier.c - pthread_barrier_* and pthread_barrierattr_*.
 *
 * glibc's pthread_barrier_t is 32 bytes, all of which a private weft
 * barrier uses (sync/barrier.c: queue, count, ticket). Its count (offset
 * 24) is at most WEFT_BARRIER_MAX, so bit 31 of that word is free: a
 * process-shared barrier (pthread_barrierattr_setpshared) is told by
 * WP_BAR_SHARED there, with the count in the low bits and its own state
 * (struct pbar) in the other bytes. Each call loads the count word once
 * and branches on that bit.
 *
 * pthread_barrier_wait is not a cancellation point (POSIX).
 * pthread_barrier_destroy returns EBUSY while threads wait at it (as POSIX
 * recommends; glibc waits for them instead). */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "posix/posix.h"
#include "posix/shared_futex.h"
#include "sync/hidden.h"
#include "weft/sync.h"

_Static_assert(sizeof(pthread_barrier_t) == 32, "glibc's pthread_barrier_t");
_Static_assert(sizeof(pthread_barrierattr_t) == 4, "glibc's pthread_barrierattr_t");
_Static_assert(sizeof(weft_barrier_t) <= sizeof(pthread_barrier_t), "weft_barrier_t fits");
_Static_assert(PTHREAD_BARRIER_SERIAL_THREAD == WEFT_BARRIER_SERIAL_THREAD, "same serial value");
_Static_assert(WEFT_BARRIER_MAX < 0x80000000u, "bit 31 of the count is free");

/* Offset of weft's count word (sync/barrier.c: struct wf_barrier). */
#define COUNT_OFFSET 24
#define WP_BAR_SHARED 0x80000000u

struct pbar {
    _Atomic uint32_t lock;     /* wp_ll_lock */
    uint32_t arrived;          /* in the current generation */
    _Atomic uint32_t gen;      /* the futex word: bumped at each trip */
    uint32_t unused[3];
    uint32_t count;            /* WP_BAR_SHARED | count, offset 24 */
    uint32_t unused2;
};
_Static_assert(sizeof(struct pbar) == 32, "struct pbar is a pthread_barrier_t");
_Static_assert(offsetof(struct pbar, count) == COUNT_OFFSET, "count at 24");

static inline uint32_t count_word(const pthread_barrier_t *b)
{
    return __atomic_load_n((const uint32_t *)((const char *)b + COUNT_OFFSET), __ATOMIC_RELAXED);
}

WP_EXPORT int pthread_barrierattr_init(pthread_barrierattr_t *attr)
{
    if (!attr)
        return EINVAL;
    *(int *)attr = PTHREAD_PROCESS_PRIVATE;
    return 0;
}

WP_EXPORT int pthread_barrierattr_destroy(pthread_barrierattr_t *attr)
{
    return attr ? 0 : EINVAL;
}

WP_EXPORT int pthread_barrierattr_setpshared(pthread_barrierattr_t *attr, int pshared)
{
    if (!attr || (pshared != PTHREAD_PROCESS_PRIVATE && pshared != PTHREAD_PROCESS_SHARED))
        return EINVAL;
    *(int *)attr = pshared;
    return 0;
}

WP_EXPORT int pthread_barrierattr_getpshared(const pthread_barrierattr_t *restrict attr,
                                             int *restrict pshared)
{
    if (!attr || !pshared)
        return EINVAL;
    *pshared = *(const int *)attr;
    return 0;
}

WP_EXPORT int pthread_barrier_init(pthread_barrier_t *restrict b,
                                   const pthread_barrierattr_t *restrict attr, unsigned count)
{
    if (!b || count == 0 || count > WEFT_BARRIER_MAX)
        return EINVAL;
    int pshared = attr ? *(const int *)attr : PTHREAD_PROCESS_PRIVATE;
    if (pshared == PTHREAD_PROCESS_SHARED) {
        struct pbar *p = (struct pbar *)b;
        memset(p, 0, sizeof *p);
        p->count = WP_BAR_SHARED | count;
        return 0;
    }
    return wfs_barrier_init((weft_barrier_t *)b, count);
}

WP_EXPORT int pthread_barrier_destroy(pthread_barrier_t *b)
{
    if (!b)
        return EINVAL;
    if (count_word(b) & WP_BAR_SHARED) {
        struct pbar *p = (struct pbar *)b;
        wp_ll_lock(&p->lock);
        int busy = p->arrived != 0;
        wp_ll_unlock(&p->lock);
        return busy ? EBUSY : 0;
    }
    return wfs_barrier_destroy((weft_barrier_t *)b);
}

static int pbar_wait(struct pbar *p)
{
    uint32_t count = p->count & ~WP_BAR_SHARED;
    wp_ll_lock(&p->lock);
    uint32_t gen = atomic_load_explicit(&p->gen, memory_order_relaxed);
    if (++p->arrived == count) {
        p->arrived = 0;
        atomic_store_explicit(&p->gen, gen + 1, memory_order_release);
        wp_ll_unlock(&p->lock);
        if (count > 1)
            wp_shared_wake(&p->gen, INT_MAX);
        return PTHREAD_BARRIER_SERIAL_THREAD;
    }
    wp_ll_unlock(&p->lock);
    uint64_t poll = 0;
    while (atomic_load_explicit(&p->gen, memory_order_acquire) == gen)
        wp_shared_wait(&p->gen, gen, NULL, &poll);
    return 0;
}

WP_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    if (!b)
        return EINVAL;
    if (__builtin_expect(count_word(b) & WP_BAR_SHARED, 0))
        return pbar_wait((struct pbar *)b);
    return wfs_barrier_wait((weft_barrier_t *)b);
}
