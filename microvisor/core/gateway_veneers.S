/*
 * The NSC veneer table and the per-call trampolines.
 *
 * Slot i of the table (section .mv_veneers, placed at MV_NSC_BASE by the
 * linker script) is the 8-byte veneer of the i-th MV_CALL in
 * gateway_calls.h:   SG ; B.W __gw_<name>
 * so a call's address is MV_NSC_BASE + 8*i, fixed for as long as the list
 * is only appended to (tests/qemu/abi_check.py compares it with
 * sdk/abi/mv_veneers.abi).
 *
 * The trampoline masks every non-secure exception (BASEPRI_S = 0x80; with
 * AIRCR.PRIS all NS priorities are 0x80..0xFF) so a call is never
 * re-entered from an NS interrupt and never sees NS memory change under it.
 * A call made by a fast interrupt handler that pre-empted deferred work
 * (PendSV_S active) is refused with MV_STATUS_MICROVISORBUSY: the services
 * it would touch may be in the middle of an update. Otherwise it calls the
 * C implementation with the four argument registers as raw 32-bit claims,
 * then returns through __gw_exit, which scrubs every caller-saved register
 * that could hold secure data and returns with BXNS.
 * Secure code is built soft-float and never touches FP registers, so there
 * is no FP state to scrub.
 */
    .syntax unified
    .thumb

#define MV_GATEWAY_BASEPRI 0x80
#define SCB_SHCSR 0xE000ED24
#define SHCSR_PENDSVACT_TO_N 21       /* LSLS moves bit 10 into N */
#define MV_STATUS_MICROVISORBUSY 0x24

/* The veneer in its slot, and the start of its trampoline: mask NS
 * exceptions, then put the secure stack where it must be.
 *  - From NS Thread mode with no deferred work active (the common case,
 *    and mvNoOp's benchmark path) nothing secure can be live beneath the
 *    call: the stack is reset to its sealed top, so a Secure frame
 *    abandoned at an earlier call's edge (an NS handler that pre-empted the
 *    edge and returned to Thread mode through a frame of its own) is
 *    dropped here (docs/execution-model.md, "The secure stack").
 *  - Otherwise (from an NS handler, or over active deferred work) the slow
 *    path __gw_slow trims the abandoned edge frames it can prove dead,
 *    stops the application if the stack is still too deep, and refuses
 *    the call with MICROVISORBUSY if deferred work is active.
 * BASEPRI is raised before anything is pushed and dropped after everything
 * is popped, so wherever an NS interrupt can pre-empt a veneer (after SG,
 * before the mask; at the BXNS) the secure stack pointer is the one the
 * call was entered with: a pre-empted edge frame sits exactly on the
 * context the call came from, and can be stepped over exactly.
 * Every instruction of the trampolines and of __gw_exit is in the section
 * .text.gw_edge, bounded by __gw_edge_start/__gw_edge_end: a pre-empted
 * secure frame whose PC lies there (or in the veneer table) is a veneer's
 * edge, which holds nothing that must survive. */
    .macro MV_VENEER_HEAD name
    .section .mv_veneers, "ax", %progbits
    .global \name
    .type \name, %function
    .thumb_func
\name:
    sg
    b.w     __gw_\name

    .section .text.gw_edge.\name, "ax", %progbits
    .type __gw_\name, %function
    .thumb_func
__gw_\name:
    mov.w   r12, #MV_GATEWAY_BASEPRI
    msr     basepri, r12
    push    {r4, lr}
    mrs     r4, ipsr
    cbnz    r4, 8f
    movw    r4, #:lower16:SCB_SHCSR
    movt    r4, #:upper16:SCB_SHCSR
    ldr     r4, [r4]
    lsls    r4, r4, #SHCSR_PENDSVACT_TO_N
    bmi.w   8f
    pop     {r4, lr}
    movw    r12, #:lower16:__stack_top
    movt    r12, #:upper16:__stack_top
    mov     sp, r12
    push    {r4, lr}
9:
    .endm

/* The slow path's call, out of line after the trampoline's exit branch. */
    .macro MV_VENEER_SLOW
8:  bl      __gw_slow
    b       9b
    .endm

    .macro MV_VENEER name, impl
    MV_VENEER_HEAD \name
    bl      \impl
    b.w     __gw_exit
    MV_VENEER_SLOW
    .endm

/* A call that, when it succeeds, does not return to its caller: the
 * application is parked in the microvisor's NS idle stub and the tick
 * restarts it (mvRestart). */
    .macro MV_VENEER_PARK name, impl
    MV_VENEER_HEAD \name
    bl      \impl
    cbnz    r0, 1f              /* refused: return to the caller */
    pop     {r4, lr}
    movw    lr, #:lower16:ns_stub_idle_entry
    movt    lr, #:upper16:ns_stub_idle_entry
    ldr     lr, [lr]
    push    {r4, lr}
1:  b.w     __gw_exit
    MV_VENEER_SLOW
    .endm

#define MV_CALL(name, impl) MV_VENEER name, impl ;
#define MV_CALL_PARK(name, impl) MV_VENEER_PARK name, impl ;
#include "gateway_calls.h"
#undef MV_CALL
#undef MV_CALL_PARK

/*
 * The slow path (from an NS handler, or over active deferred work). On
 * entry the trampoline has pushed {r4, lr} and raised BASEPRI; lr returns
 * into the trampoline, r0-r3 are the call's arguments. gw_secure_entry()
 * (sstack.c) gets the stack pointer the call was entered with, trims the
 * abandoned edge frames above it, and answers the new stack pointer, with
 * bit 0 set if the call is to be refused (deferred work active); it does
 * not return if the application must be stopped. The saved {r4, lr} move
 * with the stack.
 */
    .section .text.gw_edge.slow, "ax", %progbits
    .type __gw_slow, %function
    .thumb_func
__gw_slow:
    push    {r0-r3, r12, lr}
    add     r0, sp, #32
    bl      gw_secure_entry
    bic     r12, r0, #1
    ldr     r4, [sp, #28]       /* the caller's FNC_RETURN */
    str     r4, [r12, #-4]
    ldr     r4, [sp, #24]       /* the caller's r4 */
    str     r4, [r12, #-8]
    ldr     lr, [sp, #20]       /* back into the trampoline */
    tst     r0, #1
    ldm     sp, {r0-r3}
    sub     r12, r12, #8
    mov     sp, r12
    bne     __gw_busy
    bx      lr

    .type __gw_busy, %function
    .thumb_func
__gw_busy:
    movs    r0, #MV_STATUS_MICROVISORBUSY
    .type __gw_exit, %function
    .thumb_func
__gw_exit:
    pop     {r4, lr}
    mov     r2, lr
    mov     r3, lr
    mov     r12, lr
    msr     APSR_nzcvq, lr
    mov.w   r1, #0              /* not movs: the flags are already scrubbed */
    msr     basepri, r1
    bxns    lr
