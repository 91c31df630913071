/*
 * test_proto: lib/proto's messages: every message round-trips; the bytes
 * of a hello are the ones docs/protocol.md shows; every prefix of a valid
 * message is rejected; another version, another type, keys out of order,
 * unknown critical keys, missing fields and over-long arrays are rejected;
 * extension keys (64 and up) are skipped, except the ones a decoder reads
 * (a hello's logs_dropped 64 and update report 65), which must then be valid; text fields that are not
 * well-formed UTF-8 or hold NUL are refused (PROTO_E_TEXT).
 */
#include <string.h>

#include "keel_test.h"
#include "proto.h"

static uint8_t buf[PROTO_MAX_SIZE];

static void test_status(void)
{
    struct proto_status s = {.app_version = 0x01020003, .mv_version = 0x00010000,
                             .update_status = PROTO_UPD_TRIAL, .uptime_s = 4000, .n_faults = 1,
                             .faults = {{.code = 3, .pc = 0x00201234, .uptime_ms = 99}},
                             .logs_dropped = 300}, d;
    size_t n;
    CHECK_EQ(proto_status_encode(PROTO_HELLO, &s, buf, sizeof(buf), &n), PROTO_OK);
    CHECK_EQ(proto_peek_type(buf, n), PROTO_HELLO);
    CHECK_EQ(proto_status_decode(PROTO_HELLO, buf, n, &d), PROTO_OK);
    CHECK(memcmp(&s, &d, sizeof(s)) == 0);
    CHECK_EQ(proto_status_decode(PROTO_STATUS, buf, n, &d), PROTO_E_TYPE);
    for (size_t k = 0; k < n; k++)
        CHECK(proto_status_decode(PROTO_HELLO, buf, k, &d) != PROTO_OK);
    /* the example in docs/protocol.md: hello, app 0.1.0, mv 0.1.0, confirmed, 1 s */
    static const uint8_t doc[] = {0xA6, 0x00, 0x01, 0x01, 0x01, 0x02, 0x1A, 0x00, 0x01, 0x00,
                                  0x00, 0x03, 0x1A, 0x00, 0x01, 0x00, 0x00, 0x04, 0x03, 0x05,
                                  0x01};
    struct proto_status h = {.app_version = 1u << 16, .mv_version = 1u << 16,
                             .update_status = PROTO_UPD_CONFIRMED, .uptime_s = 1};
    CHECK_EQ(proto_status_encode(PROTO_HELLO, &h, buf, sizeof(buf), &n), PROTO_OK);
    CHECK(n == sizeof(doc) && memcmp(buf, doc, n) == 0);
    uint8_t v2[sizeof(doc)];
    memcpy(v2, doc, sizeof(doc));
    v2[2] = 0x02; /* version 2 */
    CHECK_EQ(proto_status_decode(PROTO_HELLO, v2, sizeof(v2), &d), PROTO_E_VERSION);
    memcpy(v2, doc, sizeof(doc));
    v2[19] = 0x07; /* key 5 -> 7: unknown critical key */
    CHECK_EQ(proto_status_decode(PROTO_HELLO, v2, sizeof(v2), &d), PROTO_E_ORDER);
    memcpy(v2, doc, sizeof(doc));
    v2[17] = 0x05; /* keys ..., 5, 5: out of order */
    CHECK_EQ(proto_status_decode(PROTO_HELLO, v2, sizeof(v2), &d), PROTO_E_ORDER);
    memcpy(v2, doc, sizeof(doc));
    v2[18] = 0x09; /* update status 9 */
    CHECK_EQ(proto_status_decode(PROTO_HELLO, v2, sizeof(v2), &d), PROTO_E_FIELD);
    /* a missing field: drop key 5 (map of 5 pairs) */
    memcpy(v2, doc, sizeof(doc));
    v2[0] = 0xA5;
    CHECK_EQ(proto_status_decode(PROTO_HELLO, v2, sizeof(doc) - 2, &d), PROTO_E_FIELD);
    /* an extension key no decoder reads (66) with a nested value is skipped */
    uint8_t ext[sizeof(doc) + 5];
    memcpy(ext, doc, sizeof(doc));
    ext[0] = 0xA7;
    memcpy(ext + sizeof(doc), (const uint8_t[]){0x18, 0x42, 0x82, 0x01, 0x02}, 5);
    CHECK_EQ(proto_status_decode(PROTO_HELLO, ext, sizeof(ext), &d), PROTO_OK);
    CHECK_EQ(d.uptime_s, 1);
    CHECK_EQ(d.logs_dropped, 0);
    /* key 64, logs_dropped: read (7), and refused when not a uint32 */
    memcpy(ext + sizeof(doc), (const uint8_t[]){0x18, 0x40, 0x07}, 3);
    CHECK_EQ(proto_status_decode(PROTO_HELLO, ext, sizeof(doc) + 3, &d), PROTO_OK);
    CHECK_EQ(d.logs_dropped, 7);
    memcpy(ext + sizeof(doc), (const uint8_t[]){0x18, 0x40, 0x82, 0x01, 0x02}, 5);
    CHECK_EQ(proto_status_decode(PROTO_HELLO, ext, sizeof(ext), &d), PROTO_E_FIELD);
    uint8_t big[sizeof(doc) + 11];
    memcpy(big, doc, sizeof(doc));
    big[0] = 0xA7;
    memcpy(big + sizeof(doc), (const uint8_t[]){0x18, 0x40, 0x1B, 0, 0, 0, 1, 0, 0, 0, 0}, 11);
    CHECK_EQ(proto_status_decode(PROTO_HELLO, big, sizeof(big), &d), PROTO_E_FIELD);
    /* 64 then 66: both after the required keys, the unknown one skipped */
    uint8_t both[sizeof(doc) + 6];
    memcpy(both, doc, sizeof(doc));
    both[0] = 0xA8;
    memcpy(both + sizeof(doc), (const uint8_t[]){0x18, 0x40, 0x02, 0x18, 0x42, 0x00}, 6);
    CHECK_EQ(proto_status_decode(PROTO_HELLO, both, sizeof(both), &d), PROTO_OK);
    CHECK_EQ(d.logs_dropped, 2);
    /* trailing bytes */
    memcpy(ext, doc, sizeof(doc));
    ext[sizeof(doc)] = 0x00;
    CHECK_EQ(proto_status_decode(PROTO_HELLO, ext, sizeof(doc) + 1, &d), PROTO_E_CBOR);
}

