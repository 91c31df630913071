/*
 * IMPLEMENTATION NOTES
 * The stack's spine: the buffer pool, Ethernet, ARP, IPv4, ICMP and UDP.
 *
 * Buffers: a fixed pool (NET_POOL_N x NET_BUF_SIZE); a received frame stays
 * in the buffer the driver filled. Layers advance `off` past their header
 * and hand the same buffer up; TCP may keep it (out-of-order queue), ARP
 * may keep an outgoing one (pending queue). An ICMP echo is answered in the
 * request's own buffer. Outgoing frames are built from NET_HDR_ROOM on,
 * each layer prepending its header into the room (net_buf_push).
 *
 * Parsers are pure (no state, no output) and read through a cursor; they
 * return a negative drop statistic so every drop is counted by reason.
 *
 * IPv4 fragments (MF set or a non-zero offset) are dropped and counted:
 * TCP never needs them (MSS), DHCP and DNS answers fit a frame.
 */
#include <string.h>

#include "net_priv.h"

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

#define NET_STAT_NAME_(x) #x,
static const char *const stat_names[] = { NET_STATS(NET_STAT_NAME_) };
#undef NET_STAT_NAME_

const char *net_stat_name(unsigned stat)
{
    return stat < NET_STAT_COUNT ? stat_names[stat] : "?";
}

const uint32_t *net_stats(const struct net *n)
{
    return n->stats;
}

/* ---- checksums ---- */

uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    while (len > 1) {
        sum += (uint32_t)(p[0] << 8 | p[1]);
        p += 2;
        len -= 2;
    }
    if (len)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

uint16_t net_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t net_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len)
{
    return (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) + proto + len;
}

/* ---- buffers ---- */

struct net_buf *net_buf_alloc(struct net *n)
{
    for (unsigned i = 0; i < NET_POOL_N; i++) {
        struct net_buf *b = &n->pool[i];
        if (!b->in_use) {
            b->in_use = 1;
            b->off = 0;
            b->len = 0;
            return b;
        }
    }
    net_count(n, NET_STAT_POOL_EMPTY);
    return NULL;
}

void net_buf_free(struct net *n, struct net_buf *b)
{
    (void)n;
    if (b)
        b->in_use = 0;
}

unsigned net_bufs_free(const struct net *n)
{
    unsigned k = 0;
    for (unsigned i = 0; i < NET_POOL_N; i++)
        k += !n->pool[i].in_use;
    return k;
}

struct net_buf *net_buf_tx(struct net *n)
{
    struct net_buf *b = net_buf_alloc(n);
    if (b)
        b->off = NET_HDR_ROOM;
    return b;
}

uint8_t *net_buf_push(struct net_buf *b, size_t k)
{
    b->off = (uint16_t)(b->off - k);
    b->len = (uint16_t)(b->len + k);
    return b->data + b->off;
}

/* ---- set-up ---- */

void net_init(struct net *n, const uint8_t mac[6], const struct net_hooks *hooks)
{
    memset(n, 0, sizeof(*n));
    n->hooks = *hooks;
    memcpy(n->mac, mac, 6);
    n->link_up = true;
    n->ip_id = (uint16_t)hooks->random(hooks->ctx);
    n->next_port = (uint16_t)(NET_TCP_EPHEMERAL_BASE + hooks->random(hooks->ctx) % 16384u);
}

void net_set_addr(struct net *n, uint32_t ip, uint32_t mask, uint32_t router,
                  uint32_t dns_server)
{
    n->ip = ip;
    n->mask = mask;
    n->router = router;
    n->dns_server = dns_server;
}

void net_link(struct net *n, bool up, uint32_t now_ms)
{
    bool was = n->link_up;
    n->link_up = up;
    if (up != was)
        dhcp_link(n, up, now_ms);
}

void net_poll(struct net *n, uint32_t now_ms)
{
    n->last_now_ms = now_ms;
    arp_poll(n, now_ms);
    dhcp_poll(n, now_ms);
    dns_poll(n, now_ms);
    tcp_poll(n, now_ms);
}

/* ---- Ethernet ---- */

int eth_parse(const uint8_t *f, size_t len, struct eth_info *e)
{
    struct cur c = { f, len };
    e->dst = c.p;
    e->src = c.p + 6;
    if (!cur_skip(&c, 12) || !cur_u16(&c, &e->type))
        return -NET_STAT_ETH_SHORT;
    e->payload = c.p;
    e->len = c.n;
    return 0;
}

