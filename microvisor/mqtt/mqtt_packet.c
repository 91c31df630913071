/*
 * MQTT 3.1.1 packets: serializer and strict parser (mqtt_priv.h).
 *
 * IMPLEMENTATION NOTES
 * - Only what a server may send a client is parsed; every other type is
 *   refused at the fixed header, before any body byte is looked at.
 * - The remaining length must be in its shortest form. 3.1.1 2.2.3 does
 *   not say so in words (MQTT 5 1.5.5 does), but no broker sends another
 *   form, and accepting it would give one packet several encodings.
 * - QoS 2 is never asked for (subscriptions ask for at most 1), so a QoS 2
 *   PUBLISH or a PUBREC/PUBREL/PUBCOMP is the broker breaking the protocol.
 * - Every serializer bounds-checks against cap and returns 0 rather than
 *   writing a partial packet.
 */
#include <string.h>

#include "mqtt_priv.h"

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint8_t *put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

int mqtt_rl_decode(const uint8_t *p, size_t n, uint32_t *rem, size_t *used)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        if (i >= n)
            return 1;
        v |= (uint32_t)(p[i] & 0x7fu) << (7u * i);
        if (!(p[i] & 0x80u)) {
            /* a last byte of 0 after the first is a longer form of a
             * smaller number */
            if (i > 0 && p[i] == 0)
                return MQTT_E_MALFORMED;
            *rem = v;
            *used = i + 1;
            return 0;
        }
    }
    return MQTT_E_MALFORMED;
}

size_t mqtt_rl_encode(uint8_t out[4], uint32_t rem)
{
    size_t n = 0;
    do {
        uint8_t b = (uint8_t)(rem & 0x7fu);
        rem >>= 7;
        out[n++] = (uint8_t)(b | (rem ? 0x80u : 0u));
    } while (rem && n < 4);
    return n;
}

int mqtt_check_header(uint8_t b0, uint32_t rem)
{
    uint8_t type = (uint8_t)(b0 >> 4), flags = (uint8_t)(b0 & 0x0fu);
    switch (type) {
    case MQTT_T_CONNACK:
    case MQTT_T_PUBACK:
        return flags == 0 && rem == 2 ? 0 : MQTT_E_MALFORMED;
    case MQTT_T_PINGRESP:
        return flags == 0 && rem == 0 ? 0 : MQTT_E_MALFORMED;
    case MQTT_T_SUBACK:
        /* packet id plus one code per filter; never more filters than a
         * SUBSCRIBE of ours can carry */
        return flags == 0 && rem >= 3 && rem <= 2u + MQTT_SUB_MAX ? 0 : MQTT_E_MALFORMED;
    case MQTT_T_PUBLISH: {
        uint8_t qos = (uint8_t)((flags >> 1) & 3u);
        if (qos == 3)
            return MQTT_E_MALFORMED; /* 3.3.1.2 */
        if (qos == 2)
            return MQTT_E_QOS;
        if (qos == 0 && (flags & 8u))
            return MQTT_E_MALFORMED; /* DUP on QoS 0, 3.3.1.1 */
        /* topic length, at least one topic byte, the packet id */
        return rem >= 3u + (qos ? 2u : 0u) ? 0 : MQTT_E_MALFORMED;
    }
    default:
        /* CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT go the other
         * way; QoS 2's PUBREC/PUBREL/PUBCOMP and UNSUBACK answer what this
         * client never sends; 0 and 15 are reserved */
        return MQTT_E_UNEXPECTED;
    }
}

