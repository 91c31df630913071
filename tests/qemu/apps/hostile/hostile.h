/*
 * The hostile application: attacks the microvisor from the Non-secure
 * world and checks every attack is refused as docs/syscalls.md specifies
 * and that the microvisor keeps serving calls afterwards.
 *
 *   api.c    attacks through the calls (bad pointers, sizes, handles,
 *            IRQs, registers, handler mode, unimplemented calls) and the
 *            architecturally RAZ/WI registers; none of them may crash
 *   main.c   the run sequence, and the attacks that must crash the
 *            application (one per application run, noinit step counter)
 *
 * Every attack line the app prints starts "PASS: " or "FAIL: "; attacks
 * through a call print "attack <call> [<class>]" so the scenario script
 * (tests/qemu/test_hostile.py) can count them by class.
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <stdint.h>

#include "testapp.h"

#define REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))

/* A call through its import-library address with four raw words, for the
 * calls whose prototypes would not let us pass hostile values. */
typedef uint32_t (*hostile_call4_t)(uint32_t, uint32_t, uint32_t, uint32_t);
#define HOSTILE_CALL4(fn) ((hostile_call4_t)(void (*)(void))(fn))

/* Runs every non-crashing attack (the whole first application run). */
void hostile_api_attacks(void);

/* Set: the IRQ 81 handler faults (a load of secure RAM). */
extern volatile uint32_t hostile_irq81_crash;

/* mvNoOp and mvGetMicroseconds still answer, and the clock moves forward. */
int hostile_mv_alive(void);

#endif /* HOSTILE_H */
