/* Tiny helpers shared by the lib/crypto tests: a check macro that counts
 * failures, a deterministic PRNG (splitmix64) and hex decoding. */
#ifndef KEEL_CRYPTO_TESTUTIL_H
#define KEEL_CRYPTO_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failures;
static int t_checks;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        t_checks++;                                                           \
        if (!(cond)) {                                                        \
            t_failures++;                                                     \
            if (t_failures < 30) {                                            \
                fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__, __LINE__, #cond); \
                fprintf(stderr, __VA_ARGS__);                                 \
                fputc('\n', stderr);                                          \
            }                                                                 \
        }                                                                     \
    } while (0)

#define CHECK_MEM(a, b, n, ...) CHECK(memcmp((a), (b), (n)) == 0, __VA_ARGS__)

static uint64_t t_rng_state = 0x6b65656c63727970ULL;

static inline uint64_t t_rand64(void)
{
    uint64_t z = (t_rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline size_t t_rand_below(size_t n) { return n ? (size_t)(t_rand64() % n) : 0; }

static inline void t_fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)t_rand64();
}

/* Decodes hex (whitespace ignored) into out; returns the byte count. */
static inline size_t t_unhex(uint8_t *out, const char *hex)
{
    size_t n = 0;
    int hi = -1;
    for (; *hex; hex++) {
        int v;
        char c = *hex;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else continue;
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

static inline int t_report(const char *name)
{
    printf("%s: %d checks, %d failures\n", name, t_checks, t_failures);
    return t_failures ? 1 : 0;
}

#endif
