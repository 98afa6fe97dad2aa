/* mutex.c - pthread_mutex_*: glibc's names and 40-byte objects.
 *
 * THREE KINDS OF OBJECT, told apart by word 0 (bits 16-31, which weft
 * never sets; tags in pshared.h):
 *
 * 1. PLAIN (normal, recursive, errorcheck, adaptive; private; no robust,
 *    no protocol): the object IS a weft mutex (src/sync/mutex.h), and the
 *    calls are weft's inline fast paths plus one test: word 0 has no tag
 *    and wq.head (offset 16) holds no static kind. glibc's
 *    PTHREAD_{RECURSIVE,ERRORCHECK,ADAPTIVE}_MUTEX_INITIALIZER_NP put the
 *    kind 1..3 at offset 16, which is wq.head: the first call to see it
 *    converts the mutex (ORs the type into the state word, then clears
 *    head with a CAS from the kind), before any weft code runs on it.
 *    Racing first users all do the same idempotent steps; the fast path's
 *    type-dependent work reloads the state word after taking the lock.
 *    Adaptive is normal (weft spins briefly anyway).
 *
 * 2. SPECIAL (private, robust and/or PTHREAD_PRIO_INHERIT / _PROTECT):
 *    word 0 is WP_MTAG_SPECIAL, bytes 8-15 point to an entry (struct
 *    wp_mentry) made by pthread_mutex_init and given back by destroy.
 *    Entries are never freed, only reused, and each names its mutex, so a
 *    destroyed or copied object is refused (EINVAL), not followed. All of
 *    the entry is guarded by its waitqueue's lock; lockers park on that
 *    queue (no hand-off: a woken waiter retries).
 *
 * 3. PROCESS-SHARED: the whole state in the 40 bytes (struct wp_pmutex),
 *    word 0 WP_MTAG_PSHARED | attributes; a lock word taken 0 -> 1, 2
 *    when contended (Drepper's mutex), together with the holder's pid
 *    (one 64-bit CAS); waits in the host kernel (pshared.c). The owner
 *    (errorcheck, recursive) is pid << 42 | weft thread id. A robust one
 *    whose holder process died (kill(pid, 0) == ESRCH, checked by waiters
 *    every 50 ms) goes to a waiter with EOWNERDEAD.
 *
 * HELD LIST. A thread that takes a special or process-shared mutex that is
 * robust or has a protocol links it on its record's list r->held (only
 * the thread itself touches the list). At thread exit (wp_mutex_thread_exit,
 * after key destructors) every robust one still held is released with
 * the OWNERDEAD mark: the next locker gets EOWNERDEAD holding it; it calls
 * pthread_mutex_consistent, or its unlock makes the mutex
 * ENOTRECOVERABLE for everyone (waiters are woken to see it). Non-robust
 * ones stay locked, as in glibc.
 *
 * PRIORITIES. A waiter on a PI mutex raises the owner's weft priority to
 * its own if higher, and on along owner -> pi_blocked_on -> owner (at
 * most 32 steps). A ceiling mutex raises its locker to the ceiling
 * (wp_prio_to_weft(SCHED_FIFO, c)). Whenever a thread releases one of
 * these it recomputes: max(base, ceilings of the ceiling mutexes it
 * still holds, priorities of the waiters of the PI mutexes it still
 * holds). r->base_prio keeps the unboosted priority while a boost is on
 * (-1 when none is; sched.c must update it, not the weft priority, while
 * it is >= 0). A waiter that gives up (timeout) does not lower the owner
 * at once; the owner's next release does. Process-shared PI mutexes do no
 * inheritance (their waiters may be in another process); ceilings work.
 *
 * FILES. This one: the calls, plain mutexes, the condvar hooks, thread
 * exit. mutex_special.c: kind 2; mutex_pshared.c: kind 3; mutex_prio.c:
 * priorities and the held list; mutex_impl.h: the layouts they share. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/intr.h"
#include "core/runtime.h"
#include "core/waitq.h"
#include "posix/mutex_impl.h"
#include "sync/deadline.h"
#include "weft/thread.h"

/* ---- plain: the static kinds ---- */

