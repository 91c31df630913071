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

/* The field representation is chosen per target at file scope: ten signed
 * 25.5-bit limbs where the widest cheap product is 32x32->64 (the M33),
 * five unsigned 51-bit limbs where 64x64->128 exists (64-bit hosts, where
 * this is 2-3x faster). Both expose the same fe_* functions, both are
 * tested on the host (KEEL_CRYPTO_FE32 forces the M33 one). */
#if defined(__SIZEOF_INT128__) && !defined(KEEL_CRYPTO_FE32)
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
