/*
 * Network stack build-time configuration: every pool and limit in one
 * place, defaults behind #ifndef so a board or a test build can override
 * them, invariants checked below so an impossible combination fails the
 * build. docs/network.md explains how the pool is sized.
 */
#ifndef NET_CONFIG_H
#define NET_CONFIG_H

/* Packet buffers: one holds a whole Ethernet frame (1514 bytes, no FCS)
 * plus alignment slack. The pool serves received frames (handed up
 * zero-copy, kept when queued out of order or behind an ARP request) and
 * frames being built for sending (freed once the driver has them). */
#ifndef NET_BUF_SIZE
#define NET_BUF_SIZE 1536u
#endif
#ifndef NET_POOL_N
#define NET_POOL_N 4u
#endif

/* Header room reserved at the front of an outgoing buffer: Ethernet 14 +
 * IPv4 20 + TCP 20 + options 12, rounded up. Layers prepend into it. */
#ifndef NET_HDR_ROOM
#define NET_HDR_ROOM 68u
#endif

/* ARP: cache entries, their lifetime, request retries, and how many
 * frames may wait for an answer (all destinations together). */
#ifndef NET_ARP_N
#define NET_ARP_N 8u
#endif
#ifndef NET_ARP_TTL_MS
#define NET_ARP_TTL_MS 60000u
#endif
#ifndef NET_ARP_RETRY_MS
#define NET_ARP_RETRY_MS 1000u
#endif
#ifndef NET_ARP_TRIES
#define NET_ARP_TRIES 4u
#endif
#ifndef NET_ARP_PENDING
#define NET_ARP_PENDING 1u
#endif

/* UDP endpoints (DHCP and DNS use one each). */
#ifndef NET_UDP_N
#define NET_UDP_N 4u
#endif

/* TCP. The stack offers window scale 0 and honours the peer's scale, so
 * our receive window is the free space of the socket's receive ring, at
 * most 65535 bytes. */
#ifndef NET_TCP_MSS
#define NET_TCP_MSS 1460u
#endif
/* The largest receive window offered, whatever the ring's free space. On
 * an505 the LAN9118's RX data FIFO (10,560 bytes in QEMU, not resizable)
 * holds six full frames: a larger window lets a peer's burst overflow it
 * (measured: a 14 KiB window lost frames in every clean 1 MiB receive and
 * took 1.4 s instead of 0.2 s). A ring larger than this keeps the window
 * whole while the application has not read yet. */
#ifndef NET_TCP_RCV_WND_MAX
#define NET_TCP_RCV_WND_MAX (6u * NET_TCP_MSS)
#endif
#ifndef NET_TCP_OOO_N
#define NET_TCP_OOO_N 4u /* out-of-order ranges (holes) kept per socket */
#endif
#ifndef NET_TCP_ACK_EVERY
/* 1: every full-sized in-order segment is ACKed at once (a small window
 * holds few segments; each ACK grows a BSD sender's cwnd, and slirp is
 * one); 2: every second one (RFC 5681's minimum). Small segments are
 * ACKed at the next net_poll or with the second one either way. */
#define NET_TCP_ACK_EVERY 1u
#endif
#ifndef NET_TCP_RTO_INIT_MS
#define NET_TCP_RTO_INIT_MS 1000u /* RFC 6298 (2.1) */
#endif
#ifndef NET_TCP_RTO_MIN_MS
#define NET_TCP_RTO_MIN_MS 200u /* RFC 6298 says 1 s; Linux uses 200 ms */
#endif
#ifndef NET_TCP_RTO_MAX_MS
#define NET_TCP_RTO_MAX_MS 60000u
#endif
#ifndef NET_TCP_RETRIES
#define NET_TCP_RETRIES 8u /* retransmissions of one segment before abort */
#endif
#ifndef NET_TCP_SYN_RETRIES
#define NET_TCP_SYN_RETRIES 5u
#endif
#ifndef NET_TCP_TIME_WAIT_MS
#define NET_TCP_TIME_WAIT_MS 4000u /* 2 MSL with a 2 s MSL; see network.md */
#endif
#ifndef NET_TCP_TW_N
#define NET_TCP_TW_N 4u /* TIME_WAIT records (oldest evicted) */
#endif
#ifndef NET_TCP_KA_IDLE_MS
#define NET_TCP_KA_IDLE_MS 60000u
#endif
#ifndef NET_TCP_KA_INTVL_MS
#define NET_TCP_KA_INTVL_MS 10000u
#endif
#ifndef NET_TCP_KA_PROBES
#define NET_TCP_KA_PROBES 4u
#endif
#ifndef NET_TCP_CHALLENGE_PER_S
#define NET_TCP_CHALLENGE_PER_S 10u /* RFC 5961 section 7 */
#endif
#ifndef NET_TCP_EPHEMERAL_BASE
#define NET_TCP_EPHEMERAL_BASE 49152u
#endif

/* DHCP retransmission (RFC 2131 4.1: 4 s doubling to 64 s). */
#ifndef NET_DHCP_RETRY_MIN_MS
#define NET_DHCP_RETRY_MIN_MS 4000u
#endif
#ifndef NET_DHCP_RETRY_MAX_MS
#define NET_DHCP_RETRY_MAX_MS 64000u
#endif

/* DNS: longest name, tries and their interval. */
#ifndef NET_DNS_NAME_MAX
#define NET_DNS_NAME_MAX 128u
#endif
#ifndef NET_DNS_TRIES
#define NET_DNS_TRIES 3u
#endif
#ifndef NET_DNS_RETRY_MS
#define NET_DNS_RETRY_MS 2000u
#endif

_Static_assert(NET_BUF_SIZE >= 1514u, "a buffer must hold a full Ethernet frame");
_Static_assert(NET_POOL_N >= 4u && NET_POOL_N <= 32u, "pool of 4..32 buffers");
_Static_assert(NET_HDR_ROOM >= 14u + 20u + 20u + 12u, "header room too small");
_Static_assert(NET_TCP_MSS + 40u + 14u <= NET_BUF_SIZE, "MSS does not fit a buffer");
_Static_assert(NET_ARP_PENDING + 2u <= NET_POOL_N,
               "pool must cover the ARP queue plus RX and TX");
_Static_assert(NET_TCP_ACK_EVERY >= 1u && NET_TCP_ACK_EVERY <= 2u,
               "RFC 5681: ACK at least every second full segment");
_Static_assert(NET_TCP_RCV_WND_MAX >= NET_TCP_MSS && NET_TCP_RCV_WND_MAX <= 65535u,
               "receive window: at least one segment, no window scaling");
_Static_assert(NET_TCP_OOO_N >= 1u, "need at least one out-of-order range");
_Static_assert(NET_TCP_RTO_MIN_MS <= NET_TCP_RTO_INIT_MS, "RTO bounds");
_Static_assert(NET_ARP_PENDING >= 1u, "need at least one ARP-pending slot");

#endif /* NET_CONFIG_H */
