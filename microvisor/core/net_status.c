/*
 * IMPLEMENTATION NOTES
 * A request is 12 bytes of secure RAM: its generation (0 = free slot), the
 * center and the tag its notifications go to. The table is
 * MV_NET_REQUESTS_MAX long (mv_config.h); nothing else is kept per
 * request, since every request sees the one link.
 *
 * Handles are (generation << 8) | 0x80 | (slot + 1): never zero, never
 * equal to a notification center's handle (whose low byte is at most
 * MV_NOTIFICATION_MAX_CENTERS, below 0x80), and a released handle stops
 * matching as soon as its slot is reused, since the generation moves on.
 *
 * Notifications carry no status, only the tag (as Twilio's): the
 * application reads the status with mvGetNetworkStatus, which gives the
 * status at the time of that call. A change is posted once per request,
 * and only when the status really changed, so a link that reports the same
 * status twice costs nothing.
 */
#include "net_status.h"

#include "mv_syscalls.h"

_Static_assert(MV_NET_REQUESTS_MAX == MV_NETWORK_MAX_REQUESTS,
               "the table is as large as the SDK tells applications");
_Static_assert(MV_NOTIFICATION_MAX_CENTERS < 0x80u,
               "a center's handle never has bit 7 set in its low byte");

struct net_request {
    uint32_t generation; /* 0: free */
    uint32_t notify_handle;
    uint32_t tag;
};

static struct net_request requests[MV_NET_REQUESTS_MAX];
static uint32_t generation_counter;
static uint32_t link_status = MV_NETWORKSTATUS_DELIBERATELYOFFLINE;
static bool link_calm;
static bool api_used; /* since the application's start */

void net_status_reset(void)
{
    for (uint32_t i = 0; i < MV_NET_REQUESTS_MAX; i++)
        requests[i] = (struct net_request){ 0, 0, 0 };
    api_used = false;
}

static struct net_request *net_status_lookup(uint32_t handle)
{
    if ((handle & 0x80u) == 0)
        return 0;
    uint32_t slot = (handle & 0x7Fu) - 1u;
    if (slot >= MV_NET_REQUESTS_MAX)
        return 0;
    struct net_request *r = &requests[slot];
    if (r->generation == 0 || r->generation != (handle >> 8))
        return 0;
    return r;
}

uint32_t net_status_request(uint32_t notify_handle, uint32_t tag, uint32_t *handle)
{
    uint32_t slot;
    for (slot = 0; slot < MV_NET_REQUESTS_MAX; slot++)
        if (requests[slot].generation == 0)
            break;
    if (slot == MV_NET_REQUESTS_MAX)
        return MV_STATUS_PARAMETERFAULT;
    generation_counter = (generation_counter + 1u) & 0x00FFFFFFu;
    if (generation_counter == 0)
        generation_counter = 1;
    requests[slot] = (struct net_request){ generation_counter, notify_handle, tag };
    api_used = true;
    *handle = (generation_counter << 8) | 0x80u | (slot + 1u);
    return MV_STATUS_OKAY;
}

uint32_t net_status_release(uint32_t handle)
{
    struct net_request *r = net_status_lookup(handle);
    if (!r)
        return MV_STATUS_INVALIDHANDLE;
    *r = (struct net_request){ 0, 0, 0 };
    return MV_STATUS_OKAY;
}

uint32_t net_status_get(uint32_t handle, uint32_t *status)
{
    if (!net_status_lookup(handle))
        return MV_STATUS_INVALIDHANDLE;
    *status = link_status;
    return MV_STATUS_OKAY;
}

void net_status_reasons(bool rtc_set, uint32_t *reasons, uint32_t *ref_count)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < MV_NET_REQUESTS_MAX; i++)
        if (requests[i].generation != 0)
            n++;
    uint32_t r = MV_NETWORKREASON_NOTCONNECTING;
    if (n)
        r |= MV_NETWORKREASON_USINGNETWORK;
    if (!api_used)
        r |= MV_NETWORKREASON_NEVERUSEDNETWORKAPI;
    /* The reasons below are the microvisor's own: it holds the link from
     * boot (docs/twilio-compat.md), so they hold only while it has one. */
    if (link_status != MV_NETWORKSTATUS_DELIBERATELYOFFLINE) {
        r |= MV_NETWORKREASON_COLDBOOTCONNECTION;
        if (!rtc_set)
            r |= MV_NETWORKREASON_RTCNOTSET;
        if (link_calm)
            r |= MV_NETWORKREASON_ENHANCECALM;
    }
    *reasons = r;
    *ref_count = n;
}

uint32_t net_status_link(uint32_t status, bool calm, net_status_post_fn post, void *ctx)
{
    link_calm = calm;
    if (status == link_status)
        return 0;
    link_status = status;
    uint32_t posted = 0;
    for (uint32_t i = 0; i < MV_NET_REQUESTS_MAX; i++) {
        const struct net_request *r = &requests[i];
        if (r->generation != 0 && r->notify_handle != 0) {
            post(ctx, r->notify_handle, r->tag);
            posted++;
        }
    }
    return posted;
}

uint32_t net_status_current(void)
{
    return link_status;
}
