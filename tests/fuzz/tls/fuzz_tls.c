/*
 * libFuzzer targets for microvisor/tls, one harness built once per target
 * (TLS_FUZZ_MODE):
 *   0 record   the server's byte stream, cut at fuzzed points, into a
 *              client that has sent its ClientHello: record headers,
 *              CCS, alerts, reassembly, ServerHello/HRR parsing;
 *   1 flight   a valid ServerHello (so handshake keys are in force), then
 *              the fuzzed rest of the server's flight, cut into records
 *              and encrypted with the client's own read keys as a real
 *              server would: EncryptedExtensions, CertificateRequest,
 *              Certificate (the X.509 chain), CertificateVerify and
 *              Finished through the real state machine;
 *   2..    one handshake message handler on the fuzzed body, with the
 *              client in the state that expects it.
 * After each input: no crash, no sanitizer report, and a failed client
 * has wiped its secrets.
 */
#include <stdlib.h>
#include <string.h>

#include "test_anchor.h"
#include "tls_priv.h"

#ifndef TLS_FUZZ_MODE
#define TLS_FUZZ_MODE 0
#endif

static tls_client_t c;
static const uint8_t ENTROPY[64] = {7, 7, 7};
static const tls_client_config_t CFG = {.host = "cloud.keel.test",
                                        .anchor_der = test_anchor,
                                        .anchor_len = sizeof(test_anchor)};

static void start(void)
{
    size_t len;
    if (tls_client_init(&c, &CFG, ENTROPY, 0) != 0)
        abort();
    tls_client_sendbuf(&c, &len);
    tls_client_sent(&c, len);
}

static int feed(const uint8_t *p, size_t n, size_t chunk)
{
    while (n > 0) {
        size_t room;
        uint8_t *dst = tls_client_recvbuf(&c, &room);
        if (room == 0) {
            size_t len;
            tls_client_sendbuf(&c, &len);
            tls_client_sent(&c, len);
            int r;
            uint8_t sink[256];
            while ((r = tls_client_read(&c, sink, sizeof(sink))) > 0) {
            }
            dst = tls_client_recvbuf(&c, &room);
            if (room == 0)
                return tls_client_error(&c);
        }
        size_t k = n < room ? n : room;
        if (chunk && k > chunk)
            k = chunk;
        memcpy(dst, p, k);
        int rc = tls_client_received(&c, k, 1);
        if (rc)
            return rc;
        p += k, n -= k;
    }
    return 0;
}

static void check_wiped(void)
{
    static const uint8_t zero[32];
    if (c.err && (memcmp(c.x25519_sk, zero, 32) || memcmp(c.rd.key, zero, 32) ||
                  memcmp(c.wr.key, zero, 32) || memcmp(c.c_hs, zero, 32)))
        abort();
}

/* A ServerHello with a valid X25519 share (the base point's multiple of
 * a fixed scalar) for the given suite. */
static size_t server_hello(uint8_t *out, uint16_t suite)
{
    static const uint8_t sk[32] = {42};
    uint8_t *p = out + 9;
    *p++ = 3, *p++ = 3;
    memset(p, 0x11, 32), p += 32;
    *p++ = 0, *p++ = (uint8_t)(suite >> 8), *p++ = (uint8_t)suite, *p++ = 0;
    *p++ = 0, *p++ = 46;
    static const uint8_t ext[] = {0, 43, 0, 2, 3, 4, 0, 51, 0, 36, 0, 0x1d, 0, 32};
    memcpy(p, ext, sizeof(ext)), p += sizeof(ext);
    crypto_x25519_public_key(p, sk), p += 32;
    size_t body = (size_t)(p - out) - 9;
    out[0] = TLS_CT_HANDSHAKE, out[1] = 3, out[2] = 3, put16(out + 3, (uint32_t)(body + 4));
    out[5] = TLS_HS_SERVER_HELLO, put24(out + 6, (uint32_t)body);
    return (size_t)(p - out);
}

