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


/* ---- Writing slots by hand, from docs/flash-layout.md alone ---------------- */

static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

static void wr32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4); /* the host is little-endian, as the format */
}

/* A slot written the way the engine would, but with whatever bytes the
 * test wants: envelope, image, and a VERIFIED progress entry or not. */
static void raw_slot(uint32_t slot, const uint8_t *env, size_t env_len, const uint8_t *img,
                     size_t img_len, bool verified)
{
    static uint8_t page[2 * PAGE];
    memset(page, 0xFF, sizeof(page));
    wr32(page, 0x4E414D4Bu);
    wr32(page + 4, (uint32_t)env_len);
    wr32(page + 8, crc32_ref(env, env_len));
    wr32(page + 12, ~(uint32_t)env_len);
    memcpy(page + 16, env, env_len);
    uint8_t *e = page + PAGE;
    wr32(e, 0x4752504Bu);
    wr32(e + 4, 1);
    wr32(e + 8, (uint32_t)img_len);
    wr32(e + 12, crc32_ref(e, 12));
    if (verified) {
        e += 16;
        wr32(e, 0x4752504Bu);
        wr32(e + 4, 2);
        wr32(e + 8, (uint32_t)img_len);
        wr32(e + 12, crc32_ref(e, 12));
    }
    uint32_t len = (uint32_t)((2 * PAGE + img_len + PAGE - 1) / PAGE * PAGE);
    CHECK(flash_erase(&fl, slot, len) == FLASH_OK);
    CHECK(flash_program(&fl, slot, page, sizeof(page)) == FLASH_OK);
    CHECK(flash_program(&fl, slot + 2 * PAGE, img, (img_len + 15) & ~(size_t)15) == FLASH_OK);
}

/* Every class of bad image, placed straight into a slot: the boot never
 * runs it, and the slot check says why. */
