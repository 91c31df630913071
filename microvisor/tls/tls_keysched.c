/*
 * tls_keysched.c: the TLS 1.3 key schedule (RFC 8446 section 7), SHA-256
 * only (both offered suites use it).
 *
 * IMPLEMENTATION NOTES
 * - The schedule is run as the handshake goes: tls_ks_handshake() after
 *   ServerHello, tls_ks_application() after the server's Finished. Only
 *   what is still needed is kept in the context: the handshake secret
 *   (replaced by the master secret), the client handshake traffic secret
 *   (for our Finished) and each direction's current traffic secret (for
 *   KeyUpdate). Every intermediate value lives on the stack and is wiped
 *   before return.
 * - The transcript is one running SHA-256 context; a hash "so far" is
 *   taken from a copy, which is wiped.
 */
#include <string.h>

#include "tls_priv.h"

void tls_expand_label(uint8_t *out, size_t len, const uint8_t secret[32], const char *label,
                      const uint8_t *ctx, size_t ctx_len)
{
    /* HkdfLabel: uint16 length, opaque label<7..255> = "tls13 " + label,
     * opaque context<0..255>. Labels here are short constants and
     * contexts at most a hash. */
    uint8_t info[2 + 1 + 6 + 32 + 1 + 32];
    size_t ll = strlen(label), k = 0;
    info[k++] = (uint8_t)(len >> 8);
    info[k++] = (uint8_t)len;
    info[k++] = (uint8_t)(6 + ll);
    memcpy(info + k, "tls13 ", 6);
    k += 6;
    memcpy(info + k, label, ll);
    k += ll;
    info[k++] = (uint8_t)ctx_len;
    if (ctx_len)
        memcpy(info + k, ctx, ctx_len);
    k += ctx_len;
    crypto_hkdf_sha256_expand(out, len, secret, info, k);
    crypto_wipe(info, sizeof(info));
}

/* SHA-256 of the empty string, the context of Derive-Secret(., "derived", ""). */
static const uint8_t EMPTY_HASH[32] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};

void tls_transcript_hash(const tls_client_t *c, uint8_t out[32])
{
    crypto_sha256_t t = c->transcript;
    crypto_sha256_final(&t, out);
}

void tls_dir_set(tls_dir_t *d, uint16_t suite, const uint8_t secret[32])
{
    memcpy(d->secret, secret, 32);
    tls_expand_label(d->key, suite == TLS_SUITE_AES_128_GCM_SHA256 ? 16 : 32, secret, "key",
                     NULL, 0);
    tls_expand_label(d->iv, 12, secret, "iv", NULL, 0);
    d->seq = 0;
    d->on = true;
}

void tls_ks_handshake(tls_client_t *c, const uint8_t shared[32])
{
    uint8_t zeros[32] = {0}, early[32], derived[32], h[32], s_hs[32];
    /* early secret = HKDF-Extract(0, PSK), the PSK all zero without one. */
    const uint8_t *psk = c->psk_accepted ? tls_psk_key(c) : zeros;
    crypto_hkdf_sha256_extract(early, NULL, 0, psk, 32);
    tls_expand_label(derived, 32, early, "derived", EMPTY_HASH, 32);
    crypto_hkdf_sha256_extract(c->hs_secret, derived, 32, shared, 32);
    tls_transcript_hash(c, h);
    tls_expand_label(c->c_hs, 32, c->hs_secret, "c hs traffic", h, 32);
    tls_expand_label(s_hs, 32, c->hs_secret, "s hs traffic", h, 32);
    tls_dir_set(&c->rd, c->suite, s_hs);
    tls_dir_set(&c->wr, c->suite, c->c_hs);
    crypto_wipe(early, sizeof(early));
    crypto_wipe(derived, sizeof(derived));
    crypto_wipe(s_hs, sizeof(s_hs));
}

void tls_ks_application(tls_client_t *c, uint8_t c_ap[32])
{
    uint8_t zeros[32] = {0}, derived[32], h[32], s_ap[32];
    tls_expand_label(derived, 32, c->hs_secret, "derived", EMPTY_HASH, 32);
    crypto_hkdf_sha256_extract(c->hs_secret, derived, 32, zeros, 32); /* master */
    tls_transcript_hash(c, h);
    tls_expand_label(c_ap, 32, c->hs_secret, "c ap traffic", h, 32);
    tls_expand_label(s_ap, 32, c->hs_secret, "s ap traffic", h, 32);
    tls_dir_set(&c->rd, c->suite, s_ap);
    crypto_wipe(derived, sizeof(derived));
    crypto_wipe(s_ap, sizeof(s_ap));
}

void tls_finished(uint8_t out[32], const uint8_t base[32], const uint8_t hash[32])
{
    uint8_t fk[32];
    tls_expand_label(fk, 32, base, "finished", NULL, 0);
    crypto_hmac_sha256(out, fk, 32, hash, 32);
    crypto_wipe(fk, sizeof(fk));
}

void tls_dir_update(tls_dir_t *d, uint16_t suite)
{
    uint8_t next[32];
    tls_expand_label(next, 32, d->secret, "traffic upd", NULL, 0);
    tls_dir_set(d, suite, next);
    crypto_wipe(next, sizeof(next));
}
