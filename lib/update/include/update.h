/*
 * update.h: Keel's update engine and boot decision (lib/update), shared by
 * the boot ROM (microvisor slots), the microvisor (app slots, FOTA) and
 * host tools. One strategy: A/B slots, no swap, no scratch; the image is
 * run from RAM after verification. docs/flash-layout.md draws every byte.
 *
 *   download:  update_begin(envelope) -> update_write(offset, chunk)...
 *              -> update_finish() (hash check) -> update_activate()
 *   boot:      update_boot(component) -> slot to load (writes ATTEMPT or
 *              REJECT first when the decision says so)
 *   health:    update_confirm(component) | update_reject(component)
 *
 * Every persistent step is a record written once into erased flash (the
 * slot's manifest page, its progress log, the state journal); nothing is
 * ever rewritten in place. A power cut at any flash operation leaves a
 * state the decision table maps to a valid, signed image whose security
 * counter is not below the floor (tests/unit/update cuts at every one).
 *
 * Ownership: update_t is the caller's (about 5 KiB: it holds the manifest
 * scratch); flash, layout, trust and crypto are borrowed for the life of
 * the context. Data passed to update_write is borrowed for the call.
 */
#ifndef KEEL_UPDATE_H
#define KEEL_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash.h"
#include "manifest.h"

#define UPDATE_OK 0
#define UPDATE_E_FLASH (-1)     /* flash failed (power cut, I/O); see flash_err */
#define UPDATE_E_MANIFEST (-2)  /* manifest rejected; see manifest_err */
#define UPDATE_E_ROLLBACK (-3)  /* security counter below the device's floor */
#define UPDATE_E_COMPONENT (-4) /* unknown component */
#define UPDATE_E_TOO_BIG (-5)   /* layers do not fit the slot, or write past the end */
#define UPDATE_E_OFFSET (-6)    /* chunk not at update_next_offset() */
#define UPDATE_E_STATE (-7)     /* call out of sequence */
#define UPDATE_E_VERIFY (-8)    /* image bytes do not hash to the manifest's digests */
#define UPDATE_E_NONE (-9)      /* nothing to resume, confirm or reject */
#define UPDATE_E_MIN_MV (-10)   /* app needs a newer microvisor */
#define UPDATE_E_NO_IMAGE (-11) /* no bootable image: panic */
#define UPDATE_E_TARGET (-12)   /* a layer's target is not where comp's images run */
#define UPDATE_E_MV_TRIAL (-13) /* the microvisor is on trial: an app is confirmed after it */
#define UPDATE_E_TRIAL (-14)    /* comp's trial is running, not yet confirmed or rejected */
#define UPDATE_E_INCOMPLETE (-15) /* the slot's progress log has no VERIFIED record (the
                                   * download is unfinished, or the record was lost) */
#define UPDATE_E_DAMAGED (-16)  /* a staged image verified before no longer hashes: the
                                 * download is reopened from its first damaged layer */
#define UPDATE_E_INSTALLED (-17) /* this image is comp's confirmed one: nothing to do */
#define UPDATE_E_COUNT 18

#define UPDATE_SLOTS 2
#define UPDATE_COMPONENTS 3     /* indexed by enum manifest_component (0 unused) */

/* Where things live; the board fills it from its memory map. Every address
 * page aligned; each slot at least 3 pages. */
struct update_layout {
    uint32_t slot[UPDATE_COMPONENTS][UPDATE_SLOTS];
    uint32_t slot_size[UPDATE_COMPONENTS];
    uint32_t journal;           /* two pages */
};

/* ---- The boot decision, a pure function ---------------------------------- */

enum update_action {
    UPDATE_PANIC = 0,           /* nothing bootable */
    UPDATE_BOOT_A,              /* boot slot A, no write */
    UPDATE_BOOT_B,
    UPDATE_TRIAL_A,             /* write ATTEMPT, then boot the trial in A */
    UPDATE_TRIAL_B,
    UPDATE_REVERT_TO_A,         /* write REJECT for the trial in B, boot A */
    UPDATE_REVERT_TO_B,
};

#define UPDATE_NONE (-1)
struct update_decide_in {
    bool valid[UPDATE_SLOTS];   /* signed, trusted, counter >= floor, complete */
    int confirmed;              /* slot the journal confirms (digest matching), or UPDATE_NONE */
    int trial;                  /* slot activated for trial, or UPDATE_NONE */
    bool attempted;             /* the trial has been booted once */
    int newer;                  /* slot with the higher counter (ties: A) */
};

