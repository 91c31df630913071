/*
 * Measures, under QEMU -icount (1 ns of virtual time per instruction):
 *  - boot_to_app_main: the FPGA I/O counter (20 MHz, from reset) at main;
 *  - mvnoop_roundtrip: instructions per mvNoOp call, from the caller's BL
 *    to its return, by timing many calls against as many calls of an
 *    empty function with TIMER0 (20 MHz: one tick per 50 instructions).
 *  - app_holdoff_*: the longest the application's thread is kept from
 *    running by microvisor work, seen as the largest gap between two
 *    consecutive TIMER0 reads in a tight loop: with only the secure tick
 *    running, and while a 64-byte log message is drained to the console.
 * Prints "BENCH <name> <value> <unit>" lines and exits 0.
 */
#include "testapp.h"

#define FPGAIO_COUNTER 0x40302018u
#define TIMER0_CTRL   (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE  (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)
#define INSTR_PER_TICK 50u
#define CALLS 20000u

__attribute__((noinline)) static enum MvStatus empty_call(void)
{
    __asm volatile("" ::: "memory");
    return MV_STATUS_OKAY;
}

static uint32_t timed_loop(enum MvStatus (*fn)(void))
{
    uint32_t start = TIMER0_VALUE;
    for (uint32_t i = 0; i < CALLS; i++)
        fn();
    return start - TIMER0_VALUE; /* counts down */
}

static const char log_msg[64] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* Largest gap, in instructions, between consecutive timer reads over
 * `reads` reads; halfway through, optionally log a 64-byte message (the
 * gap then includes the call and the deferred work that drains it). */
static uint32_t largest_gap(uint32_t reads, int log_halfway)
{
    uint32_t prev = TIMER0_VALUE, worst = 0;
    for (uint32_t i = 0; i < reads; i++) {
        if (log_halfway && i == reads / 2)
            mvServerLog((const uint8_t *)log_msg, sizeof(log_msg));
        uint32_t now = TIMER0_VALUE;
        if (prev - now > worst)
            worst = prev - now;
        prev = now;
    }
    return worst * INSTR_PER_TICK;
}

static uint8_t log_buffer[4096] __attribute__((aligned(512)));

int main(void)
{
    uint32_t boot_ticks = 0;
    mvPeriphPeek32(FPGAIO_COUNTER, &boot_ticks);

    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1;

    uint32_t c0 = 0, c1 = 0;
    mvPeriphPeek32(FPGAIO_COUNTER, &c0);
    uint32_t t_empty = timed_loop(empty_call);
    mvPeriphPeek32(FPGAIO_COUNTER, &c1);
    /* The two clocks must agree (both 20 MHz): if the counter ran at some
     * other rate the boot figure would be wrong, so refuse to report it. */
    uint32_t dc = c1 - c0;
    if (dc * 100u < t_empty * 98u || dc * 100u > t_empty * 102u) {
        printf("calibration failed: counter %lu ticks, timer %lu ticks\n",
               (unsigned long)dc, (unsigned long)t_empty);
        testapp_exit(1);
    }
    uint32_t t_noop = timed_loop(mvNoOp);
    /* The empty call itself is BL + BX LR: 2 instructions, which belong to
     * the round trip too. */
    uint32_t per_call_x100 = (uint32_t)(((uint64_t)(t_noop - t_empty) * INSTR_PER_TICK * 100u) / CALLS) + 200u;

    /* ~5 ms of reads: at least four secure ticks. */
    uint32_t gap_tick = largest_gap(100000, 0);
    mvServerLoggingInit(log_buffer, sizeof(log_buffer));
    uint32_t gap_log = largest_gap(100000, 1);

    printf("BENCH app_holdoff_tick %lu instr\n", (unsigned long)gap_tick);
    printf("BENCH app_holdoff_logdrain %lu instr\n", (unsigned long)gap_log);
    printf("BENCH boot_to_app_main %lu instr\n", (unsigned long)boot_ticks * INSTR_PER_TICK);
    printf("BENCH mvnoop_roundtrip %lu.%02lu instr\n", (unsigned long)(per_call_x100 / 100u),
           (unsigned long)(per_call_x100 % 100u));
    testapp_exit(0);
}
