/* mutex_pshared.c - process-shared mutexes: all state in the 40 bytes,
 * waits on the host futex word (mutex.c has the design). */
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

/* ---- process-shared ---- */




#define PS_ROBUST_POLL 50000000ull /* 50 ms: look for a dead owner process */

/* Taken (lock word set): record it. */
static int ps_took(struct wp_pmutex *p, uint64_t me, struct wp_thread *r)
{
    atomic_store_explicit(&p->owner, me, memory_order_relaxed);
    p->count = 0;
    int robust = ps_attr(p) & WP_MA_ROBUST;
    if (robust || ps_proto(p) == PTHREAD_PRIO_PROTECT) {
        if (r) {
            wp_held_push(r, &p->held, 1);
            if (ps_proto(p) == PTHREAD_PRIO_PROTECT)
                wp_prio_update(wf_self(), r);
        }
    }
    return robust && atomic_load_explicit(&p->rstate, memory_order_relaxed) == RS_OWNERDEAD
               ? EOWNERDEAD
               : 0;
}

int wp_ps_lock(struct wp_pmutex *p, int mode, clockid_t clock, const struct timespec *ts)
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
    if (ps_proto(p) == PTHREAD_PRIO_PROTECT && wp_above_ceiling(r, (int)p->ceiling))
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
int wp_ps_unlock(struct wp_pmutex *p, int all, uint32_t *count)
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
            wp_held_remove(r, &p->held);
            if (ps_proto(p) == PTHREAD_PRIO_PROTECT)
                wp_prio_update(wf_self(), r);
        }
    }
    atomic_store_explicit(&p->owner, 0, memory_order_relaxed);
    if (PW_STATE(atomic_exchange_explicit(&p->word, 0, memory_order_release)) == 2 || notrec)
        wp_pshared_wake(ps_futex(p), notrec ? INT_MAX : 1);
    return 0;
}

