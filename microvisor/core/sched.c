/*
 * IMPLEMENTATION NOTES
 * AIRCR.PRIS=1 maps every non-secure priority into 0x80..0xFF, so the tick
 * (0x40) pre-empts anything the application does, whatever it masks:
 * PRIMASK_NS/FAULTMASK_NS/BASEPRI_NS only raise the execution priority to
 * 0x80. The tick therefore always runs and can judge whether deferred work
 * (0x90, which the application *can* hold off) is starving; if it has been
 * pending longer than MV_HOLDOFF_MAX_MS the application is stopped as hung.
 *
 * During deferred work every enabled non-secure interrupt that is not a
 * declared fast interrupt is disabled in the NVIC and re-enabled after, so
 * only fast interrupts pre-empt the microvisor, whatever priorities the
 * application sets. An interrupt that fires meanwhile stays pending and is
 * taken on re-enable.
 */
#include "sched.h"

#include "app.h"
#include "armv8m.h"
#include "board.h"
#include "fault.h"
#include "mv_config.h"
#include "work.h"

#define SCHED_IRQ_WORDS 4u /* up to 128 external interrupts */

static struct sched_stats stats;

static void sched_pend_work(void)
{
    SCB_ICSR = ICSR_PENDSVSET;
}

static uint32_t sched_lock(void)
{
    uint32_t primask;
    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    return primask;
}

static void sched_unlock(uint32_t primask)
{
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}

static const struct work_hooks sched_hooks = {
    .pend = sched_pend_work,
    .lock = sched_lock,
    .unlock = sched_unlock,
};

const struct sched_stats *sched_stats(void)
{
    return &stats;
}

void sched_init(void)
{
    _Static_assert(SCHED_IRQ_WORDS * 32u >= 96u, "fast-IRQ mask too small");
    /* PRIS: NS priorities in the lower half. Keep BFHFNMINS=0 (faults are
     * Secure) and leave SYSRESETREQS set by the board. */
    uint32_t aircr = SCB_AIRCR & (AIRCR_SYSRESETREQS | AIRCR_BFHFNMINS);
    SCB_AIRCR = AIRCR_VECTKEY | aircr | AIRCR_PRIS;
    armv8m_set_exception_priority(EXC_MEMMANAGE, SCHED_PRIO_FAULT);
    armv8m_set_exception_priority(EXC_BUSFAULT, SCHED_PRIO_FAULT);
    armv8m_set_exception_priority(EXC_USAGEFAULT, SCHED_PRIO_FAULT);
    armv8m_set_exception_priority(EXC_SECUREFAULT, SCHED_PRIO_FAULT);
    armv8m_set_exception_priority(EXC_SYSTICK, SCHED_PRIO_TICK);
    armv8m_set_exception_priority(EXC_PENDSV, SCHED_PRIO_WORK);
    armv8m_set_exception_priority(EXC_SVCALL, SCHED_PRIO_WORK);
    SCB_SHCSR |= SHCSR_MEMFAULTENA | SHCSR_BUSFAULTENA | SHCSR_USGFAULTENA |
                 SHCSR_SECUREFAULTENA;
    work_init(&sched_hooks);
    board_tick_start(MV_TICK_HZ);
}

int sched_every(void (*fn)(uint64_t now_us), uint32_t period_us)
{
    int w = work_register(fn);
    if (w < 0)
        return -1;
    int t = timer_register(w);
    if (t < 0)
        return -1;
    timer_start(t, board_time_us() + period_us, period_us);
    return w;
}

bool sched_work_active(void)
{
    return (SCB_SHCSR & (1u << 10)) != 0; /* PENDSVACT, secure bank */
}

/*
 * Whether the application's own masks keep deferred work from running:
 * PRIMASK_NS or FAULTMASK_NS (both raise the priority to 0x80 under PRIS),
 * or BASEPRI_NS at or above deferred work's level. Thread mode with none
 * of them set can only be a flood seen between two handlers (the CPU runs
 * an instruction or so of the thread before the next one is taken).
 */
static bool sched_ns_masks_work(void)
{
    uint32_t primask, faultmask, basepri;
    __asm volatile("mrs %0, primask_ns\n\t"
                   "mrs %1, faultmask_ns\n\t"
                   "mrs %2, basepri_ns"
                   : "=r"(primask), "=r"(faultmask), "=r"(basepri));
    return (primask & 1u) || (faultmask & 1u) ||
           (basepri != 0 && 0x80u + basepri / 2u <= SCHED_PRIO_WORK);
}

uint32_t tick_handler(uint32_t exc_return, uint32_t *msp)
{
    uint64_t now = board_time_us();
    stats.ticks++;
    timers_expire(now);
    if (!(exc_return & EXC_RETURN_S) && app_state() == APP_RUNNING &&
        !app_stop_is_pending() && sched_work_active() && !app_ns_above_work()) {
        /* The application runs, yet deferred work is active with no fast
         * handler above it: a handler that pre-empted the work returned
         * past it with a frame of its own. The work must not wait for the
         * application: stop it, and let the work resume (app_stop). */
        fault_record_app_stop(APP_STOP_WORK_ABANDONED, exc_return);
        return app_stop(APP_STOP_WORK_ABANDONED, now, (uint32_t)(uintptr_t)msp);
    }
    if (!(exc_return & EXC_RETURN_S) && app_state() == APP_RUNNING &&
        !app_stop_is_pending() &&
        work_held_off(now, (uint64_t)MV_HOLDOFF_MAX_MS * 1000u)) {
        /* Masked in Thread mode, or in (or between) NS handlers? */
        enum app_stop_kind why = (exc_return & EXC_RETURN_MODE) && sched_ns_masks_work()
                                     ? APP_STOP_HELD_OFF_MASKED
                                     : APP_STOP_HELD_OFF_HANDLER;
        stats.holdoffs++;
        fault_record_app_stop(why, exc_return);
        return app_stop(why, now, (uint32_t)(uintptr_t)msp);
    }
    return app_tick(exc_return, (uint32_t)(uintptr_t)msp, now);
}

uint32_t sched_work_handler(uint32_t exc_return, uint32_t *msp)
{
    uint32_t masked[SCHED_IRQ_WORDS];
    uint32_t words = (board_irq_count() + 31u) / 32u;

    for (uint32_t w = 0; w < words && w < SCHED_IRQ_WORDS; w++) {
        uint32_t keep = sched_fast_irq_word(w);
        masked[w] = NVIC_ISER(w) & NVIC_ITNS(w) & ~keep;
        NVIC_ICER(w) = masked[w];
    }
    armv8m_dsb_isb();
    stats.work_runs++;
    work_run_pending(board_time_us());
    if (app_stop_is_pending()) {
        /* A fast handler above us was stopped (app_stop): the application
         * stays silenced and is stopped now, instead of resumed. */
        return app_stop_complete(board_time_us(), (uint32_t)(uintptr_t)msp);
    }
    for (uint32_t w = 0; w < words && w < SCHED_IRQ_WORDS; w++)
        NVIC_ISER(w) = masked[w];
    return exc_return;
}

