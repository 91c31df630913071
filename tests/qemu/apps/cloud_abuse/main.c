/*
 * cloud_abuse: what an application can do to the microvisor's cloud link
 * short of attacking it, one phase after another across restarts (state
 * in .noinit), for tests/qemu/cloud_resilience.py --part apps:
 *   1. a crash loop: CRASHES starts that each log "crash N" and fault;
 *   2. hangs: HANGS starts that each log "hang N" and spin with
 *      interrupts masked, until the microvisor stops them as hung;
 *   3. a flood: mvServerLog as fast as it returns for FLOOD_US, each
 *      accepted message numbered ("flood N"), the refusals counted by
 *      status, then "flood done: A accepted, F refused as full, O other";
 *   4. "beat N" once a second, for ever.
 * The numbers let the test check that the cloud stored every accepted
 * message once, in order, while the link kept its one connection.
 */
#include <string.h>

#include "testapp.h"

#define MAGIC 0xC10DAB05u
#define CRASHES 12u
#define HANGS 3u
#define FLOOD_US 6000000u

static struct {
    uint32_t magic, crashes, hangs, flooded;
} st TESTAPP_NOINIT;

static uint8_t log_buffer[4096] __attribute__((aligned(512)));

static uint64_t now_us(void)
{
    uint64_t t = 0;
    mvGetMicroseconds(&t);
    return t;
}

static void wait_us(uint64_t us)
{
    uint64_t start = now_us();
    while (now_us() - start < us)
        __asm volatile("wfi");
}

static uint32_t log_text(const char *text)
{
    return mvServerLog((const uint8_t *)text, (uint16_t)strlen(text));
}

/* A line that must get through: waits while the buffer is full. Then some
 * time for the microvisor to take it from the buffer, because a restart
 * drops what the buffer still holds. */
static void log_sure(const char *text)
{
    while (log_text(text) == MV_STATUS_INVALIDBUFFERSIZE)
        wait_us(10000);
    wait_us(200000);
}

static void flood(void)
{
    char line[64];
    uint32_t ok = 0, full = 0, other = 0;
    uint64_t start = now_us();
    while (now_us() - start < FLOOD_US) {
        snprintf(line, sizeof(line), "flood %lu", (unsigned long)(ok + 1u));
        uint32_t s = log_text(line);
        if (s == MV_STATUS_OKAY)
            ok++;
        else if (s == MV_STATUS_INVALIDBUFFERSIZE)
            full++;
        else
            other++;
    }
    snprintf(line, sizeof(line), "flood done: %lu accepted, %lu refused as full, %lu other",
             (unsigned long)ok, (unsigned long)full, (unsigned long)other);
    log_sure(line);
}

int main(void)
{
    char line[64];
    enum MvWakeReason wake = MV_WAKEREASON_COLDBOOT;
    mvGetWakeReason(&wake);
    if (wake == MV_WAKEREASON_COLDBOOT || st.magic != MAGIC) {
        memset(&st, 0, sizeof(st));
        st.magic = MAGIC;
    }
    if (mvServerLoggingInit(log_buffer, sizeof(log_buffer)) != MV_STATUS_OKAY)
        for (;;)
            ;
    if (st.crashes < CRASHES) {
        st.crashes++;
        snprintf(line, sizeof(line), "crash %lu (wake reason %u)", (unsigned long)st.crashes,
                 (unsigned)wake);
        log_sure(line);
        (void)*(volatile uint32_t *)0x38000000u; /* secure RAM: a SecureFault */
    }
    if (st.hangs < HANGS) {
        st.hangs++;
        snprintf(line, sizeof(line), "hang %lu (wake reason %u)", (unsigned long)st.hangs,
                 (unsigned)wake);
        log_sure(line);
        __asm volatile("cpsid i" ::: "memory");
        for (;;)
            ;
    }
    if (!st.flooded) {
        st.flooded = 1;
        flood();
    }
    for (unsigned beat = 1;; beat++) {
        snprintf(line, sizeof(line), "beat %u", beat);
        log_text(line);
        wait_us(1000000);
    }
}
