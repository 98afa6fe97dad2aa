/* mutexattr.c - pthread_mutexattr_*: the attributes in the 4 bytes of
 * pthread_mutexattr_t (bit layout in pshared.h; all-zero is the default:
 * normal, private, stalled, no protocol, ceiling read as 1). Like glibc,
 * no magic is checked: any 4 bytes are an attribute object. */
#include <errno.h>

#include "posix/posix.h"
#include "posix/pshared.h"

static inline uint32_t get(const pthread_mutexattr_t *a)
{
    return wp_attr_word(a);
}

static inline void put(pthread_mutexattr_t *a, uint32_t mask, uint32_t v)
{
    wp_attr_set(a, (get(a) & ~mask) | v);
}

WP_EXPORT int pthread_mutexattr_init(pthread_mutexattr_t *a)
{
    if (!a)
        return EINVAL;
    wp_attr_set(a, 0);
    return 0;
}

WP_EXPORT int pthread_mutexattr_destroy(pthread_mutexattr_t *a)
{
    return a ? 0 : EINVAL;
}

WP_EXPORT int pthread_mutexattr_settype(pthread_mutexattr_t *a, int type)
{
    if (!a || type < PTHREAD_MUTEX_NORMAL || type > PTHREAD_MUTEX_ADAPTIVE_NP)
        return EINVAL;
    put(a, WP_MA_TYPE_MASK, (uint32_t)type);
    return 0;
}

WP_EXPORT int pthread_mutexattr_gettype(const pthread_mutexattr_t *a, int *type)
{
    if (!a || !type)
        return EINVAL;
    *type = (int)(get(a) & WP_MA_TYPE_MASK);
    return 0;
}

/* LinuxThreads' old names for the type. */
WP_EXPORT int pthread_mutexattr_setkind_np(pthread_mutexattr_t *a, int kind);
WP_EXPORT int pthread_mutexattr_getkind_np(const pthread_mutexattr_t *a, int *kind);

WP_EXPORT int pthread_mutexattr_setkind_np(pthread_mutexattr_t *a, int kind)
{
    return pthread_mutexattr_settype(a, kind);
}

WP_EXPORT int pthread_mutexattr_getkind_np(const pthread_mutexattr_t *a, int *kind)
{
    return pthread_mutexattr_gettype(a, kind);
}

WP_EXPORT int pthread_mutexattr_setpshared(pthread_mutexattr_t *a, int pshared)
{
    if (!a || (pshared != PTHREAD_PROCESS_PRIVATE && pshared != PTHREAD_PROCESS_SHARED))
        return EINVAL;
    put(a, WP_MA_PSHARED, pshared == PTHREAD_PROCESS_SHARED ? WP_MA_PSHARED : 0);
    return 0;
}

WP_EXPORT int pthread_mutexattr_getpshared(const pthread_mutexattr_t *a, int *pshared)
{
    if (!a || !pshared)
        return EINVAL;
    *pshared = get(a) & WP_MA_PSHARED ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE;
    return 0;
}

WP_EXPORT int pthread_mutexattr_setrobust(pthread_mutexattr_t *a, int robust)
{
    if (!a || (robust != PTHREAD_MUTEX_STALLED && robust != PTHREAD_MUTEX_ROBUST))
        return EINVAL;
    put(a, WP_MA_ROBUST, robust == PTHREAD_MUTEX_ROBUST ? WP_MA_ROBUST : 0);
    return 0;
}

WP_EXPORT int pthread_mutexattr_getrobust(const pthread_mutexattr_t *a, int *robust)
{
    if (!a || !robust)
        return EINVAL;
    *robust = get(a) & WP_MA_ROBUST ? PTHREAD_MUTEX_ROBUST : PTHREAD_MUTEX_STALLED;
    return 0;
}

/* glibc's header maps the _np names onto the others; the library still
 * exports them (old binaries), so do we, under asm names. */
WP_EXPORT int wp_mutexattr_setrobust_np(pthread_mutexattr_t *a, int robust)
    __asm__("pthread_mutexattr_setrobust_np");
WP_EXPORT int wp_mutexattr_getrobust_np(const pthread_mutexattr_t *a, int *robust)
    __asm__("pthread_mutexattr_getrobust_np");

WP_EXPORT int wp_mutexattr_setrobust_np(pthread_mutexattr_t *a, int robust)
{
    return pthread_mutexattr_setrobust(a, robust);
}

WP_EXPORT int wp_mutexattr_getrobust_np(const pthread_mutexattr_t *a, int *robust)
{
    return pthread_mutexattr_getrobust(a, robust);
}

WP_EXPORT int pthread_mutexattr_setprotocol(pthread_mutexattr_t *a, int protocol)
{
    if (!a || (protocol != PTHREAD_PRIO_NONE && protocol != PTHREAD_PRIO_INHERIT &&
               protocol != PTHREAD_PRIO_PROTECT))
        return EINVAL;
    put(a, WP_MA_PROTO_MASK, (uint32_t)protocol << WP_MA_PROTO_SHIFT);
    return 0;
}

WP_EXPORT int pthread_mutexattr_getprotocol(const pthread_mutexattr_t *a, int *protocol)
{
    if (!a || !protocol)
        return EINVAL;
    *protocol = (int)((get(a) & WP_MA_PROTO_MASK) >> WP_MA_PROTO_SHIFT);
    return 0;
}

/* Ceilings are SCHED_FIFO priorities, 1..99. */
WP_EXPORT int pthread_mutexattr_setprioceiling(pthread_mutexattr_t *a, int ceiling)
{
    if (!a || ceiling < 1 || ceiling > 99)
        return EINVAL;
    put(a, WP_MA_CEIL_MASK, (uint32_t)ceiling << WP_MA_CEIL_SHIFT);
    return 0;
}

WP_EXPORT int pthread_mutexattr_getprioceiling(const pthread_mutexattr_t *a, int *ceiling)
{
    if (!a || !ceiling)
        return EINVAL;
    int c = (int)((get(a) & WP_MA_CEIL_MASK) >> WP_MA_CEIL_SHIFT);
    *ceiling = c ? c : 1;
    return 0;
}

/* glibc's old internal names (GLIBC_2.2.5), still exported. */
#define WP_ALIAS(name, target) \
    WP_EXPORT __typeof__(target) name __attribute__((alias(#target), copy(target)))
WP_ALIAS(__pthread_mutexattr_init, pthread_mutexattr_init);
WP_ALIAS(__pthread_mutexattr_destroy, pthread_mutexattr_destroy);
WP_ALIAS(__pthread_mutexattr_settype, pthread_mutexattr_settype);
