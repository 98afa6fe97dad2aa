/* runtime.c - starting the runtime: configuration, vCPUs on host threads,
 * group 0, adopting foreign host threads as bound weft threads. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "arch/arch.h"
#include "core/group.h"
#include "core/intr.h"
#include "core/runtime.h"
#include "core/sanitizer.h"
#include "sync/key.h"
#include "core/sched.h"
#include "core/preempt.h"
#include "core/tls.h"
#include "debug/debug.h"
#include "host/host.h"
#include "host/sys.h"

struct wf_runtime wf_rt;
const struct wf_io_hooks *wf_io_hooks;

static atomic_int nready;          /* vCPUs and daemon registered in group 0 */
static uint64_t root_leader_id;   /* id kept for the first adopted thread */
static atomic_int root_leader_taken;

static long env_long(const char *name, long dflt)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return dflt;
    char *end;
    long v = strtol(s, &end, 10);
    return *end ? dflt : v;
}

static int env_deadlock(int dflt)
{
    const char *s = getenv("WEFT_DEADLOCK");
    if (!s)
        return dflt;
    if (!strcasecmp(s, "abort"))
        return WEFT_DEADLOCK_ABORT;
    if (!strcasecmp(s, "report"))
        return WEFT_DEADLOCK_REPORT;
    if (!strcasecmp(s, "ignore") || !strcmp(s, "0"))
        return WEFT_DEADLOCK_IGNORE;
    return dflt;
}

static int config_valid(const weft_config_t *c)
{
    return c->nvcpus >= 0 && c->nvcpus <= 1024 && c->guard_pages >= -1 &&
           c->deadlock >= WEFT_DEADLOCK_ABORT && c->deadlock <= WEFT_DEADLOCK_IGNORE &&
           c->tls >= WEFT_TLS_DEFAULT && c->tls <= WEFT_TLS_OWN &&
           c->preempt >= WEFT_PREEMPT_DEFAULT && c->preempt <= WEFT_PREEMPT_OFF;
}

/* A record for a runtime context that runs on a host stack. */
static struct wf_thread *host_record(struct wf_group *g, int flags, const char *name)
{
    struct wf_thread *t = wf_slot_alloc();
    if (!t)
        wf_panic(NULL, "no memory for the thread table");
    memset(&t->timer, 0, sizeof t->timer);
    t->id = wf_id_next();
    t->group = g;
    t->flags = (uint8_t)flags;
    t->prio = WEFT_PRIO_DEFAULT;
    atomic_store(&t->prio_want, WEFT_PRIO_DEFAULT);
    t->detached = 0;
    t->preempt_off = 0;
    t->preempt_never = 0;
    t->joiner = NULL;
    t->wq = NULL;
    atomic_store(&t->wchan_kind, NULL);
    wf_intr_init(t);
    t->io_timeout = 0;
    t->stack.kind = WF_STACK_HOST;
    void *lo;
    wf_host_stack_bounds(&lo, &t->stack.size);
    t->stack.lo = lo;
    t->stack.guarded = 0;
    t->stack.vg_id = 0;
    t->host_tid = wf_host_tid();
    t->tls = NULL; /* it runs with its host thread's */
    t->tls_adopted = 0;
    snprintf(t->name, WEFT_NAME_MAX, "%s", name);
    t->named = 1;
    wf_san_thread_host(t);
    wf_group_join(g);
    atomic_store_explicit(&t->state, WF_RUNNING, memory_order_release);
    return t;
}

struct wf_thread *wf_daemon_record(const char *name)
{
    struct wf_thread *t = host_record(wf_rt.group0, WF_TF_BOUND | WF_TF_DAEMON, name);
    t->vcpu = NULL;
    atomic_fetch_add(&nready, 1);
    return t;
}

static void *vcpu_main(void *arg)
{
    struct wf_vcpu *v = arg;
    char name[WEFT_NAME_MAX];
    snprintf(name, sizeof name, "idle/%d", v->index);
    wf_host_fault_thread_init();
    v->errno_ptr = &errno;
    v->host_tid = wf_host_tid();
    v->host_tp = v->cur_tp = wf_arch_tp();
    wf_preempt_vcpu_start(v);
    struct wf_thread *idle = host_record(wf_rt.group0, WF_TF_DAEMON | WF_TF_IDLE, name);
    idle->vcpu = v;
    v->idle = idle;
    v->current = idle;
    wf_tls_self = idle;
    atomic_fetch_add(&nready, 1);
    wf_vcpu_loop(v);
}

