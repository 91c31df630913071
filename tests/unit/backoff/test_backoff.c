/*
 * backoff_next_ms (microvisor/core/backoff.h): the first crash waits the
 * minimum, each crash after a short run doubles the wait up to the cap, a
 * run of reset_ms or longer forgets the history. Walked with the
 * microvisor's own configuration and with odd bounds.
 */
#include <stdint.h>
#include <stdio.h>

#include "backoff.h"
#include "mv_config.h"

static unsigned failures;

static void expect(uint32_t got, uint32_t want, const char *what)
{
    if (got != want) {
        printf("FAIL: %s: %u, want %u\n", what, got, want);
        failures++;
    }
}

#define NEXT(prev, ran) \
    backoff_next_ms((prev), (ran), MV_RESTART_MIN_MS, MV_RESTART_MAX_MS, MV_RESTART_RESET_MS)

static void test_config_sequence(void)
{
    /* 10, 20, 40, ..., 1280, then 2000 for ever while runs stay short. */
    static const uint32_t want[] = { 10, 20, 40, 80, 160, 320, 640, 1280, 2000, 2000, 2000 };
    uint32_t prev = 0;
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        prev = NEXT(prev, 5);
        expect(prev, want[i], "short-run sequence");
    }
}

static void test_min(void)
{
    expect(NEXT(0, 0), MV_RESTART_MIN_MS, "first crash, immediately");
    expect(NEXT(0, 1), MV_RESTART_MIN_MS, "first crash, 1 ms run");
    expect(NEXT(0, MV_RESTART_RESET_MS - 1u), MV_RESTART_MIN_MS, "first crash, long-ish run");
    expect(NEXT(0, UINT64_MAX), MV_RESTART_MIN_MS, "first crash, longest run");
}

static void test_doubling(void)
{
    expect(NEXT(MV_RESTART_MIN_MS, 0), 2u * MV_RESTART_MIN_MS, "doubles");
    expect(NEXT(MV_RESTART_MIN_MS, MV_RESTART_RESET_MS - 1u), 2u * MV_RESTART_MIN_MS,
           "doubles just under the reset threshold");
    /* A previous wait below the minimum (e.g. 0 is excluded; 1 is not
     * produced by the rule but must still give at least the minimum). */
    expect(NEXT(1, 0), MV_RESTART_MIN_MS, "never below the minimum");
}

static void test_cap(void)
{
    expect(NEXT(MV_RESTART_MAX_MS / 2u - 1u, 0), 2u * (MV_RESTART_MAX_MS / 2u - 1u),
           "just under half the cap doubles");
    expect(NEXT(MV_RESTART_MAX_MS / 2u, 0), MV_RESTART_MAX_MS, "half the cap -> cap");
    expect(NEXT(MV_RESTART_MAX_MS - 1u, 0), MV_RESTART_MAX_MS, "near the cap -> cap");
    expect(NEXT(MV_RESTART_MAX_MS, 0), MV_RESTART_MAX_MS, "stays at the cap");
    /* No overflow for a huge previous value. */
    expect(NEXT(UINT32_MAX, 0), MV_RESTART_MAX_MS, "huge previous wait -> cap");
}

static void test_reset(void)
{
    expect(NEXT(MV_RESTART_MAX_MS, MV_RESTART_RESET_MS), MV_RESTART_MIN_MS,
           "a run of exactly reset_ms forgets");
    expect(NEXT(MV_RESTART_MAX_MS, MV_RESTART_RESET_MS + 1u), MV_RESTART_MIN_MS,
           "a longer run forgets");
    expect(NEXT(MV_RESTART_MAX_MS, MV_RESTART_RESET_MS - 1u), MV_RESTART_MAX_MS,
           "a run just short of reset_ms does not");
    expect(NEXT(640, (uint64_t)1 << 40), MV_RESTART_MIN_MS, "a very long run forgets");
    /* And grows again after the reset. */
    uint32_t prev = NEXT(MV_RESTART_MAX_MS, MV_RESTART_RESET_MS);
    expect(NEXT(prev, 3), 2u * MV_RESTART_MIN_MS, "grows again after a reset");
}

static void test_odd_bounds(void)
{
    /* min not a power of two, max not min * 2^k: the cap is still exact. */
    uint32_t prev = 0;
    static const uint32_t want[] = { 3, 6, 12, 24, 48, 96, 100, 100 };
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        prev = backoff_next_ms(prev, 0, 3, 100, 1000);
        expect(prev, want[i], "min 3, max 100");
    }
    /* min == max: constant. */
    expect(backoff_next_ms(0, 0, 50, 50, 1000), 50, "min == max, first");
    expect(backoff_next_ms(50, 0, 50, 50, 1000), 50, "min == max, again");
}

static void test_monotonic(void)
{
    /* Property: for short runs the wait never shrinks and stays in bounds. */
    for (uint32_t prev = 1; prev <= 3u * MV_RESTART_MAX_MS; prev += 7u) {
        uint32_t next = NEXT(prev, 0);
        if (next < MV_RESTART_MIN_MS || next > MV_RESTART_MAX_MS ||
            (prev <= MV_RESTART_MAX_MS && next < prev)) {
            printf("FAIL: prev %u -> %u\n", prev, next);
            failures++;
            return;
        }
    }
}

int main(void)
{
    test_config_sequence();
    test_min();
    test_doubling();
    test_cap();
    test_reset();
    test_odd_bounds();
    test_monotonic();
    printf("unit_backoff: %u failure(s)\n", failures);
    return failures ? 1 : 0;
}
