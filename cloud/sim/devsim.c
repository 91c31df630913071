/*
 * keel-devsim: simulated Keel devices for tests and benchmarks.
 *
 *   keel-devsim certs --ca CA.pem --ca-key CA.key --out PREFIX [--count N]
 *   keel-devsim run --port P --ca CA.pem --certs PREFIX --devices N
 *                   [--records M] [--batch B] [--window W] [--acked FILE]
 *                   [--sent FILE] [--timeout S] [--hold S] [--first-seq Q]
 *                   [--fault 1]
 *   keel-devsim probe ...            (devsim_probe.c)
 *   keel-devsim raw ...              (devsim_raw.c: hostile payloads)
 *   keel-devsim hold ...             (devsim_hold.c: revoked while connected)
 *   keel-devsim update | fetch ...   (devsim_update.c: updates over the air)
 *
 * IMPLEMENTATION NOTES
 * Each simulated device is a real MQTT 5 client over TLS 1.3 with its own
 * fleet certificate, so the broker's checks and ACL apply exactly as to a
 * device. It speaks lib/proto: hello on connect (with a will that tells
 * the cloud it went offline), then log batches with consecutive sequence
 * numbers, at most W unacknowledged at a time. A batch is resent when its
 * ack has not come within 3 s or after a reconnect, as the firmware must;
 * the cloud stores each (device, seq) once. The hello is repeated every 3 s
 * until the cloud's time message answers it. Every ack is appended to the
 * --acked file (device, first seq, count), the evidence the durability
 * tests check the database against. Records are made from their sequence
 * number, so a resend is byte-identical; the --sent file has each record
 * once, as it first goes out (device, seq, device_ms, level, text to the end
 * of the line), so a test compares stored rows with what was sent without
 * knowing how records are made. Both files are flushed line by line, and a
 * record's sent line is written before it is published, so whatever the
 * cloud can have stored is already there. One thread drives all clients.
 */
#include <errno.h>
#include <mqtt_protocol.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devsim.h"
#include "proto.h"

#define MAX_WINDOW 64
#define RESEND_MS 3000

struct batch {
    uint64_t first;
    uint32_t count;
    int64_t sent_ms; /* 0: to send */
};

struct dev {
    char id[35];
    struct mosquitto *m;
    uint64_t next_seq, end_seq; /* records [first, end) */
    struct batch out[MAX_WINDOW];
    int nout;
    uint64_t acked;
    bool connected, time_seen;
    int64_t hello_ms;          /* when the last hello went out */
};

static struct {
    int batch, window;
    bool fault; /* report one fault record in each hello */
    FILE *acked, *sent;
    uint64_t total_acked;
} g;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void topic(char *out, size_t cap, const struct dev *d, const char *kind)
{
    snprintf(out, cap, "devices/%s/up/%s", d->id, kind);
}

static void send_hello(struct dev *d)
{
    struct proto_status s = {.app_version = 1u << 16, .mv_version = 1u << 16,
                             .update_status = PROTO_UPD_CONFIRMED, .uptime_s = 1};
    if (g.fault) /* a HardFault in the app, as the microvisor would report it */
        s.faults[s.n_faults++] = (struct proto_fault){.code = 3, .pc = 0x00201234,
                                                      .uptime_ms = 4200};
    uint8_t buf[256];
    size_t n;
    char t[96];
    topic(t, sizeof(t), d, "hello");
    if (proto_status_encode(PROTO_HELLO, &s, buf, sizeof(buf), &n) == 0)
        mosquitto_publish_v5(d->m, NULL, t, (int)n, buf, 1, false, NULL);
    d->hello_ms = now_ms();
}

/* Record `seq` of device d, the same every time it is made. */
static void make_record(const struct dev *d, uint64_t seq, struct proto_log *r,
                        char text[96])
{
    int len = snprintf(text, 96, "sim %s record %llu", d->id, (unsigned long long)seq);
    r->device_ms = seq * 10;
    r->level = (uint32_t)(seq % 4);
    r->text.p = text;
    r->text.n = (size_t)len;
}

/* A new batch's records into the --sent file, before its first publish. */
static void note_sent(const struct dev *d, const struct batch *b)
{
    char text[96];
    struct proto_log r;
    if (!g.sent)
        return;
    for (uint32_t i = 0; i < b->count; i++) {
        make_record(d, b->first + i, &r, text);
        fprintf(g.sent, "%s %llu %llu %u %.*s\n", d->id, (unsigned long long)(b->first + i),
                (unsigned long long)r.device_ms, r.level, (int)r.text.n, r.text.p);
    }
    fflush(g.sent);
}

