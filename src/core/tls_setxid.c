/* tls_setxid.c - glibc's set*id broadcast, with threads on TLS of their own.
 *
 * setuid and its kin change the credentials of one kernel thread, so glibc
 * signals every thread it created (SIGSETXID, its second internal
 * real-time signal) and each one's handler repeats the call, then clears a
 * flag in the handler thread's struct pthread, found through the thread
 * pointer, and the caller signals again until every flag is clear. On a
 * vCPU that runs a weft thread with its own TLS the pointer names the weft
 * thread's block, not the one glibc signalled: the flag would never clear
 * and setuid would spin for ever. weft wraps glibc's handler so that it
 * runs with the pointer glibc expects on that host thread: the vCPU's own,
 * or, on the first host thread of libweft-pthread (whose block main's weft
 * thread took over), that block. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "arch/arch.h"
#include "core/runtime.h"
#include "core/tls.h"
#include "host/sys.h"

#define SIGSETXID 33 /* glibc's __SIGRTMIN + 1 */

/* The kernel's struct sigaction on x86_64. */
struct ksigaction {
    void (*handler)(int, siginfo_t *, void *);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

static struct ksigaction glibc_action;
void *wf_tls_host_main_tp;
struct wf_thread *wf_tls_host_main;

static void on_setxid(int sig, siginfo_t *si, void *ctx)
{
    void *tp = wf_arch_tp();
    struct wf_thread *t = wf_tls_self;
    void *want = tp;
    if (t && t == wf_tls_host_main)
        want = wf_tls_host_main_tp;
    else if (t && !(t->flags & WF_TF_BOUND) && t->vcpu)
        want = t->vcpu->host_tp;
    if (want != tp)
        wf_arch_set_tp(want);
    glibc_action.handler(sig, si, ctx);
    if (want != tp)
        wf_arch_set_tp(tp);
}

void wf_tls_after_start(void)
{
    if (!wf_tls_ok)
        return;
    struct ksigaction act;
    if (wf_sys6(SYS_rt_sigaction, SIGSETXID, 0, (long)&glibc_action, 8, 0, 0) ||
        !(glibc_action.flags & SA_SIGINFO) || (uintptr_t)glibc_action.handler <= 1)
        return; /* no handler of glibc's to wrap */
    act = glibc_action;
    act.handler = on_setxid;
    wf_sys6(SYS_rt_sigaction, SIGSETXID, (long)&act, 0, 8, 0, 0);
}
