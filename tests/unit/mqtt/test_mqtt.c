/*
 * Unit tests for microvisor/mqtt: the packet codec (exact bytes from the
 * MQTT 3.1.1 text, every refusal), then the session driven by hand-made
 * broker packets: CONNECT/CONNACK, SUBSCRIBE/SUBACK, QoS 0 and 1 both
 * ways, the in-flight window, packet ids, redelivery with DUP after a
 * reconnect, keepalive and its deadline, oversized packets, back-pressure,
 * DISCONNECT, and input fed in every split.
 */
#include <stdlib.h>

#include "keel_test.h"
#include "mqtt_priv.h"

#define MAXEV 512
static struct {
    int n;
    mqtt_event_t ev[MAXEV];
    char topic[MAXEV][MQTT_TOPIC_MAX + 1];
    uint8_t payload[MAXEV][256];
} E;

static void on_event(void *arg, const mqtt_event_t *ev)
{
    (void)arg;
    if (E.n >= MAXEV)
        return;
    E.ev[E.n] = *ev;
    if (ev->type == MQTT_EV_PUBLISH) {
        size_t tl = ev->topic_len < MQTT_TOPIC_MAX ? ev->topic_len : MQTT_TOPIC_MAX;
        memcpy(E.topic[E.n], ev->topic, tl);
        E.topic[E.n][tl] = 0;
        memcpy(E.payload[E.n], ev->payload, ev->len < 256 ? ev->len : 256);
    }
    E.n++;
}

static mqtt_client_t C;
static mqtt_config_t CFG;

/* Everything the client wants to send, taken in chunks of `chunk`. */
static size_t drain_chunk(mqtt_client_t *c, uint8_t *out, size_t cap, size_t chunk, uint64_t now)
{
    size_t n = 0, len;
    const uint8_t *p;
    while ((p = mqtt_sendbuf(c, &len)), len > 0) {
        size_t k = len < chunk ? len : chunk;
        if (n + k > cap)
            abort();
        memcpy(out + n, p, k);
        n += k;
        mqtt_sent(c, k, now);
    }
    return n;
}

static size_t drain(mqtt_client_t *c, uint8_t *out, size_t cap)
{
    return drain_chunk(c, out, cap, 1u << 20, 0);
}

static int feed(mqtt_client_t *c, const uint8_t *p, size_t n, uint64_t now)
{
    return mqtt_feed(c, p, n, now);
}
#define FEED(...) feed(&C, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), 0)

static void setup(uint16_t keepalive)
{
    memset(&E, 0, sizeof(E));
    CFG = (mqtt_config_t){.client_id = "dev1", .keepalive_s = keepalive, .on_event = on_event};
    CHECK_EQ(mqtt_init(&C, &CFG), 0);
}

/* init, connect, CONNACK accepted; the CONNECT is drained. */
static void connected(uint16_t keepalive)
{
    uint8_t out[512];
    setup(keepalive);
    CHECK_EQ(mqtt_connect(&C, 0), 0);
    drain(&C, out, sizeof(out));
    CHECK_EQ(FEED(0x20, 2, 0, 0), 4);
    CHECK_EQ(mqtt_state(&C), MQTT_ST_CONNECTED);
    E.n = 0;
}

static void test_rl(void)
{
    static const uint32_t vals[] = {0, 1, 127, 128, 16383, 16384, 2097151, 2097152, MQTT_RL_MAX};
    static const size_t lens[] = {1, 1, 1, 2, 2, 3, 3, 4, 4};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        uint8_t b[4];
        uint32_t v;
        size_t used, n = mqtt_rl_encode(b, vals[i]);
        CHECK_EQ(n, lens[i]);
        CHECK_EQ(mqtt_rl_decode(b, n, &v, &used), 0);
        CHECK_EQ(v, vals[i]);
        CHECK_EQ(used, n);
        CHECK_EQ(mqtt_rl_decode(b, n - 1, &v, &used), n > 1 ? 1 : 1); /* needs more */
    }
    uint8_t b321[] = {0xc1, 0x02}; /* 3.1.1 table 2.4 style: 65 + 2*128 = 321 */
    uint32_t v;
    size_t used;
    CHECK_EQ(mqtt_rl_decode(b321, 2, &v, &used), 0);
    CHECK_EQ(v, 321);
    uint8_t nonmin1[] = {0x80, 0x00}, nonmin2[] = {0xff, 0x80, 0x00}, five[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
    CHECK_EQ(mqtt_rl_decode(nonmin1, 2, &v, &used), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_rl_decode(nonmin2, 3, &v, &used), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_rl_decode(five, 5, &v, &used), MQTT_E_MALFORMED);
}

static void test_utf8(void)
{
#define U(s) mqtt_utf8_ok((const uint8_t *)(s), sizeof(s) - 1)
    CHECK(U("devices/x/up/logs"));
    CHECK(U("\xc3\xa9t\xc3\xa9"));            /* é */
    CHECK(U("\xe2\x82\xac"));                 /* € */
    CHECK(U("\xf0\x9f\x98\x80"));             /* U+1F600 */
    CHECK(U("\xef\xbb\xbf"));                 /* U+FEFF is allowed (1.5.3.1) */
    CHECK(!U("a\0b"));                        /* U+0000 */
    CHECK(!U("\xc0\x80"));                    /* overlong NUL */
    CHECK(!U("\xe0\x80\xaf"));                /* overlong '/' */
    CHECK(!U("\xed\xa0\x80"));                /* surrogate D800 */
    CHECK(!U("\xf4\x90\x80\x80"));            /* above U+10FFFF */
    CHECK(!U("\x80"));                        /* lone continuation */
    CHECK(!U("\xc3"));                        /* truncated */
    CHECK(!U("\xe2\x82"));
    CHECK(!U("\xf8\x88\x80\x80\x80"));
#define T(s) mqtt_topic_ok((const uint8_t *)(s), sizeof(s) - 1)
#define F(s) mqtt_filter_ok((const uint8_t *)(s), sizeof(s) - 1)
    CHECK(T("a/b"));
    CHECK(T("/"));
    CHECK(!T(""));
    CHECK(!T("a/+/b"));
    CHECK(!T("a/#"));
    CHECK(F("devices/x/down/#"));
    CHECK(F("#"));
    CHECK(F("+"));
    CHECK(F("+/a/+"));
    CHECK(F("a//b"));
    CHECK(!F(""));
    CHECK(!F("a/#/b"));
    CHECK(!F("a#"));
    CHECK(!F("a/b+"));
    CHECK(!F("a/++"));
}

