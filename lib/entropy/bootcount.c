/*
 * IMPLEMENTATION NOTES
 * The boot counter's records (entropy.h, docs/flash-layout.md) live in two
 * pages. Every call scans both (reads only), so no state is kept in RAM.
 * Writing rules that make a power cut harmless:
 *  - a record is appended after the LAST programmed unit of the page that
 *    holds the highest valid counter, so a torn unit (garbage, programmed)
 *    is skipped, never reprogrammed;
 *  - when that page is full, the OTHER page is erased and the record goes
 *    to its first unit; the page with the highest counter is never erased,
 *    so the highest durable counter can never be lost;
 *  - the value is returned only after its record reads back valid.
 * A torn erase leaves old (lower) records or garbage in the other page:
 * neither can raise the maximum (garbage would need a matching CRC and its
 * complement).
 */
#include <string.h>

#include "entropy.h"
#include "crc32.h"

#define BC_MAGIC 0x3143424Bu /* "KBC1" little-endian */
#define REC 16u

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void record(uint8_t r[REC], uint32_t counter)
{
    put32(r, BC_MAGIC);
    put32(r + 4, counter);
    uint32_t c = crc32_ieee(r, 8);
    put32(r + 8, c);
    put32(r + 12, ~c);
}

static int record_valid(const uint8_t r[REC], uint32_t *counter)
{
    uint32_t c = crc32_ieee(r, 8);
    if (get32(r) != BC_MAGIC || get32(r + 8) != c || get32(r + 12) != ~c)
        return 0;
    *counter = get32(r + 4);
    return 1;
}

struct scan {
    int have;          /* a valid record was found */
    uint32_t max;      /* the highest valid counter */
    unsigned page;     /* the page holding it */
    uint32_t end[2];   /* per page: offset after its last programmed unit */
};

static void scan(const flash_t *f, uint32_t area, struct scan *s)
{
    uint32_t ps = flash_page_size(f);
    uint8_t r[REC];
    memset(s, 0, sizeof(*s));
    for (unsigned p = 0; p < 2; p++) {
        for (uint32_t off = 0; off + REC <= ps; off += REC) {
            uint32_t v;
            if (flash_read(f, area + p * ps + off, r, REC) != FLASH_OK)
                continue;
            if (!flash_is_erased(f, area + p * ps + off, REC))
                s->end[p] = off + REC;
            if (record_valid(r, &v) && (!s->have || v > s->max)) {
                s->have = 1;
                s->max = v;
                s->page = p;
            }
        }
    }
}

uint32_t entropy_bootcount_read(const flash_t *f, uint32_t area)
{
    struct scan s;
    scan(f, area, &s);
    return s.have ? s.max : 0;
}

int entropy_bootcount_next(const flash_t *f, uint32_t area, uint32_t *out)
{
    struct scan s;
    uint32_t ps = flash_page_size(f), unit = flash_align(f), v;
    uint8_t r[REC];
    if (unit > REC || REC % unit)
        return ENTROPY_EFLASH; /* a record must be whole program units */
    scan(f, area, &s);
    if (s.have && s.max == 0xFFFFFFFFu)
        return ENTROPY_EEXHAUSTED;
    uint32_t value = s.have ? s.max + 1u : 1u;
    unsigned page = s.have ? s.page : 0u;
    uint32_t off = s.end[page];
    if (off + REC > ps) {
        page ^= 1u;
        off = 0;
        if (flash_erase_page(f, area + page * ps) != FLASH_OK)
            return ENTROPY_EFLASH;
    }
    record(r, value);
    if (flash_program(f, area + page * ps + off, r, REC) != FLASH_OK ||
        flash_read(f, area + page * ps + off, r, REC) != FLASH_OK || !record_valid(r, &v) ||
        v != value)
        return ENTROPY_EFLASH;
    *out = value;
    return ENTROPY_OK;
}
