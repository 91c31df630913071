/*
 * Microvisor build-time configuration: every pool and limit in one place.
 * Boards may override a default by defining it before this header is
 * included (e.g. in their compile definitions); invariants are checked
 * below so an impossible combination fails the build, not the device.
 */
#ifndef MV_CONFIG_H
#define MV_CONFIG_H

/* Secure tick rate: timers, restart back-off and the hold-off monitor run
 * from it. */
#ifndef MV_TICK_HZ
#define MV_TICK_HZ 1000u
#endif

/* The longest the application may keep pending microvisor work from
 * running (interrupts masked, a long fast handler, an interrupt flood)
 * before it is treated as hung and restarted. docs/execution-model.md. */
#ifndef MV_HOLDOFF_MAX_MS
#define MV_HOLDOFF_MAX_MS 50u
#endif

/* Secure watchdog timeout: fires only if the microvisor itself stops
 * feeding it, which is a microvisor crash (device reset). */
#ifndef MV_WATCHDOG_MS
#define MV_WATCHDOG_MS 1000u
#endif

/* Application restart back-off: the first restart after a crash waits
 * MIN; each further crash within MV_RESTART_RESET_MS of the last start
 * doubles the wait, up to MAX. */
#ifndef MV_RESTART_MIN_MS
#define MV_RESTART_MIN_MS 10u
#endif
#ifndef MV_RESTART_MAX_MS
#define MV_RESTART_MAX_MS 2000u
#endif
#ifndef MV_RESTART_RESET_MS
#define MV_RESTART_RESET_MS 10000u
#endif

/* Microvisor health rule (docs/updates.md): a microvisor on trial is
 * confirmed once it has run this long with an application loaded and its
 * deferred work (which feeds the watchdog) still running. */
#ifndef MV_TRIAL_MS
#define MV_TRIAL_MS 5000u
#endif

/* The longest an application's trial holds off the reboot a microvisor
 * (or app) activation asks for (docs/updates.md, "Two components"). An
 * app trial longer than this is ended by that reboot (REVERT, reason
 * RESET): the manifest's trial_s (up to 24 h) is the app owner's policy
 * and must not delay the microvisor's update for that long. */
#ifndef MV_RESET_DEFER_MAX_MS
#define MV_RESET_DEFER_MAX_MS 300000u
#endif

/* How often deferred work applies the health rules. */
#ifndef MV_TRIAL_POLL_MS
#define MV_TRIAL_POLL_MS 100u
#endif

/* Deferred-work items that can be registered. */
#ifndef MV_WORK_MAX
#define MV_WORK_MAX 16u
#endif

/* Software timers. */
#ifndef MV_TIMER_MAX
#define MV_TIMER_MAX 16u
#endif

/* Notification rings the application may set up at once. */
#ifndef MV_NOTIFY_MAX
#define MV_NOTIFY_MAX 8u
#endif

/* Network requests (mvRequestNetwork handles) the application may hold at
 * once: 12 bytes of secure RAM each. A request only watches the link the
 * microvisor keeps anyway, so an application needs one, a few at most. */
#ifndef MV_NET_REQUESTS_MAX
#define MV_NET_REQUESTS_MAX 4u /* the SDK says so: MV_NETWORK_MAX_REQUESTS */
#endif

/* Fast interrupts the application may declare. */
#ifndef MV_FAST_IRQ_MAX
#define MV_FAST_IRQ_MAX 4u
#endif

/* Longest server log message accepted by mvServerLog. */
#ifndef MV_LOG_MESSAGE_MAX
#define MV_LOG_MESSAGE_MAX 256u
#endif

/* Crash records kept in secure RAM (oldest overwritten). */
#ifndef MV_CRASH_RECORDS
#define MV_CRASH_RECORDS 4u
#endif

/* NS stack words copied into a crash record. */
#ifndef MV_CRASH_STACK_WORDS
#define MV_CRASH_STACK_WORDS 16u
#endif

/* Secure stack a call from an NS handler must find free (sstack.c): room
 * for the deepest the microvisor itself goes beneath and above it (the
 * deferred work's own depth, up to 16 fast-interrupt levels of veneer
 * edges above it, the tick, a fault). A call that finds less stops the
 * application: only nesting no honest application reaches (dozens of NS
 * handlers each pre-empted at a veneer's edge) gets there. Measured peak:
 * `BENCH secure_stack_peak`. */
#ifndef MV_SSTACK_CALL_RESERVE
#define MV_SSTACK_CALL_RESERVE 5120u
#endif

_Static_assert(MV_TICK_HZ >= 100u && MV_TICK_HZ <= 10000u, "tick rate out of range");
_Static_assert(MV_HOLDOFF_MAX_MS * MV_TICK_HZ / 1000u >= 2u,
               "hold-off limit must span at least two ticks");
_Static_assert(MV_TRIAL_MS >= 2u * MV_WATCHDOG_MS,
               "a hung microvisor on trial must meet the watchdog before its confirmation");
_Static_assert(MV_TRIAL_POLL_MS > 0u && MV_TRIAL_POLL_MS < MV_TRIAL_MS, "trial poll period");
_Static_assert(MV_WATCHDOG_MS > 4u * MV_HOLDOFF_MAX_MS,
               "the watchdog must not fire before the hold-off monitor acts");
_Static_assert(MV_RESTART_MIN_MS > 0u && MV_RESTART_MIN_MS <= MV_RESTART_MAX_MS,
               "restart back-off bounds");
_Static_assert(MV_RESTART_MAX_MS < MV_RESTART_RESET_MS,
               "back-off must be able to decay");
_Static_assert(MV_NET_REQUESTS_MAX >= 1u && MV_NET_REQUESTS_MAX <= 127u,
               "a network handle's low 7 bits hold its slot");
_Static_assert(MV_WORK_MAX <= 32u, "pending-work set is one 32-bit word");

#endif /* MV_CONFIG_H */
