/*
 * The secure stack: what may lie on it while the application runs, and
 * how its depth stays bounded whatever the application does
 * (docs/execution-model.md, "The secure stack").
 *
 * Only two kinds of secure context can be live beneath the non-secure
 * world: a veneer's edge (a few instructions around a call, where an NS
 * interrupt may pre-empt it) and the deferred-work handler (pre-empted by
 * a fast interrupt). An NS handler that returns through a frame of its own
 * abandons the secure frame beneath it; this module finds such frames, by
 * their hardware-written contents only, and steps over them.
 */
#ifndef SSTACK_H
#define SSTACK_H

#include <stdbool.h>
#include <stdint.h>

/* Paints the unused stack (for the high-water mark) and points PSP_S at a
 * sealed decoy, so that a forged return claiming the secure process stack
 * finds a seal there. Called once, first thing in mv_main. */
void sstack_init(void);

/* Resets PSP_S to its decoy (a forged return may have moved it). */
void sstack_reset_psp(void);

/* Deepest the stack has ever been, in bytes below its top; its size. */
uint32_t sstack_peak(void);
uint32_t sstack_size(void);

/* The gateway's slow path (gateway_veneers.S): the call was entered with
 * stack pointer sp. Returns the stack pointer the call must use, with bit
 * 0 set if the call is to be refused with MICROVISORBUSY. Does not return
 * if the application must be stopped: the stack is deeper than any honest
 * nesting reaches, or the call comes over deferred work the application
 * abandoned (a UsageFault the fault handler recognises by
 * sstack_trap_taken()). */
uint32_t gw_secure_entry(uint32_t sp);

enum sstack_trap_kind {
    SSTACK_TRAP_NONE,
    SSTACK_TRAP_TOO_DEEP,       /* the secure stack is deeper than honest nesting */
    SSTACK_TRAP_WORK_ABANDONED, /* a call over deferred work nothing may pre-empt */
};

/* Once: whether the current fault is the gateway's deliberate stop, and
 * why; *work_frame is then the deferred work's pre-empted frame, proved at
 * the call (0 if no work was active or none was found). */
enum sstack_trap_kind sstack_trap_taken(uint32_t *work_frame);

/* The deferred-work handler's pre-empted frame on the stack at or above sp
 * (veneer edges above it stepped over), or 0 if there is none that can be
 * proved to be it. */
uint32_t sstack_work_frame(uint32_t sp);

/* Builds a fresh deferred-work context below the caller's stack
 * (entry: the deferred-work handler, from its start) and returns its
 * address: for when the pre-empted one cannot be found. */
uint32_t sstack_work_frame_fresh(void);

/* EXC_RETURN for a secure exception returning into a secure handler frame
 * that holds the callee registers and integrity signature (DCRS = 0). */
#define SSTACK_EXC_RETURN_TO_WORK 0xFFFFFFD1u

#endif /* SSTACK_H */
