/*
 * The cloud link's messages (docs/cloud-link.md, docs/protocol.md): what
 * the device says over its MQTT session and what it does with what the
 * cloud says. I/O-free, like the protocol cores: the connection manager
 * (link.c) tells it when the session comes and goes, hands it every
 * downlink message, and gives it a publish function; time comes in as
 * now_ms. It builds and runs on the host (tests/unit/uplink).
 *
 * Logs: every record gets the next sequence number from the flash spool
 * (lib/logspool), which keeps numbers increasing for the device's
 * lifetime. While the session is up, records wait in a RAM queue and go
 * out in batches, one batch in flight, resent after UPLINK_RESEND_MS or a
 * reconnect, until the cloud's log ack covers it. While it is down, the
 * RAM queue holds them for UPLINK_SPOOL_AFTER_MS (a short outage writes
 * no flash), then everything goes to the flash spool, which is sent first
 * when the session is back. When the RAM queue is full, uplink_log refuses
 * the record and the caller keeps it (the application's own log buffer
 * fills and mvServerLog reports it): a flood slows the application, never
 * the microvisor.
 *
 * Time: a hello goes out at every connect and every UPLINK_HELLO_MS until
 * the cloud's time message answers it; from then on uplink_wall_ms works.
 */
#ifndef UPLINK_H
#define UPLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "logspool.h"
#include "ota.h"
#include "proto.h"

#ifndef UPLINK_RAM_LOG
#define UPLINK_RAM_LOG 2048u      /* bytes of the RAM log queue */
#endif
#ifndef UPLINK_BATCH_MAX
#define UPLINK_BATCH_MAX 1024u    /* bytes of one batch's records: text and CBOR */
#endif
#define UPLINK_RESEND_MS 3000u
#define UPLINK_HELLO_MS 3000u
#ifndef UPLINK_SPOOL_AFTER_MS
#define UPLINK_SPOOL_AFTER_MS 5000u
#endif
#define UPLINK_TOPIC_MAX 64u

/* Publishes payload on topic at QoS 1; 0 if the session took it, < 0 if
 * it cannot now (window full, not connected): the caller tries again on a
 * later poll. */
typedef int (*uplink_publish_fn)(void *ctx, const char *topic, const uint8_t *payload,
                                 size_t len);
/* Fills the device's status for a hello. */
typedef void (*uplink_status_fn)(void *ctx, struct proto_status *st, uint32_t now_ms);

struct uplink_stats {
    uint32_t logs_in;          /* records taken by uplink_log */
    uint32_t logs_refused;     /* refused: RAM queue full */
    uint32_t logs_acked;       /* records the cloud acknowledged */
    uint32_t logs_spooled;     /* written to the flash spool */
    uint32_t spool_errors;     /* flash spool writes that failed */
    uint32_t batches_sent, batches_resent;
    uint32_t hellos, times;
    uint32_t statuses;         /* status messages (update reports) */
    uint32_t bad_downlink;     /* downlink messages that did not decode */
};

struct uplink {
    char id[35];
    char topic[UPLINK_TOPIC_MAX];
    struct logspool *spool;      /* NULL: RAM only (records lost when it fills offline) */
    uplink_status_fn status;
    void *status_ctx;
    bool up;                     /* the session is up */
    uint32_t down_since_ms;
    /* RAM queue: records ram_first .. ram_first + ram_n - 1, consecutive */
    uint64_t ram_first;
    uint32_t ram_n, ram_head, ram_used;
    uint8_t ram[UPLINK_RAM_LOG];
    /* the batch in flight */
    bool inflight, inflight_flash;
    uint64_t inflight_first;
    uint32_t inflight_n, sent_ms;
    /* hello and time */
    bool hello_due, time_known;
    uint32_t hello_ms;
    int64_t wall_offset_ms;      /* unix ms - now_ms */
    struct uplink_stats stats;
    struct ota *ota;             /* NULL: no updates over the air */
    /* building a batch: texts copied into stage, then encoded */
    struct proto_logs batch;
    struct logspool_rec rec;
    uint8_t stage[UPLINK_BATCH_MAX];
    uint8_t payload[UPLINK_BATCH_MAX + 64u];
};

/* id: the device id (34 characters). spool may be NULL. */
void uplink_init(struct uplink *u, const char *id, struct logspool *spool,
                 uplink_status_fn status, void *status_ctx);

/* Hands deployments and chunks to the OTA client o (borrowed for the
 * life of u), publishes what it asks for, and carries its report in every
 * hello and in a status whenever it changes. */
void uplink_set_ota(struct uplink *u, struct ota *o);

/* One log record (text valid UTF-8 without NUL, at most
 * PROTO_MAX_LOG_TEXT bytes). 0 taken; < 0 refused (queue full: keep it and
 * offer it again later; or a bad record). */
int uplink_log(struct uplink *u, const char *text, size_t len, uint8_t level,
               uint64_t device_ms, uint32_t now_ms);

/* True when uplink_log would take n records of `bytes` text in all now
 * (a caller splitting one message checks before logging any part). */
bool uplink_room(const struct uplink *u, size_t bytes, unsigned n, uint32_t now_ms);

void uplink_session_up(struct uplink *u, uint32_t now_ms);
void uplink_session_down(struct uplink *u, uint32_t now_ms);

/* Does what is due: the hello, the next or a resent batch, spooling while
 * down. */
void uplink_poll(struct uplink *u, uint32_t now_ms, uplink_publish_fn publish, void *ctx);

/* A message on one of the device's downlink topics ("devices/<id>/down/KIND").
 * 0 if handled, < 0 if not understood (counted). */
int uplink_downlink(struct uplink *u, const char *topic, const uint8_t *payload, size_t len,
                    uint32_t now_ms);

/* Wall time (Unix ms) at now_ms; false until the cloud has sent it. */
bool uplink_wall_ms(const struct uplink *u, uint32_t now_ms, int64_t *unix_ms);

/* True while records wait (RAM or spool) for the cloud. */
bool uplink_logs_pending(const struct uplink *u);

#endif /* UPLINK_H */
