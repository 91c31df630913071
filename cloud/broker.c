/*
 * broker.c: the broker's ACL file and the reconciler (broker.h).
 *
 * IMPLEMENTATION NOTES
 * The reconciler is a thread with its own database connection. It owns
 * the files only while it holds flock(DIR/broker.lock): several instances
 * may share DIR (tests/cloud/two_instances.py does) and must not both
 * write DIR/acl.tmp; the lock passes to another instance when the owner
 * dies. Instances elsewhere (broker_acl = 0) never write; their
 * revocations reach the broker through the database and the owner.
 * A pass reads the revoked devices, builds the file they call for and
 * compares it with DIR/acl byte for byte: a crash between the UPDATE and
 * the write, a file edited or removed by hand, a revocation on another
 * instance, all end in the same rewrite. The broker is signalled after a
 * rewrite and once after taking the lock (it may have started from an
 * older file); a failed signal is retried every pass. A signal is not yet
 * proof (confirm()): the pass then publishes to a topic only the new file
 * allows until the broker accepts it. Devices are marked acl_applied_ms
 * only after that, so the mark never claims more than the broker does. A
 * lasting failure is logged once.
 */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cloud.h"
#include "keel_x509.h"

#define BROKER_GEN_TOPIC "keel/acl/"
#define CONFIRM_MS 3000

/* "UV" + 32 upper-case hex: anything else could carry a newline into the
 * ACL, so it is never written there. */
