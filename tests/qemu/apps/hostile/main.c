/*
 * The hostile application's run sequence.
 *
 * Run 1 (cold boot): every attack that must NOT crash (api.c). Then one
 * crash step per application run: the step about to be taken is recorded
 * in .noinit memory, the attack faults, the microvisor logs
 * "[mv] app crash: <kind>" and restarts the application, which checks it
 * came back with MV_WAKEREASON_APPLICATIONCRASH and that the microvisor
 * still serves calls, then asks for a clean restart (mvRestart: wake
 * reason COLDBOOT, and the crash back-off starts again from its minimum,
 * so the whole sequence stays fast). tests/qemu/test_hostile.py knows
 * which fault kind each step must produce.
 *
 * The failure count survives the restarts in .noinit and becomes the exit
 * status of the last run.
 */
#include <string.h>

#include "hostile.h"

#define MAGIC 0x4057113Eu

/* PEND_CHECKED: a restarted run has done its checks and is waiting; a
 * start in this state is a restart nobody asked for. */
enum pending { PEND_NONE, PEND_CRASH, PEND_CHECKED, PEND_RESTART };

static uint32_t magic TESTAPP_NOINIT;
static uint32_t step TESTAPP_NOINIT;    /* crash step in flight */
static uint32_t pending TESTAPP_NOINIT; /* what the next start should see */
static uint32_t carried TESTAPP_NOINIT; /* failures of earlier runs */
static uint32_t runs TESTAPP_NOINIT;
static uint32_t rep TESTAPP_NOINIT;
static MvNotificationHandle stale TESTAPP_NOINIT; /* a center from run 1 */

static uint32_t carried_this_run;

/* Adds this run's new failures to the total that survives a restart. */
static void carry(void)
{
    uint32_t f = testapp_failures();
    carried += f - carried_this_run;
    carried_this_run = f;
}

/* ---- the attacks that must crash ------------------------------------------ */

#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_ISPR(n) REG32(0xE000E200u + 4u * (n))
#define SCB_VTOR     REG32(0xE000ED08u)

static void load(uint32_t a)
{
    (void)REG32(a);
}

static void jump(uint32_t a)
{
    ((void (*)(void))(uintptr_t)(a | 1u))();
}

static void a_load_secure_ram(void) { load(0x38000000u); }
static void a_store_secure_ram(void) { REG32(0x38000100u) = 0xBADC0DEu; }
static void a_load_secure_code(void) { load(0x10010000u); }
static void a_load_nsc(void) { load(0x10010400u); }
static void a_load_boot_rom(void) { load(0x10000000u); }
static void a_load_null(void) { load(0x00000000u); }
static void a_store_ns_alias_mv(void) { REG32(0x00010400u) = 0xE7FEE7FEu; }
static void a_load_flash(void) { load(0x80000000u); }
static void a_store_flash(void) { REG32(0x80010000u) = 0; }
static void a_load_eth_ns(void) { load(0x42000064u); /* BYTE_TEST */ }
static void a_load_eth_s(void) { load(0x52000064u); }
static void a_store_uart0_ns(void) { REG32(0x40200000u) = 'X'; }
static void a_load_uart0_s(void) { load(0x50200004u); }
static void a_store_uart2_ns(void) { REG32(0x40202000u) = 'K'; /* the update port */ }
static void a_load_uart2_s(void) { load(0x50202004u); }
static void a_store_timer1(void) { REG32(0x40001000u) = 0; /* CTRL: stop the mv clock */ }
static void a_store_swdog(void) { REG32(0x50081C00u) = 0x1ACCE551u; /* LOCK */ }
static void a_load_spc(void) { load(0x50080000u); }
static void a_store_spc_ppc(void) { REG32(0x50080084u) = 0xFFFFFFFFu; /* APBNSPPCEXP1 */ }
static void a_load_nspc(void) { load(0x40080000u); }
static void a_store_mpc(void) { REG32(0x58007000u) = 0; }
static void a_load_ssram2_ns(void) { load(0x28000000u); }
static void a_store_fpgaio(void) { REG32(0x40302000u) = 3; /* LEDs, directly */ }
static void a_jump_veneer_plus4(void) { jump(0x10010404u); }
static void a_jump_secure_code(void) { jump(0x10011400u); }
static void a_jump_unused_nsc(void) { jump(0x10010C00u); }
static void a_jump_ns_alias(void) { jump(0x00010400u); }

