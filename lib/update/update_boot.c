/*
 * IMPLEMENTATION NOTES
 * The boot: which slot a component starts, decided lazily so that only the
 * signatures the decision depends on are verified (normally one). The
 * table itself is update_decide.c; the records it reads and writes are
 * update.c's journal. See the notes on update_boot below and
 * docs/updates.md ("Fewer signature checks per boot").
 */
#include <string.h>

#include "update.h"
#include "update_priv.h"

/*
 * The lazy boot decision. Verifying a slot (its Ed25519 signature) is the
 * expensive part of a boot, and the decision usually needs only the slot it
 * boots. So each slot starts as UNKNOWN if it looks complete (committed
 * manifest page, VERIFIED progress: cheap reads, no signature) and INVALID
 * otherwise, and is verified only when the decision depends on it:
 *  - the decision is made with every UNKNOWN slot assumed valid; if the
 *    chosen slot is UNKNOWN it is verified first and the decision made
 *    again;
 *  - with the chosen slot verified, every assignment of the other UNKNOWN
 *    facts (the other slot valid or not, which slot is newer) must boot
 *    the same slot, or the other slot is verified too.
 * So the slot booted is exactly the one update_decide() picks on the fully
 * verified facts (tests/unit/update checks both against each other over
 * every state), and no slot is booted before its manifest verified and its
 * layers hashed. The one difference in the action: a trial that was booted
 * and not confirmed is REJECTed without checking its own slot
 * (REVERT_TO_X where the exact table, seeing the trial's slot damaged,
 * says BOOT_X).
 */
/* A slot's verdict: values far apart in bits, and only LAZY_VALID (checked
 * positively, twice) lets a slot be loaded. */
enum { LAZY_UNKNOWN = 0x0F0F, LAZY_VALID = 0x5AA5, LAZY_INVALID = 0xA05F };

struct lazy {
    uint16_t state[UPDATE_SLOTS];
    uint8_t digest[UPDATE_SLOTS][8]; /* of the envelope; verified once VALID */
    struct update_slot_info inf[UPDATE_SLOTS];
};

/* The cheap look at a slot: committed manifest page and VERIFIED progress
 * (UPDATE_OK, with the envelope's digest), or why not. */
static int slot_peek(update_t *u, uint32_t comp, unsigned slot, uint8_t digest[8])
{
    struct progress p;
    size_t len;
    int rc = upd_read_envelope(u, comp, slot, &len);
    if (rc)
        return rc;
    upd_digest8(u, u->env, len, digest);
    if ((rc = upd_progress_scan(u, comp, slot, &p)))
        return rc;
    return p.bad ? UPDATE_E_VERIFY : p.verified ? UPDATE_OK : UPDATE_E_INCOMPLETE;
}

/* A slot whose layers failed their hash twice: wind its log back to the
 * damaged layer, so no later check takes it for complete and the same
 * bundle sent again resumes there; without room for that, mark it BAD (one
 * entry; begin then starts it over). Either is one write-once entry. A log
 * too full even for BAD (or a programmed unit) stays as it is: installed()
 * never trusts the log alone, and update_finish hashes a reopened download
 * again anyway. */
static int mark_damaged(update_t *u, uint32_t comp, unsigned slot, const struct manifest *m,
                        uint32_t bad_off)
{
    int rc = upd_progress_rewind(u, comp, slot, upd_image_total(m), bad_off);
    if (rc == UPDATE_E_NONE)
        rc = upd_progress_mark_bad(u, comp, slot);
    if (rc == UPDATE_E_FLASH && u->flash_err != FLASH_EPROGRAMMED)
        return rc;
    return UPDATE_OK;
}

/* The journal's trial of comp, if this boot does not start it (its slot is
 * damaged, incomplete, holds another image, or fails a rule): REJECT it
 * with the reason, so the journal never keeps a trial nothing will boot
 * and the host learns why (and a running-looking trial cannot block
 * updates for ever). Called once the slot to boot, s, is final. */
