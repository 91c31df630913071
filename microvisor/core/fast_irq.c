/*
 * IMPLEMENTATION NOTES
 * The fast-interrupt set (sched.h): which application lines may pre-empt
 * deferred work. Bookkeeping only, portable, so the gateway fuzzer runs it
 * as is; sched.c applies it to the NVIC while deferred work runs, and
 * mvSetFastInterrupt's priority goes through nvic.h.
 */
#include <stdbool.h>
#include <stdint.h>

#include "board.h"
#include "mv_config.h"
#include "nvic.h"
#include "sched.h"

#define FAST_IRQ_WORDS 4u /* up to 128 external interrupts */

static uint32_t fast_mask[FAST_IRQ_WORDS];
static uint32_t fast_count;
static bool fast_enabled = true;

int sched_fast_irq_set(uint32_t irq)
{
    if (irq >= board_irq_count() || irq >= FAST_IRQ_WORDS * 32u || !board_irq_is_app(irq))
        return -1;
    if (sched_fast_irq_is_set(irq))
        return 0;
    if (fast_count >= MV_FAST_IRQ_MAX)
        return -2;
    fast_mask[irq / 32u] |= 1u << (irq % 32u);
    fast_count++;
    /* NS priority 0 (0x80 in the secure view): above deferred work. */
    nvic_set_priority(irq, 0);
    return 0;
}

int sched_fast_irq_clear(uint32_t irq)
{
    if (!sched_fast_irq_is_set(irq))
        return -1;
    fast_mask[irq / 32u] &= ~(1u << (irq % 32u));
    fast_count--;
    return 0;
}

bool sched_fast_irq_is_set(uint32_t irq)
{
    return irq < FAST_IRQ_WORDS * 32u &&
           (fast_mask[irq / 32u] & (1u << (irq % 32u))) != 0;
}

void sched_fast_irqs_enable(bool on)
{
    fast_enabled = on;
}

uint32_t sched_fast_irq_word(uint32_t w)
{
    return fast_enabled && w < FAST_IRQ_WORDS ? fast_mask[w] : 0u;
}
