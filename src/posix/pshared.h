/* pshared.h - what the mutex and condvar files of the pthread layer
 * share: host-futex waits for process-shared objects (pshared.c), the
 * tags that tell a pthread_mutex_t / pthread_cond_t of the layer's own
 * kinds from a weft object, and the mutex calls cond.c needs.
 *
 * PROCESS-SHARED WAITS. A process-shared object lives in memory another
 * process maps, so its waiters cannot park on weft's queues (those hold
 * pointers into one process). They wait on the word with the host's
 * futex (FUTEX_WAIT without FUTEX_PRIVATE_FLAG, through wf_sys6, never
 * libc's syscall()), keyed by the physical page, so any process can wake
 * them. A bound thread (an adopted host thread) does that directly. A weft
 * thread must not block its vCPU in the kernel (the waker may be another
 * weft thread of the same vCPU), so it parks on weft's futex of the same
 * address instead and also wakes up now and then (100 us, doubling to
 * 4 ms) to look at the word: a waker of its own process wakes it at once
 * (wp_pshared_wake does both wakes), one in another process within a
 * few milliseconds. Both kinds also poll for a pending cancellation and,
 * for robust mutexes, for an owner process that died. */
#ifndef WP_PSHARED_H
#define WP_PSHARED_H

#include <stdint.h>

#include "posix/posix.h"

/* ---- tags (bits 16-31 of word 0, which weft never sets) ---- */
#define WP_TAG_MASK 0xffff0000u
#define WP_MTAG_SPECIAL 0x57a10000u /* private robust/PI/ceiling: entry at +8 */
#define WP_MTAG_PSHARED 0x57a20000u /* process-shared (struct wp_pmutex) */
#define WP_MTAG_DEAD 0x57a30000u    /* destroyed special or pshared: EINVAL */
/* Condvars: in the clock word (offset 28) of weft's condvar. */
#define WP_CTAG_PSHARED 0x57a40000u

/* ---- attribute words (glibc has no static attribute initializers, so
 * any encoding; an all-zero word is the default, as glibc accepts) ---- */
/* pthread_mutexattr_t: */
#define WP_MA_TYPE_MASK 3u          /* PTHREAD_MUTEX_NORMAL .. ADAPTIVE_NP */
#define WP_MA_PSHARED 4u
#define WP_MA_ROBUST 8u
#define WP_MA_PROTO_SHIFT 4         /* PTHREAD_PRIO_* */
#define WP_MA_PROTO_MASK (3u << 4)
#define WP_MA_CEIL_SHIFT 8          /* 0..99; 0 reads as 1, the FIFO minimum */
#define WP_MA_CEIL_MASK (0xffu << 8)
/* pthread_condattr_t: */
#define WP_CA_PSHARED 1u
#define WP_CA_CLOCK_SHIFT 1         /* CLOCK_REALTIME or CLOCK_MONOTONIC */
#define WP_CA_CLOCK_MASK (0xfu << 1)

static inline uint32_t wp_attr_word(const void *a)
{
    uint32_t v;
    __builtin_memcpy(&v, a, sizeof v);
    return v;
}

static inline void wp_attr_set(void *a, uint32_t v)
{
    __builtin_memcpy(a, &v, sizeof v);
}

/* Wait while *addr == val (see above). deadline: absolute CLOCK_MONOTONIC
 * ns, 0 for none. poll_ns: wake at least this often (0: only the slices
 * of a weft thread) so the caller can look around. cancel: return
 * ECANCELED when a cancel is pending and enabled (the caller acts on it
 * with wf_safe_point after putting things right). A pending suspend stops
 * the thread inside. Returns 0 (woken, changed, or a poll), ETIMEDOUT,
 * ECANCELED. May block the host thread (bound threads only). */
int wp_pshared_wait(_Atomic uint32_t *addr, uint32_t val, uint64_t deadline,
                    uint64_t poll_ns, int cancel);
/* Wake up to n waiters of addr in any process (and weft threads of this
 * one). */
void wp_pshared_wake(_Atomic uint32_t *addr, int n);
/* This thread's identity for a process-shared object: nonzero, unique
 * across live processes: pid << 42 | weft thread id (42 bits). */
uint64_t wp_pshared_self(void);
/* Is process pid gone? (kill(pid, 0) == ESRCH: a zombie not yet reaped
 * still counts as alive) */
int wp_pshared_pid_dead(uint32_t pid);

/* Let others run a moment (a yield of the right kind). */
void wp_pshared_pause(void);

/* A short lock in shared memory (process-shared condvars): spins, yields. */
void wp_pshared_lock(_Atomic uint32_t *l);
void wp_pshared_unlock(_Atomic uint32_t *l);

/* ---- mutex internals for cond.c ---- */
/* Is it a plain (weft) mutex, after converting a static kind? */
int wp_mutex_is_plain(pthread_mutex_t *m);
/* A private special mutex for wf_cond_wait_ext; fills x. 0, or EINVAL
 * (not a special mutex). */
struct wf_cond_ext;
int wp_mutex_ext(pthread_mutex_t *m, struct wf_cond_ext *x);
/* 0 if the caller holds m (any kind), else EPERM (EINVAL: bad mutex). */
int wp_mutex_owned(pthread_mutex_t *m);

#endif
