/*
 * lib/entropy: the DRBG against known answers computed by an independent
 * implementation (gen_vectors.py: pyca/cryptography's ChaCha20, Python's
 * HKDF), properties of the generator, and the flash boot counter against
 * power cuts (before / torn / after) at every flash operation, including
 * the page switches, with lib/flash's simulator.
 */
#include <stdio.h>
#include <string.h>

#include "entropy.h"
#include "flash_sim.h"
#include "keel_test.h"
#include "vectors.h"

static void test_drbg_kat(void)
{
    static const uint8_t zero[32];
    uint8_t out[1500];
    struct entropy_drbg d;
    entropy_drbg_init(&d, zero);
    entropy_drbg_generate(&d, out, 32);
    CHECK(memcmp(out, kat_zero_out1, 32) == 0); /* RFC 8439 A.1 #1, bytes 32..63 */
    entropy_drbg_generate(&d, out, 100);
    CHECK(memcmp(out, kat_zero_out2, 100) == 0);
    CHECK(memcmp(d.key, kat_zero_key_after, 32) == 0);
    uint8_t key[32];
    for (unsigned i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    entropy_drbg_init(&d, key);
    entropy_drbg_generate(&d, out, sizeof(out));
    CHECK(memcmp(out, kat_long_out, sizeof(out)) == 0);
    uint8_t secret[32];
    for (unsigned i = 0; i < 32; i++)
        secret[i] = (uint8_t)(7 * i + 1);
    entropy_seed(&d, secret, 0x01020304u, "jitter and id", 13);
    CHECK(memcmp(d.key, kat_seed_key, 32) == 0);
    entropy_drbg_generate(&d, out, 48);
    CHECK(memcmp(out, kat_seed_out, 48) == 0);
    entropy_seed(&d, NULL, 5, NULL, 0);
    CHECK(memcmp(d.key, kat_seed_nosecret_key, 32) == 0);
    entropy_drbg_wipe(&d);
    CHECK(memcmp(d.key, zero, 32) == 0);
}

/* Different boot counters (or secrets) give unrelated streams; the key
 * after a request is not in the output (fast key erasure). */
static void test_drbg_properties(void)
{
    struct entropy_drbg a, b;
    uint8_t oa[64], ob[64], secret[32] = { 1 };
    entropy_seed(&a, secret, 1, "x", 1);
    entropy_seed(&b, secret, 2, "x", 1);
    entropy_drbg_generate(&a, oa, sizeof(oa));
    entropy_drbg_generate(&b, ob, sizeof(ob));
    CHECK(memcmp(oa, ob, sizeof(oa)) != 0);
    secret[0] = 2;
    entropy_seed(&b, secret, 1, "x", 1);
    entropy_drbg_generate(&b, ob, sizeof(ob));
    CHECK(memcmp(oa, ob, sizeof(oa)) != 0);
    /* The same inputs give the same stream (it is deterministic). */
    secret[0] = 1;
    entropy_seed(&b, secret, 1, "x", 1);
    entropy_drbg_generate(&b, ob, sizeof(ob));
    CHECK(memcmp(oa, ob, sizeof(oa)) == 0);
    for (unsigned i = 0; i + 32 <= sizeof(oa); i++)
        CHECK(memcmp(oa + i, a.key, 32) != 0);
    /* Small requests: consecutive u32s differ (sanity, not a test of
     * randomness). */
    uint32_t x = entropy_drbg_u32(&a), y = entropy_drbg_u32(&a);
    CHECK(x != y);
}

/* ---- the boot counter ---- */

#define BASE 0x80F7C000u
#define PAGE 8192u
#define UNIT 16u
#define SIZE (2u * PAGE)
#define RECS (PAGE / 16u) /* records per page */

static uint8_t mem[SIZE], bitmap[FLASH_SIM_BITMAP_SIZE(SIZE, UNIT)];
static uint8_t snap_mem[SIZE], snap_bitmap[sizeof(bitmap)];
static flash_sim_t sim;
static flash_t fl;

static void test_bootcount_plain(void)
{
    flash_sim_init(&sim, &fl, mem, bitmap, BASE, SIZE, PAGE, UNIT);
    CHECK(entropy_bootcount_read(&fl, BASE) == 0);
    uint32_t v = 0, ok = 1;
    /* Three page switches: page 0 full, page 1 full, page 0 again. */
    for (uint32_t i = 1; i <= 3 * RECS + 5; i++) {
        ok &= entropy_bootcount_next(&fl, BASE, &v) == ENTROPY_OK && v == i;
        ok &= entropy_bootcount_read(&fl, BASE) == i;
    }
    CHECK(ok);
    /* Near the end of the counter's range: exhausted, not wrapped. */
    flash_sim_init(&sim, &fl, mem, bitmap, BASE, SIZE, PAGE, UNIT);
    uint8_t r[16] = { 'K', 'B', 'C', '1', 0xfe, 0xff, 0xff, 0xff }; /* 2^32 - 2 */
    /* crc32 of the first 8 bytes and its complement, computed here too. */
    uint32_t c = 0xFFFFFFFFu;
    for (unsigned i = 0; i < 8; i++) {
        c ^= r[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    c = ~c;
    for (unsigned i = 0; i < 4; i++) {
        r[8 + i] = (uint8_t)(c >> (8 * i));
        r[12 + i] = (uint8_t)(~c >> (8 * i));
    }
    CHECK(flash_program(&fl, BASE, r, 16) == FLASH_OK);
    CHECK(entropy_bootcount_next(&fl, BASE, &v) == ENTROPY_OK && v == 0xFFFFFFFFu);
    CHECK(entropy_bootcount_next(&fl, BASE, &v) == ENTROPY_EEXHAUSTED);
}

/*
 * Boots `boots` times from the snapshot with a cut armed at operation
 * `op` (mode, seed); after the cut, power comes back and boots continue.
 * Checks that every value returned is above every value returned before
 * (so no two boots ever seed alike), that a cut costs at most the boot it
 * hit, and that the counter keeps working afterwards.
 */
static int run_with_cut(uint32_t op, enum flash_sim_cut mode, uint32_t seed, uint32_t start,
                        unsigned boots)
{
    memcpy(mem, snap_mem, SIZE);
    memcpy(bitmap, snap_bitmap, sizeof(bitmap));
    flash_sim_attach(&sim, &fl, mem, bitmap, BASE, SIZE, PAGE, UNIT);
    flash_sim_reset_count(&sim);
    flash_sim_arm(&sim, op, mode, seed);
    uint32_t last = start, fails = 0;
    int ok = 1;
    for (unsigned b = 0; b < boots; b++) {
        uint32_t v = 0;
        int rc = entropy_bootcount_next(&fl, BASE, &v);
        if (rc == ENTROPY_OK) {
            ok &= v > last;
            last = v;
        } else {
            fails++;
        }
        if (flash_sim_dead(&sim))
            flash_sim_power_on(&sim); /* reboot */
    }
    /* At most the cut boot failed, and the counter still moves on. */
    ok &= fails <= 1 && last >= start + boots - 1;
    return ok;
}

static void test_bootcount_powercut(void)
{
    static const enum flash_sim_cut modes[] = { FLASH_SIM_CUT_BEFORE, FLASH_SIM_CUT_TORN,
                                                FLASH_SIM_CUT_AFTER };
    /* Starting points: an empty area, and a few boots before each page
     * switch (page 0 -> 1 and page 1 -> 0). */
    static const uint32_t starts[] = { 0, RECS - 3, 2 * RECS - 3 };
    unsigned cuts = 0, bad = 0;
    for (unsigned s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
        flash_sim_init(&sim, &fl, mem, bitmap, BASE, SIZE, PAGE, UNIT);
        uint32_t v = 0;
        for (uint32_t i = 0; i < starts[s]; i++)
            entropy_bootcount_next(&fl, BASE, &v);
        memcpy(snap_mem, mem, SIZE);
        memcpy(snap_bitmap, bitmap, sizeof(bitmap));
        /* 8 boots take at most 9 operations (one switch erases). */
        for (uint32_t op = 0; op < 10; op++)
            for (unsigned m = 0; m < 3; m++)
                for (uint32_t seed = 1; seed <= (modes[m] == FLASH_SIM_CUT_TORN ? 16u : 1u);
                     seed++) {
                    cuts++;
                    if (!run_with_cut(op, modes[m], seed, starts[s], 8)) {
                        bad++;
                        printf("  cut at op %u mode %d seed %u from %u failed\n", op,
                               modes[m], seed, starts[s]);
                    }
                }
    }
    printf("bootcount: %u power cuts, %u bad\n", cuts, bad);
    CHECK(bad == 0);
}

int main(void)
{
    test_drbg_kat();
    test_drbg_properties();
    test_bootcount_plain();
    test_bootcount_powercut();
    return keel_test_done("unit_entropy");
}