static void test_serialize(void)
{
    uint8_t b[256];
    mqtt_config_t cfg = {.client_id = "ab", .keepalive_s = 60};
    /* 3.1: 10 0e | 00 04 M Q T T | 04 | flags 00 (clean 0) | 00 3c | 00 02 a b */
    static const uint8_t connect[] = {0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x00, 0, 60,
                                      0, 2, 'a', 'b'};
    CHECK_EQ(mqtt_ser_connect(b, sizeof(b), &cfg), sizeof(connect));
    CHECK(memcmp(b, connect, sizeof(connect)) == 0);
    CHECK_EQ(mqtt_ser_connect(b, sizeof(connect) - 1, &cfg), 0);
    cfg.clean_session = true;
    cfg.will_topic = "w";
    cfg.will_payload = (const uint8_t *)"x";
    cfg.will_len = 1;
    cfg.will_qos = 1;
    cfg.will_retain = true;
    /* flags: clean 0x02, will 0x04, will QoS 1 0x08, retain 0x20 */
    static const uint8_t connect_will[] = {0x10, 20, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x2e, 0, 60,
                                           0, 2, 'a', 'b', 0, 1, 'w', 0, 1, 'x'};
    CHECK_EQ(mqtt_ser_connect(b, sizeof(b), &cfg), sizeof(connect_will));
    CHECK(memcmp(b, connect_will, sizeof(connect_will)) == 0);

    static const uint8_t pub1[] = {0x33, 8, 0, 3, 'a', '/', 'b', 0x12, 0x34, 'h'};
    CHECK_EQ(mqtt_ser_publish(b, sizeof(b), "a/b", 3, "h", 1, 1, true, false, 0x1234), sizeof(pub1));
    CHECK(memcmp(b, pub1, sizeof(pub1)) == 0);
    static const uint8_t pub0[] = {0x30, 5, 0, 3, 'a', '/', 'b'};
    CHECK_EQ(mqtt_ser_publish(b, sizeof(b), "a/b", 3, NULL, 0, 0, false, false, 0), sizeof(pub0));
    CHECK(memcmp(b, pub0, sizeof(pub0)) == 0);
    CHECK_EQ(mqtt_ser_publish(b, sizeof(b), "a/b", 3, "h", 1, 1, false, true, 7), 10);
    CHECK_EQ(b[0], 0x3a); /* DUP | QoS 1 */
    CHECK_EQ(mqtt_ser_publish(b, sizeof(b), "a", 1, NULL, 0, 1, false, false, 0), 0); /* id 0 */
    CHECK_EQ(mqtt_ser_publish(b, sizeof(b), "a", 1, NULL, 0, 2, false, false, 1), 0); /* QoS 2 */
    CHECK_EQ(mqtt_ser_publish(b, sizeof(b), "a", 1, NULL, 0, 0, false, true, 0), 0); /* DUP QoS 0 */
    /* a 200-byte payload takes a 2-byte remaining length */
    static uint8_t big[200];
    CHECK_EQ(mqtt_ser_publish(b, sizeof(b), "t", 1, big, 200, 0, false, false, 0), 3 + 3 + 200);
    CHECK_EQ(b[1], (3 + 200) % 128 + 128);
    CHECK_EQ(b[2], 1);

    const char *f[] = {"a/#", "b"};
    const uint8_t q[] = {1, 0};
    static const uint8_t sub[] = {0x82, 12, 0, 9, 0, 3, 'a', '/', '#', 1, 0, 1, 'b', 0};
    CHECK_EQ(mqtt_ser_subscribe(b, sizeof(b), 9, f, q, 2), sizeof(sub));
    CHECK(memcmp(b, sub, sizeof(sub)) == 0);
    CHECK_EQ(mqtt_ser_subscribe(b, sizeof(b), 0, f, q, 2), 0);
    CHECK_EQ(mqtt_ser_simple(b, sizeof(b), MQTT_T_PUBACK, 0x0102), 4);
    CHECK(memcmp(b, "\x40\x02\x01\x02", 4) == 0);
    CHECK_EQ(mqtt_ser_simple(b, sizeof(b), MQTT_T_PINGREQ, 0), 2);
    CHECK(memcmp(b, "\xc0\x00", 2) == 0);
    CHECK_EQ(mqtt_ser_simple(b, sizeof(b), MQTT_T_DISCONNECT, 0), 2);
    CHECK(memcmp(b, "\xe0\x00", 2) == 0);
    CHECK_EQ(mqtt_ser_simple(b, 1, MQTT_T_DISCONNECT, 0), 0);
}

static void test_headers(void)
{
    /* what a client must never receive */
    for (unsigned t = 0; t < 16; t++) {
        bool ok = t == MQTT_T_CONNACK || t == MQTT_T_PUBLISH || t == MQTT_T_PUBACK ||
                  t == MQTT_T_SUBACK || t == MQTT_T_PINGRESP;
        if (!ok)
            CHECK_EQ(mqtt_check_header((uint8_t)(t << 4), 2), MQTT_E_UNEXPECTED);
    }
    CHECK_EQ(mqtt_check_header(0x20, 2), 0);
    CHECK_EQ(mqtt_check_header(0x21, 2), MQTT_E_MALFORMED); /* reserved flags */
    CHECK_EQ(mqtt_check_header(0x20, 3), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_check_header(0x40, 2), 0);
    CHECK_EQ(mqtt_check_header(0x42, 2), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_check_header(0x40, 3), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_check_header(0xd0, 0), 0);
    CHECK_EQ(mqtt_check_header(0xd0, 1), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_check_header(0xd8, 0), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_check_header(0x90, 3), 0);
    CHECK_EQ(mqtt_check_header(0x90, 2), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_check_header(0x90, 3 + MQTT_SUB_MAX), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_check_header(0x92, 3), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_check_header(0x30, 3), 0);
    CHECK_EQ(mqtt_check_header(0x30, 2), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_check_header(0x32, 4), MQTT_E_MALFORMED); /* QoS 1 needs the id */
    CHECK_EQ(mqtt_check_header(0x32, 5), 0);
    CHECK_EQ(mqtt_check_header(0x34, 5), MQTT_E_QOS);
    CHECK_EQ(mqtt_check_header(0x36, 5), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_check_header(0x38, 5), MQTT_E_MALFORMED); /* DUP on QoS 0 */
    CHECK_EQ(mqtt_check_header(0x3b, 5), 0);

    mqtt_packet_t p;
    CHECK_EQ(mqtt_parse(0x20, (const uint8_t *)"\x01\x00", 2, &p), 0);
    CHECK_EQ(p.ack_flags, 1);
    CHECK_EQ(mqtt_parse(0x20, (const uint8_t *)"\x02\x00", 2, &p), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_parse(0x20, (const uint8_t *)"\x00\x06", 2, &p), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_parse(0x20, (const uint8_t *)"\x01\x05", 2, &p), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_parse(0x20, (const uint8_t *)"\x00\x05", 2, &p), 0);
    CHECK_EQ(mqtt_parse(0x40, (const uint8_t *)"\x00\x00", 2, &p), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_parse(0x90, (const uint8_t *)"\x00\x01\x00", 3, &p), 0);
    CHECK_EQ(mqtt_parse(0x90, (const uint8_t *)"\x00\x01\x80", 3, &p), 0);
    CHECK_EQ(mqtt_parse(0x90, (const uint8_t *)"\x00\x01\x02", 3, &p), 0);
    CHECK_EQ(mqtt_parse(0x90, (const uint8_t *)"\x00\x01\x03", 3, &p), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_parse(0x90, (const uint8_t *)"\x00\x00\x00", 3, &p), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_parse(0x32, (const uint8_t *)"\x00\x01t\x00\x07hi", 7, &p), 0);
    CHECK_EQ(p.id, 7);
    CHECK_EQ(p.len, 2);
    CHECK(memcmp(p.payload, "hi", 2) == 0);
    CHECK_EQ(mqtt_parse(0x32, (const uint8_t *)"\x00\x01t\x00\x00", 5, &p), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_parse(0x30, (const uint8_t *)"\x00\x05tt", 4, &p), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_parse(0x30, (const uint8_t *)"\x00\x00\x00", 3, &p), MQTT_E_MALFORMED);
    CHECK_EQ(mqtt_parse(0x30, (const uint8_t *)"\x00\x01#", 3, &p), MQTT_E_UTF8);
    CHECK_EQ(mqtt_parse(0x30, (const uint8_t *)"\x00\x02\xc0\x80", 4, &p), MQTT_E_UTF8);
    CHECK_EQ(mqtt_parse(0x30, (const uint8_t *)"\x00\x01\x00", 3, &p), MQTT_E_UTF8);
}

