/* microvisor/core/trial.c on the host (review-10 L4): the deferral of a
 * reboot an activation asks for, with a fake clock and a fake reset.
 * trial.c is compiled into this file so its state can be driven through
 * its own functions; the board, console and scheduler are stubs. */
#include <setjmp.h>
#include <stdarg.h>

#include "harness.h"

/* trial.c reads the signers from the provisioning area and verifies with
 * the device's crypto; here the harness's signers and crypto stand in */
#define update_trust_load test_trust_load
#define manifest_crypto_keel DEVICE_CRYPTO
int test_trust_load(const flash_t *f, uint32_t addr, struct manifest_trust *t);
#include "../../../microvisor/core/trial.c"

static uint64_t now_us;
static jmp_buf reset_jmp;
static int resets, reverts_restarted;
static enum app_state fake_app_state = APP_RUNNING;

int test_trust_load(const flash_t *f, uint32_t addr, struct manifest_trust *t)
{
    (void)f;
    (void)addr;
    *t = trust;
    return UPDATE_OK;
}
uint64_t board_time_us(void) { return now_us; }
const flash_t *board_flash(void) { return &fl; }
const struct update_layout *board_update_layout(void) { return &layout; }
uint32_t board_trust_addr(void) { return 0; }
void board_update_port_drain(void) {}
void board_reset(void)
{
    resets++;
    longjmp(reset_jmp, 1);
}
void console_printf(const char *fmt, ...)
{
    (void)fmt;
}
void work_submit(int id, uint64_t t) { (void)id; (void)t; }
int sched_every(void (*fn)(uint64_t), uint32_t period_us) { (void)fn; (void)period_us; return 0; }
void wake_reason_set(uint32_t reason) { (void)reason; }
enum app_state app_state(void) { return fake_app_state; }
void app_revert_restart(uint64_t t) { (void)t; reverts_restarted++; }
const char *app_stop_name(enum app_stop_kind kind) { (void)kind; return "stop"; }

/* Runs trial_poll at t; true if it reset the device. */
static bool poll_at(uint64_t t)
{
    now_us = t;
    if (setjmp(reset_jmp))
        return true;
    trial_poll(now_us);
    return false;
}

static void reset_trial_state(void)
{
    memset(&run_app, 0, sizeof(run_app));
    memset(&run_mv, 0, sizeof(run_mv));
    app_loaded_once = false;
    app_confirm_requested = false;
    app_revert_pending = false;
    reset_pending = NULL;
    resets = reverts_restarted = 0;
}

/* A device with mv1 confirmed and app1 (trial_s s) booted on trial. */
static void device_with_app_trial(struct image *mv1, struct image *app1, uint32_t trial_s)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    flash_sim_init(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_journal_format(u), UPDATE_OK);
    EXPECT(install(u, mv1, 4096), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_MICROVISOR), UPDATE_OK);
    EXPECT(install(u, app1, 4096), UPDATE_OK);
    free(u);
    reset_trial_state();
    struct boot_handoff h = {.magic = BOOT_HANDOFF_MAGIC, .slot = 0, .version = mv1->version};
    now_us = 1000000;
    CHECK(trial_init(&h) == 0);
    CHECK(run_mv.state == MV_UPDATESTATE_CONFIRMED);
    /* the mv noted its booted slot: the same bundle is "already installed" */
    EXPECT(update_begin(&trial_u, mv1->env, mv1->env_len), UPDATE_E_INSTALLED);
    EXPECT(update_boot(&trial_u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_A);
    r.info.m.has_policy = true;
    r.info.m.policy.trial_s = trial_s;
    trial_app_loaded(&r);
    CHECK(run_app.state == MV_UPDATESTATE_TRIAL);
}

/* M2: an app trial of 24 h holds an activation's reboot off for at most
 * MV_RESET_DEFER_MAX_MS, and the wait the host is told is that one. */
