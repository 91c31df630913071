/*
 * ota.c: updates over the air, the cloud's side: serving fetches, taking
 * the devices' update reports and acks, re-sending deployment messages,
 * and each deployment's overall state (docs/fota.md).
 *
 * IMPLEMENTATION NOTES
 * A fetch names an object by SHA-256: the bundle hash (apps.hash, the
 * SHA-256 of the whole bundle file) names the bundle's signed manifest
 * envelope, a layer digest from that manifest names the layer's bytes. A
 * device may fetch only objects of its own unfinished deployments; what it
 * asks is looked up in one query per fetch (the rows are few and indexed
 * by device), so a deployment superseded or finished stops serving at
 * once, whichever instance changed it. The bytes come from the blobs
 * table: a bundle read once is kept parsed (envelope and layer table) in a
 * small LRU cache of OTA_CACHE_BUNDLES, so a download costs one blob read,
 * not one per chunk; a bundle is never changed under its hash, so the
 * cache needs no invalidation. Each device has a token bucket (OTA_BURST,
 * refilled at OTA_RATE per second) in a fixed table of OTA_BUDGET_SLOTS
 * indexed by a hash of its id: a fetch beyond it is answered busy (-3,
 * ask again) without touching the database, so one device cannot take the
 * link's thread from the others. Two devices sharing a slot share a
 * bucket, which only makes them wait.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "manifest.h"
#include "ota.h"

struct bundle {
    char hash[65]; /* "" when the slot is free */
    uint8_t *data;
    size_t len;
    const uint8_t *envelope;
    size_t envelope_len;
    uint32_t n_layers;
    struct {
        uint8_t sha256[32];
        const uint8_t *p;
        size_t size;
    } layers[MANIFEST_MAX_LAYERS];
    uint64_t used; /* LRU clock */
};

struct budget {
    char dev[35];
    int64_t ms;   /* when tokens was last brought up to date */
    double tokens;
};

struct ota {
    struct bundle cache[OTA_CACHE_BUNDLES];
    uint64_t clock;
    struct budget budget[OTA_BUDGET_SLOTS];
};

static const char *const state_names[] = {NULL, "downloading", "downloaded", "activated",
                                          "confirmed", "reverted", "failed"};

struct ota *ota_new(void)
{
    return calloc(1, sizeof(struct ota));
}

void ota_free(struct ota *o)
{
    if (!o)
        return;
    for (int i = 0; i < OTA_CACHE_BUNDLES; i++)
        free(o->cache[i].data);
    free(o);
}

/* ---- the deployment's state --------------------------------------------- */

int ota_derive(struct store *db, int64_t id, int64_t now_ms)
{
    struct store_val v[1] = {SV_INT(id)};
    struct store_result res;
    /* first the deployment's row lock (PostgreSQL; SQLite has one writer
     * anyway): two instances storing two devices' reports of one deployment
     * at once would each count without the other's row and leave a stale
     * state; so the second waits, and its count (a new statement) sees the
     * first's committed row */
    int rc = store_exec(db, "UPDATE deployments SET state = state WHERE id = ?", v, 1, NULL);
    if (!rc)
        rc = store_exec(db, "SELECT state, COUNT(*) FROM deployment_devices WHERE "
                            "deployment_id = ? GROUP BY state", v, 1, &res);
    if (rc)
        return rc;
    int64_t all = 0, superseded = 0, confirmed = 0, bad = 0, started = 0;
    for (int i = 0; i < res.nrows; i++) {
        const char *s = store_cell(&res, i, 0);
        int64_t k = store_cell_int(&res, i, 1);
        all += k;
        if (!strcmp(s, "superseded"))
            superseded += k;
        else if (!strcmp(s, "confirmed"))
            confirmed += k;
        else if (!strcmp(s, "failed") || !strcmp(s, "reverted"))
            bad += k;
        if (strcmp(s, "pending") && strcmp(s, "superseded"))
            started += k;
    }
    store_result_free(&res);
    /* any failure shows at once, even while other devices go on; a device
     * whose row was superseded no longer counts for success */
    const char *st = bad ? "failed"
                     : all && all == superseded ? "superseded"
                     : all && confirmed == all - superseded ? "succeeded"
                     : started ? "in_progress"
                               : "pending";
    struct store_val u[4] = {SV_TEXT(st), SV_INT(now_ms), SV_INT(id), SV_TEXT(st)};
    return store_exec(db, "UPDATE deployments SET state = ?, updated_ms = ? WHERE id = ? AND "
                          "state <> ?", u, 4, NULL);
}

