/*
 * aes_gcm.c: AES-128 (FIPS 197) and GCM (NIST SP 800-38D).
 *
 * IMPLEMENTATION NOTES
 * AES is bitsliced on 32-bit words in the style of BearSSL's aes_ct: two
 * blocks are transposed ("ortho") into eight words, one per bit position,
 * and the S-box is evaluated as Boyar and Peralta's 113-gate circuit of
 * AND/XOR/NOT. No table is ever indexed, so there is no cache or timing
 * channel on the key or the data; the price is speed (two blocks per ~3,000
 * word operations), which is acceptable for a device that mostly uses
 * ChaCha20-Poly1305. The key schedule runs the same bitsliced S-box and is
 * stored already bitsliced (88 words), so each CTR call is transpose, ten
 * rounds, transpose.
 *
 * GHASH multiplies in GF(2^128) with integer multiplications whose operands
 * have "holes" (BearSSL's ghash_ctmul64 technique): masking every fourth
 * bit keeps the carries of a 64x64 multiply out of the bits that matter, so
 * sixteen ordinary multiplies give a carry-less product. The M33's
 * multiplier is constant time, and there are no tables. Bit-reversal yields
 * the high halves, Karatsuba saves a quarter of the products, and the
 * reduction is shifts and XORs.
 *
 * GCM encrypts with CTR from J0 + 1 and MACs the ciphertext; streaming keeps
 * 32 bytes of key stream and one partial GHASH block in the context. The
 * one-shot decrypt hashes first and decrypts only if the tag matches.
 */
#include <string.h>

#include "crypto.h"
#include "ct.h"

/* ---- Bitsliced AES ---------------------------------------------------------------- */

