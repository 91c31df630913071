/*
 * IMPLEMENTATION NOTES
 * The state journal (docs/flash-layout.md): 32-byte records (TRIAL,
 * ATTEMPT, CONFIRM, REJECT) in one of two pages; a page opens with
 * PAGE(epoch), a snapshot of the current state and SNAP_END(count); the
 * valid page with the highest epoch is the truth. When a page fills, the
 * other is erased and a new snapshot written into it, so the old page
 * stays valid until the new one is complete. Every record carries a
 * CRC-32, so a torn record reads as "not there" and is skipped; the next
 * record goes after it. Records are folded in order into update_t's state.
 */
#include <string.h>

#include "crc32.h"
#include "update.h"
#include "update_priv.h"

static void jrec_encode(const struct jrec *r, uint8_t out[JREC_SIZE])
{
    memset(out, 0, JREC_SIZE);
    upd_put32(out, JRN_MAGIC);
    out[4] = r->type;
    out[5] = r->comp;
    out[6] = r->slot;
    out[7] = (uint8_t)r->reason;
    upd_put32(out + 8, r->value);
    memcpy(out + 16, r->digest, 8);
    upd_put32(out + 28, crc32_ieee(out, 28));
}

static bool jrec_decode(const uint8_t in[JREC_SIZE], struct jrec *r)
{
    if (upd_get32(in) != JRN_MAGIC || upd_get32(in + 28) != crc32_ieee(in, 28))
        return false;
    r->type = in[4];
    r->comp = in[5];
    r->slot = in[6];
    r->reason = (int8_t)in[7];
    r->value = upd_get32(in + 8);
    memcpy(r->digest, in + 16, 8);
    return true;
}

bool upd_ref_is(const struct update_ref *ref, unsigned slot, const uint8_t d[8])
{
    return ref->set && ref->slot == slot && memcmp(ref->digest, d, 8) == 0;
}

static void fold(update_t *u, const struct jrec *r)
{
    if (!upd_comp_ok(r->comp) || r->slot >= UPDATE_SLOTS)
        return;
    struct update_comp_state *s = &u->st[r->comp];
    struct update_ref ref = {.set = true, .slot = r->slot, .version = r->value,
                             .reason = r->type == J_REJECT ? r->reason : 0};
    memcpy(ref.digest, r->digest, 8);
    switch (r->type) {
    case J_TRIAL:
        s->trial = ref;
        s->attempted = false;
        s->rejected.set = false; /* a new update: the last revert is history */
        break;
    case J_ATTEMPT:
        if (upd_ref_is(&s->trial, r->slot, r->digest))
            s->attempted = true;
        break;
    case J_CONFIRM:
        s->confirmed = ref;
        s->confirmed.version = 0; /* value is the counter here */
        if (r->value > s->floor)
            s->floor = r->value;
        if (upd_ref_is(&s->trial, r->slot, r->digest)) {
            s->trial.set = false;
            s->attempted = false;
        }
        break;
    case J_REJECT:
        s->rejected = ref;
        if (upd_ref_is(&s->trial, r->slot, r->digest)) {
            s->trial.set = false;
            s->attempted = false;
        }
        break;
    default:
        break;
    }
}

struct jpage_scan {
    bool valid;
    uint32_t epoch;
    uint32_t next;    /* first erased record offset (page size if full) */
};

/* Scans one journal page; with apply, folds its records into u->st. */
static int jpage_scan(update_t *u, uint32_t addr, bool apply, struct jpage_scan *out)
{
    uint8_t b[JREC_SIZE];
    struct jrec r;
    uint32_t count = 0;
    bool have_page = false;
    out->valid = false;
    out->epoch = 0;
    out->next = flash_page_size(u->flash);
    for (uint32_t off = 0; off < flash_page_size(u->flash); off += JREC_SIZE) {
        int rc = flash_read(u->flash, addr + off, b, JREC_SIZE);
        if (rc)
            return upd_ferr(u, rc);
        if (upd_all_erased(u, b, JREC_SIZE)) {
            out->next = off;
            break;
        }
        if (!jrec_decode(b, &r))
            continue; /* torn: skip it */
        if (off == 0 && r.type == J_PAGE) {
            have_page = true;
            out->epoch = r.value;
            continue;
        }
        if (!have_page)
            break;
        if (r.type == J_SNAP_END) {
            if (r.value == count)
                out->valid = true;
            continue;
        }
        if (!out->valid)
            count++;
        if (apply)
            fold(u, &r);
    }
    return UPDATE_OK;
}

