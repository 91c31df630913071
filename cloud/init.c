/*
 * init.c: keel-cloud init DIR, a working instance in one command.
 *
 * IMPLEMENTATION NOTES
 * Everything an instance needs is made here and nowhere else: the fleet CA
 * in keel provision --new-ca's format (ca.pem, ca.key), the broker's
 * server certificate, keel-cloud's own client certificate (CN keel-cloud),
 * mosquitto.conf and its ACL, the key that seals secrets, keel-cloud.conf,
 * and the database with the first account and its admin token. The token
 * is printed once; only its SHA-256 is stored. init refuses a DIR that
 * already holds an instance rather than overwrite a CA.
 *
 * The broker has two listeners (KEEL-SA-2026-21). Devices connect to the
 * first, where the broker replaces the client id a device sends with its
 * certificate's CN, so no certificate can take over another device's
 * session. keel-cloud connects to the second, with client ids of its own
 * choosing (one per instance, and the device's id when it ends a revoked
 * device's session); that listener trusts only the services CA, which
 * signs keel-cloud's certificate and nothing else: its key is thrown away
 * once cloud.pem is signed, so no device certificate can ever reach the
 * listener where client ids are free.
 */
#include <errno.h>
#include <limits.h>
#include <openssl/pem.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker.h"
#include "cloud.h"
#include "keel_x509.h"

int cloud_token_create(struct store *s, int64_t account, const char *name, const char *scope,
                       char out[70], int64_t *id)
{
    uint8_t raw[32];
    char hash[65];
    if (cloud_random(raw, sizeof(raw)) != 0)
        return STORE_E_IO;
    memcpy(out, "keel_", 5);
    cloud_hex(raw, 32, out + 5);
    cloud_sha256_hex(out, strlen(out), hash);
    struct store_val v[5] = {SV_INT(account), SV_TEXT(name), SV_TEXT(scope), SV_TEXT(hash),
                             SV_INT(cloud_now_ms())};
    struct store_result r;
    int rc = store_exec(s, "INSERT INTO tokens (account_id, name, scope, hash, created_ms) "
                           "VALUES (?, ?, ?, ?, ?) RETURNING id", v, 5, &r);
    if (rc == STORE_OK) {
        if (id)
            *id = store_cell_int(&r, 0, 0);
        store_result_free(&r);
    }
    return rc;
}

static int path(char *out, const char *dir, const char *name)
{
    return snprintf(out, CLOUD_PATH_MAX, "%s/%s", dir, name) < CLOUD_PATH_MAX ? 0 : -1;
}

static int make_pki(const char *dir)
{
    char p[CLOUD_PATH_MAX];
    EVP_PKEY *ca_key = keel_x509_new_key(), *bk = keel_x509_new_key(), *ck = keel_x509_new_key();
    EVP_PKEY *sk = keel_x509_new_key(); /* the services CA's key: never written */
    X509 *ca = ca_key ? keel_x509_make_cert(ca_key, "Keel fleet CA", NULL, ca_key,
                                            KEEL_X509_CA) : NULL;
    X509 *sca = sk ? keel_x509_make_cert(sk, "Keel services CA", NULL, sk, KEEL_X509_CA) : NULL;
    X509 *bc = ca && bk ? keel_x509_make_cert(bk, "keel-broker", ca, ca_key, KEEL_X509_SERVER)
                        : NULL;
    X509 *cc = sca && ck ? keel_x509_make_cert(ck, CLOUD_MQTT_USER, sca, sk,
                                               KEEL_X509_CLIENT) : NULL;
    int rc = !bc || !cc ||
             path(p, dir, "ca.key") || keel_x509_write_key(p, ca_key) ||
             path(p, dir, "ca.pem") || keel_x509_write_cert(p, ca) ||
             path(p, dir, "services-ca.pem") || keel_x509_write_cert(p, sca) ||
             path(p, dir, "broker.key") || keel_x509_write_key(p, bk) ||
             path(p, dir, "broker.pem") || keel_x509_write_cert(p, bc) ||
             path(p, dir, "cloud.key") || keel_x509_write_key(p, ck) ||
             path(p, dir, "cloud.pem") || keel_x509_write_cert(p, cc) ? -1 : 0;
    /* mosquitto will not start without its crlfile: an empty CRL until
     * keel-cloud's broker keeper writes the revocations into it. */
    size_t crl_len = 0;
    char *crl = rc == 0 ? keel_x509_crl_pem(ca, ca_key, NULL, 0, keel_x509_crl_next_issue(0), &crl_len) : NULL;
    if (rc == 0 && (!crl || path(p, dir, "crl.pem") || cloud_write_file(p, crl, crl_len, 0644)))
        rc = -1;
    free(crl);
    X509_free(ca);
    X509_free(sca);
    X509_free(bc);
    X509_free(cc);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(bk);
    EVP_PKEY_free(ck);
    EVP_PKEY_free(sk);
    return rc;
}

