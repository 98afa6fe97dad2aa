/* timer.c - binary min-heaps of timers, one per vCPU (see timer.h). */
#include <errno.h>
#include <stdlib.h>

#include "core/timer.h"

static void set_next(struct wf_timer_heap *h)
{
    atomic_store_explicit(&h->next, h->n ? h->a[0]->deadline : UINT64_MAX,
                          memory_order_relaxed);
}

static void place(struct wf_timer_heap *h, uint32_t i, struct wf_timer *t)
{
    h->a[i] = t;
    t->idx = i;
}

static void sift_up(struct wf_timer_heap *h, uint32_t i)
{
    struct wf_timer *t = h->a[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (h->a[p]->deadline <= t->deadline)
            break;
        place(h, i, h->a[p]);
        i = p;
    }
    place(h, i, t);
}

static void sift_down(struct wf_timer_heap *h, uint32_t i)
{
    struct wf_timer *t = h->a[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->a[c + 1]->deadline < h->a[c]->deadline)
            c++;
        if (t->deadline <= h->a[c]->deadline)
            break;
        place(h, i, h->a[c]);
        i = c;
    }
    place(h, i, t);
}

/* Precondition: h->lock held, t in h. */
static void heap_remove(struct wf_timer_heap *h, struct wf_timer *t)
{
    uint32_t i = t->idx;
    struct wf_timer *last = h->a[--h->n];
    if (last != t) {
        place(h, i, last);
        if (i > 0 && h->a[(i - 1) / 2]->deadline > last->deadline)
            sift_up(h, i);
        else
            sift_down(h, i);
    }
}

int wf_timer_arm(struct wf_timer_heap *h, struct wf_timer *t, uint64_t deadline)
{
    wf_spin_lock(&h->lock);
    if (h->n == h->cap) {
        uint32_t cap = h->cap ? h->cap * 2 : 64;
        struct wf_timer **a = realloc(h->a, cap * sizeof *a);
        if (!a) {
            wf_spin_unlock(&h->lock);
            return -ENOMEM;
        }
        h->a = a;
        h->cap = cap;
    }
    t->deadline = deadline;
    t->heap = h;
    atomic_store_explicit(&t->state, WF_TIMER_ARMED, memory_order_relaxed);
    h->n++;
    place(h, h->n - 1, t);
    sift_up(h, h->n - 1);
    set_next(h);
    wf_spin_unlock(&h->lock);
    return 0;
}

void wf_timer_disarm(struct wf_timer *t)
{
    struct wf_timer_heap *h = t->heap;
    if (!h)
        return;
    wf_spin_lock(&h->lock);
    if (atomic_load_explicit(&t->state, memory_order_relaxed) == WF_TIMER_ARMED) {
        heap_remove(h, t);
        set_next(h);
        atomic_store_explicit(&t->state, WF_TIMER_IDLE, memory_order_relaxed);
    }
    wf_spin_unlock(&h->lock);
    /* A firer popped it and may still be inside fire(): wait it out. */
    while (atomic_load_explicit(&t->state, memory_order_acquire) == WF_TIMER_FIRING)
        wf_cpu_relax();
    t->heap = NULL;
}

int wf_timer_run_due(struct wf_timer_heap *h, uint64_t now)
{
    int n = 0;
    for (;;) {
        wf_spin_lock(&h->lock);
        if (h->n == 0 || h->a[0]->deadline > now) {
            set_next(h);
            wf_spin_unlock(&h->lock);
            return n;
        }
        struct wf_timer *t = h->a[0];
        heap_remove(h, t);
        set_next(h);
        atomic_store_explicit(&t->state, WF_TIMER_FIRING, memory_order_relaxed);
        wf_spin_unlock(&h->lock);
        t->fire(t);
        atomic_store_explicit(&t->state, WF_TIMER_IDLE, memory_order_release);
        n++;
    }
}
