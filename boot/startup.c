/*
 * Boot ROM entry: the vector table QEMU finds at 0x10000000 (VTOR_S reset
 * value). The boot ROM runs with interrupts masked; any fault is fatal.
 */
#include <stdint.h>

extern uint32_t __stack_top, __data_load, __data_start, __data_end,
    __bss_start, __bss_end;
void boot_main(void) __attribute__((noreturn));
void boot_fault(void) __attribute__((noreturn));

void boot_reset(void) __attribute__((noreturn));
void boot_reset(void)
{
    uint32_t *src = &__data_load;
    for (uint32_t *dst = &__data_start; dst < &__data_end;)
        *dst++ = *src++;
    for (uint32_t *dst = &__bss_start; dst < &__bss_end;)
        *dst++ = 0;
    boot_main();
}

__attribute__((section(".vectors"), used))
static void (*const boot_vectors[16])(void) = {
    (void (*)(void))&__stack_top,
    boot_reset,
    boot_fault, /* NMI */
    boot_fault, /* HardFault */
    boot_fault, boot_fault, boot_fault, boot_fault,
    0, 0, 0,
    boot_fault, boot_fault, 0, boot_fault, boot_fault,
};
