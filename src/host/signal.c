/* signal.c - fault plumbing: a SIGSEGV/SIGBUS handler on an alternate
 * stack per vCPU host thread, so that a weft thread running into its guard
 * page is reported by name instead of dying silently. */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>

#include "host/host.h"
#include "host/real.h"

static void (*fault_handler)(void *addr);
static struct sigaction old_segv, old_bus;

/* libc's sigaction (or a sanitizer's in front of it), never the drop-in
 * library's: that one keeps the program's dispositions (core/sigproc.c)
 * and refuses weft's reserved signals. */
int wf_host_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    static int (*real)(int, const struct sigaction *, struct sigaction *);
    if (!__atomic_load_n(&real, __ATOMIC_ACQUIRE))
        __atomic_store_n(&real, (int (*)(int, const struct sigaction *, struct sigaction *))
                                    wf_real_sym("sigaction"), __ATOMIC_RELEASE);
    if (!real) /* a fully static program: no dlsym; libc's is the only one */
        return sigaction(sig, act, old);
    return real(sig, act, old);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    fault_handler(si->si_addr);
    /* Not ours: hand it to whoever was there before, or die as usual. */
    struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;
    if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
        old->sa_sigaction(sig, si, uc);
        return;
    }
    if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return;
    }
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    wf_host_sigaction(sig, &dfl, NULL); /* the faulting instruction runs again and dies */
}

void wf_host_fault_init(void (*handler)(void *addr))
{
    struct sigaction sa;
    fault_handler = handler;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    wf_host_sigaction(SIGSEGV, &sa, &old_segv);
    wf_host_sigaction(SIGBUS, &sa, &old_bus);
}

void wf_host_fault_thread_init(void)
{
    /* Mapped, not malloc'd: it lives as long as the host thread and only
     * the kernel holds its address (LeakSanitizer would call it a leak). */
    stack_t ss;
    ss.ss_size = 64 * 1024;
    ss.ss_sp = wf_host_map(ss.ss_size);
    ss.ss_flags = 0;
    if (ss.ss_sp)
        sigaltstack(&ss, NULL);
}
