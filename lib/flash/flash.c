/*
 * IMPLEMENTATION NOTES
 * The rules every backend shares (range, alignment) are checked here once,
 * so backends only move bytes. Ranges are checked by subtraction from known
 * sizes, never by adding caller values, so no check can wrap.
 */
#include "flash.h"

bool flash_in_range(const flash_t *f, uint32_t addr, size_t len)
{
    if (addr < f->base)
        return false;
    uint32_t off = addr - f->base;
    return off <= f->size && len <= (size_t)(f->size - off);
}

int flash_read(const flash_t *f, uint32_t addr, void *buf, size_t len)
{
    if (!flash_in_range(f, addr, len))
        return FLASH_EINVAL;
    if (len == 0)
        return FLASH_OK;
    return f->ops->read(f->ctx, addr - f->base, buf, len);
}

int flash_program(const flash_t *f, uint32_t addr, const void *buf, size_t len)
{
    if (!flash_in_range(f, addr, len) || ((addr - f->base) & (f->prog_unit - 1)) ||
        (len & (f->prog_unit - 1)))
        return FLASH_EINVAL;
    if (len == 0)
        return FLASH_OK;
    return f->ops->program(f->ctx, addr - f->base, buf, len);
}

int flash_erase_page(const flash_t *f, uint32_t addr)
{
    if (!flash_in_range(f, addr, f->page_size) || ((addr - f->base) & (f->page_size - 1)))
        return FLASH_EINVAL;
    return f->ops->erase_page(f->ctx, addr - f->base);
}

int flash_erase(const flash_t *f, uint32_t addr, uint32_t len)
{
    if (!flash_in_range(f, addr, len) || (len & (f->page_size - 1)))
        return FLASH_EINVAL;
    for (uint32_t done = 0; done < len; done += f->page_size) {
        int rc = flash_erase_page(f, addr + done);
        if (rc != FLASH_OK)
            return rc;
    }
    return FLASH_OK;
}

uint32_t flash_page_size(const flash_t *f)
{
    return f->page_size;
}

uint32_t flash_align(const flash_t *f)
{
    return f->prog_unit;
}

uint8_t flash_erased_val(const flash_t *f)
{
    return f->erased;
}

bool flash_is_erased(const flash_t *f, uint32_t addr, size_t len)
{
    uint8_t buf[64];
    while (len > 0) {
        size_t n = len < sizeof(buf) ? len : sizeof(buf);
        if (flash_read(f, addr, buf, n) != FLASH_OK)
            return false;
        for (size_t i = 0; i < n; i++)
            if (buf[i] != f->erased)
                return false;
        addr += (uint32_t)n;
        len -= n;
    }
    return true;
}
