/*
 * netcalls: the application's network calls over the real cloud link, for
 * tests/qemu/cloud_netcalls.py. It sets up a notification center (IRQ 80),
 * requests the network with it and a tag, and then logs, through
 * mvServerLog:
 *   "net requested -> S, status N, handle H"      once;
 *   "net status NAME notes K reasons R count C"   whenever the status it
 *                                                 reads changes (K: the
 *                                                 NETWORKSTATUSCHANGED
 *                                                 records its handler has
 *                                                 taken so far);
 *   "net bad record ..."                          a record of another
 *                                                 type or tag;
 *   "netbeat N status NAME notes K"               once a second.
 * The second time it sees CONNECTED it releases its request and logs
 * "net released -> S, handle H, count C, status after NAME" so the test
 * can check that the microvisor's connection does not depend on it.
 */
#include <string.h>

#include "ns_hw.h"
#include "testapp.h"

#define NET_IRQ IRQ_SPARE0
#define NET_TAG 0x4E455453u /* "NETS" */

static uint8_t log_buffer[4096] __attribute__((aligned(512)));
static struct MvNotification ring[8] __attribute__((aligned(8)));
static volatile uint32_t notes, bad_records, next_slot;
static volatile uint32_t bad_type, bad_tag;

void IRQ80_Handler(void)
{
    while (ring[next_slot].event_type != MV_EVENTTYPE_NOEVENT) {
        struct MvNotification *r = &ring[next_slot];
        if (r->event_type == MV_EVENTTYPE_NETWORKSTATUSCHANGED && r->tag == NET_TAG) {
            notes++;
        } else {
            bad_records++;
            bad_type = r->event_type;
            bad_tag = r->tag;
        }
        r->event_type = MV_EVENTTYPE_NOEVENT; /* consumed: the slot is free again */
        next_slot = (next_slot + 1u) % (sizeof(ring) / sizeof(ring[0]));
    }
}

static void log_text(const char *text)
{
    /* A full buffer: wait for the microvisor to take some. */
    while (mvServerLog((const uint8_t *)text, (uint16_t)strlen(text)) ==
           MV_STATUS_INVALIDBUFFERSIZE) {
        uint64_t t = ns_now_us();
        while (ns_now_us() - t < 10000u)
            __asm volatile("wfi");
    }
}

static const char *status_name(uint32_t s)
{
    static const char *const names[] = { "DELIBERATELYOFFLINE", "CONNECTED", "CONNECTING",
                                         "DISCONNECTEDWITHLINKUP" };
    return s < 4u ? names[s] : "?";
}

int main(void)
{
    char line[128];
    MvNotificationHandle center = 0;
    MvNetworkHandle net = 0;

    if (mvServerLoggingInit(log_buffer, sizeof(log_buffer)) != MV_STATUS_OKAY)
        for (;;)
            ;
    memset(ring, 0, sizeof(ring));
    struct MvNotificationSetup setup = { NET_IRQ, ring, sizeof(ring) };
    uint32_t got = mvSetupNotifications(&setup, &center);
    if (got != MV_STATUS_OKAY) {
        snprintf(line, sizeof(line), "net setup failed: %s", testapp_status_name(got));
        log_text(line);
        for (;;)
            __asm volatile("wfi");
    }
    ns_irq_setup(NET_IRQ, 0x80u);

    struct MvRequestNetworkParams params = { .version = 1 };
    params.v1.notification_handle = center;
    params.v1.notification_tag = NET_TAG;
    got = mvRequestNetwork(&params, &net);
    enum MvNetworkStatus status = (enum MvNetworkStatus)0xEE;
    if (got == MV_STATUS_OKAY)
        (void)mvGetNetworkStatus(net, &status);
    snprintf(line, sizeof(line), "net requested -> %s, status %s, handle %08lx",
             testapp_status_name(got), status_name(status), (unsigned long)(uintptr_t)net);
    log_text(line);

    uint32_t last = 0xFFFFFFFFu, connected_seen = 0, bad_logged = 0;
    uint64_t next_beat = ns_now_us();
    for (unsigned beat = 1;;) {
        if (net != 0 && mvGetNetworkStatus(net, &status) == MV_STATUS_OKAY && status != last) {
            enum MvNetworkReason reasons = 0;
            uint32_t count = 0;
            (void)mvGetNetworkReasons(&reasons, &count);
            snprintf(line, sizeof(line), "net status %s notes %lu reasons %lx count %lu",
                     status_name(status), (unsigned long)notes, (unsigned long)reasons,
                     (unsigned long)count);
            log_text(line);
            last = status;
            if (status == MV_NETWORKSTATUS_CONNECTED && ++connected_seen == 2) {
                MvNetworkHandle old = net;
                got = mvReleaseNetwork(&net);
                (void)mvGetNetworkReasons(&reasons, &count);
                enum MvNetworkStatus after = (enum MvNetworkStatus)0xEE;
                uint32_t dead = mvGetNetworkStatus(old, &after);
                snprintf(line, sizeof(line),
                         "net released -> %s, handle %08lx, count %lu, old handle %s",
                         testapp_status_name(got), (unsigned long)(uintptr_t)net,
                         (unsigned long)count, testapp_status_name(dead));
                log_text(line);
            }
        }
        if (bad_records != bad_logged) {
            bad_logged = bad_records;
            snprintf(line, sizeof(line), "net bad record type %lu tag %lx (%lu so far)",
                     (unsigned long)bad_type, (unsigned long)bad_tag, (unsigned long)bad_logged);
            log_text(line);
        }
        uint64_t now = ns_now_us();
        if (now >= next_beat) {
            snprintf(line, sizeof(line), "netbeat %u status %s notes %lu", beat++,
                     net ? status_name(status) : "released", (unsigned long)notes);
            log_text(line);
            next_beat += 1000000u;
        }
        uint64_t t = ns_now_us();
        while (ns_now_us() - t < 50000u)
            __asm volatile("wfi");
    }
}