static void aes_sbox(uint32_t *q)
{
    uint32_t x0, x1, x2, x3, x4, x5, x6, x7;
    uint32_t y1, y2, y3, y4, y5, y6, y7, y8, y9, y10, y11, y12, y13, y14;
    uint32_t y15, y16, y17, y18, y19, y20, y21;
    uint32_t z0, z1, z2, z3, z4, z5, z6, z7, z8, z9, z10, z11, z12, z13;
    uint32_t z14, z15, z16, z17;
    uint32_t t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13;
    uint32_t t14, t15, t16, t17, t18, t19, t20, t21, t22, t23, t24, t25;
    uint32_t t26, t27, t28, t29, t30, t31, t32, t33, t34, t35, t36, t37;
    uint32_t t38, t39, t40, t41, t42, t43, t44, t45, t46, t47, t48, t49;
    uint32_t t50, t51, t52, t53, t54, t55, t56, t57, t58, t59, t60, t61;
    uint32_t t62, t63, t64, t65, t66, t67;
    uint32_t s0, s1, s2, s3, s4, s5, s6, s7;

    /* x0 is the most significant bit. */
    x0 = q[7]; x1 = q[6]; x2 = q[5]; x3 = q[4];
    x4 = q[3]; x5 = q[2]; x6 = q[1]; x7 = q[0];

    /* top linear layer */
    y14 = x3 ^ x5; y13 = x0 ^ x6; y9 = x0 ^ x3; y8 = x0 ^ x5;
    t0 = x1 ^ x2; y1 = t0 ^ x7; y4 = y1 ^ x3; y12 = y13 ^ y14;
    y2 = y1 ^ x0; y5 = y1 ^ x6; y3 = y5 ^ y8; t1 = x4 ^ y12;
    y15 = t1 ^ x5; y20 = t1 ^ x1; y6 = y15 ^ x7; y10 = y15 ^ t0;
    y11 = y20 ^ y9; y7 = x7 ^ y11; y17 = y10 ^ y11; y19 = y10 ^ y8;
    y16 = t0 ^ y11; y21 = y13 ^ y16; y18 = x0 ^ y16;

    /* non-linear middle: inversion in GF(2^4)^2 */
    t2 = y12 & y15; t3 = y3 & y6; t4 = t3 ^ t2; t5 = y4 & x7;
    t6 = t5 ^ t2; t7 = y13 & y16; t8 = y5 & y1; t9 = t8 ^ t7;
    t10 = y2 & y7; t11 = t10 ^ t7; t12 = y9 & y11; t13 = y14 & y17;
    t14 = t13 ^ t12; t15 = y8 & y10; t16 = t15 ^ t12; t17 = t4 ^ t14;
    t18 = t6 ^ t16; t19 = t9 ^ t14; t20 = t11 ^ t16; t21 = t17 ^ y20;
    t22 = t18 ^ y19; t23 = t19 ^ y21; t24 = t20 ^ y18;
    t25 = t21 ^ t22; t26 = t21 & t23; t27 = t24 ^ t26; t28 = t25 & t27;
    t29 = t28 ^ t22; t30 = t23 ^ t24; t31 = t22 ^ t26; t32 = t31 & t30;
    t33 = t32 ^ t24; t34 = t23 ^ t33; t35 = t27 ^ t33; t36 = t24 & t35;
    t37 = t36 ^ t34; t38 = t27 ^ t36; t39 = t29 & t38; t40 = t25 ^ t39;
    t41 = t40 ^ t37; t42 = t29 ^ t33; t43 = t29 ^ t40; t44 = t33 ^ t37;
    t45 = t42 ^ t41;
    z0 = t44 & y15; z1 = t37 & y6; z2 = t33 & x7; z3 = t43 & y16;
    z4 = t40 & y1; z5 = t29 & y7; z6 = t42 & y11; z7 = t45 & y17;
    z8 = t41 & y10; z9 = t44 & y12; z10 = t37 & y3; z11 = t33 & y4;
    z12 = t43 & y13; z13 = t40 & y5; z14 = t29 & y2; z15 = t42 & y9;
    z16 = t45 & y14; z17 = t41 & y8;

    /* bottom linear layer (with the affine constant folded in as NOTs) */
    t46 = z15 ^ z16; t47 = z10 ^ z11; t48 = z5 ^ z13; t49 = z9 ^ z10;
    t50 = z2 ^ z12; t51 = z2 ^ z5; t52 = z7 ^ z8; t53 = z0 ^ z3;
    t54 = z6 ^ z7; t55 = z16 ^ z17; t56 = z12 ^ t48; t57 = t50 ^ t53;
    t58 = z4 ^ t46; t59 = z3 ^ t54; t60 = t46 ^ t57; t61 = z14 ^ t57;
    t62 = t52 ^ t58; t63 = t49 ^ t58; t64 = z4 ^ t59; t65 = t61 ^ t62;
    t66 = z1 ^ t63; s0 = t59 ^ t63; s6 = t56 ^ ~t62; s7 = t48 ^ ~t60;
    t67 = t64 ^ t65; s3 = t53 ^ t66; s4 = t51 ^ t66; s5 = t47 ^ t65;
    s1 = t64 ^ ~s3; s2 = t55 ^ ~t67;

    q[7] = s0; q[6] = s1; q[5] = s2; q[4] = s3;
    q[3] = s4; q[2] = s5; q[1] = s6; q[0] = s7;
}

static void swapn(uint32_t *x, uint32_t *y, uint32_t cl, unsigned s)
{
    uint32_t a = *x, b = *y, ch = ~cl;
    *x = (a & cl) | ((b & cl) << s);
    *y = ((a & ch) >> s) | (b & ch);
}

/* Transposes eight words (two interleaved blocks) to and from bitsliced
 * form; it is an involution. */
static void aes_ortho(uint32_t q[8])
{
    for (int i = 0; i < 8; i += 2)
        swapn(&q[i], &q[i + 1], 0x55555555, 1);
    for (int i = 0; i < 8; i += 4) {
        swapn(&q[i], &q[i + 2], 0x33333333, 2);
        swapn(&q[i + 1], &q[i + 3], 0x33333333, 2);
    }
    for (int i = 0; i < 4; i++)
        swapn(&q[i], &q[i + 4], 0x0F0F0F0F, 4);
}

static void aes_shift_rows(uint32_t q[8])
{
    for (int i = 0; i < 8; i++) {
        uint32_t x = q[i];
        q[i] = (x & 0x000000FF) | ((x & 0x0000FC00) >> 2) |
               ((x & 0x00000300) << 6) | ((x & 0x00F00000) >> 4) |
               ((x & 0x000F0000) << 4) | ((x & 0xC0000000) >> 6) |
               ((x & 0x3F000000) << 2);
    }
}

