/*
 * IMPLEMENTATION NOTES
 * Restarting the application means putting the whole non-secure world back
 * to its reset state without resetting the device. Registers and masks are
 * simple (MSR to the _NS banks); active NS exceptions are not, because an
 * exception is only deactivated by an exception return executed while it
 * is the current one. So app_stop() "unwinds": it builds a chain of
 * exception frames on the application's stack, one per active NS
 * exception, each returning into a two-instruction stub in the stubs page
 * (`ldr r0, =EXC_RETURN; bx r0`) that performs that exception's return;
 * the last frame lands in Thread mode on the target (the idle loop, or the
 * application's reset handler). The stubs are rewritten before every use,
 * since the application can write its own code memory.
 *
 *   stubs page (NS_STUBS_BASE)      NS stack while unwinding (grows down)
 *   +0x00 unwind, to Handler mode    frame 1: IPSR=e1, PC=unwind stub
 *   +0x08 unwind, to Thread mode     ...
 *   +0x10 idle: wfi; b idle          frame n+1: IPSR=0, PC=target
 *   +0x20 reset: stop SysTick_NS,    <- application's initial stack top
 *         then jump to the app's
 *         reset handler
 *   +0x50 idle (parked): stop SysTick_NS, then wfi; b .
 *
 * The reset stub exists because QEMU 7.2 BusFaults a secure access to the
 * SysTick_NS alias (0xE002E010, "re-entrant IO"): the one piece of NS core
 * state the secure side cannot reset is reset by NS code itself.
 *
 * The application can only be running on top of a live secure context in
 * two ways, and a stop must not lose either:
 *  - deferred work (PendSV_S) pre-empted by a fast interrupt: the work is
 *    half done and must finish. app_stop() then unwinds only the NS
 *    exceptions above it (those of NS priority < 0x20), the last one
 *    returning into the secure handler through a third stub
 *    (EXC_RETURN 0xFFFFFFF0); when the work is done the handler, seeing the
 *    stop pending, completes it (app_stop_complete) instead of resuming
 *    what it had pre-empted.
 *  - the few instructions of a gateway veneer that run before BASEPRI is
 *    raised or after it is dropped: nothing is half done, so that secure
 *    thread context is discarded (the exception stub resets MSP_S to the
 *    sealed top on its way out).
 *
 * Nothing here trusts the application's memory: the vector table is read
 * once into locals and checked against the app's own regions.
 */
#include "app.h"

#include <string.h>

#include "armv8m.h"
#include "backoff.h"
#include "board.h"
#include "console.h"
#include "gateway.h"
#include "mv_config.h"
#include "mv_syscalls.h"
#include "ns_mem.h"
#include "sched.h"
#include "server_log.h"
#include "sstack.h"
#include "trial.h"
#include "wake.h"

/* EXC_RETURN values for returns into the Non-secure world, standard frame
 * on MSP_NS: taken to Secure (our handlers), taken to NS (the stubs). */
#define EXC_RETURN_S_TO_NS_THREAD  0xFFFFFFB9u
#define EXC_RETURN_S_TO_NS_HANDLER 0xFFFFFFB1u
#define EXC_RETURN_NS_TO_THREAD    0xFFFFFFB8u
#define EXC_RETURN_NS_TO_HANDLER   0xFFFFFFB0u

#define XPSR_T 0x01000000u

/* Active NS exceptions app_redirect() can unwind (every NS-targetable
 * exception fits), and the stack the frames need: an image whose initial
 * stack has less room below it is refused at load. */
#define APP_MAX_ACTIVE 128u
#define APP_UNWIND_STACK (32u * (APP_MAX_ACTIVE + 1u))

#define STUB_UNWIND_HANDLER 0x00u
#define STUB_UNWIND_THREAD  0x08u
#define STUB_IDLE           0x50u
#define STUB_UNWIND_SECURE  0x18u
#define STUB_RESET          0x20u
#define EXC_RETURN_NS_TO_SECURE_HANDLER 0xFFFFFFF0u

