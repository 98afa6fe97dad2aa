/* signal.c - the signal calls of the drop-in library, on weft's per-thread
 * signals (core/signal.c, docs/signals.md): per-thread masks
 * (pthread_sigmask, sigprocmask), signals to one thread (pthread_kill,
 * pthread_sigqueue, raise; kill and sigqueue of the process itself by a
 * thread that does not block the signal, which POSIX has that thread
 * take before the call returns; tgkill is not covered), dispositions
 * (sigaction, signal), sigwait & co., sigpending, sigsuspend, pause.
 * Two real-time signals are weft's (the stall detector's, and the
 * preemption tick): SIGRTMAX is two lower for the program, and the calls
 * below refuse them (EINVAL) or leave them out of masks. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "core/runtime.h"
#include "core/signal.h"
#include "host/real.h"
#include "host/sys.h"
#include "posix/posix.h"
#include "weft/signal.h"

#define WEFT_RESERVED_RT 2

WP_EXPORT int __libc_current_sigrtmin(void)
{
    return wf_real()->libc_current_sigrtmin();
}

WP_EXPORT int __libc_current_sigrtmax(void)
{
    return wf_real()->libc_current_sigrtmax() - WEFT_RESERVED_RT;
}

static int fail(int e)
{
    errno = e;
    return -1;
}

WP_EXPORT int pthread_kill(pthread_t h, int sig)
{
    return weft_kill((weft_t)h, sig);
}

WP_EXPORT int pthread_sigqueue(pthread_t h, int sig, const union sigval value)
{
    return weft_sigqueue((weft_t)h, sig, value);
}

/* The handler runs before raise returns (unless the thread blocks sig). */
WP_EXPORT int raise(int sig)
{
    int rc = weft_kill(weft_self(), sig);
    return rc ? fail(rc) : 0;
}

WP_EXPORT int gsignal(int sig)
{
    return raise(sig);
}

/* A signal to the calling process from a thread that does not block it
 * is taken by that thread before kill returns (POSIX). weft's reserved
 * signals are not the program's to send to itself. */
WP_EXPORT int kill(pid_t pid, int sig)
{
    if (pid == getpid() && sig > 0) {
        if (sig > __libc_current_sigrtmax() && sig < NSIG)
            return fail(EINVAL);
        if (wf_signal_to_self(sig, NULL) == 0)
            return 0;
    }
    long r = wf_sys3(SYS_kill, pid, sig, 0);
    return r < 0 ? fail((int)-r) : 0;
}

WP_EXPORT int sigqueue(pid_t pid, int sig, const union sigval value)
{
    if (pid == getpid() && sig > 0) {
        if (sig > __libc_current_sigrtmax() && sig < NSIG)
            return fail(EINVAL);
        if (wf_signal_to_self(sig, &value) == 0)
            return 0;
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value = value;
    long r = wf_sys6(SYS_rt_sigqueueinfo, pid, sig, (long)&si, 0, 0, 0);
    return r < 0 ? fail((int)-r) : 0;
}

WP_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    return weft_sigmask(how, set, old);
}

/* The process-wide name: in a threaded program POSIX leaves it
 * unspecified; glibc makes it pthread_sigmask with errno. */
WP_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    int rc = weft_sigmask(how, set, old);
    return rc ? fail(rc) : 0;
}

WP_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    int rc = weft_sigaction(sig, act, old);
    return rc ? fail(rc) : 0;
}

WP_EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    return sigaction(sig, act, old);
}

/* BSD semantics, as glibc's signal: restarting, not reset. */
WP_EXPORT sighandler_t signal(int sig, sighandler_t fn)
{
    struct sigaction a, old;
    a.sa_handler = fn;
    a.sa_flags = SA_RESTART;
    sigemptyset(&a.sa_mask);
    sigaddset(&a.sa_mask, sig);
    if (sigaction(sig, &a, &old))
        return SIG_ERR;
    return old.sa_handler;
}

WP_EXPORT sighandler_t bsd_signal(int sig, sighandler_t fn)
{
    return signal(sig, fn);
}

WP_EXPORT int sigpending(sigset_t *set)
{
    int rc = weft_sigpending(set);
    return rc ? fail(rc) : 0;
}

WP_EXPORT int sigwait(const sigset_t *set, int *sig)
{
    return weft_sigwait(set, sig);
}

WP_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    int r = weft_sigwaitinfo(set, info);
    return r < 0 ? fail(-r) : r;
}

WP_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
    int r = weft_sigtimedwait(set, info, timeout);
    return r < 0 ? fail(-r) : r;
}

WP_EXPORT int sigsuspend(const sigset_t *mask)
{
    return fail(weft_sigsuspend(mask));
}

WP_EXPORT int pause(void)
{
    sigset_t m;
    weft_sigmask(SIG_BLOCK, NULL, &m);
    return sigsuspend(&m);
}
