/*
 * ota.h: updates over the air, the cloud's side (ota.c; docs/fota.md).
 *
 * A deployment has one row per target device in deployment_devices, whose
 * state is one of
 *
 *   pending      created; the deployment message went (or will go) out
 *   accepted     the device acked the deployment message
 *   downloading  downloaded  activated       as the device reports them
 *   confirmed    reverted    failed          as the device reports them (final)
 *   superseded   a newer deployment to the device replaced it (final)
 *
 * The first five are "unfinished": the device may fetch the deployment's
 * objects, and its hello brings the deployment message again.
 *
 * The broker link's thread calls the ota_on_* functions (one struct ota of
 * its own); the API calls ota_derive and ota_deployment_message with its
 * own connection.
 */
#ifndef KEEL_CLOUD_OTA_H
#define KEEL_CLOUD_OTA_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "store.h"

/* The states of deployment_devices.state that still need the device. */
#define OTA_UNFINISHED "('pending', 'accepted', 'downloading', 'downloaded', 'activated')"

#define OTA_CACHE_BUNDLES 4   /* parsed bundles kept by the broker link */
#define OTA_BUDGET_SLOTS 1024 /* devices whose fetch budget is tracked at once */
#define OTA_BURST 8           /* fetches a device may send back to back */
#define OTA_RATE 400          /* and then per second; past that: busy (-3) */

struct ota;

/* Publishes payload p[0..n) QoS 1 on devices/<dev>/down/<kind>. */
typedef void (*ota_send_fn)(void *ctx, const char *dev, const char *kind, const void *p,
                            size_t n);

struct ota *ota_new(void);
void ota_free(struct ota *o);

/* A fetch from dev: answered with a chunk on its down/chunk, or dropped
 * (logged) when it does not decode. */
void ota_on_fetch(struct ota *o, struct store *db, const char *dev, const uint8_t *p, size_t n,
                  ota_send_fn send, void *ctx);
/* dev's update report (hello / status key 65) into its row. */
void ota_on_report(struct store *db, const char *dev, const struct proto_ota_report *u);
/* dev acked message a->msg_id (a deployment message's id is the
 * deployment's id). */
void ota_on_ack(struct store *db, const char *dev, const struct proto_ack *a);
/* dev said hello: the newest unfinished deployment to it goes out again. */
void ota_on_hello(struct store *db, const char *dev, ota_send_fn send, void *ctx);

/* Makes device dev a target of deployment id (a pending row), superseding
 * its unfinished rows of other deployments; inside the caller's
 * transaction. 0 or a STORE_E_*. */
int ota_add_device(struct store *db, int64_t id, const char *dev, int64_t now_ms);
/* Recomputes deployments.state of deployment id from its rows (the rule
 * in docs/fota.md). 0 or a STORE_E_*. */
int ota_derive(struct store *db, int64_t id, int64_t now_ms);
/* The deployment message for deployment id of the bundle hash_hex (its
 * SHA-256, 64 hex digits) of size bytes. 0 or a PROTO_E_* / -1. */
int ota_deployment_message(int64_t id, const char *hash_hex, int64_t size, uint8_t *buf,
                           size_t cap, size_t *len);

#endif /* KEEL_CLOUD_OTA_H */