/* NS priority (raw) below which an exception pre-empts deferred work. */
#define NS_PRIO_ABOVE_WORK  0x20u

struct app_ctx {
    enum app_state state;
    uint32_t entry;      /* reset handler, Thumb bit set */
    uint32_t stack_top;  /* initial MSP_NS */
    uint32_t vtor;
    uint32_t restart_delay_ms;
    uint64_t restart_at_us;
    uint64_t started_at_us;
    bool restart_requested;
    enum app_stop_kind last_stop;
    enum app_stop_kind stop_pending; /* 0: none */
};

static struct app_ctx app;
static uint32_t app_mv_version; /* what app_load was given: a revert loads again */
static uint32_t app_version_loaded; /* the running image's manifest version, 0: none */
uint32_t ns_stub_idle_entry;
/* Where the exception stubs (exceptions.S) put MSP_S before they return,
 * then cleared; 0: leave it. app_redirect() sets the sealed top: after a
 * redirect no Secure context below the handler can ever be returned to
 * (the NS world restarts from a built frame). A stop over active deferred
 * work sets the deferred-work handler's own pre-empted frame, so that what
 * the application left above it (veneer edges, a forged return's debris)
 * is dropped and the work resumes exactly where it was. */
uint32_t app_secure_stack_set;

const char *app_stop_name(enum app_stop_kind kind)
{
    switch (kind) {
    case APP_STOP_HARDFAULT: return "HardFault";
    case APP_STOP_BUSFAULT: return "BusFault";
    case APP_STOP_USAGEFAULT: return "UsageFault";
    case APP_STOP_MEMMANAGE: return "MemManage";
    case APP_STOP_SECUREFAULT: return "SecureFault";
    case APP_STOP_STACK_OVERFLOW: return "stack overflow";
    case APP_STOP_HELD_OFF_MASKED: return "hang (interrupts masked too long)";
    case APP_STOP_HELD_OFF_HANDLER: return "hang (stuck in or flooded by interrupts)";
    case APP_STOP_RESTART_REQUEST: return "restart requested";
    case APP_STOP_SECURE_STACK: return "secure stack exhausted by nested veneer edges";
    case APP_STOP_WORK_ABANDONED: return "deferred work abandoned (forged return)";
    }
    return "?";
}

enum app_state app_state(void)
{
    return app.state;
}

static void app_write_stubs(void)
{
    const struct board_app_layout *l = board_app_layout();
    volatile uint16_t *h = (volatile uint16_t *)(uintptr_t)l->stubs_base;
    volatile uint32_t *w = (volatile uint32_t *)(uintptr_t)l->stubs_base;

    /* unwind to Handler mode: ldr r0, [pc, #0]; bx r0; .word EXC_RETURN */
    h[0] = 0x4800;
    h[1] = 0x4700;
    w[1] = EXC_RETURN_NS_TO_HANDLER;
    /* unwind to Thread mode */
    h[4] = 0x4800;
    h[5] = 0x4700;
    w[3] = EXC_RETURN_NS_TO_THREAD;
    /* idle: SYST_CSR = 0 (a parked application's SysTick_NS, which the
     * secure side cannot reach, would keep running its handler); then
     * wfi; b . (app_redirect masks SysTick_NS meanwhile) */
    h[40] = 0x4802; /* ldr r0, [pc, #8]   -> +0x5C */
    h[41] = 0x2100; /* movs r1, #0 */
    h[42] = 0x6001; /* str r1, [r0] */
    h[43] = 0xBF30; /* wfi */
    h[44] = 0xE7FD; /* b wfi */
    h[45] = 0xBF00;
    w[23] = 0xE000E010u; /* SYST_CSR */
    h[8] = 0xBF30;  /* the old idle entry, kept a plain wfi loop */
    h[9] = 0xE7FD;
    /* unwind into the secure deferred-work handler */
    h[12] = 0x4800;
    h[13] = 0x4700;
    w[7] = EXC_RETURN_NS_TO_SECURE_HANDLER;
    /* reset: SYST_CSR = 0; ICSR = PENDSTCLR; BASEPRI = 0 (app_redirect
     * masked the app's SysTick_NS while the stubs ran); branch to the
     * entry point */
    h[16] = 0x4805; /* ldr r0, [pc, #20]  -> +0x38 */
    h[17] = 0x2100; /* movs r1, #0 */
    h[18] = 0x6001; /* str r1, [r0] */
    h[19] = 0x4805; /* ldr r0, [pc, #20]  -> +0x3C */
    h[20] = 0x4905; /* ldr r1, [pc, #20]  -> +0x40 */
    h[21] = 0x6001; /* str r1, [r0] */
    h[22] = 0x4805; /* ldr r0, [pc, #20]  -> +0x44 */
    h[23] = 0x2100; /* movs r1, #0 */
    h[24] = 0xF381; /* msr basepri, r1 */
    h[25] = 0x8811;
    h[26] = 0x4700; /* bx r0 */
    h[27] = 0xBF00;
    w[14] = 0xE000E010u; /* SYST_CSR */
    w[15] = 0xE000ED04u; /* ICSR */
    w[16] = 1u << 25;    /* PENDSTCLR */
    w[17] = app.entry;
    armv8m_dsb_isb();
    ns_stub_idle_entry = l->stubs_base + STUB_IDLE;
}

