/* sched.c - priorities: pthreads' policy and number onto weft's 32
 * levels (posix.h), and the scheduling calls. */
#include <errno.h>

#include "posix/posix.h"
#include "weft/thread.h"

int wp_sched_check(int policy, int prio)
{
    switch (policy) {
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
        return prio == 0 ? 0 : EINVAL;
    case SCHED_FIFO:
    case SCHED_RR:
        return prio >= 1 && prio <= 99 ? 0 : EINVAL;
    default:
        return EINVAL;
    }
}

int wp_prio_to_weft(int policy, int prio)
{
    switch (policy) {
    case SCHED_FIFO:
    case SCHED_RR:
        /* 1..99 onto 17..31 */
        return WEFT_PRIO_DEFAULT + 1 + (prio - 1) * (WEFT_PRIO_MAX - WEFT_PRIO_DEFAULT - 1) / 98;
    case SCHED_IDLE:
        return WEFT_PRIO_MIN + 1;
    default:
        return WEFT_PRIO_DEFAULT;
    }
}

/* ---- per-thread scheduling -------------------------------------------- */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/runtime.h"

/* The record of the thread named by h, made if needed; ESRCH for a gone
 * thread. The record stays valid (records are kept per slot); a thread
 * that ends meanwhile just leaves a value its successor will not use. */
static int record_of(pthread_t h, struct wp_thread **out, struct wf_thread **tout)
{
    struct wf_thread *t = wf_thread_lock_handle((weft_t)h);
    if (!t)
        return ESRCH;
    wf_spin_unlock(&t->join_lock);
    struct wp_thread *r = wp_record(t);
    if (!r)
        return ENOMEM;
    *out = r;
    if (tout)
        *tout = t;
    return 0;
}

static int set_sched(pthread_t h, int policy, int prio, int keep_policy)
{
    struct wp_thread *r;
    struct wf_thread *t;
    int rc = record_of(h, &r, &t);
    if (rc)
        return rc;
    wf_spin_lock(&r->lock);
    if (keep_policy)
        policy = r->policy;
    if ((rc = wp_sched_check(policy, prio))) {
        wf_spin_unlock(&r->lock);
        return rc;
    }
    r->policy = policy;
    r->sched_priority = prio;
    int wprio = wp_prio_to_weft(policy, prio);
    r->base_prio = wprio;
    /* A thread boosted by a priority-inheritance or ceiling mutex keeps
     * the higher of the two until it lets go (mutex.c recomputes then). */
    int held = r->held != NULL;
    wf_spin_unlock(&r->lock);
    int cur = WEFT_PRIO_DEFAULT;
    weft_getpriority((weft_t)h, &cur);
    if (!held || wprio > cur)
        rc = weft_setpriority((weft_t)h, wprio);
    return rc;
}

WP_EXPORT int pthread_setschedparam(pthread_t h, int policy, const struct sched_param *p)
{
    if (!p)
        return EINVAL;
    return set_sched(h, policy, p->sched_priority, 0);
}

WP_EXPORT int pthread_setschedprio(pthread_t h, int prio)
{
    return set_sched(h, 0, prio, 1);
}

WP_EXPORT int pthread_getschedparam(pthread_t h, int *policy, struct sched_param *p)
{
    if (!policy || !p)
        return EINVAL;
    struct wf_thread *t = wf_thread_lock_handle((weft_t)h);
    if (!t)
        return ESRCH;
    wf_spin_unlock(&t->join_lock);
    memset(p, 0, sizeof *p);
    struct wp_thread *r = wp_record_peek(t);
    if (!r) {
        *policy = SCHED_OTHER;
        return 0;
    }
    wf_spin_lock(&r->lock);
    *policy = r->policy;
    p->sched_priority = r->sched_priority;
    wf_spin_unlock(&r->lock);
    return 0;
}

/* ---- affinity: recorded, not enforced (docs/pthread.md) ----------------
 * weft threads move between vCPUs; a mask is kept and returned so that
 * programs which pin threads run unchanged. EINVAL for a set with no CPU
 * of this machine, as the kernel answers. */
static int set_has_online_cpu(size_t size, const cpu_set_t *set)
{
    long n = sysconf(_SC_NPROCESSORS_CONF);
    for (long c = 0; c < n && (size_t)c < size * 8; c++)
        if (CPU_ISSET_S((size_t)c, size, set))
            return 1;
    return 0;
}

WP_EXPORT int pthread_setaffinity_np(pthread_t h, size_t size, const cpu_set_t *set)
{
    if (!set || !size)
        return EINVAL;
    struct wp_thread *r;
    int rc = record_of(h, &r, NULL);
    if (rc)
        return rc;
    if (!set_has_online_cpu(size, set))
        return EINVAL;
    cpu_set_t *copy = malloc(size);
    if (!copy)
        return ENOMEM;
    memcpy(copy, set, size);
    wf_spin_lock(&r->lock);
    void *old = r->affinity;
    r->affinity = copy;
    r->affinity_size = size;
    wf_spin_unlock(&r->lock);
    free(old);
    return 0;
}

WP_EXPORT int pthread_getaffinity_np(pthread_t h, size_t size, cpu_set_t *set)
{
    if (!set)
        return EINVAL;
    struct wf_thread *t = wf_thread_lock_handle((weft_t)h);
    if (!t)
        return ESRCH;
    wf_spin_unlock(&t->join_lock);
    struct wp_thread *r = wp_record_peek(t);
    memset(set, 0, size);
    if (r) {
        wf_spin_lock(&r->lock);
        if (r->affinity) {
            size_t n = r->affinity_size < size ? r->affinity_size : size;
            int rc = 0;
            for (size_t i = size; i < r->affinity_size; i++)
                if (((char *)r->affinity)[i])
                    rc = EINVAL; /* a CPU that does not fit in the caller's set */
            if (!rc)
                memcpy(set, r->affinity, n);
            wf_spin_unlock(&r->lock);
            return rc;
        }
        wf_spin_unlock(&r->lock);
    }
    long n = sysconf(_SC_NPROCESSORS_CONF);
    for (long c = 0; c < n && (size_t)c < size * 8; c++)
        CPU_SET_S((size_t)c, size, set);
    return 0;
}

/* A weft thread has no CPU-time clock of its own (it shares its vCPU's
 * kernel thread): ENOENT, glibc's answer where such clocks are missing. */
WP_EXPORT int pthread_getcpuclockid(pthread_t h, clockid_t *clock)
{
    if (!clock)
        return EINVAL;
    struct wf_thread *t = wf_thread_lock_handle((weft_t)h);
    if (!t)
        return ESRCH;
    wf_spin_unlock(&t->join_lock);
    return ENOENT;
}

WP_EXPORT int sched_yield(void)
{
    weft_yield();
    return 0;
}

WP_EXPORT int __sched_yield(void)
{
    return sched_yield();
}
