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
 * inheritance (their waiters may be in another process); ceilings work. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/intr.h"
#include "core/runtime.h"
#include "core/waitq.h"
#include "posix/posix.h"
#include "posix/pshared.h"
#include "sync/deadline.h"
#include "sync/mutex.h"
#include "weft/thread.h"

_Static_assert(sizeof(pthread_mutex_t) == 40, "glibc x86_64 pthread_mutex_t");
_Static_assert(sizeof(pthread_mutexattr_t) == 4, "glibc x86_64 pthread_mutexattr_t");
_Static_assert(sizeof(struct wf_mutex) <= sizeof(pthread_mutex_t), "weft mutex too big");

enum { RS_OK = 0, RS_OWNERDEAD = 1, RS_NOTREC = 2 }; /* robust states */
enum { M_LOCK, M_TRY, M_TIMED };                  /* lock modes */

/* A held-list link. In an entry: the pointer as is; in a process-shared
 * mutex: tagged with bit 0. */
struct wp_held {
    struct wp_held *next;
};

struct wp_mentry {
    struct wf_waitq wq;               /* lock guards all but `held` */
    pthread_mutex_t *mutex;           /* its object; NULL while free */
    int type;                         /* PTHREAD_MUTEX_NORMAL/RECURSIVE/ERRORCHECK */
    int robust;
    int protocol;                     /* PTHREAD_PRIO_* */
    int ceiling;                      /* POSIX priority 1..99 (PROTECT) */
    int rstate;                       /* R_* */
    struct wf_thread *_Atomic owner;  /* holder, NULL when free */
    _Atomic uint64_t owner_id;        /* holder's thread id */
    uint32_t count;                   /* recursive: locks beyond the first */
    struct wp_held held;              /* on the owner's list; owner only */
    struct wp_mentry *free_next;
};

/* Process-shared layout: no pointers another process could not use
 * (`held` is the owner process's own link, used only while it holds it).
 * `word` is taken with one 64-bit CAS that also writes the holder's pid,
 * so a holder process that dies right after taking it is still found
 * (waiters of a robust one check the pid every PS_ROBUST_POLL). Its low
 * half (little-endian: offset 8) is the futex word. */
struct wp_pmutex {
    uint32_t tag;               /* WP_MTAG_PSHARED | mutexattr word (low 16 bits) */
    uint32_t count;             /* recursive: locks beyond the first; owner only */
    _Atomic uint64_t word;      /* PW(state, pid): state 0 free, 1 held,
                                   2 held with waiters; pid of the holder */
    _Atomic uint64_t owner;     /* wp_pshared_self() of the holder, else 0 */
    uint32_t ceiling;           /* POSIX priority (PROTECT) */
    _Atomic uint32_t rstate;    /* RS_* */
    struct wp_held held;        /* offset 32 */
};
_Static_assert(sizeof(struct wp_pmutex) == 40, "pshared layout");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "futex word is word's low half");

#define PW(state, pid) ((uint64_t)(uint32_t)(pid) << 32 | (uint32_t)(state))
#define PW_STATE(w) ((uint32_t)(w))
#define PW_PID(w) ((uint32_t)((w) >> 32))

static inline _Atomic uint32_t *ps_futex(struct wp_pmutex *p)
{
    return (_Atomic uint32_t *)(void *)&p->word;
}

static inline uint32_t tag_of(pthread_mutex_t *m)
{
    return atomic_load_explicit(&((struct wf_mutex *)m)->state, memory_order_relaxed) &
           WP_TAG_MASK;
}

/* ---- entries ---- */

static wf_spinlock_t pool_lock;
static struct wp_mentry *pool;

static struct wp_mentry *entry_new(void)
{
    wf_spin_lock(&pool_lock);
    struct wp_mentry *e = pool;
    if (e)
        pool = e->free_next;
    wf_spin_unlock(&pool_lock);
    if (!e)
        e = calloc(1, sizeof *e);
    return e;
}

static void entry_free(struct wp_mentry *e)
{
    wf_spin_lock(&pool_lock);
    e->free_next = pool;
    pool = e;
    wf_spin_unlock(&pool_lock);
}

static inline struct wp_mentry **entry_slot(pthread_mutex_t *m)
{
    return (struct wp_mentry **)((char *)m + 8);
}

