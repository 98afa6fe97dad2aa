/* sigproc.c - POSIX signals, the process side: the program's dispositions,
 * weft's handler in the kernel, the dispatcher host thread and the
 * process-wide pending set (design: signal.c's header comment).
 *
 * THE HOST HANDLER runs in whatever host thread the kernel picked (a vCPU
 * in the middle of anything, main, a daemon) and must be async-signal-safe
 * and take no lock: it only pushes the siginfo into a bounded lock-free
 * ring (Vyukov's MPMC queue, one consumer) and wakes the dispatcher with
 * a futex. A full ring (the dispatcher starved of CPU while 1024 signals
 * came) keeps the lost ones as bits: standard signals merge anyway; a
 * real-time one then arrives once with si_code SI_KERNEL (documented).
 * The one signal it handles itself is a synchronous one: a tgkill of the
 * calling host thread by the process itself (glibc's internal raise from
 * abort or assert, which weft cannot interpose): the thread that raised it
 * is the one running here, in libc's raise, and its handler runs now.
 *
 * THE DISPATCHER is a host thread that blocks every signal and never
 * becomes a weft thread. It moves the ring's signals into the process
 * pending list (proc_lock) and gives each to one thread that takes it:
 * one in sigwait for it first, then one parked in an interruptible wait
 * (it runs the handler at once), then any other that does not block it.
 * None: it stays pending for the process until a thread unblocks it
 * (weft_sigmask pokes the dispatcher) or sigwaits for it. A real-time
 * signal already pending for every candidate waits there too, so that
 * none is lost (a thread holds one of each signal at a time).
 *
 * DISPOSITIONS: the kernel's disposition of a signal is weft's handler
 * while the program's is a handler, or is SIG_DFL and some thread has
 * blocked or waited for the signal (it must stay pending rather than end
 * the process); SIG_IGN and the other SIG_DFL ones are the kernel's, so
 * the kernel ignores or ends the process as usual. A caught SIG_DFL signal
 * taken by a thread that does not block it gets its default action here
 * (wf_sig_default). Synchronous fault signals (SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL, SIGTRAP, SIGSYS) are passed to the kernel unchanged.
 *
 * LOCKS: act_lock orders writers of the disposition table (readers load
 * its atomic fields). proc_lock guards the process pending list; neither
 * is ever taken in the host handler, and neither is held with a thread's
 * sig_lock or join_lock. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/intr.h"
#include "core/runtime.h"
#include "core/sanitizer.h"
#include "core/signal.h"
#include "host/host.h"
#include "host/real.h"
#include "host/sys.h"
#include "weft/signal.h"

#define NBITS 64
#define RING 1024
#define PROC_MAX 4096

/* ---- the disposition table ---- */

static struct {
    void *_Atomic fn;
    _Atomic int flags;
    _Atomic uint64_t mask;
    _Atomic int known; /* fn/flags/mask hold the program's disposition */
} acts[NBITS + 1];
static wf_spinlock_t act_lock;
static _Atomic uint64_t catch_dfl; /* SIG_DFL signals weft catches anyway */

static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);

static void real_init(void)
{
    if (!__atomic_load_n(&real_sigaction, __ATOMIC_ACQUIRE)) {
        void *p = wf_real_sym("sigaction");
        if (!p)
            wf_panic(NULL, "libc has no sigaction");
        __atomic_store_n(&real_sigaction, (int (*)(int, const struct sigaction *,
                                                   struct sigaction *))p,
                         __ATOMIC_RELEASE);
    }
}

static int is_fault(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
           sig == SIGTRAP || sig == SIGSYS;
}

/* ---- the ring: host handler -> dispatcher ---- */

static struct cell {
    _Atomic size_t seq;
    siginfo_t si;
} ring[RING];
static _Atomic size_t ring_head, ring_tail;
static _Atomic uint64_t ring_lost;  /* signals that found the ring full */

static atomic_int disp_word;        /* futex: bumped for every wake */
static atomic_int disp_state;       /* 0 none, 1 starting, 2 running */

static void ring_init(void)
{
    for (size_t i = 0; i < RING; i++)
        atomic_store_explicit(&ring[i].seq, i, memory_order_relaxed);
    atomic_store(&ring_head, 0);
    atomic_store(&ring_tail, 0);
    atomic_store(&ring_lost, 0);
}

