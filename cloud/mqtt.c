/*
 * mqtt.c: keel-cloud's broker link (libmosquitto, MQTT 5).
 *
 * IMPLEMENTATION NOTES
 * Every instance subscribes to $share/keel/devices/+/up/#, so the broker
 * hands each device message to exactly one of them. Log records are kept
 * in memory only until the next flush: one transaction of up to log_batch
 * records or log_flush_ms old, inserted with ON CONFLICT DO NOTHING on
 * (device, seq). Only after COMMIT does the device get its log ack, so a
 * record whose ack a device saw is in the database, and a batch resent
 * after a crash (no ack) lands once. When the one transaction fails, each
 * device's records get a transaction of their own (flush), so a device
 * whose records the database refuses does not hold back the others' acks.
 * A batch lib/proto refuses (malformed CBOR, text that is not UTF-8) is
 * dropped unacked and logged without its content. The link runs on its
 * own thread with its own database connection, outside the HTTP pool,
 * readied for large transactions (store_tune_bulk). The pending records'
 * texts share one buffer, reused from flush to flush, so a record costs
 * no allocation of its own. Fetches, update reports and deployment acks
 * go to ota.c. The client is marked threaded (mosquitto_threaded_set), so
 * a publish from an HTTP thread (cloud_mqtt_send: a new deployment) is
 * only queued and this thread writes it: one TLS connection is never
 * written by two threads.
 */
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "cloud.h"
#include "ota.h"
#include "proto.h"

#define ROWS_PER_INSERT 50

struct pending_log {
    char device[35];
    int64_t seq, device_ms, received_ms;
    int level;
    size_t text, text_len; /* in cloud_mqtt.texts, NUL-terminated there */
};

struct pending_ack {
    char device[35];
    struct proto_log_ack ack;
};

struct cloud_mqtt {
    struct cloud *c;
    struct mosquitto *m;
    struct store *db;
    pthread_t thread;
    struct pending_log *logs;
    size_t nlogs, caplogs;
    char *texts; /* every pending record's text, one after the other */
    size_t ntexts, captexts;
    struct pending_ack *acks;
    size_t nacks, capacks;
    int64_t first_pending_ms, revoked_checked_ms;
    char **revoked;
    size_t nrevoked;
    bool connected;
    struct ota *ota;
};

static bool is_revoked(struct cloud_mqtt *q, const char *id)
{
    for (size_t i = 0; i < q->nrevoked; i++)
        if (!strcmp(q->revoked[i], id))
            return true;
    return false;
}

/* Revocations made by any instance reach this one within a second. */
static void refresh_revoked(struct cloud_mqtt *q)
{
    int64_t now = cloud_now_ms();
    if (now - q->revoked_checked_ms < 1000)
        return;
    q->revoked_checked_ms = now;
    struct store_result res;
    if (store_exec(q->db, "SELECT id FROM devices WHERE revoked_ms IS NOT NULL", NULL, 0, &res))
        return;
    for (size_t i = 0; i < q->nrevoked; i++)
        free(q->revoked[i]);
    free(q->revoked);
    q->revoked = calloc((size_t)res.nrows + 1, sizeof(char *));
    q->nrevoked = 0;
    for (int i = 0; q->revoked && i < res.nrows; i++)
        q->revoked[q->nrevoked++] = strdup(store_cell(&res, i, 0));
    store_result_free(&res);
}

static void publish(struct cloud_mqtt *q, const char *device, const char *kind, const void *p,
                    size_t n)
{
    char topic[96];
    snprintf(topic, sizeof(topic), "devices/%s/down/%s", device, kind);
    mosquitto_publish_v5(q->m, NULL, topic, (int)n, p, 1, false, NULL);
}

static void ota_send(void *ctx, const char *dev, const char *kind, const void *p, size_t n)
{
    publish(ctx, dev, kind, p, n);
}

int cloud_mqtt_send(struct cloud *c, const char *device, const char *kind, const void *p,
                    size_t n)
{
    struct cloud_mqtt *q = c->mqtt;
    char topic[96];
    if (!q)
        return -1;
    snprintf(topic, sizeof(topic), "devices/%s/down/%s", device, kind);
    return mosquitto_publish_v5(q->m, NULL, topic, (int)n, p, 1, false, NULL) == MOSQ_ERR_SUCCESS
               ? 0
               : -1;
}

