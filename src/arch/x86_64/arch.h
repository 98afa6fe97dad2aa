/* x86_64/arch.h - context layout shared by switch.S, the C code that
 * builds a new thread's first frame, and the gdb script.
 *
 * A suspended thread's saved stack pointer points at this frame (lowest
 * address first), pushed by wf_arch_switch:
 *
 *   sp+0   mxcsr (low 4 bytes), x87 control word (bytes 4-5)
 *   sp+8   r15      sp+16  r14      sp+24  r13      sp+32  r12
 *   sp+40  rbx      sp+48  rbp      sp+56  resume address (rip)
 */
#ifndef WF_ARCH_X86_64_H
#define WF_ARCH_X86_64_H

#include <stdint.h>

#include "arch/x86_64/tp.h"

#define WF_FRAME_WORDS 8
#define WF_FRAME_RIP 7
#define WF_FRAME_RBP 6
#define WF_FRAME_RBX 5
#define WF_FRAME_R12 4

/* Save the callee-saved state on the current stack, store the stack
 * pointer in *save_sp, and resume the context whose saved stack pointer is
 * new_sp. Returns when some other context switches back to *save_sp. */
void wf_arch_switch(void **save_sp, void *new_sp);

/* First code a new thread runs (switch.S): calls wf_thread_entry(). */
void wf_arch_start(void);

/* Build the first frame of a thread whose stack ends (exclusive) at top.
 * Returns the saved stack pointer to hand to wf_arch_switch. */
static inline void *wf_arch_frame_init(void *top)
{
    /* wf_arch_start runs with rsp = frame + 64, which must be 16-aligned so
     * that its call leaves the ABI alignment for wf_thread_entry. */
    uintptr_t t = ((uintptr_t)top & ~(uintptr_t)15) - 16;
    uint64_t *f = (uint64_t *)(t - WF_FRAME_WORDS * 8);
    for (int i = 1; i < WF_FRAME_RIP; i++)
        f[i] = 0;
    f[0] = 0x1f80 | ((uint64_t)0x037f << 32); /* default MXCSR, x87 CW */
    f[WF_FRAME_RIP] = (uint64_t)(uintptr_t)wf_arch_start;
    return f;
}

static inline void wf_cpu_relax(void)
{
    __builtin_ia32_pause();
}

#endif
