/*
 * curve25519.c: field arithmetic mod 2^255 - 19, X25519 (RFC 7748) and
 * Ed25519 (RFC 8032).
 *
 * IMPLEMENTATION NOTES
 * Field: ten signed 32-bit limbs in radix 2^25.5 (26, 25, 26, ... bits), the
 * ref10 / Monocypher representation. A product is 100 32x32->64 multiplies
 * (SMULL/SMLAL on the M33, one instruction each), the reduction by 19 is
 * folded into precomputed 19*g limbs, and carries are arithmetic shifts.
 * Limbs stay signed so subtraction needs no bias. fe_mul and fe_sq are
 * unrolled; tools/gen_fe25519.py generates their bodies and the constants.
 * Every field operation is straight-line code: no branch or index depends on
 * a value.
 *
 * X25519: the RFC 7748 Montgomery ladder, with a masked conditional swap
 * (fe_cswap) driven by the scalar bits; 5M + 4S + 1 small multiply per bit.
 *
 * Ed25519 points use ref10's coordinates: extended (X:Y:Z:T), projective
 * (X:Y:Z), "completed" ((X:Z),(Y:T)) and cached (Y+X, Y-X, Z, 2dT). The
 * formulas are the unified, complete ones, so the identity and doublings
 * need no special case.
 *
 * Secret scalar multiplication (key generation, signing) is a fixed-window
 * Horner scheme over signed 4-bit digits in [-8, 8]: a table of 1..8 times
 * the base point is built per call (no flash table: 24 KiB budget), each
 * digit is looked up with a full constant-time scan and a masked negation,
 * and every step does the same 4 doublings and one addition.
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

typedef int32_t fe[10];

static const fe fe_d = {56195235, 13857412, 51736253, 6949390, 114729, 24766616, 60832955, 30306712, 48412415, 21499315};
static const fe fe_d2 = {45281625, 27714825, 36363642, 13898781, 229458, 15978800, 54557047, 27058993, 29715967, 9444199};
static const fe fe_sqrtm1 = {34513072, 25610706, 9377949, 3500415, 12389472, 33281959, 41962654, 31548777, 326685, 11406482};
static const fe fe_bx = {52811034, 25909283, 16144682, 17082669, 27570973, 30858332, 40966398, 8378388, 20764389, 8758491};
static const fe fe_by = {40265304, 26843545, 13421772, 20132659, 26843545, 6710886, 53687091, 13421772, 40265318, 26843545};
static const fe fe_bt = {28827043, 27438313, 39759291, 244362, 8635006, 11264893, 19351346, 13413597, 16611511, 27139452};

/* ---- Field arithmetic ---------------------------------------------------------- */

static void fe_0(fe h) { memset(h, 0, sizeof(fe)); }
static void fe_1(fe h) { fe_0(h); h[0] = 1; }
static void fe_copy(fe h, const fe f) { memcpy(h, f, sizeof(fe)); }

static void fe_add(fe h, const fe f, const fe g)
{
    for (int i = 0; i < 10; i++)
        h[i] = f[i] + g[i];
}

static void fe_sub(fe h, const fe f, const fe g)
{
    for (int i = 0; i < 10; i++)
        h[i] = f[i] - g[i];
}

static void fe_neg(fe h, const fe f)
{
    for (int i = 0; i < 10; i++)
        h[i] = -f[i];
}

/* h = g if b == 1, h unchanged if b == 0; b is a secret bit. */
static void fe_cmov(fe h, const fe g, uint32_t b)
{
    int32_t mask = -(int32_t)ct_barrier32(b);
    for (int i = 0; i < 10; i++)
        h[i] ^= mask & (h[i] ^ g[i]);
}

static void fe_cswap(fe f, fe g, uint32_t b)
{
    int32_t mask = -(int32_t)ct_barrier32(b);
    for (int i = 0; i < 10; i++) {
        int32_t x = mask & (f[i] ^ g[i]);
        f[i] ^= x;
        g[i] ^= x;
    }
}

/* Carry chain shared by mul, sq and mul_small: brings |h_i| back under
 * 2^25 / 2^24 (ref10's bounds). The carries interleave two chains to
 * shorten the dependency path. */
