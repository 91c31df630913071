/* lib/update: what the boot records about damaged slots and when
 * "already installed" may be answered (review of issue 10: H1, M1, L1,
 * L2, L4's full log). Each case failed before its fix. */
#include "harness.h"

static void new_device(update_t *u, const struct image *mv, const struct image *app)
{
    flash_sim_init(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_journal_format(u), UPDATE_OK);
    EXPECT(install(u, mv, 4096), UPDATE_OK);
    EXPECT(install(u, app, 4096), UPDATE_OK);
}

static void confirm_first_boot(update_t *u)
{
    struct update_boot_result r;
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_MICROVISOR), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_OK);
}

/* H1: a near-maximum confirmed app (its log has no room to wind back) is
 * damaged in flash. Its log still says VERIFIED, but the same bundle is
 * not "already installed": nothing booted it. It is sent to the other
 * slot, and boots. */
static void test_installed_needs_boot(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct image mv1, app1;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 2140000, 1, seed_app);
    new_device(u, &mv1, &app1);
    confirm_first_boot(u);
    EXPECT(update_begin(u, app1.env, app1.env_len), UPDATE_E_INSTALLED); /* booted, intact */
    mem[FLASH_APP_SLOT_A + 2 * PAGE - FLASH_BASE + 100] ^= 1;
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_E_NO_IMAGE);
    CHECK(r.check[0] == UPDATE_E_VERIFY);
    EXPECT(update_begin(u, app1.env, app1.env_len), UPDATE_OK);
    CHECK(u->dl_slot == 1);
    EXPECT(send_rest(u, &app1, 65536), UPDATE_OK);
    EXPECT(update_finish(u), UPDATE_OK);
    EXPECT(update_activate(u), UPDATE_OK);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_B && r.info.m.version == 0x01000000);
    EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_OK);
    EXPECT(update_begin(u, app1.env, app1.env_len), UPDATE_E_INSTALLED);
    /* a fresh context (the update port after a reboot) knows nothing yet:
     * only a boot, or the microvisor noting its slot, proves the bytes */
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_begin(u, mv1.env, mv1.env_len), UPDATE_OK);
    EXPECT(update_note_booted(u, MANIFEST_COMP_MICROVISOR, 0), UPDATE_OK);
    EXPECT(update_begin(u, mv1.env, mv1.env_len), UPDATE_E_INSTALLED);
    free(mv1.bytes);
    free(app1.bytes);
    free(u);
}

/* L4/H1: an activated app is damaged and sent again, round after round,
 * in the same slot, until its log has no room to wind back: every boot
 * still records it (FRONTIER, then BAD), never leaving it "complete", and
 * the same bundle repairs it every time. */
static void test_full_log(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct update_slot_info info;
    struct image mv1, app1, app2;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x02000000, 2, 1200000, 1, seed_app);
    new_device(u, &mv1, &app1);
    confirm_first_boot(u);
    EXPECT(install(u, &app2, 65536), UPDATE_OK);
    bool saw_bad = false;
    for (int round = 0; round < 6; round++) {
        mem[FLASH_APP_SLOT_B + 2 * PAGE - FLASH_BASE + 600000] ^= 4;
        EXPECT(boot_ctx(u), UPDATE_OK);
        EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
        CHECK(r.action == UPDATE_BOOT_A && r.rejected && r.record_err == UPDATE_OK);
        int rc = update_slot_check(u, MANIFEST_COMP_APP, 1, false, &info);
        CHECK(rc == UPDATE_E_INCOMPLETE || rc == UPDATE_E_VERIFY); /* recorded */
        saw_bad = saw_bad || rc == UPDATE_E_VERIFY;
        mem[FLASH_APP_SLOT_B + 2 * PAGE - FLASH_BASE + 600000] ^= 4;
        EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
        CHECK(u->dl_slot == 1);
        EXPECT(send_rest(u, &app2, 65536), UPDATE_OK);
        EXPECT(update_finish(u), UPDATE_OK);
        EXPECT(update_activate(u), UPDATE_OK);
    }
    CHECK(saw_bad); /* the log did fill */
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_B && r.info.m.version == 0x02000000);
    free(mv1.bytes);
    free(app1.bytes);
    free(app2.bytes);
    free(u);
}

/* M1: the only microvisor slot fails its hash for one boot (a glitch).
 * Nothing is recorded with nothing else to boot, so the next clean boot
 * starts it. */
static void test_transient_not_recorded(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct image mv1, app1;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    new_device(u, &mv1, &app1);
    confirm_first_boot(u);
    uint8_t *p = &mem[layout.slot[MANIFEST_COMP_MICROVISOR][0] + 2 * PAGE - FLASH_BASE + 10];
    *p ^= 1;
    EXPECT(boot_ctx(u), UPDATE_OK);
    flash_sim_reset_count(&sim);
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_E_NO_IMAGE);
    CHECK(r.check[0] == UPDATE_E_VERIFY && flash_sim_ops(&sim) == 0); /* nothing written */
    *p ^= 1;
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_BOOT_A);
    free(mv1.bytes);
    free(app1.bytes);
    free(u);
}

/* L1: v2 is activated (not booted yet); the confirmed v1 sent again is not
 * "already installed" (the next boot would run v2): it is downloaded and
 * activated, and the next boot runs v1. */
static void test_installed_pending_trial(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct image mv1, app1, app2;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x02000000, 1, 3000, 1, seed_app);
    new_device(u, &mv1, &app1);
    confirm_first_boot(u);
    EXPECT(install(u, &app2, 1000), UPDATE_OK);
    EXPECT(install(u, &app1, 1000), UPDATE_OK);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.info.m.version == 0x01000000);
    free(mv1.bytes);
    free(app1.bytes);
    free(app2.bytes);
    free(u);
}

/* L2: the boot's REJECT of an unbootable trial cannot be written (the
 * journal unit is already programmed): the confirmed slot boots anyway and
 * the failure is reported. */
static void test_record_error_boots(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct image mv1, app1, app2;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x02000000, 2, 3000, 1, seed_app);
    new_device(u, &mv1, &app1);
    confirm_first_boot(u);
    EXPECT(install(u, &app2, 1000), UPDATE_OK);
    mem[FLASH_APP_SLOT_B + 2 * PAGE - FLASH_BASE + 7] ^= 2;
    EXPECT(boot_ctx(u), UPDATE_OK);
    uint32_t unit = (u->jpage + u->jnext - FLASH_BASE) / 16u;
    bitmap[unit / 8] |= (uint8_t)(1u << (unit % 8)); /* worn: cannot be programmed */
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_BOOT_A && r.record_err == UPDATE_E_FLASH && !r.rejected);
    CHECK(r.info.m.version == 0x01000000);
    free(mv1.bytes);
    free(app1.bytes);
    free(app2.bytes);
    free(u);
}

int main(void)
{
    harness_init();
    test_installed_needs_boot();
    test_full_log();
    test_transient_not_recorded();
    test_installed_pending_trial();
    test_record_error_boots();
    free(mem);
    free(bitmap);
    if (failures) {
        fprintf(stderr, "test_update_records: %d failures\n", failures);
        return 1;
    }
    puts("test_update_records: ok");
    return 0;
}
