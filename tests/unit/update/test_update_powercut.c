/*
 * Power cut at every flash operation (MCUboot's run_perm_with_fails, with
 * SQLite test6.c's torn writes): for each scenario the operations are
 * counted once, then for every operation index i and every cut mode
 * (before, torn, after) the scenario is replayed from the same starting
 * flash with the power cut at operation i. After each cut the device
 * reboots and must
 *   - boot a fully verified, signed image for both components (never
 *     UPDATE_E_NO_IMAGE), one of the scenario's two versions,
 *   - never boot a counter below the floor the scenario started with, and
 *     never lower the floor,
 *   - and then finish the interrupted work by resuming it (the resumed
 *     download keeps every page recorded before the cut).
 * Usage: test_update_powercut [stride] [torn-seeds] [stride2]; stride N
 * tests every Nth operation index; with stride2 the work that completes
 * each interrupted run is cut again at every stride2-th of its operations
 * (double cuts, `make soak`).
 */
#include "harness.h"

enum scenario {
    SC_APP_UPDATE, SC_MV_UPDATE, SC_CONFIRM, SC_REVERT, SC_COMPACT,
    SC_MV_THEN_APP, SC_APP_THEN_MV, SC_REPAIR_STAGED, SC_REPAIR_REJECTED,
    SC_REPAIR_FULL, SC_COUNT
};
static const char *const sc_name[SC_COUNT] = {
    "app update", "microvisor update", "confirm", "revert", "app update over a full journal",
    "microvisor then app, back to back", "app then microvisor, back to back",
    "damaged staged app, sent again", "damaged app rejected at boot, sent again",
    "damaged app rejected at boot, log full (BAD), sent again"};

static struct image mv1, mv2, app1, app2, app3;
static uint8_t *start_mem[SC_COUNT], *start_bitmap[SC_COUNT];
static update_t *u;
#define CHUNK 1500 /* not a multiple of 16: the engine's tail buffer works too */

static void save(enum scenario s)
{
    start_mem[s] = malloc(FLASH_SIZE);
    start_bitmap[s] = malloc(FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16));
    memcpy(start_mem[s], mem, FLASH_SIZE);
    memcpy(start_bitmap[s], bitmap, FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16));
}

static void restore(enum scenario s)
{
    memcpy(mem, start_mem[s], FLASH_SIZE);
    memcpy(bitmap, start_bitmap[s], FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16));
    flash_sim_power_on(&sim);
    flash_sim_reset_count(&sim);
}

static void must(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "setup: %s: %s\n", what, update_strerror(rc));
        exit(1);
    }
}

static int run(enum scenario s);

static uint32_t upd_slot_addr_of(uint32_t slot)
{
    return layout.slot[MANIFEST_COMP_APP][slot];
}

/* A bit of image byte `off` of an app slot flips in flash. */
static void damage(uint32_t slot, uint32_t off)
{
    mem[slot + 2 * PAGE + off - FLASH_BASE] ^= 0x10;
}

/* What `keel update` does: begin (or resume), send the rest, finish, and
 * when finish finds a staged image damaged in flash, begin again (it
 * resumes at the damaged part); then activate. UPDATE_E_INSTALLED as the
 * device answers it. */
static int host_update(const struct image *img)
{
    for (int pass = 0; pass < 3; pass++) {
        int rc = update_begin(u, img->env, img->env_len);
        if (rc == UPDATE_OK && (rc = send_rest(u, img, CHUNK)) == UPDATE_OK)
            rc = update_finish(u);
        if (rc == UPDATE_E_DAMAGED)
            continue;
        return rc ? rc : update_activate(u);
    }
    return UPDATE_E_DAMAGED;
}

/* Power on: both components boot (with the decision's writes). */
static int power_on(struct update_boot_result res[UPDATE_COMPONENTS])
{
    int rc = boot_ctx(u);
    for (uint32_t c = 1; c < UPDATE_COMPONENTS && rc == UPDATE_OK; c++)
        rc = update_boot(u, c, &res[c]);
    return rc;
}

/* The running trials pass their health rules: the microvisor's first (an
 * app is confirmed only after it). The device defers a requested reboot
 * until this is done (no trial runs), which is what keeps a back-to-back
 * update of the other component from reverting a trial. */
