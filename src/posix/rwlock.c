/* rwlock.c - pthread_rwlock_* and pthread_rwlockattr_*.
 *
 * glibc's pthread_rwlock_t is 56 bytes; its kind is the int __flags at
 * offset 48 (PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP sets it to
 * 2, PTHREAD_RWLOCK_INITIALIZER leaves every byte 0: PREFER_READER_NP).
 * A private rwlock is a weft_rwlock_t in bytes 0..47 (sync/rwlock.h keeps
 * 48..55 free), run with the kind read from offset 48 at each call:
 * PREFER_WRITER_NONRECURSIVE_NP is weft's own writer preference, the two
 * others are reader preference (a reader may lock again while writers
 * wait, as in glibc; glibc's PREFER_WRITER_NP behaves as PREFER_READER_NP
 * too). The POSIX priority rule for SCHED_FIFO / SCHED_RR waiters is in
 * sync/rwlock.c; the caller's policy comes from its record (rt_prio).
 *
 * A process-shared rwlock (pthread_rwlockattr_setpshared) has WP_RW_SHARED
 * in the int at offset 52, which private ones leave 0: each call loads
 * the word at 48 (kind and tag) once and branches on the tag. Its state
 * (struct prw) is a small lock word and counters, and readers and writers
 * wait on two sequence words through shared_futex.h. It follows the kinds
 * but not the priority rule.
 *
 * The timed calls are not cancellation points (POSIX), unlike weft's own
 * timed rwlock calls: they run weft's rwlock with WF_RW_NOCANCEL, which is
 * what wp_nocancel_begin/end would do, without touching the record. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "posix/posix.h"
#include "posix/shared_futex.h"
#include "sync/rwlock.h"
#include "sync/hidden.h"
#include "weft/sync.h"

_Static_assert(sizeof(pthread_rwlock_t) == 56, "glibc's pthread_rwlock_t");
_Static_assert(sizeof(pthread_rwlockattr_t) == 8, "glibc's pthread_rwlockattr_t");
_Static_assert(sizeof(weft_rwlock_t) <= sizeof(pthread_rwlock_t), "weft_rwlock_t fits");
_Static_assert(offsetof(pthread_rwlock_t, __data.__flags) == WF_RWLOCK_FREE_OFFSET,
               "glibc's kind at offset 48");

#define WP_RW_SHARED 0x57525753u /* "SWRW" */

/* glibc's own attribute layout. */
struct rwattr {
    int kind;
    int pshared;
};
_Static_assert(sizeof(struct rwattr) <= sizeof(pthread_rwlockattr_t), "rwlockattr");

struct prw {
    _Atomic uint32_t lock;          /* wp_ll_lock */
    uint32_t nr_readers;
    _Atomic uint32_t rd_seq;        /* readers wait on it */
    _Atomic uint32_t wr_seq;        /* writers wait on it */
    uint32_t rd_queued, wr_queued;
    uint64_t writer;                /* wp_shared_self() of the writer, else 0 */
    uint64_t unused[2];
    int kind;                       /* glibc's __flags, offset 48 */
    uint32_t tag;                   /* WP_RW_SHARED */
};
_Static_assert(sizeof(struct prw) == 56, "struct prw is a pthread_rwlock_t");
_Static_assert(offsetof(struct prw, kind) == 48, "kind at 48");

#define PRW_MAX_READERS (UINT32_MAX / 2)

static inline uint64_t word48(const pthread_rwlock_t *rw)
{
    return __atomic_load_n((const uint64_t *)((const char *)rw + 48), __ATOMIC_RELAXED);
}

static inline int shared(uint64_t w)
{
    return __builtin_expect((w >> 32) != 0, 0);
}

static inline int mode_of(uint64_t w)
{
    return (int)(uint32_t)w == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP ? WF_RW_WRITER_PREF
                                                                            : WF_RW_READER_PREF;
}

/* ---- the priority rule: the caller's real-time priority ---------------- */
static int rt_prio(void)
{
    struct wf_thread *t = wf_self();
    struct wp_thread *r = wp_record_peek(t);
    if (!r)
        return -1;
    wf_spin_lock(&r->lock);
    int policy = r->policy, prio = r->sched_priority;
    wf_spin_unlock(&r->lock);
    if (policy != SCHED_FIFO && policy != SCHED_RR)
        return -1;
    /* From the record: t->prio may not have taken a new value yet (weft
     * applies it when the thread is next queued); a boost may be higher. */
    int w = wp_prio_to_weft(policy, prio);
    return t->prio > w ? t->prio : w;
}

