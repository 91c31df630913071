/*
 * IMPLEMENTATION NOTES
 * The an505 port of board.h. Partitioning is deny-by-default: the SAU has
 * a region only for what the application owns (its code window, the NSC
 * veneers, its RAM, its UART and its timer), so every other address,
 * including the non-secure aliases of the ethernet, the flash, the other
 * UARTs and timers and the security controller, is Secure for the TT check
 * and faults on access. The MPCs and PPCs are configured to agree, as a
 * second layer (QEMU's PPCs ignore SECRESPCFG, FACTS.md).
 *
 * The microsecond clock is TIMER1 counting down from 0xFFFFFFFF at 20 MHz,
 * extended to 64 bits by counting its wrap interrupts (every ~215 s).
 */
#include <stddef.h>

#include "an505.h"
#include "armv8m.h"
#include "board.h"
#include "board_flash.h"
#include "flash_an505.h"
#include "memory_map.h"
#include "semihosting.h"
#include "uart.h"

#define REG AN505_REG32

static volatile uint32_t clock_wraps;

/* Application interrupts: its timer, its UART, and lines 80..95 that no
 * an505 device drives, for notifications. */
#define APP_SPARE_IRQ_FIRST 80u
#define APP_SPARE_IRQ_LAST  95u

void board_init(void)
{
    an505_uart_init(AN505_UART0_S);

    REG(AN505_TIMER1_S + AN505_TIMER_CTRL) = 0;
    REG(AN505_TIMER1_S + AN505_TIMER_RELOAD) = 0xFFFFFFFFu;
    REG(AN505_TIMER1_S + AN505_TIMER_VALUE) = 0xFFFFFFFFu;
    REG(AN505_TIMER1_S + AN505_TIMER_INTCLR) = 1;
    REG(AN505_TIMER1_S + AN505_TIMER_CTRL) = 1u | (1u << 3); /* EN | IRQEN */
    NVIC_IPR(AN505_IRQ_TIMER1) = 0x40;
    NVIC_ISER(AN505_IRQ_TIMER1 / 32u) = 1u << (AN505_IRQ_TIMER1 % 32u);
}

void board_console_putc(char c)
{
    an505_uart_putc(AN505_UART0_S, c);
}

uint32_t board_console_context(void)
{
    return armv8m_ipsr();
}

void board_clock_irq(void)
{
    REG(AN505_TIMER1_S + AN505_TIMER_INTCLR) = 1;
    clock_wraps++;
}

uint64_t board_time_us(void)
{
    uint32_t primask, wraps, value, pending;
    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    wraps = clock_wraps;
    value = REG(AN505_TIMER1_S + AN505_TIMER_VALUE);
    /* A wrap that happened but has not been counted yet (we may be running
     * above the timer's priority): the interrupt status says so, and the
     * fresh value near the top says it is this wrap. */
    pending = REG(AN505_TIMER1_S + AN505_TIMER_INTCLR) & 1u;
    if (pending && value > 0x80000000u)
        wraps++;
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
    uint64_t ticks = ((uint64_t)wraps << 32) | (0xFFFFFFFFu - value);
    return ticks / (AN505_MAIN_CLOCK_HZ / 1000000u);
}

void board_tick_start(uint32_t hz)
{
    SYST_CSR = 0;
    SYST_RVR = AN505_MAIN_CLOCK_HZ / hz - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7; /* processor clock, interrupt, enable */
}

uint32_t board_clock_hz(enum board_clock which)
{
    (void)which; /* one 20 MHz clock drives the core and every bus */
    return AN505_MAIN_CLOCK_HZ;
}

void board_watchdog_start(uint32_t timeout_ms)
{
    REG(AN505_WDOG_S + AN505_WDOG_LOCK) = AN505_WDOG_UNLOCK_KEY;
    REG(AN505_WDOG_S + AN505_WDOG_LOAD) = timeout_ms * (AN505_MAIN_CLOCK_HZ / 1000u);
    REG(AN505_WDOG_S + AN505_WDOG_CTRL) = 3; /* interrupt (NMI), then reset */
    REG(AN505_WDOG_S + AN505_WDOG_LOCK) = 0;
}

