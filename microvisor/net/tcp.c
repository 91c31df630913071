/*
 * IMPLEMENTATION NOTES
 * A TCP client (active open only) after RFC 793/9293, with:
 *  - RFC 6298 retransmission timer (one RTT sample in flight, Karn's rule,
 *    exponential back-off), go-back-N from snd_una on timeout;
 *  - RFC 5681 slow start and congestion avoidance, fast retransmit on the
 *    third duplicate ACK and NewReno (RFC 6582) partial-ACK recovery;
 *  - RFC 7323 window scaling, receive side fixed at scale 0: we offer
 *    shift 0 and honour the peer's shift, so our window is the free space
 *    of the caller's receive ring (<= NET_TCP_RCV_WND_MAX <= 65535);
 *  - RFC 5961 blind-attack mitigations: RST must hit rcv_nxt exactly (else
 *    a challenge ACK), any SYN on a synchronized connection gets a
 *    challenge ACK, ACKs outside [snd_una - max_snd_wnd, snd_max] are
 *    dropped with an ACK; challenge ACKs are rate-limited per second;
 *  - out-of-order data written into the receive ring at its place (the
 *    window never exceeds the ring's free space) and tracked as up to
 *    NET_TCP_OOO_N ranges, so no packet buffer is held;
 *  - early retransmit (RFC 5827): oseg - 1 duplicate ACKs when two or
 *    three segments are outstanding and nothing new can be sent;
 *  - keepalive; orderly and abortive close; TIME_WAIT kept in a small
 *    table of the stack (NET_TCP_TW_N records) so the caller's socket is
 *    free as soon as the close completes.
 * ACKs: at once for every full-sized in-order segment (NET_TCP_ACK_EVERY),
 * out-of-order or duplicate data, FIN and window updates; small segments
 * at the next net_poll() (the driver polls after each batch of frames).
 * The receive window is at most NET_TCP_RCV_WND_MAX (the NIC's RX FIFO).
 * Not implemented (documented in docs/network.md): passive open, SACK,
 * timestamps, urgent data, simultaneous open.
 */
#include <string.h>

#include "net_priv.h"

