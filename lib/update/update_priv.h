/*
 * update_priv.h: what lib/update's files share and nothing else sees: the
 * on-flash record formats (docs/flash-layout.md) and the helpers both the
 * engine (update.c) and the boot decision (update_boot.c) use. upd_* names
 * are library-private.
 */
#ifndef KEEL_UPDATE_PRIV_H
#define KEEL_UPDATE_PRIV_H

#include "update.h"

#define MAN_MAGIC 0x4E414D4Bu  /* "KMAN" */
#define PRG_MAGIC 0x4752504Bu  /* "KPRG" */
#define JRN_MAGIC 0x314E524Au  /* "JRN1" */
#define HDR_SIZE 16u
#define PRG_SIZE 16u
#define JREC_SIZE 32u

enum { PRG_FRONTIER = 1, PRG_VERIFIED = 2, PRG_BAD = 3 };
enum { J_PAGE = 1, J_SNAP_END = 2, J_TRIAL = 3, J_ATTEMPT = 4, J_CONFIRM = 5, J_REJECT = 6 };

struct jrec {
    uint8_t type, comp, slot;
    int8_t reason;  /* REJECT: UPDATE_REJ_* or a check's UPDATE_E_* (byte 7); else 0 */
    uint32_t value;
    uint8_t digest[8];
};

struct progress {
    uint32_t frontier;
    bool verified, bad;
    uint32_t next; /* byte offset of the first free entry; page size if full */
};

uint32_t upd_get32(const uint8_t *p);
void upd_put32(uint8_t *p, uint32_t v);
bool upd_all_erased(const update_t *u, const uint8_t *p, size_t n);
/* ref names slot and digest d. */
bool upd_ref_is(const struct update_ref *ref, unsigned slot, const uint8_t d[8]);
/* Reads both journal pages and folds the current one into u->st. */
int upd_journal_load(update_t *u);
/* Records a flash error in u->flash_err; returns UPDATE_E_FLASH. */
int upd_ferr(update_t *u, int rc);
bool upd_comp_ok(uint32_t comp);
uint32_t upd_slot_addr(const update_t *u, uint32_t comp, unsigned slot);
/* SHA-256(env)[0..8): the name of an image in the journal. */
/* The committed manifest page of comp's slot: its envelope into u->env,
 * *len its length (UPDATE_OK); UPDATE_E_NONE if the page is not committed
 * (empty, torn, bad CRC); UPDATE_E_FLASH on a read error. */
int upd_read_envelope(update_t *u, uint32_t comp, unsigned slot, size_t *len);
void upd_digest8(update_t *u, const uint8_t *env, size_t len, uint8_t out[8]);
int upd_progress_scan(update_t *u, uint32_t comp, unsigned slot, struct progress *p);
/* Hashes a slot's layers in flash, or (with a loader) copies each where it
 * runs and hashes it there; UPDATE_E_VERIFY on a mismatch. */
int upd_hash_layers(update_t *u, const struct update_slot_info *info);
int upd_load_layers(update_t *u, uint32_t comp, const struct update_slot_info *info);
/* Winds a VERIFIED slot's progress log back to the page holding image
 * offset `offset` (a FRONTIER record): its bytes from there were found
 * damaged. UPDATE_OK; UPDATE_E_NONE if the log is not VERIFIED or has no
 * room left (begin then starts the download over); UPDATE_E_FLASH. */
int upd_progress_rewind(update_t *u, uint32_t comp, unsigned slot, uint32_t total,
                        uint32_t offset);
/* Appends BAD to a VERIFIED slot's log (its bytes no longer hash and the
 * log has no room to wind back). UPDATE_OK (also if not VERIFIED, nothing
 * written); UPDATE_E_NONE if not even one entry is left; UPDATE_E_FLASH. */
int upd_progress_mark_bad(update_t *u, uint32_t comp, unsigned slot);
/* The image bytes of an image's layers, each padded to 16. */
uint32_t upd_image_total(const struct manifest *m);
/* Appends r to the journal (moving to the other page when full) and folds
 * it into u->st. */
int upd_journal_append(update_t *u, const struct jrec *r);

#endif /* KEEL_UPDATE_PRIV_H */