/* The entry of a WP_MTAG_SPECIAL mutex, or NULL (destroyed, copied). */
static struct wp_mentry *entry_of(pthread_mutex_t *m)
{
    struct wp_mentry *e = __atomic_load_n(entry_slot(m), __ATOMIC_ACQUIRE);
    if (!e || __atomic_load_n(&e->mutex, __ATOMIC_RELAXED) != m)
        return NULL;
    return e;
}

static inline struct wp_pmutex *P(pthread_mutex_t *m)
{
    return (struct wp_pmutex *)m;
}

/* ---- priorities ---- */

static inline int cur_prio(struct wf_thread *t)
{
    return atomic_load_explicit(&t->prio_want, memory_order_relaxed);
}

static int ceiling_prio(int ceiling)
{
    return wp_prio_to_weft(SCHED_FIFO, ceiling);
}

/* Raise t (thread id id) to prio if lower, and whoever it waits for on
 * a PI mutex, transitively. */
static void pi_boost(struct wf_thread *t, uint64_t id, int prio)
{
    for (int depth = 0; t && depth < 32; depth++) {
        struct wp_thread *r = wp_record_peek(t);
        if (!r || t->id != id)
            return;
        wf_spin_lock(&r->lock);
        int cur = cur_prio(t);
        if (cur < prio) {
            if (r->base_prio < 0)
                r->base_prio = cur;
            weft_setpriority(wf_handle(t), prio);
        }
        wf_spin_unlock(&r->lock);
        struct wp_mentry *e = atomic_load_explicit(&r->pi_blocked_on, memory_order_acquire);
        if (!e)
            return;
        t = atomic_load_explicit(&e->owner, memory_order_acquire);
        id = atomic_load_explicit(&e->owner_id, memory_order_relaxed);
    }
}

static inline int held_is_pshared(struct wp_held *h)
{
    return (uintptr_t)h & 1;
}

static inline struct wp_held *held_ptr(struct wp_held *h)
{
    return (struct wp_held *)((uintptr_t)h & ~(uintptr_t)1);
}

static inline struct wp_mentry *held_entry(struct wp_held *h)
{
    return (struct wp_mentry *)((char *)h - offsetof(struct wp_mentry, held));
}

static inline struct wp_pmutex *held_pmutex(struct wp_held *h)
{
    return (struct wp_pmutex *)((char *)held_ptr(h) - offsetof(struct wp_pmutex, held));
}

/* The caller's priority from what it holds (see the top). */
static void prio_update(struct wf_thread *self, struct wp_thread *r)
{
    wf_spin_lock(&r->lock);
    int cur = cur_prio(self);
    int base = r->base_prio >= 0 ? r->base_prio : cur;
    int want = base;
    for (struct wp_held *h = r->held; h; h = held_ptr(h)->next) {
        if (held_is_pshared(h)) {
            struct wp_pmutex *p = held_pmutex(h);
            if (((p->tag & WP_MA_PROTO_MASK) >> WP_MA_PROTO_SHIFT) == PTHREAD_PRIO_PROTECT &&
                ceiling_prio((int)p->ceiling) > want)
                want = ceiling_prio((int)p->ceiling);
            continue;
        }
        struct wp_mentry *e = held_entry(h);
        if (e->protocol == PTHREAD_PRIO_PROTECT) {
            if (ceiling_prio(e->ceiling) > want)
                want = ceiling_prio(e->ceiling);
        } else if (e->protocol == PTHREAD_PRIO_INHERIT) {
            wf_spin_lock(&e->wq.lock);
            for (struct wf_thread *t = e->wq.head; t; t = t->wq_next)
                if (cur_prio(t) > want)
                    want = cur_prio(t);
            wf_spin_unlock(&e->wq.lock);
        }
    }
    if (want != base && r->base_prio < 0)
        r->base_prio = base;
    if (want != cur)
        weft_setpriority(wf_handle(self), want);
    if (want == base)
        r->base_prio = -1;
    wf_spin_unlock(&r->lock);
}

static void held_push(struct wp_thread *r, struct wp_held *h, int pshared)
{
    h->next = r->held;
    r->held = (struct wp_held *)((uintptr_t)h | (uintptr_t)(pshared ? 1 : 0));
}

static void held_remove(struct wp_thread *r, struct wp_held *h)
{
    for (struct wp_held **pp = &r->held; *pp; pp = &held_ptr(*pp)->next)
        if (held_ptr(*pp) == h) {
            *pp = h->next;
            return;
        }
}

