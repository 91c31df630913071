/*
 * Start-up code for a Keel application (Non-secure world, mps2-an505).
 * The microvisor starts the application at Reset_Handler with MSP_NS set
 * from the vector table, privileged, interrupts enabled and every NVIC
 * line the application owns disabled. Handlers are weak: define a function
 * with the same name to handle an exception or interrupt.
 */
#include <stdint.h>

extern uint32_t __stack_top, __stack_limit, __data_load, __data_start,
    __data_end, __bss_start, __bss_end;

int main(void);
void Reset_Handler(void);

void Default_Handler(void)
{
    /* An interrupt the application enabled without a handler: stop here;
     * the microvisor will see the hang and restart the application. */
    for (;;)
        ;
}

#define WEAK_DEFAULT __attribute__((weak, alias("Default_Handler")))
void NMI_Handler(void) WEAK_DEFAULT;
void HardFault_Handler(void) WEAK_DEFAULT;
void MemManage_Handler(void) WEAK_DEFAULT;
void BusFault_Handler(void) WEAK_DEFAULT;
void UsageFault_Handler(void) WEAK_DEFAULT;
void SVC_Handler(void) WEAK_DEFAULT;
void DebugMon_Handler(void) WEAK_DEFAULT;
void PendSV_Handler(void) WEAK_DEFAULT;
void SysTick_Handler(void) WEAK_DEFAULT;
void TIMER0_IRQHandler(void) WEAK_DEFAULT;   /* IRQ 3 */
void UART1_RX_IRQHandler(void) WEAK_DEFAULT; /* IRQ 34 */
void UART1_TX_IRQHandler(void) WEAK_DEFAULT; /* IRQ 35 */
void UART1_IRQHandler(void) WEAK_DEFAULT;    /* IRQ 43 */
#define SPARE(n) void IRQ##n##_Handler(void) WEAK_DEFAULT;
SPARE(80) SPARE(81) SPARE(82) SPARE(83) SPARE(84) SPARE(85) SPARE(86) SPARE(87)
SPARE(88) SPARE(89) SPARE(90) SPARE(91) SPARE(92) SPARE(93) SPARE(94) SPARE(95)

#define IRQ(n) [16 + (n)]

__attribute__((section(".isr_vector"), used))
void (*const __vector_table[16 + 96])(void) = {
    (void (*)(void))&__stack_top,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0, 0, 0, 0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
    [16 ... 16 + 95] = Default_Handler,
    IRQ(3) = TIMER0_IRQHandler,
    IRQ(34) = UART1_RX_IRQHandler,
    IRQ(35) = UART1_TX_IRQHandler,
    IRQ(43) = UART1_IRQHandler,
    IRQ(80) = IRQ80_Handler, IRQ(81) = IRQ81_Handler, IRQ(82) = IRQ82_Handler,
    IRQ(83) = IRQ83_Handler, IRQ(84) = IRQ84_Handler, IRQ(85) = IRQ85_Handler,
    IRQ(86) = IRQ86_Handler, IRQ(87) = IRQ87_Handler, IRQ(88) = IRQ88_Handler,
    IRQ(89) = IRQ89_Handler, IRQ(90) = IRQ90_Handler, IRQ(91) = IRQ91_Handler,
    IRQ(92) = IRQ92_Handler, IRQ(93) = IRQ93_Handler, IRQ(94) = IRQ94_Handler,
    IRQ(95) = IRQ95_Handler,
};

void Reset_Handler(void)
{
    /* Stack overflow faults (UsageFault STKOF) instead of corrupting data. */
    __asm volatile("msr msplim, %0" ::"r"(&__stack_limit));
    uint32_t *src = &__data_load;
    for (uint32_t *dst = &__data_start; dst < &__data_end;)
        *dst++ = *src++;
    for (uint32_t *dst = &__bss_start; dst < &__bss_end;)
        *dst++ = 0;
    main();
    for (;;)
        __asm volatile("wfi");
}