static void test_logs(void)
{
    static struct proto_logs m, d;
    static char text[PROTO_MAX_LOGS][32];
    size_t n;
    m.first_seq = 1000;
    m.n = PROTO_MAX_LOGS;
    for (uint32_t i = 0; i < m.n; i++) {
        int len = snprintf(text[i], sizeof(text[i]), "record %u", i);
        m.rec[i] = (struct proto_log){.device_ms = i * 7u, .level = i % 4,
                                      .text = {text[i], (size_t)len}};
    }
    CHECK_EQ(proto_logs_encode(&m, buf, sizeof(buf), &n), PROTO_OK);
    CHECK_EQ(proto_logs_decode(buf, n, &d), PROTO_OK);
    CHECK_EQ(d.n, m.n);
    CHECK_EQ(d.first_seq, 1000);
    for (uint32_t i = 0; i < m.n; i++) {
        CHECK_EQ(d.rec[i].device_ms, m.rec[i].device_ms);
        CHECK_EQ(d.rec[i].level, m.rec[i].level);
        CHECK(d.rec[i].text.n == m.rec[i].text.n &&
              !memcmp(d.rec[i].text.p, m.rec[i].text.p, d.rec[i].text.n));
        CHECK(d.rec[i].text.p >= (const char *)buf && d.rec[i].text.p < (const char *)buf + n);
    }
    for (size_t k = 0; k < n; k++)
        CHECK(proto_logs_decode(buf, k, &d) != PROTO_OK);
    m.n = PROTO_MAX_LOGS + 1;
    CHECK_EQ(proto_logs_encode(&m, buf, sizeof(buf), &n), PROTO_E_TOO_MANY);
    /* a batch of 65 made by hand: {0:1, 1:3, 2:0, 3:[65 x [0,0,""]]} */
    size_t k = 0;
    buf[k++] = 0xA4; buf[k++] = 0; buf[k++] = 1; buf[k++] = 1; buf[k++] = 3;
    buf[k++] = 2; buf[k++] = 0; buf[k++] = 3; buf[k++] = 0x98; buf[k++] = 65;
    for (int i = 0; i < 65; i++) {
        buf[k++] = 0x83; buf[k++] = 0; buf[k++] = 0; buf[k++] = 0x60;
    }
    CHECK_EQ(proto_logs_decode(buf, k, &d), PROTO_E_TOO_MANY);
    m.n = 1;
    m.rec[0].level = 4;
    CHECK_EQ(proto_logs_encode(&m, buf, sizeof(buf), &n), PROTO_E_FIELD);
    m.rec[0].level = 0;
    CHECK_EQ(proto_logs_encode(&m, buf, 10, &n), PROTO_E_SPACE);
}

