/*
 * curve25519.c: field arithmetic mod 2^255 - 19, X25519 (RFC 7748) and
 * Ed25519 (RFC 8032).
 *
 * IMPLEMENTATION NOTES
 * Field: two interchangeable implementations, chosen at file scope.
 * fe25519_32.inc (the M33): ten signed 32-bit limbs in radix 2^25.5, the
 * ref10 / Monocypher representation; a product is 100 32x32->64 multiplies
 * (SMULL/SMLAL, one instruction each), the reduction by 19 is folded into
 * precomputed 19*g limbs, carries are arithmetic shifts. fe25519_51.inc
 * (hosts with unsigned __int128): five 51-bit limbs, 25 64x64->128
 * products, 2-3x faster there. Both are straight-line code, both run the
 * whole host test suite (KEEL_CRYPTO_FE32 selects the M33 one), and
 * tools/gen_fe25519.py generates the unrolled 25.5-bit products and the
 * constants of both.
 *
 * X25519: the RFC 7748 Montgomery ladder, with a masked conditional swap
 * (fe_cswap) driven by the scalar bits; 5M + 4S + 1 small multiply per bit.
 *
 * Ed25519 points use ref10's coordinates: extended (X:Y:Z:T), projective
 * (X:Y:Z), "completed" ((X:Z),(Y:T)) and cached (Y+X, Y-X, Z, 2dT). The
 * formulas are the unified, complete ones, so the identity and doublings
 * need no special case.
 *
 * Secret scalar multiplication (key generation, signing) uses two 4-tooth
 * combs (teeth 32 bits apart; the second comb is the first times 2^128)
 * over 2 x 1,440 bytes of flash tables: 32 doublings and 64 mixed
 * additions, each entry found by a full masked scan of its table. Bigger
 * combs would be faster but the whole library has 24 KiB of M33 flash.
 *
 * Verification handles only public data and is variable time: a
 * double-scalar multiplication [S]B - [k]A with width-5 sliding windows
 * (odd multiples 1..15 of A and B, both tables built per call), about 253
 * doublings and 85 additions.
 *
 * Scalars mod L use TweetNaCl's byte-wise reduction with signed 64-bit
 * accumulators: slow but small, straight-line and obviously correct; it
 * runs once per signature.
 *
 * Verification policy (same verdicts as libsodium 1.0.18, checked by the
 * differential tests): reject S >= L; reject a public key whose y >= p or
 * that is not on the curve; reject A and R among the small-order encodings
 * (sign bit ignored, including the non-canonical y = p and y = p + 1);
 * accept iff the canonical encoding of [S]B - [k]A equals R byte for byte
 * (cofactorless, so a non-canonical R never matches).
 */
#include <string.h>

#include "crypto.h"
#include "ct.h"

/* The field representation is chosen per target at file scope: ten signed
 * 25.5-bit limbs where the widest cheap product is 32x32->64 (the M33),
 * five unsigned 51-bit limbs where 64x64->128 exists (64-bit hosts, where
 * this is 2-3x faster). Both expose the same fe_* functions, both are
 * tested on the host (KEEL_CRYPTO_FE32 forces the M33 one). */
#if CT_WIDE
#include "fe25519_51.inc"
#else
#include "fe25519_32.inc"
#endif

/* h = f^(2^n) */
static void fe_sqn(fe h, const fe f, int n)
{
    fe_sq(h, f);
    while (--n > 0)
        fe_sq(h, h);
}

static uint32_t fe_isnegative(const fe f)
{
    uint8_t s[32];
    fe_tobytes(s, f);
    return s[0] & 1;
}

/* 1 if f == 0 (mod p), else 0. */
static uint32_t fe_iszero(const fe f)
{
    uint8_t s[32];
    uint8_t z[32] = {0};
    fe_tobytes(s, f);
    return ct_eq_mask(ct_diff(s, z, 32), 0) & 1;
}

/* out = z^(p-2) = 1/z; 254 squarings and 11 multiplications. */
static void fe_invert(fe out, const fe z)
{
    fe t0, t1, t2, t3;
    fe_sq(t0, z);
    fe_sqn(t1, t0, 2);
    fe_mul(t1, z, t1);
    fe_mul(t0, t0, t1);
    fe_sq(t2, t0);
    fe_mul(t1, t1, t2);
    fe_sqn(t2, t1, 5);
    fe_mul(t1, t2, t1);
    fe_sqn(t2, t1, 10);
    fe_mul(t2, t2, t1);
    fe_sqn(t3, t2, 20);
    fe_mul(t2, t3, t2);
    fe_sqn(t2, t2, 10);
    fe_mul(t1, t2, t1);
    fe_sqn(t2, t1, 50);
    fe_mul(t2, t2, t1);
    fe_sqn(t3, t2, 100);
    fe_mul(t2, t3, t2);
    fe_sqn(t2, t2, 50);
    fe_mul(t1, t2, t1);
    fe_sqn(t1, t1, 5);
    fe_mul(out, t1, t0);
}

/* out = z^((p-5)/8) = z^(2^252 - 3), for square roots. */
static void fe_pow22523(fe out, const fe z)
{
    fe t0, t1, t2;
    fe_sq(t0, z);
    fe_sqn(t1, t0, 2);
    fe_mul(t1, z, t1);
    fe_mul(t0, t0, t1);
    fe_sq(t0, t0);
    fe_mul(t0, t1, t0);
    fe_sqn(t1, t0, 5);
    fe_mul(t0, t1, t0);
    fe_sqn(t1, t0, 10);
    fe_mul(t1, t1, t0);
    fe_sqn(t2, t1, 20);
    fe_mul(t1, t2, t1);
    fe_sqn(t1, t1, 10);
    fe_mul(t0, t1, t0);
    fe_sqn(t1, t0, 50);
    fe_mul(t1, t1, t0);
    fe_sqn(t2, t1, 100);
    fe_mul(t1, t2, t1);
    fe_sqn(t1, t1, 50);
    fe_mul(t0, t1, t0);
    fe_sqn(t0, t0, 2);
    fe_mul(out, t0, z);
}

