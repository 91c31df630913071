/* fuzz_proto: every decoder on every input; whatever one accepts must
 * re-encode and decode to the same message (strings pointing into the
 * input, never past it), and every text it hands out must be well-formed
 * UTF-8 without NUL, checked here by a second, differently written
 * decoder of UTF-8 (code points, not byte ranges). */
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static uint8_t out[PROTO_MAX_SIZE];

static void within(const void *p, size_t n, const uint8_t *data, size_t size)
{
    if (n && ((const uint8_t *)p < data || (const uint8_t *)p + n > data + size))
        abort();
}

/* Decodes code points and checks each against RFC 3629's rules. */
static int utf8_ok(const char *p, size_t n)
{
    const uint8_t *s = (const uint8_t *)p;
    for (size_t i = 0; i < n;) {
        uint32_t cp, min;
        size_t len;
        if (s[i] < 0x80) { cp = s[i]; len = 1; min = 0; }
        else if ((s[i] & 0xE0) == 0xC0) { cp = s[i] & 0x1F; len = 2; min = 0x80; }
        else if ((s[i] & 0xF0) == 0xE0) { cp = s[i] & 0x0F; len = 3; min = 0x800; }
        else if ((s[i] & 0xF8) == 0xF0) { cp = s[i] & 0x07; len = 4; min = 0x10000; }
        else return 0;
        if (i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp == 0 || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

static void text(const char *p, size_t n, const uint8_t *data, size_t size)
{
    within(p, n, data, size);
    if (!utf8_ok(p, n) || !proto_utf8_valid(p, n))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct proto_logs l, l2;
    struct proto_status s, s2;
    struct proto_config c;
    struct proto_command cm;
    struct proto_deploy dp, dp2;
    struct proto_fetch fe, fe2;
    struct proto_chunk ch, ch2;
    struct proto_ack a;
    struct proto_log_ack la;
    uint64_t t;
    size_t n;
    if (proto_utf8_valid((const char *)data, size) != utf8_ok((const char *)data, size))
        abort();
    proto_peek_type(data, size);
    for (uint32_t type = PROTO_HELLO; type <= PROTO_STATUS; type++)
        if (proto_status_decode(type, data, size, &s) == PROTO_OK) {
            if (proto_status_encode(type, &s, out, sizeof(out), &n) ||
                proto_status_decode(type, out, n, &s2) || memcmp(&s, &s2, sizeof(s)))
                abort();
        }
    if (proto_logs_decode(data, size, &l) == PROTO_OK) {
        for (uint32_t i = 0; i < l.n; i++)
            text(l.rec[i].text.p, l.rec[i].text.n, data, size);
        if (proto_logs_encode(&l, out, sizeof(out), &n) || proto_logs_decode(out, n, &l2) ||
            l2.n != l.n || l2.first_seq != l.first_seq)
            abort();
        for (uint32_t i = 0; i < l.n; i++)
            if (l2.rec[i].text.n != l.rec[i].text.n || l2.rec[i].device_ms != l.rec[i].device_ms ||
                memcmp(l2.rec[i].text.p, l.rec[i].text.p, l.rec[i].text.n))
                abort();
    }
    if (proto_config_decode(data, size, &c) == PROTO_OK)
        for (uint32_t i = 0; i < c.n; i++) {
            text(c.e[i].key.p, c.e[i].key.n, data, size);
            text(c.e[i].value.p, c.e[i].value.n, data, size);
        }
    if (proto_command_decode(data, size, &cm) == PROTO_OK) {
        text(cm.name.p, cm.name.n, data, size);
        within(cm.arg, cm.arg_len, data, size);
    }
    if (proto_deploy_decode(data, size, &dp) == PROTO_OK &&
        (proto_deploy_encode(&dp, out, sizeof(out), &n) || proto_deploy_decode(out, n, &dp2) ||
         memcmp(&dp, &dp2, sizeof(dp))))
        abort();
    if (proto_fetch_decode(data, size, &fe) == PROTO_OK &&
        (proto_fetch_encode(&fe, out, sizeof(out), &n) || proto_fetch_decode(out, n, &fe2) ||
         memcmp(&fe, &fe2, sizeof(fe))))
        abort();
    if (proto_chunk_decode(data, size, &ch) == PROTO_OK) {
        within(ch.data, ch.len, data, size);
        if (ch.len > PROTO_CHUNK_MAX || (ch.status == PROTO_CHUNK_OK &&
                                         (uint64_t)ch.offset + ch.len > ch.total))
            abort();
        if (proto_chunk_encode(&ch, out, sizeof(out), &n) || proto_chunk_decode(out, n, &ch2) ||
            ch2.req_id != ch.req_id || ch2.status != ch.status || ch2.offset != ch.offset ||
            ch2.total != ch.total || ch2.len != ch.len || memcmp(ch2.data, ch.data, ch.len))
            abort();
    }
    proto_ack_decode(data, size, &a);
    proto_log_ack_decode(data, size, &la);
    proto_time_decode(data, size, &t);
    return 0;
}
