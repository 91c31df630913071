/*
 * Unit tests of the network stack: frames are built by hand (net_sim.c),
 * fed to the stack, and every frame it sends back is checked.
 */
#include <stdio.h>
#include <string.h>

#include "net_sim.h"

void dbg(void);
static int failures;
#define CHECK(c)                                                              \
    do {                                                                      \
        if (!(c)) {                                                           \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);               \
            failures++;                                                       \
        }                                                                     \
    } while (0)

#define DEV NET_IP4(10, 0, 2, 15)
#define GW NET_IP4(10, 0, 2, 2)
#define SRV NET_IP4(10, 0, 2, 100)
#define DNS NET_IP4(10, 0, 2, 3)

static struct net net;
static uint8_t f[2048];
static uint32_t now = 1000;

static void feed(size_t len)
{
    net_input(&net, f, len, now);
}

static void setup(void)
{
    static const uint8_t zero[6];
    sim_init(&net);
    net_set_addr(&net, DEV, 0xffffff00u, GW, DNS);
    /* The peer asks for us: the stack learns the peer's MAC and replies. */
    feed(sim_arp(f, 1, sim_peer_mac, SRV, zero, DEV));
    feed(sim_arp(f, 1, sim_peer_mac, GW, zero, DEV));
    feed(sim_arp(f, 1, sim_peer_mac, DNS, zero, DEV));
    sim_clear();
}

static void test_arp(void)
{
    static const uint8_t zero[6];
    sim_init(&net);
    net_set_addr(&net, DEV, 0xffffff00u, GW, DNS);
    feed(sim_arp(f, 1, sim_peer_mac, GW, zero, DEV));
    CHECK(sim_nout == 1);
    const uint8_t *r = sim_out[0].data;
    CHECK(sim_out[0].len == 60);
    CHECK(memcmp(r, sim_peer_mac, 6) == 0 && memcmp(r + 6, sim_dev_mac, 6) == 0);
    CHECK(get16(r + 12) == 0x0806 && get16(r + 20) == 2);
    CHECK(memcmp(r + 22, sim_dev_mac, 6) == 0 && get32(r + 28) == DEV);
    CHECK(memcmp(r + 32, sim_peer_mac, 6) == 0 && get32(r + 38) == GW);
    /* Not for us: no reply. Malformed: counted. */
    sim_clear();
    feed(sim_arp(f, 1, sim_peer_mac, GW, zero, NET_IP4(10, 0, 2, 99)));
    CHECK(sim_nout == 0 && net.stats[NET_STAT_ARP_NOT_US] == 1);
    size_t l = sim_arp(f, 1, sim_peer_mac, GW, zero, DEV);
    f[18] = 8; /* hlen */
    feed(l);
    CHECK(sim_nout == 0 && net.stats[NET_STAT_ARP_MALFORMED] == 1);
    feed(20);
    CHECK(net.stats[NET_STAT_ARP_MALFORMED] == 2);
    /* Sending to an unknown host queues the packet behind a request,
     * which is retried and finally given up. */
    sim_clear();
    CHECK(udp_sendto(&net, 1234, NET_IP4(10, 0, 2, 50), 9, (const uint8_t *)"x", 1, now) == 0);
    CHECK(sim_nout == 1 && get16(sim_out[0].data + 12) == 0x0806 &&
          get32(sim_out[0].data + 38) == NET_IP4(10, 0, 2, 50));
    for (unsigned i = 1; i < NET_ARP_PENDING; i++)
        CHECK(udp_sendto(&net, 1234, NET_IP4(10, 0, 2, 50), 9, (const uint8_t *)"y", 1, now) == 0);
    CHECK(udp_sendto(&net, 1234, NET_IP4(10, 0, 2, 50), 9, (const uint8_t *)"z", 1, now) < 0);
    CHECK(net.stats[NET_STAT_ARP_PENDING_FULL] == 1);
    for (unsigned i = 1; i <= NET_ARP_TRIES; i++)
        net_poll(&net, now + i * NET_ARP_RETRY_MS);
    CHECK(sim_nout == NET_ARP_TRIES);
    CHECK(net.stats[NET_STAT_ARP_UNRESOLVED] == NET_ARP_PENDING);
    CHECK(net_bufs_free(&net) == NET_POOL_N);
    /* A reply releases the waiting packet. */
    sim_clear();
    udp_sendto(&net, 1234, NET_IP4(10, 0, 2, 51), 9, (const uint8_t *)"q", 1, now);
    feed(sim_arp(f, 2, sim_peer_mac, NET_IP4(10, 0, 2, 51), sim_dev_mac, DEV));
    CHECK(sim_nout == 2 && get16(sim_out[1].data + 12) == 0x0800);
    CHECK(memcmp(sim_out[1].data, sim_peer_mac, 6) == 0);
    /* Entries expire. */
    net_poll(&net, now + NET_ARP_TTL_MS + 1);
    sim_clear();
    udp_sendto(&net, 1234, NET_IP4(10, 0, 2, 51), 9, (const uint8_t *)"q", 1, now);
    CHECK(sim_nout == 1 && get16(sim_out[0].data + 12) == 0x0806);
}

