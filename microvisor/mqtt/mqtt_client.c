/*
 * The MQTT 3.1.1 session (mqtt.h): connection state, the in-flight window,
 * keepalive, and the receive side that feeds mqtt_packet.c's parser.
 *
 * IMPLEMENTATION NOTES
 * - Output comes from two places: the control buffer (CONNECT, SUBSCRIBE,
 *   PUBACK, PINGREQ, DISCONNECT), and the in-flight slots, each holding
 *   one whole PUBLISH. A packet once started is sent to its end before
 *   anything else, so packets never interleave; a PUBLISH is never copied
 *   a second time.
 * - Slots go FREE -> UNSENT -> (being sent) -> SENT (QoS 1, until PUBACK)
 *   or FREE (QoS 0). When a connection ends, every QoS 1 slot goes back to
 *   UNSENT, with DUP set if any of it had gone out, and they go out again
 *   in the order they were published, with their original packet ids,
 *   after the next CONNACK (3.1.1 4.4). QoS 0 slots not yet sent are
 *   dropped with the connection. The broker's session present flag does
 *   not change this: QoS 1 means at least once, so a publish is resent
 *   even to a broker that forgot the session (3.2.2.2 leaves the choice to
 *   the client).
 * - Input is taken one packet at a time: recvbuf offers the 2 bytes every
 *   fixed header has, then one more per remaining-length continuation,
 *   then at most the rest of the body. So a packet ends exactly at the end
 *   of a mqtt_received() call, and recvbuf can refuse the next one until
 *   the control buffer has room for its PUBACK: input is back-pressured by
 *   output, nothing is queued without a bound.
 * - An incoming PUBLISH whose body is over MQTT_RX_MAX is counted away
 *   through the receive buffer; its topic length and packet id are picked
 *   out as they pass so it can still be PUBACKed. Not acknowledging it
 *   would make a persistent-session broker send it again after every
 *   reconnect, forever.
 */
#include <string.h>

#include "mqtt_priv.h"

enum { SLOT_FREE = 0, SLOT_RESERVED, SLOT_UNSENT, SLOT_SENT };

/* Room for the fixed header at the front of a slot: the first byte and a
 * remaining length of at most 2 bytes (MQTT_PUB_MAX <= 16384). The
 * variable header and payload follow it, and the fixed header is written
 * right-aligned against them once the payload's length is known. */
#define PUB_HDR 3u

/* Control-buffer room kept back for what receiving and ticking may queue:
 * a PUBACK (4), a PINGREQ (2) and a DISCONNECT (2). */
#define KEEP 8u

static int fail(mqtt_client_t *c, int err)
{
    if (!c->err)
        c->err = err;
    c->state = MQTT_ST_FAILED;
    /* 3.1.1 4.8: on a protocol violation the client closes the connection;
     * nothing more is sent on it */
    c->olen = c->osent = 0;
    c->cur_slot = -1;
    c->cslot_off = 0;
    return c->err;
}

static void emit(mqtt_client_t *c, const mqtt_event_t *ev)
{
    if (c->cfg->on_event)
        c->cfg->on_event(c->cfg->arg, ev);
}

static size_t ofree(mqtt_client_t *c)
{
    if (c->osent && c->osent == c->olen)
        c->olen = c->osent = 0;
    return sizeof(c->obuf) - c->olen + c->osent;
}

/* Room for n more bytes at the end of the control buffer (compacting it:
 * what sendbuf showed before is stale by then, as mqtt.h says). */
static uint8_t *oroom(mqtt_client_t *c, size_t n)
{
    if (ofree(c) < n)
        return NULL;
    if (sizeof(c->obuf) - c->olen < n) {
        memmove(c->obuf, c->obuf + c->osent, c->olen - c->osent);
        c->olen -= c->osent;
        c->osent = 0;
    }
    return c->obuf + c->olen;
}

static int queue_simple(mqtt_client_t *c, uint8_t type, uint16_t id)
{
    uint8_t *p = oroom(c, 4);
    if (!p)
        return MQTT_E_AGAIN;
    c->olen += mqtt_ser_simple(p, 4, type, id);
    return 0;
}