/* The caller's priority is above the ceiling (EINVAL for PROTECT). */
static int above_ceiling(struct wp_thread *r, int ceiling)
{
    return (r->policy == SCHED_FIFO || r->policy == SCHED_RR) && r->sched_priority > ceiling;
}

/* ---- special (private robust / PI / ceiling) ---- */

static int sp_lock(pthread_mutex_t *mu, struct wp_mentry *e, int mode, clockid_t clock,
                   const struct timespec *ts)
{
    struct wf_thread *self = wf_self();
    struct wp_thread *r = wp_self();
    if (!r)
        return EAGAIN;
    uint64_t deadline = 0, boosted = 0;
    int have_deadline = 0, rc;
    wf_spin_lock(&e->wq.lock);
    for (;;) {
        if (e->rstate == RS_NOTREC) {
            rc = ENOTRECOVERABLE;
            break;
        }
        struct wf_thread *o = atomic_load_explicit(&e->owner, memory_order_relaxed);
        uint64_t oid = atomic_load_explicit(&e->owner_id, memory_order_relaxed);
        if (o && oid == self->id) {
            if (e->type != PTHREAD_MUTEX_RECURSIVE)
                rc = mode == M_TRY ? EBUSY : EDEADLK;
            else if (e->count == UINT32_MAX)
                rc = EAGAIN;
            else {
                e->count++;
                rc = 0;
            }
            break;
        }
        if (!o) {
            if (e->protocol == PTHREAD_PRIO_PROTECT && above_ceiling(r, e->ceiling)) {
                rc = EINVAL;
                break;
            }
            atomic_store_explicit(&e->owner, self, memory_order_release);
            atomic_store_explicit(&e->owner_id, self->id, memory_order_relaxed);
            e->count = 0;
            rc = e->rstate == RS_OWNERDEAD ? EOWNERDEAD : 0;
            wf_spin_unlock(&e->wq.lock);
            atomic_store_explicit(&r->pi_blocked_on, NULL, memory_order_relaxed);
            held_push(r, &e->held, 0);
            if (e->protocol != PTHREAD_PRIO_NONE)
                prio_update(self, r);
            return rc;
        }
        if (mode == M_TRY) {
            rc = EBUSY;
            break;
        }
        if (mode == M_TIMED) {
            if (!have_deadline) {
                rc = wf_deadline(clock, ts, &deadline);
                if (rc)
                    break;
                have_deadline = 1;
            } else if (wf_deadline_passed(deadline)) {
                rc = ETIMEDOUT;
                break;
            }
        }
        if (e->protocol == PTHREAD_PRIO_INHERIT) {
            atomic_store_explicit(&r->pi_blocked_on, (void *)e, memory_order_release);
            int me = cur_prio(self);
            /* Once per owner: one that cannot be raised (gone, its
             * mutex left locked) must not keep us spinning here. */
            if (oid != boosted && cur_prio(o) < me) {
                boosted = oid;
                wf_spin_unlock(&e->wq.lock);
                pi_boost(o, oid, me);
                wf_spin_lock(&e->wq.lock);
                continue; /* look again: it may have changed hands */
            }
        }
        int w = wf_waitq_wait(&e->wq, "mutex", mu, deadline, 0);
        if (w == WF_WAKE_INTERRUPTED)
            wf_safe_point(0);
        wf_spin_lock(&e->wq.lock);
    }
    wf_spin_unlock(&e->wq.lock);
    atomic_store_explicit(&r->pi_blocked_on, NULL, memory_order_relaxed);
    return rc;
}

/* Release e held by self (count already 0). Precondition: e->wq.lock
 * held; returns with it released. */
static void sp_release_locked(struct wp_mentry *e)
{
    atomic_store_explicit(&e->owner, NULL, memory_order_relaxed);
    atomic_store_explicit(&e->owner_id, 0, memory_order_relaxed);
    if (e->rstate == RS_NOTREC)
        while (wf_waitq_wake_one(&e->wq))
            ;
    else
        wf_waitq_wake_one(&e->wq);
    wf_spin_unlock(&e->wq.lock);
}