static void test_init(void)
{
    mqtt_config_t cfg = {0};
    CHECK_EQ(mqtt_init(&C, NULL), MQTT_E_CONFIG);
    CHECK_EQ(mqtt_init(&C, &cfg), MQTT_E_CONFIG);
    cfg.client_id = "";
    CHECK_EQ(mqtt_init(&C, &cfg), MQTT_E_CONFIG);
    static char longid[MQTT_CLIENT_ID_MAX + 2];
    memset(longid, 'a', MQTT_CLIENT_ID_MAX + 1);
    cfg.client_id = longid;
    CHECK_EQ(mqtt_init(&C, &cfg), MQTT_E_CONFIG);
    longid[MQTT_CLIENT_ID_MAX] = 0;
    CHECK_EQ(mqtt_init(&C, &cfg), 0);
    cfg.client_id = "\xc0\x80";
    CHECK_EQ(mqtt_init(&C, &cfg), MQTT_E_CONFIG);
    cfg.client_id = "x";
    cfg.will_topic = "a/+";
    CHECK_EQ(mqtt_init(&C, &cfg), MQTT_E_CONFIG);
    cfg.will_topic = "a/b";
    cfg.will_len = MQTT_WILL_MAX + 1;
    cfg.will_payload = (const uint8_t *)longid;
    CHECK_EQ(mqtt_init(&C, &cfg), MQTT_E_CONFIG);
    cfg.will_len = 0;
    cfg.will_qos = 2;
    CHECK_EQ(mqtt_init(&C, &cfg), MQTT_E_CONFIG);
    cfg.will_qos = 1;
    CHECK_EQ(mqtt_init(&C, &cfg), 0);
    /* nothing to send, nothing taken before connect */
    size_t len;
    mqtt_sendbuf(&C, &len);
    CHECK_EQ(len, 0);
    mqtt_recvbuf(&C, &len);
    CHECK_EQ(len, 0);
    CHECK_EQ(mqtt_received(&C, 1, 0), MQTT_E_STATE);
    CHECK_EQ(mqtt_subscribe(&C, (const char *const[]){"a"}, (const uint8_t[]){0}, 1, NULL),
             MQTT_E_STATE);
    CHECK_EQ(mqtt_disconnect(&C), MQTT_E_STATE);
}

static void test_connect(void)
{
    uint8_t out[512];
    setup(30);
    CHECK_EQ(mqtt_connect(&C, 1000), 0);
    CHECK_EQ(mqtt_connect(&C, 1000), MQTT_E_STATE);
    size_t n = drain(&C, out, sizeof(out));
    static const uint8_t want[] = {0x10, 16, 0, 4, 'M', 'Q', 'T', 'T', 4, 0, 0, 30, 0, 4,
                                   'd', 'e', 'v', '1'};
    CHECK_EQ(n, sizeof(want));
    CHECK(memcmp(out, want, sizeof(want)) == 0);
    CHECK_EQ(mqtt_next_tick_ms(&C, 1000), MQTT_CONNACK_TIMEOUT_MS);
    CHECK_EQ(FEED(0x20, 2, 1, 0), 4);
    CHECK_EQ(mqtt_state(&C), MQTT_ST_CONNECTED);
    CHECK_EQ(E.n, 1);
    CHECK_EQ(E.ev[0].type, MQTT_EV_CONNACK);
    CHECK(E.ev[0].session_present);
    CHECK_EQ(mqtt_stats(&C)->connects, 1);
    /* a second CONNACK */
    CHECK_EQ(FEED(0x20, 2, 0, 0), MQTT_E_UNEXPECTED);
    CHECK_EQ(mqtt_state(&C), MQTT_ST_FAILED);
    CHECK_STR(mqtt_error_name(mqtt_error(&C)), "unexpected");

    /* anything but CONNACK first */
    setup(0);
    mqtt_connect(&C, 0);
    drain(&C, out, sizeof(out));
    CHECK_EQ(FEED(0xd0, 0), MQTT_E_UNEXPECTED);

    /* refused: the event carries the code, the error sticks */
    setup(0);
    mqtt_connect(&C, 0);
    drain(&C, out, sizeof(out));
    CHECK_EQ(FEED(0x20, 2, 0, 5), MQTT_E_REFUSED);
    CHECK_EQ(E.n, 1);
    CHECK_EQ(E.ev[0].return_code, 5);
    CHECK_EQ(mqtt_connack_code(&C), 5);
    CHECK_EQ(mqtt_tick(&C, 0), MQTT_E_REFUSED);
    CHECK_EQ(mqtt_publish(&C, "a", "x", 1, 1, false, NULL), MQTT_E_REFUSED);
    size_t len;
    mqtt_sendbuf(&C, &len);
    CHECK_EQ(len, 0);
    /* connect again clears it */
    CHECK_EQ(mqtt_connect(&C, 0), 0);
    CHECK_EQ(mqtt_error(&C), 0);

    /* no DISCONNECT before CONNACK: the caller closes the transport */
    setup(0);
    mqtt_connect(&C, 0);
    CHECK_EQ(mqtt_disconnect(&C), MQTT_E_STATE);

    /* no CONNACK in time */
    setup(0);
    mqtt_connect(&C, 500);
    CHECK_EQ(mqtt_tick(&C, 500 + MQTT_CONNACK_TIMEOUT_MS - 1), 0);
    CHECK_EQ(mqtt_tick(&C, 500 + MQTT_CONNACK_TIMEOUT_MS), MQTT_E_TIMEOUT);

    /* a clean session never comes back present */
    setup(0);
    CFG.clean_session = true;
    mqtt_connect(&C, 0);
    drain(&C, out, sizeof(out));
    CHECK_EQ(out[9], 0x02);
    CHECK_EQ(FEED(0x20, 2, 1, 0), MQTT_E_MALFORMED);
}

