/* thread.h - struct wf_thread: one execution context. Resources that
 * threads share (limits, parent) live in the group (Lunaix's split). */
#ifndef WF_THREAD_H
#define WF_THREAD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/spinlock.h"
#include "core/stack.h"
#include "core/timer.h"
#include "weft/thread.h"

/* States. A thread is in exactly one; transitions are in sched.c. */
enum wf_state {
    WF_FREE = 0,  /* slot unused */
    WF_RUNNABLE,  /* in a run queue */
    WF_RUNNING,   /* on a vCPU, or a bound thread outside a wait */
    WF_BLOCKED,   /* waiting: wait_lock, wchan say on what */
    WF_EXITED,    /* ended, result kept until joined */
};

/* Why a wait ended. */
enum { WF_WAKE_NONE, WF_WAKE_SIGNALED, WF_WAKE_TIMEDOUT,
       WF_WAKE_INTERRUPTED /* a suspend, cancel or signal is pending (intr.h) */ };

enum {
    WF_TF_BOUND = 1,    /* an adopted host thread: never switched, never queued */
    WF_TF_DAEMON = 2,   /* runtime's own (group 0), ignored by the deadlock check */
    WF_TF_IDLE = 4,     /* a vCPU's scheduler context */
};

struct wf_vcpu;
struct wf_group;
struct wf_waitq;
struct wf_rq;
struct wf_prio_array;

struct wf_thread {
    /* Saved stack pointer while not running. Offset 0: switch callers and
     * the gdb script rely on it. Written only by the thread itself. */
    void *sp;
    /* vCPU it runs on, or ran on last; NULL for bound threads. Written by
     * the vCPU that switches to it. */
    struct wf_vcpu *vcpu;
    /* Run queue link: under the run queue's lock. */
    struct wf_thread *rq_next;
    /* The queue and array holding it, NULL while in none: set and cleared
     * under that queue's lock, read by weft_setpriority to find it. */
    struct wf_rq *_Atomic rq_on;
    struct wf_prio_array *rq_arr;
    atomic_int state;             /* enum wf_state; futex word for bound threads */
    uint8_t prio;                 /* WEFT_PRIO_*; written under the lock of the
                                     queue that holds or receives it */
    uint8_t flags;                /* WF_TF_*; fixed at creation */
    uint8_t in_expired;           /* queued on the expired array */
    uint8_t rq_lifo;              /* queued at a FIFO's head (rq.h); under its rq lock */
    uint8_t detached;             /* under join_lock */
    uint8_t named;                /* name[] was set; else "weft-<id>" */
    uint8_t bound_counted;        /* bound, blocked, uncounted in bound_running;
                                     under its wait lock */
    uint32_t slice_start;         /* jiffy its timeslice began; owner only */
    int saved_errno;              /* errno while switched out */
    atomic_int prio_want;         /* weft_setpriority's value, taken into prio
                                     when the thread is next queued */
    uint32_t slot;                /* index in the thread table; fixed */
    _Atomic uint32_t gen;         /* handle generation; bumped under join_lock */
    uint64_t id;                  /* never reused */
    struct wf_group *group;

    /* The current wait. wait_lock is held by whoever changes state from or to
     * BLOCKED; wchan_kind/wchan are for dumps and debuggers. A requeue
     * (condvar to mutex) changes wait_lock of a blocked thread while holding
     * both the old and the new lock: others lock it with wf_wait_lock(). */
    wf_spinlock_t *_Atomic wait_lock;
    const char *_Atomic wchan_kind;
    const void *wchan;
    struct wf_waitq *wq;          /* queue it is on, under wq->lock */
    struct wf_thread *wq_next, *wq_prev;
    int wake_reason;              /* WF_WAKE_*, set by the waker */
    struct wf_timer timer;        /* timeouts and sleep */
    wf_spinlock_t sleep_lock;     /* wait lock of a plain sleep */

    /* Join: join_lock guards gen, detached, joiner, result and the move to
     * EXITED. An exiting thread holds it until it is off its stack. */
    wf_spinlock_t join_lock;
    struct wf_thread *joiner;
    void *result;

    /* Interruptible blocking (intr.c). intr_pending: WF_INTR_* bits, set by
     * weft_cancel and weft_suspend, acted on at safe points. intr_wait: the
     * wait lock while the thread is in an interruptible wait, else NULL;
     * intr_busy counts interrupters looking at that wait, and the thread
     * does not leave the wait while it is nonzero (so the lock stays valid). */
    atomic_uint intr_pending;
    wf_spinlock_t *_Atomic intr_wait;
    atomic_int intr_busy;
    int intr_flags;               /* WF_WAIT_* of the wait; under its wait lock */
    atomic_uchar cancel_mode;     /* WF_CANCEL_* bits; written by the owner */
    uint8_t suspend_parked;       /* stopped in a suspend; under intr_lock */
    int suspend_count;            /* under intr_lock */
    wf_spinlock_t intr_lock;      /* guards the two above; wait lock while stopped */
    struct weft_cleanup *cleanup; /* cleanup handlers, innermost first; owner only */

