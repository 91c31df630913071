/*
 * Constant-time check (the ctgrind technique, as in Monocypher's tests):
 * every secret input is marked undefined for valgrind's memcheck, then the
 * secret-handling functions run. Memcheck reports any conditional jump,
 * conditional move or memory address that depends on an undefined value,
 * so a secret-dependent branch or table index anywhere in lib/crypto (as
 * compiled, -O2, no sanitizers) fails the test. Outputs are marked defined
 * again before the test looks at them.
 *
 * Run under `valgrind --error-exitcode=1` by ctest. `--leak` runs a
 * deliberately leaky function so ctest can check the check (WILL_FAIL).
 */
#include <string.h>
#include <valgrind/memcheck.h>

#include "crypto.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static uint8_t buf[1024], out[1024 + 64];

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 31);
}

static int leaky(const uint8_t *secret)
{
    static const uint8_t table[256] = {1};
    return secret[0] ? table[secret[1]] : 0; /* branch and index */
}

int main(int argc, char **argv)
{
    uint8_t key[32], seed[32], sk[64], pk[32], sig[64], tag[16], h[64];
    uint8_t nonce[12] = {1, 2, 3};
    int rc;

    fill(key, 32, 1);
    fill(seed, 32, 2);
    fill(buf, sizeof buf, 3);
    SECRET(seed, 32);

    if (argc > 1 && strcmp(argv[1], "--leak") == 0) {
        SECRET(key, 32);
        rc = leaky(key);
        PUBLIC(&rc, sizeof rc);
        return rc == 12345;
    }

    /* Hashes and MACs over secret data (lengths are public). */
    SECRET(buf, sizeof buf);
    for (size_t len = 0; len <= 300; len += 37) {
        crypto_sha256(h, buf, len);
        crypto_sha512(h, buf, len);
    }
    SECRET(key, 32);
    crypto_hmac_sha256(h, key, 32, buf, 200);
    crypto_hmac_sha256(h, buf, 100, buf, 10); /* key longer than a block */
    rc = crypto_hkdf_sha256(out, 100, NULL, 0, key, 32, "info", 4);

    /* Constant-time compare and wipe on secrets. */
    rc = crypto_verify(buf, buf + 16, 16);
    crypto_wipe(h, sizeof h);

    /* ChaCha20-Poly1305: secret key and plaintext; streaming decrypt. */
    /* 1000 bytes: reaches the 8-lane (AVX2), 4-lane and 1-block paths. */
    crypto_chacha20poly1305_encrypt(out, tag, key, nonce, "ad", 2, buf, 1000);
    {
        crypto_chacha20poly1305_t c;
        crypto_chacha20poly1305_init(&c, key, nonce, "ad", 2);
        crypto_chacha20poly1305_decrypt_update(&c, out, out, 100);
        crypto_chacha20poly1305_decrypt_update(&c, out + 100, out + 100, 900);
        rc = crypto_chacha20poly1305_decrypt_final(&c, tag);
    }

    /* AES-128-GCM: secret key and plaintext, 12-byte and odd IVs. */
    rc = crypto_aes128gcm_encrypt(out, tag, key, nonce, 12, "ad", 2, buf, 333);
    rc = crypto_aes128gcm_encrypt(out, tag, key, nonce, 7, "ad", 2, buf, 50);
    {
        crypto_aes128gcm_t g;
        crypto_aes128gcm_init(&g, key, nonce, 12, "ad", 2);
        crypto_aes128gcm_decrypt_update(&g, out, out, 17);
        crypto_aes128gcm_decrypt_update(&g, out + 17, out + 17, 316);
        rc = crypto_aes128gcm_decrypt_final(&g, tag);
    }
    fill(h, 16, 9);
    SECRET(h, 16);
    crypto_aes128_encrypt_block(out, key, h);

    /* X25519 with a secret scalar. */
    {
        uint8_t pub[32], shared[32];
        crypto_x25519_public_key(pub, key);
        PUBLIC(pub, 32); /* a public key is public */
        rc = crypto_x25519(shared, seed, pub);
    }

    /* Ed25519: secret seed and secret message; verify is public-only. */
    crypto_ed25519_keypair(pk, sk, seed);
    crypto_ed25519_sign(sig, sk, buf, 100);

    PUBLIC(&rc, sizeof rc);
    PUBLIC(sig, 64);
    PUBLIC(pk, 32);
    PUBLIC(buf, 100);
    return crypto_ed25519_verify(sig, pk, buf, 100) == 0 ? 0 : 3;
}
