/*
 * devsim_hold.c: keel-devsim hold, a device that stays connected while it
 * is revoked, to show what revocation does to a live session:
 *
 *   keel-devsim hold --port P --ca CA.pem --device PREFIX --cloud PREFIX
 *                    [--cloud-port P] [--seq N] [--client-id ID] [--kicked 0|1]
 *                    [--intruder PREFIX]
 *
 * Device D (PREFIX.pem/.key) connects and subscribes to devices/D/down/#;
 * a watcher with keel-cloud's certificate (--cloud, CN keel-cloud, the one
 * user the ACL lets at every device's topics; its own client id; on the
 * broker's listener for keel-cloud, --cloud-port, else --port) subscribes
 * to devices/D/up/#. Before: what the watcher publishes to D reaches D,
 * what D publishes reaches the watcher, and a log batch (seq N..N+2) gets
 * keel-cloud's log ack. With --intruder, another device's certificate then
 * asks for D's client id (KEEL-SA-2026-21): D's session must survive
 * it and still get what the watcher sends. Then it prints "ready" and waits for a line on
 * stdin (the caller revokes D meanwhile), keeping both sessions alive.
 * After: the watcher publishes to D again (the broker accepts it from the
 * watcher), D publishes again and sends a log batch N+100..N+102; nothing
 * may reach D, nothing of D's may reach the watcher, no log ack may come.
 * D's client id is its device id, as the protocol says, unless --client-id
 * asks for another (as a hostile device may; keel-cloud's broker replaces
 * it with the id). --kicked 1 / 0 also checks that
 * the broker ended / kept D's session after the revocation; without it the
 * outcome is printed as "info". Prints one line per check; exit 0 only if
 * every check holds.
 */
#include <mqtt_protocol.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devsim.h"
#include "proto.h"

struct side {
    char id[35];
    bool verbose;                      /* print what arrives (after the revocation) */
    int connack, suback, disconnected; /* -1 none yet */
    int puback_rc;                     /* reason of the last PUBACK, -1 none */
    int pubacks;
    int got, logacks;
};

static void on_connect(struct mosquitto *m, void *obj, int rc, int f, const mosquitto_property *p)
{
    (void)m;
    (void)f;
    (void)p;
    ((struct side *)obj)->connack = rc;
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *p)
{
    (void)m;
    (void)p;
    ((struct side *)obj)->disconnected = rc;
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
                         const mosquitto_property *p)
{
    (void)m;
    (void)mid;
    (void)p;
    ((struct side *)obj)->suback = n > 0 ? granted[0] : -1;
}

static void on_publish(struct mosquitto *m, void *obj, int mid, int rc,
                       const mosquitto_property *p)
{
    (void)m;
    (void)mid;
    (void)p;
    ((struct side *)obj)->puback_rc = rc;
    ((struct side *)obj)->pubacks++;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *p)
{
    struct side *s = obj;
    (void)m;
    (void)p;
    const char *kind = strrchr(msg->topic, '/');
    if (s->verbose)
        printf("info %s got %s (%d bytes)\n", s->id[0] ? s->id : "the watcher", msg->topic,
               msg->payloadlen);
    if (kind && !strcmp(kind, "/logack"))
        s->logacks++;
    else
        s->got++;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the clients (ms[0..2], NULL-ended) for up to ms, or until *until
 * (when given) is nonzero. */
static void pump(struct mosquitto *const *ms, int ms_total, const int *until)
{
    int64_t end = mono_ms() + ms_total;
    while (mono_ms() < end && !(until && *until)) {
        for (int i = 0; i < 3 && ms[i]; i++)
            mosquitto_loop(ms[i], 5, 1);
    }
}

static void set_callbacks(struct mosquitto *m)
{
    mosquitto_connect_v5_callback_set(m, on_connect);
    mosquitto_disconnect_v5_callback_set(m, on_disconnect);
    mosquitto_subscribe_v5_callback_set(m, on_subscribe);
    mosquitto_publish_v5_callback_set(m, on_publish);
    mosquitto_message_v5_callback_set(m, on_message);
}

/* The watcher: keel-cloud's certificate, a client id of its own so that it
 * takes over no running keel-cloud's session. */
static struct mosquitto *watcher(const char *host, int port, const char *ca, const char *prefix,
                                 struct side *w)
{
    char cert[4096], key[4096];
    snprintf(cert, sizeof(cert), "%s.pem", prefix);
    snprintf(key, sizeof(key), "%s.key", prefix);
    char cid[48];
    snprintf(cid, sizeof(cid), "keel-devsim-watcher-%ld", (long)getpid());
    struct mosquitto *m = mosquitto_new(cid, true, w);
    if (!m || mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5) ||
        mosquitto_tls_set(m, ca, NULL, cert, key, NULL) ||
        mosquitto_tls_opts_set(m, 1, "tlsv1.3", NULL) ||
        mosquitto_connect_bind_v5(m, host, port, 30, NULL, NULL)) {
        fprintf(stderr, "hold: the watcher cannot connect with %s\n", cert);
        if (m)
            mosquitto_destroy(m);
        return NULL;
    }
    set_callbacks(m);
    return m;
}

