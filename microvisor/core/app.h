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
    APP_STOP_SECURE_STACK,     /* veneer edges nested deeper than the stack allows */
    APP_STOP_WORK_ABANDONED,   /* returned past the deferred work it pre-empted */
};

const char *app_stop_name(enum app_stop_kind kind);

/* Secure boot of the application: picks the app slot with lib/update's
 * decision (signed by a trusted app signer, counter not below the floor,
 * needing no newer microvisor than mv_version; 0 skips that check), loads
 * it into NS code memory, hashes it there and checks its vector table. A
 * first boot of a new image sets the wake reason APPLICATIONUPDATE.
 * 0 on success, negative if there is no runnable image. */
int app_load(uint32_t mv_version);
/* The version (major << 24 | minor << 16 | patch) of the application
 * app_load last loaded, or 0. */
uint32_t app_loaded_version(void);

/* First start, from the microvisor's thread: never returns. */
void app_start_first(void) __attribute__((noreturn));

/*
 * Stops the application (fault or hang), from a secure handler taken from
 * the Non-secure world whose MSP_S at entry was `msp`: records nothing
 * itself (the caller has), unwinds every active NS exception, parks the NS
 * world in the idle stub and schedules the restart with back-off. If the
 * application pre-empted deferred work, it first lets that work finish and
 * the stop completes from the tick (app_stop_is_pending). Returns the
 * EXC_RETURN the current secure handler must use.
 */
uint32_t app_stop(enum app_stop_kind why, uint64_t now_us, uint32_t msp);
bool app_stop_is_pending(void);
/* Called by the deferred-work handler, entered with MSP_S `msp`, when its
 * work is done and a stop is pending: stops the application now. */
uint32_t app_stop_complete(uint64_t now_us, uint32_t msp);

/* From the tick: restarts a parked application once its time has come, and
 * completes pending stops and restart requests. Returns the EXC_RETURN to
 * use (exc_return itself if nothing changes). Only acts when exc_return
 * returns to the Non-secure world. */
uint32_t app_tick(uint32_t exc_return, uint32_t msp, uint64_t now_us);

/* After a failed trial (trial.c, deferred work, REJECT written): loads the
 * image the decision now picks, the previous one, and has the tick start
 * it at once with wake reason APPLICATIONCRASH. */
void app_revert_restart(uint64_t now_us);

/* mvRestart: the gateway parks the caller; the next tick restarts it. */
void app_request_restart(void);

enum app_state app_state(void);

/* True if an NS exception that can pre-empt deferred work (NS priority
 * below 0x20) is active: the only way the application can legitimately be
 * running while deferred work is active. */
bool app_ns_above_work(void);

/* The wake reason the application will read (MV_WAKEREASON_*), and the
 * reason it last stopped. */
uint32_t app_wake_reason(void);

/* NS address (bit 0 clear) of the idle stub, for the parking veneer. */
extern uint32_t ns_stub_idle_entry;

#endif /* APP_H */