static void test_ip_icmp(void)
{
    uint8_t ping[64];
    setup();
    memset(ping, 0xab, sizeof(ping));
    ping[0] = 8;
    ping[1] = 0;
    put16(ping + 2, 0);
    put16(ping + 2, net_csum_fold(net_csum_add(0, ping, sizeof(ping))));
    feed(sim_ip(f, GW, DEV, 1, ping, sizeof(ping)));
    CHECK(sim_nout == 1);
    struct ip_info ip;
    struct eth_info e;
    CHECK(eth_parse(sim_out[0].data, sim_out[0].len, &e) == 0);
    CHECK(ipv4_parse(e.payload, e.len, &ip) == 0);
    CHECK(ip.src == DEV && ip.dst == GW && ip.proto == 1 && ip.len == sizeof(ping));
    CHECK(ip.payload[0] == 0 && net_csum_fold(net_csum_add(0, ip.payload, ip.len)) == 0);
    CHECK(memcmp(ip.payload + 4, ping + 4, sizeof(ping) - 4) == 0);
    CHECK(net.stats[NET_STAT_ICMP_ECHO_REPLIED] == 1);
    /* Bad ICMP checksum, bad IP checksum, fragments, version, length. */
    sim_clear();
    ping[10] ^= 1;
    feed(sim_ip(f, GW, DEV, 1, ping, sizeof(ping)));
    CHECK(net.stats[NET_STAT_ICMP_CHECKSUM] == 1);
    size_t l = sim_ip(f, GW, DEV, 1, ping, sizeof(ping));
    f[14 + 8] = 1; /* TTL changed, checksum stale */
    feed(l);
    CHECK(net.stats[NET_STAT_IP_CHECKSUM] == 1);
    l = sim_ip(f, GW, DEV, 1, ping, sizeof(ping));
    f[14 + 6] = 0x20; /* MF */
    put16(f + 14 + 10, 0);
    put16(f + 14 + 10, net_csum_fold(net_csum_add(0, f + 14, 20)));
    feed(l);
    CHECK(net.stats[NET_STAT_IP_FRAGMENT] == 1);
    l = sim_ip(f, GW, DEV, 1, ping, sizeof(ping));
    f[14] = 0x65;
    feed(l);
    CHECK(net.stats[NET_STAT_IP_VERSION] == 1);
    l = sim_ip(f, GW, DEV, 1, ping, sizeof(ping));
    feed(l - 10);
    CHECK(net.stats[NET_STAT_IP_LEN] == 1);
    feed(sim_ip(f, GW, NET_IP4(10, 0, 2, 16), 1, ping, sizeof(ping)));
    CHECK(net.stats[NET_STAT_IP_NOT_US] == 1);
    feed(sim_ip(f, GW, DEV, 99, ping, sizeof(ping)));
    CHECK(net.stats[NET_STAT_IP_PROTO] == 1);
    CHECK(sim_nout == 0);
    CHECK(net_bufs_free(&net) == NET_POOL_N);
}

static int udp_got;
static uint8_t udp_data[64];
static void udp_cb(struct net *n, void *arg, uint32_t src, uint16_t sport,
                   const uint8_t *d, size_t len, uint32_t t)
{
    (void)n; (void)arg; (void)t;
    udp_got++;
    CHECK(src == GW && sport == 5000 && len <= sizeof(udp_data));
    memcpy(udp_data, d, len);
}

static void test_udp(void)
{
    setup();
    CHECK(udp_bind(&net, 7777, udp_cb, NULL) == 7777);
    CHECK(udp_bind(&net, 7777, udp_cb, NULL) < 0);
    feed(sim_udp(f, GW, 5000, DEV, 7777, (const uint8_t *)"hello", 5));
    CHECK(udp_got == 1 && memcmp(udp_data, "hello", 5) == 0);
    size_t l = sim_udp(f, GW, 5000, DEV, 7777, (const uint8_t *)"hello", 5);
    f[l - 1] ^= 0xff;
    feed(l);
    CHECK(udp_got == 1 && net.stats[NET_STAT_UDP_CHECKSUM] == 1);
    feed(sim_udp(f, GW, 5000, DEV, 7778, (const uint8_t *)"x", 1));
    CHECK(net.stats[NET_STAT_UDP_NO_PORT] == 1);
    CHECK(udp_sendto(&net, 7777, GW, 5000, (const uint8_t *)"abc", 3, now) == 0);
    struct ip_info ip;
    struct udp_info u;
    CHECK(sim_nout == 1 && sim_parse_udp(&sim_out[0], &ip, &u) == 0);
    CHECK(u.sport == 7777 && u.dport == 5000 && u.len == 3 && memcmp(u.payload, "abc", 3) == 0);
}

/* ---- DHCP ---- */

static size_t dhcp_reply(uint8_t type, uint32_t xid, uint32_t yiaddr, uint32_t lease)
{
    uint8_t m[300];
    memset(m, 0, sizeof(m));
    m[0] = 2; m[1] = 1; m[2] = 6;
    put32(m + 4, xid);
    put32(m + 16, yiaddr);
    memcpy(m + 28, sim_dev_mac, 6);
    put32(m + 236, 0x63825363u);
    uint8_t *o = m + 240;
    *o++ = 53; *o++ = 1; *o++ = type;
    *o++ = 54; *o++ = 4; put32(o, GW); o += 4;
    *o++ = 1; *o++ = 4; put32(o, 0xffffff00u); o += 4;
    *o++ = 3; *o++ = 4; put32(o, GW); o += 4;
    *o++ = 6; *o++ = 4; put32(o, DNS); o += 4;
    *o++ = 51; *o++ = 4; put32(o, lease); o += 4;
    *o++ = 255;
    return sim_udp(f, GW, 67, 0xffffffffu, 68, m, sizeof(m));
}

static int last_dhcp(struct dhcp_msg *m, uint32_t *dst)
{
    struct ip_info ip;
    struct udp_info u;
    if (sim_nout == 0 || sim_parse_udp(&sim_out[sim_nout - 1], &ip, &u) < 0 || u.dport != 67)
        return -1;
    *dst = ip.dst;
    /* parse as a request (op 1): the parser does not check op */
    return dhcp_parse(u.payload, u.len, m);
}

