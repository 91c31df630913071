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
    /* the journal remembers what was rejected (mvGetUpdateStatus) */
    {
        const struct update_comp_state *st = update_state(u, MANIFEST_COMP_APP);
        CHECK(st->rejected.set && st->rejected.slot == 1 && st->rejected.version == 0x01010000);
        CHECK(!st->trial.set && !update_state(u, MANIFEST_COMP_MICROVISOR)->rejected.set);
    }
    /* a trial booted and not confirmed before a reset also reverts */
    EXPECT(update_resume(u, MANIFEST_COMP_APP), UPDATE_OK); /* B still verified */
    EXPECT(update_finish(u), UPDATE_OK); /* hashed again before activation */
    EXPECT(update_activate(u), UPDATE_OK);
    /* a new TRIAL forgets the last revert; it names the new version */
    CHECK(!update_state(u, MANIFEST_COMP_APP)->rejected.set);
    CHECK(update_state(u, MANIFEST_COMP_APP)->trial.version == 0x01010000);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_B);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_REVERT_TO_A);
    /* activate again, boot, confirm: the floor rises and A is now too old */
    EXPECT(update_resume(u, MANIFEST_COMP_APP), UPDATE_OK);
    EXPECT(update_finish(u), UPDATE_OK); /* hashed again before activation */
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
    /* tampered bytes in the trial slot after activation: never booted, and
     * the boot records it: REJECT with the reason, the slot's log wound
     * back (no check takes it for complete any more) */
    uint32_t data = FLASH_APP_SLOT_A + 2 * PAGE;
    mem[data - FLASH_BASE + 5] ^= 0x80;
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_BOOT_B && r.info.m.version == 0x01010000);
    CHECK(r.rejected && r.check[0] == UPDATE_E_VERIFY);
    {
        const struct update_comp_state *st = update_state(u, MANIFEST_COMP_APP);
        CHECK(!st->trial.set && st->rejected.set && st->rejected.slot == 0 &&
              st->rejected.reason == UPDATE_E_VERIFY && st->rejected.version == 0x01030000);
        EXPECT(update_slot_check(u, MANIFEST_COMP_APP, 0, false, &info), UPDATE_E_INCOMPLETE);
    }
    EXPECT(boot_ctx(u), UPDATE_OK); /* persisted, not RAM only */
    CHECK(update_state(u, MANIFEST_COMP_APP)->rejected.reason == UPDATE_E_VERIFY);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_BOOT_B && !r.rejected);
    /* the same bundle again repairs it: resumed at the damaged layer */
    EXPECT(update_begin(u, app_newmv.env, app_newmv.env_len), UPDATE_OK);
    CHECK(update_next_offset(u) == 0 && u->dl == UPDATE_DOWNLOADING);
    EXPECT(send_rest(u, &app_newmv, 1000), UPDATE_OK);
    EXPECT(update_finish(u), UPDATE_OK);
    EXPECT(update_activate(u), UPDATE_OK);
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
        EXPECT(update_finish(u), UPDATE_OK); /* hashed again before activation */
        EXPECT(update_activate(u), UPDATE_OK);
    }
    CHECK(u->jepoch >= 5);
    EXPECT(boot_ctx(u), UPDATE_OK);
    CHECK(u->jepoch >= 5);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_B);
    /* a REJECT survives the page moves (it is part of the snapshot) */
    EXPECT(update_reject(u, MANIFEST_COMP_APP), UPDATE_OK);
    struct image mv2;
    make_image(&mv2, MANIFEST_COMP_MICROVISOR, 0x01010000, 1, 3000, 1, seed_mv);
    EXPECT(install(u, &mv2, 3000), UPDATE_OK);
    uint32_t epoch = u->jepoch;
    for (int i = 0; i < 150; i++) { /* > one page of microvisor records after it */
        EXPECT(update_reject(u, MANIFEST_COMP_MICROVISOR), UPDATE_OK);
        EXPECT(update_resume(u, MANIFEST_COMP_MICROVISOR), UPDATE_OK);
        EXPECT(update_finish(u), UPDATE_OK); /* hashed again before activation */
        EXPECT(update_activate(u), UPDATE_OK);
    }
    CHECK(u->jepoch > epoch);
    EXPECT(update_reject(u, MANIFEST_COMP_MICROVISOR), UPDATE_OK);
    free(mv2.bytes);
    EXPECT(boot_ctx(u), UPDATE_OK);
    CHECK(update_state(u, MANIFEST_COMP_APP)->rejected.set &&
          update_state(u, MANIFEST_COMP_APP)->rejected.version == 0x01010000);
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
    EXPECT(update_slot_check(u, MANIFEST_COMP_APP, 1, false, &info), UPDATE_E_INCOMPLETE);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_E_NO_IMAGE);
    CHECK(r.check[1] == UPDATE_E_INCOMPLETE); /* the real reason, not "out of sequence" */
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

/* ---- Trusted signers on flash ---------------------------------------------- */

static size_t seal_rotation(const struct manifest_rotation *r, const uint8_t seed[32],
                            uint8_t *env)
{
    uint8_t payload[512], prot[64], tbs[MANIFEST_SCRATCH_SIZE], sig[64], pk[32],
        kid[MANIFEST_KID_SIZE];
    size_t plen, prot_len, tbs_len, n = 0;
    keel_ossl_ed25519_public(seed, pk);
    keel_ossl_kid(pk, kid);
    CHECK(manifest_rotation_encode(r, payload, sizeof(payload), &plen) == 0);
    CHECK(manifest_protected_encode(kid, sizeof(kid), prot, sizeof(prot), &prot_len) == 0);
    CHECK(manifest_sig_structure(prot, prot_len, payload, plen, tbs, sizeof(tbs), &tbs_len) == 0);
    CHECK(keel_ossl_ed25519_sign(seed, tbs, tbs_len, sig) == 0);
    CHECK(manifest_envelope_encode(prot, prot_len, payload, plen, sig, 64, env,
                                   MANIFEST_MAX_SIZE, &n) == 0);
    return n;
}