#define FE_CARRY(h)                                                           \
    do {                                                                      \
        int64_t c;                                                            \
        c = (h0 + ((int64_t)1 << 25)) >> 26; h1 += c; h0 -= c * ((int64_t)1 << 26); \
        c = (h4 + ((int64_t)1 << 25)) >> 26; h5 += c; h4 -= c * ((int64_t)1 << 26); \
        c = (h1 + ((int64_t)1 << 24)) >> 25; h2 += c; h1 -= c * ((int64_t)1 << 25); \
        c = (h5 + ((int64_t)1 << 24)) >> 25; h6 += c; h5 -= c * ((int64_t)1 << 25); \
        c = (h2 + ((int64_t)1 << 25)) >> 26; h3 += c; h2 -= c * ((int64_t)1 << 26); \
        c = (h6 + ((int64_t)1 << 25)) >> 26; h7 += c; h6 -= c * ((int64_t)1 << 26); \
        c = (h3 + ((int64_t)1 << 24)) >> 25; h4 += c; h3 -= c * ((int64_t)1 << 25); \
        c = (h7 + ((int64_t)1 << 24)) >> 25; h8 += c; h7 -= c * ((int64_t)1 << 25); \
        c = (h4 + ((int64_t)1 << 25)) >> 26; h5 += c; h4 -= c * ((int64_t)1 << 26); \
        c = (h8 + ((int64_t)1 << 25)) >> 26; h9 += c; h8 -= c * ((int64_t)1 << 26); \
        c = (h9 + ((int64_t)1 << 24)) >> 25; h0 += c * 19; h9 -= c * ((int64_t)1 << 25); \
        c = (h0 + ((int64_t)1 << 25)) >> 26; h1 += c; h0 -= c * ((int64_t)1 << 26); \
        h[0] = (int32_t)h0; h[1] = (int32_t)h1; h[2] = (int32_t)h2;           \
        h[3] = (int32_t)h3; h[4] = (int32_t)h4; h[5] = (int32_t)h5;           \
        h[6] = (int32_t)h6; h[7] = (int32_t)h7; h[8] = (int32_t)h8;           \
        h[9] = (int32_t)h9;                                                   \
    } while (0)

