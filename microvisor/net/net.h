/*
 * Keel's IPv4 network stack: Ethernet II, ARP, IPv4, ICMP echo, UDP, a DHCP
 * client, a DNS client and a TCP client, with no heap and no I/O of its own.
 *
 * The caller owns the context (struct net) and every socket and ring. The
 * stack never blocks and never reads a clock: frames come in through
 * net_input*(), time through the now_ms arguments, and frames go out
 * through the `output` hook given to net_init(), which must have consumed
 * the frame when it returns (the LAN9118 driver copies it into its FIFO).
 * Call net_poll() after each batch of received frames and at least every
 * NET_POLL_MS: it runs the timers and sends delayed ACKs.
 *
 * Not reentrant: one execution context (the microvisor's deferred work)
 * makes every call.
 */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_config.h"

#define NET_POLL_MS 10u

/* Errors (negative). */
#define NET_OK        0
#define NET_ERR_ARG   (-1)  /* bad argument or wrong state for the call */
#define NET_ERR_NOBUF (-2)  /* pool exhausted; try again later */
#define NET_ERR_NOIP  (-3)  /* no address yet (DHCP not bound) */
#define NET_ERR_RESET (-4)  /* connection reset by the peer */
#define NET_ERR_TIMEOUT (-5) /* retransmissions or keepalives exhausted */
#define NET_ERR_REFUSED (-6) /* RST answered our SYN */
#define NET_ERR_ABORTED (-7) /* closed by tcp_abort() */
#define NET_ERR_BUSY  (-8)  /* table full or socket already in use */
#define NET_EOF       (-9)  /* tcp_recv: the peer closed, all data read */

/* Every reason a frame or segment is dropped, and a few events; readable
 * with net_stats() / net_stat_name() for diagnostics. */
#define NET_STATS(X) \
    X(RX_FRAMES) X(TX_FRAMES) X(ETH_SHORT) X(ETH_NOT_US) X(ETH_TYPE) \
    X(ARP_MALFORMED) X(ARP_NOT_US) X(ARP_PENDING_FULL) X(ARP_UNRESOLVED) \
    X(IP_SHORT) X(IP_VERSION) X(IP_HLEN) X(IP_LEN) X(IP_CHECKSUM) \
    X(IP_FRAGMENT) X(IP_NOT_US) X(IP_PROTO) X(IP_SRC) \
    X(ICMP_SHORT) X(ICMP_CHECKSUM) X(ICMP_TYPE) X(ICMP_ECHO_REPLIED) \
    X(UDP_SHORT) X(UDP_LEN) X(UDP_CHECKSUM) X(UDP_NO_PORT) \
    X(TCP_SHORT) X(TCP_HLEN) X(TCP_CHECKSUM) X(TCP_OPTIONS) X(TCP_NO_SOCKET) \
    X(TCP_BAD_ACK) X(TCP_OUT_OF_WINDOW) X(TCP_OOO_QUEUED) X(TCP_OOO_FULL) \
    X(TCP_DUPLICATE) X(TCP_RST_IGNORED) X(TCP_CHALLENGE_ACK) \
    X(TCP_CHALLENGE_LIMITED) X(TCP_SYN_IN_WINDOW) X(TCP_RETRANSMIT) \
    X(TCP_FAST_RETRANSMIT) X(TCP_RST_SENT) X(TCP_RST_ACCEPTED) X(TCP_RCV_FULL) \
    X(TCP_KEEPALIVE_PROBE) X(TCP_KEEPALIVE_TIMEOUT) \
    X(DHCP_MALFORMED) X(DHCP_NOT_OURS) X(DHCP_NAK) \
    X(DNS_MALFORMED) X(DNS_NOT_OURS) X(DNS_MISMATCH) \
    X(POOL_EMPTY) X(TX_FAILED)

#define NET_STAT_ENUM_(n) NET_STAT_##n,
enum net_stat { NET_STATS(NET_STAT_ENUM_) NET_STAT_COUNT };
#undef NET_STAT_ENUM_

/* A packet buffer from the pool. data[off .. off+len) is the frame or,
 * while a layer builds it, the part built so far. */
struct net_buf {
    uint16_t off, len;
    uint8_t in_use;
    uint8_t data[NET_BUF_SIZE];
};

struct net;

/* ---- TCP ---- */

enum tcp_state {
    TCP_CLOSED = 0, TCP_SYN_SENT, TCP_ESTABLISHED, TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2, TCP_CLOSING, TCP_CLOSE_WAIT, TCP_LAST_ACK,
};