__attribute__((constructor)) static void install_rt_prio(void)
{
    wf_rw_rt_prio = rt_prio;
}

/* ---- process-shared ---------------------------------------------------- */

/* Precondition: lock held; the lock is free now. Whom to wake. Releases
 * the lock. */
static void prw_release(struct prw *p, int kind)
{
    if (p->rd_queued && (kind == WF_RW_READER_PREF || !p->wr_queued)) {
        atomic_fetch_add(&p->rd_seq, 1);
        wp_ll_unlock(&p->lock);
        wp_shared_wake(&p->rd_seq, INT_MAX);
    } else if (p->wr_queued) {
        atomic_fetch_add(&p->wr_seq, 1);
        wp_ll_unlock(&p->lock);
        wp_shared_wake(&p->wr_seq, 1);
    } else {
        wp_ll_unlock(&p->lock);
    }
}

static int prw_lock(struct prw *p, int writer, int try, int timed, clockid_t clock,
                    const struct timespec *ts)
{
    if (timed && !wf_clock_valid(clock))
        return EINVAL;
    int kind = mode_of((uint32_t)p->kind);
    uint64_t me = 0;
    struct wp_tmo tmo = {0};
    int first = 1;
    uint64_t poll = 0;
    wp_ll_lock(&p->lock);
    for (;;) {
        if (writer ? !p->writer && !p->nr_readers
                   : !p->writer && (!p->wr_queued || kind == WF_RW_READER_PREF)) {
            if (!writer && p->nr_readers == PRW_MAX_READERS) {
                wp_ll_unlock(&p->lock);
                return EAGAIN;
            }
            if (writer)
                p->writer = me ? me : wp_shared_self();
            else
                p->nr_readers++;
            wp_ll_unlock(&p->lock);
            return 0;
        }
        if (try) {
            wp_ll_unlock(&p->lock);
            return EBUSY;
        }
        if (!me)
            me = wp_shared_self();
        if (p->writer == me) {
            wp_ll_unlock(&p->lock);
            return EDEADLK;
        }
        if (first && timed) {
            int rc = wp_tmo_set(&tmo, clock, ts);
            if (rc) {
                wp_ll_unlock(&p->lock);
                return rc;
            }
        }
        first = 0;
        _Atomic uint32_t *seq = writer ? &p->wr_seq : &p->rd_seq;
        uint32_t *queued = writer ? &p->wr_queued : &p->rd_queued;
        ++*queued;
        uint32_t v = atomic_load(seq);
        wp_ll_unlock(&p->lock);
        int rc = wp_shared_wait(seq, v, &tmo, &poll);
        wp_ll_lock(&p->lock);
        --*queued;
        if (rc == ETIMEDOUT) {
            if (!p->writer && (!p->nr_readers || !writer)) {
                /* Free (enough) now: a wake meant for us, or readers that
                 * queued behind this writer, go to the others. */
                prw_release(p, kind);
            } else {
                wp_ll_unlock(&p->lock);
            }
            return ETIMEDOUT;
        }
    }
}

static int prw_unlock(struct prw *p)
{
    int kind = mode_of((uint32_t)p->kind);
    wp_ll_lock(&p->lock);
    if (p->writer) {
        if (p->writer != wp_shared_self()) {
            wp_ll_unlock(&p->lock);
            return EPERM;
        }
        p->writer = 0;
    } else if (p->nr_readers) {
        p->nr_readers--;
    } else {
        wp_ll_unlock(&p->lock);
        return EPERM;
    }
    if (p->nr_readers) {
        wp_ll_unlock(&p->lock);
        return 0;
    }
    prw_release(p, kind);
    return 0;
}

static int prw_destroy(struct prw *p)
{
    wp_ll_lock(&p->lock);
    int busy = p->writer || p->nr_readers || p->rd_queued || p->wr_queued;
    wp_ll_unlock(&p->lock);
    return busy ? EBUSY : 0;
}

/* ---- attributes ----------------------------------------------------------- */

WP_EXPORT int pthread_rwlockattr_init(pthread_rwlockattr_t *attr)
{
    if (!attr)
        return EINVAL;
    memset(attr, 0, sizeof *attr);
    struct rwattr *a = (struct rwattr *)attr;
    a->kind = PTHREAD_RWLOCK_DEFAULT_NP;
    a->pshared = PTHREAD_PROCESS_PRIVATE;
    return 0;
}

WP_EXPORT int pthread_rwlockattr_destroy(pthread_rwlockattr_t *attr)
{
    return attr ? 0 : EINVAL;
}

