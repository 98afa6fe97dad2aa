/* weft/preempt.h - preemption at safe points (docs/preempt.md).
 *
 * A weft thread that keeps its vCPU past its timeslice while other
 * threads wait there (or while a higher-priority thread waits behind it)
 * is switched out, but only at a safe point: when the runtime's tick
 * lands in the program's own code, with preemption enabled for the
 * thread. Elsewhere (libc, the dynamic loader, weft itself, other shared
 * objects) the request is remembered and honoured when the thread next
 * enters the runtime (any switch, weft_preempt_enable, weft_spin_unlock).
 * A preempted thread is queued as by a yield whose timeslice ended, so
 * priorities and round robin keep ordering execution. */
#ifndef WEFT_PREEMPT_H
#define WEFT_PREEMPT_H

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* weft_config_t.preempt (weft/runtime.h) and weft_preempt_mode(). */
#define WEFT_PREEMPT_DEFAULT 0  /* config: WEFT_PREEMPT from the environment, else on */
#define WEFT_PREEMPT_ON 1       /* config: on (where the process allows it) */
#define WEFT_PREEMPT_OFF 2      /* config: off; mode: off */
#define WEFT_PREEMPT_DEFERRED 3 /* mode: requests honoured at runtime entries
                                   only (no tick signal: ThreadSanitizer,
                                   valgrind, weft in a fully static program) */
#define WEFT_PREEMPT_ASYNC 4    /* mode: the tick signal preempts at safe points */

/* The program-wide mode in effect: WEFT_PREEMPT_ASYNC, WEFT_PREEMPT_DEFERRED
 * or WEFT_PREEMPT_OFF. Starts the runtime. */
int weft_preempt_mode(void);

/* Critical sections: no preemption of the calling thread between a
 * disable and its matching enable. They nest (a count per thread, up to
 * 2^31 - 1: EOVERFLOW beyond). enable honours a request that arrived
 * meanwhile at once (it may switch). EPERM: enable without a disable
 * (nothing changes). Cheap (a load and a store): no system call. A bound
 * (adopted host) thread is never preempted; the count is kept anyway. */
int weft_preempt_disable(void);
int weft_preempt_enable(void);
/* 1 when the calling thread may be preempted now: the program-wide mode
 * is not off, its attribute allows it and no disable is in effect. */
int weft_preempt_enabled(void);

/* Per thread, at creation: on (1, the default) or off (0). A thread
 * created with 0 is never preempted (its requests are dropped). EINVAL:
 * a bad attribute or a value other than 0 or 1. */
struct weft_attr;
int weft_attr_setpreempt(struct weft_attr *attr, int on);
int weft_attr_getpreempt(const struct weft_attr *attr, int *on);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
