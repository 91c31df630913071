/*
 * Armv8-M Mainline system registers (Cortex-M33) used by the boot ROM and
 * the microvisor: SCB, NVIC, SysTick, SAU, FPU. Addresses are the
 * architectural ones; the _NS variants are the secure world's view of the
 * non-secure banked copies (0xE002xxxx).
 */
#ifndef ARMV8M_H
#define ARMV8M_H

#include <stdint.h>

#define ARMV8M_REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define ARMV8M_REG8(a)  (*(volatile uint8_t *)(uintptr_t)(a))

#define SCB_ICSR      ARMV8M_REG32(0xE000ED04u)
#define SCB_VTOR      ARMV8M_REG32(0xE000ED08u)
#define SCB_AIRCR     ARMV8M_REG32(0xE000ED0Cu)
#define SCB_SCR       ARMV8M_REG32(0xE000ED10u)
#define SCB_CCR       ARMV8M_REG32(0xE000ED14u)
#define SCB_SHPR1     ARMV8M_REG32(0xE000ED18u)
#define SCB_SHPR2     ARMV8M_REG32(0xE000ED1Cu)
#define SCB_SHPR3     ARMV8M_REG32(0xE000ED20u)
#define SCB_SHCSR     ARMV8M_REG32(0xE000ED24u)
#define SCB_CFSR      ARMV8M_REG32(0xE000ED28u)
#define SCB_HFSR      ARMV8M_REG32(0xE000ED2Cu)
#define SCB_MMFAR     ARMV8M_REG32(0xE000ED34u)
#define SCB_BFAR      ARMV8M_REG32(0xE000ED38u)
#define SCB_CPACR     ARMV8M_REG32(0xE000ED88u)
#define SCB_NSACR     ARMV8M_REG32(0xE000ED8Cu)
#define SAU_CTRL      ARMV8M_REG32(0xE000EDD0u)
#define SAU_RNR       ARMV8M_REG32(0xE000EDD8u)
#define SAU_RBAR      ARMV8M_REG32(0xE000EDDCu)
#define SAU_RLAR      ARMV8M_REG32(0xE000EDE0u)
#define SAU_SFSR      ARMV8M_REG32(0xE000EDE4u)
#define SAU_SFAR      ARMV8M_REG32(0xE000EDE8u)
#define FPU_FPCCR     ARMV8M_REG32(0xE000EF34u)
#define FPCCR_LSPEN   (1u << 30)
#define FPCCR_LSPENS  (1u << 29)
#define SCB_NS_VTOR   ARMV8M_REG32(0xE002ED08u)
#define SCB_NS_SHCSR  ARMV8M_REG32(0xE002ED24u)
#define SCB_NS_CFSR   ARMV8M_REG32(0xE002ED28u)
#define SCB_NS_CPACR  ARMV8M_REG32(0xE002ED88u)
#define SCB_NS_ICSR   ARMV8M_REG32(0xE002ED04u)

#define NVIC_ISER(n)  ARMV8M_REG32(0xE000E100u + 4u * (n))
#define NVIC_ICER(n)  ARMV8M_REG32(0xE000E180u + 4u * (n))
#define NVIC_ISPR(n)  ARMV8M_REG32(0xE000E200u + 4u * (n))
#define NVIC_ICPR(n)  ARMV8M_REG32(0xE000E280u + 4u * (n))
#define NVIC_IABR(n)  ARMV8M_REG32(0xE000E300u + 4u * (n))
#define NVIC_ITNS(n)  ARMV8M_REG32(0xE000E380u + 4u * (n))
#define NVIC_IPR(irq) ARMV8M_REG8(0xE000E400u + (irq))

#define SYST_CSR      ARMV8M_REG32(0xE000E010u)
#define SYST_RVR      ARMV8M_REG32(0xE000E014u)
#define SYST_CVR      ARMV8M_REG32(0xE000E018u)

/* AIRCR: writes need the key; PRIS puts non-secure priorities in the lower
 * half (0x80..0xFF) so secure exceptions at 0x00..0x7F always win. */
#define AIRCR_VECTKEY      (0x05FAu << 16)
#define AIRCR_SYSRESETREQ  (1u << 2)
#define AIRCR_SYSRESETREQS (1u << 3)
#define AIRCR_BFHFNMINS    (1u << 13)
#define AIRCR_PRIS         (1u << 14)

#define SHCSR_MEMFAULTENA  (1u << 16)
#define SHCSR_BUSFAULTENA  (1u << 17)
#define SHCSR_USGFAULTENA  (1u << 18)
#define SHCSR_SECUREFAULTENA (1u << 19)

#define ICSR_PENDSVSET     (1u << 28)
#define ICSR_PENDNMISET    (1u << 31)

#define CCR_DIV_0_TRP      (1u << 4)
#define CCR_STKOFHFNMIGN   (1u << 10)

/* Exception numbers. */
#define EXC_NMI        2
#define EXC_HARDFAULT  3
#define EXC_MEMMANAGE  4
#define EXC_BUSFAULT   5
#define EXC_USAGEFAULT 6
#define EXC_SECUREFAULT 7
#define EXC_SVCALL     11
#define EXC_PENDSV     14
#define EXC_SYSTICK    15
#define EXC_IRQ0       16

/* EXC_RETURN bits. */
#define EXC_RETURN_ES     (1u << 0) /* exception taken to Secure */
#define EXC_RETURN_SPSEL  (1u << 2) /* frame on PSP */
#define EXC_RETURN_MODE   (1u << 3) /* returning to Thread mode */
#define EXC_RETURN_FTYPE  (1u << 4) /* 1: no FP context in frame */
#define EXC_RETURN_DCRS   (1u << 5) /* 1: default callee-register stacking */
#define EXC_RETURN_S      (1u << 6) /* frame on a Secure stack */

static inline void armv8m_dsb_isb(void)
{
    __asm volatile("dsb\n\tisb" ::: "memory");
}

static inline void armv8m_set_exception_priority(int exc, uint8_t prio)
{
    /* SHPR1..3 hold exceptions 4..15, one byte each. */
    ARMV8M_REG8(0xE000ED18u + (uint32_t)(exc - 4)) = prio;
}

static inline uint32_t armv8m_ipsr(void)
{
    uint32_t v;
    __asm volatile("mrs %0, ipsr" : "=r"(v));
    return v;
}

#endif /* ARMV8M_H */
