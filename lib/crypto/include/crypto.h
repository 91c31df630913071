/*
 * crypto.h: Keel's cryptography (lib/crypto), the one public header.
 *
 * SHA-256, SHA-512, HMAC-SHA-256, HKDF-SHA-256 (RFC 5869), X25519 (RFC 7748),
 * Ed25519 (RFC 8032), ChaCha20-Poly1305 (RFC 8439), AES-128-GCM (SP 800-38D),
 * a constant-time compare and a secure wipe.
 *
 * Conventions, for every function below:
 *  - The caller owns every context and buffer. Nothing is allocated and
 *    nothing is kept between calls except in the context the caller passes.
 *    A context may be moved or copied by value between calls (it holds no
 *    pointer into itself).
 *  - Pointers are borrowed for the duration of the call only.
 *  - Array sizes in prototypes (key[32]) are the exact sizes read or written.
 *  - Input and output buffers must not overlap unless a function says so;
 *    the ciphers allow out == in exactly (in-place), never a partial overlap.
 *  - Functions that can fail return 0 or a negative CRYPTO_E* code.
 *    Security verdicts are 0 (accepted) or CRYPTO_EFORGED (-1, all bits
 *    set): a single glitched bit cannot turn one into the other.
 *  - Every *_final wipes its context; call *_init again to reuse it.
 *  - A NULL pointer is allowed wherever its length is 0.
 *  - Secret inputs never decide a branch or a memory index (see
 *    docs/crypto.md for the argument and the test that checks it).
 */
#ifndef KEEL_CRYPTO_H
#define KEEL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_OK 0
#define CRYPTO_EFORGED (-1) /* tag, signature or compare mismatch */
#define CRYPTO_EINVAL (-2)  /* a length or parameter out of range */
#define CRYPTO_EWEAK (-3)   /* X25519 produced the all-zero secret */

/* ---- Constant-time compare and wipe -------------------------------------- */

/* 0 if a[0..len) == b[0..len), CRYPTO_EFORGED otherwise. Reads all len bytes
 * of both whatever they hold; the time depends on len only. */
int crypto_verify(const void *a, const void *b, size_t len);

/* Overwrites p[0..len) with zeros in a way the compiler may not remove. */
void crypto_wipe(void *p, size_t len);

/* ---- SHA-256 (FIPS 180-4) -------------------------------------------------- */

#define CRYPTO_SHA256_SIZE 32
#define CRYPTO_SHA256_BLOCK 64

typedef struct {
    uint32_t state[8];
    uint64_t count;   /* bytes hashed so far */
    uint8_t buf[64];  /* partial block, count % 64 bytes used */
} crypto_sha256_t;

void crypto_sha256_init(crypto_sha256_t *ctx);
/* Any split of the input gives the same digest as one call. */
void crypto_sha256_update(crypto_sha256_t *ctx, const void *data, size_t len);
void crypto_sha256_final(crypto_sha256_t *ctx, uint8_t out[32]);
void crypto_sha256(uint8_t out[32], const void *data, size_t len);

/* ---- SHA-512 ----------------------------------------------------------------- */

#define CRYPTO_SHA512_SIZE 64
#define CRYPTO_SHA512_BLOCK 128

typedef struct {
    uint64_t state[8];
    uint64_t count;   /* bytes hashed so far (inputs < 2^64 bytes) */
    uint8_t buf[128];
} crypto_sha512_t;

void crypto_sha512_init(crypto_sha512_t *ctx);
void crypto_sha512_update(crypto_sha512_t *ctx, const void *data, size_t len);
void crypto_sha512_final(crypto_sha512_t *ctx, uint8_t out[64]);
void crypto_sha512(uint8_t out[64], const void *data, size_t len);

/* ---- HMAC-SHA-256 (RFC 2104) and HKDF-SHA-256 (RFC 5869) ---------------------- */

typedef struct {
    crypto_sha256_t inner;
    crypto_sha256_t outer; /* already absorbed key ^ opad */
} crypto_hmac_sha256_t;

/* Keys longer than 64 bytes are hashed first, as RFC 2104 says. */
void crypto_hmac_sha256_init(crypto_hmac_sha256_t *ctx, const void *key,
                             size_t key_len);
void crypto_hmac_sha256_update(crypto_hmac_sha256_t *ctx, const void *data,
                               size_t len);
void crypto_hmac_sha256_final(crypto_hmac_sha256_t *ctx, uint8_t out[32]);
void crypto_hmac_sha256(uint8_t out[32], const void *key, size_t key_len,
                        const void *data, size_t len);

