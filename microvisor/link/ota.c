/*
 * IMPLEMENTATION NOTES
 * One deployment at a time; a new deployment id replaces the one before
 * (the cloud's latest word). The state machine (enum ota_state) moves on
 * three inputs: the deployment and chunk messages, and ota_poll, which
 * does at most one piece of engine work per call (an update_begin or
 * update_resume verifies a signature, a finish step hashes
 * OTA_VERIFY_STEP bytes) so each activation of the link's work stays
 * short.
 *
 * Where the download stands is always the engine's: the next object
 * offset to write is derived from update_next_offset() (locate()), never
 * kept beside it, so after a link loss, a flash error or a reboot the
 * client asks for exactly what the engine wants next. The image the
 * engine takes is the layers each padded to 16 with 0xFF; the cloud sends
 * a layer's own bytes, and the padding is written here when a layer ends.
 *
 * Chunks are accepted only in order: a chunk must answer a fetch in
 * flight (its request id), at that fetch's offset, with no more bytes
 * than asked, for the object's known size, and start where the writing
 * stands. Anything else is dropped (counted); the fetch it did not answer
 * is sent again after OTA_RESEND_MS. Request ids start from a seed, so a
 * chunk the broker kept for the device across a reboot matches nothing.
 * A chunk is not trusted for anything: the envelope must carry a valid
 * signature from a trusted signer (update_begin), every layer must hash
 * to the manifest's digest (update_finish), so a tampered byte is never
 * activated.
 *
 * The envelope (at most MANIFEST_MAX_SIZE) is staged in memory the device
 * lends (ota_engine.stage), only while the session is up and the envelope
 * is being fetched; it is given back as soon as update_begin has taken it
 * (the engine copies it into its slot's manifest page), or the engine
 * turns out to hold that image already, or the session drops.
 */
#include "ota.h"

#include <string.h>

static const char *const state_names[] = {
    "idle", "find", "envelope", "begin", "reopen", "layers",
    "verify", "activate", "restart", "trial", "done",
};

