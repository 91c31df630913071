/*
 * MQTT 3.1.1 packets: the serializer and the strict parser, kept apart
 * from the session (mqtt_client.c). Pure functions over caller buffers: no
 * state, no I/O. The fuzz target and the unit tests call them directly.
 */
#ifndef MQTT_PRIV_H
#define MQTT_PRIV_H

#include "mqtt.h"

/* Control packet types (3.1.1 2.2.1). */
#define MQTT_T_CONNECT 1u
#define MQTT_T_CONNACK 2u
#define MQTT_T_PUBLISH 3u
#define MQTT_T_PUBACK 4u
#define MQTT_T_PUBREC 5u
#define MQTT_T_PUBREL 6u
#define MQTT_T_PUBCOMP 7u
#define MQTT_T_SUBSCRIBE 8u
#define MQTT_T_SUBACK 9u
#define MQTT_T_UNSUBSCRIBE 10u
#define MQTT_T_UNSUBACK 11u
#define MQTT_T_PINGREQ 12u
#define MQTT_T_PINGRESP 13u
#define MQTT_T_DISCONNECT 14u

/* The largest remaining length (4 bytes of 7 bits, 3.1.1 2.2.3). */
#define MQTT_RL_MAX 268435455u

/* One parsed incoming packet; pointers into the body given to mqtt_parse. */
typedef struct {
    uint8_t type;
    uint16_t id;           /* PUBACK, SUBACK, PUBLISH QoS 1 */
    uint8_t ack_flags, rc; /* CONNACK */
    const uint8_t *codes;  /* SUBACK return codes */
    size_t ncodes;
    const uint8_t *topic;  /* PUBLISH */
    size_t topic_len;
    const uint8_t *payload;
    size_t len;
    uint8_t qos;
    bool dup, retain;
} mqtt_packet_t;

/* Remaining length from p[0..n): 0 with *rem and *used, 1 when more bytes
 * are needed, MQTT_E_MALFORMED for a fifth byte or a non-minimal form. */
int mqtt_rl_decode(const uint8_t *p, size_t n, uint32_t *rem, size_t *used);
/* Writes rem's encoding (1..4 bytes) to out; returns its length. */
size_t mqtt_rl_encode(uint8_t out[4], uint32_t rem);

/* The fixed header of a packet a server may send a client: first byte b0,
 * remaining length rem. Checks the type (what a client never receives is
 * MQTT_E_UNEXPECTED), the reserved flags and the length each fixed-size
 * type must have. 0 or an MQTT_E_* error. */
int mqtt_check_header(uint8_t b0, uint32_t rem);
/* Parses a whole packet (header first checked by mqtt_check_header) from
 * body[0..len). 0 or an MQTT_E_* error. */
int mqtt_parse(uint8_t b0, const uint8_t *body, size_t len, mqtt_packet_t *out);

/* MQTT's UTF-8 (3.1.1 1.5.3): well-formed (RFC 3629: no overlong form, no
 * surrogate, nothing above U+10FFFF) and no U+0000. */
bool mqtt_utf8_ok(const uint8_t *s, size_t n);
/* A topic name to publish to or received: 1..65535 bytes, UTF-8, no '+'
 * or '#' (3.1.1 4.7.1). */
bool mqtt_topic_ok(const uint8_t *s, size_t n);
/* A topic filter: '+' alone in its level, '#' alone and last (4.7.1). */
bool mqtt_filter_ok(const uint8_t *s, size_t n);

/* Serializers: each returns the packet's length, or 0 when it does not
 * fit cap (or an argument is out of range). A PUBLISH also comes in parts
 * (its fixed header, first byte and variable header), so the session can
 * build one in place around a payload the caller wrote into the slot. */
size_t mqtt_ser_fixed(uint8_t out[5], uint8_t b0, uint32_t rem);
uint8_t mqtt_publish_b0(uint8_t qos, bool retain, bool dup);
size_t mqtt_ser_publish_vh(uint8_t *out, size_t cap, const char *topic, size_t topic_len,
                           uint8_t qos, uint16_t id);
size_t mqtt_ser_connect(uint8_t *out, size_t cap, const mqtt_config_t *cfg);
size_t mqtt_ser_publish(uint8_t *out, size_t cap, const char *topic, size_t topic_len,
                        const void *payload, size_t len, uint8_t qos, bool retain, bool dup,
                        uint16_t id);
size_t mqtt_ser_subscribe(uint8_t *out, size_t cap, uint16_t id, const char *const *filters,
                          const uint8_t *qos, size_t n);
/* PUBACK (type 4) with id, PINGREQ and DISCONNECT (id unused). */
size_t mqtt_ser_simple(uint8_t *out, size_t cap, uint8_t type, uint16_t id);

#endif
