/*
 * devsim_update.c: keel-devsim update and fetch, a device taking an update
 * over the air from keel-cloud by the protocol's messages
 * (docs/protocol.md, docs/fota.md):
 *
 *   keel-devsim update --port P --ca CA.pem --cert C.pem --key C.key
 *                      [--fail-at downloading|downloaded|activated]
 *                      [--reason N] [--stop-after BYTES] [--window W]
 *                      [--timeout S]
 *
 * Connects as the device (its fleet certificate; a clean session, so what
 * the broker queued for an earlier session is gone and a deployment comes
 * only as keel-cloud pushes it), subscribes to its down topics, says hello
 * and waits for a deployment message. It acks it, fetches the bundle's
 * manifest envelope (named by the bundle hash) and then every layer
 * (named by its digest) in chunks of at most 1 KiB, W requests in flight
 * (default 4; a lost or busy one is asked again), checks each layer's
 * SHA-256 against the manifest (lib/manifest decodes it; the signature is
 * not checked: no trust anchors here), and reports downloading (with
 * progress), downloaded, activated and confirmed in status messages.
 * --fail-at reports failed (at downloading: halfway; downloaded: after
 * the download) or, at activated, reverted, with reason N (default -1)
 * and stops there. --stop-after leaves without a word once BYTES are in
 * (a link cut), exit 3. Prints one line per step; exit 0 when it reported
 * confirmed or the failure asked for, 1 otherwise.
 *
 *   keel-devsim fetch --port P --ca CA.pem --cert C.pem --key C.key
 *                     --object HEX --offset N --length L [--count K]
 *
 * Sends K (default 1) such fetches back to back and prints each chunk that
 * answers as "chunk REQ STATUS OFFSET TOTAL LEN" (waits 3 s for them).
 */
#include <mqtt_protocol.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devsim.h"
#include "manifest.h"
#include "proto.h"

#define MAX_OBJECT (1u << 20)
#define MAX_WINDOW 16

struct dev {
    char id[35];
    int connack, suback;
    int last_puback;
    bool have_deploy;
    struct proto_deploy deploy;
    /* the object being fetched */
    uint8_t *obj;
    uint32_t total;      /* 0 until the first chunk says */
    uint32_t nchunks;
    uint8_t *chunk_state; /* 0 to ask, 1 asked, 2 in */
    uint32_t req_chunk[MAX_WINDOW]; /* in-flight request slot -> chunk index */
    uint32_t req_id[MAX_WINDOW];
    int64_t req_ms[MAX_WINDOW];
    bool req_used[MAX_WINDOW];
    int32_t error;       /* a chunk's status other than 0 and busy */
    uint32_t busy;
    int64_t quiet_until; /* after a busy answer: no new request before */
    /* keel-devsim fetch */
    bool print_chunks;
    int chunks_seen;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int f, const mosquitto_property *p)
{
    (void)m, (void)f, (void)p;
    ((struct dev *)obj)->connack = rc;
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *g,
                         const mosquitto_property *p)
{
    (void)m, (void)mid, (void)p;
    ((struct dev *)obj)->suback = n > 0 ? g[0] : 128;
}

static void on_publish(struct mosquitto *m, void *obj, int mid, int rc,
                       const mosquitto_property *p)
{
    (void)m, (void)rc, (void)p;
    ((struct dev *)obj)->last_puback = mid;
}