/* An out-of-order range: its bytes are already in the receive ring, at
 * their place after rcv_nxt (the window never exceeds the ring's free
 * space, so every in-window byte has a place). */
struct tcp_ooo {
    uint32_t seq;
    uint32_t len;        /* 0: slot free */
};

/* A TCP connection. The caller owns it and both rings for as long as the
 * socket is not TCP_CLOSED; the rings must not alias each other. */
struct tcp_sock {
    struct tcp_sock *next;   /* the stack's list of open sockets */
    enum tcp_state state;
    int err;                 /* sticky error once closed by an error */
    uint32_t rip;            /* remote IPv4 address (host order) */
    uint16_t lport, rport;
    /* send sequence space (RFC 793 3.2) */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
    uint32_t snd_wnd, max_snd_wnd, cwnd, ssthresh, recover;
    uint16_t mss;
    uint8_t snd_wscale;      /* the peer's window scale */
    uint8_t dupacks;
    bool fin_queued, fin_sent, in_recovery;
    /* receive side */
    uint32_t irs, rcv_nxt, rcv_adv;
    uint32_t rcv_acked;      /* the ACK number we last sent */
    bool fin_rcvd, ack_now;
    uint8_t ack_pending;     /* full segments received since our last ACK */
    /* RFC 6298 */
    uint32_t srtt, rttvar, rto, rtt_seq, rtt_start_ms, rtx_deadline_ms;
    bool rtt_timing, rtx_armed;
    uint8_t retries;
    /* keepalive */
    bool keepalive;
    uint8_t ka_probes;
    uint32_t last_rx_ms, ka_next_ms;
    /* rings: tx holds bytes from snd_una on (sent and unsent) */
    uint8_t *rx_buf, *tx_buf;
    uint32_t rx_cap, rx_head, rx_len, tx_cap, tx_head, tx_len;
    struct tcp_ooo ooo[NET_TCP_OOO_N];
    bool ooo_fin;            /* a FIN seen out of order, at ooo_fin_seq */
    uint32_t ooo_fin_seq;
};

/* ---- UDP ---- */

/* Called with the datagram's payload, valid during the call only. */
typedef void (*udp_recv_fn)(struct net *n, void *arg, uint32_t src_ip,
                            uint16_t src_port, const uint8_t *data, size_t len,
                            uint32_t now_ms);

struct udp_pcb {
    uint16_t port;           /* 0: free */
    udp_recv_fn fn;
    void *arg;
};

/* ---- DHCP / DNS ---- */

enum dhcp_state {
    DHCP_OFF = 0, DHCP_INIT, DHCP_SELECTING, DHCP_REQUESTING, DHCP_BOUND,
    DHCP_RENEWING, DHCP_REBINDING, DHCP_REBOOTING,
};

struct dhcp {
    enum dhcp_state state;
    uint32_t xid, offered_ip, server_ip, lease_ip;
    uint32_t t_start_ms, t1_ms, t2_ms, lease_ms; /* relative to t_start */
    uint32_t next_tx_ms, retry_ms;
    uint32_t bound_count;
};

enum dns_state { DNS_IDLE = 0, DNS_PENDING, DNS_DONE, DNS_FAILED };

struct dns {
    enum dns_state state;
    uint16_t id, port;
    uint8_t tries;
    uint32_t next_tx_ms, server, result;
    uint8_t qlen;            /* encoded question name length */
    uint8_t qname[NET_DNS_NAME_MAX + 2];
};

/* ---- the stack ---- */

struct net_arp_entry {
    uint32_t ip;             /* 0: free */
    uint8_t mac[6];
    bool resolved;
    uint8_t tries;
    uint32_t deadline_ms;    /* expiry (resolved) or next request */
};

struct net_arp_wait {
    struct net_buf *buf;     /* an IPv4 packet, Ethernet room in front */
    uint32_t ip;             /* next hop */
};

struct net_tw {
    uint32_t rip, snd_nxt, rcv_nxt, deadline_ms;
    uint16_t lport, rport;   /* lport 0: free */
};

struct net_hooks {
    /* Sends one Ethernet frame (no FCS); the frame is only borrowed. */
    int (*output)(void *ctx, const uint8_t *frame, size_t len);
    /* 32 random bits (ISNs, ports, DHCP xid, DNS id). */
    uint32_t (*random)(void *ctx);
    void *ctx;
};

