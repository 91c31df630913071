/*
 * unit_tls_limits: the record layer's per-key limits (RFC 8446 5.5), the
 * duplicate-extension rule (4.2) in every message with extensions, and
 * the ticket store's offer-once rule (C.4).
 *
 * The limits are tested over a loopback of two contexts: the recorded
 * handshake (tests/bench/tls/fixture.h) connects `c`; `p`, a copy of it
 * with the two directions swapped, plays the server's record layer, so
 * whatever c seals p must open (and the other way round). The sequence
 * numbers are moved next to the limit directly (the test hook), on both
 * sides alike, for each suite (AES-128-GCM by re-keying both sides from
 * the same traffic secrets).
 */
#define _GNU_SOURCE
#include <string.h>

#include "keel_test.h"
#include "replay.h"
#include "tls_priv.h"

static tls_client_t c, p, c2;

/* Moves everything `from` has queued into `to`, record by record. */
static int pipe_out(tls_client_t *from, tls_client_t *to)
{
    size_t len, room;
    const uint8_t *src = tls_client_sendbuf(from, &len);
    int rc = 0;
    uint8_t tmp[TLS_OUT_SIZE];
    memcpy(tmp, src, len);
    tls_client_sent(from, len);
    for (size_t off = 0; off < len && rc == 0;) {
        uint8_t *dst = tls_client_recvbuf(to, &room);
        if (room == 0)
            return -999;
        if (room > len - off)
            room = len - off;
        memcpy(dst, tmp + off, room);
        off += room;
        rc = tls_client_received(to, room, 5);
    }
    return rc;
}

static int read_str(tls_client_t *t, char *buf, size_t cap)
{
    int n = tls_client_read(t, buf, cap - 1);
    buf[n > 0 ? n : 0] = 0;
    return n;
}

/* c connected through the recording, p its mirror, both under suite. */
static void connect_pair(const tls_client_config_t *cfg, uint16_t suite)
{
    uint8_t first;
    size_t sent;
    CHECK_EQ(replay_full(&c, cfg, FIXTURE_SERVER, sizeof(FIXTURE_SERVER), &first, &sent), 0);
    CHECK_EQ(tls_client_state(&c), TLS_ST_CONNECTED);
    size_t len;
    char rest[64];
    tls_client_sendbuf(&c, &len);
    tls_client_sent(&c, len);
    while (tls_client_read(&c, rest, sizeof(rest)) > 0)
        ;
    if (suite != c.suite) {
        c.suite = suite;
        uint8_t w[32], r[32];
        memcpy(w, c.wr.secret, 32), memcpy(r, c.rd.secret, 32);
        tls_dir_set(&c.wr, suite, w);
        tls_dir_set(&c.rd, suite, r);
    }
    p = c;
    p.rd = c.wr;
    p.wr = c.rd;
}

