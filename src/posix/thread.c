/* thread.c - pthread_create, join, detach, exit, self, and the calls that
 * name a thread: a pthread_t is a weft_t (a slot and a generation), so a
 * stale or made-up handle answers ESRCH instead of crashing.
 *
 * pthread_create with no attribute, from a thread that has not changed
 * its scheduling, is weft_create and nothing else. Anything the new
 * thread must start with (an explicit or inherited policy, an affinity)
 * goes through a small start block, freed by the new thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/runtime.h"
#include "core/tls.h"
#include "posix/attr.h"
#include "posix/posix.h"
#include "weft/signal.h"
#include "sync/deadline.h"
#include "weft/thread.h"

/* What a new thread takes over before running the user's function. */
struct start {
    void *(*fn)(void *);
    void *arg;
    int policy, sched_priority, base_prio;
    size_t cpusetsize;
    cpu_set_t *cpuset; /* owned; moves into the record */
    int set_fenv;      /* the creator's floating-point control, below */
    uint32_t mxcsr;
    uint16_t fpu_cw;
};

/* ---- the floating-point environment ------------------------------------
 * POSIX: a new thread inherits its creator's. A weft thread starts with
 * the default MXCSR and x87 control word (src/arch); when the creator's
 * differ (a rounding mode, masked exceptions, flush-to-zero), the start
 * block carries them over. */
#define WP_MXCSR_DEFAULT 0x1f80u
#define WP_FPU_CW_DEFAULT 0x037fu

#define WP_MXCSR_FLAGS 0x3fu /* exception status, sticky: not carried over */

