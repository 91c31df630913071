/*
 * IMPLEMENTATION NOTES
 * DHCP client (RFC 2131): INIT -> SELECTING -> REQUESTING -> BOUND ->
 * RENEWING (unicast, at T1) -> REBINDING (broadcast, at T2) -> lease lost
 * (INIT). Link down and up again while holding a lease goes through
 * INIT-REBOOT (REBOOTING): the old address is requested by broadcast and a
 * NAK or silence sends the client back to INIT. Retransmissions back off
 * from NET_DHCP_RETRY_MIN_MS to NET_DHCP_RETRY_MAX_MS; the xid is random
 * per exchange and every reply is checked for op, xid and our chaddr.
 * Times are kept in milliseconds relative to t_start_ms (when the lease was
 * granted); leases are capped at 24 days so they fit.
 */
#include <string.h>

#include "net_priv.h"

#define DHCP_DISCOVER 1
#define DHCP_OFFER    2
#define DHCP_REQUEST  3
#define DHCP_ACK      5
#define DHCP_NAK      6
#define DHCP_COOKIE   0x63825363u
#define DHCP_MAX_LEASE_S 2000000u

int dhcp_parse(const uint8_t *p, size_t len, struct dhcp_msg *m)
{
    struct cur c = { p, len };
    uint32_t cookie;
    memset(m, 0, sizeof(*m));
    if (!cur_u8(&c, &m->op) || !cur_skip(&c, 3) || !cur_u32(&c, &m->xid) ||
        !cur_skip(&c, 8) || !cur_u32(&c, &m->yiaddr) || !cur_skip(&c, 8))
        return -NET_STAT_DHCP_MALFORMED;
    m->chaddr = c.p;
    if (!cur_skip(&c, 16 + 64 + 128) || !cur_u32(&c, &cookie) || cookie != DHCP_COOKIE)
        return -NET_STAT_DHCP_MALFORMED;
    for (;;) {
        uint8_t code, olen;
        if (!cur_u8(&c, &code))
            return -NET_STAT_DHCP_MALFORMED; /* no END option */
        if (code == 0)
            continue;
        if (code == 255)
            break;
        if (!cur_u8(&c, &olen) || c.n < olen)
            return -NET_STAT_DHCP_MALFORMED;
        const uint8_t *v = c.p;
        if (code == 53 && olen == 1)
            m->type = v[0];
        else if (olen >= 4 && (code == 1 || code == 3 || code == 6 || code == 54 ||
                               code == 51 || code == 58 || code == 59)) {
            uint32_t x = get32(v);
            switch (code) {
            case 1: m->mask = x; break;
            case 3: m->router = x; break;
            case 6: m->dns = x; break;
            case 54: m->server_id = x; break;
            case 51: m->lease_s = x; break;
            case 58: m->t1_s = x; break;
            default: m->t2_s = x; break;
            }
        }
        cur_skip(&c, olen);
    }
    if (m->type == 0)
        return -NET_STAT_DHCP_MALFORMED;
    return 0;
}

static void dhcp_send(struct net *n, uint8_t type, uint32_t now_ms)
{
    struct dhcp *d = &n->dhcp;
    uint8_t m[300];
    memset(m, 0, sizeof(m));
    m[0] = 1;
    m[1] = 1;
    m[2] = 6;
    put32(m + 4, d->xid);
    bool renew = d->state == DHCP_RENEWING || d->state == DHCP_REBINDING;
    if (renew)
        put32(m + 12, n->ip); /* ciaddr */
    else
        m[10] = 0x80;         /* broadcast flag: no address to unicast to yet */
    memcpy(m + 28, n->mac, 6);
    put32(m + 236, DHCP_COOKIE);
    uint8_t *o = m + 240;
    *o++ = 53; *o++ = 1; *o++ = type;
    if (type == DHCP_REQUEST && !renew) {
        *o++ = 50; *o++ = 4;
        put32(o, d->state == DHCP_REBOOTING ? d->lease_ip : d->offered_ip);
        o += 4;
    }
    if (type == DHCP_REQUEST && d->state == DHCP_REQUESTING) {
        *o++ = 54; *o++ = 4;
        put32(o, d->server_ip);
        o += 4;
    }
    static const uint8_t params[] = { 55, 6, 1, 3, 6, 51, 58, 59, 255 };
    memcpy(o, params, sizeof(params));
    uint32_t dst = d->state == DHCP_RENEWING ? d->server_ip : 0xffffffffu;
    udp_sendto(n, 68, dst, 67, m, sizeof(m), now_ms);
    d->next_tx_ms = now_ms + d->retry_ms;
    d->retry_ms = d->retry_ms * 2u > NET_DHCP_RETRY_MAX_MS ? NET_DHCP_RETRY_MAX_MS
                                                           : d->retry_ms * 2u;
}

static void dhcp_enter(struct net *n, enum dhcp_state st, uint32_t now_ms)
{
    struct dhcp *d = &n->dhcp;
    d->state = st;
    d->retry_ms = NET_DHCP_RETRY_MIN_MS;
    d->xid = n->hooks.random(n->hooks.ctx);
    if (st == DHCP_INIT) {
        n->ip = 0;
        d->state = DHCP_SELECTING;
        dhcp_send(n, DHCP_DISCOVER, now_ms);
        return;
    }
    dhcp_send(n, DHCP_REQUEST, now_ms);
}

