/*
 * Unit tests of microvisor/tls that need no server: configuration checks,
 * the ClientHello's shape, the record layer's bounds, middlebox CCS, the
 * sticky error with its alert and wiping, ServerHello and HelloRetryRequest
 * refusals, the error names, and the
 * key schedule's HKDF-Expand-Label against RFC 8448's trace.
 * The handshakes themselves are tested against real servers in
 * tests/interop/tls.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "keel_test.h"
#include "test_anchor.h"
#include "tls_priv.h"

static tls_client_t c;
static const uint8_t ENTROPY[64] = {1, 2, 3, 4};

static tls_client_config_t config(void)
{
    tls_client_config_t cfg = {.host = "cloud.keel.test",
                               .anchor_der = test_anchor,
                               .anchor_len = sizeof(test_anchor)};
    return cfg;
}

/* Feeds bytes the way a transport would, record by record. */
static int feed(const uint8_t *p, size_t n)
{
    int rc = 0;
    while (n > 0 && rc == 0) {
        size_t room;
        uint8_t *dst = tls_client_recvbuf(&c, &room);
        if (room == 0)
            return tls_client_error(&c) ? tls_client_error(&c) : -999;
        size_t k = n < room ? n : room;
        memcpy(dst, p, k);
        rc = tls_client_received(&c, k, 0);
        p += k, n -= k;
    }
    return rc;
}