static void on_chunk(struct dev *d, const struct proto_chunk *c)
{
    if (d->print_chunks) {
        printf("chunk %u %d %u %u %zu\n", c->req_id, c->status, c->offset, c->total, c->len);
        d->chunks_seen++;
        return;
    }
    int slot = -1;
    for (int i = 0; i < MAX_WINDOW; i++)
        if (d->req_used[i] && d->req_id[i] == c->req_id)
            slot = i;
    if (slot < 0)
        return; /* an answer to a request already given up: asked again since */
    uint32_t k = d->req_chunk[slot];
    d->req_used[slot] = false;
    if (c->status == PROTO_CHUNK_BUSY) { /* ask again, after a pause */
        d->busy++;
        d->quiet_until = mono_ms() + 10;
        if (d->chunk_state)
            d->chunk_state[k] = 0;
        return;
    }
    if (c->status != PROTO_CHUNK_OK) {
        d->error = c->status;
        return;
    }
    if (!d->total) { /* the first answer tells the object's size */
        if (!c->total || c->total > MAX_OBJECT) {
            d->error = -100;
            return;
        }
        d->total = c->total;
        d->nchunks = (c->total + PROTO_CHUNK_MAX - 1) / PROTO_CHUNK_MAX;
        d->obj = calloc(1, c->total);
        d->chunk_state = calloc(1, d->nchunks);
        if (!d->obj || !d->chunk_state) {
            d->error = -101;
            return;
        }
        d->chunk_state[0] = 1;
        k = 0;
    }
    size_t want = d->total - (size_t)k * PROTO_CHUNK_MAX;
    if (want > PROTO_CHUNK_MAX)
        want = PROTO_CHUNK_MAX;
    if (c->total != d->total || c->offset != k * PROTO_CHUNK_MAX || c->len != want) {
        d->error = -102; /* not what was asked */
        return;
    }
    memcpy(d->obj + c->offset, c->data, c->len);
    d->chunk_state[k] = 2;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *p)
{
    struct dev *d = obj;
    (void)m, (void)p;
    const char *kind = strrchr(msg->topic, '/');
    if (!kind)
        return;
    if (!strcmp(kind, "/deployment")) {
        struct proto_deploy dp;
        if (proto_deploy_decode(msg->payload, (size_t)msg->payloadlen, &dp) == 0) {
            if (!d->have_deploy || dp.deployment_id != d->deploy.deployment_id)
                printf("deployment %llu size %u\n", (unsigned long long)dp.deployment_id,
                       dp.size);
            d->deploy = dp;
            d->have_deploy = true;
        } else {
            printf("deployment message that does not decode\n");
        }
    } else if (!strcmp(kind, "/chunk")) {
        struct proto_chunk c;
        if (proto_chunk_decode(msg->payload, (size_t)msg->payloadlen, &c) == 0)
            on_chunk(d, &c);
        else
            printf("chunk that does not decode\n");
    }
    fflush(stdout);
}

static void pump(struct mosquitto *m, int ms)
{
    int64_t end = mono_ms() + ms;
    do
        mosquitto_loop(m, 5, 1);
    while (mono_ms() < end);
}

/* Publishes and waits (up to 10 s) for the PUBACK; 0 or -1. */
static int send_up(struct mosquitto *m, struct dev *d, const char *kind, const uint8_t *p,
                   size_t n)
{
    char t[96];
    int mid = -1;
    snprintf(t, sizeof(t), "devices/%s/up/%s", d->id, kind);
    if (mosquitto_publish_v5(m, &mid, t, (int)n, p, 1, false, NULL) != MOSQ_ERR_SUCCESS)
        return -1;
    for (int64_t end = mono_ms() + 10000; d->last_puback != mid && mono_ms() < end;)
        mosquitto_loop(m, 5, 1);
    return d->last_puback == mid ? 0 : -1;
}

static int send_fetch(struct mosquitto *m, struct dev *d, const uint8_t sha[32], uint32_t req,
                      uint32_t off, uint32_t len)
{
    struct proto_fetch f = {.req_id = req, .offset = off, .length = len};
    uint8_t buf[96];
    size_t n;
    char t[96];
    memcpy(f.sha256, sha, 32);
    if (proto_fetch_encode(&f, buf, sizeof(buf), &n))
        return -1;
    snprintf(t, sizeof(t), "devices/%s/up/fetch", d->id);
    return mosquitto_publish_v5(m, NULL, t, (int)n, buf, 1, false, NULL) == MOSQ_ERR_SUCCESS
               ? 0
               : -1;
}