    struct wf_stack stack;
    void *(*fn)(void *);
    void *arg;
    struct wf_thread *free_next;  /* slot free list */
    int host_tid;                 /* bound threads: kernel tid */
    char name[WEFT_NAME_MAX];     /* written by setname; racy reads by dumps */
    void *specific;               /* thread-specific data (sync/key.c); own thread only */
    uint64_t io_timeout;          /* weft_io_timeout (src/io), ns, 0: none; own thread only */
    /* The pthread layer's record (src/posix): NULL until it needs one,
     * then kept with the slot for every later thread in it (the layer
     * tells a stale record by its thread id). */
    void *_Atomic posix;

    /* Thread-local storage (tls.c). tls: the thread pointer it runs with,
     * NULL to use its vCPU's (WEFT_TLS_SHARED); fixed while the thread
     * lives. tls_block: a block of its own, kept with the slot for every
     * later thread in it. tls_adopted: tls is not tls_block but a TCB the
     * thread took over (libweft-pthread's main). */
    void *tls;
    void *tls_block;
    uint8_t tls_adopted;

    /* Sanitizer fiber state (unused otherwise). */
    void *asan_fake_stack;
    void *tsan_fiber;

    /* Preemption (preempt.c). preempt_off: weft_preempt_disable nesting,
     * owner only (the tick handler reads it on the same host thread).
     * preempt_never: created with preemption off; fixed. (A request that
     * found no safe point waits in the vCPU: wf_vcpu.preempt_pending.) */
    unsigned preempt_off;
    uint8_t preempt_never;

    /* Signals (core/signal.c). Bit sig-1 of each set. sig_lock guards
     * sig_pending, sig_fromproc, sig_waitset, sig_info and writes of
     * sig_mask (written by the owner only; read racily by the dispatcher).
     * It is a leaf lock but for join_lock -> sig_lock (weft_kill). */
    _Atomic uint64_t sig_mask;
    _Atomic uint64_t sig_pending;
    uint64_t sig_fromproc;        /* pending ones the dispatcher gave */
    uint64_t sig_waitset;         /* the set while in sigwait, else 0 */
    void *sig_info;               /* siginfo_t[64], allocated on first use;
                                     kept with the slot */
    wf_spinlock_t sig_lock;
    uint8_t sig_dead;             /* exited: give it nothing more */

    /* I/O port (src/io): the descriptor whose O_NONBLOCK flag the drop-in
     * just read for this thread's current call (clear: blocking, or set by
     * the epoll backend), so the backend need not read it again: fd + 1, 0
     * none. Own thread only; read and cleared by the call it precedes. */
    int io_fd_checked;
};

/* Calls into the pthread layer (src/posix), set once by libweft-pthread;
 * NULL in plain libweft. unwind: when a cancellation acts, before
 * weft_exit(WEFT_CANCELED); it unwinds the thread's stack the way glibc
 * does (C++ destructors, glibc cleanup buffers) and ends the thread
 * itself, so it returns only if it could not. exit: after the key
 * destructors, only for a thread whose `posix` is set; it must check that
 * the record is the thread's own. */
struct wf_posix_hooks {
    void (*unwind)(struct wf_thread *self, void *result);
    void (*exit)(struct wf_thread *self);
};
extern const struct wf_posix_hooks *_Atomic wf_posix_hooks;

/* Handle <-> slot. */
static inline weft_t wf_handle(const struct wf_thread *t)
{
    return ((uint64_t)atomic_load_explicit(&((struct wf_thread *)t)->gen,
                                           memory_order_relaxed) << 32) | t->slot;
}

/* The thread record for slot, or NULL if the slot was never allocated.
 * Records are never freed, so the pointer stays valid; the caller checks
 * the generation under join_lock. */
struct wf_thread *wf_slot_get(weft_t h);
/* A free record (state FREE, gen already bumped), or NULL at the limit. */
struct wf_thread *wf_slot_alloc(void);
void wf_slot_free(struct wf_thread *t);
/* Call fn on every record ever allocated (for dumps and the deadlock
 * check); records may change underneath. */
void wf_slot_foreach(void (*fn)(struct wf_thread *, void *), void *arg);
/* A fresh thread id. */
uint64_t wf_id_next(void);

/* The calling thread's record, adopting a foreign host thread. */
struct wf_thread *wf_self(void);

/* Look up a handle: returns the record with join_lock held when the
 * handle is current, else NULL (ESRCH). */
struct wf_thread *wf_thread_lock_handle(weft_t h);

/* Abort with a message naming the thread (broken internal invariant). */
_Noreturn void wf_panic(const struct wf_thread *t, const char *fmt, ...);

/* Stack overflow: report and abort. */
_Noreturn void wf_stack_overflow(const struct wf_thread *t, const char *how);

const char *wf_state_name(int state);
/* weft_join with a deadline (absolute CLOCK_MONOTONIC ns; 0: none;
 * WF_JOIN_TRY: do not wait, EBUSY if the thread is still running).
 * ETIMEDOUT when it passes. */
#define WF_JOIN_TRY UINT64_MAX
int wf_join(weft_t h, void **result, uint64_t deadline);
/* Precondition: self is ending, its key destructors have run. Calls the
 * pthread layer's exit hook if it has a record. */
void wf_posix_exit(struct wf_thread *self);
/* The thread's name, or "weft-<id>" when it has none. */
void wf_thread_name(const struct wf_thread *t, char buf[WEFT_NAME_MAX]);

#endif