static bool same_trust(const struct manifest_trust *a, const struct manifest_trust *b)
{
    if (a->n_keys != b->n_keys || a->rotation_seq[1] != b->rotation_seq[1] ||
        a->rotation_seq[2] != b->rotation_seq[2])
        return false;
    for (uint32_t i = 0; i < a->n_keys; i++)
        if (a->keys[i].scopes != b->keys[i].scopes || a->keys[i].kid_len != b->keys[i].kid_len ||
            memcmp(a->keys[i].kid, b->keys[i].kid, a->keys[i].kid_len) != 0 ||
            memcmp(a->keys[i].public_key, b->keys[i].public_key, 32) != 0)
            return false;
    return true;
}

static void test_trust_store(void)
{
    static uint8_t scratch[MANIFEST_SCRATCH_SIZE];
    const uint32_t T = FLASH_PROVISION + PAGE; /* two pages, docs/flash-layout.md */
    const uint8_t seed_new[32] = {14};
    uint8_t env[MANIFEST_MAX_SIZE], env_bad[MANIFEST_MAX_SIZE];
    struct manifest_trust t, loaded, old = trust, want;
    struct image img;
    int merr = 0;
    flash_sim_init(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);
    EXPECT(update_trust_load(&fl, T, &loaded), UPDATE_E_NONE);
    EXPECT(update_trust_write(&fl, T, &trust), UPDATE_OK);
    EXPECT(update_trust_load(&fl, T, &loaded), UPDATE_OK);
    CHECK(same_trust(&loaded, &trust));

    /* rotate the app signer: add the new key, remove the old one */
    struct manifest_rotation r = {.scope = MANIFEST_COMP_APP, .sequence = 1, .n_add = 1,
                                  .n_remove = 1};
    r.add[0].kid_len = MANIFEST_KID_SIZE;
    keel_ossl_ed25519_public(seed_new, r.add[0].public_key);
    keel_ossl_kid(r.add[0].public_key, r.add[0].kid);
    r.remove[0].kid_len = MANIFEST_KID_SIZE;
    r.remove[0].kid_len = trust.keys[1].kid_len;
    memcpy(r.remove[0].kid, trust.keys[1].kid, MANIFEST_KID_SIZE);
    size_t n = seal_rotation(&r, seed_app, env);
    want = trust;
    CHECK(manifest_rotation_apply(&want, &r) == MANIFEST_OK);

    /* rejections, nothing persisted */
    size_t nb = seal_rotation(&r, seed_mv, env_bad); /* mv signer may not rotate app signers */
    t = loaded;
    EXPECT(update_trust_rotate(&fl, T, &t, env_bad, nb, &DEVICE_CRYPTO, scratch,
                               sizeof(scratch), &merr), UPDATE_E_MANIFEST);
    CHECK(merr == MANIFEST_E_UNKNOWN_KID && same_trust(&t, &loaded));
    make_image(&img, MANIFEST_COMP_APP, 0x01000000, 1, 100, 1, seed_app);
    EXPECT(update_trust_rotate(&fl, T, &t, img.env, img.env_len, &DEVICE_CRYPTO, scratch,
                               sizeof(scratch), &merr), UPDATE_E_MANIFEST);
    CHECK(merr == MANIFEST_E_TYPE);
    free(img.bytes);

    /* power cut at each of the rotation's operations: old set or new set */
    uint8_t *snap = malloc(2 * PAGE), *snapbits = malloc(2 * PAGE / 16 / 8);
    memcpy(snap, mem + (T - FLASH_BASE), 2 * PAGE);
    memcpy(snapbits, bitmap + (T - FLASH_BASE) / 128, 2 * PAGE / 128);
    unsigned cuts = 0, saw_old = 0, saw_new = 0;
    for (uint32_t op = 0; op < 2; op++)
        for (int mode = FLASH_SIM_CUT_BEFORE; mode <= FLASH_SIM_CUT_AFTER; mode++)
            for (uint32_t seed = 0; seed < 8; seed++) {
                memcpy(mem + (T - FLASH_BASE), snap, 2 * PAGE);
                memcpy(bitmap + (T - FLASH_BASE) / 128, snapbits, 2 * PAGE / 128);
                flash_sim_power_on(&sim);
                flash_sim_reset_count(&sim);
                flash_sim_arm(&sim, op, mode, seed);
                t = loaded;
                EXPECT(update_trust_rotate(&fl, T, &t, env, n, &DEVICE_CRYPTO, scratch,
                                           sizeof(scratch), &merr), UPDATE_E_FLASH);
                flash_sim_power_on(&sim);
                EXPECT(update_trust_load(&fl, T, &t), UPDATE_OK);
                CHECK(same_trust(&t, &old) || same_trust(&t, &want));
                saw_old += same_trust(&t, &old);
                saw_new += same_trust(&t, &want);
                /* and the rotation can always be (re)done afterwards */
                int rc = update_trust_rotate(&fl, T, &t, env, n, &DEVICE_CRYPTO, scratch,
                                             sizeof(scratch), &merr);
                /* (once applied, its signer is no longer trusted for apps) */
                CHECK(rc == UPDATE_OK || (rc == UPDATE_E_MANIFEST && merr == MANIFEST_E_UNKNOWN_KID));
                EXPECT(update_trust_load(&fl, T, &t), UPDATE_OK);
                CHECK(same_trust(&t, &want));
                cuts++;
            }
    CHECK(cuts == 48 && saw_old > 0 && saw_new > 0);
    free(snap);
    free(snapbits);
    /* persisted: the old app key is gone after a reload, so its rotation
     * cannot be replayed */
    EXPECT(update_trust_load(&fl, T, &t), UPDATE_OK);
    CHECK(manifest_trust_find(&t, trust.keys[1].kid, trust.keys[1].kid_len, MANIFEST_COMP_APP) == NULL);
    CHECK(manifest_trust_find(&t, r.add[0].kid, r.add[0].kid_len, MANIFEST_COMP_APP) != NULL);
    EXPECT(update_trust_rotate(&fl, T, &t, env, n, &DEVICE_CRYPTO, scratch, sizeof(scratch),
                               &merr), UPDATE_E_MANIFEST);
    CHECK(merr == MANIFEST_E_UNKNOWN_KID);
    /* three rotations in a row use both pages in turn */
    for (uint32_t k = 2; k <= 4; k++) {
        struct manifest_rotation rk = {.scope = MANIFEST_COMP_MICROVISOR, .sequence = k,
                                       .n_add = 1};
        rk.add[0].kid_len = 1;
        rk.add[0].kid[0] = (uint8_t)k;
        n = seal_rotation(&rk, seed_mv, env);
        EXPECT(update_trust_rotate(&fl, T, &t, env, n, &DEVICE_CRYPTO, scratch,
                                   sizeof(scratch), &merr), UPDATE_OK);
    }
    EXPECT(update_trust_rotate(&fl, T, &t, env, n, &DEVICE_CRYPTO, scratch, sizeof(scratch),
                               &merr), UPDATE_E_MANIFEST); /* a replay, signer still trusted */
    CHECK(merr == MANIFEST_E_ROTATION);
    EXPECT(update_trust_load(&fl, T, &loaded), UPDATE_OK);
    CHECK(same_trust(&loaded, &t) && loaded.n_keys == 5 && loaded.rotation_seq[1] == 4);
}

