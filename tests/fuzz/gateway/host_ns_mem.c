/*
 * ns_mem.h for the host: the same rules as microvisor/core/ns_mem.c
 * (power-of-two alignment, no wrap-around, wholly inside the application's
 * code window or its RAM) without the TT instruction, which the host does
 * not have. The fuzzer maps both regions at their real addresses, so a
 * pointer this accepts is a real host address; anything it wrongly accepts
 * outside them is unmapped and crashes under ASan.
 */
#include <string.h>

#include "host_fakes.h"
#include "ns_mem.h"

static struct ns_region ns_code, ns_ram;

void ns_mem_set_app_regions(struct ns_region code, struct ns_region ram)
{
    ns_code = code;
    ns_ram = ram;
}

static bool ns_in_region(struct ns_region r, uint32_t addr, uint32_t len)
{
    uint32_t off = addr - r.base;
    return addr >= r.base && off < r.size && len <= r.size - off;
}

bool ns_caller_in_handler_mode(void)
{
    return fake_handler_mode;
}

bool ns_mem_ok(uint32_t addr, uint32_t len, uint32_t align, bool write)
{
    (void)write; /* both regions are read-write for the application */
    if (align == 0 || (align & (align - 1u)) != 0 || (addr & (align - 1u)) != 0)
        return false;
    if (len == 0)
        return true;
    if (len - 1u > UINT32_MAX - addr)
        return false;
    return ns_in_region(ns_code, addr, len) || ns_in_region(ns_ram, addr, len);
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