static int health(void)
{
    int rc = UPDATE_OK;
    if (update_trial_running(u, MANIFEST_COMP_MICROVISOR))
        rc = update_confirm(u, MANIFEST_COMP_MICROVISOR);
    if (rc == UPDATE_OK && update_trial_running(u, MANIFEST_COMP_APP))
        rc = update_confirm(u, MANIFEST_COMP_APP);
    return rc;
}

/* Two updates sent back to back, first then second; each activation asks
 * for a reboot, which the device takes only when no trial runs. */
static int back_to_back(const struct image *first, const struct image *second)
{
    struct update_boot_result res[UPDATE_COMPONENTS];
    int rc = host_update(first);
    if (rc || (rc = power_on(res)))
        return rc;
    if (!update_trial_running(u, first->comp))
        return UPDATE_E_STATE;
    /* sent during the first one's trial: activated, its reboot deferred */
    if ((rc = host_update(second)))
        return rc;
    if ((rc = health()) || (rc = power_on(res)))
        return rc;
    if (!update_trial_running(u, second->comp) ||
        update_state(u, first->comp)->trial.set)
        return UPDATE_E_STATE;
    return health();
}

/* Builds every scenario's starting flash. */
static void setup(void)
{
    struct update_boot_result r;
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 20000, 1, seed_mv);
    make_image(&mv2, MANIFEST_COMP_MICROVISOR, 0x01010000, 2, 24000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 9000, 2, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x01010000, 2, 13000, 2, seed_app);
    make_image(&app3, MANIFEST_COMP_APP, 0x01020000, 3, 10000, 1, seed_app);
    flash_sim_init(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);
    must(boot_ctx(u), "init");
    must(update_journal_format(u), "format");
    must(install(u, &mv1, 4096), "mv1");
    must(install(u, &app1, 4096), "app1");
    must(update_boot(u, MANIFEST_COMP_MICROVISOR, &r), "boot mv1");
    must(update_confirm(u, MANIFEST_COMP_MICROVISOR), "confirm mv1");
    must(update_boot(u, MANIFEST_COMP_APP, &r), "boot app1");
    must(update_confirm(u, MANIFEST_COMP_APP), "confirm app1");
    save(SC_APP_UPDATE);
    save(SC_MV_UPDATE);
    /* app2 on trial, booted once */
    must(install(u, &app2, 4096), "app2");
    must(boot_ctx(u), "init");
    must(update_boot(u, MANIFEST_COMP_APP, &r), "boot app2");
    if (r.action != UPDATE_TRIAL_B)
        must(UPDATE_E_STATE, "trial");
    save(SC_CONFIRM);
    save(SC_REVERT);
    /* app2 rejected, its slot still verified; the journal filled to its
     * last record or two, so the scenario's activation or the boot after
     * it moves the journal to its other page */
    must(update_reject(u, MANIFEST_COMP_APP), "reject");
    while (u->jnext + 2 * 32 <= PAGE) {
        must(update_resume(u, MANIFEST_COMP_APP), "resume");
        must(update_finish(u), "finish");
        must(update_activate(u), "activate");
        must(update_reject(u, MANIFEST_COMP_APP), "reject");
    }
    uint32_t epoch = u->jepoch;
    save(SC_COMPACT);
    /* the clean run of that scenario does compact */
    if (run(SC_COMPACT) || u->jepoch != epoch + 1)
        must(UPDATE_E_STATE, "compaction scenario");
    /* back to back: from mv1 + app1 confirmed */
    restore(SC_APP_UPDATE);
    save(SC_MV_THEN_APP);
    save(SC_APP_THEN_MV);
    /* app2 staged (verified, not activated), then a bit of its second layer
     * flips in flash */
    must(boot_ctx(u), "init");
    must(update_begin(u, app2.env, app2.env_len), "stage app2");
    must(send_rest(u, &app2, 4096), "stage app2");
    must(update_finish(u), "stage app2");
    uint32_t slot = upd_slot_addr_of(u->dl_slot);
    damage(slot, 13000 + 4000);
    save(SC_REPAIR_STAGED);
    /* app2 activated, then damaged: the boot rejects it */
    restore(SC_APP_UPDATE);
    must(boot_ctx(u), "init");
    must(install(u, &app2, 4096), "app2");
    damage(slot, 13000 + 4000);
    save(SC_REPAIR_REJECTED);
    /* the same, round after round, until the slot's log has no room left
     * to wind back: the next boot marks it BAD instead (review-10 H1) */
    for (int round = 0;; round++) {
        struct update_boot_result res[UPDATE_COMPONENTS];
        struct update_slot_info inf;
        uint8_t *m0 = malloc(FLASH_SIZE), *b0 = malloc(FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16));
        memcpy(m0, mem, FLASH_SIZE);
        memcpy(b0, bitmap, FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16));
        must(power_on(res), "boot damaged app2");
        bool bad = update_slot_check(u, MANIFEST_COMP_APP, 1, false, &inf) == UPDATE_E_VERIFY;
        if (bad || round > 400) {
            memcpy(mem, m0, FLASH_SIZE);
            memcpy(bitmap, b0, FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16));
            free(m0);
            free(b0);
            must(bad ? UPDATE_OK : UPDATE_E_STATE, "fill the log");
            break;
        }
        free(m0);
        free(b0);
        must(host_update(&app2), "resend app2");
        damage(slot, 13000 + 4000);
    }
    save(SC_REPAIR_FULL);
}