/* ---- The lazy boot decision against the eager one -------------------------- */

static unsigned verifies;
static int counting_verify(const uint8_t sig[64], const uint8_t pk[32], const void *msg,
                           size_t len)
{
    verifies++;
    return DEVICE_CRYPTO.ed25519_verify(sig, pk, msg, len);
}

/* One journal record, written by hand (docs/flash-layout.md). */
static void raw_jrec(uint32_t addr, uint8_t type, uint8_t slot, uint32_t value,
                     const uint8_t digest[8])
{
    uint8_t b[32];
    memset(b, 0, sizeof(b));
    wr32(b, 0x314E524Au);
    b[4] = type;
    b[5] = MANIFEST_COMP_APP;
    b[6] = slot;
    wr32(b + 8, value);
    if (digest)
        memcpy(b + 16, digest, 8);
    wr32(b + 28, crc32_ref(b, 28));
    CHECK(flash_program(&fl, addr, b, sizeof(b)) == FLASH_OK);
}

static void env_digest(const uint8_t *env, size_t len, uint8_t out[8])
{
    uint8_t h[32];
    keel_ossl_sha256(env, len, h);
    memcpy(out, h, 8);
}

/*
 * Every combination of slot contents (empty, two good images, tampered
 * bytes, a bad signature, a rolled-back counter) and journal state
 * (confirmed none / A / B / A naming other bytes, trial none / A / B,
 * attempted or not): update_boot's lazy decision gives exactly the action
 * update_decide() gives on both slots fully checked, verifies at most the
 * slots it needs, and only one in the everyday case (a confirmed image,
 * nothing on trial).
 */
static void test_lazy_boot(void)
{
    update_t *u = malloc(sizeof(*u));
    struct manifest_crypto counting = DEVICE_CRYPTO;
    counting.ed25519_verify = counting_verify;
    struct image v1, v2, old;
    make_image(&v1, MANIFEST_COMP_APP, 0x01000000, 2, 3000, 1, seed_app);
    make_image(&v2, MANIFEST_COMP_APP, 0x01010000, 3, 5000, 2, seed_app);
    make_image(&old, MANIFEST_COMP_APP, 0x00090000, 1, 2000, 1, seed_app);
    uint8_t badsig[MANIFEST_MAX_SIZE];
    memcpy(badsig, v1.env, v1.env_len);
    badsig[v1.env_len - 1] ^= 1;
    const uint32_t slots[2] = {FLASH_APP_SLOT_A, FLASH_APP_SLOT_B};
    unsigned combos = 0, lazy_total = 0, eager_total = 0, everyday = 0;
    flash_sim_init(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);
    for (int ca = 0; ca < 6; ca++)
        for (int cb = 0; cb < 6; cb++)
            for (int conf = -1; conf < 3; conf++)
                for (int tr = -1; tr < 2; tr++)
                    for (int att = 0; att < 2; att++) {
                        if (att && tr < 0)
                            continue;
                        uint8_t dig[2][8];
                        for (int k = 0; k < 2; k++) {
                            int c = k ? cb : ca;
                            const struct image *im = c == 2 || c == 3 ? &v2 : c == 5 ? &old : &v1;
                            const uint8_t *env = c == 4 ? badsig : im->env;
                            env_digest(env, im->env_len, dig[k]);
                            if (c == 0) {
                                CHECK(flash_erase(&fl, slots[k], 2 * PAGE) == FLASH_OK);
                                continue;
                            }
                            if (c == 3)
                                im->bytes[100] ^= 1;
                            raw_slot(slots[k], env, im->env_len, im->bytes, im->size, true);
                            if (c == 3)
                                im->bytes[100] ^= 1;
                        }
                        /* the journal: PAGE, an empty snapshot, then the records */
                        CHECK(flash_erase(&fl, FLASH_STATE, 2 * PAGE) == FLASH_OK);
                        uint32_t at = FLASH_STATE;
                        raw_jrec(at, 1, 0, 1, NULL), at += 32;
                        raw_jrec(at, 2, 0, 0, NULL), at += 32;
                        if (conf >= 0) {
                            uint8_t other[8] = {1, 2, 3};
                            int cs = conf == 2 ? 0 : conf;
                            raw_jrec(at, 5, (uint8_t)cs, 2, conf == 2 ? other : dig[cs]), at += 32;
                        }
                        if (tr >= 0) {
                            raw_jrec(at, 3, (uint8_t)tr, 0, dig[tr]), at += 32;
                            if (att)
                                raw_jrec(at, 4, (uint8_t)tr, 0, dig[tr]), at += 32;
                        }
                        /* eager: both slots fully checked, then the table */
                        struct update_slot_info inf[2];
                        struct update_decide_in in = {.confirmed = UPDATE_NONE,
                                                      .trial = UPDATE_NONE, .attempted = att};
                        EXPECT(update_init(u, &fl, &layout, &trust, &counting), UPDATE_OK);
                        verifies = 0;
                        for (unsigned k = 0; k < 2; k++)
                            in.valid[k] = update_slot_check(u, MANIFEST_COMP_APP, k, true,
                                                            &inf[k]) == UPDATE_OK;
                        eager_total += verifies;
                        const struct update_comp_state *st = update_state(u, MANIFEST_COMP_APP);
                        if (st->confirmed.set) {
                            unsigned c = st->confirmed.slot;
                            if (!in.valid[c] || !memcmp(inf[c].digest, st->confirmed.digest, 8))
                                in.confirmed = (int)c;
                        }
                        if (st->trial.set && in.valid[st->trial.slot] &&
                            !memcmp(inf[st->trial.slot].digest, st->trial.digest, 8))
                            in.trial = st->trial.slot;
                        in.attempted = st->attempted;
                        if (in.valid[0] && in.valid[1])
                            in.newer = inf[1].m.security_counter > inf[0].m.security_counter ||
                                       (inf[1].m.security_counter == inf[0].m.security_counter &&
                                        inf[1].m.version > inf[0].m.version);
                        enum update_action want = update_decide(&in);
                        /* lazy */
                        struct update_boot_result r;
                        memset(&r, 0, sizeof(r));
                        verifies = 0;
                        int rc = update_boot(u, MANIFEST_COMP_APP, &r);
                        lazy_total += verifies;
                        if (want == UPDATE_PANIC) {
                            CHECK(rc == UPDATE_E_NO_IMAGE);
                        } else {
                            /* same slot; the action too, except that a booted,
                             * unconfirmed trial is rejected without checking its
                             * own slot (REVERT where the exact table says BOOT) */
                            bool same = r.action == want ||
                                        (want == UPDATE_BOOT_A && r.action == UPDATE_REVERT_TO_A &&
                                         !in.valid[1] && tr == 1 && att) ||
                                        (want == UPDATE_BOOT_B && r.action == UPDATE_REVERT_TO_B &&
                                         !in.valid[0] && tr == 0 && att);
                            CHECK(rc == UPDATE_OK && same && r.slot == update_action_slot(want));
                            if (rc != UPDATE_OK || !same)
                                fprintf(stderr, "lazy: slots %d %d conf %d trial %d att %d: "
                                        "rc %d action %d, want %d\n", ca, cb, conf, tr, att, rc,
                                        r.action, want);
                        }
                        CHECK(verifies <= 2);
                        /* everyday: the confirmed slot is good, nothing on trial;
                         * or a trial's first boot, or its revert */
                        if (conf >= 0 && conf < 2 && tr < 0 && in.valid[conf]) {
                            CHECK(verifies == 1);
                            everyday++;
                        }
                        if (conf >= 0 && conf < 2 && tr >= 0 && tr != conf && in.valid[0] &&
                            in.valid[1]) {
                            CHECK(verifies == 1);
                            everyday++;
                        }
                        combos++;
                    }
    CHECK(combos == 36 * 4 * 5 && everyday > 0 && lazy_total < eager_total);
    printf("lazy boot: %u states, %u verifications (eager: %u)\n", combos, lazy_total,
           eager_total);
    free(v1.bytes);
    free(v2.bytes);
    free(old.bytes);
    free(u);
}

