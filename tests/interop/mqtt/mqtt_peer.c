/*
 * mqtt_peer: drives microvisor/mqtt's client over a loopback TCP socket,
 * plain or under microvisor/tls's client, for interop_mqtt.py against a
 * real mosquitto. One context for the whole run, so the session (the
 * in-flight window) outlives the connections, as on the device.
 *
 *   mqtt_peer --port N --id CLIENT_ID [--keepalive S] [--clean]
 *             [--tls --host NAME --anchor ca.der --cert dev.der --seed dev.seed]
 * Commands, one per line on stdin; each answers one line starting "ok" or
 * "error NAME" (events print "event ..." lines as they come):
 *   connect                 transport (and TLS) up, CONNECT, wait for CONNACK:
 *                           "ok connack sp=0|1 rc=N resent=N"
 *   sub FILTER QOS          wait for SUBACK: "ok suback granted=N"
 *   pub TOPIC QOS TEXT      QoS 1: wait for its PUBACK; QoS 0: until sent
 *   pub-cut TOPIC TEXT      QoS 1 publish, sent whole, then the socket
 *                           closed at once (no PUBACK can arrive): "ok cut id=N"
 *   expect TOPIC TEXT       wait for that message: "ok message qos=N dup=N"
 *   wait MS                 run the session (keepalive) for MS ms
 *   cut                     close the transport without DISCONNECT
 *   disconnect              DISCONNECT, then close
 *   stats                   "ok stats published=.. resent=.. acked=.. received=.. pings=.. window=.."
 * Exit 0 at end of input.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mqtt.h"
#include "tls.h"

static mqtt_client_t mq;
static mqtt_config_t cfg;
static tls_client_t tls; /* about 13 KiB: not on the stack */
static tls_client_config_t tcfg;
static int use_tls, port, fd = -1;

/* What the commands wait for, set by the event callback. */
static struct {
    int connack, sp, suback, puback_id, pingresps;
    uint8_t granted;
    const char *want_topic, *want_text;
    int got_message;
} w;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void on_event(void *arg, const mqtt_event_t *ev)
{
    (void)arg;
    switch (ev->type) {
    case MQTT_EV_CONNACK:
        w.connack = 1;
        w.sp = ev->session_present;
        break;
    case MQTT_EV_SUBACK:
        w.suback = 1;
        w.granted = ev->granted[0];
        break;
    case MQTT_EV_PUBACK:
        printf("event puback id=%u\n", ev->id);
        if (ev->id == w.puback_id)
            w.puback_id = -1;
        break;
    case MQTT_EV_PUBLISH:
        printf("event publish topic=%.*s qos=%u dup=%d retain=%d len=%zu text=%.*s\n",
               (int)ev->topic_len, ev->topic, ev->qos, ev->dup, ev->retain, ev->len,
               (int)ev->len, (const char *)ev->payload);
        if (w.want_topic && strlen(w.want_topic) == ev->topic_len &&
            !memcmp(w.want_topic, ev->topic, ev->topic_len) && strlen(w.want_text) == ev->len &&
            !memcmp(w.want_text, ev->payload, ev->len))
            w.got_message = 1 + ev->qos * 2 + ev->dup * 4; /* encodes qos and dup */
        break;
    case MQTT_EV_DROPPED:
        printf("event dropped qos=%u len=%zu\n", ev->qos, ev->len);
        break;
    case MQTT_EV_PINGRESP:
        w.pingresps++;
        printf("event pingresp\n");
        break;
    }
    fflush(stdout);
}

static void close_transport(void)
{
    if (fd >= 0)
        close(fd);
    fd = -1;
    if (use_tls)
        tls_client_wipe(&tls);
    mqtt_connection_lost(&mq);
}

/* Sends what TLS queued. -1 on a socket error. */
static int tls_flush(void)
{
    size_t len;
    const uint8_t *p;
    while ((p = tls_client_sendbuf(&tls, &len)), len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        tls_client_sent(&tls, (size_t)n);
    }
    return 0;
}

/* Moves MQTT's output to the transport. -1 on a transport error. */
static int flush(void)
{
    size_t len;
    const uint8_t *p;
    while ((p = mqtt_sendbuf(&mq, &len)), len > 0) {
        if (use_tls) {
            int n = tls_client_write(&tls, p, len);
            if (n < 0)
                return -1;
            if (n == 0 && tls_flush())
                return -1;
            if (n > 0)
                mqtt_sent(&mq, (size_t)n, now_ms());
            continue;
        }
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        mqtt_sent(&mq, (size_t)n, now_ms());
    }
    return use_tls ? tls_flush() : 0;
}

/* TLS application data already decrypted, into MQTT. 1 when MQTT had no
 * room left (so more may wait inside TLS), 0 when TLS had no more. */