WP_EXPORT int pthread_rwlockattr_setpshared(pthread_rwlockattr_t *attr, int pshared)
{
    if (!attr || (pshared != PTHREAD_PROCESS_PRIVATE && pshared != PTHREAD_PROCESS_SHARED))
        return EINVAL;
    ((struct rwattr *)attr)->pshared = pshared;
    return 0;
}

WP_EXPORT int pthread_rwlockattr_getpshared(const pthread_rwlockattr_t *restrict attr,
                                            int *restrict pshared)
{
    if (!attr || !pshared)
        return EINVAL;
    *pshared = ((const struct rwattr *)attr)->pshared;
    return 0;
}

WP_EXPORT int pthread_rwlockattr_setkind_np(pthread_rwlockattr_t *attr, int kind)
{
    if (!attr || (kind != PTHREAD_RWLOCK_PREFER_READER_NP &&
                  kind != PTHREAD_RWLOCK_PREFER_WRITER_NP &&
                  kind != PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        return EINVAL;
    ((struct rwattr *)attr)->kind = kind;
    return 0;
}

WP_EXPORT int pthread_rwlockattr_getkind_np(const pthread_rwlockattr_t *attr, int *kind)
{
    if (!attr || !kind)
        return EINVAL;
    *kind = ((const struct rwattr *)attr)->kind;
    return 0;
}

/* ---- the lock ------------------------------------------------------------- */

WP_EXPORT int pthread_rwlock_init(pthread_rwlock_t *restrict rw,
                                  const pthread_rwlockattr_t *restrict attr)
{
    if (!rw)
        return EINVAL;
    const struct rwattr *a = (const struct rwattr *)attr;
    int kind = a ? a->kind : PTHREAD_RWLOCK_DEFAULT_NP;
    int pshared = a ? a->pshared : PTHREAD_PROCESS_PRIVATE;
    if (pshared == PTHREAD_PROCESS_SHARED) {
        struct prw *p = (struct prw *)rw;
        memset(p, 0, sizeof *p);
        p->kind = kind;
        p->tag = WP_RW_SHARED;
        return 0;
    }
    wfs_rwlock_init((weft_rwlock_t *)rw); /* all 56 bytes zero */
    rw->__data.__flags = (unsigned)kind;
    return 0;
}

WP_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *rw)
{
    if (!rw)
        return EINVAL;
    if (shared(word48(rw)))
        return prw_destroy((struct prw *)rw);
    return wfs_rwlock_destroy((weft_rwlock_t *)rw);
}

/* Every lock call: a process-shared rwlock, or weft's with glibc's kind.
 * The timed forms are not cancellation points (POSIX), weft's are. */
static int lock(pthread_rwlock_t *rw, int write, int try, int timed, clockid_t clock,
                const struct timespec *abstime)
{
    uint64_t w = word48(rw);
    if (shared(w))
        return prw_lock((struct prw *)rw, write, try, timed, clock, abstime);
    int mode = mode_of(w) | (timed ? WF_RW_NOCANCEL : 0);
    return write ? wf_rwlock_wrlock_mode((weft_rwlock_t *)rw, mode, try, timed, clock, abstime)
                 : wf_rwlock_rdlock_mode((weft_rwlock_t *)rw, mode, try, timed, clock, abstime);
}

WP_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *rw)
{
    return lock(rw, 0, 0, 0, CLOCK_REALTIME, NULL);
}

WP_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *rw)
{
    return lock(rw, 0, 1, 0, CLOCK_REALTIME, NULL);
}

WP_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *restrict rw,
                                         const struct timespec *restrict abstime)
{
    return lock(rw, 0, 0, 1, CLOCK_REALTIME, abstime);
}

WP_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *restrict rw, clockid_t clock,
                                         const struct timespec *restrict abstime)
{
    return lock(rw, 0, 0, 1, clock, abstime);
}

WP_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *rw)
{
    return lock(rw, 1, 0, 0, CLOCK_REALTIME, NULL);
}

WP_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *rw)
{
    return lock(rw, 1, 1, 0, CLOCK_REALTIME, NULL);
}

WP_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *restrict rw,
                                         const struct timespec *restrict abstime)
{
    return lock(rw, 1, 0, 1, CLOCK_REALTIME, abstime);
}

WP_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *restrict rw, clockid_t clock,
                                         const struct timespec *restrict abstime)
{
    return lock(rw, 1, 0, 1, clock, abstime);
}

WP_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *rw)
{
    if (shared(word48(rw)))
        return prw_unlock((struct prw *)rw);
    return wfs_rwlock_unlock((weft_rwlock_t *)rw);
}
