/* weft/sync.h - blocking primitives built on weft's waitqueue.
 *
 * Conventions for every call below (besides those of weft.h):
 * - Returns 0 or a positive errno value, like pthreads. EINVAL for a NULL
 *   object pointer.
 * - "May switch": a weft thread that must wait parks on a waitqueue and its
 *   vCPU runs other threads; a bound thread (an adopted host thread such as
 *   main or a plain pthread) blocks its host thread in the kernel instead.
 *   "Never switches": the call does not wait (it may spin for a few hundred
 *   nanoseconds on an internal lock, and may make other threads runnable).
 * - Any thread may call any of these, foreign host threads included (the
 *   first call adopts them); weft threads and host threads may share one
 *   object. None is async-signal-safe.
 * - Timed calls take an absolute time. The *_clock* forms take the clock
 *   (CLOCK_REALTIME or CLOCK_MONOTONIC, else EINVAL); the *_timed* forms use
 *   CLOCK_REALTIME, like pthreads (weft_cond_timedwait: the condvar's
 *   clock). A CLOCK_REALTIME time is converted to the
 *   monotonic clock when the call starts to wait, so a later change of the
 *   system time does not move the deadline. ETIMEDOUT when the time passes
 *   (never early); EINVAL for tv_nsec outside [0, 1e9) when the call would
 *   have to wait (an object that is free at once is taken whatever the time).
 * - Interruption: a pending weft_suspend stops a waiting thread at once
 *   (it leaves the queue, so it holds nobody up) and it waits again, to the
 *   same deadline, after weft_resume (a condvar wait returns 0 instead, a
 *   spurious wakeup; a barrier waiter whose generation completed meanwhile
 *   returns). A call marked "cancellation point" also ends a waiting
 *   thread that has a pending weft_cancel, with its cleanup handlers.
 * - Object sizes are no bigger than glibc's pthread types, so that the
 *   pthread layer can map those onto these. Treat them as opaque.
 * - A blocked thread shows in weft_dump with its wait channel, e.g.
 *   "mutex(0x5581...)": the kind of object and its address.
 */
#ifndef WEFT_SYNC_H
#define WEFT_SYNC_H

#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* ---- mutex ---------------------------------------------------------------
 * An all-zero object (WEFT_MUTEX_INITIALIZER) is an unlocked normal mutex.
 * Uncontended lock and unlock are one atomic instruction each. A contended
 * locker spins briefly while the holder may be running on another CPU, then
 * parks; unlock wakes one parked waiter, which competes again with running
 * threads (no hand-off: throughput first, as with pthreads and Go). */
typedef struct weft_mutex {
    uint64_t opaque[5];
} weft_mutex_t;

#define WEFT_MUTEX_INITIALIZER {{0}}

enum {
    WEFT_MUTEX_NORMAL = 0,     /* relocking deadlocks; no owner checks */
    WEFT_MUTEX_RECURSIVE = 1,  /* the owner may relock; unlock as often */
    WEFT_MUTEX_ERRORCHECK = 2, /* relock: EDEADLK; owner checked */
    WEFT_MUTEX_DEFAULT = WEFT_MUTEX_NORMAL,
};

/* Mutex attributes: only the type. An all-zero attribute is the default.
 * These never switch. EINVAL: NULL, or an unknown type. */
typedef struct weft_mutexattr {
    uint32_t type;
} weft_mutexattr_t;

int weft_mutexattr_init(weft_mutexattr_t *attr);
int weft_mutexattr_destroy(weft_mutexattr_t *attr);
int weft_mutexattr_settype(weft_mutexattr_t *attr, int type);
int weft_mutexattr_gettype(const weft_mutexattr_t *attr, int *type);

/* attr may be NULL (a normal mutex). Never switches. */
int weft_mutex_init(weft_mutex_t *mutex, const weft_mutexattr_t *attr);
/* Never switches. EBUSY: locked, or threads are waiting for it. */
int weft_mutex_destroy(weft_mutex_t *mutex);
/* May switch. Not a cancellation point.
 * EDEADLK: an error-checking mutex the caller already holds (a normal one
 * deadlocks). EAGAIN: a recursive mutex locked 2^32 - 1 times. */
