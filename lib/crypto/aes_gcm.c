/*
 * aes_gcm.c: AES-128 (FIPS 197) and GCM (NIST SP 800-38D).
 *
 * IMPLEMENTATION NOTES
 * One implementation, two word sizes. AES is bitsliced: NB blocks are
 * transposed into eight words of 16 * NB bits, word i holding bit i of
 * every state byte, so each AES step is a short run of word operations on
 * all NB blocks at once. The M33 (and any 32-bit target) uses 32-bit words
 * and two blocks per pass; 64-bit hosts (CT_WIDE, ct.h) use 64-bit words
 * and four blocks. Every line below is the same for both: the word type,
 * NB and the masks derived from NB are chosen once, at file scope.
 *
 * Bit layout of a word (NB = 2 shown; for NB = 4 each field is twice as
 * wide): bit index = 4 * NB * row + NB * column + block. A row is thus one
 * contiguous field of 4 * NB bits, so
 *  - MixColumns, which mixes a column's four rows, is rotations of whole
 *    words by one and two row fields (W/4, W/2 bits);
 *  - ShiftRows rotates columns inside each row field: rows 1 and 3 by one
 *    column (two masks and shifts), then rows 2 and 3 by two (one swap).
 * The S-box is Boyar and Peralta's 113-gate circuit (AND/XOR only here:
 * its four NOTs, the affine constant 0x63, pass unchanged through
 * ShiftRows and MixColumns and are folded into round keys 1..10). No table
 * is indexed anywhere, so there is no cache or timing channel on the key
 * or the data. The round keys are kept already bitsliced (11 x 8 words).
 *
 * GHASH multiplies in GF(2^128) with ordinary integer multiplies on
 * operands with "holes": a 32-bit operand split by the masks 0x11111111,
 * 0x22222222, ... has one bit in four, so a 32x32->64 product counts at
 * most eight terms per kept bit and the carries stay in the three bits
 * between (BearSSL's ctmul idea). Sixteen such products give one
 * carry-less 32x32->64 product; two products whose peaks are four bits
 * apart (count <= 15) may even be added, which the M33 does in UMLAL.
 * Two levels of Karatsuba make the 128x128 product out of nine of these;
 * the hash key's nine operands are split into their masked parts once per
 * call. GCM's reflected bit order makes the integer product one bit off;
 * instead of shifting every product, H is divided by x once (H * x^-1).
 * The reduction modulo x^128 + x^7 + x^2 + x + 1 is shifts and XORs.
 * The multiplier is constant time on the M33 and on x86-64.
 *
 * GCM encrypts with CTR from J0 + 1 and MACs the ciphertext; whole passes
 * of 16 * NB bytes go straight from input to output, and the context keeps
 * the unused key stream of a last partial pass and one partial GHASH
 * block. The one-shot decrypt hashes first and decrypts only if the tag
 * matches.
 */
#include <string.h>

#include "crypto.h"
#include "ct.h"

/* ---- Word size ----------------------------------------------------------------------- */

#if CT_WIDE
typedef uint64_t aes_word;
#define AES_NB 4
#define AES_RK(ctx) ((ctx)->rk.w64)
#define aes_opaque ct_barrier64
#else
typedef uint32_t aes_word;
#define AES_NB 2
#define AES_RK(ctx) ((ctx)->rk.w32)
#define aes_opaque ct_barrier32
#endif
/* NOINLINE keeps the GHASH multiply out of line, so that the M33's 13
 * registers hold one product at a time instead of spilling nine
 * interleaved ones; GCC's first scheduling pass would still hoist its
 * sixteen multiplies and spill (66 instructions instead of 55), so it is
 * turned off for that one function (GHASH_SCHED). */
#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#define INLINE inline __attribute__((always_inline))
#else
#define NOINLINE
#define INLINE inline
#endif
#if defined(__GNUC__) && !defined(__clang__)
#define GHASH_SCHED __attribute__((optimize("no-schedule-insns")))
#else
#define GHASH_SCHED
#endif
#define AES_BITS (16 * AES_NB)  /* bits per word (8 words: NB blocks) */
#define AES_PASS (16 * AES_NB)  /* bytes per bitsliced pass, the same number */
#define AES_ROW (4 * AES_NB)    /* bits per row field */
#define AES_REP(b) ((aes_word)(0x0101010101010101ULL * (b)))
/* AES_FIELD: bits [lo, hi) of a row field; AES_ROWS: that field's bits in
 * rows r and s. The ShiftRows masks: */