/* all: release every recursion level (condvar wait); *count gets them. */
static int sp_unlock(struct wp_mentry *e, int all, uint32_t *count)
{
    struct wf_thread *self = wf_self();
    wf_spin_lock(&e->wq.lock);
    if (!atomic_load_explicit(&e->owner, memory_order_relaxed) ||
        atomic_load_explicit(&e->owner_id, memory_order_relaxed) != self->id) {
        wf_spin_unlock(&e->wq.lock);
        return EPERM;
    }
    if (all) {
        *count = e->count;
        e->count = 0;
    } else if (e->count) {
        e->count--;
        wf_spin_unlock(&e->wq.lock);
        return 0;
    }
    if (e->rstate == RS_OWNERDEAD) /* unlocked without pthread_mutex_consistent */
        e->rstate = RS_NOTREC;
    int proto = e->protocol;
    sp_release_locked(e);
    struct wp_thread *r = wp_record_peek(self);
    if (r) {
        held_remove(r, &e->held);
        if (proto != PTHREAD_PRIO_NONE)
            prio_update(self, r);
    }
    return 0;
}

/* ---- process-shared ---- */

static inline uint32_t ps_attr(struct wp_pmutex *p)
{
    return p->tag & ~WP_TAG_MASK;
}

static inline int ps_type(struct wp_pmutex *p)
{
    int t = (int)(ps_attr(p) & WP_MA_TYPE_MASK);
    return t == PTHREAD_MUTEX_ADAPTIVE_NP ? PTHREAD_MUTEX_NORMAL : t;
}

static inline int ps_proto(struct wp_pmutex *p)
{
    return (int)((ps_attr(p) & WP_MA_PROTO_MASK) >> WP_MA_PROTO_SHIFT);
}

#define PS_ROBUST_POLL 50000000ull /* 50 ms: look for a dead owner process */

/* Taken (lock word set): record it. */
static int ps_took(struct wp_pmutex *p, uint64_t me, struct wp_thread *r)
{
    atomic_store_explicit(&p->owner, me, memory_order_relaxed);
    p->count = 0;
    int robust = ps_attr(p) & WP_MA_ROBUST;
    if (robust || ps_proto(p) == PTHREAD_PRIO_PROTECT) {
        if (r) {
            held_push(r, &p->held, 1);
            if (ps_proto(p) == PTHREAD_PRIO_PROTECT)
                prio_update(wf_self(), r);
        }
    }
    return robust && atomic_load_explicit(&p->rstate, memory_order_relaxed) == RS_OWNERDEAD
               ? EOWNERDEAD
               : 0;
}

static int ps_lock(struct wp_pmutex *p, int mode, clockid_t clock, const struct timespec *ts)
{
    uint64_t me = wp_pshared_self();
    int robust = ps_attr(p) & WP_MA_ROBUST;
    struct wp_thread *r = NULL;
    if (robust || ps_proto(p) == PTHREAD_PRIO_PROTECT) {
        r = wp_self();
        if (!r)
            return EAGAIN;
    }
    if (atomic_load_explicit(&p->owner, memory_order_relaxed) == me) {
        if (ps_type(p) != PTHREAD_MUTEX_RECURSIVE)
            return mode == M_TRY ? EBUSY : EDEADLK;
        if (p->count == UINT32_MAX)
            return EAGAIN;
        p->count++;
        return 0;
    }
    if (ps_proto(p) == PTHREAD_PRIO_PROTECT && above_ceiling(r, (int)p->ceiling))
        return EINVAL;
    uint32_t pid = (uint32_t)(me >> 42);
    uint64_t deadline = 0;
    int have_deadline = 0;
    uint32_t take = 1; /* 2 once we have waited: others may wait too */
    for (;;) {
        if (robust && atomic_load_explicit(&p->rstate, memory_order_acquire) == RS_NOTREC)
            return ENOTRECOVERABLE;
        uint64_t w = atomic_load_explicit(&p->word, memory_order_relaxed);
        if (PW_STATE(w) == 0) {
            if (atomic_compare_exchange_strong(&p->word, &w, PW(take, pid)))
                return ps_took(p, me, r);
            continue;
        }
        if (mode == M_TRY)
            return EBUSY;
        if (mode == M_TIMED && !have_deadline) {
            int rc = wf_deadline(clock, ts, &deadline);
            if (rc)
                return rc;
            have_deadline = 1;
        }
        /* Mark contended (the holder's unlock then wakes someone). */
        if (PW_STATE(w) == 1 &&
            !atomic_compare_exchange_strong(&p->word, &w, PW(2, PW_PID(w))))
            continue;
        int rc = wp_pshared_wait(ps_futex(p), 2, deadline, robust ? PS_ROBUST_POLL : 0, 0);
        if (rc == ETIMEDOUT)
            return ETIMEDOUT;
        take = 2;
        if (robust) {
            w = atomic_load_explicit(&p->word, memory_order_acquire);
            if (PW_STATE(w) && PW_PID(w) != pid && wp_pshared_pid_dead(PW_PID(w)) &&
                atomic_compare_exchange_strong(&p->word, &w, PW(2, pid))) {
                /* Its process died holding it: ours now, marked. */
                uint32_t s = RS_OK;
                atomic_compare_exchange_strong(&p->rstate, &s, RS_OWNERDEAD);
                return ps_took(p, me, r);
            }
        }
    }
}

