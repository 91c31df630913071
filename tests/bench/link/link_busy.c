/*
 * IMPLEMENTATION NOTES
 * The link bench build (microvisor_linkbench.elf, run by bench_link.py):
 * the production microvisor plus this file, which overrides two weak
 * seams to count the time the M33 is not asleep. Under QEMU
 * `-icount shift=0,align=off,sleep=off` one instruction is one virtual
 * nanosecond, and a WFI jumps the clock to the next timer deadline, so
 * virtual time not spent in WFI is instructions executed.
 *
 *  - mv_idle_wait (core/main.c): the only place the CPU sleeps on a device
 *    with no runnable application (the bench boots one: bench_link.py
 *    blanks the app slot). PRIMASK is set across the WFI, which still
 *    wakes on a pending interrupt, so the clock is read on either side of
 *    the sleep alone; the handler that woke it runs after, counted busy.
 *  - link_bench_event (link/link.c): an attempt starts (0) or an MQTT
 *    event arrives. The first PUBACK after an attempt's start prints the
 *    busy time since that start: "link up to first acknowledged publish".
 *
 * The clock is TIMER1_S (the microvisor's, 20 MHz: 50 instructions a
 * tick), read raw rather than through board_time_us (1 us = 1000
 * instructions, too coarse per sleep). A wake lands on a timer deadline,
 * a sleep starts anywhere within a tick: each busy stretch reads on
 * average half a tick short, so the script adds half a tick per sleep
 * (the sleeps are counted) and states the error bound (a tick per sleep).
 *
 * Every BENCH_REPORT_S of virtual time a line gives the running totals,
 * for the idle figure. Its own printing lands in the next interval (a few
 * thousand instructions a minute). The counters are static words of this
 * bench build only: the production image has the two weak no-ops.
 */
#include <stdbool.h>
#include <stdint.h>

#include "an505.h"
#include "board.h"
#include "console.h"
#include "link.h"
#include "mqtt.h"
#include "sched.h"

#define BENCH_REPORT_S 60u

static uint32_t busy_ticks;  /* ticks awake, up to the last sleep */
static uint32_t sleeps;      /* WFIs done */
static uint32_t woke_at;     /* TIMER1_S value at the last wake */
static bool started;
static bool armed;           /* an attempt started, its first PUBACK not seen */
static uint32_t mark_ticks, mark_sleeps;

static uint32_t clock_value(void)
{
    return AN505_REG32(AN505_TIMER1_S + AN505_TIMER_VALUE); /* counts down */
}

/* Busy ticks up to now (the stretch in progress included). */
static uint32_t busy_now(void)
{
    return busy_ticks + (woke_at - clock_value());
}

static void bench_report(uint64_t now_us)
{
    uint32_t b = busy_now(), s = sleeps;
    console_printf("[bench] busy %lu ticks %lu sleeps at %lu ms\n", (unsigned long)b,
                   (unsigned long)s, (unsigned long)(now_us / 1000u));
}

void mv_idle_wait(void)
{
    __asm volatile("cpsid i" ::: "memory");
    if (!started) {
        /* thread mode, interrupts masked: no handler sees the table change */
        started = true;
        woke_at = clock_value();
        (void)sched_every(bench_report, BENCH_REPORT_S * 1000000u);
    }
    uint32_t t0 = clock_value();
    busy_ticks += woke_at - t0;
    __asm volatile("dsb\n\twfi" ::: "memory");
    woke_at = clock_value();
    sleeps++;
    __asm volatile("cpsie i" ::: "memory");
}

void link_bench_event(int ev)
{
    if (ev == 0) {
        mark_ticks = busy_now();
        mark_sleeps = sleeps;
        armed = true;
        return;
    }
    if (ev != MQTT_EV_PUBACK || !armed)
        return;
    uint32_t b = busy_now() - mark_ticks, s = sleeps - mark_sleeps;
    armed = false;
    console_printf("[bench] attempt to first puback: busy %lu ticks %lu sleeps\n",
                   (unsigned long)b, (unsigned long)s);
}
