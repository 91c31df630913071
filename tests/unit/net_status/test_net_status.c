/*
 * net_status: handles are non-zero, distinct from notification handles and
 * dead once released (even when the slot is reused); the table holds
 * MV_NET_REQUESTS_MAX and then refuses with PARAMETERFAULT; a link change
 * posts one record per live request that named a center, with its tag,
 * and only when the status really changed; the reasons and the reference
 * count follow the requests, the API's use, the clock and the back-off;
 * an application restart forgets every request but not the link.
 */
#include <stdbool.h>
#include <stdint.h>

#include "keel_test.h"
#include "mv_syscalls.h"
#include "net_status.h"

struct posted {
    uint32_t n;
    uint32_t center[16], tag[16];
};

static void record(void *ctx, uint32_t notify_handle, uint32_t tag)
{
    struct posted *p = ctx;
    if (p->n < 16) {
        p->center[p->n] = notify_handle;
        p->tag[p->n] = tag;
    }
    p->n++;
}

static uint32_t link_to(uint32_t status, bool calm, struct posted *p)
{
    p->n = 0;
    return net_status_link(status, calm, record, p);
}

static void test_handles(void)
{
    uint32_t h[MV_NET_REQUESTS_MAX], extra = 0xDEADu, st = 0xEEu;
    net_status_reset();
    for (uint32_t i = 0; i < MV_NET_REQUESTS_MAX; i++) {
        h[i] = 0;
        CHECK_EQ(net_status_request(0x101u, i, &h[i]), MV_STATUS_OKAY);
        CHECK(h[i] != 0);
        CHECK((h[i] & 0xFFu) > MV_NOTIFICATION_MAX_CENTERS); /* never a center's */
        for (uint32_t j = 0; j < i; j++)
            CHECK(h[i] != h[j]);
        CHECK_EQ(net_status_get(h[i], &st), MV_STATUS_OKAY);
    }
    /* Full: refused as Twilio documents it, nothing written. */
    CHECK_EQ(net_status_request(0x101u, 9, &extra), MV_STATUS_PARAMETERFAULT);
    CHECK_EQ(extra, 0xDEADu);

    /* Released: dead, twice released is INVALIDHANDLE, its slot reused
     * under a new handle that the old one does not match. */
    uint32_t old = h[1];
    CHECK_EQ(net_status_release(old), MV_STATUS_OKAY);
    CHECK_EQ(net_status_release(old), MV_STATUS_INVALIDHANDLE);
    st = 0xEEu;
    CHECK_EQ(net_status_get(old, &st), MV_STATUS_INVALIDHANDLE);
    CHECK_EQ(st, 0xEEu);
    CHECK_EQ(net_status_request(0, 0, &h[1]), MV_STATUS_OKAY);
    CHECK(h[1] != old && (h[1] & 0xFFu) == (old & 0xFFu));
    CHECK_EQ(net_status_get(old, &st), MV_STATUS_INVALIDHANDLE);
    CHECK_EQ(net_status_get(h[1], &st), MV_STATUS_OKAY);

    /* Forged handles: 0, a center's shape, a bad slot, another generation. */
    const uint32_t forged[] = { 0, 0x101u, 0x80u, 0x80u | (MV_NET_REQUESTS_MAX + 1u), 0xFFu,
                                h[0] ^ 0x100u, h[0] & 0xFFu, h[0] & ~0x80u, 0xFFFFFFFFu };
    for (uint32_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
        CHECK_EQ(net_status_get(forged[i], &st), MV_STATUS_INVALIDHANDLE);
        CHECK_EQ(net_status_release(forged[i]), MV_STATUS_INVALIDHANDLE);
    }
    /* The forged releases killed nothing. */
    for (uint32_t i = 0; i < MV_NET_REQUESTS_MAX; i++)
        CHECK_EQ(net_status_get(h[i], &st), MV_STATUS_OKAY);

    /* Restart: every request forgotten, the link's status kept. */
    struct posted p;
    link_to(MV_NETWORKSTATUS_CONNECTED, false, &p);
    net_status_reset();
    for (uint32_t i = 0; i < MV_NET_REQUESTS_MAX; i++)
        CHECK_EQ(net_status_get(h[i], &st), MV_STATUS_INVALIDHANDLE);
    CHECK_EQ(net_status_current(), MV_NETWORKSTATUS_CONNECTED);
    CHECK_EQ(net_status_request(0, 0, &h[0]), MV_STATUS_OKAY);
    CHECK_EQ(net_status_get(h[0], &st), MV_STATUS_OKAY);
    CHECK_EQ(st, MV_NETWORKSTATUS_CONNECTED);
}