void eth_output_raw(struct net *n, struct net_buf *b, const uint8_t *dst, uint16_t type)
{
    uint8_t *h = net_buf_push(b, ETH_HLEN);
    memcpy(h, dst, 6);
    memcpy(h + 6, n->mac, 6);
    put16(h + 12, type);
    while (b->len < 60 && b->off + b->len < NET_BUF_SIZE)
        b->data[b->off + b->len++] = 0;
    if (!n->link_up || n->hooks.output(n->hooks.ctx, h, b->len) != 0)
        net_count(n, NET_STAT_TX_FAILED);
    else
        net_count(n, NET_STAT_TX_FRAMES);
    net_buf_free(n, b);
}

void net_input(struct net *n, const uint8_t *frame, size_t len, uint32_t now_ms)
{
    struct net_buf *b;
    if (len > NET_BUF_SIZE || (b = net_buf_alloc(n)) == NULL)
        return;
    memcpy(b->data, frame, len);
    b->len = (uint16_t)len;
    net_input_buf(n, b, now_ms);
}

void net_input_buf(struct net *n, struct net_buf *b, uint32_t now_ms)
{
    struct eth_info e;
    int r = eth_parse(b->data + b->off, b->len, &e);
    n->last_now_ms = now_ms;
    net_count(n, NET_STAT_RX_FRAMES);
    if (r < 0) {
        net_count(n, (enum net_stat)-r);
    } else if (memcmp(e.dst, n->mac, 6) != 0 && memcmp(e.dst, bcast_mac, 6) != 0) {
        net_count(n, NET_STAT_ETH_NOT_US);
    } else if (e.type == ETH_TYPE_ARP) {
        arp_input(n, e.payload, e.len, now_ms);
    } else if (e.type == ETH_TYPE_IP) {
        ip_input(n, b, &e, now_ms);
        return; /* ip_input owns b */
    } else {
        net_count(n, NET_STAT_ETH_TYPE);
    }
    net_buf_free(n, b);
}

/* ---- ARP ---- */

int arp_parse(const uint8_t *p, size_t len, struct arp_info *a)
{
    struct cur c = { p, len };
    uint16_t htype, ptype;
    uint8_t hlen, plen;
    if (!cur_u16(&c, &htype) || !cur_u16(&c, &ptype) || !cur_u8(&c, &hlen) ||
        !cur_u8(&c, &plen) || !cur_u16(&c, &a->op))
        return -NET_STAT_ARP_MALFORMED;
    if (htype != 1 || ptype != ETH_TYPE_IP || hlen != 6 || plen != 4 ||
        (a->op != 1 && a->op != 2))
        return -NET_STAT_ARP_MALFORMED;
    a->sha = c.p;
    if (!cur_skip(&c, 6) || !cur_u32(&c, &a->spa))
        return -NET_STAT_ARP_MALFORMED;
    a->tha = c.p;
    if (!cur_skip(&c, 6) || !cur_u32(&c, &a->tpa))
        return -NET_STAT_ARP_MALFORMED;
    return 0;
}

static void arp_send(struct net *n, uint16_t op, const uint8_t *tha, uint32_t tpa)
{
    static const uint8_t zero[6];
    struct net_buf *b = net_buf_tx(n);
    if (!b)
        return;
    uint8_t *a = b->data + b->off;
    put16(a, 1);
    put16(a + 2, ETH_TYPE_IP);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, n->mac, 6);
    put32(a + 14, n->ip);
    memcpy(a + 18, op == 1 ? zero : tha, 6);
    put32(a + 24, tpa);
    b->len = 28;
    eth_output_raw(n, b, op == 1 ? bcast_mac : tha, ETH_TYPE_ARP);
}

static struct net_arp_entry *arp_find(struct net *n, uint32_t ip)
{
    for (unsigned i = 0; i < NET_ARP_N; i++)
        if (n->arp[i].ip == ip && ip != 0)
            return &n->arp[i];
    return NULL;
}

static void arp_drop_waiting(struct net *n, uint32_t ip)
{
    for (unsigned i = 0; i < NET_ARP_PENDING; i++) {
        struct net_arp_wait *w = &n->arp_wait[i];
        if (w->buf && w->ip == ip) {
            net_buf_free(n, w->buf);
            w->buf = NULL;
            net_count(n, NET_STAT_ARP_UNRESOLVED);
        }
    }
}

