/* preempt.c - preemption at safe points (weft/preempt.h, docs/preempt.md).
 *
 * WHO DOES WHAT
 * - The tick source is the timer daemon (daemon.c), which already looks
 *   at every busy vCPU each millisecond. wf_preempt_check asks a vCPU to
 *   switch when it has not switched for its running thread's timeslice
 *   (wf_slice_ticks) while threads wait in its queue (counted from the
 *   later of its last switch and the moment someone queued), or at once
 *   when a higher-priority thread waits behind it. The request is a tgkill of
 *   libc's SIGRTMAX to the vCPU's host thread (async mode) or a flag
 *   (deferred mode). Nothing waits, nothing is sent: a CPU-bound program
 *   that never needs preemption pays one load per vCPU per tick.
 * - The handler (on_tick, on the vCPU's alternate stack) decides whether
 *   the interrupted point is safe: a weft thread (not a vCPU's idle
 *   context, a bound thread or a daemon), preemption enabled for it
 *   (weft_preempt_disable count 0, attribute on), the interrupted pc in
 *   the executable's own code but not in weft's (pc_safe), the signal mask
 *   the vCPU started with (not inside a handler of the program's), and
 *   room on the thread's own stack (it may be running on another stack).
 *   Unsafe: the vCPU's preempt_pending request is set and honoured at the
 *   next runtime entry (any switch makes it stale; weft_preempt_enable and
 *   weft_spin_unlock honour it), and the daemon asks again later, backing
 *   off (1, 2, 4 .. 64 ticks) while the thread stays unsafe, which keeps
 *   signals into raw blocking system calls rare (the EINTR caveat in
 *   docs/preempt.md).
 * - Safe: the handler does not switch there. It rewrites the interrupted
 *   context to "call" wf_preempt_trampoline (src/arch/x86_64/preempt.S)
 *   below the red zone, and returns. sigreturn restores this host
 *   thread's own mask and alternate stack; the trampoline, now in the
 *   thread's context, saves every register and the XSAVE state and calls
 *   wf_preempt_yield, a yield that counts a preemption (sched.c).
 *
 * REJECTED (measured or reasoned on this machine, Debian 12, 2 cores)
 * - Switching from inside the handler: sigreturn would then run on
 *   whichever host thread resumes the thread and restore the first one's
 *   signal mask and alternate stack (uc_stack) there; the kernel's signal
 *   frame (2.7 KB with AVX-512 state) would go on the thread's stack
 *   before any check, overflowing small stacks (2 KB allowed). The
 *   trampoline checks the room first and leaves sigreturn on its thread.
 * - A per-vCPU timer_create(SIGEV_THREAD_ID) tick: a signal every
 *   millisecond on every busy vCPU whether or not anyone waits (a signal
 *   sent, delivered to an empty SA_SIGINFO handler on the alternate stack
 *   and returned from costs 1.8-1.95 us here, measured with tgkill to
 *   self: ~0.2 % of every CPU-bound core at 1 kHz, against goal of 1 %
 *   for everything, plus the EINTR exposure of every raw blocking call),
 *   or re-arming it on every switch (a system call on the hot path). The
 *   daemon already runs each tick and sees the queues: its check costs
 *   ~0.003 % of the instructions of a CPU-bound run (callgrind).
 *
 * WHAT IS "THE PROGRAM'S CODE"
 * The executable's executable PT_LOAD segments (dl_iterate_phdr: the first
 * object listed), minus weft's own code when weft is linked statically:
 * the build renames the .text sections of libweft.a and libweft-pthread.a
 * to weft_text (CMakeLists.txt), so the linker brackets them with
 * __start_weft_text/__stop_weft_text. Every shared object (libc, ld.so,
 * the vDSO, libweft.so, libstdc++, libgcc_s, the sanitizer runtimes,
 * anything dlopen'ed) is unsafe: an unknown pc is never safe. Where the
 * executable is fully static (libc inside it) or holds weft's code without
 * the renamed section, the mode is deferred, never async.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/intr.h"
#include "core/preempt.h"
#include "core/runtime.h"
#include "core/sanitizer.h"
#include "core/sched.h"
#include "host/real.h"
#include "host/sys.h"
#ifdef WF_HAVE_VALGRIND
#include <valgrind/valgrind.h>
#endif

#define TICK_SIGNAL (wf_real()->libc_current_sigrtmax())
#define MAX_RANGES 8
#define BACKOFF_MAX_SHIFT 6 /* 64 ticks between requests at most */
#ifdef WF_ASAN
#define STACK_MARGIN 8192 /* instrumented frames of the yield path */
#else
#define STACK_MARGIN 2048
#endif