int mqtt_parse(uint8_t b0, const uint8_t *body, size_t len, mqtt_packet_t *out)
{
    int rc = mqtt_check_header(b0, (uint32_t)len);
    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    out->type = (uint8_t)(b0 >> 4);
    switch (out->type) {
    case MQTT_T_CONNACK:
        out->ack_flags = body[0];
        out->rc = body[1];
        /* 3.2.2.1: bits 7-1 reserved; 3.2.2.3: codes 6-255 reserved;
         * MQTT-3.2.2-4: no session present with a refusal */
        if ((out->ack_flags & 0xfeu) || out->rc > 5 || (out->rc && out->ack_flags))
            return MQTT_E_MALFORMED;
        return 0;
    case MQTT_T_PUBACK:
        out->id = be16(body);
        return out->id ? 0 : MQTT_E_MALFORMED;
    case MQTT_T_PINGRESP:
        return 0;
    case MQTT_T_SUBACK:
        out->id = be16(body);
        out->codes = body + 2;
        out->ncodes = len - 2;
        if (!out->id)
            return MQTT_E_MALFORMED;
        for (size_t i = 0; i < out->ncodes; i++)
            if (out->codes[i] > 2 && out->codes[i] != MQTT_SUBACK_FAILURE)
                return MQTT_E_MALFORMED; /* 3.9.3: other values reserved */
        return 0;
    default: /* PUBLISH, the only other type mqtt_check_header passes */
        break;
    }
    out->qos = (uint8_t)((b0 >> 1) & 3u);
    out->dup = (b0 & 8u) != 0;
    out->retain = (b0 & 1u) != 0;
    size_t tlen = be16(body), need = 2u + tlen + (out->qos ? 2u : 0u);
    if (tlen == 0 || need > len)
        return MQTT_E_MALFORMED;
    out->topic = body + 2;
    out->topic_len = tlen;
    if (!mqtt_topic_ok(out->topic, tlen))
        return MQTT_E_UTF8;
    if (out->qos) {
        out->id = be16(body + 2 + tlen);
        if (!out->id)
            return MQTT_E_MALFORMED; /* 2.3.1: non-zero */
    }
    out->payload = body + need;
    out->len = len - need;
    return 0;
}

bool mqtt_utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        uint32_t cp, min;
        size_t k;
        if (b == 0)
            return false;
        if (b < 0x80) {
            i++;
            continue;
        }
        if ((b & 0xe0u) == 0xc0u)
            k = 1, cp = b & 0x1fu, min = 0x80;
        else if ((b & 0xf0u) == 0xe0u)
            k = 2, cp = b & 0x0fu, min = 0x800;
        else if ((b & 0xf8u) == 0xf0u)
            k = 3, cp = b & 0x07u, min = 0x10000;
        else
            return false; /* a continuation byte first, or 0xf8..0xff */
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0u) != 0x80u)
                return false;
            cp = (cp << 6) | (s[i + j] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffffu || (cp >= 0xd800u && cp <= 0xdfffu))
            return false;
        i += k + 1;
    }
    return true;
}