#define AES_FIELD(lo, hi) ((((aes_word)1 << (hi)) - ((aes_word)1 << (lo))))
#define AES_ROWS(m, r, s) (((m) << (AES_ROW * (r))) | ((m) << (AES_ROW * (s))))
#define AES_SR_KEEP AES_ROWS(AES_FIELD(0, AES_ROW), 0, 2)
#define AES_SR_HI AES_ROWS(AES_FIELD(AES_NB, AES_ROW), 1, 3)
#define AES_SR_LO AES_ROWS(AES_FIELD(0, AES_NB), 1, 3)
#define AES_SR_HALF AES_ROWS(AES_FIELD(0, 2 * AES_NB), 2, 3)

_Static_assert(sizeof(((crypto_aes128gcm_t *)0)->stream) >= AES_PASS,
               "crypto.h: stream holds one pass");
_Static_assert(sizeof(AES_RK((crypto_aes128gcm_t *)0)[0]) == sizeof(aes_word),
               "crypto.h: round keys in aes words");

static INLINE aes_word aes_rotr(aes_word x, unsigned n)
{
    return (x >> n) | (x << (AES_BITS - n));
}

/* ---- Bitsliced AES ---------------------------------------------------------------- */

/* ShiftRows: row r moves r columns left (column c takes column c + r).
 * half is AES_SR_HALF. The barriers keep the compiler from rewriting
 * (x & m) >> s as (x >> s) & m', which costs Thumb-2 an extra shift (and
 * its masks are not all encodable immediates); half comes in a register
 * for the same reason. */
static INLINE aes_word aes_shift_row(aes_word x, aes_word half)
{
    aes_word hi = aes_opaque(x & AES_SR_HI), lo = aes_opaque(x & AES_SR_LO), t;
    x = (x & AES_SR_KEEP) | (hi >> AES_NB) | (lo << (3 * AES_NB));
    t = (x ^ (x >> (2 * AES_NB))) & half;
    return x ^ t ^ (t << (2 * AES_NB));
}

/* AddRoundKey, SubBytes without its affine constant (see the notes) and
 * ShiftRows, in one pass over the state. */
static NOINLINE void aes_sbox(aes_word *q, const aes_word *rk)
{
    aes_word x0, x1, x2, x3, x4, x5, x6, x7;
    aes_word y1, y2, y3, y4, y5, y6, y7, y8, y9, y10, y11, y12, y13, y14;
    aes_word y15, y16, y17, y18, y19, y20, y21;
    aes_word z0, z1, z2, z3, z4, z5, z6, z7, z8, z9, z10, z11, z12, z13;
    aes_word z14, z15, z16, z17;
    aes_word t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13;
    aes_word t14, t15, t16, t17, t18, t19, t20, t21, t22, t23, t24, t25;
    aes_word t26, t27, t28, t29, t30, t31, t32, t33, t34, t35, t36, t37;
    aes_word t38, t39, t40, t41, t42, t43, t44, t45, t46, t47, t48, t49;
    aes_word t50, t51, t52, t53, t54, t55, t56, t57, t58, t59, t60, t61;
    aes_word t62, t63, t64, t65, t66, t67;

    /* x0 is the most significant bit. */
    x0 = q[7] ^ rk[7]; x1 = q[6] ^ rk[6]; x2 = q[5] ^ rk[5]; x3 = q[4] ^ rk[4];
    x4 = q[3] ^ rk[3]; x5 = q[2] ^ rk[2]; x6 = q[1] ^ rk[1]; x7 = q[0] ^ rk[0];

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

    /* bottom linear layer; the circuit's NOTs on s1, s2, s6, s7 are left
     * to the round keys */
    t46 = z15 ^ z16; t47 = z10 ^ z11; t48 = z5 ^ z13; t49 = z9 ^ z10;
    t50 = z2 ^ z12; t51 = z2 ^ z5; t52 = z7 ^ z8; t53 = z0 ^ z3;
    t54 = z6 ^ z7; t55 = z16 ^ z17; t56 = z12 ^ t48; t57 = t50 ^ t53;
    t58 = z4 ^ t46; t59 = z3 ^ t54; t60 = t46 ^ t57; t61 = z14 ^ t57;
    t62 = t52 ^ t58; t63 = t49 ^ t58; t64 = z4 ^ t59; t65 = t61 ^ t62;
    t66 = z1 ^ t63; t67 = t64 ^ t65;
    x3 = t53 ^ t66;                 /* s3 */
    x0 = aes_opaque(AES_SR_HALF);
    q[7] = aes_shift_row(t59 ^ t63, x0);    /* s0 */
    q[6] = aes_shift_row(t64 ^ x3, x0);     /* ~s1 */
    q[5] = aes_shift_row(t55 ^ t67, x0);    /* ~s2 */
    q[4] = aes_shift_row(x3, x0);
    q[3] = aes_shift_row(t51 ^ t66, x0);    /* s4 */
    q[2] = aes_shift_row(t47 ^ t65, x0);    /* s5 */
    q[1] = aes_shift_row(t56 ^ t62, x0);    /* ~s6 */
    q[0] = aes_shift_row(t48 ^ t60, x0);    /* ~s7 */
}

