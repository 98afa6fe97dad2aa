/* signal.c - POSIX signals for weft threads: the per-thread side (masks,
 * pending sets, delivery, weft_kill, sigwait). The process side
 * (dispositions, the host handler, the dispatcher) is sigproc.c.
 *
 * THE DESIGN
 * Every weft thread has a virtual mask and pending set (struct wf_thread,
 * guarded by its sig_lock; siginfo kept per pending signal, one each).
 * The kernel never sees them: vCPUs and every other host thread leave
 * program signals unblocked, and weft's own handler (sigproc.c) is the
 * process-level handler of each signal the program handles, blocks or
 * waits for.
 *
 * Handlers run only at safe points, never from inside the kernel's signal
 * frame on a vCPU. The host handler does nothing but put the siginfo into
 * a lock-free ring and wake the dispatcher, a host thread of weft's own
 * that blocks every signal. The dispatcher (normal context: it may take
 * locks) picks the target as POSIX says - a thread in sigwait for it
 * first, else any thread not blocking it, else it stays pending for the
 * process until a thread unblocks it or waits for it - gives it to that
 * thread (wf_signal_give) and wakes it if it waits (wf_signal_notify).
 * weft_kill does the same for one named thread from the caller's context.
 *
 * A thread that has a pending signal it does not block carries
 * WF_INTR_SIGNAL in intr_pending (intr.h). Every interruptible wait stops
 * for it like for a suspend: the thread leaves the wait, undoes it and
 * calls wf_safe_point, which runs the handlers here (wf_signal_deliver) on
 * the thread's own stack with no runtime lock held and no wait in
 * progress. The caller then either waits again (mutex, condvar, join: POSIX
 * forbids EINTR there) or returns EINTR (sem_wait, sleep, sigwait; I/O
 * calls unless SA_RESTART). A thread that is queued or running finds the
 * bit at its next weft call: a yield, a wait or an I/O call.
 *
 * WHY NOT RUN THE HANDLER IN THE KERNEL'S FRAME
 * The interrupted code may be weft's own, holding a spinlock (a run
 * queue's, a wait queue's) that the program's handler needs again through
 * sem_post or write: a self-deadlock. Knowing whether the interrupted code
 * is safe to leave is preemption's business (preempt.c): wf_intr_kick
 * ticks the vCPU of a running target (wf_preempt_kick), and where the
 * tick lands in program code its trampoline calls wf_safe_point, so a
 * thread spinning without entering weft gets its handler within a tick
 * (in deferred preemption mode, at its next weft call). The one exception is a signal the kernel sends to the very host
 * thread that raised it (glibc's own raise/abort call tgkill directly): it
 * is synchronous, the interrupted code is libc's raise, so the handler
 * runs there (sigproc.c).
 *
 * LOCKS: sig_lock is a leaf, but that weft_kill holds the target's
 * join_lock around it (so the record cannot be reused meanwhile). The
 * process lock (sigproc.c) is never held together with a sig_lock. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "core/intr.h"
#include "core/runtime.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/waitq.h"
#include "host/host.h"
#include "host/real.h"
#include "host/sys.h"
#include "weft/signal.h"

#define NSIG_BITS 64

/* libc's real-time range, looked up once (it never changes); 0: not yet. */
static int rt_min, rt_max;
static _Atomic uint64_t unblockable;

static void rt_init(void)
{
    if (__atomic_load_n(&rt_max, __ATOMIC_ACQUIRE))
        return;
    __atomic_store_n(&rt_min, wf_real()->libc_current_sigrtmin(), __ATOMIC_RELAXED);
    __atomic_store_n(&rt_max, wf_real()->libc_current_sigrtmax() - 2, __ATOMIC_RELEASE);
}

int wf_sig_max(void)
{
    rt_init();
    return __atomic_load_n(&rt_max, __ATOMIC_RELAXED);
}

int weft_sigrtmax(void)
{
    return wf_sig_max();
}

int wf_sig_valid(int sig)
{
    if (sig < 1 || sig > wf_sig_max())
        return 0;
    return sig < 32 || sig >= __atomic_load_n(&rt_min, __ATOMIC_RELAXED);
}

uint64_t wf_sig_unblockable(void)
{
    uint64_t m = atomic_load_explicit(&unblockable, memory_order_relaxed);
    if (m)
        return m;
    m = wf_sig_bit(SIGKILL) | wf_sig_bit(SIGSTOP);
    for (int s = 32; s <= NSIG_BITS; s++)
        if (!wf_sig_valid(s))
            m |= wf_sig_bit(s);
    atomic_store_explicit(&unblockable, m, memory_order_relaxed);
    return m;
}

