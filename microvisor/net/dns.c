/*
 * IMPLEMENTATION NOTES
 * DNS stub resolver for A records (RFC 1035), one query at a time. Each
 * query gets a random ID and a random source port (RFC 5452); an answer
 * is accepted only from the configured server's port 53, with our ID, QR
 * set, exactly our question echoed back (name compared case-insensitively,
 * type A, class IN), and an A record owned by the question name or by the
 * end of a CNAME chain that starts at it. Names are expanded through
 * compression pointers with a bound on jumps and on the expanded length,
 * so a hostile answer cannot loop or overflow.
 */
#include <string.h>

#include "net_priv.h"

#define DNS_MAX_JUMPS 16u
#define DNS_NAME_WIRE_MAX 255u

int dns_encode_name(const char *name, uint8_t *out, size_t cap)
{
    size_t o = 0, len = strlen(name);
    if (len == 0 || len > NET_DNS_NAME_MAX || cap < len + 2)
        return NET_ERR_ARG;
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        if (l == 0 || l > 63)
            return NET_ERR_ARG;
        out[o++] = (uint8_t)l;
        memcpy(out + o, name, l);
        o += l;
        name += l + (dot ? 1 : 0);
        if (dot && !*name)
            break; /* trailing dot */
    }
    out[o++] = 0;
    return (int)o;
}

/* Expands the name at *pos into wire form in out; advances *pos past it. */
static bool dns_read_name(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out,
                          size_t *out_len)
{
    size_t p = *pos, o = 0;
    unsigned jumps = 0;
    bool jumped = false;
    for (;;) {
        if (p >= len)
            return false;
        uint8_t l = msg[p];
        if ((l & 0xc0u) == 0xc0u) {
            if (p + 1 >= len || ++jumps > DNS_MAX_JUMPS)
                return false;
            size_t target = (size_t)(l & 0x3fu) << 8 | msg[p + 1];
            if (!jumped)
                *pos = p + 2;
            jumped = true;
            p = target;
            continue;
        }
        if (l & 0xc0u)
            return false;
        if (p + 1 + l > len || o + 1 + l > DNS_NAME_WIRE_MAX)
            return false;
        memcpy(out + o, msg + p, (size_t)l + 1);
        o += (size_t)l + 1;
        p += (size_t)l + 1;
        if (l == 0)
            break;
    }
    if (!jumped)
        *pos = p;
    *out_len = o;
    return true;
}

static bool name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        uint8_t x = a[i], y = b[i];
        x = (uint8_t)(x >= 'A' && x <= 'Z' ? x + 32 : x);
        y = (uint8_t)(y >= 'A' && y <= 'Z' ? y + 32 : y);
        if (x != y)
            return false;
    }
    return true;
}

int dns_parse(const uint8_t *p, size_t len, uint16_t id, const uint8_t *qname,
              size_t qlen, uint32_t *addr)
{
    struct cur c = { p, len };
    uint16_t rid, flags, qd, an, ns, ar, type, cls, rdlen;
    uint8_t name[DNS_NAME_WIRE_MAX], cur_name[DNS_NAME_WIRE_MAX];
    size_t nlen, cur_len, pos;
    if (!cur_u16(&c, &rid) || !cur_u16(&c, &flags) || !cur_u16(&c, &qd) ||
        !cur_u16(&c, &an) || !cur_u16(&c, &ns) || !cur_u16(&c, &ar))
        return -NET_STAT_DNS_MALFORMED;
    (void)ns;
    (void)ar;
    if (rid != id || !(flags & 0x8000u) || (flags & 0x7800u) || qd != 1)
        return -NET_STAT_DNS_MISMATCH;
    pos = 12;
    if (!dns_read_name(p, len, &pos, name, &nlen) || !name_eq(name, nlen, qname, qlen))
        return -NET_STAT_DNS_MISMATCH;
    c.p = p + pos;
    c.n = len - pos;
    if (!cur_u16(&c, &type) || !cur_u16(&c, &cls))
        return -NET_STAT_DNS_MALFORMED;
    if (type != 1 || cls != 1)
        return -NET_STAT_DNS_MISMATCH;
    if ((flags & 0x000fu) != 0)
        return 1; /* NXDOMAIN, SERVFAIL...: a valid "no" */
    memcpy(cur_name, qname, qlen);
    cur_len = qlen;
    pos = len - c.n;
    for (unsigned i = 0; i < an; i++) {
        if (!dns_read_name(p, len, &pos, name, &nlen))
            return -NET_STAT_DNS_MALFORMED;
        c.p = p + pos;
        c.n = len - pos;
        uint32_t ttl;
        if (!cur_u16(&c, &type) || !cur_u16(&c, &cls) || !cur_u32(&c, &ttl) ||
            !cur_u16(&c, &rdlen) || c.n < rdlen)
            return -NET_STAT_DNS_MALFORMED;
        (void)ttl;
        size_t rdpos = len - c.n;
        bool owner = cls == 1 && name_eq(name, nlen, cur_name, cur_len);
        if (owner && type == 1 && rdlen == 4) {
            *addr = get32(p + rdpos);
            return 0;
        }
        if (owner && type == 5) {
            size_t q = rdpos;
            if (!dns_read_name(p, rdpos + rdlen, &q, cur_name, &cur_len))
                return -NET_STAT_DNS_MALFORMED;
        }
        pos = rdpos + rdlen;
    }
    return 1;
}