int wf_preempt_mode = WEFT_PREEMPT_OFF;
/* Bytes the trampoline reserves for XSAVE (CPUID leaf 0xD) plus 64 for
 * the alignment; read by preempt.S. */
long wf_preempt_xsave_size __attribute__((visibility("hidden")));

void wf_preempt_trampoline(void);
void wf_preempt_yield(void);

/* Defined by the linker only when weft's objects were linked statically
 * from the renamed archive (see above); 0 otherwise. */
extern const char __start_weft_text[] __attribute__((weak, visibility("hidden")));
extern const char __stop_weft_text[] __attribute__((weak, visibility("hidden")));

/* Written once by wf_preempt_init, before any tick; read by the handler. */
static struct range {
    uintptr_t lo, hi;
} safe[MAX_RANGES];
static int nsafe;
static uintptr_t weft_lo, weft_hi;
static int tick_signal;

static int in_range(uintptr_t pc, const struct range *r, int n)
{
    for (int i = 0; i < n; i++)
        if (pc >= r[i].lo && pc < r[i].hi)
            return 1;
    return 0;
}

static int pc_safe(uintptr_t pc)
{
    return in_range(pc, safe, nsafe) && !(pc >= weft_lo && pc < weft_hi);
}

/* ---- the handler ---- */

static int stack_room(const struct wf_thread *t, uintptr_t sp)
{
    uintptr_t lo = (uintptr_t)t->stack.lo;
    uintptr_t need = 136 + 96 + (uintptr_t)wf_preempt_xsave_size + STACK_MARGIN;
    return sp <= lo + t->stack.size && sp > lo && sp - lo > need;
}

/* Async-signal-safe: reads of records this host thread runs, and stores
 * into the interrupted context. No ASan checks: the word it writes lies
 * below the interrupted rsp, where stale poison of returned frames may lie. */