static void test_notifications(void)
{
    struct posted p;
    uint32_t a, b, c, st;
    net_status_reset();
    link_to(MV_NETWORKSTATUS_CONNECTING, false, &p);

    /* No request yet: a change posts nothing. */
    CHECK_EQ(link_to(MV_NETWORKSTATUS_CONNECTED, false, &p), 0);
    CHECK_EQ(p.n, 0);

    CHECK_EQ(net_status_request(0x201u, 0xA1u, &a), MV_STATUS_OKAY);
    CHECK_EQ(net_status_request(0, 0xB2u, &b), MV_STATUS_OKAY); /* polls only */
    CHECK_EQ(net_status_request(0x302u, 0xC3u, &c), MV_STATUS_OKAY);
    CHECK_EQ(p.n, 0); /* a request posts nothing by itself */
    CHECK_EQ(net_status_get(b, &st), MV_STATUS_OKAY);
    CHECK_EQ(st, MV_NETWORKSTATUS_CONNECTED);

    /* A change: one record per request with a center, its own tag. */
    CHECK_EQ(link_to(MV_NETWORKSTATUS_CONNECTING, false, &p), 2);
    CHECK_EQ(p.n, 2);
    CHECK_EQ(p.center[0], 0x201u);
    CHECK_EQ(p.tag[0], 0xA1u);
    CHECK_EQ(p.center[1], 0x302u);
    CHECK_EQ(p.tag[1], 0xC3u);
    CHECK_EQ(net_status_get(a, &st), MV_STATUS_OKAY);
    CHECK_EQ(st, MV_NETWORKSTATUS_CONNECTING);

    /* The same status again (calm or not): nothing. */
    CHECK_EQ(link_to(MV_NETWORKSTATUS_CONNECTING, false, &p), 0);
    CHECK_EQ(link_to(MV_NETWORKSTATUS_CONNECTING, true, &p), 0);
    CHECK_EQ(p.n, 0);

    /* Every other status is a change. */
    CHECK_EQ(link_to(MV_NETWORKSTATUS_DISCONNECTEDWITHLINKUP, true, &p), 2);
    CHECK_EQ(link_to(MV_NETWORKSTATUS_CONNECTED, false, &p), 2);

    /* A released request hears nothing more. */
    CHECK_EQ(net_status_release(a), MV_STATUS_OKAY);
    CHECK_EQ(link_to(MV_NETWORKSTATUS_CONNECTING, false, &p), 1);
    CHECK_EQ(p.center[0], 0x302u);
    CHECK_EQ(p.tag[0], 0xC3u);

    /* Releasing never changes the link's status (the microvisor keeps it). */
    CHECK_EQ(net_status_release(b), MV_STATUS_OKAY);
    CHECK_EQ(net_status_release(c), MV_STATUS_OKAY);
    CHECK_EQ(net_status_current(), MV_NETWORKSTATUS_CONNECTING);
    CHECK_EQ(link_to(MV_NETWORKSTATUS_CONNECTED, false, &p), 0);
}