/* A weft thread ran into its guard page (called in the SIGSEGV handler). */
static void on_fault(void *addr)
{
    struct wf_thread *t = wf_tls_self;
    if (t && wf_stack_in_guard(&t->stack, addr))
        wf_stack_overflow(t, "it ran into the guard page below its stack");
}

/* The I/O backend, the vCPUs' host threads and the timer daemon: at
 * start, and again in a forked child (wf_runtime_fork_restart). */
static void start_host_threads(int nvcpus)
{
    if (wf_io_hooks)
        wf_io_hooks->start(nvcpus); /* before the vCPUs idle in it */
    for (int i = 0; i < nvcpus; i++) {
        char name[32];
        snprintf(name, 16, "weft-vcpu%u", (unsigned)i % 1000u);
        int rc = wf_host_thread_start(vcpu_main, &wf_rt.vcpus[i], name);
        if (rc)
            wf_panic(NULL, "cannot start vCPU host thread %d: %s", i, strerror(rc));
    }
    wf_daemon_start();
    /* Return with group 0 complete, so dumps and group 0's count are whole. */
    while (atomic_load(&nready) < nvcpus + 1)
        wf_host_yield();
}

/* A forked child (core/fork.c) reset every vCPU and freed the parent's
 * group 0 records: start them all again. */
void wf_runtime_fork_restart(void)
{
    atomic_store(&nready, 0);
    start_host_threads(wf_rt.nvcpus);
}

static int start(const weft_config_t *cfg)
{
    weft_config_t c = {0};
    if (cfg)
        c = *cfg;
    if (wf_tls_init(c.tls))
        return ENOTSUP;
    if (!c.nvcpus)
        c.nvcpus = (int)env_long("WEFT_VCPUS", wf_host_ncpus());
    if (c.nvcpus < 1)
        c.nvcpus = 1;
    if (!c.guard_pages)
        c.guard_pages = env_long("WEFT_GUARD_PAGES", 0);
    if (!cfg || !cfg->deadlock)
        c.deadlock = env_deadlock(c.deadlock);
    wf_rt.nvcpus = c.nvcpus;
    wf_rt.deadlock_mode = c.deadlock;
    wf_rt.guard_pages = c.guard_pages;
    wf_stack_init(c.guard_pages);
    wf_preempt_init(c.preempt);
    if (env_long("WEFT_SEGV_HANDLER", 1))
        wf_host_fault_init(on_fault);

    wf_rt.group0 = wf_group_new(0, NULL, 1);
    root_leader_id = wf_id_next();
    wf_rt.root = wf_group_new(root_leader_id, NULL, 1);
    wf_rt.vcpus = aligned_alloc(64, sizeof(struct wf_vcpu) * (size_t)c.nvcpus);
    if (!wf_rt.vcpus || !wf_rt.group0 || !wf_rt.root)
        wf_panic(NULL, "no memory to start the runtime");
    memset(wf_rt.vcpus, 0, sizeof(struct wf_vcpu) * (size_t)c.nvcpus);
    for (int i = 0; i < c.nvcpus; i++) {
        struct wf_vcpu *v = &wf_rt.vcpus[i];
        v->index = i;
        wf_rq_init(&v->rq);
        atomic_store(&v->timers.next, UINT64_MAX);
    }
    start_host_threads(c.nvcpus);
#ifdef WF_TSAN
    /* ThreadSanitizer runs background threads of its own (one, or two in a
     * forked child): count what is there besides the caller, the vCPUs and
     * the daemon, so the deadlock check does not take them for host threads
     * that could wake someone. A plain pthread started before weft is
     * counted with them: a TSan-only imprecision. */
    long extra = wf_host_thread_count() - c.nvcpus - 2;
    atomic_store(&wf_rt.tsan_threads, extra > 0 ? (int)extra : 0);
#endif
    wf_debug_start(); /* WEFT_SIGQUIT_DUMP, WEFT_DUMP_AT_EXIT (src/debug) */
    wf_tls_after_start();
    return 0;
}

int weft_init(const weft_config_t *cfg)
{
    if (cfg && !config_valid(cfg))
        return EINVAL;
    int expect = 0;
    if (!atomic_compare_exchange_strong(&wf_rt.started, &expect, 1))
        return EBUSY;
    if (start(cfg)) {
        atomic_store(&wf_rt.started, 0);
        return ENOTSUP;
    }
    atomic_store_explicit(&wf_rt.started, 2, memory_order_release);
    return 0;
}