static void send_logs(struct mosquitto *m, const char *id, uint64_t first)
{
    static struct proto_logs l;
    static uint8_t buf[PROTO_MAX_SIZE];
    char text[3][64], t[96];
    size_t n;
    l.first_seq = first;
    l.n = 3;
    for (uint32_t i = 0; i < l.n; i++) {
        int len = snprintf(text[i], sizeof(text[i]), "hold record %llu",
                           (unsigned long long)(first + i));
        l.rec[i] = (struct proto_log){.device_ms = first + i, .level = 1,
                                          .text = {.p = text[i], .n = (size_t)len}};
    }
    snprintf(t, sizeof(t), "devices/%s/up/logs", id);
    if (proto_logs_encode(&l, buf, sizeof(buf), &n) == 0)
        mosquitto_publish_v5(m, NULL, t, (int)n, buf, 1, false, NULL);
}

static int check(bool ok, const char *what)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    fflush(stdout);
    return ok ? 0 : 1;
}

/* Keeps both sessions alive until a line arrives on stdin (or EOF). */
static void wait_stdin(struct mosquitto *const *ms)
{
    struct pollfd p = {.fd = 0, .events = POLLIN};
    char line[64];
    for (;;) {
        for (int i = 0; i < 3 && ms[i]; i++)
            mosquitto_loop(ms[i], 5, 1);
        if (poll(&p, 1, 20) > 0) {
            if (!fgets(line, sizeof(line), stdin) || strchr(line, '\n'))
                return;
        }
    }
}

/* Another device's certificate connects asking for the client id d asked
 * for (cid) and stays connected a while: before KEEL-SA-2026-21 the broker
 * ended d's session (a takeover); now it gives each its certificate's CN. */
static int intrude(struct mosquitto **ms, const char *host, int port, const char *ca,
                   const char *prefix, struct side *d, const char *cid)
{
    struct side x = {.connack = -1, .suback = -1, .disconnected = -1, .puback_rc = -1};
    char cert[4096], key[4096], t[96];
    bool refused;
    int fails = 0;
    snprintf(cert, sizeof(cert), "%s.pem", prefix);
    snprintf(key, sizeof(key), "%s.key", prefix);
    if (devsim_cert_id(cert, x.id) != 0 ||
        !(ms[2] = devsim_connect(host, port, ca, cert, key, x.id, cid, &x, &refused))) {
        return check(false, "the intruder connects");
    }
    set_callbacks(ms[2]);
    pump(ms, 2000, NULL);
    fails += check(x.connack == 0, "an intruder certificate connects asking for the device's "
                                   "client id");
    fails += check(d->disconnected < 0, "the device's session survives it (no takeover)");
    d->got = 0;
    snprintf(t, sizeof(t), "devices/%s/down/probe", d->id);
    mosquitto_publish_v5(ms[1], NULL, t, 8, "intruded", 1, false, NULL);
    pump(ms, 3000, &d->got);
    fails += check(d->got == 1, "and still gets what the watcher publishes to it");
    mosquitto_disconnect(ms[2]);
    mosquitto_loop(ms[2], 50, 1);
    mosquitto_destroy(ms[2]);
    ms[2] = NULL;
    return fails;
}