static void drain(void)
{
    size_t len;
    tls_client_sendbuf(&c, &len);
    tls_client_sent(&c, len);
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static void test_config(void)
{
    tls_client_config_t cfg = config();
    cfg.host = "";
    CHECK_EQ(tls_client_init(&c, &cfg, ENTROPY, 0), TLS_E_CONFIG);
    cfg = config();
    cfg.suites[0] = 0x1302; /* AES-256-GCM: not offered */
    CHECK_EQ(tls_client_init(&c, &cfg, ENTROPY, 0), TLS_E_CONFIG);
    cfg = config();
    cfg.anchor_len = 100; /* truncated anchor */
    CHECK_EQ(tls_client_init(&c, &cfg, ENTROPY, 0), TLS_E_X509 + X509_E_DECODE);
    static uint8_t big[TLS_MAX_FRAG];
    cfg = config();
    cfg.cert_der = big, cfg.cert_len = sizeof(big), cfg.key = ENTROPY;
    CHECK_EQ(tls_client_init(&c, &cfg, ENTROPY, 0), TLS_E_CONFIG);
}

static void test_client_hello(void)
{
    tls_client_config_t cfg = config();
    size_t len;
    CHECK_EQ(tls_client_init(&c, &cfg, ENTROPY, 0), 0);
    const uint8_t *p = tls_client_sendbuf(&c, &len);
    CHECK(len > 100 && len < 300);
    CHECK_EQ(p[0], TLS_CT_HANDSHAKE);
    CHECK_EQ((size_t)(p[3] << 8 | p[4]) + 5, len);
    CHECK_EQ(p[5], TLS_HS_CLIENT_HELLO);
    CHECK(memcmp(p + 11, ENTROPY, 32) == 0);  /* random */
    CHECK_EQ(p[43], 0);                       /* empty legacy_session_id */
    CHECK(p[44] == 0 && p[45] == 4 && p[46] == 0x13 && p[47] == 0x03 && p[49] == 0x01);
    CHECK(memmem(p, len, "cloud.keel.test", 15) != NULL); /* SNI */
    /* max_fragment_length: 1..4 for 2^9..2^12 (RFC 6066 section 4) */
    static const uint8_t mfl[] = {0, 1, 0, 1, TLS_MAX_FRAG == 4096u ? 4 : TLS_MAX_FRAG == 2048u ? 3
                                              : TLS_MAX_FRAG == 1024u ? 2 : 1};
    CHECK(memmem(p, len, mfl, sizeof(mfl)) != NULL);
    static const uint8_t sig[] = {0, 13, 0, 4, 0, 2, 8, 7};
    CHECK(memmem(p, len, sig, sizeof(sig)) != NULL);
    /* No input is taken until the ClientHello has been sent. */
    size_t room;
    tls_client_recvbuf(&c, &room);
    CHECK_EQ(room, 0);
    drain();
    tls_client_recvbuf(&c, &room);
    CHECK_EQ(room, 5);
}

static void test_record_bounds(void)
{
    tls_client_config_t cfg = config();
    size_t len;
    /* A plaintext record over TLS_MAX_FRAG: record_overflow before its
     * body is read, an alert queued, secrets wiped. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    uint8_t hdr[5] = {TLS_CT_HANDSHAKE, 3, 3, (TLS_MAX_FRAG + 1) >> 8, (TLS_MAX_FRAG + 1) & 0xff};
    CHECK_EQ(feed(hdr, 5), TLS_E_RECORD_OVERFLOW);
    CHECK_EQ(tls_client_state(&c), TLS_ST_FAILED);
    const uint8_t *p = tls_client_sendbuf(&c, &len);
    CHECK(len == 7 && p[0] == TLS_CT_ALERT && p[5] == 2 && p[6] == TLS_AL_RECORD_OVERFLOW);
    CHECK(all_zero(c.x25519_sk, sizeof(c.x25519_sk)));
    CHECK(all_zero(&c.transcript, sizeof(c.transcript)));
    /* Sticky: every later call returns the same error. */
    CHECK_EQ(tls_client_received(&c, 0, 0), TLS_E_RECORD_OVERFLOW);
    CHECK_EQ(tls_client_write(&c, "x", 1), TLS_E_RECORD_OVERFLOW);
    CHECK_EQ(tls_client_read(&c, hdr, 1), TLS_E_RECORD_OVERFLOW);

    /* Unknown record type. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    uint8_t bad[5] = {24, 3, 3, 0, 1};
    CHECK_EQ(feed(bad, 5), TLS_E_RECORD);
    /* Application data before the handshake. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    uint8_t app[6] = {TLS_CT_APPDATA, 3, 3, 0, 1, 'x'};
    CHECK_EQ(feed(app, 6), TLS_E_UNEXPECTED);
    /* A middlebox CCS is dropped; one with another byte is not. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    uint8_t ccs[6] = {TLS_CT_CCS, 3, 3, 0, 1, 1};
    CHECK_EQ(feed(ccs, 6), 0);
    CHECK_EQ(tls_client_state(&c), TLS_ST_WAIT_SH);
    ccs[5] = 2;
    CHECK_EQ(feed(ccs, 6), TLS_E_UNEXPECTED);
    /* A handshake message over TLS_HS_MAX. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    uint8_t hs[9] = {TLS_CT_HANDSHAKE, 3, 3, 0, 4, TLS_HS_SERVER_HELLO, 0, 0x40, 0};
    CHECK_EQ(feed(hs, 9), TLS_E_HS_TOO_BIG);
    /* A message in the wrong state: Finished first. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    uint8_t fin[9] = {TLS_CT_HANDSHAKE, 3, 3, 0, 4, TLS_HS_FINISHED, 0, 0, 0};
    CHECK_EQ(feed(fin, 9), TLS_E_UNEXPECTED);
    /* A received alert becomes its named error; none is sent back. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    uint8_t alert[7] = {TLS_CT_ALERT, 3, 3, 0, 2, 2, TLS_AL_HANDSHAKE_FAILURE};
    CHECK_EQ(feed(alert, 7), TLS_E_ALERT - TLS_AL_HANDSHAKE_FAILURE);
    tls_client_sendbuf(&c, &len);
    CHECK_EQ(len, 0);
    CHECK_STR(tls_error_name(tls_client_error(&c)), "handshake_failure");
    CHECK_STR(tls_error_class(tls_client_error(&c)), "alert");
    /* EOF mid-handshake. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    CHECK_EQ(tls_client_eof(&c), TLS_E_EOF);
    /* The handshake deadline. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    CHECK_EQ(tls_client_tick(&c, TLS_HANDSHAKE_TIMEOUT_MS), 0);
    CHECK_EQ(tls_client_tick(&c, TLS_HANDSHAKE_TIMEOUT_MS + 1), TLS_E_TIMEOUT);
}

/* A ServerHello body with the given suite and extensions. */
static size_t server_hello(uint8_t *out, uint16_t suite, const uint8_t *ext, size_t ext_len)
{
    uint8_t *p = out + 5 + 4;
    *p++ = 3, *p++ = 3;
    memset(p, 0x5a, 32), p += 32;
    *p++ = 0;
    *p++ = (uint8_t)(suite >> 8), *p++ = (uint8_t)suite, *p++ = 0;
    *p++ = (uint8_t)(ext_len >> 8), *p++ = (uint8_t)ext_len;
    if (ext_len)
        memcpy(p, ext, ext_len);
    p += ext_len;
    size_t body = (size_t)(p - out) - 9;
    out[0] = TLS_CT_HANDSHAKE, out[1] = 3, out[2] = 3;
    out[3] = (uint8_t)((body + 4) >> 8), out[4] = (uint8_t)(body + 4);
    out[5] = TLS_HS_SERVER_HELLO, out[6] = 0, out[7] = (uint8_t)(body >> 8), out[8] = (uint8_t)body;
    return (size_t)(p - out);
}

static void test_server_hello(void)
{
    tls_client_config_t cfg = config();
    uint8_t rec[200];
    static const uint8_t v13[] = {0, 43, 0, 2, 3, 4};
    uint8_t ks[6 + 4 + 36] = {0, 43, 0, 2, 3, 4, 0, 51, 0, 36, 0, 0x1d, 0, 32, 9};
    /* No supported_versions: a TLS 1.2 server. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    CHECK_EQ(feed(rec, server_hello(rec, 0x1303, NULL, 0)), TLS_E_VERSION);
    /* A suite not offered. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    CHECK_EQ(feed(rec, server_hello(rec, 0x1302, ks, 46)), TLS_E_PARAMS);
    /* Missing key_share. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    CHECK_EQ(feed(rec, server_hello(rec, 0x1303, v13, sizeof(v13))), TLS_E_MISSING_EXT);
    /* An extension not offered. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    uint8_t alpn[sizeof(ks) + 4];
    memcpy(alpn, ks, sizeof(ks));
    memcpy(alpn + sizeof(ks), "\x00\x10\x00\x00", 4);
    CHECK_EQ(feed(rec, server_hello(rec, 0x1303, alpn, sizeof(alpn))), TLS_E_UNSUPPORTED_EXT);
    /* A duplicated extension. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    uint8_t dup[12];
    memcpy(dup, v13, 6), memcpy(dup + 6, v13, 6);
    CHECK_EQ(feed(rec, server_hello(rec, 0x1303, dup, 12)), TLS_E_DUPLICATE_EXT);
    /* A small-order share (u = 0): illegal_parameter, wiped. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    memset(ks + 14, 0, 32);
    CHECK_EQ(feed(rec, server_hello(rec, 0x1303, ks, 46)), TLS_E_KEY_SHARE);
    CHECK(all_zero(c.x25519_sk, 32));
    /* A valid share: keys installed, waiting for EncryptedExtensions;
     * more handshake data in the same record is a key-change violation. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    ks[14] = 9;
    size_t n = server_hello(rec, 0x1301, ks, 46);
    CHECK_EQ(feed(rec, n), 0);
    CHECK_EQ(tls_client_state(&c), TLS_ST_WAIT_EE);
    CHECK_EQ(tls_client_suite(&c), TLS_SUITE_AES_128_GCM_SHA256);
    CHECK(c.rd.on && c.wr.on);
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    rec[4] += 1;
    rec[n] = 0;
    CHECK_EQ(feed(rec, n + 1), TLS_E_UNEXPECTED);
}

/* HelloRetryRequest rules (RFC 8446 4.1.4; picotls's bug classes). */
static void test_hello_retry(void)
{
    tls_client_config_t cfg = config();
    static const uint8_t hrr_random[32] = {
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
        0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
    static const uint8_t cookie_ext[] = {0, 43, 0, 2, 3, 4, 0, 44, 0, 5, 0, 3, 'c', 'k', 'y'};
    static const uint8_t group_ext[] = {0, 43, 0, 2, 3, 4, 0, 51, 0, 2, 0, 0x1d};
    static const uint8_t v13[] = {0, 43, 0, 2, 3, 4};
    uint8_t rec[200];
    size_t len, n;
    const uint8_t *p;

    /* With a cookie: a second ClientHello echoing it, same key share. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    n = server_hello(rec, 0x1303, cookie_ext, sizeof(cookie_ext));
    memcpy(rec + 11, hrr_random, 32);
    CHECK_EQ(feed(rec, n), 0);
    CHECK_EQ(tls_client_state(&c), TLS_ST_WAIT_SH);
    p = tls_client_sendbuf(&c, &len);
    static const uint8_t echoed[] = {0, 44, 0, 5, 0, 3, 'c', 'k', 'y'};
    CHECK(len > 0 && p[5] == TLS_HS_CLIENT_HELLO && memmem(p, len, echoed, sizeof(echoed)));
    drain();
    /* A second HRR. */
    CHECK_EQ(feed(rec, n), TLS_E_HRR);

    /* A ServerHello whose suite differs from the HRR's. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    CHECK_EQ(feed(rec, n), 0);
    drain();
    uint8_t ks[6 + 4 + 36] = {0, 43, 0, 2, 3, 4, 0, 51, 0, 36, 0, 0x1d, 0, 32, 9};
    CHECK_EQ(feed(rec, server_hello(rec, 0x1301, ks, sizeof(ks))), TLS_E_PARAMS);

    /* An HRR that changes nothing, and one asking for the group we sent. */
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    n = server_hello(rec, 0x1303, v13, sizeof(v13));
    memcpy(rec + 11, hrr_random, 32);
    CHECK_EQ(feed(rec, n), TLS_E_HRR);
    tls_client_init(&c, &cfg, ENTROPY, 0);
    drain();
    n = server_hello(rec, 0x1303, group_ext, sizeof(group_ext));
    memcpy(rec + 11, hrr_random, 32);
    CHECK_EQ(feed(rec, n), TLS_E_PARAMS);
}

/* RFC 8448 section 3: the early secret of a handshake without PSK and its
 * "derived" secret. */
static void test_key_schedule(void)
{
    static const uint8_t early[32] = {
        0x33, 0xad, 0x0a, 0x1c, 0x60, 0x7e, 0xc0, 0x3b, 0x09, 0xe6, 0xcd, 0x98, 0x93, 0x68, 0x0c, 0xe2,
        0x10, 0xad, 0xf3, 0x00, 0xaa, 0x1f, 0x26, 0x60, 0xe1, 0xb2, 0x2e, 0x10, 0xf1, 0x70, 0xf9, 0x2a};
    static const uint8_t derived[32] = {
        0x6f, 0x26, 0x15, 0xa1, 0x08, 0xc7, 0x02, 0xc5, 0x67, 0x8f, 0x54, 0xfc, 0x9d, 0xba, 0xb6, 0x97,
        0x16, 0xc0, 0x76, 0x18, 0x9c, 0x48, 0x25, 0x0c, 0xeb, 0xea, 0xc3, 0x57, 0x6c, 0x36, 0x11, 0xba};
    static const uint8_t empty_hash[32] = {
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
        0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    uint8_t zeros[32] = {0}, e[32], d[32];
    crypto_hkdf_sha256_extract(e, NULL, 0, zeros, 32);
    CHECK(memcmp(e, early, 32) == 0);
    tls_expand_label(d, 32, e, "derived", empty_hash, 32);
    CHECK(memcmp(d, derived, 32) == 0);
}

static void test_names(void)
{
    CHECK_STR(tls_error_name(TLS_E_BAD_FINISHED), "bad_finished");
    CHECK_STR(tls_error_name(TLS_E_X509 + X509_E_EXPIRED), "expired");
    CHECK_STR(tls_error_class(TLS_E_X509 + X509_E_EXPIRED), "x509");
    CHECK_STR(tls_error_name(TLS_E_ALERT - 48), "unknown_ca");
    CHECK_STR(tls_error_name(TLS_E_INTERNAL), "internal");
    CHECK_STR(x509_error_name(X509_E_TOO_BIG), "too_big");
}

int main(void)
{
    test_config();
    test_client_hello();
    test_record_bounds();
    test_server_hello();
    test_hello_retry();
    test_key_schedule();
    test_names();
    tls_client_wipe(&c);
    CHECK(all_zero(&c, sizeof(c)));
    return keel_test_done("unit_tls");
}
