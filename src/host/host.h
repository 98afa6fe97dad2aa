/* host.h - host operations (LKL's host_ops): the only code that talks to
 * the host OS. Threads, futex parking, the monotonic clock, memory for
 * stacks, and signal plumbing. Internal prefix: wf_host_. */
#ifndef WF_HOST_H
#define WF_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ---- clock ---- */
static inline uint64_t wf_host_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- futex parking (private futexes) ---- */
/* Sleep while *word == expected, until woken or deadline (absolute
 * CLOCK_MONOTONIC ns; 0 = none). Returns 0, or -ETIMEDOUT / -EAGAIN /
 * -EINTR. */
int wf_host_futex_wait(int *word, int expected, uint64_t deadline);
/* Wake up to n sleepers on word. */
void wf_host_futex_wake(int *word, int n);

/* ---- host threads ---- */
/* Start a detached host thread running fn(arg) with a small stack. 0 or
 * a positive errno. */
int wf_host_thread_start(void *(*fn)(void *), void *arg, const char *name);
/* The calling host thread's kernel tid. */
int wf_host_tid(void);
/* Bounds of the calling host thread's own stack. */
void wf_host_stack_bounds(void **lo, size_t *size);
/* Host threads in the process now, or -1 if unknown. */
long wf_host_thread_count(void);
/* Online CPUs (at least 1). */
int wf_host_ncpus(void);
/* Register fn to run (with the value given) when the calling host thread
 * exits; one per host thread. */
void wf_host_on_exit(void (*fn)(void *), void *value);

/* ---- memory ---- */
size_t wf_host_pagesize(void);
/* Reserve size bytes, read-write, committed lazily. NULL on failure. */
void *wf_host_map(size_t size);
void wf_host_unmap(void *p, size_t size);
/* Make [p, p+size) inaccessible (a guard). 0 or -errno. */
int wf_host_guard(void *p, size_t size);
/* Give the pages back (contents become zero on next touch). */
void wf_host_release(void *p, size_t size);
/* vm.max_map_count, or 65530 if unreadable. */
long wf_host_max_map_count(void);

/* ---- signals ---- */
/* Install the fault handler on an alternate stack for this host thread
 * (call once per vCPU host thread); handler(addr) returns only if the
 * fault is not weft's business. */
void wf_host_fault_init(void (*handler)(void *addr));
void wf_host_fault_thread_init(void);
/* libc's own sigaction: the runtime's handlers (faults, stall, SIGQUIT,
 * the preemption tick) must never go through the drop-in's sigaction. */
struct sigaction;
int wf_host_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

#endif