/* PRK = HMAC(salt, IKM); an empty salt means 32 zero bytes (RFC 5869 2.2). */
void crypto_hkdf_sha256_extract(uint8_t prk[32], const void *salt,
                                size_t salt_len, const void *ikm,
                                size_t ikm_len);
/* out[0..out_len) = T(1) | T(2) | ...; CRYPTO_EINVAL if out_len > 255 * 32
 * (nothing written). out may alias neither prk nor info. */
int crypto_hkdf_sha256_expand(uint8_t *out, size_t out_len,
                              const uint8_t prk[32], const void *info,
                              size_t info_len);
int crypto_hkdf_sha256(uint8_t *out, size_t out_len, const void *salt,
                       size_t salt_len, const void *ikm, size_t ikm_len,
                       const void *info, size_t info_len);

/* ---- ChaCha20 and Poly1305 (RFC 8439) ----------------------------------------- */

/* XORs in[0..len) with the ChaCha20 key stream starting at block `counter`
 * into out (out == in allowed). The 32-bit counter must not wrap: len <=
 * (2^32 - counter) * 64. */
void crypto_chacha20(uint8_t *out, const uint8_t *in, size_t len,
                     const uint8_t key[32], const uint8_t nonce[12],
                     uint32_t counter);

typedef struct {
    uint32_t r[6], h[6]; /* 5 x 26-bit or 3 x 44-bit limbs, per target */
    uint32_t pad[4];
    uint8_t buf[16];
    size_t fill;
} crypto_poly1305_t;

/* key: r (clamped here) || s; a one-time key. */
void crypto_poly1305_init(crypto_poly1305_t *ctx, const uint8_t key[32]);
void crypto_poly1305_update(crypto_poly1305_t *ctx, const void *data,
                            size_t len);
void crypto_poly1305_final(crypto_poly1305_t *ctx, uint8_t tag[16]);

/* AEAD_CHACHA20_POLY1305 with a 96-bit nonce. A (key, nonce) pair must
 * never encrypt two messages. */
typedef struct {
    uint32_t input[16];  /* ChaCha20 state: constants, key, counter, nonce */
    uint8_t stream[64];  /* unused key stream bytes of the current block */
    size_t used;         /* bytes of stream already consumed (64 = none left) */
    crypto_poly1305_t mac;
    uint64_t ad_len, text_len;
} crypto_chacha20poly1305_t;

/* ad[0..ad_len) is the associated data, authenticated, not encrypted. */
void crypto_chacha20poly1305_init(crypto_chacha20poly1305_t *ctx,
                                  const uint8_t key[32],
                                  const uint8_t nonce[12], const void *ad,
                                  size_t ad_len);
/* out == in allowed. Any split gives the same result as one call. */
void crypto_chacha20poly1305_encrypt_update(crypto_chacha20poly1305_t *ctx,
                                            uint8_t *out, const uint8_t *in,
                                            size_t len);
void crypto_chacha20poly1305_encrypt_final(crypto_chacha20poly1305_t *ctx,
                                           uint8_t tag[16]);
/* Streaming decryption releases plaintext before the tag is checked: the
 * caller must not act on it (or must wipe it) unless decrypt_final returns
 * 0. The one-shot crypto_chacha20poly1305_decrypt has no such caveat. */
void crypto_chacha20poly1305_decrypt_update(crypto_chacha20poly1305_t *ctx,
                                            uint8_t *out, const uint8_t *in,
                                            size_t len);
int crypto_chacha20poly1305_decrypt_final(crypto_chacha20poly1305_t *ctx,
                                          const uint8_t tag[16]);
void crypto_chacha20poly1305_encrypt(uint8_t *ct, uint8_t tag[16],
                                     const uint8_t key[32],
                                     const uint8_t nonce[12], const void *ad,
                                     size_t ad_len, const uint8_t *pt,
                                     size_t len);
/* Checks the tag first and writes pt only if it is right: on
 * CRYPTO_EFORGED pt[0..len) is untouched. ct == pt allowed. */
int crypto_chacha20poly1305_decrypt(uint8_t *pt, const uint8_t key[32],
                                    const uint8_t nonce[12], const void *ad,
                                    size_t ad_len, const uint8_t *ct,
                                    size_t len, const uint8_t tag[16]);

/* ---- AES-128-GCM (FIPS 197, SP 800-38D) ------------------------------------- */

/* AES runs bitsliced, 16 * NB bytes per pass: NB = 4 blocks in 64-bit
 * words on hosts with 64-bit multiplies, NB = 2 in 32-bit words elsewhere
 * (the M33). The round keys are 11 x 8 words of that size. */
