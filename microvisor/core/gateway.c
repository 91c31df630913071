/*
 * IMPLEMENTATION NOTES
 * Every call follows the same order, so a reviewer can check each against
 * it: (1) check scalar arguments, (2) copy input structures in, (3) check
 * every pointer, including those found inside the copies, with ns_mem,
 * (4) act, (5) copy results out. A pointer refused in (3) gives
 * MV_STATUS_PARAMETERFAULT and nothing has happened; an output that fails
 * in (5) after the action gives MV_STATUS_LATEFAULT. Output pointers are
 * checked in (3) as well (gw_out_ok: writable, and not inside any buffer
 * lent to the microvisor, which must never receive another call's
 * output), so LATEFAULT only arises if the application's view of memory
 * changes during the call.
 */
#include "gateway.h"

#include <stdbool.h>
#include <string.h>

#include "app.h"
#include "board.h"
#include "bufreg.h"
#include "mv_syscalls.h"
#include "notify.h"
#include "nvic.h"
#include "net_status.h"
#include "ns_mem.h"
#include "provision.h"
#include "sched.h"
#include "server_log.h"
#include "trial.h"
#include "wake.h"
#include "work.h"

static bool wall_time_set;
static uint64_t wall_time_offset_us;
static uint8_t log_message[MV_LOG_MESSAGE_MAX_LENGTH];

/* Fast interrupts masked as a group (mvDisableAllFastInterrupts): the
 * enabled state of each fast IRQ is kept here meanwhile. */
static bool fast_all_disabled;
static uint32_t fast_saved_enable[4];

void gateway_set_wall_time_offset(uint64_t offset_us)
{
    wall_time_offset_us = offset_us;
    wall_time_set = true;
}

void gateway_init(void)
{
    server_log_setup(work_register(server_log_drain));
}

void gateway_app_reset(void)
{
    notify_reset();
    net_status_reset();
    server_log_reset();
    bufreg_clear();
    for (uint32_t irq = 0; irq < board_irq_count(); irq++)
        sched_fast_irq_clear(irq);
    sched_fast_irqs_enable(true);
    fast_all_disabled = false;
    memset(fast_saved_enable, 0, sizeof(fast_saved_enable));
}

static bool gw_from_handler_mode(void)
{
    return ns_caller_in_handler_mode();
}

/* An output the caller names: writable by it, and not inside a registered
 * buffer (docs/syscalls.md: no call writes an output there; a result
 * written into a live notification ring or the log spool would corrupt
 * what the microvisor keeps there). */
static bool gw_out_ok(uint32_t ns_dst, uint32_t len, uint32_t align)
{
    return ns_mem_ok(ns_dst, len, align, true) && !bufreg_overlaps(ns_dst, len);
}

/* Writes a result the caller asked for: LATEFAULT if the output became
 * unwritable after the action. */
static uint32_t gw_out(uint32_t ns_dst, const void *src, uint32_t len, uint32_t align)
{
    return ns_copy_out(ns_dst, src, len, align) == 0 ? MV_STATUS_OKAY : MV_STATUS_LATEFAULT;
}

uint32_t gw_unavailable(GW_ARGS)
{
    (void)a0, (void)a1, (void)a2, (void)a3;
    return MV_STATUS_UNAVAILABLE;
}

uint32_t gw_no_op(GW_ARGS)
{
    (void)a0, (void)a1, (void)a2, (void)a3;
    return MV_STATUS_OKAY;
}

/* --- time and clocks ------------------------------------------------ */

uint32_t gw_get_microseconds(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    if (!gw_out_ok(a0, 8, 4))
        return MV_STATUS_PARAMETERFAULT;
    uint64_t now = board_time_us();
    return gw_out(a0, &now, sizeof(now), 4);
}

uint32_t gw_get_wall_time(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    if (!gw_out_ok(a0, 8, 4))
        return MV_STATUS_PARAMETERFAULT;
    if (!wall_time_set)
        return MV_STATUS_TIMENOTSET;
    uint64_t now = board_time_us() + wall_time_offset_us;
    return gw_out(a0, &now, sizeof(now), 4);
}

