/* mutex.h - the mutex's insides, shared with the condition variable
 * (cond.c), which releases and relocks it around a wait and moves its
 * waiters onto the mutex's queue. The design is in mutex.c. */
#ifndef WF_SYNC_MUTEX_H
#define WF_SYNC_MUTEX_H

#include <stdatomic.h>
#include <stdint.h>

#include <time.h>

#include "core/thread.h"
#include "core/waitq.h"
#include "weft/sync.h"

/* The state word. */
enum {
    WF_M_LOCKED = 1u,   /* held */
    WF_M_WAITERS = 2u,  /* wq may hold waiters: unlock must look. Set under
                           wq.lock by a waiter about to park (or a requeue);
                           cleared under wq.lock when wq is seen empty */
    WF_M_WOKEN = 4u,    /* a waiter was woken and has not retried yet: unlock
                           need not wake another. Set under wq.lock by its
                           waker, cleared by the woken thread's next try */
    WF_M_TYPE_SHIFT = 8, /* WEFT_MUTEX_* type, fixed at init: a typed
                            mutex never matches the normal fast path */
    WF_M_TYPE_MASK = 3u << 8,
};

/* Bits 16-31 are never set by weft: the pthread layer (src/posix/mutex.c)
 * tags its own kinds of pthread_mutex_t there (robust, priority,
 * process-shared) and never passes such an object to the calls below. */
#define WF_M_FOREIGN_MASK 0xffff0000u

/* Layout (offsets fixed, see below): state@0, count@4, wq.lock@8,
 * wq.head@16, wq.tail@24, owner@32. glibc's static initializers
 * PTHREAD_{RECURSIVE,ERRORCHECK,ADAPTIVE}_MUTEX_INITIALIZER_NP put the
 * kind (1..3) as an int at offset 16, everything else zero: here that is
 * wq.head, a "pointer" 1..3 that no thread record can have, which the
 * pthread layer turns into the type bits before first use
 * (wf_mutex_static_kind). The weft calls never see such a value. */
struct wf_mutex {
    _Atomic uint32_t state;   /* WF_M_*; changed only by atomic RMW */
    uint32_t count;           /* recursive: locks beyond the first; holder only */
    struct wf_waitq wq;       /* parked lockers (and requeued cond waiters);
                                 nests inside a condvar's wq.lock */
    _Atomic uint64_t owner;   /* holder's thread id (recursive and errorcheck
                                 only, else 0): written by the holder alone,
                                 read by anyone to compare with its own id */
};

_Static_assert(sizeof(struct wf_mutex) <= sizeof(weft_mutex_t), "weft_mutex_t too small");
_Static_assert(_Alignof(struct wf_mutex) <= _Alignof(weft_mutex_t), "weft_mutex_t misaligned");
_Static_assert(sizeof(weft_mutex_t) <= 40, "bigger than glibc's pthread_mutex_t");
_Static_assert(__builtin_offsetof(struct wf_mutex, wq.head) == 16,
               "glibc's __kind (offset 16) must fall on wq.head");

/* glibc's static kind in wq.head (1..3), else 0. A relaxed racy read:
 * once converted, head is 0 or a real pointer. */
static inline unsigned wf_mutex_static_kind(struct wf_mutex *m)
{
    uintptr_t h = (uintptr_t)__atomic_load_n(&m->wq.head, __ATOMIC_RELAXED);
    return h - 1 < 3 ? (unsigned)h : 0;
}

static inline struct wf_mutex *wf_mutex(weft_mutex_t *m)
{
    return (struct wf_mutex *)m;
}

/* 0 if the caller may wait on a condvar with m: m is locked and, for a
 * typed mutex, by the caller. Else EPERM. */
int wf_mutex_check_owner(struct wf_mutex *m);
/* Precondition: the caller holds m (wf_mutex_check_owner). Release it
 * completely, whatever its recursion count; returns what
 * wf_mutex_relock needs to restore. Never switches. */
uint32_t wf_mutex_release_all(struct wf_mutex *m);
/* Lock m again after a condvar wait and restore the recursion count.
 * woken: the caller was woken from m's queue (it holds the WF_M_WOKEN
 * token). May switch; not interruptible by cancellation. */
void wf_mutex_relock(struct wf_mutex *m, uint32_t count, int woken);
/* Precondition: m->wq.lock held; waiters were just moved onto m->wq
 * (wf_waitq_requeue). Marks m as having waiters and, if nobody holds it,
 * wakes one so the queue moves. */
void wf_mutex_requeued(struct wf_mutex *m);

