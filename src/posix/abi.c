/* abi.c - glibc 2.36's x86_64 object sizes and initializers, pinned.
 * A program built against glibc's headers allocates these objects itself
 * (statically, on its stack, inside its structs), so weft's must fit in
 * exactly these bytes, and glibc's static initializers must mean to weft
 * what they mean to glibc (mutex.c, cond.c, rwlock.c, once.c read them). */
#include <semaphore.h>

#include "posix/posix.h"
#include "weft/sync.h"
#include "weft/thread.h"

#define SIZE(type, bytes) _Static_assert(sizeof(type) == (bytes), #type " is " #bytes " bytes in glibc")
#define FITS(weft, posix)                                                                  \
    _Static_assert(sizeof(weft) <= sizeof(posix) && _Alignof(weft) <= _Alignof(posix),     \
                   #weft " fits in " #posix)

SIZE(pthread_t, 8);
SIZE(pthread_attr_t, 56);
SIZE(pthread_mutex_t, 40);
SIZE(pthread_mutexattr_t, 4);
SIZE(pthread_cond_t, 48);
SIZE(pthread_condattr_t, 4);
SIZE(pthread_rwlock_t, 56);
SIZE(pthread_rwlockattr_t, 8);
SIZE(pthread_barrier_t, 32);
SIZE(pthread_barrierattr_t, 4);
SIZE(pthread_spinlock_t, 4);
SIZE(pthread_key_t, 4);
SIZE(pthread_once_t, 4);
SIZE(sem_t, 32);

FITS(weft_t, pthread_t);
FITS(weft_mutex_t, pthread_mutex_t);
FITS(weft_cond_t, pthread_cond_t);
FITS(weft_rwlock_t, pthread_rwlock_t);
FITS(weft_barrier_t, pthread_barrier_t);
FITS(weft_spinlock_t, pthread_spinlock_t);
FITS(weft_key_t, pthread_key_t);
FITS(weft_sem_t, sem_t);

/* The all-zero initializers. */
static const pthread_mutex_t zero_mutex = PTHREAD_MUTEX_INITIALIZER;
static const pthread_cond_t zero_cond = PTHREAD_COND_INITIALIZER;
static const pthread_rwlock_t zero_rwlock = PTHREAD_RWLOCK_INITIALIZER;
_Static_assert(PTHREAD_ONCE_INIT == 0, "PTHREAD_ONCE_INIT is 0");

/* Checked once at load time as well: a header that changed an initializer
 * to something non-zero would break every static object. */
__attribute__((constructor)) static void check_zero_initializers(void)
{
    const unsigned char *objs[] = {(const void *)&zero_mutex, (const void *)&zero_cond,
                                   (const void *)&zero_rwlock};
    const size_t sizes[] = {sizeof zero_mutex, sizeof zero_cond, sizeof zero_rwlock};
    for (int i = 0; i < 3; i++)
        for (size_t j = 0; j < sizes[i]; j++)
            if (objs[i][j])
                __builtin_trap();
}