static void convert(struct wf_mutex *w)
{
    unsigned k = wf_mutex_static_kind(w);
    if (!k)
        return;
    uint32_t type = k == PTHREAD_MUTEX_ADAPTIVE_NP ? 0 : k;
    atomic_fetch_or_explicit(&w->state, type << WF_M_TYPE_SHIFT, memory_order_relaxed);
    struct wf_thread *h = (struct wf_thread *)(uintptr_t)k;
    __atomic_compare_exchange_n(&w->wq.head, &h, NULL, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

int wp_mutex_is_plain(pthread_mutex_t *m)
{
    if (tag_of(m))
        return 0;
    convert((struct wf_mutex *)m);
    return 1;
}

/* Everything but the plain fast path. */
__attribute__((noinline)) static int lock_other(pthread_mutex_t *mu, int mode, clockid_t clock,
                                                const struct timespec *ts)
{
    if (!mu)
        return EINVAL;
    struct wf_mutex *m = (struct wf_mutex *)mu;
    uint32_t tag = tag_of(mu);
    if (tag == 0) {
        convert(m);
        if (mode == M_LOCK)
            return wf_mutex_lock(m);
        if (mode == M_TRY)
            return wf_mutex_trylock(m);
        if (!wf_mutex_held(m)) {
            wf_mutex_took(m);
            return 0;
        }
        /* weft's timed lock is a cancellation point, POSIX's is not. */
        int old = wp_nocancel_begin();
        int rc = wf_mutex_lock_slow(m, 1, clock, ts);
        wp_nocancel_end(old);
        return rc;
    }
    if (tag == WP_MTAG_SPECIAL) {
        struct wp_mentry *e = wp_mentry_of(mu);
        return e ? wp_sp_lock(mu, e, mode, clock, ts) : EINVAL;
    }
    if (tag == WP_MTAG_PSHARED)
        return wp_ps_lock(P(mu), mode, clock, ts);
    return EINVAL;
}

static inline int plain_fast(pthread_mutex_t *mu)
{
    struct wf_mutex *m = (struct wf_mutex *)mu;
    return !((wf_mutex_load(m) & WF_M_FOREIGN_MASK) | wf_mutex_static_kind(m));
}

/* ---- the calls ---- */

WP_EXPORT int pthread_mutex_init(pthread_mutex_t *mu, const pthread_mutexattr_t *attr)
{
    if (!mu)
        return EINVAL;
    uint32_t a = attr ? wp_attr_word(attr) : 0;
    int type = (int)(a & WP_MA_TYPE_MASK);
    int proto = (int)((a & WP_MA_PROTO_MASK) >> WP_MA_PROTO_SHIFT);
    int ceiling = (int)((a & WP_MA_CEIL_MASK) >> WP_MA_CEIL_SHIFT);
    if (proto > PTHREAD_PRIO_PROTECT || ceiling > 99)
        return EINVAL;
    if (ceiling == 0)
        ceiling = 1;
    if (a & WP_MA_PSHARED) {
        struct wp_pmutex *p = P(mu);
        memset(p, 0, sizeof *p);
        p->ceiling = (uint32_t)ceiling;
        __atomic_store_n(&p->tag, WP_MTAG_PSHARED | (a & 0xffffu), __ATOMIC_RELEASE);
        return 0;
    }
    if (!(a & WP_MA_ROBUST) && proto == PTHREAD_PRIO_NONE) {
        memset(mu, 0, sizeof *mu);
        uint32_t t = type == PTHREAD_MUTEX_ADAPTIVE_NP ? 0 : (uint32_t)type;
        atomic_store_explicit(&((struct wf_mutex *)mu)->state, t << WF_M_TYPE_SHIFT,
                              memory_order_release);
        return 0;
    }
    struct wp_mentry *e = wp_mentry_new();
    if (!e)
        return ENOMEM;
    wf_spin_lock(&e->wq.lock);
    e->type = type == PTHREAD_MUTEX_ADAPTIVE_NP ? PTHREAD_MUTEX_NORMAL : type;
    e->robust = !!(a & WP_MA_ROBUST);
    e->protocol = proto;
    e->ceiling = ceiling;
    e->rstate = RS_OK;
    atomic_store_explicit(&e->owner, NULL, memory_order_relaxed);
    atomic_store_explicit(&e->owner_id, 0, memory_order_relaxed);
    e->count = 0;
    e->held.next = NULL;
    e->mutex = mu;
    wf_spin_unlock(&e->wq.lock);
    memset(mu, 0, sizeof *mu);
    __atomic_store_n(entry_slot(mu), e, __ATOMIC_RELEASE);
    atomic_store_explicit(&((struct wf_mutex *)mu)->state, WP_MTAG_SPECIAL, memory_order_release);
    return 0;
}

WP_EXPORT int pthread_mutex_destroy(pthread_mutex_t *mu)
{
    if (!mu)
        return EINVAL;
    uint32_t tag = tag_of(mu);
    if (tag == 0) {
        convert((struct wf_mutex *)mu);
        return weft_mutex_destroy((weft_mutex_t *)mu);
    }
    if (tag == WP_MTAG_SPECIAL) {
        struct wp_mentry *e = wp_mentry_of(mu);
        if (!e)
            return EINVAL;
        wf_spin_lock(&e->wq.lock);
        if (atomic_load_explicit(&e->owner, memory_order_relaxed) || !wf_waitq_empty(&e->wq)) {
            wf_spin_unlock(&e->wq.lock);
            return EBUSY;
        }
        __atomic_store_n(&e->mutex, NULL, __ATOMIC_RELAXED);
        wf_spin_unlock(&e->wq.lock);
        atomic_store_explicit(&((struct wf_mutex *)mu)->state, WP_MTAG_DEAD, memory_order_release);
        wp_mentry_free(e);
        return 0;
    }
    if (tag == WP_MTAG_PSHARED) {
        if (PW_STATE(atomic_load_explicit(&P(mu)->word, memory_order_acquire)))
            return EBUSY;
        __atomic_store_n(&P(mu)->tag, WP_MTAG_DEAD, __ATOMIC_RELEASE);
        return 0;
    }
    return EINVAL;
}

WP_EXPORT int pthread_mutex_lock(pthread_mutex_t *mu)
{
    if (__builtin_expect(mu != NULL && plain_fast(mu), 1))
        return wf_mutex_lock((struct wf_mutex *)mu);
    return lock_other(mu, M_LOCK, CLOCK_REALTIME, NULL);
}

WP_EXPORT int pthread_mutex_trylock(pthread_mutex_t *mu)
{
    if (__builtin_expect(mu != NULL && plain_fast(mu), 1))
        return wf_mutex_trylock((struct wf_mutex *)mu);
    return lock_other(mu, M_TRY, CLOCK_REALTIME, NULL);
}

WP_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *mu, clockid_t clock,
                                      const struct timespec *ts)
{
    if (!wf_clock_valid(clock))
        return EINVAL;
    if (mu && plain_fast(mu) && !wf_mutex_held((struct wf_mutex *)mu)) {
        wf_mutex_took((struct wf_mutex *)mu);
        return 0;
    }
    if (mu && plain_fast(mu)) {
        int old = wp_nocancel_begin();
        int rc = wf_mutex_lock_slow((struct wf_mutex *)mu, 1, clock, ts);
        wp_nocancel_end(old);
        return rc;
    }
    return lock_other(mu, M_TIMED, clock, ts);
}

WP_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *mu, const struct timespec *ts)
{
    return pthread_mutex_clocklock(mu, CLOCK_REALTIME, ts);
}