/* The affine constant's bits: words 0, 1, 5 and 6 (0x63). */
static void aes_add_affine(aes_word q[8])
{
    q[0] = ~q[0];
    q[1] = ~q[1];
    q[5] = ~q[5];
    q[6] = ~q[6];
}

/* Exchanges the bits of x at positions m << s with those of y at m: four
 * operations ("swapmove"), two of them with a free shift on Thumb-2. */
static INLINE void aes_swap(aes_word *x, aes_word *y, aes_word m, unsigned s)
{
    aes_word t = ((*x >> s) ^ *y) & m;
    *y ^= t;
    *x ^= t << s;
}

/* Word k of the loaded state holds (block, column) coordinates in its
 * index bits and (row, bit) in its position bits; three rounds of swaps
 * exchange index bit j with position bit j, so that word i holds bit i of
 * every byte. An involution: it also transposes back. */
static void aes_ortho(aes_word q[8])
{
    aes_word q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
    aes_word q4 = q[4], q5 = q[5], q6 = q[6], q7 = q[7];
    aes_swap(&q0, &q1, AES_REP(0x55), 1);
    aes_swap(&q2, &q3, AES_REP(0x55), 1);
    aes_swap(&q4, &q5, AES_REP(0x55), 1);
    aes_swap(&q6, &q7, AES_REP(0x55), 1);
    aes_swap(&q0, &q2, AES_REP(0x33), 2);
    aes_swap(&q1, &q3, AES_REP(0x33), 2);
    aes_swap(&q4, &q6, AES_REP(0x33), 2);
    aes_swap(&q5, &q7, AES_REP(0x33), 2);
    aes_swap(&q0, &q4, AES_REP(0x0F), 4);
    aes_swap(&q1, &q5, AES_REP(0x0F), 4);
    aes_swap(&q2, &q6, AES_REP(0x0F), 4);
    aes_swap(&q3, &q7, AES_REP(0x0F), 4);
    q[0] = q0; q[1] = q1; q[2] = q2; q[3] = q3;
    q[4] = q4; q[5] = q5; q[6] = q6; q[7] = q7;
}

/* w[4 * b + c] is column c (little-endian) of block b. */
#if CT_WIDE
/* 64-bit words: byte 2r + (c >> 1) of word 4 (c & 1) + b is row r of
 * column c of block b, so the row is the top of the position bits. */
static uint64_t aes_spread(uint32_t x)
{
    uint64_t s = ((uint64_t)x | ((uint64_t)x << 16)) & 0x0000FFFF0000FFFFULL;
    return (s | (s << 8)) & 0x00FF00FF00FF00FFULL;
}

static uint32_t aes_unspread(uint64_t s)
{
    s &= 0x00FF00FF00FF00FFULL;
    s = (s | (s >> 8)) & 0x0000FFFF0000FFFFULL;
    return (uint32_t)(s | (s >> 16));
}