/* Encrypts pt[0..n) as one record of inner type 22 under the client's
 * read keys, as the server would. */
static size_t seal(uint8_t *out, const uint8_t *pt, size_t n)
{
    uint8_t nonce[12];
    memcpy(nonce, c.rd.iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(c.rd.seq >> (8 * i));
    out[0] = TLS_CT_APPDATA, out[1] = 3, out[2] = 3, put16(out + 3, (uint32_t)(n + 17));
    memcpy(out + 5, pt, n);
    out[5 + n] = TLS_CT_HANDSHAKE;
    if (c.suite == TLS_SUITE_AES_128_GCM_SHA256)
        crypto_aes128gcm_encrypt(out + 5, out + 6 + n, c.rd.key, nonce, 12, out, 5, out + 5,
                                 n + 1);
    else
        crypto_chacha20poly1305_encrypt(out + 5, out + 6 + n, c.rd.key, nonce, out, 5, out + 5,
                                        n + 1);
    return n + 22;
}

static void run_flight(const uint8_t *data, size_t size)
{
    static uint8_t rec[TLS_IN_SIZE + 64];
    if (size < 1)
        return;
    start();
    if (feed(rec, server_hello(rec, data[0] & 1 ? TLS_SUITE_AES_128_GCM_SHA256
                                                : TLS_SUITE_CHACHA20_POLY1305_SHA256), 0))
        abort(); /* a valid ServerHello must be accepted */
    data++, size--;
    /* Records: a 2-byte length prefix (capped) then that many bytes. */
    while (size >= 2 && !c.err) {
        size_t n = ((size_t)data[0] << 8 | data[1]) % (TLS_MAX_FRAG + 1);
        data += 2, size -= 2;
        if (n > size)
            n = size;
        if (n == 0)
            n = size < 1 ? 0 : 1;
        feed(rec, seal(rec, data, n), 0);
        data += n, size -= n;
    }
    check_wiped();
}

static void run_record(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    start();
    feed(data + 1, size - 1, (size_t)(data[0] % 16));
    check_wiped();
}

/* Puts the client in the state that expects message `type`, with keys. */
static void run_message(uint8_t type, const uint8_t *data, size_t size)
{
    static uint8_t msg[TLS_HS_MAX];
    static const struct {
        uint8_t type, state;
    } states[] = {
        {TLS_HS_SERVER_HELLO, TLS_ST_WAIT_SH},          {TLS_HS_ENCRYPTED_EXTENSIONS, TLS_ST_WAIT_EE},
        {TLS_HS_CERTIFICATE_REQUEST, TLS_ST_WAIT_CERT_CR}, {TLS_HS_CERTIFICATE, TLS_ST_WAIT_CERT},
        {TLS_HS_CERTIFICATE_VERIFY, TLS_ST_WAIT_CV},    {TLS_HS_FINISHED, TLS_ST_WAIT_FINISHED},
        {TLS_HS_KEY_UPDATE, TLS_ST_CONNECTED},          {TLS_HS_NEW_SESSION_TICKET, TLS_ST_CONNECTED},
    };
    if (size + 4 > sizeof(msg))
        return;
    start();
    if (type != TLS_HS_SERVER_HELLO) {
        c.suite = TLS_SUITE_CHACHA20_POLY1305_SHA256;
        tls_dir_set(&c.rd, c.suite, ENTROPY);
        tls_dir_set(&c.wr, c.suite, ENTROPY + 32);
        memcpy(c.leaf_pk, test_anchor + sizeof(test_anchor) - 32, 32);
    }
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        if (states[i].type == type)
            c.state = states[i].state;
    msg[0] = type;
    put24(msg + 1, (uint32_t)size);
    memcpy(msg + 4, data, size);
    tls_hs_input(&c, msg, size + 4);
    check_wiped();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (TLS_FUZZ_MODE == 0)
        run_record(data, size);
    else if (TLS_FUZZ_MODE == 1)
        run_flight(data, size);
    else
        run_message(TLS_FUZZ_MODE, data, size);
    return 0;
}
