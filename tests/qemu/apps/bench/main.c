/*
 * Measures, under QEMU -icount (1 ns of virtual time per instruction):
 *  - boot_to_app_main: the FPGA I/O counter (20 MHz, from reset) at main;
 *  - mvnoop_roundtrip: instructions per mvNoOp call, from the caller's BL
 *    to its return, by timing many calls against as many calls of an
 *    empty function with TIMER0 (20 MHz: one tick per 50 instructions).
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

    printf("BENCH boot_to_app_main %lu instr\n", (unsigned long)boot_ticks * INSTR_PER_TICK);
    printf("BENCH mvnoop_roundtrip %lu.%02lu instr\n", (unsigned long)(per_call_x100 / 100u),
           (unsigned long)(per_call_x100 % 100u));
    testapp_exit(0);
}
