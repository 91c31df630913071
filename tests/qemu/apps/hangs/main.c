/*
 * hangs: holds the microvisor off in each way an application can (masked
 * interrupts in Thread mode, a high-priority handler that never returns,
 * two interrupt floods), then crashes after a run long enough to reset the
 * back-off, and finally returns from main. Each hang first queues an
 * mvServerLog message with interrupts masked, so deferred work is pending
 * from a known moment (the stamp kept in .noinit): the time to the restart
 * minus the back-off is the hold-off detection time, which
 * tests/qemu/test_hangs.py checks with the microvisor's log.
 */
#include <string.h>

#include "ns_hw.h"
#include "testapp.h"

#define STATE_MAGIC 0x4A6C0DE5u
#define LONG_RUN_US 10300000u /* > MV_RESTART_RESET_MS */

typedef void (*provoke_fn)(void);

struct step {
    const char *name;
    provoke_fn provoke;
};

#define MAX_STEPS 16u
static struct {
    uint32_t magic;
    uint32_t step;
    uint32_t failures;
    uint64_t crash_us;
    uint64_t delay_us[MAX_STEPS];
    uint8_t wake[MAX_STEPS];
    uint32_t irq_count;       /* handler entries during the last flood */
    uint32_t flood_count[MAX_STEPS];
} st TESTAPP_NOINIT;

static uint8_t log_buffer[1024] __attribute__((aligned(512)));
static volatile uint32_t timer0_count, systick_count;
static volatile int timer0_flood;
static volatile int main_returned;

static void log_text(const char *text)
{
    mvServerLog((const uint8_t *)text, (uint16_t)strlen(text));
}

/* Masks interrupts and queues a log message: deferred work is pending
 * from here on and cannot run until the application unmasks. */
static void hold_off_start(const char *what)
{
    __asm volatile("cpsid i" ::: "memory");
    st.crash_us = ns_now_us();
    log_text(what);
}

static void unmask(void)
{
    __asm volatile("cpsie i" ::: "memory");
}

/* ---- provokers ------------------------------------------------------------ */

static void provoke_masked(void)
{
    hold_off_start("hangs: masked loop");
    for (;;)
        ;
}

static void provoke_masked_basepri(void)
{
    /* BASEPRI_NS 0x20 is deferred work's level (0x90) under PRIS. */
    hold_off_start("hangs: BASEPRI loop");
    __asm volatile("msr basepri, %0" ::"r"(0x20u));
    unmask();
    for (;;)
        ;
}

static void provoke_stuck_handler(void)
{
    hold_off_start("hangs: stuck in IRQ80");
    ns_irq_setup(IRQ_SPARE0, 0x00);
    ns_irq_pend(IRQ_SPARE0);
    unmask();
    for (;;)
        ;
}

static void provoke_flood_timer0(void)
{
    hold_off_start("hangs: TIMER0 flood");
    timer0_flood = 1;
    ns_timer0_start(200u, 0x00); /* every 10 us */
    /* Unmask only once it is pending, so it wins against deferred work. */
    while (!(TIMER0_INTCLR & 1u))
        ;
    unmask();
    for (;;)
        ;
}

static void provoke_flood_spare(void)
{
    hold_off_start("hangs: IRQ81 flood");
    ns_irq_setup(IRQ_SPARE0 + 1u, 0x00);
    ns_irq_pend(IRQ_SPARE0 + 1u);
    unmask();
    for (;;)
        ;
}

static void provoke_after_long_run(void)
{
    /* Run longer than MV_RESTART_RESET_MS since this start, then fault:
     * the back-off history is forgotten. Heartbeats show the microvisor
     * serving the application meanwhile. */
    uint64_t start = ns_now_us(), beat = start;
    while (ns_now_us() - start < LONG_RUN_US) {
        if (ns_now_us() - beat >= 1000000u) {
            beat += 1000000u;
            log_text("hangs: long run heartbeat");
        }
        __asm volatile("wfi");
    }
    st.crash_us = ns_now_us();
    __asm volatile("udf #1");
}

static void provoke_quick_again(void)
{
    __asm volatile("udf #2");
}