static uint32_t gw_get_clock(uint32_t out, enum board_clock which)
{
    if (!gw_out_ok(out, 4, 4))
        return MV_STATUS_PARAMETERFAULT;
    uint32_t hz = board_clock_hz(which);
    return gw_out(out, &hz, sizeof(hz), 4);
}

uint32_t gw_get_sys_clk(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    return gw_get_clock(a0, BOARD_CLOCK_SYS);
}

uint32_t gw_get_hclk(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    return gw_get_clock(a0, BOARD_CLOCK_HCLK);
}

uint32_t gw_get_pclk1(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    return gw_get_clock(a0, BOARD_CLOCK_PCLK1);
}

uint32_t gw_get_pclk2(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    return gw_get_clock(a0, BOARD_CLOCK_PCLK2);
}

/* --- identity ------------------------------------------------------- */

uint32_t gw_get_device_id(GW_ARGS)
{
    (void)a2, (void)a3;
    char id[MV_DEVICE_ID_LENGTH];
    if (a1 != MV_DEVICE_ID_LENGTH)
        return MV_STATUS_INVALIDBUFFERSIZE;
    if (!gw_out_ok(a0, MV_DEVICE_ID_LENGTH, 1))
        return MV_STATUS_PARAMETERFAULT;
    if (provision_device_id(id) != 0)
        return MV_STATUS_INTERNALERROR;
    return gw_out(a0, id, sizeof(id), 1);
}

/* --- peripheral registers ------------------------------------------- */

uint32_t gw_periph_peek32(GW_ARGS)
{
    (void)a2, (void)a3;
    struct board_periph_access acc;
    if ((a0 & 3u) || !board_periph_lookup(a0, &acc) || acc.read_mask == 0)
        return MV_STATUS_PERIPHERALACCESSFAULT;
    if (!gw_out_ok(a1, 4, 4))
        return MV_STATUS_PARAMETERFAULT;
    uint32_t value = *(volatile uint32_t *)(uintptr_t)acc.secure_addr & acc.read_mask;
    return gw_out(a1, &value, sizeof(value), 4);
}

uint32_t gw_periph_poke32(GW_ARGS)
{
    (void)a3;
    struct board_periph_access acc;
    if ((a0 & 3u) || !board_periph_lookup(a0, &acc) || acc.write_mask == 0)
        return MV_STATUS_PERIPHERALACCESSFAULT;
    /* new = (old & ~mask) ^ xor, restricted to the bits the app may write;
     * NS interrupts are masked for the whole call, so it is one step. */
    volatile uint32_t *reg = (volatile uint32_t *)(uintptr_t)acc.secure_addr;
    uint32_t old = *reg;
    uint32_t wanted = (old & ~a1) ^ a2;
    *reg = (old & ~acc.write_mask) | (wanted & acc.write_mask);
    return MV_STATUS_OKAY;
}

/* --- notifications -------------------------------------------------- */

