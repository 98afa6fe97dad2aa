/* attr.c - pthread_attr_* over glibc's 56-byte pthread_attr_t.
 *
 * glibc validates nothing and crashes on an attribute that was never
 * initialised; here every call checks the magic word that init writes and
 * destroy clears, and answers EINVAL. A default stack is weft's
 * (WEFT_STACK_DEFAULT, 64 KiB, lazily committed, with a guard page), not
 * glibc's 8 MiB: it is what lets a program keep 100,000s of threads. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "posix/attr.h"
#include "weft/thread.h"

static size_t page(void)
{
    static size_t p;
    if (!p)
        p = (size_t)sysconf(_SC_PAGESIZE);
    return p;
}

WP_EXPORT int pthread_attr_init(pthread_attr_t *attr)
{
    if (!attr)
        return EINVAL;
    struct wp_attr *a = wp_attr(attr);
    memset(attr, 0, sizeof *attr);
    a->magic = WP_ATTR_MAGIC;
    a->stacksize = WEFT_STACK_DEFAULT;
    a->guardsize = page();
    a->policy = SCHED_OTHER;
    return 0;
}

WP_EXPORT int pthread_attr_destroy(pthread_attr_t *attr)
{
    if (!wp_attr_ok(attr))
        return EINVAL;
    struct wp_attr *a = wp_attr(attr);
    if (a->ext) {
        free(a->ext->cpuset);
        free(a->ext);
    }
    memset(attr, 0, sizeof *attr);
    return 0;
}

static struct wp_attr_ext *ext(struct wp_attr *a)
{
    if (!a->ext)
        a->ext = calloc(1, sizeof *a->ext);
    return a->ext;
}

/* ---- detach state ---- */
WP_EXPORT int pthread_attr_setdetachstate(pthread_attr_t *attr, int state)
{
    if (!wp_attr_ok(attr))
        return EINVAL;
    if (state == PTHREAD_CREATE_DETACHED)
        wp_attr(attr)->flags |= WP_A_DETACHED;
    else if (state == PTHREAD_CREATE_JOINABLE)
        wp_attr(attr)->flags &= ~WP_A_DETACHED;
    else
        return EINVAL;
    return 0;
}

WP_EXPORT int pthread_attr_getdetachstate(const pthread_attr_t *attr, int *state)
{
    if (!wp_attr_ok(attr) || !state)
        return EINVAL;
    *state = (wp_attr(attr)->flags & WP_A_DETACHED) ? PTHREAD_CREATE_DETACHED
                                                      : PTHREAD_CREATE_JOINABLE;
    return 0;
}

/* ---- stack ---- */
WP_EXPORT int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size)
{
    if (!wp_attr_ok(attr) || size < (size_t)PTHREAD_STACK_MIN)
        return EINVAL;
    wp_attr(attr)->stacksize = size;
    return 0;
}

WP_EXPORT int pthread_attr_getstacksize(const pthread_attr_t *attr, size_t *size)
{
    if (!wp_attr_ok(attr) || !size)
        return EINVAL;
    *size = wp_attr(attr)->stacksize;
    return 0;
}

WP_EXPORT int pthread_attr_setstack(pthread_attr_t *attr, void *addr, size_t size)
{
    if (!wp_attr_ok(attr) || size < (size_t)PTHREAD_STACK_MIN)
        return EINVAL;
    struct wp_attr *a = wp_attr(attr);
    a->stackaddr = addr;
    a->stacksize = size;
    a->flags = (a->flags | WP_A_STACK) & ~WP_A_STACKADDR_TOP;
    return 0;
}

WP_EXPORT int pthread_attr_getstack(const pthread_attr_t *attr, void **addr, size_t *size)
{
    if (!wp_attr_ok(attr) || !addr || !size)
        return EINVAL;
    const struct wp_attr *a = wp_attr(attr);
    *size = a->stacksize;
    *addr = (a->flags & WP_A_STACKADDR_TOP) ? (char *)a->stackaddr - a->stacksize : a->stackaddr;
    return 0;
}

/* Obsolete: the address is the top of the stack (glibc, stacks grow down). */
WP_EXPORT int pthread_attr_setstackaddr(pthread_attr_t *attr, void *addr)
{
    if (!wp_attr_ok(attr))
        return EINVAL;
    struct wp_attr *a = wp_attr(attr);
    a->stackaddr = addr;
    a->flags |= WP_A_STACK | WP_A_STACKADDR_TOP;
    return 0;
}