static void test_subscribe(void)
{
    uint8_t out[1024];
    const char *f[] = {"devices/dev1/down/#", "b"};
    uint8_t q[] = {1, 0};
    uint16_t id;
    connected(0);
    CHECK_EQ(mqtt_subscribe(&C, f, q, 2, &id), 0);
    CHECK_EQ(mqtt_subscribe(&C, f, q, 1, NULL), MQTT_E_BUSY);
    size_t n = drain(&C, out, sizeof(out));
    CHECK_EQ(n, 2 + 2 + 2 + 19 + 1 + 2 + 1 + 1);
    CHECK_EQ(out[0], 0x82);
    CHECK_EQ(out[2] << 8 | out[3], id);
    /* wrong id */
    CHECK_EQ(FEED(0x90, 4, (uint8_t)(id >> 8), (uint8_t)(id + 1), 1, 0), MQTT_E_UNKNOWN_ID);

    connected(0);
    mqtt_subscribe(&C, f, q, 2, &id);
    drain(&C, out, sizeof(out));
    CHECK_EQ(FEED(0x90, 4, (uint8_t)(id >> 8), (uint8_t)id, 1, MQTT_SUBACK_FAILURE), 6);
    CHECK_EQ(E.n, 1);
    CHECK_EQ(E.ev[0].type, MQTT_EV_SUBACK);
    CHECK_EQ(E.ev[0].n, 2);
    CHECK_EQ(E.ev[0].granted[0], 1);
    CHECK_EQ(E.ev[0].granted[1], MQTT_SUBACK_FAILURE);
    CHECK_EQ(mqtt_state(&C), MQTT_ST_CONNECTED);
    /* no SUBSCRIBE outstanding any more */
    CHECK_EQ(FEED(0x90, 3, (uint8_t)(id >> 8), (uint8_t)id, 0), MQTT_E_UNKNOWN_ID);

    /* more QoS granted than asked */
    connected(0);
    mqtt_subscribe(&C, f, q, 2, &id);
    drain(&C, out, sizeof(out));
    CHECK_EQ(FEED(0x90, 4, (uint8_t)(id >> 8), (uint8_t)id, 1, 1), MQTT_E_QOS);
    /* one code per filter */
    connected(0);
    mqtt_subscribe(&C, f, q, 2, &id);
    drain(&C, out, sizeof(out));
    CHECK_EQ(FEED(0x90, 3, (uint8_t)(id >> 8), (uint8_t)id, 1), MQTT_E_MALFORMED);

    /* bad filters and arguments */
    connected(0);
    CHECK_EQ(mqtt_subscribe(&C, (const char *const[]){"a/#/b"}, q, 1, NULL), MQTT_E_ARG);
    CHECK_EQ(mqtt_subscribe(&C, (const char *const[]){""}, q, 1, NULL), MQTT_E_ARG);
    CHECK_EQ(mqtt_subscribe(&C, f, (const uint8_t[]){2}, 1, NULL), MQTT_E_ARG);
    CHECK_EQ(mqtt_subscribe(&C, f, q, 0, NULL), MQTT_E_ARG);
    CHECK_EQ(mqtt_subscribe(&C, f, q, MQTT_SUB_MAX + 1, NULL), MQTT_E_ARG);
}

static void test_publish_qos1(void)
{
    uint8_t out[4096];
    uint16_t ids[MQTT_INFLIGHT_N], extra;
    connected(0);
    CHECK_EQ(mqtt_window_free(&C), MQTT_INFLIGHT_N);
    for (unsigned i = 0; i < MQTT_INFLIGHT_N; i++) {
        CHECK_EQ(mqtt_publish(&C, "devices/dev1/up/logs", "rec", 3, 1, false, &ids[i]), 0);
        CHECK(ids[i] != 0);
        for (unsigned j = 0; j < i; j++)
            CHECK(ids[i] != ids[j]);
    }
    /* window full */
    CHECK_EQ(mqtt_window_free(&C), 0);
    CHECK_EQ(mqtt_publish(&C, "devices/dev1/up/logs", "rec", 3, 1, false, &extra), MQTT_E_WINDOW_FULL);
    CHECK_EQ(mqtt_publish(&C, "devices/dev1/up/logs", "rec", 3, 0, false, NULL), MQTT_E_WINDOW_FULL);
    size_t n = drain(&C, out, sizeof(out));
    size_t one = 2 + 2 + 20 + 2 + 3;
    CHECK_EQ(n, MQTT_INFLIGHT_N * one);
    for (unsigned i = 0; i < MQTT_INFLIGHT_N; i++) {
        const uint8_t *p = out + i * one;
        CHECK_EQ(p[0], 0x32);
        CHECK_EQ(p[1], one - 2);
        CHECK_EQ(p[24] << 8 | p[25], ids[i]); /* sent in publish order */
    }
    CHECK_EQ(mqtt_stats(&C)->published, MQTT_INFLIGHT_N);
    /* PUBACKs in any order free their slot */
    CHECK_EQ(FEED(0x40, 2, (uint8_t)(ids[2] >> 8), (uint8_t)ids[2]), 4);
    CHECK_EQ(E.n, 1);
    CHECK_EQ(E.ev[0].type, MQTT_EV_PUBACK);
    CHECK_EQ(E.ev[0].id, ids[2]);
    CHECK_EQ(mqtt_window_free(&C), 1);
    /* the new id is none of those still in flight */
    CHECK_EQ(mqtt_publish(&C, "t", "x", 1, 1, false, &extra), 0);
    for (unsigned i = 0; i < MQTT_INFLIGHT_N; i++)
        if (i != 2)
            CHECK(extra != ids[i]);
    /* a second PUBACK for the same id */
    CHECK_EQ(FEED(0x40, 2, (uint8_t)(ids[2] >> 8), (uint8_t)ids[2]), MQTT_E_UNKNOWN_ID);

    /* a PUBACK for a publish not yet sent */
    connected(0);
    mqtt_publish(&C, "t", "x", 1, 1, false, &extra);
    CHECK_EQ(FEED(0x40, 2, (uint8_t)(extra >> 8), (uint8_t)extra), MQTT_E_UNKNOWN_ID);

    /* arguments */
    connected(0);
    static char longt[MQTT_TOPIC_MAX + 2];
    memset(longt, 'a', MQTT_TOPIC_MAX + 1);
    CHECK_EQ(mqtt_publish(&C, longt, "x", 1, 1, false, NULL), MQTT_E_ARG);
    CHECK_EQ(mqtt_publish(&C, "a/+", "x", 1, 1, false, NULL), MQTT_E_ARG);
    CHECK_EQ(mqtt_publish(&C, "", "x", 1, 1, false, NULL), MQTT_E_ARG);
    CHECK_EQ(mqtt_publish(&C, "a", "x", 1, 2, false, NULL), MQTT_E_ARG);
    static uint8_t big[MQTT_PUB_MAX];
    size_t room = mqtt_publish_room(1);
    CHECK_EQ(mqtt_publish(&C, "a", big, room + 1, 1, false, NULL), MQTT_E_TOO_BIG);
    CHECK_EQ(mqtt_publish(&C, "a", big, room, 1, false, NULL), 0);
    n = drain(&C, out, sizeof(out));
    CHECK(n <= MQTT_PUB_MAX);
    CHECK_EQ(n, 3 + 2 + 1 + 2 + room);
}