static void send_batch(struct dev *d, struct batch *b)
{
    static struct proto_logs m;
    static char text[PROTO_MAX_LOGS][96];
    static uint8_t buf[PROTO_MAX_SIZE];
    size_t n;
    char t[96];
    m.first_seq = b->first;
    m.n = b->count;
    for (uint32_t i = 0; i < b->count; i++)
        make_record(d, b->first + i, &m.rec[i], text[i]);
    topic(t, sizeof(t), d, "logs");
    if (proto_logs_encode(&m, buf, sizeof(buf), &n) == 0 &&
        mosquitto_publish_v5(d->m, NULL, t, (int)n, buf, 1, false, NULL) == MOSQ_ERR_SUCCESS)
        b->sent_ms = now_ms();
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    struct dev *d = obj;
    (void)m;
    (void)props;
    const char *kind = strrchr(msg->topic, '/');
    if (!kind)
        return;
    if (!strcmp(kind, "/time")) {
        uint64_t t;
        d->time_seen = proto_time_decode(msg->payload, (size_t)msg->payloadlen, &t) == 0;
        return;
    }
    struct proto_log_ack a;
    if (strcmp(kind, "/logack") ||
        proto_log_ack_decode(msg->payload, (size_t)msg->payloadlen, &a) != 0)
        return;
    for (int i = 0; i < d->nout; i++) {
        if (d->out[i].first != a.first_seq || d->out[i].count != a.count)
            continue;
        d->acked += a.count;
        g.total_acked += a.count;
        if (g.acked) {
            fprintf(g.acked, "%s %llu %u\n", d->id, (unsigned long long)a.first_seq, a.count);
            fflush(g.acked);
        }
        d->out[i] = d->out[--d->nout];
        return;
    }
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    struct dev *d = obj;
    char t[96];
    (void)flags;
    (void)props;
    if (rc)
        return;
    d->connected = true;
    snprintf(t, sizeof(t), "devices/%s/down/#", d->id);
    mosquitto_subscribe_v5(m, NULL, t, 1, 0, NULL);
    d->time_seen = false;
    send_hello(d);
    for (int i = 0; i < d->nout; i++)
        d->out[i].sent_ms = 0; /* resend whatever was not acked */
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *p)
{
    struct dev *d = obj;
    (void)m;
    (void)rc;
    (void)p;
    d->connected = false;
}

struct mosquitto *devsim_connect(const char *host, int port, const char *ca, const char *cert,
                                 const char *key, const char *id, const char *cid, void *obj,
                                 bool *refused)
{
    char will[96];
    snprintf(will, sizeof(will), "devices/%s/up/offline", id);
    *refused = false;
    struct mosquitto *m = mosquitto_new(cid, true, obj);
    if (!m || mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5) ||
        mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1) ||
        mosquitto_tls_set(m, ca, NULL, cert, key, NULL) ||
        mosquitto_tls_opts_set(m, 1, "tlsv1.3", NULL) ||
        mosquitto_will_set_v5(m, will, 0, NULL, 1, false, NULL)) {
        fprintf(stderr, "keel-devsim: %s: cannot set up the client\n", id);
        if (m)
            mosquitto_destroy(m);
        return NULL;
    }
    int rc = mosquitto_connect_bind_v5(m, host, port, 30, NULL, NULL);
    if (rc) {
        *refused = true; /* TLS refused during connect, or no broker */
        mosquitto_destroy(m);
        return NULL;
    }
    return m;
}