/* ---- X25519 ---------------------------------------------------------------------- */

int crypto_x25519(uint8_t shared[32], const uint8_t scalar[32],
                  const uint8_t point[32])
{
    uint8_t e[32];
    fe x1, x2, z2, x3, z3, a, aa, b, bb, ee, c, d;
    uint32_t swap = 0;
    int rc;

    memcpy(e, scalar, 32);
    e[0] &= 248;
    e[31] &= 127;
    e[31] |= 64;
    fe_frombytes(x1, point); /* ignores bit 255 */
    fe_1(x2);
    fe_0(z2);
    fe_copy(x3, x1);
    fe_1(z3);
    for (int t = 254; t >= 0; t--) {
        uint32_t bit = (e[t >> 3] >> (t & 7)) & 1;
        swap ^= bit;
        fe_cswap(x2, x3, swap);
        fe_cswap(z2, z3, swap);
        swap = bit;
        fe_add(a, x2, z2);
        fe_sub(b, x2, z2);
        fe_add(c, x3, z3);
        fe_sub(d, x3, z3);
        fe_sq(aa, a);
        fe_sq(bb, b);
        fe_mul(d, d, a);      /* DA */
        fe_mul(c, c, b);      /* CB */
        fe_sub(ee, aa, bb);   /* E = AA - BB */
        fe_add(x3, d, c);
        fe_sq(x3, x3);        /* (DA + CB)^2 */
        fe_sub(z3, d, c);
        fe_sq(z3, z3);
        fe_mul(z3, z3, x1);   /* x1 (DA - CB)^2 */
        fe_mul(x2, aa, bb);
        fe_mul_small(z2, ee, 121666);
        fe_add(z2, z2, bb);   /* BB + 121666 E = AA + 121665 E */
        fe_mul(z2, z2, ee);
    }
    fe_cswap(x2, x3, swap);
    fe_cswap(z2, z3, swap);
    fe_invert(z2, z2);
    fe_mul(x2, x2, z2);
    fe_tobytes(shared, x2);
    {
        /* An all-zero result means a small-order peer point. Computed with
         * a mask so the secret itself never reaches a branch. */
        static const uint8_t zero[32];
        uint32_t weak = ct_eq_mask(ct_diff(shared, zero, 32), 0);
        rc = (int)(weak & (uint32_t)CRYPTO_EWEAK);
    }
    crypto_wipe(e, sizeof e);
    crypto_wipe(x2, sizeof x2);
    crypto_wipe(z2, sizeof z2);
    crypto_wipe(x3, sizeof x3);
    crypto_wipe(z3, sizeof z3);
    crypto_wipe(aa, sizeof aa);
    crypto_wipe(bb, sizeof bb);
    crypto_wipe(a, sizeof a);
    crypto_wipe(b, sizeof b);
    crypto_wipe(c, sizeof c);
    crypto_wipe(d, sizeof d);
    crypto_wipe(ee, sizeof ee);
    return rc;
}

/* ---- Edwards points ------------------------------------------------------------- */

typedef struct { fe X, Y, Z; } ge_p2;
typedef struct { fe X, Y, Z, T; } ge_p3;
typedef struct { fe X, Y, Z, T; } ge_p1p1;
typedef struct { fe YplusX, YminusX, Z, T2d; } ge_cached;

static void ge_p1p1_to_p2(ge_p2 *r, const ge_p1p1 *p)
{
    fe_mul(r->X, p->X, p->T);
    fe_mul(r->Y, p->Y, p->Z);
    fe_mul(r->Z, p->Z, p->T);
}

static void ge_p1p1_to_p3(ge_p3 *r, const ge_p1p1 *p)
{
    fe_mul(r->X, p->X, p->T);
    fe_mul(r->Y, p->Y, p->Z);
    fe_mul(r->Z, p->Z, p->T);
    fe_mul(r->T, p->X, p->Y);
}

static void ge_p3_to_cached(ge_cached *r, const ge_p3 *p)
{
    fe_add(r->YplusX, p->Y, p->X);
    fe_sub(r->YminusX, p->Y, p->X);
    fe_copy(r->Z, p->Z);
    fe_mul(r->T2d, p->T, fe_d2);
}

/* r = 2p; p may be a ge_p3 viewed through its first three fields. */
static void ge_p2_dbl(ge_p1p1 *r, const ge_p2 *p)
{
    fe t0;
    fe_sq(r->X, p->X);
    fe_sq(r->Z, p->Y);
    fe_sq(r->T, p->Z);
    fe_mul_small(r->T, r->T, 2); /* 2Z^2, carried: T below stays in bounds */
    fe_add(r->Y, p->X, p->Y);
    fe_sq(t0, r->Y);
    fe_add(r->Y, r->Z, r->X);
    fe_sub(r->Z, r->Z, r->X);
    fe_sub(r->X, t0, r->Y);
    fe_sub(r->T, r->T, r->Z);
}

static void ge_p3_dbl(ge_p1p1 *r, const ge_p3 *p)
{
    ge_p2 q;
    fe_copy(q.X, p->X);
    fe_copy(q.Y, p->Y);
    fe_copy(q.Z, p->Z);
    ge_p2_dbl(r, &q);
}

static void ge_add(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q)
{
    fe t0;
    fe_add(r->X, p->Y, p->X);
    fe_sub(r->Y, p->Y, p->X);
    fe_mul(r->Z, r->X, q->YplusX);
    fe_mul(r->Y, r->Y, q->YminusX);
    fe_mul(r->T, q->T2d, p->T);
    fe_mul(r->X, p->Z, q->Z);
    fe_add(t0, r->X, r->X);
    fe_sub(r->X, r->Z, r->Y);
    fe_add(r->Y, r->Z, r->Y);
    fe_add(r->Z, t0, r->T);
    fe_sub(r->T, t0, r->T);
}

