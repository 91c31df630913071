/* lib/update: the decision table against a reference model, the full
 * update / confirm / revert flow, resume after a reboot, and every
 * rejection with its reason. */
#include "harness.h"

/* Reference model of the boot decision, written as plain logic. */
static int model(const struct update_decide_in *in)
{
    const bool *v = in->valid;
    int t = in->trial, c = in->confirmed;
    if (t != UPDATE_NONE && v[t]) {
        if (!in->attempted)
            return t == 0 ? UPDATE_TRIAL_A : UPDATE_TRIAL_B;
        if (v[1 - t])
            return t == 0 ? UPDATE_REVERT_TO_B : UPDATE_REVERT_TO_A;
        return t == 0 ? UPDATE_BOOT_A : UPDATE_BOOT_B;
    }
    if (c != UPDATE_NONE) {
        int s = v[c] ? c : v[1 - c] ? 1 - c : UPDATE_NONE;
        return s == UPDATE_NONE ? UPDATE_PANIC : s == 0 ? UPDATE_BOOT_A : UPDATE_BOOT_B;
    }
    if (v[0] && v[1])
        return in->newer == 1 ? UPDATE_BOOT_B : UPDATE_BOOT_A;
    return v[0] ? UPDATE_BOOT_A : v[1] ? UPDATE_BOOT_B : UPDATE_PANIC;
}

static void test_decide_table(void)
{
    unsigned n = 0;
    for (int va = 0; va < 2; va++)
        for (int vb = 0; vb < 2; vb++)
            for (int c = -1; c < 2; c++)
                for (int t = -1; t < 2; t++)
                    for (int att = 0; att < 2; att++)
                        for (int nw = 0; nw < 2; nw++) {
                            struct update_decide_in in = {
                                .valid = {va, vb}, .confirmed = c, .trial = t,
                                .attempted = att, .newer = nw};
                            enum update_action a = update_decide(&in);
                            int s = update_action_slot(a);
                            if ((int)a != model(&in))
                                fprintf(stderr, "v%d%d c%d t%d a%d n%d: %d vs %d\n", va, vb, c, t, att, nw, a, model(&in));
                            CHECK((int)a == model(&in));
                            /* never boots an invalid slot; panics only with none valid */
                            CHECK(s == UPDATE_NONE ? !va && !vb : in.valid[s]);
                            n++;
                        }
    CHECK(n == 144);
}

