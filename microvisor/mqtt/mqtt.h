/*
 * Keel's MQTT 3.1.1 client core: a session engine that does no I/O.
 *
 * The caller owns the context and moves the bytes, as with microvisor/tls:
 *   - mqtt_sendbuf() shows bytes to send; mqtt_sent() says how many the
 *     transport took;
 *   - mqtt_recvbuf() shows room for received bytes (never more than the
 *     rest of the current packet); mqtt_received() says how many were put
 *     there and processes them. mqtt_feed() does both from a caller's
 *     buffer and says how much it took;
 *   - results come back through one callback (mqtt_event_t): CONNACK,
 *     SUBACK, PUBACK of our QoS 1 publishes, incoming PUBLISH, a dropped
 *     oversized PUBLISH, PINGRESP.
 * Time comes in as now_ms (a monotonic millisecond clock); mqtt_tick()
 * runs the keepalive and the deadlines.
 *
 * One context is one MQTT session, which outlives the transport
 * connections under it: mqtt_init() once, then for every connection
 * mqtt_connect() ... mqtt_connection_lost() (or mqtt_disconnect()). QoS 1
 * publishes not yet acknowledged stay in the context and are sent again,
 * DUP set, with their packet ids after the next CONNACK (3.1.1 4.4); QoS 1
 * publishes made while no connection is up wait there too.
 *
 * Errors: a protocol violation by the peer, a refused CONNECT or a missed
 * deadline is sticky for the connection: the state becomes MQTT_ST_FAILED,
 * nothing more is sent or taken, and the caller closes the transport
 * (3.1.1 4.8) and may call mqtt_connect() again, which clears it. Misuse
 * and back-pressure (MQTT_E_ARG, MQTT_E_STATE, MQTT_E_AGAIN,
 * MQTT_E_WINDOW_FULL, MQTT_E_BUSY, MQTT_E_TOO_BIG) are returned and not
 * kept. mqtt_error_name() names each one. docs/mqtt.md lists what is
 * refused and why. Not reentrant, except that the callback may call
 * mqtt_publish(), mqtt_subscribe() and mqtt_disconnect(); no heap; no
 * file-static state.
 */
#ifndef MQTT_H
#define MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt_config.h"

#define MQTT_OK 0
#define MQTT_E_CONFIG (-1)       /* bad configuration given to init */
#define MQTT_E_STATE (-2)        /* call not allowed in this state */
#define MQTT_E_ARG (-3)          /* bad topic, filter, QoS or length */
#define MQTT_E_TOO_BIG (-4)      /* the PUBLISH would not fit MQTT_PUB_MAX */
#define MQTT_E_WINDOW_FULL (-5)  /* all MQTT_INFLIGHT_N slots taken */
#define MQTT_E_AGAIN (-6)        /* no room in the output now: send first */
#define MQTT_E_BUSY (-7)         /* a SUBSCRIBE outstanding, or a publish_begin open */
#define MQTT_E_MALFORMED (-8)    /* bad remaining length, flags or packet length */
#define MQTT_E_UTF8 (-9)         /* a topic that is not valid MQTT UTF-8, or has wildcards */
#define MQTT_E_UNEXPECTED (-10)  /* a packet type a client never receives, or not now */
#define MQTT_E_UNKNOWN_ID (-11)  /* PUBACK or SUBACK for no outstanding packet id */
#define MQTT_E_QOS (-12)         /* QoS 2 or 3 offered, or more QoS granted than asked */
#define MQTT_E_REFUSED (-13)     /* CONNACK return code not 0 (mqtt_connack_code) */
#define MQTT_E_TIMEOUT (-14)     /* no CONNACK in MQTT_CONNACK_TIMEOUT_MS */
#define MQTT_E_PING_TIMEOUT (-15) /* no PINGRESP in MQTT_PINGRESP_TIMEOUT_MS */
#define MQTT_E_COUNT 15