static void ge_sub(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q)
{
    fe t0;
    fe_add(r->X, p->Y, p->X);
    fe_sub(r->Y, p->Y, p->X);
    fe_mul(r->Z, r->X, q->YminusX);
    fe_mul(r->Y, r->Y, q->YplusX);
    fe_mul(r->T, q->T2d, p->T);
    fe_mul(r->X, p->Z, q->Z);
    fe_add(t0, r->X, r->X);
    fe_sub(r->X, r->Z, r->Y);
    fe_add(r->Y, r->Z, r->Y);
    fe_sub(r->Z, t0, r->T);
    fe_add(r->T, t0, r->T);
}

static void ge_tobytes(uint8_t s[32], const fe X, const fe Y, const fe Z)
{
    fe recip, x, y;
    fe_invert(recip, Z);
    fe_mul(x, X, recip);
    fe_mul(y, Y, recip);
    fe_tobytes(s, y);
    s[31] ^= (uint8_t)(fe_isnegative(x) << 7);
}

static void ge_base(ge_p3 *b)
{
    fe_copy(b->X, fe_bx);
    fe_copy(b->Y, fe_by);
    fe_1(b->Z);
    fe_copy(b->T, fe_bt);
}

/* Comb tables for secret scalar multiplication by B (tools/gen_fe25519.py):
 * comb[t][k - 1] = sum over the bits k_j of k of k_j 2^(32 j + 128 t) B,
 * k = 1..15, in niels form (y + x, y - x, 2dxy), little-endian words. */
