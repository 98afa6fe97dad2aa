/* rq.h - a vCPU's O(1) run queue (Codezero / Linux 2.6 O(1)): for each of
 * the 32 priorities a FIFO in the active and in the expired array, a bitmap
 * of non-empty FIFOs per array. A thread whose timeslice ran out goes to
 * the expired array; when the active array empties, the two swap. All
 * operations are O(1) and need rq->lock held.
 *
 * Beside the arrays, one "next" slot (Go's runnext): the thread the running
 * one just created or woke. It runs before the FIFO of its priority, so a
 * parent that joins its fresh child, or a waker that then blocks, hands
 * the vCPU straight over, with the child's stack still warm in the cache,
 * and a tree of spawns unfolds depth first instead of breadth first (which
 * would keep most of the tree alive at once). A newer arrival pushes the
 * old one to its FIFO's tail. The slot never beats a higher priority, and
 * after WF_NEXT_STREAK picks in a row it yields to the FIFOs once, so two
 * threads waking each other cannot starve the rest. */
#ifndef WF_RQ_H
#define WF_RQ_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/spinlock.h"
#include "core/thread.h"

#define WF_NPRIO (WEFT_PRIO_MAX + 1)

struct wf_prio_array {
    uint32_t bitmap;                       /* bit p: fifo[p] non-empty */
    struct wf_fifo {
        struct wf_thread *head, *tail;
    } fifo[WF_NPRIO];
};

#define WF_NEXT_STREAK 16
#define WF_LIFO_MAX 256

struct wf_rq {
    wf_spinlock_t lock;                    /* guards everything below */
    struct wf_thread *next;                /* the next slot (rq_arr NULL) */
    unsigned next_streak;                  /* picks from the slot in a row */
    unsigned lifo_run;                     /* head insertions since a tail-queued
                                              thread last ran */
    struct wf_prio_array *active, *expired;
    atomic_uint nr;                        /* threads queued; written under lock,
                                              read racily by thieves and idlers */
    struct wf_prio_array arrays[2];
};

static inline void wf_rq_init(struct wf_rq *rq)
{
    rq->active = &rq->arrays[0];
    rq->expired = &rq->arrays[1];
}

static inline unsigned wf_rq_nr(struct wf_rq *rq)
{
    return atomic_load_explicit(&rq->nr, memory_order_relaxed);
}

static inline void wf_fifo_push(struct wf_prio_array *a, struct wf_thread *t)
{
    struct wf_fifo *f = &a->fifo[t->prio];
    t->rq_next = NULL;
    if (f->tail)
        f->tail->rq_next = t;
    else
        f->head = t;
    f->tail = t;
    a->bitmap |= 1u << t->prio;
}

/* Queue t at the head of its priority's FIFO. */
static inline void wf_fifo_push_head(struct wf_prio_array *a, struct wf_thread *t)
{
    struct wf_fifo *f = &a->fifo[t->prio];
    t->rq_next = f->head;
    f->head = t;
    if (!f->tail)
        f->tail = t;
    a->bitmap |= 1u << t->prio;
}

static inline struct wf_thread *wf_fifo_pop(struct wf_prio_array *a, int p)
{
    struct wf_fifo *f = &a->fifo[p];
    struct wf_thread *t = f->head;
    f->head = t->rq_next;
    atomic_store_explicit(&t->rq_on, NULL, memory_order_relaxed);
    if (!f->head) {
        f->tail = NULL;
        a->bitmap &= ~(1u << p);
    }
    return t;
}

/* Queue t at the tail of its priority, in the expired array if asked.
 * t is in no queue, so no one else writes its prio: take the latest
 * weft_setpriority value now. */
static inline void wf_rq_push(struct wf_rq *rq, struct wf_thread *t, int expired)
{
    t->rq_lifo = 0;
    t->prio = (uint8_t)atomic_load_explicit(&t->prio_want, memory_order_relaxed);
    t->in_expired = (uint8_t)expired;
    t->rq_arr = expired ? rq->expired : rq->active;
    wf_fifo_push(t->rq_arr, t);
    atomic_store_explicit(&t->rq_on, rq, memory_order_relaxed);
    atomic_store_explicit(&rq->nr, atomic_load_explicit(&rq->nr, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* Queue t in the next slot; the thread there before goes to the tail of
 * its FIFO in the active array. */
static inline void wf_rq_push_next(struct wf_rq *rq, struct wf_thread *t)
{
    struct wf_thread *old = rq->next;
    if (old) {
        /* Work first (Cilk): the displaced thread is the newest but one, so
         * it goes to the head of its FIFO and a tree of spawns runs depth
         * first. At most WF_LIFO_MAX in a row, counted until a thread
         * queued at a tail runs, so tail threads wait a bounded time. */
        old->rq_arr = rq->active;
        if (rq->lifo_run < WF_LIFO_MAX) {
            rq->lifo_run++;
            old->rq_lifo = 1;
            wf_fifo_push_head(old->rq_arr, old);
        } else {
            old->rq_lifo = 0;
            wf_fifo_push(old->rq_arr, old);
        }
    }
    t->prio = (uint8_t)atomic_load_explicit(&t->prio_want, memory_order_relaxed);
    t->in_expired = 0;
    t->rq_arr = NULL;
    rq->next = t;
    atomic_store_explicit(&t->rq_on, rq, memory_order_relaxed);
    atomic_store_explicit(&rq->nr, atomic_load_explicit(&rq->nr, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static inline struct wf_thread *wf_rq_take_next(struct wf_rq *rq)
{
    struct wf_thread *t = rq->next;
    rq->next = NULL;
    atomic_store_explicit(&t->rq_on, NULL, memory_order_relaxed);
    return t;
}

/* The thread to run next: the next slot unless a higher priority waits in
 * the active array or its streak is used up while others wait; else the
 * highest-priority thread of the active array (swapping arrays when it is
 * empty). NULL if nothing is queued. */
static inline struct wf_thread *wf_rq_pop(struct wf_rq *rq)
{
    struct wf_prio_array *a = rq->active;
    struct wf_thread *t = rq->next;
    if (t) {
        int higher = a->bitmap && 31 - __builtin_clz(a->bitmap) > t->prio;
        int others = a->bitmap || rq->expired->bitmap;
        if (!higher && (rq->next_streak < WF_NEXT_STREAK || !others)) {
            rq->next_streak++;
            t = wf_rq_take_next(rq);
            goto out;
        }
    }
    rq->next_streak = 0;
    if (!a->bitmap) {
        if (!rq->expired->bitmap)
            return NULL; /* t is NULL here: with no others it was taken above */
        rq->active = rq->expired;
        rq->expired = a;
        a = rq->active;
    }
    t = wf_fifo_pop(a, 31 - __builtin_clz(a->bitmap));
    if (!t->rq_lifo)
        rq->lifo_run = 0;
    t->rq_lifo = 0;
out:
    atomic_store_explicit(&rq->nr, atomic_load_explicit(&rq->nr, memory_order_relaxed) - 1,
                          memory_order_relaxed);
    return t;
}

/* Move up to max threads, the ones rq would run last, onto the list
 * *out (linked by rq_next, in_expired kept). Returns how many. */
unsigned wf_rq_take_tail(struct wf_rq *rq, unsigned max, struct wf_thread **out);

#endif