/* update_finish_step: any budget gives update_finish's verdict; a reboot
 * in the middle of the hash resumes it; a bad image is caught stepwise; a
 * flash failure inside a write closes the download. */
static void test_finish_steps(void)
{
    update_t *u = malloc(sizeof(*u));
    struct image mv1, app1, app2;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x01010000, 1, 20001, 3, seed_app);
    static const uint32_t budgets[] = {1, 255, 256, 4096, 20001, UINT32_MAX};
    for (size_t b = 0; b < sizeof(budgets) / sizeof(budgets[0]); b++) {
        flash_sim_init(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);
        EXPECT(boot_ctx(u), UPDATE_OK);
        EXPECT(update_journal_format(u), UPDATE_OK);
        EXPECT(install(u, &mv1, 1000), UPDATE_OK);
        EXPECT(install(u, &app1, 1000), UPDATE_OK);
        EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
        EXPECT(send_rest(u, &app2, 999), UPDATE_OK);
        int rc, steps = 0;
        while ((rc = update_finish_step(u, budgets[b])) == 1)
            steps++;
        EXPECT(rc, UPDATE_OK);
        CHECK(budgets[b] != 1 || steps == 3 * 20001 - 1);
        CHECK(budgets[b] != UINT32_MAX || steps == 0);
        EXPECT(update_finish_step(u, 1), UPDATE_OK); /* verified: stays so */
        EXPECT(update_activate(u), UPDATE_OK);
    }
    /* a reboot half way through the hash: resume, hash again from the start */
    EXPECT(boot_ctx(u), UPDATE_OK);
    free(app2.bytes);
    make_image(&app2, MANIFEST_COMP_APP, 0x01020000, 1, 30000, 2, seed_app);
    EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
    EXPECT(send_rest(u, &app2, 4096), UPDATE_OK);
    EXPECT(update_finish_step(u, 10000), 1);
    uint8_t h[32];
    DEVICE_CRYPTO.sha256_final(&u->vh_ctx, h); /* the reboot loses RAM; OpenSSL's must be freed */
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_resume(u, MANIFEST_COMP_APP), UPDATE_OK);
    CHECK(u->dl == UPDATE_DOWNLOADED);
    EXPECT(update_finish_step(u, 10000), 1);
    EXPECT(update_finish(u), UPDATE_OK);
    /* a tampered byte is found by the steps and recorded: starts over */
    EXPECT(boot_ctx(u), UPDATE_OK);
    free(app2.bytes);
    make_image(&app2, MANIFEST_COMP_APP, 0x01030000, 1, 30000, 2, seed_app);
    EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
    app2.bytes[29000] ^= 1;
    EXPECT(send_rest(u, &app2, 4096), UPDATE_OK);
    int rc;
    while ((rc = update_finish_step(u, 5000)) == 1)
        ;
    EXPECT(rc, UPDATE_E_VERIFY);
    EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
    CHECK(update_next_offset(u) == 0);
    /* a flash failure in the middle of a write closes the download (its
     * offset no longer says what the flash holds); begin reopens it at
     * the frontier and the image completes intact */
    free(app2.bytes);
    make_image(&app2, MANIFEST_COMP_APP, 0x01040000, 1, 30000, 2, seed_app);
    EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
    EXPECT(update_write(u, 0, app2.bytes, 20000), UPDATE_OK);
    flash_sim_reset_count(&sim);
    flash_sim_arm(&sim, 0, FLASH_SIM_CUT_TORN, 5);
    EXPECT(update_write(u, 20000, app2.bytes + 20000, 4000), UPDATE_E_FLASH);
    flash_sim_power_on(&sim);
    EXPECT(update_write(u, update_next_offset(u), app2.bytes, 16), UPDATE_E_STATE);
    EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
    CHECK(update_next_offset(u) == 2 * PAGE);
    EXPECT(send_rest(u, &app2, 3000), UPDATE_OK);
    EXPECT(update_finish(u), UPDATE_OK);
    free(mv1.bytes);
    free(app1.bytes);
    free(app2.bytes);
    free(u);
}

