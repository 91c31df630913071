/*
 * IMPLEMENTATION NOTES
 * Three kinds of persistent record, all written once into erased flash
 * and never rewritten (docs/flash-layout.md draws them):
 *  - a slot's manifest page: the signed envelope, then a 16-byte header
 *    programmed last as the commit (magic, length, CRC-32 of the envelope);
 *  - a slot's progress log: 16-byte entries, each "the first N image bytes
 *    are programmed" (FRONTIER), "the image hashed right" (VERIFIED) or
 *    "it did not" (BAD);
 *  - the state journal: 32-byte records (TRIAL, ATTEMPT, CONFIRM, REJECT)
 *    in one of two pages; a page opens with PAGE(epoch), a snapshot of the
 *    current state and SNAP_END(count); the valid page with the highest
 *    epoch is the truth. When a page fills, the other is erased and a new
 *    snapshot written into it, so the old page stays valid until the new
 *    one is complete.
 * Every record carries a CRC-32, so a torn record (a prefix landed, then
 * garbage) reads as "not there" and is skipped; the next record goes after
 * it. Scans stop at the first all-erased record.
 *
 * The journal's records and page moves are update_journal.c; the boot
 * decision (update_boot) is update_boot.c; the formats and helpers they
 * share are update_priv.h.
 *
 * Image bytes are programmed in order; a page is erased just before its
 * first byte is programmed and its FRONTIER record is written before the
 * next page is touched, so after a cut the page at the frontier is the only
 * one that can hold partial data, and resuming re-erases exactly it.
 */
#include "update.h"
#include "crc32.h"
#include "update_priv.h"

#include <string.h>

static const char *const reasons[UPDATE_E_COUNT] = {
    "ok",
    "flash operation failed",
    "manifest rejected",
    "security counter below the device's anti-rollback floor",
    "unknown component",
    "image does not fit the slot, or write past its end",
    "chunk not at the expected offset",
    "call out of sequence",
    "image does not match the manifest's digests",
    "nothing to resume, confirm or reject",
    "app needs a newer microvisor",
    "no bootable image",
    "a layer's target is outside the component's run-time window",
    "the microvisor is on trial: the application is confirmed after it",
    "trial in progress: a trial of this component runs, not yet confirmed or rejected",
    "the slot's download is incomplete: its progress log has no VERIFIED record",
    ("the staged image no longer matches its digests (damaged in flash): its damaged part "
     "is sent again"),
    "already installed: this image is the confirmed one",
};

const char *update_reject_strerror(int reason)
{
    if (reason == UPDATE_REJ_FAILED)
        return "it failed its trial (a crash, a hang or a restart before its health rule "
               "passed)";
    if (reason == UPDATE_REJ_RESET)
        return "the device reset before it was confirmed";
    if (reason == UPDATE_E_NONE)
        return "its slot no longer holds it (overwritten by a later download)";
    if (reason < 0)
        return update_strerror(reason);
    return "unknown reason";
}

const char *update_strerror(int err)
{
    if (err > 0 || err <= -UPDATE_E_COUNT)
        return "unknown update error";
    return reasons[-err];
}

/* ---- Helpers ---------------------------------------------------------------- */

void upd_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

uint32_t upd_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool upd_all_erased(const update_t *u, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != flash_erased_val(u->flash))
            return false;
    return true;
}

int upd_ferr(update_t *u, int rc)
{
    u->flash_err = rc;
    return UPDATE_E_FLASH;
}

static uint32_t page(const update_t *u)
{
    return flash_page_size(u->flash);
}

bool upd_comp_ok(uint32_t comp)
{
    return comp == MANIFEST_COMP_MICROVISOR || comp == MANIFEST_COMP_APP;
}

uint32_t upd_slot_addr(const update_t *u, uint32_t comp, unsigned slot)
{
    return u->layout->slot[comp][slot];
}

static uint32_t data_addr(const update_t *u, uint32_t comp, unsigned slot)
{
    return upd_slot_addr(u, comp, slot) + 2 * page(u);
}

