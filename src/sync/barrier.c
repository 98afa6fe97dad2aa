/* barrier.c - barrier: arrivals counted under the waitqueue's lock; the
 * last arrival of a generation wakes the others and is the serial thread.
 *
 * Generations without a generation field: the object has room (glibc's 32
 * bytes) for the queue, the count and one more word, so that word counts
 * arrivals across generations, modulo a multiple of count (wrap). An
 * arrival's generation starts at ticket - ticket % count and has tripped
 * once the counter has moved count or more past that start. Only a
 * waiter that was interrupted (suspended) needs to ask: it is off the
 * queue when the trip wakes the others, stays counted as arrived, and on
 * coming back either waits again for the same trip or leaves because it
 * has happened. The answer is right unless wrap / count whole generations
 * pass while it is away: 2 at the least (count <= WEFT_BARRIER_MAX).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "core/intr.h"
#include "core/runtime.h"
#include "core/sched.h"
#include "core/waitq.h"
#include "weft/sync.h"
#include "sync/hidden.h"

struct wf_barrier {
    struct wf_waitq wq;    /* wq.lock guards ticket */
    uint32_t count;        /* threads per generation; fixed at init, 0: none */
    uint32_t ticket;       /* arrivals, modulo wrap(count) */
};

_Static_assert(sizeof(struct wf_barrier) <= sizeof(weft_barrier_t), "weft_barrier_t too small");
_Static_assert(_Alignof(struct wf_barrier) <= _Alignof(weft_barrier_t), "weft_barrier_t misaligned");
_Static_assert(sizeof(weft_barrier_t) <= 32, "bigger than glibc's pthread_barrier_t");
/* The pthread layer marks a process-shared barrier with bit 31 of the
 * count word (never set here: count <= WEFT_BARRIER_MAX) at offset 24. */
_Static_assert(offsetof(struct wf_barrier, count) == 24, "count word at offset 24");

static inline struct wf_barrier *B(weft_barrier_t *b)
{
    return (struct wf_barrier *)b;
}

/* The counter runs in [0, wrap): a whole number of generations. */
static inline uint32_t wrap(uint32_t count)
{
    return UINT32_MAX / count * count;
}

/* Precondition: wq.lock held. Has the generation starting at start
 * tripped? */
static int tripped(const struct wf_barrier *b, uint32_t start)
{
    uint32_t w = wrap(b->count);
    uint32_t moved = b->ticket >= start ? b->ticket - start : b->ticket + (w - start);
    return moved >= b->count;
}

int weft_barrier_init(weft_barrier_t *bar, unsigned count)
{
    if (!bar || count == 0 || count > WEFT_BARRIER_MAX)
        return EINVAL;
    *bar = (weft_barrier_t){{0}};
    B(bar)->count = count;
    return 0;
}

int weft_barrier_destroy(weft_barrier_t *bar)
{
    if (!bar)
        return EINVAL;
    struct wf_barrier *b = B(bar);
    wf_spin_lock(&b->wq.lock);
    /* Arrived but not released (a suspended waiter is off the queue). */
    int busy = b->count && b->ticket % b->count != 0;
    wf_spin_unlock(&b->wq.lock);
    return busy ? EBUSY : 0;
}

int weft_barrier_wait(weft_barrier_t *bar)
{
    if (!bar || !B(bar)->count)
        return EINVAL;
    struct wf_barrier *b = B(bar);
    wf_runtime_start_fast();
    wf_spin_lock(&b->wq.lock);
    uint32_t mine = b->ticket;
    uint32_t start = mine - mine % b->count;
    b->ticket = mine + 1 == wrap(b->count) ? 0 : mine + 1;
    if (mine - start == b->count - 1) {
        /* The last one: release this generation. */
        while (wf_waitq_wake_one(&b->wq))
            ;
        wf_spin_unlock(&b->wq.lock);
        return WEFT_BARRIER_SERIAL_THREAD;
    }
    for (;;) {
        /* Not a cancellation point (POSIX); a suspend interrupts it. */
        int r = wf_waitq_wait(&b->wq, "barrier", b, 0, 0);
        if (r == WF_WAKE_SIGNALED)
            return 0;
        wf_safe_point(0);
        wf_spin_lock(&b->wq.lock);
        if (tripped(b, start)) {
            wf_spin_unlock(&b->wq.lock);
            return 0;
        }
    }
}

/* Direct entry points for the pthread layer (hidden.h). */
WF_DEFINE_HIDDEN_ALIAS(barrier_init);
WF_DEFINE_HIDDEN_ALIAS(barrier_destroy);
WF_DEFINE_HIDDEN_ALIAS(barrier_wait);