/* Async-signal-safe: atomics only. */
static void ring_push(const siginfo_t *si)
{
    size_t pos = atomic_load_explicit(&ring_head, memory_order_relaxed);
    for (;;) {
        struct cell *c = &ring[pos % RING];
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)pos;
        if (dif == 0) {
            if (atomic_compare_exchange_weak(&ring_head, &pos, pos + 1)) {
                c->si = *si;
                atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
                return;
            }
        } else if (dif < 0) {
            atomic_fetch_or(&ring_lost, wf_sig_bit(si->si_signo));
            return;
        } else {
            pos = atomic_load_explicit(&ring_head, memory_order_relaxed);
        }
    }
}

/* The dispatcher only. */
static int ring_pop(siginfo_t *si)
{
    size_t pos = atomic_load_explicit(&ring_tail, memory_order_relaxed);
    struct cell *c = &ring[pos % RING];
    if (atomic_load_explicit(&c->seq, memory_order_acquire) != pos + 1)
        return 0;
    *si = c->si;
    atomic_store_explicit(&c->seq, pos + RING, memory_order_release);
    atomic_store_explicit(&ring_tail, pos + 1, memory_order_relaxed);
    return 1;
}

static void disp_wake(void)
{
    atomic_fetch_add(&disp_word, 1);
    wf_host_futex_wake((int *)&disp_word, 1);
}

static void disp_ensure(void);

void wf_sigproc_poke(void)
{
    disp_ensure();
    if (atomic_load_explicit(&disp_state, memory_order_acquire) == 2)
        disp_wake();
}

/* ---- the host handler ---- */

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    if (sig < 1 || sig > NBITS)
        return;
    struct wf_thread *self = wf_tls_self;
    if (si->si_code == SI_TKILL && self && !(self->flags & (WF_TF_IDLE | WF_TF_DAEMON)) &&
        si->si_pid == (pid_t)wf_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0) &&
        !(atomic_load_explicit(&self->sig_mask, memory_order_relaxed) & wf_sig_bit(sig))) {
        /* Synchronous: raised by libc in this very thread (abort). */
        void *fn = atomic_load_explicit(&acts[sig].fn, memory_order_acquire);
        int flags = atomic_load_explicit(&acts[sig].flags, memory_order_relaxed);
        if (fn != (void *)SIG_DFL && fn != (void *)SIG_IGN) {
            if (flags & SA_SIGINFO)
                ((void (*)(int, siginfo_t *, void *))fn)(sig, si, uc);
            else
                ((void (*)(int))fn)(sig);
            return;
        }
    }
    ring_push(si);
    disp_wake();
}

/* Precondition: act_lock held. Make the kernel's disposition of sig
 * what the table and catch_dfl call for. */
static void apply(int sig)
{
    struct sigaction k;
    memset(&k, 0, sizeof k);
    sigemptyset(&k.sa_mask);
    void *fn = atomic_load_explicit(&acts[sig].fn, memory_order_relaxed);
    if (fn == (void *)SIG_IGN) {
        k.sa_handler = SIG_IGN;
    } else if (fn == (void *)SIG_DFL && !(atomic_load(&catch_dfl) & wf_sig_bit(sig))) {
        k.sa_handler = SIG_DFL;
    } else {
        k.sa_sigaction = on_signal;
        k.sa_flags = SA_SIGINFO | SA_RESTART;
    }
    real_sigaction(sig, &k, NULL);
}

static void disp_start(void);

/* Precondition: act_lock held. The program's disposition of sig is
 * in the table from now on (the kernel's, the first time). */
static void know(int sig)
{
    if (atomic_load_explicit(&acts[sig].known, memory_order_relaxed))
        return;
    struct sigaction old;
    memset(&old, 0, sizeof old);
    real_sigaction(sig, NULL, &old);
    void *fn = (old.sa_flags & SA_SIGINFO) ? (void *)old.sa_sigaction : (void *)old.sa_handler;
    atomic_store_explicit(&acts[sig].fn, fn, memory_order_relaxed);
    atomic_store_explicit(&acts[sig].flags, old.sa_flags, memory_order_relaxed);
    uint64_t m = 0;
    for (int s = 1; s <= NBITS; s++)
        if (sigismember(&old.sa_mask, s) == 1)
            m |= wf_sig_bit(s);
    atomic_store_explicit(&acts[sig].mask, m, memory_order_relaxed);
    atomic_store_explicit(&acts[sig].known, 1, memory_order_release);
}

