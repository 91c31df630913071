/*
 * config.h: keel-cloud's configuration (config.c): one table of keys, each
 * with its type, default and bounds, read from DIR/keel-cloud.conf
 * ("key = value" lines, '#' comments) and then from the environment
 * (KEEL_CLOUD_<KEY in capitals>), which wins. Loading is all or nothing: an
 * unknown key, a value out of bounds or a missing file fails the whole load.
 * docs/cloud.md lists every key.
 */
#ifndef KEEL_CLOUD_CONFIG_H
#define KEEL_CLOUD_CONFIG_H

#include <stddef.h>

#define CLOUD_PATH_MAX 1024

struct cloud_config {
    char dir[CLOUD_PATH_MAX];
    char database[CLOUD_PATH_MAX];
    char http_address[64];
    long http_port;
    char tls_cert[CLOUD_PATH_MAX], tls_key[CLOUD_PATH_MAX];
    char mqtt_host[256];
    long mqtt_port;                 /* 0: no broker link */
    char mqtt_ca[CLOUD_PATH_MAX], mqtt_cert[CLOUD_PATH_MAX], mqtt_key[CLOUD_PATH_MAX];
    char instance[64];              /* MQTT client id suffix; unique per instance */
    char secrets_key[CLOUD_PATH_MAX];
    long db_connections;
    long max_body;                  /* JSON bodies */
    long max_bundle;                /* app uploads */
    long plain_http_any_address;    /* 1: plain HTTP off loopback allowed */
    long page_max;
    long log_batch;                 /* log records per ingest transaction */
    long log_flush_ms;
    /* HTTP front end (http.c): libmicrohttpd's limits, and the live log
     * streams' own (api_logs.c), which hold a connection each for as long
     * as the client stays. Per instance: several instances each apply them. */
    long max_connections;
    long max_connections_per_ip;    /* 0: no per-address limit */
    long connection_timeout_s;      /* idle seconds before a connection is closed */
    long max_streams;               /* live log streams, all tokens together */
    long max_streams_per_token;
    long broker_acl;                /* 1: may keep DIR/acl and signal DIR/mosquitto.pid */
    long broker_wait_ms;            /* how long a revoke waits for the broker */
};

/* Fills cfg from DIR/keel-cloud.conf (path given) and the environment,
 * then checks the keys that bound each other (max_streams below
 * max_connections, ...). 0, or -1 with the reason in err. */
int cloud_config_load(struct cloud_config *cfg, const char *path, char *err, size_t errlen);
/* Writes a documented config file with every key at its value in cfg. */
int cloud_config_write(const struct cloud_config *cfg, const char *path);
void cloud_config_defaults(struct cloud_config *cfg, const char *dir);

#endif
