/*
 * keel-cloud: the self-hosted cloud that keeps a fleet (docs/cloud.md).
 *
 *   keel-cloud init DIR [--device-port N] [--mqtt-port N] [--http-port N]
 *   keel-cloud serve DIR            (config DIR/keel-cloud.conf + environment)
 *   keel-cloud migrate DIR          (apply schema migrations and exit)
 *
 * IMPLEMENTATION NOTES
 * serve opens the pool, migrates (safe with several instances starting at
 * once), reads the secrets key, then starts the HTTP API and the broker
 * link and waits for SIGINT/SIGTERM. Everything an instance keeps is in the
 * database, so instances are interchangeable and any may be killed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "cloud.h"



static const char usage[] =
    "usage: keel-cloud init DIR [--device-port N] [--mqtt-port N] [--http-port N]\n"
    "       keel-cloud serve DIR\n"
    "       keel-cloud migrate DIR\n"
    "init makes a working instance in DIR (fleet CA, broker certificate and\n"
    "config, keel-cloud's client certificate, secrets key, database, config file)\n"
    "and prints the admin API token once. Ports: the broker's listener for devices\n"
    "(--device-port, else KEEL_CLOUD_DEVICE_PORT, else 8883), its listener for\n"
    "keel-cloud (--mqtt-port, else KEEL_CLOUD_MQTT_PORT, else the devices' port + 1;\n"
    "0 for none) and the API (--http-port, else KEEL_CLOUD_HTTP_PORT, else 8080).\n"
    "serve runs it: the REST API and the broker link. Configuration:\n"
    "DIR/keel-cloud.conf, each key overridable by KEEL_CLOUD_<KEY> (docs/cloud.md).\n"
    "exit codes: 0 ok, 1 failure, 2 usage\n";

/* A port 0..65535 from text, all of it digits; -1 otherwise. */
static int port_arg(const char *s)
{
    char *end;
    long v = s && *s ? strtol(s, &end, 10) : -1;
    return v >= 0 && v <= 65535 && s && *s >= '0' && *s <= '9' && *end == '\0' ? (int)v : -1;
}

static int load(struct cloud *c, const char *dir)
{
    char path[CLOUD_PATH_MAX + 32], err[512];
    cloud_config_defaults(&c->cfg, dir);
    snprintf(path, sizeof(path), "%s/keel-cloud.conf", dir);
    if (cloud_config_load(&c->cfg, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "keel-cloud: %s\n", err);
        return -1;
    }
    return 0;
}

static int open_db(struct cloud *c)
{
    char err[512];
    int failed;
    if (store_pool_open(c->cfg.database, (int)c->cfg.db_connections, &c->pool, err,
                        sizeof(err)) != 0) {
        fprintf(stderr, "keel-cloud: database: %s\n", err);
        return -1;
    }
    struct store *s = store_pool_get(c->pool);
    int rc = store_migrate(s, &failed);
    if (rc)
        fprintf(stderr, "keel-cloud: migration %d failed: %s\n", failed, store_errmsg(s));
    store_pool_put(c->pool, s);
    return rc ? -1 : 0;
}

