/* fork.c - fork from weft threads: the runtime's own atfork handlers, the
 * child's rebuild, restarting its host threads on demand, weft_fork and
 * weft_atfork. docs/fork.md says what a program may rely on.
 *
 * ONE LIST OF HANDLERS, GLIBC'S
 * fork is glibc's (reached through wf_real_sym, past libweft-pthread's
 * own export): it runs the atfork handlers, takes malloc's and stdio's
 * locks, forks, and fixes its own thread list in the child. The runtime
 * registers its handlers there too, from a constructor that runs before
 * the program registers any: prepare handlers run in reverse order of
 * registration, so the runtime's runs last (after the program's, which may
 * still lock weft mutexes and park), and its child handler runs first (the
 * program's child handlers may already create threads). weft_atfork,
 * pthread_atfork and the __register_atfork that executables call (glibc's
 * libc_nonshared.a) all add to that list. So a plain fork() from a program
 * linked with libweft gets the same treatment as weft_fork().
 *
 * WHAT THE PARENT HOLDS ACROSS fork
 * The runtime's locks split in two kinds:
 *  - what the child keeps using - the thread table, the stack pool, the
 *    group registry, the TLS block list, the key table: prepare takes
 *    those locks (all leaves, in one fixed order), so no other vCPU is
 *    inside them at the instant of fork; the parent lets go after fork,
 *    the child finds them consistent and resets them to unlocked;
 *  - what the child empties - run queues, timer heaps, the futex table,
 *    the I/O port's buckets, rings, epoll sets, the offload queue, the
 *    deadlock checker's lock: every entry there belongs to a thread that
 *    does not exist in the child, so the child reinitialises them whole
 *    and never needs their locks. Not taking them keeps the parent's
 *    vCPUs running during the fork system call.
 * A waitqueue lock inside a synchronisation object of the program (a
 * mutex's, a condvar's) cannot be listed: one that another vCPU held
 * during the few instructions of the system call is inherited locked. The
 * object itself is then as POSIX leaves it - in the state another thread
 * had it - and the program's atfork handlers are the tool for that, as
 * with glibc.
 *
 * THE CHILD
 * The calling thread continues as a bound thread on the calling host
 * thread (as main is in a native program): blocking calls block that host
 * thread, which is the only one. It keeps its handle, id, name, stack and
 * TLS. With its own TLS (WEFT_TLS=own) its block is the thread glibc
 * knows in the child; glibc puts the old vCPU host thread's stack in its
 * cache, so the vCPU's scheduler context, which lived there, must never
 * run again: that is why the caller becomes bound instead of keeping its
 * vCPU. Every other record (weft threads, idle contexts, the daemon,
 * offload workers, adopted host threads) is freed: its handle dies, it
 * leaves its group, its stack goes back to the pool when the child
 * restarts (ghost_stacks: freeing writes into it), and if it was queued
 * on a waitqueue of the program it is unlinked so that an unlock in the
 * child never wakes a thread that is not there. Every vCPU is reset empty,
 * with no host thread; the first weft_create of the child starts them all,
 * the timer daemon and a new I/O backend (wf_fork_restart), so a child
 * that only execs pays for none of it.
 * Cost, documented: each vCPU's cache of free stacks (up to WF_VCPU_CACHE
 * each) is dropped - address space, no memory; the old scheduler stacks of
 * host threads that do not exist stay mapped.
 *
 * NOT HANDLED
 * - Operations the caller itself had in flight (weft_io_submit without a
 *   wait) do not complete in the child.
 * - _Fork (no handlers) and a raw clone leave a child without a runtime.
 * - The drop-in's leaf locks (special-mutex pool, default attributes) and
 *   the trace's host-event lock are not held across fork.
 *
 * REJECTED
 * - Raw clone instead of glibc's fork: glibc's fork also locks malloc and
 *   stdio and fixes its own thread list in the child; without it the
 *   child's malloc could be inherited locked.
 * - Keeping the caller on its vCPU in the child: with its own TLS, glibc
 *   recycles that vCPU's host stack (see above); bound works in both modes.
 * - Holding every run queue and timer lock across fork: the child empties
 *   them anyway, and holding them would stop the parent's vCPUs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fork.h"
#include "core/preempt.h"
#include "core/signal.h"
#include "core/group.h"
#include "core/runtime.h"
#include "core/stack.h"
#include "core/waitq.h"
#include "host/host.h"
#include "host/real.h"
#include "weft/process.h"

/* In fixed order; the parent lets go in reverse. */
static wf_spinlock_t *(*const held_locks[])(void) = {
    wf_keys_lock_for_fork, wf_tls_lock_for_fork, wf_group_lock_for_fork,
    wf_slot_lock_for_fork, wf_stack_lock_for_fork,
};
#define NHELD (sizeof held_locks / sizeof held_locks[0])

