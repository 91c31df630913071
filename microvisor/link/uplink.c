/*
 * IMPLEMENTATION NOTES
 * Sequence numbers: records in the flash spool always have lower numbers
 * than records in the RAM queue (RAM goes to flash oldest first, and while
 * the session is down new records go to flash too once the RAM queue has
 * been moved), so "spool first, then RAM" is sequence order, and a batch
 * is a run of consecutive numbers from one of the two.
 *
 * The RAM queue is a byte ring of records [len u16, level u8, 0, device_ms
 * u64, text]; the numbers are implicit (ram_first + index). A batch copies
 * the texts it sends into `stage`, so the ring may wrap and flash records
 * can be read one at a time; nothing leaves the ring or the spool until
 * the cloud's log ack names the batch.
 */
#include "uplink.h"

#include <string.h>

#define REC_HDR 12u

/* What one record costs in the encoded batch besides its text: its array
 * head (1), device_ms (up to 9), level (1) and text head (up to 3). A
 * batch is bounded by text plus this per record, so it always encodes into
 * payload[] (whose 64 bytes beyond UPLINK_BATCH_MAX hold the message head,
 * first_seq and the array head): bounding the text alone let some 30 short
 * records make a batch that did not encode, and nothing was sent again. */
#define REC_CBOR_MAX 14u
_Static_assert(PROTO_MAX_LOG_TEXT + REC_CBOR_MAX <= UPLINK_BATCH_MAX,
               "the largest record fits a batch on its own");

/* Whether a record of len bytes of text still fits the batch being built. */
static bool batch_fits(const struct proto_logs *b, uint32_t staged, uint32_t len)
{
    return staged + len + (b->n + 1u) * REC_CBOR_MAX <= UPLINK_BATCH_MAX;
}

static void set_topic(struct uplink *u, const char *kind)
{
    size_t n = 0;
    const char *parts[] = { "devices/", u->id, "/up/", kind };
    for (unsigned i = 0; i < 4; i++)
        for (const char *p = parts[i]; *p && n < UPLINK_TOPIC_MAX - 1; p++)
            u->topic[n++] = *p;
    u->topic[n] = 0;
}

void uplink_init(struct uplink *u, const char *id, struct logspool *spool,
                 uplink_status_fn status, void *status_ctx)
{
    memset(u, 0, sizeof(*u));
    memcpy(u->id, id, 34);
    u->spool = spool;
    u->status = status;
    u->status_ctx = status_ctx;
}

static void ring_put(struct uplink *u, uint32_t off, const void *src, uint32_t len)
{
    const uint8_t *s = src;
    for (uint32_t i = 0; i < len; i++)
        u->ram[(off + i) % UPLINK_RAM_LOG] = s[i];
}

static void ring_get(const struct uplink *u, uint32_t off, void *dst, uint32_t len)
{
    uint8_t *d = dst;
    for (uint32_t i = 0; i < len; i++)
        d[i] = u->ram[(off + i) % UPLINK_RAM_LOG];
}

/* The RAM record at ring offset off: its header fields; returns its size. */
static uint32_t ring_rec(const struct uplink *u, uint32_t off, uint16_t *len, uint8_t *level,
                         uint64_t *device_ms)
{
    uint8_t h[REC_HDR];
    ring_get(u, off, h, REC_HDR);
    *len = (uint16_t)(h[0] | h[1] << 8);
    *level = h[2];
    uint64_t ms = 0;
    for (int i = 7; i >= 0; i--)
        ms = ms << 8 | h[4 + i];
    *device_ms = ms;
    return REC_HDR + *len;
}

static void ring_drop_front(struct uplink *u, uint32_t count)
{
    while (count-- && u->ram_n) {
        uint16_t len;
        uint8_t level;
        uint64_t ms;
        uint32_t sz = ring_rec(u, u->ram_head, &len, &level, &ms);
        u->ram_head = (u->ram_head + sz) % UPLINK_RAM_LOG;
        u->ram_used -= sz;
        u->ram_n--;
        u->ram_first++;
    }
}

/* Moves the RAM queue into the flash spool, oldest first. A record the
 * spool cannot take stays in RAM (counted), and the rest stay behind it. */
static void ram_to_spool(struct uplink *u)
{
    while (u->spool && u->ram_n) {
        uint16_t len;
        uint8_t level;
        uint64_t ms;
        ring_rec(u, u->ram_head, &len, &level, &ms);
        ring_get(u, u->ram_head + REC_HDR, u->rec.text, len);
        if (logspool_append(u->spool, u->ram_first, ms, level, u->rec.text, len) != LOGSPOOL_OK) {
            u->stats.spool_errors++;
            return;
        }
        u->stats.logs_spooled++;
        ring_drop_front(u, 1);
    }
}

void uplink_set_ota(struct uplink *u, struct ota *o)
{
    u->ota = o;
}

