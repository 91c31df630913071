/*
 * config.c: the configuration table and its loader.
 *
 * IMPLEMENTATION NOTES
 * One row per key: name, type, where it lives in struct cloud_config,
 * bounds for numbers, and a line of help that cloud_config_write puts in
 * the file keel-cloud init writes. Values are parsed into a copy and the
 * copy replaces cfg only when every line and variable parsed, so a bad
 * config never half-applies.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ctype { C_STR, C_LONG };

struct crow {
    const char *name;
    enum ctype type;
    size_t off, size;
    long min, max;
    const char *help;
};

#define S(f, h) {#f, C_STR, offsetof(struct cloud_config, f), \
                 sizeof(((struct cloud_config *)0)->f), 0, 0, h}
#define L(f, lo, hi, h) {#f, C_LONG, offsetof(struct cloud_config, f), sizeof(long), lo, hi, h}

static const struct crow rows[] = {
    S(database, "sqlite:PATH (WAL) or a libpq URL postgresql://... / pg:CONNINFO"),
    S(http_address, "address the REST API listens on"),
    L(http_port, 1, 65535, "port of the REST API"),
    S(tls_cert, "PEM certificate for HTTPS (empty: plain HTTP, loopback only)"),
    S(tls_key, "PEM private key for tls_cert"),
    L(plain_http_any_address, 0, 1, "1 lets plain HTTP listen off loopback (tokens in clear: "
                                    "only behind a TLS proxy on the same host)"),
    S(mqtt_host, "the broker"),
    L(mqtt_port, 0, 65535, "the broker's TLS port; 0 runs without a broker link"),
    S(mqtt_ca, "fleet CA certificate the broker's certificate is checked against"),
    S(mqtt_cert, "keel-cloud's own client certificate (CN keel-cloud)"),
    S(mqtt_key, "its private key"),
    S(instance, "this instance's name, unique among instances (MQTT client id)"),
    S(secrets_key, "file with the 32-byte key that seals secrets; keep it out of backups "
                   "of the database"),
    L(db_connections, 1, 256, "database connections in the pool"),
    L(max_body, 1024, 1048576, "largest JSON request body, bytes"),
    L(max_bundle, 4096, 64L * 1048576, "largest app bundle upload, bytes"),
    L(page_max, 1, 10000, "largest page a list returns"),
    L(log_batch, 1, 100000, "log records per ingest transaction, at most"),
    L(log_flush_ms, 1, 10000, "longest a received log record waits for its transaction"),
    L(max_connections, 8, 10000, "HTTP connections at once (a thread each); more are "
                                 "accepted and closed at once"),
    L(max_connections_per_ip, 0, 10000, "HTTP connections at once from one client address "
                                        "(0: no limit; behind a proxy on this host every "
                                        "client is its address)"),
    L(connection_timeout_s, 2, 86400, "seconds a connection may stay idle before it is "
                                      "closed (live log streams send keep-alives)"),
    L(max_streams, 1, 10000, "live log streams at once, all tokens together (below "
                             "max_connections); more are answered 503 server_busy"),
    L(max_streams_per_token, 1, 10000, "live log streams at once per API token (at most "
                                       "max_streams); more are answered 429 "
                                       "too_many_streams"),
    L(broker_acl, 0, 1, "1: this instance may keep the broker's files in DIR (acl, written "
                        "from the database, and the SIGHUP to mosquitto.pid); one instance "
                        "sharing DIR does at a time. 0 on instances away from the broker"),
    L(broker_wait_ms, 0, 60000, "how long a revoke waits for the broker to have it before "
                                "answering 503 broker_not_updated"),
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

void cloud_config_defaults(struct cloud_config *c, const char *dir)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->dir, sizeof(c->dir), "%s", dir);
    snprintf(c->database, sizeof(c->database), "sqlite:%s/keel.db", dir);
    snprintf(c->http_address, sizeof(c->http_address), "127.0.0.1");
    c->http_port = 8080;
    snprintf(c->mqtt_host, sizeof(c->mqtt_host), "127.0.0.1");
    c->mqtt_port = 8884; /* keel-cloud init: the devices' listener (8883) + 1 */
    snprintf(c->mqtt_ca, sizeof(c->mqtt_ca), "%s/ca.pem", dir);
    snprintf(c->mqtt_cert, sizeof(c->mqtt_cert), "%s/cloud.pem", dir);
    snprintf(c->mqtt_key, sizeof(c->mqtt_key), "%s/cloud.key", dir);
    snprintf(c->instance, sizeof(c->instance), "1");
    snprintf(c->secrets_key, sizeof(c->secrets_key), "%s/secrets.key", dir);
    c->db_connections = 8;
    c->max_body = 65536;
    c->max_bundle = 4L * 1048576;
    c->page_max = 1000;
    c->log_batch = 5000;
    c->log_flush_ms = 20;
    c->max_connections = 512;
    c->max_connections_per_ip = 64;
    c->connection_timeout_s = 60;
    c->max_streams = 128;
    c->max_streams_per_token = 8;
    c->broker_acl = 1;
    c->broker_wait_ms = 5000;
}