static bool id_in_use(const mqtt_client_t *c, uint16_t id)
{
    if (id == c->sub_id)
        return true;
    for (unsigned i = 0; i < MQTT_INFLIGHT_N; i++)
        if (c->slot[i].used != SLOT_FREE && c->slot[i].id == id)
            return true;
    return false;
}

/* The next packet id that nothing outstanding holds (2.3.1: never reused
 * while in flight). At most MQTT_INFLIGHT_N + 1 are ever taken, so this
 * ends within that many steps. */
static uint16_t alloc_id(mqtt_client_t *c)
{
    for (;;) {
        uint16_t id = c->next_id;
        c->next_id = (uint16_t)(id == 0xffffu ? 1u : id + 1u);
        if (id && !id_in_use(c, id))
            return id;
    }
}

static void reset_input(mqtt_client_t *c)
{
    c->ihdr_len = 0;
    c->irem = c->ibody = 0;
    c->idiscard = false;
    c->d_tlen = c->d_id = 0;
}

/* Forgets the connection, keeps the session. */
static void reset_conn(mqtt_client_t *c)
{
    c->olen = c->osent = 0;
    c->cslot_off = 0;
    c->cur_slot = -1;
    c->ping_outstanding = false;
    c->sub_id = 0;
    c->sub_n = 0;
    reset_input(c);
    for (unsigned i = 0; i < MQTT_INFLIGHT_N; i++) {
        mqtt_slot_t *s = &c->slot[i];
        if (s->used == SLOT_FREE)
            continue;
        if (s->qos == 0) {
            s->used = SLOT_FREE;
            continue;
        }
        if (s->used == SLOT_RESERVED)
            continue; /* the caller is still writing it */
        if (s->used == SLOT_SENT || s->dup_pending)
            s->pkt[s->start] |= 0x08u; /* DUP: 3.3.1.1 */
        s->dup_pending = 0;
        s->used = SLOT_UNSENT;
    }
}

int mqtt_init(mqtt_client_t *c, const mqtt_config_t *cfg)
{
    memset(c, 0, sizeof(*c));
    c->cur_slot = -1;
    c->reserved = -1;
    c->next_id = 1;
    if (!cfg || !cfg->client_id)
        return MQTT_E_CONFIG;
    size_t idl = strnlen(cfg->client_id, MQTT_CLIENT_ID_MAX + 1u);
    if (idl == 0 || idl > MQTT_CLIENT_ID_MAX || !mqtt_utf8_ok((const uint8_t *)cfg->client_id, idl))
        return MQTT_E_CONFIG;
    if (cfg->will_topic) {
        size_t wl = strnlen(cfg->will_topic, MQTT_TOPIC_MAX + 1u);
        if (wl > MQTT_TOPIC_MAX || !mqtt_topic_ok((const uint8_t *)cfg->will_topic, wl) ||
            cfg->will_len > MQTT_WILL_MAX || (cfg->will_len && !cfg->will_payload) ||
            cfg->will_qos > 1)
            return MQTT_E_CONFIG;
    }
    c->cfg = cfg;
    return 0;
}

int mqtt_connect(mqtt_client_t *c, uint64_t now_ms)
{
    if (!c->cfg || c->state == MQTT_ST_CONNECTING || c->state == MQTT_ST_CONNECTED ||
        c->state == MQTT_ST_DISCONNECTING)
        return MQTT_E_STATE;
    reset_conn(c);
    c->err = 0;
    c->connack_code = 0;
    /* fits by construction: MQTT_CTRL_SIZE >= MQTT_CONNECT_MAX */
    c->olen = mqtt_ser_connect(c->obuf, sizeof(c->obuf), c->cfg);
    c->state = MQTT_ST_CONNECTING;
    c->connect_ms = c->last_tx_ms = now_ms;
    return 0;
}

void mqtt_connection_lost(mqtt_client_t *c)
{
    if (!c->cfg)
        return;
    reset_conn(c);
    c->state = MQTT_ST_IDLE;
}