/* H1: an application is never confirmed while the microvisor is on trial.
 * Otherwise: microvisor 2 + app 2 on trial, the app confirms (floor 2), a
 * reset reverts the microvisor, and the old app is below the floor while
 * the new one may need the new microvisor: no bootable app. */
/* A blank device given microvisor mv and app by the factory path (both
 * activated for their first boot; app written in chunks of `chunk`). */
static void new_device(update_t *u, const struct image *mv, const struct image *app,
                       size_t chunk)
{
    flash_sim_init(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_journal_format(u), UPDATE_OK);
    EXPECT(install(u, mv, 1000), UPDATE_OK);
    EXPECT(install(u, app, chunk), UPDATE_OK);
}

/* The first boot of a new device: both trials booted and confirmed. */
static void confirm_first_boot(update_t *u)
{
    struct update_boot_result r;
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_MICROVISOR), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_OK);
}

static void test_app_waits_for_mv_trial(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct image mv1, mv2, app1, app2;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&mv2, MANIFEST_COMP_MICROVISOR, 0x02000000, 2, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x02000000, 2, 3000, 1, seed_app);
    new_device(u, &mv1, &app1, 1000);
    confirm_first_boot(u);
    for (int round = 0; round < 2; round++) {
        /* both updates activated, the device reboots into both trials */
        EXPECT(boot_ctx(u), UPDATE_OK);
        EXPECT(install(u, &mv2, 1000), UPDATE_OK);
        EXPECT(install(u, &app2, 1000), UPDATE_OK);
        EXPECT(boot_ctx(u), UPDATE_OK);
        EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
        CHECK(r.action == UPDATE_TRIAL_B);
        EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
        CHECK(r.action == UPDATE_TRIAL_B);
        /* the app passes its health rule: the confirmation waits */
        EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_E_MV_TRIAL);
        CHECK(update_state(u, MANIFEST_COMP_APP)->floor == 1);
        if (round == 0) {
            /* a reset before the microvisor is confirmed: both revert,
             * and the old app still boots */
            EXPECT(boot_ctx(u), UPDATE_OK);
            EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
            CHECK(r.action == UPDATE_REVERT_TO_A);
            EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
            CHECK(r.action == UPDATE_REVERT_TO_A && r.info.m.version == 0x01000000);
            CHECK(update_state(u, MANIFEST_COMP_APP)->floor == 1);
        } else {
            /* the microvisor is confirmed: now the app is */
            EXPECT(update_confirm(u, MANIFEST_COMP_MICROVISOR), UPDATE_OK);
            EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_OK);
            CHECK(update_state(u, MANIFEST_COMP_APP)->floor == 2);
        }
    }
    free(mv1.bytes);
    free(mv2.bytes);
    free(app1.bytes);
    free(app2.bytes);
    free(u);
}

/* M1: while a trial runs (booted, not yet confirmed or rejected) a
 * download of that component is refused: its target slot could be the
 * trial's, and a new TRIAL would replace the running one. update_reject
 * never rejects a trial that was not booted. */
static void test_trial_in_progress(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct image mv1, app1, app2, app3;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x02000000, 2, 3000, 1, seed_app);
    make_image(&app3, MANIFEST_COMP_APP, 0x03000000, 3, 3000, 1, seed_app);
    new_device(u, &mv1, &app1, 1000);
    confirm_first_boot(u);
    EXPECT(install(u, &app2, 1000), UPDATE_OK);
    /* activated, not booted: not the running trial, never rejected */
    const struct update_ref *t = &update_state(u, MANIFEST_COMP_APP)->trial;
    EXPECT(update_reject_running(u, MANIFEST_COMP_APP, t->slot, t->digest), UPDATE_E_NONE);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_B);
    uint8_t running[8];
    memcpy(running, r.info.digest, 8);
    EXPECT(update_reject_running(u, MANIFEST_COMP_APP, 0, running), UPDATE_E_NONE);
    running[0] ^= 1;
    EXPECT(update_reject_running(u, MANIFEST_COMP_APP, 1, running), UPDATE_E_NONE);
    running[0] ^= 1;
    /* the trial runs: begin, resume and activate refuse, writing nothing */
    flash_sim_reset_count(&sim);
    EXPECT(update_begin(u, app3.env, app3.env_len), UPDATE_E_TRIAL);
    EXPECT(update_resume(u, MANIFEST_COMP_APP), UPDATE_E_TRIAL);
    u->dl = UPDATE_VERIFIED; /* a download verified before the trial started */
    u->dl_comp = MANIFEST_COMP_APP;
    u->dl_slot = 1;
    EXPECT(update_activate(u), UPDATE_E_TRIAL);
    u->dl = UPDATE_IDLE;
    CHECK(flash_sim_ops(&sim) == 0);
    CHECK(strcmp(update_strerror(UPDATE_E_TRIAL), "trial in progress: a trial of this "
                 "component runs, not yet confirmed or rejected") == 0);
    /* the other component is not held up */
    EXPECT(update_resume(u, MANIFEST_COMP_MICROVISOR), UPDATE_E_NONE);
    /* once resolved, updates go ahead */
    EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_OK);
    EXPECT(install(u, &app3, 1000), UPDATE_OK);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_A && r.info.m.version == 0x03000000);
    /* app2's stale identity does not reject app3's trial; app3's does */
    EXPECT(update_reject_running(u, MANIFEST_COMP_APP, 1, running), UPDATE_E_NONE);
    EXPECT(update_reject_running(u, MANIFEST_COMP_APP, 0, r.info.digest), UPDATE_OK);
    EXPECT(install(u, &app3, 1000), UPDATE_OK);
    free(mv1.bytes);
    free(app1.bytes);
    free(app2.bytes);
    free(app3.bytes);
    free(u);
}

