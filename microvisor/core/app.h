/*
 * The application's life cycle: load, first start, crash, back-off,
 * restart, and requested restart. Owns the non-secure world's core state
 * (its vector table, stacks, masks, NVIC lines) and the stubs page.
 */
#ifndef APP_H
#define APP_H

#include <stdbool.h>
#include <stdint.h>

enum app_state {
    APP_NONE,      /* no valid image */
    APP_RUNNING,
    APP_WAITING,   /* crashed; parked until its restart time */
};

/* Why the application stopped (crash records, wake reason). */
enum app_stop_kind {
    APP_STOP_HARDFAULT = 1,
    APP_STOP_BUSFAULT,
    APP_STOP_USAGEFAULT,
    APP_STOP_MEMMANAGE,
    APP_STOP_SECUREFAULT,
    APP_STOP_STACK_OVERFLOW,
    APP_STOP_HELD_OFF_MASKED,  /* interrupts masked too long */
    APP_STOP_HELD_OFF_HANDLER, /* stuck in, or flooded with, interrupts */
    APP_STOP_RESTART_REQUEST,  /* mvRestart */
};

const char *app_stop_name(enum app_stop_kind kind);

/* Loads the image from the application slot into NS code memory and checks
 * its vector table. 0 on success, negative if there is no runnable image. */
int app_load(void);

/* First start, from the microvisor's thread: never returns. */
void app_start_first(void) __attribute__((noreturn));

/*
 * Stops the application (fault or hang): records nothing itself (the
 * caller has), unwinds every active NS exception, parks the NS world in the
 * idle stub and schedules the restart with back-off. Returns the
 * EXC_RETURN the current secure handler must use.
 */
uint32_t app_stop(enum app_stop_kind why, uint64_t now_us);

/* From the tick: restarts a parked application once its time has come.
 * Returns the EXC_RETURN to use (exc_return itself if nothing changes).
 * Only acts when exc_return returns to the Non-secure world. */
uint32_t app_tick(uint32_t exc_return, uint64_t now_us);

/* mvRestart: the gateway parks the caller; the next tick restarts it. */
void app_request_restart(void);

enum app_state app_state(void);

/* The wake reason the application will read (MV_WAKEREASON_*), and the
 * reason it last stopped. */
uint32_t app_wake_reason(void);

/* NS address (bit 0 clear) of the idle stub, for the parking veneer. */
extern uint32_t ns_stub_idle_entry;

#endif /* APP_H */
