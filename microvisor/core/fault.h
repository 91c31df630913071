/*
 * Fault handling. A fault taken from the Non-secure world stops the
 * application (crash record, back-off restart); a fault in the microvisor
 * itself records what it can and resets the device, which then reports
 * MICROVISORCRASH.
 */
#ifndef FAULT_H
#define FAULT_H

#include <stdint.h>

#include "app.h"
#include "mv_config.h"

struct crash_record {
    uint32_t kind;          /* enum app_stop_kind */
    uint32_t exc_return;
    uint32_t cfsr_s, cfsr_ns, hfsr, sfsr, mmfar_ns;
    uint32_t bfar;          /* 0 unless CFSR.BFARVALID */
    uint32_t frame_valid;   /* 0: the fault happened while stacking */
    uint32_t r0, r1, r2, r3, r12, lr, pc, xpsr; /* the stacked frame */
    uint32_t sp;            /* NS stack pointer at the fault */
    uint32_t stack[MV_CRASH_STACK_WORDS]; /* top of the NS stack */
    uint64_t time_us;
};

/* Records of the most recent application stops (newest first); n out. */
const struct crash_record *fault_last_record(void);
uint32_t fault_record_count(void);
/* The i-th newest record kept (0: the last one), or NULL. */
const struct crash_record *fault_record_newest(uint32_t i);

/* Records an application stop that did not come from a fault (hang). */
void fault_record_app_stop(enum app_stop_kind kind, uint32_t exc_return);

/* Persisted across the reset a microvisor crash causes. */
uint32_t fault_microvisor_crashes(void);

/* C bodies of the exception stubs in exceptions.S. */
uint32_t fault_hardfault(uint32_t exc_return, uint32_t *msp);
uint32_t fault_busfault(uint32_t exc_return, uint32_t *msp);
uint32_t fault_usagefault(uint32_t exc_return, uint32_t *msp);
uint32_t fault_memmanage(uint32_t exc_return, uint32_t *msp);
uint32_t fault_securefault(uint32_t exc_return, uint32_t *msp);
uint32_t fault_nmi(uint32_t exc_return, uint32_t *msp);

/* Checks, once at boot, whether the previous run ended in a microvisor
 * crash (a record survives in RAM across the reset). */
void fault_boot_check(void);

#endif /* FAULT_H */