static void fe_mul(fe h, const fe f, const fe g)
{
    int32_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    int32_t f5 = f[5], f6 = f[6], f7 = f[7], f8 = f[8], f9 = f[9];
    int32_t g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
    int32_t g5 = g[5], g6 = g[6], g7 = g[7], g8 = g[8], g9 = g[9];
    int32_t F1 = f1 * 2, F3 = f3 * 2, F5 = f5 * 2, F7 = f7 * 2, F9 = f9 * 2;
    int32_t G1 = g1 * 19, G2 = g2 * 19, G3 = g3 * 19, G4 = g4 * 19;
    int32_t G5 = g5 * 19, G6 = g6 * 19, G7 = g7 * 19, G8 = g8 * 19;
    int32_t G9 = g9 * 19;
    int64_t h0 = f0 * (int64_t)g0 + F1 * (int64_t)G9 + f2 * (int64_t)G8
        + F3 * (int64_t)G7 + f4 * (int64_t)G6 + F5 * (int64_t)G5
        + f6 * (int64_t)G4 + F7 * (int64_t)G3 + f8 * (int64_t)G2
        + F9 * (int64_t)G1;
    int64_t h1 = f0 * (int64_t)g1 + f1 * (int64_t)g0 + f2 * (int64_t)G9
        + f3 * (int64_t)G8 + f4 * (int64_t)G7 + f5 * (int64_t)G6
        + f6 * (int64_t)G5 + f7 * (int64_t)G4 + f8 * (int64_t)G3
        + f9 * (int64_t)G2;
    int64_t h2 = f0 * (int64_t)g2 + F1 * (int64_t)g1 + f2 * (int64_t)g0
        + F3 * (int64_t)G9 + f4 * (int64_t)G8 + F5 * (int64_t)G7
        + f6 * (int64_t)G6 + F7 * (int64_t)G5 + f8 * (int64_t)G4
        + F9 * (int64_t)G3;
    int64_t h3 = f0 * (int64_t)g3 + f1 * (int64_t)g2 + f2 * (int64_t)g1
        + f3 * (int64_t)g0 + f4 * (int64_t)G9 + f5 * (int64_t)G8
        + f6 * (int64_t)G7 + f7 * (int64_t)G6 + f8 * (int64_t)G5
        + f9 * (int64_t)G4;
    int64_t h4 = f0 * (int64_t)g4 + F1 * (int64_t)g3 + f2 * (int64_t)g2
        + F3 * (int64_t)g1 + f4 * (int64_t)g0 + F5 * (int64_t)G9
        + f6 * (int64_t)G8 + F7 * (int64_t)G7 + f8 * (int64_t)G6
        + F9 * (int64_t)G5;
    int64_t h5 = f0 * (int64_t)g5 + f1 * (int64_t)g4 + f2 * (int64_t)g3
        + f3 * (int64_t)g2 + f4 * (int64_t)g1 + f5 * (int64_t)g0
        + f6 * (int64_t)G9 + f7 * (int64_t)G8 + f8 * (int64_t)G7
        + f9 * (int64_t)G6;
    int64_t h6 = f0 * (int64_t)g6 + F1 * (int64_t)g5 + f2 * (int64_t)g4
        + F3 * (int64_t)g3 + f4 * (int64_t)g2 + F5 * (int64_t)g1
        + f6 * (int64_t)g0 + F7 * (int64_t)G9 + f8 * (int64_t)G8
        + F9 * (int64_t)G7;
    int64_t h7 = f0 * (int64_t)g7 + f1 * (int64_t)g6 + f2 * (int64_t)g5
        + f3 * (int64_t)g4 + f4 * (int64_t)g3 + f5 * (int64_t)g2
        + f6 * (int64_t)g1 + f7 * (int64_t)g0 + f8 * (int64_t)G9
        + f9 * (int64_t)G8;
    int64_t h8 = f0 * (int64_t)g8 + F1 * (int64_t)g7 + f2 * (int64_t)g6
        + F3 * (int64_t)g5 + f4 * (int64_t)g4 + F5 * (int64_t)g3
        + f6 * (int64_t)g2 + F7 * (int64_t)g1 + f8 * (int64_t)g0
        + F9 * (int64_t)G9;
    int64_t h9 = f0 * (int64_t)g9 + f1 * (int64_t)g8 + f2 * (int64_t)g7
        + f3 * (int64_t)g6 + f4 * (int64_t)g5 + f5 * (int64_t)g4
        + f6 * (int64_t)g3 + f7 * (int64_t)g2 + f8 * (int64_t)g1
        + f9 * (int64_t)g0;
    FE_CARRY(h);
}