static void test_deferral_capped(void)
{
    struct image mv1, app1;
    uint32_t comp, ms;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    device_with_app_trial(&mv1, &app1, 86400);
    now_us += 1000000;
    CHECK(trial_reset_blocked(&comp, &ms) && comp == MANIFEST_COMP_APP);
    CHECK(ms == MV_RESET_DEFER_MAX_MS + MV_TRIAL_POLL_MS);
    CHECK(!trial_reset_pending());
    trial_reset_when_clear("microvisor");
    CHECK(trial_reset_pending());
    uint64_t asked = now_us;
    CHECK(!poll_at(asked + (uint64_t)MV_RESET_DEFER_MAX_MS * 1000u - 1000u));
    CHECK(trial_reset_blocked(&comp, &ms) && ms <= 1u + MV_TRIAL_POLL_MS);
    CHECK(poll_at(asked + (uint64_t)MV_RESET_DEFER_MAX_MS * 1000u) && resets == 1);
    free(mv1.bytes);
    free(app1.bytes);
}

/* A short app trial: the deferred reset fires once it has passed (and is
 * confirmed), not before. */
static void test_deferral_until_confirmed(void)
{
    struct image mv1, app1;
    uint32_t comp, ms;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    device_with_app_trial(&mv1, &app1, 10);
    uint64_t start = now_us;
    CHECK(trial_reset_blocked(&comp, &ms) && ms == 10000u + MV_TRIAL_POLL_MS);
    trial_reset_when_clear("microvisor");
    CHECK(!poll_at(start + 5000000));
    CHECK(resets == 0 && run_app.state == MV_UPDATESTATE_TRIAL);
    CHECK(poll_at(start + 10000000) && resets == 1);
    CHECK(run_app.state == MV_UPDATESTATE_CONFIRMED);
    free(mv1.bytes);
    free(app1.bytes);
}

/* An app trial that fails during the deferral: the REJECT and the revert
 * in place come first (the reset waits for them), then the reset. */
static void test_deferral_app_fails(void)
{
    struct image mv1, app1;
    uint32_t comp, ms;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    device_with_app_trial(&mv1, &app1, 60);
    trial_reset_when_clear("microvisor");
    CHECK(trial_app_failed(APP_STOP_HARDFAULT, now_us + 1000));
    CHECK(trial_reset_blocked(&comp, &ms) && comp == MANIFEST_COMP_APP);
    CHECK(!poll_at(now_us + 2000)); /* the revert's work: REJECT, restart */
    CHECK(reverts_restarted == 1 && resets == 0);
    CHECK(update_state(&trial_u, MANIFEST_COMP_APP)->rejected.set);
    CHECK(!trial_reset_blocked(&comp, &ms));
    CHECK(poll_at(now_us + 100000) && resets == 1);
    free(mv1.bytes);
    free(app1.bytes);
}

/* A microvisor on trial with no application loaded never passes: it does
 * not hold a reset off (the activation answers ENDS_TRIAL). */
static void test_mv_trial_no_app(void)
{
    struct image mv1, mv2;
    uint32_t comp, ms;
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&mv2, MANIFEST_COMP_MICROVISOR, 0x01010000, 2, 5000, 1, seed_mv);
    flash_sim_init(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_journal_format(u), UPDATE_OK);
    EXPECT(install(u, &mv1, 4096), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_MICROVISOR), UPDATE_OK);
    EXPECT(install(u, &mv2, 4096), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_B);
    free(u);
    reset_trial_state();
    struct boot_handoff h = {.magic = BOOT_HANDOFF_MAGIC, .slot = 1, .version = mv2.version};
    CHECK(trial_init(&h) == 0 && run_mv.state == MV_UPDATESTATE_TRIAL);
    CHECK(!trial_reset_blocked(&comp, &ms));
    CHECK(trial_running(&comp) && comp == MANIFEST_COMP_MICROVISOR);
    free(mv1.bytes);
    free(mv2.bytes);
}

int main(void)
{
    harness_init();
    test_deferral_capped();
    test_deferral_until_confirmed();
    test_deferral_app_fails();
    test_mv_trial_no_app();
    free(mem);
    free(bitmap);
    if (failures) {
        fprintf(stderr, "test_update_trial: %d failures\n", failures);
        return 1;
    }
    puts("test_update_trial: ok");
    return 0;
}
