/*
 * Fast interrupts against deferred work (run with keel run --icount, so
 * time is instructions and the counts below are exact):
 *  step 0: TIMER0 as a normal interrupt is held off while the microvisor
 *          drains a 1 KiB log line; as a fast interrupt it keeps firing,
 *          and its mv* calls get MICROVISORBUSY while it pre-empts the
 *          drain.
 *  step 1: a fast handler that hangs while pre-empting the drain (its third
 *          interrupt, the first comes as the veneer unmasks): the app is
 *          stopped as hung, but only after the drain finished.
 *  step 2: a fast handler that faults while pre-empting the drain: same.
 *  step 3: a normal handler that faults at the edge of a gateway call
 *          (TIMER0 expires during the call and fires as the veneer drops
 *          its mask): the veneer's secure context is discarded.
 * After each stop the app checks it was restarted with APPLICATIONCRASH.
 */
#include <string.h>

#include "testapp.h"

#define TIMER0_CTRL   (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE  (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)
#define TIMER0_INTCLR (*(volatile uint32_t *)0x4000000Cu)
#define NVIC_ISER0    (*(volatile uint32_t *)0xE000E100u)
#define NVIC_IPR(n)   (*(volatile uint8_t *)(0xE000E400u + (n)))
#define TIMER0_IRQ 3u

static uint8_t log_buffer[8192] __attribute__((aligned(512)));
static char long_line[1024];
static volatile uint32_t irq_count;
static volatile uint32_t misbehave; /* 0 none, 1 hang, 2 fault */
static volatile uint32_t misbehave_after; /* interrupts to let through first */
static volatile uint32_t calls_busy, calls_ok; /* mvNoOp from the handler */


void TIMER0_IRQHandler(void)
{
    TIMER0_INTCLR = 1;
    irq_count++;
    enum MvStatus st = mvNoOp();
    if (st == MV_STATUS_MICROVISORBUSY)
        calls_busy++;
    else if (st == MV_STATUS_OKAY)
        calls_ok++;
    if (misbehave_after) {
        misbehave_after--;
        return;
    }
    if (misbehave == 1)
        for (;;)
            ;
    if (misbehave == 2)
        (void)*(volatile uint32_t *)0x38000000u;
}

static void timer_start(uint32_t period_ticks)
{
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = period_ticks;
    TIMER0_VALUE = period_ticks;
    TIMER0_INTCLR = 1;
    TIMER0_CTRL = 1u | (1u << 3);
    NVIC_ISER0 = 1u << TIMER0_IRQ;
}

/* TIMER0 interrupts taken during one mvServerLog of the long line: the call
 * copies it (NS interrupts masked), then the drain runs as deferred work. */
static uint32_t irqs_during_log(void)
{
    uint32_t before = irq_count;
    mvServerLog((const uint8_t *)long_line, sizeof(long_line));
    return irq_count - before;
}

int main(void)
{
    enum MvWakeReason wake = 0xEE;
    uint32_t step = testapp_step();
    mvGetWakeReason(&wake);
    printf("fastirq: step %lu, wake reason %u\n", (unsigned long)step, (unsigned)wake);
    if (step > 0)
        testapp_check(wake == MV_WAKEREASON_APPLICATIONCRASH, "restarted after step %lu with APPLICATIONCRASH",
                      (unsigned long)(step - 1));
    memset(long_line, 'x', sizeof(long_line));
    testapp_expect_status(mvServerLoggingInit(log_buffer, sizeof(log_buffer)), MV_STATUS_OKAY,
                          "mvServerLoggingInit");
    NVIC_IPR(TIMER0_IRQ) = 0; /* as urgent as the app can make it */

    switch (step) {
    case 0: {
        timer_start(100); /* every 100 ticks = 5,000 instructions */
        uint32_t normal = irqs_during_log();
        testapp_expect_status(mvSetFastInterrupt(TIMER0_IRQ), MV_STATUS_OKAY, "mvSetFastInterrupt");
        uint32_t fast = irqs_during_log();
        printf("TIMER0 interrupts during a 1 KiB log drain: normal %lu, fast %lu\n",
               (unsigned long)normal, (unsigned long)fast);
        testapp_check(normal <= 2, "a normal interrupt is held off by deferred work (%lu)",
                      (unsigned long)normal);
        testapp_check(fast >= 4 && fast > normal + 2, "a fast interrupt pre-empts deferred work (%lu)",
                      (unsigned long)fast);
        printf("mvNoOp from the handler: %lu OKAY, %lu MICROVISORBUSY\n",
               (unsigned long)calls_ok, (unsigned long)calls_busy);
        testapp_check(calls_busy >= 2, "calls from a fast handler above deferred work: MICROVISORBUSY");
        testapp_check(calls_ok >= 1, "calls from a handler elsewhere: OKAY");
        testapp_step_set(1);
        misbehave_after = 2;
        misbehave = 1;
        irqs_during_log();
        testapp_check(0, "a hung fast handler returned");
        break;
    }
    case 1:
        mvSetFastInterrupt(TIMER0_IRQ);
        timer_start(100);
        testapp_step_set(2);
        misbehave_after = 2;
        misbehave = 2;
        irqs_during_log();
        testapp_check(0, "a faulting fast handler returned");
        break;
    case 2:
        /* Expires during the call (the copy alone takes longer than 50
         * ticks), fires as the veneer unmasks. */
        timer_start(50);
        testapp_step_set(3);
        misbehave = 2;
        irqs_during_log();
        testapp_check(0, "a handler faulting at a veneer's edge returned");
        break;
    default: {
        static const char done[] = "fastirq: microvisor still serving";
        mvServerLog((const uint8_t *)done, sizeof(done) - 1);
            testapp_finish();
    }
    }
    testapp_finish();
}
