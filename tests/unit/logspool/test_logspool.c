/*
 * lib/logspool on the flash simulator: records come back in order and
 * survive reopening; acks skip what was delivered, also after a reopen;
 * numbers keep increasing across reopens; a full ring drops its oldest
 * and counts them; and a power cut at every numbered flash operation of a
 * workload (before, torn, after, several seeds) loses no record whose
 * append had returned, shows none twice, never repeats a number, and the
 * spool works after the reboot.
 */
#include <stdint.h>
#include <stdio.h>

#include "flash_sim.h"
#include "keel_test.h"
#include "logspool.h"

#define PAGE 1024u
#define NPAGES 8u
#define BASE 0x80F14000u

static uint8_t mem[PAGE * NPAGES];
static uint8_t bitmap[FLASH_SIM_BITMAP_SIZE(PAGE * NPAGES, 16)];
static flash_sim_t sim;
static flash_t fl;
static struct logspool sp;

static void fresh(void)
{
    flash_sim_init(&sim, &fl, mem, bitmap, BASE, sizeof(mem), PAGE, 16);
}

static int text_of(uint64_t seq, char *t)
{
    return snprintf(t, 64, "record %llu %.*s", (unsigned long long)seq, (int)(seq % 37),
                    "abcdefghijklmnopqrstuvwxyz0123456789!");
}

static int add(uint64_t *seq_out)
{
    uint64_t seq;
    char t[64];
    int rc = logspool_take_seq(&sp, &seq);
    if (rc != LOGSPOOL_OK)
        return rc;
    int n = text_of(seq, t);
    rc = logspool_append(&sp, seq, seq * 10u, (uint8_t)(seq % 4), t, (uint16_t)n);
    if (seq_out)
        *seq_out = seq;
    return rc;
}

/* The undelivered records' numbers, in order, into out (at most max);
 * checks each record's contents. */
static unsigned list(uint64_t *out, unsigned max)
{
    static struct logspool_rec r;
    struct logspool_cursor c = logspool_cursor(&sp);
    unsigned n = 0;
    while (logspool_next(&sp, &c, &r) == LOGSPOOL_OK && n < max + 1) {
        char t[64];
        int len = text_of(r.seq, t);
        CHECK(r.len == (uint16_t)len && memcmp(r.text, t, (size_t)len) == 0);
        CHECK(r.device_ms == r.seq * 10u && r.level == r.seq % 4);
        if (n < max)
            out[n] = r.seq;
        n++;
    }
    return n;
}

static void test_basic(void)
{
    uint64_t seqs[64];
    fresh();
    CHECK_EQ(logspool_open(&sp, &fl, BASE, NPAGES), LOGSPOOL_OK);
    CHECK(!logspool_pending(&sp));
    CHECK_EQ(list(seqs, 64), 0);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(add(NULL), LOGSPOOL_OK);
    CHECK(logspool_pending(&sp));
    CHECK_EQ(list(seqs, 64), 10);
    for (unsigned i = 0; i < 10; i++)
        CHECK_EQ(seqs[i], i);
    CHECK_EQ(logspool_ack(&sp, 4), LOGSPOOL_OK);
    CHECK_EQ(list(seqs, 64), 6);
    CHECK_EQ(seqs[0], 4);

    /* reopen: the same six, and numbers go on above everything used */
    CHECK_EQ(logspool_open(&sp, &fl, BASE, NPAGES), LOGSPOOL_OK);
    CHECK_EQ(list(seqs, 64), 6);
    CHECK_EQ(seqs[0], 4);
    CHECK_EQ(seqs[5], 9);
    uint64_t s;
    CHECK_EQ(add(&s), LOGSPOOL_OK);
    CHECK(s >= LOGSPOOL_RESERVE); /* the block reserved before the reopen is skipped */
    CHECK_EQ(logspool_ack(&sp, s + 1), LOGSPOOL_OK);
    CHECK(!logspool_pending(&sp));
    CHECK_EQ(list(seqs, 64), 0);
    CHECK_EQ(logspool_open(&sp, &fl, BASE, NPAGES), LOGSPOOL_OK);
    CHECK(!logspool_pending(&sp));

    /* numbers taken without a flash record (delivered from RAM) are never
     * handed out again after a reopen */
    uint64_t last = 0;
    for (int i = 0; i < 600; i++)
        CHECK_EQ(logspool_take_seq(&sp, &last), LOGSPOOL_OK);
    CHECK_EQ(logspool_open(&sp, &fl, BASE, NPAGES), LOGSPOOL_OK);
    CHECK_EQ(logspool_take_seq(&sp, &s), LOGSPOOL_OK);
    CHECK(s > last);

    /* bad arguments */
    char big[LOGSPOOL_TEXT_MAX + 1];
    memset(big, 'x', sizeof(big));
    CHECK_EQ(logspool_take_seq(&sp, &s), LOGSPOOL_OK);
    CHECK_EQ(logspool_append(&sp, s, 0, 0, big, LOGSPOOL_TEXT_MAX + 1), LOGSPOOL_E_ARG);
    CHECK_EQ(logspool_append(&sp, s, 0, 4, "x", 1), LOGSPOOL_E_ARG);
    CHECK_EQ(logspool_append(&sp, s, 0, 0, big, LOGSPOOL_TEXT_MAX), LOGSPOOL_OK);
    CHECK_EQ(logspool_append(&sp, s, 0, 0, "x", 1), LOGSPOOL_E_ARG); /* not increasing */
    CHECK_EQ(logspool_append(&sp, s + 100000, 0, 0, "x", 1), LOGSPOOL_E_ARG); /* not taken */
    struct logspool bad;
    CHECK_EQ(logspool_open(&bad, &fl, BASE, 1), LOGSPOOL_E_ARG);
    CHECK_EQ(logspool_open(&bad, &fl, BASE, LOGSPOOL_PAGES_MAX + 1), LOGSPOOL_E_ARG);
    CHECK_EQ(logspool_open(&bad, &fl, BASE + PAGE, NPAGES), LOGSPOOL_E_ARG); /* past the end */
}