#if defined(__SIZEOF_INT128__)
#define CRYPTO_AES_PASS 64
#else
#define CRYPTO_AES_PASS 32
#endif
typedef struct {
    union {
        uint32_t w32[88];
#if defined(__SIZEOF_INT128__)
        uint64_t w64[88];
#endif
    } rk;                /* bitsliced round keys */
    uint8_t j0[16];      /* pre-counter block */
    uint8_t ej0[16];     /* E(J0), which masks the tag */
    uint32_t ctr;        /* counter of the next pass's first block */
    uint8_t stream[CRYPTO_AES_PASS]; /* key stream of the last pass */
    size_t used;         /* bytes of stream consumed */
    uint8_t h[16];       /* hash subkey E(0) */
    uint8_t y[16];       /* GHASH accumulator */
    uint8_t buf[16];     /* partial GHASH block */
    size_t fill;
    uint64_t ad_len, text_len;
} crypto_aes128gcm_t;

/* iv of any length 1..2^32 (12 bytes is the fast and recommended case);
 * CRYPTO_EINVAL for iv_len 0. A (key, iv) pair must never encrypt two
 * messages. Tags are always the full 16 bytes. */
int crypto_aes128gcm_init(crypto_aes128gcm_t *ctx, const uint8_t key[16],
                          const uint8_t *iv, size_t iv_len, const void *ad,
                          size_t ad_len);
void crypto_aes128gcm_encrypt_update(crypto_aes128gcm_t *ctx, uint8_t *out,
                                     const uint8_t *in, size_t len);
void crypto_aes128gcm_encrypt_final(crypto_aes128gcm_t *ctx, uint8_t tag[16]);
/* Same caveat as crypto_chacha20poly1305_decrypt_update. */
void crypto_aes128gcm_decrypt_update(crypto_aes128gcm_t *ctx, uint8_t *out,
                                     const uint8_t *in, size_t len);
int crypto_aes128gcm_decrypt_final(crypto_aes128gcm_t *ctx,
                                   const uint8_t tag[16]);
int crypto_aes128gcm_encrypt(uint8_t *ct, uint8_t tag[16],
                             const uint8_t key[16], const uint8_t *iv,
                             size_t iv_len, const void *ad, size_t ad_len,
                             const uint8_t *pt, size_t len);
/* Checks the tag first; on CRYPTO_EFORGED pt is untouched. */
int crypto_aes128gcm_decrypt(uint8_t *pt, const uint8_t key[16],
                             const uint8_t *iv, size_t iv_len, const void *ad,
                             size_t ad_len, const uint8_t *ct, size_t len,
                             const uint8_t tag[16]);
/* One AES-128 block encryption (for tests and key derivation). */
void crypto_aes128_encrypt_block(uint8_t out[16], const uint8_t key[16],
                                 const uint8_t in[16]);

/* ---- X25519 (RFC 7748) ------------------------------------------------------- */

/* shared = X25519(scalar, point). The scalar is clamped here; the top bit
 * of point is ignored and non-canonical u values are reduced, as RFC 7748
 * says. Returns CRYPTO_EWEAK (with shared all zero) if the peer's point
 * had small order: the caller must then abort the handshake. */
int crypto_x25519(uint8_t shared[32], const uint8_t scalar[32],
                  const uint8_t point[32]);
void crypto_x25519_public_key(uint8_t public_key[32],
                              const uint8_t secret_key[32]);

/* ---- Ed25519 (RFC 8032, pure) -------------------------------------------- */

/* secret_key = seed || public_key (libsodium's layout). */
void crypto_ed25519_keypair(uint8_t public_key[32], uint8_t secret_key[64],
                            const uint8_t seed[32]);
/* secret_key[32..64) must be the public key of secret_key[0..32): a
 * mismatched pair leaks the key. msg may alias sig. */
void crypto_ed25519_sign(uint8_t sig[64], const uint8_t secret_key[64],
                         const void *msg, size_t len);
/* 0 if sig is a valid signature of msg by public_key, else CRYPTO_EFORGED.
 * Policy (docs/crypto.md): rejects S >= L, public keys with y >= p or not on
 * the curve, small-order A and R; cofactorless equation [S]B = R + [k]A,
 * compared on the canonical encoding of R. Same verdicts as libsodium
 * 1.0.18. Variable time: it handles only public data. */
int crypto_ed25519_verify(const uint8_t sig[64], const uint8_t public_key[32],
                          const void *msg, size_t len);

#endif