static void test_small(void)
{
    size_t n;
    struct proto_ack a = {.msg_id = 77, .status = -3}, ad;
    CHECK_EQ(proto_ack_encode(&a, buf, sizeof(buf), &n), PROTO_OK);
    CHECK_EQ(proto_ack_decode(buf, n, &ad), PROTO_OK);
    CHECK(ad.msg_id == 77 && ad.status == -3);
    struct proto_log_ack la = {.first_seq = 5, .count = 16}, lad;
    CHECK_EQ(proto_log_ack_encode(&la, buf, sizeof(buf), &n), PROTO_OK);
    CHECK_EQ(proto_log_ack_decode(buf, n, &lad), PROTO_OK);
    CHECK(lad.first_seq == 5 && lad.count == 16);
    CHECK_EQ(proto_ack_decode(buf, n, &ad), PROTO_E_TYPE);
    uint64_t t;
    CHECK_EQ(proto_time_encode(1796191572105ull, buf, sizeof(buf), &n), PROTO_OK);
    CHECK_EQ(proto_time_decode(buf, n, &t), PROTO_OK);
    CHECK(t == 1796191572105ull);
    struct proto_config c = {.msg_id = 9, .n = 2, .e = {{{"a", 1}, {"1", 1}}, {{"b", 1}, {"", 0}}}},
                        cd;
    CHECK_EQ(proto_config_encode(&c, buf, sizeof(buf), &n), PROTO_OK);
    CHECK_EQ(proto_config_decode(buf, n, &cd), PROTO_OK);
    CHECK(cd.n == 2 && cd.e[1].key.n == 1 && cd.e[1].value.n == 0 && cd.msg_id == 9);
    struct proto_command cm = {.msg_id = 3, .name = {"reboot", 6}, .arg = (const uint8_t *)"x",
                               .arg_len = 1}, cmd;
    CHECK_EQ(proto_command_encode(&cm, buf, sizeof(buf), &n), PROTO_OK);
    CHECK_EQ(proto_command_decode(buf, n, &cmd), PROTO_OK);
    CHECK(cmd.name.n == 6 && !memcmp(cmd.name.p, "reboot", 6) && cmd.arg_len == 1);
    struct proto_deploy dp = {.msg_id = 1, .deployment_id = 2, .size = 4096}, dpd;
    memset(dp.sha256, 0xAB, 32);
    CHECK_EQ(proto_deploy_encode(&dp, buf, sizeof(buf), &n), PROTO_OK);
    CHECK_EQ(proto_deploy_decode(buf, n, &dpd), PROTO_OK);
    CHECK(memcmp(&dp, &dpd, sizeof(dp)) == 0);
    for (size_t k = 0; k < n; k++)
        CHECK(proto_deploy_decode(buf, k, &dpd) != PROTO_OK);
    CHECK_EQ(proto_peek_type((const uint8_t *)"\xA0", 1), PROTO_E_CBOR);
}

/* proto_utf8_valid against RFC 3629's boundaries: every overlong form,
 * surrogates, past U+10FFFF, truncated and stray continuation bytes. */
