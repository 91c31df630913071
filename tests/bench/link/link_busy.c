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
 * tick), read raw: board_time_us's microsecond (1000 instructions) is far
 * too coarse per sleep, and even a raw tick would leave each stretch up to
 * 50 instructions wrong, in a way that does not average out (an idle
 * device's stretches repeat with the same phase). So each side of a sleep
 * spins to the clock's next edge (clock_edge: a loop of exactly
 * SPIN_INSTR instructions, iterations counted), and a stretch of busy time
 * runs from the edge after one wake to the edge before the next sleep.
 * What this file itself adds to a stretch (the spin before the sleep,
 * SPIN_INSTR per counted iteration, and a constant path around it) comes
 * off in bench_link.py: the constant is measured at the first idle wait,
 * by CAL_CYCLES cycles of the same path with no WFI and no interrupt
 * (interrupts masked), and printed. The spin after a wake lies between
 * the wake and the edge, so outside any stretch.
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
#define SPIN_INSTR 4u   /* clock_edge's loop: adds, ldr, cmp, beq */
#define CAL_CYCLES 200u

/* Running totals of busy stretches, up to the last sleep; a stretch in
 * progress adds (woke_at - now) ticks. */
static uint32_t busy_ticks;  /* TIMER1_S ticks, edge to edge */
static uint32_t spins;       /* clock_edge iterations before each sleep */
static uint32_t sleeps;      /* stretches closed (WFIs done) */
static uint32_t woke_at;     /* TIMER1_S value at the edge after the last wake */
static bool started;
static bool armed;           /* an attempt started, its first PUBACK not seen */
static uint32_t mark_ticks, mark_spins, mark_sleeps;

static volatile uint32_t *const clock_reg =
    (volatile uint32_t *)(uintptr_t)(AN505_TIMER1_S + AN505_TIMER_VALUE);

/* Spins until TIMER1_S's value changes (an edge, seen within SPIN_INSTR
 * instructions); returns the new value and adds the iterations to *n. */
static uint32_t clock_edge(uint32_t *n)
{
    uint32_t v0, v, k = *n;
    __asm volatile("ldr %[v0], [%[r]]\n"
                   "1: adds %[k], %[k], #1\n"
                   "ldr %[v], [%[r]]\n"
                   "cmp %[v], %[v0]\n"
                   "beq 1b\n"
                   : [v0] "=&r"(v0), [v] "=&r"(v), [k] "+r"(k)
                   : [r] "r"(clock_reg)
                   : "cc", "memory");
    *n = k;
    return v;
}

/* Busy ticks up to now (the stretch in progress included). */
static uint32_t busy_now(void)
{
    return busy_ticks + (woke_at - *clock_reg); /* the clock counts down */
}

static void bench_report(uint64_t now_us)
{
    uint32_t b = busy_now(), sp = spins, sl = sleeps, t = sched_stats()->ticks;
    console_printf("[bench] busy %lu ticks %lu spins %lu sleeps %lu mv-ticks at %lu ms\n",
                   (unsigned long)b, (unsigned long)sp, (unsigned long)sl, (unsigned long)t,
                   (unsigned long)(now_us / 1000u));
}

static bool sleeping; /* false while calibrating */

/* One stretch's end and the next one's start, with the sleep between
 * unless calibrating. Interrupts are masked. */
static __attribute__((noinline)) void idle_cycle(bool sleep)
{
    uint32_t e0 = clock_edge(&spins);
    busy_ticks += woke_at - e0;
    sleeps++;
    if (sleep)
        __asm volatile("dsb\n\twfi" ::: "memory");
    uint32_t ignored = 0;
    woke_at = clock_edge(&ignored);
}

/* The bench path's own instructions per stretch, measured once: the same
 * calls as main.c's idle loop makes, with no sleep, interrupts masked, so
 * each stretch is nothing but that path (which differs from a sleeping
 * one by its loop's one extra instruction, and the DSB and WFI). */
static void calibrate(void)
{
    uint32_t ignored = 0;
    woke_at = clock_edge(&ignored);
    uint32_t t0 = busy_ticks, s0 = spins;
    for (uint32_t i = 0; i < CAL_CYCLES; i++)
        mv_idle_wait();
    uint32_t t = busy_ticks - t0, sp = spins - s0;
    busy_ticks = t0, spins = s0, sleeps -= CAL_CYCLES;
    sleeping = true;
    console_printf("[bench] calibration: %lu ticks %lu spins over %lu cycles\n",
                   (unsigned long)t, (unsigned long)sp, (unsigned long)CAL_CYCLES);
    woke_at = clock_edge(&ignored);
}

void mv_idle_wait(void)
{
    uint32_t primask;
    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    if (!started) {
        /* thread mode, interrupts masked: no handler sees the table change */
        started = true;
        calibrate();
        (void)sched_every(bench_report, BENCH_REPORT_S * 1000000u);
    }
    idle_cycle(sleeping);
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}

void link_bench_event(int ev)
{
    if (ev == 0) {
        mark_ticks = busy_now();
        mark_spins = spins;
        mark_sleeps = sleeps;
        armed = true;
        return;
    }
    if (ev != MQTT_EV_PUBACK || !armed)
        return;
    uint32_t b = busy_now() - mark_ticks, sp = spins - mark_spins, sl = sleeps - mark_sleeps;
    armed = false;
    console_printf("[bench] attempt to first puback: busy %lu ticks %lu spins %lu sleeps\n",
                   (unsigned long)b, (unsigned long)sp, (unsigned long)sl);
}