/* M2: activating the image already activated (and not yet booted) writes
 * nothing: NEXT + FINISH + ACTIVATE repeated from the update port cannot
 * wear the journal out. */
static void test_activate_idempotent(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct image mv1, app1, app2;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x02000000, 2, 3000, 1, seed_app);
    new_device(u, &mv1, &app1, 1000);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_OK);
    EXPECT(install(u, &app2, 1000), UPDATE_OK);
    uint32_t epoch = u->jepoch, jnext = u->jnext;
    flash_sim_reset_count(&sim);
    for (int i = 0; i < 1000; i++) {
        /* reopened: hashed again (the log alone is not trusted), nothing written */
        EXPECT(update_resume(u, MANIFEST_COMP_APP), UPDATE_OK);
        CHECK(u->dl == UPDATE_DOWNLOADED);
        EXPECT(update_finish(u), UPDATE_OK);
        CHECK(u->dl == UPDATE_VERIFIED && update_activated_already(u));
        EXPECT(update_activate(u), UPDATE_OK);
        CHECK(u->dl == UPDATE_IDLE);
    }
    CHECK(flash_sim_ops(&sim) == 0);
    CHECK(u->jepoch == epoch && u->jnext == jnext);
    /* still the trial to boot */
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_B && r.info.m.version == 0x02000000);
    /* a rejected image activated again is a new trial: one record */
    EXPECT(update_reject(u, MANIFEST_COMP_APP), UPDATE_OK);
    EXPECT(update_resume(u, MANIFEST_COMP_APP), UPDATE_OK);
    EXPECT(update_finish(u), UPDATE_OK);
    CHECK(!update_activated_already(u));
    jnext = u->jnext;
    EXPECT(update_activate(u), UPDATE_OK);
    CHECK(u->jnext == jnext + 32);
    free(mv1.bytes);
    free(app1.bytes);
    free(app2.bytes);
    free(u);
}

/* A flash whose n-th read fails (reads are not numbered by flash_sim). */
static const struct flash_ops *real_ops;
static int read_fail_in = -1, reads;
static int failing_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    reads++;
    if (read_fail_in >= 0 && read_fail_in-- == 0)
        return FLASH_EIO;
    return real_ops->read(ctx, off, buf, len);
}
static int pass_program(void *ctx, uint32_t off, const void *buf, size_t len)
{
    return real_ops->program(ctx, off, buf, len);
}
static int pass_erase(void *ctx, uint32_t off)
{
    return real_ops->erase_page(ctx, off);
}
static const struct flash_ops failing_ops = {failing_read, pass_program, pass_erase};

/* L3: update_begin that fails for any reason leaves no download open
 * (a flash error while reading the progress log of the download it
 * resumes, or while writing a new manifest page). */
static void test_begin_error_closes(void)
{
    update_t *u = malloc(sizeof(*u));
    struct image mv1, app1, app2, app3;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x02000000, 2, 30000, 1, seed_app);
    make_image(&app3, MANIFEST_COMP_APP, 0x03000000, 3, 30000, 1, seed_app);
    new_device(u, &mv1, &app1, 1000);
    EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
    EXPECT(update_write(u, 0, app2.bytes, 2 * PAGE), UPDATE_OK);
    /* resuming app2: its progress log cannot be read (the last reads of
     * a successful resume are the log's) */
    real_ops = fl.ops;
    fl.ops = &failing_ops;
    reads = 0;
    EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
    CHECK(update_next_offset(u) == 2 * PAGE);
    int n = reads;
    for (int k = n - 1; k >= n - 2; k--) {
        read_fail_in = k;
        EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_E_FLASH);
        CHECK(u->dl == UPDATE_IDLE);
        EXPECT(update_write(u, 0, app2.bytes, 16), UPDATE_E_STATE);
        EXPECT(update_write(u, 2 * PAGE, app2.bytes + 2 * PAGE, 16), UPDATE_E_STATE);
    }
    fl.ops = real_ops;
    read_fail_in = -1;
    EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
    CHECK(update_next_offset(u) == 2 * PAGE);
    /* a new manifest whose page cannot be erased */
    flash_sim_reset_count(&sim);
    flash_sim_arm(&sim, 0, FLASH_SIM_CUT_BEFORE, 1);
    EXPECT(update_begin(u, app3.env, app3.env_len), UPDATE_E_FLASH);
    flash_sim_power_on(&sim);
    CHECK(u->dl == UPDATE_IDLE);
    EXPECT(update_write(u, 0, app3.bytes, 16), UPDATE_E_STATE);
    EXPECT(install(u, &app3, 4096), UPDATE_OK);
    free(mv1.bytes);
    free(app1.bytes);
    free(app2.bytes);
    free(app3.bytes);
    free(u);
}

/* M3: a load through the loader copies and hashes in UPDATE_LOAD_STEP
 * pieces and calls step after each (the microvisor feeds its watchdog
 * there); the bytes that land are the image's. */
static uint8_t *load_ram;
static size_t load_ram_size;
static unsigned load_steps;
static void *ram_map(void *ctx, uint32_t comp, uint32_t target, uint32_t size)
{
    (void)ctx;
    if (comp != MANIFEST_COMP_APP || target < NS_CODE_BASE ||
        target - NS_CODE_BASE > load_ram_size || size > load_ram_size - (target - NS_CODE_BASE))
        return NULL;
    return load_ram + (target - NS_CODE_BASE);
}
static void count_step(void *ctx)
{
    (void)ctx;
    load_steps++;
}

