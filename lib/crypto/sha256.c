/*
 * sha256.c: SHA-256 (FIPS 180-4).
 *
 * IMPLEMENTATION NOTES
 * A plain rolled implementation: the message schedule is kept as a 16-word
 * ring (W[t & 15]) rather than 64 words, which saves 192 bytes of stack on
 * the M33 and costs nothing measurable. The round loop is unrolled 8 times
 * by hand so the eight working variables rotate by renaming instead of by
 * moves; the full 64-round unroll was 2.5 KiB larger on the M33 for ~10%.
 * Hashing is data-independent by construction (only the length decides the
 * control flow), so secret keys in HMAC are safe here.
 */
#include <string.h>

#include "crypto.h"
#include "ct.h"

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define S0(x) (ct_rotr32(x, 2) ^ ct_rotr32(x, 13) ^ ct_rotr32(x, 22))
#define S1(x) (ct_rotr32(x, 6) ^ ct_rotr32(x, 11) ^ ct_rotr32(x, 25))
#define s0(x) (ct_rotr32(x, 7) ^ ct_rotr32(x, 18) ^ ((x) >> 3))
#define s1(x) (ct_rotr32(x, 17) ^ ct_rotr32(x, 19) ^ ((x) >> 10))
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))

/* One round; W[i & 15] is extended in place once i >= 16. */
#define ROUND(a, b, c, d, e, f, g, h, i)                                      \
    do {                                                                      \
        uint32_t w_;                                                          \
        if ((i) < 16) {                                                       \
            w_ = W[(i) & 15];                                                 \
        } else {                                                              \
            w_ = W[(i) & 15] += s1(W[((i) - 2) & 15]) + W[((i) - 7) & 15] +   \
                                s0(W[((i) - 15) & 15]);                       \
        }                                                                     \
        uint32_t t1_ = (h) + S1(e) + CH(e, f, g) + K[i] + w_;                 \
        (d) += t1_;                                                           \
        (h) = t1_ + S0(a) + MAJ(a, b, c);                                     \
    } while (0)

static void sha256_blocks(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    uint32_t W[16];
    while (nblocks--) {
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
        for (int i = 0; i < 16; i++)
            W[i] = ct_load32_be(p + 4 * i);
        for (int i = 0; i < 64; i += 8) {
            ROUND(a, b, c, d, e, f, g, h, i + 0);
            ROUND(h, a, b, c, d, e, f, g, i + 1);
            ROUND(g, h, a, b, c, d, e, f, i + 2);
            ROUND(f, g, h, a, b, c, d, e, i + 3);
            ROUND(e, f, g, h, a, b, c, d, i + 4);
            ROUND(d, e, f, g, h, a, b, c, i + 5);
            ROUND(c, d, e, f, g, h, a, b, i + 6);
            ROUND(b, c, d, e, f, g, h, a, i + 7);
        }
        st[0] += a; st[1] += b; st[2] += c; st[3] += d;
        st[4] += e; st[5] += f; st[6] += g; st[7] += h;
        p += 64;
    }
    crypto_wipe(W, sizeof W);
}

void crypto_sha256_init(crypto_sha256_t *ctx)
{
    static const uint32_t iv[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    memcpy(ctx->state, iv, sizeof iv);
    ctx->count = 0;
}

void crypto_sha256_update(crypto_sha256_t *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t fill = (size_t)(ctx->count & 63);
    if (len == 0)
        return; /* data may be NULL: keep it away from memcpy */
    ctx->count += len;
    if (fill) {
        size_t n = 64 - fill;
        if (len < n) {
            memcpy(ctx->buf + fill, p, len);
            return;
        }
        memcpy(ctx->buf + fill, p, n);
        sha256_blocks(ctx->state, ctx->buf, 1);
        p += n;
        len -= n;
    }
    sha256_blocks(ctx->state, p, len / 64);
    p += len & ~(size_t)63;
    len &= 63;
    if (len)
        memcpy(ctx->buf, p, len);
}

void crypto_sha256_final(crypto_sha256_t *ctx, uint8_t out[32])
{
    size_t fill = (size_t)(ctx->count & 63);
    uint64_t bits = ctx->count << 3;
    ctx->buf[fill++] = 0x80;
    if (fill > 56) {
        memset(ctx->buf + fill, 0, 64 - fill);
        sha256_blocks(ctx->state, ctx->buf, 1);
        fill = 0;
    }
    memset(ctx->buf + fill, 0, 56 - fill);
    ct_store64_be(ctx->buf + 56, bits);
    sha256_blocks(ctx->state, ctx->buf, 1);
    for (int i = 0; i < 8; i++)
        ct_store32_be(out + 4 * i, ctx->state[i]);
    crypto_wipe(ctx, sizeof *ctx);
}

void crypto_sha256(uint8_t out[32], const void *data, size_t len)
{
    crypto_sha256_t ctx;
    crypto_sha256_init(&ctx);
    crypto_sha256_update(&ctx, data, len);
    crypto_sha256_final(&ctx, out);
}
