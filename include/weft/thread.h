/* weft/thread.h - weft threads, attributes, groups, sleep. */
#ifndef WEFT_THREAD_H
#define WEFT_THREAD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* A thread handle: a slot number and a generation. A handle of a thread
 * that is gone stays invalid forever (ESRCH), even once its slot is reused.
 * 0 is never a valid handle. */
typedef uint64_t weft_t;

/* A group id (Codezero's tgid): the id of the thread that started it.
 * Group 0 holds the runtime's own threads. */
typedef uint64_t weft_gid_t;

/* Priorities: higher runs first. Each has its own timeslice. */
#define WEFT_PRIO_MIN 0
#define WEFT_PRIO_MAX 31
#define WEFT_PRIO_DEFAULT 16

#define WEFT_STACK_DEFAULT (64u * 1024)   /* lazily committed, guarded */
#define WEFT_STACK_MIN (16u * 1024)       /* weft_attr_setstacksize */
#define WEFT_SMALL_STACK_MIN 2048u        /* weft_attr_setsmallstack */
#define WEFT_NAME_MAX 16                  /* with the terminating NUL */

/* Thread attributes. Treat as opaque: use the functions below. An all-zero
 * attribute is not valid; call weft_attr_init. */
typedef struct weft_attr {
    uint32_t magic;
    uint32_t flags;
    size_t stacksize;
    void *stackaddr;
    int priority;
    char name[WEFT_NAME_MAX];
    uint64_t reserved[4];
} weft_attr_t;

/* Attribute calls never switch or block; EINVAL for a NULL or uninitialised
 * attribute or an out-of-range value. */
int weft_attr_init(weft_attr_t *attr);
int weft_attr_destroy(weft_attr_t *attr);
/* Size of a stack weft allocates: >= WEFT_STACK_MIN, rounded up to pages. */
int weft_attr_setstacksize(weft_attr_t *attr, size_t size);
int weft_attr_getstacksize(const weft_attr_t *attr, size_t *size);
/* A small stack: at least WEFT_SMALL_STACK_MIN and less than WEFT_STACK_MIN
 * bytes, a multiple of 1024 (EINVAL otherwise): several share a page, no
 * guard page, a canary checked at every switch. Only for threads whose code
 * is known to be shallow. Sanitizer builds give such threads a
 * WEFT_STACK_MIN mapped stack instead (instrumented frames are larger). */
int weft_attr_setsmallstack(weft_attr_t *attr, size_t size);
/* A user-supplied stack (>= WEFT_SMALL_STACK_MIN bytes, 16-byte aligned
 * base): weft never frees it and adds no guard page; it keeps a canary at
 * its low end. The memory must outlive the thread. */
int weft_attr_setstack(weft_attr_t *attr, void *addr, size_t size);
int weft_attr_getstack(const weft_attr_t *attr, void **addr, size_t *size);
int weft_attr_setdetached(weft_attr_t *attr, int detached);
int weft_attr_getdetached(const weft_attr_t *attr, int *detached);
int weft_attr_setpriority(weft_attr_t *attr, int prio);
int weft_attr_getpriority(const weft_attr_t *attr, int *prio);
/* Name shown in dumps; longer names are cut to WEFT_NAME_MAX - 1. */
int weft_attr_setname(weft_attr_t *attr, const char *name);
/* Nonzero: the thread starts a new group whose parent is the creator's.
 * It counts in the new group only, not against the creator's group limit;
 * the new group starts with no limit (weft_group_setlimit). */
int weft_attr_setnewgroup(weft_attr_t *attr, int newgroup);
int weft_attr_getnewgroup(const weft_attr_t *attr, int *newgroup);

/* Thread-local storage (docs/tls.md).
 * WEFT_TLS_OWN: the thread has a TLS block and C library thread control
 *   block of its own, installed at every switch to it: __thread and C++
 *   thread_local variables, errno, the locale and libc's per-thread caches
 *   stay with it across switches and vCPUs. Costs ~4 KiB per thread
 *   (kept with its record for the next thread) and a few ns per switch.
 * WEFT_TLS_SHARED: it uses the TLS of the vCPU that runs it; a switch
 *   saves and restores errno only.
 * WEFT_TLS_DEFAULT: the program's choice (weft_config_t.tls). */
