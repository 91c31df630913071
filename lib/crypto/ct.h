/*
 * ct.h: the one private header of lib/crypto. Byte-order helpers and the
 * constant-time building blocks every module uses.
 *
 * Everything here is branch-free and index-free on its arguments: a mask is
 * derived arithmetically (0 or all ones) and applied with AND/XOR, never with
 * `if` or `?:`, so the compiler has no data-dependent control flow to emit.
 * The loads and stores go byte by byte so they work on unaligned buffers and
 * on big- and little-endian hosts alike; compilers fold them into single
 * loads where the target allows.
 */
#ifndef KEEL_CRYPTO_CT_H
#define KEEL_CRYPTO_CT_H

#include <stddef.h>
#include <stdint.h>

/* CT_WIDE: the target multiplies 64x64->128 cheaply (64-bit hosts). A few
 * hot spots (field arithmetic, Poly1305, ChaCha20's block loop) then use
 * wider code chosen at file scope; 32-bit targets (the M33) get the 32-bit
 * code. -DKEEL_CRYPTO_FE32 forces the 32-bit code so the host tests run
 * the M33's code paths too. */
#if defined(__SIZEOF_INT128__) && !defined(KEEL_CRYPTO_FE32)
#define CT_WIDE 1
#else
#define CT_WIDE 0
#endif

static inline uint32_t ct_load32_le(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline uint32_t ct_load32_be(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t ct_load64_be(const uint8_t *p)
{
    return ((uint64_t)ct_load32_be(p) << 32) | ct_load32_be(p + 4);
}

static inline uint64_t ct_load64_le(const uint8_t *p)
{
    return ((uint64_t)ct_load32_le(p + 4) << 32) | ct_load32_le(p);
}

static inline void ct_store32_le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void ct_store32_be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void ct_store64_be(uint8_t *p, uint64_t v)
{
    ct_store32_be(p, (uint32_t)(v >> 32));
    ct_store32_be(p + 4, (uint32_t)v);
}

static inline void ct_store64_le(uint8_t *p, uint64_t v)
{
    ct_store32_le(p, (uint32_t)v);
    ct_store32_le(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t ct_rotl32(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static inline uint32_t ct_rotr32(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static inline uint64_t ct_rotr64(uint64_t x, unsigned n)
{
    return (x >> n) | (x << (64 - n));
}

/* An optimisation barrier: the compiler cannot see through the value, so it
 * cannot turn mask arithmetic on it back into a branch. */
#if defined(__GNUC__) || defined(__clang__)
static inline uint32_t ct_barrier32(uint32_t x)
{
    __asm__("" : "+r"(x));
    return x;
}
static inline uint64_t ct_barrier64(uint64_t x)
{
    __asm__("" : "+r"(x));
    return x;
}
#else
static inline uint32_t ct_barrier32(uint32_t x)
{
    volatile uint32_t v = x;
    return v;
}
static inline uint64_t ct_barrier64(uint64_t x)
{
    volatile uint64_t v = x;
    return v;
}
#endif

/* 0xFFFFFFFF if x != 0, else 0, without a comparison the compiler could
 * turn into a branch. */
static inline uint32_t ct_nonzero_mask(uint32_t x)
{
    /* The barrier hides that the result is 0 or all ones: knowing that,
     * clang turns `mask & value` into a conditional move or branch. */
    return ct_barrier32((uint32_t)0 - ((x | ((uint32_t)0 - x)) >> 31));
}

/* 0xFFFFFFFF if a == b, else 0. */
static inline uint32_t ct_eq_mask(uint32_t a, uint32_t b)
{
    return ~ct_nonzero_mask(a ^ b);
}

/* 0xFFFFFFFF if a < b (unsigned), else 0. */
static inline uint32_t ct_lt_mask(uint32_t a, uint32_t b)
{
    return ct_barrier32((uint32_t)0 - (uint32_t)(((uint64_t)a - b) >> 63));
}

/* OR of a ^ b over len bytes: 0 iff equal. Reads every byte whatever the
 * content, so the time depends on len only. */
static inline uint32_t ct_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint32_t d = 0;
    for (size_t i = 0; i < len; i++)
        d |= (uint32_t)(a[i] ^ b[i]);
    return d;
}


#endif