static int run(int argc, char **argv)
{
    const char *host = "127.0.0.1", *ca = NULL, *certs = NULL, *acked = NULL, *sent = NULL;
    int port = 0, ndev = 1, timeout = 60, hold = 0;
    uint64_t records = 100, first = 1;
    g.batch = 32;
    g.window = 8;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--ca")) ca = v;
        else if (!strcmp(a, "--certs")) certs = v;
        else if (!strcmp(a, "--devices")) ndev = atoi(v);
        else if (!strcmp(a, "--records")) records = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--first-seq")) first = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--batch")) g.batch = atoi(v);
        else if (!strcmp(a, "--window")) g.window = atoi(v);
        else if (!strcmp(a, "--acked")) acked = v;
        else if (!strcmp(a, "--sent")) sent = v;
        else if (!strcmp(a, "--timeout")) timeout = atoi(v);
        else if (!strcmp(a, "--hold")) hold = atoi(v);
        else if (!strcmp(a, "--fault")) g.fault = atoi(v) != 0;
        else {
            fprintf(stderr, "keel-devsim run: unknown option %s\n", a);
            return 2;
        }
    }
    if (!port || !ca || !certs || ndev < 1 || g.batch < 1 || g.batch > (int)PROTO_MAX_LOGS ||
        g.window < 1 || g.window > MAX_WINDOW) {
        fprintf(stderr, "usage: keel-devsim run --port P --ca CA.pem --certs PREFIX --devices N "
                        "[--records M] [--batch 1..64] [--window 1..64] [--acked FILE] "
                        "[--sent FILE]\n");
        return 2;
    }
    if (acked && !(g.acked = fopen(acked, "a"))) {
        fprintf(stderr, "keel-devsim: %s: %s\n", acked, strerror(errno));
        return 1;
    }
    if (sent && !(g.sent = fopen(sent, "a"))) {
        fprintf(stderr, "keel-devsim: %s: %s\n", sent, strerror(errno));
        return 1;
    }
    mosquitto_lib_init();
    struct dev *devs = calloc((size_t)ndev, sizeof(*devs));
    for (int i = 0; i < ndev; i++) {
        char cert[4096], key[4096];
        bool refused;
        snprintf(cert, sizeof(cert), "%s%d.pem", certs, i);
        snprintf(key, sizeof(key), "%s%d.key", certs, i);
        if (devsim_cert_id(cert, devs[i].id) != 0) {
            fprintf(stderr, "keel-devsim: %s: no device certificate\n", cert);
            return 1;
        }
        devs[i].next_seq = first;
        devs[i].end_seq = first + records;
        devs[i].m = devsim_connect(host, port, ca, cert, key, devs[i].id, devs[i].id, &devs[i],
                                   &refused);
        if (!devs[i].m) {
            fprintf(stderr, "keel-devsim: %s: broker refused the connection\n", devs[i].id);
            return 1;
        }
        mosquitto_connect_v5_callback_set(devs[i].m, on_connect);
        mosquitto_message_v5_callback_set(devs[i].m, on_message);
        mosquitto_disconnect_v5_callback_set(devs[i].m, on_disconnect);
    }
    int64_t start = now_ms(), deadline = start + (int64_t)timeout * 1000, done_ms = 0;
    uint64_t want = records * (uint64_t)ndev;
    while (now_ms() < deadline) {
        for (int i = 0; i < ndev; i++) {
            struct dev *d = &devs[i];
            int rc = mosquitto_loop(d->m, 0, 1);
            if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST) {
                d->connected = false;
                mosquitto_reconnect(d->m);
                continue;
            }
            if (!d->connected)
                continue;
            int64_t t = now_ms();
            /* the cloud answers a hello with the time: until then, repeat it
             * (docs/protocol.md), as a broker may drop what it cannot queue */
            if (!d->time_seen && t - d->hello_ms > RESEND_MS)
                send_hello(d);
            for (int k = 0; k < d->nout; k++)
                if (!d->out[k].sent_ms || t - d->out[k].sent_ms > RESEND_MS)
                    send_batch(d, &d->out[k]);
            while (d->nout < g.window && d->next_seq < d->end_seq) {
                struct batch *b = &d->out[d->nout++];
                b->first = d->next_seq;
                b->count = (uint32_t)(d->end_seq - d->next_seq < (uint64_t)g.batch
                                          ? d->end_seq - d->next_seq : (uint64_t)g.batch);
                d->next_seq += b->count;
                note_sent(d, b);
                send_batch(d, b);
            }
        }
        if (g.total_acked >= want && !done_ms)
            done_ms = now_ms();
        if (done_ms && now_ms() - done_ms >= (int64_t)hold * 1000)
            break;
        if (hold && done_ms)
            usleep(10000);
    }
    int64_t took = (done_ms ? done_ms : now_ms()) - start;
    int timeouts = 0;
    for (int i = 0; i < ndev; i++) {
        timeouts += !devs[i].time_seen;
        /* reason 4: disconnect with will, so the cloud sees it go offline */
        mosquitto_disconnect_v5(devs[i].m, 4, NULL);
        mosquitto_loop(devs[i].m, 10, 1);
        mosquitto_destroy(devs[i].m);
    }
    printf("devsim: %d devices, %llu of %llu records acked in %.3f s (%.0f records/s), "
           "%d without a time message\n", ndev, (unsigned long long)g.total_acked,
           (unsigned long long)want, took / 1000.0,
           took ? g.total_acked * 1000.0 / (double)took : 0.0, timeouts);
    free(devs);
    if (g.acked)
        fclose(g.acked);
    if (g.sent)
        fclose(g.sent);
    mosquitto_lib_cleanup();
    return g.total_acked >= want ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "certs"))
        return devsim_certs(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "run"))
        return run(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "probe"))
        return devsim_probe(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "raw"))
        return devsim_raw(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "hold"))
        return devsim_hold(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "update"))
        return devsim_update(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "fetch"))
        return devsim_fetch(argc - 1, argv + 1);
    fprintf(stderr, "usage: keel-devsim certs|run|probe|raw|hold|update|fetch ... (see cloud/sim/devsim.c)\n"
                    "exit codes: 0 ok, 1 failure, 2 usage\n");
    return 2;
}
