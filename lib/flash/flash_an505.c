/*
 * IMPLEMENTATION NOTES
 * The PSRAM is plain memory: reads are memcpy, programs are memcpy after
 * checking that every target unit still reads erased, erases are memset.
 * The window's base address is the backend context (no state at all).
 */
#include "flash_an505.h"

#include <string.h>

#define AN505_PAGE 8192u
#define AN505_UNIT 16u

static uint8_t *window(void *ctx, uint32_t off)
{
    return (uint8_t *)((uintptr_t)ctx + off);
}

static int an505_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    memcpy(buf, window(ctx, off), len);
    return FLASH_OK;
}

static int an505_program(void *ctx, uint32_t off, const void *buf, size_t len)
{
    volatile const uint8_t *p = window(ctx, off);
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0xFF)
            return FLASH_EPROGRAMMED;
    memcpy(window(ctx, off), buf, len);
    return FLASH_OK;
}

static int an505_erase_page(void *ctx, uint32_t off)
{
    memset(window(ctx, off), 0xFF, AN505_PAGE);
    return FLASH_OK;
}

static const struct flash_ops an505_ops = {
    .read = an505_read,
    .program = an505_program,
    .erase_page = an505_erase_page,
};

void flash_an505_init(flash_t *f, uint32_t base, uint32_t size)
{
    f->ops = &an505_ops;
    f->ctx = (void *)(uintptr_t)base;
    f->base = base;
    f->size = size;
    f->page_size = AN505_PAGE;
    f->prog_unit = AN505_UNIT;
    f->erased = 0xFF;
}