int devsim_hold(int argc, char **argv)
{
    const char *host = "127.0.0.1", *ca = NULL, *dev = NULL, *cloud = NULL, *cid = NULL,
               *intruder = NULL;
    int port = 0, cloud_port = 0, fails = 0, kicked = -1;
    uint64_t seq = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ca")) ca = argv[i + 1];
        else if (!strcmp(argv[i], "--device")) dev = argv[i + 1];
        else if (!strcmp(argv[i], "--cloud")) cloud = argv[i + 1];
        else if (!strcmp(argv[i], "--cloud-port")) cloud_port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seq")) seq = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--client-id")) cid = argv[i + 1];
        else if (!strcmp(argv[i], "--kicked")) kicked = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--intruder")) intruder = argv[i + 1];
    }
    if (!port || !ca || !dev || !cloud) {
        fprintf(stderr, "usage: keel-devsim hold --port P --ca CA.pem --device PREFIX "
                        "--cloud PREFIX [--cloud-port P] [--seq N] [--client-id ID] "
                        "[--kicked 0|1] [--intruder PREFIX]   "
                        "(PREFIX.pem, PREFIX.key)\n");
        return 2;
    }
    mosquitto_lib_init();
    struct side d = {.connack = -1, .suback = -1, .disconnected = -1, .puback_rc = -1};
    struct side w = d;
    char cert[4096], key[4096], t[96];
    bool refused;
    snprintf(cert, sizeof(cert), "%s.pem", dev);
    snprintf(key, sizeof(key), "%s.key", dev);
    struct mosquitto *ms[3] = {NULL, NULL, NULL};
    if (devsim_cert_id(cert, d.id) != 0 ||
        !(ms[0] = devsim_connect(host, port, ca, cert, key, d.id, cid ? cid : d.id, &d,
                                 &refused)) ||
        !(ms[1] = watcher(host, cloud_port ? cloud_port : port, ca, cloud, &w))) {
        fprintf(stderr, "hold: cannot connect\n");
        return 1;
    }
    set_callbacks(ms[0]);
    pump(ms, 3000, NULL);
    if (check(d.connack == 0 && w.connack == 0, "the device and the watcher connect"))
        return 1;
    snprintf(t, sizeof(t), "devices/%s/down/#", d.id);
    mosquitto_subscribe_v5(ms[0], NULL, t, 1, 0, NULL);
    snprintf(t, sizeof(t), "devices/%s/up/#", d.id);
    mosquitto_subscribe_v5(ms[1], NULL, t, 1, 0, NULL);
    pump(ms, 1000, NULL);
    fails += check(d.suback >= 0 && d.suback < 0x80 && w.suback >= 0 && w.suback < 0x80,
                   "both subscriptions granted");

    /* before: the controls */
    snprintf(t, sizeof(t), "devices/%s/down/probe", d.id);
    mosquitto_publish_v5(ms[1], NULL, t, 6, "before", 1, false, NULL);
    pump(ms, 3000, &d.got);
    fails += check(d.got == 1, "before: what the watcher publishes to the device reaches it");
    snprintf(t, sizeof(t), "devices/%s/up/probe", d.id);
    mosquitto_publish_v5(ms[0], NULL, t, 6, "before", 1, false, NULL);
    pump(ms, 3000, &w.got);
    pump(ms, 3000, &d.pubacks);
    fails += check(w.got == 1 && d.puback_rc == 0,
                   "before: what the device publishes reaches the watcher (PUBACK 0x00)");
    send_logs(ms[0], d.id, seq);
    pump(ms, 5000, &d.logacks);
    fails += check(d.logacks == 1, "before: keel-cloud acknowledges the device's log batch");
    if (intruder)
        fails += intrude(ms, host, port, ca, intruder, &d, cid ? cid : d.id);

    printf("ready\n");
    fflush(stdout);
    wait_stdin(ms);

    /* after: the device's session, if the broker kept it, is mute */
    d.got = w.got = d.logacks = 0;
    d.verbose = w.verbose = true;
    d.puback_rc = w.puback_rc = -1;
    d.pubacks = w.pubacks = 0;
    snprintf(t, sizeof(t), "devices/%s/down/probe", d.id);
    mosquitto_publish_v5(ms[1], NULL, t, 5, "after", 1, false, NULL);
    pump(ms, 1500, NULL); /* the whole time: a late delivery must be seen */
    printf("info the watcher's PUBACK to the revoked device's topic: 0x%02x\n",
           w.puback_rc & 0xFF);
    fails += check(d.got == 0, "after: nothing reaches the revoked device's subscription");
    snprintf(t, sizeof(t), "devices/%s/up/probe", d.id);
    int prc = mosquitto_publish_v5(ms[0], NULL, t, 5, "after", 1, false, NULL);
    send_logs(ms[0], d.id, seq + 100);
    pump(ms, 2500, NULL);
    if (prc == MOSQ_ERR_SUCCESS && d.disconnected < 0)
        printf("info the revoked device's PUBACK: 0x%02x\n", d.puback_rc & 0xFF);
    fails += check(w.got == 0, "after: nothing the revoked device publishes reaches anyone");
    fails += check(d.logacks == 0, "after: no log ack for the revoked device's batch");
    if (kicked == 1)
        fails += check(d.disconnected >= 0, "after: the broker ended the device's session");
    else if (kicked == 0)
        fails += check(d.disconnected < 0, "after: the broker kept this session (muted)");
    else if (d.disconnected >= 0)
        printf("info the broker ended the revoked device's session (%d)\n", d.disconnected);
    else
        printf("info the revoked device's session is still open\n");
    for (int i = 0; i < 2; i++) {
        mosquitto_disconnect(ms[i]);
        mosquitto_destroy(ms[i]);
    }
    mosquitto_lib_cleanup();
    return fails ? 1 : 0;
}