/* Inserts rows[0..n) in multi-row statements; 0 or the first error. */
static int insert_rows(struct cloud_mqtt *q, struct pending_log *const *rows, size_t n)
{
    static const char one[] = "INSERT INTO logs (device_id, seq, device_ms, received_ms, level, "
                              "text) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, seq) DO "
                              "NOTHING";
    static char many[ROWS_PER_INSERT * 24 + 256];
    if (!many[0]) {
        size_t k = (size_t)sprintf(many, "INSERT INTO logs (device_id, seq, device_ms, "
                                         "received_ms, level, text) VALUES ");
        for (int r = 0; r < ROWS_PER_INSERT; r++)
            k += (size_t)sprintf(many + k, "%s(?, ?, ?, ?, ?, ?)", r ? ", " : "");
        sprintf(many + k, " ON CONFLICT (device_id, seq) DO NOTHING");
    }
    struct store_val v[ROWS_PER_INSERT * 6];
    int rc = 0;
    for (size_t i = 0; !rc && i < n;) {
        size_t take = n - i >= ROWS_PER_INSERT ? ROWS_PER_INSERT : 1;
        for (size_t k = 0; k < take; k++) {
            const struct pending_log *l = rows[i + k];
            const char *text = q->texts + l->text;
            v[6 * k] = SV_TEXT(l->device);
            v[6 * k + 1] = SV_INT(l->seq);
            v[6 * k + 2] = SV_INT(l->device_ms);
            v[6 * k + 3] = SV_INT(l->received_ms);
            v[6 * k + 4] = SV_INT(l->level);
            v[6 * k + 5] = (struct store_val){.type = STORE_TEXT, .p = text, .n = l->text_len};
        }
        rc = store_exec(q->db, take == 1 ? one : many, v, (int)take * 6, NULL);
        i += take;
    }
    return rc;
}

/* One transaction for rows[0..n); 0 once committed, else rolled back. */
static int commit_rows(struct cloud_mqtt *q, struct pending_log *const *rows, size_t n)
{
    int rc = store_begin(q->db);
    if (!rc)
        rc = insert_rows(q, rows, n);
    if (!rc)
        rc = store_commit(q->db);
    if (rc)
        store_rollback(q->db);
    return rc;
}

/* Acks every pending batch of `device` (all devices when NULL). */
static void send_acks(struct cloud_mqtt *q, const char *device)
{
    for (size_t k = 0; k < q->nacks; k++) {
        uint8_t buf[64];
        size_t n;
        if (device && strcmp(q->acks[k].device, device))
            continue;
        if (proto_log_ack_encode(&q->acks[k].ack, buf, sizeof(buf), &n) == 0)
            publish(q, q->acks[k].device, "logack", buf, n);
    }
}

/* Stores what is pending and acks what was committed, nothing else. The
 * usual case is one transaction for everything. When it fails (on
 * PostgreSQL one bad row aborts the whole transaction), every device's
 * records are tried again in a transaction of their own, so a device
 * whose records cannot be stored costs only itself: the others are
 * committed and acked exactly once, it gets no ack and resends. */
static void flush(struct cloud_mqtt *q)
{
    if (!q->nlogs && !q->nacks)
        return;
    struct pending_log **rows = malloc((q->nlogs ? q->nlogs : 1) * sizeof(*rows));
    if (!rows) { /* nothing acked: the devices resend */
        cloud_log("error", NULL, "log ingest: out of memory; %zu records unacknowledged",
                  q->nlogs);
        goto done;
    }
    for (size_t k = 0; k < q->nlogs; k++)
        rows[k] = &q->logs[k];
    if (commit_rows(q, rows, q->nlogs) == 0) {
        send_acks(q, NULL);
        goto done;
    }
    cloud_log("warning", NULL, "log ingest: batch of %zu records failed (%s); storing each "
              "device's records on its own", q->nlogs, store_errmsg(q->db));
    /* each device once, in the order its first batch arrived */
    for (size_t a = 0; a < q->nacks; a++) {
        const char *dev = q->acks[a].device;
        bool seen_before = false;
        for (size_t k = 0; k < a && !seen_before; k++)
            seen_before = !strcmp(q->acks[k].device, dev);
        if (seen_before)
            continue;
        size_t n = 0;
        for (size_t k = 0; k < q->nlogs; k++)
            if (!strcmp(q->logs[k].device, dev))
                rows[n++] = &q->logs[k];
        if (commit_rows(q, rows, n) == 0)
            send_acks(q, dev);
        else
            cloud_log("error", NULL, "log ingest: device %s: %zu records not stored (%s); "
                      "unacknowledged", dev, n, store_errmsg(q->db));
    }
done:
    free(rows);
    q->nlogs = q->nacks = q->ntexts = 0;
}