int mqtt_disconnect(mqtt_client_t *c)
{
    if (c->state == MQTT_ST_FAILED)
        return c->err;
    /* before CONNACK the caller just closes the transport: a DISCONNECT
     * then would leave the CONNACK still to come */
    if (c->state != MQTT_ST_CONNECTED)
        return MQTT_E_STATE;
    int rc = queue_simple(c, MQTT_T_DISCONNECT, 0);
    if (rc)
        return rc;
    c->state = MQTT_ST_DISCONNECTING;
    return 0;
}

/* The next slot to send: the oldest UNSENT one. */
static int next_slot(const mqtt_client_t *c)
{
    int best = -1;
    for (unsigned i = 0; i < MQTT_INFLIGHT_N; i++) {
        const mqtt_slot_t *s = &c->slot[i];
        /* seq differences keep the order across a wrap of the counter */
        if (s->used == SLOT_UNSENT &&
            (best < 0 || (int32_t)(s->seq - c->slot[best].seq) < 0))
            best = (int)i;
    }
    return best;
}

const uint8_t *mqtt_sendbuf(mqtt_client_t *c, size_t *len)
{
    *len = 0;
    if (c->state == MQTT_ST_IDLE || c->state == MQTT_ST_FAILED || c->state == MQTT_ST_CLOSED)
        return NULL;
    if (c->cur_slot < 0 && c->osent < c->olen) {
        *len = c->olen - c->osent;
        return c->obuf + c->osent;
    }
    if (c->cur_slot < 0 && c->state == MQTT_ST_CONNECTED)
        c->cur_slot = (int8_t)next_slot(c);
    if (c->cur_slot < 0)
        return NULL;
    mqtt_slot_t *s = &c->slot[c->cur_slot];
    *len = s->len - c->cslot_off;
    return s->pkt + s->start + c->cslot_off;
}

void mqtt_sent(mqtt_client_t *c, size_t len, uint64_t now_ms)
{
    if (len == 0 || c->state == MQTT_ST_IDLE || c->state == MQTT_ST_FAILED ||
        c->state == MQTT_ST_CLOSED)
        return;
    c->last_tx_ms = now_ms;
    if (c->cur_slot >= 0) {
        mqtt_slot_t *s = &c->slot[c->cur_slot];
        c->cslot_off += len;
        s->dup_pending = 1;
        if (c->cslot_off < s->len)
            return;
        c->stats.published++;
        if (s->pkt[s->start] & 0x08u)
            c->stats.resent++;
        s->used = s->qos ? SLOT_SENT : SLOT_FREE;
        c->cur_slot = -1;
        c->cslot_off = 0;
        return;
    }
    c->osent += len < c->olen - c->osent ? len : c->olen - c->osent;
    if (c->osent == c->olen) {
        c->olen = c->osent = 0;
        if (c->state == MQTT_ST_DISCONNECTING)
            c->state = MQTT_ST_CLOSED;
    }
}

/* Not once DISCONNECT is queued: nothing may follow it (3.14.4), not even
 * a PUBACK; a QoS 1 message left unacknowledged comes again next time. */
static bool taking_input(const mqtt_client_t *c)
{
    return c->state == MQTT_ST_CONNECTING || c->state == MQTT_ST_CONNECTED;
}

uint8_t *mqtt_recvbuf(mqtt_client_t *c, size_t *room)
{
    *room = 0;
    if (!taking_input(c))
        return NULL;
    bool in_header = c->ihdr_len < 2 || (c->ihdr[c->ihdr_len - 1] & 0x80u);
    /* a new packet only when its PUBACK could be queued */
    if (c->ihdr_len == 0 && ofree(c) < KEEP)
        return NULL;
    if (in_header) {
        *room = c->ihdr_len == 0 ? 2u : 1u;
        return c->ihdr + c->ihdr_len;
    }
    size_t left = c->irem - c->ibody;
    if (c->idiscard) {
        *room = left < sizeof(c->ibuf) ? left : sizeof(c->ibuf);
        return c->ibuf;
    }
    *room = left;
    return c->ibuf + c->ibody;
}