int uplink_log(struct uplink *u, const char *text, size_t len, uint8_t level,
               uint64_t device_ms, uint32_t now_ms)
{
    if (len > PROTO_MAX_LOG_TEXT || level > 3 || !proto_utf8_valid(text, len))
        return -1;
    bool offline_long = !u->up && now_ms - u->down_since_ms >= UPLINK_SPOOL_AFTER_MS;
    if (offline_long && u->spool) {
        ram_to_spool(u);
        if (u->ram_n == 0) {
            uint64_t seq;
            if (logspool_take_seq(u->spool, &seq) != LOGSPOOL_OK ||
                logspool_append(u->spool, seq, device_ms, level, text, (uint16_t)len) !=
                    LOGSPOOL_OK) {
                u->stats.spool_errors++;
                u->stats.logs_refused++;
                return -1;
            }
            u->stats.logs_in++;
            u->stats.logs_spooled++;
            return 0;
        }
    }
    uint32_t sz = REC_HDR + (uint32_t)len;
    if (u->ram_used + sz > UPLINK_RAM_LOG) {
        u->stats.logs_refused++;
        return -1;
    }
    uint64_t seq = 0;
    if (u->spool && logspool_take_seq(u->spool, &seq) != LOGSPOOL_OK) {
        u->stats.spool_errors++;
        u->stats.logs_refused++;
        return -1;
    }
    if (!u->spool)
        seq = u->ram_first + u->ram_n;
    if (u->ram_n == 0)
        u->ram_first = seq;
    else if (seq != u->ram_first + u->ram_n)
        return -1; /* cannot happen: numbers are taken only here and in the spool path */
    uint8_t h[REC_HDR] = { (uint8_t)len, (uint8_t)(len >> 8), level, 0 };
    for (int i = 0; i < 8; i++)
        h[4 + i] = (uint8_t)(device_ms >> (8 * i));
    uint32_t tail = (u->ram_head + u->ram_used) % UPLINK_RAM_LOG;
    ring_put(u, tail, h, REC_HDR);
    ring_put(u, tail + REC_HDR, text, (uint32_t)len);
    u->ram_used += sz;
    u->ram_n++;
    u->stats.logs_in++;
    return 0;
}

bool uplink_room(const struct uplink *u, size_t bytes, unsigned n, uint32_t now_ms)
{
    if (!u->up && u->spool && now_ms - u->down_since_ms >= UPLINK_SPOOL_AFTER_MS)
        return true; /* straight to flash (a failure there refuses the record) */
    return u->ram_used + REC_HDR * n + bytes <= UPLINK_RAM_LOG;
}

void uplink_session_up(struct uplink *u, uint32_t now_ms)
{
    u->up = true;
    u->hello_due = true;
    u->hello_ms = now_ms;
    if (u->inflight)
        u->sent_ms = now_ms - UPLINK_RESEND_MS; /* resend it at once */
    if (u->ota)
        ota_session(u->ota, true, now_ms);
}

void uplink_session_down(struct uplink *u, uint32_t now_ms)
{
    u->up = false;
    u->down_since_ms = now_ms;
    u->inflight = false; /* the batch is still there; it is rebuilt when back */
    if (u->ota)
        ota_session(u->ota, false, now_ms);
}

/* Fills u->batch from the spool (consecutive numbers from its oldest
 * undelivered record) or, if it has none, from the RAM queue. */
static bool build_batch(struct uplink *u)
{
    struct proto_logs *b = &u->batch;
    uint32_t staged = 0;
    b->n = 0;
    u->inflight_flash = u->spool && logspool_pending(u->spool);
    if (u->inflight_flash) {
        struct logspool_cursor c = logspool_cursor(u->spool);
        while (b->n < PROTO_MAX_LOGS && logspool_next(u->spool, &c, &u->rec) == LOGSPOOL_OK) {
            if ((b->n && u->rec.seq != b->first_seq + b->n) ||
                !batch_fits(b, staged, u->rec.len))
                break;
            if (b->n == 0)
                b->first_seq = u->rec.seq;
            memcpy(u->stage + staged, u->rec.text, u->rec.len);
            b->rec[b->n] = (struct proto_log){ u->rec.device_ms, u->rec.level,
                                               { (const char *)u->stage + staged, u->rec.len } };
            staged += u->rec.len;
            b->n++;
        }
        return b->n > 0;
    }
    uint32_t off = u->ram_head;
    b->first_seq = u->ram_first;
    while (b->n < PROTO_MAX_LOGS && b->n < u->ram_n) {
        uint16_t len;
        uint8_t level;
        uint64_t ms;
        uint32_t sz = ring_rec(u, off, &len, &level, &ms);
        if (!batch_fits(b, staged, len))
            break;
        ring_get(u, off + REC_HDR, u->stage + staged, len);
        b->rec[b->n] = (struct proto_log){ ms, level, { (const char *)u->stage + staged, len } };
        staged += len;
        off = (off + sz) % UPLINK_RAM_LOG;
        b->n++;
    }
    return b->n > 0;
}

