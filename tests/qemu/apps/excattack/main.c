/*
 * Exception-level attacks on the microvisor (tests/qemu/test_excattack.py):
 * an application that returns from its own handlers with frames and
 * EXC_RETURN values it made up, from every context where that matters:
 *
 *  forge/<ctx>/<value>  a handler forges an exception return with <value>
 *            (Secure or Non-secure claims, either stack, either mode,
 *            DCRS and ES both ways) from <ctx>: an IRQ that pre-empted NS
 *            Thread mode ("thread"), an IRQ taken at a veneer's exit in
 *            Secure state ("edge"), a fast interrupt above deferred work
 *            ("work"). The application may be stopped (a fault it caused)
 *            or the return may land in a context the hardware accepts;
 *            never may the microvisor crash or the device reset.
 *  abandon-thread     500 times an IRQ taken at a veneer's exit returns to
 *            Thread mode through a frame of its own, abandoning the secure
 *            frame beneath it: the app keeps running, the stack stays flat.
 *  abandon-handler    the same 500 times from an NS handler's calls,
 *            returning to that handler's NS code.
 *  abandon-handler-fp the same with the handler's FP state live, so that
 *            every abandoned frame carries the FP extension.
 *  nest-8-fp the honest nesting, each handler using the FPU.
 *  nest-8    8 NS handlers, each taken at the previous one's veneer exit,
 *            return properly (50 rounds), then the innermost forges a
 *            return to Thread mode abandoning all 8 (50 rounds).
 *  work-abandoned     a fast interrupt above deferred work returns to
 *            Thread mode with a made-up frame: the microvisor must stop
 *            the application (its calls are refused meanwhile) and finish
 *            its own work; the application is restarted.
 *
 * Each step that may stop the application ends with mvRestart, so every
 * step starts with the back-off at its minimum; the step and the failures
 * survive restarts in .noinit memory.
 */
#include <string.h>

#include "ns_hw.h"
#include "testapp.h"

#define MAGIC 0xE8CA77ACu
#define PRIO_THREAD_IRQ 0x40u

enum ctx { CTX_THREAD, CTX_EDGE, CTX_WORK };
static const char *const ctx_name[] = { "thread", "edge", "work" };

/* Forged EXC_RETURN values: Secure claims on both stacks and modes, DCRS
 * and ES both ways, an FP frame claim; Non-secure claims with ES set, to
 * Handler mode with nothing beneath, on PSP. */
static const uint32_t forged[] = {
    0xFFFFFFF8u, 0xFFFFFFFCu, 0xFFFFFFF0u, 0xFFFFFFF9u, 0xFFFFFFFDu, 0xFFFFFFF1u,
    0xFFFFFFD8u, 0xFFFFFFE8u, 0xFFFFFFB9u, 0xFFFFFFB0u, 0xFFFFFFBCu, 0xFFFFFF98u,
};
#define NFORGED (sizeof(forged) / sizeof(forged[0]))
#define NFORGE_STEPS (3u * NFORGED)

enum { ST_FORGE0 = 0, ST_ABANDON_THREAD = NFORGE_STEPS, ST_ABANDON_HANDLER, ST_NEST,
       ST_NEST_ABANDON, ST_WORK_ABANDONED, ST_SYSTICK_FLOOD, ST_ABANDON_HANDLER_FP,
       ST_NEST_FP, ST_DONE };

enum pending { PEND_NONE, PEND_STOP, PEND_RESTART };

static uint32_t magic TESTAPP_NOINIT;
static uint32_t stage TESTAPP_NOINIT;
static uint32_t pending TESTAPP_NOINIT;
static uint32_t pending_may_survive TESTAPP_NOINIT;
static uint32_t carried TESTAPP_NOINIT;
static uint32_t stops TESTAPP_NOINIT;
static uint32_t carried_this_run;

static void carry(void)
{
    uint32_t f = testapp_failures();
    carried += f - carried_this_run;
    carried_this_run = f;
}

/* ---- forging ----------------------------------------------------------------- */

/* Performs an exception return with `exc_return`, the frame at `frame`
 * (on both NS stacks, so either SPSEL finds it). */
static void __attribute__((naked, noreturn)) forge(uint32_t exc_return __attribute__((unused)),
                                                   uint32_t *frame __attribute__((unused)))
{
    __asm volatile("msr psp, r1\n\t"
                   "mov sp, r1\n\t"
                   "bx r0\n");
}

/* Two stacks per kind, used in turn, so a frame is never built over the
 * stack the handler building it runs on. */
static uint32_t stacks[4][256] __attribute__((aligned(8)));
static uint32_t stack_turn;

