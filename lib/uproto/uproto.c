/*
 * IMPLEMENTATION NOTES
 * The parser is a byte-at-a-time state machine whose whole state is the
 * bytes of the frame so far (have) and when the last one came: no static
 * state, no allocation, one bounded buffer. It resynchronises on the
 * two-byte magic, so garbage between frames costs only the garbage. The
 * length is checked against UPROTO_PAYLOAD_MAX the moment the header is
 * complete, before any payload byte is stored, so the buffer can never be
 * overrun whatever the length field says. A frame stalled for
 * UPROTO_GAP_MS is dropped, so a host that died mid-frame (or a byte lost
 * on the wire) cannot wedge the parser: the next frame starts clean.
 *
 * Every field of a request is checked against its type in one place
 * (uproto_request_decode) before the device acts on any of it; the CRC only
 * protects against line noise, not an attacker, which is fine: what the
 * device installs is authenticated by the manifest's signature and the
 * layer digests, never by this framing.
 */
#include "uproto.h"
#include "crc32.h"

#include <string.h>

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void uproto_parser_init(struct uproto_parser *p)
{
    p->have = 0;
    p->last_ms = 0;
    p->dropped = 0;
}

/* Stores one byte; returns 1 when a frame is complete, 0 to go on, or a
 * negative error for a frame dropped. */
static int take(struct uproto_parser *p, uint8_t b, struct uproto_frame *out)
{
    if (p->have == 0) {
        if (b == UPROTO_MAGIC0)
            p->buf[p->have++] = b;
        else
            p->dropped++;
        return 0;
    }
    if (p->have == 1 && b != UPROTO_MAGIC1) {
        /* not a frame start after all; this byte may begin one */
        p->dropped++;
        if (b != UPROTO_MAGIC0) {
            p->dropped++;
            p->have = 0;
        }
        return 0;
    }
    p->buf[p->have++] = b;
    if (p->have < UPROTO_HEADER)
        return 0;
    uint32_t len = (uint32_t)p->buf[4] | (uint32_t)p->buf[5] << 8;
    out->type = p->buf[2];
    out->seq = p->buf[3];
    out->len = (uint16_t)len;
    if (len > UPROTO_PAYLOAD_MAX) {
        p->have = 0;
        return UPROTO_E_LENGTH;
    }
    if (p->have < UPROTO_HEADER + len + UPROTO_TRAILER)
        return 0;
    p->have = 0;
    if (crc32_ieee(p->buf, UPROTO_HEADER + len) != get32(p->buf + UPROTO_HEADER + len))
        return UPROTO_E_CRC;
    out->payload = p->buf + UPROTO_HEADER;
    return UPROTO_FRAME;
}

int uproto_feed(struct uproto_parser *p, const uint8_t *data, size_t n, uint32_t now_ms,
                size_t *used, struct uproto_frame *out)
{
    size_t i = 0;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (p->have > 0 && n > 0 && now_ms - p->last_ms > UPROTO_GAP_MS) {
        p->dropped += p->have;
        p->have = 0;
    }
    while (i < n && rc == 0) {
        p->last_ms = now_ms;
        rc = take(p, data[i++], out);
    }
    *used = i;
    return rc;
}

size_t uproto_encode(uint8_t type, uint8_t seq, const uint8_t *payload, size_t len,
                     uint8_t *out, size_t cap)
{
    if (len > UPROTO_PAYLOAD_MAX || cap < UPROTO_HEADER + len + UPROTO_TRAILER)
        return 0;
    out[0] = UPROTO_MAGIC0;
    out[1] = UPROTO_MAGIC1;
    out[2] = type;
    out[3] = seq;
    out[4] = (uint8_t)len;
    out[5] = (uint8_t)(len >> 8);
    if (len)
        memmove(out + UPROTO_HEADER, payload, len);
    put32(out + UPROTO_HEADER + len, crc32_ieee(out, UPROTO_HEADER + len));
    return UPROTO_HEADER + len + UPROTO_TRAILER;
}

int uproto_request_decode(const struct uproto_frame *f, struct uproto_request *out)
{
    memset(out, 0, sizeof(*out));
    out->type = f->type;
    out->seq = f->seq;
    switch (f->type) {
    case UPROTO_STATUS:
    case UPROTO_FINISH:
        return f->len == 0 ? UPROTO_OK : UPROTO_E_PAYLOAD;
    case UPROTO_BEGIN:
        if (f->len == 0 || f->len > UPROTO_ENVELOPE_MAX)
            return UPROTO_E_PAYLOAD;
        out->data = f->payload;
        out->len = f->len;
        return UPROTO_OK;
    case UPROTO_NEXT:
        if (f->len != 1 || (f->payload[0] != 1 && f->payload[0] != 2))
            return UPROTO_E_PAYLOAD;
        out->comp = f->payload[0];
        return UPROTO_OK;
    case UPROTO_WRITE:
        if (f->len < 4 + 1 || f->len > 4 + UPROTO_CHUNK_MAX)
            return UPROTO_E_PAYLOAD;
        out->offset = get32(f->payload);
        out->data = f->payload + 4;
        out->len = f->len - 4u;
        return UPROTO_OK;
    case UPROTO_ACTIVATE:
        if (f->len != 1 || (f->payload[0] & ~UPROTO_ACTIVATE_REBOOT))
            return UPROTO_E_PAYLOAD;
        out->flags = f->payload[0];
        return UPROTO_OK;
    default:
        return UPROTO_E_TYPE;
    }
}

void uproto_response_put(const struct uproto_response *r, uint8_t out[UPROTO_RESPONSE_SIZE])
{
    out[0] = (uint8_t)r->status;
    out[1] = (uint8_t)r->detail;
    out[2] = r->state;
    out[3] = r->comp;
    put32(out + 4, r->next);
    put32(out + 8, r->total);
    out[12] = (uint8_t)r->chunk_max;
    out[13] = (uint8_t)(r->chunk_max >> 8);
    out[14] = r->version;
    out[15] = 0;
}

int uproto_response_decode(const struct uproto_frame *f, struct uproto_response *out)
{
    memset(out, 0, sizeof(*out));
    if (!(f->type & UPROTO_RESPONSE) || f->len != UPROTO_RESPONSE_SIZE)
        return UPROTO_E_PAYLOAD;
    const uint8_t *p = f->payload;
    out->status = (int8_t)p[0];
    out->detail = (int8_t)p[1];
    out->state = p[2];
    out->comp = p[3];
    out->next = get32(p + 4);
    out->total = get32(p + 8);
    out->chunk_max = (uint16_t)(p[12] | p[13] << 8);
    out->version = p[14];
    return UPROTO_OK;
}

const char *uproto_strerror(int err)
{
    switch (err) {
    case UPROTO_E_CRC: return "frame CRC wrong";
    case UPROTO_E_LENGTH: return "frame longer than the protocol allows";
    case UPROTO_E_TYPE: return "unknown request type";
    case UPROTO_E_PAYLOAD: return "request payload malformed or a field out of range";
    case UPROTO_E_BUSY: return "device busy verifying";
    case UPROTO_E_TRUST: return "device has no trusted signers";
    case UPROTO_E_REBOOTING: return "device reboots into an activated image once a trial ends; send it again after that reboot";
    default: return NULL;
    }
}