#define WEFT_TLS_DEFAULT 0
#define WEFT_TLS_SHARED 1
#define WEFT_TLS_OWN 2
int weft_attr_settls(weft_attr_t *attr, int mode);
int weft_attr_gettls(const weft_attr_t *attr, int *mode);

/* Create a thread running fn(arg). attr may be NULL. Never switches; the
 * new thread is queued on the creator's vCPU.
 * EAGAIN: the group's live-thread limit or memory for a stack is exhausted.
 * EINVAL: bad attribute or fn == NULL. ENOTSUP: WEFT_TLS_OWN asked for
 * where weft_tls_supported() is 0. */
int weft_create(weft_t *thread, const weft_attr_t *attr,
                void *(*fn)(void *), void *arg);
/* Wait for a joinable thread to end; *result gets its return value
 * (WEFT_CANCELED for a cancelled thread). A cancellation point.
 * May switch (or block the host thread of a bound caller).
 * ESRCH: no such thread (gone, or already joined). EINVAL: detached, a
 * bound thread, or another thread is already joining it. EDEADLK: joining
 * yourself, or a thread that is joining you. */
int weft_join(weft_t thread, void **result);
/* ESRCH / EINVAL (already detached, or a bound thread) as for join. */
int weft_detach(weft_t thread);
/* End the calling thread with result, after its cleanup handlers and key
 * destructors. From a bound thread: pthread_exit after them. */
__attribute__((__noreturn__)) void weft_exit(void *result); /* C and C++ */
/* The calling thread's handle (adopts a foreign host thread). */
weft_t weft_self(void);
/* Nonzero when both handles name the same thread. */
int weft_equal(weft_t a, weft_t b);
/* Thread id: unique for the life of the process, never reused. ESRCH. */
int weft_getid(weft_t thread, uint64_t *id);
/* Let other runnable threads of the vCPU run; always returns 0. May switch.
 * From a bound thread: sched_yield of the host thread. */
int weft_yield(void);
/* ESRCH for a gone thread; setname: ERANGE if name is too long (nothing
 * is changed); getname: ERANGE if len is too small. */
int weft_setname(weft_t thread, const char *name);
int weft_getname(weft_t thread, char *buf, size_t len);
/* Priority of a live thread: a queued thread moves at once, a running or
 * blocked one takes it when it is next queued.
 * EINVAL: out of range. ESRCH: gone. */
int weft_setpriority(weft_t thread, int prio);
int weft_getpriority(weft_t thread, int *prio);

/* Sleep for at least nsec nanoseconds (CLOCK_MONOTONIC). Parks only the
 * calling weft thread (a bound thread: its host thread). A cancellation
 * point. Returns 0, or EINTR when a signal handler ran (weft/signal.h).
 * May switch. */
int weft_sleep(uint64_t nsec);
/* The same, POSIX-shaped: EINVAL for a bad timespec; EINTR when a signal
 * handler ran; rem (may be NULL) gets the time left, zero unless the sleep
 * was interrupted. */
struct timespec;
int weft_nanosleep(const struct timespec *req, struct timespec *rem);
/* Monotonic clock in nanoseconds, the one timers use. Never blocks. */
uint64_t weft_now(void);

/* ---- cancellation (deferred, as pthreads) ----
 * weft_cancel asks a thread to end. It acts when the thread reaches a
 * cancellation point with cancellation enabled: weft_join, weft_sleep,
 * weft_nanosleep, weft_testcancel and the waits in weft/sync.h that say so
 * (condvar waits, semaphore waits, timed mutex and rwlock locks); a thread
 * blocked in one is woken. The thread then runs its cleanup handlers
 * (innermost first) and its key destructors and ends as by
 * weft_exit(WEFT_CANCELED), so a join returns WEFT_CANCELED.
 * With WEFT_CANCEL_ASYNCHRONOUS, the cancel acts at the next safe point of
 * any kind: any wait or yield, or, where preemption is asynchronous
 * (weft/preempt.h), the next point in the program's own code that the
 * preemption tick finds safe, within a tick or so even in a thread that
 * never calls weft. Never inside libc or weft. */