static void dhcp_bind(struct net *n, const struct dhcp_msg *m, uint32_t now_ms)
{
    struct dhcp *d = &n->dhcp;
    uint32_t lease = m->lease_s ? m->lease_s : 3600u;
    if (lease > DHCP_MAX_LEASE_S)
        lease = DHCP_MAX_LEASE_S;
    uint32_t t1 = m->t1_s && m->t1_s < lease ? m->t1_s : lease / 2u;
    uint32_t t2 = m->t2_s && m->t2_s < lease && m->t2_s > t1 ? m->t2_s : lease / 8u * 7u;
    if (t2 <= t1)
        t2 = t1 + (lease - t1) / 2u;
    d->lease_ms = lease * 1000u;
    d->t1_ms = t1 * 1000u;
    d->t2_ms = t2 * 1000u;
    d->t_start_ms = now_ms;
    d->lease_ip = m->yiaddr;
    if (d->server_ip == 0)
        d->server_ip = m->server_id;
    d->state = DHCP_BOUND;
    d->bound_count++;
    net_set_addr(n, m->yiaddr, m->mask ? m->mask : 0xffffff00u, m->router,
                 n->dns_server ? n->dns_server : m->dns);
}

static void dhcp_recv(struct net *n, void *arg, uint32_t src_ip, uint16_t src_port,
                      const uint8_t *data, size_t len, uint32_t now_ms)
{
    struct dhcp *d = &n->dhcp;
    struct dhcp_msg m;
    (void)arg;
    (void)src_ip;
    int r = dhcp_parse(data, len, &m);
    if (r < 0) {
        net_count(n, (enum net_stat)-r);
        return;
    }
    if (src_port != 67 || m.op != 2 || m.xid != d->xid || memcmp(m.chaddr, n->mac, 6) != 0) {
        net_count(n, NET_STAT_DHCP_NOT_OURS);
        return;
    }
    if (d->state == DHCP_SELECTING && m.type == DHCP_OFFER && m.yiaddr && m.server_id) {
        d->offered_ip = m.yiaddr;
        d->server_ip = m.server_id;
        d->state = DHCP_REQUESTING;
        d->retry_ms = NET_DHCP_RETRY_MIN_MS;
        dhcp_send(n, DHCP_REQUEST, now_ms);
        return;
    }
    bool requesting = d->state == DHCP_REQUESTING || d->state == DHCP_RENEWING ||
                      d->state == DHCP_REBINDING || d->state == DHCP_REBOOTING;
    if (requesting && m.type == DHCP_ACK && m.yiaddr) {
        dhcp_bind(n, &m, now_ms);
    } else if (requesting && m.type == DHCP_NAK) {
        net_count(n, NET_STAT_DHCP_NAK);
        d->server_ip = 0;
        dhcp_enter(n, DHCP_INIT, now_ms);
    } else {
        net_count(n, NET_STAT_DHCP_NOT_OURS);
    }
}

void dhcp_start(struct net *n, uint32_t now_ms)
{
    udp_unbind(n, 68);
    udp_bind(n, 68, dhcp_recv, NULL);
    n->dhcp.server_ip = 0;
    dhcp_enter(n, DHCP_INIT, now_ms);
}

enum dhcp_state dhcp_state(const struct net *n)
{
    return n->dhcp.state;
}

void dhcp_link(struct net *n, bool up, uint32_t now_ms)
{
    struct dhcp *d = &n->dhcp;
    if (!up || d->state == DHCP_OFF)
        return;
    if (d->state == DHCP_BOUND || d->state == DHCP_RENEWING || d->state == DHCP_REBINDING)
        dhcp_enter(n, DHCP_REBOOTING, now_ms);
    else
        dhcp_enter(n, DHCP_INIT, now_ms);
}

void dhcp_poll(struct net *n, uint32_t now_ms)
{
    struct dhcp *d = &n->dhcp;
    uint32_t held = now_ms - d->t_start_ms;
    switch (d->state) {
    case DHCP_OFF:
        return;
    case DHCP_INIT:
        dhcp_enter(n, DHCP_INIT, now_ms);
        return;
    case DHCP_BOUND:
        if (held >= d->t1_ms)
            dhcp_enter(n, DHCP_RENEWING, now_ms);
        return;
    case DHCP_RENEWING:
    case DHCP_REBINDING:
        if (held >= d->lease_ms) {
            dhcp_enter(n, DHCP_INIT, now_ms); /* lease lost */
            return;
        }
        if (d->state == DHCP_RENEWING && held >= d->t2_ms) {
            dhcp_enter(n, DHCP_REBINDING, now_ms);
            return;
        }
        break;
    case DHCP_REQUESTING:
    case DHCP_REBOOTING:
        if (TIME_GE(now_ms, d->next_tx_ms) && d->retry_ms > 4u * NET_DHCP_RETRY_MIN_MS) {
            dhcp_enter(n, DHCP_INIT, now_ms); /* two tries unanswered */
            return;
        }
        break;
    default:
        break;
    }
    if (TIME_GE(now_ms, d->next_tx_ms))
        dhcp_send(n, d->state == DHCP_SELECTING ? DHCP_DISCOVER : DHCP_REQUEST, now_ms);
}