/* publish_begin/commit: the payload written in place gives the same bytes
 * as mqtt_ser_publish, at every payload length around the remaining
 * length's 1/2-byte boundary. */
static void test_zero_copy(void)
{
    uint8_t out[2048], want[2048];
    connected(0);
    for (size_t len = 110; len < 140; len++) {
        uint8_t *p;
        size_t room;
        uint16_t id;
        CHECK_EQ(mqtt_publish_begin(&C, "up/logs", 1, true, &p, &room), 0);
        CHECK_EQ(room, mqtt_publish_room(7));
        for (size_t i = 0; i < len; i++)
            p[i] = (uint8_t)(i * 7 + len);
        CHECK_EQ(mqtt_publish_commit(&C, len, &id), 0);
        size_t n = drain(&C, out, sizeof(out));
        size_t w = mqtt_ser_publish(want, sizeof(want), "up/logs", 7, out + n - len, len, 1, true,
                                    false, id);
        CHECK_EQ(n, w);
        CHECK(memcmp(out, want, w) == 0);
        uint8_t ack[4] = {0x40, 2, (uint8_t)(id >> 8), (uint8_t)id};
        CHECK_EQ(feed(&C, ack, 4, 0), 4);
    }
    /* QoS 0 has 2 more bytes of room */
    uint8_t *p;
    size_t room;
    CHECK_EQ(mqtt_publish_begin(&C, "up/logs", 0, false, &p, &room), 0);
    CHECK_EQ(room, mqtt_publish_room(7) + 2);
    /* one reservation at a time; nothing else publishes meanwhile */
    uint8_t *p2;
    size_t r2;
    CHECK_EQ(mqtt_publish_begin(&C, "a", 1, false, &p2, &r2), MQTT_E_BUSY);
    CHECK_EQ(mqtt_publish(&C, "a", "x", 1, 1, false, NULL), MQTT_E_BUSY);
    CHECK_EQ(mqtt_window_free(&C), MQTT_INFLIGHT_N - 1);
    CHECK_EQ(mqtt_publish_commit(&C, room + 1, NULL), MQTT_E_TOO_BIG); /* stays reserved */
    CHECK_EQ(mqtt_window_free(&C), MQTT_INFLIGHT_N - 1);
    size_t len;
    mqtt_sendbuf(&C, &len);
    CHECK_EQ(len, 0); /* a reserved slot is not sent */
    mqtt_publish_abort(&C);
    CHECK_EQ(mqtt_window_free(&C), MQTT_INFLIGHT_N);
    CHECK_EQ(mqtt_publish_commit(&C, 0, NULL), MQTT_E_STATE);
    mqtt_publish_abort(&C); /* nothing reserved: no effect */
    /* QoS 0 reserved, then the connection goes: commit frees it */
    CHECK_EQ(mqtt_publish_begin(&C, "up/logs", 0, false, &p, &room), 0);
    mqtt_connection_lost(&C);
    CHECK_EQ(mqtt_publish_commit(&C, 1, NULL), MQTT_E_STATE);
    CHECK_EQ(mqtt_window_free(&C), MQTT_INFLIGHT_N);
    /* QoS 1 reserved across a reconnect: committed and sent after CONNACK */
    uint16_t id;
    CHECK_EQ(mqtt_publish_begin(&C, "up/logs", 1, false, &p, &room), 0);
    memcpy(p, "late", 4);
    mqtt_connect(&C, 0);
    drain(&C, out, sizeof(out));
    CHECK_EQ(mqtt_publish_commit(&C, 4, &id), 0);
    CHECK_EQ(FEED(0x20, 2, 1, 0), 4);
    size_t n = drain(&C, out, sizeof(out));
    CHECK_EQ(n, 2 + 2 + 7 + 2 + 4);
    CHECK_EQ(out[0], 0x32); /* never sent before: no DUP */
    CHECK(memcmp(out + n - 4, "late", 4) == 0);
    /* arguments as for mqtt_publish */
    CHECK_EQ(mqtt_publish_begin(&C, "a/#", 1, false, &p, &room), MQTT_E_ARG);
    CHECK(p == NULL && room == 0);
    CHECK_EQ(mqtt_publish_begin(&C, "a", 2, false, &p, &room), MQTT_E_ARG);
}

static void test_ids(void)
{
    uint8_t out[4096];
    uint16_t id, held;
    connected(0);
    /* one publish held in flight while ids wrap around 0xffff */
    C.next_id = 0xfff0;
    CHECK_EQ(mqtt_publish(&C, "t", "x", 1, 1, false, &held), 0);
    drain(&C, out, sizeof(out));
    for (unsigned k = 0; k < 0x10010; k++) {
        CHECK_EQ(mqtt_publish(&C, "t", "x", 1, 1, false, &id), 0);
        if (id == 0 || id == held) {
            CHECK(id != 0 && id != held);
            break;
        }
        drain(&C, out, sizeof(out));
        uint8_t ack[4] = {0x40, 2, (uint8_t)(id >> 8), (uint8_t)id};
        if (feed(&C, ack, 4, 0) != 4) {
            CHECK(0);
            break;
        }
    }
    CHECK_EQ(mqtt_stats(&C)->acked, 0x10010);
    /* the SUBSCRIBE's id is not handed to a publish either */
    uint16_t sid;
    CHECK_EQ(mqtt_subscribe(&C, (const char *const[]){"a"}, (const uint8_t[]){1}, 1, &sid), 0);
    C.next_id = sid;
    CHECK_EQ(mqtt_publish(&C, "t", "x", 1, 1, false, &id), 0);
    CHECK(id != sid && id != held);
}