static int on_connack(mqtt_client_t *c, const mqtt_packet_t *p)
{
    mqtt_event_t ev = {.type = MQTT_EV_CONNACK, .return_code = p->rc,
                       .session_present = (p->ack_flags & 1u) != 0};
    c->connack_code = p->rc;
    /* 3.2.2.2: a clean session is never present */
    if (c->cfg->clean_session && ev.session_present)
        return fail(c, MQTT_E_MALFORMED);
    if (p->rc) {
        emit(c, &ev);
        return fail(c, MQTT_E_REFUSED);
    }
    c->state = MQTT_ST_CONNECTED;
    c->stats.connects++;
    emit(c, &ev);
    return 0;
}

static int on_puback(mqtt_client_t *c, uint16_t id)
{
    for (unsigned i = 0; i < MQTT_INFLIGHT_N; i++) {
        mqtt_slot_t *s = &c->slot[i];
        if (s->used == SLOT_SENT && s->qos == 1 && s->id == id) {
            mqtt_event_t ev = {.type = MQTT_EV_PUBACK, .id = id};
            s->used = SLOT_FREE;
            c->stats.acked++;
            emit(c, &ev);
            return 0;
        }
    }
    return fail(c, MQTT_E_UNKNOWN_ID);
}

static int on_suback(mqtt_client_t *c, const mqtt_packet_t *p)
{
    if (!c->sub_id || p->id != c->sub_id)
        return fail(c, MQTT_E_UNKNOWN_ID);
    if (p->ncodes != c->sub_n)
        return fail(c, MQTT_E_MALFORMED); /* 3.9.3: one code per filter */
    mqtt_event_t ev = {.type = MQTT_EV_SUBACK, .id = p->id, .n = c->sub_n};
    for (size_t i = 0; i < p->ncodes; i++) {
        if (p->codes[i] != MQTT_SUBACK_FAILURE && p->codes[i] > c->sub_qos[i])
            return fail(c, MQTT_E_QOS); /* 3.8.4: never more than asked */
        ev.granted[i] = p->codes[i];
    }
    c->sub_id = 0;
    emit(c, &ev);
    return 0;
}

/* A whole packet is in ihdr/ibuf. */
static int dispatch(mqtt_client_t *c)
{
    mqtt_packet_t p;
    int rc = mqtt_parse(c->ihdr[0], c->ibuf, c->irem, &p);
    reset_input(c);
    if (rc)
        return fail(c, rc);
    switch (p.type) {
    case MQTT_T_CONNACK:
        return on_connack(c, &p);
    case MQTT_T_PUBACK:
        return on_puback(c, p.id);
    case MQTT_T_SUBACK:
        return on_suback(c, &p);
    case MQTT_T_PINGRESP: {
        if (!c->ping_outstanding)
            return fail(c, MQTT_E_UNEXPECTED);
        mqtt_event_t ev = {.type = MQTT_EV_PINGRESP};
        c->ping_outstanding = false;
        c->stats.pings++;
        emit(c, &ev);
        return 0;
    }
    default: { /* PUBLISH */
        mqtt_event_t ev = {.type = MQTT_EV_PUBLISH, .id = p.id, .qos = p.qos,
                           .retain = p.retain, .dup = p.dup,
                           .topic = (const char *)p.topic, .topic_len = p.topic_len,
                           .payload = p.payload, .len = p.len};
        /* queued before the callback, which may fill the control buffer;
         * recvbuf kept room for it. It goes out after the callback ran. */
        if (p.qos)
            queue_simple(c, MQTT_T_PUBACK, p.id);
        c->stats.received++;
        emit(c, &ev);
        return 0;
    }
    }
}

/* The end of an oversized PUBLISH that was counted away. */
static int dropped(mqtt_client_t *c)
{
    uint8_t qos = (uint8_t)((c->ihdr[0] >> 1) & 3u);
    mqtt_event_t ev = {.type = MQTT_EV_DROPPED, .id = c->d_id, .qos = qos, .len = c->irem};
    bool ok = c->d_tlen && 2u + (uint32_t)c->d_tlen + (qos ? 2u : 0u) <= c->irem &&
              (!qos || c->d_id);
    reset_input(c);
    if (!ok)
        return fail(c, MQTT_E_MALFORMED);
    if (qos)
        queue_simple(c, MQTT_T_PUBACK, ev.id);
    c->stats.dropped++;
    emit(c, &ev);
    return 0;
}

