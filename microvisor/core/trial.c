/*
 * IMPLEMENTATION NOTES
 * A new image boots once "on trial" (lib/update's decision wrote ATTEMPT
 * before it was loaded) and must pass a health rule before the journal
 * CONFIRMs it and raises the anti-rollback floor; a trial that fails, or a
 * device that resets before the confirmation, goes back to the previous
 * image. docs/updates.md states the rules; here is how they run:
 *
 *  - application: confirmed when it has run its health time (the
 *    manifest's policy trial_s, default 10 s) since it was loaded without
 *    stopping, or at once when it calls mvConfirmApplicationUpdate; but
 *    never while the microvisor is on trial: then the passed trial is kept
 *    (a later stop no longer fails it) and CONFIRM is written once the
 *    microvisor is confirmed (a microvisor revert must find the old app
 *    still above the floor; lib/update refuses it too). Any stop
 *    before that (a fault, a hang, a restart request, which is also what
 *    exit() does) fails the trial: the app is parked,
 *    deferred work writes REJECT and loads the previous image in place
 *    (app_revert_restart), without resetting the device, so the network and
 *    a microvisor trial are not disturbed by the application's failure.
 *  - microvisor: confirmed when, MV_TRIAL_MS after it started, it has loaded
 *    a valid application and its deferred work still runs (this rule is
 *    itself deferred work, which also feeds the watchdog). A microvisor
 *    fault or the watchdog resets the device before that, and the boot ROM
 *    finds the trial attempted and not confirmed: REVERT (REJECT, then the
 *    previous slot). Until the cloud link exists this local rule stands in
 *    for "reached the cloud".
 *
 * A reset requested during a trial (the update port activating the other
 * component) would end that trial: the boot cannot tell it from a crash
 * and reverts it. So trial_reset_blocked holds such a reset up while the
 * trial can still pass, and trial_poll performs it (trial_reset_when_clear)
 * once the trial is confirmed or reverted in place: an update of the
 * other component, activated meanwhile, then boots without costing this
 * one (docs/updates.md, "Two components").
 *
 * Journal writes (CONFIRM, REJECT) happen only in deferred work: the
 * gateway call and the fault path just set flags and submit the work, so
 * the update context is never used from two priorities at once.
 */
#include "trial.h"

#include <string.h>

#include "board.h"
#include "board_flash.h"
#include "boot_handoff.h"
#include "console.h"
#include "manifest_crypto_keel.h"
#include "mv_config.h"
#include "sched.h"
#include "work.h"
#include "wake.h"

struct trial_run {
    uint32_t state;            /* MV_UPDATESTATE_* */
    uint32_t version, slot, rejected_version;
    bool stuck;                /* update_confirm failed for good: not retried */
};

static struct manifest_trust trial_trust;
static update_t trial_u;
static bool trial_ready;
static struct trial_run run_app, run_mv;
static bool app_loaded_once;
static uint64_t app_trial_start_us;
static uint32_t app_trial_ms;
static uint8_t app_digest[8];  /* the loaded image's manifest digest */
static volatile bool app_confirm_requested;
static const char *app_confirm_why;
static bool app_confirm_waits; /* the wait for the microvisor was logged */
static volatile bool app_revert_pending;
static int trial_work = -1;
static const char *reset_pending; /* what a held-up reset boots into, or NULL */
static uint64_t reset_asked_us;   /* when it was asked for */
static void trial_reset_if_clear(void);

static void trial_putversion(const char *what, uint32_t v)
{
    console_printf("%s %u.%u.%u", what, v >> 24, (v >> 16) & 0xFFu, v & 0xFFFFu);
}

int trial_init(const struct boot_handoff *h)
{
    if (update_trust_load(board_flash(), board_trust_addr(), &trial_trust) != UPDATE_OK) {
        console_printf("[mv] no trusted signers in the provisioning area\n");
        return -1;
    }
    if (update_init(&trial_u, board_flash(), board_update_layout(), &trial_trust,
                    &manifest_crypto_keel) != UPDATE_OK) {
        console_printf("[mv] cannot read the update journal\n");
        return -1;
    }
    trial_ready = true;
    const struct update_comp_state *s = update_state(&trial_u, MANIFEST_COMP_MICROVISOR);
    bool known = h->magic == BOOT_HANDOFF_MAGIC;
    run_mv.version = known ? h->version : 0;
    run_mv.slot = known ? h->slot : 0;
    run_mv.state = MV_UPDATESTATE_CONFIRMED;
    /* the boot ROM hashed and started this slot: what lets the update port
     * answer "already installed" for it (never the log alone) */
    if (known && h->slot < UPDATE_SLOTS)
        (void)update_note_booted(&trial_u, MANIFEST_COMP_MICROVISOR, h->slot);
    if (known && s->trial.set && s->attempted && s->trial.slot == h->slot) {
        run_mv.state = MV_UPDATESTATE_TRIAL;
        wake_reason_set(MV_WAKEREASON_MICROVISORUPDATE);
        console_printf("[mv] microvisor on trial: confirmed once it has run %u ms with an "
                       "application loaded\n", MV_TRIAL_MS);
    } else if (s->rejected.set) {
        run_mv.state = MV_UPDATESTATE_REVERTED;
        run_mv.rejected_version = s->rejected.version;
        trial_putversion("[mv] microvisor update", s->rejected.version);
        console_printf(" was rejected (%s); running the previous microvisor\n",
                       update_reject_strerror(s->rejected.reason));
    }
    return 0;
}

