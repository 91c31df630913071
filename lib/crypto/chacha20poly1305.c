/*
 * chacha20poly1305.c: ChaCha20, Poly1305 and their AEAD (RFC 8439).
 *
 * IMPLEMENTATION NOTES
 * ChaCha20 is add-rotate-xor on 32-bit words: constant time by nature, and
 * a good fit for the M33 (rotations are free in the barrel shifter).
 * Full 64-byte blocks are XORed straight from the block function; only a
 * message tail goes through ctx->stream, so streaming costs one extra copy
 * per update call, not per byte.
 *
 * On 64-bit little-endian hosts (CT_WIDE, see ct.h) whole blocks go four at
 * a time through 128-bit vectors written with GCC/clang vector extensions
 * (no intrinsics): 1.4x the scalar speed there; on x86-64 Linux the same C
 * is also compiled eight lanes wide for AVX2 (a target attribute) and used
 * when the CPU has AVX2, another 1.4x. The M33 always runs the scalar block
 * function.
 *
 * Poly1305 uses five 26-bit limbs ("donna-32") on the M33: every product is
 * a 32x32->64 UMULL/UMLAL, and the only carries are shifts and masks. On
 * CT_WIDE hosts it uses three 44/44/42-bit limbs and 64x64->128 products
 * ("donna-64"), kept in the same context words, and absorbs two blocks per
 * carry chain (h = (h + m1) r^2 + m2 r). The final reduction
 * computes h + 5 - 2^130 and selects it or h with a mask derived from the
 * sign bit, never with a branch.
 *
 * The AEAD MACs the ciphertext: on encryption after the XOR, on decryption
 * before it, so out == in works both ways. The one-shot decrypt makes two
 * passes (MAC, then decrypt) so unauthenticated plaintext is never written.
 */
#include <string.h>

#include "crypto.h"
#include "ct.h"

/* ---- ChaCha20 ---------------------------------------------------------------- */

#define QR(a, b, c, d)                                                        \
    do {                                                                      \
        a += b; d ^= a; d = ct_rotl32(d, 16);                                 \
        c += d; b ^= c; b = ct_rotl32(b, 12);                                 \
        a += b; d ^= a; d = ct_rotl32(d, 8);                                  \
        c += d; b ^= c; b = ct_rotl32(b, 7);                                  \
    } while (0)

/* One block of key stream for state `in` (counter in[12] is not advanced). */
static void chacha20_block(const uint32_t in[16], uint32_t x[16])
{
    uint32_t x0 = in[0], x1 = in[1], x2 = in[2], x3 = in[3];
    uint32_t x4 = in[4], x5 = in[5], x6 = in[6], x7 = in[7];
    uint32_t x8 = in[8], x9 = in[9], x10 = in[10], x11 = in[11];
    uint32_t x12 = in[12], x13 = in[13], x14 = in[14], x15 = in[15];
    for (int i = 0; i < 10; i++) {
        QR(x0, x4, x8, x12);
        QR(x1, x5, x9, x13);
        QR(x2, x6, x10, x14);
        QR(x3, x7, x11, x15);
        QR(x0, x5, x10, x15);
        QR(x1, x6, x11, x12);
        QR(x2, x7, x8, x13);
        QR(x3, x4, x9, x14);
    }
    x[0] = x0 + in[0]; x[1] = x1 + in[1]; x[2] = x2 + in[2];
    x[3] = x3 + in[3]; x[4] = x4 + in[4]; x[5] = x5 + in[5];
    x[6] = x6 + in[6]; x[7] = x7 + in[7]; x[8] = x8 + in[8];
    x[9] = x9 + in[9]; x[10] = x10 + in[10]; x[11] = x11 + in[11];
    x[12] = x12 + in[12]; x[13] = x13 + in[13]; x[14] = x14 + in[14];
    x[15] = x15 + in[15];
}

