/*
 * proto.h: the device protocol's messages (lib/proto), one definition for
 * the device, the simulator and keel-cloud. docs/protocol.md is the
 * reference: topics devices/<id>/up/<kind> and devices/<id>/down/<kind>,
 * each payload one deterministic-CBOR map with unsigned keys in increasing
 * order:
 *
 *   { 0: version (PROTO_VERSION), 1: type, 2.. : the type's fields }
 *
 * A decoder rejects another version (PROTO_E_VERSION), a type it was not
 * asked for, a missing field, and keys out of order; keys from 64 up are
 * ignored (room for later versions), unknown keys below 64 are rejected.
 *
 * Every text field (log text, config keys and values, command names) must
 * be well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * past U+10FFFF) without NUL; a decoder refuses any other with PROTO_E_TEXT,
 * so a string a decoder hands out can go into JSON or SQL text unchanged.
 *
 * No allocation: encoders write into caller buffers (0, or PROTO_E_SPACE);
 * decoders fill caller structs whose strings point into the input
 * (valid while the caller keeps it).
 */
#ifndef KEEL_PROTO_H
#define KEEL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1u
#define PROTO_MAX_LOGS 64u        /* records per log batch */
#define PROTO_MAX_LOG_TEXT 512u   /* bytes of one record's text */
#define PROTO_MAX_FAULTS 4u
#define PROTO_MAX_CONFIG 16u      /* entries per config message */
#define PROTO_MAX_SIZE 40960u     /* largest payload either side sends */
#define PROTO_KEY_LOGS_DROPPED 64u /* hello / status: optional, skippable */
#define PROTO_KEY_UPDATE 65u       /* hello / status: optional, skippable */
#define PROTO_CHUNK_MAX 1024u      /* bytes of an object in one chunk */

#define PROTO_OK 0
#define PROTO_E_CBOR (-1)     /* malformed or non-deterministic CBOR */
#define PROTO_E_VERSION (-2)  /* another protocol version */
#define PROTO_E_TYPE (-3)     /* not the expected message type */
#define PROTO_E_FIELD (-4)    /* a field missing, of the wrong type or out of range */
#define PROTO_E_ORDER (-5)    /* map keys duplicated or out of order, or unknown below 64 */
#define PROTO_E_SPACE (-6)    /* encoder buffer too small */
#define PROTO_E_TOO_MANY (-7) /* more items than the PROTO_MAX_* bound */
#define PROTO_E_TEXT (-8)     /* a text field not valid UTF-8, or holding NUL */

enum proto_type {
    PROTO_HELLO = 1,    /* up: first message after each connect */
    PROTO_STATUS = 2,   /* up: whenever something in it changes */
    PROTO_LOGS = 3,     /* up: a batch of log records */
    PROTO_ACK = 4,      /* up: a downlink message was handled */
    PROTO_LOG_ACK = 5,  /* down: log records [first, first+count) are stored */
    PROTO_TIME = 6,     /* down: the cloud's clock */
    PROTO_CONFIG = 7,   /* down: config entries for the device */
    PROTO_COMMAND = 8,  /* down: a command for the app or the microvisor */
    PROTO_DEPLOY = 9,   /* down: install this app (updates over the air) */
    PROTO_FETCH = 10,   /* up: send me bytes of an object (a manifest, a layer) */
    PROTO_CHUNK = 11,   /* down: the answer to a fetch */
};

/* How a deployment goes on the device (a status's update report). */
enum proto_ota_state {
    PROTO_OTA_DOWNLOADING = 1, /* done of total bytes so far */
    PROTO_OTA_DOWNLOADED = 2,  /* every byte in, hashes checked */
    PROTO_OTA_ACTIVATED = 3,   /* installed; runs (on trial) after the restart */
    PROTO_OTA_CONFIRMED = 4,   /* the new version passed its trial */
    PROTO_OTA_REVERTED = 5,    /* it failed its trial; the old one runs (reason) */
    PROTO_OTA_FAILED = 6,      /* refused or given up (reason) */
};

/* Chunk status: 0, or why there are no bytes. */
#define PROTO_CHUNK_OK 0
#define PROTO_CHUNK_UNKNOWN (-1)  /* no such object in a deployment to this device */
#define PROTO_CHUNK_RANGE (-2)    /* offset at or past the object's end */
#define PROTO_CHUNK_BUSY (-3)     /* the cloud cannot serve it now: ask again later */

enum proto_update_status {
    PROTO_UPD_IDLE = 0, PROTO_UPD_DOWNLOADING = 1, PROTO_UPD_TRIAL = 2,
    PROTO_UPD_CONFIRMED = 3, PROTO_UPD_REJECTED = 4,
};

struct proto_str {
    const char *p;
    size_t n;
};

struct proto_fault {
    uint32_t code;
    uint32_t pc;
    uint64_t uptime_ms;
};

