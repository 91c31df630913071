/*
 * devsim_raw.c: keel-devsim raw, a hostile device for tests. It connects
 * like any device (its own fleet certificate, MQTT 5 over TLS 1.3) but
 * publishes payloads the caller made byte by byte, valid or not:
 *
 *   keel-devsim raw --port P --ca CA.pem --cert C.pem --key C.key
 *                   [--wait MS] KIND=FILE ...
 *
 * Each KIND=FILE is published, in order and at QoS 1, on
 * devices/<id>/up/<KIND> with FILE's bytes as the payload (after the
 * previous one's PUBACK, so the order is the cloud's order too). Then it
 * listens MS milliseconds (default 3000) and prints every log ack it
 * got as "logack FIRST COUNT"; a log ack that does not decode prints
 * "logack bad". Exit 0 when every payload was published, 1 otherwise.
 */
#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devsim.h"
#include "proto.h"

struct raw {
    int connack;  /* -1 until CONNACK */
    int acked_mid; /* the last PUBACKed message id */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    (void)m;
    (void)flags;
    (void)props;
    ((struct raw *)obj)->connack = rc;
}

static void on_publish(struct mosquitto *m, void *obj, int mid, int rc,
                       const mosquitto_property *props)
{
    (void)m;
    (void)rc;
    (void)props;
    ((struct raw *)obj)->acked_mid = mid;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    (void)m;
    (void)obj;
    (void)props;
    const char *kind = strrchr(msg->topic, '/');
    if (!kind || strcmp(kind, "/logack"))
        return;
    struct proto_log_ack a;
    if (proto_log_ack_decode(msg->payload, (size_t)msg->payloadlen, &a) == 0)
        printf("logack %llu %u\n", (unsigned long long)a.first_seq, a.count);
    else
        printf("logack bad\n");
    fflush(stdout);
}

static void pump(struct mosquitto *m, int64_t ms)
{
    int64_t end = mono_ms() + ms;
    while (mono_ms() < end)
        mosquitto_loop(m, 20, 1);
}

/* The whole file into a buffer (at most twice PROTO_MAX_SIZE, so the
 * cloud's size check can be tried too). */
static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 2 * PROTO_MAX_SIZE + 1;
    uint8_t *b = malloc(cap);
    *n = b ? fread(b, 1, cap, f) : 0;
    fclose(f);
    if (b && *n == cap) { /* too big even for a hostile test */
        free(b);
        return NULL;
    }
    return b;
}

int devsim_raw(int argc, char **argv)
{
    const char *host = "127.0.0.1", *ca = NULL, *cert = NULL, *key = NULL;
    int port = 0, wait_ms = 3000, first = 0, fails = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--port")) port = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--ca")) ca = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--cert")) cert = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--key")) key = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--wait")) wait_ms = atoi(argv[++i]);
        else {
            first = i;
            break;
        }
    }
    char id[35];
    if (!port || !ca || !cert || !key || !first || devsim_cert_id(cert, id) != 0) {
        fprintf(stderr, "usage: keel-devsim raw --port P --ca CA.pem --cert C.pem --key C.key "
                        "[--wait MS] KIND=FILE ...\n");
        return 2;
    }
    mosquitto_lib_init();
    struct raw r = {.connack = -1, .acked_mid = -1};
    bool refused;
    struct mosquitto *m = devsim_connect(host, port, ca, cert, key, id, id, &r, &refused);
    if (!m) {
        fprintf(stderr, "keel-devsim raw: %s: no connection\n", id);
        mosquitto_lib_cleanup();
        return 1;
    }
    mosquitto_connect_v5_callback_set(m, on_connect);
    mosquitto_publish_v5_callback_set(m, on_publish);
    mosquitto_message_v5_callback_set(m, on_message);
    for (int64_t end = mono_ms() + 10000; r.connack < 0 && mono_ms() < end;)
        mosquitto_loop(m, 20, 1);
    if (r.connack != 0) {
        fprintf(stderr, "keel-devsim raw: %s: broker refused (%d)\n", id, r.connack);
        mosquitto_destroy(m);
        mosquitto_lib_cleanup();
        return 1;
    }
    char t[96];
    snprintf(t, sizeof(t), "devices/%s/down/#", id);
    mosquitto_subscribe_v5(m, NULL, t, 1, 0, NULL);
    pump(m, 300);
    for (int i = first; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        size_t n;
        uint8_t *b = eq ? slurp(eq + 1, &n) : NULL;
        int mid = -1;
        if (!b) {
            fprintf(stderr, "keel-devsim raw: %s: not KIND=FILE or unreadable\n", argv[i]);
            fails++;
            continue;
        }
        snprintf(t, sizeof(t), "devices/%s/up/%.*s", id, (int)(eq - argv[i]), argv[i]);
        if (mosquitto_publish_v5(m, &mid, t, (int)n, b, 1, false, NULL) != MOSQ_ERR_SUCCESS) {
            fails++;
        } else {
            for (int64_t end = mono_ms() + 10000; r.acked_mid != mid && mono_ms() < end;)
                mosquitto_loop(m, 20, 1);
            if (r.acked_mid != mid)
                fails++;
        }
        free(b);
    }
    pump(m, wait_ms);
    printf("raw: %d of %d published\n", argc - first - fails, argc - first);
    mosquitto_disconnect(m);
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
    return fails ? 1 : 0;
}