static void test_dhcp(void)
{
    struct dhcp_msg m;
    uint32_t dst;
    sim_init(&net);
    now = 1000;
    dhcp_start(&net, now);
    CHECK(last_dhcp(&m, &dst) == 0 && m.type == 1 && dst == 0xffffffffu);
    uint32_t xid = m.xid;
    /* Wrong xid: ignored. Then the offer. */
    feed(dhcp_reply(2, xid + 1, DEV, 3600));
    CHECK(net.stats[NET_STAT_DHCP_NOT_OURS] == 1 && dhcp_state(&net) == DHCP_SELECTING);
    feed(dhcp_reply(2, xid, DEV, 3600));
    CHECK(dhcp_state(&net) == DHCP_REQUESTING);
    CHECK(last_dhcp(&m, &dst) == 0 && m.type == 3 && m.server_id == GW);
    feed(dhcp_reply(5, m.xid, DEV, 3600));
    CHECK(dhcp_state(&net) == DHCP_BOUND && net.ip == DEV && net.router == GW &&
          net.dns_server == DNS && net.mask == 0xffffff00u);
    /* T1: unicast renew (ARP for the server first), T2: broadcast rebind. */
    sim_clear();
    net_poll(&net, now + 1800 * 1000);
    CHECK(dhcp_state(&net) == DHCP_RENEWING);
    CHECK(sim_nout == 1 && get16(sim_out[0].data + 12) == 0x0806);
    feed(sim_arp(f, 2, sim_peer_mac, GW, sim_dev_mac, DEV));
    CHECK(last_dhcp(&m, &dst) == 0 && m.type == 3 && dst == GW);
    net_poll(&net, now + 3150 * 1000);
    CHECK(dhcp_state(&net) == DHCP_REBINDING);
    CHECK(last_dhcp(&m, &dst) == 0 && m.type == 3 && dst == 0xffffffffu);
    feed(dhcp_reply(5, m.xid, DEV, 3600));
    CHECK(dhcp_state(&net) == DHCP_BOUND);
    /* Lease runs out with no answer: the address is dropped. */
    now += 3150 * 1000;
    for (uint32_t t = 0; t <= 3600 * 1000; t += 1000)
        net_poll(&net, now + t);
    CHECK(dhcp_state(&net) == DHCP_SELECTING && net.ip == 0);
    CHECK(last_dhcp(&m, &dst) == 0 && m.type == 1);
    /* Bind again, then lose the link: INIT-REBOOT asks for the old lease. */
    now += 3601 * 1000;
    feed(dhcp_reply(2, m.xid, DEV, 600));
    last_dhcp(&m, &dst);
    feed(dhcp_reply(5, m.xid, DEV, 600));
    CHECK(dhcp_state(&net) == DHCP_BOUND);
    net_link(&net, false, now);
    net_link(&net, true, now + 5000);
    CHECK(dhcp_state(&net) == DHCP_REBOOTING);
    CHECK(last_dhcp(&m, &dst) == 0 && m.type == 3);
    feed(dhcp_reply(6, m.xid, 0, 0));
    CHECK(net.stats[NET_STAT_DHCP_NAK] == 1 && dhcp_state(&net) == DHCP_SELECTING);
    /* Malformed: no cookie. */
    size_t l = dhcp_reply(2, 0, DEV, 1);
    memset(f + 14 + 20 + 8 + 236, 0, 4);
    put16(f + 14 + 20 + 6, 0);
    feed(l);
    CHECK(net.stats[NET_STAT_DHCP_MALFORMED] == 1);
    now = 1000;
}

/* ---- DNS ---- */

static size_t dns_answer(uint16_t id, const char *qname_wire, size_t qlen, bool cname,
                         uint32_t addr)
{
    uint8_t m[512];
    size_t o = 0;
    put16(m, id); put16(m + 2, 0x8180); put16(m + 4, 1); put16(m + 6, cname ? 2 : 1);
    put16(m + 8, 0); put16(m + 10, 0);
    o = 12;
    memcpy(m + o, qname_wire, qlen); o += qlen;
    put16(m + o, 1); put16(m + o + 2, 1); o += 4;
    if (cname) {
        m[o++] = 0xc0; m[o++] = 12;
        put16(m + o, 5); put16(m + o + 2, 1); put32(m + o + 4, 60); put16(m + o + 8, 6);
        o += 10;
        memcpy(m + o, "\x03" "cdn" "\xc0\x0c", 6); /* cdn.<qname> */
        size_t target = o;
        o += 6;
        m[o++] = 0xc0; m[o++] = (uint8_t)target;
    } else {
        m[o++] = 0xc0; m[o++] = 12;
    }
    put16(m + o, 1); put16(m + o + 2, 1); put32(m + o + 4, 60); put16(m + o + 8, 4);
    put32(m + o + 10, addr);
    o += 14;
    return sim_udp(f, DNS, 53, DEV, net.dns.port, m, o);
}

static void test_dns(void)
{
    static const char q[] = "\x06" "broker" "\x04" "keel" "\x04" "test";
    uint32_t ip = 0;
    setup();
    CHECK(dns_query(&net, "broker.keel.test", now) == 0);
    struct ip_info ipi;
    struct udp_info u;
    CHECK(sim_nout == 1 && sim_parse_udp(&sim_out[0], &ipi, &u) == 0);
    CHECK(ipi.dst == DNS && u.dport == 53 && u.sport == net.dns.port && u.sport >= 49152);
    CHECK(u.len == 12 + sizeof(q) + 4 && memcmp(u.payload + 12, q, sizeof(q)) == 0);
    uint16_t id = get16(u.payload);
    feed(dns_answer((uint16_t)(id + 1), q, sizeof(q), false, 0x01020304));
    CHECK(dns_result(&net, &ip) == DNS_PENDING && net.stats[NET_STAT_DNS_MISMATCH] == 1);
    static const char other[] = "\x06" "brokex" "\x04" "keel" "\x04" "test";
    feed(dns_answer(id, other, sizeof(other), false, 0x01020304));
    CHECK(dns_result(&net, &ip) == DNS_PENDING && net.stats[NET_STAT_DNS_MISMATCH] == 2);
    static const char upper[] = "\x06" "BROKER" "\x04" "keel" "\x04" "test";
    feed(dns_answer(id, upper, sizeof(upper), true, 0x0a000264));
    CHECK(dns_result(&net, &ip) == DNS_DONE && ip == 0x0a000264);
    /* A compression loop is rejected; retries then failure. */
    sim_clear();
    CHECK(dns_query(&net, "a.b", now) == 0);
    uint8_t m[64] = { 0 };
    CHECK(sim_parse_udp(&sim_out[0], &ipi, &u) == 0);
    put16(m, get16(u.payload)); put16(m + 2, 0x8180); put16(m + 4, 1);
    m[12] = 0xc0; m[13] = 12;
    feed(sim_udp(f, DNS, 53, DEV, net.dns.port, m, 20));
    CHECK(net.stats[NET_STAT_DNS_MISMATCH] == 3 && dns_result(&net, &ip) == DNS_PENDING);
    net_poll(&net, now + NET_DNS_RETRY_MS);
    net_poll(&net, now + 2 * NET_DNS_RETRY_MS);
    CHECK(sim_nout == 3);
    net_poll(&net, now + 3 * NET_DNS_RETRY_MS);
    CHECK(dns_result(&net, &ip) == DNS_FAILED);
    CHECK(dns_query(&net, "bad..name", now) < 0);
}

/* ---- TCP ---- */