/* hello and status share one body */
struct proto_status {
    uint32_t app_version, mv_version;   /* major << 24 | minor << 16 | patch */
    uint32_t update_status;             /* enum proto_update_status */
    uint64_t uptime_s;
    uint32_t n_faults;
    struct proto_fault faults[PROTO_MAX_FAULTS];
    /* log records the device's flash spool erased before they were
     * delivered, since it booted (key 64: older peers skip it) */
    uint32_t logs_dropped;
    /* the deployment the device works on, or worked on last (key 65,
     * [deployment_id, state, done, total, reason]; absent: has_update 0) */
    bool has_update;
    struct proto_ota_report {
        uint64_t deployment_id;
        uint32_t state;   /* enum proto_ota_state */
        uint32_t done, total; /* bytes of the download */
        int32_t reason;   /* 0, or the engine's / manifest's error code */
    } update;
};

struct proto_log {
    uint64_t device_ms;                 /* the device's clock */
    uint32_t level;                     /* 0 debug .. 3 error */
    struct proto_str text;
};

struct proto_logs {
    uint64_t first_seq;                 /* record i has sequence number first_seq + i */
    uint32_t n;
    struct proto_log rec[PROTO_MAX_LOGS];
};

struct proto_ack {
    uint64_t msg_id;
    int32_t status;                     /* 0 handled, negative: refused */
};

struct proto_log_ack {
    uint64_t first_seq;
    uint32_t count;
};

struct proto_config {
    uint64_t msg_id;
    uint32_t n;
    struct { struct proto_str key, value; } e[PROTO_MAX_CONFIG];
};

struct proto_command {
    uint64_t msg_id;
    struct proto_str name;
    const uint8_t *arg;
    size_t arg_len;
};

struct proto_deploy {
    uint64_t msg_id;
    uint64_t deployment_id;
    uint8_t sha256[32];
    uint32_t size;
};

/* An object is named by its SHA-256: the deployment's bundle hash names
 * the bundle's signed manifest envelope, a layer's digest (from that
 * manifest) the layer's bytes. */
struct proto_fetch {
    uint32_t req_id;              /* echoed by the chunk */
    uint8_t sha256[32];
    uint32_t offset;
    uint32_t length;              /* 1..PROTO_CHUNK_MAX */
};

struct proto_chunk {
    uint32_t req_id;
    int32_t status;               /* PROTO_CHUNK_* */
    uint32_t offset;
    uint32_t total;               /* the object's size (0 with an error) */
    const uint8_t *data;          /* into the payload; at most PROTO_CHUNK_MAX */
    size_t len;
};

/* True when p[0..n) is well-formed UTF-8 (RFC 3629) holding no NUL. */
int proto_utf8_valid(const char *p, size_t n);
/* The length (1..4) of the well-formed, non-NUL character at p[0..n), or 0. */
size_t proto_utf8_seq(const char *p, size_t n);

/* The type of a message (after checking its version), or a PROTO_E_*. */
int proto_peek_type(const uint8_t *buf, size_t len);

int proto_status_encode(uint32_t type, const struct proto_status *m, uint8_t *buf, size_t cap,
                        size_t *len);
int proto_status_decode(uint32_t type, const uint8_t *buf, size_t len, struct proto_status *m);
int proto_logs_encode(const struct proto_logs *m, uint8_t *buf, size_t cap, size_t *len);
int proto_logs_decode(const uint8_t *buf, size_t len, struct proto_logs *m);
int proto_ack_encode(const struct proto_ack *m, uint8_t *buf, size_t cap, size_t *len);
int proto_ack_decode(const uint8_t *buf, size_t len, struct proto_ack *m);
int proto_log_ack_encode(const struct proto_log_ack *m, uint8_t *buf, size_t cap, size_t *len);
int proto_log_ack_decode(const uint8_t *buf, size_t len, struct proto_log_ack *m);
int proto_time_encode(uint64_t unix_ms, uint8_t *buf, size_t cap, size_t *len);
int proto_time_decode(const uint8_t *buf, size_t len, uint64_t *unix_ms);
int proto_config_encode(const struct proto_config *m, uint8_t *buf, size_t cap, size_t *len);
int proto_config_decode(const uint8_t *buf, size_t len, struct proto_config *m);
int proto_command_encode(const struct proto_command *m, uint8_t *buf, size_t cap, size_t *len);
int proto_command_decode(const uint8_t *buf, size_t len, struct proto_command *m);
int proto_deploy_encode(const struct proto_deploy *m, uint8_t *buf, size_t cap, size_t *len);
int proto_deploy_decode(const uint8_t *buf, size_t len, struct proto_deploy *m);
int proto_fetch_encode(const struct proto_fetch *m, uint8_t *buf, size_t cap, size_t *len);
int proto_fetch_decode(const uint8_t *buf, size_t len, struct proto_fetch *m);
int proto_chunk_encode(const struct proto_chunk *m, uint8_t *buf, size_t cap, size_t *len);
int proto_chunk_decode(const uint8_t *buf, size_t len, struct proto_chunk *m);

#endif /* KEEL_PROTO_H */