/* The fixed header is complete in ihdr: checks it against the state. */
static int header_done(mqtt_client_t *c)
{
    uint8_t type = (uint8_t)(c->ihdr[0] >> 4);
    int rc = mqtt_check_header(c->ihdr[0], c->irem);
    if (rc)
        return fail(c, rc);
    /* 3.2.0: the server's first packet is CONNACK, and only the first */
    if ((c->state == MQTT_ST_CONNECTING) != (type == MQTT_T_CONNACK))
        return fail(c, MQTT_E_UNEXPECTED);
    c->ibody = 0;
    if (type == MQTT_T_PUBLISH && c->irem > sizeof(c->ibuf))
        c->idiscard = true;
    if (c->irem == 0)
        return dispatch(c);
    return 0;
}

int mqtt_received(mqtt_client_t *c, size_t len, uint64_t now_ms)
{
    (void)now_ms;
    if (c->state == MQTT_ST_FAILED)
        return c->err;
    if (!taking_input(c))
        return MQTT_E_STATE;
    if (len == 0)
        return 0;
    bool in_header = c->ihdr_len < 2 || (c->ihdr[c->ihdr_len - 1] & 0x80u);
    if (in_header) {
        size_t want = c->ihdr_len == 0 ? 2u : 1u;
        if (len > want)
            return MQTT_E_ARG;
        c->ihdr_len = (uint8_t)(c->ihdr_len + len);
        if (c->ihdr_len < 2)
            return 0;
        size_t used;
        int rc = mqtt_rl_decode(c->ihdr + 1, c->ihdr_len - 1u, &c->irem, &used);
        if (rc < 0)
            return fail(c, rc);
        if (rc == 1) {
            if (c->ihdr_len == sizeof(c->ihdr))
                return fail(c, MQTT_E_MALFORMED);
            return 0;
        }
        return header_done(c);
    }
    if (len > c->irem - c->ibody)
        return MQTT_E_ARG;
    if (!c->idiscard) {
        c->ibody += (uint32_t)len;
        return c->ibody == c->irem ? dispatch(c) : 0;
    }
    uint8_t qos = (uint8_t)((c->ihdr[0] >> 1) & 3u);
    for (size_t i = 0; i < len; i++, c->ibody++) {
        uint32_t o = c->ibody;
        uint8_t b = c->ibuf[i];
        if (o < 2)
            c->d_tlen = (uint16_t)(c->d_tlen << 8 | b);
        else if (qos && o == 2u + c->d_tlen)
            c->d_id = (uint16_t)(b << 8);
        else if (qos && o == 3u + c->d_tlen)
            c->d_id = (uint16_t)(c->d_id | b);
    }
    return c->ibody == c->irem ? dropped(c) : 0;
}

int mqtt_feed(mqtt_client_t *c, const uint8_t *data, size_t len, uint64_t now_ms)
{
    size_t off = 0;
    if (len > 0x7fffffffu)
        len = 0x7fffffffu;
    while (off < len) {
        size_t room;
        uint8_t *p = mqtt_recvbuf(c, &room);
        if (!room)
            break;
        size_t n = len - off < room ? len - off : room;
        memcpy(p, data + off, n);
        int rc = mqtt_received(c, n, now_ms);
        if (rc < 0)
            return rc;
        off += n;
    }
    if (c->state == MQTT_ST_FAILED)
        return c->err;
    return (int)off;
}