static struct tcp_sock sk;
static uint8_t rxr[4096], txr[8192];
static uint32_t peer_seq, dev_iss;
static uint16_t dev_port;

static const struct tcp_seg *out_tcp(unsigned i)
{
    static struct tcp_seg t;
    static struct ip_info ip;
    if (i >= sim_nout || sim_parse_tcp(&sim_out[i], &ip, &t) < 0)
        return NULL;
    return &t;
}

static void peer(uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
                 const uint8_t *data, size_t len)
{
    feed(sim_tcp(f, SRV, 7, DEV, dev_port, seq, ack, flags, wnd, NULL, 0, data, len));
}

static void establish(void)
{
    static const uint8_t opts[] = { 2, 4, 0x03, 0xe8, 1, 3, 3, 2 }; /* MSS 1000, WS 2 */
    setup();
    memset(&sk, 0, sizeof(sk));
    CHECK(tcp_connect(&net, &sk, SRV, 7, rxr, sizeof(rxr), txr, sizeof(txr), now) == 0);
    const struct tcp_seg *t = out_tcp(0);
    CHECK(t && t->flags == TCP_SYN && t->mss == NET_TCP_MSS && t->wscale == 0 && t->dport == 7);
    if (!t)
        return;
    dev_iss = t->seq;
    dev_port = t->sport;
    peer_seq = 5000;
    sim_clear();
    feed(sim_tcp(f, SRV, 7, DEV, dev_port, peer_seq, dev_iss + 1, TCP_SYN | TCP_ACK, 1000,
                 opts, sizeof(opts), NULL, 0));
    peer_seq++;
    CHECK(sk.state == TCP_ESTABLISHED && sk.mss == 1000 && sk.snd_wscale == 2);
    t = out_tcp(0);
    CHECK(t && t->flags == TCP_ACK && t->ack == peer_seq && t->seq == dev_iss + 1);
    /* A window update: 1000 << 2. */
    peer(peer_seq, dev_iss + 1, TCP_ACK, 1000, NULL, 0);
    CHECK(sk.snd_wnd == 4000);
    sim_clear();
}

static void test_tcp_data(void)
{
    uint8_t buf[8192];
    establish();
    /* Peer window 1000 << 2 = 4000; cwnd 4 * 1000: four segments. */
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7);
    CHECK(tcp_send(&net, &sk, buf, 6000, now) == 6000);
    CHECK(sim_nout == 4);
    for (unsigned i = 0; i < sim_nout; i++) {
        const struct tcp_seg *t = out_tcp(i);
        CHECK(t && t->len == 1000 && t->seq == dev_iss + 1 + i * 1000);
        CHECK(t && memcmp(t->payload, buf + i * 1000, 1000) == 0);
    }
    /* ACK two: two more go (cwnd grows, window slides). */
    sim_clear();
    peer(peer_seq, dev_iss + 1 + 2000, TCP_ACK, 1000, NULL, 0);
    CHECK(sim_nout == 2 && out_tcp(0) && out_tcp(0)->seq == dev_iss + 1 + 4000);
    CHECK(tcp_unacked(&sk) == 4000);
    /* Data from the peer, in order, then out of order. */
    sim_clear();
    peer(peer_seq, dev_iss + 1 + 6000, TCP_ACK, 1000, (const uint8_t *)"hello ", 6);
    CHECK(sim_nout == 0 && sk.ack_pending == 1);
    peer(peer_seq + 11, dev_iss + 1 + 6000, TCP_ACK | TCP_PSH, 1000, (const uint8_t *)"!!", 2);
    CHECK(sim_nout == 1 && out_tcp(0) && out_tcp(0)->ack == peer_seq + 6);
    CHECK(net.stats[NET_STAT_TCP_OOO_QUEUED] == 1);
    peer(peer_seq + 6, dev_iss + 1 + 6000, TCP_ACK, 1000, (const uint8_t *)"world", 5);
    CHECK(sim_nout == 2 && out_tcp(1) && out_tcp(1)->ack == peer_seq + 13);
    int k = tcp_recv(&net, &sk, buf, sizeof(buf), now);
    CHECK(k == 13 && memcmp(buf, "hello world!!", 13) == 0);
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), now) == 0);
    peer_seq += 13;
    /* Duplicate segment: ACKed again, not delivered. */
    sim_clear();
    peer(peer_seq - 5, dev_iss + 1 + 6000, TCP_ACK, 1000, (const uint8_t *)"rld!!", 5);
    CHECK(sim_nout == 1 && net.stats[NET_STAT_TCP_OUT_OF_WINDOW] == 1);
    CHECK(net_bufs_free(&net) == NET_POOL_N);
}

static void test_tcp_retransmit(void)
{
    uint8_t buf[4000];
    memset(buf, 'r', sizeof(buf));
    establish();
    CHECK(tcp_send(&net, &sk, buf, 3000, now) == 3000);
    CHECK(sim_nout == 3);
    /* RTO: initial 1 s (the SYN's RTT here is 0, so RTO = min 200 ms). */
    sim_clear();
    uint32_t rto = sk.rto;
    CHECK(rto == NET_TCP_RTO_MIN_MS);
    net_poll(&net, now + rto - 1);
    CHECK(sim_nout == 0);
    net_poll(&net, now + rto);
    CHECK(sim_nout == 1 && out_tcp(0) && out_tcp(0)->seq == dev_iss + 1 && out_tcp(0)->len == 1000);
    CHECK(sk.rto == 2 * rto && net.stats[NET_STAT_TCP_RETRANSMIT] == 1);
    /* Go-back-N: the ACK of the first resends the next (slow start). */
    sim_clear();
    peer(peer_seq, dev_iss + 1001, TCP_ACK, 1000, NULL, 0);
    CHECK(sim_nout >= 1 && out_tcp(0) && out_tcp(0)->seq == dev_iss + 1001);
    peer(peer_seq, dev_iss + 3001, TCP_ACK, 1000, NULL, 0);
    CHECK(tcp_unacked(&sk) == 0 && !sk.rtx_armed);
    /* Fast retransmit on the third duplicate ACK. */
    CHECK(tcp_send(&net, &sk, buf, 4000, now) == 4000);
    sim_clear();
    for (int i = 0; i < 3; i++)
        peer(peer_seq, dev_iss + 3001, TCP_ACK, 1000, NULL, 0);
    CHECK(net.stats[NET_STAT_TCP_FAST_RETRANSMIT] == 1);
    CHECK(sim_nout >= 1 && out_tcp(0) && out_tcp(0)->seq == dev_iss + 3001);
    peer(peer_seq, dev_iss + 7001, TCP_ACK, 1000, NULL, 0);
    CHECK(!sk.in_recovery && tcp_unacked(&sk) == 0);
    /* Too many timeouts: the connection is aborted with a RST. */
    CHECK(tcp_send(&net, &sk, buf, 10, now) == 10);
    uint32_t t = now;
    for (int i = 0; i < 20 && sk.state != TCP_CLOSED; i++) {
        t += NET_TCP_RTO_MAX_MS;
        net_poll(&net, t);
    }
    CHECK(sk.state == TCP_CLOSED && sk.err == NET_ERR_TIMEOUT);
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), t) == NET_ERR_TIMEOUT);
}

