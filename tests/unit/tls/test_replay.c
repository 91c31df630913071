/*
 * The M33 bench's recorded handshake (tests/bench/tls/fixture.h, made
 * against openssl s_server) replayed on the host: it must reach
 * CONNECTED with the server's first byte, 'x', and send our Certificate,
 * CertificateVerify and Finished. A change to the engine that breaks the
 * transcript, the key schedule or the client flight fails here at once.
 */
#include "keel_test.h"
#include "replay.h"

static tls_client_t c;

int main(void)
{
    uint8_t first = 0;
    size_t sent;
    replay_setup();
    int rc = replay_handshake(&c, FIXTURE_SERVER, sizeof(FIXTURE_SERVER), &first, &sent);
    CHECK_EQ(rc, 0);
    CHECK_EQ(first, 'x');
    CHECK_EQ(tls_client_state(&c), TLS_ST_CONNECTED);
    CHECK_EQ(tls_client_suite(&c), TLS_SUITE_CHACHA20_POLY1305_SHA256);
    CHECK(sent > sizeof(FIXTURE_CERT) + 100);
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
        rc = replay_handshake(&c, copy, sizeof(copy), &first, &sent);
        CHECK(rc != 0 || first != 'x');
        if (rc == 0)
            fprintf(stderr, "flip at %zu accepted\n", at);
    }
    /* Cut short anywhere: never connected. */
    for (size_t n = 0; n < sizeof(FIXTURE_SERVER) - 64; n += 131) {
        rc = replay_handshake(&c, FIXTURE_SERVER, n, &first, &sent);
        CHECK(rc != 0);
    }
    tls_client_wipe(&c);
    return keel_test_done("unit_tls_replay");
}