int mqtt_tick(mqtt_client_t *c, uint64_t now_ms)
{
    if (c->state == MQTT_ST_FAILED)
        return c->err;
    if (c->state == MQTT_ST_CONNECTING && now_ms - c->connect_ms >= MQTT_CONNACK_TIMEOUT_MS)
        return fail(c, MQTT_E_TIMEOUT);
    if (c->state != MQTT_ST_CONNECTED)
        return 0;
    if (c->ping_outstanding && now_ms - c->ping_ms >= MQTT_PINGRESP_TIMEOUT_MS)
        return fail(c, MQTT_E_PING_TIMEOUT);
    /* 3.1.2.10: a control packet at least every keepalive_s; with nothing
     * else going out, a PINGREQ */
    if (c->cfg->keepalive_s && !c->ping_outstanding &&
        now_ms - c->last_tx_ms >= (uint64_t)c->cfg->keepalive_s * 1000u &&
        queue_simple(c, MQTT_T_PINGREQ, 0) == 0) {
        c->ping_outstanding = true;
        c->ping_ms = now_ms;
    }
    return 0;
}

static uint32_t until(uint64_t now, uint64_t at)
{
    if (at <= now)
        return 0;
    return at - now > 0xfffffffeu ? 0xfffffffeu : (uint32_t)(at - now);
}

uint32_t mqtt_next_tick_ms(const mqtt_client_t *c, uint64_t now_ms)
{
    if (c->state == MQTT_ST_CONNECTING)
        return until(now_ms, c->connect_ms + MQTT_CONNACK_TIMEOUT_MS);
    if (c->state != MQTT_ST_CONNECTED)
        return UINT32_MAX;
    if (c->ping_outstanding)
        return until(now_ms, c->ping_ms + MQTT_PINGRESP_TIMEOUT_MS);
    if (!c->cfg->keepalive_s)
        return UINT32_MAX;
    return until(now_ms, c->last_tx_ms + (uint64_t)c->cfg->keepalive_s * 1000u);
}

size_t mqtt_publish_room(size_t topic_len)
{
    /* fixed header of at most 3 bytes (MQTT_PUB_MAX <= 16384), topic
     * length, topic, packet id */
    size_t over = 3u + 2u + topic_len + 2u;
    return over < MQTT_PUB_MAX ? MQTT_PUB_MAX - over : 0;
}

unsigned mqtt_window_free(const mqtt_client_t *c)
{
    unsigned n = 0;
    for (unsigned i = 0; i < MQTT_INFLIGHT_N; i++)
        n += c->slot[i].used == SLOT_FREE;
    return n;
}

int mqtt_publish_begin(mqtt_client_t *c, const char *topic, uint8_t qos, bool retain,
                       uint8_t **payload, size_t *room)
{
    *payload = NULL;
    *room = 0;
    if (!c->cfg)
        return MQTT_E_STATE;
    if (c->state == MQTT_ST_FAILED)
        return c->err;
    if (qos > 1 || !topic)
        return MQTT_E_ARG;
    size_t tl = strnlen(topic, MQTT_TOPIC_MAX + 1u);
    if (tl > MQTT_TOPIC_MAX || !mqtt_topic_ok((const uint8_t *)topic, tl))
        return MQTT_E_ARG;
    if (qos == 0 && c->state != MQTT_ST_CONNECTED)
        return MQTT_E_STATE;
    if (c->reserved >= 0)
        return MQTT_E_BUSY;
    int k = -1;
    for (unsigned i = 0; i < MQTT_INFLIGHT_N && k < 0; i++)
        if (c->slot[i].used == SLOT_FREE)
            k = (int)i;
    if (k < 0)
        return MQTT_E_WINDOW_FULL;
    mqtt_slot_t *s = &c->slot[k];
    uint16_t pid = qos ? alloc_id(c) : 0;
    /* fits: MQTT_PUB_MAX holds PUB_HDR + the longest topic (config check) */
    size_t vh = mqtt_ser_publish_vh(s->pkt + PUB_HDR, sizeof(s->pkt) - PUB_HDR, topic, tl,
                                    qos, pid);
    s->used = SLOT_RESERVED;
    s->qos = qos;
    s->retain = retain;
    s->id = pid;
    s->len = (uint16_t)vh; /* variable header only, until commit */
    c->reserved = (int8_t)k;
    *payload = s->pkt + PUB_HDR + vh;
    *room = sizeof(s->pkt) - PUB_HDR - vh;
    return 0;
}

