/*
 * Deferred work and software timers: how the microvisor gets work done
 * while the application runs (docs/execution-model.md).
 *
 * Interrupt handlers and the tick never do long work; they submit a work
 * item, which sets a bit and pends the lowest secure exception (PendSV_S).
 * The deferred-work handler runs every submitted item, in registration
 * order, to completion. The network stack, TLS and FOTA run here.
 *
 * Timers are checked by the tick and submit their work item when due.
 *
 * The module is portable: the board/arch glue passes in how to pend the
 * deferred-work exception and how to mask interrupts, so the host unit
 * tests drive it directly.
 */
#ifndef WORK_H
#define WORK_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*work_fn)(uint64_t now_us);

struct work_hooks {
    void (*pend)(void);          /* make the deferred-work handler run */
    uint32_t (*lock)(void);      /* mask interrupts, return the old state */
    void (*unlock)(uint32_t);    /* restore it */
};

void work_init(const struct work_hooks *hooks);

/* Registers a work function; returns its id (>= 0) or -1 if the table
 * (MV_WORK_MAX) is full. Called during initialisation only. */
int work_register(work_fn fn);

/* Marks work `id` pending and pends the handler. Any context; submitting
 * an already pending item does nothing more. now_us starts the hold-off
 * clock if nothing was pending. */
void work_submit(int id, uint64_t now_us);

/* Runs every pending item (the deferred-work handler calls this). Items
 * submitted while running are run in the same call. */
void work_run_pending(uint64_t now_us);

/* True if work has been pending, not run, for more than limit_us. */
bool work_held_off(uint64_t now_us, uint64_t limit_us);

/* Timers: one-shot (period 0) or periodic. */
int timer_register(int work_id);
void timer_start(int timer_id, uint64_t deadline_us, uint32_t period_us);
void timer_stop(int timer_id);
/* Called from the tick: submits the work of every due timer. */
void timers_expire(uint64_t now_us);

#endif /* WORK_H */