static int fenv_is_default(uint32_t *mxcsr, uint16_t *cw)
{
    __asm__ volatile("stmxcsr %0" : "=m"(*mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(*cw));
    *mxcsr &= ~WP_MXCSR_FLAGS;
    return *mxcsr == WP_MXCSR_DEFAULT && *cw == WP_FPU_CW_DEFAULT;
}

static void *start_trampoline(void *p)
{
    struct start s = *(struct start *)p;
    free(p);
    if (s.set_fenv) {
        __asm__ volatile("ldmxcsr %0" : : "m"(s.mxcsr));
        __asm__ volatile("fldcw %0" : : "m"(s.fpu_cw));
    }
    struct wp_thread *r = wp_self();
    if (r) {
        wf_spin_lock(&r->lock);
        r->policy = s.policy;
        r->sched_priority = s.sched_priority;
        r->base_prio = s.base_prio;
        free(r->affinity);
        r->affinity = s.cpuset;
        r->affinity_size = s.cpusetsize;
        wf_spin_unlock(&r->lock);
    } else {
        free(s.cpuset);
    }
    return s.fn(s.arg);
}

/* Scheduling the creator passes on under PTHREAD_INHERIT_SCHED: NULL when
 * it is the default (no record, or SCHED_OTHER at the default priority). */
static struct wp_thread *inherited(struct wf_thread *self)
{
    struct wp_thread *r = wp_record_peek(self);
    if (r && (r->policy != SCHED_OTHER || (r->base_prio >= 0 && r->base_prio != WEFT_PRIO_DEFAULT)))
        return r;
    return NULL;
}

static int create_with(pthread_t *out, const struct wp_attr *a, void *(*fn)(void *), void *arg)
{
    struct wf_thread *self = wf_self();
    weft_attr_t wa;
    weft_attr_init(&wa);
    int rc = 0;
    if ((a->flags & WP_A_EXPLICIT) && wp_sched_check(a->policy, a->sched_priority))
        return EINVAL; /* e.g. SCHED_FIFO left at priority 0 */
    if (a->flags & WP_A_STACK) {
        /* weft wants a 16-byte aligned base: trim the ends inwards */
        uintptr_t lo = (uintptr_t)a->stackaddr, size = a->stacksize;
        if (a->flags & WP_A_STACKADDR_TOP)
            lo -= size;
        uintptr_t hi = (lo + size) & ~(uintptr_t)15;
        lo = (lo + 15) & ~(uintptr_t)15;
        rc = weft_attr_setstack(&wa, (void *)lo, hi - lo);
    } else if (a->stacksize != WEFT_STACK_DEFAULT) {
        rc = weft_attr_setstacksize(&wa, a->stacksize);
    }
    if (rc)
        return rc;
    weft_attr_setdetached(&wa, (a->flags & WP_A_DETACHED) != 0);

    struct start *s = NULL;
    struct wp_thread *from = (a->flags & WP_A_EXPLICIT) ? NULL : inherited(self);
    int explicit_sched = (a->flags & WP_A_EXPLICIT) && (a->policy != SCHED_OTHER || a->sched_priority);
    int has_cpuset = a->ext && a->ext->cpuset;
    uint32_t mxcsr;
    uint16_t fpu_cw;
    int set_fenv = !fenv_is_default(&mxcsr, &fpu_cw);
    if (explicit_sched || from || has_cpuset || set_fenv) {
        if (!(s = calloc(1, sizeof *s)))
            return EAGAIN;
        s->fn = fn;
        s->arg = arg;
        s->policy = SCHED_OTHER;
        s->base_prio = -1;
        s->set_fenv = set_fenv;
        s->mxcsr = mxcsr;
        s->fpu_cw = fpu_cw;
        if (explicit_sched) {
            s->policy = a->policy;
            s->sched_priority = a->sched_priority;
            s->base_prio = wp_prio_to_weft(a->policy, a->sched_priority);
        } else if (from) {
            wf_spin_lock(&from->lock);
            s->policy = from->policy;
            s->sched_priority = from->sched_priority;
            s->base_prio = from->base_prio;
            wf_spin_unlock(&from->lock);
        }
        if (s->base_prio >= 0)
            weft_attr_setpriority(&wa, s->base_prio);
        if (has_cpuset) {
            if (!(s->cpuset = malloc(a->ext->cpusetsize))) {
                free(s);
                return EAGAIN;
            }
            memcpy(s->cpuset, a->ext->cpuset, a->ext->cpusetsize);
            s->cpusetsize = a->ext->cpusetsize;
        }
        fn = start_trampoline;
        arg = s;
    }
    weft_t t;
    /* pthread_attr_setsigmask_np: a new thread starts with its creator's
     * mask (core/signal.c), so the creator wears the attribute's mask for
     * the moment of the creation. */
    int has_sigmask = a->ext && a->ext->has_sigmask;
    sigset_t creator_mask;
    if (has_sigmask)
        weft_sigmask(SIG_SETMASK, &a->ext->sigmask, &creator_mask);
    rc = weft_create(&t, &wa, fn, arg);
    if (has_sigmask)
        weft_sigmask(SIG_SETMASK, &creator_mask, NULL);
    if (rc) {
        if (s) {
            free(s->cpuset);
            free(s);
        }
        return rc == EINVAL ? EINVAL : EAGAIN;
    }
    *out = (pthread_t)t;
    return 0;
}

/* Threads of the drop-in library get TLS of their own unless WEFT_TLS says
 * otherwise (core/tls.h): without it, __thread variables and errno would
 * be shared by every thread that runs on the same vCPU. */
const char wf_tls_builtin_own = 1;

WP_EXPORT int pthread_create(pthread_t *out, const pthread_attr_t *attr, void *(*fn)(void *),
                             void *arg)
{
    if (!out || !fn)
        return EINVAL;
    if (!attr) {
        const struct wp_attr *d = wp_attr_defaults();
        uint32_t mxcsr;
        uint16_t fpu_cw;
        if (__builtin_expect(!d, 1) && !inherited(wf_self()) && fenv_is_default(&mxcsr, &fpu_cw)) {
            weft_t t;
            int rc = weft_create(&t, NULL, fn, arg);
            if (rc)
                return EAGAIN;
            *out = (pthread_t)t;
            return 0;
        }
        pthread_attr_t tmp;
        if (d) {
            pthread_getattr_default_np(&tmp);
        } else {
            pthread_attr_init(&tmp);
        }
        int rc = create_with(out, wp_attr(&tmp), fn, arg);
        pthread_attr_destroy(&tmp);
        return rc;
    }
    if (!wp_attr_ok(attr))
        return EINVAL;
    return create_with(out, wp_attr(attr), fn, arg);
}

WP_EXPORT int pthread_join(pthread_t t, void **result)
{
    return weft_join((weft_t)t, result);
}

WP_EXPORT int pthread_tryjoin_np(pthread_t t, void **result)
{
    return wf_join((weft_t)t, result, WF_JOIN_TRY);
}

WP_EXPORT int pthread_clockjoin_np(pthread_t t, void **result, clockid_t clock,
                                   const struct timespec *abstime)
{
    uint64_t deadline;
    if (!wf_clock_valid(clock))
        return EINVAL;
    int rc = wf_deadline(clock, abstime, &deadline);
    if (rc == EINVAL)
        return EINVAL;
    if (rc == ETIMEDOUT) {
        /* the time has passed: a thread that already ended is still joined */
        rc = wf_join((weft_t)t, result, WF_JOIN_TRY);
        return rc == EBUSY ? ETIMEDOUT : rc;
    }
    return wf_join((weft_t)t, result, deadline);
}

WP_EXPORT int pthread_timedjoin_np(pthread_t t, void **result, const struct timespec *abstime)
{
    return pthread_clockjoin_np(t, result, CLOCK_REALTIME, abstime);
}

WP_EXPORT int pthread_detach(pthread_t t)
{
    return weft_detach((weft_t)t);
}

/* The end of a thread, as glibc: cleanup buffers and destructors on the
 * way out (cancel.c), then key destructors, then the join. */
_Noreturn void wp_exit(struct wp_thread *r, void *result);

WP_EXPORT _Noreturn void pthread_exit(void *result)
{
    struct wp_thread *r = wp_self();
    if (!r)
        weft_exit(result);
    wp_exit(r, result);
}

WP_EXPORT pthread_t pthread_self(void)
{
    return (pthread_t)weft_self();
}

WP_EXPORT int pthread_equal(pthread_t a, pthread_t b)
{
    return a == b;
}

/* <pthread.h> redirects pthread_yield to sched_yield; older binaries
 * still import it by its own name. */
WP_EXPORT int wp_pthread_yield(void) __asm__("pthread_yield");
int wp_pthread_yield(void)
{
    return weft_yield();
}

/* ---- names ---- */
WP_EXPORT int pthread_setname_np(pthread_t t, const char *name)
{
    return weft_setname((weft_t)t, name);
}

WP_EXPORT int pthread_getname_np(pthread_t t, char *buf, size_t len)
{
    return weft_getname((weft_t)t, buf, len);
}

/* ---- concurrency: a hint, kept and returned ---- */
static int concurrency;

/* weft's vCPU count is fixed when the runtime starts (WEFT_VCPUS); the
 * level is kept and returned, as POSIX allows for a hint. */
WP_EXPORT int pthread_setconcurrency(int level)
{
    if (level < 0)
        return EINVAL;
    __atomic_store_n(&concurrency, level, __ATOMIC_RELAXED);
    return 0;
}

WP_EXPORT int pthread_getconcurrency(void)
{
    return __atomic_load_n(&concurrency, __ATOMIC_RELAXED);
}

/* ---- pthread_getattr_np ---- */
WP_EXPORT int pthread_getattr_np(pthread_t h, pthread_attr_t *attr)
{
    if (!attr)
        return EINVAL;
    struct wf_thread *t = wf_thread_lock_handle((weft_t)h);
    if (!t)
        return ESRCH;
    void *lo = t->stack.lo;
    size_t size = t->stack.size;
    int detached = t->detached;
    int user = t->stack.kind == WF_STACK_USER;
    int guarded = t->stack.guarded;
    wf_spin_unlock(&t->join_lock);
    pthread_attr_init(attr);
    struct wp_attr *a = wp_attr(attr);
    a->stackaddr = lo;
    a->stacksize = size;
    a->flags |= WP_A_STACK | (detached ? WP_A_DETACHED : 0);
    a->guardsize = user || !guarded ? 0 : a->guardsize;
    a->flags |= WP_A_EXPLICIT; /* what it runs with, stated */
    int policy;
    struct sched_param p;
    if (pthread_getschedparam(h, &policy, &p) == 0) {
        a->policy = policy == SCHED_FIFO || policy == SCHED_RR ? policy : SCHED_OTHER;
        a->sched_priority = a->policy == SCHED_OTHER ? 0 : p.sched_priority;
    }
    cpu_set_t *set = malloc(sizeof *set);
    if (set && pthread_getaffinity_np(h, sizeof *set, set) == 0)
        pthread_attr_setaffinity_np(attr, sizeof *set, set);
    free(set);
    return 0;
}
