#include "net_sim.h"

#include <string.h>

struct sim_frame sim_out[SIM_MAX_FRAMES];
unsigned sim_nout;
const uint8_t sim_dev_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
const uint8_t sim_peer_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static uint32_t rnd_state;

static int sim_output(void *ctx, const uint8_t *frame, size_t len)
{
    (void)ctx;
    if (sim_nout < SIM_MAX_FRAMES && len <= sizeof(sim_out[0].data)) {
        memcpy(sim_out[sim_nout].data, frame, len);
        sim_out[sim_nout].len = len;
        sim_nout++;
    }
    return 0;
}

static uint32_t sim_random(void *ctx)
{
    (void)ctx;
    rnd_state = rnd_state * 1103515245u + 12345u;
    return rnd_state ^ (rnd_state >> 16);
}

void sim_clear(void)
{
    sim_nout = 0;
}

void sim_init(struct net *n)
{
    static const struct net_hooks hooks = { sim_output, sim_random, NULL };
    rnd_state = 1;
    sim_clear();
    net_init(n, sim_dev_mac, &hooks);
}

static size_t sim_eth(uint8_t *f, uint16_t type)
{
    memcpy(f, sim_dev_mac, 6);
    memcpy(f + 6, sim_peer_mac, 6);
    put16(f + 12, type);
    return 14;
}

size_t sim_ip(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto,
              const uint8_t *payload, size_t len)
{
    sim_eth(f, ETH_TYPE_IP);
    uint8_t *h = f + 14;
    memset(h, 0, 20);
    h[0] = 0x45;
    put16(h + 2, 20 + len);
    h[8] = 64;
    h[9] = proto;
    put32(h + 12, src);
    put32(h + 16, dst);
    put16(h + 10, net_csum_fold(net_csum_add(0, h, 20)));
    memmove(h + 20, payload, len);
    return 14 + 20 + len;
}

size_t sim_udp(uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
               const uint8_t *payload, size_t len)
{
    uint8_t u[1600];
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, 8 + len);
    put16(u + 6, 0);
    memcpy(u + 8, payload, len);
    put16(u + 6, net_csum_fold(net_csum_add(net_pseudo_sum(src, dst, 17, 8 + len), u, 8 + len)));
    return sim_ip(f, src, dst, 17, u, 8 + len);
}

size_t sim_tcp(uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
               uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
               const uint8_t *opts, size_t optlen, const uint8_t *payload, size_t len)
{
    uint8_t t[1600];
    size_t hl = 20 + optlen;
    memset(t, 0, 20);
    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = (uint8_t)(hl / 4 << 4);
    t[13] = flags;
    put16(t + 14, wnd);
    if (optlen)
        memcpy(t + 20, opts, optlen);
    if (len)
        memcpy(t + hl, payload, len);
    put16(t + 16, net_csum_fold(net_csum_add(net_pseudo_sum(src, dst, 6, hl + len), t, hl + len)));
    return sim_ip(f, src, dst, 6, t, hl + len);
}

size_t sim_arp(uint8_t *f, uint16_t op, const uint8_t *sha, uint32_t spa,
               const uint8_t *tha, uint32_t tpa)
{
    sim_eth(f, ETH_TYPE_ARP);
    if (op == 1)
        memset(f, 0xff, 6);
    uint8_t *a = f + 14;
    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, sha, 6);
    put32(a + 14, spa);
    memcpy(a + 18, tha, 6);
    put32(a + 24, tpa);
    return 42;
}

static int sim_parse_ip(const struct sim_frame *fr, struct ip_info *ip)
{
    struct eth_info e;
    if (eth_parse(fr->data, fr->len, &e) < 0 || e.type != ETH_TYPE_IP)
        return -1;
    return ipv4_parse(e.payload, e.len, ip) < 0 ? -1 : 0;
}

int sim_parse_tcp(const struct sim_frame *fr, struct ip_info *ip, struct tcp_seg *t)
{
    if (sim_parse_ip(fr, ip) < 0 || ip->proto != 6)
        return -1;
    return tcp_parse(ip, t) < 0 ? -1 : 0;
}

int sim_parse_udp(const struct sim_frame *fr, struct ip_info *ip, struct udp_info *u)
{
    if (sim_parse_ip(fr, ip) < 0 || ip->proto != 17)
        return -1;
    return udp_parse(ip, u) < 0 ? -1 : 0;
}