static bool device_id_ok(const char *s)
{
    if (!s || strlen(s) != 34 || s[0] != 'U' || s[1] != 'V')
        return false;
    for (int i = 2; i < 34; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return true;
}

/* The ACL text for the revoked ids (malloc'd in *out) and its generation
 * gen: the first 16 hex digits of the SHA-256 of the deny sections. The
 * file lets keel-cloud publish to keel/acl/<gen> and nowhere else outside
 * devices/, so a PUBACK 0x00 there proves the broker runs this very file
 * (confirm()). Nothing varies between calls with the same ids, so equal
 * text means the file already says what the database does. 0 or -1. */
static int acl_text(const char *const *revoked, size_t n, char **out, size_t *outlen,
                    char gen[17])
{
    size_t cap = 512 + n * 64, dlen = 0, len = 0;
    char *deny = malloc(cap), *b = malloc(cap + 512), hash[65];
    if (!deny || !b) {
        free(deny);
        free(b);
        return -1;
    }
    deny[0] = 0;
    for (size_t i = 0; i < n; i++)
        if (device_id_ok(revoked[i])) /* 21 + 34 bytes each, within cap */
            dlen += (size_t)snprintf(deny + dlen, cap - dlen, "\nuser %s\ntopic deny #\n",
                                     revoked[i]);
    cloud_sha256_hex(deny, dlen, hash);
    memcpy(gen, hash, 16);
    gen[16] = 0;
    len = (size_t)snprintf(b, cap + 512,
                           "# written by keel-cloud from its database; edits are overwritten\n"
                           "user " CLOUD_MQTT_USER "\n"
                           "topic readwrite devices/#\n"
                           "topic write " BROKER_GEN_TOPIC "%s\n"
                           "%s"
                           "\npattern readwrite devices/%%u/#\n", gen, deny);
    free(deny);
    *out = b;
    *outlen = len;
    return 0;
}

int broker_acl_write(const char *path, const char *const *revoked, size_t n)
{
    char *b, gen[17];
    size_t len;
    if (acl_text(revoked, n, &b, &len, gen))
        return -1;
    int rc = cloud_write_file(path, b, len, 0644);
    free(b);
    return rc;
}

int broker_reload(const char *pidfile)
{
    FILE *f = fopen(pidfile, "r");
    long pid = 0;
    char comm[64] = "", proc[64];
    if (!f)
        return -1;
    int ok = fscanf(f, "%ld", &pid) == 1 && pid > 1 && pid <= (1L << 22);
    fclose(f);
    if (!ok)
        return -1;
    snprintf(proc, sizeof(proc), "/proc/%ld/comm", pid);
    f = fopen(proc, "r");
    if (!f)
        return -1; /* no such process: the broker is not running */
    ok = fgets(comm, sizeof(comm), f) != NULL && !strncmp(comm, "mosquitto", 9);
    fclose(f);
    return ok && kill((pid_t)pid, SIGHUP) == 0 ? 0 : -1;
}

/* ---- the reconciler ------------------------------------------------------- */

struct cloud_broker {
    struct cloud *c;
    struct store *db;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool poked, stop;
    int lockfd;             /* DIR/broker.lock while this instance owns the files */
    bool signalled;         /* the broker was told about DIR/acl as it is now */
    char failing[64];       /* the failure last logged, "" when all is well */
    char acl[CLOUD_PATH_MAX + 8], pid[CLOUD_PATH_MAX + 16], lock[CLOUD_PATH_MAX + 16];
    char crl[CLOUD_PATH_MAX + 16];
    char *crl_pem;          /* what this instance last wrote to DIR/crl.pem */
    size_t crl_len;
    char crl_gen[17];       /* the ACL generation crl_pem is for */
    time_t crl_issued;      /* its lastUpdate, which every new CRL must pass */
    X509 *ca;               /* DIR/ca.pem and ca.key, which sign the CRL; */
    EVP_PKEY *ca_key;       /* NULL when the instance has none (no CRL then) */
};

/* Logs a failure (what: a short key, msg: the line) once until it changes
 * or clears; what "" is the all-clear. */
static void note(struct cloud_broker *b, const char *what, const char *msg)
{
    if (!strcmp(b->failing, what))
        return;
    snprintf(b->failing, sizeof(b->failing), "%s", what);
    if (*what)
        cloud_log("error", NULL, "broker ACL: %s; revocations wait (retried every second)", msg);
    else
        cloud_log("notice", NULL, "broker ACL: %s", msg);
}

static bool take_lock(struct cloud_broker *b)
{
    if (b->lockfd >= 0)
        return true;
    int fd = open(b->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        note(b, "lock", "cannot open the lock file in DIR");
        return false;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) { /* another instance in DIR owns the files */
        close(fd);
        return false;
    }
    b->lockfd = fd;
    b->signalled = false;
    cloud_log("notice", NULL, "broker ACL: this instance keeps %s", b->acl);
    return true;
}

/* Whether the file at path holds exactly text[0..len). */
static bool file_is(const char *path, const char *text, size_t len)
{
    uint8_t *have = NULL;
    size_t n = 0;
    bool same = cloud_read_file(path, &have, &n) == 0 && n == len && !memcmp(have, text, len);
    free(have);
    return same;
}

struct confirm {
    int connack, mid, puback; /* -1 none yet */
};

static void on_connect(struct mosquitto *m, void *obj, int rc, int f, const mosquitto_property *p)
{
    (void)m;
    (void)f;
    (void)p;
    ((struct confirm *)obj)->connack = rc;
}

static void on_publish(struct mosquitto *m, void *obj, int mid, int rc,
                       const mosquitto_property *p)
{
    struct confirm *k = obj;
    (void)m;
    (void)p;
    if (mid == k->mid)
        k->puback = rc;
}

/* Drives m until *flag is not -1 or deadline; false on a broken link. */
static bool wait_for(struct mosquitto *m, const int *flag, int64_t deadline)
{
    while (*flag == -1 && cloud_now_ms() < deadline)
        if (mosquitto_loop(m, 20, 1) != MOSQ_ERR_SUCCESS)
            return false;
    return *flag != -1;
}

/* Proves the broker enforces the ACL of generation gen: publishes QoS 1 to
 * keel/acl/<gen>, which only that file allows, until a PUBACK says it was
 * allowed (0x00, or 0x10 "no matching subscribers") rather than 0x87.
 * mosquitto 2.0 takes a SIGHUP only after its event wait returns and then
 * handles that round's packets with the old ACL (measured: a message sent
 * right after a 200 that waited only for the signal still reached the
 * revoked device's subscription),
 * so the signal alone proves nothing. A link of its own (client id
 * keel-cloud-<instance>-acl), made for the check and closed after it.
 * Without a broker link configured (mqtt_port 0) the signal is all there
 * is. 0 confirmed, -1 not within CONFIRM_MS. */
static int confirm(struct cloud_broker *b, const char *gen)
{
    const struct cloud_config *cfg = &b->c->cfg;
    if (!cfg->mqtt_port)
        return 0;
    char id[96], topic[32];
    struct confirm k = {.connack = -1, .mid = -1, .puback = -1};
    int64_t deadline = cloud_now_ms() + CONFIRM_MS;
    int rc = -1;
    snprintf(id, sizeof(id), CLOUD_MQTT_USER "-%s-acl", cfg->instance);
    snprintf(topic, sizeof(topic), BROKER_GEN_TOPIC "%s", gen);
    struct mosquitto *m = mosquitto_new(id, true, &k);
    if (!m || mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5) ||
        mosquitto_tls_set(m, cfg->mqtt_ca, NULL, cfg->mqtt_cert, cfg->mqtt_key, NULL) ||
        mosquitto_tls_opts_set(m, 1, "tlsv1.3", NULL))
        goto out;
    mosquitto_connect_v5_callback_set(m, on_connect);
    mosquitto_publish_v5_callback_set(m, on_publish);
    if (mosquitto_connect_bind_v5(m, cfg->mqtt_host, (int)cfg->mqtt_port, 10, NULL, NULL) ||
        !wait_for(m, &k.connack, deadline) || k.connack != 0)
        goto out;
    while (cloud_now_ms() < deadline) {
        k.puback = -1;
        if (mosquitto_publish_v5(m, &k.mid, topic, 0, NULL, 1, false, NULL) ||
            !wait_for(m, &k.puback, deadline))
            break;
        if (k.puback < 0x80) { /* 0x00, or 0x10 no subscribers: allowed */
            rc = 0;
            break;
        }
        usleep(50 * 1000); /* 0x87: the broker still runs the old file */
    }
    mosquitto_disconnect(m);
out:
    if (m)
        mosquitto_destroy(m);
    return rc;
}