/* hello (type 1) or status (type 2), with the update report when state. */
static int report(struct mosquitto *m, struct dev *d, uint32_t type, uint32_t state,
                  uint32_t done, uint32_t total, int32_t reason)
{
    static const uint32_t upd[] = {PROTO_UPD_IDLE, PROTO_UPD_DOWNLOADING, PROTO_UPD_DOWNLOADING,
                                   PROTO_UPD_TRIAL, PROTO_UPD_CONFIRMED, PROTO_UPD_REJECTED,
                                   PROTO_UPD_IDLE};
    struct proto_status s = {.app_version = 1u << 16, .mv_version = 1u << 16,
                             .update_status = upd[state], .uptime_s = 1};
    if (state) {
        s.has_update = true;
        s.update = (struct proto_ota_report){d->deploy.deployment_id, state, done, total, reason};
    }
    uint8_t buf[256];
    size_t n;
    if (proto_status_encode(type, &s, buf, sizeof(buf), &n))
        return -1;
    return send_up(m, d, type == PROTO_HELLO ? "hello" : "status", buf, n);
}

/* Fetches object sha into d->obj / d->total: 0, or the chunk status (or
 * a local negative code) that stopped it. *got counts bytes received;
 * stop_after > 0 ends the fetch (returns 1) once *got reaches it. */
static int fetch_object(struct mosquitto *m, struct dev *d, const uint8_t sha[32], int window,
                        int64_t deadline, uint32_t *got, uint32_t stop_after)
{
    static uint32_t next_req = 1;
    free(d->obj);
    free(d->chunk_state);
    d->obj = NULL;
    d->chunk_state = NULL;
    d->total = d->nchunks = 0;
    d->error = 0;
    memset(d->req_used, 0, sizeof(d->req_used));
    uint32_t in_before = 0;
    while (mono_ms() < deadline) {
        if (d->error)
            return d->error;
        int64_t now = mono_ms();
        /* a request unanswered for 2 s is asked again */
        for (int i = 0; i < MAX_WINDOW; i++)
            if (d->req_used[i] && now - d->req_ms[i] > 2000) {
                d->req_used[i] = false;
                if (d->chunk_state)
                    d->chunk_state[d->req_chunk[i]] = 0;
            }
        int inflight = 0;
        for (int i = 0; i < MAX_WINDOW; i++)
            inflight += d->req_used[i];
        if (!d->total) {
            if (!inflight && now >= d->quiet_until) { /* the first chunk: it tells the size */
                d->req_used[0] = true;
                d->req_chunk[0] = 0;
                d->req_id[0] = next_req++;
                d->req_ms[0] = now;
                send_fetch(m, d, sha, d->req_id[0], 0, PROTO_CHUNK_MAX);
            }
        } else {
            uint32_t in = 0;
            for (uint32_t k = 0; k < d->nchunks; k++)
                in += d->chunk_state[k] == 2;
            uint32_t bytes = in == d->nchunks ? d->total : in * PROTO_CHUNK_MAX;
            *got += bytes - in_before;
            in_before = bytes;
            if (in == d->nchunks)
                return 0;
            if (stop_after && *got >= stop_after)
                return 1;
            for (uint32_t k = 0; k < d->nchunks && inflight < window && now >= d->quiet_until;
                 k++) {
                if (d->chunk_state[k])
                    continue;
                int slot = 0;
                while (d->req_used[slot])
                    slot++;
                uint32_t off = k * PROTO_CHUNK_MAX;
                uint32_t len = d->total - off > PROTO_CHUNK_MAX ? PROTO_CHUNK_MAX
                                                                 : d->total - off;
                d->req_used[slot] = true;
                d->req_chunk[slot] = k;
                d->req_id[slot] = next_req++;
                d->req_ms[slot] = now;
                d->chunk_state[k] = 1;
                send_fetch(m, d, sha, d->req_id[slot], off, len);
                inflight++;
            }
        }
        mosquitto_loop(m, 5, 1);
    }
    return -103; /* timed out */
}