void wf_sigact_get(int sig, struct wf_sigact *a)
{
    if (!atomic_load_explicit(&acts[sig].known, memory_order_acquire)) {
        real_init();
        wf_spin_lock(&act_lock);
        know(sig);
        wf_spin_unlock(&act_lock);
    }
    a->fn = atomic_load_explicit(&acts[sig].fn, memory_order_acquire);
    a->flags = atomic_load_explicit(&acts[sig].flags, memory_order_relaxed);
    a->mask = atomic_load_explicit(&acts[sig].mask, memory_order_relaxed);
}

void wf_sigact_reset(int sig)
{
    wf_spin_lock(&act_lock);
    atomic_store_explicit(&acts[sig].fn, (void *)SIG_DFL, memory_order_release);
    atomic_store_explicit(&acts[sig].flags, 0, memory_order_relaxed);
    apply(sig);
    wf_spin_unlock(&act_lock);
}

void wf_sig_catch(int sig)
{
    if (is_fault(sig) || sig == SIGKILL || sig == SIGSTOP ||
        (atomic_load_explicit(&catch_dfl, memory_order_relaxed) & wf_sig_bit(sig)))
        return;
    real_init();
    disp_start();
    wf_spin_lock(&act_lock);
    know(sig);
    atomic_fetch_or(&catch_dfl, wf_sig_bit(sig));
    apply(sig);
    wf_spin_unlock(&act_lock);
}

int weft_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (!wf_sig_valid(sig) || (act && (sig == SIGKILL || sig == SIGSTOP)))
        return EINVAL;
    real_init();
    if (is_fault(sig)) /* synchronous: the kernel's own business */
        return real_sigaction(sig, act, old) ? errno : 0;
    if (act)
        disp_start();
    wf_spin_lock(&act_lock);
    know(sig);
    if (old) {
        memset(old, 0, sizeof *old);
        void *fn = atomic_load_explicit(&acts[sig].fn, memory_order_relaxed);
        int flags = atomic_load_explicit(&acts[sig].flags, memory_order_relaxed);
        if (flags & SA_SIGINFO)
            old->sa_sigaction = (void (*)(int, siginfo_t *, void *))fn;
        else
            old->sa_handler = (void (*)(int))fn;
        old->sa_flags = flags;
        sigemptyset(&old->sa_mask);
        uint64_t m = atomic_load_explicit(&acts[sig].mask, memory_order_relaxed);
        for (int s = 1; s <= NBITS; s++)
            if (m & wf_sig_bit(s))
                sigaddset(&old->sa_mask, s);
    }
    if (act) {
        void *fn = (act->sa_flags & SA_SIGINFO) ? (void *)act->sa_sigaction
                                                : (void *)act->sa_handler;
        uint64_t m = 0;
        for (int s = 1; s <= NBITS; s++)
            if (sigismember(&act->sa_mask, s) == 1)
                m |= wf_sig_bit(s);
        atomic_store_explicit(&acts[sig].flags, act->sa_flags & ~SA_ONSTACK, memory_order_relaxed);
        atomic_store_explicit(&acts[sig].mask, m & ~wf_sig_unblockable(), memory_order_relaxed);
        atomic_store_explicit(&acts[sig].fn, fn, memory_order_release);
        apply(sig);
    }
    wf_spin_unlock(&act_lock);
    return 0;
}

/* ---- default actions ---- */

void wf_sig_default(int sig)
{
    switch (sig) {
    case SIGCHLD: case SIGURG: case SIGWINCH: case SIGCONT:
        return; /* ignored by default */
    case SIGTSTP: case SIGTTIN: case SIGTTOU:
        wf_sys3(SYS_kill, wf_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0), SIGSTOP, 0);
        return;
    default:
        break;
    }
    /* End the process with sig: the kernel's default, unblocked, sent to
     * this host thread. */
    struct sigaction k;
    memset(&k, 0, sizeof k);
    k.sa_handler = SIG_DFL;
    real_init();
    real_sigaction(sig, &k, NULL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    wf_real()->pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    wf_sys3(SYS_tgkill, wf_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0), wf_host_tid(), sig);
    wf_sys3(SYS_exit_group, 128 + sig, 0, 0); /* not reached */
}

/* ---- the process pending list ---- */

static wf_spinlock_t proc_lock;
static siginfo_t *proc_q;          /* PROC_MAX entries, in arrival order */
static int proc_n;
static _Atomic uint64_t proc_bits; /* the signals in proc_q; read racily */