/* Ends the session of client id `id` by taking it over: a CONNECT with
 * that client id and clean start makes mosquitto close the old connection
 * (MQTT 5 DISCONNECT 0x8E) and discard its session, subscriptions and
 * queued messages, and the DISCONNECT that follows ends ours with no
 * session kept. A device's client id is always its id: the devices'
 * listener replaces whatever it sends with its certificate's CN, and
 * client ids are one namespace across listeners, so this CONNECT on
 * keel-cloud's own listener finds the device's session. The ACL mutes the
 * device meanwhile. 0 when the takeover connected, -1 otherwise (logged by
 * the caller only as absent). */
static int kick(struct cloud_broker *b, const char *id)
{
    const struct cloud_config *cfg = &b->c->cfg;
    if (!cfg->mqtt_port)
        return -1;
    struct confirm k = {.connack = -1, .mid = -1, .puback = -1};
    int rc = -1;
    struct mosquitto *m = mosquitto_new(id, true, &k);
    if (!m || mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5) ||
        mosquitto_tls_set(m, cfg->mqtt_ca, NULL, cfg->mqtt_cert, cfg->mqtt_key, NULL) ||
        mosquitto_tls_opts_set(m, 1, "tlsv1.3", NULL))
        goto out;
    mosquitto_connect_v5_callback_set(m, on_connect);
    if (mosquitto_connect_bind_v5(m, cfg->mqtt_host, (int)cfg->mqtt_port, 10, NULL, NULL) == 0 &&
        wait_for(m, &k.connack, cloud_now_ms() + CONFIRM_MS) && k.connack == 0) {
        rc = 0;
        mosquitto_disconnect(m);
        mosquitto_loop(m, 20, 1); /* send the DISCONNECT before the socket goes */
    }