static const struct step steps[] = {
    { "masked", provoke_masked },
    { "masked-basepri", provoke_masked_basepri },
    { "stuck-handler", provoke_stuck_handler },
    { "flood-timer0", provoke_flood_timer0 },
    { "flood-spare", provoke_flood_spare },
    { "long-run", provoke_after_long_run },
    { "quick-again", provoke_quick_again },
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))
_Static_assert(NSTEPS <= MAX_STEPS, "state too small");

/* ---- handlers ------------------------------------------------------------- */

void SysTick_Handler(void)
{
    systick_count++;
}

void TIMER0_IRQHandler(void)
{
    TIMER0_INTCLR = 1;
    timer0_count++;
    if (timer0_flood) {
        st.irq_count++;
        /* Busy until the next period has begun: never catches up. */
        while (!(TIMER0_INTCLR & 1u))
            ;
    }
    if (main_returned && timer0_count == 200u) {
        log_text("hangs: TIMER0 still served after main returned");
        testapp_check(1, "interrupts served after main returned");
        st.magic = 0;
        testapp_check(st.failures == 0, "earlier runs: %lu failures",
                      (unsigned long)st.failures);
        testapp_finish();
    }
}

void IRQ80_Handler(void)
{
    for (;;)
        ;
}

void IRQ81_Handler(void)
{
    st.irq_count++;
    ns_irq_pend(IRQ_SPARE0 + 1u);
}

/* ---- the sequence --------------------------------------------------------- */

static void check_interrupts(void)
{
    timer0_count = systick_count = 0;
    ns_systick_start(20000u);
    ns_timer0_start(20000u, 0xC0);
    uint32_t s = ns_wait_count(&systick_count, 3, 500000u);
    uint32_t t = ns_wait_count(&timer0_count, 3, 500000u);
    SYST_CSR = 0;
    TIMER0_CTRL = 0;
    NVIC_ICER(0) = 1u << IRQ_TIMER0;
    testapp_check(s >= 3, "SysTick_NS interrupts arrive (%lu)", (unsigned long)s);
    testapp_check(t >= 3, "TIMER0 interrupts arrive (%lu)", (unsigned long)t);
}

int main(void)
{
    enum MvWakeReason wake = 0xEE;
    uint64_t started = ns_now_us();
    char line[64];

    if (st.magic != STATE_MAGIC) {
        memset(&st, 0, sizeof(st));
        st.magic = STATE_MAGIC;
    }
    testapp_expect_status(mvGetWakeReason(&wake), MV_STATUS_OKAY, "mvGetWakeReason");
    testapp_expect_status(mvServerLoggingInit(log_buffer, sizeof(log_buffer)),
                          MV_STATUS_OKAY, "mvServerLoggingInit");
    snprintf(line, sizeof(line), "hangs: run %lu wake %u", (unsigned long)st.step,
             (unsigned)wake);
    log_text(line);
    if (st.step == 0) {
        testapp_check(wake == MV_WAKEREASON_COLDBOOT, "first run: cold boot");
    } else {
        uint32_t prev = st.step - 1u;
        st.delay_us[prev] = started - st.crash_us;
        st.wake[prev] = (uint8_t)wake;
        st.flood_count[prev] = st.irq_count;
        testapp_check(wake == MV_WAKEREASON_APPLICATIONCRASH,
                      "after %s: wake reason %u (want 8)", steps[prev].name,
                      (unsigned)wake);
    }
    st.irq_count = 0;
    check_interrupts();

    if (st.step < NSTEPS) {
        const struct step *s = &steps[st.step];
        st.failures += testapp_failures();
        st.step++;
        printf("provoking %s\n", s->name);
        fflush(stdout);
        st.crash_us = ns_now_us();
        s->provoke();
        testapp_check(0, "%s: survived", s->name);
        testapp_finish();
    }

    for (uint32_t i = 0; i < NSTEPS; i++)
        printf("delay %s %lu us wake %u irqs %lu\n", steps[i].name,
               (unsigned long)st.delay_us[i], (unsigned)st.wake[i],
               (unsigned long)st.flood_count[i]);
    st.failures += testapp_failures();
    /* Return from main with TIMER0 running: the SDK parks the application
     * in a WFI loop; its interrupts are still served (the handler ends the
     * test), and the microvisor does not treat the return as a crash. */
    printf("provoking return-from-main\n");
    fflush(stdout);
    main_returned = 1;
    timer0_count = 0;
    ns_timer0_start(20000u, 0xC0);
    return 0;
}
