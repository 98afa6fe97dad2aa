/* sem.c - unnamed semaphores: sem_init, sem_destroy, sem_wait,
 * sem_trywait, sem_timedwait, sem_clockwait, sem_post, sem_getvalue.
 *
 * glibc's sem_t is 32 bytes. A private semaphore (sem_init(s, 0, v), or
 * an all-zero object) is a weft_sem_t, which uses bytes 0..27 and leaves
 * 28..31 zero (weft_sem_init clears them). A process-shared one
 * (sem_init(s, 1, v), and every named semaphore) holds its state in its
 * bytes (struct psem) with WP_SEM_SHARED at offset 28: each call loads
 * that word first, the only cost the private path pays. Process-shared
 * waits go through shared_futex.h.
 *
 * sem_wait, sem_timedwait and sem_clockwait are cancellation points, also
 * when they do not wait (as glibc, after POSIX's "shall occur"). */
#include <errno.h>
#include <limits.h>
#include <semaphore.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "core/intr.h"
#include "posix/posix.h"
#include "posix/sem.h"
#include "posix/shared_futex.h"
#include "sync/hidden.h"
#include "weft/sync.h"

_Static_assert(sizeof(sem_t) == 32, "glibc's sem_t");
_Static_assert(sizeof(weft_sem_t) <= sizeof(sem_t), "weft_sem_t fits");
_Static_assert(sizeof(struct wp_psem) == sizeof(sem_t), "struct wp_psem is a sem_t");
_Static_assert(offsetof(struct wp_psem, tag) == WP_SEM_TAG_OFFSET, "tag offset");
_Static_assert(SEM_VALUE_MAX == WEFT_SEM_VALUE_MAX, "same maximum");

struct wp_fork_page *wp_fork_page;
int32_t wp_load_pid;

__attribute__((constructor)) static void fork_page_init(void)
{
    wp_load_pid = wp_raw_getpid();
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
#ifdef MADV_WIPEONFORK
    if (madvise(p, 4096, MADV_WIPEONFORK) == 0) {
        struct wp_fork_page *f = p;
        f->pid = wp_load_pid;
        f->here = 1;
        wp_fork_page = f;
        return;
    }
#endif
    munmap(p, 4096);
}

static inline int tagged(const sem_t *s)
{
    return __builtin_expect(((const struct wp_psem *)s)->tag != 0, 0);
}

static inline int fail(int e)
{
    errno = e;
    return -1;
}

/* A pending cancel acts here (sem_wait & co. "shall" be cancellation
 * points), for the price of two loads when none is. */
static inline void testcancel(void)
{
    struct wf_thread *t = wf_tls_self;
    if (__builtin_expect(t && wf_intr_any(t), 0))
        weft_testcancel();
}

/* ---- process-shared ---------------------------------------------------- */

void wp_psem_init(struct wp_psem *p, unsigned value)
{
    memset(p, 0, sizeof *p);
    atomic_store_explicit(&p->value, value, memory_order_relaxed);
    p->tag = WP_SEM_SHARED;
}