static int write_broker_conf(const char *dir, int port, int cloud_port)
{
    char p[CLOUD_PATH_MAX], acl[CLOUD_PATH_MAX];
    struct passwd *pw = getpwuid(getuid());
    if (path(p, dir, "mosquitto.conf") || path(acl, dir, "acl"))
        return -1;
    FILE *f = fopen(p, "w");
    if (!f)
        return -1;
    /* mosquitto drops root to "mosquitto" unless told otherwise; the files
     * here belong to whoever ran init, so the broker runs as them. */
    fprintf(f,
            "# mosquitto for keel-cloud (docs/cloud.md); written by keel-cloud init\n"
            "per_listener_settings false\n"
            "user %s\n"
            "persistence false\n"
            "log_dest stderr\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            "pid_file %s/mosquitto.pid\n"
            "allow_anonymous false\n"
            "acl_file %s\n"
            "max_packet_size 65536\n"
            "max_queued_messages 10000\n"
            "set_tcp_nodelay true\n",
            pw ? pw->pw_name : "root", dir, acl);
    /* device port 0: an instance without a broker, no listener at all */
    if (port)
        fprintf(f,
                "\n# devices (keel run --cloud reads the first listener's port)\n"
                "listener %d 127.0.0.1\n"
                "protocol mqtt\n"
                "cafile %s/ca.pem\n"
                "certfile %s/broker.pem\n"
                "keyfile %s/broker.key\n"
                "require_certificate true\n"
                "use_identity_as_username true\n"
                "use_username_as_clientid true\n"
                "crlfile %s/crl.pem\n"
                "tls_version tlsv1.3\n"
                "\n# keel-cloud: only the services CA, free client ids\n"
                "listener %d 127.0.0.1\n"
                "protocol mqtt\n"
                "cafile %s/services-ca.pem\n"
                "certfile %s/broker.pem\n"
                "keyfile %s/broker.key\n"
                "require_certificate true\n"
                "use_identity_as_username true\n"
                "tls_version tlsv1.3\n",
                port, dir, dir, dir, dir, cloud_port, dir, dir, dir);
    if (fclose(f) != 0)
        return -1;
    return broker_acl_write(acl, NULL, 0);
}

int cloud_init_dir(const char *given, int device_port, int mqtt_port, int http_port)
{
    char p[CLOUD_PATH_MAX], err[512], dir[PATH_MAX];
    struct cloud_config cfg;
    /* absolute paths in every file written, so the broker and keel-cloud
     * may start from any directory */
    if ((mkdir(given, 0700) != 0 && errno != EEXIST) || !realpath(given, dir)) {
        fprintf(stderr, "keel-cloud init: %s: %s\n", given, strerror(errno));
        return 1;
    }
    if (path(p, dir, "ca.key") || access(p, F_OK) == 0) {
        fprintf(stderr, "keel-cloud init: %s already holds an instance (ca.key); not "
                        "overwriting it\n", dir);
        return 1;
    }
    cloud_config_defaults(&cfg, dir);
    cfg.mqtt_port = mqtt_port;
    cfg.http_port = http_port;
    /* the environment may already name the database (and, in main.c, the
     * ports): what serve would read is what init writes */
    const char *db = getenv("KEEL_CLOUD_DATABASE");
    if (db)
        snprintf(cfg.database, sizeof(cfg.database), "%s", db);
    uint8_t key[32];
    if (make_pki(dir) != 0 || write_broker_conf(dir, device_port, mqtt_port) != 0 ||
        cloud_random(key, sizeof(key)) != 0 ||
        cloud_write_file(cfg.secrets_key, key, sizeof(key), 0600) != 0 ||
        path(p, dir, "keel-cloud.conf") || cloud_config_write(&cfg, p) != 0) {
        fprintf(stderr, "keel-cloud init: cannot write the instance files in %s: %s\n", dir,
                strerror(errno));
        return 1;
    }
    memset(key, 0, sizeof(key));

    struct store *s;
    int failed = 0;
    if (store_open(cfg.database, &s, err, sizeof(err)) != 0) {
        fprintf(stderr, "keel-cloud init: %s\n", err);
        return 1;
    }
    char token[70];
    struct store_val v[2] = {SV_TEXT("default"), SV_INT(cloud_now_ms())};
    int rc = store_migrate(s, &failed);
    if (!rc)
        rc = store_exec(s, "INSERT INTO accounts (name, created_ms) VALUES (?, ?)", v, 2,
                        NULL);
    if (!rc)
        rc = cloud_token_create(s, 1, "admin (keel-cloud init)", "admin", token, NULL);
    if (rc) {
        fprintf(stderr, "keel-cloud init: database %s: %s\n", cfg.database, store_errmsg(s));
        store_close(s);
        return 1;
    }
    store_close(s);
    printf("keel-cloud instance in %s\n"
           "  fleet CA      %s/ca.pem (key ca.key; keel provision --ca %s/ca.pem --ca-key "
           "%s/ca.key)\n"
           "  broker        %s/mosquitto.conf (devices' port %d, keel-cloud's %d)\n"
           "  config        %s/keel-cloud.conf (API port %d)\n"
           "  database      %s\n"
           "admin token (shown once, only its hash is stored):\n%s\n",
           dir, dir, dir, dir, dir, device_port, mqtt_port, dir, http_port, cfg.database, token);
    memset(token, 0, sizeof(token));
    return 0;
}
