/*
 * IMPLEMENTATION NOTES
 * An NS interrupt that pre-empts secure code pushes, on MSP_S, an 18-word
 * frame: the integrity signature, a reserved word, r4-r11, then the basic
 * frame r0-r3, r12, lr, pc, xPSR (plus a padding word above it if xPSR bit
 * 9 says so). Secure code is soft-float, but CONTROL.FPCA is not banked:
 * a veneer called by NS code with live FP state is pre-empted with the FP
 * extension (NS register values) after the basic frame, signature bit 0
 * clear. Deferred work runs with FPCA clear (exception entry clears it),
 * so its frame never has one. The application cannot write secure
 * memory, so the signature, pc and xPSR of such a frame are the
 * hardware's; only the register words may hold values it chose, and they
 * are never read here.
 *
 * Every walk starts at a stack pointer the hardware or the gateway left at
 * a frame boundary, and steps only over frames it has checked: a veneer's
 * edge frame (pc in the veneer table or the trampolines) is stepped over
 * by its exact size, and because the veneers mask NS interrupts before
 * they push and unmask after they pop (gateway_veneers.S), the word above
 * such a frame is exactly where the call was entered: the next boundary.
 *
 * An edge frame is dead, and may be stepped over by a new call, when the
 * context it belongs to (its stacked IPSR: 0 for Thread mode, else the NS
 * exception that made the call) is the one calling now (it is running NS
 * code, so it is not pre-empted at its edge) or an NS exception no longer
 * active. Anything else may be live and stops the walk. What remains is
 * bounded by the nesting of active NS exceptions; a call that finds the
 * stack deeper than MV_SSTACK_CALL_RESERVE allows stops the application.
 */
#include "sstack.h"

#include <string.h>

#include "armv8m.h"
#include "board.h"
#include "mv_config.h"
#include "app.h"
#include "sched.h"

#define SSTACK_SIG     0xFEFA125Bu /* integrity signature, no FP frame */
#define SSTACK_SIG_FP  0xFEFA125Au /* integrity signature, FP extension follows */
#define SSTACK_FP      72u         /* S0-S15, FPSCR, VPR */
#define SSTACK_SEAL    0xFEF5EDA5u
#define SSTACK_PAINT   0x5AC3E7B1u
#define SSTACK_FRAME   72u         /* bytes of a frame with additional state */
#define XPSR_SPREALIGN (1u << 9)
#define XPSR_T         0x01000000u
#define EXC_RETURN_S_TO_NS_THREAD 0xFFFFFFB9u

extern uint32_t __stack_limit[], __stack_top[];
extern const uint8_t __nsc_start[], __nsc_end[], __gw_edge_start[], __gw_edge_end[];
void mv_pendsv_entry(void);

/* PSP_S is never used by the microvisor: it points at this sealed decoy,
 * with room below the seal for the 40 bytes of callee registers a
 * tail-chained secure exception may push there. */
static uint32_t sstack_decoy[16] __attribute__((aligned(8)));
void sstack_reset_psp(void)
{
    sstack_decoy[14] = SSTACK_SEAL;
    sstack_decoy[15] = SSTACK_SEAL;
    __asm volatile("msr psplim, %0\n\t"
                   "msr psp, %1" ::"r"(&sstack_decoy[0]), "r"(&sstack_decoy[14]));
}

void sstack_init(void)
{
    uint32_t here;
    __asm volatile("mov %0, sp" : "=r"(here));
    for (volatile uint32_t *p = __stack_limit; (uint32_t)(uintptr_t)p < here - 64u; p++)
        *p = SSTACK_PAINT;
    sstack_reset_psp();
}

uint32_t sstack_size(void)
{
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit);
}

uint32_t sstack_peak(void)
{
    const volatile uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == SSTACK_PAINT)
        p++;
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)p);
}

static bool sstack_edge_pc(uint32_t pc)
{
    uintptr_t a = pc;
    return (a >= (uintptr_t)__nsc_start && a < (uintptr_t)__nsc_end) ||
           (a >= (uintptr_t)__gw_edge_start && a < (uintptr_t)__gw_edge_end);
}

/* A checked frame at sp: its pc, its xPSR and its size. A frame with the
 * FP extension (signature bit 0 clear) is pushed when an NS interrupt
 * pre-empts a veneer called by NS code with live FP state (CONTROL.FPCA
 * is not banked): the caller-saved FP registers, FPSCR and VPR follow the
 * basic frame (S16-S31 would too if FPCCR_S.TS were set; the microvisor
 * leaves it at its reset value, 0). */
static bool sstack_frame_at(uint32_t sp, uint32_t *pc, uint32_t *xpsr, uint32_t *size)
{
    uint32_t top = (uint32_t)(uintptr_t)__stack_top;
    if ((sp & 7u) || sp < (uint32_t)(uintptr_t)__stack_limit || sp > top - SSTACK_FRAME)
        return false;
    const uint32_t *w = (const uint32_t *)(uintptr_t)sp;
    uint32_t fp;
    if (w[0] == SSTACK_SIG)
        fp = 0;
    else if (w[0] == SSTACK_SIG_FP)
        fp = SSTACK_FP;
    else
        return false;
    *pc = w[16];
    *xpsr = w[17];
    *size = SSTACK_FRAME + fp + ((*xpsr & XPSR_SPREALIGN) ? 4u : 0u);
    return *size <= top - sp;
}

