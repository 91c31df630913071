/*
 * MQTT client core: every size and limit in one place. Defaults sit behind
 * #ifndef so a board or a test build can override them; the checks at the
 * bottom make an impossible combination fail the build. docs/mqtt.md says
 * how the context size follows from these.
 */
#ifndef MQTT_CONFIG_H
#define MQTT_CONFIG_H

/* Publishes in flight: QoS 1 publishes not yet acknowledged (kept, whole,
 * for redelivery after a reconnect) plus QoS 0 publishes not yet handed to
 * the transport. mqtt_publish() refuses a new one while all are taken. */
#ifndef MQTT_INFLIGHT_N
#define MQTT_INFLIGHT_N 4u
#endif

/* The largest outgoing PUBLISH packet, fixed header, topic, packet id and
 * payload included: each in-flight slot holds one. The payload room is
 * this minus 5 minus the topic's length plus 2 (mqtt_publish_room()). */
#ifndef MQTT_PUB_MAX
#define MQTT_PUB_MAX 1024u
#endif

/* The largest incoming packet body (its remaining length) kept whole. A
 * PUBLISH larger than this is discarded by count and still acknowledged
 * (MQTT_EV_DROPPED); every other type a client receives is far smaller.
 * The default holds a command message with its largest argument
 * (docs/protocol.md: 4096 bytes, plus name, CBOR framing, the topic
 * devices/<id>/down/command and the packet id). */
#ifndef MQTT_RX_MAX
#define MQTT_RX_MAX 4352u
#endif

/* Lengths without the NUL: the client id (MQTT 3.1.1 3.1.3.1: a server
 * must accept 1..23 characters; mosquitto accepts up to 65535; a Keel
 * device id is 34), a topic the client publishes to, a topic filter it
 * subscribes to, the will's topic and payload. */
#ifndef MQTT_CLIENT_ID_MAX
#define MQTT_CLIENT_ID_MAX 64u
#endif
#ifndef MQTT_TOPIC_MAX
#define MQTT_TOPIC_MAX 128u
#endif
#ifndef MQTT_FILTER_MAX
#define MQTT_FILTER_MAX 128u
#endif
#ifndef MQTT_WILL_MAX
#define MQTT_WILL_MAX 64u
#endif

/* Topic filters in one SUBSCRIBE; one SUBSCRIBE may be outstanding. */
#ifndef MQTT_SUB_MAX
#define MQTT_SUB_MAX 4u
#endif

/* No CONNACK this long after mqtt_connect(): MQTT_E_TIMEOUT. No PINGRESP
 * this long after a PINGREQ: MQTT_E_PING_TIMEOUT (3.1.1 3.1.2.10 leaves
 * "a reasonable amount of time" to the client). */
#ifndef MQTT_CONNACK_TIMEOUT_MS
#define MQTT_CONNACK_TIMEOUT_MS 10000u
#endif
#ifndef MQTT_PINGRESP_TIMEOUT_MS
#define MQTT_PINGRESP_TIMEOUT_MS 10000u
#endif

/* Derived: the largest CONNECT (fixed header 1 + 2, variable header 10,
 * client id, will topic and payload each with a 2-byte length) and the
 * largest SUBSCRIBE (fixed header 1 + 2, packet id 2, per filter 2 + the
 * filter + 1 QoS byte); the control buffer holds either, plus room for
 * PUBACKs, a PINGREQ and a DISCONNECT behind it. */
#define MQTT_CONNECT_MAX (3u + 10u + 2u + MQTT_CLIENT_ID_MAX + 2u + MQTT_TOPIC_MAX + 2u + MQTT_WILL_MAX)
#define MQTT_SUBSCRIBE_MAX (3u + 2u + MQTT_SUB_MAX * (3u + MQTT_FILTER_MAX))
#define MQTT_CTRL_RESERVE 16u /* a PUBACK (4), a PINGREQ (2), a DISCONNECT (2) and spare */
#define MQTT_CTRL_SIZE \
    ((MQTT_CONNECT_MAX > MQTT_SUBSCRIBE_MAX ? MQTT_CONNECT_MAX : MQTT_SUBSCRIBE_MAX) + MQTT_CTRL_RESERVE)

_Static_assert(MQTT_INFLIGHT_N >= 1u && MQTT_INFLIGHT_N <= 32u, "in-flight window of 1..32");
_Static_assert(MQTT_PUB_MAX >= 5u + 2u + MQTT_TOPIC_MAX + 2u + 16u && MQTT_PUB_MAX <= 16384u,
               "a PUBLISH slot must hold the longest topic and some payload");
/* 16384 + 5 still has a 3-byte remaining length; the encoders assume it */
_Static_assert(MQTT_RX_MAX >= 64u && MQTT_RX_MAX <= 65536u, "receive buffer bound");
_Static_assert(MQTT_CLIENT_ID_MAX >= 1u && MQTT_CLIENT_ID_MAX <= 256u, "client id bound");
_Static_assert(MQTT_TOPIC_MAX >= 1u && MQTT_TOPIC_MAX <= 1024u, "topic bound");
_Static_assert(MQTT_FILTER_MAX >= 1u && MQTT_FILTER_MAX <= 1024u, "filter bound");
_Static_assert(MQTT_WILL_MAX <= 1024u, "will payload bound");
_Static_assert(MQTT_SUB_MAX >= 1u && MQTT_SUB_MAX <= 16u, "filters per SUBSCRIBE 1..16");
_Static_assert(MQTT_CTRL_SIZE <= 16383u, "control packets keep a 2-byte remaining length");

#endif
