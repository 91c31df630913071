/*
 * The execution model's glue on Armv8-M (docs/execution-model.md):
 * exception priorities, the secure tick, the deferred-work handler
 * (PendSV_S), the hold-off monitor and fast interrupts.
 *
 *   priority  what
 *   0x00      secure faults (HardFault above all)
 *   0x40      secure tick, microvisor device interrupts (top halves only)
 *   0x80      non-secure priority 0x00..0x1F: fast interrupts only
 *   0x90      deferred work (PendSV_S): network, TLS, FOTA, logging
 *   0x90-0xFF the rest of the application's interrupts
 *   thread    the application; gateway calls run at BASEPRI 0x80
 */
#ifndef SCHED_H
#define SCHED_H

#include <stdbool.h>
#include <stdint.h>

#define SCHED_PRIO_FAULT   0x00u
#define SCHED_PRIO_TICK    0x40u
#define SCHED_PRIO_DEVICE  0x40u
#define SCHED_PRIO_WORK    0x90u

/* Sets priorities, PRIS, the deferred-work machinery and starts the tick. */
void sched_init(void);

/* Tick body (called by exceptions.S with the EXC_RETURN to use). */
uint32_t tick_handler(uint32_t exc_return, uint32_t *msp);

/* Deferred-work handler body (PendSV_S, through exceptions.S). */
uint32_t sched_work_handler(uint32_t exc_return, uint32_t *msp);

/* True while the deferred-work handler is active (possibly pre-empted). */
bool sched_work_active(void);

/* Registers a work function (see work.h) and a periodic timer for it. */
int sched_every(void (*fn)(uint64_t now_us), uint32_t period_us);

/* Fast interrupts: NS IRQs allowed to pre-empt deferred work. */
int sched_fast_irq_set(uint32_t irq);
int sched_fast_irq_clear(uint32_t irq);
bool sched_fast_irq_is_set(uint32_t irq);
/* Global switch: while disabled (the app's critical section), fast IRQs
 * are masked like the others during deferred work. */
void sched_fast_irqs_enable(bool on);
/* The fast IRQs among lines 32*w .. 32*w+31 that may pre-empt deferred
 * work now (none while the global switch is off). */
uint32_t sched_fast_irq_word(uint32_t w);

/* Counters for diagnostics and tests. */
struct sched_stats {
    uint32_t ticks;
    uint32_t work_runs;
    uint32_t holdoffs;
};
const struct sched_stats *sched_stats(void);

/* The idle loop's wait (one WFI) when no application runs: main.c's,
 * weak; the link bench build (tests/bench/link) counts around it. */
void mv_idle_wait(void);

#endif /* SCHED_H */