static void a_wild_sp(void)
{
    __asm volatile("msr msp, %0\n\t"
                   "push {r0-r3}" ::"r"(0x38000800u) : "memory");
}

static void a_vtor_secure(void)
{
    SCB_VTOR = 0x38000000u;
    NVIC_ISER(83u / 32u) = 1u << (83u % 32u);
    NVIC_ISPR(83u / 32u) = 1u << (83u % 32u);
    __asm volatile("dsb\n\tisb" ::: "memory");
}

static void scribble_stubs(void)
{
    for (uint32_t a = 0x003FFF00u; a < 0x00400000u; a += 4u)
        REG32(a) = 0xDEDEDEDEu; /* udf #0xde */
}

static void a_stubs_then_crash(void)
{
    scribble_stubs();
    load(0x38000000u);
}

static void a_stubs_then_restart(void)
{
    scribble_stubs();
    mvRestart(MV_RESTARTMODE_AUTOAPPLYUPDATE);
}

/* mvRestart, then an interrupt whose handler faults while the caller is
 * parked waiting for the restart: the crash must consume the restart
 * request, not leave it to kill the next run. TIMER0 fires 100 us after
 * the call, normally before the next 1 ms tick restarts the app; if the
 * tick wins, the app restarts cleanly instead. */
static volatile uint32_t timer_crash_armed;
void TIMER0_IRQHandler(void)
{
    if (timer_crash_armed)
        load(0x38000000u);
    REG32(0x40000000u + 0x0Cu) = 1; /* INTCLR */
}

static void a_restart_then_irq_crash(void)
{
    timer_crash_armed = 1;
    REG32(0x40000000u) = 0;                 /* CTRL: stop */
    REG32(0x40000000u + 0x08u) = 2000u;     /* RELOAD: 100 us at 20 MHz */
    REG32(0x40000000u + 0x04u) = 2000u;     /* VALUE */
    REG32(0x40000000u + 0x0Cu) = 1;         /* INTCLR */
    NVIC_ISER(0) = 1u << 3;                 /* TIMER0 IRQ 3 */
    REG32(0x40000000u) = 1u | (1u << 3);    /* EN | IRQEN */
    mvRestart(MV_RESTARTMODE_AUTOAPPLYUPDATE);
}

/* An IRQ the microvisor pends during a call is taken the moment the call
 * unmasks interrupts, in the veneer's exit (Secure state); its handler
 * faults, so that Secure context is never returned to. */
static void a_irq_during_call_crashes(void)
{
    static struct MvNotification ring[2] __attribute__((aligned(8)));
    struct MvNotificationSetup s = { 81, ring, sizeof(ring) };
    MvNotificationHandle h = 0;
    mvSetupNotifications(&s, &h);
    hostile_irq81_crash = 1;
    NVIC_ISER(81u / 32u) = 1u << (81u % 32u);
    mvTempTriggerNotification(h, MV_EVENTTYPE_CHANNELDATAREADABLE, 1);
}

#define W(r) (1u << (r))
#define CRASH W(MV_WAKEREASON_APPLICATIONCRASH)
#define CLEAN W(MV_WAKEREASON_COLDBOOT)

struct crash_step {
    const char *name; /* test_hostile.py keys its expected fault kind on it */
    void (*attack)(void);
    uint32_t wakes;   /* wake reasons the next run may see */
    uint32_t repeat;  /* times in a row */
};

