/*
 * IMPLEMENTATION NOTES
 * The OTA client's device side (ota.h, struct ota_engine): the update
 * context is the microvisor's one (trial_update(), docs/updates.md "One
 * journal writer"), so the client, the update port and the health rules
 * write the journal through the same context, all from deferred work.
 *
 * The envelope's staging is the update port's frame buffer, lent
 * (update_uart_lend): the port's request handling and the client's fetch
 * of an envelope are never in progress at once (update_uart.h says why),
 * which saves MANIFEST_MAX_SIZE bytes of secure RAM. While the client has
 * it, the port answers nothing; the client holds it only while the session
 * is up and for the few round trips an envelope takes.
 *
 * Installs: activated images restart at once (the manifest's politeness
 * is not read yet). The seam for polite installs is ota_device_restart:
 * that is where an application that opened the UPDATE notification would
 * be told UPDATEDOWNLOADED and the restart wait for
 * mvRestart(MV_RESTARTMODE_AUTOAPPLYUPDATE) or the politeness time.
 */
#include "ota_device.h"

#include "board.h"
#include "console.h"
#include "trial.h"
#include "update_uart.h"

static struct ota ota;
static uint32_t running_mv_version;

static update_t *ota_device_update(void *ctx)
{
    (void)ctx;
    update_t *u = trial_update();
    if (u && u->mv_version == 0)
        u->mv_version = running_mv_version; /* no app was loaded to set it */
    return u;
}

static uint8_t *ota_device_stage(void *ctx)
{
    (void)ctx;
    return update_uart_lend();
}

static void ota_device_unstage(void *ctx)
{
    (void)ctx;
    update_uart_unlend();
}

static void ota_device_restart(void *ctx, uint32_t comp)
{
    uint32_t other, ms;
    const char *what = comp == MANIFEST_COMP_MICROVISOR ? "microvisor" : "app";
    (void)ctx;
    if (trial_reset_blocked(&other, &ms)) {
        /* a reset now would revert that trial: reset once it is over */
        console_printf("[ota] %s update activated: the restart waits for the %s's trial "
                       "(about %u ms)\n", what,
                       other == MANIFEST_COMP_MICROVISOR ? "microvisor" : "app", ms);
        trial_reset_when_clear(what);
        return;
    }
    console_printf("[ota] %s update activated: restarting into it\n", what);
    board_reset();
}

static const struct ota_engine ota_device_engine = {
    ota_device_update, ota_device_stage, ota_device_unstage, ota_device_restart, NULL,
};

struct ota *ota_device_init(const char *id, uint32_t mv_version)
{
    uint32_t seed;
    running_mv_version = mv_version;
    board_entropy(&seed, sizeof(seed));
    ota_init(&ota, id, &ota_device_engine, seed);
    return &ota;
}
