/*
 * Non-secure core and peripheral registers the fault and hang test
 * applications poke directly (an application's view: NS banks of the SCB,
 * NVIC and SysTick; its own TIMER0), plus the small helpers they share.
 * Test code only: a real application would use CMSIS.
 */
#ifndef NS_HW_H
#define NS_HW_H

#include <stdint.h>

#include "mv_syscalls.h"

#define NS_REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))

#define SCB_ICSR     NS_REG32(0xE000ED04u)
#define SCB_CCR      NS_REG32(0xE000ED14u)
#define SCB_SHCSR    NS_REG32(0xE000ED24u)
#define SCB_CFSR     NS_REG32(0xE000ED28u)
#define ICSR_PENDSVSET (1u << 28)
#define CCR_DIV_0_TRP  (1u << 4)

#define SYST_CSR     NS_REG32(0xE000E010u)
#define SYST_RVR     NS_REG32(0xE000E014u)
#define SYST_CVR     NS_REG32(0xE000E018u)

#define NVIC_ISER(n) NS_REG32(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) NS_REG32(0xE000E180u + 4u * (n))
#define NVIC_ISPR(n) NS_REG32(0xE000E200u + 4u * (n))
#define NVIC_IPR8(n) (*(volatile uint8_t *)(uintptr_t)(0xE000E400u + (n)))

#define TIMER0_CTRL   NS_REG32(0x40000000u)
#define TIMER0_VALUE  NS_REG32(0x40000004u)
#define TIMER0_RELOAD NS_REG32(0x40000008u)
#define TIMER0_INTCLR NS_REG32(0x4000000Cu)
#define IRQ_TIMER0 3u
#define IRQ_SPARE0 80u /* lines 80..95: no device drives them */

static inline void ns_irq_setup(uint32_t irq, uint8_t prio)
{
    NVIC_IPR8(irq) = prio;
    NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

static inline void ns_irq_pend(uint32_t irq)
{
    NVIC_ISPR(irq / 32u) = 1u << (irq % 32u);
}

/* TIMER0 (20 MHz) periodic interrupt every `ticks` clock cycles. */
static inline void ns_timer0_start(uint32_t ticks, uint8_t prio)
{
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = ticks;
    TIMER0_VALUE = ticks;
    TIMER0_INTCLR = 1;
    ns_irq_setup(IRQ_TIMER0, prio);
    TIMER0_CTRL = 1u | (1u << 3); /* EN | IRQEN */
}

/* SysTick_NS every `ticks` processor clocks, with its interrupt. */
static inline void ns_systick_start(uint32_t ticks)
{
    SYST_CSR = 0;
    SYST_RVR = ticks - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u;
}

static inline uint64_t ns_now_us(void)
{
    uint64_t now = 0;
    mvGetMicroseconds(&now);
    return now;
}

/* Waits (sleeping between interrupts) until *counter reaches `want` or
 * `limit_us` passes; returns the final count. */
static inline uint32_t ns_wait_count(volatile uint32_t *counter, uint32_t want,
                                     uint64_t limit_us)
{
    uint64_t start = ns_now_us();
    while (*counter < want && ns_now_us() - start < limit_us)
        __asm volatile("wfi");
    return *counter;
}

#endif /* NS_HW_H */
