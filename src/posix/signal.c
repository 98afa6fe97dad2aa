/* signal.c - the signal calls that name threads, with what weft has now
 * (per-thread signals come with the signals issue; docs/pthread.md):
 * - pthread_kill(t, 0) says whether t exists;
 * - a signal to the calling thread is raised on its host thread at once,
 *   so its handler runs in that thread before the call returns (raise);
 * - a signal to another weft thread goes to the process (kill), as weft
 *   cannot yet deliver it to that thread alone; to an adopted host
 *   thread, to that host thread;
 * - pthread_sigmask sets the mask of the host thread (the vCPU) the
 *   caller runs on.
 * Two real-time signals are weft's (the stall detector's, and the
 * preemption tick to come): SIGRTMAX is two lower for the program. */
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "core/runtime.h"
#include "host/real.h"
#include "host/sys.h"
#include "posix/posix.h"

#define WEFT_RESERVED_RT 2

WP_EXPORT int __libc_current_sigrtmin(void)
{
    return wf_real()->libc_current_sigrtmin();
}

WP_EXPORT int __libc_current_sigrtmax(void)
{
    return wf_real()->libc_current_sigrtmax() - WEFT_RESERVED_RT;
}

/* A signal the program may send: not one of glibc's internal ones (below
 * its SIGRTMIN, which glibc's pthread_kill refuses too) nor one of weft's
 * (above the program's SIGRTMAX). */
static int sig_ok(int sig)
{
    if (sig < 0 || sig >= NSIG)
        return 0;
    if (sig >= 32 && (sig < wf_real()->libc_current_sigrtmin() || sig > __libc_current_sigrtmax()))
        return 0;
    return 1;
}

static int send(pthread_t h, int sig, const union sigval *value)
{
    if (!sig_ok(sig))
        return EINVAL;
    struct wf_thread *self = wf_self();
    struct wf_thread *t = wf_thread_lock_handle((weft_t)h);
    if (!t)
        return ESRCH;
    int bound = (t->flags & WF_TF_BOUND) != 0, tid = t->host_tid;
    int exited = atomic_load_explicit(&t->state, memory_order_relaxed) == WF_EXITED;
    wf_spin_unlock(&t->join_lock);
    if (sig == 0)
        return 0;
    if (exited)
        return 0; /* glibc: a thread that ended but is not joined yet */
    long r;
    pid_t pid = getpid();
    if (t == self || bound) {
        if (t == self)
            tid = (int)wf_sys6(SYS_gettid, 0, 0, 0, 0, 0, 0);
        if (value) {
            siginfo_t si = {0};
            si.si_signo = sig;
            si.si_code = SI_QUEUE;
            si.si_pid = pid;
            si.si_uid = getuid();
            si.si_value = *value;
            r = wf_sys6(SYS_rt_tgsigqueueinfo, pid, tid, sig, (long)&si, 0, 0);
        } else {
            r = wf_sys3(SYS_tgkill, pid, tid, sig);
        }
    } else {
        r = value ? sigqueue(pid, sig, *value) : kill(pid, sig);
        if (r < 0)
            r = -errno;
    }
    return r < 0 ? (int)-r : 0;
}

WP_EXPORT int pthread_kill(pthread_t h, int sig)
{
    return send(h, sig, NULL);
}

WP_EXPORT int pthread_sigqueue(pthread_t h, int sig, const union sigval value)
{
    return send(h, sig, &value);
}

WP_EXPORT int raise(int sig)
{
    int rc = send(pthread_self(), sig, NULL);
    if (rc) {
        errno = rc;
        return -1;
    }
    return 0;
}

/* As glibc keeps its internal signals out of every mask a program sets,
 * weft's reserved ones stay deliverable: a program that blocks "all"
 * signals must not block the runtime's on the vCPU it runs on. */
WP_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    sigset_t s;
    if (set && (how == SIG_BLOCK || how == SIG_SETMASK)) {
        s = *set;
        for (int sig = __libc_current_sigrtmax() + 1; sig < NSIG; sig++)
            sigdelset(&s, sig);
        set = &s;
    }
    return wf_real()->pthread_sigmask(how, set, old);
}

/* The same for the process-wide name (in a threaded program POSIX leaves
 * it unspecified; glibc makes it pthread_sigmask with errno). */
WP_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    int rc = pthread_sigmask(how, set, old);
    if (rc) {
        errno = rc;
        return -1;
    }
    return 0;
}