void wf_runtime_ensure(void)
{
    int expect = 0;
    if (atomic_compare_exchange_strong(&wf_rt.started, &expect, 1)) {
        start(NULL);
        atomic_store_explicit(&wf_rt.started, 2, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&wf_rt.started, memory_order_acquire) != 2)
        wf_host_yield();
}

/* An adopted host thread ended: its record goes back. */
static void unadopt(void *arg)
{
    struct wf_thread *t = arg;
    /* A host thread that ends without weft_exit: its key destructors run
     * now, while it is still a weft thread (they may call weft). */
    wf_keys_exit(t);
    wf_posix_exit(t);
    atomic_fetch_sub(&wf_rt.bound_running, 1);
    atomic_fetch_sub(&wf_rt.bound_alive, 1);
    wf_spin_lock(&t->join_lock);
    atomic_fetch_add(&t->gen, 1);
    atomic_store(&t->state, WF_FREE);
    wf_spin_unlock(&t->join_lock);
    /* Its fiber is the host thread's own (wf_san_thread_host): the sanitizer
     * ends it with the thread, destroying it here would be a double free. */
    t->tsan_fiber = NULL;
    wf_group_leave(t->group);
    wf_slot_free(t);
    wf_tls_self = NULL;
}

static struct wf_thread *adopt(void)
{
    wf_runtime_ensure();
    int first = !atomic_exchange(&root_leader_taken, 1);
    int tid = wf_host_tid();
    char name[WEFT_NAME_MAX];
    if (tid == getpid())
        snprintf(name, sizeof name, "main");
    else
        snprintf(name, sizeof name, "host-%d", tid);
    struct wf_thread *t = host_record(wf_rt.root, WF_TF_BOUND, name);
    if (first)
        t->id = root_leader_id; /* the root group is named after its first thread */
    t->vcpu = NULL;
    atomic_store_explicit(&t->wait_lock, NULL, memory_order_relaxed);
    atomic_fetch_add(&wf_rt.bound_running, 1);
    atomic_fetch_add(&wf_rt.bound_alive, 1);
    wf_tls_self = t;
    wf_host_on_exit(unadopt, t);
    return t;
}

struct wf_thread *wf_self(void)
{
    struct wf_thread *t = wf_tls_self;
    if (__builtin_expect(t != NULL, 1))
        return t;
    return adopt();
}

int weft_vcpu_count(void)
{
    wf_runtime_start_fast();
    return wf_rt.nvcpus;
}

int weft_vcpu_self(void)
{
    struct wf_thread *t = wf_self();
    return (t->flags & WF_TF_BOUND) ? -1 : t->vcpu->index;
}

int weft_vcpu_stats(int i, weft_vcpu_stats_t *st)
{
    wf_runtime_start_fast();
    if (i < 0 || i >= wf_rt.nvcpus || !st)
        return EINVAL;
    struct wf_vcpu *v = &wf_rt.vcpus[i];
    st->switches = atomic_load_explicit(&v->nswitches, memory_order_relaxed);
    st->steals = atomic_load_explicit(&v->nsteals, memory_order_relaxed);
    st->parks = atomic_load_explicit(&v->nparks, memory_order_relaxed);
    st->wakeups = atomic_load_explicit(&v->nwakeups, memory_order_relaxed);
    st->runnable = wf_rq_nr(&v->rq);
    return 0;
}

static uint64_t load(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static void add_vcpu(weft_stats_t *st, struct wf_vcpu *v)
{
    st->switches += load(&v->nswitches);
    st->steals += load(&v->nsteals);
    st->parks += load(&v->nparks);
    st->wakeups += load(&v->nwakeups);
    st->preemptions += load(&v->npreempts);
    st->io_submits += load(&v->nio_submits);
    st->io_completions += load(&v->nio_completions);
    st->offloads += load(&v->noffloads);
    st->stalls += load(&v->nstalls);
    st->runnable += wf_rq_nr(&v->rq);
}

int weft_stats(int i, weft_stats_t *st)
{
    wf_runtime_start_fast();
    if (!st || i < WEFT_STATS_ALL || i >= wf_rt.nvcpus)
        return EINVAL;
    memset(st, 0, sizeof *st);
    for (int k = 0; k < wf_rt.nvcpus; k++)
        if (i == WEFT_STATS_ALL || i == k)
            add_vcpu(st, &wf_rt.vcpus[k]);
    return 0;
}

uint64_t weft_now(void)
{
    return wf_host_now();
}