static void test_flow(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct image mv1, app1, app2, app_old, app_evil, app_big, app_newmv;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 9000, 2, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x01010000, 2, 20000, 2, seed_app);
    make_image(&app_old, MANIFEST_COMP_APP, 0x00090000, 0, 1000, 1, seed_app);
    make_image(&app_evil, MANIFEST_COMP_APP, 0x09000000, 9, 1000, 1, seed_evil);
    make_image(&app_big, MANIFEST_COMP_APP, 0x01020000, 3, FLASH_APP_SLOT_SIZE, 1, seed_app);

    flash_sim_init(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_E_NO_IMAGE); /* blank flash */
    EXPECT(update_journal_format(u), UPDATE_OK);
    EXPECT(install(u, &mv1, 1000), UPDATE_OK);
    EXPECT(install(u, &app1, 777), UPDATE_OK);
    /* first boot: the trial runs once, then is confirmed */
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_A && r.info.m.version == 0x01000000);
    EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_E_NONE);
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_A);
    EXPECT(update_confirm(u, MANIFEST_COMP_MICROVISOR), UPDATE_OK);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_BOOT_A && r.slot == 0);
    CHECK(update_state(u, MANIFEST_COMP_APP)->floor == 1);

    /* rejections, each with its reason */
    EXPECT(update_begin(u, app_old.env, app_old.env_len), UPDATE_E_ROLLBACK);
    EXPECT(update_begin(u, app_evil.env, app_evil.env_len), UPDATE_E_MANIFEST);
    CHECK(u->manifest_err == MANIFEST_E_UNKNOWN_KID);
    EXPECT(update_begin(u, app1.env, app1.env_len - 1), UPDATE_E_MANIFEST);
    CHECK(u->manifest_err == MANIFEST_E_CBOR);
    EXPECT(update_begin(u, app_big.env, app_big.env_len), UPDATE_E_TOO_BIG);
    u->mv_version = 0x00090000;
    EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_E_MIN_MV);
    u->mv_version = 0x01000000;
    EXPECT(update_activate(u), UPDATE_E_STATE);
    EXPECT(update_write(u, 0, app2.bytes, 16), UPDATE_E_STATE);

    /* an app update, interrupted by a clean reboot half way */
    EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
    EXPECT(update_write(u, 16, app2.bytes, 16), UPDATE_E_OFFSET);
    EXPECT(update_write(u, 0, app2.bytes, 12000), UPDATE_OK);
    EXPECT(update_finish(u), UPDATE_E_STATE);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_resume(u, MANIFEST_COMP_APP), UPDATE_OK);
    CHECK(update_next_offset(u) == PAGE); /* the completed page survives */
    EXPECT(update_write(u, update_next_offset(u), app2.bytes + PAGE, app2.size), UPDATE_E_TOO_BIG);
    EXPECT(send_rest(u, &app2, 4096), UPDATE_OK);
    EXPECT(update_finish(u), UPDATE_OK);
    EXPECT(update_activate(u), UPDATE_OK);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_resume(u, MANIFEST_COMP_MICROVISOR), UPDATE_E_NONE);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_B && r.info.m.version == 0x01010000);
    /* the trial crashes: revert */
    EXPECT(update_reject(u, MANIFEST_COMP_APP), UPDATE_OK);
    EXPECT(update_reject(u, MANIFEST_COMP_APP), UPDATE_E_NONE);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_BOOT_A && r.info.m.version == 0x01000000);
    /* a trial booted and not confirmed before a reset also reverts */
    EXPECT(update_resume(u, MANIFEST_COMP_APP), UPDATE_OK); /* B still verified */
    EXPECT(update_activate(u), UPDATE_OK);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_B);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_REVERT_TO_A);
    /* activate again, boot, confirm: the floor rises and A is now too old */
    EXPECT(update_resume(u, MANIFEST_COMP_APP), UPDATE_OK);
    EXPECT(update_activate(u), UPDATE_OK);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_OK);
    CHECK(update_state(u, MANIFEST_COMP_APP)->floor == 2);
    struct update_slot_info info;
    EXPECT(update_slot_check(u, MANIFEST_COMP_APP, 0, true, &info), UPDATE_E_ROLLBACK);
    EXPECT(update_begin(u, app1.env, app1.env_len), UPDATE_E_ROLLBACK);

    /* a corrupted download is caught by finish and started over */
    make_image(&app_newmv, MANIFEST_COMP_APP, 0x01030000, 3, 3000, 1, seed_app);
    EXPECT(update_begin(u, app_newmv.env, app_newmv.env_len), UPDATE_OK);
    app_newmv.bytes[100] ^= 1;
    EXPECT(send_rest(u, &app_newmv, 1000), UPDATE_OK);
    EXPECT(update_finish(u), UPDATE_E_VERIFY);
    app_newmv.bytes[100] ^= 1;
    EXPECT(update_resume(u, MANIFEST_COMP_APP), UPDATE_E_NONE);
    EXPECT(install(u, &app_newmv, 1000), UPDATE_OK);
    /* tampered bytes in the trial slot after activation: never booted */
    uint32_t data = FLASH_APP_SLOT_A + 2 * PAGE;
    mem[data - FLASH_BASE + 5] ^= 0x80;
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_BOOT_B && r.info.m.version == 0x01010000);
    mem[data - FLASH_BASE + 5] ^= 0x80;
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_A && r.info.m.version == 0x01030000);
    CHECK(strcmp(update_strerror(UPDATE_E_ROLLBACK),
                 "security counter below the device's anti-rollback floor") == 0);
    struct image *all[] = {&mv1, &app1, &app2, &app_old, &app_evil, &app_big, &app_newmv};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        free(all[i]->bytes);
    free(u);
}

/* The journal fills and moves to its other page without losing state. */
static void test_journal_compaction(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct image mv1, app1, app2;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 3000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x01010000, 2, 3000, 1, seed_app);
    flash_sim_init(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);
    boot_ctx(u);
    EXPECT(update_journal_format(u), UPDATE_OK);
    EXPECT(install(u, &mv1, 3000), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_MICROVISOR), UPDATE_OK);
    EXPECT(install(u, &app1, 3000), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_OK);
    EXPECT(install(u, &app2, 3000), UPDATE_OK);
    for (int i = 0; i < 600; i++) { /* ~4.7 journal pages of records */
        EXPECT(update_reject(u, MANIFEST_COMP_APP), UPDATE_OK);
        EXPECT(update_resume(u, MANIFEST_COMP_APP), UPDATE_OK);
        EXPECT(update_activate(u), UPDATE_OK);
    }
    CHECK(u->jepoch >= 5);
    EXPECT(boot_ctx(u), UPDATE_OK);
    CHECK(u->jepoch >= 5);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_B);
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_BOOT_A);
    CHECK(update_state(u, MANIFEST_COMP_MICROVISOR)->floor == 1);
    free(mv1.bytes);
    free(app1.bytes);
    free(app2.bytes);
    free(u);
}

int main(void)
{
    harness_init();
    test_decide_table();
    test_flow();
    test_journal_compaction();
    free(mem);
    free(bitmap);
    if (failures) {
        fprintf(stderr, "test_update: %d failures\n", failures);
        return 1;
    }
    puts("test_update: ok");
    return 0;
}