static void test_redelivery(void)
{
    uint8_t out[4096];
    uint16_t a, b, c2, z;
    connected(0);
    CHECK_EQ(mqtt_publish(&C, "t/a", "AA", 2, 1, false, &a), 0);
    CHECK_EQ(mqtt_publish(&C, "t/b", "BB", 2, 1, false, &b), 0);
    CHECK_EQ(mqtt_publish(&C, "t/z", "ZZ", 2, 0, false, &z), 0);
    /* a goes out whole, b only in part; then the link drops */
    size_t len;
    const uint8_t *p = mqtt_sendbuf(&C, &len);
    CHECK_EQ(p[0], 0x32);
    mqtt_sent(&C, len, 0);
    p = mqtt_sendbuf(&C, &len);
    mqtt_sent(&C, 3, 0);
    mqtt_connection_lost(&C);
    CHECK_EQ(mqtt_state(&C), MQTT_ST_IDLE);
    CHECK_EQ(mqtt_window_free(&C), MQTT_INFLIGHT_N - 2); /* QoS 0 dropped */
    /* QoS 1 while offline waits; QoS 0 is refused */
    CHECK_EQ(mqtt_publish(&C, "t/c", "CC", 2, 1, false, &c2), 0);
    CHECK_EQ(mqtt_publish(&C, "t/z", "ZZ", 2, 0, false, NULL), MQTT_E_STATE);
    mqtt_sendbuf(&C, &len);
    CHECK_EQ(len, 0);
    CHECK_EQ(mqtt_connect(&C, 0), 0);
    size_t n = drain(&C, out, sizeof(out));
    CHECK_EQ(n, 18); /* only CONNECT before CONNACK */
    CHECK_EQ(FEED(0x20, 2, 1, 0), 4);
    n = drain(&C, out, sizeof(out));
    CHECK_EQ(n, 3 * 11);
    /* in publish order, original ids, DUP on the two that had gone out */
    CHECK_EQ(out[0], 0x3a);
    CHECK(memcmp(out + 4, "t/a", 3) == 0);
    CHECK_EQ(out[7] << 8 | out[8], a);
    CHECK_EQ(out[11], 0x3a);
    CHECK(memcmp(out + 15, "t/b", 3) == 0);
    CHECK_EQ(out[18] << 8 | out[19], b);
    CHECK_EQ(out[22], 0x32);
    CHECK(memcmp(out + 26, "t/c", 3) == 0);
    CHECK_EQ(out[29] << 8 | out[30], c2);
    CHECK_EQ(mqtt_stats(&C)->resent, 2);
    /* a broker that lost the session gets them again all the same */
    mqtt_connection_lost(&C);
    mqtt_connect(&C, 0);
    drain(&C, out, sizeof(out));
    CHECK_EQ(FEED(0x20, 2, 0, 0), 4);
    n = drain(&C, out, sizeof(out));
    CHECK_EQ(n, 33);
    CHECK_EQ(out[22], 0x3a);
    uint8_t acks[] = {0x40, 2, (uint8_t)(a >> 8), (uint8_t)a, 0x40, 2, (uint8_t)(b >> 8),
                      (uint8_t)b, 0x40, 2, (uint8_t)(c2 >> 8), (uint8_t)c2};
    CHECK_EQ(feed(&C, acks, sizeof(acks), 0), (int)sizeof(acks));
    CHECK_EQ(mqtt_window_free(&C), MQTT_INFLIGHT_N);
    /* nothing left to resend */
    mqtt_connection_lost(&C);
    mqtt_connect(&C, 0);
    drain(&C, out, sizeof(out));
    FEED(0x20, 2, 1, 0);
    CHECK_EQ(drain(&C, out, sizeof(out)), 0);
}

static void test_incoming(void)
{
    uint8_t out[256];
    connected(0);
    CHECK_EQ(FEED(0x30, 7, 0, 3, 'a', '/', 'b', 'h', 'i'), 9);
    CHECK_EQ(E.n, 1);
    CHECK_EQ(E.ev[0].type, MQTT_EV_PUBLISH);
    CHECK_STR(E.topic[0], "a/b");
    CHECK_EQ(E.ev[0].len, 2);
    CHECK(memcmp(E.payload[0], "hi", 2) == 0);
    CHECK_EQ(E.ev[0].qos, 0);
    CHECK_EQ(drain(&C, out, sizeof(out)), 0); /* no PUBACK for QoS 0 */
    CHECK_EQ(FEED(0x3b, 8, 0, 1, 'c', 0x12, 0x34, 'x', 'y', 'z'), 10);
    CHECK_EQ(E.n, 2);
    CHECK_EQ(E.ev[1].qos, 1);
    CHECK(E.ev[1].dup);
    CHECK(E.ev[1].retain);
    CHECK_EQ(E.ev[1].id, 0x1234);
    CHECK_EQ(drain(&C, out, sizeof(out)), 4);
    CHECK(memcmp(out, "\x40\x02\x12\x34", 4) == 0);
    CHECK_EQ(mqtt_stats(&C)->received, 2);
    /* an empty payload */
    CHECK_EQ(FEED(0x30, 3, 0, 1, 'e'), 5);
    CHECK_EQ(E.ev[2].len, 0);
    /* malformed ones fail the connection */
    CHECK_EQ(FEED(0x30, 3, 0, 1, '+'), MQTT_E_UTF8);
    connected(0);
    CHECK_EQ(FEED(0x34, 5, 0, 1, 'c', 0, 1), MQTT_E_QOS);
    connected(0);
    CHECK_EQ(FEED(0x50, 2, 0, 1), MQTT_E_UNEXPECTED); /* PUBREC */
    connected(0);
    CHECK_EQ(FEED(0xb0, 2, 0, 1), MQTT_E_UNEXPECTED); /* UNSUBACK */
    connected(0);
    CHECK_EQ(FEED(0x30, 0x80, 0x00), MQTT_E_MALFORMED); /* non-minimal length */
    connected(0);
    CHECK_EQ(FEED(0x30, 0xff, 0xff, 0xff, 0xff, 0x01), MQTT_E_MALFORMED); /* 5 bytes */
    connected(0);
    CHECK_EQ(FEED(0xd0, 0), MQTT_E_UNEXPECTED); /* PINGRESP never asked for */
    CHECK_EQ(FEED(0x30, 3, 0, 1, 'e'), MQTT_E_UNEXPECTED); /* sticky */
}

