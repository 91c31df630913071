/*
 * IMPLEMENTATION NOTES
 * The stacked frame of a Non-secure fault lives on the application's stack,
 * which may be the very thing that broke (overflow, wild SP): every word is
 * read only after ns_mem_ok() accepts it, and missing words read as zero.
 *
 * A microvisor crash writes a small record into a .noinit area that the
 * reset does not clear (RAM keeps its contents across a system reset on
 * this board), guarded by a magic and its complement; the next boot reports
 * it and the wake reason becomes MICROVISORCRASH.
 */
#include "fault.h"

#include <stdbool.h>
#include <string.h>

#include "armv8m.h"
#include "board.h"
#include "console.h"
#include "mv_syscalls.h"
#include "ns_mem.h"
#include "sstack.h"
#include "wake.h"

#define UFSR_STKOF (1u << (16 + 4))
#define HFSR_FORCED (1u << 30)
#define CFSR_BFARVALID (1u << 15)
#define CFSR_MMFSR_MASK 0x000000FFu
#define CFSR_BFSR_MASK  0x0000FF00u
#define CFSR_UFSR_MASK  0xFFFF0000u
/* SFSR bits only the Non-secure world can cause: an entry not at an SG
 * (INVEP), an exception return whose integrity signature or EXC_RETURN is
 * wrong (INVIS, INVER: the microvisor's own returns use the value it was
 * entered with or one it built for a Non-secure target), an NS access to
 * Secure memory (AUVIOL, including stacking onto a wild NS stack pointer),
 * and the lazy FP state of NS code (LSPERR, LSERR). INVTRAN (a branch from
 * Secure to NS without BXNS) is the microvisor's own. */
#define SFSR_INVEP  (1u << 0)
#define SFSR_INVIS  (1u << 1)
#define SFSR_INVER  (1u << 2)
#define SFSR_AUVIOL (1u << 3)
#define SFSR_LSPERR (1u << 5)
#define SFSR_LSERR  (1u << 7)
#define SFSR_BY_APP (SFSR_INVEP | SFSR_INVIS | SFSR_INVER | SFSR_AUVIOL | SFSR_LSPERR | SFSR_LSERR)
/* UFSR.INVPC in the Secure bank: an exception return into a Secure frame
 * that does not match it (mode, or a forged EXC_RETURN); only NS handlers
 * return into Secure frames they did not make. */
#define UFSR_INVPC (1u << (16 + 2))
#define MV_CRASH_MAGIC 0x4D56435Au /* "ZCVM" */

static struct crash_record records[MV_CRASH_RECORDS];
static uint32_t record_count;

struct mv_crash_note {
    uint32_t magic, magic_inv;
    uint32_t unreported; /* 1 between the crash and the next boot's report */
    uint32_t crashes;    /* since power-on */
    uint32_t pc, lr, cfsr, sfsr, exc;
};
static struct mv_crash_note mv_crash __attribute__((section(".noinit")));

const struct crash_record *fault_last_record(void)
{
    return record_count ? &records[(record_count - 1u) % MV_CRASH_RECORDS] : NULL;
}

const struct crash_record *fault_record_newest(uint32_t i)
{
    if (i >= record_count || i >= MV_CRASH_RECORDS)
        return NULL;
    return &records[(record_count - 1u - i) % MV_CRASH_RECORDS];
}

uint32_t fault_record_count(void)
{
    return record_count;
}

static bool fault_note_valid(void)
{
    return mv_crash.magic == MV_CRASH_MAGIC && mv_crash.magic_inv == ~MV_CRASH_MAGIC;
}

uint32_t fault_microvisor_crashes(void)
{
    return fault_note_valid() ? mv_crash.crashes : 0;
}

static uint32_t fault_ns_sp(uint32_t exc_return)
{
    uint32_t sp;
    if (exc_return & EXC_RETURN_SPSEL)
        __asm volatile("mrs %0, psp_ns" : "=r"(sp));
    else
        __asm volatile("mrs %0, msp_ns" : "=r"(sp));
    return sp;
}

static struct crash_record *fault_new_record(uint32_t kind, uint32_t exc_return)
{
    struct crash_record *r = &records[record_count % MV_CRASH_RECORDS];
    record_count++;
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->exc_return = exc_return;
    r->cfsr_s = SCB_CFSR;
    r->cfsr_ns = SCB_NS_CFSR;
    r->hfsr = SCB_HFSR;
    r->sfsr = SAU_SFSR;
    r->bfar = (r->cfsr_s & CFSR_BFARVALID) ? SCB_BFAR : 0; /* stale otherwise */
    r->mmfar_ns = ARMV8M_REG32(0xE002ED34u);
    r->time_us = board_time_us();
    r->sp = fault_ns_sp(exc_return);

