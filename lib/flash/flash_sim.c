/*
 * IMPLEMENTATION NOTES
 * The simulator keeps one "programmed since erase" bit per unit, which is
 * what makes a second program detectable even when it would write the same
 * bytes (real ECC flash refuses it too). A torn program marks its garbage
 * unit programmed: on real flash a half-programmed unit cannot be
 * programmed again either, and code that retries in place must fail here.
 * No allocation, no libc beyond string.h: it also builds for the firmware.
 */
#include "flash_sim.h"

#include <string.h>

static uint32_t sim_rand(flash_sim_t *s)
{
    /* xorshift32: enough to spread torn outcomes, repeatable per seed */
    uint32_t x = s->rng ? s->rng : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s->rng = x;
    return x;
}

static bool unit_programmed(const flash_sim_t *s, uint32_t u)
{
    return (s->programmed[u / 8] >> (u % 8)) & 1u;
}

static void unit_mark(flash_sim_t *s, uint32_t u, bool on)
{
    if (on)
        s->programmed[u / 8] |= (uint8_t)(1u << (u % 8));
    else
        s->programmed[u / 8] &= (uint8_t)~(1u << (u % 8));
}

/* Returns the cut mode that applies to the operation about to run (0 if
 * none) and numbers it. */
static enum flash_sim_cut sim_begin_op(flash_sim_t *s)
{
    uint32_t n = s->ops++;
    if (s->cut_mode && n == s->cut_at)
        return s->cut_mode;
    return 0;
}

static int sim_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    flash_sim_t *s = ctx;
    if (s->dead)
        return FLASH_EPOWER;
    memcpy(buf, s->mem + off, len);
    return FLASH_OK;
}

static int sim_program(void *ctx, uint32_t off, const void *buf, size_t len)
{
    flash_sim_t *s = ctx;
    if (s->dead)
        return FLASH_EPOWER;
    uint32_t first = off / s->unit, n = (uint32_t)(len / s->unit);
    for (uint32_t i = 0; i < n; i++)
        if (unit_programmed(s, first + i))
            return FLASH_EPROGRAMMED; /* checked before anything lands */
    enum flash_sim_cut cut = sim_begin_op(s);
    if (cut == FLASH_SIM_CUT_BEFORE) {
        s->dead = true;
        return FLASH_EPOWER;
    }
    uint32_t land = n;
    if (cut == FLASH_SIM_CUT_TORN)
        land = sim_rand(s) % n; /* 0 .. n-1 whole units */
    const uint8_t *src = buf;
    for (uint32_t i = 0; i < land; i++) {
        memcpy(s->mem + off + i * s->unit, src + i * s->unit, s->unit);
        unit_mark(s, first + i, true);
    }
    if (cut == FLASH_SIM_CUT_TORN) {
        uint8_t *g = s->mem + off + land * s->unit;
        for (uint32_t i = 0; i < s->unit; i++)
            g[i] = (uint8_t)sim_rand(s);
        unit_mark(s, first + land, true);
    }
    if (cut) {
        s->dead = true;
        return FLASH_EPOWER;
    }
    return FLASH_OK;
}

static int sim_erase_page(void *ctx, uint32_t off)
{
    flash_sim_t *s = ctx;
    if (s->dead)
        return FLASH_EPOWER;
    enum flash_sim_cut cut = sim_begin_op(s);
    if (cut == FLASH_SIM_CUT_BEFORE) {
        s->dead = true;
        return FLASH_EPOWER;
    }
    uint32_t units = s->page_size / s->unit, first = off / s->unit;
    uint32_t clear = units;
    if (cut == FLASH_SIM_CUT_TORN)
        clear = sim_rand(s) % units;
    memset(s->mem + off, 0xFF, (size_t)clear * s->unit);
    for (uint32_t i = 0; i < clear; i++)
        unit_mark(s, first + i, false);
    if (cut) {
        s->dead = true;
        return FLASH_EPOWER;
    }
    return FLASH_OK;
}

static const struct flash_ops sim_ops = {
    .read = sim_read,
    .program = sim_program,
    .erase_page = sim_erase_page,
};

void flash_sim_init(flash_sim_t *sim, flash_t *f, uint8_t *mem, uint8_t *bitmap,
                    uint32_t base, uint32_t size, uint32_t page_size, uint32_t unit)
{
    memset(sim, 0, sizeof(*sim));
    sim->mem = mem;
    sim->programmed = bitmap;
    sim->size = size;
    sim->page_size = page_size;
    sim->unit = unit;
    memset(mem, 0xFF, size);
    memset(bitmap, 0, FLASH_SIM_BITMAP_SIZE(size, unit));
    f->ops = &sim_ops;
    f->ctx = sim;
    f->base = base;
    f->size = size;
    f->page_size = page_size;
    f->prog_unit = unit;
    f->erased = 0xFF;
}

void flash_sim_attach(flash_sim_t *sim, flash_t *f, uint8_t *mem, uint8_t *bitmap,
                      uint32_t base, uint32_t size, uint32_t page_size, uint32_t unit)
{
    memset(sim, 0, sizeof(*sim));
    sim->mem = mem;
    sim->programmed = bitmap;
    sim->size = size;
    sim->page_size = page_size;
    sim->unit = unit;
    memset(bitmap, 0, FLASH_SIM_BITMAP_SIZE(size, unit));
    for (uint32_t u = 0; u < size / unit; u++)
        for (uint32_t i = 0; i < unit; i++)
            if (mem[u * unit + i] != 0xFF) {
                unit_mark(sim, u, true);
                break;
            }
    f->ops = &sim_ops;
    f->ctx = sim;
    f->base = base;
    f->size = size;
    f->page_size = page_size;
    f->prog_unit = unit;
    f->erased = 0xFF;
}

void flash_sim_arm(flash_sim_t *sim, uint32_t op_index, enum flash_sim_cut mode, uint32_t seed)
{
    sim->cut_at = op_index;
    sim->cut_mode = mode;
    sim->rng = seed * 2654435761u + 1u;
}

void flash_sim_power_on(flash_sim_t *sim)
{
    sim->dead = false;
    sim->cut_mode = 0;
}

void flash_sim_reset_count(flash_sim_t *sim)
{
    sim->ops = 0;
}

uint32_t flash_sim_ops(const flash_sim_t *sim)
{
    return sim->ops;
}

bool flash_sim_dead(const flash_sim_t *sim)
{
    return sim->dead;
}