/* all: release every recursion level (*count gets them). force: thread
 * exit of the owner (no owner check, robust marking). */
static int ps_unlock(struct wp_pmutex *p, int all, uint32_t *count)
{
    uint64_t me = wp_pshared_self();
    int type = ps_type(p), robust = ps_attr(p) & WP_MA_ROBUST;
    uint64_t o = atomic_load_explicit(&p->owner, memory_order_relaxed);
    if (PW_STATE(atomic_load_explicit(&p->word, memory_order_relaxed)) == 0)
        return EPERM;
    if (o != me && (type != PTHREAD_MUTEX_NORMAL || robust || all))
        return EPERM;
    if (all) {
        *count = p->count;
        p->count = 0;
    } else if (p->count) {
        p->count--;
        return 0;
    }
    int notrec = 0;
    if (robust && atomic_load_explicit(&p->rstate, memory_order_relaxed) == RS_OWNERDEAD) {
        atomic_store(&p->rstate, RS_NOTREC);
        notrec = 1;
    }
    if (o == me && (robust || ps_proto(p) == PTHREAD_PRIO_PROTECT)) {
        struct wp_thread *r = wp_record_peek(wf_self());
        if (r) {
            held_remove(r, &p->held);
            if (ps_proto(p) == PTHREAD_PRIO_PROTECT)
                prio_update(wf_self(), r);
        }
    }
    atomic_store_explicit(&p->owner, 0, memory_order_relaxed);
    if (PW_STATE(atomic_exchange_explicit(&p->word, 0, memory_order_release)) == 2 || notrec)
        wp_pshared_wake(ps_futex(p), notrec ? INT_MAX : 1);
    return 0;
}

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
        struct wp_mentry *e = entry_of(mu);
        return e ? sp_lock(mu, e, mode, clock, ts) : EINVAL;
    }
    if (tag == WP_MTAG_PSHARED)
        return ps_lock(P(mu), mode, clock, ts);
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
    struct wp_mentry *e = entry_new();
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
        struct wp_mentry *e = entry_of(mu);
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
        entry_free(e);
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
        struct wp_mentry *e = entry_of(mu);
        return e ? sp_unlock(e, 0, NULL) : EINVAL;
    }
    if (tag == WP_MTAG_PSHARED)
        return ps_unlock(P(mu), 0, NULL);
    return EINVAL;
}

WP_EXPORT int pthread_mutex_consistent(pthread_mutex_t *mu)
{
    if (!mu)
        return EINVAL;
    uint32_t tag = tag_of(mu);
    if (tag == WP_MTAG_SPECIAL) {
        struct wp_mentry *e = entry_of(mu);
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
        struct wp_mentry *e = entry_of(mu);
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
        struct wp_mentry *e = entry_of(mu);
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
            prio_update(wf_self(), r);
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
    struct wp_mentry *e = entry_of(mutex);
    return e ? sp_unlock(e, 1, count) : EINVAL;
}

static int ext_relock(void *mutex, uint32_t count)
{
    struct wp_mentry *e = entry_of(mutex);
    if (!e)
        return EINVAL;
    int rc = sp_lock(mutex, e, M_LOCK, CLOCK_REALTIME, NULL);
    if (rc == 0 || rc == EOWNERDEAD)
        e->count = count; /* we hold it: owner-only field */
    return rc;
}

static int ext_ps_unlock(void *mutex, uint32_t *count)
{
    return ps_unlock(P(mutex), 1, count);
}

static int ext_ps_relock(void *mutex, uint32_t count)
{
    int rc = ps_lock(P(mutex), M_LOCK, CLOCK_REALTIME, NULL);
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
    if (tag != WP_MTAG_SPECIAL || !entry_of(mu))
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
        struct wp_mentry *e = entry_of(mu);
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
                sp_release_locked(e);
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