int ota_add_device(struct store *db, int64_t id, const char *dev, int64_t now_ms)
{
    struct store_val sv[3] = {SV_INT(now_ms), SV_TEXT(dev), SV_INT(id)};
    struct store_result old;
    int rc = store_exec(db, "UPDATE deployment_devices SET state = 'superseded', updated_ms = ? "
                            "WHERE device_id = ? AND deployment_id <> ? AND state IN "
                            OTA_UNFINISHED " RETURNING deployment_id", sv, 3, &old);
    if (rc)
        return rc;
    for (int k = 0; !rc && k < old.nrows; k++)
        rc = ota_derive(db, store_cell_int(&old, k, 0), now_ms);
    store_result_free(&old);
    struct store_val dv[3] = {SV_INT(id), SV_TEXT(dev), SV_INT(now_ms)};
    if (!rc)
        rc = store_exec(db, "INSERT INTO deployment_devices (deployment_id, device_id, state, "
                            "updated_ms) VALUES (?, ?, 'pending', ?)", dv, 3, NULL);
    if (!rc)
        rc = ota_derive(db, id, now_ms);
    return rc;
}

int ota_deployment_message(int64_t id, const char *hash_hex, int64_t size, uint8_t *buf,
                           size_t cap, size_t *len)
{
    struct proto_deploy d = {.msg_id = (uint64_t)id, .deployment_id = (uint64_t)id,
                             .size = (uint32_t)size};
    if (size < 0 || size > UINT32_MAX || cloud_unhex(hash_hex, d.sha256, 32) != 0)
        return -1;
    return proto_deploy_encode(&d, buf, cap, len);
}

/* ---- reports, acks, hello ------------------------------------------------ */

void ota_on_report(struct store *db, const char *dev, const struct proto_ota_report *u)
{
    if (u->state < PROTO_OTA_DOWNLOADING || u->state > PROTO_OTA_FAILED ||
        u->deployment_id > INT64_MAX)
        return; /* the decoder refuses these already */
    int64_t now = cloud_now_ms();
    const char *st = state_names[u->state];
    struct store_val v[11] = {SV_TEXT(st), SV_INT(u->done), SV_INT(u->total), SV_INT(u->reason),
                              SV_INT(now), SV_INT((int64_t)u->deployment_id), SV_TEXT(dev),
                              SV_TEXT(st), SV_INT(u->done), SV_INT(u->total),
                              SV_INT(u->reason)};
    struct store_result res;
    /* a finished row stays as it is: a device repeats its last report in
     * every hello and status, and a superseded deployment is over; the same
     * report again changes nothing (not even updated_ms). The row and the
     * deployment's state change in one transaction, so no reader sees one
     * without the other. */
    int rc = store_begin(db);
    if (!rc)
        rc = store_exec(db, "UPDATE deployment_devices SET state = ?, done = ?, total = ?, "
                            "reason = ?, updated_ms = ? WHERE deployment_id = ? AND "
                            "device_id = ? AND state IN " OTA_UNFINISHED " AND NOT (state = ? "
                            "AND done = ? AND total = ? AND reason = ?)", v, 11, &res);
    int64_t changed = 0;
    if (!rc) {
        changed = res.changes;
        store_result_free(&res);
    }
    if (!rc && changed)
        rc = ota_derive(db, (int64_t)u->deployment_id, now);
    if (!rc)
        rc = store_commit(db);
    if (rc) {
        cloud_log("error", NULL, "device %s: update report: %s", dev, store_errmsg(db));
        store_rollback(db);
        return;
    }
    if (changed && (u->state >= PROTO_OTA_CONFIRMED || u->state == PROTO_OTA_DOWNLOADED))
        cloud_log("info", NULL, "device %s: deployment %llu %s (reason %d)", dev,
                  (unsigned long long)u->deployment_id, st, (int)u->reason);
}

