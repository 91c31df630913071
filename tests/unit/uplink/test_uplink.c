/*
 * microvisor/link/uplink.c on the host, with the real lib/proto and
 * lib/logspool on the flash simulator; a fake session collects what would
 * be published and the test plays the cloud: decodes every message,
 * answers hellos with the time and batches with log acks (or not).
 * Checked: the hello comes first and repeats until the time arrives; logs
 * go out in order in batches, one in flight, resent after 3 s and after a
 * reconnect; an outage is spooled to flash after 5 s, survives a reboot
 * and is sent first, in order, numbers increasing across the reboot; a
 * full RAM queue refuses records until an ack frees it; bad downlink
 * messages are counted and change nothing; short records (hello's
 * heartbeats) fill a batch that still encodes, from RAM and from flash.
 */
#include <stdint.h>
#include <stdio.h>

#include "flash_sim.h"
#include "keel_test.h"
#include "uplink.h"

#define ID "UV0123456789ABCDEF0123456789ABCDEF"
#define PAGE 8192u
#define NPAGES 4u
#define BASE 0x80F80000u

static uint8_t mem[PAGE * NPAGES];
static uint8_t bitmap[FLASH_SIM_BITMAP_SIZE(PAGE * NPAGES, 16)];
static flash_sim_t sim;
static flash_t fl;
static struct logspool spool;
static struct uplink up;

/* what the fake session published */
static char last_topic[UPLINK_TOPIC_MAX];
static uint8_t last_payload[4096];
static size_t last_len;
static unsigned published;
static bool window_full;

static int publish(void *ctx, const char *topic, const uint8_t *p, size_t len)
{
    (void)ctx;
    if (window_full)
        return -1;
    snprintf(last_topic, sizeof(last_topic), "%s", topic);
    memcpy(last_payload, p, len);
    last_len = len;
    published++;
    return 0;
}

static void status(void *ctx, struct proto_status *st, uint32_t now)
{
    (void)ctx;
    st->app_version = 0x00010000u;
    st->mv_version = 0x00010000u;
    st->update_status = PROTO_UPD_CONFIRMED;
    st->uptime_s = now / 1000u;
}

static void answer_time(uint32_t now, uint64_t unix_ms)
{
    uint8_t b[32];
    size_t n;
    CHECK_EQ(proto_time_encode(unix_ms, b, sizeof(b), &n), PROTO_OK);
    CHECK_EQ(uplink_downlink(&up, "devices/" ID "/down/time", b, n, now), 0);
}

static void answer_logack(uint64_t first, uint32_t count, uint32_t now)
{
    uint8_t b[32];
    size_t n;
    struct proto_log_ack a = { first, count };
    CHECK_EQ(proto_log_ack_encode(&a, b, sizeof(b), &n), PROTO_OK);
    CHECK_EQ(uplink_downlink(&up, "devices/" ID "/down/logack", b, n, now), 0);
}

static void log_n(unsigned from, unsigned n, uint32_t now)
{
    for (unsigned i = from; i < from + n; i++) {
        char t[48];
        int len = snprintf(t, sizeof(t), "line %u", i);
        CHECK_EQ(uplink_log(&up, t, (size_t)len, (uint8_t)(i % 4), 1000u + i, now), 0);
    }
}

/* Polls; if a logs batch went out, decodes it, checks its texts continue
 * from *next_line, and returns its first sequence number and count. */
static bool take_batch(uint32_t now, unsigned *next_line, uint64_t *first, uint32_t *count)
{
    static struct proto_logs m;
    unsigned before = published;
    uplink_poll(&up, now, publish, NULL);
    if (published == before || strcmp(last_topic, "devices/" ID "/up/logs") != 0)
        return false;
    CHECK_EQ(proto_logs_decode(last_payload, last_len, &m), PROTO_OK);
    for (uint32_t i = 0; i < m.n; i++) {
        char t[48];
        int len = snprintf(t, sizeof(t), "line %u", *next_line);
        CHECK(m.rec[i].text.n == (size_t)len && memcmp(m.rec[i].text.p, t, (size_t)len) == 0);
        CHECK_EQ(m.rec[i].device_ms, 1000u + *next_line);
        (*next_line)++;
    }
    *first = m.first_seq;
    *count = m.n;
    return true;
}

static void boot(void)
{
    CHECK_EQ(logspool_open(&spool, &fl, BASE, NPAGES), LOGSPOOL_OK);
    uplink_init(&up, ID, &spool, status, NULL);
}