static void chacha20_setup(uint32_t in[16], const uint8_t key[32],
                           const uint8_t nonce[12], uint32_t counter)
{
    in[0] = 0x61707865; /* "expand 32-byte k" */
    in[1] = 0x3320646e;
    in[2] = 0x79622d32;
    in[3] = 0x6b206574;
    for (int i = 0; i < 8; i++)
        in[4 + i] = ct_load32_le(key + 4 * i);
    in[12] = counter;
    for (int i = 0; i < 3; i++)
        in[13 + i] = ct_load32_le(nonce + 4 * i);
}

#if CT_WIDE && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* 64-bit little-endian hosts: four blocks at a time in 128-bit vectors (GCC/clang vector
 * extensions, no intrinsics: SSE2 or NEON code comes out). Each vector lane
 * is one block; the counter differs per lane. */
typedef uint32_t v4u32 __attribute__((vector_size(16)));
typedef uint32_t v8u32 __attribute__((vector_size(32)));

#define VROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define VQR(a, b, c, d)                                                       \
    do {                                                                      \
        a += b; d ^= a; d = VROTL(d, 16);                                     \
        c += d; b ^= c; b = VROTL(b, 12);                                     \
        a += b; d ^= a; d = VROTL(d, 8);                                      \
        c += d; b ^= c; b = VROTL(b, 7);                                      \
    } while (0)