static int parse_args(int argc, char **argv, const char **ca, const char **cert,
                      const char **key, int *port, int *i)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!v)
        return 0;
    if (!strcmp(a, "--port")) *port = atoi(v);
    else if (!strcmp(a, "--ca")) *ca = v;
    else if (!strcmp(a, "--cert")) *cert = v;
    else if (!strcmp(a, "--key")) *key = v;
    else return 0;
    (*i)++;
    return 1;
}

static struct mosquitto *open_device(struct dev *d, int port, const char *ca, const char *cert,
                                     const char *key)
{
    bool refused;
    struct mosquitto *m = devsim_connect("127.0.0.1", port, ca, cert, key, d->id, d->id, d,
                                         &refused);
    if (!m)
        return NULL;
    mosquitto_connect_v5_callback_set(m, on_connect);
    mosquitto_subscribe_v5_callback_set(m, on_subscribe);
    mosquitto_publish_v5_callback_set(m, on_publish);
    mosquitto_message_v5_callback_set(m, on_message);
    for (int64_t end = mono_ms() + 10000; d->connack < 0 && mono_ms() < end;)
        mosquitto_loop(m, 20, 1);
    char t[96];
    snprintf(t, sizeof(t), "devices/%s/down/#", d->id);
    if (d->connack != 0 || mosquitto_subscribe_v5(m, NULL, t, 1, 0, NULL)) {
        fprintf(stderr, "keel-devsim: %s: no connection (%d)\n", d->id, d->connack);
        mosquitto_destroy(m);
        return NULL;
    }
    for (int64_t end = mono_ms() + 10000; d->suback < 0 && mono_ms() < end;)
        mosquitto_loop(m, 20, 1);
    if (d->suback != 1) {
        fprintf(stderr, "keel-devsim: %s: subscription refused (%d)\n", d->id, d->suback);
        mosquitto_destroy(m);
        return NULL;
    }
    return m;
}

int devsim_fetch(int argc, char **argv)
{
    const char *ca = NULL, *cert = NULL, *key = NULL, *object = NULL;
    int port = 0, count = 1;
    long offset = 0, length = PROTO_CHUNK_MAX;
    for (int i = 1; i < argc; i++) {
        if (parse_args(argc, argv, &ca, &cert, &key, &port, &i))
            continue;
        if (i + 1 < argc && !strcmp(argv[i], "--object")) object = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--offset")) offset = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--length")) length = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--count")) count = atoi(argv[++i]);
        else port = 0;
    }
    struct dev d = {.connack = -1, .suback = -1, .last_puback = -1, .print_chunks = true};
    uint8_t sha[32];
    bool hex_ok = object && strlen(object) == 64;
    for (int k = 0; hex_ok && k < 32; k++)
        hex_ok = sscanf(object + 2 * k, "%2hhx", &sha[k]) == 1;
    if (!port || !ca || !cert || !key || !hex_ok || count < 1 || count > 1000 || offset < 0 ||
        length < 0 || devsim_cert_id(cert, d.id) != 0) {
        fprintf(stderr, "usage: keel-devsim fetch --port P --ca CA.pem --cert C.pem --key C.key "
                        "--object HEX --offset N --length L [--count K]\n");
        return 2;
    }
    mosquitto_lib_init();
    struct mosquitto *m = open_device(&d, port, ca, cert, key);
    if (!m) {
        mosquitto_lib_cleanup();
        return 1;
    }
    int fails = 0;
    for (int k = 0; k < count; k++)
        fails += send_fetch(m, &d, sha, (uint32_t)k + 1, (uint32_t)offset, (uint32_t)length) != 0;
    for (int64_t end = mono_ms() + 3000; d.chunks_seen < count && mono_ms() < end;)
        mosquitto_loop(m, 20, 1);
    pump(m, 300); /* anything more that should not come */
    printf("fetch: %d sent, %d chunks\n", count - fails, d.chunks_seen);
    mosquitto_disconnect(m);
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
    return fails ? 1 : 0;
}