static void test_loader_steps(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct image mv1, app1;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 100000, 2, seed_app);
    load_ram_size = app1.size;
    load_ram = malloc(load_ram_size);
    new_device(u, &mv1, &app1, 4096);
    const struct update_loader loader = {ram_map, NULL, count_step};
    u->loader = &loader;
    load_steps = 0;
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_A);
    /* two layers of 100000 bytes: 7 pieces each */
    CHECK(load_steps == 2 * ((100000 + UPDATE_LOAD_STEP - 1) / UPDATE_LOAD_STEP));
    CHECK(memcmp(load_ram, app1.bytes, 100000) == 0);
    CHECK(memcmp(load_ram + 100000, app1.bytes + 100000, 100000) == 0);
    /* without step: same load, nothing called */
    const struct update_loader plain = {ram_map, NULL, NULL};
    u->loader = &plain;
    memset(load_ram, 0, load_ram_size);
    EXPECT(boot_ctx(u), UPDATE_OK);
    u->loader = &plain;
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(memcmp(load_ram, app1.bytes, 100000) == 0);
    free(load_ram);
    free(mv1.bytes);
    free(app1.bytes);
    free(u);
}


/* Issue 10, sequence 2: a staged image damaged in flash is repaired by
 * sending the same bundle again. The log's VERIFIED is not trusted: a
 * reopened download is hashed again, and a damaged layer winds the log
 * back to its page, so only that part is sent again. */
static void test_repair_damaged(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct update_slot_info info;
    struct image mv1, app1, app2;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x02000000, 2, 20000, 2, seed_app);
    new_device(u, &mv1, &app1, 1000);
    confirm_first_boot(u);
    const uint32_t data = FLASH_APP_SLOT_B + 2 * PAGE - FLASH_BASE;
    const uint32_t layer1 = 20000 + 0; /* 20000 is a multiple of 16: layer 1 starts there */
    /* keel update --no-activate, then a bit flips in layer 1 */
    EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
    EXPECT(send_rest(u, &app2, 1000), UPDATE_OK);
    EXPECT(update_finish(u), UPDATE_OK);
    mem[data + layer1 + 300] ^= 1;
    for (int round = 0; round < 2; round++) {
        /* keel update again: reopened unverified, hashed, found damaged */
        EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
        CHECK(u->dl == UPDATE_DOWNLOADED && update_next_offset(u) == app2.size);
        EXPECT(update_activate(u), UPDATE_E_STATE); /* never activated unhashed */
        EXPECT(update_finish(u), UPDATE_E_DAMAGED);
        CHECK(u->dl == UPDATE_IDLE);
        EXPECT(update_slot_check(u, MANIFEST_COMP_APP, 1, false, &info), UPDATE_E_INCOMPLETE);
        /* a reboot here: the slot is not taken for complete */
        EXPECT(boot_ctx(u), UPDATE_OK);
        EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
        CHECK(r.action == UPDATE_BOOT_A && r.check[1] == UPDATE_E_INCOMPLETE && !r.rejected);
        /* resumed at the page where the damaged layer starts */
        EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
        CHECK(u->dl == UPDATE_DOWNLOADING && update_next_offset(u) == (layer1 & ~(PAGE - 1)));
        EXPECT(send_rest(u, &app2, 1000), UPDATE_OK);
        EXPECT(update_finish(u), UPDATE_OK);
        if (round == 0) { /* damaged again before the activation: the same again */
            mem[data + 100] ^= 4; /* this time in layer 0 */
            EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
            EXPECT(update_finish(u), UPDATE_E_DAMAGED);
            EXPECT(update_begin(u, app2.env, app2.env_len), UPDATE_OK);
            CHECK(update_next_offset(u) == 0);
            EXPECT(send_rest(u, &app2, 1000), UPDATE_OK);
            EXPECT(update_finish(u), UPDATE_OK);
            mem[data + layer1 + 300] ^= 1; /* and round 1 repeats the first damage */
        }
    }
    EXPECT(update_activate(u), UPDATE_OK);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_B && r.info.m.version == 0x02000000);
    EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_OK);

    /* a progress log that lost its VERIFIED record names the real reason,
     * and the same bundle makes it whole again (hashed, VERIFIED again) */
    free(app1.bytes);
    make_image(&app1, MANIFEST_COMP_APP, 0x03000000, 3, 3000, 1, seed_app);
    EXPECT(install(u, &app1, 1000), UPDATE_OK);
    struct progress_probe { uint32_t off; } pp = {0};
    for (uint32_t off = 0; off < PAGE; off += 16) /* the VERIFIED entry: kind 2 */
        if (mem[FLASH_APP_SLOT_A + PAGE - FLASH_BASE + off + 4] == 2)
            pp.off = off;
    CHECK(pp.off > 0);
    mem[FLASH_APP_SLOT_A + PAGE - FLASH_BASE + pp.off + 9] ^= 1; /* its CRC fails */
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_BOOT_B && r.check[0] == UPDATE_E_INCOMPLETE && r.rejected);
    CHECK(update_state(u, MANIFEST_COMP_APP)->rejected.reason == UPDATE_E_INCOMPLETE);
    CHECK(strcmp(update_reject_strerror(UPDATE_E_INCOMPLETE), update_strerror(UPDATE_E_INCOMPLETE)) == 0);
    EXPECT(update_begin(u, app1.env, app1.env_len), UPDATE_OK);
    CHECK(u->dl == UPDATE_DOWNLOADED);
    EXPECT(update_finish(u), UPDATE_OK);
    EXPECT(update_activate(u), UPDATE_OK);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_A && r.info.m.version == 0x03000000);
    free(mv1.bytes);
    free(app1.bytes);
    free(app2.bytes);
    free(u);
}

/* A bundle that is already installed and confirmed is refused as such,
 * with nothing written (not a second copy on a new trial); once its slot
 * is damaged (the boot wound the log back) it is not "installed" any more
 * and the same bundle repairs it in place. A REJECT's reason survives a
 * journal page move. */
