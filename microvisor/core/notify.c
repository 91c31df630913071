/*
 * IMPLEMENTATION NOTES
 * All control state (write index, size, IRQ) lives in secure RAM; the ring
 * itself is application memory that the application reads and clears.
 * A slot is written only if its event_type is 0 (consumed); the record's
 * body goes in first and event_type last, after a DMB, so the application
 * never sees a half-written record as full. A full ring drops the new
 * record (counted) and pends the IRQ again so the application catches up.
 *
 * Handles are (generation << 8) | (index + 1): never zero, and a closed
 * center's handle stops matching as soon as the slot is reused.
 */
#include "notify.h"

#include <stdbool.h>

#include "board.h"
#include "bufreg.h"
#include "mv_syscalls.h"
#include "nvic.h"

struct notify_center {
    bool used;
    uint32_t irq;
    uint32_t buffer;
    uint32_t count;  /* records */
    uint32_t next;   /* index of the next slot to write */
    uint32_t generation;
    int bufreg_id;
};

static struct notify_center centers[MV_NOTIFICATION_MAX_CENTERS];
static uint32_t generation_counter;
static struct notify_stats stats;

const struct notify_stats *notify_stats(void)
{
    return &stats;
}

static struct notify_center *notify_lookup(uint32_t handle)
{
    uint32_t index = (handle & 0xFFu) - 1u;
    if (index >= MV_NOTIFICATION_MAX_CENTERS)
        return 0;
    struct notify_center *c = &centers[index];
    if (!c->used || c->generation != (handle >> 8))
        return 0;
    return c;
}

int notify_handle_ok(uint32_t handle)
{
    return notify_lookup(handle) != 0;
}

int notify_irq_in_use(uint32_t irq)
{
    for (uint32_t i = 0; i < MV_NOTIFICATION_MAX_CENTERS; i++)
        if (centers[i].used && centers[i].irq == irq)
            return 1;
    return 0;
}

uint32_t notify_setup(uint32_t irq, uint32_t buffer, uint32_t size, uint32_t *handle)
{
    struct notify_center *free_center = 0;
    uint32_t index = 0;

    for (uint32_t i = 0; i < MV_NOTIFICATION_MAX_CENTERS; i++) {
        if (!centers[i].used) {
            free_center = &centers[i];
            index = i;
            break;
        }
    }
    if (!free_center)
        return MV_STATUS_TOOMANYNOTIFICATIONBUFFERS;
    int id = bufreg_add(buffer, size);
    if (id < 0)
        return MV_STATUS_BUFFERALREADYINUSE;
    generation_counter = (generation_counter + 1u) & 0x00FFFFFFu;
    if (generation_counter == 0)
        generation_counter = 1;
    *free_center = (struct notify_center){
        .used = true, .irq = irq, .buffer = buffer, .count = size / 16u,
        .next = 0, .generation = generation_counter, .bufreg_id = id,
    };
    *handle = (generation_counter << 8) | (index + 1u);
    return MV_STATUS_OKAY;
}

uint32_t notify_close(uint32_t handle)
{
    struct notify_center *c = notify_lookup(handle);
    if (!c)
        return MV_STATUS_INVALIDHANDLE;
    bufreg_remove(c->bufreg_id);
    c->used = false;
    return MV_STATUS_OKAY;
}

uint32_t notify_post(uint32_t handle, uint32_t event_type, uint32_t tag)
{
    struct notify_center *c = notify_lookup(handle);
    if (!c)
        return MV_STATUS_INVALIDHANDLE;

    volatile uint32_t *slot = (volatile uint32_t *)(uintptr_t)(c->buffer + 16u * c->next);
    if (slot[2] != MV_EVENTTYPE_NOEVENT) {
        stats.dropped_full++;
    } else {
        uint64_t now = board_time_us();
        slot[0] = (uint32_t)now;
        slot[1] = (uint32_t)(now >> 32);
        slot[3] = tag;
        /* Body before event_type (a DMB on the M33). Portable so the
         * gateway fuzzer can build this file on the host. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        slot[2] = event_type;
        c->next = (c->next + 1u) % c->count;
        stats.posted++;
    }
    nvic_pend(c->irq);
    return MV_STATUS_OKAY;
}

void notify_reset(void)
{
    for (uint32_t i = 0; i < MV_NOTIFICATION_MAX_CENTERS; i++)
        centers[i].used = false;
}