    /* A stack-limit fault stops the push: nothing was stacked at sp. */
    r->frame_valid = !((r->cfsr_ns | r->cfsr_s) & UFSR_STKOF);
    uint32_t *frame = &r->r0;
    for (uint32_t i = 0; i < 8u && r->frame_valid; i++)
        if (ns_mem_ok(r->sp + 4u * i, 4, 4, false))
            frame[i] = ns_read_word(r->sp + 4u * i);
    for (uint32_t i = 0; i < MV_CRASH_STACK_WORDS; i++)
        if (ns_mem_ok(r->sp + 32u + 4u * i, 4, 4, false))
            r->stack[i] = ns_read_word(r->sp + 32u + 4u * i);
    return r;
}

static void fault_print(const struct crash_record *r)
{
    if (r->frame_valid)
        console_printf("[mv] app crash: %s pc=%08x lr=%08x xpsr=%08x sp=%08x\n",
                       app_stop_name((enum app_stop_kind)r->kind), r->pc, r->lr,
                       r->xpsr, r->sp);
    else
        console_printf("[mv] app crash: %s (no frame stacked) sp=%08x\n",
                       app_stop_name((enum app_stop_kind)r->kind), r->sp);
    console_printf("[mv]   cfsr_s=%08x cfsr_ns=%08x hfsr=%08x sfsr=%08x "
                   "bfar=%08x exc_return=%08x\n",
                   r->cfsr_s, r->cfsr_ns, r->hfsr, r->sfsr, r->bfar, r->exc_return);
}

void fault_record_app_stop(enum app_stop_kind kind, uint32_t exc_return)
{
    fault_print(fault_new_record(kind, exc_return));
}

static void __attribute__((noreturn)) fault_microvisor(const char *what,
                                                        uint32_t exc_return,
                                                        const uint32_t *msp)
{
    uint32_t pc = 0, lr = 0;
    if ((exc_return & EXC_RETURN_S) && !(exc_return & EXC_RETURN_SPSEL)) {
        lr = msp[5];
        pc = msp[6];
    }
    mv_crash.crashes = fault_microvisor_crashes() + 1u;
    mv_crash.unreported = 1;
    mv_crash.pc = pc;
    mv_crash.lr = lr;
    mv_crash.cfsr = SCB_CFSR;
    mv_crash.sfsr = SAU_SFSR;
    mv_crash.exc = armv8m_ipsr();
    mv_crash.magic = MV_CRASH_MAGIC;
    mv_crash.magic_inv = ~MV_CRASH_MAGIC;
    console_printf("[mv] MICROVISOR CRASH: %s pc=%08x lr=%08x cfsr=%08x "
                   "sfsr=%08x; resetting\n", what, pc, lr, mv_crash.cfsr,
                   mv_crash.sfsr);
    board_reset();
}

void fault_boot_check(void)
{
    if (fault_note_valid() && mv_crash.unreported == 1u) {
        console_printf("[mv] previous run ended in a microvisor crash "
                       "(#%u, pc=%08x lr=%08x cfsr=%08x)\n",
                       mv_crash.crashes, mv_crash.pc, mv_crash.lr, mv_crash.cfsr);
        wake_reason_set(MV_WAKEREASON_MICROVISORCRASH);
        mv_crash.unreported = 0; /* one report per crash */
        return;
    }
    if (!fault_note_valid()) {
        /* Power-on: RAM holds no note yet. */
        mv_crash = (struct mv_crash_note){ .magic = MV_CRASH_MAGIC,
                                           .magic_inv = ~MV_CRASH_MAGIC };
    }
    wake_reason_set(MV_WAKEREASON_COLDBOOT);
}

/*
 * Whose fault this is. EXC_RETURN.S alone does not say: a non-secure
 * handler that returns with an EXC_RETURN claiming a Secure frame has the
 * fault taken as if it came from that (non-existent) Secure context, so the
 * fault's own EXC_RETURN says Secure. The fault status says who acted: an
 * SFSR cause only NS code can raise, INVPC in either bank (an exception
 * return the NS handler performed: checked in its own bank, or in the
 * Secure one once it reached the Secure frame), or the gateway's
 * deliberate stop (sstack.c). Only INVPC counts in the NS bank: other NS
 * bits may be stale ones the application's own fault handlers left, and
 * must not hide a fault of the microvisor's. Only a fault on a Secure
 * stack with none of these is the microvisor's own.
 */