#define WEFT_CANCELED ((void *)-1)
enum { WEFT_CANCEL_ENABLE = 0, WEFT_CANCEL_DISABLE = 1 };
enum { WEFT_CANCEL_DEFERRED = 0, WEFT_CANCEL_ASYNCHRONOUS = 1 };

/* Request cancellation. Never switches, never blocks; 0 also for a thread
 * that has already ended but is not joined yet. ESRCH: no such thread.
 * EPERM: one of the runtime's own threads. Callable from any host thread. */
int weft_cancel(weft_t thread);
/* The calling thread's state/type; old may be NULL. EINVAL: bad value.
 * Enabling cancellation with a cancel pending under the asynchronous type
 * acts at once (does not return). */
int weft_setcancelstate(int state, int *old);
int weft_setcanceltype(int type, int *old);
/* A cancellation point: ends the thread if a cancel is pending and
 * enabled; also stops here while the thread is suspended. */
void weft_testcancel(void);

/* Cleanup handlers run, innermost first, when the thread is cancelled or
 * calls weft_exit (not when its function returns), and by
 * weft_cleanup_pop(1). weft_cleanup_push and weft_cleanup_pop are macros
 * that open and close a block: use them in pairs in one scope. */
typedef struct weft_cleanup {
    void (*fn)(void *);
    void *arg;
    struct weft_cleanup *prev;
} weft_cleanup_t;
void weft_cleanup_push_frame(weft_cleanup_t *frame, void (*fn)(void *), void *arg);
void weft_cleanup_pop_frame(weft_cleanup_t *frame, int execute);
#define weft_cleanup_push(fn, arg)                                            \
    do {                                                                      \
        weft_cleanup_t weft_cleanup_frame_;                                   \
        weft_cleanup_push_frame(&weft_cleanup_frame_, (fn), (arg));
#define weft_cleanup_pop(execute)                                             \
        weft_cleanup_pop_frame(&weft_cleanup_frame_, (execute));              \
    } while (0)

/* ---- suspend and resume (Codezero's safe points) ----
 * weft_suspend stops a thread at its next safe point: a wait (a wait in
 * progress is interrupted: the thread leaves it, stays stopped, and then
 * waits again; a sleep then sleeps only the time it had left, a timed wait
 * keeps its absolute deadline), a yield, or its first instruction if it
 * has not run yet. A running thread runs on until it reaches one, or,
 * where preemption is asynchronous (weft/preempt.h), until the tick finds
 * it at a safe point in the program's own code (within a tick). Suspends
 * nest: the thread continues after as many weft_resume calls. A thread may
 * suspend itself (the call returns once another thread resumes it).
 * A suspended thread shows in dumps as blocked on "suspended". Neither
 * call blocks the caller (but a self-suspend does); both may be called
 * from any host thread.
 * ESRCH: no such thread, or it has ended. EPERM: one of the runtime's own
 * threads. EAGAIN: suspend count at INT_MAX. weft_resume: EINVAL if the
 * thread is not suspended. */
int weft_suspend(weft_t thread);
int weft_resume(weft_t thread);

/* ---- groups ---- */
typedef struct weft_group_info {
    weft_gid_t gid;
    weft_gid_t parent;      /* 0 for the first user group and for group 0 */
    unsigned long nthreads; /* live (not yet joined or detached-and-ended) */
    unsigned long limit;    /* cap on nthreads; creation beyond it: EAGAIN */
} weft_group_info_t;

/* The calling thread's group. */
weft_gid_t weft_group_self(void);
/* ESRCH for a gone thread. */
int weft_group_of(weft_t thread, weft_gid_t *gid);
/* ESRCH: no such group (all its threads gone). */
int weft_group_info(weft_gid_t gid, weft_group_info_t *info);
/* EINVAL: limit 0, or group 0. ESRCH: no such group. */
int weft_group_setlimit(weft_gid_t gid, unsigned long limit);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