static void test_hello_and_time(void)
{
    flash_sim_init(&sim, &fl, mem, bitmap, BASE, sizeof(mem), PAGE, 16);
    boot();
    int64_t wall;
    CHECK(!uplink_wall_ms(&up, 0, &wall));
    uplink_session_up(&up, 100);
    uplink_poll(&up, 100, publish, NULL);
    CHECK(strcmp(last_topic, "devices/" ID "/up/hello") == 0);
    struct proto_status st;
    CHECK_EQ(proto_status_decode(PROTO_HELLO, last_payload, last_len, &st), PROTO_OK);
    CHECK_EQ(st.update_status, PROTO_UPD_CONFIRMED);
    unsigned n = published;
    uplink_poll(&up, 2000, publish, NULL);
    CHECK_EQ(published, n); /* not yet due again */
    uplink_poll(&up, 3200, publish, NULL);
    CHECK_EQ(published, n + 1); /* repeated: no time yet */
    answer_time(3300, 1764633600000ull);
    CHECK(uplink_wall_ms(&up, 4300, &wall) && wall == 1764633601000ll);
    n = published;
    uplink_poll(&up, 9000, publish, NULL);
    CHECK_EQ(published, n); /* no more hellos, no logs */
    CHECK_EQ(up.stats.hellos, 2);
    /* bad downlink */
    CHECK_EQ(uplink_downlink(&up, "devices/" ID "/down/time", (const uint8_t *)"\xff", 1, 1), -1);
    CHECK_EQ(uplink_downlink(&up, "devices/" ID "/down/logack", (const uint8_t *)"", 0, 1), -1);
    CHECK_EQ(up.stats.bad_downlink, 2);
    CHECK(uplink_wall_ms(&up, 4300, &wall) && wall == 1764633601000ll);
}

static void test_batches(void)
{
    unsigned line = 0, sent = 0;
    uint64_t first;
    uint32_t count;
    log_n(0, 80, 10000); /* 80 short lines fit the 2 KiB queue */
    CHECK(uplink_logs_pending(&up));
    uint32_t now = 10000;
    uint64_t expect = 0;
    bool first_batch = true;
    while (uplink_logs_pending(&up) && now < 60000) {
        now += 10;
        if (!take_batch(now, &line, &first, &count))
            continue;
        CHECK_EQ(first, expect);
        if (first_batch) {
            /* no ack: the same batch again after 3 s, not before */
            unsigned keep = line;
            uint64_t f2;
            uint32_t c2;
            line = keep - count;
            CHECK(!take_batch(now + 2900, &line, &f2, &c2));
            CHECK(take_batch(now + 3000, &line, &f2, &c2));
            CHECK(f2 == first && c2 == count && line == keep);
            /* and after a reconnect at once */
            uplink_session_down(&up, now + 3100);
            uplink_session_up(&up, now + 3200);
            answer_time(now + 3200, 1764633700000ull);
            line = keep - count;
            CHECK(take_batch(now + 3200, &line, &f2, &c2));
            CHECK(f2 == first && c2 == count && line == keep);
            now += 3200;
            first_batch = false;
        }
        answer_logack(first, count, now);
        expect = first + count;
        sent += count;
    }
    CHECK_EQ(sent, 80);
    CHECK_EQ(line, 80);
    CHECK(!uplink_logs_pending(&up));
    CHECK_EQ(up.stats.logs_acked, 80);
    CHECK(up.stats.batches_resent >= 1);

    /* a full RAM queue refuses, an ack makes room */
    unsigned taken = 0;
    char t[48];
    for (unsigned i = 0; i < 1000; i++) {
        int len = snprintf(t, sizeof(t), "line %u", 80 + i);
        if (uplink_log(&up, t, (size_t)len, 0, 1080u + i, now) != 0)
            break;
        taken++;
    }
    CHECK(taken > 10 && taken < 1000);
    CHECK(up.stats.logs_refused >= 1);
    CHECK(take_batch(now + 10, &line, &first, &count));
    answer_logack(first, count, now + 20);
    snprintf(t, sizeof(t), "line %u", 80 + taken);
    CHECK_EQ(uplink_log(&up, t, strlen(t), 0, 1080u + taken, now + 30), 0);
    /* drain it all */
    line = 80 + count;
    while (uplink_logs_pending(&up)) {
        now += 10;
        if (take_batch(now, &line, &first, &count))
            answer_logack(first, count, now);
    }
    CHECK_EQ(line, 80 + taken + 1);
}

