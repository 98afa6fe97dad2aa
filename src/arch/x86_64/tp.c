/* x86_64/tp.c - choose how to write the thread pointer (tp.h).
 *
 * AT_HWCAP2's FSGSBASE bit says the kernel enabled the instructions. An
 * emulator can still pass the bit through and then fault on the
 * instruction (valgrind 3.19 does), so the first wrfsbase runs under a
 * SIGILL handler that falls back to arch_prctl. The probe writes the value
 * the register already holds, so either outcome leaves it unchanged.
 * WEFT_FSGSBASE=0 in the environment forces arch_prctl (to test it). */
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "arch/arch.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

int wf_arch_fsgsbase;

static sigjmp_buf probe_jmp;

static void on_sigill(int sig)
{
    (void)sig;
    siglongjmp(probe_jmp, 1);
}

int wf_arch_tp_probe(void)
{
    const char *env = getenv("WEFT_FSGSBASE");
    if (!(getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) || (env && !strcmp(env, "0")))
        return wf_arch_fsgsbase = 0;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigill;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGILL, &sa, &old))
        return wf_arch_fsgsbase = 0;
    volatile int ok = 0;
    if (!sigsetjmp(probe_jmp, 1)) {
        void *tp = wf_arch_tp();
        __asm__ volatile("wrfsbase %0" : : "r"(tp) : "memory");
        ok = 1;
    }
    sigaction(SIGILL, &old, NULL);
    return wf_arch_fsgsbase = ok;
}