/* ---- condvar waits with a mutex that is not a weft mutex (cond.c) ----
 * The pthread layer's robust, priority and ceiling mutexes cannot take
 * requeued waiters: a condvar used with one wakes its waiters instead
 * (they relock through relock), and marks its mutex field so (low bit
 * set) for signal and broadcast. The rest is weft's condvar: counting,
 * EBUSY on destroy, timeouts that never lose a signal, cancellation with
 * the mutex held again. */
struct wf_cond_ext {
    void *mutex;  /* the mutex's identity (all waiters must share it) */
    /* Release it completely (called under the condvar's queue lock, so
     * never switches); *count gets what relock needs. 0 or an error
     * (EPERM: not the owner): then the wait does not happen. */
    int (*unlock)(void *mutex, uint32_t *count);
    /* Lock it again, restoring count; 0 or an error the wait returns
     * (EOWNERDEAD, ENOTRECOVERABLE). Not interruptible by cancellation. */
    int (*relock)(void *mutex, uint32_t count);
};
/* deadline: absolute monotonic ns, 0 for none. A cancellation point. */
int wf_cond_wait_ext(weft_cond_t *cv, const struct wf_cond_ext *x, uint64_t deadline);

/* ---- the fast paths, inline so that the pthread layer (src/posix)
 * costs no more than a call of weft_mutex_lock. The rest is in mutex.c. */

/* The mutex was held when wf_mutex_lock looked. timed: clock and ts apply
 * (a cancellation point then; see weft_mutex_timedlock). */
int wf_mutex_lock_slow(struct wf_mutex *m, int timed, clockid_t clock,
                       const struct timespec *ts);
/* Precondition: the caller just cleared LOCKED and saw WAITERS without
 * WOKEN. Wake the first waiter, or clear WAITERS if there is none. */
void wf_mutex_wake_next(struct wf_mutex *m);
/* Unlock of a typed mutex, or of one not locked: s is the state seen. */
int wf_mutex_unlock_slow(struct wf_mutex *m, uint32_t s);
/* trylock that found LOCKED set. */
int wf_mutex_trylock_slow(struct wf_mutex *m);

static inline uint32_t wf_mutex_load(struct wf_mutex *m)
{
    return atomic_load_explicit(&m->state, memory_order_relaxed);
}

/* Set LOCKED; nonzero if it was set already (not taken). Only the bit is
 * looked at, so this is one `lock bts` (keep the callers' tests in the
 * form `if (wf_mutex_held(m))`: GCC 12 loses the pattern under a
 * negation). Unlike a CAS from 0 it succeeds whatever WAITERS/WOKEN say. */
static inline uint32_t wf_mutex_held(struct wf_mutex *m)
{
    return atomic_fetch_or_explicit(&m->state, WF_M_LOCKED, memory_order_acquire) &
           WF_M_LOCKED;
}

/* Just taken by wf_mutex_held(): a typed mutex records its owner. */
static inline void wf_mutex_took(struct wf_mutex *m)
{
    if (wf_mutex_load(m) & WF_M_TYPE_MASK) {
        atomic_store_explicit(&m->owner, wf_self()->id, memory_order_relaxed);
        m->count = 0;
    }
}

/* Precondition: the caller holds m, owner and count already reset. */
static inline void wf_mutex_release(struct wf_mutex *m)
{
    uint32_t old = atomic_fetch_sub_explicit(&m->state, WF_M_LOCKED, memory_order_release);
    if ((old & (WF_M_WAITERS | WF_M_WOKEN)) == WF_M_WAITERS)
        wf_mutex_wake_next(m);
}

static inline int wf_mutex_lock(struct wf_mutex *m)
{
    if (__builtin_expect(wf_mutex_held(m), 0))
        return wf_mutex_lock_slow(m, 0, CLOCK_REALTIME, NULL);
    wf_mutex_took(m);
    return 0;
}

static inline int wf_mutex_trylock(struct wf_mutex *m)
{
    if (wf_mutex_held(m))
        return wf_mutex_trylock_slow(m);
    wf_mutex_took(m);
    return 0;
}

static inline int wf_mutex_unlock(struct wf_mutex *m)
{
    /* A plain load first (the line is ours: we hold the lock), so that the
     * one atomic below can release whatever the waiter bits say. */
    uint32_t s = wf_mutex_load(m);
    if (__builtin_expect(!(s & WF_M_TYPE_MASK) && (s & WF_M_LOCKED), 1)) {
        wf_mutex_release(m);
        return 0;
    }
    return wf_mutex_unlock_slow(m, s);
}

#endif