static void dns_send(struct net *n, uint32_t now_ms)
{
    struct dns *d = &n->dns;
    uint8_t m[12 + NET_DNS_NAME_MAX + 2 + 4];
    memset(m, 0, 12);
    put16(m, d->id);
    put16(m + 2, 0x0100); /* RD */
    put16(m + 4, 1);
    memcpy(m + 12, d->qname, d->qlen);
    put16(m + 12 + d->qlen, 1);
    put16(m + 14 + d->qlen, 1);
    udp_sendto(n, d->port, d->server, 53, m, 16u + d->qlen, now_ms);
    d->next_tx_ms = now_ms + NET_DNS_RETRY_MS;
}

static void dns_finish(struct net *n, enum dns_state st)
{
    udp_unbind(n, n->dns.port);
    n->dns.state = st;
}

static void dns_recv(struct net *n, void *arg, uint32_t src_ip, uint16_t src_port,
                     const uint8_t *data, size_t len, uint32_t now_ms)
{
    struct dns *d = &n->dns;
    uint32_t addr = 0;
    (void)arg;
    (void)now_ms;
    if (d->state != DNS_PENDING || src_ip != d->server || src_port != 53) {
        net_count(n, NET_STAT_DNS_NOT_OURS);
        return;
    }
    int r = dns_parse(data, len, d->id, d->qname, d->qlen, &addr);
    if (r < 0) {
        net_count(n, (enum net_stat)-r);
        return; /* keep waiting: a forged answer must not end the query */
    }
    d->result = addr;
    dns_finish(n, r == 0 ? DNS_DONE : DNS_FAILED);
}

int dns_query(struct net *n, const char *name, uint32_t now_ms)
{
    struct dns *d = &n->dns;
    if (d->state == DNS_PENDING)
        return NET_ERR_BUSY;
    if (!n->dns_server || !n->ip)
        return NET_ERR_NOIP;
    int l = dns_encode_name(name, d->qname, sizeof(d->qname));
    if (l < 0)
        return l;
    d->qlen = (uint8_t)l;
    d->id = (uint16_t)n->hooks.random(n->hooks.ctx);
    int port = udp_bind(n, 0, dns_recv, NULL);
    if (port < 0)
        return port;
    d->port = (uint16_t)port;
    d->server = n->dns_server;
    d->tries = 1;
    d->result = 0;
    d->state = DNS_PENDING;
    dns_send(n, now_ms);
    return NET_OK;
}

enum dns_state dns_result(const struct net *n, uint32_t *ip)
{
    if (n->dns.state == DNS_DONE && ip)
        *ip = n->dns.result;
    return n->dns.state;
}

void dns_poll(struct net *n, uint32_t now_ms)
{
    struct dns *d = &n->dns;
    if (d->state != DNS_PENDING || !TIME_GE(now_ms, d->next_tx_ms))
        return;
    if (d->tries >= NET_DNS_TRIES) {
        dns_finish(n, DNS_FAILED);
        return;
    }
    d->tries++;
    dns_send(n, now_ms);
}
