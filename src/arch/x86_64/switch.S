/* switch.S - the context switch for x86_64 (SysV ABI). The only assembly.
 *
 * wf_arch_switch(void **save_sp /rdi/, void *new_sp /rsi/)
 *   In:  rdi = where to store this context's stack pointer,
 *        rsi = saved stack pointer of the context to resume.
 *   Saves what the ABI says survives a call: rbx, rbp, r12-r15, the MXCSR
 *   control bits and the x87 control word. Everything else is dead across
 *   a call already. The frame layout is in arch.h (the gdb script reads it).
 *   Resumes with "pop + jmp" rather than "ret": a ret here would return to
 *   a call site the return-stack buffer does not expect and mispredict on
 *   every switch.
 *
 * wf_arch_start
 *   Where a new thread's first frame "returns" to: calls wf_thread_entry()
 *   with an aligned stack. It marks the return address undefined so that
 *   debuggers end a backtrace here, below the thread's entry function.
 */
    .text
    .globl  wf_arch_switch
    .hidden wf_arch_switch
    .type   wf_arch_switch, @function
    .p2align 4
wf_arch_switch:
    .cfi_startproc
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbp, 0
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbx, 0
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r12, 0
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r13, 0
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r14, 0
    pushq   %r15
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r15, 0
    subq    $8, %rsp
    .cfi_adjust_cfa_offset 8
    stmxcsr (%rsp)
    fnstcw  4(%rsp)
    movl    (%rsp), %eax
    movzwl  4(%rsp), %edx
    movq    %rsp, (%rdi)
    /* From here on we are on the other context's stack. Loading MXCSR and
     * the control word costs more than the rest of the switch; nearly every
     * thread keeps the defaults, so load them only when they differ. */
    movq    %rsi, %rsp
    cmpl    (%rsp), %eax
    jne     1f
2:  cmpw    4(%rsp), %dx
    jne     3f
4:  addq    $8, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    popq    %rcx
    jmp     *%rcx
1:  ldmxcsr (%rsp)
    jmp     2b
3:  fldcw   4(%rsp)
    jmp     4b
    .cfi_endproc
    .size   wf_arch_switch, .-wf_arch_switch

    .globl  wf_arch_start
    .hidden wf_arch_start
    .type   wf_arch_start, @function
    .p2align 4
wf_arch_start:
    .cfi_startproc
    .cfi_undefined %rip
    xorl    %ebp, %ebp
    call    wf_thread_entry
    ud2
    .cfi_endproc
    .size   wf_arch_start, .-wf_arch_start

    .section .note.GNU-stack,"",@progbits