/* The loader's map: an app layer runs inside the app's code window. */
static void *app_map(void *ctx, uint32_t comp, uint32_t target, uint32_t size)
{
    const struct board_app_layout *l = ctx;
    if (comp != MANIFEST_COMP_APP || target < l->code_base || size > l->code_size ||
        target - l->code_base > l->code_size - size)
        return NULL;
    return (void *)(uintptr_t)target;
}

/* One line per app slot that cannot boot, with the reason. */
static void app_report(const struct update_boot_result *r)
{
    if (r->record_err != UPDATE_OK)
        console_printf("[mv] app: a rejection or damage record could not be written (%s); "
                       "the next boot tries again\n", update_strerror(r->record_err));
    for (int s = 0; s < UPDATE_SLOTS; s++) {
        if (r->check[s] == UPDATE_OK)
            continue;
        if (r->check[s] == UPDATE_E_NONE) {
            console_printf("[mv] app slot %c: empty\n", 'A' + s);
            continue;
        }
        console_printf("[mv] app slot %c: rejected: %s%s%s\n", 'A' + s,
                       update_strerror(r->check[s]),
                       r->check[s] == UPDATE_E_MANIFEST ? ": " : "",
                       r->check[s] == UPDATE_E_MANIFEST ? manifest_strerror(r->manifest_err[s])
                                                        : "");
    }
}

/* A load (at boot, or a revert from deferred work) copies and hashes up to
 * a whole slot in one go: the watchdog is fed between its pieces. */
static void app_load_step(void *ctx)
{
    (void)ctx;
    board_watchdog_feed();
}

/* Secure boot of the app: lib/update's decision over the app slots with
 * the trusted app signers, then the chosen slot copied into NS code memory
 * and hashed there. 0 with *r, or -1. */
static int app_verify_load(uint32_t mv_version, struct update_boot_result *r)
{
    static struct update_loader loader;
    update_t *u = trial_update(); /* signers and journal, read once at boot */

    if (!u)
        return -1;
    loader.map = app_map;
    loader.ctx = (void *)(uintptr_t)board_app_layout();
    loader.step = app_load_step;
    u->loader = &loader;
    u->mv_version = mv_version;
    memset(r, 0, sizeof(*r));
    int rc = update_boot(u, MANIFEST_COMP_APP, r);
    app_report(r);
    return rc == UPDATE_OK ? 0 : -1;
}

