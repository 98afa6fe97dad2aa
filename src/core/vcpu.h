/* vcpu.h - a virtual CPU: a host thread that runs weft threads. */
#ifndef WF_VCPU_H
#define WF_VCPU_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/rq.h"
#include "core/thread.h"
#include "core/timer.h"

#define WF_VCPU_CACHE 64   /* stacks and slots kept per vCPU */

struct wf_vcpu {
    /* ---- owned by the vCPU's host thread ---- */
    int index;
    struct wf_thread *current;      /* running thread */
    struct wf_thread *idle;         /* the scheduler context (host stack) */
    /* Work handed to the next context after a switch (sched.c). */
    wf_spinlock_t *unlock_wait;     /* a wait lock the previous thread parked under */
    wf_spinlock_t *unlock_rq;       /* this vCPU's rq lock, held across the switch */
    struct wf_thread *dead;         /* exited thread to reap */
    int *errno_ptr;                 /* this host thread's errno */
    void *host_tp;                  /* this host thread's own thread pointer */
    void *cur_tp;                   /* the thread pointer installed now */
    struct wf_thread *slot_cache;   /* free thread records */
    unsigned nslot_cache;
    void *stack_cache;              /* free pooled stacks (stack.c) */
    unsigned nstack_cache;

    /* ---- shared ---- */
    struct wf_rq rq;                /* rq.lock */
    struct wf_timer_heap timers;    /* timers.lock */
    atomic_int parked;              /* futex word: 1 while asleep in the kernel */
    atomic_int idling;              /* in the idle loop (spinning or parked) */
    atomic_int starving;            /* set by the timer daemon: queue stuck */
    _Atomic uint32_t timer_jiffy;   /* jiffy of its last timer poll; owner writes */
    uint32_t daemon_switches;       /* timer daemon's last look at switches */
    int host_tid;

    /* Counters: written by the owner only (relaxed), read by anyone
     * (weft_stats). npreempts counts preemptions; nstalls is written by
     * the timer daemon only. I/O port (src/io): nio_submits counts
     * operations its threads gave a backend, noffloads those sent to the
     * offload pool, nio_completions completions its threads collected
     * (counted where the thread sees them, so the owner writes). */
    _Atomic uint64_t nswitches, nsteals, nparks, nwakeups;
    _Atomic uint64_t npreempts, nio_submits, nio_completions, noffloads;
    _Atomic uint64_t nstalls;

    /* Preemption (preempt.c). preempt_mask: the host thread's signal mask
     * when it started (the tick preempts only code running with it); set
     * once by the owner before it runs threads. The rest: the timer
     * daemon's own bookkeeping, written by the daemon only. */
    uint64_t preempt_mask;
    uint64_t pre_switches;          /* switch count last seen */
    uint32_t pre_since;             /* jiffy it last changed */
    uint32_t pre_next;              /* no new request before this jiffy */
    uint32_t pre_tries;             /* requests sent since the last switch */
    /* A request that found no safe point: 1 + the switch count it was
     * made at (so any switch since makes it stale, at no cost to the
     * switch), 0 for none. Set by the tick handler (on the owner) or the
     * timer daemon (deferred mode). */
    _Atomic uint64_t preempt_pending;
    /* Set by wf_preempt_kick before it sends the tick: the tick is for a
     * signal, suspend or cancel pending for the running thread (intr.h),
     * not a preemption; the trampoline's yield takes it (exchange). */
    atomic_int intr_kick;
} __attribute__((aligned(64)));

#endif