static void on_logs(struct cloud_mqtt *q, const char *dev, const uint8_t *p, size_t n)
{
    static _Thread_local struct proto_logs m;
    int rc = proto_logs_decode(p, n, &m);
    if (rc) {
        cloud_log("warning", NULL, "device %s: malformed logs (%d) dropped", dev, rc);
        return;
    }
    int64_t now = cloud_now_ms();
    if (q->nlogs + m.n > q->caplogs) {
        size_t cap = (q->caplogs ? q->caplogs : 1024) * 2 + m.n;
        struct pending_log *nl = realloc(q->logs, cap * sizeof(*nl));
        if (!nl)
            return;
        q->logs = nl;
        q->caplogs = cap;
    }
    size_t text_bytes = 0;
    for (uint32_t i = 0; i < m.n; i++)
        text_bytes += m.rec[i].text.n + 1;
    if (q->ntexts + text_bytes > q->captexts) {
        size_t cap = (q->captexts ? q->captexts : 64 * 1024) * 2 + text_bytes;
        char *nt = realloc(q->texts, cap);
        if (!nt)
            return;
        q->texts = nt;
        q->captexts = cap;
    }
    if (q->nacks == q->capacks) {
        size_t cap = q->capacks ? q->capacks * 2 : 256;
        struct pending_ack *na = realloc(q->acks, cap * sizeof(*na));
        if (!na)
            return;
        q->acks = na;
        q->capacks = cap;
    }
    if (!q->nlogs)
        q->first_pending_ms = now;
    for (uint32_t i = 0; i < m.n; i++) {
        struct pending_log *l = &q->logs[q->nlogs++];
        memcpy(l->device, dev, 35);
        l->seq = (int64_t)(m.first_seq + i);
        l->device_ms = (int64_t)m.rec[i].device_ms;
        l->received_ms = now;
        l->level = (int)m.rec[i].level;
        l->text = q->ntexts;
        l->text_len = m.rec[i].text.n;
        if (l->text_len)
            memcpy(q->texts + q->ntexts, m.rec[i].text.p, l->text_len);
        q->texts[q->ntexts + l->text_len] = 0;
        q->ntexts += l->text_len + 1;
    }
    struct pending_ack *a = &q->acks[q->nacks++];
    memcpy(a->device, dev, 35);
    a->ack.first_seq = m.first_seq;
    a->ack.count = m.n;
    if ((long)q->nlogs >= q->c->cfg.log_batch)
        flush(q);
}