static void test_boot_rejections(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct update_slot_info info;
    struct image good, evil, old, mvimg;
    make_image(&good, MANIFEST_COMP_APP, 0x01000000, 5, 3000, 1, seed_app);
    make_image(&evil, MANIFEST_COMP_APP, 0x01000000, 5, 3000, 1, seed_evil);
    make_image(&old, MANIFEST_COMP_APP, 0x01000000, 4, 3000, 1, seed_app);
    make_image(&mvimg, MANIFEST_COMP_MICROVISOR, 0x01000000, 5, 3000, 1, seed_mv);
    flash_sim_init(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);
    boot_ctx(u);
    EXPECT(update_journal_format(u), UPDATE_OK);
    const uint32_t B = FLASH_APP_SLOT_B;

    /* the control: the hand-written slot is accepted */
    raw_slot(B, good.env, good.env_len, good.bytes, good.size, true);
    EXPECT(update_slot_check(u, MANIFEST_COMP_APP, 1, true, &info), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_BOOT_B);

    /* tampered image bytes */
    good.bytes[7] ^= 1;
    raw_slot(B, good.env, good.env_len, good.bytes, good.size, true);
    good.bytes[7] ^= 1;
    EXPECT(update_slot_check(u, MANIFEST_COMP_APP, 1, true, &info), UPDATE_E_VERIFY);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_E_NO_IMAGE);
    /* tampered manifest (a payload byte; CRC fixed up, signature not) */
    uint8_t env[MANIFEST_MAX_SIZE];
    memcpy(env, good.env, good.env_len);
    env[good.env_len - 70] ^= 1;
    raw_slot(B, env, good.env_len, good.bytes, good.size, true);
    EXPECT(update_slot_check(u, MANIFEST_COMP_APP, 1, false, &info), UPDATE_E_MANIFEST);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_E_NO_IMAGE);
    /* signed by an untrusted key */
    raw_slot(B, evil.env, evil.env_len, evil.bytes, evil.size, true);
    EXPECT(update_slot_check(u, MANIFEST_COMP_APP, 1, false, &info), UPDATE_E_MANIFEST);
    CHECK(u->manifest_err == MANIFEST_E_UNKNOWN_KID);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_E_NO_IMAGE);
    /* unsigned: the payload in an envelope with no kid and no signature */
    {
        struct manifest_cose c;
        uint8_t prot[16];
        size_t pl, n;
        CHECK(manifest_cose_parse(good.env, good.env_len, &c) == MANIFEST_OK);
        manifest_protected_encode(NULL, 0, prot, sizeof(prot), &pl);
        manifest_envelope_encode(prot, pl, c.payload, c.payload_len, NULL, 0, env, sizeof(env), &n);
        raw_slot(B, env, n, good.bytes, good.size, true);
        EXPECT(update_slot_check(u, MANIFEST_COMP_APP, 1, false, &info), UPDATE_E_MANIFEST);
        CHECK(u->manifest_err == MANIFEST_E_KID);
        EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_E_NO_IMAGE);
    }
    /* a microvisor's manifest in an app slot (a wrong-component signer) */
    raw_slot(B, mvimg.env, mvimg.env_len, mvimg.bytes, mvimg.size, true);
    EXPECT(update_slot_check(u, MANIFEST_COMP_APP, 1, false, &info), UPDATE_E_MANIFEST);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_E_NO_IMAGE);
    /* truncated: download never finished (no VERIFIED), and image short */
    raw_slot(B, good.env, good.env_len, good.bytes, good.size / 2, false);
    EXPECT(update_slot_check(u, MANIFEST_COMP_APP, 1, false, &info), UPDATE_E_STATE);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_E_NO_IMAGE);
    /* ... even if a forged VERIFIED entry says otherwise, the hash does not */
    raw_slot(B, good.env, good.env_len, good.bytes, good.size / 2, true);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_E_NO_IMAGE);
    /* rolled back: confirm counter 5 in A, then an older counter in B */
    raw_slot(FLASH_APP_SLOT_A, good.env, good.env_len, good.bytes, good.size, true);
    raw_slot(B, old.env, old.env_len, old.bytes, old.size, true);
    boot_ctx(u);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK); /* newest: A */
    CHECK(r.slot == 0);
    EXPECT(update_resume(u, MANIFEST_COMP_APP), UPDATE_OK);   /* B is verified */
    /* put A on trial and confirm it to raise the floor to 5 */
    {
        struct update_slot_info ia;
        EXPECT(update_slot_check(u, MANIFEST_COMP_APP, 0, true, &ia), UPDATE_OK);
    }
    EXPECT(update_begin(u, good.env, good.env_len), UPDATE_OK);
    EXPECT(send_rest(u, &good, 1000), UPDATE_OK);
    EXPECT(update_finish(u), UPDATE_OK);
    EXPECT(update_activate(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_OK);
    CHECK(update_state(u, MANIFEST_COMP_APP)->floor == 5);
    raw_slot(r.slot ? FLASH_APP_SLOT_A : B, old.env, old.env_len, old.bytes, old.size, true);
    EXPECT(update_slot_check(u, MANIFEST_COMP_APP, 1 - r.slot, true, &info), UPDATE_E_ROLLBACK);
    /* damage the confirmed image: the rolled-back one still never boots */
    mem[(r.slot ? B : FLASH_APP_SLOT_A) + 2 * PAGE + 9 - FLASH_BASE] ^= 4;
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_E_NO_IMAGE);
    struct image *all[] = {&good, &evil, &old, &mvimg};
    for (size_t i = 0; i < 4; i++)
        free(all[i]->bytes);
    free(u);
}

int main(void)
{
    harness_init();
    test_decide_table();
    test_flow();
    test_journal_compaction();
    test_boot_rejections();
    free(mem);
    free(bitmap);
    if (failures) {
        fprintf(stderr, "test_update: %d failures\n", failures);
        return 1;
    }
    puts("test_update: ok");
    return 0;
}
