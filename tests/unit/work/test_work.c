/*
 * work.c on the host: the hooks count pends and check that lock/unlock
 * pair up and never nest; time is whatever the test passes as now_us.
 */
#include <stdbool.h>
#include <stdint.h>

#include "keel_test.h"
#include "mv_config.h"
#include "work.h"

static unsigned pends;
static int lock_depth;
static int lock_errors;

static void fake_pend(void) { pends++; }
static uint32_t fake_lock(void)
{
    if (lock_depth != 0)
        lock_errors++;
    lock_depth++;
    return 0x5A;
}
static void fake_unlock(uint32_t state)
{
    if (state != 0x5A || lock_depth != 1)
        lock_errors++;
    lock_depth--;
}
static const struct work_hooks hooks = { fake_pend, fake_lock, fake_unlock };

/* A log of which work ran, with the time it was given. */
static int ran[64];
static uint64_t ran_at[64];
static unsigned nran;
static int ids[MV_WORK_MAX];

static void record(int which, uint64_t now)
{
    if (nran < 64) {
        ran[nran] = which;
        ran_at[nran] = now;
    }
    nran++;
}

#define WORK_FN(n) static void w##n(uint64_t now) { record(n, now); }
WORK_FN(0) WORK_FN(1) WORK_FN(2) WORK_FN(3)

static void reset(void)
{
    work_init(&hooks);
    pends = 0;
    nran = 0;
    lock_depth = 0;
}

static void test_register(void)
{
    reset();
    CHECK_EQ(work_register(NULL), -1);
    for (unsigned i = 0; i < MV_WORK_MAX; i++)
        CHECK_EQ(work_register(w0), (int)i);
    CHECK_EQ(work_register(w0), -1); /* table full */
    CHECK_EQ(work_register(w1), -1);
    /* work_init empties the table again */
    reset();
    CHECK_EQ(work_register(w1), 0);
}

static void test_order(void)
{
    reset();
    for (int i = 0; i < 4; i++)
        ids[i] = work_register((work_fn[]){ w0, w1, w2, w3 }[i]);
    work_submit(ids[3], 10);
    work_submit(ids[1], 11);
    work_submit(ids[2], 12);
    work_submit(ids[1], 13); /* already pending: runs once */
    CHECK_EQ(pends, 4);      /* every submit pends the handler */
    CHECK_EQ(nran, 0);       /* nothing runs before the handler */
    work_run_pending(20);
    CHECK_EQ(nran, 3);
    CHECK_EQ(ran[0], 1);     /* registration order, not submission order */
    CHECK_EQ(ran[1], 2);
    CHECK_EQ(ran[2], 3);
    CHECK_EQ(ran_at[0], 20);
    nran = 0;
    work_run_pending(30);    /* nothing pending: nothing runs */
    CHECK_EQ(nran, 0);

    /* Unknown ids are ignored and do not pend. */
    pends = 0;
    work_submit(-1, 0);
    work_submit(4, 0);
    work_submit(MV_WORK_MAX, 0);
    work_submit(1000, 0);
    CHECK_EQ(pends, 0);
    work_run_pending(40);
    CHECK_EQ(nran, 0);
    CHECK(!work_held_off(1000000, 1));
}

/* Re-submission while running: an item that submits itself (or an item
 * before it) runs again within the same work_run_pending call. */
static int self_left;
static int self_id, other_id;
static void w_self(uint64_t now)
{
    record(10, now);
    if (self_left-- > 0)
        work_submit(self_id, now);
    else
        work_submit(other_id, now); /* lower id, already passed this round */
}

static void test_resubmit_while_running(void)
{
    reset();
    other_id = work_register(w0);
    self_id = work_register(w_self);
    self_left = 2;
    work_submit(self_id, 0);
    work_run_pending(5);
    CHECK_EQ(nran, 4);
    CHECK_EQ(ran[0], 10);
    CHECK_EQ(ran[1], 10);
    CHECK_EQ(ran[2], 10);
    CHECK_EQ(ran[3], 0);
    CHECK(!work_held_off(5 + 1000000, 0)); /* all done */
    CHECK_EQ(lock_errors, 0);
}

static void test_held_off(void)
{
    reset();
    int a = work_register(w0), b = work_register(w1);
    CHECK(!work_held_off(0, 0));
    CHECK(!work_held_off(UINT64_MAX, 0));

    work_submit(a, 1000);
    CHECK(!work_held_off(1000, 0));
    CHECK(!work_held_off(1050, 50));
    CHECK(work_held_off(1051, 50));     /* strictly more than the limit */
    work_submit(b, 1040);               /* the clock started at the first */
    CHECK(work_held_off(1051, 50));
    work_run_pending(1060);
    CHECK(!work_held_off(1060, 50));
    CHECK(!work_held_off(900000, 50));  /* stopped once run */

    /* The next submission starts the clock afresh. */
    work_submit(b, 5000);
    CHECK(!work_held_off(5050, 50));
    CHECK(work_held_off(5051, 50));
    work_run_pending(5100);
    CHECK(!work_held_off(6000, 50));
}

/* The hold-off clock measures work "pending, not run": while the handler
 * runs items nothing is pending, so a tick that looks during a long item
 * (e.g. it pre-empted a fast interrupt which pre-empted deferred work) must
 * not see the application as holding the microvisor off. */
