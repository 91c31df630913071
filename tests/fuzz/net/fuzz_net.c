/*
 * Fuzz harness for the network stack's parsers (see CMakeLists.txt).
 * Input: byte 0 = options (bit 0: leave checksums as given; bit 1: leave
 * ids/ports as given; for TCP this also makes the ACK field absolute
 * instead of an offset from snd_una), then the layer's bytes. For TCP the rest is a
 * sequence of segments, each preceded by a 2-byte length, so the state
 * machine sees several segments in one run.
 */
#include <stdlib.h>
#include <string.h>

#include "net_priv.h"

enum { L_ETH, L_ARP, L_IPV4, L_ICMP, L_UDP, L_TCP, L_DHCP, L_DNS };
static const int layer = NET_FUZZ_LAYER;

#define DEV NET_IP4(10, 0, 2, 15)
#define SRV NET_IP4(10, 0, 2, 100)
#define GW NET_IP4(10, 0, 2, 2)

static const uint8_t dev_mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x52, 0x55, 10, 0, 2, 2 };
static struct net net;
static struct tcp_sock sk;
static uint8_t rxr[3000], txr[3000], frame[NET_BUF_SIZE + 64];
static uint32_t now;
static uint32_t rnd;

static int out(void *ctx, const uint8_t *f, size_t len)
{
    (void)ctx;
    (void)f;
    if (len > 1514 || len < 14)
        abort();
    return 0;
}

static uint32_t rng(void *ctx)
{
    (void)ctx;
    rnd = rnd * 1664525u + 1013904223u;
    return rnd;
}

static size_t wrap_eth(uint16_t type, size_t len)
{
    memcpy(frame, dev_mac, 6);
    memcpy(frame + 6, peer_mac, 6);
    put16(frame + 12, type);
    return 14 + len;
}

static size_t wrap_ip(uint32_t src, uint32_t dst, uint8_t proto, size_t len, bool fix)
{
    uint8_t *h = frame + 14;
    memmove(h + 20, h, len);
    memset(h, 0, 20);
    h[0] = 0x45;
    put16(h + 2, 20 + len);
    h[8] = 64;
    h[9] = proto;
    put32(h + 12, src);
    put32(h + 16, dst);
    if (fix)
        put16(h + 10, net_csum_fold(net_csum_add(0, h, 20)));
    return wrap_eth(ETH_TYPE_IP, 20 + len);
}

static void fix_l4(uint32_t src, uint32_t dst, uint8_t proto, uint8_t *p, size_t len,
                   size_t csum_off)
{
    if (len < csum_off + 2)
        return;
    put16(p + csum_off, 0);
    uint32_t s = proto == IP_PROTO_ICMP ? 0 : net_pseudo_sum(src, dst, proto, (uint32_t)len);
    put16(p + csum_off, net_csum_fold(net_csum_add(s, p, len)));
}

static void setup(void)
{
    static const struct net_hooks hooks = { out, rng, NULL };
    static const uint8_t zero[6];
    rnd = 7;
    now = 1000;
    net_init(&net, dev_mac, &hooks);
    if (layer == L_DHCP) {
        dhcp_start(&net, now);
        return;
    }
    net_set_addr(&net, DEV, 0xffffff00u, GW, GW);
    uint8_t *a = frame + 14;
    put16(a, 1); put16(a + 2, 0x0800); a[4] = 6; a[5] = 4; put16(a + 6, 1);
    memcpy(a + 8, peer_mac, 6); put32(a + 14, SRV); memcpy(a + 18, zero, 6); put32(a + 24, DEV);
    net_input(&net, frame, wrap_eth(ETH_TYPE_ARP, 28), now);
    put32(a + 14, GW);
    net_input(&net, frame, wrap_eth(ETH_TYPE_ARP, 28), now);
    dns_query(&net, "broker.keel.test", now);
    memset(&sk, 0, sizeof(sk));
    tcp_connect(&net, &sk, SRV, 7, rxr, sizeof(rxr), txr, sizeof(txr), now);
    /* SYN-ACK from the peer: seq 1000, MSS 536, window scale 1. */
    uint8_t *t = frame + 14;
    memset(t, 0, 28);
    put16(t, 7); put16(t + 2, sk.lport); put32(t + 4, 1000); put32(t + 8, sk.iss + 1);
    t[12] = 7 << 4; t[13] = TCP_SYN | TCP_ACK; put16(t + 14, 4000);
    t[20] = 2; t[21] = 4; put16(t + 22, 536); t[24] = 1; t[25] = 3; t[26] = 3; t[27] = 1;
    fix_l4(SRV, DEV, IP_PROTO_TCP, t, 28, 16);
    net_input(&net, frame, wrap_ip(SRV, DEV, IP_PROTO_TCP, 28, true), now);
    static const uint8_t hello[2000] = { 'h' };
    tcp_send(&net, &sk, hello, sizeof(hello), now);
}