uint32_t upd_image_total(const struct manifest *m)
{
    uint64_t t = 0;
    for (uint32_t i = 0; i < m->n_layers; i++)
        t += ((uint64_t)m->layers[i].size + 15u) & ~(uint64_t)15u;
    return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

void upd_digest8(update_t *u, const uint8_t *env, size_t len, uint8_t out[8])
{
    manifest_sha256_ctx c;
    uint8_t h[32];
    u->crypto->sha256_init(&c);
    u->crypto->sha256_update(&c, env, len);
    u->crypto->sha256_final(&c, h);
    memcpy(out, h, 8);
}

int update_init(update_t *u, const flash_t *flash, const struct update_layout *layout,
                const struct manifest_trust *trust, const struct manifest_crypto *crypto)
{
    memset(u, 0, sizeof(*u));
    u->flash = flash;
    u->layout = layout;
    u->trust = trust;
    u->crypto = crypto;
    return upd_journal_load(u);
}

const struct update_comp_state *update_state(const update_t *u, uint32_t comp)
{
    return upd_comp_ok(comp) ? &u->st[comp] : NULL;
}

/* ---- Slots ------------------------------------------------------------------- */

int upd_read_envelope(update_t *u, uint32_t comp, unsigned slot, size_t *len_out)
{
    uint8_t h[HDR_SIZE];
    uint32_t a = upd_slot_addr(u, comp, slot);
    int rc = flash_read(u->flash, a, h, HDR_SIZE);
    if (rc)
        return upd_ferr(u, rc);
    uint32_t len = upd_get32(h + 4);
    if (upd_get32(h) != MAN_MAGIC || len == 0 || len > MANIFEST_MAX_SIZE || upd_get32(h + 12) != ~len)
        return UPDATE_E_NONE;
    if ((rc = flash_read(u->flash, a + HDR_SIZE, u->env, len)))
        return upd_ferr(u, rc);
    if (crc32_ieee(u->env, len) != upd_get32(h + 8))
        return UPDATE_E_NONE;
    *len_out = len;
    return UPDATE_OK;
}

/* Reads and verifies the manifest page of a slot into u->env / u->msg. */
static int read_manifest(update_t *u, uint32_t comp, unsigned slot, struct update_slot_info *info)
{
    uint32_t a = upd_slot_addr(u, comp, slot);
    size_t len;
    int rc = upd_read_envelope(u, comp, slot, &len);
    if (rc)
        return rc;
    memset(info, 0, sizeof(*info));
    upd_digest8(u, u->env, len, info->digest);
    info->addr = a;
    info->data = data_addr(u, comp, slot);
    rc = manifest_open(u->env, len, u->trust, u->crypto, u->scratch, sizeof(u->scratch),
                       &u->msg);
    if (rc) {
        u->manifest_err = rc;
        return UPDATE_E_MANIFEST;
    }
    if (u->msg.type != MANIFEST_TYPE_IMAGE || u->msg.u.image.component != comp) {
        u->manifest_err = MANIFEST_E_COMPONENT;
        return UPDATE_E_MANIFEST;
    }
    info->m = u->msg.u.image;
    return UPDATE_OK;
}

/* Rules every image must pass besides its signature. */
static int image_rules(update_t *u, uint32_t comp, const struct manifest *m)
{
    if (m->security_counter < u->st[comp].floor)
        return UPDATE_E_ROLLBACK;
    if (comp == MANIFEST_COMP_APP && u->mv_version && m->min_mv_version > u->mv_version)
        return UPDATE_E_MIN_MV;
    if (upd_image_total(m) > u->layout->slot_size[comp] - 2 * page(u))
        return UPDATE_E_TOO_BIG;
    return UPDATE_OK;
}


int upd_progress_scan(update_t *u, uint32_t comp, unsigned slot, struct progress *p)
{
    uint8_t b[PRG_SIZE];
    uint32_t a = upd_slot_addr(u, comp, slot) + page(u);
    memset(p, 0, sizeof(*p));
    p->next = page(u);
    for (uint32_t off = 0; off < page(u); off += PRG_SIZE) {
        int rc = flash_read(u->flash, a + off, b, PRG_SIZE);
        if (rc)
            return upd_ferr(u, rc);
        if (upd_all_erased(u, b, PRG_SIZE)) {
            p->next = off;
            break;
        }
        if (upd_get32(b) != PRG_MAGIC || upd_get32(b + 12) != crc32_ieee(b, 12))
            continue;
        if (upd_get32(b + 4) == PRG_FRONTIER) {
            /* a frontier after VERIFIED winds the log back: the bytes from
             * there on were found damaged and are written again */
            p->frontier = upd_get32(b + 8);
            p->verified = false;
        } else if (upd_get32(b + 4) == PRG_VERIFIED)
            p->verified = true;
        else if (upd_get32(b + 4) == PRG_BAD)
            p->bad = true;
    }
    return UPDATE_OK;
}

static void progress_entry(uint8_t b[PRG_SIZE], uint32_t kind, uint32_t value)
{
    upd_put32(b, PRG_MAGIC);
    upd_put32(b + 4, kind);
    upd_put32(b + 8, value);
    upd_put32(b + 12, crc32_ieee(b, 12));
}

static int progress_append(update_t *u, uint32_t kind, uint32_t value)
{
    uint8_t b[PRG_SIZE];
    if (u->plog_next > page(u) - PRG_SIZE)
        return UPDATE_E_TOO_BIG; /* cannot happen: more entries than pages */
    progress_entry(b, kind, value);
    int rc = flash_program(u->flash, upd_slot_addr(u, u->dl_comp, u->dl_slot) + page(u) + u->plog_next,
                           b, PRG_SIZE);
    u->plog_next += PRG_SIZE;
    if (rc)
        return upd_ferr(u, rc);
    if (kind == PRG_FRONTIER)
        u->frontier = value;
    return UPDATE_OK;
}

/* Room in a log whose next free entry is at next for a download resumed at
 * frontier: every remaining page, the last frontier and the verdict. */
static bool progress_room(const update_t *u, uint32_t next, uint32_t total, uint32_t frontier)
{
    uint32_t need = ((total - frontier) / page(u) + 3) * PRG_SIZE;
    return next <= page(u) && need <= page(u) - next;
}

int upd_progress_rewind(update_t *u, uint32_t comp, unsigned slot, uint32_t total,
                        uint32_t offset)
{
    struct progress p;
    uint8_t b[PRG_SIZE];
    uint32_t at = offset & ~(page(u) - 1);
    int rc = upd_progress_scan(u, comp, slot, &p);
    if (rc)
        return rc;
    if (!p.verified || p.bad || at >= total || !progress_room(u, p.next + PRG_SIZE, total, at))
        return UPDATE_E_NONE; /* nothing to wind back, or no room: begin starts over */
    if (u->dl != UPDATE_IDLE && u->dl_comp == comp && u->dl_slot == slot)
        u->dl = UPDATE_IDLE; /* its cached log position is stale now */
    progress_entry(b, PRG_FRONTIER, at);
    rc = flash_program(u->flash, upd_slot_addr(u, comp, slot) + page(u) + p.next, b, PRG_SIZE);
    return rc ? upd_ferr(u, rc) : UPDATE_OK;
}

int upd_progress_mark_bad(update_t *u, uint32_t comp, unsigned slot)
{
    struct progress p;
    uint8_t b[PRG_SIZE];
    int rc = upd_progress_scan(u, comp, slot, &p);
    if (rc)
        return rc;
    if (p.bad || !p.verified)
        return UPDATE_OK; /* already not complete */
    if (p.next > page(u) - PRG_SIZE)
        return UPDATE_E_NONE;
    if (u->dl != UPDATE_IDLE && u->dl_comp == comp && u->dl_slot == slot)
        u->dl = UPDATE_IDLE;
    progress_entry(b, PRG_BAD, 0);
    rc = flash_program(u->flash, upd_slot_addr(u, comp, slot) + page(u) + p.next, b, PRG_SIZE);
    return rc ? upd_ferr(u, rc) : UPDATE_OK;
}

int upd_hash_layers(update_t *u, const struct update_slot_info *info)
{
    uint8_t buf[256], h[32];
    uint32_t off = 0;
    for (uint32_t i = 0; i < info->m.n_layers; i++) {
        const struct manifest_layer *l = &info->m.layers[i];
        manifest_sha256_ctx c;
        u->crypto->sha256_init(&c);
        for (uint32_t done = 0; done < l->size;) {
            uint32_t n = l->size - done < sizeof(buf) ? l->size - done : (uint32_t)sizeof(buf);
            int rc = flash_read(u->flash, info->data + off + done, buf, n);
            if (rc) {
                u->crypto->sha256_final(&c, h);
                return upd_ferr(u, rc);
            }
            u->crypto->sha256_update(&c, buf, n);
            done += n;
            /* the boot's second hash runs with the watchdog armed */
            if (u->loader && u->loader->step && done % UPDATE_LOAD_STEP == 0)
                u->loader->step(u->loader->ctx);
        }
        u->crypto->sha256_final(&c, h);
        if (memcmp(h, l->sha256, 32) != 0) {
            u->bad_off = off;
            return UPDATE_E_VERIFY;
        }
        off += (l->size + 15u) & ~15u;
    }
    return UPDATE_OK;
}

/* Copies each layer to where it runs (the loader's map) and hashes it
 * there; layers in increasing, non-overlapping target order. */
int upd_load_layers(update_t *u, uint32_t comp, const struct update_slot_info *info)
{
    uint8_t h[32];
    uint32_t off = 0, end = 0;
    for (uint32_t i = 0; i < info->m.n_layers; i++) {
        const struct manifest_layer *l = &info->m.layers[i];
        uint8_t *dst = u->loader->map(u->loader->ctx, comp, l->target, l->size);
        if (!dst || l->target < end)
            return UPDATE_E_TARGET;
        end = l->target + l->size;
        manifest_sha256_ctx c;
        u->crypto->sha256_init(&c);
        for (uint32_t done = 0; done < l->size;) {
            uint32_t n = l->size - done < UPDATE_LOAD_STEP ? l->size - done : UPDATE_LOAD_STEP;
            int rc = flash_read(u->flash, info->data + off + done, dst + done, n);
            if (rc) {
                u->crypto->sha256_final(&c, h); /* release and wipe */
                return upd_ferr(u, rc);
            }
            u->crypto->sha256_update(&c, dst + done, n);
            done += n;
            if (u->loader->step)
                u->loader->step(u->loader->ctx);
        }
        u->crypto->sha256_final(&c, h);
        if (memcmp(h, l->sha256, 32) != 0) {
            u->bad_off = off;
            return UPDATE_E_VERIFY;
        }
        off += (l->size + 15u) & ~15u;
    }
    return UPDATE_OK;
}

int update_slot_check(update_t *u, uint32_t comp, unsigned slot, bool full,
                      struct update_slot_info *info)
{
    struct progress p;
    if (!upd_comp_ok(comp) || slot >= UPDATE_SLOTS)
        return UPDATE_E_COMPONENT;
    int rc = read_manifest(u, comp, slot, info);
    if (rc)
        return rc;
    if ((rc = image_rules(u, comp, &info->m)))
        return rc;
    if ((rc = upd_progress_scan(u, comp, slot, &p)))
        return rc;
    if (p.bad)
        return UPDATE_E_VERIFY;
    if (!p.verified)
        return UPDATE_E_INCOMPLETE;
    if (!full)
        return UPDATE_OK;
    return u->loader ? upd_load_layers(u, comp, info) : upd_hash_layers(u, info);
}

/* ---- Boot --------------------------------------------------------------------- */

/* The decision's inputs; why[k] (may be NULL) gets slot k's check result
 * unless it is marked bad. */
static void decide_inputs(update_t *u, uint32_t comp, const bool bad[UPDATE_SLOTS],
                          struct update_slot_info inf[UPDATE_SLOTS],
                          struct update_decide_in *in, struct update_boot_result *why)
{
    const struct update_comp_state *s = &u->st[comp];
    for (unsigned k = 0; k < UPDATE_SLOTS; k++) {
        if (bad[k]) {
            in->valid[k] = false;
            continue;
        }
        u->manifest_err = MANIFEST_OK;
        int rc = update_slot_check(u, comp, k, false, &inf[k]);
        in->valid[k] = rc == UPDATE_OK;
        if (why) {
            why->check[k] = rc;
            why->manifest_err[k] = u->manifest_err;
        }
    }
    in->confirmed = UPDATE_NONE;
    if (s->confirmed.set) {
        unsigned c = s->confirmed.slot;
        if (!in->valid[c] || memcmp(inf[c].digest, s->confirmed.digest, 8) == 0)
            in->confirmed = (int)c;
    }
    in->trial = UPDATE_NONE;
    if (s->trial.set && in->valid[s->trial.slot] &&
        memcmp(inf[s->trial.slot].digest, s->trial.digest, 8) == 0)
        in->trial = s->trial.slot;
    in->attempted = s->attempted;
    in->newer = 0;
    if (in->valid[0] && in->valid[1] &&
        inf[1].m.security_counter > inf[0].m.security_counter)
        in->newer = 1;
    else if (in->valid[0] && in->valid[1] &&
             inf[1].m.security_counter == inf[0].m.security_counter &&
             inf[1].m.version > inf[0].m.version)
        in->newer = 1;
}

/* ---- Download ----------------------------------------------------------------- */

bool update_trial_running(const update_t *u, uint32_t comp)
{
    return upd_comp_ok(comp) && u->st[comp].trial.set && u->st[comp].attempted;
}

static bool trial_running(const update_t *u, uint32_t comp)
{
    return update_trial_running(u, comp);
}

/* The slot a download may overwrite: never the valid confirmed image,
 * never the one this device would boot otherwise. */
static unsigned target_slot(update_t *u, uint32_t comp)
{
    bool bad[UPDATE_SLOTS] = {false, false};
    struct update_slot_info inf[UPDATE_SLOTS];
    struct update_decide_in in;
    decide_inputs(u, comp, bad, inf, &in, NULL);
    if (in.confirmed != UPDATE_NONE && in.valid[in.confirmed])
        return (unsigned)(1 - in.confirmed);
    int s = update_action_slot(update_decide(&in));
    return s == UPDATE_NONE ? 0u : (unsigned)(1 - s);
}

/* Restores a download from the slot's progress log. UPDATE_E_NONE if it
 * must start over. */
static int load_progress(update_t *u)
{
    struct progress p;
    int rc = upd_progress_scan(u, u->dl_comp, u->dl_slot, &p);
    if (rc)
        return rc;
    if (p.bad || p.frontier > u->total)
        return UPDATE_E_NONE;
    /* room left in the log for every remaining page, the last frontier and
     * the verdict; if torn entries ate it, start over */
    if (!progress_room(u, p.next, u->total, p.frontier))
        return UPDATE_E_NONE;
    u->plog_next = p.next;
    u->frontier = p.frontier;
    u->next = u->pnext = p.frontier;
    u->tail_len = 0;
    /* never VERIFIED from the log alone: flash may have changed since it
     * was hashed, so finish hashes it again before it can be activated */
    u->dl_reverify = p.verified && p.frontier == u->total;
    u->dl = p.frontier == u->total ? UPDATE_DOWNLOADED : UPDATE_DOWNLOADING;
    return UPDATE_OK;
}

static int write_manifest_page(update_t *u, const uint8_t *env, size_t len)
{
    uint32_t a = upd_slot_addr(u, u->dl_comp, u->dl_slot);
    uint8_t last[16], h[HDR_SIZE];
    size_t whole = len & ~(size_t)15;
    int rc = flash_erase(u->flash, a, 2 * page(u));
    if (rc)
        return upd_ferr(u, rc);
    if (whole && (rc = flash_program(u->flash, a + HDR_SIZE, env, whole)))
        return upd_ferr(u, rc);
    if (len > whole) {
        memset(last, 0xFF, sizeof(last));
        memcpy(last, env + whole, len - whole);
        if ((rc = flash_program(u->flash, a + HDR_SIZE + (uint32_t)whole, last, 16)))
            return upd_ferr(u, rc);
    }
    upd_put32(h, MAN_MAGIC);
    upd_put32(h + 4, (uint32_t)len);
    upd_put32(h + 8, crc32_ieee(env, len));
    upd_put32(h + 12, ~(uint32_t)len);
    if ((rc = flash_program(u->flash, a, h, HDR_SIZE)))
        return upd_ferr(u, rc);
    return UPDATE_OK;
}

static int start(update_t *u, uint32_t comp, unsigned slot, const struct update_slot_info *info)
{
    u->dl_comp = comp;
    u->dl_slot = slot;
    u->dl_info = *info;
    u->total = upd_image_total(&info->m);
    u->next = u->pnext = u->frontier = u->plog_next = 0;
    u->tail_len = 0;
    u->dl_reverify = false;
    if (u->vh_active) { /* a hash in progress is abandoned: release and wipe it */
        uint8_t h[32];
        u->crypto->sha256_final(&u->vh_ctx, h);
        u->vh_active = false;
    }
    u->dl = UPDATE_DOWNLOADING;
    return UPDATE_OK;
}

/* UPDATE_E_INSTALLED if env is comp's confirmed image and its slot still
 * holds it, complete; UPDATE_OK if not (or UPDATE_E_FLASH). The envelope
 * is compared byte for byte, so no signature needs checking again. */
static int installed(update_t *u, uint32_t comp, const uint8_t *env, size_t len,
                     const uint8_t digest[8])
{
    const struct update_comp_state *st = &u->st[comp];
    const struct update_ref *c = &st->confirmed;
    struct progress p;
    size_t have;
    if (!c->set || memcmp(c->digest, digest, 8) != 0)
        return UPDATE_OK;
    /* the log alone is no proof: a boot may have found the bytes damaged
     * and had no room (or no other slot) to record it. Only the image this
     * boot hashed and started counts */
    if (!upd_ref_is(&u->booted[comp], c->slot, c->digest))
        return UPDATE_OK;
    /* another image is set to boot next: sending this one is not a no-op */
    if (st->trial.set && !upd_ref_is(&st->trial, c->slot, c->digest))
        return UPDATE_OK;
    int rc = upd_read_envelope(u, comp, c->slot, &have);
    if (rc == UPDATE_E_NONE || (rc == UPDATE_OK && (have != len || memcmp(u->env, env, len))))
        return UPDATE_OK;
    if (rc || (rc = upd_progress_scan(u, comp, c->slot, &p)))
        return rc;
    return p.verified && !p.bad ? UPDATE_E_INSTALLED : UPDATE_OK;
}

int update_note_booted(update_t *u, uint32_t comp, unsigned slot)
{
    size_t len;
    if (!upd_comp_ok(comp) || slot >= UPDATE_SLOTS)
        return UPDATE_E_COMPONENT;
    u->booted[comp].set = false;
    int rc = upd_read_envelope(u, comp, slot, &len);
    if (rc)
        return rc;
    upd_digest8(u, u->env, len, u->booted[comp].digest);
    u->booted[comp].slot = (uint8_t)slot;
    u->booted[comp].set = true;
    return UPDATE_OK;
}

int update_begin(update_t *u, const uint8_t *env, size_t len)
{
    struct update_slot_info info, there;
    struct manifest_msg msg;
    u->dl = UPDATE_IDLE;
    int rc = manifest_open(env, len, u->trust, u->crypto, u->scratch, sizeof(u->scratch), &msg);
    if (rc) {
        u->manifest_err = rc;
        return UPDATE_E_MANIFEST;
    }
    if (msg.type != MANIFEST_TYPE_IMAGE) {
        u->manifest_err = MANIFEST_E_TYPE;
        return UPDATE_E_MANIFEST;
    }
    uint32_t comp = msg.u.image.component;
    if (upd_comp_ok(comp) && trial_running(u, comp))
        return UPDATE_E_TRIAL;
    if ((rc = image_rules(u, comp, &msg.u.image)))
        return rc;
    memset(&info, 0, sizeof(info));
    info.m = msg.u.image;
    upd_digest8(u, env, len, info.digest);
    if ((rc = installed(u, comp, env, len, info.digest)))
        return rc;
    unsigned slot = target_slot(u, comp);
    info.addr = upd_slot_addr(u, comp, slot);
    info.data = data_addr(u, comp, slot);
    start(u, comp, slot, &info);
    /* the same manifest already there: resume where it stopped */
    if (read_manifest(u, comp, slot, &there) == UPDATE_OK &&
        memcmp(there.digest, info.digest, 8) == 0) {
        rc = load_progress(u);
        if (rc != UPDATE_E_NONE)
            goto out;
    }
    if ((rc = write_manifest_page(u, env, len)) == UPDATE_OK)
        rc = start(u, comp, slot, &info);
out:
    if (rc)
        u->dl = UPDATE_IDLE; /* as update_resume: no half-open download */
    return rc;
}

int update_resume(update_t *u, uint32_t comp)
{
    struct update_slot_info info;
    if (!upd_comp_ok(comp))
        return UPDATE_E_COMPONENT;
    if (trial_running(u, comp))
        return UPDATE_E_TRIAL;
    unsigned slot = target_slot(u, comp);
    int rc = read_manifest(u, comp, slot, &info);
    if (rc)
        return rc == UPDATE_E_FLASH ? rc : UPDATE_E_NONE;
    if ((rc = image_rules(u, comp, &info.m)))
        return rc;
    start(u, comp, slot, &info);
    rc = load_progress(u);
    if (rc)
        u->dl = UPDATE_IDLE;
    return rc;
}

uint32_t update_next_offset(const update_t *u)
{
    return u->next;
}

uint32_t update_total_size(const update_t *u)
{
    return u->total;
}

/* Programs n (a multiple of 16) bytes at the image frontier, erasing each
 * page just before its first byte and recording each completed page. */
static int program_data(update_t *u, const uint8_t *p, uint32_t n)
{
    uint32_t pg = page(u), base = u->dl_info.data;
    int rc;
    while (n > 0) {
        uint32_t in_page = u->pnext & (pg - 1);
        if (in_page == 0 && (rc = flash_erase_page(u->flash, base + u->pnext)))
            return upd_ferr(u, rc);
        uint32_t k = pg - in_page < n ? pg - in_page : n;
        if ((rc = flash_program(u->flash, base + u->pnext, p, k)))
            return upd_ferr(u, rc);
        u->pnext += k;
        p += k;
        n -= k;
        if ((u->pnext & (pg - 1)) == 0 && (rc = progress_append(u, PRG_FRONTIER, u->pnext)))
            return rc;
    }
    return UPDATE_OK;
}

int update_write(update_t *u, uint32_t offset, const void *data, size_t len)
{
    const uint8_t *p = data;
    int rc;
    if (u->dl != UPDATE_DOWNLOADING)
        return UPDATE_E_STATE;
    if (offset != u->next)
        return UPDATE_E_OFFSET;
    if (len > u->total - u->next)
        return UPDATE_E_TOO_BIG;
    while (len > 0) {
        if (u->tail_len == 0 && len >= 16) {
            uint32_t n = (uint32_t)(len & ~(size_t)15);
            u->next += n;
            if ((rc = program_data(u, p, n)))
                goto fail;
            p += n;
            len -= n;
            continue;
        }
        uint32_t take = 16 - u->tail_len < len ? 16 - u->tail_len : (uint32_t)len;
        memcpy(u->tail + u->tail_len, p, take);
        u->tail_len += take;
        u->next += take;
        p += take;
        len -= take;
        if (u->tail_len == 16) {
            u->tail_len = 0;
            if ((rc = program_data(u, u->tail, 16)))
                goto fail;
        }
    }
    return UPDATE_OK;
fail:
    /* next and the tail no longer say what the flash holds: close the
     * download; update_begin or update_resume reopens it from the flash */
    u->dl = UPDATE_IDLE;
    return rc;
}

/* Flushes the last partial unit and records the image complete. */
static int finish_flush(update_t *u)
{
    int rc;
    if (u->next != u->total)
        return UPDATE_E_STATE;
    /* the last layer ends inside a unit: pad it with the erased value */
    if (u->tail_len > 0) {
        memset(u->tail + u->tail_len, flash_erased_val(u->flash), 16 - u->tail_len);
        u->tail_len = 0;
        if ((rc = program_data(u, u->tail, 16)))
            return rc;
    }
    if (u->frontier != u->total && (rc = progress_append(u, PRG_FRONTIER, u->total)))
        return rc;
    u->dl = UPDATE_DOWNLOADED;
    return UPDATE_OK;
}

/* Hashes up to max_bytes more of the layers in flash (u->vh_*): 1 while
 * more remains, UPDATE_OK when every layer matched, or the error. */
static int hash_step(update_t *u, uint32_t max_bytes)
{
    uint8_t buf[256], h[32];
    const struct update_slot_info *info = &u->dl_info;
    if (!u->vh_active) {
        u->vh_active = true;
        u->vh_layer = u->vh_done = u->vh_off = 0;
        u->crypto->sha256_init(&u->vh_ctx);
    }
    while (u->vh_layer < info->m.n_layers) {
        const struct manifest_layer *l = &info->m.layers[u->vh_layer];
        if (u->vh_done < l->size) {
            if (max_bytes == 0)
                return 1;
            uint32_t n = l->size - u->vh_done;
            n = n < sizeof(buf) ? n : (uint32_t)sizeof(buf);
            n = n < max_bytes ? n : max_bytes;
            int rc = flash_read(u->flash, info->data + u->vh_off + u->vh_done, buf, n);
            if (rc) {
                u->crypto->sha256_final(&u->vh_ctx, h); /* release and wipe */
                u->vh_active = false;
                return upd_ferr(u, rc);
            }
            u->crypto->sha256_update(&u->vh_ctx, buf, n);
            u->vh_done += n;
            max_bytes -= n;
            continue;
        }
        u->crypto->sha256_final(&u->vh_ctx, h);
        if (memcmp(h, l->sha256, 32) != 0) {
            u->vh_active = false;
            return UPDATE_E_VERIFY;
        }
        u->vh_off += (l->size + 15u) & ~15u;
        u->vh_done = 0;
        u->vh_layer++;
        u->crypto->sha256_init(&u->vh_ctx);
    }
    u->crypto->sha256_final(&u->vh_ctx, h); /* wipes the unused context */
    u->vh_active = false;
    return UPDATE_OK;
}

int update_finish_step(update_t *u, uint32_t max_bytes)
{
    int rc;
    if (u->dl == UPDATE_DOWNLOADING && (rc = finish_flush(u))) {
        if (rc == UPDATE_E_FLASH)
            u->dl = UPDATE_IDLE; /* the tail is gone: reopen from the flash */
        return rc;
    }
    if (u->dl != UPDATE_DOWNLOADED)
        return u->dl == UPDATE_VERIFIED ? UPDATE_OK : UPDATE_E_STATE;
    rc = hash_step(u, max_bytes);
    if (rc == 1)
        return rc;
    if (rc == UPDATE_E_VERIFY && u->dl_reverify) {
        /* it matched once: flash changed since. Wind the log back to the
         * damaged layer's page (or, without room, mark it BAD: begin starts
         * over); either way the same bundle repairs it */
        u->dl = UPDATE_IDLE;
        int rc2 = upd_progress_rewind(u, u->dl_comp, u->dl_slot, u->total, u->vh_off);
        if (rc2 == UPDATE_E_NONE)
            rc2 = progress_append(u, PRG_BAD, 0);
        return rc2 ? rc2 : UPDATE_E_DAMAGED;
    }
    if (rc == UPDATE_E_VERIFY) {
        u->dl = UPDATE_IDLE;
        int rc2 = progress_append(u, PRG_BAD, 0);
        return rc2 ? rc2 : rc;
    }
    if (rc)
        return rc;
    /* hashed again and still right: the log says so already */
    if (!u->dl_reverify && (rc = progress_append(u, PRG_VERIFIED, u->total)))
        return rc;
    u->dl = UPDATE_VERIFIED;
    return UPDATE_OK;
}

int update_finish(update_t *u)
{
    int rc = update_finish_step(u, UINT32_MAX);
    return rc == 1 ? UPDATE_E_STATE : rc; /* 1 cannot happen: no budget */
}


bool update_activated_already(const update_t *u)
{
    const struct update_comp_state *s = &u->st[u->dl_comp];
    return u->dl == UPDATE_VERIFIED && upd_comp_ok(u->dl_comp) && !s->attempted &&
           upd_ref_is(&s->trial, u->dl_slot, u->dl_info.digest);
}

int update_activate(update_t *u)
{
    if (u->dl != UPDATE_VERIFIED)
        return UPDATE_E_STATE;
    if (trial_running(u, u->dl_comp))
        return UPDATE_E_TRIAL;
    if (update_activated_already(u)) {
        u->dl = UPDATE_IDLE; /* activated already: no second record (journal wear) */
        return UPDATE_OK;
    }
    struct jrec r = {.type = J_TRIAL, .comp = (uint8_t)u->dl_comp, .slot = (uint8_t)u->dl_slot,
                     .value = u->dl_info.m.version};
    memcpy(r.digest, u->dl_info.digest, 8);
    int rc = upd_journal_append(u, &r);
    if (rc == UPDATE_OK)
        u->dl = UPDATE_IDLE;
    return rc;
}

int update_confirm(update_t *u, uint32_t comp)
{
    struct update_slot_info info;
    if (!upd_comp_ok(comp))
        return UPDATE_E_COMPONENT;
    const struct update_comp_state *s = &u->st[comp];
    if (!s->trial.set || !s->attempted)
        return UPDATE_E_NONE;
    const struct update_comp_state *mv = &u->st[MANIFEST_COMP_MICROVISOR];
    if (comp == MANIFEST_COMP_APP && mv->trial.set && mv->attempted)
        return UPDATE_E_MV_TRIAL;
    int rc = update_slot_check(u, comp, s->trial.slot, false, &info);
    if (rc)
        return rc;
    if (memcmp(info.digest, s->trial.digest, 8) != 0)
        return UPDATE_E_NONE;
    struct jrec r = {.type = J_CONFIRM, .comp = (uint8_t)comp, .slot = s->trial.slot,
                     .value = info.m.security_counter};
    memcpy(r.digest, s->trial.digest, 8);
    return upd_journal_append(u, &r);
}

int update_reject(update_t *u, uint32_t comp)
{
    if (!upd_comp_ok(comp))
        return UPDATE_E_COMPONENT;
    const struct update_comp_state *s = &u->st[comp];
    if (!s->trial.set)
        return UPDATE_E_NONE;
    struct jrec r = {.type = J_REJECT, .comp = (uint8_t)comp, .slot = s->trial.slot,
                     .value = s->trial.version, .reason = UPDATE_REJ_FAILED};
    memcpy(r.digest, s->trial.digest, 8);
    return upd_journal_append(u, &r);
}

int update_reject_running(update_t *u, uint32_t comp, unsigned slot, const uint8_t digest[8])
{
    if (!upd_comp_ok(comp))
        return UPDATE_E_COMPONENT;
    if (!trial_running(u, comp) || !upd_ref_is(&u->st[comp].trial, slot, digest))
        return UPDATE_E_NONE; /* not the trial that runs: leave the journal alone */
    return update_reject(u, comp);
}
