/* weft/runtime.h - starting the runtime, vCPUs, dumps and counters. */
#ifndef WEFT_RUNTIME_H
#define WEFT_RUNTIME_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* What happens when every thread is blocked and nothing could wake one:
 * no runnable thread, no armed timer, no adopted host thread outside a wait.
 * A host thread that has never called weft could still wake someone (its
 * first weft call adopts it), so while the process has such threads
 * (counted in /proc/self/status) no deadlock is reported. */
enum weft_deadlock_mode {
    WEFT_DEADLOCK_ABORT = 0, /* dump all threads to stderr and abort */
    WEFT_DEADLOCK_REPORT,    /* dump, then keep waiting */
    WEFT_DEADLOCK_IGNORE,
};

/* Runtime configuration. A nonzero field wins over the environment; a zero
 * field takes the environment variable named beside it, or else the
 * default shown. WEFT_DEADLOCK_ABORT is 0, so a config asking for abort
 * still lets WEFT_DEADLOCK choose. */
typedef struct weft_config {
    int nvcpus;            /* WEFT_VCPUS: online CPUs */
    long guard_pages;      /* WEFT_GUARD_PAGES: vm.max_map_count / 4; -1: none */
    int deadlock;          /* WEFT_DEADLOCK=abort|report|ignore: abort */
    int tls;               /* what WEFT_TLS_DEFAULT means (weft/thread.h):
                              WEFT_TLS=own|shared: shared in libweft, own in
                              libweft-pthread (when supported) */
    int preempt;           /* WEFT_PREEMPT=0|1: on; WEFT_PREEMPT_ON or
                              WEFT_PREEMPT_OFF (weft/preempt.h) */
    int reserved[6];
} weft_config_t;

/* Start the runtime with cfg (NULL: defaults). Optional: the first weft
 * call starts it with defaults. EBUSY: already started. EINVAL: bad value.
 * ENOTSUP: cfg->tls is WEFT_TLS_OWN and this process cannot have it
 * (weft_tls_supported). */
int weft_init(const weft_config_t *cfg);
/* 1 if weft threads can have TLS of their own here (glibc 2.36 on x86_64,
 * not under ThreadSanitizer), else 0. Starts the runtime. */
int weft_tls_supported(void);
/* Number of vCPUs (starts the runtime). */
int weft_vcpu_count(void);
/* The vCPU the caller runs on, or -1 for a bound (adopted host) thread. */
int weft_vcpu_self(void);

/* Per-vCPU counters: monotonic, read without stopping anything. */
typedef struct weft_vcpu_stats {
    uint64_t switches;   /* thread switches on this vCPU */
    uint64_t steals;     /* threads this vCPU took from another's queue */
    uint64_t parks;      /* times it slept in the host kernel when idle */
    uint64_t wakeups;    /* threads it made runnable */
    uint64_t runnable;   /* threads in its run queue now */
} weft_vcpu_stats_t;

/* EINVAL: vcpu out of range. Kept as it is; weft_stats has every counter. */
int weft_vcpu_stats(int vcpu, weft_vcpu_stats_t *stats);

/* Every scheduler counter of one vCPU, or of all of them summed
 * (vcpu == WEFT_STATS_ALL). Always on: each counter is a plain per-vCPU
 * word written only by its own vCPU (no atomic read-modify-write, no
 * shared cache line), so counting costs a load and a store. Monotonic
 * except `runnable`, a snapshot. Read without stopping anything, so a sum
 * over vCPUs is not one instant. A per-vCPU breakdown: call it for
 * 0 .. weft_vcpu_count() - 1. New counters take from `reserved`, so the
 * struct keeps its size. */
#define WEFT_STATS_ALL (-1)
typedef struct weft_stats {
    uint64_t switches;     /* thread switches */
    uint64_t steals;       /* threads taken from another vCPU's queue */
    uint64_t parks;        /* sleeps in the host kernel when idle */
    uint64_t wakeups;      /* threads made runnable (woken or created) */
    uint64_t preemptions;  /* threads switched out by preemption (weft/preempt.h) */
    uint64_t io_submits;   /* I/O operations given to the backend (weft/io.h) */
    uint64_t io_completions; /* I/O completions collected by their threads */
    uint64_t offloads;     /* I/O operations run on the offload pool */
    uint64_t stalls;       /* stalls reported (WEFT_STALL_MS), 0 if off */
    uint64_t runnable;     /* threads in the run queue(s) now */
    uint64_t reserved[6];
} weft_stats_t;

/* EINVAL: stats is NULL, or vcpu is neither WEFT_STATS_ALL nor a vCPU
 * index. Never switches or blocks; any thread, even a foreign host thread
 * (it starts the runtime if needed); not from a signal handler before the
 * runtime has started. */
int weft_stats(int vcpu, weft_stats_t *stats);

/* The stall detector (off by default; docs/debugging.md). WEFT_STALL_MS=n
 * in the environment: a weft thread that holds its vCPU n ms without
 * switching is reported once to stderr with its id, name and backtrace,
 * and counted in weft_stats' `stalls`. It uses the signal below, sent to
 * the stalled vCPU's host thread and installed only when the detector is
 * on; like any handled signal it makes a nanosleep or poll in progress
 * there return EINTR. */
#define WEFT_STALL_SIGNAL (SIGRTMAX - 1)

/* Print every thread (id, name, group, state, wait channel, vCPU, priority,
 * stack used/size) and each vCPU's queues and counters. A snapshot taken
 * without stopping anyone: a thread may change state while it is printed.
 * Never switches; takes internal locks briefly, so not from a signal
 * handler. */
void weft_dump(FILE *out);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