__attribute__((no_sanitize_address))
static void on_tick(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ctx;
    struct wf_thread *t = wf_tls_self;
    if (!t || (t->flags & (WF_TF_BOUND | WF_TF_IDLE | WF_TF_DAEMON)) || t->preempt_never)
        return;
    struct wf_vcpu *v = t->vcpu;
    if (!v || v->current != t)
        return; /* in the middle of a switch */
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    uint64_t mask;
    memcpy(&mask, &uc->uc_sigmask, sizeof mask); /* the kernel's 64 signals */
    if (t->preempt_off || !pc_safe(pc) || mask != v->preempt_mask || !stack_room(t, sp)) {
        atomic_store_explicit(&v->preempt_pending,
                              atomic_load_explicit(&v->nswitches, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        return;
    }
    sp -= 128 + 8;              /* below the red zone */
    *(uintptr_t *)sp = pc;      /* the trampoline's return address */
    uc->uc_mcontext.gregs[REG_RSP] = (greg_t)sp;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)wf_preempt_trampoline;
}

/* Called by the trampoline, in the preempted thread's own context. */
/* Called by the trampoline, in the interrupted thread's own context, at
 * a safe point: the program's own code, every register saved. A tick
 * that came from wf_preempt_kick (intr_kick) preempts only if the slice
 * has run out anyway; either way, what intr_pending holds (a signal's
 * handler, a suspend, an asynchronous cancel) is acted on here, so a
 * thread that never enters weft still gets its signals within a tick. */
void wf_preempt_yield(void)
{
    struct wf_thread *self = wf_tls_self;
    struct wf_vcpu *v = self->vcpu;
    if (!atomic_exchange_explicit(&v->intr_kick, 0, memory_order_relaxed) ||
        wf_preempt_due(self))
        wf_sched_preempt(self);
    if (wf_intr_any(self))
        wf_safe_point(0);
}

void wf_preempt_honour(struct wf_thread *self)
{
    if (self->flags & WF_TF_BOUND)
        return;
    wf_sched_preempt(self);
    if (wf_intr_any(self))
        wf_safe_point(0);
}

void wf_preempt_kick(struct wf_thread *t)
{
    if (wf_preempt_mode != WEFT_PREEMPT_ASYNC || (t->flags & (WF_TF_BOUND | WF_TF_IDLE | WF_TF_DAEMON)))
        return;
    /* Racy: t may move or stop meanwhile; vCPU records and their host
     * threads live as long as the process. */
    struct wf_vcpu *v = __atomic_load_n(&t->vcpu, __ATOMIC_RELAXED);
    if (!v || t == wf_tls_self)
        return;
    atomic_store_explicit(&v->intr_kick, 1, memory_order_relaxed);
    wf_sys3(SYS_tgkill, wf_sys3(SYS_getpid, 0, 0, 0), v->host_tid, tick_signal);
}

/* A running thread with a signal, suspend or asynchronous cancel pending
 * that did not reach a safe point since it was kicked (it was in libc, or
 * it was queued when the signal came and has run since without entering
 * weft): kick its vCPU again, with the same back-off as preemption. */
static void rekick(struct wf_vcpu *v, uint32_t j)
{
    struct wf_thread *cur = *(struct wf_thread *volatile *)&v->current;
    if (!cur || (cur->flags & (WF_TF_IDLE | WF_TF_BOUND | WF_TF_DAEMON)) ||
        (int32_t)(j - v->pre_next) < 0)
        return;
    unsigned pending = atomic_load_explicit(&cur->intr_pending, memory_order_relaxed);
    if (!pending || !wf_intr_stops(cur, pending, 0))
        return;
    unsigned shift = v->pre_tries < BACKOFF_MAX_SHIFT ? v->pre_tries : BACKOFF_MAX_SHIFT;
    v->pre_tries++;
    v->pre_next = j + (1u << shift);
    atomic_store_explicit(&v->intr_kick, 1, memory_order_relaxed);
    wf_sys3(SYS_tgkill, wf_sys3(SYS_getpid, 0, 0, 0), v->host_tid, tick_signal);
}

/* ---- the daemon's side ---- */

void wf_preempt_check(struct wf_vcpu *v, uint32_t j)
{
    if (wf_preempt_mode == WEFT_PREEMPT_OFF)
        return;
    if (wf_preempt_mode == WEFT_PREEMPT_ASYNC)
        rekick(v, j);
    uint64_t sw = atomic_load_explicit(&v->nswitches, memory_order_relaxed);
    if (sw != v->pre_switches) {
        v->pre_switches = sw;
        v->pre_since = j;
        v->pre_next = j;
        v->pre_tries = 0;
        return;
    }
    if (!wf_rq_nr(&v->rq)) {
        /* Alone on its vCPU, a thread is not running past a slice "while
         * others wait": its slice counts from when someone queues. */
        v->pre_since = j;
        return;
    }
    if ((int32_t)(j - v->pre_next) < 0)
        return;
    uint32_t slice;
    int higher = 0;
    if (wf_preempt_mode == WEFT_PREEMPT_ASYNC) {
        /* Racy reads of the owner's fields: a hint, checked again by the
         * handler and the yield. Records are never freed. */
        struct wf_thread *cur = *(struct wf_thread *volatile *)&v->current;
        if (!cur || (cur->flags & WF_TF_IDLE))
            return;
        int prio = *(volatile uint8_t *)&cur->prio;
        uint32_t bits = *(volatile uint32_t *)&v->rq.active->bitmap;
        struct wf_thread *next = *(struct wf_thread *volatile *)&v->rq.next;
        higher = (bits >> prio) > 1 || (next && *(volatile uint8_t *)&next->prio > prio);
        slice = wf_slice_ticks(prio);
    } else {
        /* ThreadSanitizer would see the reads above as races; requests
         * are only hints here: the default slice. */
        slice = wf_slice_ticks(WEFT_PRIO_DEFAULT);
    }
    if (j - v->pre_since < slice && !higher)
        return;
    unsigned shift = v->pre_tries < BACKOFF_MAX_SHIFT ? v->pre_tries : BACKOFF_MAX_SHIFT;
    v->pre_tries++;
    v->pre_next = j + (1u << shift);
    if (wf_preempt_mode == WEFT_PREEMPT_ASYNC)
        /* A vCPU's host thread lives as long as the process. */
        wf_sys3(SYS_tgkill, wf_sys3(SYS_getpid, 0, 0, 0), v->host_tid, tick_signal);
    else
        atomic_store_explicit(&v->preempt_pending, sw + 1, memory_order_relaxed);
}

/* ---- setup ---- */

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    int *objects = arg;
    if ((*objects)++ == 0) { /* the executable comes first */
        for (int i = 0; i < info->dlpi_phnum && nsafe < MAX_RANGES; i++) {
            const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
            if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
                safe[nsafe].lo = info->dlpi_addr + ph->p_vaddr;
                safe[nsafe].hi = safe[nsafe].lo + ph->p_memsz;
                nsafe++;
            }
        }
    } else if (!info->dlpi_name || !info->dlpi_name[0] ||
               strstr(info->dlpi_name, "linux-vdso")) {
        (*objects)--; /* the vDSO: not a sign of a dynamic libc */
    }
    return 0;
}

