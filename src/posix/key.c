/* key.c - pthread_key_*: weft's keys (weft/sync.h), which have POSIX's
 * limits (PTHREAD_KEYS_MAX 1024, 4 destructor rounds). */
#include <errno.h>
#include <limits.h>

#include "posix/posix.h"
#include "weft/sync.h"

_Static_assert(sizeof(pthread_key_t) == sizeof(weft_key_t), "pthread_key_t");
_Static_assert(PTHREAD_KEYS_MAX == WEFT_KEYS_MAX, "PTHREAD_KEYS_MAX");
_Static_assert(PTHREAD_DESTRUCTOR_ITERATIONS == WEFT_KEYS_DESTRUCTOR_ITERATIONS,
               "PTHREAD_DESTRUCTOR_ITERATIONS");

WP_EXPORT int pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
    if (!key)
        return EINVAL;
    return weft_key_create((weft_key_t *)key, destructor);
}

WP_EXPORT int pthread_key_delete(pthread_key_t key)
{
    return weft_key_delete((weft_key_t)key);
}

WP_EXPORT void *pthread_getspecific(pthread_key_t key)
{
    return weft_key_get((weft_key_t)key);
}

/* glibc declares value as never read through (__attr_access_none), which
 * makes gcc think passing it on reads something uninitialised. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
WP_EXPORT int pthread_setspecific(pthread_key_t key, const void *value)
{
    return weft_key_set((weft_key_t)key, value);
}
#pragma GCC diagnostic pop