/* Down for long: spooled; a reboot; the spool goes out first. */
static void test_outage_and_reboot(void)
{
    uint32_t now = 100000;
    uint64_t first;
    uint32_t count;
    flash_sim_init(&sim, &fl, mem, bitmap, BASE, sizeof(mem), PAGE, 16);
    boot();
    uplink_session_up(&up, now);
    answer_time(now, 1764633600000ull);
    uplink_session_down(&up, now);
    log_n(0, 20, now + 100);           /* in RAM: a short outage writes no flash */
    CHECK_EQ(up.stats.logs_spooled, 0);
    uplink_poll(&up, now + 5100, publish, NULL); /* 5 s down: RAM to flash */
    CHECK_EQ(up.stats.logs_spooled, 20);
    log_n(20, 30, now + 6000);         /* straight to flash */
    CHECK_EQ(up.stats.logs_spooled, 50);
    CHECK_EQ(up.ram_n, 0);

    /* reboot: a new uplink on the same flash */
    boot();
    now = 500;
    uplink_session_up(&up, now);
    uplink_poll(&up, now, publish, NULL); /* the hello */
    answer_time(now, 1764633800000ull);
    log_n(50, 10, now);                  /* new records, after the reboot */
    unsigned line = 0;
    uint64_t last_first = 0;
    bool any = false;
    while (uplink_logs_pending(&up) && now < 100000) {
        now += 10;
        if (!take_batch(now, &line, &first, &count))
            continue;
        CHECK(!any || first > last_first);
        any = true;
        last_first = first;
        answer_logack(first, count, now);
    }
    CHECK_EQ(line, 60); /* every line, in order, once */
    CHECK(!logspool_pending(&spool));
}

/* Offline long enough to fill the spool: its oldest pages go, and the
 * hello after reconnecting says how many records were lost; those and the
 * ones delivered are every record logged. */
static void test_spool_full_dropped(void)
{
    static struct proto_logs m;
    uint32_t now = 1000;
    flash_sim_init(&sim, &fl, mem, bitmap, BASE, sizeof(mem), PAGE, 16);
    boot();
    uplink_session_up(&up, now);
    uplink_poll(&up, now, publish, NULL);
    struct proto_status st;
    CHECK_EQ(proto_status_decode(PROTO_HELLO, last_payload, last_len, &st), PROTO_OK);
    CHECK_EQ(st.logs_dropped, 0);
    answer_time(now, 1764633600000ull);
    uplink_session_down(&up, now);
    uplink_poll(&up, now + 5100, publish, NULL); /* to the flash from now on */
    const unsigned total = 3000;                  /* several times the 32 KiB ring */
    log_n(0, total, now + 6000);
    CHECK(spool.dropped > 0);
    uplink_session_up(&up, now + 7000);
    uplink_poll(&up, now + 7000, publish, NULL);
    CHECK(strcmp(last_topic, "devices/" ID "/up/hello") == 0);
    CHECK_EQ(proto_status_decode(PROTO_HELLO, last_payload, last_len, &st), PROTO_OK);
    CHECK_EQ(st.logs_dropped, spool.dropped);
    answer_time(now + 7000, 1764633700000ull);
    unsigned got = 0;
    uint64_t next = 0;
    for (now += 7010; uplink_logs_pending(&up) && now < 400000; now += 10) {
        unsigned before = published;
        uplink_poll(&up, now, publish, NULL);
        if (published == before || strcmp(last_topic, "devices/" ID "/up/logs") != 0)
            continue;
        CHECK_EQ(proto_logs_decode(last_payload, last_len, &m), PROTO_OK);
        CHECK(m.first_seq >= next); /* in order, none twice */
        next = m.first_seq + m.n;
        got += m.n;
        answer_logack(m.first_seq, m.n, now);
    }
    CHECK_EQ(got + st.logs_dropped, total);
}

/* Records like hello's heartbeats ("heartbeat 123 at 123456 ms", device
 * times past 65535 ms): short texts, so 1 KiB of them is some 38 records
 * whose CBOR (about 9 bytes each beyond the text) did not fit payload[];
 * the batch failed to encode and nothing was sent again, neither from RAM
 * nor from the spool. Every record must go out, in order, once. */
static void beat(unsigned i, uint32_t now)
{
    char t[48];
    int len = snprintf(t, sizeof(t), "heartbeat %u at %u ms", i, 100000u + i * 1000u);
    CHECK_EQ(uplink_log(&up, t, (size_t)len, 1, 100000u + i * 1000u, now), 0);
}

static unsigned drain_beats(uint32_t *now, unsigned next)
{
    static struct proto_logs m;
    uint32_t end = *now + 60000;
    while (uplink_logs_pending(&up) && *now < end) {
        unsigned before = published;
        *now += 10;
        uplink_poll(&up, *now, publish, NULL);
        if (published == before || strcmp(last_topic, "devices/" ID "/up/logs") != 0)
            continue;
        CHECK_EQ(proto_logs_decode(last_payload, last_len, &m), PROTO_OK);
        for (uint32_t i = 0; i < m.n; i++) {
            char t[48];
            int len = snprintf(t, sizeof(t), "heartbeat %u at %u ms", next,
                               100000u + next * 1000u);
            CHECK(m.rec[i].text.n == (size_t)len && memcmp(m.rec[i].text.p, t, (size_t)len) == 0);
            next++;
        }
        answer_logack(m.first_seq, m.n, *now);
    }
    return next;
}

