/* mutex_impl.h - the insides of the pthread layer's mutexes, shared by
 * mutex.c (the calls, plain mutexes, thread exit), mutex_special.c
 * (private robust / PI / ceiling mutexes), mutex_pshared.c
 * (process-shared ones) and mutex_prio.c (priorities and the held list).
 * The design is at the top of mutex.c. */
#ifndef WP_MUTEX_IMPL_H
#define WP_MUTEX_IMPL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/waitq.h"
#include "posix/posix.h"
#include "posix/pshared.h"
#include "sync/mutex.h"

_Static_assert(sizeof(pthread_mutex_t) == 40, "glibc x86_64 pthread_mutex_t");
_Static_assert(sizeof(pthread_mutexattr_t) == 4, "glibc x86_64 pthread_mutexattr_t");
_Static_assert(sizeof(struct wf_mutex) <= sizeof(pthread_mutex_t), "weft mutex too big");

enum { RS_OK = 0, RS_OWNERDEAD = 1, RS_NOTREC = 2 }; /* robust states */
enum { M_LOCK, M_TRY, M_TIMED };                  /* lock modes */

/* A held-list link. In an entry: the pointer as is; in a process-shared
 * mutex: tagged with bit 0. */
struct wp_held {
    struct wp_held *next;
};

struct wp_mentry {
    struct wf_waitq wq;               /* lock guards all but `held` */
    pthread_mutex_t *mutex;           /* its object; NULL while free */
    int type;                         /* PTHREAD_MUTEX_NORMAL/RECURSIVE/ERRORCHECK */
    int robust;
    int protocol;                     /* PTHREAD_PRIO_* */
    int ceiling;                      /* POSIX priority 1..99 (PROTECT) */
    int rstate;                       /* R_* */
    struct wf_thread *_Atomic owner;  /* holder, NULL when free */
    _Atomic uint64_t owner_id;        /* holder's thread id */
    uint32_t count;                   /* recursive: locks beyond the first */
    struct wp_held held;              /* on the owner's list; owner only */
    struct wp_mentry *free_next;
};

/* Process-shared layout: no pointers another process could not use
 * (`held` is the owner process's own link, used only while it holds it).
 * `word` is taken with one 64-bit CAS that also writes the holder's pid,
 * so a holder process that dies right after taking it is still found
 * (waiters of a robust one check the pid every PS_ROBUST_POLL). Its low
 * half (little-endian: offset 8) is the futex word. */
struct wp_pmutex {
    uint32_t tag;               /* WP_MTAG_PSHARED | mutexattr word (low 16 bits) */
    uint32_t count;             /* recursive: locks beyond the first; owner only */
    _Atomic uint64_t word;      /* PW(state, pid): state 0 free, 1 held,
                                   2 held with waiters; pid of the holder */
    _Atomic uint64_t owner;     /* wp_pshared_self() of the holder, else 0 */
    uint32_t ceiling;           /* POSIX priority (PROTECT) */
    _Atomic uint32_t rstate;    /* RS_* */
    struct wp_held held;        /* offset 32 */
};
_Static_assert(sizeof(struct wp_pmutex) == 40, "pshared layout");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "futex word is word's low half");

#define PW(state, pid) ((uint64_t)(uint32_t)(pid) << 32 | (uint32_t)(state))
#define PW_STATE(w) ((uint32_t)(w))
#define PW_PID(w) ((uint32_t)((w) >> 32))

static inline _Atomic uint32_t *ps_futex(struct wp_pmutex *p)
{
    return (_Atomic uint32_t *)(void *)&p->word;
}

static inline uint32_t tag_of(pthread_mutex_t *m)
{
    return atomic_load_explicit(&((struct wf_mutex *)m)->state, memory_order_relaxed) &
           WP_TAG_MASK;
}

static inline struct wp_mentry **entry_slot(pthread_mutex_t *m)
{
    return (struct wp_mentry **)((char *)m + 8);
}

static inline struct wp_pmutex *P(pthread_mutex_t *m)
{
    return (struct wp_pmutex *)m;
}

static inline int cur_prio(struct wf_thread *t)
{
    return atomic_load_explicit(&t->prio_want, memory_order_relaxed);
}

static inline int held_is_pshared(struct wp_held *h)
{
    return (uintptr_t)h & 1;
}

static inline struct wp_held *held_ptr(struct wp_held *h)
{
    return (struct wp_held *)((uintptr_t)h & ~(uintptr_t)1);
}

static inline struct wp_mentry *held_entry(struct wp_held *h)
{
    return (struct wp_mentry *)((char *)h - offsetof(struct wp_mentry, held));
}

static inline struct wp_pmutex *held_pmutex(struct wp_held *h)
{
    return (struct wp_pmutex *)((char *)held_ptr(h) - offsetof(struct wp_pmutex, held));
}

static inline uint32_t ps_attr(struct wp_pmutex *p)
{
    return p->tag & ~WP_TAG_MASK;
}

static inline int ps_type(struct wp_pmutex *p)
{
    int t = (int)(ps_attr(p) & WP_MA_TYPE_MASK);
    return t == PTHREAD_MUTEX_ADAPTIVE_NP ? PTHREAD_MUTEX_NORMAL : t;
}

static inline int ps_proto(struct wp_pmutex *p)
{
    return (int)((ps_attr(p) & WP_MA_PROTO_MASK) >> WP_MA_PROTO_SHIFT);
}


/* ---- mutex_special.c ---- */
/* An entry from the pool (calloc'd when empty), or NULL. */
struct wp_mentry *wp_mentry_new(void);
void wp_mentry_free(struct wp_mentry *e);
/* The entry of a WP_MTAG_SPECIAL mutex, or NULL (destroyed, copied). */
struct wp_mentry *wp_mentry_of(pthread_mutex_t *m);
int wp_sp_lock(pthread_mutex_t *mu, struct wp_mentry *e, int mode, clockid_t clock,
               const struct timespec *ts);
/* all: release every recursion level (condvar wait); *count gets them. */
int wp_sp_unlock(struct wp_mentry *e, int all, uint32_t *count);
/* Release e held by the caller (count already 0). Precondition:
 * e->wq.lock held; returns with it released. */
void wp_sp_release_locked(struct wp_mentry *e);

/* ---- mutex_pshared.c ---- */
int wp_ps_lock(struct wp_pmutex *p, int mode, clockid_t clock, const struct timespec *ts);
/* all: release every recursion level (*count gets them). */
int wp_ps_unlock(struct wp_pmutex *p, int all, uint32_t *count);

/* ---- mutex_prio.c ---- */
/* Raise t (thread id id) to prio if lower, and whoever it waits for on a
 * PI mutex, transitively. */
void wp_pi_boost(struct wf_thread *t, uint64_t id, int prio);
/* The caller's priority from what it holds (see mutex.c). */
void wp_prio_update(struct wf_thread *self, struct wp_thread *r);
void wp_held_push(struct wp_thread *r, struct wp_held *h, int pshared);
void wp_held_remove(struct wp_thread *r, struct wp_held *h);
/* The caller's priority is above the ceiling (EINVAL for PROTECT). */
int wp_above_ceiling(struct wp_thread *r, int ceiling);

#endif