WP_EXPORT int pthread_attr_getstackaddr(const pthread_attr_t *attr, void **addr)
{
    if (!wp_attr_ok(attr) || !addr)
        return EINVAL;
    const struct wp_attr *a = wp_attr(attr);
    *addr = (a->flags & WP_A_STACKADDR_TOP) ? a->stackaddr : (char *)a->stackaddr + a->stacksize;
    return 0;
}

/* Recorded and reported; weft's own stacks get one guard page whatever
 * the size asked (none for a stack the caller supplies, as in POSIX). */
WP_EXPORT int pthread_attr_setguardsize(pthread_attr_t *attr, size_t size)
{
    if (!wp_attr_ok(attr))
        return EINVAL;
    wp_attr(attr)->guardsize = size;
    return 0;
}

WP_EXPORT int pthread_attr_getguardsize(const pthread_attr_t *attr, size_t *size)
{
    if (!wp_attr_ok(attr) || !size)
        return EINVAL;
    *size = wp_attr(attr)->guardsize;
    return 0;
}

/* ---- scheduling ---- */
WP_EXPORT int pthread_attr_setschedpolicy(pthread_attr_t *attr, int policy)
{
    if (!wp_attr_ok(attr))
        return EINVAL;
    if (policy != SCHED_OTHER && policy != SCHED_FIFO && policy != SCHED_RR)
        return EINVAL; /* as glibc: SCHED_BATCH and SCHED_IDLE only by sched_setscheduler */
    /* The priority stays as set, as in glibc; pthread_create checks the
     * pair (EINVAL for, say, SCHED_FIFO with priority 0). */
    wp_attr(attr)->policy = policy;
    return 0;
}

WP_EXPORT int pthread_attr_getschedpolicy(const pthread_attr_t *attr, int *policy)
{
    if (!wp_attr_ok(attr) || !policy)
        return EINVAL;
    *policy = wp_attr(attr)->policy;
    return 0;
}

WP_EXPORT int pthread_attr_setschedparam(pthread_attr_t *attr, const struct sched_param *p)
{
    if (!wp_attr_ok(attr) || !p)
        return EINVAL;
    struct wp_attr *a = wp_attr(attr);
    if (wp_sched_check(a->policy, p->sched_priority))
        return EINVAL;
    a->sched_priority = p->sched_priority;
    return 0;
}

WP_EXPORT int pthread_attr_getschedparam(const pthread_attr_t *attr, struct sched_param *p)
{
    if (!wp_attr_ok(attr) || !p)
        return EINVAL;
    memset(p, 0, sizeof *p);
    p->sched_priority = wp_attr(attr)->sched_priority;
    return 0;
}

WP_EXPORT int pthread_attr_setinheritsched(pthread_attr_t *attr, int inherit)
{
    if (!wp_attr_ok(attr))
        return EINVAL;
    if (inherit == PTHREAD_EXPLICIT_SCHED)
        wp_attr(attr)->flags |= WP_A_EXPLICIT;
    else if (inherit == PTHREAD_INHERIT_SCHED)
        wp_attr(attr)->flags &= ~WP_A_EXPLICIT;
    else
        return EINVAL;
    return 0;
}

WP_EXPORT int pthread_attr_getinheritsched(const pthread_attr_t *attr, int *inherit)
{
    if (!wp_attr_ok(attr) || !inherit)
        return EINVAL;
    *inherit = (wp_attr(attr)->flags & WP_A_EXPLICIT) ? PTHREAD_EXPLICIT_SCHED
                                                       : PTHREAD_INHERIT_SCHED;
    return 0;
}

/* Both scopes are accepted: weft threads are M:N, so PROCESS is the true
 * one, and SYSTEM (glibc's only) is kept for programs that ask for it. */
WP_EXPORT int pthread_attr_setscope(pthread_attr_t *attr, int scope)
{
    if (!wp_attr_ok(attr))
        return EINVAL;
    if (scope == PTHREAD_SCOPE_PROCESS)
        wp_attr(attr)->flags |= WP_A_SCOPE_PROCESS;
    else if (scope == PTHREAD_SCOPE_SYSTEM)
        wp_attr(attr)->flags &= ~WP_A_SCOPE_PROCESS;
    else
        return EINVAL;
    return 0;
}

