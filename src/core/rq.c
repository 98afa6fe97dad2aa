/* rq.c - the out-of-line part of the run queue: handing threads to a
 * thief. */
#include "core/rq.h"

/* Precondition: rq->lock held. Takes from the expired array first, then
 * the active one, lowest priority first: the threads rq would run last;
 * the next slot only when nothing else is queued (a starving vCPU's lone
 * thread). */
unsigned wf_rq_take_tail(struct wf_rq *rq, unsigned max, struct wf_thread **out)
{
    struct wf_prio_array *order[2] = {rq->expired, rq->active};
    unsigned got = 0;
    struct wf_thread *head = NULL, **tail = &head;
    for (int a = 0; a < 2 && got < max; a++) {
        struct wf_prio_array *arr = order[a];
        while (arr->bitmap && got < max) {
            struct wf_thread *t = wf_fifo_pop(arr, __builtin_ctz(arr->bitmap));
            t->in_expired = (uint8_t)(arr == rq->expired);
            t->rq_next = NULL;
            *tail = t;
            tail = &t->rq_next;
            got++;
        }
    }
    if (got == 0 && max > 0 && rq->next) {
        struct wf_thread *t = wf_rq_take_next(rq);
        t->in_expired = 0;
        t->rq_next = NULL;
        head = t;
        got = 1;
    }
    atomic_store_explicit(&rq->nr, atomic_load_explicit(&rq->nr, memory_order_relaxed) - got,
                          memory_order_relaxed);
    *out = head;
    return got;
}
