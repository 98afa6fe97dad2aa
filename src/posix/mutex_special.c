/* mutex_special.c - private robust, priority-inheritance and ceiling
 * mutexes: an entry per mutex, a waitqueue in it (mutex.c has the design). */
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

/* ---- entries ---- */

static wf_spinlock_t pool_lock;
static struct wp_mentry *pool;

struct wp_mentry *wp_mentry_new(void)
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

void wp_mentry_free(struct wp_mentry *e)
{
    wf_spin_lock(&pool_lock);
    e->free_next = pool;
    pool = e;
    wf_spin_unlock(&pool_lock);
}


/* The entry of a WP_MTAG_SPECIAL mutex, or NULL (destroyed, copied). */
struct wp_mentry *wp_mentry_of(pthread_mutex_t *m)
{
    struct wp_mentry *e = __atomic_load_n(entry_slot(m), __ATOMIC_ACQUIRE);
    if (!e || __atomic_load_n(&e->mutex, __ATOMIC_RELAXED) != m)
        return NULL;
    return e;
}


/* ---- special (private robust / PI / ceiling) ---- */

int wp_sp_lock(pthread_mutex_t *mu, struct wp_mentry *e, int mode, clockid_t clock,
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
            if (e->protocol == PTHREAD_PRIO_PROTECT && wp_above_ceiling(r, e->ceiling)) {
                rc = EINVAL;
                break;
            }
            atomic_store_explicit(&e->owner, self, memory_order_release);
            atomic_store_explicit(&e->owner_id, self->id, memory_order_relaxed);
            e->count = 0;
            rc = e->rstate == RS_OWNERDEAD ? EOWNERDEAD : 0;
            wf_spin_unlock(&e->wq.lock);
            atomic_store_explicit(&r->pi_blocked_on, NULL, memory_order_relaxed);
            wp_held_push(r, &e->held, 0);
            if (e->protocol != PTHREAD_PRIO_NONE)
                wp_prio_update(self, r);
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
                wp_pi_boost(o, oid, me);
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
void wp_sp_release_locked(struct wp_mentry *e)
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
int wp_sp_unlock(struct wp_mentry *e, int all, uint32_t *count)
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
    wp_sp_release_locked(e);
    struct wp_thread *r = wp_record_peek(self);
    if (r) {
        wp_held_remove(r, &e->held);
        if (proto != PTHREAD_PRIO_NONE)
            wp_prio_update(self, r);
    }
    return 0;
}