struct net {
    struct net_hooks hooks;
    uint8_t mac[6];
    bool link_up;
    uint32_t ip, mask, router, dns_server;  /* host order; 0 = none */
    struct net_buf pool[NET_POOL_N];
    struct net_arp_entry arp[NET_ARP_N];
    struct net_arp_wait arp_wait[NET_ARP_PENDING];
    struct udp_pcb udp[NET_UDP_N];
    struct tcp_sock *socks;
    struct net_tw tw[NET_TCP_TW_N];
    uint16_t ip_id, next_port;
    uint32_t challenge_window_ms, challenge_count;
    uint32_t last_now_ms;
    struct dhcp dhcp;
    struct dns dns;
    uint32_t stats[NET_STAT_COUNT];
};

/* Initialises `n` (wiping it). `hooks` is copied. */
void net_init(struct net *n, const uint8_t mac[6], const struct net_hooks *hooks);

/* A static address instead of DHCP (tests, fixed setups). */
void net_set_addr(struct net *n, uint32_t ip, uint32_t mask, uint32_t router,
                  uint32_t dns_server);

/* Takes a buffer from the pool for a received frame (NULL if empty). */
struct net_buf *net_buf_alloc(struct net *n);
void net_buf_free(struct net *n, struct net_buf *b);

/* Processes one received frame. net_input_buf takes ownership of `b`
 * (data[0..len), off 0): the stack frees it or keeps it queued.
 * net_input copies `frame` into a pool buffer first. */
void net_input_buf(struct net *n, struct net_buf *b, uint32_t now_ms);
void net_input(struct net *n, const uint8_t *frame, size_t len, uint32_t now_ms);

/* Timers, delayed ACKs and pending output. */
void net_poll(struct net *n, uint32_t now_ms);

/* Link state from the driver: down stops output; up after down makes DHCP
 * confirm its lease (INIT-REBOOT). */
void net_link(struct net *n, bool up, uint32_t now_ms);

const uint32_t *net_stats(const struct net *n);
const char *net_stat_name(unsigned stat);
unsigned net_bufs_free(const struct net *n);

/* UDP: binds `port` (0 picks an ephemeral one); returns the port or < 0. */
int udp_bind(struct net *n, uint16_t port, udp_recv_fn fn, void *arg);
void udp_unbind(struct net *n, uint16_t port);
int udp_sendto(struct net *n, uint16_t sport, uint32_t dip, uint16_t dport,
               const uint8_t *data, size_t len, uint32_t now_ms);

/* DHCP client: starts (or restarts) address acquisition. */
void dhcp_start(struct net *n, uint32_t now_ms);
enum dhcp_state dhcp_state(const struct net *n);

/* DNS client: one query at a time for an A record of `name` (dotted,
 * at most NET_DNS_NAME_MAX characters). dns_result returns DNS_DONE with
 * the address in *ip, DNS_PENDING, or DNS_FAILED. */
int dns_query(struct net *n, const char *name, uint32_t now_ms);
enum dns_state dns_result(const struct net *n, uint32_t *ip);

/* TCP, a socket-like API for the TLS and MQTT layers.
 * tcp_connect: `s` and the two rings are the caller's until the socket is
 * TCP_CLOSED again (after tcp_abort, an error, or the orderly close has
 * completed: TIME_WAIT is kept by the stack, not in the socket). */
int tcp_connect(struct net *n, struct tcp_sock *s, uint32_t ip, uint16_t port,
                uint8_t *rx_buf, uint32_t rx_cap, uint8_t *tx_buf,
                uint32_t tx_cap, uint32_t now_ms);
/* Queues up to len bytes; returns how many were taken (0 if the ring is
 * full) or an error. Sending starts at once when the window allows. */
int tcp_send(struct net *n, struct tcp_sock *s, const uint8_t *data,
             size_t len, uint32_t now_ms);
/* Reads up to cap bytes; returns the count, 0 if none yet, NET_EOF when
 * the peer has closed and everything was read, or the sticky error. */
int tcp_recv(struct net *n, struct tcp_sock *s, uint8_t *buf, size_t cap,
             uint32_t now_ms);
/* Bytes that may be queued with tcp_send now. */
uint32_t tcp_send_space(const struct tcp_sock *s);
/* Bytes sent but not acknowledged, plus unsent. */
uint32_t tcp_unacked(const struct tcp_sock *s);
/* Orderly close: FIN after the queued data. */
int tcp_close(struct net *n, struct tcp_sock *s, uint32_t now_ms);
/* Abortive close: RST, socket released at once. */
void tcp_abort(struct net *n, struct tcp_sock *s, uint32_t now_ms);
void tcp_keepalive(struct tcp_sock *s, bool on);
static inline enum tcp_state tcp_state(const struct tcp_sock *s) { return s->state; }

#define NET_IP4(a, b, c, d) \
    (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

#endif /* NET_H */
