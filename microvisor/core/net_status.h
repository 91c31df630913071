/*
 * The application's network requests (mvRequestNetwork & co.,
 * docs/syscalls.md "Network"): a small table of handles, each with the
 * notification center and tag its status changes go to, and the cloud
 * link's status as the application sees it.
 *
 * In Keel the microvisor keeps its cloud connection from boot whatever the
 * application does (microvisor/link), so a request does not bring the
 * network up and a release does not take it down: a handle is the
 * application's window on the link's real state.
 *
 * No I/O: the link reports its status with net_status_link(), and the
 * notifications that follow are handed to the caller's post function.
 * Functions return MvStatus values; pointer checks are the gateway's job,
 * done before these run. Not re-entrant: every caller runs either in a
 * gateway call or in deferred work, which never pre-empt each other
 * (docs/execution-model.md).
 */
#ifndef NET_STATUS_H
#define NET_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "mv_config.h"

/* Posts one MV_EVENTTYPE_NETWORKSTATUSCHANGED record with `tag` to the
 * center `notify_handle` (which may have been closed since: the callee
 * ignores it then). */
typedef void (*net_status_post_fn)(void *ctx, uint32_t notify_handle, uint32_t tag);

/* Forgets every request (application restart). The link's status stays. */
void net_status_reset(void);

/* A new request. notify_handle 0: no notifications (the application
 * polls); otherwise the gateway has checked it names an open center.
 * On success *handle is non-zero. MV_STATUS_PARAMETERFAULT if all
 * MV_NET_REQUESTS_MAX handles are in use (as Twilio documents it). */
uint32_t net_status_request(uint32_t notify_handle, uint32_t tag, uint32_t *handle);

/* Ends a request: MV_STATUS_INVALIDHANDLE if handle names none. */
uint32_t net_status_release(uint32_t handle);

/* The status (enum MvNetworkStatus) through a live handle, or
 * MV_STATUS_INVALIDHANDLE. */
uint32_t net_status_get(uint32_t handle, uint32_t *status);

/* The reason bit set (enum MvNetworkReason) and the number of live
 * requests. rtc_set: the microvisor has the cloud's wall time. */
void net_status_reasons(bool rtc_set, uint32_t *reasons, uint32_t *ref_count);

/* The link's status changed to `status` (enum MvNetworkStatus); calm: it
 * is waiting out a back-off before its next attempt. If the status differs
 * from the last one, post() is called once for each live request that
 * named a center, in table order. Returns the number of records posted. */
uint32_t net_status_link(uint32_t status, bool calm, net_status_post_fn post, void *ctx);

/* The link's last reported status (DELIBERATELYOFFLINE until the link
 * reports one: a device without a cloud never does). */
uint32_t net_status_current(void);

#endif /* NET_STATUS_H */