/* A QoS 1 PUBLISH whose body is body_len bytes with topic length tlen. */
static size_t big_publish(uint8_t *b, size_t body_len, size_t tlen, uint16_t id)
{
    size_t h = 1 + mqtt_rl_encode(b + 1, (uint32_t)body_len);
    b[0] = 0x32;
    b[h] = (uint8_t)(tlen >> 8);
    b[h + 1] = (uint8_t)tlen;
    memset(b + h + 2, 't', body_len - 2);
    b[h + 2 + tlen] = (uint8_t)(id >> 8);
    b[h + 3 + tlen] = (uint8_t)id;
    return h + body_len;
}

static void test_oversize(void)
{
    static uint8_t b[3 * MQTT_RX_MAX];
    uint8_t out[256];
    connected(0);
    /* one byte over: discarded, acknowledged, counted, and the session goes on */
    size_t n = big_publish(b, MQTT_RX_MAX + 1, 5, 0x4242);
    CHECK_EQ(feed(&C, b, n, 0), (int)n);
    CHECK_EQ(E.n, 1);
    CHECK_EQ(E.ev[0].type, MQTT_EV_DROPPED);
    CHECK_EQ(E.ev[0].id, 0x4242);
    CHECK_EQ(E.ev[0].len, MQTT_RX_MAX + 1);
    CHECK_EQ(mqtt_stats(&C)->dropped, 1);
    CHECK_EQ(drain(&C, out, sizeof(out)), 4);
    CHECK(memcmp(out, "\x40\x02\x42\x42", 4) == 0);
    CHECK_EQ(FEED(0x30, 3, 0, 1, 'e'), 5);
    CHECK_EQ(E.ev[1].type, MQTT_EV_PUBLISH);
    /* exactly MQTT_RX_MAX is kept */
    n = big_publish(b, MQTT_RX_MAX, 5, 7);
    CHECK_EQ(feed(&C, b, n, 0), (int)n);
    CHECK_EQ(E.ev[2].type, MQTT_EV_PUBLISH);
    CHECK_EQ(E.ev[2].len, MQTT_RX_MAX - 9);
    drain(&C, out, sizeof(out));
    /* a topic longer than the receive buffer: the id is still found */
    n = big_publish(b, 2 * MQTT_RX_MAX + 10, MQTT_RX_MAX + 100, 0x0102);
    CHECK_EQ(feed(&C, b, n, 0), (int)n);
    CHECK_EQ(E.ev[3].type, MQTT_EV_DROPPED);
    CHECK_EQ(E.ev[3].id, 0x0102);
    CHECK_EQ(drain(&C, out, sizeof(out)), 4);
    CHECK(memcmp(out, "\x40\x02\x01\x02", 4) == 0);
    /* fed one byte at a time */
    n = big_publish(b, MQTT_RX_MAX + 300, 40, 0x0a0b);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(feed(&C, b + i, 1, 0), 1);
    CHECK_EQ(E.ev[4].type, MQTT_EV_DROPPED);
    CHECK_EQ(E.ev[4].id, 0x0a0b);
    CHECK_EQ(mqtt_stats(&C)->dropped, 3);
    drain(&C, out, sizeof(out));
    /* a QoS 0 one: nothing to acknowledge */
    n = big_publish(b, MQTT_RX_MAX + 1, 5, 0);
    b[0] = 0x30;
    CHECK_EQ(feed(&C, b, n, 0), (int)n);
    CHECK_EQ(E.ev[5].type, MQTT_EV_DROPPED);
    CHECK_EQ(drain(&C, out, sizeof(out)), 0);
    /* oversized but malformed: packet id 0, or a topic past the end */
    n = big_publish(b, MQTT_RX_MAX + 1, 5, 0);
    CHECK_EQ(feed(&C, b, n, 0), MQTT_E_MALFORMED);
    connected(0);
    n = big_publish(b, MQTT_RX_MAX + 1, 5, 1);
    b[3] = 0xff; /* topic length 0xff05 */
    b[4] = 0x05;
    CHECK_EQ(feed(&C, b, n, 0), MQTT_E_MALFORMED);
    /* an oversized packet of any other type is malformed at its header */
    connected(0);
    CHECK_EQ(FEED(0x90, 0x80, 0x01), MQTT_E_MALFORMED);
}

static void test_keepalive(void)
{
    uint8_t out[64];
    connected(10);
    CHECK_EQ(mqtt_next_tick_ms(&C, 0), 10000);
    CHECK_EQ(mqtt_tick(&C, 9999), 0);
    CHECK_EQ(drain(&C, out, sizeof(out)), 0);
    CHECK_EQ(mqtt_tick(&C, 10000), 0);
    CHECK_EQ(drain_chunk(&C, out, sizeof(out), 64, 10000), 2);
    CHECK(memcmp(out, "\xc0\x00", 2) == 0);
    CHECK_EQ(mqtt_next_tick_ms(&C, 10000), MQTT_PINGRESP_TIMEOUT_MS);
    CHECK_EQ(mqtt_tick(&C, 15000), 0);
    CHECK_EQ(drain(&C, out, sizeof(out)), 0); /* one PINGREQ at a time */
    CHECK_EQ(feed(&C, (const uint8_t *)"\xd0\x00", 2, 15000), 2);
    CHECK_EQ(E.ev[0].type, MQTT_EV_PINGRESP);
    CHECK_EQ(mqtt_stats(&C)->pings, 1);
    /* other output counts as activity: a publish at 18 s moves the ping */
    mqtt_publish(&C, "t", "x", 1, 0, false, NULL);
    drain_chunk(&C, out, sizeof(out), 64, 18000);
    CHECK_EQ(mqtt_tick(&C, 27999), 0);
    CHECK_EQ(drain(&C, out, sizeof(out)), 0);
    CHECK_EQ(mqtt_tick(&C, 28000), 0);
    CHECK_EQ(drain_chunk(&C, out, sizeof(out), 64, 28000), 2);
    /* no PINGRESP: the error the caller sees, to reconnect */
    CHECK_EQ(mqtt_tick(&C, 28000 + MQTT_PINGRESP_TIMEOUT_MS - 1), 0);
    CHECK_EQ(mqtt_tick(&C, 28000 + MQTT_PINGRESP_TIMEOUT_MS), MQTT_E_PING_TIMEOUT);
    CHECK_EQ(mqtt_state(&C), MQTT_ST_FAILED);
    CHECK_STR(mqtt_error_name(mqtt_error(&C)), "ping_timeout");
    CHECK_EQ(feed(&C, (const uint8_t *)"\xd0\x00", 2, 0), MQTT_E_PING_TIMEOUT);
    mqtt_connection_lost(&C);
    CHECK_EQ(mqtt_error(&C), MQTT_E_PING_TIMEOUT); /* kept until the next connect */
    CHECK_EQ(mqtt_connect(&C, 50000), 0);
    CHECK_EQ(mqtt_error(&C), 0);
    /* keepalive 0: never a PINGREQ */
    connected(0);
    CHECK_EQ(mqtt_next_tick_ms(&C, 0), UINT32_MAX);
    CHECK_EQ(mqtt_tick(&C, 1000000000), 0);
    CHECK_EQ(drain(&C, out, sizeof(out)), 0);
}