int app_load(uint32_t mv_version)
{
    const struct board_app_layout *l = board_app_layout();
    static struct update_boot_result r;

    app.state = APP_NONE;
    app_mv_version = mv_version;
    if (app_verify_load(mv_version, &r) != 0)
        return -1;
    const struct manifest_layer *code = &r.info.m.layers[0];
    uint32_t base = code->target;
    uint32_t sp = ((const uint32_t *)(uintptr_t)base)[0];
    uint32_t entry = ((const uint32_t *)(uintptr_t)base)[1];
    uint32_t entry_off = (entry & ~1u) - base;
    if ((sp & 7u) || sp < l->ram_base || sp - l->ram_base > l->ram_size ||
        sp - l->ram_base < APP_UNWIND_STACK) {
        console_printf("[mv] app: initial stack %08x outside app RAM, or less than "
                       "%u bytes above its start\n", sp, APP_UNWIND_STACK);
        return -1;
    }
    if (!(entry & 1u) || (entry & ~1u) < base || entry_off >= code->size) {
        console_printf("[mv] app: entry %08x outside the image\n", entry);
        return -1;
    }
    app.entry = entry;
    app.stack_top = sp;
    app.vtor = base;
    ns_mem_set_app_regions((struct ns_region){ l->code_base, l->code_size },
                           (struct ns_region){ l->ram_base, l->ram_size });
    app_write_stubs();
    bool trial = r.action == UPDATE_TRIAL_A || r.action == UPDATE_TRIAL_B;
    if (trial)
        wake_reason_set(MV_WAKEREASON_APPLICATIONUPDATE);
    if (r.action == UPDATE_REVERT_TO_A || r.action == UPDATE_REVERT_TO_B)
        console_printf("[mv] app trial in slot %c was never confirmed: rejected, "
                       "reverting\n", 'B' - r.slot);
    console_printf("[mv] app %u.%u.%u loaded from slot %c: %u bytes at %08x, entry %08x, "
                   "security counter %u%s\n",
                   r.info.m.version >> 24, (r.info.m.version >> 16) & 0xFFu,
                   r.info.m.version & 0xFFFFu, 'A' + r.slot, code->size, base, entry,
                   r.info.m.security_counter, trial ? ", first boot (trial)" : "");
    trial_app_loaded(&r);
    app_version_loaded = r.info.m.version;
    return 0;
}

uint32_t app_loaded_version(void)
{
    return app_version_loaded;
}

/* Puts the NS core state back to reset values (all but active exceptions,
 * which only app_unwind_frames() can clear). */
static void app_reset_ns_core(void)
{
    uint32_t zero = 0;

    for (uint32_t w = 0; w < (board_irq_count() + 31u) / 32u; w++) {
        uint32_t ns = NVIC_ITNS(w);
        NVIC_ICER(w) = ns;
        NVIC_ICPR(w) = ns;
        for (uint32_t b = 0; b < 32u; b++)
            if (ns & (1u << b))
                NVIC_IPR(w * 32u + b) = 0;
    }
    SCB_NS_ICSR = (1u << 25) | (1u << 27);       /* PENDSTCLR, PENDSVCLR */
    ARMV8M_REG32(0xE002ED94u) = 0;               /* MPU_NS off */
    SCB_NS_SHCSR &= ~(SHCSR_MEMFAULTENA | SHCSR_BUSFAULTENA | SHCSR_USGFAULTENA);
    SCB_NS_CFSR = SCB_NS_CFSR;                   /* write-one-to-clear */
    SCB_NS_VTOR = app.vtor;
    for (uint32_t b = 0; b < 12u; b++)
        ARMV8M_REG8(0xE002ED18u + b) = 0;        /* SHPR1-3_NS */
    __asm volatile("msr primask_ns, %0\n\t"
                   "msr faultmask_ns, %0\n\t"
                   "msr basepri_ns, %0\n\t"
                   "msr control_ns, %0\n\t"
                   "msr psp_ns, %0\n\t"
                   "msr psplim_ns, %0\n\t"
                   "msr msplim_ns, %0\n\t" ::"r"(zero));
    board_app_peripherals_reset();
    armv8m_dsb_isb();
}

/* The NS priority (raw, before the PRIS mapping) of exception `exc`. */
static uint32_t app_ns_priority(uint32_t exc)
{
    if (exc >= EXC_IRQ0)
        return NVIC_IPR(exc - EXC_IRQ0);
    if (exc >= EXC_MEMMANAGE)
        return ARMV8M_REG8(0xE002ED18u + exc - EXC_MEMMANAGE); /* SHPR_NS */
    return 0;
}

