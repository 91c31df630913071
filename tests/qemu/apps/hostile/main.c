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

enum pending { PEND_NONE, PEND_CRASH, PEND_RESTART };

static uint32_t magic TESTAPP_NOINIT;
static uint32_t step TESTAPP_NOINIT;    /* crash step in flight */
static uint32_t pending TESTAPP_NOINIT; /* what the next start should see */
static uint32_t carried TESTAPP_NOINIT; /* failures of earlier runs */
static uint32_t runs TESTAPP_NOINIT;
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

struct crash_step {
    const char *name; /* test_hostile.py keys its expected fault kind on it */
    void (*attack)(void);
};

static const struct crash_step steps[] = {
    { "load secure RAM", a_load_secure_ram },
    { "store secure RAM", a_store_secure_ram },
    { "load secure code", a_load_secure_code },
    { "load NSC veneer", a_load_nsc },
    { "load boot ROM", a_load_boot_rom },
    { "load NULL (NS alias of boot ROM)", a_load_null },
    { "store NS alias of microvisor code", a_store_ns_alias_mv },
    { "load flash", a_load_flash },
    { "store flash", a_store_flash },
    { "load ethernet NS alias", a_load_eth_ns },
    { "load ethernet S alias", a_load_eth_s },
    { "store UART0 NS alias", a_store_uart0_ns },
    { "load UART0 S alias", a_load_uart0_s },
    { "store TIMER1", a_store_timer1 },
    { "store secure watchdog", a_store_swdog },
    { "load security controller", a_load_spc },
    { "store security controller PPC", a_store_spc_ppc },
    { "load NS privilege control", a_load_nspc },
    { "store MPC", a_store_mpc },
    { "load SSRAM2 NS alias", a_load_ssram2_ns },
    { "store FPGAIO LEDs directly", a_store_fpgaio },
    { "jump veneer+4", a_jump_veneer_plus4 },
    { "jump secure code", a_jump_secure_code },
    { "jump unused NSC slot", a_jump_unused_nsc },
    { "jump NS alias of microvisor code", a_jump_ns_alias },
    { "wild SP in secure RAM", a_wild_sp },
    { "VTOR_NS in secure RAM then IRQ", a_vtor_secure },
    { "stubs scribbled then crash", a_stubs_then_crash },
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
            testapp_check(wake == MV_WAKEREASON_APPLICATIONCRASH,
                          "step %lu %s: restarted with APPLICATIONCRASH (wake %u)",
                          (unsigned long)step, steps[step].name, wake);
            after_restart_checks();
            pending = PEND_RESTART;
            carry();
            uint32_t got = mvRestart(MV_RESTARTMODE_AUTOAPPLYUPDATE);
            testapp_check(0, "mvRestart returned %s", testapp_status_name(got));
            pending = PEND_NONE;
            step++;
        } else if (pending == PEND_RESTART) {
            testapp_check(wake == MV_WAKEREASON_COLDBOOT,
                          "mvRestart after step %lu: restarted with COLDBOOT (wake %u)",
                          (unsigned long)step, wake);
            after_restart_checks();
            pending = PEND_NONE;
            step++;
        } else {
            testapp_check(0, "unexpected restart (wake %u) at step %lu", wake,
                          (unsigned long)step);
            step++;
        }
    }

    while (step < NSTEPS) {
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