static void chacha20_xor4(uint32_t in[16], uint8_t *out, const uint8_t *src)
{
    v4u32 x[16], o[16];
    for (int i = 0; i < 16; i++)
        o[i] = (v4u32){in[i], in[i], in[i], in[i]};
    o[12] += (v4u32){0, 1, 2, 3};
    memcpy(x, o, sizeof x);
    for (int r = 0; r < 10; r++) {
        VQR(x[0], x[4], x[8], x[12]);
        VQR(x[1], x[5], x[9], x[13]);
        VQR(x[2], x[6], x[10], x[14]);
        VQR(x[3], x[7], x[11], x[15]);
        VQR(x[0], x[5], x[10], x[15]);
        VQR(x[1], x[6], x[11], x[12]);
        VQR(x[2], x[7], x[8], x[13]);
        VQR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        x[i] += o[i];
    for (int b = 0; b < 4; b++) {
        for (int i = 0; i < 16; i += 4) {
            /* lane b of four state words = 16 bytes of block b */
            v4u32 k = {x[i][b], x[i + 1][b], x[i + 2][b], x[i + 3][b]}, m;
            memcpy(&m, src + 64 * b + 4 * i, 16);
            m ^= k;
            memcpy(out + 64 * b + 4 * i, &m, 16);
        }
    }
    in[12] += 4;
    crypto_wipe(x, sizeof x);
    crypto_wipe(o, sizeof o);
}

/* Eight blocks in 256-bit vectors: only worth it where the compiler may use
 * AVX2 (as 2 x 128-bit it spills and is slower than four lanes). The same
 * C is compiled for AVX2 with a target attribute and used only when the
 * CPU reports AVX2; no assembly or intrinsics. */
#if defined(__x86_64__) && defined(__linux__)
__attribute__((target("avx2")))
static void chacha20_xor8_avx2(uint32_t in[16], uint8_t *out, const uint8_t *src)
{
    v8u32 x[16], o[16];
    for (int i = 0; i < 16; i++)
        o[i] = (v8u32){in[i], in[i], in[i], in[i], in[i], in[i], in[i], in[i]};
    o[12] += (v8u32){0, 1, 2, 3, 4, 5, 6, 7};
    memcpy(x, o, sizeof x);
    for (int r = 0; r < 10; r++) {
        VQR(x[0], x[4], x[8], x[12]);
        VQR(x[1], x[5], x[9], x[13]);
        VQR(x[2], x[6], x[10], x[14]);
        VQR(x[3], x[7], x[11], x[15]);
        VQR(x[0], x[5], x[10], x[15]);
        VQR(x[1], x[6], x[11], x[12]);
        VQR(x[2], x[7], x[8], x[13]);
        VQR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        x[i] += o[i];
    for (int b = 0; b < 8; b++) {
        for (int i = 0; i < 16; i += 4) {
            v4u32 k = {x[i][b], x[i + 1][b], x[i + 2][b], x[i + 3][b]}, m;
            memcpy(&m, src + 64 * b + 4 * i, 16);
            m ^= k;
            memcpy(out + 64 * b + 4 * i, &m, 16);
        }
    }
    in[12] += 8;
    crypto_wipe(x, sizeof x);
    crypto_wipe(o, sizeof o);
}

static void chacha20_xor_avx2(uint32_t in[16], uint8_t **out,
                              const uint8_t **src, size_t *nblocks)
{
    if (!__builtin_cpu_supports("avx2"))
        return;
    while (*nblocks >= 8) {
        chacha20_xor8_avx2(in, *out, *src);
        *out += 512;
        *src += 512;
        *nblocks -= 8;
    }
}
#else
static void chacha20_xor_avx2(uint32_t in[16], uint8_t **out,
                              const uint8_t **src, size_t *nblocks)
{
    (void)in, (void)out, (void)src, (void)nblocks;
}
#endif

static void chacha20_xor_wide(uint32_t in[16], uint8_t **out,
                              const uint8_t **src, size_t *nblocks)
{
    chacha20_xor_avx2(in, out, src, nblocks);
    while (*nblocks >= 4) {
        chacha20_xor4(in, *out, *src);
        *out += 256;
        *src += 256;
        *nblocks -= 4;
    }
}
#else
static void chacha20_xor_wide(uint32_t in[16], uint8_t **out,
                              const uint8_t **src, size_t *nblocks)
{
    (void)in, (void)out, (void)src, (void)nblocks; /* one block at a time */
}
#endif

/* XORs whole blocks of key stream into out, advancing in[12]. */
static void chacha20_xor_blocks(uint32_t in[16], uint8_t *out,
                                const uint8_t *src, size_t nblocks)
{
    uint32_t x[16];
    chacha20_xor_wide(in, &out, &src, &nblocks);
    while (nblocks--) {
        chacha20_block(in, x);
        in[12]++;
        for (int i = 0; i < 16; i++)
            ct_store32_le(out + 4 * i, ct_load32_le(src + 4 * i) ^ x[i]);
        out += 64;
        src += 64;
    }
    crypto_wipe(x, sizeof x);
}

static void chacha20_stream_block(uint32_t in[16], uint8_t stream[64])
{
    uint32_t x[16];
    chacha20_block(in, x);
    in[12]++;
    for (int i = 0; i < 16; i++)
        ct_store32_le(stream + 4 * i, x[i]);
    crypto_wipe(x, sizeof x);
}

void crypto_chacha20(uint8_t *out, const uint8_t *in, size_t len,
                     const uint8_t key[32], const uint8_t nonce[12],
                     uint32_t counter)
{
    uint32_t st[16];
    uint8_t tail[64];
    chacha20_setup(st, key, nonce, counter);
    chacha20_xor_blocks(st, out, in, len / 64);
    if (len & 63) {
        size_t off = len & ~(size_t)63;
        chacha20_stream_block(st, tail);
        for (size_t i = 0; i < (len & 63); i++)
            out[off + i] = in[off + i] ^ tail[i];
        crypto_wipe(tail, sizeof tail);
    }
    crypto_wipe(st, sizeof st);
}

/* ---- Poly1305 ------------------------------------------------------------------ */

#if CT_WIDE
/* 64-bit hosts: three limbs of 44, 44 and 42 bits ("donna-64"), 64x64->128
 * products; r and h live in the context's 32-bit words as pairs. */
typedef unsigned __int128 u128;
#define M44 0xfffffffffffULL
#define M42 0x3ffffffffffULL

static void poly1305_blocks(crypto_poly1305_t *ctx, const uint8_t *m,
                            size_t nblocks, uint32_t hibit)
{
    const uint64_t r0 = ctx->r[0] | (uint64_t)ctx->r[1] << 32;
    const uint64_t r1 = ctx->r[2] | (uint64_t)ctx->r[3] << 32;
    const uint64_t r2 = ctx->r[4] | (uint64_t)ctx->r[5] << 32;
    const uint64_t s1 = r1 * 20, s2 = r2 * 20;
    const uint64_t hb = (uint64_t)(hibit >> 24) << 40;
    uint64_t h0 = ctx->h[0] | (uint64_t)ctx->h[1] << 32;
    uint64_t h1 = ctx->h[2] | (uint64_t)ctx->h[3] << 32;
    uint64_t h2 = ctx->h[4] | (uint64_t)ctx->h[5] << 32;

    if (nblocks >= 2) {
        /* Two blocks per step: h = (h + m1) r^2 + m2 r, one carry chain
         * per pair instead of per block (the chain is the critical path). */
        uint64_t q0, q1, q2, qs1, qs2, c;
        u128 d0, d1, d2;
        d0 = (u128)r0 * r0 + (u128)r1 * s2 + (u128)r2 * s1;
        d1 = (u128)r0 * r1 + (u128)r1 * r0 + (u128)r2 * s2;
        d2 = (u128)r0 * r2 + (u128)r1 * r1 + (u128)r2 * r0;
        c = (uint64_t)(d0 >> 44); q0 = (uint64_t)d0 & M44;
        d1 += c; c = (uint64_t)(d1 >> 44); q1 = (uint64_t)d1 & M44;
        d2 += c; c = (uint64_t)(d2 >> 42); q2 = (uint64_t)d2 & M42;
        q0 += c * 5; c = q0 >> 44; q0 &= M44;
        q1 += c;
        qs1 = q1 * 20;
        qs2 = q2 * 20;
        while (nblocks >= 2) {
            uint64_t t0 = ct_load64_le(m), t1 = ct_load64_le(m + 8);
            uint64_t u0 = ct_load64_le(m + 16), u1 = ct_load64_le(m + 24);
            uint64_t n0, n1, n2;
            h0 += t0 & M44;
            h1 += ((t0 >> 44) | (t1 << 20)) & M44;
            h2 += ((t1 >> 24) & M42) | hb;
            n0 = u0 & M44;
            n1 = ((u0 >> 44) | (u1 << 20)) & M44;
            n2 = ((u1 >> 24) & M42) | hb;
            d0 = (u128)h0 * q0 + (u128)h1 * qs2 + (u128)h2 * qs1 +
                 (u128)n0 * r0 + (u128)n1 * s2 + (u128)n2 * s1;
            d1 = (u128)h0 * q1 + (u128)h1 * q0 + (u128)h2 * qs2 +
                 (u128)n0 * r1 + (u128)n1 * r0 + (u128)n2 * s2;
            d2 = (u128)h0 * q2 + (u128)h1 * q1 + (u128)h2 * q0 +
                 (u128)n0 * r2 + (u128)n1 * r1 + (u128)n2 * r0;
            c = (uint64_t)(d0 >> 44); h0 = (uint64_t)d0 & M44;
            d1 += c; c = (uint64_t)(d1 >> 44); h1 = (uint64_t)d1 & M44;
            d2 += c; c = (uint64_t)(d2 >> 42); h2 = (uint64_t)d2 & M42;
            h0 += c * 5; c = h0 >> 44; h0 &= M44;
            h1 += c;
            m += 32;
            nblocks -= 2;
        }
    }
    while (nblocks--) {
        uint64_t t0 = ct_load64_le(m), t1 = ct_load64_le(m + 8), c;
        u128 d0, d1, d2;
        h0 += t0 & M44;
        h1 += ((t0 >> 44) | (t1 << 20)) & M44;
        h2 += ((t1 >> 24) & M42) | hb;
        d0 = (u128)h0 * r0 + (u128)h1 * s2 + (u128)h2 * s1;
        d1 = (u128)h0 * r1 + (u128)h1 * r0 + (u128)h2 * s2;
        d2 = (u128)h0 * r2 + (u128)h1 * r1 + (u128)h2 * r0;
        c = (uint64_t)(d0 >> 44); h0 = (uint64_t)d0 & M44;
        d1 += c; c = (uint64_t)(d1 >> 44); h1 = (uint64_t)d1 & M44;
        d2 += c; c = (uint64_t)(d2 >> 42); h2 = (uint64_t)d2 & M42;
        h0 += c * 5; c = h0 >> 44; h0 &= M44;
        h1 += c;
        m += 16;
    }
    ctx->h[0] = (uint32_t)h0; ctx->h[1] = (uint32_t)(h0 >> 32);
    ctx->h[2] = (uint32_t)h1; ctx->h[3] = (uint32_t)(h1 >> 32);
    ctx->h[4] = (uint32_t)h2; ctx->h[5] = (uint32_t)(h2 >> 32);
}

void crypto_poly1305_init(crypto_poly1305_t *ctx, const uint8_t key[32])
{
    uint64_t t0 = ct_load64_le(key), t1 = ct_load64_le(key + 8);
    uint64_t r[3];
    r[0] = t0 & 0xffc0fffffffULL;
    r[1] = ((t0 >> 44) | (t1 << 20)) & 0xfffffc0ffffULL;
    r[2] = (t1 >> 24) & 0x00ffffffc0fULL;
    for (int i = 0; i < 3; i++) {
        ctx->r[2 * i] = (uint32_t)r[i];
        ctx->r[2 * i + 1] = (uint32_t)(r[i] >> 32);
    }
    for (int i = 0; i < 6; i++)
        ctx->h[i] = 0;
    for (int i = 0; i < 4; i++)
        ctx->pad[i] = ct_load32_le(key + 16 + 4 * i);
    ctx->fill = 0;
}

static void poly1305_finish(crypto_poly1305_t *ctx, uint8_t tag[16])
{
    uint64_t h0 = ctx->h[0] | (uint64_t)ctx->h[1] << 32;
    uint64_t h1 = ctx->h[2] | (uint64_t)ctx->h[3] << 32;
    uint64_t h2 = ctx->h[4] | (uint64_t)ctx->h[5] << 32;
    uint64_t t0 = ctx->pad[0] | (uint64_t)ctx->pad[1] << 32;
    uint64_t t1 = ctx->pad[2] | (uint64_t)ctx->pad[3] << 32;
    uint64_t c, g0, g1, g2, mask;

    c = h1 >> 44; h1 &= M44; h2 += c;
    c = h2 >> 42; h2 &= M42; h0 += c * 5;
    c = h0 >> 44; h0 &= M44; h1 += c;
    c = h1 >> 44; h1 &= M44; h2 += c;
    c = h2 >> 42; h2 &= M42; h0 += c * 5;
    c = h0 >> 44; h0 &= M44; h1 += c;

    /* g = h + 5 - 2^130; keep g if it did not go negative. */
    g0 = h0 + 5; c = g0 >> 44; g0 &= M44;
    g1 = h1 + c; c = g1 >> 44; g1 &= M44;
    g2 = h2 + c - ((uint64_t)1 << 42);
    mask = (g2 >> 63) - 1;
    h0 = (h0 & ~mask) | (g0 & mask);
    h1 = (h1 & ~mask) | (g1 & mask);
    h2 = (h2 & ~mask) | (g2 & mask);

    h0 += t0 & M44; c = h0 >> 44; h0 &= M44;
    h1 += (((t0 >> 44) | (t1 << 20)) & M44) + c; c = h1 >> 44; h1 &= M44;
    h2 += ((t1 >> 24) & M42) + c; h2 &= M42;
    ct_store64_le(tag, h0 | (h1 << 44));
    ct_store64_le(tag + 8, (h1 >> 20) | (h2 << 24));
}
#else
#define M26 0x3ffffffu

static void poly1305_blocks(crypto_poly1305_t *ctx, const uint8_t *m,
                            size_t nblocks, uint32_t hibit)
{
    const uint32_t r0 = ctx->r[0], r1 = ctx->r[1], r2 = ctx->r[2];
    const uint32_t r3 = ctx->r[3], r4 = ctx->r[4];
    const uint32_t s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
    uint32_t h0 = ctx->h[0], h1 = ctx->h[1], h2 = ctx->h[2];
    uint32_t h3 = ctx->h[3], h4 = ctx->h[4];

    while (nblocks--) {
        uint64_t d0, d1, d2, d3, d4;
        uint32_t c;
        h0 += ct_load32_le(m) & M26;
        h1 += (ct_load32_le(m + 3) >> 2) & M26;
        h2 += (ct_load32_le(m + 6) >> 4) & M26;
        h3 += (ct_load32_le(m + 9) >> 6) & M26;
        h4 += (ct_load32_le(m + 12) >> 8) | hibit;

        d0 = (uint64_t)h0 * r0 + (uint64_t)h1 * s4 + (uint64_t)h2 * s3 +
             (uint64_t)h3 * s2 + (uint64_t)h4 * s1;
        d1 = (uint64_t)h0 * r1 + (uint64_t)h1 * r0 + (uint64_t)h2 * s4 +
             (uint64_t)h3 * s3 + (uint64_t)h4 * s2;
        d2 = (uint64_t)h0 * r2 + (uint64_t)h1 * r1 + (uint64_t)h2 * r0 +
             (uint64_t)h3 * s4 + (uint64_t)h4 * s3;
        d3 = (uint64_t)h0 * r3 + (uint64_t)h1 * r2 + (uint64_t)h2 * r1 +
             (uint64_t)h3 * r0 + (uint64_t)h4 * s4;
        d4 = (uint64_t)h0 * r4 + (uint64_t)h1 * r3 + (uint64_t)h2 * r2 +
             (uint64_t)h3 * r1 + (uint64_t)h4 * r0;

        c = (uint32_t)(d0 >> 26); h0 = (uint32_t)d0 & M26;
        d1 += c; c = (uint32_t)(d1 >> 26); h1 = (uint32_t)d1 & M26;
        d2 += c; c = (uint32_t)(d2 >> 26); h2 = (uint32_t)d2 & M26;
        d3 += c; c = (uint32_t)(d3 >> 26); h3 = (uint32_t)d3 & M26;
        d4 += c; c = (uint32_t)(d4 >> 26); h4 = (uint32_t)d4 & M26;
        h0 += c * 5; c = h0 >> 26; h0 &= M26;
        h1 += c;
        m += 16;
    }
    ctx->h[0] = h0; ctx->h[1] = h1; ctx->h[2] = h2;
    ctx->h[3] = h3; ctx->h[4] = h4;
}

void crypto_poly1305_init(crypto_poly1305_t *ctx, const uint8_t key[32])
{
    ctx->r[0] = ct_load32_le(key) & 0x3ffffff;
    ctx->r[1] = (ct_load32_le(key + 3) >> 2) & 0x3ffff03;
    ctx->r[2] = (ct_load32_le(key + 6) >> 4) & 0x3ffc0ff;
    ctx->r[3] = (ct_load32_le(key + 9) >> 6) & 0x3f03fff;
    ctx->r[4] = (ct_load32_le(key + 12) >> 8) & 0x00fffff;
    for (int i = 0; i < 6; i++)
        ctx->h[i] = 0;
    for (int i = 0; i < 4; i++)
        ctx->pad[i] = ct_load32_le(key + 16 + 4 * i);
    ctx->fill = 0;
}

static void poly1305_finish(crypto_poly1305_t *ctx, uint8_t tag[16])
{
    uint32_t h0, h1, h2, h3, h4, c, g0, g1, g2, g3, g4, mask;
    uint64_t f;

    h0 = ctx->h[0]; h1 = ctx->h[1]; h2 = ctx->h[2];
    h3 = ctx->h[3]; h4 = ctx->h[4];

    c = h1 >> 26; h1 &= M26;
    h2 += c; c = h2 >> 26; h2 &= M26;
    h3 += c; c = h3 >> 26; h3 &= M26;
    h4 += c; c = h4 >> 26; h4 &= M26;
    h0 += c * 5; c = h0 >> 26; h0 &= M26;
    h1 += c;

    /* g = h + 5 - 2^130; keep g if it did not go negative. */
    g0 = h0 + 5; c = g0 >> 26; g0 &= M26;
    g1 = h1 + c; c = g1 >> 26; g1 &= M26;
    g2 = h2 + c; c = g2 >> 26; g2 &= M26;
    g3 = h3 + c; c = g3 >> 26; g3 &= M26;
    g4 = h4 + c - (1u << 26);
    mask = (g4 >> 31) - 1; /* all ones if g >= 0 */
    h0 = (h0 & ~mask) | (g0 & mask);
    h1 = (h1 & ~mask) | (g1 & mask);
    h2 = (h2 & ~mask) | (g2 & mask);
    h3 = (h3 & ~mask) | (g3 & mask);
    h4 = (h4 & ~mask) | (g4 & mask);

    h0 = h0 | (h1 << 26);
    h1 = (h1 >> 6) | (h2 << 20);
    h2 = (h2 >> 12) | (h3 << 14);
    h3 = (h3 >> 18) | (h4 << 8);

    f = (uint64_t)h0 + ctx->pad[0]; ct_store32_le(tag, (uint32_t)f);
    f = (uint64_t)h1 + ctx->pad[1] + (f >> 32); ct_store32_le(tag + 4, (uint32_t)f);
    f = (uint64_t)h2 + ctx->pad[2] + (f >> 32); ct_store32_le(tag + 8, (uint32_t)f);
    f = (uint64_t)h3 + ctx->pad[3] + (f >> 32); ct_store32_le(tag + 12, (uint32_t)f);
}
#endif

void crypto_poly1305_update(crypto_poly1305_t *ctx, const void *data,
                            size_t len)
{
    const uint8_t *m = data;
    if (len == 0)
        return;
    if (ctx->fill) {
        size_t n = 16 - ctx->fill;
        if (len < n) {
            memcpy(ctx->buf + ctx->fill, m, len);
            ctx->fill += len;
            return;
        }
        memcpy(ctx->buf + ctx->fill, m, n);
        poly1305_blocks(ctx, ctx->buf, 1, 1u << 24);
        ctx->fill = 0;
        m += n;
        len -= n;
    }
    poly1305_blocks(ctx, m, len / 16, 1u << 24);
    m += len & ~(size_t)15;
    len &= 15;
    if (len) {
        memcpy(ctx->buf, m, len);
        ctx->fill = len;
    }
}

void crypto_poly1305_final(crypto_poly1305_t *ctx, uint8_t tag[16])
{
    if (ctx->fill) {
        /* The padding 1 bit goes right after the message, so hibit is 0. */
        ctx->buf[ctx->fill] = 1;
        memset(ctx->buf + ctx->fill + 1, 0, 15 - ctx->fill);
        poly1305_blocks(ctx, ctx->buf, 1, 0);
    }
    poly1305_finish(ctx, tag);
    crypto_wipe(ctx, sizeof *ctx);
}

/* ---- AEAD ------------------------------------------------------------------------ */

static const uint8_t zeros16[16];

static void aead_pad16(crypto_poly1305_t *mac, uint64_t len)
{
    crypto_poly1305_update(mac, zeros16, (size_t)((16 - (len & 15)) & 15));
}

void crypto_chacha20poly1305_init(crypto_chacha20poly1305_t *ctx,
                                  const uint8_t key[32],
                                  const uint8_t nonce[12], const void *ad,
                                  size_t ad_len)
{
    chacha20_setup(ctx->input, key, nonce, 0);
    chacha20_stream_block(ctx->input, ctx->stream); /* block 0: MAC key */
    crypto_poly1305_init(&ctx->mac, ctx->stream);
    ctx->used = 64;
    crypto_poly1305_update(&ctx->mac, ad, ad_len);
    aead_pad16(&ctx->mac, ad_len);
    ctx->ad_len = ad_len;
    ctx->text_len = 0;
}

/* XORs the key stream into in -> out, continuing where the last call left. */
static void aead_xor(crypto_chacha20poly1305_t *ctx, uint8_t *out,
                     const uint8_t *in, size_t len)
{
    while (len && ctx->used < 64) {
        *out++ = *in++ ^ ctx->stream[ctx->used++];
        len--;
    }
    chacha20_xor_blocks(ctx->input, out, in, len / 64);
    out += len & ~(size_t)63;
    in += len & ~(size_t)63;
    len &= 63;
    if (len) {
        chacha20_stream_block(ctx->input, ctx->stream);
        for (size_t i = 0; i < len; i++)
            out[i] = in[i] ^ ctx->stream[i];
        ctx->used = len;
    }
}

void crypto_chacha20poly1305_encrypt_update(crypto_chacha20poly1305_t *ctx,
                                            uint8_t *out, const uint8_t *in,
                                            size_t len)
{
    aead_xor(ctx, out, in, len);
    crypto_poly1305_update(&ctx->mac, out, len);
    ctx->text_len += len;
}

void crypto_chacha20poly1305_decrypt_update(crypto_chacha20poly1305_t *ctx,
                                            uint8_t *out, const uint8_t *in,
                                            size_t len)
{
    crypto_poly1305_update(&ctx->mac, in, len);
    aead_xor(ctx, out, in, len);
    ctx->text_len += len;
}

static void aead_tag(crypto_chacha20poly1305_t *ctx, uint8_t tag[16])
{
    uint8_t lens[16];
    aead_pad16(&ctx->mac, ctx->text_len);
    ct_store64_le(lens, ctx->ad_len);
    ct_store64_le(lens + 8, ctx->text_len);
    crypto_poly1305_update(&ctx->mac, lens, 16);
    crypto_poly1305_final(&ctx->mac, tag);
    crypto_wipe(ctx, sizeof *ctx);
}

void crypto_chacha20poly1305_encrypt_final(crypto_chacha20poly1305_t *ctx,
                                           uint8_t tag[16])
{
    aead_tag(ctx, tag);
}

int crypto_chacha20poly1305_decrypt_final(crypto_chacha20poly1305_t *ctx,
                                          const uint8_t tag[16])
{
    uint8_t mine[16];
    int rc;
    aead_tag(ctx, mine);
    rc = crypto_verify(mine, tag, 16);
    crypto_wipe(mine, sizeof mine);
    return rc;
}

void crypto_chacha20poly1305_encrypt(uint8_t *ct, uint8_t tag[16],
                                     const uint8_t key[32],
                                     const uint8_t nonce[12], const void *ad,
                                     size_t ad_len, const uint8_t *pt,
                                     size_t len)
{
    crypto_chacha20poly1305_t ctx;
    crypto_chacha20poly1305_init(&ctx, key, nonce, ad, ad_len);
    crypto_chacha20poly1305_encrypt_update(&ctx, ct, pt, len);
    crypto_chacha20poly1305_encrypt_final(&ctx, tag);
}

int crypto_chacha20poly1305_decrypt(uint8_t *pt, const uint8_t key[32],
                                    const uint8_t nonce[12], const void *ad,
                                    size_t ad_len, const uint8_t *ct,
                                    size_t len, const uint8_t tag[16])
{
    crypto_chacha20poly1305_t ctx;
    uint8_t mine[16];
    int rc;

    crypto_chacha20poly1305_init(&ctx, key, nonce, ad, ad_len);
    crypto_poly1305_update(&ctx.mac, ct, len);
    ctx.text_len = len;
    {
        /* aead_tag wipes ctx, so keep the cipher state for the 2nd pass. */
        uint32_t input[16];
        memcpy(input, ctx.input, sizeof input);
        aead_tag(&ctx, mine);
        rc = crypto_verify(mine, tag, 16);
        if (rc == CRYPTO_OK) {
            chacha20_xor_blocks(input, pt, ct, len / 64);
            if (len & 63) {
                size_t off = len & ~(size_t)63;
                chacha20_stream_block(input, ctx.stream);
                for (size_t i = 0; i < (len & 63); i++)
                    pt[off + i] = ct[off + i] ^ ctx.stream[i];
            }
        }
        crypto_wipe(input, sizeof input);
    }
    crypto_wipe(&ctx, sizeof ctx);
    crypto_wipe(mine, sizeof mine);
    return rc;
}