static void test_utf8(void)
{
    static const struct { const char *s; size_t n; int ok; } v[] = {
        {"", 0, 1}, {"plain ascii", 11, 1},
        {"\x7F", 1, 1}, {"\xC2\x80", 2, 1}, {"\xDF\xBF", 2, 1},     /* U+0080, U+07FF */
        {"\xE0\xA0\x80", 3, 1}, {"\xED\x9F\xBF", 3, 1},           /* U+0800, U+D7FF */
        {"\xEE\x80\x80", 3, 1}, {"\xEF\xBF\xBD", 3, 1},           /* U+E000, U+FFFD */
        {"\xF0\x90\x80\x80", 4, 1}, {"\xF4\x8F\xBF\xBF", 4, 1}, /* U+10000, U+10FFFF */
        {"\x00", 1, 0}, {"a\x00" "b", 3, 0},                             /* NUL */
        {"\xC0\x80", 2, 0}, {"\xC1\xBF", 2, 0},                     /* overlong 2-byte */
        {"\xE0\x80\x80", 3, 0}, {"\xE0\x9F\xBF", 3, 0},           /* overlong 3-byte */
        {"\xF0\x80\x80\x80", 4, 0}, {"\xF0\x8F\xBF\xBF", 4, 0}, /* overlong 4-byte */
        {"\xED\xA0\x80", 3, 0}, {"\xED\xBF\xBF", 3, 0},           /* surrogates */
        {"\xED\xA0\x80\xED\xB0\x80", 6, 0},                       /* a CESU-8 pair */
        {"\xF4\x90\x80\x80", 4, 0}, {"\xF5\x80\x80\x80", 4, 0}, /* > U+10FFFF */
        {"\xF8\x88\x80\x80\x80", 5, 0}, {"\xFF", 1, 0}, {"\xFE", 1, 0},
        {"\xC2", 1, 0}, {"\xE0\xA0", 2, 0}, {"\xF0\x90\x80", 3, 0},  /* truncated */
        {"ok\xE2\x82", 4, 0},
        {"\x80", 1, 0}, {"\xBF", 1, 0}, {"a\x80" "b", 3, 0},           /* stray continuation */
        {"\xC2\x41", 2, 0}, {"\xE2\x82\x41", 3, 0},               /* bad continuation */
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        int got = proto_utf8_valid(v[i].s, v[i].n);
        if (got != v[i].ok)
            fprintf(stderr, "utf8 vector %zu\n", i);
        CHECK_EQ(got, v[i].ok);
    }

    /* the decoders: a log batch whose one record is bad is refused whole,
     * with PROTO_E_TEXT; so are config keys and values, and command names */
    static const char *const bad[] = {"\xC0\xAF", "\xED\xA0\x80", ("a\x00" "b"), "\xF4\x90\x80\x80",
                                      "\xE2\x82"};
    static const size_t bad_n[] = {2, 3, 3, 4, 2};
    for (size_t i = 0; i < 5; i++) {
        uint8_t m[64];
        size_t k = 0, n = bad_n[i];
        /* {0:1, 1:3, 2:7, 3:[[0, 1, "ok"], [0, 1, bad]]} */
        m[k++] = 0xA4; m[k++] = 0; m[k++] = 1; m[k++] = 1; m[k++] = 3; m[k++] = 2; m[k++] = 7;
        m[k++] = 3; m[k++] = 0x82;
        m[k++] = 0x83; m[k++] = 0; m[k++] = 1; m[k++] = 0x62; m[k++] = 'o'; m[k++] = 'k';
        m[k++] = 0x83; m[k++] = 0; m[k++] = 1; m[k++] = (uint8_t)(0x60 + n);
        memcpy(m + k, bad[i], n);
        k += n;
        static struct proto_logs d;
        CHECK_EQ(proto_logs_decode(m, k, &d), PROTO_E_TEXT);
        m[k - n - 1] = 0x60; /* the same record with "" decodes */
        CHECK_EQ(proto_logs_decode(m, k - n, &d), PROTO_OK);
        CHECK_EQ(d.n, 2);

        struct proto_config c = {.msg_id = 1, .n = 1, .e = {{{"k", 1}, {bad[i], n}}}}, cd;
        CHECK_EQ(proto_config_encode(&c, buf, sizeof(buf), &k), PROTO_OK);
        CHECK_EQ(proto_config_decode(buf, k, &cd), PROTO_E_TEXT);
        c.e[0].key = (struct proto_str){bad[i], n};
        c.e[0].value = (struct proto_str){"v", 1};
        CHECK_EQ(proto_config_encode(&c, buf, sizeof(buf), &k), PROTO_OK);
        CHECK_EQ(proto_config_decode(buf, k, &cd), PROTO_E_TEXT);
        struct proto_command cm = {.msg_id = 1, .name = {bad[i], n}}, cmd;
        CHECK_EQ(proto_command_encode(&cm, buf, sizeof(buf), &k), PROTO_OK);
        CHECK_EQ(proto_command_decode(buf, k, &cmd), PROTO_E_TEXT);
        /* and the log encoder will not make such a batch */
        struct proto_logs *l = &d;
        l->first_seq = 0;
        l->n = 1;
        l->rec[0] = (struct proto_log){.level = 1, .text = {bad[i], n}};
        CHECK_EQ(proto_logs_encode(l, buf, sizeof(buf), &k), PROTO_E_TEXT);
    }
    /* non-ASCII that is well-formed passes through */
    struct proto_logs *l = &(struct proto_logs){0};
    size_t k;
    l->n = 1;
    l->rec[0] = (struct proto_log){.level = 2, .text = {"gr\xC3\xBC\xC3\x9F \xF0\x9F\x99\x82", 11}};
    CHECK_EQ(proto_logs_encode(l, buf, sizeof(buf), &k), PROTO_OK);
    CHECK_EQ(proto_logs_decode(buf, k, l), PROTO_OK);
    CHECK(l->n == 1 && l->rec[0].text.n == 11);
}

