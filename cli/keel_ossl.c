/*
 * IMPLEMENTATION NOTES
 * The SHA-256 context for manifest_crypto holds a pointer to an OpenSSL
 * EVP_MD_CTX (host only, so allocation is fine); final frees it.
 */
#include "keel_ossl.h"

#include <openssl/evp.h>
#include <string.h>

int keel_ossl_ed25519_public(const uint8_t seed[32], uint8_t public_key[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    size_t n = 32;
    int ok = k && EVP_PKEY_get_raw_public_key(k, public_key, &n) == 1 && n == 32;
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

int keel_ossl_ed25519_sign(const uint8_t seed[32], const void *msg, size_t len,
                           uint8_t sig[64])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t n = 64;
    int ok = k && c && EVP_DigestSignInit(c, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestSign(c, sig, &n, msg, len) == 1 && n == 64;
    EVP_MD_CTX_free(c);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

int keel_ossl_ed25519_verify(const uint8_t sig[64], const uint8_t public_key[32],
                             const void *msg, size_t len)
{
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, public_key, 32);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = k && c && EVP_DigestVerifyInit(c, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestVerify(c, sig, 64, msg, len) == 1;
    EVP_MD_CTX_free(c);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

static void sha_init(manifest_sha256_ctx *ctx)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    memcpy(ctx->opaque, &c, sizeof(c));
}

static void sha_update(manifest_sha256_ctx *ctx, const void *data, size_t len)
{
    EVP_MD_CTX *c;
    memcpy(&c, ctx->opaque, sizeof(c));
    EVP_DigestUpdate(c, data, len);
}

static void sha_final(manifest_sha256_ctx *ctx, uint8_t out[32])
{
    EVP_MD_CTX *c;
    unsigned n = 32;
    memcpy(&c, ctx->opaque, sizeof(c));
    EVP_DigestFinal_ex(c, out, &n);
    EVP_MD_CTX_free(c);
    memset(ctx, 0, sizeof(*ctx));
}

void keel_ossl_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned n = 32;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void keel_ossl_kid(const uint8_t public_key[32], uint8_t kid[MANIFEST_KID_SIZE])
{
    uint8_t h[32];
    keel_ossl_sha256(public_key, 32, h);
    memcpy(kid, h, MANIFEST_KID_SIZE);
}

const struct manifest_crypto keel_ossl_crypto = {
    .ed25519_verify = keel_ossl_ed25519_verify,
    .sha256_init = sha_init,
    .sha256_update = sha_update,
    .sha256_final = sha_final,
};
