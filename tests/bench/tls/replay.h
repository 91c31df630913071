/*
 * Replays fixture.h into a TLS client: the same entropy makes the same
 * ClientHello the server answered, so the recorded server bytes complete
 * a full mutual-auth handshake. Used by the M33 bench (m33_tls_bench.c)
 * and on the host by tests/unit/tls/test_replay.c.
 */
#ifndef TLS_REPLAY_H
#define TLS_REPLAY_H

#include <string.h>

#include "fixture.h"
#include "tls.h"

static uint8_t replay_key[64];
static tls_client_config_t replay_cfg;

static void replay_setup(void)
{
    uint8_t pk[32];
    crypto_ed25519_keypair(pk, replay_key, FIXTURE_SEED);
    replay_cfg.host = FIXTURE_HOST;
    replay_cfg.anchor_der = FIXTURE_ANCHOR;
    replay_cfg.anchor_len = sizeof(FIXTURE_ANCHOR);
    replay_cfg.cert_der = FIXTURE_CERT;
    replay_cfg.cert_len = sizeof(FIXTURE_CERT);
    replay_cfg.key = replay_key;
}

/* ClientHello to the first application byte (*first), the server's
 * bytes taken from server[0..n). 0 or an error; *sent counts the bytes
 * the client produced. */
static int replay_handshake(tls_client_t *c, const uint8_t *server, size_t n, uint8_t *first,
                            size_t *sent)
{
    size_t off = 0, len, room;
    int rc = tls_client_init(c, &replay_cfg, FIXTURE_ENTROPY, 0);
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
        rc = tls_client_received(c, room, 1);
    }
    return rc;
}

#endif