int upd_journal_load(update_t *u)
{
    struct jpage_scan s[2];
    int best = -1;
    memset(u->st, 0, sizeof(u->st));
    u->jpage = 0;
    for (int i = 0; i < 2; i++) {
        int rc = jpage_scan(u, u->layout->journal + (uint32_t)i * flash_page_size(u->flash), false, &s[i]);
        if (rc)
            return rc;
        if (s[i].valid && (best < 0 || s[i].epoch > s[best].epoch))
            best = i;
    }
    if (best < 0)
        return UPDATE_OK; /* unformatted: empty state */
    u->jpage = u->layout->journal + (uint32_t)best * flash_page_size(u->flash);
    u->jepoch = s[best].epoch;
    u->jnext = s[best].next;
    struct jpage_scan again;
    return jpage_scan(u, u->jpage, true, &again);
}

static int jwrite(update_t *u, uint32_t addr, const struct jrec *r)
{
    uint8_t b[JREC_SIZE];
    jrec_encode(r, b);
    int rc = flash_program(u->flash, addr, b, JREC_SIZE);
    return rc ? upd_ferr(u, rc) : UPDATE_OK;
}

static int snap_ref(update_t *u, uint32_t addr, uint32_t *off, uint8_t type, uint32_t comp,
                    const struct update_ref *ref, uint32_t value)
{
    struct jrec r = {.type = type, .comp = (uint8_t)comp, .slot = ref->slot, .value = value,
                     .reason = type == J_REJECT ? ref->reason : 0};
    memcpy(r.digest, ref->digest, 8);
    int rc = jwrite(u, addr + *off, &r);
    *off += JREC_SIZE;
    return rc;
}

/* Opens the other journal page with a snapshot of the current state. */
static int journal_compact(update_t *u)
{
    uint32_t target = u->layout->journal;
    if (u->jpage == target)
        target += flash_page_size(u->flash);
    uint32_t off = 0, count = 0;
    int rc = flash_erase_page(u->flash, target);
    if (rc)
        return upd_ferr(u, rc);
    struct jrec pg = {.type = J_PAGE, .value = u->jepoch + 1};
    if ((rc = jwrite(u, target, &pg)))
        return rc;
    off = JREC_SIZE;
    for (uint32_t c = 1; c < UPDATE_COMPONENTS; c++) {
        const struct update_comp_state *s = &u->st[c];
        if (s->confirmed.set) {
            if ((rc = snap_ref(u, target, &off, J_CONFIRM, c, &s->confirmed, s->floor)))
                return rc;
            count++;
        }
        /* before TRIAL: folding TRIAL forgets the last revert */
        if (s->rejected.set) {
            if ((rc = snap_ref(u, target, &off, J_REJECT, c, &s->rejected, s->rejected.version)))
                return rc;
            count++;
        }
        if (s->trial.set) {
            if ((rc = snap_ref(u, target, &off, J_TRIAL, c, &s->trial, s->trial.version)))
                return rc;
            count++;
            if (s->attempted) {
                if ((rc = snap_ref(u, target, &off, J_ATTEMPT, c, &s->trial, 0)))
                    return rc;
                count++;
            }
        }
    }
    struct jrec end = {.type = J_SNAP_END, .value = count};
    if ((rc = jwrite(u, target + off, &end)))
        return rc;
    u->jpage = target;
    u->jepoch++;
    u->jnext = off + JREC_SIZE;
    return UPDATE_OK;
}

int upd_journal_append(update_t *u, const struct jrec *r)
{
    int rc;
    if (u->jpage == 0 || u->jnext > flash_page_size(u->flash) - JREC_SIZE)
        if ((rc = journal_compact(u)))
            return rc;
    rc = jwrite(u, u->jpage + u->jnext, r);
    u->jnext += JREC_SIZE;
    if (rc)
        return rc;
    fold(u, r);
    return UPDATE_OK;
}

int update_journal_format(update_t *u)
{
    int rc = flash_erase(u->flash, u->layout->journal, 2 * flash_page_size(u->flash));
    if (rc)
        return upd_ferr(u, rc);
    memset(u->st, 0, sizeof(u->st));
    u->jpage = 0;
    u->jepoch = 0;
    return journal_compact(u);
}