out:
    if (m)
        mosquitto_destroy(m);
    return rc;
}

/* DIR/crl.pem for the revoked ids, signed by the fleet CA, so that the
 * broker (crlfile) refuses a revoked device's certificate in the TLS
 * handshake itself; the ACL's deny then only covers devices provisioned
 * before serials carried the id. mosquitto adds each CRL it rereads to
 * the ones it has and OpenSSL uses the one with the latest lastUpdate, so
 * each new CRL's must be later than the file's, whoever wrote it (read
 * back from the file, not only remembered: another instance may have
 * held the lock). 0 or -1. */
static int write_crl(struct cloud_broker *b, const char *const *ids, size_t n)
{
    size_t len = 0;
    time_t was = keel_x509_crl_issued(b->crl);
    time_t issued = keel_x509_crl_next_issue(was > b->crl_issued ? was : b->crl_issued);
    char *pem = keel_x509_crl_pem(b->ca, b->ca_key, ids, n, issued, &len);
    if (!pem || cloud_write_file(b->crl, pem, len, 0644) != 0) {
        free(pem);
        return -1;
    }
    free(b->crl_pem);
    b->crl_pem = pem;
    b->crl_len = len;
    b->crl_issued = issued;
    return 0;
}

static void reconcile(struct cloud_broker *b)
{
    struct store_result res;
    if (!take_lock(b))
        return;
    if (store_exec(b->db, "SELECT id, acl_applied_ms FROM devices WHERE revoked_ms IS NOT NULL "
                          "ORDER BY id", NULL, 0, &res)) {
        note(b, "db", store_errmsg(b->db));
        return;
    }
    const char **ids = calloc((size_t)res.nrows + 1, sizeof(*ids));
    char *text = NULL;
    size_t len = 0;
    for (int i = 0; ids && i < res.nrows; i++)
        ids[i] = store_cell(&res, i, 0);
    char gen[17];
    if (!ids || acl_text(ids, (size_t)res.nrows, &text, &len, gen)) {
        note(b, "nomem", "out of memory");
        goto out;
    }
    /* first, so the ACL never runs ahead; checked against the file each
     * pass like the ACL, so a removed or damaged file is written again */
    if (b->ca && (strcmp(b->crl_gen, gen) != 0 || !file_is(b->crl, b->crl_pem, b->crl_len))) {
        b->signalled = false;
        if (write_crl(b, ids, (size_t)res.nrows) != 0) {
            note(b, "crl", "cannot write DIR/crl.pem");
            goto out;
        }
        memcpy(b->crl_gen, gen, sizeof(b->crl_gen));
    }
    if (!file_is(b->acl, text, len)) {
        b->signalled = false;
        if (cloud_write_file(b->acl, text, len, 0644) != 0) {
            note(b, "write", "cannot write DIR/acl");
            goto out;
        }
    }
    if (!b->signalled) {
        if (broker_reload(b->pid) != 0) {
            note(b, "signal", "no mosquitto runs at the pid in DIR/mosquitto.pid");
            goto out;
        }
        if (confirm(b, gen) != 0) {
            note(b, "confirm", "the broker did not load DIR/acl (a publish to keel/acl/GEN "
                               "was not allowed within 3 s): is its acl_file this DIR's?");
            goto out;
        }
        b->signalled = true;
    }
    note(b, "", "the broker has every revocation again");
    int64_t now = cloud_now_ms();
    for (int i = 0; i < res.nrows; i++) {
        if (store_cell(&res, i, 1) || !device_id_ok(ids[i]))
            continue;
        struct store_val v[2] = {SV_INT(now), SV_TEXT(ids[i])};
        if (store_exec(b->db, "UPDATE devices SET acl_applied_ms = ? WHERE id = ? AND "
                              "acl_applied_ms IS NULL", v, 2, NULL) == 0)
            cloud_log("notice", NULL, "device %s: the broker denies it every topic%s", ids[i],
                      kick(b, ids[i]) == 0 ? "; its session under its id was ended" : "");
    }
out:
    free(text);
    free(ids);
    store_result_free(&res);
}