void board_watchdog_feed(void)
{
    REG(AN505_WDOG_S + AN505_WDOG_LOCK) = AN505_WDOG_UNLOCK_KEY;
    REG(AN505_WDOG_S + AN505_WDOG_INTCLR) = 1; /* reloads the counter */
    REG(AN505_WDOG_S + AN505_WDOG_LOCK) = 0;
}

void board_reset(void)
{
    armv8m_dsb_isb();
    SCB_AIRCR = AIRCR_VECTKEY | (SCB_AIRCR & 0xFFFFu & ~AIRCR_VECTKEY) | AIRCR_SYSRESETREQ;
    armv8m_dsb_isb();
    for (;;)
        __asm volatile("wfi");
}

void board_exit(uint32_t code)
{
    semihosting_exit(code);
}

uint32_t board_irq_count(void)
{
    return AN505_NUM_IRQS;
}

bool board_irq_is_app(uint32_t irq)
{
    return irq == AN505_IRQ_TIMER0 || irq == AN505_IRQ_UART1_RX ||
           irq == AN505_IRQ_UART1_TX || irq == AN505_IRQ_UART1 ||
           (irq >= APP_SPARE_IRQ_FIRST && irq <= APP_SPARE_IRQ_LAST);
}

/* Registers the application may reach through peek/poke: the FPGA I/O
 * block's LEDs (read/write, 2 bits), buttons, switches and its free-running
 * counter (read). */
static const struct {
    uint32_t ns_addr;
    uint32_t read_mask, write_mask;
} periph_allow[] = {
    { AN505_FPGAIO_NS + AN505_FPGAIO_LED, 0x3u, 0x3u },
    { AN505_FPGAIO_NS + AN505_FPGAIO_BUTTON, 0x3u, 0 },
    { AN505_FPGAIO_NS + 0x028u /* SWITCH */, 0xFFu, 0 },
    { AN505_FPGAIO_NS + 0x018u /* COUNTER */, 0xFFFFFFFFu, 0 },
};

bool board_periph_lookup(uint32_t addr, struct board_periph_access *out)
{
    for (size_t i = 0; i < sizeof(periph_allow) / sizeof(periph_allow[0]); i++) {
        if (periph_allow[i].ns_addr == addr) {
            out->secure_addr = addr | 0x10000000u; /* secure alias */
            out->read_mask = periph_allow[i].read_mask;
            out->write_mask = periph_allow[i].write_mask;
            return true;
        }
    }
    return false;
}

void board_app_peripherals_reset(void)
{
    /* Through the non-secure aliases: once the PPCs hand these devices to
     * the Non-secure world, their secure aliases no longer reach them. */
    REG(AN505_TIMER0_NS + AN505_TIMER_CTRL) = 0;
    REG(AN505_TIMER0_NS + AN505_TIMER_INTCLR) = 1;
    an505_uart_init(AN505_UART1_NS);
}

static const struct board_app_layout app_layout = {
    .code_base = NS_CODE_BASE,
    .code_size = NS_APP_CODE_SIZE,
    .ram_base = NS_RAM_BASE,
    .ram_size = NS_RAM_SIZE,
    .stubs_base = NS_STUBS_BASE,
    .stubs_size = NS_STUBS_SIZE,
    .slot_a = FLASH_APP_SLOT_A,
    .slot_b = FLASH_APP_SLOT_B,
    .slot_size = FLASH_APP_SLOT_SIZE,
};

const struct board_app_layout *board_app_layout(void)
{
    return &app_layout;
}

const void *board_provisioning(void)
{
    return (const void *)FLASH_PROVISION;
}

static flash_t an505_flash;
static const struct update_layout an505_update_layout = KEEL_AN505_UPDATE_LAYOUT;

const flash_t *board_flash(void)
{
    if (!an505_flash.ops)
        flash_an505_init(&an505_flash, FLASH_BASE, FLASH_SIZE);
    return &an505_flash;
}

const struct update_layout *board_update_layout(void)
{
    return &an505_update_layout;
}

uint32_t board_trust_addr(void)
{
    return FLASH_TRUST;
}

