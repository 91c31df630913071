/*
 * Secure exception entry for the handlers that may send the CPU somewhere
 * other than where it came from (faults and the tick: they restart or park
 * the application), and the one-way first jump into the non-secure world.
 *
 * Each stub calls   uint32_t c_handler(uint32_t exc_return, uint32_t *msp)
 * and returns with the EXC_RETURN value the C code hands back, so C decides
 * whether to resume the interrupted context or a freshly built one.
 * r4-r11 hold the interrupted context's values throughout (AAPCS callee-
 * saved), so nothing secure is left in them on return to NS; r1/r2 are
 * scratch (r0-r3 come back from the NS frame).
 */
    .syntax unified
    .thumb

    .macro EXC_STUB name, handler
    .section .text.\name, "ax", %progbits
    .global \name
    .type \name, %function
    .thumb_func
\name:
    mov     r0, lr
    mrs     r1, msp
    push    {r4, lr}
    bl      \handler
    pop     {r4, lr}
    /* C moved the secure stack (app_secure_stack_set, app.c): to its top
     * when the application was restarted (nothing Secure below this
     * handler will run again), or to the deferred-work handler's frame
     * when a stop resumes it. */
    movw    r1, #:lower16:app_secure_stack_set
    movt    r1, #:upper16:app_secure_stack_set
    ldr     r2, [r1]
    cbz     r2, 1f
    movs    r3, #0
    str     r3, [r1]
    msr     msp, r2
1:  bx      r0
    .endm

    EXC_STUB mv_hardfault_entry,   fault_hardfault
    EXC_STUB mv_busfault_entry,    fault_busfault
    EXC_STUB mv_usagefault_entry,  fault_usagefault
    EXC_STUB mv_memfault_entry,    fault_memmanage
    EXC_STUB mv_securefault_entry, fault_securefault
    EXC_STUB mv_tick_entry,        tick_handler
    EXC_STUB mv_pendsv_entry,      sched_work_handler
    EXC_STUB mv_nmi_entry,         fault_nmi

/*
 * void mv_enter_ns(uint32_t entry, uint32_t stack_top) -- never returns.
 * Drops the secure thread's stack back to its sealed top (nothing of main()
 * survives for a forged FNC_RETURN to find), scrubs the registers and
 * branches to the application's reset handler in Non-secure state.
 */
    .section .text.mv_enter_ns, "ax", %progbits
    .global mv_enter_ns
    .type mv_enter_ns, %function
    .thumb_func
mv_enter_ns:
    msr     msp, r1
    bic     r0, r0, #1          /* BXNS: bit 0 clear selects Non-secure */
    mov     lr, #0xFFFFFFFF     /* returning from reset faults: a crash */
    movs    r1, #0
    movs    r2, #0
    movs    r3, #0
    movs    r4, #0
    movs    r5, #0
    movs    r6, #0
    movs    r7, #0
    mov     r8, r1
    mov     r9, r1
    mov     r10, r1
    mov     r11, r1
    mov     r12, r1
    msr     APSR_nzcvq, r1
    bxns    r0