static uint32_t *frame_for(void (*pc)(void), uint32_t ipsr)
{
    uint32_t *top = stacks[stack_turn++ % 4u] + 256;
    uint32_t *f = top - 8;
    memset(f, 0, 32);
    f[5] = 0xFFFFFFFFu;
    f[6] = (uint32_t)(uintptr_t)pc & ~1u;
    f[7] = 0x01000000u | ipsr;
    return f;
}

static void __attribute__((noreturn)) stage_run(void);
static void __attribute__((noreturn)) stop_expected(uint32_t may_survive);

/* Where a forged return that the hardware accepted lands (Thread mode). */
static void __attribute__((noreturn)) landed_thread(void)
{
    __asm volatile("msr primask, %0\n\tmsr basepri, %0" ::"r"(0));
    printf("excattack: the forged return landed in Thread mode\n");
    stop_expected(1);
}

static volatile uint32_t forge_value;
static volatile enum ctx forge_ctx;
static volatile uint32_t forge_armed;

static void forge_now(uint32_t ipsr_for_handler)
{
    forge_armed = 0;
    forge(forge_value, frame_for(landed_thread, ipsr_for_handler));
}

/* IRQ 80: pended from Thread mode (ctx thread) */
void IRQ80_Handler(void)
{
    if (forge_armed)
        forge_now(0);
}

/* IRQ 81: a notification center's line, pended by mvTempTriggerNotification
 * during the call, so taken at the veneer's exit in Secure state. */
static MvNotificationHandle h81;
static struct MvNotification ring81[2] __attribute__((aligned(8)));
static volatile uint32_t irq81_mode; /* 0 return, 1 forge, 2 to Thread, 3 to IRQ82 */
static volatile uint32_t iter, iter_want;
static void __attribute__((noreturn)) abandon_thread_loop(void);
static void __attribute__((noreturn)) abandon_handler_loop(void);

void IRQ81_Handler(void)
{
    ring81[0].event_type = 0;
    ring81[1].event_type = 0;
    switch (irq81_mode) {
    case 1:
        irq81_mode = 0;
        forge_now(0);
        break;
    case 2:
        forge(0xFFFFFFB8u, frame_for(abandon_thread_loop, 0));
    case 3:
        forge(0xFFFFFFB0u, frame_for(abandon_handler_loop, 16u + 82u));
    }
}

/* TIMER0 as a fast interrupt: forges when it finds it pre-empted deferred
 * work (its call is refused with MICROVISORBUSY). */
static volatile uint32_t timer_mode; /* 0 count, 1 forge above work, 2 to Thread */
static volatile uint32_t timer_busy;
static void __attribute__((noreturn)) work_abandoned_thread(void);

void TIMER0_IRQHandler(void)
{
    TIMER0_INTCLR = 1;
    if (mvNoOp() != MV_STATUS_MICROVISORBUSY)
        return;
    timer_busy++;
    if (timer_mode == 1 && forge_armed) {
        TIMER0_CTRL = 0;
        forge_now(0);
    }
    if (timer_mode == 2) {
        timer_mode = 0;
        TIMER0_CTRL = 0;
        forge(0xFFFFFFB8u, frame_for(work_abandoned_thread, 0));
    }
}

static uint8_t log_spool[8192] __attribute__((aligned(512)));
static char long_line[1024];

/* Keeps deferred work busy draining a log line while TIMER0 (fast) fires. */
static void drain_under_fast_timer(void)
{
    memset(long_line, 'x', sizeof(long_line));
    mvServerLoggingInit(log_spool, sizeof(log_spool));
    mvSetFastInterrupt(IRQ_TIMER0);
    ns_timer0_start(100, 0);
    for (int i = 0; i < 20; i++)
        mvServerLog((const uint8_t *)long_line, sizeof(long_line));
    TIMER0_CTRL = 0;
}

static void center81(void)
{
    struct MvNotificationSetup s = { 81, ring81, sizeof(ring81) };
    if (!h81)
        testapp_expect_status(mvSetupNotifications(&s, &h81), MV_STATUS_OKAY, "IRQ 81 center");
    ns_irq_setup(81, PRIO_THREAD_IRQ);
}