static uint32_t rotr16(uint32_t x) { return (x << 16) | (x >> 16); }

static void aes_mix_columns(uint32_t q[8])
{
    uint32_t q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
    uint32_t q4 = q[4], q5 = q[5], q6 = q[6], q7 = q[7];
    uint32_t r0 = ct_rotr32(q0, 8), r1 = ct_rotr32(q1, 8);
    uint32_t r2 = ct_rotr32(q2, 8), r3 = ct_rotr32(q3, 8);
    uint32_t r4 = ct_rotr32(q4, 8), r5 = ct_rotr32(q5, 8);
    uint32_t r6 = ct_rotr32(q6, 8), r7 = ct_rotr32(q7, 8);

    q[0] = q7 ^ r7 ^ r0 ^ rotr16(q0 ^ r0);
    q[1] = q0 ^ r0 ^ q7 ^ r7 ^ r1 ^ rotr16(q1 ^ r1);
    q[2] = q1 ^ r1 ^ r2 ^ rotr16(q2 ^ r2);
    q[3] = q2 ^ r2 ^ q7 ^ r7 ^ r3 ^ rotr16(q3 ^ r3);
    q[4] = q3 ^ r3 ^ q7 ^ r7 ^ r4 ^ rotr16(q4 ^ r4);
    q[5] = q4 ^ r4 ^ r5 ^ rotr16(q5 ^ r5);
    q[6] = q5 ^ r5 ^ r6 ^ rotr16(q6 ^ r6);
    q[7] = q6 ^ r6 ^ r7 ^ rotr16(q7 ^ r7);
}

static void aes_add_round_key(uint32_t q[8], const uint32_t *rk)
{
    for (int i = 0; i < 8; i++)
        q[i] ^= rk[i];
}

/* S-box of the four bytes of x, through the bitsliced circuit. */
static uint32_t aes_sub_word(uint32_t x)
{
    uint32_t q[8];
    for (int i = 0; i < 8; i++)
        q[i] = x;
    aes_ortho(q);
    aes_sbox(q);
    aes_ortho(q);
    x = q[0];
    crypto_wipe(q, sizeof q);
    return x;
}

/* rk[88]: the eleven round keys in bitsliced form (both lanes equal). */
static void aes128_keysched(uint32_t rk[88], const uint8_t key[16])
{
    static const uint8_t rcon[10] = {0x01, 0x02, 0x04, 0x08, 0x10,
                                     0x20, 0x40, 0x80, 0x1B, 0x36};
    uint32_t w[44];
    for (int i = 0; i < 4; i++)
        w[i] = ct_load32_le(key + 4 * i);
    for (int i = 4; i < 44; i++) {
        uint32_t t = w[i - 1];
        if ((i & 3) == 0)
            t = aes_sub_word(ct_rotr32(t, 8)) ^ rcon[i / 4 - 1];
        w[i] = w[i - 4] ^ t;
    }
    for (int i = 0; i < 44; i++) {
        rk[2 * i] = w[i];
        rk[2 * i + 1] = w[i];
    }
    for (int i = 0; i < 88; i += 8)
        aes_ortho(rk + i);
    crypto_wipe(w, sizeof w);
}

/* Encrypts two blocks in place, already in bitsliced form. */
static void aes128_rounds(uint32_t q[8], const uint32_t rk[88])
{
    aes_add_round_key(q, rk);
    for (int r = 1; r < 10; r++) {
        aes_sbox(q);
        aes_shift_rows(q);
        aes_mix_columns(q);
        aes_add_round_key(q, rk + 8 * r);
    }
    aes_sbox(q);
    aes_shift_rows(q);
    aes_add_round_key(q, rk + 80);
}