static const uint32_t comb[2][15][24] = {
    {
        {0xf58c3b85, 0x2fbc93c6, 0xfb8c0e19, 0xcf932dc6, 0x643d42c2, 0x270b4898, 0x33d4ba65, 0x07cf9d3a, 0xd740913e, 0x9d103905, 0xd140beb3, 0xfd399f05, 0x688f8a09, 0xa5c18434, 0x98f81267, 0x44fd2f92, 0x877aaa68, 0xabc91205, 0xccaac49e, 0x26d9e823, 0xdd43598c, 0x5a1b7dcb, 0x9f0c65a8, 0x6f117b68},
        {0x7b85c5e8, 0x8765b69f, 0xd168bab2, 0x6ff0678b, 0x1d330f9b, 0x3a70e77c, 0xb0af8e7c, 0x3a5f6d51, 0xa60dac5f, 0x61368756, 0xebabdc57, 0x17e02f6a, 0x4cce0f7d, 0x7f193f2d, 0x89ecdcf0, 0x20234a77, 0x7178b252, 0x76d20db6, 0xd51ed160, 0x071c34f9, 0xb3e41170, 0xf62a4a20, 0x3cffe366, 0x7cd68235},
        {0xa76c971f, 0x812d6a74, 0x0739f84d, 0x1ceca25f, 0x4102b810, 0x27d06c3c, 0x031906f7, 0x7edc1cc6, 0x43ba112a, 0x500519ad, 0xaebd3ad9, 0xebda0d43, 0x3e2cf3f0, 0xf3f6b90c, 0xa60cd4f5, 0x0de1829b, 0x2ab6034b, 0xf5472c0e, 0xe480f342, 0xbd4dbf55, 0x0cced266, 0xd443d271, 0x9c2db4f7, 0x4fe5ca42},
        {0x77d1f515, 0xcd2a65e7, 0x8faa60f1, 0x54899187, 0xdabc06e5, 0xb1b73bbc, 0xa97cc9fb, 0x654878cb, 0x8df6b0fe, 0x51138ec7, 0xe575f51b, 0x5397da89, 0x717af1b9, 0x09207a1d, 0x2b20d650, 0x2102fdba, 0x055ce6a1, 0x969ee405, 0x1251ad29, 0x36bca768, 0xaa7da415, 0x3a1af517, 0x29ecb2ba, 0x0ad725db},
        {0x601e59e8, 0x0055c585, 0x66480e60, 0x8793342b, 0xfe45e44c, 0x3e14aad0, 0x4813cf2b, 0x26ead8e6, 0x9c8462a4, 0xcb75b8b6, 0x67d31cd7, 0x2dd86fc5, 0x881342f6, 0xcd1972ec, 0x0fc12f2f, 0x0975b597, 0xda5ba743, 0x63cf2303, 0x52f1ba6e, 0x04bf9d81, 0xaa7367da, 0x333790d0, 0x9df6c5ea, 0x53467047},
        {0x7738657c, 0x0af0993c, 0x47181bd2, 0xa9fb4a47, 0x3e9ec14a, 0x55dde7ab, 0x37c8321c, 0x0b9ec7f6, 0x88035653, 0x0ae97f7d, 0x8d25068e, 0x17fb7b10, 0x3c1e8c9a, 0x6328fc0e, 0x50fe219b, 0x5441585e, 0x640f0146, 0xcb52864c, 0x317ef0d3, 0x94562266, 0x1595bb5d, 0xb876f4c4, 0xaf7f7713, 0x4ed2f874},
        {0x74d2cda7, 0xfeb687d8, 0xae27fb22, 0xb8042dc1, 0x2c93adcc, 0x1564556d, 0xe3a17816, 0x11442d28, 0x07f0c5d4, 0xcec33585, 0x95b01c20, 0xfb9e7ef9, 0xdea13143, 0x0a869383, 0xf5f8c59b, 0x16c63a61, 0xd6fed546, 0xded6638c, 0x3803190e, 0x1abdb60b, 0x6a614da3, 0xe0c56f15, 0x9edc6e88, 0x04c54856},
        {0x12ddb0a4, 0xd598639c, 0xc024866b, 0xa5d19f30, 0x58fce460, 0xd17c2f03, 0x2e095e8a, 0x07a19515, 0x9c2ec4de, 0x296fa9c5, 0x4f84f3cb, 0xbc8b61bf, 0x17a8f908, 0x1c7706d9, 0x7ad3255d, 0x63b795fc, 0x389e5fc8, 0xa8368f02, 0xcf8de43b, 0x90433b02, 0xc5412643, 0xafa1fd5d, 0x032f0137, 0x3e8fe83d},
        {0x17d3a339, 0xb5f7f69a, 0x36a01f1e, 0x805e6145, 0x9b01a221, 0x08e62b6d, 0x38f1898f, 0x0af83250, 0xbdf01e71, 0xbcc2be89, 0xc3280d0f, 0x6758f9e1, 0xccf36c58, 0xf2a56cde, 0x80faacc0, 0x1cdfbf7e, 0x39bfb3b2, 0x730688fb, 0x07c06f81, 0xf493c376, 0x8db1ba83, 0xbda608c2, 0x63ecca60, 0x2990e0a2},
        {0x59dc4791, 0xfca8ea41, 0x8b3aa058, 0x0fae3dab, 0x4ee996eb, 0xbe13396f, 0x51936c6f, 0x379d09bb, 0xf614affb, 0xb6601a1b, 0x210392ea, 0x8360c886, 0x56349198, 0x4867333c, 0xf049c42c, 0x03224a6f, 0x6fb88974, 0x5e267a30, 0x4f8fb990, 0xbeb84f82, 0x18c57b0d, 0x6029b7b9, 0xa2357df1, 0x60670bbe},
        {0xec02dcd8, 0xc8e97558, 0x734215b0, 0x70e6d52d, 0xc97f37cc, 0x5ad04683, 0xc1d685ab, 0x2c610ab3, 0xe10c024f, 0xabc333f4, 0x672386cc, 0x4f8149e4, 0x4e7bf204, 0x3bad171c, 0xe78f5067, 0x4cea190b, 0x02f3325f, 0x8d8d3a79, 0xbf8abde9, 0x549cbd48, 0x11d19a0c, 0x9da1a0f6, 0x372c817c, 0x718bf518},
        {0x2381ad37, 0x21c5e9f3, 0xb96cd050, 0xc340283e, 0x3150abca, 0xfbdee471, 0xc8fc9db7, 0x31b24dee, 0x2b76ccbb, 0x2c160eed, 0x54d82775, 0x6dd5c36b, 0xd5e0a5e9, 0x7f278210, 0xc59cf540, 0x076fc47c, 0x5f61df81, 0xbdf661d8, 0x4eaec5bd, 0xfbb57fe5, 0xe97cf86e, 0x5aa7105e, 0xd8d3cd95, 0x00a448b6},
        {0x972952b6, 0x584444a6, 0xf3ba527c, 0x1a2e4af7, 0xc1e4ed75, 0x5ad4fff4, 0x3e78ba6f, 0x4c05a24b, 0xbf346a2e, 0x124c55b2, 0x3935e365, 0xd103a43d, 0xcb1495fa, 0x057ec4bc, 0x2715baed, 0x00ed1078, 0xd51a6122, 0xa0acdb33, 0x1637632c, 0x371bc5b6, 0xb00d94a1, 0x8e34d701, 0x7af603fa, 0x55a768b2},
        {0xb26499e1, 0xa18985d8, 0x3ceb5996, 0xc1bc6208, 0x5df6f244, 0x831cdab3, 0x630b203c, 0x649754af, 0xb81e44c9, 0xa3fbd80e, 0xfcfbb70a, 0xf7cb98ef, 0xcff94f56, 0xf4aa5e2a, 0x126d04ae, 0x688d5981, 0x8cbd0ffe, 0xb3b29f90, 0x269a99db, 0xfa623fb6, 0xf70e7d34, 0xb4b95b97, 0x2a21e650, 0x0d4247a0},
        {0x312eced9, 0x9ea81138, 0xfd0e579d, 0x85e9d4d4, 0x23d68e7c, 0x2308ba50, 0xf6983f2f, 0x36b2632b, 0xf87a7d71, 0x19a9f3f1, 0x78b0d72d, 0x60077d68, 0x01a59bbf, 0x8921d761, 0xf8407391, 0x262e84e2, 0xd3285253, 0xcdc70136, 0x014124e2, 0x7fff27a4, 0xdb2a2df9, 0xe29ac913, 0x66338730, 0x1d3bdc38},
    },
    {
        {0xacad8ea2, 0x583b04bf, 0x148be884, 0x29b743e8, 0x0810c5db, 0x2b1e583b, 0x8eb3bbaa, 0x2b5449e5, 0xeb3dbe47, 0x5f3a7562, 0x8ebda0b8, 0xf7ea3854, 0x45747299, 0x00c3e531, 0x1627d551, 0x1304e9e7, 0x6adc9cfe, 0x789814d2, 0x8b48dd0b, 0x3c1bab3f, 0xf979c60a, 0xda0fe1ff, 0x7c2dd693, 0x4468de2d},
        {0x305b2f51, 0x96eebffb, 0x889596b8, 0xd3f938ad, 0x46d5dd25, 0xf0f52dc7, 0xbb3a0095, 0x57968290, 0x8c58aedc, 0x4637974e, 0xabf041a4, 0xb9ef22fb, 0xe980718a, 0xe185d956, 0xb143a8a6, 0x2f1b78fa, 0x0a20e101, 0xf71ab843, 0x24f0ec47, 0xf393658d, 0x6ee2eed1, 0xcf7509a8, 0xdc2aa3e1, 0x7dc43e35},
        {0x7b784751, 0x9aa6b27c, 0x478ebaa4, 0x324bec2c, 0x6aec068f, 0xe9ed08e6, 0x1289ea7f, 0x2201f338, 0x1d82d9e5, 0x88b6f93f, 0x38af97b8, 0xc753db55, 0x2390c879, 0x1bf3b161, 0x3633ed25, 0x138e33b3, 0x7b9cd213, 0xb6b55f37, 0x20636109, 0x2898d18f, 0xc10d1935, 0x0b5507ee, 0xe7915b1c, 0x09f8a06a},
        {0xc80c1ac0, 0xa66dcc9d, 0x1b38a436, 0x97a05cf4, 0x95dbd7c6, 0xa7ebf3be, 0x8d7e7dab, 0x7da0b8f6, 0x385675a6, 0xef782014, 0xaafda9e8, 0xa2649f30, 0x5cdfa8cb, 0x4cd1eb50, 0x1d4dc0b3, 0x46115aba, 0xc3b5da76, 0xd40f1953, 0x21119e9b, 0x1dac6f73, 0xfeb25960, 0x03cc6021, 0x83674b4b, 0x5a5f887e},
        {0x0e6315df, 0x23e811ad, 0xe2aeb290, 0x0b650d05, 0xa75d586c, 0xb7ba0f59, 0x5e1f4dee, 0x043eedd4, 0xc7073217, 0xf6c147f2, 0xf3afd20c, 0xc651b919, 0x7041f802, 0x258fdbfd, 0x4f45073e, 0x173c4fa9, 0x928df9c4, 0x3d71ea60, 0x3373562d, 0x5b7e7806, 0xa29552b2, 0xd9b0514c, 0x993cc472, 0x1e2a7024},
        {0x2f4951df, 0x79d7af89, 0xafa6eb6d, 0x88a06eb5, 0x24c568e4, 0x5831563c, 0xaeb26ced, 0x66707a19, 0x747396e1, 0x6c1310e2, 0x4cede7ce, 0x0ee40062, 0x2d45e29b, 0x9a3d7602, 0x3f0cf648, 0x204cbd04, 0x379e42ae, 0x2b2454e8, 0xf12c7764, 0x90c8758c, 0x65e7c6e6, 0x6c5fd2cf, 0xcf80a50e, 0x289e7f37},
        {0x01c923e9, 0xcd69db0a, 0xb2ec7a51, 0xc095fccb, 0x15518043, 0x6bd7c778, 0xb6bde853, 0x0da33c93, 0x349903cd, 0xf3bffb0a, 0x664c68f5, 0x0362f6bd, 0x7d7ace8e, 0xb75c72e1, 0xc26de303, 0x12813206, 0x4d21fb37, 0x8e82eb86, 0xd706fca0, 0x784e6aa7, 0x7986f343, 0xce5c5019, 0x86222c9a, 0x749a29cb},
        {0x193b877f, 0xbb2e00c9, 0xe0dc506b, 0xece3a890, 0x36de649f, 0xecf3b7c0, 0x98de9e1a, 0x5f460408, 0x832fcedb, 0x739d8845, 0xae6bf863, 0xfa38d6c9, 0xb74ffef7, 0x32bc0dca, 0x14bce45e, 0x73937e88, 0x297bf48d, 0xb9037116, 0xd4f06834, 0xa9d13b22, 0x4696bdc6, 0xe1971557, 0x91d5e835, 0x2cf8a4e8},
        {0xfdcdba71, 0x089f56a4, 0x923939be, 0xdd032610, 0xcd3fecde, 0x2ffd1803, 0x2852b233, 0x3508c355, 0x0c6804c2, 0x976aa014, 0x04b12d0a, 0x37c40803, 0x1f0473ff, 0x10287e28, 0xdc487f40, 0x3d2910dd, 0x8c0e2780, 0xe0156e4e, 0x147b72ad, 0x96963476, 0x15f7d223, 0x35d6e9be, 0x732f5bbc, 0x7a8ce344},
        {0xf3fddfe3, 0x77102749, 0x79beac52, 0x093b1317, 0xbaba54c7, 0x2c1a5cc1, 0x82ed20f9, 0x7cc2effd, 0x627c7b1c, 0xfe5e30fe, 0x8d82fc2f, 0x7d6de30d, 0x1c1bf394, 0x6b7981b1, 0x955690ef, 0x6ef79537, 0x38ac1d9d, 0x317bd4c9, 0xd43a48c8, 0x120b22ab, 0x25ba47c7, 0xd373691a, 0xdde79e2d, 0x444f44eb},
        {0xc22fc777, 0x8558038d, 0x9d6072de, 0xf1d4eed5, 0xe6005486, 0x08290ffb, 0x3da24681, 0x4a3a9ac2, 0x2f1518f2, 0xdcc797fd, 0xb7963f13, 0x619d3a39, 0xf4a7a3b8, 0xffee1a8c, 0xb05fc1bc, 0x35b6adfe, 0x94c5a6ab, 0x4252edaa, 0xa251c3ed, 0xf43c48ba, 0xf4ae7037, 0xf62e9831, 0xb185b22f, 0x0f5e3b9d},
        {0xcd52cc12, 0x8ef4f973, 0x02fd31ba, 0xbb0df0e3, 0x6ff47a51, 0x5e14df02, 0xbe09d912, 0x09867330, 0xd63f6ac3, 0x471cecd2, 0xe006f7e5, 0x0d189e50, 0x7c53490d, 0xc5d653d7, 0x720a1d58, 0x11994587, 0x042830c3, 0x159456a8, 0xec968cee, 0x4adde4ba, 0xea1f266f, 0x1eecbe25, 0x3cb564c2, 0x28b6fd85},
        {0x8128f86b, 0x98e51b90, 0xe6dd7e30, 0x263f13e5, 0x9689b811, 0xd06ace31, 0x4f23ee94, 0x57329348, 0x1a4756d4, 0x024fcff5, 0x6b882e91, 0xb020630a, 0x2075f533, 0xb5d5f703, 0x78b94de6, 0x324509d0, 0x62140ea0, 0x6775cd99, 0x365b3ef0, 0xd642d377, 0x3f65cb56, 0x601901ba, 0xcf83f05b, 0x2b939509},
        {0x921f8aab, 0x3d34e768, 0x6eee4795, 0x3746bea3, 0x59fa3cf7, 0xee02d1aa, 0xdaef126b, 0x3273e234, 0xd35a83cd, 0x5740ca72, 0x01abea1b, 0x0cde0160, 0xecc21b16, 0xfb7a7f6a, 0xb048ac23, 0x01bf2d13, 0x71ce9ab2, 0x3c4a8bba, 0xb61c7208, 0xf73c2eb3, 0xb8f9e211, 0x73859ef5, 0x6d310cf1, 0x6a321b74},
        {0xf191a8dc, 0x26788efa, 0xe7263590, 0xe8dfccfc, 0xaa2026d1, 0x157c9362, 0x4a5d144f, 0x4e32caad, 0x563adb50, 0xec9b891d, 0x1f671dce, 0x8d78b1db, 0x282d197c, 0x69617115, 0x5573a978, 0x1ae2643a, 0x4fcf2434, 0x09636fb7, 0xaf995a40, 0xdd881e20, 0x5f91c2b7, 0xce211a89, 0xfd4900aa, 0x6a50999c},
    },
};