void ota_on_ack(struct store *db, const char *dev, const struct proto_ack *a)
{
    if (a->msg_id > INT64_MAX)
        return;
    int64_t now = cloud_now_ms();
    struct store_val v[4] = {SV_INT(a->status), SV_INT(now), SV_INT((int64_t)a->msg_id),
                             SV_TEXT(dev)};
    struct store_result res;
    /* a refusal (negative status) fails the device's row with that reason */
    int rc = store_begin(db);
    if (rc)
        return;
    rc = a->status < 0
             ? store_exec(db, "UPDATE deployment_devices SET state = 'failed', reason = ?, "
                              "updated_ms = ? WHERE deployment_id = ? AND device_id = ? AND "
                              "state IN " OTA_UNFINISHED, v, 4, &res)
             : store_exec(db, "UPDATE deployment_devices SET state = 'accepted', "
                              "updated_ms = ? WHERE deployment_id = ? AND device_id = ? AND "
                              "state = 'pending'", v + 1, 3, &res);
    int64_t changed = 0;
    if (!rc) {
        changed = res.changes;
        store_result_free(&res);
    }
    if (!rc && changed)
        rc = ota_derive(db, (int64_t)a->msg_id, now);
    if (!rc)
        rc = store_commit(db);
    if (rc) {
        cloud_log("error", NULL, "device %s: ack of deployment %llu: %s", dev,
                  (unsigned long long)a->msg_id, store_errmsg(db));
        store_rollback(db);
    }
}

void ota_on_hello(struct store *db, const char *dev, ota_send_fn send, void *ctx)
{
    struct store_val v[1] = {SV_TEXT(dev)};
    struct store_result res;
    if (store_exec(db, "SELECT dd.deployment_id, a.hash, a.size FROM deployment_devices dd "
                       "JOIN deployments d ON d.id = dd.deployment_id JOIN apps a ON "
                       "a.id = d.app_id WHERE dd.device_id = ? AND dd.state IN " OTA_UNFINISHED
                       " ORDER BY dd.deployment_id DESC LIMIT 1", v, 1, &res))
        return;
    uint8_t buf[128];
    size_t n;
    if (res.nrows == 1 &&
        ota_deployment_message(store_cell_int(&res, 0, 0), store_cell(&res, 0, 1),
                               store_cell_int(&res, 0, 2), buf, sizeof(buf), &n) == 0) {
        send(ctx, dev, "deployment", buf, n);
        struct store_val s[3] = {SV_INT(cloud_now_ms()), SV_INT(store_cell_int(&res, 0, 0)),
                                 SV_TEXT(dev)};
        store_exec(db, "UPDATE deployment_devices SET sent_ms = ? WHERE deployment_id = ? AND "
                       "device_id = ?", s, 3, NULL);
        cloud_log("info", NULL, "device %s: deployment %s sent again (hello)", dev,
                  store_cell(&res, 0, 0));
    }
    store_result_free(&res);
}

/* ---- fetches -------------------------------------------------------------- */

/* Parses data (a bundle file, taken over) into b; 0 or -1. */
static int bundle_parse(struct bundle *b, uint8_t *data, size_t len)
{
    struct manifest_bundle mb;
    struct manifest_cose cose;
    static _Thread_local struct manifest_msg msg;
    if (manifest_bundle_split(data, len, &mb) || manifest_cose_parse(mb.envelope,
                                                                     mb.envelope_len, &cose) ||
        manifest_payload_parse(cose.payload, cose.payload_len, &msg) ||
        msg.type != MANIFEST_TYPE_IMAGE)
        return -1;
    /* each layer's bytes, then 0xFF to the next multiple of 16 */
    size_t off = 0;
    for (uint32_t i = 0; i < msg.u.image.n_layers; i++) {
        size_t sz = msg.u.image.layers[i].size;
        if (sz > mb.image_len - off)
            return -1;
        memcpy(b->layers[i].sha256, msg.u.image.layers[i].sha256, 32);
        b->layers[i].p = mb.image + off;
        b->layers[i].size = sz;
        off += (sz + 15) & ~(size_t)15;
        if (off > mb.image_len)
            return -1;
    }
    b->n_layers = msg.u.image.n_layers;
    b->envelope = mb.envelope;
    b->envelope_len = mb.envelope_len;
    b->data = data;
    b->len = len;
    return 0;
}

/* The bundle with this hash, from the cache or the blobs table; NULL when
 * it cannot be read or parsed (logged). */
