/* Host simulation of a network interface and peer for the stack's tests:
 * captures every frame the stack sends and builds the peer's frames. */
#ifndef NET_SIM_H
#define NET_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "net_priv.h"

#define SIM_MAX_FRAMES 256

struct sim_frame {
    size_t len;
    uint8_t data[1600];
};

extern struct sim_frame sim_out[SIM_MAX_FRAMES];
extern unsigned sim_nout;
extern const uint8_t sim_dev_mac[6], sim_peer_mac[6];

/* net_init with capturing hooks and a fixed random sequence. */
void sim_init(struct net *n);
void sim_clear(void);

/* Builds a frame from the peer: Ethernet + IPv4 (+ UDP/TCP/ICMP). */
size_t sim_ip(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto,
              const uint8_t *payload, size_t len);
size_t sim_udp(uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
               const uint8_t *payload, size_t len);
size_t sim_tcp(uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
               uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
               const uint8_t *opts, size_t optlen, const uint8_t *payload, size_t len);
size_t sim_arp(uint8_t *f, uint16_t op, const uint8_t *sha, uint32_t spa,
               const uint8_t *tha, uint32_t tpa);

/* Parses a captured frame as TCP; returns 0 if it is one. */
int sim_parse_tcp(const struct sim_frame *fr, struct ip_info *ip, struct tcp_seg *t);
int sim_parse_udp(const struct sim_frame *fr, struct ip_info *ip, struct udp_info *u);

#endif