static void one(const uint8_t *d, size_t n, bool fix, bool keep_ids)
{
    size_t len;
    if (n > NET_BUF_SIZE - 60)
        n = NET_BUF_SIZE - 60;
    memcpy(frame + 14, d, n);
    uint8_t *p = frame + 14;
    switch (layer) {
    case L_ETH:
        memcpy(frame, d, n);
        len = n;
        break;
    case L_ARP:
        len = wrap_eth(ETH_TYPE_ARP, n);
        break;
    case L_IPV4:
        len = wrap_eth(ETH_TYPE_IP, n);
        if (fix && n >= 20 && (p[0] & 0xf) * 4u <= n && (p[0] & 0xf) >= 5) {
            put16(p + 10, 0);
            put16(p + 10, net_csum_fold(net_csum_add(0, p, (p[0] & 0xfu) * 4u)));
        }
        break;
    case L_ICMP:
        if (fix)
            fix_l4(GW, DEV, IP_PROTO_ICMP, p, n, 2);
        len = wrap_ip(GW, DEV, IP_PROTO_ICMP, n, true);
        break;
    case L_UDP:
        if (!keep_ids && n >= 4)
            put16(p + 2, net.dns.port);
        if (fix)
            fix_l4(GW, DEV, IP_PROTO_UDP, p, n, 6);
        len = wrap_ip(GW, DEV, IP_PROTO_UDP, n, true);
        break;
    case L_TCP:
        if (!keep_ids && n >= 12) {
            /* ports of the connection; the ACK field as an offset from
             * snd_una, so inputs reach the states past the ACK checks */
            put16(p, 7);
            put16(p + 2, sk.lport);
            put32(p + 8, sk.snd_una + (uint32_t)(int32_t)(int16_t)get16(p + 10));
        }
        if (fix)
            fix_l4(SRV, DEV, IP_PROTO_TCP, p, n, 16);
        len = wrap_ip(SRV, DEV, IP_PROTO_TCP, n, true);
        break;
    case L_DHCP: {
        struct dhcp_msg m;
        (void)dhcp_parse(d, n, &m);
        if (!keep_ids && n >= 34) {
            put32(p + 4, net.dhcp.xid);
            memcpy(p + 28, dev_mac, 6);
        }
        memmove(p + 8, p, n);
        put16(p, 67); put16(p + 2, 68); put16(p + 4, 8 + n); put16(p + 6, 0);
        len = wrap_ip(GW, 0xffffffffu, IP_PROTO_UDP, n + 8, true);
        break;
    }
    default: {
        uint32_t a;
        (void)dns_parse(d, n, 0x1234, net.dns.qname, net.dns.qlen, &a);
        if (!keep_ids && n >= 2)
            put16(p, net.dns.id);
        memmove(p + 8, p, n);
        put16(p, 53); put16(p + 2, net.dns.port); put16(p + 4, 8 + n); put16(p + 6, 0);
        len = wrap_ip(GW, DEV, IP_PROTO_UDP, n + 8, true);
        break;
    }
    }
    if (len < 14)
        len = 14;
    net_input(&net, frame, len, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t buf[4096];
    if (size < 1)
        return 0;
    bool fix = !(data[0] & 1), keep_ids = data[0] & 2;
    data++;
    size--;
    setup();
    /* The pure parsers on the raw input. */
    struct eth_info e;
    struct arp_info a;
    struct ip_info ip;
    struct icmp_info ic;
    (void)eth_parse(data, size, &e);
    (void)arp_parse(data, size, &a);
    (void)icmp_parse(data, size, &ic);
    if (ipv4_parse(data, size, &ip) == 0) {
        struct udp_info u;
        struct tcp_seg t;
        (void)udp_parse(&ip, &u);
        (void)tcp_parse(&ip, &t);
    }
    if (layer != L_TCP) {
        one(data, size, fix, keep_ids);
    } else {
        while (size >= 2) {
            size_t l = get16(data) % 1600u;
            data += 2;
            size -= 2;
            if (l > size)
                l = size;
            one(data, l, fix, keep_ids);
            data += l;
            size -= l;
            now += 50;
            net_poll(&net, now);
            (void)tcp_recv(&net, &sk, buf, sizeof(buf), now);
        }
    }
    now += 100000;
    net_poll(&net, now);
    tcp_abort(&net, &sk, now);
    unsigned held = 0;
    for (unsigned i = 0; i < NET_ARP_PENDING; i++)
        held += net.arp_wait[i].buf != NULL;
    if (net_bufs_free(&net) + held != NET_POOL_N)
        abort(); /* a buffer leaked */
    return 0;
}