static void fe_sq(fe h, const fe f)
{
    int32_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    int32_t f5 = f[5], f6 = f[6], f7 = f[7], f8 = f[8], f9 = f[9];
    int32_t f0_2 = f0 * 2, f1_2 = f1 * 2, f2_2 = f2 * 2, f3_2 = f3 * 2;
    int32_t f4_2 = f4 * 2, f5_2 = f5 * 2, f6_2 = f6 * 2, f7_2 = f7 * 2;
    int32_t f8_2 = f8 * 2;
    int32_t f5_38 = f5 * 38, f7_38 = f7 * 38, f9_38 = f9 * 38;
    int32_t f6_19 = f6 * 19, f7_19 = f7 * 19, f8_19 = f8 * 19, f9_19 = f9 * 19;
    int64_t h0 = f0 * (int64_t)f0 + f1_2 * (int64_t)f9_38 + f2_2 * (int64_t)f8_19
        + f3_2 * (int64_t)f7_38 + f4_2 * (int64_t)f6_19 + f5 * (int64_t)f5_38;
    int64_t h1 = f0_2 * (int64_t)f1 + f2_2 * (int64_t)f9_19 + f3_2 * (int64_t)f8_19
        + f4_2 * (int64_t)f7_19 + f5_2 * (int64_t)f6_19;
    int64_t h2 = f0_2 * (int64_t)f2 + f1 * (int64_t)f1_2 + f3_2 * (int64_t)f9_38
        + f4_2 * (int64_t)f8_19 + f5_2 * (int64_t)f7_38 + f6 * (int64_t)f6_19;
    int64_t h3 = f0_2 * (int64_t)f3 + f1_2 * (int64_t)f2 + f4_2 * (int64_t)f9_19
        + f5_2 * (int64_t)f8_19 + f6_2 * (int64_t)f7_19;
    int64_t h4 = f0_2 * (int64_t)f4 + f1_2 * (int64_t)f3_2 + f2 * (int64_t)f2
        + f5_2 * (int64_t)f9_38 + f6_2 * (int64_t)f8_19 + f7 * (int64_t)f7_38;
    int64_t h5 = f0_2 * (int64_t)f5 + f1_2 * (int64_t)f4 + f2_2 * (int64_t)f3
        + f6_2 * (int64_t)f9_19 + f7_2 * (int64_t)f8_19;
    int64_t h6 = f0_2 * (int64_t)f6 + f1_2 * (int64_t)f5_2 + f2_2 * (int64_t)f4
        + f3 * (int64_t)f3_2 + f7_2 * (int64_t)f9_38 + f8 * (int64_t)f8_19;
    int64_t h7 = f0_2 * (int64_t)f7 + f1_2 * (int64_t)f6 + f2_2 * (int64_t)f5
        + f3_2 * (int64_t)f4 + f8_2 * (int64_t)f9_19;
    int64_t h8 = f0_2 * (int64_t)f8 + f1_2 * (int64_t)f7_2 + f2_2 * (int64_t)f6
        + f3_2 * (int64_t)f5_2 + f4 * (int64_t)f4 + f9 * (int64_t)f9_38;
    int64_t h9 = f0_2 * (int64_t)f9 + f1_2 * (int64_t)f8 + f2_2 * (int64_t)f7
        + f3_2 * (int64_t)f6 + f4_2 * (int64_t)f5;
    FE_CARRY(h);
}

/* h = f * k for a small constant k (121666 in the ladder). */
static void fe_mul_small(fe h, const fe f, int32_t k)
{
    int64_t h0 = f[0] * (int64_t)k, h1 = f[1] * (int64_t)k;
    int64_t h2 = f[2] * (int64_t)k, h3 = f[3] * (int64_t)k;
    int64_t h4 = f[4] * (int64_t)k, h5 = f[5] * (int64_t)k;
    int64_t h6 = f[6] * (int64_t)k, h7 = f[7] * (int64_t)k;
    int64_t h8 = f[8] * (int64_t)k, h9 = f[9] * (int64_t)k;
    FE_CARRY(h);
}

/* h = f^(2^n) */
static void fe_sqn(fe h, const fe f, int n)
{
    fe_sq(h, f);
    while (--n > 0)
        fe_sq(h, h);
}

static void fe_frombytes(fe h, const uint8_t s[32])
{
    h[0] = (int32_t)(ct_load32_le(s) & 0x3ffffff);
    h[1] = (int32_t)((ct_load32_le(s + 3) >> 2) & 0x1ffffff);
    h[2] = (int32_t)((ct_load32_le(s + 6) >> 3) & 0x3ffffff);
    h[3] = (int32_t)((ct_load32_le(s + 9) >> 5) & 0x1ffffff);
    h[4] = (int32_t)((ct_load32_le(s + 12) >> 6) & 0x3ffffff);
    h[5] = (int32_t)(ct_load32_le(s + 16) & 0x1ffffff);
    h[6] = (int32_t)((ct_load32_le(s + 19) >> 1) & 0x3ffffff);
    h[7] = (int32_t)((ct_load32_le(s + 22) >> 3) & 0x1ffffff);
    h[8] = (int32_t)((ct_load32_le(s + 25) >> 4) & 0x3ffffff);
    h[9] = (int32_t)((ct_load32_le(s + 28) >> 6) & 0x1ffffff);
}

