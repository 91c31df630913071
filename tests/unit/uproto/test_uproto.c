/* lib/uproto: framing round trips, resynchronisation, every rejection of
 * the parser and of the request decoder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "keel_test.h"
#include "uproto.h"

static uint8_t frame[UPROTO_FRAME_MAX + 64];

/* Feeds all of data, one call per chunk of `step` bytes; returns the last
 * non-zero result and its frame. */
static int feed_all(struct uproto_parser *p, const uint8_t *d, size_t n, size_t step,
                    uint32_t now, struct uproto_frame *f, int *frames)
{
    int last = 0;
    *frames = 0;
    while (n > 0) {
        size_t used, k = n < step ? n : step;
        int rc = uproto_feed(p, d, k, now, &used, f);
        CHECK(used <= k && (used == k || rc != 0));
        d += used;
        n -= used;
        if (rc == UPROTO_FRAME)
            (*frames)++;
        if (rc)
            last = rc;
    }
    return last;
}

static void test_round_trip(void)
{
    static struct uproto_parser p;
    static uint8_t payload[UPROTO_PAYLOAD_MAX];
    struct uproto_frame f;
    int frames;
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7 + 3);
    size_t sizes[] = {0, 1, 5, 16, 1028, UPROTO_PAYLOAD_MAX};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (size_t step = 1; step <= 4096; step *= 8) {
            size_t n = uproto_encode(UPROTO_WRITE, (uint8_t)s, payload, sizes[s], frame,
                                     sizeof(frame));
            CHECK(n == sizes[s] + 10);
            uproto_parser_init(&p);
            int rc = feed_all(&p, frame, n, step, 0, &f, &frames);
            CHECK(rc == UPROTO_FRAME && frames == 1);
            CHECK(f.type == UPROTO_WRITE && f.seq == (uint8_t)s && f.len == sizes[s]);
            CHECK(sizes[s] == 0 || memcmp(f.payload, payload, sizes[s]) == 0);
        }
    }
    CHECK(uproto_encode(1, 0, payload, UPROTO_PAYLOAD_MAX + 1, frame, sizeof(frame)) == 0);
    CHECK(uproto_encode(1, 0, payload, 10, frame, 19) == 0);
    CHECK(uproto_encode(1, 0, payload, 10, frame, 20) == 20);
}