#define TCP_OPT_LEN_SYN 8u /* MSS (4) + NOP + window scale (3) */

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t max32(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* ---- parser ---- */

int tcp_parse(const struct ip_info *ip, struct tcp_seg *t)
{
    struct cur c = { ip->payload, ip->len };
    uint8_t off, flags;
    uint16_t csum, urg;
    if (!cur_u16(&c, &t->sport) || !cur_u16(&c, &t->dport) || !cur_u32(&c, &t->seq) ||
        !cur_u32(&c, &t->ack) || !cur_u8(&c, &off) || !cur_u8(&c, &flags) ||
        !cur_u16(&c, &t->wnd) || !cur_u16(&c, &csum) || !cur_u16(&c, &urg))
        return -NET_STAT_TCP_SHORT;
    (void)csum;
    (void)urg;
    t->flags = flags & 0x3fu;
    t->hlen = (uint16_t)((off >> 4) * 4u);
    if (t->hlen < 20 || t->hlen > ip->len)
        return -NET_STAT_TCP_HLEN;
    uint32_t s = net_pseudo_sum(ip->src, ip->dst, IP_PROTO_TCP, (uint32_t)ip->len);
    if (net_csum_fold(net_csum_add(s, ip->payload, ip->len)) != 0)
        return -NET_STAT_TCP_CHECKSUM;
    t->mss = 0;
    t->wscale = -1;
    struct cur o = { ip->payload + 20, (size_t)t->hlen - 20 };
    while (o.n) {
        uint8_t kind, len;
        if (!cur_u8(&o, &kind) || kind == 0)
            break;
        if (kind == 1)
            continue;
        if (!cur_u8(&o, &len) || len < 2 || !cur_skip(&o, 0) || o.n < (size_t)len - 2)
            return -NET_STAT_TCP_OPTIONS;
        if (kind == 2 && len == 4)
            t->mss = get16(o.p);
        else if (kind == 3 && len == 3)
            t->wscale = (int16_t)min32(o.p[0], 14);
        cur_skip(&o, (size_t)len - 2);
    }
    t->payload = ip->payload + t->hlen;
    t->len = (uint32_t)(ip->len - t->hlen);
    return 0;
}

/* ---- output ---- */

static uint32_t rcv_window(const struct tcp_sock *s)
{
    return min32(s->rx_cap - s->rx_len, NET_TCP_RCV_WND_MAX);
}

static void ring_read(const uint8_t *ring, uint32_t cap, uint32_t pos, uint8_t *out,
                      uint32_t len)
{
    pos %= cap;
    uint32_t first = min32(len, cap - pos);
    memcpy(out, ring + pos, first);
    memcpy(out + first, ring, len - first);
}

static void ring_write(uint8_t *ring, uint32_t cap, uint32_t pos, const uint8_t *in,
                       uint32_t len)
{
    pos %= cap;
    uint32_t first = min32(len, cap - pos);
    memcpy(ring + pos, in, first);
    memcpy(ring, in + first, len - first);
}

static bool ooo_held(const struct tcp_sock *s)
{
    bool held = s->ooo_fin;
    for (unsigned i = 0; i < NET_TCP_OOO_N; i++)
        held |= s->ooo[i].len != 0;
    return held;
}

static void tcp_emit(struct net *n, uint32_t sip, uint32_t dip, uint16_t sport,
                     uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                     uint16_t wnd, struct net_buf *b, uint32_t now_ms)
{
    uint32_t optlen = (flags & TCP_SYN) ? TCP_OPT_LEN_SYN : 0;
    uint8_t *h = net_buf_push(b, 20 + optlen);
    put16(h, sport);
    put16(h + 2, dport);
    put32(h + 4, seq);
    put32(h + 8, ack);
    h[12] = (uint8_t)((20 + optlen) / 4 << 4);
    h[13] = flags;
    put16(h + 14, wnd);
    put32(h + 16, 0);
    if (optlen) {
        h[20] = 2; h[21] = 4; put16(h + 22, NET_TCP_MSS);
        h[24] = 1; h[25] = 3; h[26] = 3; h[27] = 0;
    }
    put16(h + 16, net_csum_fold(net_csum_add(
        net_pseudo_sum(sip, dip, IP_PROTO_TCP, b->len), h, b->len)));
    ip_output(n, b, dip, IP_PROTO_TCP, now_ms);
}

/* Sends one segment of `s`: `len` bytes of the send ring from `seq`. */
static void tcp_segment(struct net *n, struct tcp_sock *s, uint32_t seq, uint8_t flags,
                        uint32_t len, uint32_t now_ms)
{
    struct net_buf *b = net_buf_tx(n);
    if (!b)
        return;
    if (len)
        ring_read(s->tx_buf, s->tx_cap, s->tx_head + (seq - s->snd_una),
                  b->data + b->off, len);
    b->len = (uint16_t)len;
    uint32_t wnd = rcv_window(s);
    bool hole = ooo_held(s);
    /* Never shrink the window; and while a hole is open, keep the right
     * edge of a duplicate ACK where the previous ACK put it, so it counts
     * as a duplicate (same window) and the sender's fast retransmit fires.
     * An ACK that acknowledges new data is no duplicate: it offers the
     * whole window, so the sender may send past a hole that remains. */
    if (SEQ_LT(s->rcv_nxt + wnd, s->rcv_adv) ||
        (hole && s->rcv_nxt == s->rcv_acked && SEQ_GE(s->rcv_adv, s->rcv_nxt)))
        wnd = s->rcv_adv - s->rcv_nxt;
    if (flags & TCP_ACK) {
        s->rcv_acked = s->rcv_nxt;
        s->rcv_adv = s->rcv_nxt + wnd;
        s->ack_pending = 0;
        s->ack_now = false;
    }
    tcp_emit(n, n->ip, s->rip, s->lport, s->rport, seq, s->rcv_nxt, flags,
             (uint16_t)wnd, b, now_ms);
}

static void tcp_send_ack(struct net *n, struct tcp_sock *s, uint32_t now_ms)
{
    tcp_segment(n, s, s->snd_nxt, TCP_ACK, 0, now_ms);
}

static void tcp_challenge_ack(struct net *n, struct tcp_sock *s, uint32_t now_ms)
{
    if (now_ms - n->challenge_window_ms >= 1000u) {
        n->challenge_window_ms = now_ms;
        n->challenge_count = 0;
    }
    if (n->challenge_count >= NET_TCP_CHALLENGE_PER_S) {
        net_count(n, NET_STAT_TCP_CHALLENGE_LIMITED);
        return;
    }
    n->challenge_count++;
    net_count(n, NET_STAT_TCP_CHALLENGE_ACK);
    tcp_send_ack(n, s, now_ms);
}

/* RST for a segment no connection wants (RFC 793 "Reset Generation"). */
static void tcp_reset_reply(struct net *n, const struct ip_info *ip, const struct tcp_seg *t,
                            uint32_t now_ms)
{
    struct net_buf *b;
    if ((t->flags & TCP_RST) || ip->dst != n->ip || (b = net_buf_tx(n)) == NULL)
        return;
    net_count(n, NET_STAT_TCP_RST_SENT);
    if (t->flags & TCP_ACK)
        tcp_emit(n, ip->dst, ip->src, t->dport, t->sport, t->ack, 0, TCP_RST, 0, b, now_ms);
    else
        tcp_emit(n, ip->dst, ip->src, t->dport, t->sport, 0,
                 t->seq + t->len + !!(t->flags & TCP_SYN) + !!(t->flags & TCP_FIN),
                 TCP_RST | TCP_ACK, 0, b, now_ms);
}

static void rtx_arm(struct tcp_sock *s, uint32_t now_ms)
{
    s->rtx_armed = true;
    s->rtx_deadline_ms = now_ms + s->rto;
}

static uint32_t data_in_flight(const struct tcp_sock *s)
{
    return min32(s->snd_nxt - s->snd_una, s->tx_len);
}

/* Sends what the windows allow: new data, then the FIN. */
static void tcp_output(struct net *n, struct tcp_sock *s, uint32_t now_ms)
{
    if (s->state == TCP_CLOSED || s->state == TCP_SYN_SENT || s->state == TCP_FIN_WAIT_2)
        return;
    for (;;) {
        if (s->snd_nxt - s->snd_una > s->tx_len)
            return; /* FIN sent */
        uint32_t sent = data_in_flight(s);
        uint32_t avail = s->tx_len - sent;
        uint32_t wnd = min32(s->snd_wnd, s->cwnd);
        uint32_t flight = s->snd_nxt - s->snd_una;
        uint32_t room = wnd > flight ? wnd - flight : 0;
        uint32_t len = min32(min32(avail, s->mss), room);
        bool fin = s->fin_queued && len == avail;
        if (len == 0 && !fin) {
            if (avail && flight == 0 && !s->rtx_armed)
                rtx_arm(s, now_ms); /* zero window: the persist timer */
            return;
        }
        uint8_t flags = TCP_ACK | (len && len == avail ? TCP_PSH : 0) | (fin ? TCP_FIN : 0);
        uint32_t seq = s->snd_nxt;
        tcp_segment(n, s, seq, flags, len, now_ms);
        s->snd_nxt += len + fin;
        if (SEQ_GT(s->snd_nxt, s->snd_max)) {
            if (!s->rtt_timing) {
                s->rtt_timing = true;
                s->rtt_seq = seq;
                s->rtt_start_ms = now_ms;
            }
            s->snd_max = s->snd_nxt;
        }
        if (!s->rtx_armed)
            rtx_arm(s, now_ms);
        if (fin)
            return;
    }
}

/* ---- socket life ---- */

static void tcp_release(struct net *n, struct tcp_sock *s, int err)
{
    memset(s->ooo, 0, sizeof(s->ooo));
    s->ooo_fin = false;
    for (struct tcp_sock **p = &n->socks; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    s->next = NULL;
    s->state = TCP_CLOSED;
    s->rtx_armed = false;
    if (err)
        s->err = err;
}

static void tcp_time_wait(struct net *n, struct tcp_sock *s, uint32_t now_ms)
{
    struct net_tw *tw = &n->tw[0];
    for (unsigned i = 0; i < NET_TCP_TW_N; i++) {
        if (!n->tw[i].lport) {
            tw = &n->tw[i];
            break;
        }
        if (SEQ_LT(n->tw[i].deadline_ms, tw->deadline_ms))
            tw = &n->tw[i];
    }
    tw->rip = s->rip;
    tw->lport = s->lport;
    tw->rport = s->rport;
    tw->snd_nxt = s->snd_nxt;
    tw->rcv_nxt = s->rcv_nxt;
    tw->deadline_ms = now_ms + NET_TCP_TIME_WAIT_MS;
    tcp_release(n, s, 0);
}

static bool port_in_use(struct net *n, uint16_t port)
{
    for (struct tcp_sock *s = n->socks; s; s = s->next)
        if (s->lport == port)
            return true;
    for (unsigned i = 0; i < NET_TCP_TW_N; i++)
        if (n->tw[i].lport == port)
            return true;
    return false;
}

int tcp_connect(struct net *n, struct tcp_sock *s, uint32_t ip, uint16_t port,
                uint8_t *rx_buf, uint32_t rx_cap, uint8_t *tx_buf, uint32_t tx_cap,
                uint32_t now_ms)
{
    if (!s || !rx_buf || !tx_buf || !rx_cap || !tx_cap || !ip || !port ||
        s->state != TCP_CLOSED)
        return NET_ERR_ARG;
    for (struct tcp_sock *o = n->socks; o; o = o->next)
        if (o == s)
            return NET_ERR_BUSY;
    if (!n->ip)
        return NET_ERR_NOIP;
    memset(s, 0, sizeof(*s));
    do {
        n->next_port++;
        if (n->next_port < NET_TCP_EPHEMERAL_BASE)
            n->next_port = NET_TCP_EPHEMERAL_BASE;
    } while (port_in_use(n, n->next_port));
    s->lport = n->next_port;
    s->rip = ip;
    s->rport = port;
    s->rx_buf = rx_buf;
    s->rx_cap = rx_cap;
    s->tx_buf = tx_buf;
    s->tx_cap = tx_cap;
    s->iss = n->hooks.random(n->hooks.ctx);
    s->snd_una = s->iss;
    s->snd_nxt = s->snd_max = s->iss + 1;
    s->mss = 536;
    s->rto = NET_TCP_RTO_INIT_MS;
    s->cwnd = 536;
    s->ssthresh = 0xffffffffu;
    s->last_rx_ms = now_ms;
    s->state = TCP_SYN_SENT;
    s->next = n->socks;
    n->socks = s;
    struct net_buf *b = net_buf_tx(n);
    if (b) {
        b->len = 0;
        tcp_emit(n, n->ip, ip, s->lport, port, s->iss, 0, TCP_SYN,
                 (uint16_t)rcv_window(s), b, now_ms);
    }
    s->rtt_timing = true;
    s->rtt_seq = s->iss;
    s->rtt_start_ms = now_ms;
    rtx_arm(s, now_ms);
    return NET_OK;
}

uint32_t tcp_send_space(const struct tcp_sock *s)
{
    return s->tx_cap - s->tx_len;
}

uint32_t tcp_unacked(const struct tcp_sock *s)
{
    return s->tx_len;
}

int tcp_send(struct net *n, struct tcp_sock *s, const uint8_t *data, size_t len,
             uint32_t now_ms)
{
    if (s->state == TCP_CLOSED)
        return s->err ? s->err : NET_ERR_ARG;
    if (s->fin_queued)
        return NET_ERR_ARG;
    uint32_t k = min32((uint32_t)min32((uint32_t)len, 0x7fffffffu), tcp_send_space(s));
    ring_write(s->tx_buf, s->tx_cap, s->tx_head + s->tx_len, data, k);
    s->tx_len += k;
    tcp_output(n, s, now_ms);
    return (int)k;
}

int tcp_recv(struct net *n, struct tcp_sock *s, uint8_t *buf, size_t cap, uint32_t now_ms)
{
    uint32_t k = min32(s->rx_len, (uint32_t)min32((uint32_t)cap, 0x7fffffffu));
    if (k == 0) {
        if (s->err)
            return s->err;
        return s->fin_rcvd ? NET_EOF : 0;
    }
    ring_read(s->rx_buf, s->rx_cap, s->rx_head, buf, k);
    s->rx_head = (s->rx_head + k) % s->rx_cap;
    s->rx_len -= k;
    /* Window update once the window has grown by min(MSS, half the ring)
     * (RFC 1122 4.2.3.3). While a hole is open its right edge is held, so
     * the update carries the same window and the sender counts it as a
     * duplicate ACK: measured, these (RFC 5681 4.2 allows an ACK as the
     * application consumes data) halve the impaired 1 MiB receive against
     * slirp, whose windows are too small for three duplicates otherwise. */
    uint32_t advertised = s->rcv_adv - s->rcv_nxt;
    if (s->state != TCP_CLOSED && !s->fin_rcvd && rcv_window(s) > advertised &&
        rcv_window(s) - advertised >= min32(s->rx_cap / 2, s->mss))
        tcp_send_ack(n, s, now_ms);
    return (int)k;
}

int tcp_close(struct net *n, struct tcp_sock *s, uint32_t now_ms)
{
    switch (s->state) {
    case TCP_SYN_SENT:
        tcp_release(n, s, 0);
        return NET_OK;
    case TCP_ESTABLISHED:
        s->state = TCP_FIN_WAIT_1;
        break;
    case TCP_CLOSE_WAIT:
        s->state = TCP_LAST_ACK;
        break;
    default:
        return NET_ERR_ARG;
    }
    s->fin_queued = true;
    tcp_output(n, s, now_ms);
    return NET_OK;
}

void tcp_abort(struct net *n, struct tcp_sock *s, uint32_t now_ms)
{
    if (s->state == TCP_CLOSED)
        return;
    if (s->state != TCP_SYN_SENT) {
        tcp_segment(n, s, s->snd_nxt, TCP_RST | TCP_ACK, 0, now_ms);
        net_count(n, NET_STAT_TCP_RST_SENT);
    }
    tcp_release(n, s, NET_ERR_ABORTED);
}

void tcp_keepalive(struct tcp_sock *s, bool on)
{
    s->keepalive = on;
}

/* ---- input ---- */

static void rtt_sample(struct tcp_sock *s, uint32_t r)
{
    if (s->srtt == 0) {
        s->srtt = r ? r : 1;
        s->rttvar = r / 2;
    } else {
        uint32_t d = s->srtt > r ? s->srtt - r : r - s->srtt;
        s->rttvar = (3u * s->rttvar + d) / 4u;
        s->srtt = (7u * s->srtt + r) / 8u;
    }
    s->rto = s->srtt + max32(NET_POLL_MS, 4u * s->rttvar);
    s->rto = min32(max32(s->rto, NET_TCP_RTO_MIN_MS), NET_TCP_RTO_MAX_MS);
}

/* Appends in-order payload to the receive ring; returns bytes taken. */
static uint32_t rx_append(struct net *n, struct tcp_sock *s, const uint8_t *p, uint32_t len)
{
    uint32_t k = min32(len, s->rx_cap - s->rx_len);
    if (k < len)
        net_count(n, NET_STAT_TCP_RCV_FULL);
    ring_write(s->rx_buf, s->rx_cap, s->rx_head + s->rx_len, p, k);
    s->rx_len += k;
    s->rcv_nxt += k;
    return k;
}

static void fin_received(struct net *n, struct tcp_sock *s, uint32_t now_ms)
{
    s->rcv_nxt++;
    s->fin_rcvd = true;
    s->ack_now = true;
    switch (s->state) {
    case TCP_ESTABLISHED:
        s->state = TCP_CLOSE_WAIT;
        break;
    case TCP_FIN_WAIT_1:
        s->state = TCP_CLOSING;
        break;
    case TCP_FIN_WAIT_2:
        tcp_send_ack(n, s, now_ms);
        tcp_time_wait(n, s, now_ms);
        break;
    default:
        break;
    }
}

/* Takes a segment's data (seq may lie before rcv_nxt); returns true if
 * everything up to its end, FIN included, is now received. */
static bool rx_in_order(struct net *n, struct tcp_sock *s, uint32_t seq,
                        const uint8_t *p, uint32_t len, bool fin, uint32_t now_ms)
{
    uint32_t skip = s->rcv_nxt - seq;
    if (skip > len)
        return false;
    uint32_t k = rx_append(n, s, p + skip, len - skip);
    if (k < len - skip)
        return false;
    if (fin)
        fin_received(n, s, now_ms);
    return true;
}

/* Moves ranges that now touch rcv_nxt into the in-order data: their
 * bytes are already in place in the ring. */
static void ooo_drain(struct net *n, struct tcp_sock *s, uint32_t now_ms)
{
    bool progress = true;
    if (!ooo_held(s))
        return;
    s->ack_now = true; /* a hole is being filled: ACK at once */
    if (s->fin_rcvd) { /* nothing counts after the FIN */
        memset(s->ooo, 0, sizeof(s->ooo));
        s->ooo_fin = false;
        return;
    }
    while (progress) {
        progress = false;
        for (unsigned i = 0; i < NET_TCP_OOO_N; i++) {
            struct tcp_ooo *o = &s->ooo[i];
            if (!o->len || SEQ_GT(o->seq, s->rcv_nxt))
                continue;
            if (SEQ_GT(o->seq + o->len, s->rcv_nxt)) {
                uint32_t k = o->seq + o->len - s->rcv_nxt;
                s->rx_len += k;
                s->rcv_nxt += k;
            }
            o->len = 0;
            progress = true;
        }
    }
    if (s->ooo_fin && SEQ_LT(s->ooo_fin_seq, s->rcv_nxt))
        s->ooo_fin = false; /* in-order data went past it: not a FIN */
    if (s->ooo_fin && s->ooo_fin_seq == s->rcv_nxt) {
        s->ooo_fin = false;
        fin_received(n, s, now_ms); /* may release the socket (TIME_WAIT) */
    }
}

/* Keeps an out-of-order segment (seq after rcv_nxt): its bytes go into the
 * ring at their place and its range joins the list, merged with the ranges
 * it touches. Bounded by the ring's free space (the window) and by
 * NET_TCP_OOO_N separate ranges. */
static void ooo_insert(struct net *n, struct tcp_sock *s, const struct tcp_seg *t)
{
    uint32_t off = t->seq - s->rcv_nxt, room = s->rx_cap - s->rx_len;
    uint32_t len = t->len;
    bool fin = !!(t->flags & TCP_FIN);
    if (off >= room) {
        net_count(n, NET_STAT_TCP_RCV_FULL);
        return;
    }
    if (len > room - off) {
        len = room - off;
        fin = false;
        net_count(n, NET_STAT_TCP_RCV_FULL);
    }
    if (len == 0) {
        /* A FIN alone: it has no bytes to merge, so it records the FIN
         * and leaves the held ranges as they are (merging an empty range
         * would clear the ranges it touches and store nothing). */
        if (fin && !s->ooo_fin) {
            s->ooo_fin = true;
            s->ooo_fin_seq = t->seq;
        }
        return;
    }
    uint32_t lo = t->seq, hi = t->seq + len;
    struct tcp_ooo *slot = NULL;
    bool dup = false;
    for (unsigned i = 0; i < NET_TCP_OOO_N; i++) {
        struct tcp_ooo *o = &s->ooo[i];
        if (!o->len) {
            slot = slot ? slot : o;
            continue;
        }
        if (SEQ_GT(o->seq, hi) || SEQ_LT(o->seq + o->len, lo))
            continue; /* neither overlapping nor adjacent */
        dup |= SEQ_LE(o->seq, t->seq) && SEQ_GE(o->seq + o->len, t->seq + len);
        lo = SEQ_LT(o->seq, lo) ? o->seq : lo;
        hi = SEQ_GT(o->seq + o->len, hi) ? o->seq + o->len : hi;
        o->len = 0; /* merged into the new range */
        slot = o;
    }
    if (dup)
        net_count(n, NET_STAT_TCP_DUPLICATE);
    else
        net_count(n, NET_STAT_TCP_OOO_QUEUED);
    if (!slot) {
        net_count(n, NET_STAT_TCP_OOO_FULL);
        return;
    }
    ring_write(s->rx_buf, s->rx_cap, s->rx_head + s->rx_len + off, t->payload, len);
    slot->seq = lo;
    slot->len = hi - lo;
    if (fin && !s->ooo_fin) {
        s->ooo_fin = true;
        s->ooo_fin_seq = t->seq + len;
    }
}

static void syn_sent_input(struct net *n, struct tcp_sock *s, const struct ip_info *ip,
                           const struct tcp_seg *t, uint32_t now_ms)
{
    bool ack_ok = (t->flags & TCP_ACK) && t->ack == s->iss + 1;
    if ((t->flags & TCP_ACK) && !ack_ok) {
        net_count(n, NET_STAT_TCP_BAD_ACK);
        tcp_reset_reply(n, ip, t, now_ms);
        return;
    }
    if (t->flags & TCP_RST) {
        if (ack_ok) {
            net_count(n, NET_STAT_TCP_RST_ACCEPTED);
            tcp_release(n, s, NET_ERR_REFUSED);
        } else {
            net_count(n, NET_STAT_TCP_RST_IGNORED);
        }
        return;
    }
    if (!(t->flags & TCP_SYN) || !ack_ok) {
        net_count(n, NET_STAT_TCP_BAD_ACK); /* simultaneous open: unsupported */
        return;
    }
    s->irs = t->seq;
    s->rcv_nxt = s->rcv_adv = s->rcv_acked = t->seq + 1;
    s->mss = (uint16_t)min32(t->mss ? max32(t->mss, 64) : 536, NET_TCP_MSS);
    s->snd_wscale = t->wscale >= 0 ? (uint8_t)t->wscale : 0;
    s->snd_una = t->ack;
    s->snd_wnd = s->max_snd_wnd = t->wnd; /* never scaled in a SYN */
    s->snd_wl1 = t->seq;
    s->snd_wl2 = t->ack;
    s->cwnd = min32(4u * s->mss, max32(2u * s->mss, 4380u));
    if (s->rtt_timing && s->retries == 0)
        rtt_sample(s, now_ms - s->rtt_start_ms);
    s->rtt_timing = false;
    s->retries = 0;
    s->rtx_armed = false;
    s->state = TCP_ESTABLISHED;
    tcp_send_ack(n, s, now_ms);
    tcp_output(n, s, now_ms);
}

static bool seq_acceptable(const struct tcp_sock *s, const struct tcp_seg *t)
{
    uint32_t wnd = max32(rcv_window(s), s->rcv_adv - s->rcv_nxt);
    uint32_t seglen = t->len + !!(t->flags & TCP_FIN);
    if (seglen == 0)
        return wnd == 0 ? t->seq == s->rcv_nxt
                        : SEQ_GE(t->seq, s->rcv_nxt) && SEQ_LT(t->seq, s->rcv_nxt + wnd);
    if (wnd == 0)
        return t->seq == s->rcv_nxt && t->len == 0; /* lone FIN at rcv_nxt */
    uint32_t last = t->seq + seglen - 1;
    return (SEQ_GE(t->seq, s->rcv_nxt) && SEQ_LT(t->seq, s->rcv_nxt + wnd)) ||
           (SEQ_GE(last, s->rcv_nxt) && SEQ_LT(last, s->rcv_nxt + wnd));
}

/* Duplicate ACKs that start fast retransmit: 3 (RFC 5681), or oseg - 1
 * when oseg, the segments outstanding (counted as ceil(bytes / MSS), RFC
 * 5827 3.2), is 2 or 3 and nothing new can be sent (early retransmit, RFC
 * 5827 3.1), as with a small send ring, where three duplicate ACKs can
 * never come and every loss would wait for the RTO. With one segment
 * outstanding oseg - 1 = 0: early retransmit does not apply. */
static uint8_t dupack_threshold(const struct tcp_sock *s)
{
    uint32_t flight = s->snd_max - s->snd_una;
    uint32_t segs = (flight + s->mss - 1u) / s->mss;
    bool can_send = s->tx_len > data_in_flight(s) && s->snd_wnd > flight;
    if (segs >= 4u || segs < 2u || can_send)
        return 3u;
    return (uint8_t)(segs - 1u);
}

static void ack_input(struct net *n, struct tcp_sock *s, const struct tcp_seg *t,
                      uint32_t now_ms)
{
    uint32_t wnd = (uint32_t)t->wnd << s->snd_wscale;
    if (SEQ_GT(t->ack, s->snd_una)) {
        uint32_t acked = t->ack - s->snd_una;
        uint32_t data = min32(acked, s->tx_len);
        bool fin_acked = s->fin_queued && acked > data;
        if (s->rtt_timing && SEQ_GT(t->ack, s->rtt_seq)) {
            rtt_sample(s, now_ms - s->rtt_start_ms);
            s->rtt_timing = false;
        }
        s->tx_head = (s->tx_head + data) % s->tx_cap;
        s->tx_len -= data;
        s->snd_una = t->ack;
        if (SEQ_LT(s->snd_nxt, s->snd_una))
            s->snd_nxt = s->snd_una;
        s->retries = 0;
        if (s->in_recovery && SEQ_LT(t->ack, s->recover)) {
            /* NewReno partial ACK: resend the next hole at once. */
            tcp_segment(n, s, s->snd_una, TCP_ACK, min32(s->tx_len, s->mss), now_ms);
            s->cwnd = s->cwnd > data ? s->cwnd - data + s->mss : s->mss;
        } else if (s->in_recovery) {
            s->in_recovery = false;
            s->cwnd = s->ssthresh;
        } else if (s->cwnd < s->ssthresh) {
            s->cwnd += min32(data, s->mss);
        } else {
            s->cwnd += max32(1u, (uint32_t)s->mss * s->mss / s->cwnd);
        }
        s->dupacks = 0;
        if (s->snd_una == s->snd_max)
            s->rtx_armed = false;
        else
            rtx_arm(s, now_ms);
        if (fin_acked) {
            if (s->state == TCP_FIN_WAIT_1)
                s->state = TCP_FIN_WAIT_2;
            else if (s->state == TCP_CLOSING)
                tcp_time_wait(n, s, now_ms);
            else if (s->state == TCP_LAST_ACK)
                tcp_release(n, s, 0);
        }
    } else if (t->ack == s->snd_una && t->len == 0 && !(t->flags & TCP_FIN) &&
               wnd == s->snd_wnd && s->snd_una != s->snd_max) {
        s->dupacks = (uint8_t)min32(s->dupacks + 1u, 255u);
        if (s->dupacks >= dupack_threshold(s) && !s->in_recovery) {
            uint32_t flight = s->snd_max - s->snd_una;
            s->ssthresh = max32(flight / 2u, 2u * s->mss);
            s->recover = s->snd_max;
            s->in_recovery = true;
            s->rtt_timing = false;
            net_count(n, NET_STAT_TCP_FAST_RETRANSMIT);
            tcp_segment(n, s, s->snd_una, TCP_ACK, min32(s->tx_len, s->mss), now_ms);
            s->cwnd = s->ssthresh + (uint32_t)s->dupacks * s->mss;
        } else if (s->in_recovery) {
            s->cwnd += s->mss;
        }
    }
    if (s->state != TCP_CLOSED &&
        (SEQ_LT(s->snd_wl1, t->seq) || (s->snd_wl1 == t->seq && SEQ_LE(s->snd_wl2, t->ack)))) {
        s->snd_wnd = wnd;
        s->max_snd_wnd = max32(s->max_snd_wnd, wnd);
        s->snd_wl1 = t->seq;
        s->snd_wl2 = t->ack;
    }
}

static void tw_input(struct net *n, const struct ip_info *ip, const struct tcp_seg *t,
                     uint32_t now_ms)
{
    for (unsigned i = 0; i < NET_TCP_TW_N; i++) {
        struct net_tw *tw = &n->tw[i];
        if (!tw->lport || tw->rip != ip->src || tw->lport != t->dport || tw->rport != t->sport)
            continue;
        if (t->flags & TCP_RST) {
            tw->lport = 0;
        } else if (t->flags & TCP_FIN) {
            struct net_buf *b = net_buf_tx(n);
            if (b)
                tcp_emit(n, n->ip, tw->rip, tw->lport, tw->rport, tw->snd_nxt, tw->rcv_nxt,
                         TCP_ACK, 0, b, now_ms);
            tw->deadline_ms = now_ms + NET_TCP_TIME_WAIT_MS;
        }
        return;
    }
    net_count(n, NET_STAT_TCP_NO_SOCKET);
    tcp_reset_reply(n, ip, t, now_ms);
}

/* Processes a segment on a synchronized connection. */
static void sync_input(struct net *n, struct tcp_sock *s, const struct tcp_seg *t,
                       uint32_t now_ms)
{
    if (!seq_acceptable(s, t)) {
        net_count(n, NET_STAT_TCP_OUT_OF_WINDOW);
        if (!(t->flags & TCP_RST))
            s->ack_now = true;
        return;
    }
    if (t->flags & TCP_RST) {
        if (t->seq == s->rcv_nxt) {
            net_count(n, NET_STAT_TCP_RST_ACCEPTED);
            tcp_release(n, s, NET_ERR_RESET);
        } else {
            net_count(n, NET_STAT_TCP_RST_IGNORED);
            tcp_challenge_ack(n, s, now_ms);
        }
        return;
    }
    if (t->flags & TCP_SYN) {
        net_count(n, NET_STAT_TCP_SYN_IN_WINDOW);
        tcp_challenge_ack(n, s, now_ms);
        return;
    }
    if (!(t->flags & TCP_ACK))
        return;
    if (SEQ_LT(t->ack, s->snd_una - s->max_snd_wnd) || SEQ_GT(t->ack, s->snd_max)) {
        net_count(n, NET_STAT_TCP_BAD_ACK);
        tcp_challenge_ack(n, s, now_ms);
        return;
    }
    ack_input(n, s, t, now_ms);
    if (s->state == TCP_CLOSED)
        return;
    bool fin = !!(t->flags & TCP_FIN);
    if ((t->len == 0 && !fin) || s->fin_rcvd ||
        !(s->state == TCP_ESTABLISHED || s->state == TCP_FIN_WAIT_1 ||
          s->state == TCP_FIN_WAIT_2))
        return;
    if (SEQ_LE(t->seq, s->rcv_nxt)) {
        if (SEQ_LE(t->seq + t->len + fin, s->rcv_nxt)) {
            net_count(n, NET_STAT_TCP_DUPLICATE);
            s->ack_now = true;
            return;
        }
        rx_in_order(n, s, t->seq, t->payload, t->len, fin, now_ms);
        if (s->state == TCP_CLOSED)
            return;
        s->ack_pending++;
        if (s->ack_pending >= 2u || (NET_TCP_ACK_EVERY == 1u && t->len >= s->mss))
            s->ack_now = true;
        ooo_drain(n, s, now_ms);
        return;
    }
    s->ack_now = true; /* duplicate ACK tells the peer about the hole */
    ooo_insert(n, s, t);
}

void tcp_input(struct net *n, struct net_buf *b, const struct ip_info *ip, uint32_t now_ms)
{
    struct tcp_seg t;
    int r = tcp_parse(ip, &t);
    if (r < 0) {
        net_count(n, (enum net_stat)-r);
        goto done;
    }
    struct tcp_sock *s = n->socks;
    while (s && !(s->rip == ip->src && s->rport == t.sport && s->lport == t.dport))
        s = s->next;
    if (!s) {
        tw_input(n, ip, &t, now_ms);
        goto done;
    }
    s->last_rx_ms = now_ms;
    s->ka_probes = 0;
    if (s->state == TCP_SYN_SENT) {
        syn_sent_input(n, s, ip, &t, now_ms);
        goto done;
    }
    sync_input(n, s, &t, now_ms);
    if (s->state == TCP_CLOSED)
        goto done;
    tcp_output(n, s, now_ms);
    if (s->ack_now)
        tcp_send_ack(n, s, now_ms);
done:
    net_buf_free(n, b);
}

/* ---- timers ---- */

static void rtx_timeout(struct net *n, struct tcp_sock *s, uint32_t now_ms)
{
    s->rto = min32(s->rto * 2u, NET_TCP_RTO_MAX_MS);
    s->rtt_timing = false;
    if (s->state == TCP_SYN_SENT) {
        if (++s->retries > NET_TCP_SYN_RETRIES) {
            tcp_release(n, s, NET_ERR_TIMEOUT);
            return;
        }
        struct net_buf *b = net_buf_tx(n);
        if (b)
            tcp_emit(n, n->ip, s->rip, s->lport, s->rport, s->iss, 0, TCP_SYN,
                     (uint16_t)rcv_window(s), b, now_ms);
        net_count(n, NET_STAT_TCP_RETRANSMIT);
        rtx_arm(s, now_ms);
        return;
    }
    if (s->snd_una == s->snd_max && s->snd_wnd == 0 && s->tx_len) {
        /* Zero-window probe: one byte beyond the window. */
        tcp_segment(n, s, s->snd_una, TCP_ACK, 1, now_ms);
        s->snd_nxt = s->snd_max = s->snd_una + 1;
        rtx_arm(s, now_ms);
        return;
    }
    if (++s->retries > NET_TCP_RETRIES) {
        tcp_abort(n, s, now_ms);
        s->err = NET_ERR_TIMEOUT;
        return;
    }
    s->ssthresh = max32((s->snd_max - s->snd_una) / 2u, 2u * s->mss);
    s->cwnd = s->mss;
    s->in_recovery = false;
    s->dupacks = 0;
    s->snd_nxt = s->snd_una;
    net_count(n, NET_STAT_TCP_RETRANSMIT);
    s->rtx_armed = false;
    tcp_output(n, s, now_ms);
    rtx_arm(s, now_ms);
}

static void keepalive_poll(struct net *n, struct tcp_sock *s, uint32_t now_ms)
{
    if (!s->keepalive || s->state != TCP_ESTABLISHED ||
        now_ms - s->last_rx_ms < NET_TCP_KA_IDLE_MS || !TIME_GE(now_ms, s->ka_next_ms))
        return;
    if (s->ka_probes >= NET_TCP_KA_PROBES) {
        net_count(n, NET_STAT_TCP_KEEPALIVE_TIMEOUT);
        tcp_abort(n, s, now_ms);
        s->err = NET_ERR_TIMEOUT;
        return;
    }
    s->ka_probes++;
    net_count(n, NET_STAT_TCP_KEEPALIVE_PROBE);
    s->ka_next_ms = now_ms + NET_TCP_KA_INTVL_MS;
    tcp_segment(n, s, s->snd_una - 1, TCP_ACK, 0, now_ms);
}

void tcp_poll(struct net *n, uint32_t now_ms)
{
    struct tcp_sock *next;
    for (struct tcp_sock *s = n->socks; s; s = next) {
        next = s->next;
        if (s->rtx_armed && TIME_GE(now_ms, s->rtx_deadline_ms))
            rtx_timeout(n, s, now_ms);
        if (s->state == TCP_CLOSED)
            continue;
        keepalive_poll(n, s, now_ms);
        if (s->state == TCP_CLOSED)
            continue;
        tcp_output(n, s, now_ms);
        if (s->state != TCP_SYN_SENT && (s->ack_pending || s->ack_now))
            tcp_send_ack(n, s, now_ms);
    }
    for (unsigned i = 0; i < NET_TCP_TW_N; i++)
        if (n->tw[i].lport && TIME_GE(now_ms, n->tw[i].deadline_ms))
            n->tw[i].lport = 0;
}