WP_EXPORT int pthread_mutex_unlock(pthread_mutex_t *mu)
{
    if (__builtin_expect(mu == NULL, 0))
        return EINVAL;
    struct wf_mutex *m = (struct wf_mutex *)mu;
    uint32_t s = wf_mutex_load(m);
    if (__builtin_expect(!(s & (WF_M_TYPE_MASK | WF_M_FOREIGN_MASK)) && (s & WF_M_LOCKED), 1)) {
        wf_mutex_release(m);
        return 0;
    }
    uint32_t tag = s & WP_TAG_MASK;
    if (tag == 0) {
        convert(m);
        return wf_mutex_unlock(m);
    }
    if (tag == WP_MTAG_SPECIAL) {
        struct wp_mentry *e = wp_mentry_of(mu);
        return e ? wp_sp_unlock(e, 0, NULL) : EINVAL;
    }
    if (tag == WP_MTAG_PSHARED)
        return wp_ps_unlock(P(mu), 0, NULL);
    return EINVAL;
}

WP_EXPORT int pthread_mutex_consistent(pthread_mutex_t *mu)
{
    if (!mu)
        return EINVAL;
    uint32_t tag = tag_of(mu);
    if (tag == WP_MTAG_SPECIAL) {
        struct wp_mentry *e = wp_mentry_of(mu);
        if (!e)
            return EINVAL;
        int rc = EINVAL;
        wf_spin_lock(&e->wq.lock);
        if (e->robust && e->rstate == RS_OWNERDEAD &&
            atomic_load_explicit(&e->owner_id, memory_order_relaxed) == wf_self()->id &&
            atomic_load_explicit(&e->owner, memory_order_relaxed)) {
            e->rstate = RS_OK;
            rc = 0;
        }
        wf_spin_unlock(&e->wq.lock);
        return rc;
    }
    if (tag == WP_MTAG_PSHARED) {
        struct wp_pmutex *p = P(mu);
        if (!(ps_attr(p) & WP_MA_ROBUST) ||
            atomic_load_explicit(&p->owner, memory_order_relaxed) != wp_pshared_self())
            return EINVAL;
        uint32_t s = RS_OWNERDEAD;
        return atomic_compare_exchange_strong(&p->rstate, &s, RS_OK) ? 0 : EINVAL;
    }
    return EINVAL; /* plain: never robust */
}