static int reject_unbooted(update_t *u, uint32_t comp, const struct lazy *z, int s,
                           const struct update_boot_result *out, bool *rejected)
{
    const struct update_comp_state *st = &u->st[comp];
    unsigned t = st->trial.slot;
    if (!st->trial.set)
        return UPDATE_OK;
    bool holds = z->state[t] != LAZY_INVALID || out->check[t] != UPDATE_E_NONE;
    holds = holds && memcmp(z->digest[t], st->trial.digest, 8) == 0;
    if (holds && (int)t == s)
        return UPDATE_OK; /* booted (the only image left) */
    if (holds && z->state[t] != LAZY_INVALID)
        return UPDATE_OK; /* not judged: cannot happen (a trial's slot is decided first) */
    struct jrec r = {.type = J_REJECT, .comp = (uint8_t)comp, .slot = (uint8_t)t,
                     .value = st->trial.version};
    r.reason = (int8_t)(holds ? out->check[t] : UPDATE_E_NONE);
    if (r.reason == UPDATE_OK)
        r.reason = UPDATE_E_VERIFY;
    memcpy(r.digest, st->trial.digest, 8);
    *rejected = true;
    return upd_journal_append(u, &r);
}

static enum update_action lazy_decide(const struct lazy *z, const struct update_comp_state *s,
                                      const bool valid[UPDATE_SLOTS], int newer)
{
    struct update_decide_in in = {.valid = {valid[0], valid[1]}, .newer = newer,
                                  .attempted = s->attempted};
    in.confirmed = UPDATE_NONE;
    if (s->confirmed.set) {
        unsigned c = s->confirmed.slot;
        if (!valid[c] || memcmp(z->digest[c], s->confirmed.digest, 8) == 0)
            in.confirmed = (int)c;
    }
    in.trial = UPDATE_NONE;
    if (s->trial.set && valid[s->trial.slot] &&
        memcmp(z->digest[s->trial.slot], s->trial.digest, 8) == 0)
        in.trial = s->trial.slot;
    return update_decide(&in);
}

/* Which slot is newer, when both are verified (ties: A). */
static int lazy_newer(const struct lazy *z)
{
    const struct manifest *a = &z->inf[0].m, *b = &z->inf[1].m;
    if (b->security_counter != a->security_counter)
        return b->security_counter > a->security_counter;
    return b->version > a->version;
}

/* Does the slot `a` boots stay the same whatever the unverified facts turn
 * out to be, given that it is valid? (The action may not: REVERT_TO_X
 * assumes the trial in the other slot valid, and if it is not the exact
 * table says BOOT_X. Both boot X; REVERT also writes REJECT for a trial that
 * was booted and never confirmed, which is right either way.) */
static bool lazy_settled(const struct lazy *z, const struct update_comp_state *s, unsigned slot,
                         enum update_action a)
{
    unsigned o = 1 - slot;
    bool valid[UPDATE_SLOTS];
    valid[slot] = true;
    for (int vo = 0; vo < 2; vo++) {
        if (z->state[o] != LAZY_UNKNOWN && vo != (z->state[o] == LAZY_VALID))
            continue;
        valid[o] = vo;
        bool known = z->state[0] == LAZY_VALID && z->state[1] == LAZY_VALID;
        for (int nw = 0; nw < 2; nw++) {
            if (known && nw != lazy_newer(z))
                continue;
            if (update_action_slot(lazy_decide(z, s, valid, nw)) != update_action_slot(a))
                return false;
        }
    }
    return true;
}

/* Verifies slot k's manifest and rules (not its layers). */
static int lazy_resolve(update_t *u, uint32_t comp, unsigned k, struct lazy *z,
                        struct update_boot_result *out)
{
    u->manifest_err = MANIFEST_OK;
    int rc = update_slot_check(u, comp, k, false, &z->inf[k]);
    if (rc == UPDATE_E_FLASH)
        return rc;
    out->check[k] = rc;
    out->manifest_err[k] = u->manifest_err;
    z->state[k] = rc == UPDATE_OK ? LAZY_VALID : LAZY_INVALID;
    if (rc == UPDATE_OK)
        memcpy(z->digest[k], z->inf[k].digest, 8);
    return UPDATE_OK;
}

