/*
 * M33 bench image for lib/crypto: counts instructions under QEMU -icount.
 *
 * With `-icount shift=0,align=off,sleep=off` QEMU's virtual clock advances
 * 1 ns per instruction, and the CMSDK TIMER0 (secure alias 0x50000000)
 * counts down at 20 MHz, so one tick is 50 instructions. Each figure is
 * (ticks around the operation - ticks around an empty call) * 50, i.e. it
 * excludes the timer reads themselves. Long operations (64 KiB, or an
 * X25519) are timed once, which keeps the +-50 instruction granularity
 * below 0.01%.
 *
 * Output goes through semihosting (SYS_WRITE0), lines "M33 <name> <instr>
 * <bytes>", and the exit code (SYS_EXIT_EXTENDED) is 0 only if every
 * operation also produced the right answer.
 */
#include <stdint.h>
#include <string.h>

#include "crypto.h"

extern uint32_t __stack_top, __data_load, __data_start, __data_end,
    __bss_start, __bss_end;
int main(void);

void bench_reset(void)
{
    uint32_t *s = &__data_load, *d = &__data_start;
    while (d < &__data_end)
        *d++ = *s++;
    for (d = &__bss_start; d < &__bss_end;)
        *d++ = 0;
    main();
    for (;;)
        ;
}

static void bench_fault(void)
{
    for (;;)
        ;
}

__attribute__((section(".vectors"), used)) void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top, bench_reset, bench_fault, bench_fault,
    bench_fault, bench_fault, bench_fault, bench_fault,
};

/* ---- semihosting --------------------------------------------------------------- */

static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void sh_puts(const char *s)
{
    semihost(0x04, s); /* SYS_WRITE0 */
}

static void sh_exit(uint32_t code)
{
    uint32_t blk[2] = {0x20026, code}; /* ADP_Stopped_ApplicationExit */
    semihost(0x20, blk);               /* SYS_EXIT_EXTENDED */
    for (;;)
        ;
}