static void test_resync_and_errors(void)
{
    static struct uproto_parser p;
    static uint8_t stream[3 * UPROTO_FRAME_MAX];
    struct uproto_frame f;
    int frames;
    uint8_t pl[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    /* garbage, a lone 'K', "KK" then a frame: found, garbage counted */
    size_t n = 0;
    memcpy(stream, "xyzKaKK", 7);
    n = 7;
    n += uproto_encode(UPROTO_STATUS, 9, pl, 0, stream + n, sizeof(stream) - n);
    uproto_parser_init(&p);
    CHECK(feed_all(&p, stream, n, 1, 0, &f, &frames) == UPROTO_FRAME && frames == 1);
    CHECK(f.seq == 9 && p.dropped == 7);

    /* a corrupted byte: CRC error with the header as read, then the next
     * frame is received */
    n = uproto_encode(UPROTO_WRITE, 3, pl, sizeof(pl), stream, sizeof(stream));
    stream[8] ^= 0x10;
    size_t m = uproto_encode(UPROTO_FINISH, 4, NULL, 0, stream + n, sizeof(stream) - n);
    size_t used;
    uproto_parser_init(&p);
    CHECK(uproto_feed(&p, stream, n + m, 0, &used, &f) == UPROTO_E_CRC);
    CHECK(used == n && f.type == UPROTO_WRITE && f.seq == 3);
    CHECK(uproto_feed(&p, stream + used, n + m - used, 0, &used, &f) == UPROTO_FRAME);
    CHECK(f.type == UPROTO_FINISH && f.seq == 4);

    /* a length over the maximum is refused at the header */
    uint8_t big[6] = {'K', 'U', UPROTO_BEGIN, 1, 0x01, 0x08}; /* 2049 */
    uproto_parser_init(&p);
    CHECK(uproto_feed(&p, big, 6, 0, &used, &f) == UPROTO_E_LENGTH && used == 6);
    CHECK(p.have == 0);

    /* a stalled frame is dropped after the gap; a frame inside it is not */
    n = uproto_encode(UPROTO_STATUS, 1, NULL, 0, stream, sizeof(stream));
    uproto_parser_init(&p);
    CHECK(uproto_feed(&p, stream, 5, 1000, &used, &f) == 0 && used == 5);
    CHECK(uproto_feed(&p, stream + 5, n - 5, 1000 + UPROTO_GAP_MS, &used, &f) == UPROTO_FRAME);
    uproto_parser_init(&p);
    CHECK(uproto_feed(&p, stream, 5, 1000, &used, &f) == 0);
    CHECK(uproto_feed(&p, stream + 5, n - 5, 1001 + UPROTO_GAP_MS, &used, &f) == 0);
    CHECK(p.have == 0 && p.dropped >= 5);
    /* ... and the time may wrap */
    uproto_parser_init(&p);
    CHECK(uproto_feed(&p, stream, 5, 0xFFFFFFF0u, &used, &f) == 0);
    CHECK(uproto_feed(&p, stream + 5, n - 5, 0x10, &used, &f) == UPROTO_FRAME);
}

static int decode(uint8_t type, const uint8_t *pl, size_t len, struct uproto_request *r)
{
    static struct uproto_parser p;
    struct uproto_frame f;
    size_t used, n = uproto_encode(type, 0, pl, len, frame, sizeof(frame));
    uproto_parser_init(&p);
    if (uproto_feed(&p, frame, n, 0, &used, &f) != UPROTO_FRAME)
        return 99;
    return uproto_request_decode(&f, r);
}

static void test_requests(void)
{
    static uint8_t pl[UPROTO_PAYLOAD_MAX];
    struct uproto_request r;
    memset(pl, 0xA5, sizeof(pl));
    CHECK(decode(UPROTO_STATUS, pl, 0, &r) == UPROTO_OK);
    CHECK(decode(UPROTO_STATUS, pl, 1, &r) == UPROTO_E_PAYLOAD);
    CHECK(decode(UPROTO_FINISH, pl, 0, &r) == UPROTO_OK);
    CHECK(decode(UPROTO_FINISH, pl, 2, &r) == UPROTO_E_PAYLOAD);
    CHECK(decode(UPROTO_BEGIN, pl, 0, &r) == UPROTO_E_PAYLOAD);
    CHECK(decode(UPROTO_BEGIN, pl, UPROTO_ENVELOPE_MAX, &r) == UPROTO_OK);
    CHECK(r.len == UPROTO_ENVELOPE_MAX && r.data[0] == 0xA5);
    pl[0] = 2;
    CHECK(decode(UPROTO_NEXT, pl, 1, &r) == UPROTO_OK && r.comp == 2);
    pl[0] = 3;
    CHECK(decode(UPROTO_NEXT, pl, 1, &r) == UPROTO_E_PAYLOAD);
    pl[0] = 0;
    CHECK(decode(UPROTO_NEXT, pl, 1, &r) == UPROTO_E_PAYLOAD);
    CHECK(decode(UPROTO_NEXT, pl, 0, &r) == UPROTO_E_PAYLOAD);
    pl[0] = 0x10; pl[1] = 0x20; pl[2] = 0; pl[3] = 0;
    CHECK(decode(UPROTO_WRITE, pl, 4, &r) == UPROTO_E_PAYLOAD);
    CHECK(decode(UPROTO_WRITE, pl, 5, &r) == UPROTO_OK && r.offset == 0x2010 && r.len == 1);
    CHECK(decode(UPROTO_WRITE, pl, 4 + UPROTO_CHUNK_MAX, &r) == UPROTO_OK);
    CHECK(decode(UPROTO_WRITE, pl, 5 + UPROTO_CHUNK_MAX, &r) == UPROTO_E_PAYLOAD);
    pl[0] = UPROTO_ACTIVATE_REBOOT;
    CHECK(decode(UPROTO_ACTIVATE, pl, 1, &r) == UPROTO_OK && r.flags == UPROTO_ACTIVATE_REBOOT);
    pl[0] = 0;
    CHECK(decode(UPROTO_ACTIVATE, pl, 1, &r) == UPROTO_OK && r.flags == 0);
    pl[0] = 2;
    CHECK(decode(UPROTO_ACTIVATE, pl, 1, &r) == UPROTO_E_PAYLOAD);
    CHECK(decode(UPROTO_ACTIVATE, pl, 0, &r) == UPROTO_E_PAYLOAD);
    CHECK(decode(0x07, pl, 0, &r) == UPROTO_E_TYPE);
    CHECK(decode(UPROTO_STATUS | UPROTO_RESPONSE, pl, 0, &r) == UPROTO_E_TYPE);
    for (int e = UPROTO_E_REBOOTING; e <= UPROTO_E_CRC; e++)
        CHECK(uproto_strerror(e) != NULL);
    CHECK(uproto_strerror(-1) == NULL && uproto_strerror(0) == NULL);
}

static void test_response(void)
{
    static struct uproto_parser p;
    struct uproto_response r = {.status = -8, .detail = -3, .state = 2, .comp = 2,
                                .next = 0x12345678u, .total = 0x9ABCDEF0u,
                                .chunk_max = 1024, .version = UPROTO_VERSION}, back;
    uint8_t pl[UPROTO_RESPONSE_SIZE];
    struct uproto_frame f;
    size_t used;
    uproto_response_put(&r, pl);
    size_t n = uproto_encode(UPROTO_WRITE | UPROTO_RESPONSE, 7, pl, sizeof(pl), frame,
                             sizeof(frame));
    uproto_parser_init(&p);
    CHECK(uproto_feed(&p, frame, n, 0, &used, &f) == UPROTO_FRAME);
    CHECK(uproto_response_decode(&f, &back) == UPROTO_OK);
    CHECK(back.status == -8 && back.detail == -3 && back.state == 2 && back.comp == 2 &&
          back.next == r.next && back.total == r.total && back.chunk_max == 1024 &&
          back.version == UPROTO_VERSION);
    f.len = 15;
    CHECK(uproto_response_decode(&f, &back) == UPROTO_E_PAYLOAD);
    f.len = 16;
    f.type = UPROTO_WRITE;
    CHECK(uproto_response_decode(&f, &back) == UPROTO_E_PAYLOAD);
}

int main(void)
{
    /* the CRC is CRC-32/IEEE */
    CHECK(crc32_ieee((const uint8_t *)"123456789", 9) == 0xCBF43926u);
    test_round_trip();
    test_resync_and_errors();
    test_requests();
    test_response();
    return keel_test_done("test_uproto");
}