/* Updates over the air: a status's report (key 65), fetch and chunk. */
static void test_ota(void)
{
    struct proto_status s = {.app_version = 1u << 16, .mv_version = 1u << 16,
                             .update_status = PROTO_UPD_DOWNLOADING, .uptime_s = 9,
                             .has_update = true,
                             .update = {.deployment_id = 42, .state = PROTO_OTA_DOWNLOADING,
                                        .done = 1024, .total = 5616, .reason = 0}}, d;
    size_t n;
    CHECK_EQ(proto_status_encode(PROTO_STATUS, &s, buf, sizeof(buf), &n), PROTO_OK);
    CHECK_EQ(proto_status_decode(PROTO_STATUS, buf, n, &d), PROTO_OK);
    CHECK(memcmp(&s, &d, sizeof(s)) == 0);
    for (size_t k = 0; k < n; k++)
        CHECK(proto_status_decode(PROTO_STATUS, buf, k, &d) != PROTO_OK);
    s.update.state = PROTO_OTA_REVERTED;
    s.update.reason = -8;
    CHECK_EQ(proto_status_encode(PROTO_STATUS, &s, buf, sizeof(buf), &n), PROTO_OK);
    CHECK_EQ(proto_status_decode(PROTO_STATUS, buf, n, &d), PROTO_OK);
    CHECK_EQ(d.update.reason, -8);
    s.update.state = 7; /* no such state */
    CHECK_EQ(proto_status_encode(PROTO_STATUS, &s, buf, sizeof(buf), &n), PROTO_E_FIELD);
    s.update.state = PROTO_OTA_DOWNLOADING;
    s.update.done = s.update.total + 1; /* more done than there is */
    CHECK_EQ(proto_status_encode(PROTO_STATUS, &s, buf, sizeof(buf), &n), PROTO_E_FIELD);
    /* the report decoded from bytes: state 0, a 4-element array, done > total */
    static const uint8_t base[] = {0xA7, 0x00, 0x01, 0x01, 0x02, 0x02, 0x00, 0x03, 0x00,
                                   0x04, 0x01, 0x05, 0x00, 0x18, 0x41};
    uint8_t m[sizeof(base) + 8];
    memcpy(m, base, sizeof(base));
    memcpy(m + sizeof(base), (const uint8_t[]){0x85, 0x07, 0x01, 0x02, 0x03, 0x20}, 6);
    CHECK_EQ(proto_status_decode(PROTO_STATUS, m, sizeof(base) + 6, &d), PROTO_OK);
    CHECK(d.has_update && d.update.deployment_id == 7 && d.update.done == 2 &&
          d.update.total == 3 && d.update.reason == -1);
    m[sizeof(base) + 1 + 1] = 0x00; /* state 0 */
    CHECK_EQ(proto_status_decode(PROTO_STATUS, m, sizeof(base) + 6, &d), PROTO_E_FIELD);
    memcpy(m + sizeof(base), (const uint8_t[]){0x85, 0x07, 0x01, 0x04, 0x03, 0x20}, 6);
    CHECK_EQ(proto_status_decode(PROTO_STATUS, m, sizeof(base) + 6, &d), PROTO_E_FIELD);
    memcpy(m + sizeof(base), (const uint8_t[]){0x84, 0x07, 0x01, 0x02, 0x03}, 5);
    CHECK_EQ(proto_status_decode(PROTO_STATUS, m, sizeof(base) + 5, &d), PROTO_E_FIELD);

    struct proto_fetch f = {.req_id = 3, .offset = 4096, .length = PROTO_CHUNK_MAX}, f2;
    memset(f.sha256, 0xAB, 32);
    CHECK_EQ(proto_fetch_encode(&f, buf, sizeof(buf), &n), PROTO_OK);
    CHECK_EQ(proto_peek_type(buf, n), PROTO_FETCH);
    CHECK_EQ(proto_fetch_decode(buf, n, &f2), PROTO_OK);
    CHECK(memcmp(&f, &f2, sizeof(f)) == 0);
    for (size_t k = 0; k < n; k++)
        CHECK(proto_fetch_decode(buf, k, &f2) != PROTO_OK);
    f.length = PROTO_CHUNK_MAX + 1;
    CHECK_EQ(proto_fetch_encode(&f, buf, sizeof(buf), &n), PROTO_E_FIELD);
    f.length = 0;
    CHECK_EQ(proto_fetch_encode(&f, buf, sizeof(buf), &n), PROTO_E_FIELD);

    static uint8_t data[PROTO_CHUNK_MAX + 1];
    memset(data, 0x5A, sizeof(data));
    struct proto_chunk c = {.req_id = 3, .status = PROTO_CHUNK_OK, .offset = 4096,
                            .total = 5120, .data = data, .len = PROTO_CHUNK_MAX}, c2;
    CHECK_EQ(proto_chunk_encode(&c, buf, sizeof(buf), &n), PROTO_OK);
    CHECK_EQ(proto_chunk_decode(buf, n, &c2), PROTO_OK);
    CHECK(c2.req_id == 3 && c2.status == 0 && c2.offset == 4096 && c2.total == 5120 &&
          c2.len == PROTO_CHUNK_MAX && memcmp(c2.data, data, c2.len) == 0);
    CHECK(c2.data > buf && c2.data + c2.len <= buf + n); /* points into the payload */
    for (size_t k = 0; k < n; k++)
        CHECK(proto_chunk_decode(buf, k, &c2) != PROTO_OK);
    c.total = 5119; /* past the end */
    CHECK_EQ(proto_chunk_encode(&c, buf, sizeof(buf), &n), PROTO_E_FIELD);
    c.total = 5120;
    c.len = PROTO_CHUNK_MAX + 1;
    CHECK_EQ(proto_chunk_encode(&c, buf, sizeof(buf), &n), PROTO_E_FIELD);
    struct proto_chunk err = {.req_id = 4, .status = PROTO_CHUNK_UNKNOWN};
    CHECK_EQ(proto_chunk_encode(&err, buf, sizeof(buf), &n), PROTO_OK);
    CHECK_EQ(proto_chunk_decode(buf, n, &c2), PROTO_OK);
    CHECK(c2.status == PROTO_CHUNK_UNKNOWN && c2.len == 0);
    err.data = data;
    err.len = 1; /* bytes with an error */
    CHECK_EQ(proto_chunk_encode(&err, buf, sizeof(buf), &n), PROTO_E_FIELD);
}

int main(void)
{
    test_utf8();
    test_status();
    test_logs();
    test_small();
    test_ota();
    return keel_test_done("test_proto");
}
