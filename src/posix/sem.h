/* sem.h - the process-shared layout of glibc's sem_t (sem.c), shared
 * with the named semaphores (sem_named.c). */
#ifndef WP_SEM_H
#define WP_SEM_H

#include <stdatomic.h>
#include <stdint.h>

/* Offset of the tag word: bytes a private weft_sem_t leaves zero. */
#define WP_SEM_TAG_OFFSET 28
#define WP_SEM_SHARED 0x4d455357u /* "WSEM" */

struct wp_psem {
    _Atomic uint32_t value;     /* the futex word */
    _Atomic uint32_t nwaiters;  /* callers between their count and leaving */
    uint32_t unused[5];
    uint32_t tag;               /* WP_SEM_SHARED; 0 in a private sem_t */
};

/* A process-shared semaphore of value (<= SEM_VALUE_MAX) in p. */
void wp_psem_init(struct wp_psem *p, unsigned value);

#endif