static void test_write_limit(const tls_client_config_t *cfg, uint16_t suite)
{
    uint64_t limit = tls_key_limit(suite);
    char buf[64];
    size_t len;
    CHECK(limit == (suite == TLS_SUITE_AES_128_GCM_SHA256 ? 23726566u : UINT64_MAX));
    connect_pair(cfg, suite);
    /* One record before the margin: plain data, no KeyUpdate. */
    c.wr.seq = p.rd.seq = limit - TLS_KU_MARGIN - 1;
    CHECK_EQ(tls_client_write(&c, "one", 3), 3);
    tls_client_sendbuf(&c, &len);
    CHECK_EQ(len, 5 + 3 + 1 + 16);
    CHECK_EQ(pipe_out(&c, &p), 0);
    CHECK_EQ(read_str(&p, buf, sizeof(buf)), 3);
    CHECK_STR(buf, "one");
    /* p's read key reached the margin with that record, so p asked for an
     * update (the read-side rule, tested below); dropped here. */
    tls_client_sendbuf(&p, &len);
    CHECK_EQ(len, 5 + 5 + 1 + 16);
    tls_client_sent(&p, len);
    /* At the margin: a KeyUpdate (update_not_requested: the read key is
     * young) goes out first, the data under the new key; p reads both. */
    uint8_t old_key[32];
    memcpy(old_key, c.wr.key, 32);
    CHECK_EQ(tls_client_write(&c, "two", 3), 3);
    CHECK_EQ(c.wr.seq, 1);
    CHECK(memcmp(old_key, c.wr.key, 32) != 0);
    tls_client_sendbuf(&c, &len);
    CHECK_EQ(len, (5 + 5 + 1 + 16) + (5 + 3 + 1 + 16));
    CHECK_EQ(pipe_out(&c, &p), 0);
    CHECK_EQ(read_str(&p, buf, sizeof(buf)), 3);
    CHECK_STR(buf, "two");
    CHECK_EQ(p.rd.seq, 1);
    CHECK_EQ(p.olen, 0); /* not requested: p owes no answer */
    /* At the limit itself, with no KeyUpdate possible: nothing is sealed
     * (the next nonce would repeat or exceed the key's budget). */
    c.wr.seq = limit;
    CHECK_EQ(tls_client_write(&c, "three", 5), TLS_E_KEY_LIMIT);
    CHECK_EQ(tls_client_key_update(&c, false), TLS_E_STATE);
    tls_client_sendbuf(&c, &len);
    CHECK_EQ(len, 0);
    CHECK_EQ(c.wr.seq, limit);
    CHECK_EQ(tls_client_state(&c), TLS_ST_CONNECTED); /* not sticky */
    CHECK_STR(tls_error_name(TLS_E_KEY_LIMIT), "key_limit");
    /* Inside the margin with the output full: wait (0), never seal. */
    connect_pair(cfg, suite);
    c.wr.seq = p.rd.seq = limit - 2;
    static uint8_t big[TLS_MAX_FRAG];
    c.olen = TLS_OUT_SIZE - 20; /* as if unsent data filled the queue */
    c.osent = 0;
    CHECK_EQ(tls_client_write(&c, big, sizeof(big)), 0);
    CHECK_EQ(c.wr.seq, limit - 2);
    c.olen = c.osent = 0;
    CHECK_EQ(tls_client_write(&c, "four", 4), 4);
    CHECK_EQ(c.wr.seq, 1);
    CHECK_EQ(pipe_out(&c, &p), 0);
    CHECK_EQ(read_str(&p, buf, sizeof(buf)), 4);
    CHECK_STR(buf, "four");
}

static void test_read_limit(const tls_client_config_t *cfg, uint16_t suite)
{
    uint64_t limit = tls_key_limit(suite);
    char buf[64];
    connect_pair(cfg, suite);
    /* The peer's key reaches the margin: c asks it to update (a KeyUpdate
     * with update_requested), p answers, and c reads under the new key. */
    p.wr.seq = c.rd.seq = limit - TLS_KU_MARGIN - 1;
    CHECK_EQ(tls_client_write(&p, "hi", 2), 2);
    CHECK_EQ(pipe_out(&p, &c), 0);
    CHECK_EQ(read_str(&c, buf, sizeof(buf)), 2);
    CHECK_STR(buf, "hi");
    CHECK_EQ(c.wr.seq, 0); /* c's own KeyUpdate went out: a new key */
    CHECK_EQ(pipe_out(&c, &p), 0);
    CHECK_EQ(p.wr.seq, 0); /* p answered and took its next key */
    CHECK_EQ(pipe_out(&p, &c), 0);
    CHECK_EQ(c.rd.seq, 0);
    CHECK_EQ(tls_client_write(&p, "after", 5), 5);
    CHECK_EQ(pipe_out(&p, &c), 0);
    CHECK_EQ(read_str(&c, buf, sizeof(buf)), 5);
    CHECK_STR(buf, "after");
    /* A peer that keeps its key past the limit: refused before the record
     * is opened, with an alert, sticky. */
    connect_pair(cfg, suite);
    p.wr.seq = limit - TLS_KU_MARGIN - 2;
    c.rd.seq = limit;
    CHECK_EQ(tls_client_write(&p, "late", 4), 4);
    CHECK_EQ(pipe_out(&p, &c), TLS_E_KEY_LIMIT);
    CHECK_EQ(tls_client_state(&c), TLS_ST_FAILED);
    size_t len;
    tls_client_sendbuf(&c, &len);
    CHECK_EQ(len, 5 + 2 + 1 + 16); /* the alert, under the old write key */
}