/* ---- partitioning ---------------------------------------------------- */

static void sau_region(uint32_t n, uint32_t base, uint32_t limit, bool nsc)
{
    SAU_RNR = n;
    SAU_RBAR = base & ~0x1Fu;
    SAU_RLAR = (limit & ~0x1Fu) | (nsc ? 2u : 0u) | 1u;
}

/* Marks [offset, offset + size) behind an MPC Non-secure. */
static void mpc_set_ns(uint32_t mpc, uint32_t offset, uint32_t size)
{
    uint32_t block = 1u << (REG(mpc + AN505_MPC_BLK_CFG) + 5u);
    for (uint32_t b = offset / block; b < (offset + size) / block; b++) {
        REG(mpc + AN505_MPC_BLK_IDX) = b / 32u;
        uint32_t lut = REG(mpc + AN505_MPC_BLK_LUT);
        REG(mpc + AN505_MPC_BLK_IDX) = b / 32u; /* AUTOINC moved it */
        REG(mpc + AN505_MPC_BLK_LUT) = lut | (1u << (b % 32u));
    }
}

void board_partition(void)
{
    SAU_CTRL = 0;
    sau_region(0, NS_CODE_BASE, NS_CODE_BASE + NS_CODE_SIZE - 1u, false);
    sau_region(1, MV_NSC_BASE, MV_NSC_BASE + MV_NSC_SIZE - 1u, true);
    sau_region(2, NS_RAM_BASE, NS_RAM_BASE + NS_RAM_SIZE - 1u, false);
    sau_region(3, AN505_TIMER0_NS, AN505_TIMER0_NS + 0xFFFu, false);
    sau_region(4, AN505_UART1_NS, AN505_UART1_NS + 0xFFFu, false);
    SAU_CTRL = 1; /* enable; everything else Secure */

    /* The IDAU reports NSC for secure code only with CODENSC set; without
     * it the first SG faults (FACTS.md). */
    REG(AN505_SPC + AN505_SPC_NSCCFG) = 1;

    mpc_set_ns(AN505_MPC_SSRAM1, NS_CODE_BASE - AN505_SSRAM1_NS, NS_CODE_SIZE);
    mpc_set_ns(AN505_MPC_SSRAM3, 0, AN505_SSRAM3_SIZE);

    REG(AN505_SPC + AN505_SPC_APBNSPPC0) |= AN505_PPC_APB0_TIMER0;
    REG(AN505_SPC + AN505_SPC_APBNSPPCEXP1) |= AN505_PPC_APBEXP1_UART(1);

    /* Application interrupts target the Non-secure world; all others stay
     * Secure (the reset value). */
    for (uint32_t irq = 0; irq < AN505_NUM_IRQS; irq++)
        if (board_irq_is_app(irq))
            NVIC_ITNS(irq / 32u) |= 1u << (irq % 32u);

    /* The application may use the FPU; only Secure may reset the device. */
    SCB_NSACR |= (1u << 10) | (1u << 11);
    /* An NS interrupt that pre-empts a veneer called with live FP state
     * (CONTROL.FPCA is not banked) stacks the caller's FP registers into
     * the Secure frame. Lazily, by default: the space is reserved and the
     * registers written there when the next FP instruction runs, which may
     * be in NS code long after the frame was abandoned and its stack
     * reused by the microvisor (a forged return leaves LSPACT set), and
     * which checks CPACR_S, so an honest handler using FP would fault.
     * So: Secure may use CP10/CP11 (the microvisor is soft-float and never
     * does; this only lets the hardware stack), FP state is stacked at
     * exception entry (LSPEN 0), and NS cannot turn lazy stacking back on
     * (LSPENS). */
    SCB_CPACR |= 0xFu << 20;
    FPU_FPCCR = (FPU_FPCCR & ~FPCCR_LSPEN) | FPCCR_LSPENS;
    SCB_AIRCR = AIRCR_VECTKEY | (SCB_AIRCR & (AIRCR_PRIS | AIRCR_BFHFNMINS)) |
                AIRCR_SYSRESETREQS;
    armv8m_dsb_isb();
}