/* The active NS exceptions, as exception numbers; only those that can
 * pre-empt deferred work if above_work_only. */
static uint32_t app_active_ns_exceptions(uint16_t *out, uint32_t max, bool above_work_only)
{
    static const struct { uint32_t bit; uint16_t exc; } sys[] = {
        { 1u << 0, EXC_MEMMANAGE }, { 1u << 2, EXC_HARDFAULT },
        { 1u << 3, EXC_USAGEFAULT }, { 1u << 7, EXC_SVCALL },
        { 1u << 10, EXC_PENDSV }, { 1u << 11, EXC_SYSTICK },
    };
    uint32_t n = 0;
    uint32_t shcsr = SCB_NS_SHCSR;

    for (uint32_t i = 0; i < sizeof(sys) / sizeof(sys[0]) && n < max; i++)
        if ((shcsr & sys[i].bit) &&
            (!above_work_only || app_ns_priority(sys[i].exc) < NS_PRIO_ABOVE_WORK))
            out[n++] = sys[i].exc;
    for (uint32_t w = 0; w < (board_irq_count() + 31u) / 32u; w++) {
        uint32_t act = NVIC_IABR(w) & NVIC_ITNS(w);
        for (uint32_t b = 0; b < 32u && n < max; b++) {
            uint32_t exc = EXC_IRQ0 + w * 32u + b;
            if ((act & (1u << b)) &&
                (!above_work_only || app_ns_priority(exc) < NS_PRIO_ABOVE_WORK))
                out[n++] = (uint16_t)exc;
        }
    }
    return n;
}

/* Builds the unwind chain for active[0..n) below the application's initial
 * stack top; the last frame returns to `last_pc` (Thread mode) or, if
 * last_pc is 0, the last exception returns into the secure handler
 * beneath. Returns the EXC_RETURN for the current handler. */
static uint32_t app_build_unwind(const uint16_t *active, uint32_t n, uint32_t last_pc)
{
    const struct board_app_layout *l = board_app_layout();
    uint32_t frames = last_pc ? n + 1u : n;
    uint32_t *frame = (uint32_t *)(uintptr_t)(app.stack_top - 32u * frames);

    for (uint32_t i = 0; i < frames; i++) {
        uint32_t *f = frame + 8u * i;
        memset(f, 0, 32);
        f[5] = 0xFFFFFFFFu; /* LR */
        if (i < n) {
            uint32_t stub = i + 1u < n ? STUB_UNWIND_HANDLER
                          : last_pc   ? STUB_UNWIND_THREAD : STUB_UNWIND_SECURE;
            f[6] = l->stubs_base + stub;
            f[7] = XPSR_T | active[i];
        } else {
            f[6] = last_pc & ~1u;
            f[7] = XPSR_T;
        }
    }
    __asm volatile("msr msp_ns, %0" ::"r"(frame));
    armv8m_dsb_isb();
    return n ? EXC_RETURN_S_TO_NS_HANDLER : EXC_RETURN_S_TO_NS_THREAD;
}

/*
 * Sends the NS world to `target` (Thread mode, fresh stack) from a secure
 * handler, unwinding every active NS exception on the way. Returns the
 * EXC_RETURN the handler must use.
 */
extern uint32_t __stack_top;

static uint32_t app_redirect(uint32_t target)
{
    uint16_t active[APP_MAX_ACTIVE];
    uint32_t n;

    app_write_stubs();
    n = app_active_ns_exceptions(active, APP_MAX_ACTIVE, false);
    app_reset_ns_core();
    /* SysTick_NS, which only NS code can stop, goes to the lowest
     * priority and is masked by BASEPRI_NS 0x40 while the stubs run (the
     * reset stub clears the mask): a flood of it can then neither starve
     * deferred work (which BASEPRI_NS 0x40, 0xA0 in the secure view, does
     * not mask) nor keep the stubs from stopping it. The application
     * finds SysTick_NS at priority 0xFF and sets its own. */
    ARMV8M_REG8(0xE002ED23u) = 0xFFu;
    __asm volatile("msr basepri_ns, %0" ::"r"(0x40u));
    app_secure_stack_set = (uint32_t)(uintptr_t)&__stack_top;
    sstack_reset_psp();
    return app_build_unwind(active, n, target);
}