/* ---- duplicate extensions (RFC 8446 4.2) ---- */

static size_t msg(uint8_t *out, uint8_t type, const uint8_t *body, size_t n)
{
    out[0] = type, put24(out + 1, (uint32_t)n);
    memcpy(out + 4, body, n);
    return n + 4;
}

/* A ServerHello (or HRR with hrr set) with the given extensions, as one
 * plaintext record fed to a client just initialised. */
static int feed_sh(const tls_client_config_t *cfg, bool hrr, const uint8_t *ext, size_t n)
{
    static const uint8_t hrr_random[32] = {
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
        0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
    uint8_t body[256], m[300];
    size_t k = 0;
    body[k++] = 3, body[k++] = 3;
    if (hrr)
        memcpy(body + k, hrr_random, 32);
    else
        memset(body + k, 0x5a, 32);
    k += 32;
    body[k++] = 0, body[k++] = 0x13, body[k++] = 0x03, body[k++] = 0;
    put16(body + k, (uint32_t)n), k += 2;
    memcpy(body + k, ext, n), k += n;
    size_t len = msg(m, TLS_HS_SERVER_HELLO, body, k);
    tls_client_init(&c, cfg, FIXTURE_ENTROPY, 1);
    size_t out;
    tls_client_sendbuf(&c, &out);
    tls_client_sent(&c, out);
    return tls_on_server_hello(&c, m, len);
}

static void test_duplicates(const tls_client_config_t *cfg)
{
    static const uint8_t v13[] = {0, 43, 0, 2, 3, 4};
    uint8_t ks[6 + 4 + 36] = {0, 43, 0, 2, 3, 4, 0, 51, 0, 36, 0, 0x1d, 0, 32, 9};
    static const uint8_t unk[] = {0x7a, 0x7a, 0, 1, 0}; /* an unknown type, 0x7a7a */
    static const uint8_t cky[] = {0, 44, 0, 5, 0, 3, 'c', 'k', 'y'};
    uint8_t e[128], m[256];
    size_t n;

    /* ServerHello: a known type twice, an unknown type twice. */
    memcpy(e, ks, sizeof(ks)), memcpy(e + sizeof(ks), v13, 6);
    CHECK_EQ(feed_sh(cfg, false, e, sizeof(ks) + 6), TLS_E_DUPLICATE_EXT);
    CHECK_STR(tls_error_name(tls_client_error(&c)), "duplicate_extension");
    memcpy(e, ks, sizeof(ks)), memcpy(e + sizeof(ks), unk, 5), memcpy(e + sizeof(ks) + 5, unk, 5);
    CHECK_EQ(feed_sh(cfg, false, e, sizeof(ks) + 10), TLS_E_DUPLICATE_EXT);
    /* The alert is illegal_parameter (plaintext, before the keys). */
    size_t len;
    const uint8_t *a = tls_client_sendbuf(&c, &len);
    CHECK(len == 7 && a[0] == TLS_CT_ALERT && a[6] == TLS_AL_ILLEGAL_PARAMETER);
    /* HelloRetryRequest: the cookie twice; an unknown type twice. */
    memcpy(e, v13, 6), memcpy(e + 6, cky, 9), memcpy(e + 15, cky, 9);
    CHECK_EQ(feed_sh(cfg, true, e, 24), TLS_E_DUPLICATE_EXT);
    memcpy(e, v13, 6), memcpy(e + 6, cky, 9), memcpy(e + 15, unk, 5), memcpy(e + 20, unk, 5);
    CHECK_EQ(feed_sh(cfg, true, e, 25), TLS_E_DUPLICATE_EXT);
    /* The same block with one of each is fine (an HRR with a cookie). */
    memcpy(e, v13, 6), memcpy(e + 6, cky, 9);
    CHECK_EQ(feed_sh(cfg, true, e, 15), 0);

    /* EncryptedExtensions: server_name twice; an unknown type twice. */
    static const uint8_t ee_sni2[] = {0, 8, 0, 0, 0, 0, 0, 0, 0, 0};
    tls_client_init(&c, cfg, FIXTURE_ENTROPY, 1);
    n = msg(m, TLS_HS_ENCRYPTED_EXTENSIONS, ee_sni2, sizeof(ee_sni2));
    CHECK_EQ(tls_on_encrypted_extensions(&c, m, n), TLS_E_DUPLICATE_EXT);
    uint8_t ee[2 + 10] = {0, 10};
    memcpy(ee + 2, unk, 5), memcpy(ee + 7, unk, 5);
    tls_client_init(&c, cfg, FIXTURE_ENTROPY, 1);
    n = msg(m, TLS_HS_ENCRYPTED_EXTENSIONS, ee, sizeof(ee));
    CHECK_EQ(tls_on_encrypted_extensions(&c, m, n), TLS_E_DUPLICATE_EXT);

    /* CertificateRequest: signature_algorithms twice; an unknown type
     * twice (unknown ones are otherwise ignored there, 4.3.2). */
    static const uint8_t cr_sig2[] = {0, 0, 16, 0, 13, 0, 4, 0, 2, 8, 7, 0, 13, 0, 4, 0, 2, 8, 7};
    tls_client_init(&c, cfg, FIXTURE_ENTROPY, 1);
    n = msg(m, TLS_HS_CERTIFICATE_REQUEST, cr_sig2, sizeof(cr_sig2));
    CHECK_EQ(tls_on_certificate_request(&c, m, n), TLS_E_DUPLICATE_EXT);
    uint8_t cr[3 + 8 + 10] = {0, 0, 18, 0, 13, 0, 4, 0, 2, 8, 7};
    memcpy(cr + 11, unk, 5), memcpy(cr + 16, unk, 5);
    tls_client_init(&c, cfg, FIXTURE_ENTROPY, 1);
    n = msg(m, TLS_HS_CERTIFICATE_REQUEST, cr, sizeof(cr));
    CHECK_EQ(tls_on_certificate_request(&c, m, n), TLS_E_DUPLICATE_EXT);
    cr[2] = 13; /* one unknown: ignored, accepted */
    tls_client_init(&c, cfg, FIXTURE_ENTROPY, 1);
    n = msg(m, TLS_HS_CERTIFICATE_REQUEST, cr, sizeof(cr) - 5);
    CHECK_EQ(tls_on_certificate_request(&c, m, n), 0);

    /* Certificate: an entry whose extensions repeat a type (status_request,
     * then an unknown type) is refused as such, before its DER is read. */
    for (int k = 0; k < 2; k++) {
        uint8_t ce[1 + 3 + 3 + 2 + 2 + 10] = {0, 0, 0, 17, 0, 0, 2, 0x30, 0, 0, 10};
        static const uint8_t sr[] = {0, 5, 0, 1, 0};
        memcpy(ce + 11, k ? unk : sr, 5), memcpy(ce + 16, k ? unk : sr, 5);
        tls_client_init(&c, cfg, FIXTURE_ENTROPY, 1);
        n = msg(m, TLS_HS_CERTIFICATE, ce, sizeof(ce));
        CHECK_EQ(tls_on_certificate(&c, m, n), TLS_E_DUPLICATE_EXT);
    }

    /* NewSessionTicket: early_data twice; an unknown type twice (unknown
     * ones are otherwise ignored). */
    for (int k = 0; k < 3; k++) {
        uint8_t t[4 + 4 + 1 + 2 + 1 + 2 + 16] = {0, 0, 0, 60, 1, 2, 3, 4, 0, 0, 1, 'T'};
        static const uint8_t ed[] = {0, 42, 0, 4, 0, 0, 4, 0};
        size_t bl = k == 0 ? 16 : k == 1 ? 10 : 5;
        put16(t + 12, (uint32_t)bl);
        if (k == 0)
            memcpy(t + 14, ed, 8), memcpy(t + 22, ed, 8);
        else
            memcpy(t + 14, unk, 5), memcpy(t + 19, unk, 5);
        tls_client_init(&c, cfg, FIXTURE_ENTROPY, 1);
        n = msg(m, TLS_HS_NEW_SESSION_TICKET, t, 14 + bl);
        CHECK_EQ(tls_on_new_session_ticket(&c, m, n), k < 2 ? TLS_E_DUPLICATE_EXT : 0);
    }
}

/* ---- the ticket store: a ticket is offered on one connection only ---- */

static bool offers(const tls_client_t *t, const tls_ticket_t *tk)
{
    size_t len;
    const uint8_t *out = tls_client_sendbuf(t, &len);
    return tk->len && memmem(out, len, tk->ticket, tk->len) != NULL;
}

static void test_ticket_once(void)
{
    tls_client_config_t cfg = replay_config(&replay_store);
    tls_ticket_t saved[TLS_TICKETS_N];
    memcpy(saved, replay_store.t, sizeof(saved));
    CHECK(saved[0].len && saved[1].len);
    /* Two connections started one after the other on the same store
     * (the first still waiting for its ServerHello): never one ticket
     * twice. */
    CHECK_EQ(tls_client_init(&c, &cfg, FIXTURE_RESUME_ENTROPY, FIXTURE_RESUME_MS), 0);
    CHECK_EQ(tls_client_init(&c2, &cfg, FIXTURE_RESUME_ENTROPY, FIXTURE_RESUME_MS), 0);
    for (unsigned i = 0; i < TLS_TICKETS_N; i++)
        CHECK(!(offers(&c, &saved[i]) && offers(&c2, &saved[i])));
    CHECK(offers(&c, &saved[0]) || offers(&c, &saved[1]));
    CHECK(offers(&c2, &saved[0]) || offers(&c2, &saved[1]));
    /* A third finds the store empty: a full handshake, no PSK. */
    CHECK_EQ(tls_client_init(&p, &cfg, FIXTURE_RESUME_ENTROPY, FIXTURE_RESUME_MS), 0);
    CHECK(!offers(&p, &saved[0]) && !offers(&p, &saved[1]) && p.psk_slot == 0xff);
    /* A connection abandoned before its ServerHello (wiped, not failed)
     * does not give its ticket back either. */
    tls_client_wipe(&c);
    CHECK_EQ(tls_client_init(&c, &cfg, FIXTURE_RESUME_ENTROPY, FIXTURE_RESUME_MS), 0);
    CHECK(!offers(&c, &saved[0]) && !offers(&c, &saved[1]));
    for (unsigned i = 0; i < TLS_TICKETS_N; i++)
        CHECK_EQ(replay_store.t[i].len, 0);
    /* The recorded resumption still completes from a reloaded store. */
    uint8_t first;
    size_t sent;
    cfg = replay_config(&replay_store);
    CHECK_EQ(replay_resumed(&c, &cfg, FIXTURE_RESUME_SERVER, sizeof(FIXTURE_RESUME_SERVER),
                            &first, &sent), 0);
    CHECK(tls_client_resumed(&c));
    tls_client_wipe(&c);
    tls_client_wipe(&c2);
    tls_client_wipe(&p);
}

int main(void)
{
    tls_client_config_t cfg = replay_config(NULL);
    static const uint16_t suites[2] = {TLS_SUITE_CHACHA20_POLY1305_SHA256,
                                       TLS_SUITE_AES_128_GCM_SHA256};
    for (int i = 0; i < 2; i++) {
        test_write_limit(&cfg, suites[i]);
        test_read_limit(&cfg, suites[i]);
    }
    test_duplicates(&cfg);
    test_ticket_once();
    return keel_test_done("unit_tls_limits");
}
