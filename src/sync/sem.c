/* sem.c - counting semaphore on a waitqueue. A post with waiters hands its
 * unit straight to the first of them (no barging, FIFO), so a woken waiter
 * never has to retry. A waiter that times out or is interrupted was not
 * handed a unit (the post and the timeout decide under wq.lock who wins),
 * so it has nothing to give back.
 *
 * Under libweft-pthread, POSIX's rule for SCHED_FIFO / SCHED_RR waiters
 * applies too: a post wakes the real-time waiter of highest priority (the
 * longest waiting among equals) before any other. A real-time waiter
 * (wf_rw_rt_prio, sync/rwlock.h) parks under a kind string whose address
 * gives its priority (rt_kind[prio], all reading "sem"), and sets SEM_RTQ
 * in the value word, so that only then does a post scan the queue; the
 * flag is cleared when a post finds the queue empty. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "core/intr.h"
#include "core/runtime.h"
#include "core/sched.h"
#include "core/waitq.h"
#include "sync/deadline.h"
#include "weft/sync.h"
#include "sync/hidden.h"
#include "sync/rwlock.h"
#include "weft/thread.h"

struct sem {
    struct wf_waitq wq;   /* wq.lock guards value too */
    uint32_t value;       /* the count; SEM_RTQ: real-time waiters may be
                             queued */
};

#define SEM_RTQ (1u << 31) /* above WEFT_SEM_VALUE_MAX */
_Static_assert(WEFT_SEM_VALUE_MAX < SEM_RTQ, "SEM_RTQ is free");

static const char sem_kind[] = "sem";
#define SK8 "sem", "sem", "sem", "sem", "sem", "sem", "sem", "sem"
static const char rt_kind[WEFT_PRIO_MAX + 1][4] = {SK8, SK8, SK8, SK8};

/* A waiter's real-time priority from its kind, or -1. */
static inline int kind_prio(const struct wf_thread *t)
{
    uintptr_t a = (uintptr_t)atomic_load_explicit(&t->wchan_kind, memory_order_relaxed);
    uintptr_t b = (uintptr_t)rt_kind;
    return a >= b && a < b + sizeof rt_kind ? (int)((a - b) / 4) : -1;
}

static inline uint32_t count(const struct sem *s)
{
    return s->value & ~SEM_RTQ;
}

_Static_assert(sizeof(struct sem) <= sizeof(weft_sem_t), "weft_sem_t too small");
_Static_assert(_Alignof(struct sem) <= _Alignof(weft_sem_t), "weft_sem_t misaligned");
_Static_assert(sizeof(weft_sem_t) <= 32, "bigger than glibc's sem_t");
/* The pthread layer tags a process-shared sem_t in bytes 28..31: the
 * private layout must leave them alone (weft_sem_init zeroes them). */
_Static_assert(offsetof(struct sem, value) + sizeof(uint32_t) <= 28, "sem_t bytes 28..31 stay free");

static inline struct sem *S(weft_sem_t *s)
{
    return (struct sem *)s;
}

int weft_sem_init(weft_sem_t *sem, unsigned value)
{
    if (!sem || value > WEFT_SEM_VALUE_MAX)
        return EINVAL;
    *sem = (weft_sem_t){{0}};
    S(sem)->value = value;
    return 0;
}

int weft_sem_destroy(weft_sem_t *sem)
{
    if (!sem)
        return EINVAL;
    struct sem *s = S(sem);
    wf_spin_lock(&s->wq.lock);
    int busy = !wf_waitq_empty(&s->wq);
    wf_spin_unlock(&s->wq.lock);
    return busy ? EBUSY : 0;
}