static void test_already_installed(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct image mv1, app1;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 30000, 1, seed_app);
    new_device(u, &mv1, &app1, 1000);
    confirm_first_boot(u);
    flash_sim_reset_count(&sim);
    EXPECT(update_begin(u, app1.env, app1.env_len), UPDATE_E_INSTALLED);
    EXPECT(update_begin(u, mv1.env, mv1.env_len), UPDATE_E_INSTALLED);
    CHECK(u->dl == UPDATE_IDLE && flash_sim_ops(&sim) == 0);
    CHECK(strcmp(update_strerror(UPDATE_E_INSTALLED),
                 "already installed: this image is the confirmed one") == 0);
    /* the confirmed app's bytes are damaged: the boot has nothing else to
     * start (NO_IMAGE), so it records nothing (review-10 M1: a transient
     * fault must not leave nothing bootable); the log still says VERIFIED,
     * yet the same bundle is not "already installed" (H1): this boot did not
     * start it. It goes to the other slot and boots from there. */
    mem[FLASH_APP_SLOT_A + 2 * PAGE - FLASH_BASE + 20000] ^= 2;
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_E_NO_IMAGE);
    CHECK(r.check[0] == UPDATE_E_VERIFY);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_E_NO_IMAGE);
    CHECK(r.check[0] == UPDATE_E_VERIFY); /* nothing recorded: hashed again */
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    EXPECT(update_begin(u, app1.env, app1.env_len), UPDATE_OK);
    CHECK(u->dl_slot == 1 && u->dl == UPDATE_DOWNLOADING && update_next_offset(u) == 0);
    EXPECT(send_rest(u, &app1, 1000), UPDATE_OK);
    EXPECT(update_finish(u), UPDATE_OK);
    EXPECT(update_activate(u), UPDATE_OK);
    EXPECT(boot_ctx(u), UPDATE_OK);
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.action == UPDATE_TRIAL_B);
    EXPECT(update_confirm(u, MANIFEST_COMP_APP), UPDATE_OK);
    EXPECT(update_begin(u, app1.env, app1.env_len), UPDATE_E_INSTALLED);
    /* a reason in the journal survives its page moves */
    struct image app2;
    make_image(&app2, MANIFEST_COMP_APP, 0x02000000, 2, 3000, 1, seed_app);
    EXPECT(install(u, &app2, 1000), UPDATE_OK);
    mem[FLASH_APP_SLOT_A + 2 * PAGE - FLASH_BASE + 7] ^= 2;
    EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
    CHECK(r.rejected && update_state(u, MANIFEST_COMP_APP)->rejected.reason == UPDATE_E_VERIFY);
    EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
    uint32_t epoch = u->jepoch;
    EXPECT(install(u, &mv1, 1000), UPDATE_E_INSTALLED);
    struct image mv2;
    make_image(&mv2, MANIFEST_COMP_MICROVISOR, 0x01010000, 1, 3000, 1, seed_mv);
    EXPECT(install(u, &mv2, 1000), UPDATE_OK);
    while (u->jepoch == epoch) {
        EXPECT(update_reject(u, MANIFEST_COMP_MICROVISOR), UPDATE_OK);
        EXPECT(update_resume(u, MANIFEST_COMP_MICROVISOR), UPDATE_OK);
        EXPECT(update_finish(u), UPDATE_OK);
        EXPECT(update_activate(u), UPDATE_OK);
    }
    EXPECT(boot_ctx(u), UPDATE_OK);
    const struct update_comp_state *st = update_state(u, MANIFEST_COMP_APP);
    CHECK(st->rejected.set && st->rejected.reason == UPDATE_E_VERIFY &&
          st->rejected.version == 0x02000000);
    CHECK(update_state(u, MANIFEST_COMP_MICROVISOR)->rejected.reason == UPDATE_REJ_FAILED);
    free(mv1.bytes);
    free(mv2.bytes);
    free(app1.bytes);
    free(app2.bytes);
    free(u);
}

/* Issue 10, sequence 1: two updates back to back. The second activation
 * happens while the first component's trial runs; a reset then would end
 * that trial (the boot cannot tell it from a crash: REVERT, reason RESET),
 * so the device defers the reboot while update_trial_running says so, and
 * both end confirmed. Both orders. */
static void test_back_to_back(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct image mv1, mv2, app1, app2;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 5000, 1, seed_mv);
    make_image(&mv2, MANIFEST_COMP_MICROVISOR, 0x02000000, 2, 5000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 3000, 1, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x02000000, 2, 3000, 1, seed_app);
    for (int order = 0; order < 2; order++)
        for (int defer = 0; defer < 2; defer++) {
            const struct image *first = order ? &app2 : &mv2, *second = order ? &mv2 : &app2;
            new_device(u, &mv1, &app1, 1000);
            confirm_first_boot(u);
            EXPECT(install(u, first, 1000), UPDATE_OK);
            EXPECT(boot_ctx(u), UPDATE_OK);
            EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
            EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
            CHECK(update_trial_running(u, first->comp) && !update_trial_running(u, second->comp));
            EXPECT(install(u, second, 1000), UPDATE_OK); /* allowed meanwhile */
            if (defer) /* the device waits for the health rule before it resets */
                EXPECT(update_confirm(u, first->comp), UPDATE_OK);
            CHECK(update_trial_running(u, first->comp) == !defer);
            EXPECT(boot_ctx(u), UPDATE_OK);
            EXPECT(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), UPDATE_OK);
            CHECK(r.rejected == (!defer && first->comp == MANIFEST_COMP_MICROVISOR));
            EXPECT(update_boot(u, MANIFEST_COMP_APP, &r), UPDATE_OK);
            const struct update_comp_state *f = update_state(u, first->comp);
            if (!defer) { /* the hazard the deferral removes */
                CHECK(f->rejected.set && f->rejected.reason == UPDATE_REJ_RESET &&
                      f->confirmed.slot == 0);
                continue;
            }
            CHECK(update_trial_running(u, second->comp));
            EXPECT(update_confirm(u, second->comp), UPDATE_OK);
            CHECK(update_state(u, 1)->floor == 2 && update_state(u, 2)->floor == 2);
            CHECK(!update_state(u, 1)->trial.set && !update_state(u, 2)->trial.set);
            CHECK(!update_state(u, 1)->rejected.set && !update_state(u, 2)->rejected.set);
        }
    free(mv1.bytes);
    free(mv2.bytes);
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
    test_boot_rejections();
    test_lazy_boot();
    test_trust_store();
    test_finish_steps();
    test_app_waits_for_mv_trial();
    test_trial_in_progress();
    test_activate_idempotent();
    test_begin_error_closes();
    test_loader_steps();
    test_repair_damaged();
    test_already_installed();
    test_back_to_back();
    free(mem);
    free(bitmap);
    if (failures) {
        fprintf(stderr, "test_update: %d failures\n", failures);
        return 1;
    }
    puts("test_update: ok");
    return 0;
}