/* prepare took the locks in this fork (the runtime was running). Per host
 * thread pointer: two threads may fork at once, the locks serialise them,
 * and each must know whether it holds them. */
static __thread int armed;

/* A libc function looked up once (racing lookups find the same). */
static void *lookup(void *_Atomic *cache, const char *name)
{
    void *p = atomic_load_explicit(cache, memory_order_acquire);
    if (!p) {
        p = wf_real_sym(name);
        atomic_store_explicit(cache, p, memory_order_release);
    }
    return p;
}

typedef int register_fn(void (*)(void), void (*)(void), void (*)(void), void *);

static register_fn *real_register_atfork(void)
{
    static void *_Atomic cache;
    return (register_fn *)lookup(&cache, "__register_atfork");
}

static void prepare(void)
{
    /* A runtime that is starting: let it finish, the child gets it whole. */
    while (atomic_load_explicit(&wf_rt.started, memory_order_acquire) == 1)
        wf_host_yield();
    armed = atomic_load_explicit(&wf_rt.started, memory_order_acquire) == 2;
    if (!armed)
        return;
    /* A tick between here and the system call must not move the caller
     * to another vCPU while it holds these spinlocks: no preemption until
     * parent() (the child's caller is bound: no tick; child() drops it). */
    wf_preempt_off();
    for (size_t i = 0; i < NHELD; i++)
        wf_spin_lock(held_locks[i]());
}

static void parent(void)
{
    if (!armed)
        return;
    armed = 0;
    for (size_t i = NHELD; i-- > 0;)
        wf_spin_unlock(held_locks[i]());
    wf_preempt_on(); /* may honour a request that came meanwhile */
}

/* The caller continues on its host thread as a bound thread. */
static void become_bound(struct wf_thread *self)
{
    self->flags = (uint8_t)((self->flags | WF_TF_BOUND) & ~WF_TF_IDLE);
    self->vcpu = NULL;
    self->host_tid = wf_host_tid();
    self->joiner = NULL; /* a joiner from the parent is not here */
    self->bound_counted = 0;
    atomic_store_explicit(&self->intr_busy, 0, memory_order_relaxed);
    atomic_store_explicit(&self->rq_on, NULL, memory_order_relaxed);
    atomic_store_explicit(&self->state, WF_RUNNING, memory_order_relaxed);
}

/* The stacks of the threads that are not in the child. Freeing one writes
 * into it (the pool's free list lives in the stacks), which in a child
 * copies a page of the parent's: 2 us a thread, most of a fork's cost
 * with thousands of threads. So they are only listed here, and freed when
 * the child first creates a thread (wf_fork_restart); a child that execs
 * never pays. Without memory for the list they are freed at once. */
static struct wf_stack *ghost_stacks;
static size_t nghost, ghost_cap;

static void keep_ghost_stack(const struct wf_stack *s)
{
    if (nghost == ghost_cap) {
        size_t cap = ghost_cap ? 2 * ghost_cap : 256;
        struct wf_stack *a = realloc(ghost_stacks, cap * sizeof *a);
        if (!a) {
            struct wf_stack copy = *s;
            wf_stack_free(&copy);
            return;
        }
        ghost_stacks = a;
        ghost_cap = cap;
    }
    ghost_stacks[nghost++] = *s;
}

static void free_ghost_stacks(void)
{
    for (size_t i = 0; i < nghost; i++)
        wf_stack_free(&ghost_stacks[i]);
    free(ghost_stacks);
    ghost_stacks = NULL;
    nghost = ghost_cap = 0;
}

/* A record of a thread that does not exist in the child: free it. */
static void forget(struct wf_thread *t, void *arg)
{
    struct wf_thread *self = arg;
    int state = atomic_load_explicit(&t->state, memory_order_relaxed);
    if (t == self || state == WF_FREE)
        return;
    /* Queued on a waitqueue of the program: unlink it, or an unlock in the
     * child would wake it onto a vCPU (the runtime's own tables are
     * emptied whole: fork_child). */
    if (state == WF_BLOCKED && t->wq)
        wf_waitq_remove(t->wq, t);
    /* An exited thread's stack was freed when it left it. The others go
     * back at the restart (ghost_stacks). */
    if (state != WF_EXITED && t->stack.kind != WF_STACK_HOST)
        keep_ghost_stack(&t->stack);
    atomic_fetch_add_explicit(&t->gen, 1, memory_order_relaxed);
    atomic_store_explicit(&t->state, WF_FREE, memory_order_relaxed);
    atomic_store_explicit(&t->join_lock.v, 0, memory_order_relaxed);
    atomic_store_explicit(&t->sleep_lock.v, 0, memory_order_relaxed);
    atomic_store_explicit(&t->intr_lock.v, 0, memory_order_relaxed);
    atomic_store_explicit(&t->rq_on, NULL, memory_order_relaxed);
    atomic_store_explicit(&t->timer.state, WF_TIMER_IDLE, memory_order_relaxed);
    t->timer.heap = NULL;
    t->joiner = NULL;
    t->wq = NULL;
    t->tsan_fiber = NULL; /* the sanitizer's threads are gone with it */
    wf_group_leave(t->group);
}