int devsim_update(int argc, char **argv)
{
    const char *ca = NULL, *cert = NULL, *key = NULL, *fail_at = NULL;
    int port = 0, timeout = 60, window = 4, reason = -1;
    long stop_after = 0;
    for (int i = 1; i < argc; i++) {
        if (parse_args(argc, argv, &ca, &cert, &key, &port, &i))
            continue;
        if (i + 1 < argc && !strcmp(argv[i], "--fail-at")) fail_at = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--reason")) reason = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--timeout")) timeout = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--window")) window = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--stop-after")) stop_after = atol(argv[++i]);
        else port = 0;
    }
    int fail_state = !fail_at ? 0
                     : !strcmp(fail_at, "downloading") ? PROTO_OTA_DOWNLOADING
                     : !strcmp(fail_at, "downloaded") ? PROTO_OTA_DOWNLOADED
                     : !strcmp(fail_at, "activated") ? PROTO_OTA_ACTIVATED
                                                        : -1;
    struct dev d = {.connack = -1, .suback = -1, .last_puback = -1};
    if (!port || !ca || !cert || !key || fail_state < 0 || window < 1 || window > MAX_WINDOW ||
        stop_after < 0 || devsim_cert_id(cert, d.id) != 0) {
        fprintf(stderr, "usage: keel-devsim update --port P --ca CA.pem --cert C.pem --key C.key "
                        "[--fail-at downloading|downloaded|activated] [--reason N] "
                        "[--stop-after BYTES] [--window W] [--timeout S]\n");
        return 2;
    }
    int64_t deadline = mono_ms() + (int64_t)timeout * 1000;
    mosquitto_lib_init();
    struct mosquitto *m = open_device(&d, port, ca, cert, key);
    int rc = 1;
    if (!m)
        goto out;
    if (report(m, &d, PROTO_HELLO, 0, 0, 0, 0)) {
        fprintf(stderr, "keel-devsim update: %s: hello not delivered\n", d.id);
        goto out;
    }
    printf("hello %s\n", d.id);
    fflush(stdout);
    while (!d.have_deploy && mono_ms() < deadline)
        mosquitto_loop(m, 20, 1);
    if (!d.have_deploy) {
        printf("no deployment came\n");
        goto out;
    }
    struct proto_deploy dep = d.deploy;
    uint8_t ack[64];
    size_t n;
    struct proto_ack a = {.msg_id = dep.msg_id, .status = 0};
    if (proto_ack_encode(&a, ack, sizeof(ack), &n) || send_up(m, &d, "ack", ack, n))
        goto out;
    printf("acked message %llu\n", (unsigned long long)dep.msg_id);

    /* the manifest envelope, named by the bundle hash */
    uint32_t got = 0;
    int64_t t0 = mono_ms();
    int f = fetch_object(m, &d, dep.sha256, window, deadline, &got, (uint32_t)stop_after);
    if (f == 1)
        goto stopped;
    if (f) {
        printf("envelope fetch failed: %d\n", f);
        goto out;
    }
    static struct manifest_msg msg;
    struct manifest_cose cose;
    uint8_t *env = d.obj;
    uint32_t env_len = d.total;
    d.obj = NULL;
    int mrc = manifest_cose_parse(env, env_len, &cose);
    if (!mrc)
        mrc = manifest_payload_parse(cose.payload, cose.payload_len, &msg);
    if (!mrc && msg.type != MANIFEST_TYPE_IMAGE)
        mrc = -1000;
    if (mrc) {
        printf("envelope refused: %s\n", manifest_strerror(mrc));
        report(m, &d, PROTO_STATUS, PROTO_OTA_FAILED, got, got, mrc);
        free(env);
        goto out;
    }
    uint32_t total = env_len;
    for (uint32_t i = 0; i < msg.u.image.n_layers; i++)
        total += msg.u.image.layers[i].size;
    printf("envelope %u bytes: version %u.%u.%u, %u layers, %u bytes in all (signature not "
           "checked)\n", env_len, msg.u.image.version >> 24, (msg.u.image.version >> 16) & 0xFF,
           msg.u.image.version & 0xFFFF, msg.u.image.n_layers, total);
    free(env);
    report(m, &d, PROTO_STATUS, PROTO_OTA_DOWNLOADING, got, total, 0);
    for (uint32_t i = 0; i < msg.u.image.n_layers; i++) {
        const struct manifest_layer *l = &msg.u.image.layers[i];
        if (fail_state == PROTO_OTA_DOWNLOADING && got >= total / 2) {
            report(m, &d, PROTO_STATUS, PROTO_OTA_FAILED, got, total, reason);
            printf("reported failed at %u of %u bytes (reason %d)\n", got, total, reason);
            rc = 0;
            goto out;
        }
        f = fetch_object(m, &d, l->sha256, window, deadline, &got, (uint32_t)stop_after);
        if (f == 1)
            goto stopped;
        uint8_t h[32];
        unsigned hl = 32;
        if (!f)
            EVP_Digest(d.obj, d.total, h, &hl, EVP_sha256(), NULL);
        if (f || d.total != l->size || memcmp(h, l->sha256, 32)) {
            printf("layer %u: %s (%d)\n", i, f ? "fetch failed" : "hash or size mismatch", f);
            report(m, &d, PROTO_STATUS, PROTO_OTA_FAILED, got, total, f ? f : -1);
            goto out;
        }
        char hex[65];
        for (int k = 0; k < 32; k++)
            sprintf(hex + 2 * k, "%02x", h[k]);
        printf("layer %u: %u bytes, SHA-256 %s matches\n", i, l->size, hex);
        report(m, &d, PROTO_STATUS, PROTO_OTA_DOWNLOADING, got, total, 0);
    }
    int64_t t_dl = mono_ms();
    if (fail_state == PROTO_OTA_DOWNLOADING || fail_state == PROTO_OTA_DOWNLOADED) {
        report(m, &d, PROTO_STATUS, PROTO_OTA_FAILED, got, total, reason);
        printf("reported failed after the download (reason %d)\n", reason);
        rc = 0;
        goto out;
    }
    static const char *const names[] = {NULL, NULL, "downloaded", "activated", "confirmed"};
    for (uint32_t s = PROTO_OTA_DOWNLOADED; s <= PROTO_OTA_CONFIRMED; s++) {
        if (report(m, &d, PROTO_STATUS, s, got, total, 0))
            goto out;
        printf("reported %s (%u of %u bytes)\n", names[s], got, total);
        fflush(stdout);
        if (s == PROTO_OTA_ACTIVATED && fail_state == PROTO_OTA_ACTIVATED) {
            report(m, &d, PROTO_STATUS, PROTO_OTA_REVERTED, got, total, reason);
            printf("reported reverted (reason %d)\n", reason);
            rc = 0;
            goto out;
        }
        pump(m, 100);
    }
    printf("update done: %u bytes downloaded in %lld ms, %u busy answers\n", got,
           (long long)(t_dl - t0), d.busy);
    rc = 0;
    goto out;
stopped:
    printf("stopped after %u bytes\n", got);
    rc = 3;
out:
    fflush(stdout);
    if (m) {
        mosquitto_disconnect(m);
        mosquitto_destroy(m);
    }
    free(d.obj);
    free(d.chunk_state);
    mosquitto_lib_cleanup();
    return rc;
}