/* glibc's sigset_t keeps signal s in bit s-1 of its first word (as the
 * kernel's); checked at compile time below. */
static uint64_t set_to_bits(const sigset_t *set)
{
    uint64_t b;
    memcpy(&b, set, sizeof b);
    return b;
}

static void bits_to_set(uint64_t b, sigset_t *set)
{
    sigemptyset(set);
    memcpy(set, &b, sizeof b);
}

_Static_assert(sizeof(sigset_t) >= sizeof(uint64_t) && NSIG_BITS == 64, "sigset_t layout");

static int program_thread(const struct wf_thread *t)
{
    return t && !(t->flags & (WF_TF_DAEMON | WF_TF_IDLE));
}

void wf_signal_init(struct wf_thread *t)
{
    struct wf_thread *creator = wf_tls_self;
    uint64_t m = program_thread(creator) && creator != t
                     ? atomic_load_explicit(&creator->sig_mask, memory_order_relaxed)
                     : 0;
    atomic_store_explicit(&t->sig_mask, m, memory_order_relaxed);
    atomic_store_explicit(&t->sig_pending, 0, memory_order_relaxed);
    t->sig_fromproc = 0;
    __atomic_store_n(&t->sig_waitset, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&t->sig_dead, 0, __ATOMIC_RELAXED);
    atomic_store_explicit(&t->sig_lock.v, 0, memory_order_relaxed);
}

void wf_signal_update_intr(struct wf_thread *t)
{
    uint64_t p = atomic_load_explicit(&t->sig_pending, memory_order_relaxed);
    uint64_t m = atomic_load_explicit(&t->sig_mask, memory_order_relaxed);
    if (p & (~m | __atomic_load_n(&t->sig_waitset, __ATOMIC_RELAXED)))
        atomic_fetch_or(&t->intr_pending, WF_INTR_SIGNAL);
    else
        atomic_fetch_and(&t->intr_pending, ~(unsigned)WF_INTR_SIGNAL);
}

static siginfo_t *info_slot(struct wf_thread *t, int sig)
{
    return (siginfo_t *)t->sig_info + (sig - 1);
}

/* sig_info is allocated outside sig_lock, once per record, and kept with
 * it. Mapped, not malloc'd: records live in memory LeakSanitizer does not
 * scan, as the slot table is. */
