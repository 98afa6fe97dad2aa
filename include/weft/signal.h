/* weft/signal.h - POSIX signals for weft threads (docs/signals.md).
 *
 * Each weft thread has its own signal mask and pending set. A signal sent
 * to one thread (weft_kill) or to the process (kill(2), the terminal, a
 * timer) runs the handler installed with weft_sigaction on the stack of a
 * weft thread that does not block it, at that thread's next safe point: at
 * once when the thread is parked in an interruptible weft call (which then
 * returns EINTR or goes on waiting, per the table in docs/signals.md), when
 * it next enters weft (a wait, a yield, a weft I/O call) when it is
 * running or queued. Handlers therefore never interrupt weft's own code
 * and may call any weft function.
 *
 * Signal numbers: 1 .. SIGRTMAX-2 of glibc (the top two real-time signals
 * are weft's). Returns 0 or a positive errno value unless said otherwise. */
#ifndef WEFT_SIGNAL_H
#define WEFT_SIGNAL_H

#include <signal.h>
#include <stdint.h>

#include "weft/thread.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* The highest signal number a program may use (glibc's SIGRTMAX - 2). */
int weft_sigrtmax(void);

/* The calling thread's mask, as pthread_sigmask: how is SIG_BLOCK,
 * SIG_UNBLOCK or SIG_SETMASK (EINVAL otherwise, when set is not NULL);
 * old (may be NULL) gets the previous mask. SIGKILL, SIGSTOP and the
 * reserved signals are never blocked. A signal unblocked here that was
 * pending runs its handler before the call returns. A new thread starts
 * with its creator's mask. */
int weft_sigmask(int how, const sigset_t *set, sigset_t *old);

/* The disposition of sig for the whole process, as sigaction(2) (act or
 * old may be NULL). EINVAL for a signal out of range, or to change SIGKILL
 * or SIGSTOP. Honoured flags: SA_SIGINFO, SA_RESTART, SA_NODEFER,
 * SA_RESETHAND; sa_mask is added to the thread's mask while the handler
 * runs. SA_ONSTACK is ignored (the handler runs on the thread's stack).
 * SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP and SIGSYS go to the kernel
 * unchanged: they are synchronous, their handler runs at the fault. The
 * third argument of an SA_SIGINFO handler is a ucontext_t holding only the
 * thread's mask. */
int weft_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

/* Send sig to thread t: EINVAL for a bad sig, ESRCH when t is gone. 0
 * only checks t. A signal to the calling thread runs its handler before
 * the call returns (unless blocked). A standard signal already pending for
 * t merges; a real-time one already pending gives EAGAIN. A thread that
 * has ended but is not joined yet accepts and drops it (as glibc). */
int weft_kill(weft_t t, int sig);
/* The same with a value (SI_QUEUE, si_value), as pthread_sigqueue. */
int weft_sigqueue(weft_t t, int sig, union sigval value);

/* The signals pending for the calling thread or for the process. */
int weft_sigpending(sigset_t *set);

/* Wait until a signal of set is pending for the calling thread or for the
 * process, take it (its handler does not run) and return its number in
 * *sig (weft_sigwait) or its siginfo (weft_sigwaitinfo, info may be NULL).
 * Parks the weft thread, not its vCPU. The signals of set should be
 * blocked by every thread (POSIX), or a handler may take them first.
 * weft_sigtimedwait: returns EAGAIN after timeout (relative, may be NULL:
 * no limit; EINVAL for a bad one). A handler of a signal not in set that
 * runs meanwhile ends the wait with EINTR (weft_sigwait goes on waiting).
 * Cancellation points. weft_sigwaitinfo and weft_sigtimedwait return the
 * signal number (> 0) or a negative errno value. */
int weft_sigwait(const sigset_t *set, int *sig);
int weft_sigwaitinfo(const sigset_t *set, siginfo_t *info);
int weft_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout);

/* Replace the mask with *mask and park until a handler has run (POSIX
 * sigsuspend); the old mask is back on return. Always EINTR. */
int weft_sigsuspend(const sigset_t *mask);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
