/* preempt.S - the preemption trampoline for x86_64 (src/core/preempt.c).
 *
 * wf_preempt_trampoline
 *   The tick handler does not switch threads itself: when the interrupted
 *   point is safe it rewrites the interrupted context so that, when the
 *   handler returns (through sigreturn, on the same host thread, which
 *   restores that thread's signal mask and alternate stack exactly), the
 *   thread "calls" this trampoline from the interrupted instruction, as
 *   Go's asyncPreempt does. The handler moved rsp 128 bytes down first
 *   (the SysV red zone, which the interrupted function may be using) and
 *   pushed the interrupted rip there:
 *
 *     rsp+0    interrupted rip
 *     rsp+8    the red zone (128 bytes), then the interrupted rsp
 *
 *   It saves everything a call may clobber: rflags, the nine caller-saved
 *   integer registers and the whole extended state (x87, SSE, AVX,
 *   AVX-512... every component XCR0 enables, with XSAVE, in an area of
 *   wf_preempt_xsave_size bytes, 64-byte aligned), calls
 *   wf_preempt_yield() (which may switch this thread out and resume it
 *   later on another vCPU), restores all of it and returns to the
 *   interrupted instruction with `ret $128`, which also drops the red zone
 *   gap. Callee-saved registers survive the C call by the ABI. The CFI
 *   describes the frame as a signal frame whose caller's rsp is the
 *   interrupted rsp, so debuggers unwind through it.
 */
    .text
    .globl  wf_preempt_trampoline
    .hidden wf_preempt_trampoline
    .type   wf_preempt_trampoline, @function
    .p2align 4
wf_preempt_trampoline:
    .cfi_startproc
    .cfi_signal_frame
    .cfi_def_cfa %rsp, 136
    .cfi_offset %rip, -136
    pushfq
    .cfi_adjust_cfa_offset 8
    pushq   %rax
    .cfi_adjust_cfa_offset 8
    pushq   %rcx
    .cfi_adjust_cfa_offset 8
    pushq   %rdx
    .cfi_adjust_cfa_offset 8
    pushq   %rsi
    .cfi_adjust_cfa_offset 8
    pushq   %rdi
    .cfi_adjust_cfa_offset 8
    pushq   %r8
    .cfi_adjust_cfa_offset 8
    pushq   %r9
    .cfi_adjust_cfa_offset 8
    pushq   %r10
    .cfi_adjust_cfa_offset 8
    pushq   %r11
    .cfi_adjust_cfa_offset 8
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbp, 0
    movq    %rsp, %rbp
    .cfi_def_cfa_register %rbp
    subq    wf_preempt_xsave_size(%rip), %rsp
    andq    $-64, %rsp
    /* XSAVE writes only XSTATE_BV of the 64-byte header at offset 512;
     * XRSTOR faults if the rest of it is not zero. */
    xorl    %eax, %eax
    movq    %rax, 512(%rsp)
    movq    %rax, 520(%rsp)
    movq    %rax, 528(%rsp)
    movq    %rax, 536(%rsp)
    movq    %rax, 544(%rsp)
    movq    %rax, 552(%rsp)
    movq    %rax, 560(%rsp)
    movq    %rax, 568(%rsp)
    movl    $-1, %eax
    movl    $-1, %edx
    xsave64 (%rsp)
    cld                         /* the ABI wants DF clear at a call */
    call    wf_preempt_yield
    movl    $-1, %eax
    movl    $-1, %edx
    xrstor64 (%rsp)
    movq    %rbp, %rsp
    .cfi_def_cfa_register %rsp
    popq    %rbp
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbp
    popq    %r11
    .cfi_adjust_cfa_offset -8
    popq    %r10
    .cfi_adjust_cfa_offset -8
    popq    %r9
    .cfi_adjust_cfa_offset -8
    popq    %r8
    .cfi_adjust_cfa_offset -8
    popq    %rdi
    .cfi_adjust_cfa_offset -8
    popq    %rsi
    .cfi_adjust_cfa_offset -8
    popq    %rdx
    .cfi_adjust_cfa_offset -8
    popq    %rcx
    .cfi_adjust_cfa_offset -8
    popq    %rax
    .cfi_adjust_cfa_offset -8
    popfq
    .cfi_adjust_cfa_offset -8
    ret     $128
    .cfi_endproc
    .size   wf_preempt_trampoline, .-wf_preempt_trampoline

    .section .note.GNU-stack,"",@progbits