int mqtt_publish_commit(mqtt_client_t *c, size_t len, uint16_t *id)
{
    if (c->reserved < 0)
        return MQTT_E_STATE;
    mqtt_slot_t *s = &c->slot[c->reserved];
    if (s->qos == 0 && c->state != MQTT_ST_CONNECTED) {
        mqtt_publish_abort(c);
        return MQTT_E_STATE;
    }
    if (len > sizeof(s->pkt) - PUB_HDR - s->len)
        return MQTT_E_TOO_BIG;
    uint8_t fh[5];
    uint32_t rem = (uint32_t)(s->len + len);
    size_t h = mqtt_ser_fixed(fh, mqtt_publish_b0(s->qos, s->retain, false), rem);
    s->start = (uint8_t)(PUB_HDR - h);
    memcpy(s->pkt + s->start, fh, h);
    s->len = (uint16_t)(h + rem);
    s->dup_pending = 0;
    s->seq = c->next_seq++;
    s->used = SLOT_UNSENT;
    c->reserved = -1;
    if (id)
        *id = s->id;
    return 0;
}

void mqtt_publish_abort(mqtt_client_t *c)
{
    if (c->reserved < 0)
        return;
    c->slot[c->reserved].used = SLOT_FREE;
    c->reserved = -1;
}

int mqtt_publish(mqtt_client_t *c, const char *topic, const void *payload, size_t len,
                 uint8_t qos, bool retain, uint16_t *id)
{
    uint8_t *p;
    size_t room;
    if (len && !payload)
        return MQTT_E_ARG;
    int rc = mqtt_publish_begin(c, topic, qos, retain, &p, &room);
    if (rc)
        return rc;
    if (len > room) {
        mqtt_publish_abort(c);
        return MQTT_E_TOO_BIG;
    }
    if (len)
        memcpy(p, payload, len);
    return mqtt_publish_commit(c, len, id);
}

int mqtt_subscribe(mqtt_client_t *c, const char *const *filters, const uint8_t *qos, size_t n,
                   uint16_t *id)
{
    if (c->state == MQTT_ST_FAILED)
        return c->err;
    if (c->state != MQTT_ST_CONNECTED)
        return MQTT_E_STATE;
    if (!filters || !qos || n == 0 || n > MQTT_SUB_MAX)
        return MQTT_E_ARG;
    for (size_t i = 0; i < n; i++) {
        size_t fl = filters[i] ? strnlen(filters[i], MQTT_FILTER_MAX + 1u) : 0;
        if (fl > MQTT_FILTER_MAX || !mqtt_filter_ok((const uint8_t *)filters[i], fl) ||
            qos[i] > 1)
            return MQTT_E_ARG;
    }
    if (c->sub_id)
        return MQTT_E_BUSY;
    if (ofree(c) < MQTT_SUBSCRIBE_MAX + KEEP)
        return MQTT_E_AGAIN;
    uint8_t *p = oroom(c, MQTT_SUBSCRIBE_MAX);
    uint16_t sid = alloc_id(c);
    size_t len = mqtt_ser_subscribe(p, MQTT_SUBSCRIBE_MAX, sid, filters, qos, n);
    if (!len)
        return MQTT_E_ARG; /* not reached: every filter was checked */
    c->olen += len;
    c->sub_id = sid;
    c->sub_n = (uint8_t)n;
    memcpy(c->sub_qos, qos, n);
    if (id)
        *id = sid;
    return 0;
}

enum mqtt_state mqtt_state(const mqtt_client_t *c)
{
    return c->state;
}

int mqtt_error(const mqtt_client_t *c)
{
    return c->err;
}

uint8_t mqtt_connack_code(const mqtt_client_t *c)
{
    return c->connack_code;
}

const mqtt_stats_t *mqtt_stats(const mqtt_client_t *c)
{
    return &c->stats;
}

const char *mqtt_error_name(int err)
{
    static const char *const names[MQTT_E_COUNT + 1] = {
        "ok", "config", "state", "arg", "too_big", "window_full", "again", "busy",
        "malformed", "utf8", "unexpected", "unknown_id", "qos", "refused", "timeout",
        "ping_timeout",
    };
    if (err > 0 || err < -MQTT_E_COUNT)
        return "unknown";
    return names[-err];
}
