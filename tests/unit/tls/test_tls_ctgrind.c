/*
 * Constant-time check of microvisor/tls (the ctgrind technique of
 * tests/unit/crypto/test_ctgrind.c): the X25519 secret and the device's
 * Ed25519 key are marked undefined for valgrind's memcheck, then the
 * recorded full handshake (tests/bench/tls/fixture.h) runs: the key
 * schedule, record protection both ways, the Finished checks, and our
 * CertificateVerify signature. Every value derived from them stays
 * undefined, so any branch or index on it fails, except where the engine
 * declares a value public (TLS_DECLASSIFY: the AEAD and Finished
 * verdicts and authenticated plaintext). A key update runs too, then the
 * recorded resumption with the tickets' PSKs secret as well.
 * `--leak` branches on a traffic key, so ctest can check the check.
 */
#include <stdio.h>
#include <string.h>
#include <valgrind/memcheck.h>

#pragma GCC diagnostic ignored "-Wunused-function" /* replay.h: only the store */
#include "replay.h"
#include "tls_priv.h"

volatile int ctgrind_sink; /* the planted branch writes here */

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static tls_client_t c;

int main(int argc, char **argv)
{
    uint8_t key[64], pk[32], entropy[64], first = 0;
    tls_client_config_t cfg = {.host = FIXTURE_HOST,
                               .anchor_der = FIXTURE_ANCHOR,
                               .anchor_len = sizeof(FIXTURE_ANCHOR),
                               .cert_der = FIXTURE_CERT,
                               .cert_len = sizeof(FIXTURE_CERT),
                               .key = key};
    crypto_ed25519_keypair(pk, key, FIXTURE_SEED);
    memcpy(entropy, FIXTURE_ENTROPY, 64);
    SECRET(key, 32);         /* the seed; key[32..64) is the public key */
    SECRET(entropy + 32, 32); /* the X25519 secret */
    int rc = tls_client_init(&c, &cfg, entropy, 0);
    size_t off = 0, len, room;
    while (rc == 0) {
        tls_client_sendbuf(&c, &len);
        tls_client_sent(&c, len);
        rc = tls_client_read(&c, &first, 1);
        if (rc != 0)
            break;
        uint8_t *p = tls_client_recvbuf(&c, &room);
        if (room == 0 || off == sizeof(FIXTURE_SERVER))
            return 2;
        if (room > sizeof(FIXTURE_SERVER) - off)
            room = sizeof(FIXTURE_SERVER) - off;
        memcpy(p, FIXTURE_SERVER + off, room);
        off += room;
        rc = tls_client_received(&c, room, 1);
    }
    if (rc != 1 || first != 'x')
        return 3;
    /* Application data and a KeyUpdate under secret keys. */
    static const char msg[] = "secret application data";
    uint8_t data[sizeof(msg)];
    memcpy(data, msg, sizeof(msg));
    SECRET(data, sizeof(data));
    if (tls_client_write(&c, data, sizeof(data)) != (int)sizeof(data) ||
        tls_client_key_update(&c, true) != 0 || tls_client_write(&c, data, 1) != 1)
        return 4;
    if (argc > 1 && strcmp(argv[1], "--leak") == 0) {
        /* A planted branch on a traffic key: memcheck must report it
         * (the selftest matches its report; the exit status is 0 either
         * way, so a broken replay cannot pass for a caught leak). */

        if (c.wr.key[0] == 0x42)
            ctgrind_sink = 1;
        fputs("ctgrind selftest: branch planted\n", stderr);
        return 0;
    }
    /* The AES-128-GCM record path on the same secret traffic secrets (the
     * recording used ChaCha20-Poly1305): a record sealed, then one opened
     * (its tag fails: the verdict is the only thing declassified). */
    c.suite = TLS_SUITE_AES_128_GCM_SHA256;
    tls_dir_set(&c.wr, c.suite, c.wr.secret);
    tls_dir_set(&c.rd, c.suite, c.rd.secret);
    if (tls_client_write(&c, data, sizeof(data)) != (int)sizeof(data))
        return 8;
    uint8_t rec[5 + 40] = {TLS_CT_APPDATA, 3, 3, 0, 40}, sink[16];
    while (tls_client_read(&c, sink, sizeof(sink)) > 0) {
    }
    uint8_t *in = tls_client_recvbuf(&c, &room);
    if (room != 5)
        return 9;
    memcpy(in, rec, 5);
    tls_client_received(&c, 5, 1);
    in = tls_client_recvbuf(&c, &room);
    memcpy(in, rec + 5, room);
    if (tls_client_received(&c, room, 1) != TLS_E_BAD_RECORD_MAC)
        return 10;
    tls_client_wipe(&c);

    /* The resumed connection: the tickets' PSKs secret too (the binder,
     * the early secret). */
    static tls_ticket_store_t store;
    replay_load_tickets(&store);
    for (unsigned i = 0; i < TLS_TICKETS_N; i++)
        SECRET(store.t[i].psk, 32);
    memcpy(entropy, FIXTURE_RESUME_ENTROPY, 64);
    SECRET(entropy + 32, 32);
    cfg.tickets = &store;
    rc = tls_client_init(&c, &cfg, entropy, FIXTURE_RESUME_MS);
    off = 0;
    first = 0;
    while (rc == 0) {
        tls_client_sendbuf(&c, &len);
        tls_client_sent(&c, len);
        rc = tls_client_read(&c, &first, 1);
        if (rc != 0)
            break;
        uint8_t *p = tls_client_recvbuf(&c, &room);
        if (room == 0 || off == sizeof(FIXTURE_RESUME_SERVER))
            return 6;
        if (room > sizeof(FIXTURE_RESUME_SERVER) - off)
            room = sizeof(FIXTURE_RESUME_SERVER) - off;
        memcpy(p, FIXTURE_RESUME_SERVER + off, room);
        off += room;
        rc = tls_client_received(&c, room, FIXTURE_RESUME_MS);
    }
    if (rc != 1 || first != 'x' || !tls_client_resumed(&c))
        return 7;
    tls_client_wipe(&c);
    tls_tickets_wipe(&store);
    return 0;
}
