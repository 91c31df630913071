/*
 * The cloud link's connection manager (docs/cloud-link.md): from boot,
 * whatever the application does, it keeps one connection to the
 * provisioned broker: network address, then TCP, then TLS 1.3 with the
 * device's identity, then the MQTT session; after any failure it waits
 * (exponential back-off with jitter) and starts again, offering a session
 * ticket so that a reconnect costs a resumed handshake.
 *
 * It runs in the network's deferred work (net/net_service.c calls
 * link_poll after each pass of the stack), never blocks, and does at most
 * one expensive step (one TLS record, with its X25519 or Ed25519 work) per
 * activation, asking for another when more is ready.
 */
#ifndef LINK_H
#define LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "net.h"

enum link_state {
    LINK_OFF = 0,       /* no cloud provisioned: the link never starts */
    LINK_WAIT_NETWORK,  /* no address yet (DHCP) */
    LINK_RESOLVING,     /* DNS query for the broker's name */
    LINK_TCP,           /* TCP connecting */
    LINK_TLS,           /* TLS handshake */
    LINK_MQTT,          /* MQTT CONNECT sent, waiting for CONNACK */
    LINK_CONNECTED,
    LINK_BACKOFF,       /* waiting before the next attempt */
};

/* Figures for diagnostics, tests and benchmarks. */
struct link_stats {
    uint32_t attempts;       /* connection attempts started */
    uint32_t connects;       /* sessions established */
    uint32_t resumed;        /* of which with a resumed TLS handshake */
    uint32_t failures;       /* attempts or sessions that ended in an error */
    int last_error;          /* the last failure's code (link_error_name) */
    uint32_t backoff_ms;     /* the current wait */
    uint32_t longest_step_us; /* the longest activation of a connect so far */
};

/* Reads the provisioning (identity, cloud page) and opens the log spool;
 * call once from mv_main with the running microvisor's version. 0, or -1
 * if the device has no cloud (the link stays LINK_OFF). */
int link_init(uint32_t mv_version);

/* Wall time (Unix ms) from the cloud; false until the first time message. */
bool link_wall_ms(int64_t *unix_ms);

/* One step of the state machine, from the network's deferred work.
 * Returns true when more is ready at once (the caller runs it again in a
 * new activation, so each stays short). */
bool link_poll(struct net *n, uint32_t now_ms);

enum link_state link_state(void);
const char *link_state_name(enum link_state s);
const struct link_stats *link_stats(void);

/*
 * Test seam (weak, overridden only by the link bench build,
 * tests/bench/link/link_busy.c): called as an attempt starts (ev 0) and
 * with the type of each MQTT event of a session (mqtt.h's MQTT_EV_*).
 */
void link_bench_event(int ev);

#endif /* LINK_H */