/* The scenario's work, from a fresh boot, until done or the power dies. */
static int run(enum scenario s)
{
    struct update_boot_result r;
    int rc = boot_ctx(u);
    if (rc)
        return rc;
    switch (s) {
    case SC_APP_UPDATE:
        return install(u, &app2, CHUNK);
    case SC_MV_UPDATE:
        return install(u, &mv2, CHUNK);
    case SC_CONFIRM:
        return update_confirm(u, MANIFEST_COMP_APP);
    case SC_REVERT:
        if ((rc = update_reject(u, MANIFEST_COMP_APP)))
            return rc;
        if ((rc = boot_ctx(u)))
            return rc;
        return update_boot(u, MANIFEST_COMP_APP, &r);
    case SC_COMPACT:
        if ((rc = install(u, &app3, CHUNK)))
            return rc;
        return update_boot(u, MANIFEST_COMP_APP, &r);
    case SC_MV_THEN_APP:
        return back_to_back(&mv2, &app2);
    case SC_APP_THEN_MV:
        return back_to_back(&app2, &mv2);
    case SC_REPAIR_STAGED:
    case SC_REPAIR_REJECTED:
    case SC_REPAIR_FULL: {
        struct update_boot_result res[UPDATE_COMPONENTS];
        if (s != SC_REPAIR_STAGED) {
            if ((rc = power_on(res)))
                return rc;
            if (!res[2].rejected || update_state(u, 2)->rejected.reason != UPDATE_E_VERIFY)
                return UPDATE_E_STATE; /* the boot records the rejection */
        }
        if ((rc = host_update(&app2)) || (rc = power_on(res)))
            return rc;
        if (res[2].action != UPDATE_TRIAL_A && res[2].action != UPDATE_TRIAL_B)
            return UPDATE_E_STATE;
        return health();
    }
    default:
        return UPDATE_E_STATE;
    }
}

struct expect {
    const struct image *old_img[UPDATE_COMPONENTS], *new_img[UPDATE_COMPONENTS];
};

static bool is_img(const struct update_slot_info *i, const struct image *img)
{
    return img && i->m.version == img->version && i->m.security_counter == img->counter;
}

static void upd_digest_of(const struct image *img, uint8_t d[8])
{
    uint8_t h[32];
    keel_ossl_sha256(img->env, img->env_len, h);
    memcpy(d, h, 8);
}

static unsigned cut_failures;
static bool tolerate_cut; /* complete() may itself be cut (double cuts) */
static uint8_t *m2, *b2;  /* the flash after the first cut and reboot */

static void fail(enum scenario s, uint32_t op, int mode, const char *what, int rc)
{
    if (cut_failures++ < 20)
        fprintf(stderr, "%s, cut %d at op %u: %s (%s)\n", sc_name[s], mode, op, what,
                update_strerror(rc));
    failures++;
}