static void send_batch(struct uplink *u, uint32_t now_ms, uplink_publish_fn publish, void *ctx,
                       bool resend)
{
    size_t len;
    if (!build_batch(u))
        return;
    if (proto_logs_encode(&u->batch, u->payload, sizeof(u->payload), &len) != PROTO_OK)
        return; /* cannot happen: the batch is bounded to fit */
    set_topic(u, "logs");
    if (publish(ctx, u->topic, u->payload, len) != 0)
        return; /* tried again on the next poll */
    u->inflight = true;
    u->inflight_first = u->batch.first_seq;
    u->inflight_n = u->batch.n;
    u->sent_ms = now_ms;
    if (resend)
        u->stats.batches_resent++;
    else
        u->stats.batches_sent++;
}

/* A hello or status: the device's status, with what the spool lost and
 * the update report. 0 if published. */
static int send_status(struct uplink *u, uint32_t type, uint32_t now_ms,
                       uplink_publish_fn publish, void *ctx)
{
    struct proto_status st;
    size_t len;
    memset(&st, 0, sizeof(st));
    if (u->status)
        u->status(u->status_ctx, &st, now_ms);
    /* what the spool erased unsent this boot: the cloud is told how many
     * of the gaps in the sequence numbers are losses */
    if (u->spool)
        st.logs_dropped = u->spool->dropped;
    if (u->ota)
        st.has_update = ota_report(u->ota, &st.update);
    set_topic(u, type == PROTO_HELLO ? "hello" : "status");
    if (proto_status_encode(type, &st, u->payload, sizeof(u->payload), &len) != PROTO_OK ||
        publish(ctx, u->topic, u->payload, len) != 0)
        return -1;
    if (u->ota && st.has_update)
        ota_status_sent(u->ota, now_ms);
    return 0;
}

void uplink_poll(struct uplink *u, uint32_t now_ms, uplink_publish_fn publish, void *ctx)
{
    if (!u->up) {
        if (u->spool && now_ms - u->down_since_ms >= UPLINK_SPOOL_AFTER_MS)
            ram_to_spool(u);
        if (u->ota)
            (void)ota_poll(u->ota, now_ms, publish, ctx); /* engine work goes on offline */
        return;
    }
    if (u->hello_due && (int32_t)(now_ms - u->hello_ms) >= 0) {
        if (send_status(u, PROTO_HELLO, now_ms, publish, ctx) == 0) {
            u->stats.hellos++;
            u->hello_ms = now_ms + UPLINK_HELLO_MS; /* again until the time comes */
        }
        return; /* the hello first: the cloud registers the device on it */
    }
    if (u->ota) {
        (void)ota_poll(u->ota, now_ms, publish, ctx);
        if (ota_status_due(u->ota, now_ms) &&
            send_status(u, PROTO_STATUS, now_ms, publish, ctx) == 0)
            u->stats.statuses++;
    }
    if (u->inflight) {
        if (now_ms - u->sent_ms >= UPLINK_RESEND_MS)
            send_batch(u, now_ms, publish, ctx, true);
        return;
    }
    send_batch(u, now_ms, publish, ctx, false);
}

int uplink_downlink(struct uplink *u, const char *topic, const uint8_t *payload, size_t len,
                    uint32_t now_ms)
{
    const char *kind = topic;
    for (const char *p = topic; *p; p++)
        if (*p == '/')
            kind = p + 1;
    if (!strcmp(kind, "time")) {
        uint64_t unix_ms;
        if (proto_time_decode(payload, len, &unix_ms) != PROTO_OK)
            goto bad;
        u->wall_offset_ms = (int64_t)unix_ms - (int64_t)now_ms;
        u->time_known = true;
        u->hello_due = false;
        u->stats.times++;
        return 0;
    }
    if (!strcmp(kind, "logack")) {
        struct proto_log_ack a;
        if (proto_log_ack_decode(payload, len, &a) != PROTO_OK)
            goto bad;
        /* only the batch in flight: an older ack (resent batches) is
         * harmless to ignore, its records are gone already */
        if (!u->inflight || a.first_seq != u->inflight_first || a.count != u->inflight_n)
            return 0;
        if (u->inflight_flash)
            (void)logspool_ack(u->spool, a.first_seq + a.count);
        else
            ring_drop_front(u, a.count);
        u->stats.logs_acked += a.count;
        u->inflight = false;
        return 0;
    }
    if (u->ota && !strcmp(kind, "deployment")) {
        if (ota_deployment(u->ota, payload, len, now_ms) != 0)
            goto bad;
        return 0;
    }
    if (u->ota && !strcmp(kind, "chunk")) {
        if (ota_chunk(u->ota, payload, len, now_ms) != 0)
            goto bad;
        return 0;
    }
    return 0; /* config, command: later issues */
bad:
    u->stats.bad_downlink++;
    return -1;
}

bool uplink_wall_ms(const struct uplink *u, uint32_t now_ms, int64_t *unix_ms)
{
    if (!u->time_known)
        return false;
    *unix_ms = u->wall_offset_ms + (int64_t)now_ms;
    return true;
}

bool uplink_logs_pending(const struct uplink *u)
{
    return u->ram_n || (u->spool && logspool_pending(u->spool));
}