static void aes_load(aes_word q[8], const uint32_t w[16])
{
    for (int b = 0; b < 4; b++) {
        q[b] = aes_spread(w[4 * b]) | (aes_spread(w[4 * b + 2]) << 8);
        q[4 + b] = aes_spread(w[4 * b + 1]) | (aes_spread(w[4 * b + 3]) << 8);
    }
    aes_ortho(q);
}

static void aes_store(uint32_t w[16], aes_word q[8])
{
    aes_ortho(q);
    for (int b = 0; b < 4; b++) {
        w[4 * b] = aes_unspread(q[b]);
        w[4 * b + 2] = aes_unspread(q[b] >> 8);
        w[4 * b + 1] = aes_unspread(q[4 + b]);
        w[4 * b + 3] = aes_unspread(q[4 + b] >> 8);
    }
}
#else
/* 32-bit words: word 2c + b is column c of block b. */
static void aes_load(aes_word q[8], const uint32_t w[8])
{
    for (int c = 0; c < 4; c++) {
        q[2 * c] = w[c];
        q[2 * c + 1] = w[4 + c];
    }
    aes_ortho(q);
}

static void aes_store(uint32_t w[8], aes_word q[8])
{
    aes_ortho(q);
    for (int c = 0; c < 4; c++) {
        w[c] = q[2 * c];
        w[4 + c] = q[2 * c + 1];
    }
}
#endif

/* MixColumns. Rotating by one row field (r1) lines each row up with the
 * next one of its column: 2*a ^ 3*b ^ c ^ d = 2*(a ^ b) ^ b ^ (c ^ d) per
 * byte, t = a ^ b, and the doubling's feedback (x^8 = x^4 + x^3 + x + 1)
 * is t7 into words 0, 1, 3 and 4. */
static void aes_mix_columns(aes_word q[8])
{
    const unsigned r1 = AES_BITS / 4, r2 = AES_BITS / 2;
    aes_word q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
    aes_word q4 = q[4], q5 = q[5], q6 = q[6], q7 = q[7];
    aes_word t0 = q0 ^ aes_rotr(q0, r1), t1 = q1 ^ aes_rotr(q1, r1);
    aes_word t2 = q2 ^ aes_rotr(q2, r1), t3 = q3 ^ aes_rotr(q3, r1);
    aes_word t4 = q4 ^ aes_rotr(q4, r1), t5 = q5 ^ aes_rotr(q5, r1);
    aes_word t6 = q6 ^ aes_rotr(q6, r1), t7 = q7 ^ aes_rotr(q7, r1);

    q[0] = t7 ^ aes_rotr(q0, r1) ^ aes_rotr(t0, r2);
    q[1] = t0 ^ t7 ^ aes_rotr(q1, r1) ^ aes_rotr(t1, r2);
    q[2] = t1 ^ aes_rotr(q2, r1) ^ aes_rotr(t2, r2);
    q[3] = t2 ^ t7 ^ aes_rotr(q3, r1) ^ aes_rotr(t3, r2);
    q[4] = t3 ^ t7 ^ aes_rotr(q4, r1) ^ aes_rotr(t4, r2);
    q[5] = t4 ^ aes_rotr(q5, r1) ^ aes_rotr(t5, r2);
    q[6] = t5 ^ aes_rotr(q6, r1) ^ aes_rotr(t6, r2);
    q[7] = t6 ^ aes_rotr(q7, r1) ^ aes_rotr(t7, r2);
}

/* Encrypts NB blocks in bitsliced form in place. */
static void aes128_rounds(aes_word q[8], const aes_word rk[88])
{
    for (int r = 0; r < 9; r++) {
        aes_sbox(q, rk + 8 * r);
        aes_mix_columns(q);
    }
    aes_sbox(q, rk + 72);
    for (int i = 0; i < 8; i++)
        q[i] ^= rk[80 + i];
}

/* S-box of the four bytes of x, through the bitsliced circuit. */
static uint32_t aes_sub_word(uint32_t x)
{
    static const aes_word none[8];
    uint32_t w[4 * AES_NB];
    aes_word q[8];
    for (int i = 0; i < 4 * AES_NB; i++)
        w[i] = x;
    aes_load(q, w);
    aes_sbox(q, none); /* ShiftRows: all columns are equal */
    aes_add_affine(q);
    aes_store(w, q);
    x = w[0];
    crypto_wipe(q, sizeof q);
    crypto_wipe(w, sizeof w);
    return x;
}

