/*
 * libFuzzer targets for microvisor/mqtt (MQTT_FUZZ_MODE picks one):
 *   0 packet: the parser. data[0] is the fixed header's first byte, the
 *     rest the body: mqtt_check_header, mqtt_parse; a PUBLISH that parses
 *     is serialized again and must come out byte for byte the same. The
 *     remaining-length decoder, the UTF-8, topic and filter checks on the
 *     same bytes (decode then encode must round-trip).
 *   1 client: a session fed arbitrary bytes, interleaved with the calls a
 *     connection manager makes, chosen by the input (publish QoS 0/1,
 *     subscribe, zero-copy begin/commit/abort, send all or part of the
 *     output, time passing, the link dropping and coming back, disconnect). After every step: the output
 *     is a sequence of whole packets (never two interleaved), the window's
 *     packet ids are non-zero and distinct, no buffer is overrun (ASan).
 *     Built with MQTT_RX_MAX 512, so short inputs reach the oversized path.
 */
#include <stdlib.h>
#include <string.h>

#include "mqtt_priv.h"

#ifndef MQTT_FUZZ_MODE
#define MQTT_FUZZ_MODE 0
#endif

#if MQTT_FUZZ_MODE == 0

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    mqtt_packet_t p;
    uint8_t b0 = data[0];
    const uint8_t *body = data + 1;
    size_t len = size - 1;
    if (mqtt_parse(b0, body, len, &p) == 0 && p.type == MQTT_T_PUBLISH) {
        static uint8_t again[4096 + 8];
        size_t n = mqtt_ser_publish(again, sizeof(again), (const char *)p.topic, p.topic_len,
                                    p.payload, p.len, p.qos, p.retain, p.dup, p.id);
        uint8_t rl[4];
        size_t h = 1 + mqtt_rl_encode(rl, (uint32_t)len);
        if (n != h + len || again[0] != b0 || memcmp(again + h, body, len) != 0)
            abort();
    }
    uint32_t rem;
    size_t used;
    if (mqtt_rl_decode(data, size, &rem, &used) == 0) {
        uint8_t rl[4];
        if (mqtt_rl_encode(rl, rem) != used || memcmp(rl, data, used) != 0)
            abort(); /* only the shortest form is accepted */
    }
    bool utf8 = mqtt_utf8_ok(data, size);
    if ((mqtt_topic_ok(data, size) || mqtt_filter_ok(data, size)) && !utf8)
        abort();
    return 0;
}

#else

static mqtt_client_t client;
static const mqtt_config_t cfg = {.client_id = "UV0123456789ABCDEF0123456789ABCDEF",
                                  .keepalive_s = 5,
                                  .will_topic = "devices/x/up/offline"};

/* Output framing: the bytes of the current connection so far. */
static struct {
    uint8_t hdr[5];
    size_t hlen;
    uint32_t left; /* body bytes of the current packet still to come */
    bool in_body;
} out;

static void frame_reset(void)
{
    memset(&out, 0, sizeof(out));
}

static void frame(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (out.in_body) {
            if (--out.left == 0)
                out.in_body = false, out.hlen = 0;
            continue;
        }
        out.hdr[out.hlen++] = p[i];
        if (out.hlen < 2)
            continue;
        uint32_t rem;
        size_t used;
        int rc = mqtt_rl_decode(out.hdr + 1, out.hlen - 1, &rem, &used);
        if (rc < 0 || (rc == 1 && out.hlen == sizeof(out.hdr)))
            abort(); /* the client wrote a bad header */
        if (rc == 1)
            continue;
        uint8_t type = out.hdr[0] >> 4;
        if (type != MQTT_T_CONNECT && type != MQTT_T_PUBLISH && type != MQTT_T_PUBACK &&
            type != MQTT_T_SUBSCRIBE && type != MQTT_T_PINGREQ && type != MQTT_T_DISCONNECT)
            abort(); /* mid-packet: two packets interleaved */
        if (type == MQTT_T_PUBLISH && rem + 1 + used > MQTT_PUB_MAX)
            abort();
        out.hlen = 0;
        if (rem) {
            out.left = rem;
            out.in_body = true;
        }
    }
}

