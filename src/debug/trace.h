/* trace.h - scheduling trace (WEFT_TRACE=path.json, trace.c): the hooks the
 * scheduler calls. Internal prefix: wf_trace_.
 *
 * Off, each hook is one load of a global flag and a branch predicted not
 * taken (x86: a plain mov; an acquire load costs nothing more there). */
#ifndef WF_TRACE_H
#define WF_TRACE_H

#include <stdatomic.h>

struct wf_vcpu;
struct wf_thread;

/* 1 while recording. Set (release) once the buffers exist, cleared at exit
 * before they are written out. */
extern atomic_int wf_trace_on;

static inline int wf_trace_enabled(void)
{
    /* Acquire: the buffers set up before the flag are visible. */
    return __builtin_expect(atomic_load_explicit(&wf_trace_on, memory_order_acquire), 0);
}

/* Called by v's host thread in switch_to, before the switch: self's slice
 * ends (dying: it exited), next's begins. */
void wf_trace_switch(struct wf_vcpu *v, struct wf_thread *self, struct wf_thread *next,
                     int dying);
/* t was made runnable on vCPU `onto` (woken or created), by the caller. */
void wf_trace_wake(struct wf_vcpu *onto, struct wf_thread *t);
/* v took n threads from vCPU `from`'s queue. */
void wf_trace_steal(struct wf_vcpu *v, struct wf_vcpu *from, unsigned n);

/* Reads WEFT_TRACE; called by wf_debug_start once the vCPUs are up. */
void wf_trace_start(void);

#endif
