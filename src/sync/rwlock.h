/* rwlock.h - the weft rwlock's internal entry points for the pthread
 * layer (src/posix/rwlock.c): glibc's kinds and POSIX's priority rule.
 *
 * mode (WF_RW_*) is one of the kinds, or'ed with WF_RW_NOCANCEL for timed
 * calls that must not be cancellation points (pthread_rwlock_timed*).
 *
 *   WF_RW_WRITER_PREF  weft's own policy (weft/sync.h): a waiting writer
 *                      keeps new readers out (glibc's
 *                      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP).
 *   WF_RW_READER_PREF  readers get the lock whenever no writer holds it,
 *                      waiting writers or not, so a reader may lock again
 *                      while writers wait; a released lock goes to every
 *                      waiting reader first (glibc's PREFER_READER_NP and
 *                      PREFER_WRITER_NP).
 *
 * Priority rule (POSIX, Thread Execution Scheduling): when wf_rw_rt_prio
 * (set by the pthread layer) says the caller runs under SCHED_FIFO or
 * SCHED_RR, it waits with that priority: a release hands the lock to the
 * real-time waiters in priority order, writers before readers at equal
 * priority, and no reader (real-time or not) takes the lock while a
 * real-time writer of higher or equal priority waits. A real-time reader
 * takes the lock, whatever the kind, when no writer holds it and no such
 * writer waits. Waiters without a real-time policy follow the kind. */
#ifndef WF_SYNC_RWLOCK_H
#define WF_SYNC_RWLOCK_H

#include <time.h>

#include "weft/sync.h"

enum {
    WF_RW_WRITER_PREF = 0,
    WF_RW_READER_PREF = 1,
    WF_RW_KIND_MASK = 1,
    WF_RW_NOCANCEL = 2,
};

/* The caller's real-time priority (its weft priority) when it runs under
 * a real-time policy, else -1. NULL (libweft alone): never real-time.
 * Set by src/posix/rwlock.c; sync/sem.c asks it too (POSIX's wake order
 * for semaphores). Called with no lock of the object held (it takes the
 * caller's record lock). */
extern int (*wf_rw_rt_prio)(void);

/* try: 1 for the try forms; timed: clock and ts apply. Errors as in
 * weft/sync.h. */
int wf_rwlock_rdlock_mode(weft_rwlock_t *rw, int mode, int try, int timed, clockid_t clock,
                          const struct timespec *ts);
int wf_rwlock_wrlock_mode(weft_rwlock_t *rw, int mode, int try, int timed, clockid_t clock,
                          const struct timespec *ts);

/* Bytes 48..55 of a weft_rwlock_t are never touched after
 * weft_rwlock_init (which zeroes them): the pthread layer keeps glibc's
 * kind (__flags, offset 48) and its own tag there. */
#define WF_RWLOCK_FREE_OFFSET 48

#endif