/* Whether NS exception `exc` is active; unknown numbers count as active
 * (the walk then stops: the safe side). */
static bool sstack_ns_active(uint32_t exc)
{
    static const struct { uint16_t exc, bit; } sys[] = {
        { EXC_MEMMANAGE, 0 }, { EXC_USAGEFAULT, 3 }, { EXC_SVCALL, 7 },
        { 12 /* DebugMonitor */, 8 }, { EXC_PENDSV, 10 }, { EXC_SYSTICK, 11 },
    };
    if (exc >= EXC_IRQ0) {
        uint32_t n = exc - EXC_IRQ0;
        return n >= board_irq_count() || (NVIC_IABR(n / 32u) & (1u << (n % 32u))) != 0;
    }
    for (uint32_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
        if (sys[i].exc == exc)
            return (SCB_NS_SHCSR & (1u << sys[i].bit)) != 0;
    return true;
}

/* Steps over the dead edge frames at sp, for a call made by `caller`. */
static uint32_t sstack_trim(uint32_t sp, uint32_t caller)
{
    uint32_t pc, xpsr, size;
    while (sstack_frame_at(sp, &pc, &xpsr, &size) && sstack_edge_pc(pc)) {
        uint32_t owner = xpsr & 0x1FFu;
        if (owner != caller && (owner == 0 || sstack_ns_active(owner)))
            break;
        sp += size;
    }
    return sp;
}

/* The deliberate stop of gw_secure_entry, for the fault handler: why, and
 * the deferred work's frame where the call proved it (0 if none). */
static volatile uint32_t sstack_trap;
static volatile uint32_t sstack_trap_frame;

static void __attribute__((noreturn)) sstack_stop_app(enum sstack_trap_kind why, uint32_t frame)
{
    sstack_trap_frame = frame;
    sstack_trap = why;
    __asm volatile("udf #0x5e");
    __builtin_unreachable();
}

uint32_t gw_secure_entry(uint32_t sp)
{
    sp = sstack_trim(sp, armv8m_ipsr());
    bool busy = sched_work_active();
    if (busy && !app_ns_above_work()) {
        /* Deferred work is active, yet no NS handler that may pre-empt it
         * is: the application returned past the work with a frame of its
         * own and runs on. Only here is the work's frame exactly known
         * (sp is where this call was entered, above it only the edges
         * just trimmed), so the stop starts here rather than at the tick,
         * which a thread spinning on calls may never let land in NS code. */
        sstack_stop_app(SSTACK_TRAP_WORK_ABANDONED, sstack_work_frame(sp));
    }
    if (sp - (uint32_t)(uintptr_t)__stack_limit < MV_SSTACK_CALL_RESERVE) {
        /* Deeper than honest nesting goes: stop the application. Over
         * active deferred work too: a refused call needs little stack, but
         * edges left by handlers that forge returns between two calls
         * would otherwise pile up to the stack limit. Every frame above
         * the work's is an edge the stop drops. */
        sstack_stop_app(SSTACK_TRAP_TOO_DEEP, busy ? sstack_work_frame(sp) : 0);
    }
    return sp | (busy ? 1u : 0u);
}

enum sstack_trap_kind sstack_trap_taken(uint32_t *work_frame)
{
    enum sstack_trap_kind t = (enum sstack_trap_kind)sstack_trap;
    *work_frame = t ? sstack_trap_frame : 0;
    sstack_trap = SSTACK_TRAP_NONE;
    sstack_trap_frame = 0;
    return t;
}

uint32_t sstack_work_frame(uint32_t sp)
{
    uint32_t pc, xpsr, size;
    while (sstack_frame_at(sp, &pc, &xpsr, &size)) {
        if (!sstack_edge_pc(pc))
            return (xpsr & 0x1FFu) == EXC_PENDSV ? sp : 0;
        sp += size; /* every NS context above deferred work is being stopped */
    }
    return 0;
}

uint32_t sstack_work_frame_fresh(void)
{
    /* Below everything live (the handler building it runs from the top
     * down): what lies above it is dead once the handler returns. */
    uint32_t here;
    __asm volatile("mov %0, sp" : "=r"(here));
    uint32_t *f = (uint32_t *)(uintptr_t)((here - 256u - SSTACK_FRAME) & ~7u);
    memset(f, 0, SSTACK_FRAME);
    f[0] = SSTACK_SIG;
    f[15] = EXC_RETURN_S_TO_NS_THREAD; /* the handler's "resume": a stop replaces it */
    f[16] = (uint32_t)(uintptr_t)mv_pendsv_entry & ~1u;
    f[17] = XPSR_T | EXC_PENDSV;
    return (uint32_t)(uintptr_t)f;
}
