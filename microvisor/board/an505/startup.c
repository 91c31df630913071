/*
 * Microvisor entry on an505: the secure vector table (at MV_CODE_BASE, set
 * as VTOR_S by the boot ROM) and the reset handler the boot ROM jumps to.
 */
#include <stdint.h>

#include "an505.h"
#include "armv8m.h"

extern uint32_t __stack_top[], __stack_limit, __data_load, __data_start,
    __data_end, __bss_start, __bss_end;

int mv_main(void);
void mv_unexpected_irq(void);
void board_clock_irq(void);
void mv_pendsv_entry(void);
void board_netif_irq(void);
void board_update_port_irq(void);
void mv_nmi_entry(void);
void mv_hardfault_entry(void);
void mv_memfault_entry(void);
void mv_busfault_entry(void);
void mv_usagefault_entry(void);
void mv_securefault_entry(void);
void mv_tick_entry(void);

/* Armv8-M stack seal: a forged FNC_RETURN or exception return that pops
 * past the top of the secure stack finds this value and faults. */
#define STACK_SEAL 0xFEF5EDA5u

void mv_reset(void) __attribute__((noreturn));
void mv_reset(void)
{
    uint32_t *src = &__data_load;
    for (uint32_t *dst = &__data_start; dst < &__data_end;)
        *dst++ = *src++;
    for (uint32_t *dst = &__bss_start; dst < &__bss_end;)
        *dst++ = 0;
    __stack_top[0] = STACK_SEAL;
    __stack_top[1] = STACK_SEAL;
    __asm volatile("msr msplim, %0" ::"r"(&__stack_limit));
    mv_main();
    for (;;)
        __asm volatile("wfi");
}

#define VECTORS (16 + AN505_NUM_IRQS)

/* Every slot is first filled with the catch-all, then the few real handlers
 * are named: intended overrides. */
#pragma GCC diagnostic ignored "-Woverride-init"

__attribute__((section(".vectors"), used))
static void (*const mv_vectors[VECTORS])(void) = {
    (void (*)(void))__stack_top,
    mv_reset,
    mv_nmi_entry,
    mv_hardfault_entry,
    mv_memfault_entry,
    mv_busfault_entry,
    mv_usagefault_entry,
    mv_securefault_entry,
    0, 0, 0,
    mv_unexpected_irq,   /* SVCall: the microvisor makes none */
    mv_unexpected_irq,   /* DebugMonitor */
    0,
    mv_pendsv_entry,     /* PendSV: deferred work */
    mv_tick_entry,       /* SysTick: the secure tick */
    [16 ... VECTORS - 1] = mv_unexpected_irq,
    [16 + AN505_IRQ_TIMER1] = board_clock_irq,
    [16 + AN505_IRQ_ETHERNET] = board_netif_irq, /* Secure-targeted */
    [16 + AN505_IRQ_UART2_RX] = board_update_port_irq, /* Secure-targeted */
};