static void proc_bits_update(void)
{
    uint64_t b = 0;
    for (int i = 0; i < proc_n; i++)
        b |= wf_sig_bit(proc_q[i].si_signo);
    atomic_store(&proc_bits, b);
}

void wf_sigproc_put(const siginfo_t *si)
{
    wf_spin_lock(&proc_lock);
    int merge = 0;
    if (si->si_signo < 32) /* a standard signal is pending once */
        for (int i = 0; i < proc_n && !merge; i++)
            merge = proc_q[i].si_signo == si->si_signo;
    if (!merge && proc_q && proc_n < PROC_MAX)
        proc_q[proc_n++] = *si;
    proc_bits_update();
    wf_spin_unlock(&proc_lock);
}

int wf_sigproc_take(uint64_t set, siginfo_t *si)
{
    disp_ensure();
    if (!(atomic_load(&proc_bits) & set))
        return 0;
    int sig = 0;
    wf_spin_lock(&proc_lock);
    int best = -1;
    for (int i = 0; i < proc_n; i++)
        if ((set & wf_sig_bit(proc_q[i].si_signo)) &&
            (best < 0 || proc_q[i].si_signo < proc_q[best].si_signo))
            best = i;
    if (best >= 0) {
        *si = proc_q[best];
        sig = si->si_signo;
        memmove(&proc_q[best], &proc_q[best + 1], (size_t)(proc_n - best - 1) * sizeof *proc_q);
        proc_n--;
        proc_bits_update();
    }
    wf_spin_unlock(&proc_lock);
    return sig;
}

uint64_t wf_sigproc_pending(void)
{
    disp_ensure();
    return atomic_load(&proc_bits);
}

/* ---- the dispatcher ---- */

/* Candidates for one signal, best first. */
#define NCAND 16
struct scan {
    int sig;
    int n;
    struct { struct wf_thread *t; int score; } c[NCAND];
};

static void scan_one(struct wf_thread *t, void *arg)
{
    struct scan *s = arg;
    int st = atomic_load_explicit(&t->state, memory_order_relaxed);
    if (st != WF_RUNNABLE && st != WF_RUNNING && st != WF_BLOCKED)
        return;
    if ((t->flags & (WF_TF_DAEMON | WF_TF_IDLE)) || __atomic_load_n(&t->sig_dead, __ATOMIC_RELAXED))
        return;
    uint64_t bit = wf_sig_bit(s->sig);
    int score;
    if (__atomic_load_n(&t->sig_waitset, __ATOMIC_RELAXED) & bit)
        score = 3;
    else if (atomic_load_explicit(&t->sig_mask, memory_order_relaxed) & bit)
        return;
    else if (st == WF_BLOCKED && atomic_load_explicit(&t->intr_wait, memory_order_relaxed))
        score = 2;
    else
        score = st == WF_RUNNABLE;
    /* Keep the NCAND best, best first. */
    int i;
    if (s->n < NCAND)
        i = s->n++;
    else if (score > s->c[NCAND - 1].score)
        i = NCAND - 1;
    else
        return;
    while (i > 0 && s->c[i - 1].score < score) {
        s->c[i] = s->c[i - 1];
        i--;
    }
    s->c[i].t = t;
    s->c[i].score = score;
}

/* Give t si if t is alive: 0, or an errno of wf_signal_give. */
static int give_live(struct wf_thread *t, const siginfo_t *si)
{
    wf_spin_lock(&t->join_lock);
    int st = atomic_load_explicit(&t->state, memory_order_relaxed);
    int rc = (st == WF_RUNNABLE || st == WF_RUNNING || st == WF_BLOCKED)
                 ? wf_signal_give(t, si, 1)
                 : ESRCH;
    wf_spin_unlock(&t->join_lock);
    if (rc == 0)
        wf_signal_notify(t);
    return rc;
}

/* Hand out what the process has pending; 1 if some stays. */
static int distribute(void)
{
    uint64_t bits = atomic_load(&proc_bits);
    for (int sig = 1; sig <= NBITS; sig++) {
        if (!(bits & wf_sig_bit(sig)))
            continue;
        struct wf_sigact a;
        wf_sigact_get(sig, &a);
        siginfo_t si;
        if (a.fn == (void *)SIG_IGN) {
            while (wf_sigproc_take(wf_sig_bit(sig), &si))
                ;
            continue;
        }
        struct scan s;
        memset(&s, 0, sizeof s);
        s.sig = sig;
        wf_slot_foreach(scan_one, &s);
        for (int i = 0; i < s.n;) {
            if (!wf_sigproc_take(wf_sig_bit(sig), &si))
                break;
            if (a.fn == (void *)SIG_DFL && s.c[i].score < 3) {
                wf_sig_default(sig); /* a taker that does not block it */
                continue;
            }
            if (give_live(s.c[i].t, &si)) {
                wf_sigproc_put(&si); /* it has one already, or ended: next one */
                i++;
            }
        }
    }
    return atomic_load(&proc_bits) != 0;
}

