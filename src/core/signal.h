/* signal.h - POSIX signals for weft threads (internal side; the public API
 * is include/weft/signal.h, the design in signal.c's header comment). */
#ifndef WF_SIGNAL_H
#define WF_SIGNAL_H

#include <signal.h>
#include <stdint.h>

#include "core/thread.h"

/* Signal numbers the program may use: 1 .. wf_sig_max() (libc's SIGRTMAX
 * less weft's two reserved ones). */
int wf_sig_max(void);
/* A signal number the program may name (1 .. wf_sig_max(), excluding
 * glibc's internal real-time ones between 32 and its SIGRTMIN). */
int wf_sig_valid(int sig);
static inline uint64_t wf_sig_bit(int sig) { return 1ull << (sig - 1); }
/* The bits a mask may never hold: SIGKILL, SIGSTOP, glibc's and weft's
 * reserved real-time signals. */
uint64_t wf_sig_unblockable(void);

/* What wf_signal_deliver did: a handler ran; one of them lacked
 * SA_RESTART (a blocking call then returns EINTR). */
enum { WF_SIG_RAN = 1, WF_SIG_NORESTART = 2 };

/* Fresh per-thread state: the mask is the creator's (the calling thread's,
 * when it is a program thread), nothing pending. */
void wf_signal_init(struct wf_thread *t);
/* t (the calling thread, a runtime helper the program does not know of,
 * such as the drop-in's host-main) never takes a signal. */
void wf_signal_hide(struct wf_thread *t);
/* The thread ends: what the dispatcher gave it goes back to the process. */
void wf_signal_exit(struct wf_thread *self);
/* Run the handlers of every signal pending for self that self does not
 * block, on self's stack; returns WF_SIG_* bits. Call with no runtime
 * lock held, in a context that may run program code (wf_safe_point). */
int wf_signal_deliver(struct wf_thread *self);
/* Precondition: sig_lock held. Recompute WF_INTR_SIGNAL in intr_pending:
 * set while a pending signal is deliverable or waited for. */
void wf_signal_update_intr(struct wf_thread *t);
/* Give t signal si->si_signo (sig_lock not held). fromproc: from the
 * process-wide pending set. Returns 0, or EAGAIN when t already has that
 * signal pending (real-time ones are then kept by the caller), or ESRCH
 * when t has ended. The caller then calls wf_signal_notify(t). */
int wf_signal_give(struct wf_thread *t, const siginfo_t *si, int fromproc);
/* kill/sigqueue of the calling process by a thread that does not block
 * sig: POSIX has that thread take it before the call returns. Handles it
 * so (SI_USER or SI_QUEUE) and returns 0, or an errno when the caller
 * must send it to the process the usual way. */
int wf_signal_to_self(int sig, const union sigval *value);
/* Wake t if it waits interruptibly (intr.c). */
void wf_signal_notify(struct wf_thread *t);

/* ---- the process side (sigproc.c) ---- */

/* A snapshot of the program's disposition of sig. */
struct wf_sigact {
    void *fn;      /* SIG_DFL, SIG_IGN or the handler */
    int flags;     /* SA_* */
    uint64_t mask; /* sa_mask */
};
void wf_sigact_get(int sig, struct wf_sigact *a);
/* SA_RESETHAND: back to SIG_DFL as the handler starts. */
void wf_sigact_reset(int sig);
/* The default action of an unhandled sig for the process: ignore, or
 * stop, or end the process with it (does not return then). */
void wf_sig_default(int sig);
/* sig is blocked or waited for by some thread: make sure weft's handler
 * catches it even while its disposition is SIG_DFL, so it stays pending. */
void wf_sig_catch(int sig);
/* Take a process-pending signal of set (bits); 0 when none. */
int wf_sigproc_take(uint64_t set, siginfo_t *si);
/* Put si back into the process-wide pending set (a thread ended). */
void wf_sigproc_put(const siginfo_t *si);
/* The process-wide pending set (bits). */
uint64_t wf_sigproc_pending(void);
/* Ask the dispatcher to look again (a thread unblocked signals or took
 * one of the process's): cheap when nothing is pending. */
void wf_sigproc_poke(void);
/* Reset the process-wide state in a fork child. */
void wf_signal_atfork_child(void);

#endif
