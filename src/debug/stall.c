/* stall.c - the stall detector (WEFT_STALL_MS=n, off by default):
 * a weft thread that holds its vCPU for n ms without switching is
 * reported once, to stderr, with its id, name and backtrace, as Seastar's
 * reactor-stall report does.
 *
 * Who does what:
 * - The timer daemon (daemon.c) already looks at every busy vCPU each
 *   millisecond; it calls wf_debug_stall_check, which notes when the
 *   vCPU's switch counter last moved. When it has not moved for n ms, it
 *   records the switch count it saw and sends STALL_SIGNAL to that vCPU's
 *   host thread (tgkill), once per stall: a new report needs a switch.
 * - Only the stalled host thread can walk its own stack, so the handler,
 *   running there, checks that the vCPU has still not switched (else the
 *   stall ended while the signal was on its way: no report), then writes
 *   the report with write(2) and backtrace_symbols_fd, both without locks
 *   or malloc. backtrace() loads libgcc's unwinder (dlopen, malloc) on its
 *   first call, so wf_debug_stall_start calls it once before installing
 *   the handler; after that it is safe enough in a handler (glibc's own
 *   crash reports rely on the same).
 *
 * Why a real-time signal (SIGRTMAX - 1, WEFT_STALL_SIGNAL): no program
 * expects one from a library, the kernel sends none of them, and the
 * handler is installed only when the detector is on, so programs that use
 * that signal are untouched unless they ask for stall reports.
 *
 * Off by default: it installs a signal handler and writes to stderr
 * unasked; the check itself is one load per vCPU per tick when off.
 *
 * Rejected:
 * - Printing the backtrace from the daemon: it cannot unwind another host
 *   thread's registers without ptrace.
 * - A per-vCPU POSIX timer (timer_create with SIGEV_THREAD_ID): as exact,
 *   but one more timer per vCPU to arm on every switch, on the hot path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/runtime.h"
#include "debug/debug.h"
#include "host/host.h"
#include "host/real.h"
#include "host/sys.h"

/* WEFT_STALL_SIGNAL (weft/runtime.h), from libc's own SIGRTMAX: in
 * libweft-pthread, __libc_current_sigrtmax is weft's and answers lower. */
#define STALL_SIGNAL (wf_real()->libc_current_sigrtmax() - 1)
#define BT_MAX 64

/* Threshold in ns; 0 = off. Stored (release) after the table below is
 * ready; the daemon reads it (acquire) each tick. */
_Atomic uint64_t wf_debug_stall_ns;

/* Per vCPU. Daemon side: written by the daemon only. */
struct stall {
    uint64_t switches;          /* switch count when last seen to change */
    uint64_t since;             /* when it changed (ns) */
    int reported;               /* this stall was reported */
    /* Daemon -> handler: the switch count the stall was seen at, and its
     * length so far. The handler reads them after the signal arrives. */
    _Atomic uint64_t seen_switches;
    _Atomic uint64_t seen_ms;
};

static struct stall *stalls;
static uint64_t threshold_ms;

/* ---- the handler: async-signal-safe only ---- */

static char *put_str(char *p, char *end, const char *s)
{
    while (*s && p < end)
        *p++ = *s++;
    return p;
}

static char *put_u64(char *p, char *end, uint64_t v)
{
    char digits[24];
    int n = 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < (int)sizeof digits);
    while (n && p < end)
        *p++ = digits[--n];
    return p;
}

