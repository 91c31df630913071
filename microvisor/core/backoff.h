/*
 * The application restart back-off rule, kept apart so host tests can walk
 * it: the first crash waits min_ms; a crash that follows a run shorter than
 * reset_ms doubles the previous wait, up to max_ms; a run of reset_ms or
 * longer forgets the history.
 */
#ifndef BACKOFF_H
#define BACKOFF_H

#include <stdint.h>

static inline uint32_t backoff_next_ms(uint32_t prev_ms, uint64_t ran_ms,
                                       uint32_t min_ms, uint32_t max_ms,
                                       uint32_t reset_ms)
{
    if (prev_ms == 0 || ran_ms >= reset_ms)
        return min_ms;
    if (prev_ms >= max_ms / 2u)
        return max_ms;
    return prev_ms * 2u < min_ms ? min_ms : prev_ms * 2u;
}

#endif /* BACKOFF_H */