/* A free entry, else the one expiring first (its waiters are dropped). */
static struct net_arp_entry *arp_new(struct net *n, uint32_t ip)
{
    struct net_arp_entry *victim = &n->arp[0];
    for (unsigned i = 0; i < NET_ARP_N; i++) {
        struct net_arp_entry *e = &n->arp[i];
        if (e->ip == 0) {
            victim = e;
            break;
        }
        if (SEQ_LT(e->deadline_ms, victim->deadline_ms))
            victim = e;
    }
    if (victim->ip)
        arp_drop_waiting(n, victim->ip);
    memset(victim, 0, sizeof(*victim));
    victim->ip = ip;
    return victim;
}

static void arp_learn(struct net *n, struct net_arp_entry *e, const uint8_t *mac,
                      uint32_t now_ms)
{
    memcpy(e->mac, mac, 6);
    e->resolved = true;
    e->deadline_ms = now_ms + NET_ARP_TTL_MS;
    for (unsigned i = 0; i < NET_ARP_PENDING; i++) {
        struct net_arp_wait *w = &n->arp_wait[i];
        if (w->buf && w->ip == e->ip) {
            struct net_buf *b = w->buf;
            w->buf = NULL;
            eth_output_raw(n, b, e->mac, ETH_TYPE_IP);
        }
    }
}

void arp_input(struct net *n, const uint8_t *p, size_t len, uint32_t now_ms)
{
    struct arp_info a;
    int r = arp_parse(p, len, &a);
    if (r < 0) {
        net_count(n, (enum net_stat)-r);
        return;
    }
    if (a.spa == 0 || a.sha[0] & 1) {
        net_count(n, NET_STAT_ARP_MALFORMED);
        return;
    }
    /* RFC 826 merge: refresh a known sender; learn it if it asks for us. */
    struct net_arp_entry *e = arp_find(n, a.spa);
    bool for_us = n->ip != 0 && a.tpa == n->ip;
    if (!e && for_us)
        e = arp_new(n, a.spa);
    if (e)
        arp_learn(n, e, a.sha, now_ms);
    if (!for_us) {
        net_count(n, NET_STAT_ARP_NOT_US);
        return;
    }
    if (a.op == 1)
        arp_send(n, 2, a.sha, a.spa);
}

int arp_output(struct net *n, struct net_buf *b, uint32_t ip, uint32_t now_ms)
{
    struct net_arp_entry *e = arp_find(n, ip);
    if (e && e->resolved) {
        eth_output_raw(n, b, e->mac, ETH_TYPE_IP);
        return 0;
    }
    struct net_arp_wait *slot = NULL;
    for (unsigned i = 0; i < NET_ARP_PENDING; i++)
        if (!n->arp_wait[i].buf)
            slot = &n->arp_wait[i];
    if (!slot) {
        net_count(n, NET_STAT_ARP_PENDING_FULL);
        net_buf_free(n, b);
        return NET_ERR_NOBUF;
    }
    slot->buf = b;
    slot->ip = ip;
    if (!e) {
        e = arp_new(n, ip);
        e->tries = 1;
        e->deadline_ms = now_ms + NET_ARP_RETRY_MS;
        arp_send(n, 1, NULL, ip);
    }
    return 0;
}

void arp_poll(struct net *n, uint32_t now_ms)
{
    for (unsigned i = 0; i < NET_ARP_N; i++) {
        struct net_arp_entry *e = &n->arp[i];
        if (e->ip == 0 || !TIME_GE(now_ms, e->deadline_ms))
            continue;
        if (e->resolved || e->tries >= NET_ARP_TRIES) {
            arp_drop_waiting(n, e->ip);
            e->ip = 0;
            continue;
        }
        e->tries++;
        e->deadline_ms = now_ms + NET_ARP_RETRY_MS;
        arp_send(n, 1, NULL, e->ip);
    }
}

/* ---- IPv4 ---- */