int weft_mutex_lock(weft_mutex_t *mutex);
/* Never switches. EBUSY: held by someone (or by the caller, unless
 * recursive). EAGAIN: recursion count at its maximum. */
int weft_mutex_trylock(weft_mutex_t *mutex);
/* Lock before an absolute CLOCK_REALTIME time. May switch. A
 * cancellation point (unlike pthread_mutex_timedlock: POSIX has no mutex
 * call among them). ETIMEDOUT, EINVAL (bad timespec), and the errors of
 * weft_mutex_lock. */
int weft_mutex_timedlock(weft_mutex_t *mutex, const struct timespec *abstime);
/* The same on the clock given: CLOCK_REALTIME or CLOCK_MONOTONIC. */
int weft_mutex_clocklock(weft_mutex_t *mutex, clockid_t clock,
                         const struct timespec *abstime);
/* Never switches. EPERM: recursive or error-checking mutex not held by the
 * caller, or any mutex that is not locked at all. Unlocking a normal mutex
 * that another thread holds is undetected (and undefined, as in POSIX). */
int weft_mutex_unlock(weft_mutex_t *mutex);

/* ---- condition variable --------------------------------------------------
 * An all-zero object (WEFT_COND_INITIALIZER) is a condition variable on
 * CLOCK_REALTIME. Signal and broadcast do not wake a herd: the waiters move
 * to the mutex's queue and wake one at a time as the mutex is released, so
 * each wakes owning it. All concurrent waiters must use the same mutex. */
typedef struct weft_cond {
    uint64_t opaque[6];
} weft_cond_t;

#define WEFT_COND_INITIALIZER {{0}}

/* Condition attributes: only the clock of weft_cond_timedwait. An all-zero
 * attribute is the default (CLOCK_REALTIME). Never switch. EINVAL: NULL,
 * or a clock other than CLOCK_REALTIME or CLOCK_MONOTONIC. */
typedef struct weft_condattr {
    uint32_t clock;
} weft_condattr_t;

int weft_condattr_init(weft_condattr_t *attr);
int weft_condattr_destroy(weft_condattr_t *attr);
int weft_condattr_setclock(weft_condattr_t *attr, clockid_t clock);
int weft_condattr_getclock(const weft_condattr_t *attr, clockid_t *clock);

/* attr may be NULL. Never switches. */
int weft_cond_init(weft_cond_t *cond, const weft_condattr_t *attr);
/* Never switches. EBUSY: threads are waiting on it. Safe right after a
 * broadcast that released every waiter, even before they have returned. */
int weft_cond_destroy(weft_cond_t *cond);
/* Release mutex, wait for a signal, relock mutex (also when it returns an
 * error, except EPERM/EINVAL found before waiting). May return 0 without a
 * signal (a spurious wakeup): recheck the predicate. May switch.
 * Cancellation point: a cancelled waiter relocks the mutex first, then its
 * cleanup handlers run. A recursive mutex locked n times is released fully
 * and relocked n times. EPERM: a recursive or error-checking mutex the
 * caller does not hold. EINVAL: another mutex than the other waiters'. */
int weft_cond_wait(weft_cond_t *cond, weft_mutex_t *mutex);
/* The same until an absolute time on the condvar's clock: ETIMEDOUT (the
 * mutex is held again), EINVAL (bad timespec). A waiter that times out
 * just as it is signalled returns 0 and the signal is not lost. */
int weft_cond_timedwait(weft_cond_t *cond, weft_mutex_t *mutex,
                        const struct timespec *abstime);
/* The same on the clock given, whatever the condvar's own clock. */
int weft_cond_clockwait(weft_cond_t *cond, weft_mutex_t *mutex, clockid_t clock,
                        const struct timespec *abstime);
/* Release one waiter / all waiters (none waiting: no effect). Calling them
 * with the mutex held is cheapest: a released waiter then wakes only when
 * the mutex is unlocked. Never switch. */
int weft_cond_signal(weft_cond_t *cond);
int weft_cond_broadcast(weft_cond_t *cond);