static void forge_step(uint32_t n)
{
    forge_ctx = (enum ctx)(n / NFORGED);
    forge_value = forged[n % NFORGED];
    printf("excattack: step %lu forge/%s/%08lx\n", (unsigned long)n, ctx_name[forge_ctx],
           (unsigned long)forge_value);
    forge_armed = 1;
    switch (forge_ctx) {
    case CTX_THREAD:
        ns_irq_setup(80, PRIO_THREAD_IRQ);
        ns_irq_pend(80);
        break;
    case CTX_EDGE:
        center81();
        irq81_mode = 1;
        mvTempTriggerNotification(h81, MV_EVENTTYPE_CHANNELDATAREADABLE, 1);
        break;
    case CTX_WORK:
        timer_mode = 1;
        drain_under_fast_timer();
        break;
    }
    /* Not taken, or returned normally: nothing forged this time. */
    printf("excattack: the attack returned to its caller\n");
}

/* ---- abandoning secure frames ------------------------------------------------ */

static int mv_alive(void)
{
    uint64_t a = 0, b = 0;
    return mvNoOp() == MV_STATUS_OKAY && mvGetMicroseconds(&a) == MV_STATUS_OKAY &&
           mvGetMicroseconds(&b) == MV_STATUS_OKAY && b >= a;
}

static void __attribute__((noreturn)) abandon_thread_loop(void)
{
    while (iter < iter_want) {
        iter++;
        mvTempTriggerNotification(h81, MV_EVENTTYPE_CHANNELDATAREADABLE, iter);
    }
    irq81_mode = 0;
    testapp_check(mv_alive(), "%lu secure frames abandoned at a veneer's exit from Thread mode: "
                  "microvisor still serving", (unsigned long)iter);
    stage++;
    stage_run();
}

static void __attribute__((noreturn)) abandon_handler_done(void)
{
    NVIC_ICER(82u / 32u) = 1u << (82u % 32u);
    testapp_check(mv_alive(), "%lu secure frames abandoned at a veneer's exit from a handler: "
                  "microvisor still serving", (unsigned long)iter);
    stage++;
    stage_run();
}

/* Makes the current context's FP state live (CONTROL.FPCA = 1, which is
 * not banked): an NS interrupt that then pre-empts a veneer pushes the
 * Secure frame with the FP extension. The app is built soft-float. */
static volatile uint32_t fp_live;

static void fp_touch(uint32_t v)
{
    if (fp_live)
        __asm volatile(".fpu fpv5-sp-d16\n\t"
                       "vmov s0, %0\n\t"
                       "vadd.f32 s1, s0, s0" ::"r"(v) : "memory");
}

/* Runs as IRQ 82 (Handler mode), re-entered by IRQ 81's forged returns. */
static void __attribute__((noreturn)) abandon_handler_loop(void)
{
    while (iter < iter_want) {
        iter++;
        fp_touch(iter);
        mvTempTriggerNotification(h81, MV_EVENTTYPE_CHANNELDATAREADABLE, iter);
    }
    irq81_mode = 0;
    /* Leave IRQ 82 for Thread mode through a frame of its own too. */
    forge(0xFFFFFFB8u, frame_for(abandon_handler_done, 0));
}

void IRQ82_Handler(void)
{
    abandon_handler_loop();
}

/* ---- nesting at veneer edges ------------------------------------------------- */

#define NEST 8u
static MvNotificationHandle nest_h[NEST];
static struct MvNotification nest_ring[NEST][2] __attribute__((aligned(8)));
static volatile uint32_t nest_depth_seen, nest_forge;
static void __attribute__((noreturn)) nest_abandoned(void);

static void nest_level(uint32_t level)
{
    nest_ring[level][0].event_type = 0;
    nest_ring[level][1].event_type = 0;
    if (level + 1u > nest_depth_seen)
        nest_depth_seen = level + 1u;
    fp_touch(level);
    if (level + 1u < NEST) {
        /* The next level's line is pended by the call: taken at its exit. */
        mvTempTriggerNotification(nest_h[level + 1u], MV_EVENTTYPE_CHANNELDATAREADABLE, level);
    } else if (nest_forge) {
        forge(0xFFFFFFB8u, frame_for(nest_abandoned, 0));
    }
}

#define NEST_HANDLER(i) void IRQ##i##_Handler(void) { nest_level((i) - 84u); }
NEST_HANDLER(84) NEST_HANDLER(85) NEST_HANDLER(86) NEST_HANDLER(87)
NEST_HANDLER(88) NEST_HANDLER(89) NEST_HANDLER(90) NEST_HANDLER(91)

static void nest_setup(void)
{
    for (uint32_t i = 0; i < NEST; i++) {
        struct MvNotificationSetup s = { 84u + i, nest_ring[i], sizeof(nest_ring[i]) };
        if (!nest_h[i])
            testapp_expect_status(mvSetupNotifications(&s, &nest_h[i]), MV_STATUS_OKAY,
                                  "nesting center");
        /* Each level more urgent than the one before it. */
        ns_irq_setup(84u + i, (uint8_t)(0xF0u - 0x10u * i));
    }
}

