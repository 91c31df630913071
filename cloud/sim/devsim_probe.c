/*
 * devsim_probe.c: keel-devsim probe, the broker's side of device
 * isolation, checked with real clients and certificates:
 *   - devices A and B connect with their own certificates;
 *   - A can publish to and receive on its own topics (the control);
 *   - A's subscription to devices/B/# is refused or gets nothing, and
 *     nothing A publishes under devices/B/ reaches B;
 *   - each --refused certificate (another CA's, or a revoked device's)
 *     gets no working session: no CONNACK (TLS refused), or, for a revoked
 *     device whose certificate is still valid, a session in which the ACL
 *     denies every topic: what it publishes on its own topic never comes
 *     back to its own subscription.
 * Prints one line per check; exits 0 only if every check holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devsim.h"

struct probe {
    char id[35];
    int connack;        /* -1 none yet */
    int suback;         /* reason of the last SUBACK, -1 none */
    int got_own, got_other;
    const char *other;  /* the other device's id */
};

static void on_connect(struct mosquitto *m, void *obj, int rc, int f, const mosquitto_property *p)
{
    struct probe *q = obj;
    (void)m;
    (void)f;
    (void)p;
    q->connack = rc;
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
                         const mosquitto_property *p)
{
    struct probe *q = obj;
    (void)m;
    (void)mid;
    (void)p;
    q->suback = n > 0 ? granted[0] : -1;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *p)
{
    struct probe *q = obj;
    char own[48];
    (void)m;
    (void)p;
    snprintf(own, sizeof(own), "devices/%s/", q->id);
    if (!strncmp(msg->topic, own, strlen(own)))
        q->got_own++;
    else
        q->got_other++;
}

static void pump(struct mosquitto **ms, int n, int ms_total)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        for (int i = 0; i < n; i++)
            if (ms[i])
                mosquitto_loop(ms[i], 5, 1);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms_total);
}

static struct mosquitto *client(const char *host, int port, const char *ca, const char *prefix,
                                struct probe *q)
{
    char cert[4096], key[4096];
    bool refused;
    snprintf(cert, sizeof(cert), "%s.pem", prefix);
    snprintf(key, sizeof(key), "%s.key", prefix);
    memset(q, 0, sizeof(*q));
    q->connack = q->suback = -1;
    if (devsim_cert_id(cert, q->id) != 0) {
        fprintf(stderr, "probe: %s: not a device certificate\n", cert);
        return NULL;
    }
    struct mosquitto *m = devsim_connect(host, port, ca, cert, key, q->id, q->id, q, &refused);
    if (!m)
        return NULL;
    mosquitto_connect_v5_callback_set(m, on_connect);
    mosquitto_subscribe_v5_callback_set(m, on_subscribe);
    mosquitto_message_v5_callback_set(m, on_message);
    return m;
}

static int check(bool ok, const char *what)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    return ok ? 0 : 1;
}

int devsim_probe(int argc, char **argv)
{
    const char *host = "127.0.0.1", *ca = NULL, *a = NULL, *b = NULL, *refused[8];
    int port = 0, nrefused = 0, fails = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ca")) ca = argv[i + 1];
        else if (!strcmp(argv[i], "--a")) a = argv[i + 1];
        else if (!strcmp(argv[i], "--b")) b = argv[i + 1];
        else if (!strcmp(argv[i], "--refused") && nrefused < 8) refused[nrefused++] = argv[i + 1];
    }
    if (!port || !ca || (!a != !b) || (!a && !nrefused)) {
        fprintf(stderr, "usage: keel-devsim probe --port P --ca CA.pem [--a PREFIX --b PREFIX] "
                        "[--refused PREFIX]...   (PREFIX.pem, PREFIX.key)\n");
        return 2;
    }
    mosquitto_lib_init();
    if (a) {
        struct probe qa, qb;
        struct mosquitto *ms[2] = {client(host, port, ca, a, &qa), client(host, port, ca, b, &qb)};
        pump(ms, 2, 1500);
        fails += check(ms[0] && ms[1] && qa.connack == 0 && qb.connack == 0,
                       "devices A and B connect with their fleet certificates");
        if (fails) {
            mosquitto_lib_cleanup();
            return 1;
        }
        char t[96];
        snprintf(t, sizeof(t), "devices/%s/#", qa.id);
        mosquitto_subscribe_v5(ms[0], NULL, t, 1, 0, NULL);
        pump(ms, 2, 500);
        fails += check(qa.suback >= 0 && qa.suback < 0x80, "A subscribes to its own topics");
        snprintf(t, sizeof(t), "devices/%s/up/probe", qa.id);
        mosquitto_publish_v5(ms[0], NULL, t, 2, "hi", 1, false, NULL);
        pump(ms, 2, 700);
        fails += check(qa.got_own == 1, "A receives what it publishes on its own topic");

        snprintf(t, sizeof(t), "devices/%s/#", qb.id);
        mosquitto_subscribe_v5(ms[1], NULL, t, 1, 0, NULL);
        qa.suback = -1;
        mosquitto_subscribe_v5(ms[0], NULL, t, 1, 0, NULL);
        pump(ms, 2, 500);
        /* mosquitto 2.0 grants the SUBACK and filters at delivery; what
         * matters is that nothing of B's arrives (checked below) */
        printf("info A's SUBACK for B's topics: reason 0x%02x\n", qa.suback & 0xFF);
        int before = qb.got_own;
        snprintf(t, sizeof(t), "devices/%s/down/time", qb.id);
        mosquitto_publish_v5(ms[0], NULL, t, 4, "fake", 1, false, NULL);
        snprintf(t, sizeof(t), "devices/%s/up/logs", qb.id);
        mosquitto_publish_v5(ms[0], NULL, t, 4, "fake", 1, false, NULL);
        pump(ms, 2, 700);
        fails += check(qb.got_own == before, "nothing A publishes under B's topics reaches B");
        snprintf(t, sizeof(t), "devices/%s/up/probe", qb.id);
        mosquitto_publish_v5(ms[1], NULL, t, 2, "hi", 1, false, NULL);
        pump(ms, 2, 700);
        fails += check(qb.got_own == before + 1 && qa.got_other == 0,
                       "B's own message reaches B and not A");
        for (int i = 0; i < 2; i++) {
            mosquitto_disconnect(ms[i]);
            mosquitto_destroy(ms[i]);
        }
    }
    for (int i = 0; i < nrefused; i++) {
        struct probe q;
        struct mosquitto *m = client(host, port, ca, refused[i], &q);
        char what[4200];
        if (m) {
            pump(&m, 1, 1500);
            if (q.connack == 0) { /* a session: it must not reach even its own topics */
                char t[96];
                snprintf(t, sizeof(t), "devices/%s/#", q.id);
                mosquitto_subscribe_v5(m, NULL, t, 1, 0, NULL);
                snprintf(t, sizeof(t), "devices/%s/up/probe", q.id);
                mosquitto_publish_v5(m, NULL, t, 2, "hi", 1, false, NULL);
                pump(&m, 1, 800);
            }
        }
        bool ok = !m || q.connack != 0 || q.got_own == 0;
        snprintf(what, sizeof(what), "%s is refused (%s)", refused[i],
                 !m || q.connack != 0 ? "no session" : "every topic denied");
        fails += check(ok, what);
        if (m && q.connack == 0)
            mosquitto_disconnect(m);
        if (m)
            mosquitto_destroy(m);
    }
    mosquitto_lib_cleanup();
    return fails ? 1 : 0;
}
