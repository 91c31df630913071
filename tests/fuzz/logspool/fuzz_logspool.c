/*
 * Input: a spool's flash (4 pages of 1 KiB) as damage could leave it. The
 * first byte n says how many operations (appends of varied lengths and
 * acks, driven by the next n bytes) build a real spool on an erased flash;
 * the rest are (offset high, offset low, xor) triples flipping its bytes,
 * as a power cut or a bad block might. logspool_open must recover without
 * reading out of bounds, the
 * records it lists must have increasing numbers below next_seq and valid
 * lengths, and the spool must then work: a new record is listed last, and
 * after a reopen too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flash_sim.h"
#include "logspool.h"

#define PAGE 1024u
#define NPAGES 4u

static uint8_t mem[PAGE * NPAGES];
static uint8_t bitmap[FLASH_SIM_BITMAP_SIZE(PAGE * NPAGES, 16)];

static uint64_t last_listed(const struct logspool *s, unsigned *count)
{
    static struct logspool_rec r;
    struct logspool_cursor c = logspool_cursor(s);
    uint64_t prev = 0;
    unsigned n = 0;
    while (logspool_next(s, &c, &r) == LOGSPOOL_OK) {
        if (r.len > LOGSPOOL_TEXT_MAX || r.level > 3 || (n && r.seq <= prev) ||
            r.seq >= s->next_seq || r.seq < s->acked || ++n > PAGE * NPAGES / 16)
            abort();
        prev = r.seq;
    }
    *count = n;
    return prev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    flash_sim_t sim;
    flash_t fl;
    struct logspool s;
    static const char text[LOGSPOOL_TEXT_MAX] = "fuzzed log text";
    if (size == 0)
        return 0;
    size_t nops = data[0], pos = 1;
    flash_sim_init(&sim, &fl, mem, bitmap, 0x80F14000u, sizeof(mem), PAGE, 16);
    if (logspool_open(&s, &fl, 0x80F14000u, NPAGES) != LOGSPOOL_OK)
        abort();
    uint64_t seq;
    for (size_t k = 0; k < nops && pos < size; k++, pos++) {
        uint8_t op = data[pos];
        if (op < 0xC0) {
            if (logspool_take_seq(&s, &seq) != LOGSPOOL_OK ||
                logspool_append(&s, seq, op, op & 3u, text,
                                (uint16_t)(op * 3u % (LOGSPOOL_TEXT_MAX + 1u))) != LOGSPOOL_OK)
                abort();
        } else if (logspool_ack(&s, s.next_seq - (op & 0x0Fu)) != LOGSPOOL_OK) {
            abort();
        }
    }
    for (; pos + 3 <= size; pos += 3)
        mem[((size_t)data[pos] << 8 | data[pos + 1]) % sizeof(mem)] ^= data[pos + 2];
    /* the damaged image as the device would find it after a reboot */
    flash_sim_attach(&sim, &fl, mem, bitmap, 0x80F14000u, sizeof(mem), PAGE, 16);
    if (logspool_open(&s, &fl, 0x80F14000u, NPAGES) != LOGSPOOL_OK)
        return 0; /* a unit that reads erased but counts as programmed */
    unsigned n;
    last_listed(&s, &n);
    if (logspool_take_seq(&s, &seq) != LOGSPOOL_OK ||
        logspool_append(&s, seq, 1, 2, "fuzz", 4) != LOGSPOOL_OK)
        return 0;
    if (last_listed(&s, &n) != seq || n == 0)
        abort();
    if (logspool_open(&s, &fl, 0x80F14000u, NPAGES) != LOGSPOOL_OK)
        abort();
    if (last_listed(&s, &n) != seq || s.next_seq <= seq)
        abort();
    return 0;
}
