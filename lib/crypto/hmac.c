/*
 * hmac.c: HMAC-SHA-256 (RFC 2104) and HKDF-SHA-256 (RFC 5869).
 *
 * IMPLEMENTATION NOTES
 * The context keeps two SHA-256 states: `inner` has absorbed key ^ ipad and
 * then the message, `outer` has absorbed key ^ opad only. Precomputing the
 * outer state at init means the key block is not kept in the context, so a
 * context copied mid-stream holds no raw key. HKDF-Expand re-keys one HMAC
 * context per output block from a saved copy of the keyed state instead of
 * re-deriving the pads, which halves its compression-function calls.
 */
#include <string.h>

#include "crypto.h"
#include "ct.h"

void crypto_hmac_sha256_init(crypto_hmac_sha256_t *ctx, const void *key,
                             size_t key_len)
{
    uint8_t block[64];
    memset(block, 0, sizeof block);
    if (key_len > 64)
        crypto_sha256(block, key, key_len);
    else if (key_len)
        memcpy(block, key, key_len);
    for (int i = 0; i < 64; i++)
        block[i] ^= 0x36;
    crypto_sha256_init(&ctx->inner);
    crypto_sha256_update(&ctx->inner, block, 64);
    for (int i = 0; i < 64; i++)
        block[i] ^= 0x36 ^ 0x5c;
    crypto_sha256_init(&ctx->outer);
    crypto_sha256_update(&ctx->outer, block, 64);
    crypto_wipe(block, sizeof block);
}

void crypto_hmac_sha256_update(crypto_hmac_sha256_t *ctx, const void *data,
                               size_t len)
{
    crypto_sha256_update(&ctx->inner, data, len);
}

void crypto_hmac_sha256_final(crypto_hmac_sha256_t *ctx, uint8_t out[32])
{
    uint8_t ih[32];
    crypto_sha256_final(&ctx->inner, ih);
    crypto_sha256_update(&ctx->outer, ih, 32);
    crypto_sha256_final(&ctx->outer, out);
    crypto_wipe(ih, sizeof ih);
    crypto_wipe(ctx, sizeof *ctx);
}

void crypto_hmac_sha256(uint8_t out[32], const void *key, size_t key_len,
                        const void *data, size_t len)
{
    crypto_hmac_sha256_t ctx;
    crypto_hmac_sha256_init(&ctx, key, key_len);
    crypto_hmac_sha256_update(&ctx, data, len);
    crypto_hmac_sha256_final(&ctx, out);
}

void crypto_hkdf_sha256_extract(uint8_t prk[32], const void *salt,
                                size_t salt_len, const void *ikm,
                                size_t ikm_len)
{
    /* An absent salt is HashLen zeros, which HMAC pads to the same block as
     * an empty key: no special case needed. */
    crypto_hmac_sha256(prk, salt, salt_len, ikm, ikm_len);
}

int crypto_hkdf_sha256_expand(uint8_t *out, size_t out_len,
                              const uint8_t prk[32], const void *info,
                              size_t info_len)
{
    crypto_hmac_sha256_t keyed, ctx;
    uint8_t t[32];
    size_t done = 0;

    if (out_len > 255 * 32)
        return CRYPTO_EINVAL;
    crypto_hmac_sha256_init(&keyed, prk, 32);
    for (uint8_t i = 1; done < out_len; i++) {
        size_t n = out_len - done < 32 ? out_len - done : 32;
        ctx = keyed;
        if (i > 1)
            crypto_hmac_sha256_update(&ctx, t, 32);
        crypto_hmac_sha256_update(&ctx, info, info_len);
        crypto_hmac_sha256_update(&ctx, &i, 1);
        crypto_hmac_sha256_final(&ctx, t);
        memcpy(out + done, t, n);
        done += n;
    }
    crypto_wipe(t, sizeof t);
    crypto_wipe(&keyed, sizeof keyed);
    return CRYPTO_OK;
}

int crypto_hkdf_sha256(uint8_t *out, size_t out_len, const void *salt,
                       size_t salt_len, const void *ikm, size_t ikm_len,
                       const void *info, size_t info_len)
{
    uint8_t prk[32];
    int rc;

    if (out_len > 255 * 32)
        return CRYPTO_EINVAL;
    crypto_hkdf_sha256_extract(prk, salt, salt_len, ikm, ikm_len);
    rc = crypto_hkdf_sha256_expand(out, out_len, prk, info, info_len);
    crypto_wipe(prk, sizeof prk);
    return rc;
}
