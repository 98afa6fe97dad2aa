/* runtime.h - process-wide runtime state: configuration, the vCPUs, the
 * clock tick, the current thread pointer. */
#ifndef WF_RUNTIME_H
#define WF_RUNTIME_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/thread.h"
#include "core/vcpu.h"
#include "weft/runtime.h"

struct wf_runtime {
    atomic_int started;            /* 0, 1 = starting, 2 = running */
    int nvcpus;
    int deadlock_mode;
    long guard_pages;
    struct wf_vcpu *vcpus;         /* nvcpus of them, fixed after start */
    struct wf_group *group0;       /* the runtime's own threads */
    struct wf_group *root;         /* the first user group */
    _Atomic uint32_t jiffies;      /* 1 ms ticks from the timer daemon */
    atomic_int nidle;              /* vCPUs in their idle loop */
    atomic_int nparked;            /* vCPUs asleep in the kernel */
    atomic_int bound_running;      /* bound user threads not blocked in weft */
    atomic_int bound_alive;        /* adopted host threads not yet exited */
    atomic_int tsan_threads;       /* ThreadSanitizer's own host threads */
    atomic_int daemon_word;        /* futex word the timer daemon sleeps on */
    _Atomic uint64_t bound_wakes;  /* bound threads woken (deadlock check) */
    /* fork (core/fork.c): set in a forked child, whose vCPUs, timer daemon
     * and I/O backend are started again when it first creates a thread. */
    atomic_int fork_restart;
};

extern struct wf_runtime wf_rt;

/* The calling host thread's current weft thread (switched with it). Read
 * and written only as plain %fs-relative accesses, never through a cached
 * address: a weft thread may resume on another host thread. */
extern __thread struct wf_thread *wf_tls_self __attribute__((tls_model("initial-exec")));

/* Start the runtime if needed (idempotent, thread-safe). */
void wf_runtime_ensure(void);
static inline void wf_runtime_start_fast(void)
{
    if (__builtin_expect(atomic_load_explicit(&wf_rt.started, memory_order_acquire) != 2, 0))
        wf_runtime_ensure();
}

/* A bound record in group 0 for a runtime daemon on the calling host thread. */
struct wf_thread *wf_daemon_record(const char *name);
/* Timer daemon (group 0). */
void wf_daemon_start(void);
void wf_daemon_kick(void);

/* Deadlock check: run by the timer daemon whenever every vCPU is idle (a
 * bound thread that starts to wait kicks the daemon). */
void wf_deadlock_check(void);

/* The I/O port's hooks into the scheduler (src/io/port.c). Set once, by
 * a constructor of the port, before the runtime starts, and never changed:
 * a program that does not link the port has none, and its idle vCPUs
 * sleep on their futex as before. */
struct wf_io_hooks {
    void (*start)(int nvcpus);      /* in start(), before the vCPUs run */
    /* An idle vCPU sleeps in the backend until work, a kick or deadline
     * (0: none). -ETIMEDOUT when the deadline passed, else 0. */
    int (*idle_wait)(struct wf_vcpu *v, uint64_t deadline);
    void (*kick)(struct wf_vcpu *v); /* interrupt v's idle_wait */
    void (*poll)(struct wf_vcpu *v); /* pass v's queued submissions on, deliver
                                        its completions (any thread) */
    int (*busy)(void);              /* operations in flight (deadlock check) */
    int (*host_threads)(void);      /* host threads of its own (offload pool) */
    /* fork (core/fork.c): in the child, forget the parent's rings, epoll
     * sets, descriptor registrations and offload threads; start() makes
     * new ones when the child's vCPUs restart. */
    void (*fork_child)(void);
};
extern const struct wf_io_hooks *wf_io_hooks;

/* Milliseconds of timeslice for a priority. */
static inline uint32_t wf_slice_ticks(int prio)
{
    return 2 + (uint32_t)prio; /* 2 ms at priority 0 .. 33 ms at 31 */
}

#endif
