/* mutex.h - the mutex's insides, shared with the condition variable
 * (cond.c), which releases and relocks it around a wait and moves its
 * waiters onto the mutex's queue. The design is in mutex.c. */
#ifndef WF_SYNC_MUTEX_H
#define WF_SYNC_MUTEX_H

#include <stdatomic.h>
#include <stdint.h>

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

struct wf_mutex {
    _Atomic uint32_t state;   /* WF_M_*; changed only by atomic RMW */
    uint32_t count;           /* recursive: locks beyond the first; holder only */
    _Atomic uint64_t owner;   /* holder's thread id (recursive and errorcheck
                                 only, else 0): written by the holder alone,
                                 read by anyone to compare with its own id */
    struct wf_waitq wq;       /* parked lockers (and requeued cond waiters);
                                 nests inside a condvar's wq.lock */
};

_Static_assert(sizeof(struct wf_mutex) <= sizeof(weft_mutex_t), "weft_mutex_t too small");
_Static_assert(_Alignof(struct wf_mutex) <= _Alignof(weft_mutex_t), "weft_mutex_t misaligned");
_Static_assert(sizeof(weft_mutex_t) <= 40, "bigger than glibc's pthread_mutex_t");

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

#endif
