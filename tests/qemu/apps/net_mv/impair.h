/*
 * Link impairment for the microvisor test images (microvisor_nettest,
 * microvisor_tlstest): impair.c overrides net_service.c's weak frame seams
 * and, while impair_on, drops 10%, duplicates 5% and reorders 5% of the
 * frames in each direction (a fixed xorshift sequence, so runs repeat);
 * while impair_blackhole, every received frame is dropped. The test
 * driver calls impair_flush() from its poll so a held frame is never
 * stuck.
 */
#ifndef IMPAIR_H
#define IMPAIR_H

#include <stdbool.h>
#include <stdint.h>

#include "net.h"

extern bool impair_on, impair_blackhole;
extern struct impair_counts {
    uint32_t drop, dup, reorder, blackholed;
} impair_counts;

void impair_flush(struct net *n, uint32_t now_ms);

#endif
