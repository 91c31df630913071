/*
 * The trial of a newly installed image, for both components: the health
 * rules that confirm it, the revert when it fails, and the update status
 * the application can query (mvGetUpdateStatus). docs/updates.md states
 * the rules; lib/update keeps the journal they write.
 */
#ifndef TRIAL_H
#define TRIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "mv_syscalls.h"
#include "update.h"

struct boot_handoff;

/* At boot, before app_load: reads the trusted signers and the update
 * journal, and learns from it whether this microvisor (the boot ROM's
 * handoff names its slot) runs on trial. 0, or -1 if there is no journal
 * or no signer (no app can then be loaded either). */
int trial_init(const struct boot_handoff *handoff);

/* The update context the app loader uses (signers, journal), or NULL
 * before a successful trial_init. */
update_t *trial_update(void);

/* app_load chose and loaded r's image: remember what runs and, for a
 * first boot on trial, its health time (the manifest's policy). */
void trial_app_loaded(const struct update_boot_result *r);

/* The application stopped (fault, hang, restart request) at now_us. True
 * if it was on trial and not yet confirmed: the trial has failed, the
 * stopped app must not be restarted; the microvisor's deferred work
 * rejects it and loads the previous image (trial_poll). */
bool trial_app_failed(enum app_stop_kind why, uint64_t now_us);

/* mvConfirmApplicationUpdate: the running trial counts as confirmed from
 * now on (deferred work writes CONFIRM at once). MV_STATUS_OKAY, or
 * MV_STATUS_UNAVAILABLE if nothing is on trial. */
uint32_t trial_app_confirm(void);

/* Registers trial_poll as periodic deferred work (after sched_init). */
void trial_start(void);

/* Deferred work, every MV_TRIAL_POLL_MS: applies the health rules
 * (confirm a trial that has run long enough) and performs a pending
 * revert. */
void trial_poll(uint64_t now_us);

/* Would a device reset now end a trial that can still pass? True with
 * *comp (MANIFEST_COMP_*) and *ms_left (an estimate of when its health rule
 * passes) if so: the boot cannot tell a requested reset from a crash, so it
 * would revert that trial (docs/updates.md, "Two components"). A trial
 * that cannot pass any more (its confirmation failed for good, or a
 * microvisor trial with no application loaded) does not hold a reset up;
 * trial_running tells whether a reset ends one all the same. */
bool trial_reset_blocked(uint32_t *comp, uint32_t *ms_left);
/* A trial runs (booted, not yet confirmed or rejected): *comp which. */
bool trial_running(uint32_t *comp);

/* A reset was requested (an activation) while trial_reset_blocked: the
 * health rules' deferred work resets the device as soon as no trial that
 * can still pass runs (confirmed, or reverted in place). */
void trial_reset_when_clear(const char *what);
/* A reset asked for by trial_reset_when_clear has not happened yet: the
 * update port refuses new sessions (UPROTO_E_REBOOTING). */
bool trial_reset_pending(void);

/* What mvGetUpdateStatus reports. */
void trial_status(struct MvUpdateStatus *out);

#endif /* TRIAL_H */