int update_boot(update_t *u, uint32_t comp, struct update_boot_result *out)
{
    struct lazy z;
    if (!upd_comp_ok(comp))
        return UPDATE_E_COMPONENT;
    memset(&z, 0, sizeof(z));
    out->rejected = false;
    out->record_err = UPDATE_OK;
    u->booted[comp].set = false;
    int damaged = UPDATE_NONE; /* a slot that failed its hash twice this boot */
    uint32_t damaged_off = 0;
    const struct update_comp_state *st = &u->st[comp];
    for (unsigned k = 0; k < UPDATE_SLOTS; k++) {
        int rc = slot_peek(u, comp, k, z.digest[k]);
        if (rc == UPDATE_E_FLASH)
            return rc;
        out->check[k] = rc;
        out->manifest_err[k] = MANIFEST_OK;
        z.state[k] = rc == UPDATE_OK ? LAZY_UNKNOWN : LAZY_INVALID;
    }
    /* each pass verifies a slot, hashes one, or returns: 2 * 2 + 1 */
    for (int pass = 0; pass < 2 * UPDATE_SLOTS + 1; pass++) {
        bool valid[UPDATE_SLOTS] = {z.state[0] != LAZY_INVALID, z.state[1] != LAZY_INVALID};
        bool known = z.state[0] == LAZY_VALID && z.state[1] == LAZY_VALID;
        enum update_action a = lazy_decide(&z, st, valid, known ? lazy_newer(&z) : 0);
        int s = update_action_slot(a);
        int rc;
        if (s == UPDATE_NONE)
            return UPDATE_E_NO_IMAGE; /* even with every unverified slot valid */
        if (z.state[s] != LAZY_VALID) {
            if ((rc = lazy_resolve(u, comp, (unsigned)s, &z, out)))
                return rc;
            continue;
        }
        if (!lazy_settled(&z, st, (unsigned)s, a)) {
            if ((rc = lazy_resolve(u, comp, 1u - (unsigned)s, &z, out)))
                return rc;
            continue;
        }
        u->manifest_err = MANIFEST_OK;
        rc = u->loader ? upd_load_layers(u, comp, &z.inf[s]) : upd_hash_layers(u, &z.inf[s]);
        if (rc != UPDATE_OK && rc != UPDATE_E_FLASH) {
            /* judged before anything is recorded: a glitch in the copy or
             * the read (fault injection, a RAM bit error) must not become a
             * permanent record. Hashed again straight from flash: damaged
             * only if that fails too; if it matches, loaded once more */
            int first = rc;
            rc = upd_hash_layers(u, &z.inf[s]);
            if (rc == UPDATE_E_VERIFY && first == UPDATE_E_VERIFY) {
                damaged = s; /* recorded only if another slot boots */
                damaged_off = u->bad_off;
            } else if (rc == UPDATE_OK && u->loader) {
                rc = upd_load_layers(u, comp, &z.inf[s]);
            }
            if (rc != UPDATE_OK && rc != UPDATE_E_FLASH)
                rc = first;
        }
        if (rc == UPDATE_E_FLASH)
            return rc;
        if (rc) {
            z.state[s] = LAZY_INVALID; /* damaged bytes: decide again without it */
            out->check[s] = rc;
            out->manifest_err[s] = u->manifest_err;
            continue;
        }
        if (z.state[s] != LAZY_VALID || rc != UPDATE_OK)
            return UPDATE_E_NO_IMAGE; /* the verdict again: a glitch must not boot it */
        struct jrec r = {.comp = (uint8_t)comp, .slot = st->trial.slot,
                         .value = st->trial.version};
        memcpy(r.digest, st->trial.digest, 8);
        /* slot s boots: only now is a record of the other's damage safe
         * (comp keeps a bootable image). Best effort: the boot goes on */
        if (damaged != UPDATE_NONE && damaged != s) {
            int rc2 = mark_damaged(u, comp, (unsigned)damaged, &z.inf[damaged].m, damaged_off);
            if (rc2 && u->flash_err == FLASH_EPOWER)
                return rc2; /* the simulator's power cut: nothing runs on */
            if (rc2)
                out->record_err = rc2;
        }
        if (a == UPDATE_TRIAL_A || a == UPDATE_TRIAL_B) {
            r.type = J_ATTEMPT;
            if ((rc = upd_journal_append(u, &r)))
                return rc;
        } else if (a == UPDATE_REVERT_TO_A || a == UPDATE_REVERT_TO_B) {
            r.type = J_REJECT;
            r.reason = UPDATE_REJ_RESET;
            out->rejected = true;
            if ((rc = upd_journal_append(u, &r)))
                return rc;
        } else if ((rc = reject_unbooted(u, comp, &z, s, out, &out->rejected))) {
            if (u->flash_err == FLASH_EPOWER)
                return rc;
            out->record_err = rc; /* the chosen slot is good: boot it anyway */
            out->rejected = false;
        }
        u->booted[comp].set = true;
        u->booted[comp].slot = (uint8_t)s;
        memcpy(u->booted[comp].digest, z.inf[s].digest, 8);
        out->action = a;
        out->slot = s;
        out->info = z.inf[s];
        return UPDATE_OK;
    }
    return UPDATE_E_NO_IMAGE;
}

