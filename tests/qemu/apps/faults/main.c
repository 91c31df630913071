/*
 * faults: provokes one application fault class per run and checks, after
 * each restart, that the microvisor restarted it with the APPLICATIONCRASH
 * wake reason, that its interrupts (TIMER0, SysTick_NS) and mvServerLog work
 * again, and how long the restart took (mvGetMicroseconds stamps kept in
 * .noinit across restarts). tests/qemu/test_faults.py checks the
 * microvisor's side (kind, back-off) against the "provoking" lines.
 */
#include <stdlib.h>
#include <string.h>

#include "ns_hw.h"
#include "testapp.h"

#define STATE_MAGIC 0xFA17C0DEu

typedef void (*provoke_fn)(void);

struct step {
    const char *name;
    provoke_fn provoke;
};

/* Kept across restarts: where the sequence is and what each run saw. */
#define MAX_STEPS 24u
static struct {
    uint32_t magic;
    uint32_t step;       /* next step to provoke */
    uint32_t failures;   /* of the runs before this one */
    uint64_t crash_us;   /* stamp just before the last provocation */
    uint64_t delay_us[MAX_STEPS];
    uint8_t wake[MAX_STEPS];
} st TESTAPP_NOINIT;

static uint8_t log_buffer[1024] __attribute__((aligned(512)));

/* What the interrupt handlers do this run. */
enum irq_mode { IRQ_COUNT, IRQ_FAULT, IRQ_NEST };
static volatile enum irq_mode irq_mode;
static volatile uint32_t timer0_count, systick_count;

static void log_line(const char *fmt, uint32_t a, uint32_t b)
{
    char line[96];
    int n = snprintf(line, sizeof(line), fmt, (unsigned long)a, (unsigned long)b);
    if (n > 0)
        mvServerLog((const uint8_t *)line, (uint16_t)n);
}

/* ---- provokers: none of them returns ----------------------------------- */

static void provoke_udf(void)
{
    __asm volatile("udf #0x42");
}

static void provoke_svc_masked(void)
{
    /* SVC with its priority masked cannot be taken: escalates to HardFault. */
    __asm volatile("cpsid i\n\tsvc #1");
}

static void provoke_exec_invalid(void)
{
    /* The system region is execute-never, whatever the SAU says. */
    ((void (*)(void))0xE0100001u)();
}

static void provoke_unpriv_ppb(void)
{
    /* Unprivileged code may not touch the System Control Space: BusFault. */
    __asm volatile("msr control, %0\n\tisb" ::"r"(1u));
    (void)NS_REG32(0xE000ED00u);
}

static void provoke_unpriv_ppb_masked(void)
{
    /* The same with PRIMASK_NS set: the Secure BusFault still pre-empts. */
    __asm volatile("cpsid i\n\tmsr control, %0\n\tisb" ::"r"(1u));
    (void)NS_REG32(0xE000ED00u);
}

static void provoke_mpc_alias(void)
{
    /* SSRAM2's NS alias: MPC1 keeps it Secure, and so does the SAU. */
    (void)NS_REG32(0x28000000u);
}

static void provoke_div0(void)
{
    volatile uint32_t num = 7, den = 0, quot;
    SCB_CCR |= CCR_DIV_0_TRP;
    __asm volatile("dsb\n\tisb");
    quot = num / den;
    (void)quot;
}

static void provoke_unaligned_ldrd(void)
{
    static uint32_t words[4];
    uint32_t lo, hi;
    __asm volatile("ldrd %0, %1, [%2]" : "=r"(lo), "=r"(hi) : "r"((uintptr_t)words + 2u));
    (void)lo, (void)hi;
}

static void provoke_unaligned_ldm(void)
{
    static uint32_t words[4];
    __asm volatile("mov r0, %0\n\tldm r0, {r1, r2}" ::"r"((uintptr_t)words + 1u)
                   : "r0", "r1", "r2");
}

static void provoke_invalid_state(void)
{
    /* A branch target with bit 0 clear selects the (absent) ARM state. */
    void (*fn)(void) = (void (*)(void))((uintptr_t)provoke_udf & ~1u);
    fn();
}