typedef struct { fe yplusx, yminusx, xy2d; } ge_niels;

/* r = p + q for q in niels form (affine: Z = 1). */
static void ge_madd(ge_p1p1 *r, const ge_p3 *p, const ge_niels *q)
{
    fe t0;
    fe_add(r->X, p->Y, p->X);
    fe_sub(r->Y, p->Y, p->X);
    fe_mul(r->Z, r->X, q->yplusx);
    fe_mul(r->Y, r->Y, q->yminusx);
    fe_mul(r->T, q->xy2d, p->T);
    fe_add(t0, p->Z, p->Z);
    fe_sub(r->X, r->Z, r->Y);
    fe_add(r->Y, r->Z, r->Y);
    fe_add(r->Z, t0, r->T);
    fe_sub(r->T, t0, r->T);
}

/* t = comb[k - 1], or the identity (1, 1, 0) for k == 0. k is secret: every
 * entry is read and masked, none is indexed by k. */
static void comb_select(ge_niels *t, const uint32_t table[15][24], uint32_t k)
{
    uint32_t w[24] = {0};
    uint8_t b[96];
    fe one;

    for (uint32_t i = 0; i < 15; i++) {
        uint32_t m = ct_eq_mask(k, i + 1);
        for (int j = 0; j < 24; j++)
            w[j] |= m & table[i][j];
    }
    for (int j = 0; j < 24; j++)
        ct_store32_le(b + 4 * j, w[j]);
    fe_frombytes(t->yplusx, b);
    fe_frombytes(t->yminusx, b + 32);
    fe_frombytes(t->xy2d, b + 64);
    fe_1(one);
    fe_cmov(t->yplusx, one, ct_eq_mask(k, 0) & 1);
    fe_cmov(t->yminusx, one, ct_eq_mask(k, 0) & 1);
    crypto_wipe(w, sizeof w);
    crypto_wipe(b, sizeof b);
}

