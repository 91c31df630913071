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
 * Secret scalar multiplication (key generation, signing) is a 4-tooth comb
 * (teeth 64 bits apart) over a 1,440-byte flash table of the 15 nonzero
 * combinations of B, 2^64 B, 2^128 B, 2^192 B: 64 doublings and 64 mixed
 * additions, each entry found by a full masked scan of the table. A bigger
 * comb would be faster but the whole library has 24 KiB of M33 flash.
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

void crypto_x25519_public_key(uint8_t public_key[32],
                              const uint8_t secret_key[32])
{
    static const uint8_t base[32] = {9};
    (void)crypto_x25519(public_key, secret_key, base);
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

/* Comb table for secret scalar multiplication by B (tools/gen_fe25519.py):
 * comb[k - 1] = sum over the bits k_j of k of k_j 2^(64 j) B, k = 1..15,
 * in niels form (y + x, y - x, 2dxy), little-endian 32-bit words. */
static const uint32_t comb[15][24] = {
    {0xf58c3b85, 0x2fbc93c6, 0xfb8c0e19, 0xcf932dc6, 0x643d42c2, 0x270b4898, 0x33d4ba65, 0x07cf9d3a, 0xd740913e, 0x9d103905, 0xd140beb3, 0xfd399f05, 0x688f8a09, 0xa5c18434, 0x98f81267, 0x44fd2f92, 0x877aaa68, 0xabc91205, 0xccaac49e, 0x26d9e823, 0xdd43598c, 0x5a1b7dcb, 0x9f0c65a8, 0x6f117b68},
    {0x77d1f515, 0xcd2a65e7, 0x8faa60f1, 0x54899187, 0xdabc06e5, 0xb1b73bbc, 0xa97cc9fb, 0x654878cb, 0x8df6b0fe, 0x51138ec7, 0xe575f51b, 0x5397da89, 0x717af1b9, 0x09207a1d, 0x2b20d650, 0x2102fdba, 0x055ce6a1, 0x969ee405, 0x1251ad29, 0x36bca768, 0xaa7da415, 0x3a1af517, 0x29ecb2ba, 0x0ad725db},
    {0x601e59e8, 0x0055c585, 0x66480e60, 0x8793342b, 0xfe45e44c, 0x3e14aad0, 0x4813cf2b, 0x26ead8e6, 0x9c8462a4, 0xcb75b8b6, 0x67d31cd7, 0x2dd86fc5, 0x881342f6, 0xcd1972ec, 0x0fc12f2f, 0x0975b597, 0xda5ba743, 0x63cf2303, 0x52f1ba6e, 0x04bf9d81, 0xaa7367da, 0x333790d0, 0x9df6c5ea, 0x53467047},
    {0xacad8ea2, 0x583b04bf, 0x148be884, 0x29b743e8, 0x0810c5db, 0x2b1e583b, 0x8eb3bbaa, 0x2b5449e5, 0xeb3dbe47, 0x5f3a7562, 0x8ebda0b8, 0xf7ea3854, 0x45747299, 0x00c3e531, 0x1627d551, 0x1304e9e7, 0x6adc9cfe, 0x789814d2, 0x8b48dd0b, 0x3c1bab3f, 0xf979c60a, 0xda0fe1ff, 0x7c2dd693, 0x4468de2d},
    {0xe3bc6748, 0x2118278d, 0xd0b20ef7, 0xe71ffd60, 0xc67bb198, 0xf551be51, 0xd0543d4d, 0x26a13664, 0x13a339ee, 0x29522d3b, 0x6cd89529, 0x85522550, 0xacf4f0f1, 0xdfea3ad4, 0x7942742e, 0x49d76bba, 0x8d56e61d, 0x14fa4233, 0xc351299a, 0x191d3946, 0xa7adb185, 0x247d576d, 0xa8fcedc2, 0x4e1fafe3},
    {0x236a044c, 0x15e7053d, 0x3b8d87e3, 0x3cddbcb1, 0xd321a828, 0x519960d2, 0x0fc5bba4, 0x4e559a0f, 0x9c12701c, 0xfe00e876, 0x039c3b5f, 0x95dcdc0a, 0x0c02eb1b, 0xc169454b, 0x5f87530c, 0x727021d3, 0x27df241e, 0xa5710407, 0xb2900d36, 0xdf45efaa, 0x60a69ade, 0xfe6edb5c, 0x07bbc01d, 0x64fcb730},
    {0x6fd390ca, 0x38ef58cc, 0x171a98fc, 0xef786575, 0xc442d65f, 0x8850b78f, 0x6fd086ef, 0x6f34c66d, 0x3898dc04, 0x93f3cbb4, 0x4307b727, 0x0791ffb2, 0xce34981d, 0xd7bd8096, 0x8b849f6d, 0x0b598b8e, 0x0cc2f689, 0x11cfc18a, 0xb529ce2a, 0x81114607, 0xc00b5940, 0x0a9bc046, 0xb1ac66c8, 0x412128b0},
    {0xc80c1ac0, 0xa66dcc9d, 0x1b38a436, 0x97a05cf4, 0x95dbd7c6, 0xa7ebf3be, 0x8d7e7dab, 0x7da0b8f6, 0x385675a6, 0xef782014, 0xaafda9e8, 0xa2649f30, 0x5cdfa8cb, 0x4cd1eb50, 0x1d4dc0b3, 0x46115aba, 0xc3b5da76, 0xd40f1953, 0x21119e9b, 0x1dac6f73, 0xfeb25960, 0x03cc6021, 0x83674b4b, 0x5a5f887e},
    {0x0ca2c1f4, 0x0a8d6018, 0xcc68df40, 0x815eb0db, 0xb82f4e99, 0xd7e67a47, 0x607f15c0, 0x45a02890, 0xfd41f184, 0xfef366d1, 0x01cfe11e, 0x8b694a11, 0x0150a74d, 0x4b39e15e, 0x6ad351ba, 0x4013f03d, 0x6ee065cc, 0xbd0282dc, 0x224ae646, 0x36b994fd, 0xfebce874, 0x534e9ad8, 0xd9f06e4f, 0x482255c1},
    {0x71cef800, 0x3c03eacf, 0xca8afebb, 0x90367544, 0x6a29c477, 0x383fea28, 0xbc655462, 0x4e8593b0, 0xa3e5638c, 0x12de114a, 0x29c4f20d, 0xba2a4aa9, 0x7b8b13a3, 0x56b0d29d, 0x7b9b7944, 0x6bb91a49, 0xc5e7d206, 0x2a49e646, 0x9263c445, 0xb13ef9cd, 0xedab529e, 0x50ab6ce8, 0xb0ebe39b, 0x20cf7d79},
    {0x8ae75c48, 0xcbd28f4e, 0x44000b60, 0x3cde0291, 0x98bc2170, 0x373bb9c8, 0x9f570886, 0x7c118853, 0xf0fe7dca, 0x7db4939d, 0xcba951ce, 0xf50eb90f, 0x357e1d1d, 0x098be61c, 0x8899469d, 0x02356237, 0xe15a4c03, 0x20f6effa, 0x3c778e05, 0x2f470a94, 0xfc99de67, 0x79f50a03, 0xd1061483, 0x38d20188},
    {0x0e6315df, 0x23e811ad, 0xe2aeb290, 0x0b650d05, 0xa75d586c, 0xb7ba0f59, 0x5e1f4dee, 0x043eedd4, 0xc7073217, 0xf6c147f2, 0xf3afd20c, 0xc651b919, 0x7041f802, 0x258fdbfd, 0x4f45073e, 0x173c4fa9, 0x928df9c4, 0x3d71ea60, 0x3373562d, 0x5b7e7806, 0xa29552b2, 0xd9b0514c, 0x993cc472, 0x1e2a7024},
    {0xd45c811f, 0x601a0fbc, 0x92ec0803, 0x24b7bc7d, 0x17d2407f, 0xa0cae62b, 0x06225b26, 0x5fcb43ee, 0x3509fba4, 0x310509b9, 0x05631b75, 0x0d8db376, 0x52401c87, 0x97deccba, 0x11b2e773, 0x044649f4, 0x9598215f, 0x0c0d24ad, 0xcc36628c, 0x1b7f9026, 0x7016dcea, 0x338e2f55, 0x5cc0e58f, 0x0c8a1bfa},
    {0x681d104c, 0x8de703b5, 0x1263cb45, 0x3d2f7a59, 0x1ce56c63, 0xae710c17, 0xfcc3e6ca, 0x6b857c7e, 0x8b2801c0, 0x79d256b4, 0x3c400fc4, 0x7e9fbeac, 0x4733ba41, 0xa751ab1d, 0xdd418aca, 0x09de2bf5, 0xeff0687f, 0x3bf10ff3, 0xf1e37ba2, 0x5ebaea34, 0x1d66034d, 0xe49e6126, 0xc3b242ca, 0x5b466e2a},
    {0x47fbb842, 0x137eeb67, 0x60811a8b, 0x79df5c75, 0x71f8c89a, 0x5a2ba76f, 0x3bc8ffc2, 0x09952a56, 0xdc7ef83c, 0xa2a8cb4b, 0x5f93c226, 0x96b5c6fa, 0x0664e3a5, 0xd4ebeb1b, 0xe5c6cf2f, 0x409b4adc, 0x834350c4, 0x44d53db9, 0xa5f505b4, 0x89299305, 0x5949ff2f, 0xfb22faa2, 0x04657d64, 0x69b968a7},
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
static void comb_select(ge_niels *t, uint32_t k)
{
    uint32_t w[24] = {0};
    uint8_t b[96];
    fe one;

    for (uint32_t i = 0; i < 15; i++) {
        uint32_t m = ct_eq_mask(k, i + 1);
        for (int j = 0; j < 24; j++)
            w[j] |= m & comb[i][j];
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

/* h = a B for a secret 256-bit scalar a, constant time: a 4-tooth comb
 * with teeth 64 bits apart, so 64 doublings and 64 mixed additions. */
static void ge_scalarmult_base(ge_p3 *h, const uint8_t a[32])
{
    ge_p1p1 r;
    ge_niels t;
    ge_p2 q;
    ge_p3 u;

    fe_0(q.X); /* identity; doubling needs no T, so q stays projective */
    fe_1(q.Y);
    fe_1(q.Z);
    for (int i = 63; i >= 0; i--) {
        uint32_t k = 0;
        for (int j = 0; j < 4; j++) {
            int bit = i + 64 * j;
            k |= (uint32_t)((a[bit >> 3] >> (bit & 7)) & 1) << j;
        }
        ge_p2_dbl(&r, &q);
        ge_p1p1_to_p3(&u, &r);
        comb_select(&t, k);
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