/* timed: clock and ts apply (the clock already checked). */
static int sem_wait(weft_sem_t *sem, int timed, clockid_t clock, const struct timespec *ts)
{
    struct sem *s = S(sem);
    uint64_t deadline = 0;
    int rtprio = -2; /* not asked yet */
    wf_runtime_start_fast();
    for (;;) {
        wf_spin_lock(&s->wq.lock);
        if (count(s) > 0) {
            s->value--;
            wf_spin_unlock(&s->wq.lock);
            return 0;
        }
        if (timed && !deadline) { /* only once it has to wait (POSIX) */
            int rc = wf_deadline(clock, ts, &deadline);
            if (rc) {
                wf_spin_unlock(&s->wq.lock);
                return rc;
            }
        }
        if (rtprio == -2) {
            wf_spin_unlock(&s->wq.lock); /* the hook takes other locks */
            rtprio = wf_rw_rt_prio ? wf_rw_rt_prio() : -1;
            if (rtprio > WEFT_PRIO_MAX)
                rtprio = WEFT_PRIO_MAX;
            continue;
        }
        const char *kind = sem_kind;
        if (rtprio >= 0) {
            kind = rt_kind[rtprio];
            s->value |= SEM_RTQ;
        }
        int r = wf_waitq_wait(&s->wq, kind, sem, deadline, WF_WAIT_CANCEL);
        if (r == WF_WAKE_SIGNALED)
            return 0; /* a post handed us its unit */
        if (r == WF_WAKE_TIMEDOUT)
            return ETIMEDOUT;
        /* Interrupted: wait again, unless a signal handler ran (POSIX:
         * sem_wait fails with EINTR then, SA_RESTART or not). */
        if (wf_safe_point(WF_WAIT_CANCEL))
            return EINTR;
    }
}

int weft_sem_wait(weft_sem_t *sem)
{
    if (!sem)
        return EINVAL;
    return sem_wait(sem, 0, CLOCK_REALTIME, NULL);
}

int weft_sem_clockwait(weft_sem_t *sem, clockid_t clock, const struct timespec *ts)
{
    if (!sem || !wf_clock_valid(clock))
        return EINVAL;
    return sem_wait(sem, 1, clock, ts);
}

int weft_sem_timedwait(weft_sem_t *sem, const struct timespec *ts)
{
    return weft_sem_clockwait(sem, CLOCK_REALTIME, ts);
}

int weft_sem_trywait(weft_sem_t *sem)
{
    if (!sem)
        return EINVAL;
    struct sem *s = S(sem);
    wf_spin_lock(&s->wq.lock);
    int rc = count(s) > 0 ? (s->value--, 0) : EAGAIN;
    wf_spin_unlock(&s->wq.lock);
    return rc;
}

int weft_sem_post(weft_sem_t *sem)
{
    if (!sem)
        return EINVAL;
    struct sem *s = S(sem);
    wf_runtime_start_fast();
    int rc = 0;
    wf_spin_lock(&s->wq.lock);
    if (__builtin_expect(s->value & SEM_RTQ, 0) && s->wq.head) {
        /* the real-time waiter of highest priority, else the first */
        struct wf_thread *best = s->wq.head;
        int bestprio = kind_prio(best);
        for (struct wf_thread *t = best->wq_next; t; t = t->wq_next) {
            int p = kind_prio(t);
            if (p > bestprio) {
                best = t;
                bestprio = p;
            }
        }
        wf_waitq_remove(&s->wq, best);
        wf_unpark(best, WF_WAKE_SIGNALED);
    } else if (!wf_waitq_wake_one(&s->wq)) {
        s->value &= ~SEM_RTQ; /* nobody waits */
        if (s->value >= WEFT_SEM_VALUE_MAX)
            rc = EOVERFLOW;
        else
            s->value++;
    }
    wf_spin_unlock(&s->wq.lock);
    return rc;
}

int weft_sem_getvalue(weft_sem_t *sem, int *value)
{
    if (!sem || !value)
        return EINVAL;
    struct sem *s = S(sem);
    wf_spin_lock(&s->wq.lock);
    *value = (int)count(s);
    wf_spin_unlock(&s->wq.lock);
    return 0;
}

/* Direct entry points for the pthread layer (hidden.h). */
WF_DEFINE_HIDDEN_ALIAS(sem_init);
WF_DEFINE_HIDDEN_ALIAS(sem_destroy);
WF_DEFINE_HIDDEN_ALIAS(sem_wait);
WF_DEFINE_HIDDEN_ALIAS(sem_timedwait);
WF_DEFINE_HIDDEN_ALIAS(sem_clockwait);
WF_DEFINE_HIDDEN_ALIAS(sem_trywait);
WF_DEFINE_HIDDEN_ALIAS(sem_post);
WF_DEFINE_HIDDEN_ALIAS(sem_getvalue);
