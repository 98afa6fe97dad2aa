/* preempt.h - preemption at safe points, the runtime's side (preempt.c). */
#ifndef WF_PREEMPT_H
#define WF_PREEMPT_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/runtime.h"
#include "core/vcpu.h"
#include "weft/preempt.h"

/* WEFT_PREEMPT_OFF, _DEFERRED or _ASYNC; fixed after wf_preempt_init. */
extern int wf_preempt_mode;

/* Decide the mode (cfg: weft_config_t.preempt, then WEFT_PREEMPT) and
 * install the tick handler; in start(), before the vCPUs run. */
void wf_preempt_init(int cfg);
/* On a vCPU's host thread, before it runs weft threads. */
void wf_preempt_vcpu_start(struct wf_vcpu *v);
/* The timer daemon, each tick, for each busy vCPU: ask v to switch when
 * its thread has run past its slice while others wait (jiffy j). */
void wf_preempt_check(struct wf_vcpu *v, uint32_t j);
/* t runs on a vCPU and something is pending for it (intr.h: a signal, a
 * suspend, a cancel): tick its vCPU so that it acts on it at its next
 * safe point, within a tick, even if it never enters weft. A stale t (it
 * moved or stopped meanwhile) costs a spurious tick. Any thread. */
void wf_preempt_kick(struct wf_thread *t);
/* Honour a pending request (may switch); a runtime entry point calls it
 * when wf_preempt_due says so. */
void wf_preempt_honour(struct wf_thread *self);

static inline int wf_preempt_due(const struct wf_thread *self)
{
    struct wf_vcpu *v = self->vcpu;
    if (!v || self->preempt_off || self->preempt_never)
        return 0;
    uint64_t p = atomic_load_explicit(&v->preempt_pending, memory_order_relaxed);
    return p && p - 1 == atomic_load_explicit(&v->nswitches, memory_order_relaxed);
}

/* The runtime's own critical sections (weft_spin_lock): like
 * weft_preempt_disable/enable, on the calling weft thread if it is one,
 * and tolerant of an unmatched "on" (a lock taken before the thread was
 * adopted, or released by another thread). */
static inline void wf_preempt_off(void)
{
    struct wf_thread *t = wf_tls_self;
    if (t) {
        t->preempt_off++;
        atomic_signal_fence(memory_order_seq_cst);
    }
}

static inline void wf_preempt_on(void)
{
    struct wf_thread *t = wf_tls_self;
    if (t && t->preempt_off) {
        atomic_signal_fence(memory_order_seq_cst);
        if (--t->preempt_off == 0 && __builtin_expect(wf_preempt_due(t), 0))
            wf_preempt_honour(t);
    }
}

#endif