static void print_result(const char *name, uint32_t instr, uint32_t bytes)
{
    char line[96], num[12];
    char *p = line;
    const char *parts[2];
    uint32_t vals[2] = {instr, bytes};

    parts[0] = "M33 ";
    parts[1] = name;
    for (int i = 0; i < 2; i++)
        for (const char *q = parts[i]; *q;)
            *p++ = *q++;
    for (int i = 0; i < 2; i++) {
        int n = 0;
        uint32_t v = vals[i];
        *p++ = ' ';
        do {
            num[n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        while (n)
            *p++ = num[--n];
    }
    *p++ = '\n';
    *p = 0;
    sh_puts(line);
}

/* ---- timing -------------------------------------------------------------------- */

#define TIMER0_CTRL (*(volatile uint32_t *)0x50000000)
#define TIMER0_VALUE (*(volatile uint32_t *)0x50000004)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x50000008)

static uint32_t overhead;

static inline uint32_t now(void) { return TIMER0_VALUE; }

/* Instructions spent in fn(arg), minus the cost of timing an empty call. */
static uint32_t measure(void (*fn)(void *), void *arg)
{
    uint32_t t0 = now();
    fn(arg);
    uint32_t t1 = now();
    return (t0 - t1) * 50 - overhead;
}

static void nothing(void *arg) { (void)arg; }

/* Calibration: exactly 2 instructions per iteration (SUBS, BNE), so
 * 1,000,000 iterations must read as ~2,000,000 instructions. */
static void calib(void *arg)
{
    uint32_t n = 1000000;
    (void)arg;
    __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
}

/* ---- the operations ------------------------------------------------------------------- */

#define BULK 65536
static uint8_t bulk[BULK];
static uint8_t key[32], nonce[12], tag[16], digest[64];
static uint8_t seed[32], pk[32], sk[64], sig[64], peer[32], shared[32];
static uint8_t msg[64];
static int failures;

static void op_sha256(void *a) { (void)a; crypto_sha256(digest, bulk, BULK); }
static void op_sha512(void *a) { (void)a; crypto_sha512(digest, bulk, BULK); }
static void op_chapoly(void *a)
{
    (void)a;
    crypto_chacha20poly1305_encrypt(bulk, tag, key, nonce, NULL, 0, bulk, BULK);
}
/* Per-message set-up: key schedule, H = E(0) and E(J0) (TLS pays it per
 * record as long as it calls init per record). */
static void op_gcm_init(void *a)
{
    crypto_aes128gcm_init(a, key, nonce, 12, NULL, 0);
}
static void op_gcm(void *a)
{
    (void)a;
    crypto_aes128gcm_encrypt(bulk, tag, key, nonce, 12, NULL, 0, bulk, BULK);
}
static void op_x25519(void *a) { (void)a; crypto_x25519(shared, seed, peer); }
static void op_sign(void *a) { (void)a; crypto_ed25519_sign(sig, sk, msg, sizeof msg); }
static void op_verify(void *a)
{
    *(int *)a = crypto_ed25519_verify(sig, pk, msg, sizeof msg);
}

int main(void)
{
    static const uint8_t sha256_abc[4] = {0xba, 0x78, 0x16, 0xbf};
    int rc = -1;
    uint32_t n;

    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xffffffff;
    TIMER0_VALUE = 0xffffffff;
    TIMER0_CTRL = 1;

    overhead = 0;
    overhead = measure(nothing, NULL);

    print_result("calib_2000000", measure(calib, NULL), 0);

    crypto_sha256(digest, "abc", 3); /* the build is sane */
    if (memcmp(digest, sha256_abc, 4) != 0)
        failures++;

    for (uint32_t i = 0; i < BULK; i++)
        bulk[i] = (uint8_t)(i * 7);
    for (int i = 0; i < 32; i++) {
        key[i] = (uint8_t)(i + 1);
        seed[i] = (uint8_t)(3 * i + 5);
        peer[i] = (uint8_t)(i * i);
    }

    n = measure(op_sha256, NULL);
    print_result("sha256", n, BULK);
    n = measure(op_sha512, NULL);
    print_result("sha512", n, BULK);
    n = measure(op_chapoly, NULL);
    print_result("chacha20poly1305", n, BULK);
    if (crypto_chacha20poly1305_decrypt(bulk, key, nonce, NULL, 0, bulk, BULK, tag) != 0)
        failures++;
    {
        /* The GCM spec's test case 3 (four blocks: two passes of the
         * bitsliced AES): a round trip alone would not catch a wrong AES. */
        static const uint8_t k3[16] = {0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
                                       0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08};
        static const uint8_t iv3[12] = {0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce,
                                        0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88};
        static const uint8_t p3[64] = {
            0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf,
            0xf5, 0x26, 0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c,
            0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09,
            0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25, 0xb1, 0x6a, 0xed, 0xf5,
            0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39, 0x1a, 0xaf, 0xd2, 0x55};
        static const uint8_t t3[16] = {0x4d, 0x5c, 0x2a, 0xf3, 0x27, 0xcd, 0x64, 0xa6,
                                       0x2c, 0xf3, 0x5a, 0xbd, 0x2b, 0xa6, 0xfa, 0xb4};
        uint8_t c3[64];
        crypto_aes128gcm_encrypt(c3, tag, k3, iv3, 12, NULL, 0, p3, sizeof p3);
        if (memcmp(tag, t3, 16) != 0 || c3[0] != 0x42 || c3[63] != 0x85)
            failures++;
    }
    {
        crypto_aes128gcm_t g;
        print_result("aes128gcm_init", measure(op_gcm_init, &g), 0);
        crypto_aes128gcm_encrypt_final(&g, tag);
    }
    n = measure(op_gcm, NULL);
    print_result("aes128gcm", n, BULK);
    if (crypto_aes128gcm_decrypt(bulk, key, nonce, 12, NULL, 0, bulk, BULK, tag) != 0)
        failures++;
    for (uint32_t i = 0; i < BULK; i += 997)
        if (bulk[i] != (uint8_t)(i * 7))
            failures++;

    crypto_x25519_public_key(peer, key);
    n = measure(op_x25519, NULL);
    print_result("x25519", n, 0);

    crypto_ed25519_keypair(pk, sk, seed);
    memcpy(msg, bulk, sizeof msg);
    n = measure(op_sign, NULL);
    print_result("ed25519_sign", n, sizeof msg);
    n = measure(op_verify, &rc);
    print_result("ed25519_verify", n, sizeof msg);
    if (rc != 0)
        failures++;
    sig[5] ^= 1;
    if (crypto_ed25519_verify(sig, pk, msg, sizeof msg) == 0)
        failures++;

    print_result("overhead", overhead, 0);
    sh_exit(failures ? 1 : 0);
    return 0;
}