static bool fault_by_app(uint32_t exc_return)
{
    if (!(exc_return & EXC_RETURN_S))
        return true;
    return (SAU_SFSR & SFSR_BY_APP) != 0 || ((SCB_NS_CFSR | SCB_CFSR) & UFSR_INVPC) != 0;
}

static uint32_t fault_common(enum app_stop_kind kind, const char *what,
                             uint32_t exc_return, uint32_t *msp)
{
    uint32_t trap_work_frame;
    enum sstack_trap_kind trap = sstack_trap_taken(&trap_work_frame);
    if (!trap && !fault_by_app(exc_return))
        fault_microvisor(what, exc_return, msp);
    /* A tail-chained fault from an NS exception into a claimed Secure
     * context pushed the callee registers (40 bytes, DCRS = 0) on the
     * Secure stack it names; on MSP_S they lie above msp, and above them
     * the deferred work's frame if it is live (app_stop looks for it). */
    if ((exc_return & EXC_RETURN_S) && !(exc_return & EXC_RETURN_DCRS) &&
        !((exc_return & EXC_RETURN_MODE) && (exc_return & EXC_RETURN_SPSEL)) &&
        sstack_work_frame((uint32_t)(uintptr_t)(msp + 10)) != 0)
        msp += 10;
    sstack_reset_psp();
    if (kind == APP_STOP_HARDFAULT && (SCB_HFSR & HFSR_FORCED)) {
        /* Escalated: report the fault that caused it. */
        if (SAU_SFSR)
            kind = APP_STOP_SECUREFAULT;
        else if (SCB_CFSR & CFSR_BFSR_MASK)
            kind = APP_STOP_BUSFAULT;
        else if (SCB_NS_CFSR & CFSR_UFSR_MASK)
            kind = APP_STOP_USAGEFAULT;
        else if (SCB_NS_CFSR & CFSR_MMFSR_MASK)
            kind = APP_STOP_MEMMANAGE;
    }
    if ((SCB_NS_CFSR | SCB_CFSR) & UFSR_STKOF)
        kind = APP_STOP_STACK_OVERFLOW;
    if (trap == SSTACK_TRAP_TOO_DEEP)
        kind = APP_STOP_SECURE_STACK;
    if (trap == SSTACK_TRAP_WORK_ABANDONED)
        kind = APP_STOP_WORK_ABANDONED;
    if (trap_work_frame) {
        /* The gateway proved where deferred work's frame is; this fault's
         * own frame (on the veneer's stack) lies below it and is dropped. */
        msp = (uint32_t *)(uintptr_t)trap_work_frame;
    }
    struct crash_record *r = fault_new_record(kind, exc_return);
    fault_print(r);
    /* Clear the sticky status bits for the next fault (write-one-to-clear). */
    SCB_CFSR = SCB_CFSR;
    SCB_NS_CFSR = SCB_NS_CFSR;
    SCB_HFSR = SCB_HFSR;
    SAU_SFSR = SAU_SFSR;
    return app_stop(kind, r->time_us, (uint32_t)(uintptr_t)msp);
}

uint32_t fault_hardfault(uint32_t exc_return, uint32_t *msp)
{
    return fault_common(APP_STOP_HARDFAULT, "HardFault", exc_return, msp);
}

uint32_t fault_busfault(uint32_t exc_return, uint32_t *msp)
{
    return fault_common(APP_STOP_BUSFAULT, "BusFault", exc_return, msp);
}

uint32_t fault_usagefault(uint32_t exc_return, uint32_t *msp)
{
    return fault_common(APP_STOP_USAGEFAULT, "UsageFault", exc_return, msp);
}

uint32_t fault_memmanage(uint32_t exc_return, uint32_t *msp)
{
    return fault_common(APP_STOP_MEMMANAGE, "MemManage", exc_return, msp);
}

uint32_t fault_securefault(uint32_t exc_return, uint32_t *msp)
{
    return fault_common(APP_STOP_SECUREFAULT, "SecureFault", exc_return, msp);
}

uint32_t fault_nmi(uint32_t exc_return, uint32_t *msp)
{
    /* The secure watchdog fired: the microvisor stopped feeding it. */
    fault_microvisor("watchdog expired", exc_return, msp);
}
