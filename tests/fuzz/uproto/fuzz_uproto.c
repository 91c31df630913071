/*
 * Input: a byte stream as the device's update port would receive it. The
 * first byte picks the chunking (how many bytes each uproto_feed call
 * gets) and the time step between calls, so partial frames, the gap
 * timeout and resynchronisation are all reached. Every frame found is
 * decoded as a request and as a response; properties checked:
 *  - the parser consumes at least one byte per call and never more than
 *    it was given, and its state stays inside its buffer;
 *  - a frame's payload lies inside the parser's buffer, its length within
 *    UPROTO_PAYLOAD_MAX, and re-encoding it gives bytes that parse back to
 *    the same frame (round trip);
 *  - a decoded request's fields respect the documented bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uproto.h"

static struct uproto_parser p, p2;
static uint8_t again[UPROTO_FRAME_MAX];

static void check_frame(const struct uproto_frame *f)
{
    if (f->len > UPROTO_PAYLOAD_MAX || f->payload < p.buf + UPROTO_HEADER ||
        f->payload + f->len > p.buf + sizeof(p.buf))
        abort();
    size_t n = uproto_encode(f->type, f->seq, f->payload, f->len, again, sizeof(again));
    if (n != (size_t)f->len + UPROTO_HEADER + UPROTO_TRAILER)
        abort();
    struct uproto_frame g;
    size_t used;
    uproto_parser_init(&p2);
    if (uproto_feed(&p2, again, n, 0, &used, &g) != UPROTO_FRAME || used != n ||
        g.type != f->type || g.seq != f->seq || g.len != f->len ||
        memcmp(g.payload, f->payload, f->len) != 0)
        abort();
    struct uproto_request r;
    int rc = uproto_request_decode(f, &r);
    if (rc == UPROTO_OK) {
        switch (r.type) {
        case UPROTO_BEGIN:
            if (r.len == 0 || r.len > UPROTO_ENVELOPE_MAX) abort();
            break;
        case UPROTO_WRITE:
            if (r.len == 0 || r.len > UPROTO_CHUNK_MAX || r.data != f->payload + 4) abort();
            break;
        case UPROTO_NEXT:
            if (r.comp != 1 && r.comp != 2) abort();
            break;
        case UPROTO_ACTIVATE:
            if (r.flags & ~UPROTO_ACTIVATE_REBOOT) abort();
            break;
        case UPROTO_STATUS:
        case UPROTO_FINISH:
            if (f->len) abort();
            break;
        default:
            abort();
        }
    } else if (rc != UPROTO_E_TYPE && rc != UPROTO_E_PAYLOAD) {
        abort();
    }
    struct uproto_response resp;
    rc = uproto_response_decode(f, &resp);
    if (rc != UPROTO_OK && rc != UPROTO_E_PAYLOAD)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (data[0] & 0x0F) ? (data[0] & 0x0F) * 37u : size;
    uint32_t dt = (data[0] >> 4) * 40u; /* 0..600 ms between calls */
    uint32_t now = 0xFFFFFF00u;        /* wraps during the run */
    data++;
    size--;
    uproto_parser_init(&p);
    while (size > 0) {
        size_t k = size < step ? size : step, used;
        struct uproto_frame f;
        int rc = uproto_feed(&p, data, k, now, &used, &f);
        if (used == 0 || used > k || p.have >= sizeof(p.buf))
            abort();
        if (rc == UPROTO_FRAME)
            check_frame(&f);
        else if (rc != 0 && rc != UPROTO_E_CRC && rc != UPROTO_E_LENGTH)
            abort();
        data += used;
        size -= used;
        now += dt;
    }
    return 0;
}