static void test_backpressure(void)
{
    static uint8_t in[4096];
    uint8_t out[4096];
    size_t n = 0;
    connected(0);
    /* more QoS 1 publishes than the control buffer has room for PUBACKs */
    unsigned count = MQTT_CTRL_SIZE / 4u + 100u; /* each needs 4 bytes of output */
    CHECK(count <= MAXEV);
    for (unsigned i = 0; i < count; i++) {
        uint8_t pkt[] = {0x32, 5, 0, 1, 'q', (uint8_t)((i + 1) >> 8), (uint8_t)(i + 1)};
        memcpy(in + n, pkt, sizeof(pkt));
        n += sizeof(pkt);
    }
    int took = feed(&C, in, n, 0);
    CHECK(took > 0 && (size_t)took < n);
    size_t room;
    mqtt_recvbuf(&C, &room);
    CHECK_EQ(room, 0);
    size_t off = (size_t)took, acks = drain(&C, out, sizeof(out));
    while (off < n) {
        took = feed(&C, in + off, n - off, 0);
        CHECK(took > 0);
        if (took <= 0)
            break;
        off += (size_t)took;
        acks += drain(&C, out + acks, sizeof(out) - acks);
    }
    CHECK_EQ(acks, 4 * count);
    CHECK_EQ(E.n, count);
    /* every PUBACK, in order */
    bool inorder = true;
    for (unsigned i = 0; i < count; i++)
        inorder &= (out[4 * i + 2] << 8 | out[4 * i + 3]) == (int)(i + 1);
    CHECK(inorder);
}

static void test_splits(void)
{
    /* one stream of packets fed in every chunk size gives the same events */
    static const uint8_t stream[] = {0x20, 2, 0, 0, 0x30, 4, 0, 1, 'a', 'b',
                                     0x32, 7, 0, 2, 'x', 'y', 0, 9, '!',
                                     0x30, 3, 0, 1, 'z'};
    uint8_t out[512];
    for (size_t chunk = 1; chunk <= sizeof(stream); chunk++) {
        setup(0);
        mqtt_connect(&C, 0);
        drain(&C, out, sizeof(out));
        size_t off = 0;
        while (off < sizeof(stream)) {
            size_t k = sizeof(stream) - off < chunk ? sizeof(stream) - off : chunk;
            int took = feed(&C, stream + off, k, 0);
            if (took <= 0) {
                CHECK(took > 0);
                break;
            }
            off += (size_t)took;
        }
        CHECK_EQ(E.n, 4);
        CHECK_EQ(E.ev[2].id, 9);
        CHECK(memcmp(E.payload[2], "!", 1) == 0);
        CHECK_STR(E.topic[3], "z");
        CHECK_EQ(drain(&C, out, sizeof(out)), 4);
    }
}

/* The callback may publish, subscribe and disconnect. */
static mqtt_client_t *cb_client;
static void publishing_callback(void *arg, const mqtt_event_t *ev)
{
    on_event(arg, ev);
    if (ev->type == MQTT_EV_PUBLISH) {
        CHECK_EQ(mqtt_publish(cb_client, "up/echo", ev->payload, ev->len, 1, false, NULL), 0);
        CHECK_EQ(mqtt_subscribe(cb_client, (const char *const[]){"x/#"}, (const uint8_t[]){1}, 1,
                                NULL), 0);
        CHECK_EQ(mqtt_disconnect(cb_client), 0);
    }
}

static void test_callback_and_disconnect(void)
{
    uint8_t out[1024];
    connected(0);
    CFG.on_event = publishing_callback;
    cb_client = &C;
    CHECK_EQ(FEED(0x32, 7, 0, 1, 'c', 0, 5, 'h', 'i'), 9);
    CHECK_EQ(mqtt_state(&C), MQTT_ST_DISCONNECTING);
    /* nothing more is taken once DISCONNECT is queued: no PUBACK may follow it */
    size_t room;
    mqtt_recvbuf(&C, &room);
    CHECK_EQ(room, 0);
    CHECK_EQ(FEED(0x32, 7, 0, 1, 'c', 0, 6, 'h', 'i'), 0);
    size_t n = drain(&C, out, sizeof(out));
    /* PUBACK, SUBSCRIBE, DISCONNECT from the control buffer; the echo is
     * never started once DISCONNECT is queued and stays for next time */
    CHECK_EQ(n, 4 + 10 + 2);
    CHECK(memcmp(out, "\x40\x02\x00\x05", 4) == 0);
    CHECK_EQ(out[4], 0x82);
    CHECK(memcmp(out + n - 2, "\xe0\x00", 2) == 0);
    CHECK_EQ(mqtt_state(&C), MQTT_ST_CLOSED);
    CHECK_EQ(mqtt_window_free(&C), MQTT_INFLIGHT_N - 1);
    size_t len;
    mqtt_sendbuf(&C, &len);
    CHECK_EQ(len, 0);
    mqtt_recvbuf(&C, &len);
    CHECK_EQ(len, 0);
    CHECK_EQ(mqtt_connect(&C, 0), 0);
    CFG.on_event = on_event;
}

static void test_names(void)
{
    for (int e = 0; e >= -MQTT_E_COUNT; e--) {
        CHECK(strcmp(mqtt_error_name(e), "unknown") != 0);
        for (int f = 0; f > e; f--)
            CHECK(strcmp(mqtt_error_name(e), mqtt_error_name(f)) != 0);
    }
    CHECK_STR(mqtt_error_name(-MQTT_E_COUNT - 1), "unknown");
    CHECK_STR(mqtt_error_name(1), "unknown");
}

int main(void)
{
    test_rl();
    test_utf8();
    test_serialize();
    test_headers();
    test_init();
    test_connect();
    test_subscribe();
    test_publish_qos1();
    test_zero_copy();
    test_ids();
    test_redelivery();
    test_incoming();
    test_oversize();
    test_keepalive();
    test_backpressure();
    test_splits();
    test_callback_and_disconnect();
    test_names();
    printf("sizeof(mqtt_client_t) = %zu\n", sizeof(mqtt_client_t));
    return keel_test_done("unit_mqtt");
}
