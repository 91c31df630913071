/*
 * hello: the smallest useful Keel application. It hands the microvisor a
 * log buffer, then logs its device id, the clock, which version of itself
 * is running (and whether it is a confirmed image or a new one on trial)
 * and a heartbeat through mvServerLog, once a second.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mv_syscalls.h"

static uint8_t log_buffer[4096] __attribute__((aligned(512)));

static void log_line(const char *text)
{
    mvServerLog((const uint8_t *)text, (uint16_t)strlen(text));
}

static void wait_us(uint64_t us)
{
    uint64_t start, now;
    mvGetMicroseconds(&start);
    do {
        __asm volatile("wfi");
        mvGetMicroseconds(&now);
    } while (now - start < us);
}

/* "running 1.1.0 from slot B, on trial": what the update engine says of us. */
static void log_update_status(void)
{
    static const char *const state[] = { "confirmed", "on trial", "reverted", "none" };
    struct MvUpdateStatus st;
    char line[96];

    if (mvGetUpdateStatus(&st) != MV_STATUS_OKAY)
        return;
    uint32_t v = st.application.version;
    snprintf(line, sizeof(line), "running %lu.%lu.%lu from slot %c, %s",
             (unsigned long)(v >> 24), (unsigned long)((v >> 16) & 0xFFu),
             (unsigned long)(v & 0xFFFFu), st.application.slot ? 'B' : 'A',
             st.application.state < 4 ? state[st.application.state] : "?");
    log_line(line);
}

int main(void)
{
    char line[96];
    uint8_t id[MV_DEVICE_ID_LENGTH];
    uint32_t hz = 0;
    enum MvWakeReason wake = MV_WAKEREASON_COLDBOOT;

    if (mvServerLoggingInit(log_buffer, sizeof(log_buffer)) != MV_STATUS_OKAY)
        for (;;)
            ;
    mvGetWakeReason(&wake);
    mvGetSysClk(&hz);
    if (mvGetDeviceId(id, sizeof(id)) == MV_STATUS_OKAY)
        snprintf(line, sizeof(line), "hello from %.34s", (const char *)id);
    else
        snprintf(line, sizeof(line), "hello from an unprovisioned device");
    log_line(line);
    snprintf(line, sizeof(line), "wake reason %u, system clock %lu Hz",
             (unsigned)wake, (unsigned long)hz);
    log_line(line);
    log_update_status();

    for (unsigned beat = 1;; beat++) {
        uint64_t now;
        mvGetMicroseconds(&now);
        snprintf(line, sizeof(line), "heartbeat %u at %lu ms", beat,
                 (unsigned long)(now / 1000u));
        log_line(line);
        wait_us(1000000);
    }
}