static const struct crash_step steps[] = {
    { "load secure RAM", a_load_secure_ram, CRASH, 1 },
    { "store secure RAM", a_store_secure_ram, CRASH, 1 },
    { "load secure code", a_load_secure_code, CRASH, 1 },
    { "load NSC veneer", a_load_nsc, CRASH, 1 },
    { "load boot ROM", a_load_boot_rom, CRASH, 1 },
    { "load NULL (NS alias of boot ROM)", a_load_null, CRASH, 1 },
    { "store NS alias of microvisor code", a_store_ns_alias_mv, CRASH, 1 },
    { "load flash", a_load_flash, CRASH, 1 },
    { "store flash", a_store_flash, CRASH, 1 },
    { "load ethernet NS alias", a_load_eth_ns, CRASH, 1 },
    { "load ethernet S alias", a_load_eth_s, CRASH, 1 },
    { "store UART0 NS alias", a_store_uart0_ns, CRASH, 1 },
    { "load UART0 S alias", a_load_uart0_s, CRASH, 1 },
    { "store UART2 (update port) NS alias", a_store_uart2_ns, CRASH, 1 },
    { "load UART2 (update port) S alias", a_load_uart2_s, CRASH, 1 },
    { "store TIMER1", a_store_timer1, CRASH, 1 },
    { "store secure watchdog", a_store_swdog, CRASH, 1 },
    { "load security controller", a_load_spc, CRASH, 1 },
    { "store security controller PPC", a_store_spc_ppc, CRASH, 1 },
    { "load NS privilege control", a_load_nspc, CRASH, 1 },
    { "store MPC", a_store_mpc, CRASH, 1 },
    { "load SSRAM2 NS alias", a_load_ssram2_ns, CRASH, 1 },
    { "store FPGAIO LEDs directly", a_store_fpgaio, CRASH, 1 },
    { "jump veneer+4", a_jump_veneer_plus4, CRASH, 1 },
    { "jump secure code", a_jump_secure_code, CRASH, 1 },
    { "jump unused NSC slot", a_jump_unused_nsc, CRASH, 1 },
    { "jump NS alias of microvisor code", a_jump_ns_alias, CRASH, 1 },
    { "wild SP in secure RAM", a_wild_sp, CRASH, 1 },
    { "VTOR_NS in secure RAM then IRQ", a_vtor_secure, CRASH, 1 },
    { "stubs scribbled then crash", a_stubs_then_crash, CRASH, 1 },
    /* Each of these once left a Secure frame behind on the microvisor's
     * stack; 47 in a row exhausted it (lockup). */
    { "IRQ pended by a call crashes in the veneer exit", a_irq_during_call_crashes, CRASH, 64 },
    { "stubs scribbled then mvRestart", a_stubs_then_restart, CLEAN, 1 },
    { "mvRestart then a crashing IRQ while parked", a_restart_then_irq_crash, CRASH | CLEAN, 1 },
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

/* ---- the sequence ----------------------------------------------------------- */

static void wait_ms(uint32_t ms)
{
    uint64_t t0 = 0, t = 0;
    mvGetMicroseconds(&t0);
    do
        mvGetMicroseconds(&t);
    while (t - t0 < 1000u * (uint64_t)ms);
}

static void __attribute__((noreturn)) finish(void)
{
    static uint8_t spool[512] __attribute__((aligned(512)));
    static const char msg[] = "hostile: last attack done, microvisor still serving";
    testapp_expect_status(mvServerLoggingInit(spool, sizeof(spool)), MV_STATUS_OKAY,
                          "final mvServerLoggingInit");
    testapp_expect_status(mvServerLog((const uint8_t *)msg, sizeof(msg) - 1u), MV_STATUS_OKAY,
                          "final mvServerLog");
    wait_ms(50); /* let the microvisor drain the spool to its console */
    carry();
    magic = 0;
    printf("hostile: %lu crash steps, %lu application runs, %lu failures\n",
           (unsigned long)NSTEPS, (unsigned long)runs + 1u, (unsigned long)carried);
    testapp_exit(carried);
}

/* What every restarted run checks first: the microvisor serves calls, the
 * restart dropped the previous run's log spool and notification centers. */
static void after_restart_checks(void)
{
    testapp_check(hostile_mv_alive(), "microvisor answers after the restart");
    testapp_expect_status(mvServerLog((const uint8_t *)"x", 1), MV_STATUS_UNAVAILABLE,
                          "log spool dropped by the restart");
    testapp_expect_status(mvTempTriggerNotification(stale, MV_EVENTTYPE_CHANNELDATAREADABLE, 1),
                          MV_STATUS_INVALIDHANDLE, "run 1's notification center is gone");
}

int main(void)
{
    enum MvWakeReason wake = (enum MvWakeReason)0xEE;
    uint32_t st = mvGetWakeReason(&wake);

    if (magic != MAGIC) {
        magic = MAGIC;
        step = 0;
        pending = PEND_NONE;
        carried = 0;
        runs = 0;
        rep = 0;
        testapp_expect_status(st, MV_STATUS_OKAY, "mvGetWakeReason");
        testapp_check(wake == MV_WAKEREASON_COLDBOOT, "run 1: cold boot (wake %u)", wake);
        hostile_api_attacks();
        /* Left open on purpose: the restart must dispose of it. */
        static struct MvNotification ring[2] __attribute__((aligned(8)));
        struct MvNotificationSetup s = { 88, ring, sizeof(ring) };
        testapp_expect_status(mvSetupNotifications(&s, &stale), MV_STATUS_OKAY,
                              "a center left open across the restarts");
        printf("hostile: api attacks done\n");
    } else {
        runs++;
        testapp_expect_status(st, MV_STATUS_OKAY, "mvGetWakeReason");
        if (pending == PEND_CRASH) {
            testapp_check(((1u << wake) & steps[step].wakes) != 0,
                          "step %lu %s: restarted with wake reason %u (%s)", (unsigned long)step,
                          steps[step].name, wake,
                          steps[step].wakes == CLEAN ? "want COLDBOOT" : "want APPLICATIONCRASH");
            after_restart_checks();
            /* A stale restart request would strike within a tick: give it
             * the chance, then restart on our own terms. */
            pending = PEND_CHECKED;
            carry();
            wait_ms(5);
            if (wake == MV_WAKEREASON_COLDBOOT) {
                pending = PEND_NONE;
                rep = 0;
                step++;
            } else {
                pending = PEND_RESTART;
                carry();
                uint32_t got = mvRestart(MV_RESTARTMODE_AUTOAPPLYUPDATE);
                testapp_check(0, "mvRestart returned %s", testapp_status_name(got));
                pending = PEND_NONE;
                step++;
            }
        } else if (pending == PEND_RESTART) {
            testapp_check(wake == MV_WAKEREASON_COLDBOOT,
                          "mvRestart after step %lu: restarted with COLDBOOT (wake %u)",
                          (unsigned long)step, wake);
            after_restart_checks();
            pending = PEND_NONE;
            if (++rep >= steps[step].repeat) {
                rep = 0;
                step++;
            }
        } else if (pending == PEND_CHECKED) {
            testapp_check(0, "step %lu %s: the restarted run was killed by a restart it did "
                          "not ask for (wake %u)", (unsigned long)step, steps[step].name, wake);
            pending = PEND_NONE;
            step++;
        } else {
            testapp_check(0, "unexpected restart (wake %u) at step %lu", wake,
                          (unsigned long)step);
            step++;
        }
    }

    while (step < NSTEPS) {
        if (rep == 0)
            printf("hostile: step %lu %s\n", (unsigned long)step, steps[step].name);
        fflush(stdout);
        pending = PEND_CRASH;
        carry();
        steps[step].attack();
        pending = PEND_NONE;
        testapp_check(0, "step %lu %s: survived the attack", (unsigned long)step,
                      steps[step].name);
        step++;
    }
    finish();
}
