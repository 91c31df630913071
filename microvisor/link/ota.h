/*
 * ota.h: the device's client for updates over the air (docs/fota-device.md,
 * docs/protocol.md): a deployment arrives on devices/<id>/down/deployment;
 * the client fetches the bundle's signed manifest envelope, then each
 * layer, in chunks of at most PROTO_CHUNK_MAX bytes requested by (object
 * SHA-256, offset, length) on devices/<id>/up/fetch, and writes them
 * through the update engine (lib/update), which checks the signature, the
 * anti-rollback floor and every layer's hash, and records progress in
 * flash. It reports each step (the update report, key 65 of hello and
 * status) and activates per the manifest's policy.
 *
 * I/O-free, like the protocol cores: the caller (uplink.c) hands it the
 * downlink messages, tells it when the session comes and goes, passes the
 * time in as now_ms and gives ota_poll a publish function. It builds and
 * runs on the host (tests/unit/ota) on lib/update over the flash
 * simulator.
 *
 * Nothing is persisted here: the cloud pushes the deployment again at
 * every hello while it is unfinished, and what a deployment has come to
 * (bytes in flash, verified, activated, confirmed, rejected) is what the
 * engine recorded, found again by the manifest digest (the first 8 bytes
 * of the envelope's SHA-256, the engine's name for an image): the client
 * fetches the envelope (at most 2 KiB) first for every deployment it
 * hears of anew, then looks. The bundle hash itself (the SHA-256 of the
 * whole bundle file) only names the envelope to the cloud.
 */
#ifndef OTA_H
#define OTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "update.h"

#ifndef OTA_INFLIGHT
#define OTA_INFLIGHT 4u          /* fetches outstanding at once */
#endif
#define OTA_RESEND_MS 3000u      /* a fetch whose chunk did not come is sent again */
#define OTA_BUSY_RETRY_MS 200u  /* ... or this long after a busy answer */
#define OTA_PROGRESS_MS 5000u    /* a progress status at most this often */
#define OTA_RESTART_DELAY_MS 1000u /* the ACTIVATED status leaves before the restart */
#define OTA_VERIFY_STEP (16u * 1024u) /* image bytes hashed per ota_poll */
#define OTA_FLASH_RETRIES 3u     /* flash errors survived before the download fails */
#define OTA_TOPIC_MAX 64u
#define OTA_FETCH_MAX 64u        /* an encoded fetch (about 50 bytes) */
_Static_assert(OTA_INFLIGHT >= 1 && OTA_INFLIGHT <= 8, "a few fetches in flight");

/* The report's reason besides 0: an UPDATE_E_* code (-1..-17) from the
 * engine, a manifest's MANIFEST_E_* less 100 (-101..-122: what
 * update_begin's UPDATE_E_MANIFEST stood for), or one of these: */
#define OTA_REASON_MANIFEST(e) ((e) - 100)
#define OTA_E_UNKNOWN (-201)     /* the cloud answered "no such object" */
#define OTA_E_RANGE (-202)       /* the cloud answered "offset past the end" */
#define OTA_E_ENGINE (-205)      /* no update engine (no trusted signers, no journal) */

enum ota_state {
    OTA_IDLE = 0,   /* no deployment */
    OTA_FIND,       /* a deployment came: look for what the engine has of it */
    OTA_ENVELOPE,   /* fetching the manifest envelope into the staging buffer */
    OTA_BEGIN,      /* the envelope is in: update_begin next */
    OTA_REOPEN,     /* the engine closed the download (flash error): update_resume */
    OTA_LAYERS,     /* fetching layers, written as they come */
    OTA_VERIFY,     /* every byte in: update_finish_step */
    OTA_ACTIVATE,   /* verified: update_activate */
    OTA_RESTART,    /* activated: the restart once the report is out */
    OTA_TRIAL,      /* booted on trial: waiting for confirmed or reverted */
    OTA_DONE,       /* confirmed, reverted or failed: the report stays */
};

/*
 * What the client needs from the device besides lib/update's functions.
 * Ownership: the struct and ctx are borrowed for the life of the client.
 */