/* out[0..32) = E(a) || E(b) */
static void aes128_encrypt2(uint8_t out[32], const uint32_t rk[88],
                            const uint8_t a[16], const uint8_t b[16])
{
    uint32_t q[8];
    for (int i = 0; i < 4; i++) {
        q[2 * i] = ct_load32_le(a + 4 * i);
        q[2 * i + 1] = ct_load32_le(b + 4 * i);
    }
    aes_ortho(q);
    aes128_rounds(q, rk);
    aes_ortho(q);
    for (int i = 0; i < 4; i++) {
        ct_store32_le(out + 4 * i, q[2 * i]);
        ct_store32_le(out + 16 + 4 * i, q[2 * i + 1]);
    }
    crypto_wipe(q, sizeof q);
}

void crypto_aes128_encrypt_block(uint8_t out[16], const uint8_t key[16],
                                 const uint8_t in[16])
{
    uint32_t rk[88];
    uint8_t two[32];
    aes128_keysched(rk, key);
    aes128_encrypt2(two, rk, in, in);
    memcpy(out, two, 16);
    crypto_wipe(rk, sizeof rk);
    crypto_wipe(two, sizeof two);
}

/* ---- GHASH ------------------------------------------------------------------------ */

/* Low 64 bits of the carry-less product x * y. */
static uint64_t bmul64(uint64_t x, uint64_t y)
{
    const uint64_t m0 = 0x1111111111111111ULL, m1 = 0x2222222222222222ULL;
    const uint64_t m2 = 0x4444444444444444ULL, m3 = 0x8888888888888888ULL;
    uint64_t x0 = x & m0, x1 = x & m1, x2 = x & m2, x3 = x & m3;
    uint64_t y0 = y & m0, y1 = y & m1, y2 = y & m2, y3 = y & m3;
    uint64_t z0 = (x0 * y0) ^ (x1 * y3) ^ (x2 * y2) ^ (x3 * y1);
    uint64_t z1 = (x0 * y1) ^ (x1 * y0) ^ (x2 * y3) ^ (x3 * y2);
    uint64_t z2 = (x0 * y2) ^ (x1 * y1) ^ (x2 * y0) ^ (x3 * y3);
    uint64_t z3 = (x0 * y3) ^ (x1 * y2) ^ (x2 * y1) ^ (x3 * y0);
    return (z0 & m0) | (z1 & m1) | (z2 & m2) | (z3 & m3);
}

static uint64_t rev64(uint64_t x)
{
    x = ((x & 0x5555555555555555ULL) << 1) | ((x >> 1) & 0x5555555555555555ULL);
    x = ((x & 0x3333333333333333ULL) << 2) | ((x >> 2) & 0x3333333333333333ULL);
    x = ((x & 0x0F0F0F0F0F0F0F0FULL) << 4) | ((x >> 4) & 0x0F0F0F0F0F0F0F0FULL);
    x = ((x & 0x00FF00FF00FF00FFULL) << 8) | ((x >> 8) & 0x00FF00FF00FF00FFULL);
    x = ((x & 0x0000FFFF0000FFFFULL) << 16) | ((x >> 16) & 0x0000FFFF0000FFFFULL);
    return (x << 32) | (x >> 32);
}