static void *disp_main(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    wf_real()->pthread_sigmask(SIG_SETMASK, &all, NULL);
    for (;;) {
        int w = atomic_load(&disp_word);
        siginfo_t si;
        while (ring_pop(&si))
            wf_sigproc_put(&si);
        uint64_t lost = atomic_exchange(&ring_lost, 0);
        for (int sig = 1; lost; sig++)
            if (lost & wf_sig_bit(sig)) {
                lost &= ~wf_sig_bit(sig);
                memset(&si, 0, sizeof si);
                si.si_signo = sig;
                si.si_code = SI_KERNEL;
                wf_sigproc_put(&si);
            }
        int left = distribute();
        /* Something kept: look again now and then, as a safety net (a
         * thread that unblocks or ends pokes us anyway). */
        wf_host_futex_wait((int *)&disp_word, w, left ? wf_host_now() + 10000000u : 0);
    }
    return NULL;
}

static long disp_pid; /* the process the dispatcher runs in */
static atomic_int disp_wanted; /* a fork child's, to start lazily (TSan) */

static void disp_start(void);

/* A fork child under ThreadSanitizer starts its dispatcher here, at its
 * first signal call. */
static void disp_ensure(void)
{
    if (__builtin_expect(atomic_load_explicit(&disp_wanted, memory_order_relaxed), 0) &&
        atomic_exchange(&disp_wanted, 0))
        disp_start();
}

static void disp_start(void)
{
    if (atomic_load_explicit(&disp_state, memory_order_acquire) == 2)
        return;
    int s = 0;
    if (atomic_compare_exchange_strong(&disp_state, &s, 1)) {
        ring_init();
        if (!proc_q) {
            proc_q = calloc(PROC_MAX, sizeof *proc_q);
            /* A child of fork needs a dispatcher of its own. Through
             * libc's registry (the drop-in exports the name); the fork
             * work may call wf_signal_atfork_child as well: idempotent. */
            int (*reg)(void (*)(void), void (*)(void), void (*)(void), void *);
            *(void **)&reg = wf_real_sym("__register_atfork");
            if (reg)
                reg(NULL, NULL, wf_signal_atfork_child, NULL);
        }
        __atomic_store_n(&disp_pid, wf_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0), __ATOMIC_RELAXED);
        if (!proc_q || wf_host_thread_start(disp_main, NULL, "weft-signal"))
            wf_panic(NULL, "cannot start the signal dispatcher");
        atomic_store_explicit(&disp_state, 2, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&disp_state, memory_order_acquire) != 2)
        wf_host_yield();
}

void wf_signal_atfork_child(void)
{
    if (atomic_load(&disp_state) == 2 &&
        __atomic_load_n(&disp_pid, __ATOMIC_RELAXED) == wf_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0))
        return; /* called already in this child */
    /* The dispatcher did not come along: the next disposition change or
     * catch starts a new one; caught signals wait in the ring meanwhile
     * (the host handler never needs it to run). Locks may have been held
     * by threads that are gone. */
    atomic_store(&act_lock.v, 0);
    atomic_store(&proc_lock.v, 0);
    proc_n = 0;
    atomic_store(&proc_bits, 0);
    ring_init();
    int caught = atomic_load(&disp_state) == 2;
    atomic_store(&disp_state, 0);
#ifdef WF_TSAN
    /* ThreadSanitizer ends a child that starts a thread after a
     * multi-threaded fork: the dispatcher starts at the child's first
     * signal call instead (disp_ensure). */
    atomic_store(&disp_wanted, caught);
#else
    if (caught)
        disp_start();
#endif
    struct wf_thread *self = wf_tls_self;
    if (self) {
        atomic_store(&self->sig_lock.v, 0);
        atomic_store(&self->sig_pending, 0);
        self->sig_fromproc = 0;
        __atomic_store_n(&self->sig_waitset, 0, __ATOMIC_RELAXED);
        wf_signal_update_intr(self);
    }
}