/* Reboot after a cut: both components boot a valid image of the expected
 * versions, at or above the starting floors. Returns the app boot. */
static void check_boot(enum scenario s, uint32_t op, int mode, const struct expect *e,
                       const uint32_t floor0[UPDATE_COMPONENTS],
                       struct update_boot_result res[UPDATE_COMPONENTS])
{
    int rc = boot_ctx(u);
    if (rc)
        return fail(s, op, mode, "init after cut", rc);
    for (uint32_t c = 1; c < UPDATE_COMPONENTS; c++) {
        rc = update_boot(u, c, &res[c]);
        if (rc)
            return fail(s, op, mode, "boot after cut", rc);
        if (!is_img(&res[c].info, e->old_img[c]) && !is_img(&res[c].info, e->new_img[c]))
            fail(s, op, mode, "booted an unexpected image", 0);
        if (res[c].info.m.security_counter < floor0[c])
            fail(s, op, mode, "booted below the starting floor", 0);
        if (update_state(u, c)->floor < floor0[c])
            fail(s, op, mode, "floor went down", 0);
        if (res[c].info.m.security_counter < update_state(u, c)->floor)
            fail(s, op, mode, "booted below the floor", 0);
        /* a REJECT this boot wrote names why: RESET for a reverted trial
         * (the cut), the check that failed for one it did not start */
        const struct update_comp_state *st = update_state(u, c);
        bool revert = res[c].action == UPDATE_REVERT_TO_A || res[c].action == UPDATE_REVERT_TO_B;
        if (res[c].rejected && (!st->rejected.set ||
                                (revert ? st->rejected.reason != UPDATE_REJ_RESET
                                        : st->rejected.reason >= 0)))
            fail(s, op, mode, "REJECT without the right reason", st->rejected.reason);
        if (res[c].record_err)
            fail(s, op, mode, "a boot record failed", res[c].record_err);
    }
}

static bool confirmed_as(uint32_t comp, const struct image *img)
{
    const struct update_comp_state *st = update_state(u, comp);
    uint8_t d[8];
    upd_digest_of(img, d);
    return st->confirmed.set && !st->trial.set && memcmp(st->confirmed.digest, d, 8) == 0 &&
           st->floor == img->counter;
}

/* After a cut in a multi-step scenario (the device has rebooted, trials
 * running before the cut reverted): the user runs the same keel updates
 * again and the device runs its health rules, until every component is
 * confirmed at its new image; a few rounds at most. */
static void drive(enum scenario s, uint32_t op, int mode, const struct expect *e)
{
    struct update_boot_result res[UPDATE_COMPONENTS];
    for (int round = 0; round < 4; round++) {
        int rc = health();
        bool done = true;
        for (uint32_t c = 1; c < UPDATE_COMPONENTS && rc == UPDATE_OK; c++) {
            const struct image *img = e->new_img[c] ? e->new_img[c] : e->old_img[c];
            if (confirmed_as(c, img))
                continue;
            done = false;
            if (!update_trial_running(u, c) && (rc = host_update(img)) == UPDATE_E_INSTALLED)
                rc = UPDATE_OK;
        }
        if (rc == UPDATE_OK && done)
            return;
        if (rc == UPDATE_OK)
            rc = health(); /* the deferred reboot waits for the trials */
        if (rc == UPDATE_OK)
            rc = power_on(res);
        if (rc && tolerate_cut && flash_sim_dead(&sim))
            return;
        if (rc)
            return fail(s, op, mode, "re-sent updates failed", rc);
    }
    fail(s, op, mode, "re-sent updates did not end with both confirmed", 0);
}