static void on_status(struct cloud_mqtt *q, const char *dev, uint32_t type, const uint8_t *p,
                      size_t n)
{
    static const char *const upd[] = {"idle", "downloading", "trial", "confirmed", "rejected"};
    struct proto_status s;
    int rc = proto_status_decode(type, p, n, &s);
    if (rc) {
        cloud_log("warning", NULL, "device %s: malformed %s (%d) dropped", dev,
                  type == PROTO_HELLO ? "hello" : "status", rc);
        return;
    }
    int64_t now = cloud_now_ms();
    struct store_val v[9] = {SV_TEXT(dev), SV_INT(s.app_version), SV_INT(s.mv_version),
                             SV_TEXT(upd[s.update_status]), SV_INT((int64_t)s.uptime_s),
                             SV_INT(s.logs_dropped), SV_INT(now), SV_INT(now), SV_INT(1)};
    /* registered on first connect, to the operator account */
    rc = store_exec(q->db, "INSERT INTO devices (id, account_id, app_version, mv_version, "
                           "update_status, uptime_s, logs_dropped, online, first_seen_ms, "
                           "last_seen_ms) VALUES (?, 1, ?, ?, ?, ?, ?, 1, ?, ?) "
                           "ON CONFLICT (id) DO UPDATE SET "
                           "app_version = excluded.app_version, mv_version = excluded.mv_version, "
                           "update_status = excluded.update_status, uptime_s = excluded.uptime_s, "
                           "logs_dropped = excluded.logs_dropped, "
                           "online = ?, last_seen_ms = excluded.last_seen_ms", v, 9, NULL);
    if (rc) {
        cloud_log("error", NULL, "device %s: %s", dev, store_errmsg(q->db));
        return;
    }
    /* a fault is reported until the device learns it was seen; the same
     * (uptime, code, pc) again is the same fault */
    for (uint32_t i = 0; i < s.n_faults; i++) {
        struct store_val f[5] = {SV_TEXT(dev), SV_INT(s.faults[i].code), SV_INT(s.faults[i].pc),
                                 SV_INT((int64_t)s.faults[i].uptime_ms), SV_INT(now)};
        if (store_exec(q->db, "INSERT INTO faults (device_id, code, pc, uptime_ms, received_ms) "
                              "VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id, uptime_ms, code, "
                              "pc) DO NOTHING", f, 5, NULL))
            cloud_log("error", NULL, "device %s: fault: %s", dev, store_errmsg(q->db));
    }
    if (s.has_update)
        ota_on_report(q->db, dev, &s.update);
    if (type == PROTO_HELLO) {
        uint8_t buf[32];
        size_t len;
        if (proto_time_encode((uint64_t)now, buf, sizeof(buf), &len) == 0)
            publish(q, dev, "time", buf, len);
        cloud_log("info", NULL, "device %s connected (app %u.%u.%u)", dev, s.app_version >> 24,
                  (s.app_version >> 16) & 0xFF, s.app_version & 0xFFFF);
        /* deployments are pushed: one the device has not finished comes
         * again with every hello (the broker's queue may have lost it) */
        ota_on_hello(q->db, dev, ota_send, q);
    }
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    struct cloud_mqtt *q = obj;
    (void)m;
    (void)props;
    /* devices/<UV + 32 hex>/up/<kind>: the broker's ACL already tied the id
     * to the sender's certificate */
    const char *t = msg->topic;
    if (strncmp(t, "devices/", 8) || strlen(t) < 8 + 34 + 4 || strncmp(t + 42, "/up/", 4))
        return;
    char dev[35];
    memcpy(dev, t + 8, 34);
    dev[34] = 0;
    for (int i = 0; i < 34; i++) /* UV + 32 upper-case hex, as certificates name them */
        if (i < 2 ? dev[i] != "UV"[i]
                  : !((dev[i] >= '0' && dev[i] <= '9') || (dev[i] >= 'A' && dev[i] <= 'F')))
            return;
    const char *kind = t + 46;
    refresh_revoked(q);
    if (is_revoked(q, dev))
        return;
    const uint8_t *p = msg->payload;
    size_t n = (size_t)msg->payloadlen;
    if (n > PROTO_MAX_SIZE)
        return;
    if (!strcmp(kind, "logs"))
        on_logs(q, dev, p, n);
    else if (!strcmp(kind, "hello"))
        on_status(q, dev, PROTO_HELLO, p, n);
    else if (!strcmp(kind, "status"))
        on_status(q, dev, PROTO_STATUS, p, n);
    else if (!strcmp(kind, "fetch"))
        ota_on_fetch(q->ota, q->db, dev, p, n, ota_send, q);
    else if (!strcmp(kind, "offline")) {
        struct store_val v[1] = {SV_TEXT(dev)};
        store_exec(q->db, "UPDATE devices SET online = 0 WHERE id = ?", v, 1, NULL);
    } else if (!strcmp(kind, "ack")) {
        struct proto_ack a;
        if (proto_ack_decode(p, n, &a) == 0) {
            cloud_log("info", NULL, "device %s acked message %llu: %d", dev,
                      (unsigned long long)a.msg_id, a.status);
            ota_on_ack(q->db, dev, &a);
        }
    }
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    struct cloud_mqtt *q = obj;
    (void)flags;
    (void)props;
    if (rc) {
        cloud_log("error", NULL, "broker refused keel-cloud: %s", mosquitto_connack_string(rc));
        return;
    }
    q->connected = true;
    mosquitto_subscribe_v5(m, NULL, "$share/keel/devices/+/up/#", 1, 0, NULL);
    cloud_log("notice", NULL, "broker link up");
}

