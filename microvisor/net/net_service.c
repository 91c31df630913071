/*
 * IMPLEMENTATION NOTES
 * Everything here runs in the deferred-work handler except on_nic_event(),
 * which runs in the NIC's top half and only submits the work. Time is the
 * board's microsecond clock divided down to the stack's milliseconds
 * (wrapping after 49 days; the stack compares times modulo 2^32).
 * Randomness (ISNs, ports, DHCP xids, DNS ids) comes from board_entropy():
 * on an505 a ChaCha20 DRBG seeded once per boot (docs/network.md).
 */
#include "net_service.h"

#include "board.h"
#include "console.h"
#include "link.h"
#include "work.h"

#define LINK_CHECK_MS 500u

static struct net net;
static int work_id = -1;
static enum { SERVICE_NEW, SERVICE_RUNNING, SERVICE_ABSENT } state;
static uint32_t next_link_check_ms;
static uint32_t bound_seen;
static uint64_t busy_us;

static uint32_t now_ms_of(uint64_t us)
{
    return (uint32_t)(us / 1000u);
}

static uint32_t service_random(void *ctx)
{
    (void)ctx;
    uint32_t x;
    board_entropy(&x, sizeof(x));
    return x;
}

__attribute__((weak)) int net_service_frame_out(void *ctx, const uint8_t *frame, size_t len)
{
    (void)ctx;
    return board_netif_send(frame, (uint32_t)len);
}

__attribute__((weak)) void net_service_frame_in(struct net *n, struct net_buf *b,
                                                uint32_t now_ms)
{
    net_input_buf(n, b, now_ms);
}

__attribute__((weak)) void net_service_test_poll(struct net *n, uint32_t now_ms)
{
    (void)n;
    (void)now_ms;
}

static void on_nic_event(void)
{
    work_submit(work_id, board_time_us());
}

static int net_service_start(uint32_t now);

static void net_work(uint64_t now_us)
{
    uint64_t t0 = board_time_us(); /* now_us is when the whole pass began */
    uint32_t now = now_ms_of(now_us);
    unsigned k;
    if (state == SERVICE_NEW)
        state = net_service_start(now) == 0 ? SERVICE_RUNNING : SERVICE_ABSENT;
    if (state != SERVICE_RUNNING)
        return;
    for (k = 0; k < NET_SERVICE_RX_BUDGET; k++) {
        struct net_buf *b = net_buf_alloc(&net);
        if (!b)
            break;
        int len = board_netif_recv(b->data, NET_BUF_SIZE);
        if (len <= 0) {
            net_buf_free(&net, b);
            if (len == 0)
                break;
            continue;
        }
        b->len = (uint16_t)len;
        net_service_frame_in(&net, b, now);
    }
    if (k == NET_SERVICE_RX_BUDGET)
        work_submit(work_id, now_us); /* more may wait: keep activations short */
    else
        board_netif_irq_enable(true);
    if ((int32_t)(now - next_link_check_ms) >= 0) {
        next_link_check_ms = now + LINK_CHECK_MS;
        net_link(&net, board_netif_link_up(), now);
    }
    net_poll(&net, now);
    if (net.dhcp.bound_count != bound_seen) {
        bound_seen = net.dhcp.bound_count;
        console_printf("[net] DHCP bound %u.%u.%u.%u router %u.%u.%u.%u lease %u s\n",
                       net.ip >> 24, (net.ip >> 16) & 255u, (net.ip >> 8) & 255u, net.ip & 255u,
                       net.router >> 24, (net.router >> 16) & 255u, (net.router >> 8) & 255u,
                       net.router & 255u, net.dhcp.lease_ms / 1000u);
    }
#ifndef KEEL_NO_LINK
    if (link_poll(&net, now))
        work_submit(work_id, now_us); /* the link has more: in a new activation */
#endif
    busy_us += board_time_us() - t0;
    net_service_test_poll(&net, now);
}

uint64_t net_service_busy_us(void)
{
    return busy_us;
}

struct net *net_service_stack(void)
{
    return &net;
}

void net_service_dump_stats(void)
{
    const uint32_t *st = net_stats(&net);
    for (unsigned i = 0; i < NET_STAT_COUNT; i++)
        if (st[i])
            console_printf("[net] %s %lu\n", net_stat_name(i), (unsigned long)st[i]);
}

/* The NIC's reset and the first DHCP message happen in the first
 * activation, not in mv_main, so they do not lengthen the boot. */
static int net_service_start(uint32_t now)
{
    static const struct net_hooks hooks = { net_service_frame_out, service_random, NULL };
    uint8_t mac[6];
    if (board_netif_init(mac, on_nic_event) != 0) {
        console_printf("[net] no network interface\n");
        return -1;
    }
    net_init(&net, mac, &hooks);
    console_printf("[net] LAN9118 %02x:%02x:%02x:%02x:%02x:%02x, DHCP started\n", mac[0],
                   mac[1], mac[2], mac[3], mac[4], mac[5]);
    dhcp_start(&net, now);
    board_netif_irq_enable(true);
    return 0;
}

int net_service_init(void)
{
    work_id = work_register(net_work);
    int t = timer_register(work_id);
    if (work_id < 0 || t < 0)
        return -1;
    timer_start(t, board_time_us() + NET_POLL_MS * 1000u, NET_POLL_MS * 1000u);
    return 0;
}