WP_EXPORT int pthread_attr_getscope(const pthread_attr_t *attr, int *scope)
{
    if (!wp_attr_ok(attr) || !scope)
        return EINVAL;
    *scope = (wp_attr(attr)->flags & WP_A_SCOPE_PROCESS) ? PTHREAD_SCOPE_PROCESS
                                                          : PTHREAD_SCOPE_SYSTEM;
    return 0;
}

/* ---- affinity and signal mask: recorded (docs/pthread.md) ---- */
WP_EXPORT int pthread_attr_setaffinity_np(pthread_attr_t *attr, size_t size, const cpu_set_t *set)
{
    if (!wp_attr_ok(attr))
        return EINVAL;
    struct wp_attr_ext *e = ext(wp_attr(attr));
    if (!e)
        return ENOMEM;
    if (!set || !size) {
        free(e->cpuset);
        e->cpuset = NULL;
        e->cpusetsize = 0;
        return 0;
    }
    cpu_set_t *copy = malloc(size);
    if (!copy)
        return ENOMEM;
    memcpy(copy, set, size);
    free(e->cpuset);
    e->cpuset = copy;
    e->cpusetsize = size;
    return 0;
}

WP_EXPORT int pthread_attr_getaffinity_np(const pthread_attr_t *attr, size_t size, cpu_set_t *set)
{
    if (!wp_attr_ok(attr) || !set)
        return EINVAL;
    const struct wp_attr_ext *e = wp_attr(attr)->ext;
    if (!e || !e->cpuset) {
        memset(set, 0xff, size); /* none set: every CPU, as glibc */
        return 0;
    }
    /* EINVAL if the caller's set cannot hold a CPU that is set */
    for (size_t i = size; i < e->cpusetsize; i++)
        if (((const char *)e->cpuset)[i])
            return EINVAL;
    memset(set, 0, size);
    memcpy(set, e->cpuset, size < e->cpusetsize ? size : e->cpusetsize);
    return 0;
}

WP_EXPORT int pthread_attr_setsigmask_np(pthread_attr_t *attr, const sigset_t *mask)
{
    if (!wp_attr_ok(attr))
        return EINVAL;
    struct wp_attr_ext *e = ext(wp_attr(attr));
    if (!e)
        return ENOMEM;
    e->has_sigmask = mask != NULL;
    if (mask)
        e->sigmask = *mask;
    return 0;
}

WP_EXPORT int pthread_attr_getsigmask_np(const pthread_attr_t *attr, sigset_t *mask)
{
    if (!wp_attr_ok(attr) || !mask)
        return EINVAL;
    const struct wp_attr_ext *e = wp_attr(attr)->ext;
    if (!e || !e->has_sigmask) {
        sigemptyset(mask);
        return PTHREAD_ATTR_NO_SIGMASK_NP;
    }
    *mask = e->sigmask;
    return 0;
}

/* ---- process-wide defaults ---- */
static struct wp_attr defaults;
static int defaults_set;
static wf_spinlock_t defaults_lock;

const struct wp_attr *wp_attr_defaults(void)
{
    return __atomic_load_n(&defaults_set, __ATOMIC_ACQUIRE) ? &defaults : NULL;
}

/* Stack size, guard size, detach state and scheduling; a stack address is
 * refused (EINVAL), as glibc does. */
WP_EXPORT int pthread_setattr_default_np(const pthread_attr_t *attr)
{
    if (!wp_attr_ok(attr))
        return EINVAL;
    const struct wp_attr *a = wp_attr(attr);
    if ((a->flags & WP_A_STACK) || (a->policy != SCHED_OTHER && wp_sched_check(a->policy, a->sched_priority)))
        return EINVAL;
    wf_spin_lock(&defaults_lock);
    defaults = *a;
    defaults.ext = NULL;
    __atomic_store_n(&defaults_set, 1, __ATOMIC_RELEASE);
    wf_spin_unlock(&defaults_lock);
    return 0;
}

WP_EXPORT int pthread_getattr_default_np(pthread_attr_t *attr)
{
    if (!attr)
        return EINVAL;
    pthread_attr_init(attr);
    wf_spin_lock(&defaults_lock);
    if (defaults_set) {
        *wp_attr(attr) = defaults;
        wp_attr(attr)->magic = WP_ATTR_MAGIC;
    }
    wf_spin_unlock(&defaults_lock);
    return 0;
}