static int ps_trydec(struct wp_psem *p)
{
    uint32_t v = atomic_load_explicit(&p->value, memory_order_relaxed);
    while (v > 0)
        if (atomic_compare_exchange_weak_explicit(&p->value, &v, v - 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return 1;
    return 0;
}

static int ps_wait(struct wp_psem *p, int timed, clockid_t clock, const struct timespec *ts)
{
    if (timed && !wf_clock_valid(clock))
        return fail(EINVAL);
    wp_shared_testcancel();
    if (ps_trydec(p))
        return 0;
    struct wp_tmo tmo = {0};
    if (timed) {
        int rc = wp_tmo_set(&tmo, clock, ts);
        if (rc)
            return fail(rc);
    }
    uint64_t poll = 0;
    int rc = 0;
    atomic_fetch_add(&p->nwaiters, 1);
    for (;;) {
        if (ps_trydec(p))
            break;
        rc = wp_shared_wait(&p->value, 0, &tmo, &poll);
        if (rc)
            break;
        /* A cancel acts with the waiter count undone. */
        atomic_fetch_sub(&p->nwaiters, 1);
        wp_shared_testcancel();
        atomic_fetch_add(&p->nwaiters, 1);
    }
    atomic_fetch_sub(&p->nwaiters, 1);
    /* A unit that came as the time ran out is not lost: take it. */
    if (rc == ETIMEDOUT && ps_trydec(p))
        rc = 0;
    return rc ? fail(rc) : 0;
}

static int ps_post(struct wp_psem *p)
{
    uint32_t v = atomic_load_explicit(&p->value, memory_order_relaxed);
    do {
        if (v >= SEM_VALUE_MAX)
            return fail(EOVERFLOW);
    } while (!atomic_compare_exchange_weak(&p->value, &v, v + 1));
    if (atomic_load(&p->nwaiters))
        wp_shared_wake(&p->value, 1);
    return 0;
}

/* ---- the calls ----------------------------------------------------------- */

WP_EXPORT int sem_init(sem_t *sem, int pshared, unsigned int value)
{
    if (!sem || value > SEM_VALUE_MAX)
        return fail(EINVAL);
    if (pshared) {
        wp_psem_init((struct wp_psem *)sem, value);
        return 0;
    }
    int rc = wfs_sem_init((weft_sem_t *)sem, value);
    ((struct wp_psem *)sem)->tag = 0;
    return rc ? fail(rc) : 0;
}

WP_EXPORT int sem_destroy(sem_t *sem)
{
    if (!sem)
        return fail(EINVAL);
    if (tagged(sem)) {
        struct wp_psem *p = (struct wp_psem *)sem;
        return atomic_load(&p->nwaiters) ? fail(EBUSY) : 0;
    }
    int rc = wfs_sem_destroy((weft_sem_t *)sem);
    return rc ? fail(rc) : 0;
}

WP_EXPORT int sem_wait(sem_t *sem)
{
    if (tagged(sem))
        return ps_wait((struct wp_psem *)sem, 0, CLOCK_REALTIME, NULL);
    testcancel();
    int rc = wfs_sem_wait((weft_sem_t *)sem);
    return rc ? fail(rc) : 0;
}

WP_EXPORT int sem_timedwait(sem_t *restrict sem, const struct timespec *restrict abstime)
{
    if (tagged(sem))
        return ps_wait((struct wp_psem *)sem, 1, CLOCK_REALTIME, abstime);
    testcancel();
    int rc = wfs_sem_timedwait((weft_sem_t *)sem, abstime);
    return rc ? fail(rc) : 0;
}

WP_EXPORT int sem_clockwait(sem_t *restrict sem, clockid_t clock,
                            const struct timespec *restrict abstime)
{
    if (tagged(sem))
        return ps_wait((struct wp_psem *)sem, 1, clock, abstime);
    testcancel();
    int rc = wfs_sem_clockwait((weft_sem_t *)sem, clock, abstime);
    return rc ? fail(rc) : 0;
}

WP_EXPORT int sem_trywait(sem_t *sem)
{
    if (tagged(sem))
        return ps_trydec((struct wp_psem *)sem) ? 0 : fail(EAGAIN);
    int rc = wfs_sem_trywait((weft_sem_t *)sem);
    return rc ? fail(rc) : 0;
}

WP_EXPORT int sem_post(sem_t *sem)
{
    if (tagged(sem))
        return ps_post((struct wp_psem *)sem);
    int rc = wfs_sem_post((weft_sem_t *)sem);
    return rc ? fail(rc) : 0;
}

WP_EXPORT int sem_getvalue(sem_t *restrict sem, int *restrict sval)
{
    if (!sem || !sval)
        return fail(EINVAL);
    if (tagged(sem)) {
        *sval = (int)atomic_load(&((struct wp_psem *)sem)->value);
        return 0;
    }
    int rc = wfs_sem_getvalue((weft_sem_t *)sem, sval);
    return rc ? fail(rc) : 0;
}