/* h = a B for a secret 256-bit scalar a, constant time: two 4-tooth combs
 * (bits i + 32 j and i + 128 + 32 j), so 32 doublings and 64 mixed
 * additions, the same for every scalar. */
static void ge_scalarmult_base(ge_p3 *h, const uint8_t a[32])
{
    ge_p1p1 r;
    ge_niels t;
    ge_p2 q;
    ge_p3 u;

    fe_0(q.X); /* identity; doubling needs no T, so q stays projective */
    fe_1(q.Y);
    fe_1(q.Z);
    for (int i = 31; i >= 0; i--) {
        uint32_t k[2] = {0, 0};
        for (int j = 0; j < 8; j++) {
            int bit = i + 32 * j;
            k[j >> 2] |= (uint32_t)((a[bit >> 3] >> (bit & 7)) & 1) << (j & 3);
        }
        ge_p2_dbl(&r, &q);
        ge_p1p1_to_p3(&u, &r);
        comb_select(&t, comb[0], k[0]);
        ge_madd(&r, &u, &t);
        ge_p1p1_to_p3(&u, &r);
        comb_select(&t, comb[1], k[1]);
        ge_madd(&r, &u, &t);
        ge_p1p1_to_p2(&q, &r);
    }
    ge_p1p1_to_p3(h, &r);
    crypto_wipe(&q, sizeof q);
    crypto_wipe(&u, sizeof u);
    crypto_wipe(&t, sizeof t);
    crypto_wipe(&r, sizeof r);
}

/* ---- Scalars mod L = 2^252 + 27742317777372353535851937790883648493 ------------- */

static const uint8_t L[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
    0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0x10,
};

/* r = x mod L, x given as 64 signed byte-sized (or larger) digits; x is
 * destroyed. Straight-line: the loops have fixed bounds. */
static void sc_reduce_digits(uint8_t r[32], int64_t x[64])
{
    int64_t carry;
    int i, j;
    for (i = 63; i >= 32; i--) {
        carry = 0;
        for (j = i - 32; j < i - 12; j++) {
            x[j] += carry - 16 * x[i] * L[j - (i - 32)];
            carry = (x[j] + 128) >> 8;
            x[j] -= carry * 256;
        }
        x[j] += carry;
        x[i] = 0;
    }
    carry = 0;
    for (j = 0; j < 32; j++) {
        x[j] += carry - (x[31] >> 4) * L[j];
        carry = x[j] >> 8;
        x[j] &= 255;
    }
    for (j = 0; j < 32; j++)
        x[j] -= carry * L[j];
    for (i = 0; i < 32; i++) {
        x[i + 1] += x[i] >> 8;
        r[i] = (uint8_t)(x[i] & 255);
    }
}