static void provoke_secure_ram(void)
{
    (void)NS_REG32(0x38000000u);
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static uint32_t __attribute__((noinline)) recurse(uint32_t n)
{
    volatile uint8_t pad[64];
    pad[n % 64u] = (uint8_t)n;
    return recurse(n + 1u) + pad[0];
}

static void provoke_stack_overflow(void)
{
    (void)recurse(0);
}

static void provoke_fault_in_irq(void)
{
    irq_mode = IRQ_FAULT;
    ns_irq_setup(IRQ_TIMER0, 0x80);
    ns_irq_pend(IRQ_TIMER0);
    for (;;)
        __asm volatile("wfi");
}

static void provoke_nested2(void)
{
    /* TIMER0 (active) -> IRQ80 (active, faults): two NS handlers to unwind. */
    irq_mode = IRQ_NEST;
    ns_irq_setup(IRQ_SPARE0, 0x40);
    ns_irq_setup(IRQ_TIMER0, 0x80);
    ns_irq_pend(IRQ_TIMER0);
    for (;;)
        __asm volatile("wfi");
}

static void provoke_nested3(void)
{
    /* SVCall -> TIMER0 -> IRQ80 (faults): a system exception and two IRQs
     * active at once. */
    irq_mode = IRQ_NEST;
    NS_REG32(0xE000ED1Cu) = 0xC0u << 24; /* SHPR2: SVCall priority */
    ns_irq_setup(IRQ_SPARE0, 0x40);
    ns_irq_setup(IRQ_TIMER0, 0x80);
    __asm volatile("svc #3");
    for (;;)
        __asm volatile("wfi");
}

static void provoke_exit(void)
{
    exit(0);
}

static const struct step steps[] = {
    { "udf", provoke_udf },
    { "svc-masked", provoke_svc_masked },
    { "exec-invalid", provoke_exec_invalid },
    { "unpriv-ppb", provoke_unpriv_ppb },
    { "unpriv-ppb-masked", provoke_unpriv_ppb_masked },
    { "mpc-alias", provoke_mpc_alias },
    { "div0", provoke_div0 },
    { "unaligned-ldrd", provoke_unaligned_ldrd },
    { "unaligned-ldm", provoke_unaligned_ldm },
    { "invalid-state", provoke_invalid_state },
    { "secure-ram", provoke_secure_ram },
    { "stack-overflow", provoke_stack_overflow },
    { "fault-in-irq", provoke_fault_in_irq },
    { "nested2", provoke_nested2 },
    { "nested3", provoke_nested3 },
    { "exit", provoke_exit },
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))
_Static_assert(NSTEPS <= MAX_STEPS, "state too small");

/* ---- handlers ------------------------------------------------------------ */

void SysTick_Handler(void)
{
    systick_count++;
}

void SVC_Handler(void)
{
    ns_irq_pend(IRQ_TIMER0); /* higher priority: taken at once */
    for (;;)
        ;
}

void TIMER0_IRQHandler(void)
{
    TIMER0_INTCLR = 1;
    timer0_count++;
    if (irq_mode == IRQ_FAULT)
        (void)NS_REG32(0x38000000u);
    if (irq_mode == IRQ_NEST) {
        ns_irq_pend(IRQ_SPARE0);
        for (;;)
            ;
    }
}

void IRQ80_Handler(void)
{
    __asm volatile("udf #0x80");
}

/* ---- the sequence -------------------------------------------------------- */

static void check_interrupts(void)
{
    irq_mode = IRQ_COUNT;
    timer0_count = systick_count = 0;
    ns_systick_start(20000u);         /* 1 ms */
    ns_timer0_start(20000u, 0xC0);    /* 1 ms */
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

    if (st.magic != STATE_MAGIC) {
        memset(&st, 0, sizeof(st));
        st.magic = STATE_MAGIC;
    }
    testapp_expect_status(mvGetWakeReason(&wake), MV_STATUS_OKAY, "mvGetWakeReason");
    testapp_expect_status(mvServerLoggingInit(log_buffer, sizeof(log_buffer)),
                          MV_STATUS_OKAY, "mvServerLoggingInit");
    log_line("faults: run %lu wake %lu", st.step, wake);
    if (st.step == 0) {
        testapp_check(wake == MV_WAKEREASON_COLDBOOT, "first run: cold boot");
    } else {
        uint32_t prev = st.step - 1u;
        st.delay_us[prev] = started - st.crash_us;
        st.wake[prev] = (uint8_t)wake;
        uint8_t want = strcmp(steps[prev].name, "exit") == 0
                           ? MV_WAKEREASON_COLDBOOT
                           : MV_WAKEREASON_APPLICATIONCRASH;
        testapp_check(wake == want, "after %s: wake reason %u (want %u)",
                      steps[prev].name, (unsigned)wake, (unsigned)want);
    }
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
        printf("delay %s %lu us wake %u\n", steps[i].name,
               (unsigned long)st.delay_us[i], (unsigned)st.wake[i]);
    log_line("faults: all %lu steps done, %lu earlier failures", NSTEPS, st.failures);
    uint32_t earlier = st.failures;
    st.magic = 0;
    testapp_check(earlier == 0, "earlier runs: %lu failures", (unsigned long)earlier);
    testapp_finish();
}