static void test_tcp_rfc5961(void)
{
    uint8_t buf[16];
    establish();
    /* RST in window but not at rcv_nxt: challenge ACK, connection lives. */
    peer(peer_seq + 100, 0, TCP_RST, 0, NULL, 0);
    CHECK(sk.state == TCP_ESTABLISHED && sim_nout == 1);
    CHECK(out_tcp(0) && out_tcp(0)->flags == TCP_ACK && out_tcp(0)->ack == peer_seq);
    /* RST outside the window: silently dropped. */
    sim_clear();
    peer(peer_seq + 100000, 0, TCP_RST, 0, NULL, 0);
    CHECK(sk.state == TCP_ESTABLISHED && sim_nout == 0);
    /* SYN on an established connection: challenge ACK. */
    peer(peer_seq, 0, TCP_SYN, 1000, NULL, 0);
    CHECK(sk.state == TCP_ESTABLISHED && sim_nout == 1 &&
          net.stats[NET_STAT_TCP_SYN_IN_WINDOW] == 1);
    /* Data with an ACK for something never sent: dropped, challenge ACK. */
    sim_clear();
    peer(peer_seq, dev_iss + 100000, TCP_ACK, 1000, (const uint8_t *)"evil", 4);
    CHECK(sk.rx_len == 0 && sim_nout == 1 && net.stats[NET_STAT_TCP_BAD_ACK] == 1);
    /* Challenge ACKs are rate limited. */
    sim_clear();
    for (int i = 0; i < 50; i++)
        peer(peer_seq + 100, 0, TCP_RST, 0, NULL, 0);
    CHECK(sim_nout < 50 && net.stats[NET_STAT_TCP_CHALLENGE_LIMITED] > 0);
    /* The exact RST resets. */
    peer(peer_seq, 0, TCP_RST, 0, NULL, 0);
    CHECK(sk.state == TCP_CLOSED && tcp_recv(&net, &sk, buf, sizeof(buf), now) == NET_ERR_RESET);
    /* A segment for no connection gets a RST. */
    sim_clear();
    peer(1, 2, TCP_ACK, 1000, NULL, 0);
    CHECK(sim_nout == 1 && out_tcp(0) && out_tcp(0)->flags == TCP_RST && out_tcp(0)->seq == 2);
    /* A refused connection. */
    setup();
    memset(&sk, 0, sizeof(sk));
    tcp_connect(&net, &sk, SRV, 7, rxr, sizeof(rxr), txr, sizeof(txr), now);
    dev_iss = out_tcp(0)->seq;
    dev_port = out_tcp(0)->sport;
    peer(0, dev_iss + 5, TCP_RST | TCP_ACK, 0, NULL, 0);
    CHECK(sk.state == TCP_SYN_SENT);
    peer(0, dev_iss + 1, TCP_RST | TCP_ACK, 0, NULL, 0);
    CHECK(sk.state == TCP_CLOSED && sk.err == NET_ERR_REFUSED);
}

static void test_tcp_close(void)
{
    uint8_t buf[16];
    /* We close first: FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT. */
    establish();
    CHECK(tcp_send(&net, &sk, (const uint8_t *)"bye", 3, now) == 3);
    CHECK(tcp_close(&net, &sk, now) == 0);
    CHECK(sim_nout == 2 && out_tcp(1) && (out_tcp(1)->flags & TCP_FIN) &&
          out_tcp(1)->seq == dev_iss + 4);
    peer(peer_seq, dev_iss + 5, TCP_ACK, 1000, NULL, 0);
    CHECK(sk.state == TCP_FIN_WAIT_2);
    sim_clear();
    peer(peer_seq, dev_iss + 5, TCP_ACK | TCP_FIN, 1000, NULL, 0);
    CHECK(sk.state == TCP_CLOSED && sk.err == 0 && sim_nout == 1);
    CHECK(out_tcp(0) && out_tcp(0)->ack == peer_seq + 1);
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), now) == NET_EOF);
    /* TIME_WAIT answers a retransmitted FIN, then expires. */
    sim_clear();
    peer(peer_seq, dev_iss + 5, TCP_ACK | TCP_FIN, 1000, NULL, 0);
    CHECK(sim_nout == 1 && out_tcp(0) && out_tcp(0)->flags == TCP_ACK);
    net_poll(&net, now + NET_TCP_TIME_WAIT_MS + 1);
    sim_clear();
    peer(peer_seq, dev_iss + 5, TCP_ACK | TCP_FIN, 1000, NULL, 0);
    CHECK(sim_nout == 1 && out_tcp(0) && out_tcp(0)->flags == TCP_RST);
    /* The peer closes first: CLOSE_WAIT -> LAST_ACK -> CLOSED. */
    establish();
    peer(peer_seq, dev_iss + 1, TCP_ACK | TCP_FIN, 1000, (const uint8_t *)"end", 3);
    CHECK(sk.state == TCP_CLOSE_WAIT);
    CHECK(sim_nout == 1 && out_tcp(0) && out_tcp(0)->ack == peer_seq + 4);
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), now) == 3);
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), now) == NET_EOF);
    tcp_close(&net, &sk, now);
    CHECK(sk.state == TCP_LAST_ACK);
    peer(peer_seq + 4, dev_iss + 2, TCP_ACK, 1000, NULL, 0);
    CHECK(sk.state == TCP_CLOSED && sk.err == 0);
    /* Abort: RST at snd_nxt. */
    establish();
    tcp_abort(&net, &sk, now);
    CHECK(sk.state == TCP_CLOSED && sim_nout == 1 && out_tcp(0) &&
          (out_tcp(0)->flags & TCP_RST) && out_tcp(0)->seq == dev_iss + 1);
}

