/*
 * IMPLEMENTATION NOTES
 * ChaCha20 as a fast-key-erasure generator (entropy.h). A request of up to
 * 1 KiB takes 64-byte ChaCha20 blocks under the current key, zero nonce,
 * counter 0, 1, ...: bytes 0..31 of block 0 are the next key, the rest is
 * output. Longer requests are served 1 KiB at a time, each under a fresh
 * key. The nonce is always zero because no key is ever used twice.
 * Seeding is HKDF-SHA256 (RFC 5869) with the IKM fed to HMAC piecewise, so
 * no buffer holds the secret next to the other inputs.
 */
#include <string.h>

#include "crypto.h"
#include "entropy.h"

#define CHUNK 1024u

static const uint8_t zero_nonce[12];

void entropy_drbg_init(struct entropy_drbg *d, const uint8_t key[32])
{
    memcpy(d->key, key, 32);
}

static void generate_chunk(struct entropy_drbg *d, uint8_t *out, size_t len)
{
    uint8_t block[64], next[32];
    uint32_t ctr = 0;
    memset(block, 0, sizeof(block));
    crypto_chacha20(block, block, sizeof(block), d->key, zero_nonce, ctr++);
    memcpy(next, block, 32);
    size_t k = len < 32 ? len : 32;
    memcpy(out, block + 32, k);
    out += k;
    len -= k;
    while (len) {
        memset(block, 0, sizeof(block));
        crypto_chacha20(block, block, sizeof(block), d->key, zero_nonce, ctr++);
        k = len < 64 ? len : 64;
        memcpy(out, block, k);
        out += k;
        len -= k;
    }
    memcpy(d->key, next, 32);
    crypto_wipe(block, sizeof(block));
    crypto_wipe(next, sizeof(next));
}

void entropy_drbg_generate(struct entropy_drbg *d, void *out, size_t len)
{
    uint8_t *o = out;
    do {
        size_t k = len < CHUNK ? len : CHUNK;
        generate_chunk(d, o, k);
        o += k;
        len -= k;
    } while (len);
}

uint32_t entropy_drbg_u32(struct entropy_drbg *d)
{
    uint8_t b[4];
    entropy_drbg_generate(d, b, sizeof(b));
    uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                 (uint32_t)b[3] << 24;
    crypto_wipe(b, sizeof(b));
    return v;
}

void entropy_drbg_wipe(struct entropy_drbg *d)
{
    crypto_wipe(d->key, sizeof(d->key));
}

void entropy_seed(struct entropy_drbg *d, const uint8_t *secret, uint32_t boot_count,
                  const void *extra, size_t extra_len)
{
    static const char salt[] = "keel/entropy/v1";
    static const char info[] = "chacha20 drbg key";
    static const uint8_t no_secret[32];
    uint8_t prk[32], key[32];
    uint8_t count[4] = { (uint8_t)boot_count, (uint8_t)(boot_count >> 8),
                         (uint8_t)(boot_count >> 16), (uint8_t)(boot_count >> 24) };
    crypto_hmac_sha256_t h;
    crypto_hmac_sha256_init(&h, salt, sizeof(salt) - 1);
    crypto_hmac_sha256_update(&h, secret ? secret : no_secret, 32);
    crypto_hmac_sha256_update(&h, count, sizeof(count));
    crypto_hmac_sha256_update(&h, extra, extra_len > 256 ? 256 : extra_len);
    crypto_hmac_sha256_final(&h, prk);
    crypto_hkdf_sha256_expand(key, sizeof(key), prk, info, sizeof(info) - 1);
    entropy_drbg_init(d, key);
    crypto_wipe(prk, sizeof(prk));
    crypto_wipe(key, sizeof(key));
}
