/*
 * Replays fixture.h into a TLS client: the same entropy (and, for the
 * resumed connection, the same ticket store and start time) makes the same
 * ClientHello the server answered, so the recorded server bytes complete
 * the handshake again. Used by the M33 bench (m33_tls_bench.c), on the
 * host by tests/unit/tls/test_replay.c and by the ctgrind test.
 */
#ifndef TLS_REPLAY_H
#define TLS_REPLAY_H

#include <string.h>

#include "fixture.h"
#include "tls.h"

/* fixture.h's ticket store is tls_peer's store file: the layout of
 * tls_ticket_store_t when it was recorded. */
_Static_assert(sizeof(FIXTURE_TICKETS) == sizeof(tls_ticket_store_t),
               "fixture.h's ticket store was made with another tls_ticket_store_t: "
               "run make_fixture.py again");
/* The recorded server chain's window (its notBefore, notAfter), which the
 * full handshake of the fixture computes (test_replay.c checks it). */
#define REPLAY_NOT_BEFORE 1577836800ll /* 2020-01-01 */
#define REPLAY_NOT_AFTER 4102358400ll /* 2099-12-31 */

static uint8_t replay_key[64];
static tls_ticket_store_t replay_store;

/* Loads fixture.h's recorded ticket store into *store. */
static void replay_load_tickets(tls_ticket_store_t *store)
{
    memcpy(store, FIXTURE_TICKETS, sizeof(*store));
}

/* The client configuration of the fixture; tickets NULL for the full
 * handshake, else the store the resumed one starts from (reloaded from
 * the fixture). Makes the device key pair: call it outside a measurement. */
static tls_client_config_t replay_config(tls_ticket_store_t *tickets)
{
    uint8_t pk[32];
    tls_client_config_t cfg = {.host = FIXTURE_HOST,
                               .anchor_der = FIXTURE_ANCHOR,
                               .anchor_len = sizeof(FIXTURE_ANCHOR),
                               .cert_der = FIXTURE_CERT,
                               .cert_len = sizeof(FIXTURE_CERT),
                               .key = replay_key,
                               .tickets = tickets};
    crypto_ed25519_keypair(pk, replay_key, FIXTURE_SEED);
    if (tickets)
        replay_load_tickets(tickets);
    return cfg;
}

/* ClientHello to the first application byte (*first), the server's bytes
 * taken from server[0..n), time standing still at now_ms. 0 or an error;
 * *sent counts the bytes the client produced. */
/* Wall time given right after init (0: the time stays unknown). */
static int64_t replay_wall_s;

static int replay_run(tls_client_t *c, const tls_client_config_t *cfg, const uint8_t entropy[64],
                      uint64_t now_ms, const uint8_t *server, size_t n, uint8_t *first,
                      size_t *sent)
{
    size_t off = 0, len, room;
    int rc = tls_client_init(c, cfg, entropy, now_ms);
    if (rc == 0 && replay_wall_s)
        rc = tls_client_set_time(c, replay_wall_s, now_ms);
    *sent = 0;
    while (rc == 0) {
        tls_client_sendbuf(c, &len);
        *sent += len;
        tls_client_sent(c, len);
        rc = tls_client_read(c, first, 1);
        if (rc == 1)
            return 0;
        if (rc < 0)
            return rc;
        uint8_t *p = tls_client_recvbuf(c, &room);
        if (room == 0 || off == n)
            return -1000;
        if (room > n - off)
            room = n - off;
        memcpy(p, server + off, room);
        off += room;
        rc = tls_client_received(c, room, now_ms);
    }
    return rc;
}

/* cfg from replay_config(NULL). */
static int replay_full(tls_client_t *c, const tls_client_config_t *cfg, const uint8_t *server,
                       size_t n, uint8_t *first, size_t *sent)
{
    return replay_run(c, cfg, FIXTURE_ENTROPY, 1, server, n, first, sent);
}

/* cfg from replay_config(&replay_store). */
static int replay_resumed(tls_client_t *c, const tls_client_config_t *cfg,
                          const uint8_t *server, size_t n, uint8_t *first, size_t *sent)
{
    return replay_run(c, cfg, FIXTURE_RESUME_ENTROPY, FIXTURE_RESUME_MS, server, n, first,
                      sent);
}

#endif