static void test_tcp_keepalive_window(void)
{
    uint8_t buf[3000];
    establish();
    tcp_keepalive(&sk, true);
    static const uint8_t zero[6];
    now += NET_TCP_KA_IDLE_MS - 1; /* keep the peer's ARP entry fresh */
    feed(sim_arp(f, 1, sim_peer_mac, SRV, zero, DEV));
    now -= NET_TCP_KA_IDLE_MS - 1;
    sim_clear();
    net_poll(&net, now + NET_TCP_KA_IDLE_MS);
    CHECK(sim_nout == 1 && out_tcp(0) && out_tcp(0)->seq == dev_iss && out_tcp(0)->len == 0);
    /* An answer resets the probes. */
    peer(peer_seq, dev_iss + 1, TCP_ACK, 1000, NULL, 0);
    CHECK(sk.ka_probes == 0);
    uint32_t t = now + NET_TCP_KA_IDLE_MS;
    for (unsigned i = 0; i <= NET_TCP_KA_PROBES + 1; i++)
        net_poll(&net, t += NET_TCP_KA_IDLE_MS);
    CHECK(sk.state == TCP_CLOSED && sk.err == NET_ERR_TIMEOUT);
    /* Zero window: nothing sent, then a one-byte probe. */
    establish();
    peer(peer_seq, dev_iss + 1, TCP_ACK, 0, NULL, 0);
    memset(buf, 'w', sizeof(buf));
    CHECK(tcp_send(&net, &sk, buf, 100, now) == 100);
    CHECK(sim_nout == 0);
    net_poll(&net, now + 5000);
    net_poll(&net, now + 10000);
    CHECK(sim_nout >= 1 && out_tcp(0) && out_tcp(0)->len == 1);
    /* Window opens: the rest flows. */
    sim_clear();
    peer(peer_seq, dev_iss + 2, TCP_ACK, 1000, NULL, 0);
    CHECK(sim_nout == 1 && out_tcp(0) && out_tcp(0)->len == 99);
    /* Our receive window follows the ring and is never exceeded. */
    establish();
    uint8_t big[1000];
    memset(big, 'b', sizeof(big));
    for (int i = 0; i < 5; i++)
        peer(peer_seq + i * 1000, dev_iss + 1, TCP_ACK, 1000, big, 1000);
    CHECK(sk.rx_len == sizeof(rxr) && net.stats[NET_STAT_TCP_RCV_FULL] == 1);
    net_poll(&net, now);
    CHECK(out_tcp(sim_nout - 1) && out_tcp(sim_nout - 1)->wnd == 0);
    sim_clear();
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), now) == (int)sizeof(buf));
    CHECK(sim_nout == 1 && out_tcp(0) && out_tcp(0)->wnd == sizeof(buf));
}

static void test_tcp_edge(void)
{
    /* A retransmitted SYN-ACK (our ACK was lost) is answered with an ACK. */
    establish();
    feed(sim_tcp(f, SRV, 7, DEV, dev_port, peer_seq - 1, dev_iss + 1, TCP_SYN | TCP_ACK, 1000,
                 NULL, 0, NULL, 0));
    CHECK(sk.state == TCP_ESTABLISHED && sim_nout == 1 && out_tcp(0) &&
          out_tcp(0)->flags == TCP_ACK && out_tcp(0)->ack == peer_seq);
    /* Malformed TCP options are dropped and counted. */
    static const uint8_t bad_opts[] = { 2, 9, 0, 0 };
    sim_clear();
    feed(sim_tcp(f, SRV, 7, DEV, dev_port, peer_seq, dev_iss + 1, TCP_ACK, 1000, bad_opts,
                 sizeof(bad_opts), (const uint8_t *)"x", 1));
    CHECK(net.stats[NET_STAT_TCP_OPTIONS] == 1 && sk.rx_len == 0);
    /* A bad TCP checksum is dropped and counted. */
    size_t l = sim_tcp(f, SRV, 7, DEV, dev_port, peer_seq, dev_iss + 1, TCP_ACK, 1000, NULL, 0,
                       (const uint8_t *)"x", 1);
    f[l - 1] ^= 0x55;
    feed(l);
    CHECK(net.stats[NET_STAT_TCP_CHECKSUM] == 1 && sk.rx_len == 0);
    /* IPv4 with options: payload found after them. */
    uint8_t opt_pkt[64];
    l = sim_tcp(f, SRV, 7, DEV, dev_port, peer_seq, dev_iss + 1, TCP_ACK, 1000, NULL, 0,
                (const uint8_t *)"opt", 3);
    memcpy(opt_pkt, f + 14 + 20, l - 34);           /* the TCP segment */
    f[14] = 0x46;                                    /* IHL 6: 4 bytes of options */
    put16(f + 14 + 2, 24 + (l - 34));
    memset(f + 14 + 20, 1, 4);                       /* NOPs */
    memcpy(f + 14 + 24, opt_pkt, l - 34);
    put16(f + 14 + 10, 0);
    put16(f + 14 + 10, net_csum_fold(net_csum_add(0, f + 14, 24)));
    feed(l + 4);
    CHECK(sk.rx_len == 3);
    /* Data after our FIN was acknowledged (FIN_WAIT_2) is still received. */
    uint8_t buf[8];
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), now) == 3 && memcmp(buf, "opt", 3) == 0);
    peer_seq += 3;
    tcp_close(&net, &sk, now);
    peer(peer_seq, dev_iss + 2, TCP_ACK, 1000, (const uint8_t *)"late", 4);
    CHECK(sk.state == TCP_FIN_WAIT_2 && tcp_recv(&net, &sk, buf, sizeof(buf), now) == 4);
    CHECK(net_bufs_free(&net) == NET_POOL_N);
}

/* Out-of-order data is kept in the receive ring (no packet buffer held):
 * several holes, merging, duplicates, a FIN out of order, the ring
 * wrapping, the bound on separate ranges; and every out-of-order segment
 * is answered at once with a duplicate ACK carrying the same window. */
