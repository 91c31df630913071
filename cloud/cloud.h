/*
 * cloud.h: keel-cloud's one context (struct cloud), passed explicitly to
 * every route and to the broker link, and the helpers they share.
 */
#ifndef KEEL_CLOUD_H
#define KEEL_CLOUD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

struct cloud {
    struct cloud_config cfg;
    struct store_pool *pool;
    uint8_t secret_key[32];       /* seals secrets (AES-256-GCM), from cfg.secrets_key */
    struct MHD_Daemon *http;
    struct cloud_mqtt *mqtt;      /* NULL when mqtt_port is 0 */
    struct cloud_broker *broker;  /* the ACL reconciler (broker.h); NULL when broker_acl is 0 */
    volatile int stopping;
    /* The live log streams (api_logs.c), one slot each holding its token's
     * id (0: free), for max_streams and max_streams_per_token. */
    pthread_mutex_t streams_mu;
    int64_t *stream_tokens;       /* cfg.max_streams slots */
};

/* ---- util.c ---------------------------------------------------------------- */

int64_t cloud_now_ms(void);
/* One log line on stderr: time, level, request id ("-" if none), message.
 * Never pass a secret value or a token. */
void cloud_log(const char *level, const char *rid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cloud_hex(const uint8_t *b, size_t n, char *out /* 2n+1 */);
int cloud_unhex(const char *s, uint8_t *out, size_t n);
int cloud_random(uint8_t *b, size_t n);
void cloud_sha256_hex(const void *data, size_t len, char out[65]);
/* Reads a whole file (malloc'd, NUL-terminated). 0 or -1. */
int cloud_read_file(const char *path, uint8_t **out, size_t *len);
/* Writes a file atomically (temp, fsync, rename) with mode. 0 or -1. */
int cloud_write_file(const char *path, const void *data, size_t len, int mode);

/* ---- seal.c: secrets at rest ---------------------------------------------- */

#define CLOUD_SEAL_OVERHEAD (12 + 16)
/* AES-256-GCM with a random nonce; aad binds the ciphertext to its row
 * (account, device, key) so a sealed value cannot be moved to another. */
int cloud_seal(const uint8_t key[32], const char *aad, const void *in, size_t n,
               uint8_t *out /* n + CLOUD_SEAL_OVERHEAD */);
int cloud_unseal(const uint8_t key[32], const char *aad, const uint8_t *in, size_t n,
                 uint8_t *out /* n - CLOUD_SEAL_OVERHEAD */);

/* ---- init.c ---------------------------------------------------------------- */

int cloud_init_dir(const char *dir, int device_port, int mqtt_port, int http_port);
/* A new API token for account with scope, stored as its hash; the token
 * text (keel_ + 64 hex) written to out. 0 or a STORE_E_*. */
int cloud_token_create(struct store *s, int64_t account, const char *name, const char *scope,
                       char out[70], int64_t *id);

/* ---- http.c / mqtt.c ------------------------------------------------------- */

int cloud_http_start(struct cloud *c);
void cloud_http_stop(struct cloud *c);
int cloud_mqtt_start(struct cloud *c);
void cloud_mqtt_stop(struct cloud *c);
/* Publishes p[0..n) QoS 1 on devices/<device>/down/<kind> from any thread
 * (the broker link's thread writes it). 0, or -1 without a broker link. */
int cloud_mqtt_send(struct cloud *c, const char *device, const char *kind, const void *p,
                    size_t n);

#endif /* KEEL_CLOUD_H */
