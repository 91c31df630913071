/*
 * IMPLEMENTATION NOTES
 * The microvisor's thread of control exists only until the application
 * first starts: after that every line of microvisor code runs in an
 * exception (tick, device interrupt, deferred work, fault) or in a gateway
 * call made by the application. The order below matters: faults are
 * enabled and the tick is running before the application can run, and the
 * watchdog starts only once deferred work (which feeds it) exists.
 */
#include <stdint.h>
#include <string.h>

#include "app.h"
#include "armv8m.h"
#include "board.h"
#include "boot_handoff.h"
#include "console.h"
#include "fault.h"
#include "gateway.h"
#include "link.h"
#include "memory_map.h"
#include "mv_config.h"
#include "net_service.h"
#include "provision.h"
#include "sched.h"
#include "sstack.h"
#include "trial.h"
#include "update_uart.h"

#define MV_VERSION "0.1.0"

static struct boot_handoff handoff;

static void mv_watchdog_feed(uint64_t now_us)
{
    (void)now_us;
    board_watchdog_feed();
}

/* The wait of a device with no runnable application. Weak: the link bench
 * build (tests/bench/link/link_busy.c) counts the time spent outside it. */
__attribute__((weak)) void mv_idle_wait(void)
{
    __asm volatile("wfi");
}

void mv_unexpected_irq(void)
{
    console_printf("[mv] unexpected secure exception %u\n", armv8m_ipsr());
    board_reset();
}

int mv_main(void)
{
    sstack_init();
    memcpy(&handoff, (const void *)BOOTROM_RAM_BASE, sizeof(handoff));
    board_init();
    console_printf("[mv] Keel microvisor " MV_VERSION " (slot %c)\n",
                   handoff.magic == BOOT_HANDOFF_MAGIC ? (handoff.slot ? 'B' : 'A') : '?');
    fault_boot_check();
    provision_load();
    board_partition();
    sched_init();
    gateway_init();
    sched_every(mv_watchdog_feed, MV_WATCHDOG_MS * 1000u / 4u);
    board_watchdog_start(MV_WATCHDOG_MS);
    int loaded = -1;
    if (trial_init(&handoff) == 0)
        loaded = app_load(handoff.magic == BOOT_HANDOFF_MAGIC ? handoff.version : 0);
    trial_start(); /* the health rules: confirm trials, revert failed ones */
    if (loaded != 0)
        console_printf("[mv] no runnable application; microvisor idle\n");

    /* The network starts only now: its deferred work prints from PendSV,
     * and the console is not line-atomic against this thread, so the boot
     * messages above come first, whole. */
    /* Deferred work waits until the boot lines below are out: the network's
     * first activation prints too, and the console is not line-atomic
     * against this thread (a "[upd] update port ready" cut by "[entropy]
     * ..." once made a test miss the port). The mask ends with the last
     * line of this thread (app_start_first). */
    __asm volatile("msr basepri, %0" ::"r"(SCHED_PRIO_WORK) : "memory");
#ifndef KEEL_NO_LINK
    link_init(handoff.magic == BOOT_HANDOFF_MAGIC ? handoff.version : 0); /* link/ */
#endif
    net_service_init(); /* network: its deferred work and timer (net/) */
    /* The update port (docs/update-uart.md): also serves a device whose
     * application would not load, so an update can repair it. */
    update_uart_init(handoff.magic == BOOT_HANDOFF_MAGIC ? handoff.version : 0);
    if (loaded != 0) {
        __asm volatile("msr basepri, %0" ::"r"(0) : "memory");
        for (;;)
            mv_idle_wait();
    }
    app_start_first(); /* drops the mask after its own line */
}
