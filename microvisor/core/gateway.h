/*
 * The microvisor's side of the mv* calls. Each gw_* function receives the
 * caller's four argument registers as raw 32-bit values (a pointer is a
 * claim until ns_mem says otherwise) and returns an MvStatus. They run with
 * every non-secure exception masked (gateway_veneers.S), one at a time.
 */
#ifndef GATEWAY_H
#define GATEWAY_H

#include <stdbool.h>
#include <stdint.h>

/* Forgets all per-application service state (restart). */
void gateway_app_reset(void);

/* Registers the gateway's deferred work (log drain). */
void gateway_init(void);

/* Wall time, set by the cloud link; until then mvGetWallTime says
 * TIMENOTSET. offset = wall time minus board_time_us(). */
void gateway_set_wall_time_offset(uint64_t offset_us);

/* The cloud link's status as the application's network handles see it
 * (enum MvNetworkStatus; calm: waiting out a back-off). Called by the link
 * from deferred work when it changes; posts NETWORKSTATUSCHANGED to each
 * request's center if the status differs from the last one. */
void gateway_network_changed(uint32_t status, bool calm);

#define GW_ARGS uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3
#define MV_CALL(name, impl) uint32_t impl(GW_ARGS);
#define MV_CALL_PARK(name, impl) uint32_t impl(GW_ARGS);
#include "gateway_calls.h"
#undef MV_CALL
#undef MV_CALL_PARK

#endif /* GATEWAY_H */