static void test_tcp_ooo_ring(void)
{
    uint8_t data[4096], buf[4096];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 13 + 5);
    establish();
    uint32_t base = peer_seq;
    /* Move the ring's head so the held data wraps around its end. */
    for (unsigned i = 0; i < 4; i++)
        peer(base + i * 875, dev_iss + 1, TCP_ACK, 1000, data, 875);
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), now) == 3500);
    base += 3500;
    net_poll(&net, now);
    sim_clear();
    /* Segments 1, 3 and 5 (of 100 bytes) arrive; 0, 2, 4 are missing. */
    for (unsigned i = 1; i <= 5; i += 2)
        peer(base + i * 100, dev_iss + 1, TCP_ACK, 1000, data + i * 100, 100);
    CHECK(sim_nout == 3 && net_bufs_free(&net) == NET_POOL_N);
    for (unsigned i = 0; i < sim_nout; i++)
        CHECK(out_tcp(i) && out_tcp(i)->ack == base && out_tcp(i)->len == 0 &&
              out_tcp(i)->wnd == out_tcp(0)->wnd);
    CHECK(net.stats[NET_STAT_TCP_OOO_QUEUED] == 3 && sk.rx_len == 0);
    /* A duplicate of a held segment is counted, still answered. */
    sim_clear();
    peer(base + 300, dev_iss + 1, TCP_ACK, 1000, data + 300, 100);
    CHECK(net.stats[NET_STAT_TCP_DUPLICATE] == 1 && sim_nout == 1);
    /* A fourth range fits; a fifth separate one does not (OOO_FULL). */
    peer(base + 700, dev_iss + 1, TCP_ACK, 1000, data + 700, 100);
    peer(base + 900, dev_iss + 1, TCP_ACK, 1000, data + 900, 100);
    CHECK(net.stats[NET_STAT_TCP_OOO_FULL] == 1);
    /* Segment 4 joins ranges 3 and 5 into one; the FIN after 1100 is
     * held too. */
    peer(base + 400, dev_iss + 1, TCP_ACK, 1000, data + 400, 100);
    peer(base + 1000, dev_iss + 1, TCP_ACK | TCP_FIN, 1000, data + 1000, 100);
    /* Segment 0 delivers 0-1 only; 2 then 3-5; 6, 8 and 9 fill the rest
     * (9 was refused before, so it comes again) and the FIN completes. */
    sim_clear();
    peer(base, dev_iss + 1, TCP_ACK, 1000, data, 100);
    CHECK(sk.rx_len == 200 && sim_nout == 1 && out_tcp(0) && out_tcp(0)->ack == base + 200);
    /* That ACK is new, not a duplicate: it offers the whole free ring
     * although holes remain. After a read (too small for a window
     * update), the next duplicate ACK keeps the right edge of the last
     * ACK, so the sender counts it. */
    CHECK(out_tcp(0) && out_tcp(0)->wnd == sizeof(rxr) - 200);
    sim_clear();
    CHECK(tcp_recv(&net, &sk, buf, 100, now) == 100 && sim_nout == 0);
    peer(base + 700, dev_iss + 1, TCP_ACK, 1000, data + 700, 100);
    CHECK(sim_nout == 1 && out_tcp(0) && out_tcp(0)->ack == base + 200 &&
          out_tcp(0)->wnd == sizeof(rxr) - 200);
    sim_clear();
    peer(base + 200, dev_iss + 1, TCP_ACK, 1000, data + 200, 100);
    CHECK(sk.rx_len == 500);
    peer(base + 600, dev_iss + 1, TCP_ACK, 1000, data + 600, 100);
    CHECK(sk.rx_len == 700);
    peer(base + 800, dev_iss + 1, TCP_ACK, 1000, data + 800, 200);
    CHECK(sk.rx_len == 1000 && sk.fin_rcvd && sk.state == TCP_CLOSE_WAIT);
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), now) == 1000 &&
          memcmp(buf, data + 100, 1000) == 0);
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), now) == NET_EOF);
    CHECK(net_bufs_free(&net) == NET_POOL_N);
    /* Beyond the ring's free space: refused (never written past it). */
    establish();
    peer(peer_seq + sizeof(rxr) - 50, dev_iss + 1, TCP_ACK, 1000, data, 100);
    CHECK(sk.ooo[0].len + sk.ooo[1].len + sk.ooo[2].len + sk.ooo[3].len == 50);
}

/* A FIN-only segment out of order, right after a held range: it must not
 * wipe the range (a zero-length segment merges nothing). Data up to X,
 * [X+100, X+200) held, FIN at X+200; the hole [X, X+100) then fills and
 * all 200 bytes and the FIN are delivered. */
static void test_tcp_ooo_fin_only(void)
{
    uint8_t data[200], buf[400];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 29 + 3);
    establish();
    peer(peer_seq, dev_iss + 1, TCP_ACK, 1000, data, 50);
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), now) == 50);
    uint32_t x = peer_seq + 50;
    peer(x + 100, dev_iss + 1, TCP_ACK, 1000, data + 100, 100);
    peer(x + 200, dev_iss + 1, TCP_ACK | TCP_FIN, 1000, NULL, 0);
    CHECK(sk.ooo[0].len + sk.ooo[1].len + sk.ooo[2].len + sk.ooo[3].len == 100);
    CHECK(sk.ooo_fin && sk.ooo_fin_seq == x + 200 && sk.state == TCP_ESTABLISHED);
    sim_clear();
    peer(x, dev_iss + 1, TCP_ACK, 1000, data, 100);
    CHECK(sk.rx_len == 200 && sk.fin_rcvd && sk.state == TCP_CLOSE_WAIT);
    CHECK(sim_nout >= 1 && out_tcp(sim_nout - 1) && out_tcp(sim_nout - 1)->ack == x + 201);
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), now) == 200 && memcmp(buf, data, 200) == 0);
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), now) == NET_EOF);
    CHECK(net_bufs_free(&net) == NET_POOL_N);
}

/* While a hole is open, the window update sent as the application reads
 * keeps the right edge of the last ACK (the sender counts it as a
 * duplicate); once the hole fills, the ACK offers the whole window. */