static void on_stall_signal(int sig)
{
    (void)sig;
    int saved = errno;
    /* Acquire: orders the reads of the table below after its setup. */
    if (!atomic_load_explicit(&wf_debug_stall_ns, memory_order_acquire))
        goto out;
    struct wf_thread *t = wf_tls_self; /* this host thread's own */
    if (!t || (t->flags & (WF_TF_BOUND | WF_TF_IDLE)) || !t->vcpu)
        goto out;
    struct wf_vcpu *v = t->vcpu;
    struct stall *s = &stalls[v->index];
    uint64_t now_sw = atomic_load_explicit(&v->nswitches, memory_order_relaxed);
    if (now_sw != atomic_load_explicit(&s->seen_switches, memory_order_relaxed))
        goto out; /* it switched since: the stall is over */
    /* The only writer of a vCPU's counters is its host thread: this one. */
    atomic_store_explicit(&v->nstalls,
                          atomic_load_explicit(&v->nstalls, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    char name[WEFT_NAME_MAX + 1];
    memcpy(name, t->name, WEFT_NAME_MAX); /* racy with setname: a dump's read */
    name[t->named ? WEFT_NAME_MAX : 0] = '\0'; /* unnamed: a stale name[] */
    char buf[256], *p = buf, *end = buf + sizeof buf - 1;
    p = put_str(p, end, "weft: stall: thread ");
    p = put_u64(p, end, t->id);
    p = put_str(p, end, " \"");
    p = put_str(p, end, name[0] ? name : "(no name)");
    p = put_str(p, end, "\" has held vCPU ");
    p = put_u64(p, end, (uint64_t)v->index);
    p = put_str(p, end, " for ");
    p = put_u64(p, end, atomic_load_explicit(&s->seen_ms, memory_order_relaxed));
    p = put_str(p, end, " ms without switching (WEFT_STALL_MS=");
    p = put_u64(p, end, threshold_ms);
    p = put_str(p, end, "); backtrace:\n");
    *p = '\0';
    /* Raw: in libweft-pthread, write is the I/O port's (src/posix/io.c),
     * and this runs in a signal handler on the stalled thread. */
    wf_sys3(SYS_write, 2, (long)buf, (long)(p - buf));
    void *frames[BT_MAX];
    int n = backtrace(frames, BT_MAX);
    backtrace_symbols_fd(frames, n, 2);
    wf_sys3(SYS_write, 2, (long)"weft: stall: end of backtrace\n", 30);
out:
    errno = saved;
}

/* ---- the daemon's side ---- */

void wf_debug_stall_check(struct wf_vcpu *v, uint64_t now)
{
    struct stall *s = &stalls[v->index];
    uint64_t sw = atomic_load_explicit(&v->nswitches, memory_order_relaxed);
    if (sw != s->switches || s->since == 0) {
        s->switches = sw;
        s->since = now;
        s->reported = 0;
        return;
    }
    uint64_t held = now - s->since;
    if (s->reported || held < atomic_load_explicit(&wf_debug_stall_ns, memory_order_relaxed))
        return;
    s->reported = 1;
    atomic_store_explicit(&s->seen_switches, sw, memory_order_relaxed);
    atomic_store_explicit(&s->seen_ms, held / 1000000, memory_order_relaxed);
    /* The stores above reach the handler through the signal's delivery (a
     * system call on both sides). A vCPU's host thread lives as long as the
     * process, so its tid cannot be reused under us. */
    wf_sys3(SYS_tgkill, getpid(), v->host_tid, STALL_SIGNAL);
}

void wf_debug_stall_start(long ms)
{
    if (ms <= 0)
        return;
    stalls = calloc((size_t)wf_rt.nvcpus, sizeof *stalls);
    if (!stalls) {
        static const char msg[] = "weft: WEFT_STALL_MS: no memory; stall detector off\n";
        wf_sys3(SYS_write, 2, (long)msg, sizeof msg - 1);
        return;
    }
    threshold_ms = (uint64_t)ms;
    void *warm[2];
    backtrace(warm, 2); /* loads the unwinder now, not in the handler */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stall_signal;
    sa.sa_flags = SA_RESTART | SA_ONSTACK; /* vCPUs have an alternate stack */
    sigemptyset(&sa.sa_mask);
    wf_host_sigaction(STALL_SIGNAL, &sa, NULL); /* libc's: not the drop-in's */
    atomic_store_explicit(&wf_debug_stall_ns, (uint64_t)ms * 1000000, memory_order_release);
}
