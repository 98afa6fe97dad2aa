/* x86_64/tp.h - the thread pointer (%fs base), which the ELF TLS ABI uses
 * to find the running thread's TLS block and its C library thread control
 * block.
 *
 * Writing it costs one wrfsbase instruction where the CPU and kernel allow
 * it from user space (FSGSBASE, announced in AT_HWCAP2 since Linux 5.9),
 * and an arch_prctl system call elsewhere; wf_arch_tp_probe picks once. */
#ifndef WF_ARCH_X86_64_TP_H
#define WF_ARCH_X86_64_TP_H

#include <asm/prctl.h>
#include <stdint.h>

#include "host/sys.h"

/* 1: wrfsbase works here; 0: use arch_prctl. Set by wf_arch_tp_probe. */
extern int wf_arch_fsgsbase;

/* Decide how to write the thread pointer; returns wf_arch_fsgsbase. */
int wf_arch_tp_probe(void);

/* The TCB's first word points at itself (the ABI's tcb field), so this is
 * a plain load that needs neither rdfsbase nor a system call. */
static inline void *wf_arch_tp(void)
{
    void *tp;
    __asm__ volatile("movq %%fs:0, %0" : "=r"(tp));
    return tp;
}

/* The memory clobber keeps the compiler from moving a TLS access across
 * the change. A caller must also not use a TLS address it computed before
 * the change (see the callers in sched.c). */
static inline void wf_arch_set_tp(void *tp)
{
    if (__builtin_expect(wf_arch_fsgsbase, 1))
        __asm__ volatile("wrfsbase %0" : : "r"(tp) : "memory");
    else
        wf_sys6(SYS_arch_prctl, ARCH_SET_FS, (long)(uintptr_t)tp, 0, 0, 0, 0);
}

#endif