static void *loop(void *arg)
{
    struct cloud_mqtt *q = arg;
    while (!q->c->stopping) {
        int rc = mosquitto_loop(q->m, 5, 1);
        if (rc != MOSQ_ERR_SUCCESS && !q->c->stopping) {
            flush(q);
            q->connected = false;
            usleep(200 * 1000);
            mosquitto_reconnect(q->m);
            continue;
        }
        if (q->nlogs && cloud_now_ms() - q->first_pending_ms >= q->c->cfg.log_flush_ms)
            flush(q);
    }
    flush(q);
    return NULL;
}

int cloud_mqtt_start(struct cloud *c)
{
    char err[512], id[96];
    struct cloud_mqtt *q = calloc(1, sizeof(*q));
    if (!q)
        return -1;
    q->c = c;
    if (!(q->ota = ota_new())) {
        free(q);
        return -1;
    }
    if (store_open(c->cfg.database, &q->db, err, sizeof(err)) != 0) {
        cloud_log("error", NULL, "broker link: %s", err);
        ota_free(q->ota);
        free(q);
        return -1;
    }
    if (store_tune_bulk(q->db) != 0) /* slower, not wrong: go on */
        cloud_log("warning", NULL, "broker link: %s", store_errmsg(q->db));
    mosquitto_lib_init();
    snprintf(id, sizeof(id), CLOUD_MQTT_USER "-%s", c->cfg.instance);
    q->m = mosquitto_new(id, true, q);
    if (!q->m || mosquitto_threaded_set(q->m, true) ||
        mosquitto_int_option(q->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5) ||
        mosquitto_int_option(q->m, MOSQ_OPT_TCP_NODELAY, 1) ||
        mosquitto_tls_set(q->m, c->cfg.mqtt_ca, NULL, c->cfg.mqtt_cert, c->cfg.mqtt_key, NULL) ||
        mosquitto_tls_opts_set(q->m, 1, "tlsv1.3", NULL)) {
        cloud_log("error", NULL, "broker link: cannot set up TLS with %s, %s", c->cfg.mqtt_cert,
                  c->cfg.mqtt_key);
        goto fail;
    }
    mosquitto_connect_v5_callback_set(q->m, on_connect);
    mosquitto_message_v5_callback_set(q->m, on_message);
    if (mosquitto_connect_bind_v5(q->m, c->cfg.mqtt_host, (int)c->cfg.mqtt_port, 30, NULL, NULL))
        cloud_log("warning", NULL, "broker %s:%ld not reachable yet; retrying",
                  c->cfg.mqtt_host, c->cfg.mqtt_port);
    if (pthread_create(&q->thread, NULL, loop, q) != 0)
        goto fail;
    c->mqtt = q;
    return 0;
fail:
    if (q->m)
        mosquitto_destroy(q->m);
    store_close(q->db);
    ota_free(q->ota);
    free(q);
    return -1;
}

void cloud_mqtt_stop(struct cloud *c)
{
    struct cloud_mqtt *q = c->mqtt;
    if (!q)
        return;
    pthread_join(q->thread, NULL);
    /* marked threaded, libmosquitto would cancel the thread that created
     * the client when another destroys it: it is ours again now */
    mosquitto_threaded_set(q->m, false);
    mosquitto_disconnect(q->m);
    mosquitto_destroy(q->m);
    store_close(q->db);
    for (size_t i = 0; i < q->nrevoked; i++)
        free(q->revoked[i]);
    free(q->revoked);
    free(q->logs);
    free(q->texts);
    free(q->acks);
    ota_free(q->ota);
    free(q);
    c->mqtt = NULL;
    mosquitto_lib_cleanup();
}