uint32_t gw_setup_notifications(GW_ARGS)
{
    (void)a2, (void)a3;
    struct MvNotificationSetup setup;
    uint32_t handle;

    if (ns_copy_in(&setup, a0, sizeof(setup), 4) != 0)
        return MV_STATUS_PARAMETERFAULT;
    if (!gw_out_ok(a1, 4, 4))
        return MV_STATUS_PARAMETERFAULT;
    uint32_t buffer = (uint32_t)(uintptr_t)setup.buffer;
    if (setup.buffer_size < MV_NOTIFICATION_MIN_BUFFER_SIZE ||
        setup.buffer_size % MV_NOTIFICATION_RECORD_SIZE != 0)
        return MV_STATUS_INVALIDBUFFERSIZE;
    if (buffer % MV_NOTIFICATION_BUFFER_ALIGNMENT != 0)
        return MV_STATUS_INVALIDBUFFERALIGNMENT;
    if (!ns_mem_ok(buffer, setup.buffer_size, MV_NOTIFICATION_BUFFER_ALIGNMENT, true))
        return MV_STATUS_PARAMETERFAULT;
    if (buffer < a1 + 4u && a1 < buffer + setup.buffer_size)
        return MV_STATUS_PARAMETERFAULT; /* handle output inside the buffer it lends */
    if (bufreg_overlaps(buffer, setup.buffer_size))
        return MV_STATUS_BUFFERALREADYINUSE;
    if (!board_irq_is_app(setup.irq) || sched_fast_irq_is_set(setup.irq) ||
        notify_irq_in_use(setup.irq))
        return MV_STATUS_INVALIDINTERRUPT;
    uint32_t status = notify_setup(setup.irq, buffer, setup.buffer_size, &handle);
    if (status != MV_STATUS_OKAY)
        return status;
    return gw_out(a1, &handle, sizeof(handle), 4);
}

uint32_t gw_close_notifications(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    uint32_t handle;
    if (ns_copy_in(&handle, a0, sizeof(handle), 4) != 0 || !gw_out_ok(a0, 4, 4))
        return MV_STATUS_PARAMETERFAULT;
    uint32_t status = notify_close(handle);
    if (status != MV_STATUS_OKAY)
        return status;
    handle = 0;
    return gw_out(a0, &handle, sizeof(handle), 4);
}

uint32_t gw_temp_trigger_notification(GW_ARGS)
{
    (void)a3;
    return notify_post(a0, a1, a2);
}

/* --- network (net_status.c) ----------------------------------------- */

static void gw_post_network(void *ctx, uint32_t notify_handle, uint32_t tag)
{
    (void)ctx;
    /* A center closed since the request: the record has nowhere to go. */
    (void)notify_post(notify_handle, MV_EVENTTYPE_NETWORKSTATUSCHANGED, tag);
}

void gateway_network_changed(uint32_t status, bool calm)
{
    (void)net_status_link(status, calm, gw_post_network, NULL);
}

uint32_t gw_request_network(GW_ARGS)
{
    (void)a2, (void)a3;
    struct MvRequestNetworkParams params;
    uint32_t handle;

    if (ns_copy_in(&params, a0, sizeof(params), 4) != 0)
        return MV_STATUS_PARAMETERFAULT;
    if (!gw_out_ok(a1, 4, 4))
        return MV_STATUS_PARAMETERFAULT;
    if (params.version != 1)
        return MV_STATUS_UNSUPPORTEDSTRUCTUREVERSION;
    /* 0: the application polls (docs/twilio-compat.md); anything else
     * must name an open center now, so no record is ever aimed at a
     * handle the application made up. */
    uint32_t center = (uint32_t)(uintptr_t)params.v1.notification_handle;
    if (center != 0 && !notify_handle_ok(center))
        return MV_STATUS_INVALIDHANDLE;
    uint32_t status = net_status_request(center, params.v1.notification_tag, &handle);
    if (status != MV_STATUS_OKAY)
        return status;
    return gw_out(a1, &handle, sizeof(handle), 4);
}

uint32_t gw_release_network(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    uint32_t handle;
    if (ns_copy_in(&handle, a0, sizeof(handle), 4) != 0 || !gw_out_ok(a0, 4, 4))
        return MV_STATUS_PARAMETERFAULT;
    uint32_t status = net_status_release(handle);
    if (status != MV_STATUS_OKAY)
        return status;
    handle = 0;
    return gw_out(a0, &handle, sizeof(handle), 4);
}

uint32_t gw_get_network_status(GW_ARGS)
{
    (void)a2, (void)a3;
    uint32_t status_out;
    /* The handle is a scalar: checked first, as the peripheral address of
     * mvPeriphPeek32 is. */
    if (net_status_get(a0, &status_out) != MV_STATUS_OKAY)
        return MV_STATUS_INVALIDHANDLE;
    if (!gw_out_ok(a1, 4, 4))
        return MV_STATUS_PARAMETERFAULT;
    return gw_out(a1, &status_out, sizeof(status_out), 4);
}