/* y = (y ^ block) * h for each whole 16-byte block of data. */
static void ghash_blocks(uint8_t y[16], const uint8_t h[16],
                         const uint8_t *data, size_t nblocks)
{
    uint64_t y1 = ct_load64_be(y), y0 = ct_load64_be(y + 8);
    uint64_t h1 = ct_load64_be(h), h0 = ct_load64_be(h + 8);
    uint64_t h0r = rev64(h0), h1r = rev64(h1);
    uint64_t h2 = h0 ^ h1, h2r = h0r ^ h1r;

    while (nblocks--) {
        uint64_t y0r, y1r, y2, y2r, z0, z1, z2, z0h, z1h, z2h;
        uint64_t v0, v1, v2, v3;
        y1 ^= ct_load64_be(data);
        y0 ^= ct_load64_be(data + 8);
        data += 16;
        y0r = rev64(y0);
        y1r = rev64(y1);
        y2 = y0 ^ y1;
        y2r = y0r ^ y1r;
        z0 = bmul64(y0, h0);
        z1 = bmul64(y1, h1);
        z2 = bmul64(y2, h2);
        z0h = bmul64(y0r, h0r);
        z1h = bmul64(y1r, h1r);
        z2h = bmul64(y2r, h2r);
        z2 ^= z0 ^ z1;
        z2h ^= z0h ^ z1h;
        z0h = rev64(z0h) >> 1;
        z1h = rev64(z1h) >> 1;
        z2h = rev64(z2h) >> 1;
        v0 = z0;
        v1 = z0h ^ z2;
        v2 = z1 ^ z2h;
        v3 = z1h;
        /* GCM's bit order is reflected: shift the 256-bit product left by
         * one, then reduce modulo x^128 + x^7 + x^2 + x + 1. */
        v3 = (v3 << 1) | (v2 >> 63);
        v2 = (v2 << 1) | (v1 >> 63);
        v1 = (v1 << 1) | (v0 >> 63);
        v0 = (v0 << 1);
        v2 ^= v0 ^ (v0 >> 1) ^ (v0 >> 2) ^ (v0 >> 7);
        v1 ^= (v0 << 63) ^ (v0 << 62) ^ (v0 << 57);
        v3 ^= v1 ^ (v1 >> 1) ^ (v1 >> 2) ^ (v1 >> 7);
        v2 ^= (v1 << 63) ^ (v1 << 62) ^ (v1 << 57);
        y0 = v2;
        y1 = v3;
    }
    ct_store64_be(y, y1);
    ct_store64_be(y + 8, y0);
}

static void gcm_hash(crypto_aes128gcm_t *ctx, const uint8_t *p, size_t len)
{
    if (len == 0)
        return;
    if (ctx->fill) {
        size_t n = 16 - ctx->fill;
        if (len < n) {
            memcpy(ctx->buf + ctx->fill, p, len);
            ctx->fill += len;
            return;
        }
        memcpy(ctx->buf + ctx->fill, p, n);
        ghash_blocks(ctx->y, ctx->h, ctx->buf, 1);
        ctx->fill = 0;
        p += n;
        len -= n;
    }
    ghash_blocks(ctx->y, ctx->h, p, len / 16);
    p += len & ~(size_t)15;
    len &= 15;
    if (len) {
        memcpy(ctx->buf, p, len);
        ctx->fill = len;
    }
}

/* Zero-pads the pending partial block into the hash. */
static void gcm_hash_pad(crypto_aes128gcm_t *ctx)
{
    if (ctx->fill) {
        memset(ctx->buf + ctx->fill, 0, 16 - ctx->fill);
        ghash_blocks(ctx->y, ctx->h, ctx->buf, 1);
        ctx->fill = 0;
    }
}

/* ---- GCM ---------------------------------------------------------------------------- */

static void gcm_next_stream(crypto_aes128gcm_t *ctx)
{
    uint8_t a[16], b[16];
    memcpy(a, ctx->j0, 12);
    memcpy(b, ctx->j0, 12);
    ct_store32_be(a + 12, ctx->ctr);
    ct_store32_be(b + 12, ctx->ctr + 1);
    ctx->ctr += 2;
    aes128_encrypt2(ctx->stream, ctx->rk, a, b);
    ctx->used = 0;
}

static void gcm_xor(crypto_aes128gcm_t *ctx, uint8_t *out, const uint8_t *in,
                    size_t len)
{
    while (len && ctx->used < 32) {
        *out++ = *in++ ^ ctx->stream[ctx->used++];
        len--;
    }
    while (len) {
        size_t n = len < 32 ? len : 32;
        gcm_next_stream(ctx);
        for (size_t i = 0; i < n; i++)
            out[i] = in[i] ^ ctx->stream[i];
        ctx->used = n;
        out += n;
        in += n;
        len -= n;
    }
}