static bool seen_held_off;
static int probe_id, late_id;
static void w_probe(uint64_t now)
{
    /* A long item: the tick looks 200 ms after the handler started. */
    seen_held_off = work_held_off(now + 200000, 50000);
}
static void w_submit_late(uint64_t now)
{
    /* Submits another item 100 ms into the run, then the tick looks 30 ms
     * later: 30 ms pending is under the 50 ms limit. */
    work_submit(probe_id, now + 100000);
    seen_held_off = work_held_off(now + 130000, 50000);
    late_id = -2;
}

static void test_held_off_not_while_running(void)
{
    reset();
    probe_id = work_register(w_probe);
    work_submit(probe_id, 0);
    work_run_pending(10);
    CHECK(!seen_held_off);

    reset();
    int late = work_register(w_submit_late);
    probe_id = work_register(w0);
    work_submit(late, 0);
    work_run_pending(10);
    CHECK(!seen_held_off);
    CHECK_EQ(late_id, -2);
    CHECK_EQ(nran, 1); /* w0 ran in the same call */
    CHECK_EQ(lock_errors, 0);
}

static void test_timers_one_shot(void)
{
    reset();
    int a = work_register(w0);
    CHECK_EQ(timer_register(-1), -1);
    CHECK_EQ(timer_register(1), -1); /* no such work */
    int t = timer_register(a);
    CHECK_EQ(t, 0);

    timers_expire(1000000); /* registered but not started */
    CHECK_EQ(pends, 0);

    timer_start(t, 1000, 0);
    timers_expire(999);
    CHECK_EQ(pends, 0);
    timers_expire(1000); /* due exactly at its deadline */
    CHECK_EQ(pends, 1);
    work_run_pending(1001);
    CHECK_EQ(nran, 1);
    timers_expire(5000); /* one-shot: disarmed */
    timers_expire(UINT64_MAX);
    CHECK_EQ(pends, 1);

    /* Restart, then stop before it is due. */
    timer_start(t, 6000, 0);
    timer_stop(t);
    timers_expire(7000);
    CHECK_EQ(pends, 1);

    /* A deadline in the past fires at the next tick. */
    timer_start(t, 10, 0);
    timers_expire(8000);
    CHECK_EQ(pends, 2);

    /* Unknown timer ids are ignored. */
    timer_start(-1, 0, 0);
    timer_start(1, 0, 0);
    timer_stop(-1);
    timer_stop(5);
    timers_expire(9000);
    CHECK_EQ(pends, 2);
}

static void test_timers_periodic(void)
{
    reset();
    int a = work_register(w0), b = work_register(w1);
    int ta = timer_register(a), tb = timer_register(b);
    timer_start(ta, 1000, 100);
    timer_start(tb, 1100, 1000);

    timers_expire(999);
    CHECK_EQ(pends, 0);
    timers_expire(1000);
    CHECK_EQ(pends, 1);
    timers_expire(1000); /* same tick again: next deadline is 1100 */
    CHECK_EQ(pends, 1);
    timers_expire(1099);
    CHECK_EQ(pends, 1);
    timers_expire(1100);
    CHECK_EQ(pends, 3); /* both due */
    work_run_pending(1100);
    CHECK_EQ(nran, 2);

    /* Skipped periods: a late tick fires once, not a burst, and the next
     * deadline stays on the period grid (1600, not 1555 + 100). */
    nran = 0;
    pends = 0;
    timers_expire(1555);
    CHECK_EQ(pends, 1);
    work_run_pending(1555);
    CHECK_EQ(nran, 1);
    CHECK_EQ(ran[0], 0);
    timers_expire(1599);
    CHECK_EQ(pends, 1);
    timers_expire(1600);
    CHECK_EQ(pends, 2);

    /* Landing exactly on a grid point after skipping also moves past it. */
    timers_expire(1900);
    CHECK_EQ(pends, 3);
    timers_expire(1900);
    CHECK_EQ(pends, 3);
    timers_expire(2000);
    CHECK_EQ(pends, 4);

    /* Stop a periodic timer. */
    timer_stop(ta);
    timer_stop(tb);
    timers_expire(1000000);
    CHECK_EQ(pends, 4);
}

static void test_timer_table_full(void)
{
    reset();
    int a = work_register(w0);
    for (unsigned i = 0; i < MV_TIMER_MAX; i++)
        CHECK_EQ(timer_register(a), (int)i);
    CHECK_EQ(timer_register(a), -1);
    /* All timers due at once submit the same item: it runs once. */
    for (unsigned i = 0; i < MV_TIMER_MAX; i++)
        timer_start((int)i, 100, 0);
    timers_expire(100);
    CHECK_EQ(pends, MV_TIMER_MAX);
    work_run_pending(100);
    CHECK_EQ(nran, 1);
}

int main(void)
{
    test_register();
    test_order();
    test_resubmit_while_running();
    test_held_off();
    test_held_off_not_while_running();
    test_timers_one_shot();
    test_timers_periodic();
    test_timer_table_full();
    CHECK_EQ(lock_errors, 0);
    CHECK_EQ(lock_depth, 0);
    return keel_test_done("test_work");
}
