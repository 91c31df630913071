/*
 * sha512.c: SHA-512 (FIPS 180-4).
 *
 * IMPLEMENTATION NOTES
 * A rolled loop over a 16-word schedule ring. On the M33 every 64-bit
 * operation is two or three instructions and the eight working variables
 * (16 words) do not fit in registers anyway, so the 8-way unrolling used
 * for SHA-256 bought little here and cost 4 KiB of flash: the whole library
 * must fit in 24 KiB. The working variables live in an array whose names
 * rotate by one slot per round (V(n) below), so nothing is moved. The byte count
 * is 64 bits: inputs are limited to 2^61 - 1 bytes, and the high word of the
 * 128-bit length field is always the top three bits of that count.
 */
#include <string.h>

#include "crypto.h"
#include "ct.h"

static const uint64_t K[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL,
    0xe9b5dba58189dbbcULL, 0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL,
    0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL, 0xd807aa98a3030242ULL,
    0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL,
    0xc19bf174cf692694ULL, 0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL,
    0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL, 0x2de92c6f592b0275ULL,
    0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL,
    0xbf597fc7beef0ee4ULL, 0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL,
    0x06ca6351e003826fULL, 0x142929670a0e6e70ULL, 0x27b70a8546d22ffcULL,
    0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL,
    0x92722c851482353bULL, 0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL,
    0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL, 0xd192e819d6ef5218ULL,
    0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL,
    0x34b0bcb5e19b48a8ULL, 0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL,
    0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL, 0x748f82ee5defb2fcULL,
    0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL,
    0xc67178f2e372532bULL, 0xca273eceea26619cULL, 0xd186b8c721c0c207ULL,
    0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL, 0x06f067aa72176fbaULL,
    0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL,
    0x431d67c49c100d4cULL, 0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL,
    0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

#define S0(x) (ct_rotr64(x, 28) ^ ct_rotr64(x, 34) ^ ct_rotr64(x, 39))
#define S1(x) (ct_rotr64(x, 14) ^ ct_rotr64(x, 18) ^ ct_rotr64(x, 41))
#define s0(x) (ct_rotr64(x, 1) ^ ct_rotr64(x, 8) ^ ((x) >> 7))
#define s1(x) (ct_rotr64(x, 19) ^ ct_rotr64(x, 61) ^ ((x) >> 6))
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))

/* Working variable n (a = 0 .. h = 7) of round i: instead of moving eight
 * words each round, the names rotate over the array (80 % 8 == 0, so they
 * are back in place at the end). */
#define V(n) v[((n) - i) & 7]

/* On 64-bit hosts flash is free and unrolling by 8 lets the compiler turn
 * V(n) into fixed registers (~35% faster there); the M33 keeps the loop. */
#if CT_WIDE
#define SHA512_UNROLL _Pragma("GCC unroll 8")
#else
#define SHA512_UNROLL
#endif

static void sha512_blocks(uint64_t st[8], const uint8_t *p, size_t nblocks)
{
    uint64_t W[16], v[8];
    while (nblocks--) {
        memcpy(v, st, sizeof v);
        for (int i = 0; i < 16; i++)
            W[i] = ct_load64_be(p + 8 * i);
        SHA512_UNROLL
        for (int i = 0; i < 80; i++) {
            uint64_t t1, t2;
            if (i >= 16)
                W[i & 15] += s1(W[(i - 2) & 15]) + W[(i - 7) & 15] +
                             s0(W[(i - 15) & 15]);
            t1 = V(7) + S1(V(4)) + CH(V(4), V(5), V(6)) + K[i] + W[i & 15];
            t2 = S0(V(0)) + MAJ(V(0), V(1), V(2));
            V(3) += t1;
            V(7) = t1 + t2;
        }
        for (int i = 0; i < 8; i++)
            st[i] += v[i];
        p += 128;
    }
    crypto_wipe(W, sizeof W);
    crypto_wipe(v, sizeof v);
}

void crypto_sha512_init(crypto_sha512_t *ctx)
{
    static const uint64_t iv[8] = {
        0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
        0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
        0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
    };
    memcpy(ctx->state, iv, sizeof iv);
    ctx->count = 0;
}

void crypto_sha512_update(crypto_sha512_t *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t fill = (size_t)(ctx->count & 127);
    if (len == 0)
        return; /* data may be NULL: keep it away from memcpy */
    ctx->count += len;
    if (fill) {
        size_t n = 128 - fill;
        if (len < n) {
            memcpy(ctx->buf + fill, p, len);
            return;
        }
        memcpy(ctx->buf + fill, p, n);
        sha512_blocks(ctx->state, ctx->buf, 1);
        p += n;
        len -= n;
    }
    sha512_blocks(ctx->state, p, len / 128);
    p += len & ~(size_t)127;
    len &= 127;
    if (len)
        memcpy(ctx->buf, p, len);
}

void crypto_sha512_final(crypto_sha512_t *ctx, uint8_t out[64])
{
    size_t fill = (size_t)(ctx->count & 127);
    ctx->buf[fill++] = 0x80;
    if (fill > 112) {
        memset(ctx->buf + fill, 0, 128 - fill);
        sha512_blocks(ctx->state, ctx->buf, 1);
        fill = 0;
    }
    memset(ctx->buf + fill, 0, 112 - fill);
    ct_store64_be(ctx->buf + 112, ctx->count >> 61);
    ct_store64_be(ctx->buf + 120, ctx->count << 3);
    sha512_blocks(ctx->state, ctx->buf, 1);
    for (int i = 0; i < 8; i++)
        ct_store64_be(out + 8 * i, ctx->state[i]);
    crypto_wipe(ctx, sizeof *ctx);
}

void crypto_sha512(uint8_t out[64], const void *data, size_t len)
{
    crypto_sha512_t ctx;
    crypto_sha512_init(&ctx);
    crypto_sha512_update(&ctx, data, len);
    crypto_sha512_final(&ctx, out);
}