enum mqtt_state {
    MQTT_ST_IDLE = 0,      /* no connection (after init or connection_lost) */
    MQTT_ST_CONNECTING,    /* CONNECT queued, waiting for CONNACK */
    MQTT_ST_CONNECTED,     /* session accepted */
    MQTT_ST_DISCONNECTING, /* DISCONNECT queued, not all sent yet */
    MQTT_ST_CLOSED,        /* DISCONNECT sent: close the transport */
    MQTT_ST_FAILED,        /* mqtt_error() says why: close the transport */
};

enum mqtt_event_type {
    MQTT_EV_CONNACK = 1, /* session accepted (return code 0) or refused */
    MQTT_EV_SUBACK,      /* granted[] per filter: 0 or 1, or 0x80 failure */
    MQTT_EV_PUBACK,      /* our QoS 1 publish `id` was acknowledged; its slot is free */
    MQTT_EV_PUBLISH,     /* a message arrived (a QoS 1 one is already PUBACKed) */
    MQTT_EV_DROPPED,     /* an incoming PUBLISH over MQTT_RX_MAX, discarded (and PUBACKed) */
    MQTT_EV_PINGRESP,
};

#define MQTT_SUBACK_FAILURE 0x80u

typedef struct {
    enum mqtt_event_type type;
    uint16_t id;          /* packet id: SUBACK, PUBACK, PUBLISH/DROPPED QoS 1 (else 0) */
    /* CONNACK */
    bool session_present; /* the broker kept our session (and subscriptions) */
    uint8_t return_code;  /* 0 accepted, 1..5 refused (3.1.1 3.2.2.3) */
    /* SUBACK */
    uint8_t n;            /* filters in the SUBSCRIBE */
    uint8_t granted[MQTT_SUB_MAX];
    /* PUBLISH (pointers into the context, valid during the callback only);
     * DROPPED sets qos and len (the packet's remaining length) */
    const char *topic;    /* not NUL-terminated: topic_len bytes, UTF-8 checked */
    size_t topic_len;
    const uint8_t *payload;
    size_t len;
    uint8_t qos;
    bool retain, dup;
} mqtt_event_t;

typedef void (*mqtt_event_fn)(void *arg, const mqtt_event_t *ev);

/* What the session is configured with. Every pointer is borrowed for the
 * life of the context and must not change while it is in use. */
typedef struct {
    const char *client_id;   /* 1..MQTT_CLIENT_ID_MAX bytes of UTF-8, NUL-terminated */
    uint16_t keepalive_s;    /* 0: no keepalive (no PINGREQ) */
    bool clean_session;      /* false (the normal case): a persistent session */
    const char *will_topic;  /* NULL: no will; else a topic as for mqtt_publish */
    const uint8_t *will_payload; /* will_len bytes (may be NULL when 0) */
    size_t will_len;         /* at most MQTT_WILL_MAX */
    uint8_t will_qos;        /* 0 or 1 */
    bool will_retain;
    mqtt_event_fn on_event;  /* may be NULL (events are then only counted) */
    void *arg;               /* passed to on_event */
} mqtt_config_t;

/* One in-flight publish: the whole serialized PUBLISH packet. */
typedef struct {
    uint8_t used;        /* 0 free, else the slot's state (mqtt_client.c) */
    uint8_t qos;
    uint8_t dup_pending; /* some of it went out on this connection */
    uint8_t start;       /* the packet is pkt[start .. start + len) */
    uint8_t retain;
    uint16_t id;         /* QoS 1 packet id (0 for QoS 0) */
    uint32_t seq;        /* order of publishes, for redelivery */
    uint16_t len;
    uint8_t pkt[MQTT_PUB_MAX];
} mqtt_slot_t;

