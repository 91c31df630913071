/*
 * A minimal test harness for host unit tests: CHECK() records a failure and
 * carries on, so one run reports every broken rule; keel_test_done() turns
 * the count into the exit status ctest reads.
 */
#ifndef KEEL_TEST_H
#define KEEL_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int keel_test_failures;
static int keel_test_checks;

#define CHECK(cond)                                                          \
    do {                                                                     \
        keel_test_checks++;                                                  \
        if (!(cond)) {                                                       \
            keel_test_failures++;                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
        }                                                                    \
    } while (0)

#define CHECK_EQ(a, b)                                                        \
    do {                                                                      \
        long long keel_a_ = (long long)(a), keel_b_ = (long long)(b);         \
        keel_test_checks++;                                                   \
        if (keel_a_ != keel_b_) {                                             \
            keel_test_failures++;                                             \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld)\n", \
                    __FILE__, __LINE__, #a, #b, keel_a_, keel_b_);            \
        }                                                                     \
    } while (0)

#define CHECK_STR(got, want)                                                  \
    do {                                                                      \
        const char *keel_g_ = (got), *keel_w_ = (want);                       \
        keel_test_checks++;                                                   \
        if (strcmp(keel_g_, keel_w_) != 0) {                                  \
            keel_test_failures++;                                             \
            fprintf(stderr, "%s:%d: CHECK_STR failed: got \"%s\" want \"%s\"\n", \
                    __FILE__, __LINE__, keel_g_, keel_w_);                    \
        }                                                                     \
    } while (0)

static inline int keel_test_done(const char *name)
{
    if (keel_test_failures) {
        fprintf(stderr, "%s: %d of %d checks FAILED\n", name, keel_test_failures,
                keel_test_checks);
        return 1;
    }
    printf("%s: all %d checks passed\n", name, keel_test_checks);
    return 0;
}

#endif /* KEEL_TEST_H */
