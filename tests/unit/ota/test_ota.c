/*
 * microvisor/link/ota.c (the OTA client) on the host: lib/update on the
 * flash simulator (the an505's memory map), a fake cloud answering every
 * fetch with chunks from a signed bundle made by OpenSSL, and the failure
 * modes a real link has: lost messages, a link loss, a reboot, tampered,
 * duplicate, out-of-order and oversized chunks, an unknown object.
 */
#include "harness.h"

#include "ota.h"
#include "proto.h"

static const char ID[] = "UV0123456789abcdef0123456789abcdef";

/* ---- The device side ---------------------------------------------------- */

static update_t dev_ctx; /* the device's one update context */

struct dev {
    update_t *u;
    uint8_t stage[MANIFEST_MAX_SIZE];
    bool lent;
    int stage_refusals;     /* how often stage() is to say busy */
    int restarts;
    uint32_t restart_comp;
    struct ota_engine eng;
    struct ota o;
};

static update_t *eng_update(void *ctx)
{
    return ((struct dev *)ctx)->u;
}

static uint8_t *eng_stage(void *ctx)
{
    struct dev *d = ctx;
    CHECK(!d->lent); /* never lent twice */
    if (d->stage_refusals > 0) {
        d->stage_refusals--;
        return NULL;
    }
    d->lent = true;
    memset(d->stage, 0xA5, sizeof(d->stage));
    return d->stage;
}

static void eng_unstage(void *ctx)
{
    struct dev *d = ctx;
    CHECK(d->lent);
    d->lent = false;
}

static void eng_restart(void *ctx, uint32_t comp)
{
    struct dev *d = ctx;
    d->restarts++;
    d->restart_comp = comp;
}

/* A boot: a new update context on the same flash, the app booted (and
 * with trial, left on trial), a new client. */