static void *loop(void *arg)
{
    struct cloud_broker *b = arg;
    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        pthread_mutex_unlock(&b->mu);
        reconcile(b);
        pthread_mutex_lock(&b->mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        while (!b->stop && !b->poked)
            if (pthread_cond_timedwait(&b->cv, &b->mu, &until) == ETIMEDOUT)
                break;
        b->poked = false;
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* The fleet CA that signs DIR/crl.pem; an instance without DIR/ca.key
 * (its CA kept elsewhere) revokes through the ACL alone. */
static void load_ca(struct cloud_broker *b, const char *dir)
{
    char p[CLOUD_PATH_MAX + 16];
    FILE *f;
    snprintf(p, sizeof(p), "%s/ca.pem", dir);
    if ((f = fopen(p, "r"))) {
        b->ca = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    snprintf(p, sizeof(p), "%s/ca.key", dir);
    if ((f = fopen(p, "r"))) {
        b->ca_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (!b->ca || !b->ca_key || X509_check_private_key(b->ca, b->ca_key) != 1) {
        X509_free(b->ca);
        EVP_PKEY_free(b->ca_key);
        b->ca = NULL;
        b->ca_key = NULL;
        cloud_log("warning", NULL, "broker ACL: no usable DIR/ca.pem and ca.key: no CRL is "
                                   "written; revoked devices are refused by the ACL only");
    }
}

int cloud_broker_start(struct cloud *c)
{
    char err[512];
    if (!c->cfg.broker_acl)
        return 0;
    struct cloud_broker *b = calloc(1, sizeof(*b));
    if (!b)
        return -1;
    b->c = c;
    b->lockfd = -1;
    snprintf(b->acl, sizeof(b->acl), "%s/acl", c->cfg.dir);
    snprintf(b->pid, sizeof(b->pid), "%s/mosquitto.pid", c->cfg.dir);
    snprintf(b->lock, sizeof(b->lock), "%s/broker.lock", c->cfg.dir);
    snprintf(b->crl, sizeof(b->crl), "%s/crl.pem", c->cfg.dir);
    load_ca(b, c->cfg.dir);
    if (store_open(c->cfg.database, &b->db, err, sizeof(err)) != 0) {
        cloud_log("error", NULL, "broker ACL: %s", err);
        X509_free(b->ca);
        EVP_PKEY_free(b->ca_key);
        free(b);
        return -1;
    }
    mosquitto_lib_init();
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    if (pthread_create(&b->thread, NULL, loop, b) != 0) {
        store_close(b->db);
        X509_free(b->ca);
        EVP_PKEY_free(b->ca_key);
        free(b);
        return -1;
    }
    c->broker = b;
    return 0;
}

/* Sets one of the reconciler's flags (*flag is b->poked or b->stop) and
 * wakes it. */
static void wake(struct cloud_broker *b, bool *flag)
{
    pthread_mutex_lock(&b->mu);
    *flag = true;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

void cloud_broker_poke(struct cloud *c)
{
    struct cloud_broker *b = c->broker;
    if (b)
        wake(b, &b->poked);
}

void cloud_broker_stop(struct cloud *c)
{
    struct cloud_broker *b = c->broker;
    if (!b)
        return;
    wake(b, &b->stop);
    pthread_join(b->thread, NULL);
    if (b->lockfd >= 0)
        close(b->lockfd);
    store_close(b->db);
    X509_free(b->ca);
    EVP_PKEY_free(b->ca_key);
    free(b->crl_pem);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    mosquitto_lib_cleanup();
    free(b);
    c->broker = NULL;
}
