/*
 * IMPLEMENTATION NOTES
 * The boot decision is a const table, read top to bottom, first match wins,
 * UPDATE_PANIC if nothing matches (MCUboot's boot_swap_tables habit). Its
 * inputs are the persisted facts only: which slots hold a valid image,
 * which one the journal confirms, which one is on trial and whether the
 * trial was already booted once. "valid" already includes the
 * anti-rollback rule (counter >= floor), so no row can pick a rolled-back
 * image. The table is exhaustively checked against a reference model in
 * tests/unit/update/test_update.c.
 */
#include "update.h"

#define ANY 0xFF
#define S_A 0
#define S_B 1
#define S_NONE 2 /* UPDATE_NONE in the table */

struct row {
    uint8_t valid_a, valid_b; /* 0, 1 or ANY */
    uint8_t confirmed;        /* S_A, S_B, S_NONE or ANY */
    uint8_t trial;            /* S_A, S_B, S_NONE or ANY */
    uint8_t attempted;        /* 0, 1 or ANY */
    uint8_t newer;            /* S_A, S_B or ANY */
    uint8_t action;
};

static const struct row table[] = {
    /* (a trial row applies only while the trial's slot is valid) */
    /* a trial not yet booted: boot it once */
    {1, ANY, ANY, S_A, 0, ANY, UPDATE_TRIAL_A},
    {ANY, 1, ANY, S_B, 0, ANY, UPDATE_TRIAL_B},
    /* a trial booted and never confirmed: go back to the other image */
    {1, 1, ANY, S_A, 1, ANY, UPDATE_REVERT_TO_B},
    {1, 1, ANY, S_B, 1, ANY, UPDATE_REVERT_TO_A},
    /* ... unless it is the only valid image left */
    {1, 0, ANY, S_A, 1, ANY, UPDATE_BOOT_A},
    {0, 1, ANY, S_B, 1, ANY, UPDATE_BOOT_B},
    /* the confirmed image */
    {1, ANY, S_A, ANY, ANY, ANY, UPDATE_BOOT_A},
    {ANY, 1, S_B, ANY, ANY, ANY, UPDATE_BOOT_B},
    /* the confirmed image is damaged: the other one is signed and not
     * rolled back, so it beats bricking */
    {0, 1, S_A, ANY, ANY, ANY, UPDATE_BOOT_B},
    {1, 0, S_B, ANY, ANY, ANY, UPDATE_BOOT_A},
    /* nothing confirmed yet (first boot): the newest valid image */
    {1, 1, S_NONE, ANY, ANY, S_A, UPDATE_BOOT_A},
    {1, 1, S_NONE, ANY, ANY, S_B, UPDATE_BOOT_B},
    {1, 0, S_NONE, ANY, ANY, ANY, UPDATE_BOOT_A},
    {0, 1, S_NONE, ANY, ANY, ANY, UPDATE_BOOT_B},
};

static uint8_t slot_code(int s)
{
    return s == 0 ? S_A : s == 1 ? S_B : S_NONE;
}

static bool match(uint8_t want, uint8_t have)
{
    return want == ANY || want == have;
}

enum update_action update_decide(const struct update_decide_in *in)
{
    uint8_t va = in->valid[0] ? 1 : 0, vb = in->valid[1] ? 1 : 0;
    uint8_t conf = slot_code(in->confirmed), trial = slot_code(in->trial);
    uint8_t att = in->attempted ? 1 : 0, newer = in->newer == 1 ? S_B : S_A;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        const struct row *r = &table[i];
        if (match(r->valid_a, va) && match(r->valid_b, vb) && match(r->confirmed, conf) &&
            match(r->trial, trial) && match(r->attempted, att) && match(r->newer, newer))
            return (enum update_action)r->action;
    }
    return UPDATE_PANIC;
}

int update_action_slot(enum update_action a)
{
    switch (a) {
    case UPDATE_BOOT_A:
    case UPDATE_TRIAL_A:
    case UPDATE_REVERT_TO_A:
        return 0;
    case UPDATE_BOOT_B:
    case UPDATE_TRIAL_B:
    case UPDATE_REVERT_TO_B:
        return 1;
    default:
        return UPDATE_NONE;
    }
}