/* Canonical little-endian encoding (value reduced below p). */
static void fe_tobytes(uint8_t s[32], const fe f)
{
    static const uint8_t width[10] = {26, 25, 26, 25, 26, 25, 26, 25, 26, 25};
    int32_t h[10];
    int32_t q;
    uint64_t acc = 0;
    unsigned bits = 0, k = 0;

    /* q = floor(f / p) in {0, 1} after the carries: computed from the top
     * limb and rippled, then f - q*p = f + 19q - q*2^255. */
    q = (19 * f[9] + ((int32_t)1 << 24)) >> 25;
    for (int i = 0; i < 10; i++)
        q = (f[i] + q) >> width[i];
    memcpy(h, f, sizeof h);
    h[0] += 19 * q;
    for (int i = 0; i < 9; i++) {
        int32_t c = h[i] >> width[i];
        h[i + 1] += c;
        h[i] -= c * ((int32_t)1 << width[i]);
    }
    h[9] &= 0x1ffffff; /* drops q * 2^255 */
    for (int i = 0; i < 10; i++) {
        acc |= (uint64_t)(uint32_t)h[i] << bits;
        bits += width[i];
        while (bits >= 8) {
            s[k++] = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
    s[31] = (uint8_t)acc;
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

static void ge_p3_0(ge_p3 *h)
{
    fe_0(h->X);
    fe_1(h->Y);
    fe_1(h->Z);
    fe_0(h->T);
}

static void ge_cached_0(ge_cached *h)
{
    fe_1(h->YplusX);
    fe_1(h->YminusX);
    fe_1(h->Z);
    fe_0(h->T2d);
}

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

/* Constant-time t = sign(e) * table[|e| - 1] (identity for e == 0). */
static void ge_select(ge_cached *t, const ge_cached table[8], int8_t e)
{
    uint32_t neg = (uint32_t)(uint8_t)e >> 7;
    uint32_t abs = (uint32_t)((e ^ -(int32_t)neg) + (int32_t)neg);
    fe minus_t2d;

    ge_cached_0(t);
    for (uint32_t i = 0; i < 8; i++) {
        uint32_t hit = ct_eq_mask(abs, i + 1) & 1;
        fe_cmov(t->YplusX, table[i].YplusX, hit);
        fe_cmov(t->YminusX, table[i].YminusX, hit);
        fe_cmov(t->Z, table[i].Z, hit);
        fe_cmov(t->T2d, table[i].T2d, hit);
    }
    /* -(x, y) = (-x, y): swap Y+X and Y-X, negate 2dT. */
    fe_cswap(t->YplusX, t->YminusX, neg);
    fe_neg(minus_t2d, t->T2d);
    fe_cmov(t->T2d, minus_t2d, neg);
}

/* h = a * B for a secret scalar a (a[31] <= 127), constant time. */
static void ge_scalarmult_base(ge_p3 *h, const uint8_t a[32])
{
    int8_t e[64];
    int8_t carry = 0;
    ge_cached table[8], t;
    ge_p3 p;
    ge_p1p1 r;

    for (int i = 0; i < 32; i++) {
        e[2 * i] = (int8_t)(a[i] & 15);
        e[2 * i + 1] = (int8_t)(a[i] >> 4);
    }
    for (int i = 0; i < 63; i++) { /* recode to [-8, 8) */
        e[i] = (int8_t)(e[i] + carry);
        carry = (int8_t)((e[i] + 8) >> 4);
        e[i] = (int8_t)(e[i] - carry * 16);
    }
    e[63] = (int8_t)(e[63] + carry);

    ge_base(&p); /* table[i] = (i + 1) B */
    ge_p3_to_cached(&table[0], &p);
    for (int i = 1; i < 8; i++) {
        ge_add(&r, &p, &table[0]);
        ge_p1p1_to_p3(&p, &r);
        ge_p3_to_cached(&table[i], &p);
    }

    ge_p3_0(h);
    for (int i = 63; i >= 0; i--) {
        ge_p2 q;
        ge_p3_dbl(&r, h); /* 16 h: only the last doubling needs T */
        ge_p1p1_to_p2(&q, &r);
        ge_p2_dbl(&r, &q);
        ge_p1p1_to_p2(&q, &r);
        ge_p2_dbl(&r, &q);
        ge_p1p1_to_p2(&q, &r);
        ge_p2_dbl(&r, &q);
        ge_p1p1_to_p3(h, &r);
        ge_select(&t, table, e[i]);
        ge_add(&r, h, &t);
        ge_p1p1_to_p3(h, &r);
    }
    crypto_wipe(e, sizeof e);
    crypto_wipe(table, sizeof table);
    crypto_wipe(&t, sizeof t);
    crypto_wipe(&r, sizeof r);
    crypto_wipe(&p, sizeof p);
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
