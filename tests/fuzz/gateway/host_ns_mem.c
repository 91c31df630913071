/*
 * ns_mem.h for the host: the device's own range rules
 * (microvisor/core/ns_range.c: power-of-two alignment, no wrap-around,
 * wholly inside the application's code window or its RAM) without the TT
 * instruction, which the host does not have. The fuzzer maps both regions at their real addresses, so a
 * pointer this accepts is a real host address; anything it wrongly accepts
 * outside them is unmapped and crashes under ASan.
 */
#include <string.h>

#include "host_fakes.h"
#include "ns_mem.h"

bool ns_caller_in_handler_mode(void)
{
    return fake_handler_mode;
}

bool ns_mem_ok(uint32_t addr, uint32_t len, uint32_t align, bool write)
{
    (void)write; /* both regions are read-write for the application */
    return ns_range_allowed(addr, len, align);
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
