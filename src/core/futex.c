/* futex.c - address-keyed waits for weft threads (futex.h).
 *
 * A fixed table of buckets, each a waitqueue; a waiter records its
 * address as its wait channel, so a wake walks its bucket and picks the
 * waiters with that channel. The value check and the enqueue happen under
 * the bucket lock, and a waker takes that lock after changing the word:
 * a wake cannot fall between a waiter's check and its park. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "core/futex.h"
#include "core/intr.h"
#include "core/runtime.h"
#include "core/sched.h"
#include "core/waitq.h"

#define NBUCKETS 512 /* power of two */

static struct wf_waitq buckets[NBUCKETS];
static const char futex_kind[] = "futex";

static struct wf_waitq *bucket(const uint32_t *addr)
{
    uintptr_t a = (uintptr_t)addr;
    a ^= a >> 9 ^ a >> 18;
    return &buckets[(a >> 2) & (NBUCKETS - 1)];
}

int wf_futex_wait(const uint32_t *addr, uint32_t val, uint64_t deadline, int flags)
{
    struct wf_waitq *wq = bucket(addr);
    wf_spin_lock(&wq->lock);
    if (atomic_load_explicit((_Atomic uint32_t *)addr, memory_order_relaxed) != val) {
        wf_spin_unlock(&wq->lock);
        return EAGAIN;
    }
    int r = wf_waitq_wait(wq, futex_kind, addr, deadline, flags);
    if (r == WF_WAKE_INTERRUPTED) {
        wf_safe_point(flags); /* a cancel ends the thread here */
        return 0;
    }
    return r == WF_WAKE_TIMEDOUT ? ETIMEDOUT : 0;
}

int wf_futex_wake(const uint32_t *addr, int n)
{
    struct wf_waitq *wq = bucket(addr);
    int woken = 0;
    wf_spin_lock(&wq->lock);
    for (struct wf_thread *t = wq->head, *next; t && woken < n; t = next) {
        next = t->wq_next;
        if (t->wchan != addr)
            continue;
        wf_waitq_remove(wq, t);
        wf_unpark(t, WF_WAKE_SIGNALED);
        woken++;
    }
    wf_spin_unlock(&wq->lock);
    return woken;
}

int wf_futex_requeue(const uint32_t *addr, int n_wake, const uint32_t *addr2, int n_requeue)
{
    struct wf_waitq *from = bucket(addr), *to = bucket(addr2);
    int done = 0;
    /* Both bucket locks, the lower address first (lockorder.h). */
    struct wf_waitq *first = from < to ? from : to, *second = from < to ? to : from;
    wf_spin_lock(&first->lock);
    if (second != first)
        wf_spin_lock(&second->lock);
    for (struct wf_thread *t = from->head, *next; t && (n_wake > 0 || n_requeue > 0); t = next) {
        next = t->wq_next;
        if (t->wchan != addr)
            continue;
        wf_waitq_remove(from, t);
        if (n_wake > 0) {
            wf_unpark(t, WF_WAKE_SIGNALED);
            n_wake--;
        } else {
            /* Same move as wf_waitq_requeue, one thread: its wait lock
             * changes while we hold both. */
            t->wq_next = NULL;
            t->wq_prev = to->tail;
            if (to->tail)
                to->tail->wq_next = t;
            else
                to->head = t;
            to->tail = t;
            t->wq = to;
            t->wchan = addr2;
            atomic_store_explicit(&t->wait_lock, &to->lock, memory_order_release);
            n_requeue--;
        }
        done++;
    }
    if (second != first)
        wf_spin_unlock(&second->lock);
    wf_spin_unlock(&first->lock);
    return done;
}

/* fork's child (core/fork.c): every waiter was another thread, which does
 * not exist there; a bucket lock held at fork is let go with them. */
void wf_futex_fork_child(void)
{
    memset(buckets, 0, sizeof buckets);
}