/* A full ring drops whole pages of its oldest records, counts them, and
 * keeps the rest consecutive up to the newest. */
static void test_full(void)
{
    static uint64_t seqs[2000];
    fresh();
    CHECK_EQ(logspool_open(&sp, &fl, BASE, NPAGES), LOGSPOOL_OK);
    uint64_t last = 0;
    unsigned total = 600;
    for (unsigned i = 0; i < total; i++)
        CHECK_EQ(add(&last), LOGSPOOL_OK);
    unsigned n = list(seqs, 2000);
    CHECK(n > 0 && n < total);
    CHECK(sp.dropped > 0);
    CHECK_EQ(n + sp.dropped, total);
    CHECK_EQ(seqs[n - 1], last);
    for (unsigned i = 1; i < n; i++)
        CHECK_EQ(seqs[i], seqs[i - 1] + 1);
    /* and the state survived the erasures: reopen sees the same */
    CHECK_EQ(logspool_open(&sp, &fl, BASE, NPAGES), LOGSPOOL_OK);
    CHECK_EQ(list(seqs, 2000), n);
    /* an ack in the middle, then recycling: what was acked is never shown */
    uint64_t mid = seqs[n / 2];
    CHECK_EQ(logspool_ack(&sp, mid), LOGSPOOL_OK);
    for (unsigned i = 0; i < 200; i++)
        CHECK_EQ(add(&last), LOGSPOOL_OK);
    CHECK_EQ(logspool_open(&sp, &fl, BASE, NPAGES), LOGSPOOL_OK);
    n = list(seqs, 2000);
    CHECK(n > 0 && seqs[0] >= mid && seqs[n - 1] == last);
}

/* The workload: 40 records with an ack after every 7th. `done` receives
 * the number of records whose append returned, acked the last ack level
 * given (both as of the cut). */
static void workload(uint64_t *done_seq, unsigned *done, uint64_t *acked)
{
    *done = 0;
    *acked = 0;
    for (unsigned i = 0; i < 40; i++) {
        uint64_t s;
        if (add(&s) != LOGSPOOL_OK)
            return;
        done_seq[(*done)++] = s;
        if (i % 7 == 6) {
            /* an ack cut during its write may or may not have landed:
             * count it as given, so what it covers may be missing */
            *acked = done_seq[*done - 3];
            if (logspool_ack(&sp, done_seq[*done - 3]) != LOGSPOOL_OK)
                return;
        }
    }
}

static void test_power_cuts(void)
{
    static uint64_t done_seq[64], seqs[256];
    fresh();
    CHECK_EQ(logspool_open(&sp, &fl, BASE, NPAGES), LOGSPOOL_OK);
    flash_sim_reset_count(&sim);
    unsigned done;
    uint64_t acked;
    workload(done_seq, &done, &acked);
    uint32_t ops = flash_sim_ops(&sim);
    CHECK(ops > 40);
    unsigned cuts = 0;
    for (uint32_t op = 0; op <= ops; op++) {
        for (int mode = FLASH_SIM_CUT_BEFORE; mode <= FLASH_SIM_CUT_AFTER; mode++) {
            for (uint32_t seed = 1; seed <= (mode == FLASH_SIM_CUT_TORN ? 3u : 1u); seed++) {
                fresh();
                if (logspool_open(&sp, &fl, BASE, NPAGES) != LOGSPOOL_OK) {
                    CHECK(0);
                    continue;
                }
                flash_sim_reset_count(&sim);
                flash_sim_arm(&sim, op, (enum flash_sim_cut)mode, seed * 7919u + op);
                workload(done_seq, &done, &acked);
                flash_sim_power_on(&sim);
                cuts++;
                int rc = logspool_open(&sp, &fl, BASE, NPAGES);
                CHECK_EQ(rc, LOGSPOOL_OK);
                if (rc != LOGSPOOL_OK)
                    continue;
                unsigned n = list(seqs, 256);
                /* every returned append at or above the ack is there, once,
                 * in order; nothing else but possibly the one cut append */
                unsigned j = 0;
                for (unsigned k = 0; k < n; k++) {
                    while (j < done && done_seq[j] < seqs[k])
                        CHECK(done_seq[j++] < acked); /* a missing one must have been acked */
                    if (j < done && done_seq[j] == seqs[k])
                        j++;
                    else
                        CHECK(k == n - 1 && (j == done)); /* the torn last append */
                    if (k)
                        CHECK(seqs[k] > seqs[k - 1]);
                }
                while (j < done)
                    CHECK(done_seq[j++] < acked);
                /* numbers never repeat, and the spool works */
                uint64_t s;
                CHECK_EQ(add(&s), LOGSPOOL_OK);
                CHECK(done == 0 || s > done_seq[done - 1]);
                CHECK(n == 0 || s > seqs[n - 1]);
                unsigned m = list(seqs, 256);
                CHECK(m == n + 1 && seqs[m - 1] == s);
            }
        }
    }
    printf("logspool: %u power cuts over %u flash operations\n", cuts, ops);
}

int main(void)
{
    test_basic();
    test_full();
    test_power_cuts();
    return keel_test_done("test_logspool");
}
