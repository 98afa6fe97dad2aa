/* condattr.c - pthread_condattr_*: process-shared bit and clock in the 4
 * bytes of pthread_condattr_t (pshared.h); all-zero is the default
 * (private, CLOCK_REALTIME). No magic is checked, as in glibc. */
#include <errno.h>

#include "posix/posix.h"
#include "posix/pshared.h"

WP_EXPORT int pthread_condattr_init(pthread_condattr_t *a)
{
    if (!a)
        return EINVAL;
    wp_attr_set(a, 0);
    return 0;
}

WP_EXPORT int pthread_condattr_destroy(pthread_condattr_t *a)
{
    return a ? 0 : EINVAL;
}

WP_EXPORT int pthread_condattr_setclock(pthread_condattr_t *a, clockid_t clock)
{
    if (!a || (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC))
        return EINVAL;
    wp_attr_set(a, (wp_attr_word(a) & ~WP_CA_CLOCK_MASK) |
                       ((uint32_t)clock << WP_CA_CLOCK_SHIFT));
    return 0;
}

WP_EXPORT int pthread_condattr_getclock(const pthread_condattr_t *a, clockid_t *clock)
{
    if (!a || !clock)
        return EINVAL;
    *clock = (clockid_t)((wp_attr_word(a) & WP_CA_CLOCK_MASK) >> WP_CA_CLOCK_SHIFT);
    return 0;
}

WP_EXPORT int pthread_condattr_setpshared(pthread_condattr_t *a, int pshared)
{
    if (!a || (pshared != PTHREAD_PROCESS_PRIVATE && pshared != PTHREAD_PROCESS_SHARED))
        return EINVAL;
    wp_attr_set(a, (wp_attr_word(a) & ~WP_CA_PSHARED) |
                       (pshared == PTHREAD_PROCESS_SHARED ? WP_CA_PSHARED : 0));
    return 0;
}

WP_EXPORT int pthread_condattr_getpshared(const pthread_condattr_t *a, int *pshared)
{
    if (!a || !pshared)
        return EINVAL;
    *pshared = wp_attr_word(a) & WP_CA_PSHARED ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE;
    return 0;
}
