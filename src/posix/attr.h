/* attr.h - pthread_attr_t's insides (attr.c), read by pthread_create and
 * pthread_getattr_np (thread.c). */
#ifndef WP_ATTR_H
#define WP_ATTR_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "posix/posix.h"

enum {
    WP_ATTR_MAGIC = 0x77617474u, /* "watt": set by init, cleared by destroy */
    WP_A_DETACHED = 1u,
    WP_A_EXPLICIT = 2u,          /* PTHREAD_EXPLICIT_SCHED */
    WP_A_SCOPE_PROCESS = 4u,
    WP_A_STACK = 8u,             /* stackaddr given (pthread_attr_setstack) */
    WP_A_STACKADDR_TOP = 16u,    /* stackaddr is the top (setstackaddr only) */
};

/* What does not fit in 56 bytes: made on demand, freed by destroy. */
struct wp_attr_ext {
    size_t cpusetsize;
    cpu_set_t *cpuset;            /* NULL: none set */
    int has_sigmask;
    sigset_t sigmask;
};

struct wp_attr {
    uint32_t magic;
    uint32_t flags;               /* WP_A_* */
    size_t stacksize;
    void *stackaddr;              /* lowest address, or the top (WP_A_STACKADDR_TOP) */
    size_t guardsize;
    int policy;
    int sched_priority;
    struct wp_attr_ext *ext;
    uint64_t unused;
};
_Static_assert(sizeof(struct wp_attr) <= sizeof(pthread_attr_t), "pthread_attr_t too small");
_Static_assert(_Alignof(struct wp_attr) <= _Alignof(pthread_attr_t), "pthread_attr_t alignment");

static inline struct wp_attr *wp_attr(const pthread_attr_t *a)
{
    return (struct wp_attr *)a;
}

static inline int wp_attr_ok(const pthread_attr_t *a)
{
    return a && wp_attr(a)->magic == WP_ATTR_MAGIC;
}

/* The process-wide defaults (pthread_setattr_default_np); NULL while
 * never set. Read by pthread_create for a NULL attr. */
const struct wp_attr *wp_attr_defaults(void);

#endif