/* After the reboot: finish what was interrupted and check the end state. */
static void complete(enum scenario s, uint32_t op, int mode, const struct expect *e,
                     struct update_boot_result res[UPDATE_COMPONENTS], uint32_t frontier_at_cut)
{
    struct update_boot_result r;
    int rc;
    if (s == SC_CONFIRM) {
        /* either the confirm landed (app2 confirmed) or the trial reverted */
        const struct update_comp_state *st = update_state(u, MANIFEST_COMP_APP);
        bool new_ok = is_img(&res[2].info, &app2) && st->floor == 2 && !st->trial.set;
        bool old_ok = is_img(&res[2].info, &app1) && st->floor == 1 && !st->trial.set;
        if (!new_ok && !old_ok)
            fail(s, op, mode, "confirm neither landed nor reverted", 0);
        return;
    }
    if (s == SC_REVERT) {
        if (!is_img(&res[2].info, &app1) || update_state(u, 2)->trial.set)
            fail(s, op, mode, "revert did not end on the old app", 0);
        return;
    }
    if (s >= SC_MV_THEN_APP)
        return drive(s, op, mode, e);
    uint32_t comp = s == SC_MV_UPDATE ? MANIFEST_COMP_MICROVISOR : MANIFEST_COMP_APP;
    const struct image *img = e->new_img[comp];
    if (is_img(&res[comp].info, img))
        return; /* the activation landed: the new image is on trial */
    rc = update_begin(u, img->env, img->env_len);
    /* every page recorded before the cut is kept */
    if (rc == UPDATE_OK && update_next_offset(u) < frontier_at_cut)
        fail(s, op, mode, "resume lost recorded pages", 0);
    if (rc == UPDATE_OK && (rc = send_rest(u, img, CHUNK)) == UPDATE_OK &&
        (rc = update_finish(u)) == UPDATE_OK)
        rc = update_activate(u);
    if (rc && tolerate_cut && flash_sim_dead(&sim))
        return; /* a second cut, in the middle of the resumed work */
    if (rc)
        return fail(s, op, mode, "resumed update failed", rc);
    if ((rc = boot_ctx(u)) || (rc = update_boot(u, comp, &r))) {
        if (tolerate_cut && flash_sim_dead(&sim))
            return;
        return fail(s, op, mode, "boot after resume", rc);
    }
    if (!is_img(&r.info, img) || update_action_slot(r.action) != 1 ||
        (r.action != UPDATE_TRIAL_B && r.action != UPDATE_TRIAL_A))
        fail(s, op, mode, "resumed update does not boot as a trial", 0);
}

/* Double cuts: after the first cut (op, mode) and the reboot, the work
 * that completes it is cut again at every one of its operations (every
 * stride2-th), then the device reboots once more and must still boot a
 * valid image and finish. */
static unsigned long second_cuts(enum scenario s, uint32_t op, int mode, const struct expect *e,
                                 const uint32_t floor0[UPDATE_COMPONENTS],
                                 struct update_boot_result res[UPDATE_COMPONENTS],
                                 uint32_t stride2)
{
    const size_t bsize = FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16);
    unsigned long n = 0;
    memcpy(m2, mem, FLASH_SIZE);
    memcpy(b2, bitmap, bsize);
    flash_sim_reset_count(&sim);
    boot_ctx(u);
    complete(s, op, mode, e, res, 0); /* count its operations */
    uint32_t nops = flash_sim_ops(&sim);
    for (uint32_t op2 = 0; op2 < nops; op2 += stride2)
        for (int mode2 = FLASH_SIM_CUT_BEFORE; mode2 <= FLASH_SIM_CUT_AFTER; mode2++) {
            struct update_boot_result res2[UPDATE_COMPONENTS];
            memcpy(mem, m2, FLASH_SIZE);
            memcpy(bitmap, b2, bsize);
            flash_sim_power_on(&sim);
            flash_sim_reset_count(&sim);
            flash_sim_arm(&sim, op2, mode2, op2 * 31u + op);
            boot_ctx(u);
            tolerate_cut = true;
            complete(s, op, mode, e, res, 0);
            tolerate_cut = false;
            if (!flash_sim_dead(&sim)) {
                fail(s, op, mode, "the second cut did not happen", 0);
                continue;
            }
            uint32_t frontier = u->dl == UPDATE_DOWNLOADING ? u->frontier : 0;
            flash_sim_power_on(&sim);
            check_boot(s, op, mode, e, floor0, res2);
            complete(s, op, mode, e, res2, frontier);
            n++;
        }
    return n;
}