int ipv4_parse(const uint8_t *p, size_t len, struct ip_info *ip)
{
    struct cur c = { p, len };
    uint8_t vhl, tos;
    uint16_t id, frag, csum;
    if (!cur_u8(&c, &vhl) || !cur_u8(&c, &tos) || !cur_u16(&c, &ip->total) ||
        !cur_u16(&c, &id) || !cur_u16(&c, &frag) || !cur_u8(&c, &ip->ttl) ||
        !cur_u8(&c, &ip->proto) || !cur_u16(&c, &csum) || !cur_u32(&c, &ip->src) ||
        !cur_u32(&c, &ip->dst))
        return -NET_STAT_IP_SHORT;
    (void)tos;
    (void)id;
    (void)csum;
    if (vhl >> 4 != 4)
        return -NET_STAT_IP_VERSION;
    ip->hlen = (uint16_t)((vhl & 0xfu) * 4u);
    if (ip->hlen < 20 || ip->hlen > len)
        return -NET_STAT_IP_HLEN;
    if (ip->total < ip->hlen || ip->total > len)
        return -NET_STAT_IP_LEN;
    if (net_csum_fold(net_csum_add(0, p, ip->hlen)) != 0)
        return -NET_STAT_IP_CHECKSUM;
    if (frag & 0x3fffu)
        return -NET_STAT_IP_FRAGMENT;
    ip->hdr = p;
    ip->payload = p + ip->hlen;
    ip->len = (size_t)ip->total - ip->hlen;
    return 0;
}

static bool ip_is_bcast(const struct net *n, uint32_t a)
{
    return a == 0xffffffffu || (n->mask && n->ip && a == (n->ip | ~n->mask));
}

int ip_output(struct net *n, struct net_buf *b, uint32_t dst, uint8_t proto,
              uint32_t now_ms)
{
    uint8_t *h = net_buf_push(b, 20);
    h[0] = 0x45;
    h[1] = 0;
    put16(h + 2, b->len);
    put16(h + 4, n->ip_id++);
    put16(h + 6, 0x4000); /* DF */
    h[8] = 64;
    h[9] = proto;
    put16(h + 10, 0);
    put32(h + 12, n->ip);
    put32(h + 16, dst);
    put16(h + 10, net_csum_fold(net_csum_add(0, h, 20)));
    if (ip_is_bcast(n, dst)) {
        eth_output_raw(n, b, bcast_mac, ETH_TYPE_IP);
        return 0;
    }
    uint32_t hop = dst;
    if (n->router && n->mask && (dst & n->mask) != (n->ip & n->mask))
        hop = n->router;
    return arp_output(n, b, hop, now_ms);
}

int icmp_parse(const uint8_t *p, size_t len, struct icmp_info *ic)
{
    struct cur c = { p, len };
    if (!cur_u8(&c, &ic->type) || !cur_u8(&c, &ic->code) || !cur_skip(&c, 6))
        return -NET_STAT_ICMP_SHORT;
    if (net_csum_fold(net_csum_add(0, p, len)) != 0)
        return -NET_STAT_ICMP_CHECKSUM;
    return 0;
}

/* Echo reply in the request's own buffer. */
static void icmp_input(struct net *n, struct net_buf *b, const struct ip_info *ip,
                       uint32_t now_ms)
{
    struct icmp_info ic;
    int r = icmp_parse(ip->payload, ip->len, &ic);
    if (r < 0 || ic.type != 8 || ip->dst != n->ip) {
        net_count(n, r < 0 ? (enum net_stat)-r : NET_STAT_ICMP_TYPE);
        net_buf_free(n, b);
        return;
    }
    b->off = (uint16_t)(ip->payload - b->data);
    b->len = (uint16_t)ip->len;
    uint8_t *m = b->data + b->off;
    m[0] = 0;
    put16(m + 2, 0);
    put16(m + 2, net_csum_fold(net_csum_add(0, m, b->len)));
    net_count(n, NET_STAT_ICMP_ECHO_REPLIED);
    ip_output(n, b, ip->src, IP_PROTO_ICMP, now_ms);
}