/* r = h[0..64) mod L (h little-endian, e.g. a SHA-512 output). */
static void sc_reduce(uint8_t r[32], const uint8_t h[64])
{
    int64_t x[64];
    for (int i = 0; i < 64; i++)
        x[i] = h[i];
    sc_reduce_digits(r, x);
    crypto_wipe(x, sizeof x);
}

/* s = (a * b + c) mod L. */
static void sc_muladd(uint8_t s[32], const uint8_t a[32], const uint8_t b[32],
                      const uint8_t c[32])
{
    int64_t x[64];
    for (int i = 0; i < 64; i++)
        x[i] = i < 32 ? c[i] : 0;
    for (int i = 0; i < 32; i++)
        for (int j = 0; j < 32; j++)
            x[i + j] += (int64_t)a[i] * b[j];
    sc_reduce_digits(s, x);
    crypto_wipe(x, sizeof x);
}

/* S < L? Public data, so a plain comparison from the top byte. */
static int sc_is_canonical(const uint8_t s[32])
{
    for (int i = 31; i >= 0; i--) {
        if (s[i] < L[i])
            return 1;
        if (s[i] > L[i])
            return 0;
    }
    return 0; /* S == L */
}

/* ---- Ed25519 ------------------------------------------------------------------------ */

static void ed25519_expand(uint8_t az[64], const uint8_t seed[32])
{
    crypto_sha512(az, seed, 32);
    az[0] &= 248;
    az[31] &= 63;
    az[31] |= 64;
}

static void ge_p3_tobytes(uint8_t s[32], const ge_p3 *p)
{
    ge_tobytes(s, p->X, p->Y, p->Z);
}

/* X25519(k, 9) through Ed25519's fixed-base comb: u = 9 is the image of
 * the Edwards base point under the birational map u = (1 + y) / (1 - y),
 * so the clamped scalar times B, mapped, is the public key: about half
 * the instructions of the 255-step ladder (the TLS handshake makes one
 * per connection). */
void crypto_x25519_public_key(uint8_t public_key[32],
                              const uint8_t secret_key[32])
{
    uint8_t e[32];
    ge_p3 A;
    fe n, d;
    memcpy(e, secret_key, 32);
    e[0] &= 248;
    e[31] &= 127;
    e[31] |= 64;
    ge_scalarmult_base(&A, e);
    fe_add(n, A.Z, A.Y); /* u = (Z + Y) / (Z - Y) */
    fe_sub(d, A.Z, A.Y);
    fe_invert(d, d);
    fe_mul(n, n, d);
    fe_tobytes(public_key, n);
    crypto_wipe(e, sizeof e);
    crypto_wipe(&A, sizeof A);
    crypto_wipe(n, sizeof n);
    crypto_wipe(d, sizeof d);
}

void crypto_ed25519_keypair(uint8_t public_key[32], uint8_t secret_key[64],
                            const uint8_t seed[32])
{
    uint8_t az[64];
    ge_p3 A;
    ed25519_expand(az, seed);
    ge_scalarmult_base(&A, az);
    ge_p3_tobytes(public_key, &A);
    memmove(secret_key, seed, 32);
    memcpy(secret_key + 32, public_key, 32);
    crypto_wipe(az, sizeof az);
    crypto_wipe(&A, sizeof A);
}

void crypto_ed25519_sign(uint8_t sig[64], const uint8_t secret_key[64],
                         const void *msg, size_t len)
{
    crypto_sha512_t hs;
    uint8_t az[64], nonce[64], r[32], k[64], kr[32], R[32];
    ge_p3 Rp;

    ed25519_expand(az, secret_key);

    crypto_sha512_init(&hs); /* r = H(prefix || M) */
    crypto_sha512_update(&hs, az + 32, 32);
    crypto_sha512_update(&hs, msg, len);
    crypto_sha512_final(&hs, nonce);
    sc_reduce(r, nonce);

    ge_scalarmult_base(&Rp, r);
    ge_p3_tobytes(R, &Rp);

    crypto_sha512_init(&hs); /* k = H(R || A || M); msg may alias sig */
    crypto_sha512_update(&hs, R, 32);
    crypto_sha512_update(&hs, secret_key + 32, 32);
    crypto_sha512_update(&hs, msg, len);
    crypto_sha512_final(&hs, k);
    sc_reduce(kr, k);

    memcpy(sig, R, 32);
    sc_muladd(sig + 32, kr, az, r); /* S = k a + r */

    crypto_wipe(az, sizeof az);
    crypto_wipe(nonce, sizeof nonce);
    crypto_wipe(r, sizeof r);
    crypto_wipe(&Rp, sizeof Rp);
}

/* The encodings of points of order 1, 2, 4 and 8 (sign bit cleared), plus
 * the non-canonical y = p and y = p + 1; libsodium 1.0.18's list. */