/* The header maps the _np name onto pthread_mutex_consistent; exported
 * for old binaries under its asm name. */
WP_EXPORT int wp_mutex_consistent_np(pthread_mutex_t *mu) __asm__("pthread_mutex_consistent_np");
WP_EXPORT int wp_mutex_consistent_np(pthread_mutex_t *mu)
{
    return pthread_mutex_consistent(mu);
}

WP_EXPORT int pthread_mutex_getprioceiling(const pthread_mutex_t *cmu, int *ceiling)
{
    pthread_mutex_t *mu = (pthread_mutex_t *)cmu;
    if (!mu || !ceiling)
        return EINVAL;
    uint32_t tag = tag_of(mu);
    if (tag == WP_MTAG_SPECIAL) {
        struct wp_mentry *e = wp_mentry_of(mu);
        if (!e || e->protocol != PTHREAD_PRIO_PROTECT)
            return EINVAL;
        *ceiling = e->ceiling;
        return 0;
    }
    if (tag == WP_MTAG_PSHARED && ps_proto(P(mu)) == PTHREAD_PRIO_PROTECT) {
        *ceiling = (int)P(mu)->ceiling;
        return 0;
    }
    return EINVAL;
}

/* Locks the mutex (unless the caller holds it), changes the ceiling,
 * unlocks it; *old gets the previous ceiling. */
WP_EXPORT int pthread_mutex_setprioceiling(pthread_mutex_t *mu, int ceiling, int *old)
{
    if (!mu || ceiling < 1 || ceiling > 99)
        return EINVAL;
    int prev;
    int rc = pthread_mutex_getprioceiling(mu, &prev);
    if (rc)
        return rc;
    int mine = wp_mutex_owned(mu) == 0;
    if (!mine) {
        rc = pthread_mutex_lock(mu);
        if (rc && rc != EOWNERDEAD)
            return rc;
    }
    if (tag_of(mu) == WP_MTAG_SPECIAL) {
        struct wp_mentry *e = wp_mentry_of(mu);
        wf_spin_lock(&e->wq.lock);
        prev = e->ceiling;
        e->ceiling = ceiling;
        wf_spin_unlock(&e->wq.lock);
    } else {
        prev = (int)P(mu)->ceiling;
        P(mu)->ceiling = (uint32_t)ceiling;
    }
    if (mine) {
        struct wp_thread *r = wp_self();
        if (r)
            wp_prio_update(wf_self(), r);
    } else {
        pthread_mutex_unlock(mu);
    }
    if (old)
        *old = prev;
    return rc == EOWNERDEAD ? EOWNERDEAD : 0;
}

/* ---- for cond.c (pshared.h) ---- */

static int ext_unlock(void *mutex, uint32_t *count)
{
    struct wp_mentry *e = wp_mentry_of(mutex);
    return e ? wp_sp_unlock(e, 1, count) : EINVAL;
}

static int ext_relock(void *mutex, uint32_t count)
{
    struct wp_mentry *e = wp_mentry_of(mutex);
    if (!e)
        return EINVAL;
    int rc = wp_sp_lock(mutex, e, M_LOCK, CLOCK_REALTIME, NULL);
    if (rc == 0 || rc == EOWNERDEAD)
        e->count = count; /* we hold it: owner-only field */
    return rc;
}

static int ext_ps_unlock(void *mutex, uint32_t *count)
{
    return wp_ps_unlock(P(mutex), 1, count);
}