/* Diagnostics, kept across connections. */
typedef struct {
    uint32_t connects;     /* CONNACKs accepted */
    uint32_t published;    /* PUBLISH packets sent (first sends and resends) */
    uint32_t resent;       /* of which resent with DUP after a reconnect */
    uint32_t acked;        /* PUBACKs for our QoS 1 publishes */
    uint32_t received;     /* incoming PUBLISH delivered */
    uint32_t dropped;      /* incoming PUBLISH over MQTT_RX_MAX discarded */
    uint32_t pings;        /* PINGRESPs */
} mqtt_stats_t;

/* The context: caller-owned, opaque (fields are private to mqtt/). */
typedef struct mqtt_client {
    const mqtt_config_t *cfg;
    enum mqtt_state state;
    int err;
    uint8_t connack_code;
    uint16_t next_id;
    uint32_t next_seq;
    uint64_t connect_ms, last_tx_ms, ping_ms;
    bool ping_outstanding;
    /* the outstanding SUBSCRIBE */
    uint16_t sub_id;
    uint8_t sub_n;
    uint8_t sub_qos[MQTT_SUB_MAX];
    /* output: the control buffer, then publishes straight from their slot */
    size_t olen, osent;
    int8_t cur_slot;           /* slot being sent (-1: none), cslot_off bytes gone */
    int8_t reserved;           /* slot between publish_begin and _commit (-1: none) */
    size_t cslot_off;
    uint8_t obuf[MQTT_CTRL_SIZE];
    mqtt_slot_t slot[MQTT_INFLIGHT_N];
    /* input: one packet at a time */
    uint8_t ihdr[5];           /* fixed header as received */
    uint8_t ihdr_len;
    uint32_t irem;             /* remaining length (once the header is complete) */
    uint32_t ibody;            /* body bytes received so far */
    bool idiscard;             /* an oversized PUBLISH being counted away */
    uint16_t d_tlen, d_id;     /* its topic length and packet id, as they pass */
    uint8_t ibuf[MQTT_RX_MAX];
    mqtt_stats_t stats;
} mqtt_client_t;

/* Checks cfg and sets up an empty session (no connection). 0 or
 * MQTT_E_CONFIG. */
int mqtt_init(mqtt_client_t *c, const mqtt_config_t *cfg);

/* A new transport connection is up: clears the last connection's state
 * and error, queues CONNECT. Publishes in flight go out after CONNACK.
 * 0 or MQTT_E_STATE (a connection is in use: call connection_lost first). */
int mqtt_connect(mqtt_client_t *c, uint64_t now_ms);
/* The transport is gone (closed, failed, or the caller closed it after an
 * error or MQTT_ST_CLOSED): QoS 0 publishes not yet sent are dropped, QoS 1
 * ones stay for the next connection; the state becomes MQTT_ST_IDLE. */
void mqtt_connection_lost(mqtt_client_t *c);
/* Queues DISCONNECT (the broker then discards the will); needs
 * MQTT_ST_CONNECTED (before CONNACK, just close the transport). The state
 * is MQTT_ST_CLOSED once it is sent; QoS 1 publishes in flight stay for
 * the next connection. 0, MQTT_E_STATE or MQTT_E_AGAIN. */
int mqtt_disconnect(mqtt_client_t *c);

/* Bytes waiting to be sent: a pointer into the context, valid until the
 * next call other than mqtt_sendbuf; *len 0 when nothing waits. */
const uint8_t *mqtt_sendbuf(mqtt_client_t *c, size_t *len);
void mqtt_sent(mqtt_client_t *c, size_t len, uint64_t now_ms);

/* Room for received bytes (a pointer into the context); *room 0 when the
 * engine takes none now (no connection, DISCONNECT queued, failed, or its
 * output too full to queue a PUBACK: send first). */
uint8_t *mqtt_recvbuf(mqtt_client_t *c, size_t *room);
/* len bytes (at most the room) were written at mqtt_recvbuf(): processes
 * them, calling on_event. 0 or the sticky error. */