int crypto_aes128gcm_init(crypto_aes128gcm_t *ctx, const uint8_t key[16],
                          const uint8_t *iv, size_t iv_len, const void *ad,
                          size_t ad_len)
{
    static const uint8_t zero[16];
    uint8_t two[32];

    if (iv_len == 0)
        return CRYPTO_EINVAL;
    memset(ctx, 0, sizeof *ctx);
    aes128_keysched(ctx->rk, key);
    aes128_encrypt2(two, ctx->rk, zero, zero);
    memcpy(ctx->h, two, 16);
    if (iv_len == 12) {
        memcpy(ctx->j0, iv, 12);
        ctx->j0[15] = 1;
    } else {
        uint8_t lens[16] = {0};
        gcm_hash(ctx, iv, iv_len);
        gcm_hash_pad(ctx);
        ct_store64_be(lens + 8, (uint64_t)iv_len * 8);
        gcm_hash(ctx, lens, 16);
        memcpy(ctx->j0, ctx->y, 16);
        memset(ctx->y, 0, 16);
    }
    ctx->ctr = ct_load32_be(ctx->j0 + 12) + 1;
    ctx->used = 32;
    gcm_hash(ctx, ad, ad_len);
    gcm_hash_pad(ctx);
    ctx->ad_len = ad_len;
    crypto_wipe(two, sizeof two);
    return CRYPTO_OK;
}

void crypto_aes128gcm_encrypt_update(crypto_aes128gcm_t *ctx, uint8_t *out,
                                     const uint8_t *in, size_t len)
{
    gcm_xor(ctx, out, in, len);
    gcm_hash(ctx, out, len);
    ctx->text_len += len;
}

void crypto_aes128gcm_decrypt_update(crypto_aes128gcm_t *ctx, uint8_t *out,
                                     const uint8_t *in, size_t len)
{
    gcm_hash(ctx, in, len);
    gcm_xor(ctx, out, in, len);
    ctx->text_len += len;
}

static void gcm_tag(crypto_aes128gcm_t *ctx, uint8_t tag[16])
{
    uint8_t lens[16], a[16], two[32];
    gcm_hash_pad(ctx);
    ct_store64_be(lens, ctx->ad_len * 8);
    ct_store64_be(lens + 8, ctx->text_len * 8);
    gcm_hash(ctx, lens, 16);
    memcpy(a, ctx->j0, 16);
    aes128_encrypt2(two, ctx->rk, a, a);
    for (int i = 0; i < 16; i++)
        tag[i] = ctx->y[i] ^ two[i];
    crypto_wipe(two, sizeof two);
    crypto_wipe(ctx, sizeof *ctx);
}

void crypto_aes128gcm_encrypt_final(crypto_aes128gcm_t *ctx, uint8_t tag[16])
{
    gcm_tag(ctx, tag);
}

int crypto_aes128gcm_decrypt_final(crypto_aes128gcm_t *ctx,
                                   const uint8_t tag[16])
{
    uint8_t mine[16];
    int rc;
    gcm_tag(ctx, mine);
    rc = crypto_verify(mine, tag, 16);
    crypto_wipe(mine, sizeof mine);
    return rc;
}

int crypto_aes128gcm_encrypt(uint8_t *ct, uint8_t tag[16],
                             const uint8_t key[16], const uint8_t *iv,
                             size_t iv_len, const void *ad, size_t ad_len,
                             const uint8_t *pt, size_t len)
{
    crypto_aes128gcm_t ctx;
    if (crypto_aes128gcm_init(&ctx, key, iv, iv_len, ad, ad_len) != 0)
        return CRYPTO_EINVAL;
    crypto_aes128gcm_encrypt_update(&ctx, ct, pt, len);
    crypto_aes128gcm_encrypt_final(&ctx, tag);
    return CRYPTO_OK;
}

int crypto_aes128gcm_decrypt(uint8_t *pt, const uint8_t key[16],
                             const uint8_t *iv, size_t iv_len, const void *ad,
                             size_t ad_len, const uint8_t *ct, size_t len,
                             const uint8_t tag[16])
{
    crypto_aes128gcm_t ctx, keep;
    uint8_t mine[16];
    int rc;

    if (crypto_aes128gcm_init(&ctx, key, iv, iv_len, ad, ad_len) != 0)
        return CRYPTO_EINVAL;
    keep = ctx; /* the cipher state for the second pass */
    gcm_hash(&ctx, ct, len);
    ctx.text_len = len;
    gcm_tag(&ctx, mine);
    rc = crypto_verify(mine, tag, 16);
    if (rc == CRYPTO_OK)
        gcm_xor(&keep, pt, ct, len);
    crypto_wipe(&keep, sizeof keep);
    crypto_wipe(mine, sizeof mine);
    return rc;
}