/* rk[88]: the eleven round keys bitsliced (all blocks equal); keys 1..10
 * carry the S-box's affine constant. */
static void aes128_keysched(aes_word rk[88], const uint8_t key[16])
{
    static const uint8_t rcon[10] = {0x01, 0x02, 0x04, 0x08, 0x10,
                                     0x20, 0x40, 0x80, 0x1B, 0x36};
    uint32_t w[44], cols[4 * AES_NB];
    for (int i = 0; i < 4; i++)
        w[i] = ct_load32_le(key + 4 * i);
    for (int i = 4; i < 44; i++) {
        uint32_t t = w[i - 1];
        if ((i & 3) == 0)
            t = aes_sub_word(ct_rotr32(t, 8)) ^ rcon[i / 4 - 1];
        w[i] = w[i - 4] ^ t;
    }
    for (int r = 0; r < 11; r++) {
        for (int i = 0; i < 4 * AES_NB; i++)
            cols[i] = w[4 * r + (i & 3)];
        aes_load(rk + 8 * r, cols);
        if (r > 0)
            aes_add_affine(rk + 8 * r);
    }
    crypto_wipe(w, sizeof w);
    crypto_wipe(cols, sizeof cols);
}

/* w[4 * b + c]: NB blocks as little-endian column words, encrypted in
 * place. q is the caller's scratch (wiped by the caller). */
static void aes128_encrypt_words(uint32_t w[4 * AES_NB], aes_word q[8],
                                 const aes_word rk[88])
{
    aes_load(q, w);
    aes128_rounds(q, rk);
    aes_store(w, q);
}

void crypto_aes128_encrypt_block(uint8_t out[16], const uint8_t key[16],
                                 const uint8_t in[16])
{
    aes_word rk[88], q[8];
    uint32_t w[4 * AES_NB];
    aes128_keysched(rk, key);
    for (int i = 0; i < 4 * AES_NB; i++)
        w[i] = ct_load32_le(in + 4 * (i & 3));
    aes128_encrypt_words(w, q, rk);
    for (int i = 0; i < 4; i++)
        ct_store32_le(out + 4 * i, w[i]);
    crypto_wipe(rk, sizeof rk);
    crypto_wipe(q, sizeof q);
    crypto_wipe(w, sizeof w);
}

/* ---- GHASH ------------------------------------------------------------------------ */

/* A hash-key operand split by the four hole masks. */
typedef struct {
    uint32_t m[4];
} ghash_split;

static void ghash_split_word(ghash_split *s, uint32_t y)
{
    s->m[0] = y & 0x11111111;
    s->m[1] = y & 0x22222222;
    s->m[2] = y & 0x44444444;
    s->m[3] = y & 0x88888888;
}

/* Carry-less 32x32 -> 64 product of x and the split operand y. In each
 * sum the two products' per-bit term counts peak four positions apart,
 * so no count exceeds 15 (see the notes). */
static NOINLINE GHASH_SCHED uint64_t ghash_bmul32(uint32_t x, const ghash_split *y)
{
    uint64_t x0 = x & 0x11111111, x1 = x & 0x22222222;
    uint64_t x2 = x & 0x44444444, x3 = x & 0x88888888;
    uint64_t z0 = (x0 * y->m[0] + x2 * y->m[2]) ^ (x1 * y->m[3]) ^ (x3 * y->m[1]);
    uint64_t z1 = (x0 * y->m[1] + x2 * y->m[3]) ^ (x1 * y->m[0] + x3 * y->m[2]);
    uint64_t z2 = (x0 * y->m[2] + x3 * y->m[3]) ^ (x1 * y->m[1]) ^ (x2 * y->m[0]);
    uint64_t z3 = (x0 * y->m[3]) ^ (x1 * y->m[2]) ^ (x2 * y->m[1]) ^ (x3 * y->m[0]);
    return (z0 & 0x1111111111111111ULL) | (z1 & 0x2222222222222222ULL) |
           (z2 & 0x4444444444444444ULL) | (z3 & 0x8888888888888888ULL);
}