/* The safe ranges; 0 if async preemption can be trusted here. */
static int find_ranges(void)
{
    int objects = 0;
    nsafe = 0; /* idempotent: a runtime restarted in a forked child */
    weft_lo = weft_hi = 0;
    dl_iterate_phdr(phdr_cb, &objects);
    if (!nsafe || objects < 2)
        return -1; /* fully static: libc's code is the executable's */
    if (__start_weft_text && (uintptr_t)__stop_weft_text > (uintptr_t)__start_weft_text) {
        weft_lo = (uintptr_t)__start_weft_text;
        weft_hi = (uintptr_t)__stop_weft_text;
    }
    /* weft inside the executable, not bracketed: we cannot tell it apart. */
    if (pc_safe((uintptr_t)on_tick) || pc_safe((uintptr_t)wf_preempt_trampoline) ||
        pc_safe((uintptr_t)wf_sched_preempt))
        return -1;
    return 0;
}

static int xsave_size(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
        return -1;
    if (!__get_cpuid_count(0xd, 0, &a, &b, &c, &d) || b < 576)
        return -1;
    wf_preempt_xsave_size = (long)b + 64;
    return 0;
}

static int under_valgrind(void)
{
#ifdef WF_HAVE_VALGRIND
    return RUNNING_ON_VALGRIND;
#else
    return 0;
#endif
}

static int install(void)
{
    int (*sa_fn)(int, const struct sigaction *, struct sigaction *) =
        (int (*)(int, const struct sigaction *, struct sigaction *))wf_real_sym("sigaction");
    if (!sa_fn)
        sa_fn = sigaction;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_tick;
    /* SA_RESTART: restartable system calls restart. SA_ONSTACK: the
     * frame goes on the vCPU's alternate stack, never on a small thread
     * stack. The tick itself stays blocked while the handler runs. */
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    tick_signal = TICK_SIGNAL;
    return sa_fn(tick_signal, &sa, NULL);
}

void wf_preempt_init(int cfg)
{
    int want = cfg;
    if (want == WEFT_PREEMPT_DEFAULT) {
        const char *s = getenv("WEFT_PREEMPT");
        if (s && strcmp(s, "0") == 0)
            want = WEFT_PREEMPT_OFF;
        else if (s && strcmp(s, "deferred") == 0)
            want = WEFT_PREEMPT_DEFERRED;
        else
            want = WEFT_PREEMPT_ON;
    }
    if (want == WEFT_PREEMPT_OFF) {
        wf_preempt_mode = WEFT_PREEMPT_OFF;
        return;
    }
    int async = want == WEFT_PREEMPT_ON;
#ifdef WF_TSAN
    /* ThreadSanitizer defers asynchronous signals to its next interceptor
     * and hands the handler a context that is no longer current. */
    async = 0;
#endif
    if (async && (under_valgrind() || xsave_size() || find_ranges() || install()))
        async = 0; /* valgrind keeps SIGRTMAX for itself */
    wf_preempt_mode = async ? WEFT_PREEMPT_ASYNC : WEFT_PREEMPT_DEFERRED;
}

void wf_preempt_vcpu_start(struct wf_vcpu *v)
{
    uint64_t mask = 0;
    if (wf_preempt_mode == WEFT_PREEMPT_ASYNC) {
        /* A vCPU inherits the mask of whoever started the runtime, which
         * may block everything (a program that waits for signals in
         * sigwait): the tick must get through. */
        uint64_t tick = 1ull << (tick_signal - 1);
        wf_sys6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&tick, 0, 8, 0, 0);
    }
    wf_sys6(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&mask, 8, 0, 0);
    v->preempt_mask = mask;
}

/* ---- the API ---- */

int weft_preempt_mode(void)
{
    wf_runtime_start_fast();
    return wf_preempt_mode;
}

int weft_preempt_disable(void)
{
    struct wf_thread *self = wf_self();
    if (self->preempt_off >= (unsigned)INT32_MAX)
        return EOVERFLOW;
    self->preempt_off++;
    atomic_signal_fence(memory_order_seq_cst); /* before the section, for the handler */
    return 0;
}

int weft_preempt_enable(void)
{
    struct wf_thread *self = wf_self();
    if (!self->preempt_off)
        return EPERM;
    atomic_signal_fence(memory_order_seq_cst); /* after the section */
    if (--self->preempt_off == 0 && wf_preempt_due(self))
        wf_preempt_honour(self);
    return 0;
}

int weft_preempt_enabled(void)
{
    struct wf_thread *self = wf_self();
    return wf_preempt_mode != WEFT_PREEMPT_OFF && !self->preempt_off && !self->preempt_never &&
           !(self->flags & WF_TF_BOUND);
}