int mqtt_received(mqtt_client_t *c, size_t len, uint64_t now_ms);
/* Copies and processes up to len bytes from data (which must not point
 * into the context). Returns how many were taken (fewer than len when the
 * output must be sent first) or the sticky error. */
int mqtt_feed(mqtt_client_t *c, const uint8_t *data, size_t len, uint64_t now_ms);

/* Timers: CONNACK and PINGRESP deadlines, PINGREQ after keepalive_s of
 * output silence. 0 or the sticky error. */
int mqtt_tick(mqtt_client_t *c, uint64_t now_ms);
/* Milliseconds until mqtt_tick() has something to do (UINT32_MAX: none). */
uint32_t mqtt_next_tick_ms(const mqtt_client_t *c, uint64_t now_ms);

/* Publishes payload[0..len) to topic (NUL-terminated, no wildcards,
 * 1..MQTT_TOPIC_MAX bytes of UTF-8). The packet is copied into a slot; the
 * caller's buffers are free on return. QoS 1: *id (may be NULL) is its
 * packet id, MQTT_EV_PUBACK reports it, and it may be called while no
 * connection is up (it is sent after the next CONNACK). QoS 0 needs
 * MQTT_ST_CONNECTED. 0, MQTT_E_ARG, MQTT_E_TOO_BIG, MQTT_E_WINDOW_FULL,
 * MQTT_E_STATE, MQTT_E_BUSY (a publish_begin is open) or the sticky error. */
int mqtt_publish(mqtt_client_t *c, const char *topic, const void *payload, size_t len,
                 uint8_t qos, bool retain, uint16_t *id);
/* The same without a copy: reserves a slot and points *payload at where
 * its payload goes (inside the context, *room bytes), so the caller can
 * encode the message straight into it; mqtt_publish_commit() then
 * completes the packet with the len bytes written, mqtt_publish_abort()
 * gives the slot back. One reservation at a time (MQTT_E_BUSY). Other
 * calls may come between begin and commit (the slot is kept, not sent,
 * across connections too); *payload stays valid until commit or abort.
 * begin returns
 * what mqtt_publish returns (but never MQTT_E_TOO_BIG); commit 0,
 * MQTT_E_TOO_BIG (len over *room: the reservation stays), MQTT_E_STATE
 * (nothing reserved, or QoS 0 and the connection gone: the slot is freed). */
int mqtt_publish_begin(mqtt_client_t *c, const char *topic, uint8_t qos, bool retain,
                       uint8_t **payload, size_t *room);
int mqtt_publish_commit(mqtt_client_t *c, size_t len, uint16_t *id);
void mqtt_publish_abort(mqtt_client_t *c);
/* The largest payload a publish to a topic of topic_len bytes may carry. */
size_t mqtt_publish_room(size_t topic_len);
/* Slots free for mqtt_publish(). */
unsigned mqtt_window_free(const mqtt_client_t *c);

/* Subscribes to n (1..MQTT_SUB_MAX) filters (NUL-terminated, valid
 * wildcards, 1..MQTT_FILTER_MAX bytes) with the maximum QoS qos[i] (0 or
 * 1) each; MQTT_EV_SUBACK reports what was granted. Needs
 * MQTT_ST_CONNECTED. 0, MQTT_E_ARG, MQTT_E_BUSY, MQTT_E_AGAIN, MQTT_E_STATE
 * or the sticky error. */
int mqtt_subscribe(mqtt_client_t *c, const char *const *filters, const uint8_t *qos, size_t n,
                   uint16_t *id);

enum mqtt_state mqtt_state(const mqtt_client_t *c);
int mqtt_error(const mqtt_client_t *c);
/* The last CONNACK's return code (meaningful after MQTT_EV_CONNACK). */
uint8_t mqtt_connack_code(const mqtt_client_t *c);
const mqtt_stats_t *mqtt_stats(const mqtt_client_t *c);
/* A readable name for any MQTT_E_* ("ping_timeout"). */
const char *mqtt_error_name(int err);

#endif