static int tls_to_mqtt(void)
{
    for (;;) {
        size_t room;
        uint8_t *p = mqtt_recvbuf(&mq, &room);
        if (!room)
            return 1;
        int n = tls_client_read(&tls, p, room);
        if (n <= 0)
            return 0;
        mqtt_received(&mq, (size_t)n, now_ms());
    }
}

static int fail_line(const char *why)
{
    printf("error %s\n", why);
    fflush(stdout);
    return -1;
}

/* Runs the connection until done() or timeout_ms. 0, or -1 (printed). */
static int pump(int (*done)(void), uint64_t timeout_ms)
{
    uint64_t end = now_ms() + timeout_ms;
    for (;;) {
        uint64_t now = now_ms();
        mqtt_tick(&mq, now);
        int more = use_tls ? tls_to_mqtt() : 0;
        if (mqtt_error(&mq)) {
            int e = mqtt_error(&mq);
            close_transport();
            return fail_line(mqtt_error_name(e));
        }
        if (flush()) {
            close_transport();
            return fail_line("send");
        }
        if (done && done())
            return 0;
        if (now >= end)
            return done ? fail_line("timeout") : 0;
        if (more)
            continue;
        uint32_t t = mqtt_next_tick_ms(&mq, now);
        if (t > 50)
            t = 50;
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, (int)t) <= 0)
            continue;
        uint8_t *p;
        size_t room;
        if (use_tls)
            p = tls_client_recvbuf(&tls, &room);
        else
            p = mqtt_recvbuf(&mq, &room);
        if (!room)
            continue;
        ssize_t r = recv(fd, p, room, 0);
        if (r <= 0) {
            close_transport();
            return fail_line("eof");
        }
        int rc = use_tls ? tls_client_received(&tls, (size_t)r, now_ms())
                         : mqtt_received(&mq, (size_t)r, now_ms());
        if (rc && use_tls) {
            char why[96];
            snprintf(why, sizeof(why), "tls_%s", tls_error_name(rc));
            close_transport();
            return fail_line(why);
        }
    }
}

static int tls_up(void)
{
    return tls_client_state(&tls) == TLS_ST_CONNECTED;
}

static int connack_done(void)
{
    return w.connack;
}

static int do_connect(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        fd = -1;
        return fail_line("connect");
    }
    if (use_tls) {
        uint8_t entropy[64];
        if (getrandom(entropy, sizeof(entropy), 0) != sizeof(entropy))
            return fail_line("entropy");
        int rc = tls_client_init(&tls, &tcfg, entropy, now_ms());
        if (!rc)
            rc = tls_client_set_time(&tls, (int64_t)time(NULL), now_ms());
        if (rc)
            return fail_line(tls_error_name(rc));
        /* the handshake, MQTT not yet started */
        uint64_t end = now_ms() + 10000;
        while (!tls_up()) {
            if (tls_flush() || now_ms() > end)
                return fail_line("tls_handshake");
            size_t room;
            uint8_t *p = tls_client_recvbuf(&tls, &room);
            struct pollfd pfd = {fd, POLLIN, 0};
            if (!room || poll(&pfd, 1, 100) <= 0)
                continue;
            ssize_t r = recv(fd, p, room, 0);
            if (r <= 0)
                return fail_line("tls_eof");
            if ((rc = tls_client_received(&tls, (size_t)r, now_ms())) != 0) {
                char why[96];
                snprintf(why, sizeof(why), "tls_%s", tls_error_name(rc));
                close_transport();
                return fail_line(why);
            }
        }
        if (tls_flush())
            return fail_line("tls_send");
    }
    uint32_t resent0 = mqtt_stats(&mq)->resent;
    memset(&w, 0, sizeof(w));
    if (mqtt_connect(&mq, now_ms()))
        return fail_line("state");
    if (pump(connack_done, 10000))
        return -1;
    /* let the redelivered publishes go out before answering */
    flush();
    const mqtt_stats_t *s = mqtt_stats(&mq);
    printf("ok connack sp=%d rc=%u resent=%u\n", w.sp, mqtt_connack_code(&mq),
           s->resent - resent0);
    return 0;
}

static int suback_done(void)
{
    return w.suback;
}
static int puback_done(void)
{
    return w.puback_id == -1;
}
static int sent_done(void)
{
    size_t len;
    mqtt_sendbuf(&mq, &len);
    return len == 0;
}
static int message_done(void)
{
    return w.got_message != 0;
}
static int closed_done(void)
{
    return mqtt_state(&mq) == MQTT_ST_CLOSED;
}