/* The keys whose bounds depend on each other. Each bound keeps a kind of
 * request from taking every connection: streams must leave connections
 * for the rest of the API, one token's streams must leave streams for the
 * others, one address must leave connections for the others. */
static int check(const struct cloud_config *c, char *err, size_t errlen)
{
    if (c->max_connections_per_ip > c->max_connections) {
        snprintf(err, errlen, "max_connections_per_ip (%ld) is over max_connections (%ld)",
                 c->max_connections_per_ip, c->max_connections);
        return -1;
    }
    if (c->max_streams >= c->max_connections) {
        snprintf(err, errlen, "max_streams (%ld) must be below max_connections (%ld): live "
                 "log streams would leave no connection for the rest of the API",
                 c->max_streams, c->max_connections);
        return -1;
    }
    if (c->max_streams_per_token > c->max_streams) {
        snprintf(err, errlen, "max_streams_per_token (%ld) is over max_streams (%ld)",
                 c->max_streams_per_token, c->max_streams);
        return -1;
    }
    return 0;
}

static int set(struct cloud_config *c, const struct crow *r, const char *v, char *err,
               size_t errlen)
{
    char *p = (char *)c + r->off;
    if (r->type == C_STR) {
        if (strlen(v) >= r->size) {
            snprintf(err, errlen, "%s: value longer than %zu bytes", r->name, r->size - 1);
            return -1;
        }
        memcpy(p, v, strlen(v) + 1);
        return 0;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < r->min || n > r->max) {
        snprintf(err, errlen, "%s: '%s' is not an integer in %ld..%ld", r->name, v, r->min,
                 r->max);
        return -1;
    }
    memcpy(p, &n, sizeof(n));
    return 0;
}

static const struct crow *find(const char *name)
{
    for (size_t i = 0; i < NROWS; i++)
        if (!strcmp(rows[i].name, name))
            return &rows[i];
    return NULL;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

int cloud_config_load(struct cloud_config *cfg, const char *path, char *err, size_t errlen)
{
    struct cloud_config c = *cfg;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[2048];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        lineno++;
        char *s = trim(line), *eq;
        if (!*s || *s == '#')
            continue;
        if (!(eq = strchr(s, '='))) {
            snprintf(err, errlen, "%s:%d: expected key = value", path, lineno);
            rc = -1;
            break;
        }
        *eq = 0;
        const char *k = trim(s), *v = trim(eq + 1);
        const struct crow *r = find(k);
        if (!r) {
            snprintf(err, errlen, "%s:%d: unknown key '%s'", path, lineno, k);
            rc = -1;
        } else {
            rc = set(&c, r, v, err, errlen);
        }
    }
    fclose(f);
    for (size_t i = 0; rc == 0 && i < NROWS; i++) {
        char env[96];
        int n = snprintf(env, sizeof(env), "KEEL_CLOUD_%s", rows[i].name);
        for (int j = 11; j < n; j++)
            env[j] = (char)toupper((unsigned char)env[j]);
        const char *v = getenv(env);
        if (v)
            rc = set(&c, &rows[i], v, err, errlen);
    }
    if (rc == 0)
        rc = check(&c, err, errlen);
    if (rc == 0)
        *cfg = c;
    return rc;
}

int cloud_config_write(const struct cloud_config *c, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# keel-cloud configuration (docs/cloud.md). Each key may be overridden\n"
               "# by the environment variable KEEL_CLOUD_<KEY>, e.g. KEEL_CLOUD_HTTP_PORT.\n");
    for (size_t i = 0; i < NROWS; i++) {
        const char *p = (const char *)c + rows[i].off;
        fprintf(f, "\n# %s\n", rows[i].help);
        if (rows[i].type == C_STR)
            fprintf(f, "%s = %s\n", rows[i].name, p);
        else
            fprintf(f, "%s = %ld\n", rows[i].name, *(const long *)p);
    }
    return fclose(f) ? -1 : 0;
}
