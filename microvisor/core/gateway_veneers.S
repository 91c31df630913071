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
 * exceptions, refuse if deferred work is active. */
    .macro MV_VENEER_HEAD name
    .section .mv_veneers, "ax", %progbits
    .global \name
    .type \name, %function
    .thumb_func
\name:
    sg
    b.w     __gw_\name

    .section .text.__gw_\name, "ax", %progbits
    .type __gw_\name, %function
    .thumb_func
__gw_\name:
    push    {r4, lr}
    movs    r4, #MV_GATEWAY_BASEPRI
    msr     basepri, r4
    movw    r4, #:lower16:SCB_SHCSR
    movt    r4, #:upper16:SCB_SHCSR
    ldr     r4, [r4]
    lsls    r4, r4, #SHCSR_PENDSVACT_TO_N
    bmi.w   __gw_busy
    .endm

    .macro MV_VENEER name, impl
    MV_VENEER_HEAD \name
    bl      \impl
    b.w     __gw_exit
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
    .endm

#define MV_CALL(name, impl) MV_VENEER name, impl ;
#define MV_CALL_PARK(name, impl) MV_VENEER_PARK name, impl ;
#include "gateway_calls.h"
#undef MV_CALL
#undef MV_CALL_PARK

    .section .text.__gw_exit, "ax", %progbits
    .type __gw_busy, %function
    .thumb_func
__gw_busy:
    movs    r0, #MV_STATUS_MICROVISORBUSY
    .type __gw_exit, %function
    .thumb_func
__gw_exit:
    movs    r1, #0
    msr     basepri, r1
    pop     {r4, lr}
    mov     r1, lr
    mov     r2, lr
    mov     r3, lr
    mov     r12, lr
    msr     APSR_nzcvq, lr
    bxns    lr
