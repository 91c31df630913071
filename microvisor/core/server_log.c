/*
 * IMPLEMENTATION NOTES
 * The spool is a byte ring in application memory; its head, tail and fill
 * level live in secure RAM, so the application can at worst corrupt its own
 * message bytes, never the microvisor's view of the ring. Each message is a
 * 2-byte little-endian length then the bytes, written with wrap-around.
 * The drain re-validates every length it reads back (the application may
 * have scribbled on the ring) and copies each message into secure memory
 * before it is used. A message that does not fit is dropped whole.
 */
#include "server_log.h"

#include <stdbool.h>
#include <string.h>

#include "board.h"
#include "bufreg.h"
#include "console.h"
#include "mv_syscalls.h"
#include "work.h"

struct spool {
    bool active;
    uint32_t base, size;
    uint32_t head; /* next byte to read */
    uint32_t used; /* bytes queued */
    int bufreg_id;
    int work_id;
};

static struct spool spool = { .work_id = -1 };
static struct server_log_stats stats;
static uint8_t drain_buf[MV_LOG_MESSAGE_MAX_LENGTH];

const struct server_log_stats *server_log_stats(void)
{
    return &stats;
}

void server_log_setup(int work_id)
{
    spool.work_id = work_id;
}

static void spool_put(uint32_t offset, const uint8_t *src, uint32_t len)
{
    volatile uint8_t *ring = (volatile uint8_t *)(uintptr_t)spool.base;
    for (uint32_t i = 0; i < len; i++)
        ring[(offset + i) % spool.size] = src[i];
}

static void spool_get(uint32_t offset, uint8_t *dst, uint32_t len)
{
    const volatile uint8_t *ring = (const volatile uint8_t *)(uintptr_t)spool.base;
    for (uint32_t i = 0; i < len; i++)
        dst[i] = ring[(offset + i) % spool.size];
}

uint32_t server_log_init(uint32_t buffer, uint32_t size)
{
    /* The old spool may be replaced by one overlapping it, so take it out
     * of the registry for the check; a refused call puts it back and
     * leaves logging as it was. */
    if (spool.active)
        bufreg_remove(spool.bufreg_id);
    int id = bufreg_add(buffer, size);
    if (id < 0) {
        if (spool.active)
            spool.bufreg_id = bufreg_add(spool.base, spool.size); /* its slot is free */
        return MV_STATUS_BUFFERALREADYINUSE;
    }
    spool.base = buffer;
    spool.size = size;
    spool.head = 0;
    spool.used = 0;
    spool.bufreg_id = id;
    spool.active = true;
    return MV_STATUS_OKAY;
}

bool server_log_active(void)
{
    return spool.active;
}

uint32_t server_log_append(const uint8_t *msg, uint32_t len)
{
    if (!spool.active)
        return MV_STATUS_UNAVAILABLE;
    if (len > MV_LOG_MESSAGE_MAX_LENGTH)
        return MV_STATUS_LOGMESSAGETOOLONG;
    if (len + 2u > spool.size - spool.used) {
        stats.dropped_full++;
        return MV_STATUS_INVALIDBUFFERSIZE;
    }
    uint8_t hdr[2] = { (uint8_t)len, (uint8_t)(len >> 8) };
    uint32_t tail = (spool.head + spool.used) % spool.size;
    spool_put(tail, hdr, 2);
    spool_put((tail + 2u) % spool.size, msg, len);
    spool.used += len + 2u;
    stats.queued++;
    work_submit(spool.work_id, board_time_us());
    return MV_STATUS_OKAY;
}

/* Messages drained per deferred-work activation: keeps each activation
 * short (docs/execution-model.md); the rest go in the next one. */
#define DRAIN_PER_RUN 2u

void server_log_drain(uint64_t now_us)
{
    for (uint32_t n = 0; spool.active && spool.used >= 2u; n++) {
        if (n == DRAIN_PER_RUN) {
            work_submit(spool.work_id, now_us);
            return;
        }
        uint8_t hdr[2];
        spool_get(spool.head, hdr, 2);
        uint32_t len = hdr[0] | ((uint32_t)hdr[1] << 8);
        if (len > MV_LOG_MESSAGE_MAX_LENGTH || len + 2u > spool.used) {
            /* The application overwrote the ring: resynchronise by
             * discarding everything queued. */
            console_printf("[mv] log spool corrupted; %u bytes discarded\n", spool.used);
            spool.head = (spool.head + spool.used) % spool.size;
            spool.used = 0;
            return;
        }
        spool_get((spool.head + 2u) % spool.size, drain_buf, len);
        if (!server_log_deliver(drain_buf, len, now_us)) {
            /* the cloud link's queue is full: the message stays here (the
             * application's buffer fills, mvServerLog says so) until the
             * link has room and calls server_log_kick */
            stats.held++;
            return;
        }
        spool.head = (spool.head + len + 2u) % spool.size;
        spool.used -= len + 2u;
        stats.delivered++;
        console_write_line("[app] ", drain_buf, len);
    }
}

/* Without the cloud link (KEEL_NO_LINK images), messages only go to the
 * console. */
__attribute__((weak)) bool server_log_deliver(uint8_t *msg, uint32_t len, uint64_t now_us)
{
    (void)msg;
    (void)len;
    (void)now_us;
    return true;
}

void server_log_kick(void)
{
    if (spool.work_id >= 0 && server_log_pending())
        work_submit(spool.work_id, board_time_us());
}

bool server_log_pending(void)
{
    return spool.active && spool.used != 0;
}

void server_log_reset(void)
{
    spool.active = false;
}