int main(int argc, char **argv)
{
    uint32_t stride = argc > 1 ? (uint32_t)atoi(argv[1]) : 1;
    uint32_t seeds = argc > 2 ? (uint32_t)atoi(argv[2]) : 2;
    uint32_t stride2 = argc > 3 ? (uint32_t)atoi(argv[3]) : 0; /* 0: no double cuts */
    if (stride == 0)
        stride = 1;
    harness_init();
    u = malloc(sizeof(*u));
    if (stride2) {
        m2 = malloc(FLASH_SIZE);
        b2 = malloc(FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16));
    }
    setup();
    unsigned long cuts = 0, double_cuts = 0;
    for (int s = 0; s < SC_COUNT; s++) {
        struct expect e = {{0}, {0}};
        e.old_img[1] = &mv1;
        e.old_img[2] = &app1;
        if (s == SC_MV_UPDATE || s == SC_MV_THEN_APP || s == SC_APP_THEN_MV)
            e.new_img[1] = &mv2;
        if (s == SC_APP_UPDATE || s == SC_CONFIRM || s >= SC_MV_THEN_APP)
            e.new_img[2] = &app2;
        if (s == SC_COMPACT)
            e.new_img[2] = &app3;
        /* count the operations of a clean run */
        restore(s);
        int rc = run(s);
        uint32_t nops = flash_sim_ops(&sim);
        if (rc)
            fail(s, 0, 0, "clean run failed", rc);
        if (s >= SC_MV_THEN_APP && (!confirmed_as(1, e.new_img[1] ? e.new_img[1] : e.old_img[1]) ||
                                    !confirmed_as(2, e.new_img[2])))
            fail(s, 0, 0, "clean run does not end with both confirmed", 0);
        restore(s);
        boot_ctx(u);
        uint32_t floor0[UPDATE_COMPONENTS] = {0, update_state(u, 1)->floor,
                                              update_state(u, 2)->floor};
        unsigned long sc_cuts = 0;
        for (uint32_t op = 0; op < nops; op += (op + stride < nops || op + 1 == nops) ? stride : nops - 1 - op) {
            for (int mode = FLASH_SIM_CUT_BEFORE; mode <= FLASH_SIM_CUT_AFTER; mode++) {
                uint32_t nseeds = mode == FLASH_SIM_CUT_TORN ? seeds : 1;
                for (uint32_t seed = 0; seed < nseeds; seed++) {
                    struct update_boot_result res[UPDATE_COMPONENTS];
                    restore(s);
                    flash_sim_arm(&sim, op, mode, op * 7919u + seed);
                    rc = run(s);
                    if (!flash_sim_dead(&sim)) {
                        fail(s, op, mode, "the cut did not happen", rc);
                        continue;
                    }
                    if (rc != UPDATE_E_FLASH || u->flash_err != FLASH_EPOWER)
                        fail(s, op, mode, "unexpected error before the cut", rc);
                    /* the last progress entry that landed (u survives the cut) */
                    uint32_t frontier = u->dl == UPDATE_DOWNLOADING ? u->frontier : 0;
                    flash_sim_power_on(&sim);
                    check_boot(s, op, mode, &e, floor0, res);
                    if (stride2)
                        double_cuts += second_cuts(s, op, mode, &e, floor0, res, stride2);
                    else
                        complete(s, op, mode, &e, res, frontier);
                    sc_cuts++;
                }
            }
            if (op + 1 == nops)
                break;
        }
        printf("%-32s %4u flash operations, %5lu cuts\n", sc_name[s], nops, sc_cuts);
        cuts += sc_cuts;
    }
    printf("total: %lu power cuts (stride %u, %u torn seeds)", cuts, stride, seeds);
    if (stride2)
        printf(", each followed by %lu second cuts in all (stride %u)", double_cuts, stride2);
    printf("\n");
    free(m2);
    free(b2);
    free(u);
    for (int s = 0; s < SC_COUNT; s++) {
        free(start_mem[s]);
        free(start_bitmap[s]);
    }
    free(mem);
    free(bitmap);
    struct image *all[] = {&mv1, &mv2, &app1, &app2, &app3};
    for (size_t i = 0; i < 5; i++)
        free(all[i]->bytes);
    if (failures) {
        fprintf(stderr, "test_update_powercut: %d failures\n", failures);
        return 1;
    }
    puts("test_update_powercut: ok");
    return 0;
}