uint32_t gw_get_network_reasons(GW_ARGS)
{
    (void)a2, (void)a3;
    uint32_t reasons, count;
    if (!gw_out_ok(a0, 4, 4) || !gw_out_ok(a1, 4, 4))
        return MV_STATUS_PARAMETERFAULT;
    if (a0 - a1 < 4u || a1 - a0 < 4u)
        return MV_STATUS_PARAMETERFAULT; /* two outputs in one word */
    net_status_reasons(wall_time_set, &reasons, &count);
    uint32_t status = gw_out(a0, &reasons, sizeof(reasons), 4);
    if (status != MV_STATUS_OKAY)
        return status;
    return gw_out(a1, &count, sizeof(count), 4);
}

/* --- fast interrupts ------------------------------------------------ */

static bool gw_in_app_code(uint32_t addr)
{
    const struct board_app_layout *l = board_app_layout();
    return addr >= l->code_base && addr - l->code_base < l->code_size;
}

uint32_t gw_set_fast_interrupt(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    uint32_t irq = a0;
    if (!board_irq_is_app(irq) || notify_irq_in_use(irq))
        return MV_STATUS_INVALIDINTERRUPT;
    /* The handler must be the application's own code, reached through its
     * own vector table. */
    uint32_t vtor = nvic_ns_vtor();
    uint32_t vector = vtor + 4u * (16u + irq); /* after the 16 system vectors */
    if (!gw_in_app_code(vtor) || !gw_in_app_code(vector) ||
        !ns_mem_ok(vector, 4, 4, false))
        return MV_STATUS_INVALIDVECTOR;
    uint32_t handler = ns_read_word(vector);
    if (!(handler & 1u) || !gw_in_app_code(handler & ~1u))
        return MV_STATUS_INVALIDVECTOR;
    int err = sched_fast_irq_set(irq);
    if (err == -2)
        return MV_STATUS_UNAVAILABLE; /* MV_FAST_IRQ_MAX reached */
    if (err)
        return MV_STATUS_INVALIDINTERRUPT;
    return MV_STATUS_OKAY;
}

uint32_t gw_clear_fast_interrupt(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    uint32_t irq = a0;
    if (!sched_fast_irq_is_set(irq))
        return MV_STATUS_INVALIDINTERRUPT;
    if (fast_all_disabled && (fast_saved_enable[irq / 32u] & (1u << (irq % 32u)))) {
        nvic_enable(irq, true); /* its own state carries back */
        fast_saved_enable[irq / 32u] &= ~(1u << (irq % 32u));
    }
    sched_fast_irq_clear(irq);
    return MV_STATUS_OKAY;
}

static uint32_t gw_fast_enable(uint32_t irq, bool on)
{
    if (!sched_fast_irq_is_set(irq))
        return MV_STATUS_INVALIDINTERRUPT;
    if (fast_all_disabled) {
        if (on)
            fast_saved_enable[irq / 32u] |= 1u << (irq % 32u);
        else
            fast_saved_enable[irq / 32u] &= ~(1u << (irq % 32u));
    } else {
        nvic_enable(irq, on);
    }
    return MV_STATUS_OKAY;
}

uint32_t gw_enable_fast_interrupt(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    return gw_fast_enable(a0, true);
}

uint32_t gw_disable_fast_interrupt(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    return gw_fast_enable(a0, false);
}

uint32_t gw_disable_all_fast_interrupts(GW_ARGS)
{
    (void)a0, (void)a1, (void)a2, (void)a3;
    if (fast_all_disabled)
        return MV_STATUS_OKAY;
    for (uint32_t irq = 0; irq < board_irq_count(); irq++) {
        if (sched_fast_irq_is_set(irq) && nvic_is_enabled(irq)) {
            fast_saved_enable[irq / 32u] |= 1u << (irq % 32u);
            nvic_enable(irq, false);
        }
    }
    fast_all_disabled = true;
    sched_fast_irqs_enable(false);
    return MV_STATUS_OKAY;
}

