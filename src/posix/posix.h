/* posix.h - what the files of the pthread layer (libweft-pthread) share.
 *
 * Each file implements one family of glibc's interface under glibc's own
 * names and object layouts (<pthread.h>, <semaphore.h> are included as
 * they are: the prototypes are glibc's, and abi.c pins every size). The
 * objects are weft's (weft/sync.h) inside glibc's bytes, with glibc's
 * static initializers meaning what they mean there.
 *
 * Exported functions are marked WP_EXPORT; everything else stays hidden
 * (the objects are built with -fvisibility=hidden). */
#ifndef WP_POSIX_H
#define WP_POSIX_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>

#include "core/spinlock.h"
#include "core/thread.h"

#define WP_EXPORT __attribute__((visibility("default")))

/* ---- the per-thread record -------------------------------------------
 * One per thread slot, made the first time the layer needs it for that
 * slot and kept for every later thread in the slot (so a pointer to it
 * stays valid while another thread looks at it). `id` tells whose it is:
 * a record whose id is not the thread's is stale and is reset under
 * `lock` before use (wp_record). Fields marked "own" are touched by the
 * thread itself only; the others under `lock`. */
struct wp_cancel_buf; /* glibc's __pthread_unwind_buf_t (cancel.c) */
struct wp_held;       /* a robust, PI or ceiling mutex held (mutex.c) */

struct wp_thread {
    wf_spinlock_t lock;
    uint64_t id;                       /* the thread it belongs to */
    /* scheduling as pthreads sees it (sched.c); under lock */
    int policy;                        /* SCHED_OTHER, SCHED_FIFO, SCHED_RR, ... */
    int sched_priority;                /* the POSIX priority under policy */
    int base_prio;                     /* weft priority without PI or ceiling
                                          boosts (mutex.c); under lock */
    /* cancellation (cancel.c); own */
    struct wp_cancel_buf *cancel_buf;  /* glibc cleanup buffers, innermost first */
    struct _pthread_cleanup_buffer *cleanup_old; /* the pre-2.3.3 kind (_pthread_cleanup_push) */
    void *unwind_exc;                  /* the forced-unwind exception object, kept */
    void *exit_result;                 /* the result while they unwind */
    int unwinding;
    /* affinity as last set (sched.c); under lock; NULL: all CPUs */
    void *affinity;
    size_t affinity_size;
    /* mutexes (mutex.c) */
    struct wp_held *held;              /* held special mutexes, innermost first; own */
    void *_Atomic pi_blocked_on;       /* the PI mutex it waits for, else NULL */
    uint64_t reserved[4];
};

/* The record of t, made or reset as needed. NULL only without memory. */
struct wp_thread *wp_record(struct wf_thread *t);
/* The record of t if it has a current one, else NULL. Never allocates. */
struct wp_thread *wp_record_peek(struct wf_thread *t);
/* The caller's record (wp_record(wf_self())). */
struct wp_thread *wp_self(void);

/* ---- hooks from the core (thread.c of this layer installs them) ------ */
/* Called at thread exit after the key destructors, for a thread with a
 * current record: mutex.c releases robust mutexes here (EOWNERDEAD for
 * the next owner) and undoes priority boosts. */
void wp_mutex_thread_exit(struct wf_thread *t, struct wp_thread *r);

/* start.c: tells the first host thread when main's weft thread ended. */
void wp_start_thread_exit(struct wf_thread *t);

/* ---- priorities --------------------------------------------------------
 * weft has 32 priorities (WEFT_PRIO_*), pthreads a policy and a number.
 * SCHED_OTHER, SCHED_BATCH: WEFT_PRIO_DEFAULT (16). SCHED_IDLE: 1.
 * SCHED_FIFO and SCHED_RR, 1..99 (sched_get_priority_min/max): 17..31,
 * evenly, so any real-time thread runs before every SCHED_OTHER one.
 * Both are preempted like any weft thread (weft/preempt.h: at safe points,
 * when their timeslice ends while others of their priority wait, or at
 * once for a higher priority), so FIFO behaves as RR with weft's slices;
 * a thread created with preemption off runs as FIFO would. */
int wp_prio_to_weft(int policy, int sched_priority);
/* EINVAL for an unknown policy or a priority outside its range. */
int wp_sched_check(int policy, int sched_priority);

/* ---- cancellation ----------------------------------------------------- */
/* Some weft waits are cancellation points where POSIX's are not (timed
 * mutex and rwlock locks): wrap them. Returns the old state for _end. */
int wp_nocancel_begin(void);
void wp_nocancel_end(int old);

/* ---- time -------------------------------------------------------------- */
/* A timespec POSIX accepts for an absolute timeout: tv_nsec in [0, 1e9). */
static inline int wp_ts_valid(const struct timespec *ts)
{
    return ts && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L;
}

#endif