static const uint8_t small_order[7][32] = {
    {0},
    {1},
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
     0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
     0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
     0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
     0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

static int has_small_order(const uint8_t s[32])
{
    for (int i = 0; i < 7; i++) {
        if (memcmp(s, small_order[i], 31) == 0 &&
            (s[31] & 0x7f) == small_order[i][31])
            return 1;
    }
    return 0;
}

/* y < p, ignoring the sign bit. */
static int fe_bytes_canonical(const uint8_t s[32])
{
    if ((s[31] & 0x7f) != 0x7f)
        return 1;
    for (int i = 30; i > 0; i--)
        if (s[i] != 0xff)
            return 1;
    return s[0] < 0xed;
}

/* h = -A for the encoding s; 0, or -1 if s is not a point. */
static int ge_frombytes_negate(ge_p3 *h, const uint8_t s[32])
{
    fe u, v, v3, vxx, check;

    fe_frombytes(h->Y, s);
    fe_1(h->Z);
    fe_sq(u, h->Y);
    fe_mul(v, u, fe_d);
    fe_sub(u, u, h->Z);      /* u = y^2 - 1 */
    fe_add(v, v, h->Z);      /* v = d y^2 + 1 */
    fe_sq(v3, v);
    fe_mul(v3, v3, v);       /* v^3 */
    fe_sq(h->X, v3);
    fe_mul(h->X, h->X, v);
    fe_mul(h->X, h->X, u);   /* u v^7 */
    fe_pow22523(h->X, h->X);
    fe_mul(h->X, h->X, v3);
    fe_mul(h->X, h->X, u);   /* x = u v^3 (u v^7)^((p-5)/8) */
    fe_sq(vxx, h->X);
    fe_mul(vxx, vxx, v);
    fe_sub(check, vxx, u);   /* v x^2 - u */
    if (!fe_iszero(check)) {
        fe_add(check, vxx, u);
        if (!fe_iszero(check))
            return -1;
        fe_mul(h->X, h->X, fe_sqrtm1);
    }
    if (fe_isnegative(h->X) == (uint32_t)(s[31] >> 7))
        fe_neg(h->X, h->X);
    fe_mul(h->T, h->X, h->Y);
    return 0;
}

/* Width-5 sliding-window recoding: odd digits in [-15, 15], at least 4
 * zeros between nonzero ones (ref10's slide). Public scalars only. */
static void slide(int8_t r[256], const uint8_t a[32])
{
    for (int i = 0; i < 256; i++)
        r[i] = (int8_t)(1 & (a[i >> 3] >> (i & 7)));
    for (int i = 0; i < 256; i++) {
        if (!r[i])
            continue;
        for (int b = 1; b <= 6 && i + b < 256; b++) {
            if (!r[i + b])
                continue;
            if (r[i] + (r[i + b] << b) <= 15) {
                r[i] = (int8_t)(r[i] + (r[i + b] << b));
                r[i + b] = 0;
            } else if (r[i] - (r[i + b] << b) >= -15) {
                r[i] = (int8_t)(r[i] - (r[i + b] << b));
                for (int k = i + b; k < 256; k++) {
                    if (!r[k]) {
                        r[k] = 1;
                        break;
                    }
                    r[k] = 0;
                }
            } else {
                break;
            }
        }
    }
}

/* table[i] = (2i + 1) P */
static void ge_odd_multiples(ge_cached table[8], const ge_p3 *p)
{
    ge_p1p1 t;
    ge_p3 p2, u;
    ge_p3_to_cached(&table[0], p);
    ge_p3_dbl(&t, p);
    ge_p1p1_to_p3(&p2, &t);
    for (int i = 1; i < 8; i++) {
        ge_add(&t, &p2, &table[i - 1]);
        ge_p1p1_to_p3(&u, &t);
        ge_p3_to_cached(&table[i], &u);
    }
}

/* r = a A + b B, variable time. */
static void ge_double_scalarmult(ge_p2 *r, const uint8_t a[32],
                                 const ge_p3 *A, const uint8_t b[32])
{
    int8_t as[256], bs[256];
    ge_cached ai[8], bi[8];
    ge_p1p1 t;
    ge_p3 u, B;
    int i;

    slide(as, a);
    slide(bs, b);
    ge_odd_multiples(ai, A);
    ge_base(&B);
    ge_odd_multiples(bi, &B);

    fe_0(r->X);
    fe_1(r->Y);
    fe_1(r->Z);
    for (i = 255; i >= 0 && !as[i] && !bs[i]; i--)
        ;
    for (; i >= 0; i--) {
        ge_p2_dbl(&t, r);
        if (as[i] > 0) {
            ge_p1p1_to_p3(&u, &t);
            ge_add(&t, &u, &ai[as[i] / 2]);
        } else if (as[i] < 0) {
            ge_p1p1_to_p3(&u, &t);
            ge_sub(&t, &u, &ai[-as[i] / 2]);
        }
        if (bs[i] > 0) {
            ge_p1p1_to_p3(&u, &t);
            ge_add(&t, &u, &bi[bs[i] / 2]);
        } else if (bs[i] < 0) {
            ge_p1p1_to_p3(&u, &t);
            ge_sub(&t, &u, &bi[-bs[i] / 2]);
        }
        ge_p1p1_to_p2(r, &t);
    }
}

int crypto_ed25519_verify(const uint8_t sig[64], const uint8_t public_key[32],
                          const void *msg, size_t len)
{
    crypto_sha512_t hs;
    uint8_t h[64], k[32], check[32];
    ge_p3 A;
    ge_p2 R;

    if (!sc_is_canonical(sig + 32) || has_small_order(sig))
        return CRYPTO_EFORGED;
    if (!fe_bytes_canonical(public_key) || has_small_order(public_key))
        return CRYPTO_EFORGED;
    if (ge_frombytes_negate(&A, public_key) != 0)
        return CRYPTO_EFORGED;

    crypto_sha512_init(&hs);
    crypto_sha512_update(&hs, sig, 32);
    crypto_sha512_update(&hs, public_key, 32);
    crypto_sha512_update(&hs, msg, len);
    crypto_sha512_final(&hs, h);
    sc_reduce(k, h);

    ge_double_scalarmult(&R, k, &A, sig + 32); /* [S]B - [k]A */
    ge_tobytes(check, R.X, R.Y, R.Z);
    return crypto_verify(check, sig, 32);
}
