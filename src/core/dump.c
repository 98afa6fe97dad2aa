/* dump.c - weft_dump: every thread and every vCPU, for people and for the
 * deadlock report. Reads other threads' fields without stopping them: a
 * snapshot, not a consistent cut. */
#include <stdio.h>

#include "core/group.h"
#include "core/runtime.h"
#include "core/sanitizer.h"
#include "core/stack.h"

static void wchan_str(const struct wf_thread *t, char *buf, size_t len)
{
    const char *kind = atomic_load_explicit(&((struct wf_thread *)t)->wchan_kind,
                                            memory_order_relaxed);
    int s = atomic_load_explicit(&((struct wf_thread *)t)->state, memory_order_relaxed);
    if (s != WF_BLOCKED || !kind) {
        snprintf(buf, len, "-");
        return;
    }
    const void *chan = t->wchan;
    if (chan && kind[0] == 'j') /* join: the channel is the joined thread */
        snprintf(buf, len, "join(thread %llu)",
                 (unsigned long long)((const struct wf_thread *)chan)->id);
    else if (chan)
        snprintf(buf, len, "%s(%p)", kind, chan);
    else
        snprintf(buf, len, "%s", kind);
}

static void dump_thread(struct wf_thread *t, void *arg)
{
    FILE *out = arg;
    int s = atomic_load_explicit(&t->state, memory_order_relaxed);
    if (s == WF_FREE)
        return;
    char wchan[64], vcpu[16], used[24], name[WEFT_NAME_MAX];
    wf_thread_name(t, name);
    wchan_str(t, wchan, sizeof wchan);
    if (t->flags & WF_TF_BOUND)
        snprintf(vcpu, sizeof vcpu, "bound");
    else if (t->vcpu)
        snprintf(vcpu, sizeof vcpu, "%d", t->vcpu->index);
    else
        snprintf(vcpu, sizeof vcpu, "-");
    if (t->stack.kind != WF_STACK_HOST && s != WF_RUNNING && s != WF_EXITED && t->sp)
        snprintf(used, sizeof used, "%zu", (size_t)(t->stack.lo + t->stack.size - (char *)t->sp));
    else
        snprintf(used, sizeof used, "-");
    fprintf(out, "%8llu  %-15.15s %6llu  %-8s %-22s %-5s %4d  %8s/%-8zu%s%s\n",
            (unsigned long long)t->id, name, (unsigned long long)t->group->gid,
            wf_state_name(s), wchan, vcpu, t->prio, used, t->stack.size,
            t->detached ? " detached" : "", t->tls ? " own-tls" : "");
}

void weft_dump(FILE *out)
{
    wf_runtime_start_fast();
    if (!out)
        return;
    struct wf_stack_stats st;
    wf_stack_stats(&st);
    fprintf(out, "weft: %d vCPUs, jiffies %u, stacks mapped %llu KiB, guard pages %llu of %ld\n",
            wf_rt.nvcpus, atomic_load(&wf_rt.jiffies),
            (unsigned long long)(st.mapped_bytes >> 10), (unsigned long long)st.guards_used,
            st.guard_budget);
    for (int i = 0; i < wf_rt.nvcpus; i++) {
        struct wf_vcpu *v = &wf_rt.vcpus[i];
        fprintf(out,
                "vCPU %d: %s, runnable %u, switches %llu, steals %llu, parks %llu, "
                "wakeups %llu, timers %s\n",
                i,
                atomic_load(&v->parked) ? "parked" : atomic_load(&v->idling) ? "idle" : "busy",
                wf_rq_nr(&v->rq), (unsigned long long)atomic_load(&v->nswitches),
                (unsigned long long)atomic_load(&v->nsteals),
                (unsigned long long)atomic_load(&v->nparks),
                (unsigned long long)atomic_load(&v->nwakeups),
                wf_timer_pending(&v->timers) ? "armed" : "none");
    }
    fprintf(out, "%8s  %-15s %6s  %-8s %-22s %-5s %4s  %17s\n", "id", "name", "group", "state",
            "wait channel", "vcpu", "prio", "stack used/size");
    /* A snapshot: records change underneath (see weft_dump in the header). */
    wf_san_racy_reads_begin();
    wf_slot_foreach(dump_thread, out);
    wf_san_racy_reads_end();
    fflush(out);
}
