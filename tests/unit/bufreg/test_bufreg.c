/*
 * bufreg: no two registered buffers may share a byte; touching ends are
 * fine; empty buffers are refused; the registry holds BUFREG_MAX entries
 * and frees slots on remove / clear.
 */
#include <stdint.h>

#include "bufreg.h"
#include "keel_test.h"

static void test_overlap_rules(void)
{
    bufreg_clear();
    CHECK(!bufreg_overlaps(0x1000, 0x100));
    int a = bufreg_add(0x1000, 0x100); /* [0x1000, 0x1100) */
    CHECK(a >= 0);

    /* Adjacent on either side: allowed. */
    CHECK(!bufreg_overlaps(0x1100, 0x10));
    CHECK(!bufreg_overlaps(0x0F00, 0x100));
    int b = bufreg_add(0x1100, 0x100);
    int c = bufreg_add(0x0F00, 0x100);
    CHECK(b >= 0 && c >= 0 && a != b && b != c && a != c);

    /* Any shared byte: refused. */
    CHECK_EQ(bufreg_add(0x1000, 0x100), -1);  /* identical */
    CHECK_EQ(bufreg_add(0x10FF, 0x1), -1);    /* last byte */
    CHECK_EQ(bufreg_add(0x0FFF, 0x2), -1);    /* straddles c|a */
    CHECK_EQ(bufreg_add(0x1080, 0x10), -1);   /* inside */
    CHECK_EQ(bufreg_add(0x0000, 0x10000), -1); /* contains all three */
    CHECK_EQ(bufreg_add(0x11FF, 0x100), -1);  /* last byte of b */
    CHECK_EQ(bufreg_add(0x0E01, 0x100), -1);  /* first byte of c */
    CHECK(bufreg_overlaps(0x1050, 1));
    CHECK(!bufreg_overlaps(0x1200, 0x100));

    /* Empty buffers never register (and overlap nothing). */
    CHECK_EQ(bufreg_add(0x5000, 0), -1);

    /* Removing frees exactly that range. */
    bufreg_remove(a);
    CHECK(!bufreg_overlaps(0x1000, 0x100));
    CHECK(bufreg_overlaps(0x10FF, 2)); /* still touches b */
    int a2 = bufreg_add(0x1000, 0x100);
    CHECK(a2 >= 0);

    /* Out-of-range ids are ignored. */
    bufreg_remove(-1);
    bufreg_remove((int)BUFREG_MAX);
    bufreg_remove(1 << 30);
    CHECK(bufreg_overlaps(0x1000, 1));

    bufreg_clear();
    CHECK(!bufreg_overlaps(0, 0xFFFFFFFFu));
}

/* Ranges the gateway accepts may end exactly at the top of the address
 * space (ns_mem_ok allows addr + len == 2^32), so base + len is 0 there. */
static void test_top_of_address_space(void)
{
    bufreg_clear();
    int top = bufreg_add(0xFFFFFF00u, 0x100u);
    CHECK(top >= 0);
    CHECK(bufreg_overlaps(0xFFFFFF80u, 4));
    CHECK(bufreg_overlaps(0xFFFFFFFFu, 1));
    CHECK(bufreg_overlaps(0xFFFFFE00u, 0x101u));
    CHECK(!bufreg_overlaps(0xFFFFFE00u, 0x100u)); /* adjacent below */
    CHECK_EQ(bufreg_add(0xFFFFFFF0u, 0x10u), -1);
    CHECK_EQ(bufreg_add(0xFFFFFF00u, 0x100u), -1);
    CHECK(!bufreg_overlaps(0, 0x100)); /* no wrap into low memory */
    CHECK(bufreg_add(0, 0x100) >= 0);
    CHECK(!bufreg_overlaps(0x100, 0xFFFFFE00u));
    CHECK(bufreg_overlaps(0x100, 0xFFFFFE01u));
}

static void test_full(void)
{
    bufreg_clear();
    int ids[BUFREG_MAX];
    for (uint32_t i = 0; i < BUFREG_MAX; i++) {
        ids[i] = bufreg_add(0x20000000u + i * 0x40u, 0x40u); /* back to back */
        CHECK_EQ(ids[i], (int)i);
    }
    /* Full: even a buffer that overlaps nothing is refused. */
    CHECK_EQ(bufreg_add(0x30000000u, 0x10u), -1);
    /* A freed slot is reused. */
    bufreg_remove(ids[17]);
    CHECK_EQ(bufreg_add(0x30000000u, 0x10u), 17);
    CHECK_EQ(bufreg_add(0x20000000u + 17 * 0x40u, 0x40u), -1); /* full again */
    bufreg_clear();
    for (uint32_t i = 0; i < BUFREG_MAX; i++)
        CHECK(bufreg_add(0x20000000u + i * 0x40u, 0x40u) >= 0);
}

int main(void)
{
    test_overlap_rules();
    test_top_of_address_space();
    test_full();
    return keel_test_done("test_bufreg");
}