/* The innermost of 8 nested handlers returned to Thread mode: the other 7
 * stay active for ever (only a stop can unwind them) and the thread runs
 * at their priority; the microvisor still answers, and mvRestart unwinds
 * them all. */
static void __attribute__((noreturn)) nest_abandoned(void)
{
    uint32_t ok = 0;
    for (uint32_t i = 0; i < 1000u; i++)
        ok += mvNoOp() == MV_STATUS_OKAY;
    testapp_check(ok == 1000u, "Thread mode under 7 abandoned handlers: %lu of 1000 calls answered",
                  (unsigned long)ok);
    stop_expected(1);
}

static void nest_run(void)
{
    nest_setup();
    for (uint32_t r = 0; r < 50u; r++) {
        nest_depth_seen = 0;
        ns_irq_pend(84);
        if (nest_depth_seen != NEST)
            break;
    }
    testapp_check(nest_depth_seen == NEST && mv_alive(),
                  "50 rounds of %u handlers nested at veneer edges, returning properly (depth %lu)",
                  (unsigned)NEST, (unsigned long)nest_depth_seen);
}

static void nest_abandon_step(void)
{
    printf("excattack: step %lu nest-abandon\n", (unsigned long)stage);
    nest_setup();
    nest_forge = 1;
    nest_depth_seen = 0;
    ns_irq_pend(84);
    testapp_check(0, "the forged nesting chain returned");
}

/* ---- deferred work abandoned ------------------------------------------------- */

static void __attribute__((noreturn)) work_abandoned_thread(void)
{
    __asm volatile("msr primask, %0\n\tmsr basepri, %0" ::"r"(0));
    uint32_t busy = 0;
    /* The microvisor must stop this run within milliseconds; 2 s of
     * MICROVISORBUSY would be the old "for ever". */
    for (uint32_t i = 0; i < 20000000u; i++)
        if (mvNoOp() == MV_STATUS_MICROVISORBUSY)
            busy++;
    testapp_check(0, "Thread mode over abandoned deferred work was not stopped (%lu busy)",
                  (unsigned long)busy);
    stage++;
    stage_run();
}

static void work_abandoned_step(void)
{
    printf("excattack: step %lu work-abandoned\n", (unsigned long)stage);
    timer_mode = 2;
    drain_under_fast_timer();
    testapp_check(0, "the fast interrupt never found deferred work to abandon (%lu)",
                  (unsigned long)timer_busy);
}

/* ---- a SysTick_NS flood over a stop --------------------------------------------- */

/* SysTick_NS every 100 cycles with a handler longer than that, then a
 * fault: the stopped application's SysTick_NS (which only NS code can
 * stop) must not keep deferred work, or the stubs that stop it, from
 * running (the soak once found the watchdog resetting the device so). */
static volatile uint32_t flood;

void SysTick_Handler(void)
{
    for (volatile uint32_t i = 0; flood && i < 400u; i++)
        ;
}

static void systick_flood_step(void)
{
    printf("excattack: step %lu systick-flood\n", (unsigned long)stage);
    flood = 1;
    *(volatile uint8_t *)0xE000ED23u = 0; /* SHPR3: SysTick most urgent */
    ns_systick_start(100);
    for (volatile uint32_t i = 0; i < 1000u; i++)
        ;
    (void)*(volatile uint32_t *)0x38000000u;
}

/* ---- the sequence ------------------------------------------------------------ */

static void __attribute__((noreturn)) stop_expected(uint32_t may_survive)
{
    pending = PEND_STOP;
    pending_may_survive = may_survive;
    carry();
    mvRestart(MV_RESTARTMODE_AUTOAPPLYUPDATE);
    for (;;)
        ;
}

static void __attribute__((noreturn)) finish(void)
{
    static const char msg[] = "excattack: microvisor still serving after every attack";
    mvServerLoggingInit(log_spool, sizeof(log_spool));
    /* A full-length log line whose tail, past the console relay's 1 KiB
     * line, looks like a microvisor line: it must be shown continued. */
    memset(long_line, 'y', sizeof(long_line));
    memcpy(long_line + sizeof(long_line) - 6, "[mv] Z", 6);
    testapp_expect_status(mvServerLog((const uint8_t *)long_line, sizeof(long_line)),
                          MV_STATUS_OKAY, "mvServerLog of a full-length line");
    testapp_expect_status(mvServerLog((const uint8_t *)msg, sizeof(msg) - 1u), MV_STATUS_OKAY,
                          "final mvServerLog");
    uint64_t t0 = ns_now_us();
    while (ns_now_us() - t0 < 50000u)
        ;
    carry();
    magic = 0;
    printf("excattack: %lu stops, %lu failures\n", (unsigned long)stops, (unsigned long)carried);
    testapp_exit(carried);
}