static int serve(const char *dir)
{
    static struct cloud c;
    uint8_t *key = NULL;
    size_t n = 0;
    if (load(&c, dir) || open_db(&c))
        return 1;
    if (cloud_read_file(c.cfg.secrets_key, &key, &n) != 0 || n != 32) {
        fprintf(stderr, "keel-cloud: %s: not a 32-byte secrets key\n", c.cfg.secrets_key);
        free(key);
        return 1;
    }
    memcpy(c.secret_key, key, 32);
    memset(key, 0, n);
    free(key);
    signal(SIGPIPE, SIG_IGN);
    /* SIGINT and SIGTERM blocked here, before any thread exists, so every
     * thread inherits the mask and only the sigwait below takes them: a
     * handler could run on any thread (the kernel's choice) and leave this
     * one asleep, and a flag tested before pause() misses a signal that
     * comes in between; both left keel-cloud running after a SIGTERM */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    /* the reconciler first: it rebuilds DIR/acl from the database before
     * the API can be asked to revoke anything */
    if (cloud_broker_start(&c) != 0) {
        fprintf(stderr, "keel-cloud: cannot start the broker ACL reconciler\n");
        return 1;
    }
    if (cloud_http_start(&c) != 0) {
        fprintf(stderr, "keel-cloud: cannot listen on %s:%ld\n", c.cfg.http_address,
                c.cfg.http_port);
        cloud_broker_stop(&c);
        return 1;
    }
    if (c.cfg.mqtt_port && cloud_mqtt_start(&c) != 0) {
        fprintf(stderr, "keel-cloud: cannot start the broker link\n");
        cloud_http_stop(&c);
        cloud_broker_stop(&c);
        return 1;
    }
    cloud_log("notice", NULL, "keel-cloud %s serving %s://%s:%ld, broker %s:%ld, store %s",
              c.cfg.instance, c.cfg.tls_cert[0] ? "https" : "http", c.cfg.http_address,
              c.cfg.http_port, c.cfg.mqtt_host,
              c.cfg.mqtt_port, strncmp(c.cfg.database, "sqlite:", 7) ? "postgresql" : "sqlite");
    int stop_signal = 0;
    while (sigwait(&stop_set, &stop_signal) != 0)
        ;
    c.stopping = 1;
    cloud_broker_stop(&c);
    cloud_mqtt_stop(&c);
    cloud_http_stop(&c);
    store_pool_close(c.pool);
    memset(c.secret_key, 0, sizeof(c.secret_key));
    cloud_log("notice", NULL, "stopped (signal %d)", (int)stop_signal);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "init") && argc >= 3) {
        /* KEEL_CLOUD_MQTT_PORT is also serve's override of mqtt_port: the
         * port init writes there is the one serve would read */
        const char *ed = getenv("KEEL_CLOUD_DEVICE_PORT"), *em = getenv("KEEL_CLOUD_MQTT_PORT"),
                   *eh = getenv("KEEL_CLOUD_HTTP_PORT");
        const char *sd = ed ? ed : "8883", *sm = em, *sh = eh ? eh : "8080";
        for (int i = 3; i < argc; i++) {
            if (!strcmp(argv[i], "--device-port") && i + 1 < argc)
                sd = argv[++i];
            else if (!strcmp(argv[i], "--mqtt-port") && i + 1 < argc)
                sm = argv[++i];
            else if (!strcmp(argv[i], "--http-port") && i + 1 < argc)
                sh = argv[++i];
            else {
                fputs(usage, stderr);
                return 2;
            }
        }
        int dev = port_arg(sd), http = port_arg(sh);
        /* without --mqtt-port, the devices' port + 1; an instance without
         * a broker (device port 0) has neither listener */
        int mqtt = sm ? port_arg(sm) : dev > 0 && dev < 65535 ? dev + 1 : dev == 0 ? 0 : -1;
        if (dev < 0 || mqtt < 0 || http < 1 || (dev == 0) != (mqtt == 0) ||
            (dev && dev == mqtt)) {
            fprintf(stderr, "keel-cloud init: ports are numbers 1..65535: the devices' and "
                            "keel-cloud's listeners apart, or both 0 for no broker\n");
            return 2;
        }
        return cloud_init_dir(argv[2], dev, mqtt, http);
    }
    if (!strcmp(argv[1], "serve") && argc == 3)
        return serve(argv[2]);
    if (!strcmp(argv[1], "migrate") && argc == 3) {
        static struct cloud c;
        if (load(&c, argv[2]) || open_db(&c))
            return 1;
        printf("schema at migration %d\n", store_schema_version());
        store_pool_close(c.pool);
        return 0;
    }
    fputs(usage, stderr);
    return 2;
}