/* ---- read-write lock -----------------------------------------------------
 * An all-zero object (WEFT_RWLOCK_INITIALIZER) is an unlocked rwlock.
 * Policy: writer preference, then FIFO. Readers share the lock while no
 * writer holds it or waits for it; once a writer waits, new readers queue
 * behind it, so a stream of readers cannot starve writers. Each release
 * that frees the lock hands it to the head of the queue: one writer, or
 * every reader queued before the next writer, so writers cannot starve
 * readers either. Consequence: a thread that holds a read lock must not
 * rdlock again while a writer may be waiting (it would deadlock, as with
 * glibc's PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP). (libweft-pthread
 * runs the same lock with glibc's reader-preferring kinds and POSIX's
 * priority rule for SCHED_FIFO/SCHED_RR waiters as well; the weft_rwlock_*
 * calls always have the policy above.) */
typedef struct weft_rwlock {
    uint64_t opaque[7];
} weft_rwlock_t;

#define WEFT_RWLOCK_INITIALIZER {{0}}

/* Never switches. */
int weft_rwlock_init(weft_rwlock_t *rwlock);
/* Never switches. EBUSY: held, or threads are waiting for it. */
int weft_rwlock_destroy(weft_rwlock_t *rwlock);
/* May switch. Not cancellation points. EDEADLK: the caller holds it for
 * writing. EAGAIN: 2^30 - 1 read locks held. */
int weft_rwlock_rdlock(weft_rwlock_t *rwlock);
/* May switch. Not a cancellation point. EDEADLK: the caller holds it for
 * writing (relocking while holding it for reading is not detected: it
 * deadlocks). */
int weft_rwlock_wrlock(weft_rwlock_t *rwlock);
/* Never switch. EBUSY: not available now (for tryrdlock: a writer holds or
 * waits). EAGAIN as for rdlock. */
int weft_rwlock_tryrdlock(weft_rwlock_t *rwlock);
int weft_rwlock_trywrlock(weft_rwlock_t *rwlock);
/* Before an absolute CLOCK_REALTIME time, or on the clock given. May
 * switch. Cancellation points (unlike pthread_rwlock_timed*lock).
 * ETIMEDOUT, EINVAL (bad timespec or clock), and the errors of rdlock /
 * wrlock. */
int weft_rwlock_timedrdlock(weft_rwlock_t *rwlock, const struct timespec *abstime);
int weft_rwlock_timedwrlock(weft_rwlock_t *rwlock, const struct timespec *abstime);
int weft_rwlock_clockrdlock(weft_rwlock_t *rwlock, clockid_t clock,
                            const struct timespec *abstime);
int weft_rwlock_clockwrlock(weft_rwlock_t *rwlock, clockid_t clock,
                            const struct timespec *abstime);
/* Release the caller's read or write lock. Never switches. EPERM: not
 * locked at all, or write-locked by another thread. (Releasing a read
 * lock the caller does not hold is not detected.) */
int weft_rwlock_unlock(weft_rwlock_t *rwlock);

/* ---- barrier ------------------------------------------------------------- */
typedef struct weft_barrier {
    uint64_t opaque[4];
} weft_barrier_t;

/* Returned by weft_barrier_wait to exactly one thread of each generation
 * (the last to arrive); the others get 0. */
#define WEFT_BARRIER_SERIAL_THREAD (-1)
#define WEFT_BARRIER_MAX 0x7fffffffu

/* count threads meet at each generation. Never switches.
 * EINVAL: count == 0 or count > WEFT_BARRIER_MAX. */
int weft_barrier_init(weft_barrier_t *barrier, unsigned count);
/* Never switches. EBUSY: threads are waiting at it. */
int weft_barrier_destroy(weft_barrier_t *barrier);
/* Wait until count threads have called it; then all return, one of them
 * WEFT_BARRIER_SERIAL_THREAD. The barrier is at once ready for the next
 * generation. May switch. Not a cancellation point. EINVAL: not
 * initialised (an all-zero object). */
int weft_barrier_wait(weft_barrier_t *barrier);

/* ---- counting semaphore --------------------------------------------------
 * An all-zero object is a semaphore of value 0. A post with waiters hands
 * its unit to the longest waiter (FIFO, no barging). (Under
 * libweft-pthread, waiters running SCHED_FIFO or SCHED_RR go first, highest
 * priority first, as POSIX requires.) */
typedef struct weft_sem {
    uint64_t opaque[4];
} weft_sem_t;