uint32_t gw_enable_all_fast_interrupts(GW_ARGS)
{
    (void)a0, (void)a1, (void)a2, (void)a3;
    if (!fast_all_disabled)
        return MV_STATUS_OKAY;
    for (uint32_t irq = 0; irq < board_irq_count(); irq++)
        if (fast_saved_enable[irq / 32u] & (1u << (irq % 32u)))
            nvic_enable(irq, true);
    memset(fast_saved_enable, 0, sizeof(fast_saved_enable));
    fast_all_disabled = false;
    sched_fast_irqs_enable(true);
    return MV_STATUS_OKAY;
}

/* --- logging -------------------------------------------------------- */

uint32_t gw_server_logging_init(GW_ARGS)
{
    (void)a2, (void)a3;
    if (a0 % MV_LOG_BUFFER_ALIGNMENT != 0)
        return MV_STATUS_INVALIDBUFFERALIGNMENT;
    if (a1 < MV_LOG_BUFFER_MIN_SIZE || a1 > MV_LOG_BUFFER_MAX_SIZE ||
        a1 % MV_LOG_BUFFER_ALIGNMENT != 0)
        return MV_STATUS_INVALIDBUFFERSIZE;
    if (!ns_mem_ok(a0, a1, MV_LOG_BUFFER_ALIGNMENT, true))
        return MV_STATUS_PARAMETERFAULT;
    return server_log_init(a0, a1);
}

uint32_t gw_server_log(GW_ARGS)
{
    (void)a2, (void)a3;
    uint32_t len = a1 & 0xFFFFu; /* uint16_t in the ABI */
    /* Documented order: UNAVAILABLE, PARAMETERFAULT, LOGMESSAGETOOLONG. */
    if (!server_log_active())
        return MV_STATUS_UNAVAILABLE;
    if (!ns_mem_ok(a0, len, 1, false))
        return MV_STATUS_PARAMETERFAULT;
    if (len > MV_LOG_MESSAGE_MAX_LENGTH)
        return MV_STATUS_LOGMESSAGETOOLONG;
    if (ns_copy_in(log_message, a0, len, 1) != 0)
        return MV_STATUS_PARAMETERFAULT;
    return server_log_append(log_message, len);
}

/* --- wake reason and restart ---------------------------------------- */

uint32_t gw_get_wake_reason(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    if (gw_from_handler_mode())
        return MV_STATUS_UNAVAILABLE;
    if (!gw_out_ok(a0, 1, 1))
        return MV_STATUS_PARAMETERFAULT;
    uint8_t reason = (uint8_t)wake_reason_get();
    return gw_out(a0, &reason, 1, 1);
}

uint32_t gw_restart(GW_ARGS)
{
    (void)a1, (void)a2, (void)a3;
    if (gw_from_handler_mode())
        return MV_STATUS_UNAVAILABLE;
    if (a0 != MV_RESTARTMODE_AUTOAPPLYUPDATE)
        return MV_STATUS_PARAMETERFAULT;
    app_request_restart();
    return MV_STATUS_OKAY;
}

/* ---- Keel extensions: updates (trial.c) ---------------------------------- */

uint32_t gw_get_update_status(GW_ARGS)
{
    struct MvUpdateStatus st;
    (void)a1, (void)a2, (void)a3;
    if (!gw_out_ok(a0, sizeof(st), 4))
        return MV_STATUS_PARAMETERFAULT;
    trial_status(&st);
    return gw_out(a0, &st, sizeof(st), 4);
}

uint32_t gw_confirm_application_update(GW_ARGS)
{
    (void)a0, (void)a1, (void)a2, (void)a3;
    if (gw_from_handler_mode())
        return MV_STATUS_UNAVAILABLE;
    return trial_app_confirm();
}