struct ota_engine {
    /* The one update context (the microvisor's trial_update()), or NULL
     * if there is none (no trusted signers): the deployment fails. */
    update_t *(*update)(void *ctx);
    /* Lends MANIFEST_MAX_SIZE bytes to stage the envelope in until
     * unstage; NULL when they are in use now (asked again on a later
     * poll). The microvisor lends the update port's frame buffer. */
    uint8_t *(*stage)(void *ctx);
    void (*unstage)(void *ctx);
    /* The seam for installs: the image of comp is activated and the report
     * saying so has been published; restart into it (now, or when the
     * application agrees: polite installs). */
    void (*restart)(void *ctx, uint32_t comp);
    void *ctx;
};

/* Publishes payload on topic at QoS 1: 0 taken, < 0 not now (tried again
 * on a later poll). */
typedef int (*ota_publish_fn)(void *ctx, const char *topic, const uint8_t *payload, size_t len);

struct ota_fetch_slot {
    bool used;
    uint32_t req_id;
    uint32_t offset, length;  /* of the object */
    uint32_t sent_ms;
    bool sent;                /* published (else due at the next poll) */
};

struct ota_stats {
    uint32_t deployments, fetches, resent, chunks, bytes;
    uint32_t dropped;         /* chunks dropped: unknown request, offset, size */
    uint32_t busy;            /* chunks answered busy */
    uint32_t flash_errors;
};

struct ota {
    char id[35];
    const struct ota_engine *eng;
    enum ota_state st;
    bool up;                  /* the session is up */
    /* the deployment */
    struct proto_deploy dep;
    bool ack_due;
    int32_t ack_status;
    uint64_t ack_msg_id;
    /* the object being fetched: the envelope (layer < 0) or layer `layer` */
    int layer;
    uint32_t obj_total;       /* its size: the envelope's from the first chunk */
    uint32_t obj_next;        /* the next object offset to ask for */
    uint32_t obj_done;        /* bytes of it in (the envelope's; a layer's in the engine) */
    uint8_t *stage;           /* the envelope while it is fetched (borrowed) */
    uint8_t digest[8];        /* SHA-256(envelope)[0..8): the engine's name for the image */
    bool have_digest;
    uint32_t comp;            /* of the manifest, once known */
    struct ota_fetch_slot fl[OTA_INFLIGHT];
    uint32_t next_req;
    uint32_t flash_errs;
    /* the report */
    bool has_report;
    struct proto_ota_report rep;
    bool rep_dirty;           /* the state changed: a status is due */
    uint32_t rep_sent_ms;     /* the last status */
    uint32_t rep_sent_done;   /* its progress */
    bool restart_armed;       /* the ACTIVATED status was published at restart_ms */
    uint32_t restart_ms;
    struct ota_stats stats;
    char topic[OTA_TOPIC_MAX];
    uint8_t msg[OTA_FETCH_MAX];
};

/* id: the device id (34 characters); seed: where request ids start (a
 * chunk queued for the device before a reboot must not match). */
void ota_init(struct ota *o, const char *id, const struct ota_engine *eng, uint32_t seed);

void ota_session(struct ota *o, bool up, uint32_t now_ms);

/* A deployment message. 0 if it decoded (its ack is queued, taken or
 * refused), < 0 if not. */
int ota_deployment(struct ota *o, const uint8_t *payload, size_t len, uint32_t now_ms);

/* A chunk message: written (layers), staged (the envelope) or dropped.
 * 0 if it decoded, < 0 if not. */
int ota_chunk(struct ota *o, const uint8_t *payload, size_t len, uint32_t now_ms);

/* Does what is due: the ack, one step of engine work (begin, resume,
 * finish step, activate), fetches, the restart. True when more engine work
 * is ready at once. */
bool ota_poll(struct ota *o, uint32_t now_ms, ota_publish_fn publish, void *ctx);

/* The update report for a hello or status; false if there is none yet. */
bool ota_report(const struct ota *o, struct proto_ota_report *r);
/* A status with the report is due (a state change, or progress). */
bool ota_status_due(const struct ota *o, uint32_t now_ms);
/* The caller published it. */
void ota_status_sent(struct ota *o, uint32_t now_ms);

const char *ota_state_name(enum ota_state s);

#endif /* OTA_H */
