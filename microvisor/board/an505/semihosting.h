/*
 * Arm semihosting on QEMU (needs -semihosting-config enable=on,target=native).
 * Used only to report an exit status to the test harness and the developer:
 * Keel never reads host files through it.
 */
#ifndef SEMIHOSTING_H
#define SEMIHOSTING_H

#include <stdint.h>

#define SEMIHOSTING_SYS_EXIT_EXTENDED 0x20u
#define SEMIHOSTING_ADP_APPLICATION_EXIT 0x20026u

/* Ends the QEMU process with `code` as its exit status. */
static inline void __attribute__((noreturn)) semihosting_exit(uint32_t code)
{
    uint32_t block[2] = { SEMIHOSTING_ADP_APPLICATION_EXIT, code };
    register uint32_t r0 __asm__("r0") = SEMIHOSTING_SYS_EXIT_EXTENDED;
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    for (;;)
        __asm__ volatile("wfi");
}

#endif /* SEMIHOSTING_H */
