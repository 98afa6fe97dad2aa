/* fork.h - fork from weft threads (fork.c has the design). Internal. */
#ifndef WF_FORK_H
#define WF_FORK_H

#include "core/spinlock.h"

/* A forked child creates its first thread: start its vCPUs, timer daemon
 * and I/O backend (idempotent; wf_rt.fork_restart says it is needed). */
void wf_fork_restart(void);

/* The runtime's locks that fork holds across the system call, so that the
 * child never inherits one in the middle of another thread's update: the
 * allocators the child keeps using (each file exports its own). */
wf_spinlock_t *wf_keys_lock_for_fork(void);
wf_spinlock_t *wf_tls_lock_for_fork(void);
wf_spinlock_t *wf_group_lock_for_fork(void);
wf_spinlock_t *wf_slot_lock_for_fork(void);
wf_spinlock_t *wf_stack_lock_for_fork(void);

/* The child's resets of what it empties instead of keeping. */
void wf_slot_fork_child(void);    /* the free list: every FREE record */
struct wf_group;
void wf_group_fork_child(struct wf_group *self_group); /* live counts */
void wf_futex_fork_child(void);   /* every bucket empty */
void wf_deadlock_fork_child(void);
void wf_runtime_fork_restart(void); /* runtime.c: host threads again */


#endif