const char *ota_state_name(enum ota_state s)
{
    return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

static uint32_t pad16(uint32_t n)
{
    return (n + 15u) & ~15u;
}

static void set_topic(struct ota *o, const char *kind)
{
    size_t n = 0;
    const char *parts[] = { "devices/", o->id, "/up/", kind };
    for (unsigned i = 0; i < 4; i++)
        for (const char *p = parts[i]; *p && n < OTA_TOPIC_MAX - 1; p++)
            o->topic[n++] = *p;
    o->topic[n] = 0;
}

void ota_init(struct ota *o, const char *id, const struct ota_engine *eng, uint32_t seed)
{
    memset(o, 0, sizeof(*o));
    memcpy(o->id, id, 34);
    o->eng = eng;
    o->next_req = seed;
    o->layer = -1;
}

static update_t *engine(struct ota *o)
{
    return o->eng->update ? o->eng->update(o->eng->ctx) : NULL;
}

static void release_stage(struct ota *o)
{
    if (o->stage && o->eng->unstage)
        o->eng->unstage(o->eng->ctx);
    o->stage = NULL;
}

/* Forgets every fetch in flight: the next ones ask from where the writing
 * stands (asking on from the last fetch would leave a hole that no chunk
 * can fill: every later chunk is out of order). */
static void clear_fetches(struct ota *o)
{
    memset(o->fl, 0, sizeof(o->fl));
    o->obj_next = o->obj_done;
}

static void report(struct ota *o, uint32_t state, int32_t reason)
{
    o->has_report = true;
    o->rep.deployment_id = o->dep.deployment_id;
    o->rep.state = state;
    o->rep.reason = reason;
    if (o->rep.done > o->rep.total)
        o->rep.done = o->rep.total;
    o->rep_dirty = true;
}

static void progress(struct ota *o, const update_t *u)
{
    o->rep.done = update_next_offset(u);
    o->rep.total = update_total_size(u);
}

static void finish(struct ota *o, uint32_t state, int32_t reason)
{
    release_stage(o);
    clear_fetches(o);
    o->st = OTA_DONE;
    report(o, state, reason);
}

static void fail(struct ota *o, int32_t reason)
{
    finish(o, PROTO_OTA_FAILED, reason);
}

/* The engine's open download is this deployment's manifest. */
static bool ours(const struct ota *o, const update_t *u)
{
    return o->have_digest && u->dl != UPDATE_IDLE &&
           memcmp(u->dl_info.digest, o->digest, 8) == 0;
}

static void start_envelope(struct ota *o)
{
    clear_fetches(o);
    o->st = OTA_ENVELOPE;
    o->layer = -1;
    o->obj_total = o->obj_next = o->obj_done = 0;
}

/*
 * Points the fetching at what the engine wants next: layer i at object
 * offset obj_done. Writes a layer's padding when the engine stands in it.
 * Moves to OTA_VERIFY once every byte is in, to OTA_REOPEN after a flash
 * error.
 */
static void locate(struct ota *o, update_t *u)
{
    static const uint8_t ff[16] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    const struct manifest *m = &u->dl_info.m;
    uint32_t next = update_next_offset(u), base = 0;
    o->comp = u->dl_comp;
    progress(o, u);
    if (u->dl != UPDATE_DOWNLOADING || next >= update_total_size(u)) {
        clear_fetches(o);
        o->st = OTA_VERIFY;
        return;
    }
    for (uint32_t i = 0; i < m->n_layers; i++) {
        uint32_t end = base + m->layers[i].size, pend = base + pad16(m->layers[i].size);
        if (next < end) {
            /* the fetches in flight ask from obj_done on: if the engine
             * stands elsewhere (a new layer, reopened behind, moved by
             * another writer), none of their chunks could ever fit */
            bool moved = o->layer != (int)i || next - base != o->obj_done;
            o->obj_total = m->layers[i].size;
            o->obj_done = next - base;
            o->layer = (int)i;
            if (moved)
                clear_fetches(o);
            if (o->obj_next < o->obj_done)
                o->obj_next = o->obj_done;
            o->st = OTA_LAYERS;
            return;
        }
        if (next < pend) {
            int rc = update_write(u, next, ff, pend - next);
            if (rc != UPDATE_OK) {
                o->stats.flash_errors++;
                o->flash_errs++;
                o->st = OTA_REOPEN;
                return;
            }
            next = pend;
            progress(o, u);
        }
        base = pend;
    }
    clear_fetches(o);
    o->st = OTA_VERIFY;
}

/* The image offset where layer i's bytes start: the layers before it,
 * each padded to 16. */
static uint32_t layer_base(const struct manifest *m, int i)
{
    uint32_t base = 0;
    for (int k = 0; k < i && k < (int)m->n_layers; k++)
        base += pad16(m->layers[k].size);
    return base;
}

void ota_session(struct ota *o, bool up, uint32_t now_ms)
{
    (void)now_ms;
    o->up = up;
    clear_fetches(o); /* lost, or answered to a session that is gone */
    if (!up && o->st == OTA_ENVELOPE) {
        /* give the staging back while offline; the envelope is small */
        release_stage(o);
        start_envelope(o);
    }
    if (up && o->has_report)
        o->rep_dirty = true;
}

int ota_deployment(struct ota *o, const uint8_t *payload, size_t len, uint32_t now_ms)
{
    struct proto_deploy d;
    (void)now_ms;
    if (proto_deploy_decode(payload, len, &d) != PROTO_OK)
        return -1;
    o->stats.deployments++;
    o->ack_due = true;
    o->ack_msg_id = d.msg_id;
    o->ack_status = 0;
    if (o->st != OTA_IDLE && d.deployment_id == o->dep.deployment_id &&
        memcmp(d.sha256, o->dep.sha256, 32) == 0) {
        if (o->has_report)
            o->rep_dirty = true; /* asked again: it has not heard */
        return 0;
    }
    release_stage(o);
    clear_fetches(o);
    o->dep = d;
    o->st = OTA_FIND;
    o->has_report = false;
    o->rep_dirty = false;
    o->restart_armed = false;
    o->flash_errs = 0;
    o->have_digest = false;
    o->comp = 0;
    o->layer = -1;
    memset(&o->rep, 0, sizeof(o->rep));
    if (!engine(o)) {
        o->ack_status = OTA_E_ENGINE;
        fail(o, OTA_E_ENGINE);
    }
    return 0;
}

static bool outcome(struct ota *o, update_t *u, uint32_t comp, bool waiting);

/*
 * The envelope is complete. Its SHA-256's first 8 bytes are how the
 * engine names the image (the bundle hash cannot be checked here: it is
 * the hash of the whole bundle file, header included): on trial,
 * confirmed, rejected, being downloaded already, or none of these
 * (update_begin next, which also resumes a slot that holds this manifest).
 * Nothing is trusted from the envelope before update_begin has checked
 * its signature; a match here only says which record to report.
 */
static void envelope_done(struct ota *o)
{
    static const uint32_t comps[] = { MANIFEST_COMP_APP, MANIFEST_COMP_MICROVISOR };
    update_t *u = engine(o);
    uint8_t h[32];
    manifest_sha256_ctx c;
    if (!u) {
        fail(o, OTA_E_ENGINE);
        return;
    }
    u->crypto->sha256_init(&c);
    u->crypto->sha256_update(&c, o->stage, o->obj_total);
    u->crypto->sha256_final(&c, h);
    memcpy(o->digest, h, 8);
    o->have_digest = true;
    clear_fetches(o);
    for (unsigned i = 0; i < 2; i++)
        if (outcome(o, u, comps[i], false))
            return;
    if (ours(o, u)) { /* the engine has it open (the update port resumed it) */
        release_stage(o);
        o->layer = -1;
        locate(o, u);
        return;
    }
    o->st = OTA_BEGIN;
}

static void drop(struct ota *o)
{
    o->stats.dropped++;
}

int ota_chunk(struct ota *o, const uint8_t *payload, size_t len, uint32_t now_ms)
{
    struct proto_chunk c;
    struct ota_fetch_slot *f = NULL;
    if (proto_chunk_decode(payload, len, &c) != PROTO_OK)
        return -1;
    if (o->st != OTA_ENVELOPE && o->st != OTA_LAYERS)
        goto dropped;
    for (unsigned i = 0; i < OTA_INFLIGHT; i++)
        if (o->fl[i].used && o->fl[i].sent && o->fl[i].req_id == c.req_id)
            f = &o->fl[i];
    if (!f)
        goto dropped;
    if (c.status == PROTO_CHUNK_BUSY) {
        /* asked again after a short pause (keel-cloud answers busy when a
         * device is over its fetch rate), not after the full resend time */
        o->stats.busy++;
        f->sent_ms = now_ms - OTA_RESEND_MS + OTA_BUSY_RETRY_MS;
        return 0;
    }
    if (c.status == PROTO_CHUNK_UNKNOWN || c.status == PROTO_CHUNK_RANGE) {
        fail(o, c.status == PROTO_CHUNK_UNKNOWN ? OTA_E_UNKNOWN : OTA_E_RANGE);
        return 0;
    }
    if (c.status != PROTO_CHUNK_OK || c.offset != f->offset || c.len == 0 ||
        c.len > f->length || c.offset != o->obj_done)
        goto dropped;
    if (o->st == OTA_ENVELOPE) {
        if (o->obj_total == 0) {
            if (c.total > MANIFEST_MAX_SIZE) {
                fail(o, OTA_REASON_MANIFEST(MANIFEST_E_TOO_LARGE));
                return 0;
            }
            o->obj_total = c.total;
        }
        if (c.total != o->obj_total || c.len > o->obj_total - c.offset || !o->stage)
            goto dropped;
        memcpy(o->stage + c.offset, c.data, c.len);
    } else {
        update_t *u = engine(o);
        if (!u || !ours(o, u)) {
            o->st = OTA_FIND; /* someone else opened a download: look again */
            goto dropped;
        }
        if (c.total != o->obj_total || c.len > o->obj_total - c.offset)
            goto dropped;
        uint32_t at = layer_base(&u->dl_info.m, o->layer) + c.offset;
        if (at != update_next_offset(u)) {
            locate(o, u); /* the engine was reopened under us: ask from where it stands */
            goto dropped;
        }
        int rc = update_write(u, at, c.data, c.len);
        if (rc == UPDATE_E_FLASH) {
            o->stats.flash_errors++;
            o->flash_errs++;
            clear_fetches(o);
            o->st = OTA_REOPEN;
            return 0;
        }
        if (rc != UPDATE_OK) {
            fail(o, rc);
            return 0;
        }
    }
    o->stats.chunks++;
    o->stats.bytes += (uint32_t)c.len;
    bool whole = c.len == f->length;
    f->used = false;
    o->obj_done += (uint32_t)c.len;
    if (!whole)
        clear_fetches(o); /* a short answer: the fetches behind it asked from the wrong place */
    if (o->st == OTA_ENVELOPE) {
        if (o->obj_done == o->obj_total)
            envelope_done(o);
        return 0;
    }
    update_t *u = engine(o);
    locate(o, u);
    if (o->st == OTA_VERIFY)
        report(o, PROTO_OTA_DOWNLOADING, 0);
    return 0;
dropped:
    drop(o);
    return 0;
}

/* What the engine's journal says became of the deployment's image in comp:
 * true (state set) if it is activated, on trial, confirmed or rejected.
 * waiting: the client restarted into it already; only the verdict counts. */
static bool outcome(struct ota *o, update_t *u, uint32_t comp, bool waiting)
{
    const struct update_comp_state *s = update_state(u, comp);
    const uint8_t *d = o->digest;
    if (!s || !o->have_digest)
        return false;
    /* found in the journal: its download was complete (after a reboot the
     * image's size is not known here; the deployment's stands for it) */
    o->rep.done = o->rep.total;
    if (s->trial.set && memcmp(s->trial.digest, d, 8) == 0) {
        if (waiting)
            return true; /* restarted, or the restart is on its way */
        o->comp = comp;
        release_stage(o);
        clear_fetches(o);
        /* booted once: the health rules decide; not yet: restart into it */
        o->st = s->attempted ? OTA_TRIAL : OTA_RESTART;
        if (o->rep.state != PROTO_OTA_ACTIVATED)
            report(o, PROTO_OTA_ACTIVATED, 0);
        return true;
    }
    if (s->confirmed.set && memcmp(s->confirmed.digest, d, 8) == 0) {
        o->comp = comp;
        finish(o, PROTO_OTA_CONFIRMED, 0);
        return true;
    }
    if (s->rejected.set && memcmp(s->rejected.digest, d, 8) == 0) {
        o->comp = comp;
        finish(o, PROTO_OTA_REVERTED, s->rejected.reason);
        return true;
    }
    return false;
}

/* A deployment came: its envelope first, always (it says which image the
 * deployment is, so what the engine has of it: envelope_done). */
static void find(struct ota *o, update_t *u)
{
    (void)u;
    o->rep.total = o->dep.size;
    o->rep.done = 0;
    start_envelope(o);
    report(o, PROTO_OTA_DOWNLOADING, 0);
}

static void begin(struct ota *o, update_t *u)
{
    int rc = update_begin(u, o->stage, o->obj_total);
    if (rc == UPDATE_E_FLASH && ++o->flash_errs <= OTA_FLASH_RETRIES) {
        o->stats.flash_errors++;
        return; /* the envelope is still staged: again at the next poll */
    }
    release_stage(o);
    if (rc == UPDATE_E_INSTALLED) {
        finish(o, PROTO_OTA_CONFIRMED, 0); /* it is the confirmed image, running */
        return;
    }
    if (rc == UPDATE_E_MANIFEST) {
        fail(o, OTA_REASON_MANIFEST(u->manifest_err));
        return;
    }
    if (rc != UPDATE_OK) {
        fail(o, rc);
        return;
    }
    o->layer = -1;
    locate(o, u);
    report(o, PROTO_OTA_DOWNLOADING, 0);
}

/* The engine closed the download (a flash error): open it again from
 * what the flash holds. */
static void reopen(struct ota *o, update_t *u)
{
    if (o->flash_errs > OTA_FLASH_RETRIES) {
        fail(o, UPDATE_E_FLASH);
        return;
    }
    int rc = ours(o, u) ? UPDATE_OK : update_resume(u, o->comp);
    if (rc == UPDATE_OK && ours(o, u)) {
        o->layer = -1;
        locate(o, u);
    } else if (rc == UPDATE_E_FLASH) {
        o->flash_errs++;
    } else {
        start_envelope(o); /* the slot lost its manifest page: from the start */
    }
}

static void verify(struct ota *o, update_t *u)
{
    if (!ours(o, u)) {
        o->st = OTA_FIND;
        return;
    }
    int rc = update_finish_step(u, OTA_VERIFY_STEP);
    if (rc == 1)
        return;
    if (rc == UPDATE_OK) {
        progress(o, u);
        o->st = OTA_ACTIVATE;
        report(o, PROTO_OTA_DOWNLOADED, 0);
    } else if (rc == UPDATE_E_DAMAGED || rc == UPDATE_E_FLASH) {
        if (rc == UPDATE_E_FLASH)
            o->flash_errs++;
        o->st = OTA_REOPEN; /* from the first damaged layer */
    } else {
        fail(o, rc); /* UPDATE_E_VERIFY: a tampered or corrupted layer */
    }
}

static void activate(struct ota *o, update_t *u, uint32_t now_ms)
{
    if (!ours(o, u) || u->dl != UPDATE_VERIFIED) {
        o->st = OTA_FIND;
        return;
    }
    int rc = update_activate(u);
    if (rc == UPDATE_E_FLASH && ++o->flash_errs <= OTA_FLASH_RETRIES)
        return;
    if (rc != UPDATE_OK) {
        fail(o, rc);
        return;
    }
    o->st = OTA_RESTART;
    o->restart_ms = now_ms;
    report(o, PROTO_OTA_ACTIVATED, 0);
}

/* The restart once the ACTIVATED report is out (or after a while without
 * a session: the next hellos tell the outcome anyway). */
#define OTA_RESTART_ANYWAY_MS 30000u
static void restart(struct ota *o, uint32_t now_ms)
{
    bool reported = o->restart_armed && now_ms - o->restart_ms >= OTA_RESTART_DELAY_MS;
    bool waited = !o->restart_armed && now_ms - o->restart_ms >= OTA_RESTART_ANYWAY_MS;
    if (!reported && !waited)
        return;
    o->st = OTA_TRIAL;
    if (o->eng->restart)
        o->eng->restart(o->eng->ctx, o->comp);
}

static void publish_ack(struct ota *o, ota_publish_fn publish, void *ctx)
{
    struct proto_ack a = { o->ack_msg_id, o->ack_status };
    size_t n;
    if (proto_ack_encode(&a, o->msg, sizeof(o->msg), &n) != PROTO_OK)
        return;
    set_topic(o, "ack");
    if (publish(ctx, o->topic, o->msg, n) == 0)
        o->ack_due = false;
}

/* New fetches for free slots, then every fetch not yet sent or due again. */
static void fetch(struct ota *o, uint32_t now_ms, ota_publish_fn publish, void *ctx)
{
    const uint8_t *obj = o->dep.sha256;
    if (o->st == OTA_LAYERS) {
        update_t *u = engine(o);
        if (!u || !ours(o, u) || o->layer < 0) {
            o->st = OTA_FIND;
            return;
        }
        obj = u->dl_info.m.layers[o->layer].sha256;
    }
    for (unsigned i = 0; i < OTA_INFLIGHT; i++) {
        struct ota_fetch_slot *f = &o->fl[i];
        bool unknown_size = o->st == OTA_ENVELOPE && o->obj_total == 0;
        if (f->used)
            continue;
        if (unknown_size ? o->obj_next != 0 : o->obj_next >= o->obj_total)
            break;
        uint32_t left = unknown_size ? PROTO_CHUNK_MAX : o->obj_total - o->obj_next;
        *f = (struct ota_fetch_slot){ .used = true, .req_id = o->next_req++,
                                      .offset = o->obj_next,
                                      .length = left < PROTO_CHUNK_MAX ? left : PROTO_CHUNK_MAX };
        o->obj_next += f->length; /* with an unknown size, only this one */
    }
    for (unsigned i = 0; i < OTA_INFLIGHT; i++) {
        struct ota_fetch_slot *f = &o->fl[i];
        if (!f->used || (f->sent && now_ms - f->sent_ms < OTA_RESEND_MS))
            continue;
        struct proto_fetch m = { f->req_id, { 0 }, f->offset, f->length };
        size_t n;
        memcpy(m.sha256, obj, 32);
        if (proto_fetch_encode(&m, o->msg, sizeof(o->msg), &n) != PROTO_OK)
            return;
        set_topic(o, "fetch");
        if (publish(ctx, o->topic, o->msg, n) != 0)
            return; /* the window is full: the next poll */
        if (f->sent)
            o->stats.resent++;
        else
            o->stats.fetches++;
        f->sent = true;
        f->sent_ms = now_ms;
    }
}

bool ota_poll(struct ota *o, uint32_t now_ms, ota_publish_fn publish, void *ctx)
{
    if (o->up && o->ack_due)
        publish_ack(o, publish, ctx);
    if (o->st == OTA_IDLE || o->st == OTA_DONE)
        return false;
    update_t *u = engine(o);
    if (!u) {
        fail(o, OTA_E_ENGINE);
        return false;
    }
    switch (o->st) {
    case OTA_FIND: find(o, u); break;
    case OTA_BEGIN: begin(o, u); break;
    case OTA_REOPEN: reopen(o, u); break;
    case OTA_VERIFY: verify(o, u); break;
    case OTA_ACTIVATE: activate(o, u, now_ms); break;
    case OTA_RESTART: restart(o, now_ms); break;
    case OTA_TRIAL: (void)outcome(o, u, o->comp, true); break;
    default: break;
    }
    if (o->st == OTA_ENVELOPE && !o->stage && o->up)
        o->stage = o->eng->stage ? o->eng->stage(o->eng->ctx) : NULL;
    if (o->up && ((o->st == OTA_ENVELOPE && o->stage) || o->st == OTA_LAYERS))
        fetch(o, now_ms, publish, ctx);
    return o->st == OTA_FIND || o->st == OTA_BEGIN || o->st == OTA_REOPEN ||
           o->st == OTA_VERIFY || o->st == OTA_ACTIVATE;
}

bool ota_report(const struct ota *o, struct proto_ota_report *r)
{
    if (!o->has_report)
        return false;
    *r = o->rep;
    return true;
}

bool ota_status_due(const struct ota *o, uint32_t now_ms)
{
    if (!o->has_report)
        return false;
    if (o->rep_dirty)
        return true;
    return o->rep.state == PROTO_OTA_DOWNLOADING && o->rep.done != o->rep_sent_done &&
           now_ms - o->rep_sent_ms >= OTA_PROGRESS_MS;
}

void ota_status_sent(struct ota *o, uint32_t now_ms)
{
    o->rep_dirty = false;
    o->rep_sent_ms = now_ms;
    o->rep_sent_done = o->rep.done;
    if (o->st == OTA_RESTART && o->rep.state == PROTO_OTA_ACTIVATED && !o->restart_armed) {
        o->restart_armed = true;
        o->restart_ms = now_ms;
    }
}