static void __attribute__((noreturn)) stage_run(void)
{
    if (stage < NFORGE_STEPS) {
        pending = PEND_STOP;
        pending_may_survive = 1; /* a restart without a stop: the return was accepted */
        forge_step(stage);
        stop_expected(1);
    }
    switch (stage) {
    case ST_ABANDON_THREAD:
        printf("excattack: step %lu abandon-thread\n", (unsigned long)stage);
        center81();
        iter = 0;
        iter_want = 500;
        irq81_mode = 2;
        abandon_thread_loop();
    case ST_ABANDON_HANDLER:
    case ST_ABANDON_HANDLER_FP:
        /* The FP variant: each abandoned edge frame has the FP extension
         * (72 bytes more); the stack must stay as flat. */
        fp_live = stage == ST_ABANDON_HANDLER_FP;
        if (fp_live)
            *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: CP10, CP11 */
        printf("excattack: step %lu abandon-handler%s\n", (unsigned long)stage,
               fp_live ? "-fp" : "");
        center81();
        ns_irq_setup(81, 0x40);
        iter = 0;
        iter_want = 500;
        irq81_mode = 3;
        ns_irq_setup(82, 0x80);
        ns_irq_pend(82);
        testapp_check(0, "the handler loop returned");
        stage++;
        stage_run();
    case ST_NEST:
    case ST_NEST_FP:
        /* The FP variant is honest code: each handler uses the FPU before
         * its call, so the next level pre-empts a veneer with FP state
         * live and then uses the FPU itself. */
        fp_live = stage == ST_NEST_FP;
        if (fp_live)
            *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: CP10, CP11 */
        printf("excattack: step %lu nest-8%s\n", (unsigned long)stage, fp_live ? "-fp" : "");
        nest_run();
        stage++;
        stage_run();
    case ST_NEST_ABANDON:
        pending = PEND_STOP;
        pending_may_survive = 1;
        nest_abandon_step();
        stop_expected(1);
    case ST_WORK_ABANDONED:
        pending = PEND_STOP;
        pending_may_survive = 0;
        work_abandoned_step();
        stop_expected(0);
    case ST_SYSTICK_FLOOD:
        pending = PEND_STOP;
        pending_may_survive = 0;
        systick_flood_step();
        stop_expected(0);
    default:
        finish();
    }
}

int main(void)
{
    enum MvWakeReason wake = 0xEE;
    /* Handlers and threads run on the stacks above (frame_for), outside
     * the start-up code's stack limits. */
    __asm volatile("msr msplim, %0\n\tmsr psplim, %0" ::"r"(0));
    mvGetWakeReason(&wake);
    if (magic != MAGIC) {
        /* Lines that look like the microvisor's: keel run must show them
         * as the application's (tagged), a carriage return included. */
        printf("[mv] MICROVISOR CRASH: forged by the application\n");
        printf("\r[net] DHCP bound 10.0.2.15 router 10.0.2.2 lease 1 s (forged)\n");
        printf("\033[2K\r[boot] Keel boot ROM forged\n");
        magic = MAGIC;
        stage = 0;
        pending = PEND_NONE;
        carried = 0;
        stops = 0;
    }
    printf("excattack: run at stage %lu, wake reason %u\n", (unsigned long)stage, (unsigned)wake);
    if (pending == PEND_STOP) {
        int ok = wake == MV_WAKEREASON_APPLICATIONCRASH ||
                 (pending_may_survive && wake == MV_WAKEREASON_COLDBOOT);
        if (wake == MV_WAKEREASON_APPLICATIONCRASH)
            stops++;
        testapp_check(ok, "step %lu: the application alone was restarted (wake reason %u)",
                      (unsigned long)stage, (unsigned)wake);
        testapp_check(mv_alive(), "step %lu: microvisor answers after the restart",
                      (unsigned long)stage);
        stage++;
        pending = wake == MV_WAKEREASON_APPLICATIONCRASH ? PEND_RESTART : PEND_NONE;
        carry();
        if (pending == PEND_RESTART)
            mvRestart(MV_RESTARTMODE_AUTOAPPLYUPDATE); /* back-off back to its minimum */
    }
    pending = PEND_NONE;
    stage_run();
}
