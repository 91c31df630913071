/*
 * Internals shared by the stack's modules: wire helpers, the parsers (pure
 * functions over a {ptr, remaining} cursor, each with a fuzz target) and
 * the layer entry points. Not for users of the stack.
 */
#ifndef NET_PRIV_H
#define NET_PRIV_H

#include "net.h"

#define ETH_HLEN 14u
#define ETH_TYPE_IP  0x0800u
#define ETH_TYPE_ARP 0x0806u
#define IP_PROTO_ICMP 1u
#define IP_PROTO_TCP  6u
#define IP_PROTO_UDP  17u

#define TCP_FIN 0x01u
#define TCP_SYN 0x02u
#define TCP_RST 0x04u
#define TCP_PSH 0x08u
#define TCP_ACK 0x10u

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LE(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define SEQ_GE(a, b) ((int32_t)((a) - (b)) >= 0)
#define TIME_GE(now, t) ((int32_t)((now) - (t)) >= 0)

static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* The parsers' cursor: every read checks the remaining length first. */
struct cur {
    const uint8_t *p;
    size_t n;
};
static inline bool cur_skip(struct cur *c, size_t k)
{
    if (c->n < k)
        return false;
    c->p += k;
    c->n -= k;
    return true;
}
static inline bool cur_u8(struct cur *c, uint8_t *v)
{
    if (c->n < 1)
        return false;
    *v = c->p[0];
    return cur_skip(c, 1);
}
static inline bool cur_u16(struct cur *c, uint16_t *v)
{
    if (c->n < 2)
        return false;
    *v = get16(c->p);
    return cur_skip(c, 2);
}
static inline bool cur_u32(struct cur *c, uint32_t *v)
{
    if (c->n < 4)
        return false;
    *v = get32(c->p);
    return cur_skip(c, 4);
}

/* Internet checksum (RFC 1071): partial sums and the final fold. */
uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t net_csum_fold(uint32_t sum);
uint32_t net_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len);

static inline void net_count(struct net *n, enum net_stat s) { n->stats[s]++; }

/* ---- parsers: return 0 or a negative drop statistic (-(NET_STAT_x)) ---- */

struct eth_info {
    const uint8_t *dst, *src;
    uint16_t type;
    const uint8_t *payload;
    size_t len;
};
int eth_parse(const uint8_t *f, size_t len, struct eth_info *e);

struct arp_info {
    uint16_t op;
    const uint8_t *sha, *tha;
    uint32_t spa, tpa;
};
int arp_parse(const uint8_t *p, size_t len, struct arp_info *a);

struct ip_info {
    uint32_t src, dst;
    uint8_t proto, ttl;
    uint16_t hlen, total;
    const uint8_t *hdr;
    const uint8_t *payload;
    size_t len;              /* payload length from the IPv4 header */
};
int ipv4_parse(const uint8_t *p, size_t len, struct ip_info *ip);

struct icmp_info {
    uint8_t type, code;
};
int icmp_parse(const uint8_t *p, size_t len, struct icmp_info *ic);

struct udp_info {
    uint16_t sport, dport;
    const uint8_t *payload;
    size_t len;
};
int udp_parse(const struct ip_info *ip, struct udp_info *u);

struct tcp_seg {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t wnd;
    uint16_t mss;            /* 0: no option */
    int16_t wscale;          /* -1: no option */
    uint16_t hlen;
    const uint8_t *payload;
    uint32_t len;            /* payload bytes */
};
int tcp_parse(const struct ip_info *ip, struct tcp_seg *t);

#define DHCP_MAX_DNS 1
struct dhcp_msg {
    uint8_t op, type;
    uint32_t xid, yiaddr, server_id, mask, router, dns, lease_s, t1_s, t2_s;
    const uint8_t *chaddr;
};
int dhcp_parse(const uint8_t *p, size_t len, struct dhcp_msg *m);

/* Checks a response against the question (id, name, type A, class IN)
 * and returns the first A record's address for it (through CNAMEs). */
int dns_parse(const uint8_t *p, size_t len, uint16_t id, const uint8_t *qname,
              size_t qlen, uint32_t *addr);
/* Encodes a dotted name into DNS labels; returns the length or < 0. */
int dns_encode_name(const char *name, uint8_t *out, size_t cap);

/* ---- buffers and layer entry points ---- */

/* A buffer with NET_HDR_ROOM reserved; off points past it, len 0. */
struct net_buf *net_buf_tx(struct net *n);
/* Prepends `k` bytes; returns where they start. */
uint8_t *net_buf_push(struct net_buf *b, size_t k);

void eth_output_raw(struct net *n, struct net_buf *b, const uint8_t *dst, uint16_t type);
/* Prepends the IPv4 header and sends (via ARP); always consumes b. */
int ip_output(struct net *n, struct net_buf *b, uint32_t dst, uint8_t proto,
              uint32_t now_ms);
void arp_input(struct net *n, const uint8_t *p, size_t len, uint32_t now_ms);
void arp_poll(struct net *n, uint32_t now_ms);
/* Sends b (an IPv4 packet) to next hop `ip`, queueing it behind an ARP
 * request if needed. Consumes b. */
int arp_output(struct net *n, struct net_buf *b, uint32_t ip, uint32_t now_ms);

void ip_input(struct net *n, struct net_buf *b, const struct eth_info *e, uint32_t now_ms);
void udp_input(struct net *n, const struct ip_info *ip, uint32_t now_ms);
void tcp_input(struct net *n, struct net_buf *b, const struct ip_info *ip, uint32_t now_ms);
void tcp_poll(struct net *n, uint32_t now_ms);
void dhcp_poll(struct net *n, uint32_t now_ms);
void dhcp_link(struct net *n, bool up, uint32_t now_ms);
void dns_poll(struct net *n, uint32_t now_ms);

#endif /* NET_PRIV_H */