void ip_input(struct net *n, struct net_buf *b, const struct eth_info *e, uint32_t now_ms)
{
    struct ip_info ip;
    int r = ipv4_parse(e->payload, e->len, &ip);
    if (r < 0)
        goto drop_counted;
    if (ip.src == 0xffffffffu || (ip.src >> 24) == 127 || (ip.src >> 28) == 0xe) {
        r = -NET_STAT_IP_SRC;
        goto drop_counted;
    }
    /* Before DHCP has bound an address, only broadcast and DHCP-to-us. */
    if (!(ip.dst == n->ip && n->ip != 0) && !ip_is_bcast(n, ip.dst) &&
        !(n->ip == 0 && ip.proto == IP_PROTO_UDP)) {
        r = -NET_STAT_IP_NOT_US;
        goto drop_counted;
    }
    switch (ip.proto) {
    case IP_PROTO_ICMP:
        icmp_input(n, b, &ip, now_ms);
        return;
    case IP_PROTO_TCP:
        tcp_input(n, b, &ip, now_ms);
        return;
    case IP_PROTO_UDP:
        udp_input(n, &ip, now_ms);
        net_buf_free(n, b);
        return;
    default:
        r = -NET_STAT_IP_PROTO;
        break;
    }
drop_counted:
    net_count(n, (enum net_stat)-r);
    net_buf_free(n, b);
}

/* ---- UDP ---- */

int udp_parse(const struct ip_info *ip, struct udp_info *u)
{
    struct cur c = { ip->payload, ip->len };
    uint16_t ulen, csum;
    if (!cur_u16(&c, &u->sport) || !cur_u16(&c, &u->dport) || !cur_u16(&c, &ulen) ||
        !cur_u16(&c, &csum))
        return -NET_STAT_UDP_SHORT;
    if (ulen < 8 || ulen > ip->len)
        return -NET_STAT_UDP_LEN;
    if (csum != 0) {
        uint32_t s = net_pseudo_sum(ip->src, ip->dst, IP_PROTO_UDP, ulen);
        if (net_csum_fold(net_csum_add(s, ip->payload, ulen)) != 0)
            return -NET_STAT_UDP_CHECKSUM;
    }
    u->payload = ip->payload + 8;
    u->len = (size_t)ulen - 8;
    return 0;
}

void udp_input(struct net *n, const struct ip_info *ip, uint32_t now_ms)
{
    struct udp_info u;
    int r = udp_parse(ip, &u);
    if (r < 0) {
        net_count(n, (enum net_stat)-r);
        return;
    }
    for (unsigned i = 0; i < NET_UDP_N; i++) {
        struct udp_pcb *p = &n->udp[i];
        if (p->port && p->port == u.dport) {
            p->fn(n, p->arg, ip->src, u.sport, u.payload, u.len, now_ms);
            return;
        }
    }
    net_count(n, NET_STAT_UDP_NO_PORT);
}

int udp_bind(struct net *n, uint16_t port, udp_recv_fn fn, void *arg)
{
    struct udp_pcb *free_pcb = NULL;
    if (port == 0)
        port = (uint16_t)(NET_TCP_EPHEMERAL_BASE + n->hooks.random(n->hooks.ctx) % 16384u);
    for (unsigned i = 0; i < NET_UDP_N; i++) {
        if (n->udp[i].port == port)
            return NET_ERR_BUSY;
        if (!n->udp[i].port)
            free_pcb = &n->udp[i];
    }
    if (!free_pcb || !fn)
        return NET_ERR_BUSY;
    free_pcb->port = port;
    free_pcb->fn = fn;
    free_pcb->arg = arg;
    return port;
}

void udp_unbind(struct net *n, uint16_t port)
{
    for (unsigned i = 0; i < NET_UDP_N; i++)
        if (n->udp[i].port == port)
            memset(&n->udp[i], 0, sizeof(n->udp[i]));
}

int udp_sendto(struct net *n, uint16_t sport, uint32_t dip, uint16_t dport,
               const uint8_t *data, size_t len, uint32_t now_ms)
{
    if (len > NET_BUF_SIZE - NET_HDR_ROOM - 8)
        return NET_ERR_ARG;
    struct net_buf *b = net_buf_tx(n);
    if (!b)
        return NET_ERR_NOBUF;
    uint8_t *u = b->data + b->off;
    memcpy(u + 8, data, len);
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, 8 + len);
    put16(u + 6, 0);
    b->len = (uint16_t)(8 + len);
    uint16_t cs = net_csum_fold(net_csum_add(
        net_pseudo_sum(n->ip, dip, IP_PROTO_UDP, b->len), u, b->len));
    put16(u + 6, cs ? cs : 0xffff);
    return ip_output(n, b, dip, IP_PROTO_UDP, now_ms);
}