void app_start_first(void)
{
    extern uint32_t __stack_top;
    extern void mv_enter_ns(uint32_t entry, uint32_t secure_stack_top)
        __attribute__((noreturn));

    app_reset_ns_core();
    gateway_app_reset();
    __asm volatile("msr msp_ns, %0" ::"r"(app.stack_top));
    app.state = APP_RUNNING;
    app.started_at_us = board_time_us();
    console_printf("[mv] starting app (wake reason %u)\n", wake_reason_get());
    /* The boot thread's last line is out: deferred work may run (mv_main
     * held it off so that the boot lines stay whole). */
    __asm volatile("msr basepri, %0" ::"r"(0) : "memory");
    mv_enter_ns(app.entry, (uint32_t)&__stack_top);
}

/* The stop proper: the NS world has no live secure context beneath it. */
static uint32_t app_stop_now(enum app_stop_kind why, uint64_t now_us)
{
    uint64_t ran_ms = (now_us - app.started_at_us) / 1000u;

    /* Any stop consumes a pending mvRestart: the application restarts
     * anyway, and a request left set would kill the next run. */
    app.restart_requested = false;
    if (trial_app_failed(why, now_us)) {
        /* A failed trial is not restarted: deferred work rejects it and
         * loads the previous image (app_revert_restart). */
        app.last_stop = why;
        app.stop_pending = 0;
        app.state = APP_WAITING;
        app.restart_at_us = UINT64_MAX;
        return app_redirect(ns_stub_idle_entry);
    }
    if (why == APP_STOP_RESTART_REQUEST) {
        app.restart_delay_ms = 0;
        app.restart_at_us = now_us;
        /* No wake reason names an application's own restart request; like
         * Twilio's, report a cold boot (docs/twilio-compat.md). */
        wake_reason_set(MV_WAKEREASON_COLDBOOT);
    } else {
        app.restart_delay_ms = backoff_next_ms(app.restart_delay_ms, ran_ms,
                                               MV_RESTART_MIN_MS, MV_RESTART_MAX_MS,
                                               MV_RESTART_RESET_MS);
        app.restart_at_us = now_us + (uint64_t)app.restart_delay_ms * 1000u;
        wake_reason_set(MV_WAKEREASON_APPLICATIONCRASH);
    }
    app.last_stop = why;
    app.stop_pending = 0;
    app.state = APP_WAITING;
    console_printf("[mv] app stopped: %s after %u ms; restart in %u ms\n",
                   app_stop_name(why), (uint32_t)ran_ms, app.restart_delay_ms);
    return app_redirect(ns_stub_idle_entry);
}

/* Silences the application while deferred work beneath it finishes: its
 * NVIC lines off, and its SysTick and PendSV (which no NVIC line masks)
 * below deferred work. */
static void app_silence(void)
{
    for (uint32_t w = 0; w < (board_irq_count() + 31u) / 32u; w++)
        NVIC_ICER(w) = NVIC_ITNS(w);
    ARMV8M_REG8(0xE002ED22u) = 0xFFu; /* SHPR3_NS: PendSV */
    ARMV8M_REG8(0xE002ED23u) = 0xFFu; /* SysTick */
    armv8m_dsb_isb();
}