static struct bundle *bundle_get(struct ota *o, struct store *db, const char *hash)
{
    struct bundle *lru = &o->cache[0];
    for (int i = 0; i < OTA_CACHE_BUNDLES; i++) {
        struct bundle *b = &o->cache[i];
        if (b->hash[0] && !strcmp(b->hash, hash)) {
            b->used = ++o->clock;
            return b;
        }
        if (!b->hash[0] || (lru->hash[0] && b->used < lru->used))
            lru = b;
    }
    struct store_val v[1] = {SV_TEXT(hash)};
    struct store_result res;
    if (store_exec(db, "SELECT data FROM blobs WHERE hash = ?", v, 1, &res)) {
        cloud_log("error", NULL, "bundle %s: %s", hash, store_errmsg(db));
        return NULL;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    if (res.nrows == 1 && res.lens[0] > 0 && (data = malloc(res.lens[0])) != NULL) {
        len = res.lens[0];
        memcpy(data, res.cells[0], len);
    }
    store_result_free(&res);
    struct bundle nb = {0};
    if (!data || bundle_parse(&nb, data, len)) {
        cloud_log("error", NULL, "bundle %s: missing or not parseable; not served", hash);
        free(data);
        return NULL;
    }
    free(lru->data);
    *lru = nb;
    snprintf(lru->hash, sizeof(lru->hash), "%s", hash);
    lru->used = ++o->clock;
    return lru;
}

/* Takes one token from dev's bucket; false when it has none. */
static bool budget_take(struct ota *o, const char *dev)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = dev; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    struct budget *b = &o->budget[h % OTA_BUDGET_SLOTS];
    int64_t now = cloud_now_ms();
    if (strcmp(b->dev, dev)) { /* a new device in the slot starts full */
        snprintf(b->dev, sizeof(b->dev), "%s", dev);
        b->tokens = OTA_BURST;
        b->ms = now;
    }
    b->tokens += (double)(now - b->ms) * OTA_RATE / 1000.0;
    if (b->tokens > OTA_BURST)
        b->tokens = OTA_BURST;
    b->ms = now;
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}

static void reply(const char *dev, const struct proto_chunk *c, ota_send_fn send, void *ctx)
{
    uint8_t buf[PROTO_CHUNK_MAX + 64];
    size_t n;
    if (proto_chunk_encode(c, buf, sizeof(buf), &n) == 0)
        send(ctx, dev, "chunk", buf, n);
}

void ota_on_fetch(struct ota *o, struct store *db, const char *dev, const uint8_t *p, size_t n,
                  ota_send_fn send, void *ctx)
{
    struct proto_fetch f;
    int rc = proto_fetch_decode(p, n, &f);
    if (rc) {
        cloud_log("warning", NULL, "device %s: malformed fetch (%d) dropped", dev, rc);
        return;
    }
    struct proto_chunk c = {.req_id = f.req_id, .offset = f.offset};
    if (!budget_take(o, dev)) {
        c.status = PROTO_CHUNK_BUSY;
        return reply(dev, &c, send, ctx);
    }
    char want[65];
    cloud_hex(f.sha256, 32, want);
    /* the bundles of this device's unfinished deployments: the only ones
     * it may read from */
    struct store_val v[1] = {SV_TEXT(dev)};
    struct store_result res;
    if (store_exec(db, "SELECT DISTINCT a.hash FROM deployment_devices dd JOIN deployments d ON "
                       "d.id = dd.deployment_id JOIN apps a ON a.id = d.app_id WHERE "
                       "dd.device_id = ? AND dd.state IN " OTA_UNFINISHED, v, 1, &res)) {
        cloud_log("error", NULL, "device %s: fetch: %s", dev, store_errmsg(db));
        c.status = PROTO_CHUNK_BUSY;
        return reply(dev, &c, send, ctx);
    }
    const uint8_t *obj = NULL;
    size_t size = 0;
    for (int i = 0; i < res.nrows && !obj; i++) {
        struct bundle *b = bundle_get(o, db, store_cell(&res, i, 0));
        if (!b)
            continue;
        if (!strcmp(b->hash, want)) {
            obj = b->envelope;
            size = b->envelope_len;
        }
        for (uint32_t k = 0; k < b->n_layers && !obj; k++)
            if (!memcmp(b->layers[k].sha256, f.sha256, 32)) {
                obj = b->layers[k].p;
                size = b->layers[k].size;
            }
    }
    store_result_free(&res);
    if (!obj) {
        c.status = PROTO_CHUNK_UNKNOWN;
        cloud_log("info", NULL, "device %s: fetch of %.16s... refused: not in a deployment to "
                  "it", dev, want);
    } else if (f.offset >= size) {
        c.status = PROTO_CHUNK_RANGE;
    } else {
        size_t len = f.length > PROTO_CHUNK_MAX ? PROTO_CHUNK_MAX : f.length;
        if (len > size - f.offset)
            len = size - f.offset;
        c.total = (uint32_t)size;
        c.data = obj + f.offset;
        c.len = len;
    }
    reply(dev, &c, send, ctx);
}