/* 64x64 -> 128 by Karatsuba: lo, hi as 64-bit halves. */
static inline void ghash_mul64(uint64_t *lo, uint64_t *hi, uint32_t a0,
                               uint32_t a1, const ghash_split y[3])
{
    uint64_t p0 = ghash_bmul32(a0, &y[0]), p1 = ghash_bmul32(a1, &y[1]);
    uint64_t pm = ghash_bmul32(a0 ^ a1, &y[2]) ^ p0 ^ p1;
    *lo = p0 ^ (pm << 32);
    *hi = p1 ^ (pm >> 32);
}

/* y = (y ^ block) * H for each whole 16-byte block. Words are numbered
 * from the integer's low end: GCM's x^0 is bit 127 of the big-endian
 * block. hx = H * x^-1 (see the notes). */
static void ghash_blocks(uint8_t y[16], const uint8_t h[16],
                         const uint8_t *data, size_t nblocks)
{
    ghash_split hs[9];
    uint32_t hx[4], a0, a1, a2, a3, top;

    for (int i = 0; i < 4; i++)
        hx[i] = ct_load32_be(h + 12 - 4 * i);
    /* H / x: shift the reflected integer left; the x^0 term becomes
     * x^-1 = x^127 + x^6 + x + 1. */
    top = (uint32_t)0 - (hx[3] >> 31);
    hx[3] = (hx[3] << 1) | (hx[2] >> 31);
    hx[2] = (hx[2] << 1) | (hx[1] >> 31);
    hx[1] = (hx[1] << 1) | (hx[0] >> 31);
    hx[0] = (hx[0] << 1) ^ (top & 1);
    hx[3] ^= top & 0xC2000000;
    ghash_split_word(&hs[0], hx[0]);
    ghash_split_word(&hs[1], hx[1]);
    ghash_split_word(&hs[2], hx[0] ^ hx[1]);
    ghash_split_word(&hs[3], hx[2]);
    ghash_split_word(&hs[4], hx[3]);
    ghash_split_word(&hs[5], hx[2] ^ hx[3]);
    ghash_split_word(&hs[6], hx[0] ^ hx[2]);
    ghash_split_word(&hs[7], hx[1] ^ hx[3]);
    ghash_split_word(&hs[8], hx[0] ^ hx[1] ^ hx[2] ^ hx[3]);

    a0 = ct_load32_be(y + 12);
    a1 = ct_load32_be(y + 8);
    a2 = ct_load32_be(y + 4);
    a3 = ct_load32_be(y);
    while (nblocks--) {
        uint64_t l0, l1, h0, h1, m0, m1;
        uint32_t v0, v1, v2, v3;
        a0 ^= ct_load32_be(data + 12);
        a1 ^= ct_load32_be(data + 8);
        a2 ^= ct_load32_be(data + 4);
        a3 ^= ct_load32_be(data);
        data += 16;
        ghash_mul64(&l0, &l1, a0, a1, &hs[0]);
        ghash_mul64(&h0, &h1, a2, a3, &hs[3]);
        ghash_mul64(&m0, &m1, a0 ^ a2, a1 ^ a3, &hs[6]);
        m0 ^= l0 ^ h0;
        m1 ^= l1 ^ h1;
        l1 ^= m0;
        h0 ^= m1;
        /* The 256-bit product is h1:h0:l1:l0. Reduce: x^128 = x^7 + x^2 +
         * x + 1, reflected; 32-bit word j folds into words j + 4 and
         * j + 3, and word 3 is folded after word 0 has fed it. */
        v0 = (uint32_t)l0;
        v1 = (uint32_t)(l0 >> 32);
        v2 = (uint32_t)l1;
        v3 = (uint32_t)(l1 >> 32) ^ (v0 << 31) ^ (v0 << 30) ^ (v0 << 25);
        a0 = (uint32_t)h0 ^ v0 ^ (v0 >> 1) ^ (v0 >> 2) ^ (v0 >> 7) ^
             (v1 << 31) ^ (v1 << 30) ^ (v1 << 25);
        a1 = (uint32_t)(h0 >> 32) ^ v1 ^ (v1 >> 1) ^ (v1 >> 2) ^ (v1 >> 7) ^
             (v2 << 31) ^ (v2 << 30) ^ (v2 << 25);
        a2 = (uint32_t)h1 ^ v2 ^ (v2 >> 1) ^ (v2 >> 2) ^ (v2 >> 7) ^
             (v3 << 31) ^ (v3 << 30) ^ (v3 << 25);
        a3 = (uint32_t)(h1 >> 32) ^ v3 ^ (v3 >> 1) ^ (v3 >> 2) ^ (v3 >> 7);
    }
    ct_store32_be(y + 12, a0);
    ct_store32_be(y + 8, a1);
    ct_store32_be(y + 4, a2);
    ct_store32_be(y, a3);
    crypto_wipe(hs, sizeof hs);
    crypto_wipe(hx, sizeof hx);
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
    if (len >= 16)
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

/* out = in ^ key stream for npass whole passes of AES_PASS bytes, or the
 * raw key stream if in is NULL. */
static void gcm_ctr(crypto_aes128gcm_t *ctx, uint8_t *out, const uint8_t *in,
                    size_t npass)
{
    uint32_t w[4 * AES_NB], j[3];
    uint8_t c[4];
    aes_word q[8];

    for (int i = 0; i < 3; i++)
        j[i] = ct_load32_le(ctx->j0 + 4 * i);
    while (npass--) {
        for (int b = 0; b < AES_NB; b++) {
            w[4 * b] = j[0];
            w[4 * b + 1] = j[1];
            w[4 * b + 2] = j[2];
            ct_store32_be(c, ctx->ctr + (uint32_t)b);
            w[4 * b + 3] = ct_load32_le(c);
        }
        ctx->ctr += AES_NB;
        aes128_encrypt_words(w, q, AES_RK(ctx));
        for (int i = 0; i < 4 * AES_NB; i++) {
            uint32_t x = in ? ct_load32_le(in + 4 * i) : 0;
            ct_store32_le(out + 4 * i, x ^ w[i]);
        }
        out += AES_PASS;
        if (in)
            in += AES_PASS;
    }
    crypto_wipe(w, sizeof w);
    crypto_wipe(q, sizeof q);
}

static void gcm_xor(crypto_aes128gcm_t *ctx, uint8_t *out, const uint8_t *in,
                    size_t len)
{
    size_t whole;
    while (len && ctx->used < AES_PASS) {
        *out++ = *in++ ^ ctx->stream[ctx->used++];
        len--;
    }
    whole = len / AES_PASS;
    if (whole) {
        gcm_ctr(ctx, out, in, whole);
        out += whole * AES_PASS;
        in += whole * AES_PASS;
        len -= whole * AES_PASS;
    }
    if (len) {
        gcm_ctr(ctx, ctx->stream, NULL, 1);
        for (size_t i = 0; i < len; i++)
            out[i] = in[i] ^ ctx->stream[i];
        ctx->used = len;
    }
}

int crypto_aes128gcm_init(crypto_aes128gcm_t *ctx, const uint8_t key[16],
                          const uint8_t *iv, size_t iv_len, const void *ad,
                          size_t ad_len)
{
    static const uint8_t zero[16];

    if (iv_len == 0)
        return CRYPTO_EINVAL;
    memset(ctx, 0, sizeof *ctx);
    aes128_keysched(AES_RK(ctx), key);
    memcpy(ctx->j0, zero, 16);
    gcm_ctr(ctx, ctx->stream, NULL, 1); /* counter 0 of an all-zero J0 */
    memcpy(ctx->h, ctx->stream, 16);
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
    ctx->ctr = ct_load32_be(ctx->j0 + 12);
    gcm_ctr(ctx, ctx->stream, NULL, 1); /* E(J0) first: it masks the tag */
    memcpy(ctx->ej0, ctx->stream, 16);
    ctx->used = 16;                     /* then J0 + 1, ... */
    gcm_hash(ctx, ad, ad_len);
    gcm_hash_pad(ctx);
    ctx->ad_len = ad_len;
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
    uint8_t lens[16];
    gcm_hash_pad(ctx);
    ct_store64_be(lens, ctx->ad_len * 8);
    ct_store64_be(lens + 8, ctx->text_len * 8);
    gcm_hash(ctx, lens, 16);
    for (int i = 0; i < 16; i++)
        tag[i] = ctx->y[i] ^ ctx->ej0[i];
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