uint32_t app_stop(enum app_stop_kind why, uint64_t now_us, uint32_t msp)
{
    if (sched_work_active()) {
        /* Deferred work is live beneath the application: it finishes
         * first, then completes the stop (app_stop_complete). Whatever the
         * application did, the work's own frame is the one the hardware
         * pushed when a fast interrupt pre-empted it: found by walking the
         * secure stack, and the stack is put there. */
        uint16_t active[APP_MAX_ACTIVE];
        uint32_t n = app_active_ns_exceptions(active, APP_MAX_ACTIVE, true);
        uint32_t frame = sstack_work_frame(msp);
        app.stop_pending = why;
        app_silence();
        app_write_stubs();
        if (!frame) {
            /* Not provable: start the handler afresh rather than return
             * into anything unproven. Items it had taken are submitted
             * again by their timers and devices. */
            frame = sstack_work_frame_fresh();
            console_printf("[mv] deferred work's context not found: handler restarted\n");
        }
        app_secure_stack_set = frame;
        if (n) {
            console_printf("[mv] app stop deferred: %u handler(s) above deferred work "
                           "unwound; it finishes first\n", n);
            return app_build_unwind(active, n, 0);
        }
        /* No NS handler above the work, yet it is active: the application
         * returned past it with a forged frame. Resume it directly. */
        console_printf("[mv] app stop deferred: no handler above deferred work "
                       "(abandoned); it resumes and finishes first\n");
        return SSTACK_EXC_RETURN_TO_WORK;
    }
    (void)msp; /* a veneer's edge beneath is dropped by app_redirect */
    return app_stop_now(why, now_us);
}

bool app_ns_above_work(void)
{
    uint16_t one[1];
    return app_active_ns_exceptions(one, 1, true) != 0;
}

bool app_stop_is_pending(void)
{
    return app.stop_pending != 0;
}

uint32_t app_stop_complete(uint64_t now_us, uint32_t msp)
{
    /* Deferred work is done; whatever it pre-empted (the application, or a
     * veneer's edge) is not resumed: app_redirect drops it. */
    (void)msp;
    return app_stop_now(app.stop_pending, now_us);
}

void app_revert_restart(uint64_t now_us)
{
    /* The failed trial is parked in the idle stub with its interrupts
     * off; app_load overwrites its code window and rewrites the stubs
     * before the NS world can run again (this is deferred work). */
    if (app_load(app_mv_version) != 0) {
        console_printf("[mv] no runnable application after the revert; microvisor idle\n");
        return;
    }
    /* The run that ended crashed (or hung, or quit) on trial. */
    wake_reason_set(MV_WAKEREASON_APPLICATIONCRASH);
    app.restart_delay_ms = 0;
    app.restart_at_us = now_us;
    app.state = APP_WAITING;
}

void app_request_restart(void)
{
    /* The caller is parked by its veneer; the next tick (at most one tick
     * period away) sees the NS world idle and restarts it. The veneer
     * parks it in the idle stub, which the application may have
     * overwritten: rewrite the stubs before that use too. */
    app_write_stubs();
    app.restart_requested = true;
}

uint32_t app_tick(uint32_t exc_return, uint32_t msp, uint64_t now_us)
{
    if (exc_return & EXC_RETURN_S)
        return exc_return; /* interrupted the microvisor: act next tick */
    if (app.stop_pending && !sched_work_active())
        return app_stop(app.stop_pending, now_us, msp);
    if (app.state == APP_RUNNING && app.restart_requested) {
        app.restart_requested = false;
        exc_return = app_stop(APP_STOP_RESTART_REQUEST, now_us, msp);
    }
    /* Never restart over live deferred work or a stop still under way:
     * the restart would drop the work's frame from the secure stack. */
    if (app.stop_pending || sched_work_active())
        return exc_return;
    if (app.state != APP_WAITING || now_us < app.restart_at_us)
        return exc_return;
    /* The stopped application's last log lines are still in its buffer:
     * let deferred work deliver them before the new run reuses the RAM. */
    if (server_log_pending())
        return exc_return;
    gateway_app_reset();
    app.state = APP_RUNNING;
    app.started_at_us = now_us;
    /* Nothing secure may be live beneath a restart: report it, tests check. */
    console_printf("[mv] restarting app (wake reason %u, secure context beneath: %u bytes)\n",
                   wake_reason_get(), (uint32_t)&__stack_top - msp);
    console_printf("[mv] secure stack peak %u of %u bytes\n", sstack_peak(), sstack_size());
    return app_redirect(board_app_layout()->stubs_base + STUB_RESET);
}