static void test_reasons(void)
{
    struct posted p;
    uint32_t r, n, h1, h2;
    net_status_reset();

    /* No cloud (the link never reported): none of the microvisor's own. */
    link_to(MV_NETWORKSTATUS_DELIBERATELYOFFLINE, false, &p);
    net_status_reasons(false, &r, &n);
    CHECK_EQ(r, MV_NETWORKREASON_NEVERUSEDNETWORKAPI);
    CHECK_EQ(n, 0);

    /* Connecting after boot, the clock not yet from the cloud. */
    link_to(MV_NETWORKSTATUS_CONNECTING, false, &p);
    net_status_reasons(false, &r, &n);
    CHECK_EQ(r, MV_NETWORKREASON_NEVERUSEDNETWORKAPI | MV_NETWORKREASON_COLDBOOTCONNECTION |
                    MV_NETWORKREASON_RTCNOTSET);

    CHECK_EQ(net_status_request(0, 0, &h1), MV_STATUS_OKAY);
    CHECK_EQ(net_status_request(0, 0, &h2), MV_STATUS_OKAY);
    link_to(MV_NETWORKSTATUS_CONNECTED, false, &p);
    net_status_reasons(true, &r, &n);
    CHECK_EQ(r, MV_NETWORKREASON_USINGNETWORK | MV_NETWORKREASON_COLDBOOTCONNECTION);
    CHECK_EQ(n, 2);

    /* Backing off with the link up. */
    link_to(MV_NETWORKSTATUS_DISCONNECTEDWITHLINKUP, true, &p);
    net_status_reasons(true, &r, &n);
    CHECK_EQ(r, MV_NETWORKREASON_USINGNETWORK | MV_NETWORKREASON_COLDBOOTCONNECTION |
                    MV_NETWORKREASON_ENHANCECALM);

    /* All released: the API has been used, nothing holds a request. */
    CHECK_EQ(net_status_release(h1), MV_STATUS_OKAY);
    net_status_reasons(true, &r, &n);
    CHECK_EQ(n, 1);
    CHECK_EQ(net_status_release(h2), MV_STATUS_OKAY);
    link_to(MV_NETWORKSTATUS_CONNECTED, false, &p);
    net_status_reasons(true, &r, &n);
    CHECK_EQ(r, MV_NETWORKREASON_COLDBOOTCONNECTION);
    CHECK_EQ(n, 0);

    /* A refused request (table full) does not count as a request. */
    uint32_t h[MV_NET_REQUESTS_MAX + 1];
    for (uint32_t i = 0; i < MV_NET_REQUESTS_MAX; i++)
        CHECK_EQ(net_status_request(0, 0, &h[i]), MV_STATUS_OKAY);
    CHECK_EQ(net_status_request(0, 0, &h[MV_NET_REQUESTS_MAX]), MV_STATUS_PARAMETERFAULT);
    net_status_reasons(true, &r, &n);
    CHECK_EQ(n, MV_NET_REQUESTS_MAX);

    /* A restart: the new application has not used the API. */
    net_status_reset();
    net_status_reasons(true, &r, &n);
    CHECK_EQ(r, MV_NETWORKREASON_NEVERUSEDNETWORKAPI | MV_NETWORKREASON_COLDBOOTCONNECTION);
    CHECK_EQ(n, 0);
}

/* Many handles over time: the generation wraps without ever giving 0 or
 * a handle equal to a live one. */
static void test_generation_wrap(void)
{
    uint32_t keep, h, st;
    net_status_reset();
    CHECK_EQ(net_status_request(0, 0, &keep), MV_STATUS_OKAY);
    int bad = 0;
    for (uint32_t i = 0; i < 0x1000100u; i++) {
        if (net_status_request(0, 0, &h) != MV_STATUS_OKAY || h == 0 || h == keep) {
            bad++;
            break;
        }
        if (net_status_release(h) != MV_STATUS_OKAY) {
            bad++;
            break;
        }
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(net_status_get(keep, &st), MV_STATUS_OKAY);
}

int main(void)
{
    test_handles();
    test_notifications();
    test_reasons();
    test_generation_wrap();
    return keel_test_done("test_net_status");
}