static int command(char *line)
{
    char *cmd = strtok(line, " \n");
    if (!cmd)
        return 0;
    if (!strcmp(cmd, "connect"))
        return do_connect();
    if (!strcmp(cmd, "sub")) {
        char *f = strtok(NULL, " \n"), *q = strtok(NULL, " \n");
        const char *fs[1] = {f};
        uint8_t qos = (uint8_t)(q ? atoi(q) : 1);
        w.suback = 0;
        int rc = f ? mqtt_subscribe(&mq, fs, &qos, 1, NULL) : MQTT_E_ARG;
        if (rc)
            return fail_line(mqtt_error_name(rc));
        if (pump(suback_done, 10000))
            return -1;
        printf("ok suback granted=%u\n", w.granted);
        return 0;
    }
    if (!strcmp(cmd, "pub") || !strcmp(cmd, "pub-cut")) {
        bool cut = cmd[3] == '-';
        char *t = strtok(NULL, " \n"), *q = cut ? "1" : strtok(NULL, " \n");
        char *text = strtok(NULL, "\n");
        uint16_t id = 0;
        uint8_t qos = (uint8_t)(q ? atoi(q) : 0);
        if (!t || !text)
            return fail_line("arg");
        int rc = mqtt_publish(&mq, t, text, strlen(text), qos, false, &id);
        if (rc)
            return fail_line(mqtt_error_name(rc));
        if (cut) {
            if (pump(sent_done, 5000))
                return -1;
            close_transport();
            printf("ok cut id=%u\n", id);
            return 0;
        }
        w.puback_id = qos ? id : -2;
        if (pump(qos ? puback_done : sent_done, 10000))
            return -1;
        printf("ok published id=%u\n", id);
        return 0;
    }
    if (!strcmp(cmd, "expect")) {
        w.want_topic = strtok(NULL, " \n");
        w.want_text = strtok(NULL, "\n");
        w.got_message = 0;
        if (!w.want_topic || !w.want_text)
            return fail_line("arg");
        if (pump(message_done, 10000))
            return -1;
        printf("ok message qos=%d dup=%d\n", (w.got_message - 1) / 2 % 2, (w.got_message - 1) / 4);
        w.want_topic = NULL;
        return 0;
    }
    if (!strcmp(cmd, "wait")) {
        char *ms = strtok(NULL, " \n");
        int p0 = w.pingresps;
        if (pump(NULL, ms ? (uint64_t)atoll(ms) : 1000))
            return -1;
        printf("ok waited pingresps=%d\n", w.pingresps - p0);
        return 0;
    }
    if (!strcmp(cmd, "cut")) {
        close_transport();
        printf("ok cut\n");
        return 0;
    }
    if (!strcmp(cmd, "disconnect")) {
        int rc = mqtt_disconnect(&mq);
        if (rc)
            return fail_line(mqtt_error_name(rc));
        if (pump(closed_done, 5000))
            return -1;
        if (use_tls) {
            tls_client_close(&tls);
            tls_flush();
        }
        close_transport();
        printf("ok closed\n");
        return 0;
    }
    if (!strcmp(cmd, "stats")) {
        const mqtt_stats_t *s = mqtt_stats(&mq);
        printf("ok stats published=%u resent=%u acked=%u received=%u dropped=%u pings=%u "
               "window=%u\n", s->published, s->resent, s->acked, s->received, s->dropped,
               s->pings, mqtt_window_free(&mq));
        return 0;
    }
    return fail_line("unknown_command");
}

int main(int argc, char **argv)
{
    static uint8_t anchor[4096], cert[4096], key[64];
    cfg.on_event = on_event;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(o, "--tls")) {
            use_tls = 1;
            continue;
        }
        if (!strcmp(o, "--clean")) {
            cfg.clean_session = true;
            continue;
        }
        i++;
        if (!strcmp(o, "--port"))
            port = atoi(v);
        else if (!strcmp(o, "--id"))
            cfg.client_id = v;
        else if (!strcmp(o, "--keepalive"))
            cfg.keepalive_s = (uint16_t)atoi(v);
        else if (!strcmp(o, "--host"))
            tcfg.host = v;
        else if (!strcmp(o, "--anchor"))
            tcfg.anchor_len = read_file(v, anchor, sizeof(anchor)), tcfg.anchor_der = anchor;
        else if (!strcmp(o, "--cert"))
            tcfg.cert_len = read_file(v, cert, sizeof(cert)), tcfg.cert_der = cert;
        else if (!strcmp(o, "--seed")) {
            uint8_t seed[32], pk[32];
            if (read_file(v, seed, 32) != 32)
                return 2;
            crypto_ed25519_keypair(pk, key, seed);
            tcfg.key = key;
        } else {
            fprintf(stderr, "mqtt_peer: unknown option %s\n", o);
            return 2;
        }
    }
    if (!port || mqtt_init(&mq, &cfg)) {
        fprintf(stderr, "mqtt_peer: need --port and a valid --id\n");
        return 2;
    }
    char line[1024];
    while (fgets(line, sizeof(line), stdin)) {
        command(line);
        fflush(stdout);
    }
    close_transport();
    return 0;
}