static void test_tcp_hole_window_update(void)
{
    uint8_t data[1500], buf[1500];
    memset(data, 'w', sizeof(data));
    establish();
    peer(peer_seq, dev_iss + 1, TCP_ACK, 1000, data, 1000);
    net_poll(&net, now);
    sim_clear();
    peer(peer_seq + 1500, dev_iss + 1, TCP_ACK, 1000, data, 500);
    const struct tcp_seg *t = out_tcp(0);
    CHECK(sim_nout == 1 && t && t->ack == peer_seq + 1000 && t->wnd == sizeof(rxr) - 1000);
    CHECK(tcp_recv(&net, &sk, buf, sizeof(buf), now) == 1000);
    t = out_tcp(1);
    CHECK(sim_nout == 2 && t && t->ack == peer_seq + 1000 && t->wnd == sizeof(rxr) - 1000);
    peer(peer_seq + 1000, dev_iss + 1, TCP_ACK, 1000, data, 500);
    t = out_tcp(2);
    CHECK(sim_nout == 3 && t && t->ack == peer_seq + 2000 && t->wnd == sizeof(rxr) - 1000);
    CHECK(net_bufs_free(&net) == NET_POOL_N);
}

/* Early retransmit (RFC 5827 3.1): with oseg < 4 segments outstanding and
 * nothing new to send, oseg - 1 duplicate ACKs resend the first: one with
 * two outstanding, two with three; with one outstanding oseg - 1 = 0, so
 * early retransmit does not apply and the loss waits for the RTO. */
static void test_tcp_early_retransmit(void)
{
    uint8_t buf[2000];
    memset(buf, 'e', sizeof(buf));
    establish();
    CHECK(tcp_send(&net, &sk, buf, 2000, now) == 2000);
    CHECK(sim_nout == 2);
    sim_clear();
    peer(peer_seq, dev_iss + 1, TCP_ACK, 1000, NULL, 0);
    CHECK(net.stats[NET_STAT_TCP_FAST_RETRANSMIT] == 1 && sim_nout == 1 && out_tcp(0) &&
          out_tcp(0)->seq == dev_iss + 1 && out_tcp(0)->len == 1000);
    peer(peer_seq, dev_iss + 2001, TCP_ACK, 1000, NULL, 0);
    CHECK(!sk.in_recovery && tcp_unacked(&sk) == 0);
    /* With four in flight the threshold is three again. */
    CHECK(tcp_send(&net, &sk, buf, 2000, now) == 2000);
    CHECK(tcp_send(&net, &sk, buf, 2000, now) == 2000);
    sim_clear();
    peer(peer_seq, dev_iss + 2001, TCP_ACK, 1000, NULL, 0);
    peer(peer_seq, dev_iss + 2001, TCP_ACK, 1000, NULL, 0);
    CHECK(net.stats[NET_STAT_TCP_FAST_RETRANSMIT] == 1);
    peer(peer_seq, dev_iss + 2001, TCP_ACK, 1000, NULL, 0);
    CHECK(net.stats[NET_STAT_TCP_FAST_RETRANSMIT] == 2);
    /* One segment outstanding: duplicate ACKs do not resend it (and leave
     * ssthresh alone); the RTO does. */
    establish();
    CHECK(tcp_send(&net, &sk, buf, 1000, now) == 1000);
    CHECK(sim_nout == 1);
    sim_clear();
    peer(peer_seq, dev_iss + 1, TCP_ACK, 1000, NULL, 0);
    peer(peer_seq, dev_iss + 1, TCP_ACK, 1000, NULL, 0);
    CHECK(sk.dupacks == 2 && sim_nout == 0 && !sk.in_recovery);
    CHECK(net.stats[NET_STAT_TCP_FAST_RETRANSMIT] == 0 && sk.ssthresh == 0xffffffffu);
    net_poll(&net, now + sk.rto);
    CHECK(net.stats[NET_STAT_TCP_RETRANSMIT] == 1 && sim_nout == 1 && out_tcp(0) &&
          out_tcp(0)->seq == dev_iss + 1 && out_tcp(0)->len == 1000);
    /* The same with one small segment. */
    establish();
    CHECK(tcp_send(&net, &sk, buf, 10, now) == 10);
    sim_clear();
    peer(peer_seq, dev_iss + 1, TCP_ACK, 1000, NULL, 0);
    peer(peer_seq, dev_iss + 1, TCP_ACK, 1000, NULL, 0);
    CHECK(net.stats[NET_STAT_TCP_FAST_RETRANSMIT] == 0 && sim_nout == 0);
    /* Three segments outstanding: two duplicate ACKs are needed. */
    establish();
    CHECK(tcp_send(&net, &sk, buf, 2000, now) == 2000);
    CHECK(tcp_send(&net, &sk, buf, 1000, now) == 1000);
    CHECK(sim_nout == 3);
    sim_clear();
    peer(peer_seq, dev_iss + 1, TCP_ACK, 1000, NULL, 0);
    CHECK(net.stats[NET_STAT_TCP_FAST_RETRANSMIT] == 0 && sim_nout == 0);
    peer(peer_seq, dev_iss + 1, TCP_ACK, 1000, NULL, 0);
    CHECK(net.stats[NET_STAT_TCP_FAST_RETRANSMIT] == 1 && sim_nout == 1 && out_tcp(0) &&
          out_tcp(0)->seq == dev_iss + 1 && out_tcp(0)->len == 1000);
    CHECK(net_bufs_free(&net) == NET_POOL_N);
}

int main(void)
{
    test_arp();
    test_ip_icmp();
    test_udp();
    test_dhcp();
    test_dns();
    test_tcp_data();
    test_tcp_retransmit();
    test_tcp_ooo_ring();
    test_tcp_ooo_fin_only();
    test_tcp_early_retransmit();
    test_tcp_hole_window_update();
    test_tcp_rfc5961();
    test_tcp_close();
    test_tcp_keepalive_window();
    test_tcp_edge();
    printf("unit_net: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}
void dbg(void);
void dbg(void)
{
    for (unsigned i = 0; i < sim_nout; i++) {
        const struct tcp_seg *t = out_tcp(i);
        if (t)
            printf("  out %u: seq %u ack %u flags %x len %u wnd %u\n", i, (unsigned)(t->seq - dev_iss), (unsigned)(t->ack - peer_seq), t->flags, (unsigned)t->len, t->wnd);
        else
            printf("  out %u: non-tcp len %zu\n", i, sim_out[i].len);
    }
}