update_t *trial_update(void)
{
    return trial_ready ? &trial_u : NULL;
}

void trial_app_loaded(const struct update_boot_result *r)
{
    const struct update_comp_state *s = update_state(&trial_u, MANIFEST_COMP_APP);
    app_loaded_once = true;
    run_app.version = r->info.m.version;
    run_app.slot = (uint32_t)r->slot;
    run_app.state = MV_UPDATESTATE_CONFIRMED;
    run_app.stuck = false;
    memcpy(app_digest, r->info.digest, sizeof(app_digest));
    app_confirm_requested = false;
    app_confirm_waits = false;
    if (r->action == UPDATE_TRIAL_A || r->action == UPDATE_TRIAL_B) {
        uint32_t s_trial = r->info.m.has_policy && r->info.m.policy.trial_s
                           ? r->info.m.policy.trial_s : MANIFEST_TRIAL_DEFAULT_S;
        run_app.state = MV_UPDATESTATE_TRIAL;
        app_trial_ms = s_trial * 1000u;
        app_trial_start_us = board_time_us();
        console_printf("[mv] app on trial: confirmed after %u ms without a crash, or when "
                       "it confirms itself\n", app_trial_ms);
    } else if (s->rejected.set) {
        run_app.state = MV_UPDATESTATE_REVERTED;
        run_app.rejected_version = s->rejected.version;
        if (r->rejected && r->action != UPDATE_REVERT_TO_A && r->action != UPDATE_REVERT_TO_B) {
            /* the boot found the activated image unbootable: recorded */
            trial_putversion("[mv] app update", s->rejected.version);
            console_printf(" in slot %c rejected at boot: %s; it was not started\n",
                           'A' + s->rejected.slot, update_reject_strerror(s->rejected.reason));
        }
    }
}

bool trial_app_failed(enum app_stop_kind why, uint64_t now_us)
{
    if (run_app.state != MV_UPDATESTATE_TRIAL || app_confirm_requested)
        return false;
    run_app.state = MV_UPDATESTATE_REVERTED;
    run_app.rejected_version = run_app.version;
    app_revert_pending = true;
    trial_putversion("[mv] app trial failed: app", run_app.version);
    console_printf(" stopped (%s) after %u ms, before its health time of %u ms; "
                   "rejecting it\n", app_stop_name(why),
                   (uint32_t)((now_us - app_trial_start_us) / 1000u), app_trial_ms);
    work_submit(trial_work, now_us);
    return true;
}

uint32_t trial_app_confirm(void)
{
    if (run_app.state != MV_UPDATESTATE_TRIAL || app_confirm_requested)
        return MV_STATUS_UNAVAILABLE;
    app_confirm_why = "the application confirmed it";
    app_confirm_requested = true;
    work_submit(trial_work, board_time_us());
    return MV_STATUS_OKAY; /* written now, or once the microvisor is confirmed */
}

static void trial_confirm(uint32_t comp, struct trial_run *run, const char *why)
{
    int rc = update_confirm(&trial_u, comp);
    const char *what = comp == MANIFEST_COMP_APP ? "[mv] app" : "[mv] microvisor";
    trial_putversion(what, run->version);
    if (rc != UPDATE_OK) {
        /* a flash failure may pass; anything else (no such trial any more,
         * its image changed or no longer verifies) will not: stop asking,
         * each try costs a signature check. The next boot reverts it. */
        run->stuck = rc != UPDATE_E_FLASH;
        console_printf(" not confirmed: %s; it stays on trial%s\n", update_strerror(rc),
                       run->stuck ? " (not retried)" : "");
        return;
    }
    run->state = MV_UPDATESTATE_CONFIRMED;
    console_printf(" confirmed (%s); anti-rollback floor now %u\n", why,
                   update_state(&trial_u, comp)->floor);
}