static void vcpu_reset(struct wf_vcpu *v)
{
    v->current = v->idle = NULL;
    v->unlock_wait = NULL;
    v->unlock_rq = NULL;
    v->dead = NULL;
    /* Their records are found again by wf_slot_fork_child; their stacks
     * are dropped (header: cost). */
    v->slot_cache = NULL;
    v->nslot_cache = 0;
    v->stack_cache = NULL;
    v->nstack_cache = 0;
    memset(&v->rq, 0, sizeof v->rq);
    wf_rq_init(&v->rq);
    atomic_store_explicit(&v->timers.lock.v, 0, memory_order_relaxed);
    v->timers.n = 0;
    atomic_store(&v->timers.next, UINT64_MAX);
    atomic_store(&v->parked, 0);
    atomic_store(&v->idling, 0);
    atomic_store(&v->starving, 0);
    atomic_store(&v->timer_jiffy, 0);
    v->daemon_switches = 0;
    v->host_tid = 0;
    /* Preemption's bookkeeping (preempt.c): no request is for the child. */
    v->pre_switches = 0;
    v->pre_since = v->pre_next = v->pre_tries = 0;
    atomic_store(&v->preempt_pending, 0);
    atomic_store(&v->intr_kick, 0);
}

static void child(void)
{
    if (!armed)
        return;
    armed = 0;
    for (size_t i = 0; i < NHELD; i++)
        atomic_store_explicit(&held_locks[i]()->v, 0, memory_order_relaxed);
    /* ghost_stacks may hold a list inherited from a parent that was itself
     * a child not yet restarted: still valid, those threads are not here
     * either; this child's ghosts are added to it. */
    struct wf_thread *self = wf_tls_self;
    if (self) {
        become_bound(self);
        if (self->preempt_off)
            self->preempt_off--; /* prepare's wf_preempt_off */
    }
    wf_slot_foreach(forget, self); /* before the tables they may be on are emptied */
    for (int i = 0; i < wf_rt.nvcpus; i++)
        vcpu_reset(&wf_rt.vcpus[i]);
    wf_slot_fork_child();
    wf_group_fork_child(self ? self->group : NULL);
    wf_futex_fork_child();
    wf_deadlock_fork_child();
    if (wf_io_hooks && wf_io_hooks->fork_child)
        wf_io_hooks->fork_child();
    atomic_store(&wf_rt.nidle, 0);
    atomic_store(&wf_rt.nparked, 0);
    atomic_store(&wf_rt.bound_running, self ? 1 : 0);
    atomic_store(&wf_rt.bound_alive, self ? 1 : 0);
    atomic_store(&wf_rt.daemon_word, 0);
    atomic_store(&wf_rt.fork_restart, 1);
    /* The signal state (signal.c, sigproc.c): the caller's mask stays,
     * pending sets empty, the dispatcher restarts when needed. */
    wf_signal_atfork_child();
}

/* Before any handler of the program (header: order). */
/* glibc's own, linked directly: the fallback where dlsym finds nothing
 * (a fully static program). A strong reference: a weak one would not
 * pull it out of libc.a. */
extern int __register_atfork(void (*)(void), void (*)(void), void (*)(void), void *);

__attribute__((constructor(101))) static void register_handlers(void)
{
    register_fn *reg = real_register_atfork();
    if (!reg)
        reg = __register_atfork;
    if (!reg || reg(prepare, parent, child, NULL))
        wf_panic(NULL, "cannot register the runtime's fork handlers");
}

void wf_fork_restart(void)
{
    int expect = 1;
    if (atomic_compare_exchange_strong(&wf_rt.fork_restart, &expect, 2)) {
        free_ghost_stacks();
        wf_runtime_fork_restart();
        atomic_store_explicit(&wf_rt.fork_restart, 0, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&wf_rt.fork_restart, memory_order_acquire))
        wf_host_yield();
}

pid_t weft_fork(void)
{
    static void *_Atomic cache;
    pid_t (*real_fork)(void) = (pid_t(*)(void))lookup(&cache, "fork");
    if (!real_fork) {
        errno = ENOSYS;
        return -1;
    }
    return real_fork();
}

int weft_atfork(void (*prepare_fn)(void), void (*parent_fn)(void), void (*child_fn)(void))
{
    register_fn *reg = real_register_atfork();
    return reg ? reg(prepare_fn, parent_fn, child_fn, NULL) : ENOMEM;
}