static int ext_ps_relock(void *mutex, uint32_t count)
{
    int rc = wp_ps_lock(P(mutex), M_LOCK, CLOCK_REALTIME, NULL);
    if (rc == 0 || rc == EOWNERDEAD)
        P(mutex)->count = count;
    return rc;
}

int wp_mutex_ext(pthread_mutex_t *mu, struct wf_cond_ext *x)
{
    uint32_t tag = tag_of(mu);
    x->mutex = mu;
    if (tag == WP_MTAG_PSHARED) { /* with a private condvar */
        x->unlock = ext_ps_unlock;
        x->relock = ext_ps_relock;
        return 0;
    }
    if (tag != WP_MTAG_SPECIAL || !wp_mentry_of(mu))
        return EINVAL;
    x->unlock = ext_unlock;
    x->relock = ext_relock;
    return 0;
}

int wp_mutex_owned(pthread_mutex_t *mu)
{
    if (!mu)
        return EINVAL;
    uint32_t tag = tag_of(mu);
    if (tag == 0) {
        convert((struct wf_mutex *)mu);
        return wf_mutex_check_owner((struct wf_mutex *)mu);
    }
    if (tag == WP_MTAG_SPECIAL) {
        struct wp_mentry *e = wp_mentry_of(mu);
        if (!e)
            return EINVAL;
        return atomic_load_explicit(&e->owner, memory_order_relaxed) &&
                       atomic_load_explicit(&e->owner_id, memory_order_relaxed) == wf_self()->id
                   ? 0
                   : EPERM;
    }
    if (tag == WP_MTAG_PSHARED) {
        struct wp_pmutex *p = P(mu);
        if (!PW_STATE(atomic_load_explicit(&p->word, memory_order_relaxed)))
            return EPERM;
        if (ps_type(p) == PTHREAD_MUTEX_NORMAL && !(ps_attr(p) & WP_MA_ROBUST))
            return 0; /* no owner check for a normal one, like weft's */
        return atomic_load_explicit(&p->owner, memory_order_relaxed) == wp_pshared_self() ? 0
                                                                                          : EPERM;
    }
    return EINVAL;
}

/* ---- thread exit (record.c) ---- */

void wp_mutex_thread_exit(struct wf_thread *t, struct wp_thread *r)
{
    (void)t;
    struct wp_held *h = r->held;
    r->held = NULL;
    while (h) {
        struct wp_held *next = held_ptr(h)->next;
        if (held_is_pshared(h)) {
            struct wp_pmutex *p = held_pmutex(h);
            if ((ps_attr(p) & WP_MA_ROBUST) &&
                atomic_load_explicit(&p->owner, memory_order_relaxed) == wp_pshared_self()) {
                uint32_t s = RS_OK;
                atomic_compare_exchange_strong(&p->rstate, &s, RS_OWNERDEAD);
                p->count = 0;
                atomic_store_explicit(&p->owner, 0, memory_order_relaxed);
                if (PW_STATE(atomic_exchange_explicit(&p->word, 0, memory_order_release)) == 2)
                    wp_pshared_wake(ps_futex(p), 1);
            }
        } else {
            struct wp_mentry *e = held_entry(h);
            wf_spin_lock(&e->wq.lock);
            if (e->robust && atomic_load_explicit(&e->owner_id, memory_order_relaxed) == t->id) {
                if (e->rstate == RS_OK)
                    e->rstate = RS_OWNERDEAD;
                e->count = 0;
                wp_sp_release_locked(e);
            } else {
                wf_spin_unlock(&e->wq.lock); /* stays locked, as in glibc */
            }
        }
        h = next;
    }
    atomic_store_explicit(&r->pi_blocked_on, NULL, memory_order_relaxed);
    r->base_prio = -1;
}

/* glibc still exports these old internal names (GLIBC_2.2.5), and old
 * binaries and libraries may call them: the same functions. */
#define WP_ALIAS(name, target) \
    WP_EXPORT __typeof__(target) name __attribute__((alias(#target), copy(target)))
WP_ALIAS(__pthread_mutex_init, pthread_mutex_init);
WP_ALIAS(__pthread_mutex_destroy, pthread_mutex_destroy);
WP_ALIAS(__pthread_mutex_lock, pthread_mutex_lock);
WP_ALIAS(__pthread_mutex_trylock, pthread_mutex_trylock);
WP_ALIAS(__pthread_mutex_unlock, pthread_mutex_unlock);