/* Table lookup from persisted state to action; UPDATE_PANIC by default. */
enum update_action update_decide(const struct update_decide_in *in);
/* The slot an action boots (0 or 1), or UPDATE_NONE for UPDATE_PANIC. */
int update_action_slot(enum update_action a);

/* ---- Persisted state ---------------------------------------------------------- */

struct update_ref {
    bool set;
    uint8_t slot;
    int8_t reason;              /* rejected: why (UPDATE_REJ_* or a check's UPDATE_E_*) */
    uint8_t digest[8];          /* SHA-256(manifest envelope)[0..8) */
    uint32_t version;           /* trial, rejected: the image's version (informative) */
};

/* Why a trial was rejected (the REJECT record's reason byte): */
#define UPDATE_REJ_FAILED 0     /* it failed its health rule (update_reject) */
#define UPDATE_REJ_RESET 1      /* the device reset after its first boot, before it was
                                 * confirmed (the boot decision's REVERT) */
/* ... or a negative UPDATE_E_* code: the boot found its slot unbootable for
 * that reason (UPDATE_E_VERIFY damaged bytes, UPDATE_E_INCOMPLETE, UPDATE_E_MIN_MV,
 * UPDATE_E_MANIFEST, ...; UPDATE_E_NONE: the slot no longer holds it). */
/* What a reason means, for consoles and hosts. */
const char *update_reject_strerror(int reason);

struct update_comp_state {
    struct update_ref confirmed;
    struct update_ref trial;
    struct update_ref rejected; /* the last trial rejected, until the next TRIAL */
    bool attempted;
    uint32_t floor;             /* anti-rollback: highest confirmed counter */
};

struct update_slot_info {
    struct manifest m;
    uint8_t digest[8];
    uint32_t addr;              /* slot address */
    uint32_t data;              /* address of layer 0 */
};

struct update_boot_result {
    enum update_action action;
    int slot;
    struct update_slot_info info;
    /* Why each slot was not bootable (UPDATE_OK if it was), with the
     * manifest reason behind UPDATE_E_MANIFEST: what the console shows. */
    int check[UPDATE_SLOTS];
    int manifest_err[UPDATE_SLOTS];
    /* This boot wrote REJECT for comp's trial (REVERT, or its slot could not
     * be booted): update_state(comp)->rejected says which image and why. */
    bool rejected;
    /* A record this boot found due (REJECT of a trial it does not start,
     * FRONTIER or BAD of a damaged slot) could not be written: UPDATE_OK, or
     * UPDATE_E_FLASH. The slot chosen boots anyway; the next boot tries the
     * record again. */
    int record_err;
};

/*
 * The device's loader (optional). map returns where the bytes of
 * [target, target + size) of a comp image run, or NULL if that range is
 * not inside comp's run-time window. With a loader, the full check of a
 * slot (update_slot_check with full, hence update_boot) copies every layer
 * there and hashes it in place: the bytes checked are the bytes that run,
 * and the image is hashed once. Layers must not overlap, in target order.
 * Without a loader (host tools) the layers are hashed in flash. The copy
 * and hash go in UPDATE_LOAD_STEP pieces, step called after each.
 * Ownership: the loader and ctx are borrowed for the life of the context.
 */
struct update_loader {
    void *(*map)(void *ctx, uint32_t comp, uint32_t target, uint32_t size);
    void *ctx;
    /* NULL, or called after every UPDATE_LOAD_STEP bytes copied and hashed
     * (the microvisor feeds its watchdog: a load is up to a whole slot). */
    void (*step)(void *ctx);
};
#define UPDATE_LOAD_STEP (16u * 1024u)

enum update_dl_state { UPDATE_IDLE = 0, UPDATE_DOWNLOADING, UPDATE_DOWNLOADED, UPDATE_VERIFIED };

typedef struct {
    const flash_t *flash;
    const struct update_layout *layout;
    const struct manifest_trust *trust;
    const struct manifest_crypto *crypto;
    const struct update_loader *loader; /* NULL, or set after update_init */
    uint32_t mv_version;        /* running microvisor (app min check); 0 = skip */
    int flash_err;              /* last flash error behind UPDATE_E_FLASH */
    int manifest_err;           /* last manifest reason behind UPDATE_E_MANIFEST */
    /* The image each component runs since this boot (update_boot started
     * it, or update_note_booted): the only proof that a slot's bytes still
     * hash, which UPDATE_E_INSTALLED needs. A log can say VERIFIED over
     * damaged bytes when the boot could not, or chose not to, record it. */
    struct update_ref booted[UPDATE_COMPONENTS];

    /* journal */
    struct update_comp_state st[UPDATE_COMPONENTS];
    uint32_t jpage;             /* address of the current journal page, 0 if none */
    uint32_t jepoch;
    uint32_t jnext;             /* byte offset of the next free record */

    /* download */
    enum update_dl_state dl;
    uint32_t dl_comp, dl_slot;
    struct update_slot_info dl_info;
    uint32_t total;             /* image bytes (layers, each padded to 16) */
    uint32_t next;              /* next image offset the caller must send */
    uint32_t pnext;             /* image bytes programmed */
    uint32_t frontier;          /* last progress record */
    uint32_t plog_next;         /* next free progress record, byte offset */
    uint8_t tail[16];
    uint32_t tail_len;
    bool dl_reverify;           /* the slot's log said VERIFIED when it was reopened:
                                 * finish hashes it again and writes nothing if it matches */
    uint32_t bad_off;           /* image offset of the layer that last failed a hash */
    /* update_finish_step: how far the hash of the image has got */
    bool vh_active;
    uint32_t vh_layer, vh_done, vh_off;
    manifest_sha256_ctx vh_ctx;

    uint8_t env[MANIFEST_MAX_SIZE];
    uint8_t scratch[MANIFEST_SCRATCH_SIZE];
    struct manifest_msg msg;
} update_t;

/* Reads the journal. UPDATE_OK or UPDATE_E_FLASH. */
int update_init(update_t *u, const flash_t *flash, const struct update_layout *layout,
                const struct manifest_trust *trust, const struct manifest_crypto *crypto);
/* Factory: erases the journal and starts it empty. */
int update_journal_format(update_t *u);
const struct update_comp_state *update_state(const update_t *u, uint32_t comp);

/* Checks slot `slot` of comp: manifest page, signature, component,
 * counter >= floor, min microvisor, download complete; with full, the
 * layer hashes too. UPDATE_OK with *info, or the reason. */
int update_slot_check(update_t *u, uint32_t comp, unsigned slot, bool full,
                      struct update_slot_info *info);
/* Decides which slot comp boots, performs the decision's journal write,
 * fully verifies the slot before returning it. Lazy: a slot's signature is
 * verified only if the decision depends on it (normally just the slot it
 * boots); the action is the one update_decide() gives on fully verified
 * facts. out->check[k] is UPDATE_OK for a slot that looked complete but was
 * not needed, hence not verified. What the boot finds is recorded, never
 * kept in RAM only: a slot whose layers no longer hash gets a FRONTIER
 * record back to its first damaged layer (it is no longer complete; the
 * same bundle sent again resumes there), and a trial the journal names that
 * this boot does not start (its slot damaged, incomplete, no longer holding
 * it, or failing a rule) gets REJECT with that reason (out->rejected).
 * Without room in the log for the FRONTIER the slot is marked BAD. A hash
 * failure is recorded only if a second hash, straight from flash, fails
 * too, and only when this boot then starts another slot of comp: with no
 * slot left to boot nothing is written (UPDATE_E_NO_IMAGE) and the next
 * boot hashes again, so a transient fault can never leave comp with
 * nothing bootable. A failed REJECT/FRONTIER/BAD write does not stop the
 * boot (out->record_err). */
int update_boot(update_t *u, uint32_t comp, struct update_boot_result *out);
/* The caller started comp from slot (verified and hashed by someone else
 * this boot: the microvisor, started by the boot ROM, notes its own slot).
 * Reads the slot's envelope for its digest. UPDATE_OK or an error. */
int update_note_booted(update_t *u, uint32_t comp, unsigned slot);

/* Starts (or, for the manifest already in the target slot, resumes) a
 * download of the image envelope describes. While a trial of that
 * component is running (attempted, not yet confirmed or rejected) begin,
 * resume and activate refuse with UPDATE_E_TRIAL: the target slot could be
 * the running trial's, and a new TRIAL record would replace it. The image
 * the journal confirms for that component is refused with
 * UPDATE_E_INSTALLED, nothing written (sending it again would put a second
 * copy on a new trial), but only if it is also the image running since this
 * boot (u->booted: hashed by this boot), its slot's log still says
 * complete, and no other image is activated to boot next. A resumed download whose
 * log says VERIFIED is reopened as UPDATE_DOWNLOADED: the image is hashed
 * again by update_finish before it can be activated (flash may have
 * changed since). On any error no download is open (UPDATE_IDLE).
 * envelope must not alias u's buffers. */
int update_begin(update_t *u, const uint8_t *envelope, size_t len);
/* After a reboot: picks up the download in comp's inactive slot.
 * UPDATE_E_NONE if there is none worth resuming. */
int update_resume(update_t *u, uint32_t comp);
/* The image offset the next update_write must start at. */
uint32_t update_next_offset(const update_t *u);
uint32_t update_total_size(const update_t *u);
/* Writes data at image offset (== update_next_offset()). Layer i's bytes
 * start at the sum of the earlier layers' sizes, each rounded up to 16.
 * After UPDATE_E_FLASH (here or from finish) the download is closed:
 * update_begin or update_resume reopens it from what the flash holds. */
int update_write(update_t *u, uint32_t offset, const void *data, size_t len);
/* All bytes written: flushes, hashes every layer against the manifest,
 * records the slot complete (VERIFIED). A download reopened from a VERIFIED
 * log is hashed again: if it still matches nothing is written; if it does
 * not, its bytes were damaged in flash since: the log is wound back to the
 * page where the first damaged layer starts (a FRONTIER record) and
 * UPDATE_E_DAMAGED is returned with no download open; update_begin then
 * resumes from there, so only the damaged part is sent again. A download
 * that never verified and does not hash is marked BAD (UPDATE_E_VERIFY):
 * the next begin starts it over. */
int update_finish(update_t *u);
/* update_finish in bounded steps, for callers with a time budget (the
 * microvisor's deferred work): each call hashes at most max_bytes of the
 * image. Returns 1 while more remains, else what update_finish returns.
 * A write or begin in between starts the hash over. */
int update_finish_step(update_t *u, uint32_t max_bytes);
/* Marks the verified download as the trial to boot next. Activating the
 * image the journal already names as the next trial (same slot and
 * digest, not yet booted) writes nothing and returns UPDATE_OK, so
 * repeated BEGIN + FINISH + ACTIVATE cannot wear the journal;
 * update_activated_already tells the caller beforehand. */
int update_activate(update_t *u);
/* The verified download is already the next trial: update_activate would
 * write nothing. */
bool update_activated_already(const update_t *u);
/* A trial of comp is running: booted once (ATTEMPT), not yet confirmed or
 * rejected. A reset now ends it: the next boot REVERTs it. */
bool update_trial_running(const update_t *u, uint32_t comp);
/* The running trial of comp is healthy: make it the confirmed image and
 * raise the anti-rollback floor to its counter. An application is never
 * confirmed while the microvisor is on trial (its trial attempted, not
 * confirmed): UPDATE_E_MV_TRIAL, nothing written; ask again once the
 * microvisor is confirmed. (Otherwise the app's raised floor could reject
 * the old app a microvisor revert needs, while the new app needs the new
 * microvisor: no bootable app.) */
int update_confirm(update_t *u, uint32_t comp);
/* The trial of comp in the journal failed (crash, health rule): revert. */
int update_reject(update_t *u, uint32_t comp);
/* update_reject, but only if the journal's trial is the one running: booted
 * (attempted), in slot with that manifest digest (the loaded image's
 * update_slot_info.digest). UPDATE_E_NONE, nothing written, otherwise: a
 * failed trial must never reject an image activated after it. */
int update_reject_running(update_t *u, uint32_t comp, unsigned slot, const uint8_t digest[8]);

const char *update_strerror(int err);

/* ---- Trusted signers, persisted ---------------------------------------------
 * Two pages at addr hold snapshots of struct manifest_trust, each written
 * in one program operation with a CRC; the valid one with the higher epoch
 * is current. A rotation writes the next snapshot into the other page, so a
 * cut leaves either the old or the new set, never a mix. */

/* Factory: erases both pages and writes trust as epoch 1. */
int update_trust_write(const flash_t *flash, uint32_t addr, const struct manifest_trust *trust);
/* The current set into *trust; UPDATE_E_NONE if neither page is valid. */
int update_trust_load(const flash_t *flash, uint32_t addr, struct manifest_trust *trust);
/* Verifies a key-rotation envelope against *trust, applies it and persists
 * the result; *trust changes only if everything succeeded. Rejections:
 * UPDATE_E_MANIFEST with *manifest_err (MANIFEST_E_TYPE if it is not a
 * rotation, MANIFEST_E_ROTATION if replayed or emptying a scope, ...). */
int update_trust_rotate(const flash_t *flash, uint32_t addr, struct manifest_trust *trust,
                        const uint8_t *envelope, size_t len,
                        const struct manifest_crypto *crypto, uint8_t *scratch,
                        size_t scratch_len, int *manifest_err);

#endif /* KEEL_UPDATE_H */