static void test_short_records(void)
{
    uint32_t now = 200000;
    flash_sim_init(&sim, &fl, mem, bitmap, BASE, sizeof(mem), PAGE, 16);
    boot();
    uplink_session_up(&up, now);
    uplink_poll(&up, now, publish, NULL); /* the hello */
    answer_time(now, 1764633600000ull);
    for (unsigned i = 0; i < 45; i++) /* the RAM queue holds 45 */
        beat(i, now);
    unsigned next = drain_beats(&now, 0);
    CHECK_EQ(next, 45);
    CHECK(!uplink_logs_pending(&up));

    /* an outage of a minute: spooled, sent from flash when back */
    uplink_session_down(&up, now);
    for (unsigned i = 45; i < 105; i++)
        beat(i, now + 6000 + (i - 45) * 1000u);
    CHECK(up.stats.logs_spooled >= 55);
    now += 70000;
    uplink_session_up(&up, now);
    next = drain_beats(&now, 45);
    CHECK_EQ(next, 105);
    CHECK(!uplink_logs_pending(&up));
}

/* The OTA client behind the uplink (with no update engine, so that the
 * deployment fails at once): deployment and chunk messages reach it, its
 * ack goes out on up/ack, its report in a status at once and in every
 * hello after; what does not decode is counted. */
static update_t *no_engine(void *ctx)
{
    (void)ctx;
    return NULL;
}

static void test_ota_wiring(void)
{
    static const struct ota_engine eng = { no_engine, NULL, NULL, NULL, NULL };
    static struct ota o;
    struct proto_status st;
    flash_sim_init(&sim, &fl, mem, bitmap, BASE, sizeof(mem), PAGE, 16);
    boot();
    ota_init(&o, ID, &eng, 1);
    uplink_set_ota(&up, &o);
    uplink_session_up(&up, 100);
    uplink_poll(&up, 100, publish, NULL);
    CHECK_EQ(proto_status_decode(PROTO_HELLO, last_payload, last_len, &st), PROTO_OK);
    CHECK(!st.has_update); /* nothing to report yet */
    answer_time(200, 1764633600000ull);
    struct proto_deploy d = { .msg_id = 41, .deployment_id = 7, .size = 100 };
    uint8_t b[128];
    size_t n;
    CHECK_EQ(proto_deploy_encode(&d, b, sizeof(b), &n), PROTO_OK);
    CHECK_EQ(uplink_downlink(&up, "devices/" ID "/down/deployment", b, n, 300), 0);
    unsigned before = published;
    uplink_poll(&up, 400, publish, NULL);
    CHECK_EQ(published, before + 2); /* the ack, then the status */
    CHECK(strcmp(last_topic, "devices/" ID "/up/status") == 0);
    CHECK_EQ(proto_status_decode(PROTO_STATUS, last_payload, last_len, &st), PROTO_OK);
    CHECK(st.has_update && st.update.deployment_id == 7 &&
          st.update.state == PROTO_OTA_FAILED && st.update.reason == OTA_E_ENGINE);
    CHECK_EQ(st.app_version, 0x00010000u); /* the whole status, not just the report */
    CHECK_EQ(up.stats.statuses, 1);
    uplink_poll(&up, 10000, publish, NULL);
    CHECK_EQ(up.stats.statuses, 1); /* only on change */
    /* reconnect: the hello carries the report */
    uplink_session_down(&up, 11000);
    uplink_session_up(&up, 12000);
    uplink_poll(&up, 12000, publish, NULL);
    CHECK(strcmp(last_topic, "devices/" ID "/up/hello") == 0);
    CHECK_EQ(proto_status_decode(PROTO_HELLO, last_payload, last_len, &st), PROTO_OK);
    CHECK(st.has_update && st.update.state == PROTO_OTA_FAILED);
    unsigned bad = up.stats.bad_downlink;
    CHECK_EQ(uplink_downlink(&up, "devices/" ID "/down/chunk", (const uint8_t *)"\xa0", 1, 1), -1);
    CHECK_EQ(uplink_downlink(&up, "devices/" ID "/down/deployment", b, n - 1, 1), -1);
    CHECK_EQ(up.stats.bad_downlink, bad + 2);
    uplink_set_ota(&up, NULL);
}

int main(void)
{
    test_hello_and_time();
    test_batches();
    test_outage_and_reboot();
    test_short_records();
    test_spool_full_dropped();
    test_ota_wiring();
    return keel_test_done("test_uplink");
}