static size_t pending_room; /* the last publish_begin's room */

static void send_out(size_t max, uint64_t now)
{
    size_t len;
    const uint8_t *p;
    while (max && (p = mqtt_sendbuf(&client, &len)) && len) {
        size_t k = len < max ? len : max;
        frame(p, k);
        mqtt_sent(&client, k, now);
        max -= k;
    }
}

static void check_window(void)
{
    for (unsigned i = 0; i < MQTT_INFLIGHT_N; i++) {
        const mqtt_slot_t *s = &client.slot[i];
        if (!s->used || !s->qos)
            continue;
        if (!s->id)
            abort();
        for (unsigned j = i + 1; j < MQTT_INFLIGHT_N; j++)
            if (client.slot[j].used && client.slot[j].qos && client.slot[j].id == s->id)
                abort();
    }
    if (mqtt_window_free(&client) > MQTT_INFLIGHT_N)
        abort();
}

static void on_event(void *arg, const mqtt_event_t *ev)
{
    (void)arg;
    if (ev->type == MQTT_EV_PUBLISH) {
        /* touch every byte the event points at */
        volatile uint8_t x = 0;
        for (size_t i = 0; i < ev->topic_len; i++)
            x ^= (uint8_t)ev->topic[i];
        for (size_t i = 0; i < ev->len; i++)
            x ^= ev->payload[i];
        (void)x;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mqtt_config_t c;
    c = cfg;
    c.on_event = on_event;
    if (mqtt_init(&client, &c) != 0)
        abort();
    uint64_t now = 0;
    mqtt_connect(&client, now);
    frame_reset();
    size_t i = 0;
    while (i < size) {
        uint8_t op = data[i++];
        if (op < 0xa0) {
            /* feed the next 1..64 bytes */
            size_t n = (size_t)(op & 0x3f) + 1;
            if (n > size - i)
                n = size - i;
            int rc = mqtt_feed(&client, data + i, n, now);
            if (rc > (int)n)
                abort();
            i += n;
        } else if (op == 0xa0 || op == 0xa1) {
            uint16_t id = 0;
            int rc = mqtt_publish(&client, "devices/x/up/logs", data + i, size - i < 40 ? size - i : 40,
                                  op == 0xa0, false, &id);
            if (rc == 0 && op == 0xa0 && id == 0)
                abort();
        } else if (op == 0xa2) {
            const char *f[] = {"devices/x/down/#", "b/+"};
            mqtt_subscribe(&client, f, (const uint8_t[]){1, 0}, 2, NULL);
        } else if (op == 0xa3) {
            send_out(SIZE_MAX, now);
        } else if (op == 0xa4) {
            send_out(3, now);
        } else if (op == 0xa5) {
            now += 1000;
            mqtt_tick(&client, now);
        } else if (op == 0xa6) {
            now += 20000;
            mqtt_tick(&client, now);
        } else if (op == 0xa7) {
            mqtt_connection_lost(&client);
            mqtt_connect(&client, now);
            frame_reset();
        } else if (op == 0xa8) {
            mqtt_disconnect(&client);
        } else if (op == 0xa9) {
            /* zero-copy: reserve, write the whole room (ASan checks it is
             * inside the slot), commit a length from the input */
            uint8_t *p;
            size_t room;
            if (mqtt_publish_begin(&client, "devices/x/up/status", i < size ? data[i] & 1 : 1,
                                   false, &p, &room) == 0) {
                memset(p, 0x5a, room);
                pending_room = room;
            }
        } else if (op == 0xaa) {
            size_t n = i < size ? data[i] : 0;
            int rc = mqtt_publish_commit(&client, n, NULL);
            if (rc == 0 && n > pending_room)
                abort();
        } else if (op == 0xab) {
            mqtt_publish_abort(&client);
        } else {
            send_out(SIZE_MAX, now);
        }
        check_window();
    }
    return 0;
}

#endif