#define WEFT_SEM_VALUE_MAX 0x7fffffffu

/* Never switches. EINVAL: value > WEFT_SEM_VALUE_MAX. */
int weft_sem_init(weft_sem_t *sem, unsigned value);
/* Never switches. EBUSY: threads are waiting on it. */
int weft_sem_destroy(weft_sem_t *sem);
/* Decrement, waiting while the value is 0. May switch. Cancellation
 * point. EINTR when a signal handler ran while it waited (this and the
 * timed forms; weft/signal.h). */
int weft_sem_wait(weft_sem_t *sem);
/* The same before an absolute CLOCK_REALTIME time, or on the clock given.
 * May switch. Cancellation points. ETIMEDOUT, EINVAL (bad timespec or
 * clock). */
int weft_sem_timedwait(weft_sem_t *sem, const struct timespec *abstime);
int weft_sem_clockwait(weft_sem_t *sem, clockid_t clock, const struct timespec *abstime);
/* Never switches. EAGAIN: value is 0. */
int weft_sem_trywait(weft_sem_t *sem);
/* Increment, or hand the unit to a waiter. Never switches. EOVERFLOW: the
 * value is WEFT_SEM_VALUE_MAX. */
int weft_sem_post(weft_sem_t *sem);
/* The value now (0 while threads wait). Never switches. */
int weft_sem_getvalue(weft_sem_t *sem, int *value);

/* ---- once ---------------------------------------------------------------- */
typedef struct weft_once {
    uint32_t state;
} weft_once_t;

#define WEFT_ONCE_INIT {0}

/* Run fn exactly once for this once object. Callers that come while it
 * runs wait (parked, not spinning) until it returns; later callers return
 * at once. fn must not call weft_once on the same object (deadlock).
 * May switch. Not a cancellation point. EINVAL: NULL argument. */
int weft_once(weft_once_t *once, void (*fn)(void));

/* ---- spinlock ------------------------------------------------------------
 * For critical sections of a few instructions that never block. A waiter
 * spins on the CPU; after about a microsecond it yields its vCPU (a bound
 * thread its host CPU) between rounds, because the holder may be a weft
 * thread switched out on the same vCPU, which would otherwise never run
 * again. Prefer a mutex for anything longer. No owner checks. */
typedef struct weft_spinlock {
    uint32_t v;
} weft_spinlock_t;

/* An all-zero object is unlocked. Never switch. */
int weft_spin_init(weft_spinlock_t *lock);
/* EBUSY: locked. */
int weft_spin_destroy(weft_spinlock_t *lock);
/* May switch (the yield above). Never blocks in the kernel. */
int weft_spin_lock(weft_spinlock_t *lock);
/* Never switches. EBUSY: locked. */
int weft_spin_trylock(weft_spinlock_t *lock);
/* Never switches. EPERM: not locked. */
int weft_spin_unlock(weft_spinlock_t *lock);

/* ---- thread-specific data ------------------------------------------------
 * A key names one void * slot in every thread, NULL until set. At thread
 * exit (weft_exit, or return from the thread's function; for an adopted
 * host thread: weft_exit) each non-NULL value whose key has a destructor is
 * set to NULL and the destructor called with it, in the exiting thread;
 * if destructors set values again, this repeats, at most
 * WEFT_KEYS_DESTRUCTOR_ITERATIONS times in all. */
typedef uint32_t weft_key_t;

#define WEFT_KEYS_MAX 1024
#define WEFT_KEYS_DESTRUCTOR_ITERATIONS 4

/* destructor may be NULL. Never switches. EAGAIN: WEFT_KEYS_MAX keys
 * exist. */
int weft_key_create(weft_key_t *key, void (*destructor)(void *));
/* The key becomes invalid; values still set are not destroyed (as in
 * POSIX); a later key that reuses its number starts NULL in every thread.
 * Never switches. EINVAL: not a valid key. */
int weft_key_delete(weft_key_t key);
/* The caller's value for key; NULL if unset or the key is invalid. Never
 * switches, never fails. */
void *weft_key_get(weft_key_t key);
/* Never switches. EINVAL: not a valid key. ENOMEM: no memory for the
 * caller's table. */
int weft_key_set(weft_key_t key, const void *value);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
