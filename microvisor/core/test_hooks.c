/*
 * Test-build-only hooks (MV_TEST_HOOKS): ways to make the microvisor itself
 * fail, so the tests can show what a microvisor crash does. Linked only
 * into microvisor_test.elf, where veneer slot 71 (mvReserved71 in
 * sdk/abi/mv_calls.list; gateway_calls.h) is mvTestHook.
 *
 *   mvTestHook(1): a bus fault in secure code (a load from unmapped memory)
 *   mvTestHook(2): the microvisor stops making progress (spins inside the
 *                  call, so deferred work never feeds the watchdog)
 */
#include <stdint.h>

#include "console.h"
#include "gateway.h"
#include "mv_syscalls.h"

#define TEST_HOOK_SECURE_FAULT 1u
#define TEST_HOOK_HANG         2u

uint32_t gw_test_hook(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    switch (a0) {
    case TEST_HOOK_SECURE_FAULT:
        console_printf("[mv] test hook: faulting in secure code\n");
        return *(volatile uint32_t *)0xF0000000u;
    case TEST_HOOK_HANG:
        console_printf("[mv] test hook: hanging\n");
        for (;;)
            __asm volatile("" ::: "memory");
    }
    return MV_STATUS_PARAMETERFAULT;
}
