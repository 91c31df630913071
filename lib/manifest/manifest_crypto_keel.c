/*
 * IMPLEMENTATION NOTES
 * crypto_ed25519_verify already has the manifest_verify_fn type; SHA-256
 * runs on a crypto_sha256_t that lives inside the caller's
 * manifest_sha256_ctx (checked to fit, and aligned for uint64_t).
 */
#include "manifest_crypto_keel.h"

#include "crypto.h"

_Static_assert(sizeof(crypto_sha256_t) <= sizeof(manifest_sha256_ctx),
               "manifest_sha256_ctx must hold a crypto_sha256_t");
_Static_assert(_Alignof(crypto_sha256_t) <= _Alignof(manifest_sha256_ctx),
               "manifest_sha256_ctx alignment");

static void sha_init(manifest_sha256_ctx *ctx)
{
    crypto_sha256_init((crypto_sha256_t *)(void *)ctx);
}

static void sha_update(manifest_sha256_ctx *ctx, const void *data, size_t len)
{
    crypto_sha256_update((crypto_sha256_t *)(void *)ctx, data, len);
}

static void sha_final(manifest_sha256_ctx *ctx, uint8_t out[32])
{
    crypto_sha256_final((crypto_sha256_t *)(void *)ctx, out); /* wipes ctx */
}

const struct manifest_crypto manifest_crypto_keel = {
    .ed25519_verify = crypto_ed25519_verify,
    .sha256_init = sha_init,
    .sha256_update = sha_update,
    .sha256_final = sha_final,
};
