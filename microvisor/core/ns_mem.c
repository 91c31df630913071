/*
 * IMPLEMENTATION NOTES
 * The hardware half of the NS pointer rules (ns_range.c has the rest). The
 * privilege used for the TT check is the caller's: a call from NS
 * Thread mode with CONTROL_NS.nPRIV set is checked as unprivileged, so an
 * unprivileged task cannot use the microvisor to reach memory its NS MPU
 * hides from it.
 */
#include "ns_mem.h"

#include <arm_cmse.h>
#include <string.h>

#include "armv8m.h"

bool ns_caller_in_handler_mode(void)
{
    return armv8m_ipsr() != 0;
}

static bool ns_caller_unprivileged(void)
{
    uint32_t control_ns;
    if (ns_caller_in_handler_mode())
        return false; /* called from an NS handler: privileged */
    __asm volatile("mrs %0, control_ns" : "=r"(control_ns));
    return (control_ns & 1u) != 0;
}

bool ns_mem_ok(uint32_t addr, uint32_t len, uint32_t align, bool write)
{
    if (!ns_range_allowed(addr, len, align))
        return false;
    if (len == 0)
        return true;
    int flags = CMSE_NONSECURE | (write ? CMSE_MPU_READWRITE : CMSE_MPU_READ);
    if (ns_caller_unprivileged())
        flags |= CMSE_MPU_UNPRIV;
    return cmse_check_address_range((void *)(uintptr_t)addr, len, flags) != NULL;
}

int ns_copy_in(void *dst, uint32_t ns_src, uint32_t len, uint32_t align)
{
    if (!ns_mem_ok(ns_src, len, align, false))
        return -1;
    if (len) /* len 0 may come with any aligned address, even 0 */
        memcpy(dst, (const void *)(uintptr_t)ns_src, len);
    return 0;
}

int ns_copy_out(uint32_t ns_dst, const void *src, uint32_t len, uint32_t align)
{
    if (!ns_mem_ok(ns_dst, len, align, true))
        return -1;
    if (len)
        memcpy((void *)(uintptr_t)ns_dst, src, len);
    return 0;
}

uint32_t ns_read_word(uint32_t ns_addr)
{
    return *(volatile const uint32_t *)(uintptr_t)ns_addr;
}