void trial_poll(uint64_t now_us)
{
    if (!trial_ready)
        return;
    if (app_revert_pending) {
        app_revert_pending = false;
        /* only the trial that ran: never an image activated since */
        int rc = update_reject_running(&trial_u, MANIFEST_COMP_APP, run_app.slot, app_digest);
        if (rc != UPDATE_OK)
            console_printf("[mv] app trial: REJECT not written (%s); the decision reverts "
                           "anyway\n", update_strerror(rc));
        app_revert_restart(now_us);
        return;
    }
    if (run_app.state == MV_UPDATESTATE_TRIAL && !app_confirm_requested &&
        app_state() == APP_RUNNING &&
        now_us - app_trial_start_us >= (uint64_t)app_trial_ms * 1000u) {
        app_confirm_why = "ran its health time without a crash";
        app_confirm_requested = true; /* passed; from here it is as if it had asked */
    }
    if (run_mv.state == MV_UPDATESTATE_TRIAL && !run_mv.stuck && app_loaded_once &&
        now_us >= (uint64_t)MV_TRIAL_MS * 1000u)
        trial_confirm(MANIFEST_COMP_MICROVISOR, &run_mv,
                      "ran with an application loaded, no fault, no watchdog");
    if (run_app.state == MV_UPDATESTATE_TRIAL && !run_app.stuck && app_confirm_requested) {
        /* never while the microvisor is on trial: the app's raised floor
         * would reject the old app a microvisor revert needs */
        if (run_mv.state == MV_UPDATESTATE_TRIAL) {
            if (!app_confirm_waits) {
                app_confirm_waits = true;
                trial_putversion("[mv] app", run_app.version);
                console_printf(" passed its trial (%s); confirmed once the microvisor is\n",
                               app_confirm_why);
            }
        } else {
            trial_confirm(MANIFEST_COMP_APP, &run_app, app_confirm_why);
        }
    }
    trial_reset_if_clear();
}

bool trial_running(uint32_t *comp)
{
    if (run_mv.state == MV_UPDATESTATE_TRIAL)
        *comp = MANIFEST_COMP_MICROVISOR;
    else if (run_app.state == MV_UPDATESTATE_TRIAL)
        *comp = MANIFEST_COMP_APP;
    else
        return false;
    return true;
}

bool trial_reset_blocked(uint32_t *comp, uint32_t *ms_left)
{
    uint64_t now = board_time_us(), mv_end = (uint64_t)MV_TRIAL_MS * 1000u;
    if (app_revert_pending) { /* the failed trial's REJECT is not written yet */
        *comp = MANIFEST_COMP_APP;
        *ms_left = MV_TRIAL_POLL_MS;
        return true;
    }
    /* the microvisor's rule passes only with an application loaded */
    if (run_mv.state == MV_UPDATESTATE_TRIAL && !run_mv.stuck && app_loaded_once) {
        *comp = MANIFEST_COMP_MICROVISOR;
        *ms_left = (uint32_t)((now < mv_end ? mv_end - now : 0) / 1000u) + MV_TRIAL_POLL_MS;
        return true;
    }
    if (run_app.state == MV_UPDATESTATE_TRIAL && !run_app.stuck) {
        uint64_t end = app_trial_start_us + (uint64_t)app_trial_ms * 1000u;
        /* held off at most MV_RESET_DEFER_MAX_MS from the request: past
         * that the reset ends the app's trial (the answer said so) */
        uint64_t cap = (reset_pending ? reset_asked_us : now) +
                       (uint64_t)MV_RESET_DEFER_MAX_MS * 1000u;
        if (reset_pending && now >= cap)
            return false;
        if (end > cap)
            end = cap;
        *comp = MANIFEST_COMP_APP;
        *ms_left = (uint32_t)((app_confirm_requested || now >= end ? 0 : end - now) / 1000u) +
                   MV_TRIAL_POLL_MS;
        return true;
    }
    return false;
}

void trial_reset_when_clear(const char *what)
{
    if (!reset_pending)
        reset_asked_us = board_time_us();
    reset_pending = what;
}

bool trial_reset_pending(void)
{
    return reset_pending != NULL;
}

/* The reset an activation asked for, once no trial it would end runs. */
static void trial_reset_if_clear(void)
{
    uint32_t comp, ms;
    if (!reset_pending || trial_reset_blocked(&comp, &ms))
        return;
    if (run_app.state == MV_UPDATESTATE_TRIAL && !app_confirm_requested)
        console_printf("[upd] the reboot waited %u ms, the most an app trial may hold it "
                       "off: the app's trial ends\n", MV_RESET_DEFER_MAX_MS);
    console_printf("[upd] no trial runs now: rebooting into the activated %s\n", reset_pending);
    board_update_port_drain();
    board_reset();
}

void trial_start(void)
{
    trial_work = sched_every(trial_poll, MV_TRIAL_POLL_MS * 1000u);
}

static void trial_fill(struct MvUpdateComponentStatus *o, const struct trial_run *r)
{
    o->state = r->state;
    o->version = r->version;
    o->slot = r->slot;
    o->rejected_version = r->state == MV_UPDATESTATE_REVERTED ? r->rejected_version : 0;
}

void trial_status(struct MvUpdateStatus *out)
{
    memset(out, 0, sizeof(*out));
    trial_fill(&out->application, &run_app);
    trial_fill(&out->microvisor, &run_mv);
    if (!app_loaded_once)
        out->application.state = MV_UPDATESTATE_NONE;
}
