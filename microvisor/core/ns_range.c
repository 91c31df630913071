/*
 * IMPLEMENTATION NOTES
 * The half of the NS pointer rules that needs no hardware (ns_mem.h), kept
 * apart so host tests and the gateway fuzzer run the very same code.
 * Range arithmetic never adds two caller values: "fits in region" is
 * `addr - base < size && len <= size - (addr - base)`, which cannot wrap.
 */
#include <stdbool.h>
#include <stdint.h>

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

bool ns_range_allowed(uint32_t addr, uint32_t len, uint32_t align)
{
    if (align == 0 || (align & (align - 1u)) != 0 || (addr & (align - 1u)) != 0)
        return false;
    if (len == 0)
        return true;
    if (len - 1u > UINT32_MAX - addr)
        return false; /* wraps around */
    return ns_in_region(ns_code, addr, len) || ns_in_region(ns_ram, addr, len);
}

