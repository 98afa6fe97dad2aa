/* weft/sync.h - blocking primitives built on weft's waitqueue. */
#ifndef WEFT_SYNC_H
#define WEFT_SYNC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* Counting semaphore. An all-zero object is a valid semaphore of value 0. */
typedef struct weft_sem {
    uint64_t opaque[4];
} weft_sem_t;

#define WEFT_SEM_VALUE_MAX 0x7fffffffu

/* EINVAL: value > WEFT_SEM_VALUE_MAX. */
int weft_sem_init(weft_sem_t *sem, unsigned value);
/* EBUSY: threads are waiting on it. */
int weft_sem_destroy(weft_sem_t *sem);
/* Decrement, waiting while the value is 0. May switch. */
int weft_sem_wait(weft_sem_t *sem);
/* EAGAIN: value is 0. Never switches. */
int weft_sem_trywait(weft_sem_t *sem);
/* Increment, waking one waiter. Never switches. EOVERFLOW at the max. */
int weft_sem_post(weft_sem_t *sem);
int weft_sem_getvalue(weft_sem_t *sem, int *value);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
