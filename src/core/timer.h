/* timer.h - per-vCPU timer heaps: sleeps and timed waits.
 *
 * A timer is armed only on the heap of the vCPU its thread runs on, by that
 * thread; any vCPU (or the timer daemon) may fire or disarm it. Firing pops
 * the timer under the heap lock, marks it FIRING, drops the lock, then runs
 * fire(); disarm waits out a FIRING timer, so once disarm returns nothing
 * touches the timer or what it points to (del_timer_sync). */
#ifndef WF_TIMER_H
#define WF_TIMER_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/spinlock.h"

enum { WF_TIMER_IDLE, WF_TIMER_ARMED, WF_TIMER_FIRING };

struct wf_timer_heap;

struct wf_timer {
    uint64_t deadline;              /* CLOCK_MONOTONIC ns; under heap lock */
    uint32_t idx;                   /* position in heap; under heap lock */
    atomic_int state;               /* IDLE/ARMED/FIRING; written under heap lock,
                                       FIRING->IDLE by the firer */
    struct wf_timer_heap *heap;     /* heap it is armed on */
    void (*fire)(struct wf_timer *); /* called with no lock held */
};

struct wf_timer_heap {
    wf_spinlock_t lock;             /* guards a, n, cap and each timer's idx */
    struct wf_timer **a;
    uint32_t n, cap;
    _Atomic uint64_t next;          /* earliest deadline, UINT64_MAX if none;
                                       read without the lock by idle vCPUs */
};

/* 0, or -ENOMEM if the heap could not grow. */
int wf_timer_arm(struct wf_timer_heap *h, struct wf_timer *t, uint64_t deadline);
void wf_timer_disarm(struct wf_timer *t);
/* Fire every timer due at now; returns how many fired. */
int wf_timer_run_due(struct wf_timer_heap *h, uint64_t now);
/* Nonzero while any timer is armed (racy read). */
static inline int wf_timer_pending(struct wf_timer_heap *h)
{
    return atomic_load_explicit(&h->next, memory_order_relaxed) != UINT64_MAX;
}

#endif
