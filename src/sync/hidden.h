/* hidden.h - hidden aliases of the weft_* calls of the rwlock, barrier,
 * semaphore and spinlock, for the pthread layer: inside libweft-pthread.so
 * a call to an exported weft_* function goes through the PLT (it could be
 * interposed); these (wfs_<name>) are direct calls to the same code. */
#ifndef WF_SYNC_HIDDEN_H
#define WF_SYNC_HIDDEN_H

#include "weft/sync.h"

#define WF_HIDDEN_ALIAS(name) \
    extern __typeof(weft_##name) wfs_##name __attribute__((visibility("hidden")))

WF_HIDDEN_ALIAS(rwlock_init);
WF_HIDDEN_ALIAS(rwlock_destroy);
WF_HIDDEN_ALIAS(rwlock_unlock);
WF_HIDDEN_ALIAS(barrier_init);
WF_HIDDEN_ALIAS(barrier_destroy);
WF_HIDDEN_ALIAS(barrier_wait);
WF_HIDDEN_ALIAS(sem_init);
WF_HIDDEN_ALIAS(sem_destroy);
WF_HIDDEN_ALIAS(sem_wait);
WF_HIDDEN_ALIAS(sem_timedwait);
WF_HIDDEN_ALIAS(sem_clockwait);
WF_HIDDEN_ALIAS(sem_trywait);
WF_HIDDEN_ALIAS(sem_post);
WF_HIDDEN_ALIAS(sem_getvalue);
WF_HIDDEN_ALIAS(spin_init);
WF_HIDDEN_ALIAS(spin_destroy);
WF_HIDDEN_ALIAS(spin_lock);
WF_HIDDEN_ALIAS(spin_trylock);
WF_HIDDEN_ALIAS(spin_unlock);

/* In the file that defines weft_<name>: */
#define WF_DEFINE_HIDDEN_ALIAS(name) \
    extern __typeof(weft_##name) wfs_##name __attribute__((alias("weft_" #name)))

#endif