bool mqtt_topic_ok(const uint8_t *s, size_t n)
{
    if (n == 0 || n > 65535u || !mqtt_utf8_ok(s, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '+' || s[i] == '#')
            return false;
    return true;
}

bool mqtt_filter_ok(const uint8_t *s, size_t n)
{
    if (n == 0 || n > 65535u || !mqtt_utf8_ok(s, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        bool starts = i == 0 || s[i - 1] == '/', ends = i + 1 == n || s[i + 1] == '/';
        if (s[i] == '+' && !(starts && ends))
            return false;
        if (s[i] == '#' && !(starts && i + 1 == n))
            return false;
    }
    return true;
}

/* Fixed header for rem bytes at out; returns its length or 0 if the whole
 * packet would not fit cap. */
static size_t header(uint8_t *out, size_t cap, uint8_t b0, size_t rem)
{
    uint8_t rl[4];
    if (rem > MQTT_RL_MAX)
        return 0;
    size_t n = mqtt_rl_encode(rl, (uint32_t)rem);
    if (cap < 1 + n || rem > cap - 1 - n)
        return 0;
    out[0] = b0;
    memcpy(out + 1, rl, n);
    return 1 + n;
}

size_t mqtt_ser_connect(uint8_t *out, size_t cap, const mqtt_config_t *cfg)
{
    size_t idl = strlen(cfg->client_id), wtl = cfg->will_topic ? strlen(cfg->will_topic) : 0;
    if (idl > 65535u || wtl > 65535u || cfg->will_len > 65535u || cfg->will_qos > 1)
        return 0;
    size_t rem = 10u + 2u + idl + (cfg->will_topic ? 4u + wtl + cfg->will_len : 0u);
    size_t h = header(out, cap, MQTT_T_CONNECT << 4, rem);
    if (!h)
        return 0;
    uint8_t *p = out + h;
    uint8_t flags = cfg->clean_session ? 0x02u : 0u;
    if (cfg->will_topic)
        flags = (uint8_t)(flags | 0x04u | (cfg->will_qos << 3) | (cfg->will_retain ? 0x20u : 0u));
    static const uint8_t proto[7] = {0, 4, 'M', 'Q', 'T', 'T', 4}; /* name, level 4 */
    memcpy(p, proto, sizeof(proto));
    p += sizeof(proto);
    *p++ = flags;
    p = put16(p, cfg->keepalive_s);
    p = put16(p, idl);
    memcpy(p, cfg->client_id, idl);
    p += idl;
    if (cfg->will_topic) {
        p = put16(p, wtl);
        memcpy(p, cfg->will_topic, wtl);
        p += wtl;
        p = put16(p, cfg->will_len);
        if (cfg->will_len)
            memcpy(p, cfg->will_payload, cfg->will_len);
        p += cfg->will_len;
    }
    return (size_t)(p - out);
}

size_t mqtt_ser_fixed(uint8_t out[5], uint8_t b0, uint32_t rem)
{
    out[0] = b0;
    return 1 + mqtt_rl_encode(out + 1, rem);
}

uint8_t mqtt_publish_b0(uint8_t qos, bool retain, bool dup)
{
    return (uint8_t)(MQTT_T_PUBLISH << 4 | (dup ? 8u : 0u) | (unsigned)qos << 1 |
                     (retain ? 1u : 0u));
}

size_t mqtt_ser_publish_vh(uint8_t *out, size_t cap, const char *topic, size_t topic_len,
                           uint8_t qos, uint16_t id)
{
    size_t n = 2u + topic_len + (qos ? 2u : 0u);
    if (qos > 1 || topic_len > 65535u || (qos && !id) || n > cap)
        return 0;
    uint8_t *p = put16(out, topic_len);
    memcpy(p, topic, topic_len);
    if (qos)
        put16(p + topic_len, id);
    return n;
}

size_t mqtt_ser_publish(uint8_t *out, size_t cap, const char *topic, size_t topic_len,
                        const void *payload, size_t len, uint8_t qos, bool retain, bool dup,
                        uint16_t id)
{
    if (qos > 1 || topic_len > 65535u || (qos && !id) || (dup && !qos))
        return 0;
    size_t rem = 2u + topic_len + (qos ? 2u : 0u);
    if (len > MQTT_RL_MAX - rem)
        return 0;
    rem += len;
    size_t h = header(out, cap, mqtt_publish_b0(qos, retain, dup), rem);
    if (!h)
        return 0;
    size_t vh = mqtt_ser_publish_vh(out + h, cap - h, topic, topic_len, qos, id);
    if (len)
        memcpy(out + h + vh, payload, len);
    return h + rem;
}

size_t mqtt_ser_subscribe(uint8_t *out, size_t cap, uint16_t id, const char *const *filters,
                          const uint8_t *qos, size_t n)
{
    size_t rem = 2;
    if (!id || n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        size_t fl = strlen(filters[i]);
        if (fl > 65535u || qos[i] > 1 || rem > MQTT_RL_MAX - 3u - fl)
            return 0;
        rem += 3u + fl;
    }
    /* 3.8.1: the SUBSCRIBE flags are 0010 */
    size_t h = header(out, cap, MQTT_T_SUBSCRIBE << 4 | 2u, rem);
    if (!h)
        return 0;
    uint8_t *p = put16(out + h, id);
    for (size_t i = 0; i < n; i++) {
        size_t fl = strlen(filters[i]);
        p = put16(p, fl);
        memcpy(p, filters[i], fl);
        p += fl;
        *p++ = qos[i];
    }
    return (size_t)(p - out);
}

size_t mqtt_ser_simple(uint8_t *out, size_t cap, uint8_t type, uint16_t id)
{
    bool with_id = type == MQTT_T_PUBACK;
    size_t h = header(out, cap, (uint8_t)(type << 4), with_id ? 2u : 0u);
    if (!h)
        return 0;
    if (with_id)
        put16(out + h, id);
    return h + (with_id ? 2u : 0u);
}
