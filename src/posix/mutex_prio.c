/* mutex_prio.c - priority inheritance and ceilings for the pthread
 * layer's mutexes, and the per-thread list of mutexes held (mutex.c has
 * the design). */
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

/* ---- priorities ---- */

static int ceiling_prio(int ceiling)
{
    return wp_prio_to_weft(SCHED_FIFO, ceiling);
}

/* Raise t (thread id id) to prio if lower, and whoever it waits for on
 * a PI mutex, transitively. */
void wp_pi_boost(struct wf_thread *t, uint64_t id, int prio)
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





/* The caller's priority from what it holds (see the top). */
void wp_prio_update(struct wf_thread *self, struct wp_thread *r)
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

void wp_held_push(struct wp_thread *r, struct wp_held *h, int pshared)
{
    h->next = r->held;
    r->held = (struct wp_held *)((uintptr_t)h | (uintptr_t)(pshared ? 1 : 0));
}

void wp_held_remove(struct wp_thread *r, struct wp_held *h)
{
    for (struct wp_held **pp = &r->held; *pp; pp = &held_ptr(*pp)->next)
        if (held_ptr(*pp) == h) {
            *pp = h->next;
            return;
        }
}

/* The caller's priority is above the ceiling (EINVAL for PROTECT). */
int wp_above_ceiling(struct wp_thread *r, int ceiling)
{
    return (r->policy == SCHED_FIFO || r->policy == SCHED_RR) && r->sched_priority > ceiling;
}

