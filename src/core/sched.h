/* sched.h - switching, parking and waking (sched.c). */
#ifndef WF_SCHED_H
#define WF_SCHED_H

#include "core/thread.h"
#include "core/vcpu.h"

/* Precondition: self->state == WF_BLOCKED, self->wait_lock == lock, held.
 * Switches away (or, for a bound thread, sleeps in the kernel) until
 * wf_unpark; returns with lock released. May switch. */
void wf_park(struct wf_thread *self, wf_spinlock_t *lock);
/* Precondition: t->wait_lock held, t->state == WF_BLOCKED. Makes t
 * runnable with the reason given. Never switches. */
void wf_unpark(struct wf_thread *t, int reason);
/* wf_unpark, but t waits its turn at the tail of its queue even when the
 * waker runs on a vCPU (no next slot): for completions delivered in
 * batches (src/io), where the waker is no partner handing over. */
void wf_unpark_fifo(struct wf_thread *t, int reason);
/* Queue a new thread (state RUNNABLE) on the creator's vCPU, or spread
 * from a bound creator. */
void wf_sched_start(struct wf_thread *t);
/* The calling thread ends: self->join_lock held. Never returns. */
_Noreturn void wf_sched_exit(struct wf_thread *self);
/* Run the vCPU's scheduler loop on the calling host thread (never returns). */
_Noreturn void wf_vcpu_loop(struct wf_vcpu *v);
/* Wake one parked vCPU (not except) to steal, unless one is spinning. */
void wf_wake_one_idle(struct wf_vcpu *except);
/* Preemption at a safe point (preempt.c): self goes to its queue as by a
 * yield whose slice ended, unless nothing waits. May switch. */
void wf_sched_preempt(struct wf_thread *self);
/* First C code of a new thread (called from wf_arch_start). */
_Noreturn void wf_thread_entry(void);

#endif