static void dev_boot(struct dev *d, uint32_t seed)
{
    struct update_boot_result r;
    if (!d->u)
        d->u = &dev_ctx;
    EXPECT(boot_ctx(d->u), UPDATE_OK);
    EXPECT(update_boot(d->u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    EXPECT(update_boot(d->u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    d->lent = false;
    d->eng = (struct ota_engine){ eng_update, eng_stage, eng_unstage, eng_restart, d };
    ota_init(&d->o, ID, &d->eng, seed);
}

/* ---- The cloud side ----------------------------------------------------- */

enum fault {
    F_NONE = 0,
    F_LOSE_EVERY_5TH,   /* every 5th chunk is lost */
    F_TAMPER,           /* one byte of a layer chunk flipped */
    F_UNKNOWN,          /* the layers are answered "no such object" */
    F_DUP_REORDER,      /* each chunk twice, pairs swapped */
    F_OVERSIZE,         /* every other chunk has a byte more than asked */
    F_WRONG_OFFSET,     /* every other chunk claims another offset */
    F_BUSY_FIRST,       /* the first three fetches are answered busy */
    F_SHORT,            /* at most 512 bytes per chunk */
};

#define QMAX 16
struct cloud {
    const struct image *img;
    size_t layer_size;
    unsigned n_layers;
    uint8_t bundle[32];
    enum fault fault;
    uint32_t n_fetch, n_chunk;
    uint64_t ack_msg;
    int32_t ack_status;
    int acks, statuses;
    bool offline;           /* publishes refused */
    uint8_t q[QMAX][PROTO_CHUNK_MAX + 64];
    size_t qlen[QMAX];
    unsigned qn;
    uint32_t layer_bytes;   /* layer bytes served */
    bool flip;              /* F_OVERSIZE: every other short request */
    uint32_t rnd;           /* which chunks a fault hits: not in step with the resends */
};

static bool coin(struct cloud *c)
{
    c->rnd = c->rnd * 1103515245u + 12345u;
    return (c->rnd >> 16) & 1u;
}

/* The bundle hash: the SHA-256 of the whole bundle file (docs/images.md,
 * "The bundle file"), which is what a deployment names; the device never
 * sees the file, only the envelope and the layers it names. */
static void bundle_hash(const struct image *img, uint8_t out[32])
{
    size_t m16 = (img->env_len + 15) & ~(size_t)15, n = 32 + m16 + img->size;
    uint8_t *b = calloc(1, n);
    memcpy(b, "KEELBDL", 8);
    b[8] = 1;
    b[12] = (uint8_t)img->env_len;
    b[13] = (uint8_t)(img->env_len >> 8);
    for (int i = 0; i < 4; i++)
        b[16 + i] = (uint8_t)(img->size >> (8 * i));
    memcpy(b + 32, img->env, img->env_len);
    memcpy(b + 32 + m16, img->bytes, img->size);
    keel_ossl_sha256(b, n, out);
    free(b);
}

static void cloud_init(struct cloud *c, const struct image *img, size_t layer_size,
                       unsigned n_layers, enum fault f)
{
    memset(c, 0, sizeof(*c));
    c->img = img;
    c->layer_size = layer_size;
    c->n_layers = n_layers;
    c->fault = f;
    bundle_hash(img, c->bundle);
}

static void queue(struct cloud *c, const struct proto_chunk *ch)
{
    size_t n;
    if (c->qn == QMAX)
        return; /* the broker drops what it cannot queue */
    if (proto_chunk_encode(ch, c->q[c->qn], sizeof(c->q[0]), &n) != PROTO_OK) {
        fprintf(stderr, "chunk encode failed\n");
        exit(1);
    }
    c->qlen[c->qn++] = n;
}

/* The object a hash names: the envelope, or a layer's own bytes. */
static const uint8_t *object(const struct cloud *c, const uint8_t h[32], uint32_t *size,
                             bool *layer)
{
    *layer = false;
    if (!memcmp(h, c->bundle, 32)) {
        *size = (uint32_t)c->img->env_len;
        return c->img->env;
    }
    size_t padded = (c->layer_size + 15) & ~(size_t)15;
    for (unsigned l = 0; l < c->n_layers; l++) {
        uint8_t d[32];
        keel_ossl_sha256(c->img->bytes + l * padded, c->layer_size, d);
        if (!memcmp(d, h, 32)) {
            *size = (uint32_t)c->layer_size;
            *layer = true;
            return c->img->bytes + l * padded;
        }
    }
    return NULL;
}

static uint8_t tampered[PROTO_CHUNK_MAX + 1];

static int publish(void *ctx, const char *topic, const uint8_t *p, size_t len)
{
    struct cloud *c = ctx;
    const char *kind = strrchr(topic, '/') + 1;
    CHECK(!strncmp(topic, "devices/UV0123456789abcdef0123456789abcdef/up/", 46));
    if (c->offline)
        return -1;
    if (!strcmp(kind, "ack")) {
        struct proto_ack a;
        EXPECT(proto_ack_decode(p, len, &a), PROTO_OK);
        c->ack_msg = a.msg_id;
        c->ack_status = a.status;
        c->acks++;
        return 0;
    }
    CHECK(!strcmp(kind, "fetch"));
    struct proto_fetch f;
    EXPECT(proto_fetch_decode(p, len, &f), PROTO_OK);
    CHECK(f.length >= 1 && f.length <= PROTO_CHUNK_MAX);
    c->n_fetch++;
    uint32_t size;
    bool layer;
    const uint8_t *obj = object(c, f.sha256, &size, &layer);
    struct proto_chunk ch = { .req_id = f.req_id, .offset = f.offset };
    if (c->fault == F_BUSY_FIRST && c->n_fetch <= 3) {
        ch.status = PROTO_CHUNK_BUSY;
        queue(c, &ch);
        return 0;
    }
    if (!obj || (layer && c->fault == F_UNKNOWN)) {
        ch.status = PROTO_CHUNK_UNKNOWN;
        queue(c, &ch);
        return 0;
    }
    if (f.offset >= size) {
        ch.status = PROTO_CHUNK_RANGE;
        queue(c, &ch);
        return 0;
    }
    uint32_t n = size - f.offset < f.length ? size - f.offset : f.length;
    ch.total = size;
    ch.data = obj + f.offset;
    ch.len = n;
    c->n_chunk++;
    if (layer)
        c->layer_bytes += n;
    if (c->fault == F_LOSE_EVERY_5TH && c->n_chunk % 5 == 0)
        return 0;
    if (c->fault == F_TAMPER && layer && f.offset == 2048) {
        memcpy(tampered, ch.data, n);
        tampered[100] ^= 0x01;
        ch.data = tampered;
    }
    if (c->fault == F_OVERSIZE && layer && n < PROTO_CHUNK_MAX && (c->flip = !c->flip)) {
        /* a byte more than asked (an object's end): the whole chunk is dropped */
        ch.len = n + 1;
        ch.total = size + 1;
    }
    if (c->fault == F_SHORT && n > 512)
        ch.len = 512; /* fewer bytes than asked: allowed */
    if (c->fault == F_WRONG_OFFSET && coin(c)) {
        ch.offset = f.offset + 16;
        ch.data = obj + f.offset + 16 < obj + size ? obj + f.offset + 16 : obj;
        ch.len = f.offset + 16 + n <= size ? n : 0;
        if (!ch.len)
            ch.offset = f.offset; /* keep it well formed: becomes a correct one */
        if (!ch.len)
            ch.len = n, ch.data = obj + f.offset;
    }
    queue(c, &ch);
    if (c->fault == F_DUP_REORDER)
        queue(c, &ch);
    return 0;
}

/* Delivers the queued chunks (swapping pairs for F_DUP_REORDER). */
static void deliver(struct cloud *c, struct ota *o, uint32_t now)
{
    unsigned n = c->qn;
    c->qn = 0;
    if (c->fault == F_DUP_REORDER)
        for (unsigned i = 0; i + 3 < n; i += 4) {
            /* a, a, b, b -> b, a, a, b: b arrives before a */
            uint8_t t[sizeof(c->q[0])];
            size_t tl = c->qlen[i];
            memcpy(t, c->q[i], sizeof(t));
            memcpy(c->q[i], c->q[i + 2], sizeof(t));
            c->qlen[i] = c->qlen[i + 2];
            memcpy(c->q[i + 2], t, sizeof(t));
            c->qlen[i + 2] = tl;
        }
    for (unsigned i = 0; i < n; i++)
        EXPECT(ota_chunk(o, c->q[i], c->qlen[i], now), 0);
}

static void deploy(struct cloud *c, struct ota *o, uint64_t msg_id, uint64_t dep_id,
                   uint32_t now)
{
    struct proto_deploy d = { .msg_id = msg_id, .deployment_id = dep_id,
                              .size = (uint32_t)c->img->env_len };
    uint8_t buf[128];
    size_t n;
    memcpy(d.sha256, c->bundle, 32);
    EXPECT(proto_deploy_encode(&d, buf, sizeof(buf), &n), PROTO_OK);
    EXPECT(ota_deployment(o, buf, n, now), 0);
}

/* Polls and delivers until the client stops in state `until` or one of
 * the final ones, or steps run out; the uplink's part (statuses) too.
 * Returns the time. */
static uint32_t run(struct cloud *c, struct dev *d, uint32_t now, unsigned steps,
                    enum ota_state until)
{
    for (unsigned i = 0; i < steps; i++) {
        (void)ota_poll(&d->o, now, publish, c);
        if (ota_status_due(&d->o, now) && !c->offline) {
            struct proto_ota_report r;
            CHECK(ota_report(&d->o, &r));
            CHECK(r.done <= r.total);
            c->statuses++;
            ota_status_sent(&d->o, now);
        }
        deliver(c, &d->o, now);
        if (d->o.st == until || d->o.st == OTA_DONE)
            break;
        now += 50;
    }
    return now;
}

static void check_report(const struct ota *o, uint32_t state, int32_t reason, uint64_t dep)
{
    struct proto_ota_report r;
    CHECK(ota_report(o, &r));
    if (r.state != state || r.reason != reason || r.deployment_id != dep)
        fprintf(stderr, "report: state %u reason %d deployment %llu (client %s), want %u %d\n",
                r.state, r.reason, (unsigned long long)r.deployment_id, ota_state_name(o->st),
                state, reason);
    CHECK(r.state == state && r.reason == reason && r.deployment_id == dep);
}

/* ---- Fixtures ----------------------------------------------------------- */

#define LAYER 20007u /* not a multiple of 16: the padding is exercised */
#define ENV_FETCHES ((uint32_t)(app2.env_len + 1023) / 1024)
static struct image mv1, app1, app2, app_evil, app_old;

/* A factory device: microvisor 1 and app 1 installed and confirmed. */
static void factory(struct dev *d)
{
    struct update_boot_result r;
    update_t *u = malloc(sizeof(*u));
    memset(mem, 0xFF, FLASH_SIZE);
    flash_sim_init(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_journal_format(u), UPDATE_OK);
    EXPECT(install(u, &mv1, 1024), UPDATE_OK);
    EXPECT(install(u, &app1, 1024), UPDATE_OK);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_MICROVISOR), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_OK);
    free(u);
    memset(d, 0, sizeof(*d));
    d->u = &dev_ctx;
    dev_boot(d, 1000);
    ota_session(&d->o, true, 0);
}

/* ---- Tests ---------------------------------------------------------------- */

/* A whole update: deployment, envelope, two layers, verify, activate, the
 * restart once ACTIVATED is reported; after the reboot the trial, then
 * confirmed; the cloud's repeat of the deployment at each hello changes
 * nothing. */
static void test_whole(void)
{
    struct dev d;
    struct cloud c;
    factory(&d);
    cloud_init(&c, &app2, LAYER, 2, F_NONE);
    d.stage_refusals = 2; /* the update port holds its buffer for a while */
    deploy(&c, &d.o, 77, 5, 0);
    uint32_t now = run(&c, &d, 0, 2000, OTA_RESTART);
    CHECK(c.acks == 1 && c.ack_msg == 77 && c.ack_status == 0);
    CHECK(d.o.st == OTA_RESTART);
    check_report(&d.o, PROTO_OTA_ACTIVATED, 0, 5);
    CHECK(!d.lent); /* the staging given back */
    CHECK(c.layer_bytes == 2 * LAYER); /* every byte once */
    CHECK(d.o.stats.dropped == 0 && d.o.stats.resent == 0);
    CHECK(update_state(d.u, MANIFEST_COMP_APP)->trial.set);
    /* the deployment again (a hello): nothing new, acked */
    deploy(&c, &d.o, 78, 5, now);
    now = run(&c, &d, now, 100, OTA_TRIAL);
    CHECK(c.ack_msg == 78 && c.acks == 2);
    CHECK(d.restarts == 1 && d.restart_comp == MANIFEST_COMP_APP);
    CHECK(d.o.st == OTA_TRIAL);
    now = run(&c, &d, now, 100, OTA_DONE); /* no second restart */
    CHECK(d.restarts == 1);

    /* the reboot: the trial runs; the cloud pushes the deployment again */
    dev_boot(&d, 2000);
    ota_session(&d.o, true, 0);
    CHECK(!ota_report(&d.o, &(struct proto_ota_report){ 0 })); /* first hello: none yet */
    deploy(&c, &d.o, 79, 5, 0);
    now = run(&c, &d, 0, 10, OTA_TRIAL);
    CHECK(d.o.st == OTA_TRIAL);
    check_report(&d.o, PROTO_OTA_ACTIVATED, 0, 5);
    CHECK(d.restarts == 1);
    /* the health rule passes */
    EXPECT(update_confirm(d.u, MANIFEST_COMP_APP), UPDATE_OK);
    int before = c.statuses;
    now = run(&c, &d, now, 10, OTA_DONE);
    check_report(&d.o, PROTO_OTA_CONFIRMED, 0, 5);
    CHECK(c.statuses == before + 1);
    CHECK(d.o.rep.done == d.o.rep.total && d.o.rep.total > 0); /* keel-cloud shows it */
    /* each boot fetched the envelope; the layers once */
    CHECK(c.n_fetch == 2 * ENV_FETCHES + 2 * ((LAYER + 1023) / 1024));
}

/* The trial fails after the restart: reverted, with the engine's reason. */
static void test_reverted(void)
{
    struct dev d;
    struct cloud c;
    factory(&d);
    cloud_init(&c, &app2, LAYER, 2, F_NONE);
    deploy(&c, &d.o, 1, 6, 0);
    run(&c, &d, 0, 2000, OTA_RESTART);
    check_report(&d.o, PROTO_OTA_ACTIVATED, 0, 6);
    dev_boot(&d, 3000); /* booted on trial */
    dev_boot(&d, 4000); /* reset before it was confirmed: the boot reverts it */
    ota_session(&d.o, true, 0);
    deploy(&c, &d.o, 2, 6, 0);
    run(&c, &d, 0, 10, OTA_DONE);
    check_report(&d.o, PROTO_OTA_REVERTED, UPDATE_REJ_RESET, 6);
    /* after the reboot only the envelope again */
    CHECK(c.n_fetch == 2 * ENV_FETCHES + 2 * ((LAYER + 1023) / 1024));
}

/* The link drops mid-layer: nothing in flight survives it; when it is
 * back the client asks from where the engine stands. Lost chunks are
 * asked for again after the resend time. */
static void test_link_loss(void)
{
    struct dev d;
    struct cloud c;
    factory(&d);
    cloud_init(&c, &app2, LAYER, 2, F_LOSE_EVERY_5TH);
    deploy(&c, &d.o, 1, 7, 0);
    uint32_t now = 0;
    while (update_next_offset(d.u) < LAYER + 5000 && now < 600000)
        now = run(&c, &d, now, 1, OTA_DONE) + 50;
    CHECK(d.o.st == OTA_LAYERS && d.o.layer == 1);
    /* fetches go out, and the session drops before their chunks come */
    (void)ota_poll(&d.o, now, publish, &c);
    CHECK(d.o.fl[0].used && d.o.fl[0].sent);
    c.qn = 0;
    uint32_t at = update_next_offset(d.u);
    ota_session(&d.o, false, now);
    c.offline = true;
    now = run(&c, &d, now, 200, OTA_DONE);
    CHECK(update_next_offset(d.u) == at); /* nothing moved while down */
    /* chunks answered to the old session arrive late: dropped */
    struct proto_chunk late = { .req_id = d.o.next_req - 1, .offset = d.o.obj_done,
                                .total = LAYER, .data = app2.bytes, .len = 16 };
    queue(&c, &late);
    c.offline = false;
    ota_session(&d.o, true, now);
    uint32_t dropped = d.o.stats.dropped;
    deliver(&c, &d.o, now);
    CHECK(d.o.stats.dropped == dropped + 1);
    now = run(&c, &d, now, 20000, OTA_RESTART);
    CHECK(d.o.st == OTA_RESTART);
    check_report(&d.o, PROTO_OTA_ACTIVATED, 0, 7);
    CHECK(d.o.stats.resent > 0);

}

/* A reboot mid-download: a new engine context and client on the same
 * flash; the deployment pushed again: the envelope is fetched (it names the
 * image) and update_begin resumes from the slot's progress log. */
static void test_reboot(void)
{
    struct dev d;
    struct cloud c;
    factory(&d);
    cloud_init(&c, &app2, LAYER, 2, F_NONE);
    deploy(&c, &d.o, 1, 8, 0);
    uint32_t now = 0;
    while (update_next_offset(d.u) < LAYER + 9000 && now < 600000)
        now = run(&c, &d, now, 1, OTA_DONE) + 50;
    uint32_t bytes_before = c.layer_bytes;
    dev_boot(&d, 5000);
    ota_session(&d.o, true, 0);
    deploy(&c, &d.o, 2, 8, 0);
    uint32_t fetch_before = c.n_fetch;
    run(&c, &d, 0, 20, OTA_LAYERS);
    CHECK(d.o.st == OTA_LAYERS);
    /* the envelope, then the layer's first fetches */
    CHECK(c.n_fetch - fetch_before > ENV_FETCHES &&
          c.n_fetch - fetch_before <= ENV_FETCHES + OTA_INFLIGHT);
    CHECK(update_next_offset(d.u) >= PAGE * 3); /* update_begin resumed: the pages recorded survive */
    run(&c, &d, 0, 2000, OTA_RESTART);
    check_report(&d.o, PROTO_OTA_ACTIVATED, 0, 8);
    /* what was resent is what the last page record did not cover */
    CHECK(c.layer_bytes - bytes_before < 2 * LAYER - (PAGE * 3 - 16));
    CHECK(c.n_fetch > fetch_before);
}

/* The engine's download is reopened under the client mid-layer (the
 * update port's NEXT: update_resume rewinds to the last page record) while
 * fetches are in flight: their chunks no longer fit where the engine
 * stands; the client asks from there and completes. */
static void test_reopened(void)
{
    struct dev d;
    struct cloud c;
    factory(&d);
    cloud_init(&c, &app2, LAYER, 2, F_NONE);
    deploy(&c, &d.o, 1, 14, 0);
    uint32_t now = 0;
    while (update_next_offset(d.u) < PAGE + 3000 && now < 600000)
        now = run(&c, &d, now, 1, OTA_DONE) + 50;
    (void)ota_poll(&d.o, now, publish, &c); /* fetches out */
    EXPECT(update_resume(d.u, MANIFEST_COMP_APP), UPDATE_OK);
    CHECK(update_next_offset(d.u) == PAGE);
    uint32_t dropped = d.o.stats.dropped;
    run(&c, &d, now, 4000, OTA_RESTART);
    CHECK(d.o.stats.dropped > dropped);
    check_report(&d.o, PROTO_OTA_ACTIVATED, 0, 14);
}

/* One flipped byte in a layer chunk: written, then caught by the engine's
 * hash at finish: failed with UPDATE_E_VERIFY, never activated. */
static void test_tampered(void)
{
    struct dev d;
    struct cloud c;
    factory(&d);
    cloud_init(&c, &app2, LAYER, 2, F_TAMPER);
    deploy(&c, &d.o, 1, 9, 0);
    run(&c, &d, 0, 3000, OTA_DONE);
    check_report(&d.o, PROTO_OTA_FAILED, UPDATE_E_VERIFY, 9);
    CHECK(!update_state(d.u, MANIFEST_COMP_APP)->trial.set);
    CHECK(d.restarts == 0);
}

/* A chunk answered "no such object": failed, nothing more asked. */
static void test_unknown(void)
{
    struct dev d;
    struct cloud c;
    factory(&d);
    cloud_init(&c, &app2, LAYER, 2, F_UNKNOWN);
    deploy(&c, &d.o, 1, 10, 0);
    uint32_t now = run(&c, &d, 0, 500, OTA_DONE);
    check_report(&d.o, PROTO_OTA_FAILED, OTA_E_UNKNOWN, 10);
    uint32_t n = c.n_fetch;
    run(&c, &d, now, 200, OTA_IDLE);
    CHECK(c.n_fetch == n);
}

/* Bad envelopes: a signer the device does not trust (refused by
 * update_begin with the manifest's reason), a security counter below the
 * floor, and a signature tampered with. */
static void test_bad_envelope(void)
{
    struct dev d;
    struct cloud c;
    factory(&d);
    cloud_init(&c, &app_evil, 1000, 1, F_NONE);
    deploy(&c, &d.o, 1, 11, 0);
    run(&c, &d, 0, 500, OTA_DONE);
    check_report(&d.o, PROTO_OTA_FAILED, OTA_REASON_MANIFEST(MANIFEST_E_UNKNOWN_KID), 11);
    CHECK(!d.lent);

    cloud_init(&c, &app_old, 1000, 1, F_NONE);
    deploy(&c, &d.o, 2, 12, 0);
    run(&c, &d, 0, 500, OTA_DONE);
    check_report(&d.o, PROTO_OTA_FAILED, UPDATE_E_ROLLBACK, 12);

    /* an envelope whose signature was tampered with */
    static struct image forged;
    forged = app2;
    forged.env[forged.env_len - 5] ^= 0x40; /* inside the signature, the last field */
    cloud_init(&c, &forged, LAYER, 2, F_NONE);
    deploy(&c, &d.o, 3, 13, 0);
    run(&c, &d, 0, 500, OTA_DONE);
    check_report(&d.o, PROTO_OTA_FAILED, OTA_REASON_MANIFEST(MANIFEST_E_SIGNATURE), 13);
    CHECK(!d.lent);
}

/* Duplicates, out-of-order, oversized and misplaced chunks, and busy
 * answers: dropped or waited out; the update still completes. */
static void test_hostile_chunks(void)
{
    static const enum fault faults[] = { F_DUP_REORDER, F_OVERSIZE, F_WRONG_OFFSET,
                                         F_BUSY_FIRST, F_SHORT };
    for (unsigned i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
        struct dev d;
        struct cloud c;
        factory(&d);
        cloud_init(&c, &app2, LAYER, 2, faults[i]);
        deploy(&c, &d.o, 1, 20 + i, 0);
        run(&c, &d, 0, 40000, OTA_RESTART);
        if (d.o.st != OTA_RESTART)
            fprintf(stderr, "fault %u: ended in %s\n", faults[i], ota_state_name(d.o.st));
        check_report(&d.o, PROTO_OTA_ACTIVATED, 0, 20 + i);
        if (faults[i] == F_BUSY_FIRST)
            CHECK(d.o.stats.busy == 3);
        else if (faults[i] == F_SHORT)
            CHECK(d.o.stats.bytes == app2.env_len + 2 * LAYER);
        else
            CHECK(d.o.stats.dropped > 0);
    }
}

/* A deployment of the image that is confirmed and running already. */
static void test_installed(void)
{
    struct dev d;
    struct cloud c;
    factory(&d);
    cloud_init(&c, &app1, 9000, 2, F_NONE);
    deploy(&c, &d.o, 1, 30, 0);
    run(&c, &d, 0, 10, OTA_DONE);
    check_report(&d.o, PROTO_OTA_CONFIRMED, 0, 30);
    CHECK(c.n_fetch == (app1.env_len + 1023) / 1024); /* the envelope only */
}

/* No update engine: refused in the ack, reported failed. Garbage on the
 * downlink topics is not understood. */
static void test_no_engine(void)
{
    struct dev d;
    struct cloud c;
    factory(&d);
    d.u = NULL;
    cloud_init(&c, &app2, LAYER, 2, F_NONE);
    deploy(&c, &d.o, 9, 31, 0);
    run(&c, &d, 0, 10, OTA_DONE);
    CHECK(c.ack_msg == 9 && c.ack_status == OTA_E_ENGINE);
    check_report(&d.o, PROTO_OTA_FAILED, OTA_E_ENGINE, 31);
    static const uint8_t junk[] = { 0xa2, 0x00, 0x01, 0x01, 0x0b };
    CHECK(ota_chunk(&d.o, junk, sizeof(junk), 0) < 0);
    CHECK(ota_deployment(&d.o, junk, sizeof(junk), 0) < 0);
}

int main(void)
{
    harness_init();
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 9000, 2, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x01010000, 2, LAYER, 2, seed_app);
    make_image(&app_evil, MANIFEST_COMP_APP, 0x09000000, 9, 1000, 1, seed_evil);
    make_image(&app_old, MANIFEST_COMP_APP, 0x00090000, 0, 1000, 1, seed_app);
    test_whole();
    test_reverted();
    test_link_loss();
    test_reboot();
    test_reopened();
    test_tampered();
    test_unknown();
    test_bad_envelope();
    test_hostile_chunks();
    test_installed();
    test_no_engine();
    if (failures) {
        fprintf(stderr, "test_ota: %d failures\n", failures);
        return 1;
    }
    printf("test_ota: ok\n");
    return 0;
}