#define INFO_BYTES (NSIG_BITS * sizeof(siginfo_t))
static int info_alloc(struct wf_thread *t)
{
    if (__atomic_load_n(&t->sig_info, __ATOMIC_ACQUIRE))
        return 0;
    void *p = wf_host_map(INFO_BYTES);
    if (!p)
        return ENOMEM;
    void *expect = NULL;
    if (!__atomic_compare_exchange_n(&t->sig_info, &expect, p, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        wf_host_unmap(p, INFO_BYTES);
    return 0;
}

int wf_signal_give(struct wf_thread *t, const siginfo_t *si, int fromproc)
{
    int sig = si->si_signo;
    uint64_t bit = wf_sig_bit(sig);
    if (info_alloc(t))
        return EAGAIN;
    wf_spin_lock(&t->sig_lock);
    int rc = 0;
    if (__atomic_load_n(&t->sig_dead, __ATOMIC_RELAXED)) {
        rc = ESRCH;
    } else if (atomic_load_explicit(&t->sig_pending, memory_order_relaxed) & bit) {
        rc = sig >= 32 ? EAGAIN : 0; /* a standard signal merges */
    } else {
        *info_slot(t, sig) = *si;
        atomic_fetch_or(&t->sig_pending, bit);
        if (fromproc)
            t->sig_fromproc |= bit;
        wf_signal_update_intr(t);
    }
    wf_spin_unlock(&t->sig_lock);
    return rc;
}

void wf_signal_notify(struct wf_thread *t)
{
    if (atomic_load(&t->intr_pending) & WF_INTR_SIGNAL)
        wf_intr_kick(t);
}

void wf_signal_hide(struct wf_thread *t)
{
    wf_spin_lock(&t->sig_lock);
    __atomic_store_n(&t->sig_dead, 1, __ATOMIC_RELAXED);
    wf_spin_unlock(&t->sig_lock);
}

void wf_signal_exit(struct wf_thread *self)
{
    /* One at a time, not a siginfo_t[64] on the stack: small stacks end
     * here too. */
    int n = 0;
    wf_spin_lock(&self->sig_lock);
    __atomic_store_n(&self->sig_dead, 1, __ATOMIC_RELAXED);
    for (;;) {
        uint64_t give = atomic_load_explicit(&self->sig_pending, memory_order_relaxed) &
                        self->sig_fromproc;
        if (!give)
            break;
        int sig = __builtin_ctzll(give) + 1;
        siginfo_t si = *info_slot(self, sig);
        atomic_fetch_and(&self->sig_pending, ~wf_sig_bit(sig));
        self->sig_fromproc &= ~wf_sig_bit(sig);
        wf_spin_unlock(&self->sig_lock);
        wf_sigproc_put(&si); /* never under sig_lock */
        n++;
        wf_spin_lock(&self->sig_lock);
    }
    atomic_store(&self->sig_pending, 0);
    self->sig_fromproc = 0;
    __atomic_store_n(&self->sig_waitset, 0, __ATOMIC_RELAXED);
    wf_signal_update_intr(self);
    wf_spin_unlock(&self->sig_lock);
    if (n)
        wf_sigproc_poke();
}

/* Take sig (pending for t, which holds sig_lock): its siginfo. */
static void take_locked(struct wf_thread *t, int sig, siginfo_t *si, int *fromproc)
{
    uint64_t bit = wf_sig_bit(sig);
    *si = *info_slot(t, sig);
    atomic_fetch_and(&t->sig_pending, ~bit);
    *fromproc = (t->sig_fromproc & bit) != 0;
    t->sig_fromproc &= ~bit;
}

static void set_mask_locked(struct wf_thread *t, uint64_t m)
{
    atomic_store_explicit(&t->sig_mask, m & ~wf_sig_unblockable(), memory_order_relaxed);
    wf_signal_update_intr(t);
}

/* Apart, so that the ucontext_t (a kilobyte) is on the stack only while an
 * SA_SIGINFO handler runs: threads with small stacks pass wf_safe_point. */
static __attribute__((noinline)) void call_siginfo(void *fn, int sig, siginfo_t *si,
                                                   uint64_t mask)
{
    ucontext_t uc;
    memset(&uc, 0, sizeof uc);
    bits_to_set(mask, &uc.uc_sigmask);
    ((void (*)(int, siginfo_t *, void *))fn)(sig, si, &uc);
}

static void run_handler(struct wf_thread *self, int sig, siginfo_t *si, int *out)
{
    struct wf_sigact a;
    wf_sigact_get(sig, &a);
    if (a.fn == (void *)SIG_IGN)
        return;
    if (a.fn == (void *)SIG_DFL) {
        wf_sig_default(sig); /* returns only if the default is to ignore or stop */
        return;
    }
    uint64_t bit = wf_sig_bit(sig);
    if (a.flags & SA_RESETHAND)
        wf_sigact_reset(sig);
    wf_spin_lock(&self->sig_lock);
    uint64_t old = atomic_load_explicit(&self->sig_mask, memory_order_relaxed);
    set_mask_locked(self, old | a.mask | ((a.flags & SA_NODEFER) ? 0 : bit));
    wf_spin_unlock(&self->sig_lock);
    int saved_errno = errno;
    if (a.flags & SA_SIGINFO)
        call_siginfo(a.fn, sig, si, old);
    else
        ((void (*)(int))a.fn)(sig);
    errno = saved_errno;
    /* The handler may have changed the mask; as sigreturn does, the mask
     * from before the handler comes back. */
    wf_spin_lock(&self->sig_lock);
    set_mask_locked(self, old);
    wf_spin_unlock(&self->sig_lock);
    *out |= WF_SIG_RAN | ((a.flags & SA_RESTART) ? 0 : WF_SIG_NORESTART);
}

int wf_signal_deliver(struct wf_thread *self)
{
    int out = 0, poke = 0;
    for (;;) {
        wf_spin_lock(&self->sig_lock);
        uint64_t d = atomic_load_explicit(&self->sig_pending, memory_order_relaxed) &
                     ~atomic_load_explicit(&self->sig_mask, memory_order_relaxed);
        if (!d) {
            wf_signal_update_intr(self);
            wf_spin_unlock(&self->sig_lock);
            break;
        }
        int sig = __builtin_ctzll(d) + 1, fromproc;
        siginfo_t si;
        take_locked(self, sig, &si, &fromproc);
        wf_signal_update_intr(self);
        wf_spin_unlock(&self->sig_lock);
        poke |= fromproc;
        run_handler(self, sig, &si, &out);
    }
    if (poke)
        wf_sigproc_poke(); /* more of a real-time signal may wait there */
    return out;
}

/* ---- the public calls ---- */

int weft_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    if (set && how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
        return EINVAL;
    struct wf_thread *self = wf_self();
    uint64_t b = set ? set_to_bits(set) & ~wf_sig_unblockable() : 0;
    wf_spin_lock(&self->sig_lock);
    uint64_t m = atomic_load_explicit(&self->sig_mask, memory_order_relaxed), nm = m;
    if (set)
        nm = how == SIG_BLOCK ? m | b : how == SIG_UNBLOCK ? m & ~b : b;
    set_mask_locked(self, nm);
    int deliver = (atomic_load(&self->intr_pending) & WF_INTR_SIGNAL) != 0;
    wf_spin_unlock(&self->sig_lock);
    if (old)
        bits_to_set(m, old);
    for (uint64_t nb = nm & ~m; nb; nb &= nb - 1)
        wf_sig_catch(__builtin_ctzll(nb) + 1); /* blocked now: must stay pending, not kill */
    if ((m & ~nm) && wf_sigproc_pending())
        wf_sigproc_poke(); /* a process signal may now have a taker */
    if (deliver)
        wf_signal_deliver(self);
    return 0;
}

/* The siginfo of a signal this process sends itself. */
static void user_info(siginfo_t *si, int sig, int code, const union sigval *value)
{
    memset(si, 0, sizeof *si);
    si->si_signo = sig;
    si->si_code = code;
    si->si_pid = (pid_t)wf_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0);
    si->si_uid = (uid_t)wf_sys6(SYS_getuid, 0, 0, 0, 0, 0, 0);
    if (value)
        si->si_value = *value;
}

static int send(weft_t h, int sig, const union sigval *value)
{
    if (sig != 0 && !wf_sig_valid(sig))
        return EINVAL;
    wf_runtime_start_fast();
    struct wf_thread *self = wf_self();
    struct wf_thread *t = wf_thread_lock_handle(h);
    if (!t)
        return ESRCH;
    if (sig == 0 || atomic_load_explicit(&t->state, memory_order_relaxed) == WF_EXITED ||
        !program_thread(t)) {
        wf_spin_unlock(&t->join_lock);
        return sig == 0 || program_thread(t) ? 0 : EPERM;
    }
    siginfo_t si;
    user_info(&si, sig, value ? SI_QUEUE : SI_TKILL, value);
    int rc = wf_signal_give(t, &si, 0);
    wf_spin_unlock(&t->join_lock);
    if (rc == ESRCH)
        return 0; /* it is ending: as an ended thread, drop it */
    if (rc)
        return rc;
    if (t == self) {
        if (atomic_load(&self->intr_pending) & WF_INTR_SIGNAL)
            wf_signal_deliver(self); /* raise: before the call returns */
    } else {
        wf_signal_notify(t);
    }
    return 0;
}

int wf_signal_to_self(int sig, const union sigval *value)
{
    struct wf_thread *self = wf_self();
    if (!wf_sig_valid(sig) || !program_thread(self) ||
        (atomic_load_explicit(&self->sig_mask, memory_order_relaxed) & wf_sig_bit(sig)))
        return EAGAIN;
    siginfo_t si;
    user_info(&si, sig, value ? SI_QUEUE : SI_USER, value);
    int rc = wf_signal_give(self, &si, 0);
    if (rc)
        return rc;
    if (atomic_load(&self->intr_pending) & WF_INTR_SIGNAL)
        wf_signal_deliver(self);
    return 0;
}

int weft_kill(weft_t t, int sig)
{
    return send(t, sig, NULL);
}

int weft_sigqueue(weft_t t, int sig, union sigval value)
{
    return send(t, sig, &value);
}

int weft_sigpending(sigset_t *set)
{
    if (!set)
        return EINVAL;
    struct wf_thread *self = wf_self();
    uint64_t p = atomic_load(&self->sig_pending) | wf_sigproc_pending();
    bits_to_set(p, set);
    return 0;
}

/* Take a signal of want pending for self or the process: its number, or 0. */
static int take_any(struct wf_thread *self, uint64_t want, siginfo_t *si)
{
    int fromproc = 0, sig = 0;
    wf_spin_lock(&self->sig_lock);
    uint64_t p = atomic_load_explicit(&self->sig_pending, memory_order_relaxed) & want;
    if (p) {
        sig = __builtin_ctzll(p) + 1;
        take_locked(self, sig, si, &fromproc);
        __atomic_store_n(&self->sig_waitset, 0, __ATOMIC_RELAXED);
        wf_signal_update_intr(self);
    }
    wf_spin_unlock(&self->sig_lock);
    if (sig) {
        if (fromproc)
            wf_sigproc_poke();
        return sig;
    }
    sig = wf_sigproc_take(want, si);
    if (sig)
        wf_sigproc_poke(); /* another one may be queued behind it */
    return sig;
}

static void set_waitset(struct wf_thread *self, uint64_t w)
{
    wf_spin_lock(&self->sig_lock);
    __atomic_store_n(&self->sig_waitset, w, __ATOMIC_RELAXED);
    wf_signal_update_intr(self);
    wf_spin_unlock(&self->sig_lock);
}

/* Park self until interrupted (a signal, suspend or cancel) or deadline
 * (0: none). Returns the wait's WF_WAKE_*. */
static int park_interruptible(struct wf_thread *self, uint64_t deadline, const char *kind)
{
    struct wf_waitq wq = {0};
    wf_spin_lock(&wq.lock);
    return wf_waitq_wait(&wq, kind, self, deadline, WF_WAIT_CANCEL);
}

/* The sigwait family: the signal number, or -EAGAIN (timed out), -EINTR
 * (a handler ran and eintr is set). timeout_ns: 0 none, else relative. */
static int sigwait_common(const sigset_t *set, siginfo_t *info, uint64_t timeout_ns, int timed,
                          int eintr)
{
    struct wf_thread *self = wf_self();
    uint64_t want = set_to_bits(set) & ~wf_sig_unblockable();
    siginfo_t si;
    uint64_t deadline = timed ? wf_host_now() + timeout_ns : 0;
    if (timed && !timeout_ns)
        deadline = 1; /* already passed: poll once */
    for (int s = 1; s <= NSIG_BITS; s++)
        if (want & wf_sig_bit(s))
            wf_sig_catch(s); /* SIG_DFL ones must wait for us, not kill */
    int interrupted = 0;
    for (;;) {
        int sig = take_any(self, want, &si);
        if (!sig) {
            set_waitset(self, want);
            sig = take_any(self, want, &si); /* raced with the dispatcher */
        }
        if (sig) {
            set_waitset(self, 0);
            if (info)
                *info = si;
            return sig;
        }
        /* Interrupted and none of set came: handlers of other signals run
         * (with the waitset kept, so that those of set stay ours), and a
         * suspend or cancel acts. */
        if (interrupted && wf_safe_point(WF_WAIT_CANCEL) && eintr) {
            set_waitset(self, 0);
            return -EINTR;
        }
        if (deadline && wf_host_now() >= deadline) {
            set_waitset(self, 0);
            return -EAGAIN;
        }
        interrupted = park_interruptible(self, deadline, "sigwait") == WF_WAKE_INTERRUPTED;
    }
}

int weft_sigwait(const sigset_t *set, int *sig)
{
    if (!set || !sig)
        return EINVAL;
    int r = sigwait_common(set, NULL, 0, 0, 0);
    if (r < 0)
        return -r;
    *sig = r;
    return 0;
}

int weft_sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    if (!set)
        return -EINVAL;
    return sigwait_common(set, info, 0, 0, 1);
}

