/*
 * The M33 bench's recorded handshake (tests/bench/tls/fixture.h, made
 * against openssl s_server) replayed on the host: it must reach
 * CONNECTED with the server's first byte, 'x', and send our Certificate,
 * CertificateVerify and Finished; the resumed connection recorded after
 * it must complete from the recorded ticket store. A change to the engine that breaks the
 * transcript, the key schedule or the client flight fails here at once.
 */
#include "keel_test.h"
#include "replay.h"
#include "tls_priv.h" /* tls_wall_time, c.window */

static tls_client_t c;

int main(void)
{
    uint8_t first = 0;
    size_t sent;
    tls_client_config_t full = replay_config(NULL);
    int rc = replay_full(&c, &full, FIXTURE_SERVER, sizeof(FIXTURE_SERVER), &first, &sent);
    CHECK_EQ(rc, 0);
    CHECK_EQ(first, 'x');
    CHECK_EQ(tls_client_state(&c), TLS_ST_CONNECTED);
    CHECK_EQ(tls_client_suite(&c), TLS_SUITE_CHACHA20_POLY1305_SHA256);
    CHECK(sent > sizeof(FIXTURE_CERT) + 100);
    /* Wall time learned after the handshake: the chain (valid 2020-2099)
     * is checked again. Now: still fine; in 2100: expired; in 2019: not
     * yet valid; each failure sticky, with a certificate_expired alert. */
    CHECK_EQ(tls_client_set_time(&c, 1764633600, 2), 0);
    CHECK_EQ(tls_client_state(&c), TLS_ST_CONNECTED);
    CHECK_EQ(tls_client_set_time(&c, 4102444800 + 86400, 3), TLS_E_X509 + X509_E_EXPIRED);
    CHECK_EQ(tls_client_state(&c), TLS_ST_FAILED);
    size_t alen;
    tls_client_sendbuf(&c, &alen);
    CHECK_EQ(alen, 5 + 2 + 1 + 16); /* one encrypted alert */
    CHECK_EQ(tls_client_write(&c, "x", 1), TLS_E_X509 + X509_E_EXPIRED);
    rc = replay_full(&c, &full, FIXTURE_SERVER, sizeof(FIXTURE_SERVER), &first, &sent);
    CHECK_EQ(rc, 0);
    CHECK_EQ(tls_client_set_time(&c, 1546300800, 2), TLS_E_X509 + X509_E_NOT_YET_VALID);
    /* Time known before the handshake: the same verdicts at once. */
    tls_client_init(&c, &full, FIXTURE_ENTROPY, 1);
    CHECK_EQ(tls_client_set_time(&c, 4102444800 + 86400, 1), 0);
    rc = 0;
    {
        size_t off = 0, len, room;
        while (rc == 0 && off < sizeof(FIXTURE_SERVER)) {
            tls_client_sendbuf(&c, &len);
            tls_client_sent(&c, len);
            uint8_t *p = tls_client_recvbuf(&c, &room);
            if (room == 0)
                break;
            memcpy(p, FIXTURE_SERVER + off, room);
            off += room;
            rc = tls_client_received(&c, room, 1);
        }
    }
    CHECK_EQ(rc, TLS_E_X509 + X509_E_EXPIRED);

    /* A flipped byte anywhere in the server's flight fails the handshake. */
    /* (Except legacy_record_version, which RFC 8446 5.1 says to ignore.) */
    static uint8_t copy[sizeof(FIXTURE_SERVER)], ignored[sizeof(FIXTURE_SERVER)];
    for (size_t r = 0; r + 5 <= sizeof(copy);
         r += 5 + ((size_t)FIXTURE_SERVER[r + 3] << 8 | FIXTURE_SERVER[r + 4]))
        ignored[r + 1] = ignored[r + 2] = 1;
    for (size_t at = 0; at < sizeof(copy); at += 97) {
        if (ignored[at])
            continue;
        memcpy(copy, FIXTURE_SERVER, sizeof(copy));
        copy[at] ^= 0x01;
        rc = replay_full(&c, &full, copy, sizeof(copy), &first, &sent);
        CHECK(rc != 0 || first != 'x');
        if (rc == 0)
            fprintf(stderr, "flip at %zu accepted\n", at);
    }
    /* Cut short anywhere: never connected. */
    for (size_t n = 0; n < sizeof(FIXTURE_SERVER) - 64; n += 131) {
        rc = replay_full(&c, &full, FIXTURE_SERVER, n, &first, &sent);
        CHECK(rc != 0);
    }
    /* The resumed connection: PSK accepted, no certificate, and the
     * ticket gone from the store (single use). */
    tls_client_config_t resumed = replay_config(&replay_store);
    rc = replay_resumed(&c, &resumed, FIXTURE_RESUME_SERVER, sizeof(FIXTURE_RESUME_SERVER), &first, &sent);
    CHECK_EQ(rc, 0);
    CHECK_EQ(first, 'x');
    CHECK(tls_client_resumed(&c));
    int left = 0;
    for (unsigned i = 0; i < TLS_TICKETS_N; i++)
        left += replay_store.t[i].len != 0;
    CHECK(left >= 1); /* one used, the other kept, new ones added */
    CHECK(sent > 576 && sent < 1000); /* a ClientHello with the ticket, then Finished */
    /* The same ticket store started a day later: the ticket expired, is
     * not offered, so the recorded server flight no longer matches. */
    tls_client_config_t cfg = replay_config(&replay_store);
    rc = replay_run(&c, &cfg, FIXTURE_RESUME_ENTROPY, FIXTURE_RESUME_MS + 86400000ull,
                    FIXTURE_RESUME_SERVER, sizeof(FIXTURE_RESUME_SERVER), &first, &sent);
    CHECK(rc != 0);
    for (unsigned i = 0; i < TLS_TICKETS_N; i++)
        CHECK_EQ(replay_store.t[i].len, 0); /* expired ones are wiped */

    /* KEEL-SA-2026-07: tickets from a chain refused once wall time is
     * learned must not resume. Full handshake, time unknown, tickets kept;
     * then 2019 (before notBefore): refused, and the store wiped. */
    static tls_ticket_store_t st;
    tls_client_config_t kept = replay_config(NULL);
    kept.tickets = &st;
    CHECK_EQ(replay_full(&c, &kept, FIXTURE_SERVER, sizeof(FIXTURE_SERVER), &first, &sent), 0);
    CHECK_EQ(c.window.not_before, REPLAY_NOT_BEFORE); /* the window replay.h assumes */
    CHECK_EQ(c.window.not_after, REPLAY_NOT_AFTER);
    left = 0;
    for (unsigned i = 0; i < TLS_TICKETS_N; i++) {
        left += st.t[i].len != 0;
        if (st.t[i].len)
            CHECK_EQ(st.t[i].window.not_after, REPLAY_NOT_AFTER); /* window kept */
    }
    CHECK(left >= 1);
    CHECK_EQ(tls_client_set_time(&c, 1559347200, 2), TLS_E_X509 + X509_E_NOT_YET_VALID);
    for (unsigned i = 0; i < TLS_TICKETS_N; i++)
        CHECK_EQ(st.t[i].len, 0);
    /* A resumption with time known outside the ticket's window: refused
     * at the ServerHello, the store wiped. */
    cfg = replay_config(&replay_store);
    replay_wall_s = 1559347200; /* 2019-06-01 */
    rc = replay_resumed(&c, &cfg, FIXTURE_RESUME_SERVER, sizeof(FIXTURE_RESUME_SERVER), &first, &sent);
    CHECK_EQ(rc, TLS_E_X509 + X509_E_NOT_YET_VALID);
    CHECK(!tls_client_resumed(&c));
    for (unsigned i = 0; i < TLS_TICKETS_N; i++)
        CHECK_EQ(replay_store.t[i].len, 0);
    /* Inside the window: resumed as before. */
    cfg = replay_config(&replay_store);
    replay_wall_s = 1764633600; /* 2025-12-02 */
    rc = replay_resumed(&c, &cfg, FIXTURE_RESUME_SERVER, sizeof(FIXTURE_RESUME_SERVER), &first, &sent);
    CHECK_EQ(rc, 0);
    CHECK(tls_client_resumed(&c));
    /* A resumed session re-checks the inherited window when time is
     * learned after it: 2100 is past notAfter. */
    cfg = replay_config(&replay_store);
    replay_wall_s = 0;
    rc = replay_resumed(&c, &cfg, FIXTURE_RESUME_SERVER, sizeof(FIXTURE_RESUME_SERVER), &first, &sent);
    CHECK_EQ(rc, 0);
    CHECK(tls_client_resumed(&c));
    CHECK_EQ(tls_client_set_time(&c, 4102444800 + 86400, FIXTURE_RESUME_MS),
             TLS_E_X509 + X509_E_EXPIRED);
    CHECK_EQ(tls_client_state(&c), TLS_ST_FAILED);
    for (unsigned i = 0; i < TLS_TICKETS_N; i++)
        CHECK_EQ(replay_store.t[i].len, 0);
    /* A clock going backwards (now_ms before set_time's) is no time
     * passed, never a wrapped offset into the far future. */
    CHECK_EQ(replay_full(&c, &full, FIXTURE_SERVER, sizeof(FIXTURE_SERVER), &first, &sent), 0);
    CHECK_EQ(tls_client_set_time(&c, 1764633600, 5000), 0);
    CHECK_EQ(tls_client_tick(&c, 1000), 0);
    CHECK_EQ(tls_wall_time(&c), 1764633600);
    /* close_notify with a full output queue: not reported sent; sent once
     * the transport has taken the bytes, and no KeyUpdate after it. */
    CHECK_EQ(replay_full(&c, &full, FIXTURE_SERVER, sizeof(FIXTURE_SERVER), &first, &sent), 0);
    static uint8_t big[4096];
    while (tls_client_write(&c, big, sizeof(big)) > 0) {
    }
    while (tls_client_key_update(&c, false) == 0) {
    }
    c.ku_pending = 1; /* as if the peer's KeyUpdate(update_requested) found no room */
    CHECK_EQ(tls_client_close(&c), TLS_E_STATE);
    CHECK_EQ(tls_client_state(&c), TLS_ST_CONNECTED);
    CHECK(!c.sent_close);
    size_t qlen;
    tls_client_sendbuf(&c, &qlen);
    tls_client_sent(&c, qlen); /* room again: the owed KeyUpdate goes out */
    tls_client_sendbuf(&c, &qlen);
    CHECK_EQ(qlen, 5 + 5 + 1 + 16);
    tls_client_sent(&c, qlen);
    c.ku_pending = 1; /* owed again, now answered by our close */
    CHECK_EQ(tls_client_close(&c), 0);
    CHECK(c.sent_close);
    tls_client_sendbuf(&c, &qlen);
    CHECK_EQ(qlen, 5 + 2 + 1 + 16); /* the close_notify alone */
    tls_client_sent(&c, qlen);
    tls_client_sendbuf(&c, &qlen);
    CHECK_EQ(qlen, 0); /* no KeyUpdate queued after it */
    tls_client_wipe(&c);
    return keel_test_done("unit_tls_replay");
}