int weft_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
    if (!set)
        return -EINVAL;
    if (!timeout)
        return sigwait_common(set, info, 0, 0, 1);
    if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000L)
        return -EINVAL;
    uint64_t ns = (uint64_t)timeout->tv_sec * 1000000000u + (uint64_t)timeout->tv_nsec;
    return sigwait_common(set, info, ns, 1, 1);
}

int weft_sigsuspend(const sigset_t *mask)
{
    if (!mask)
        return EINVAL;
    struct wf_thread *self = wf_self();
    uint64_t nm = set_to_bits(mask);
    wf_spin_lock(&self->sig_lock);
    uint64_t old = atomic_load_explicit(&self->sig_mask, memory_order_relaxed);
    set_mask_locked(self, nm);
    wf_spin_unlock(&self->sig_lock);
    if (wf_sigproc_pending())
        wf_sigproc_poke();
    for (;;) {
        int ran = 0;
        if (atomic_load(&self->intr_pending) & WF_INTR_SIGNAL)
            ran = wf_signal_deliver(self);
        if (!ran && park_interruptible(self, 0, "sigsuspend") == WF_WAKE_INTERRUPTED)
            ran = wf_safe_point(WF_WAIT_CANCEL);
        if (ran)
            break;
    }
    wf_spin_lock(&self->sig_lock);
    set_mask_locked(self, old);
    wf_spin_unlock(&self->sig_lock);
    return EINTR;
}
