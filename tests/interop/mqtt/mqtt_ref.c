/*
 * mqtt_ref: the other side of the MQTT interop tests, on Eclipse's own
 * client library (libmosquitto, as keel-cloud uses it), speaking MQTT 5
 * as the cloud does while the device under test speaks 3.1.1.
 *
 *   mqtt_ref sub --port N --id ID --topic FILTER [--tls CA CERT KEY]
 *       subscribes with QoS 1, prints "ready" after the SUBACK, then
 *       "msg TOPIC qos=N PAYLOAD" per message, until stdin closes
 *   mqtt_ref pub --port N --id ID --topic TOPIC --msg TEXT [--tls CA CERT KEY]
 *       one QoS 1 publish; exits 0 once the broker acknowledged it
 * Exit 1 on any failure, after a line on stderr.
 */
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *topic, *msg;
static int is_pub, done, subscribed;

static void on_connect(struct mosquitto *m, void *arg, int rc, int flags,
                       const mosquitto_property *props)
{
    (void)arg, (void)flags, (void)props;
    if (rc) {
        fprintf(stderr, "mqtt_ref: connect refused: %s\n", mosquitto_reason_string(rc));
        exit(1);
    }
    if (is_pub)
        rc = mosquitto_publish_v5(m, NULL, topic, (int)strlen(msg), msg, 1, false, NULL);
    else
        rc = mosquitto_subscribe_v5(m, NULL, topic, 1, 0, NULL);
    if (rc) {
        fprintf(stderr, "mqtt_ref: %s\n", mosquitto_strerror(rc));
        exit(1);
    }
}

static void on_subscribe(struct mosquitto *m, void *arg, int mid, int n, const int *granted,
                         const mosquitto_property *props)
{
    (void)m, (void)arg, (void)mid, (void)props;
    if (n < 1 || granted[0] > 1) {
        fprintf(stderr, "mqtt_ref: subscription refused (%d)\n", n ? granted[0] : -1);
        exit(1);
    }
    subscribed = 1;
    printf("ready\n");
    fflush(stdout);
}

static void on_publish(struct mosquitto *m, void *arg, int mid, int reason,
                       const mosquitto_property *props)
{
    (void)arg, (void)mid, (void)props;
    if (reason) {
        fprintf(stderr, "mqtt_ref: publish refused: %s\n", mosquitto_reason_string(reason));
        exit(1);
    }
    done = 1;
    mosquitto_disconnect_v5(m, 0, NULL);
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *mm,
                       const mosquitto_property *props)
{
    (void)m, (void)arg, (void)props;
    printf("msg %s qos=%d %.*s\n", mm->topic, mm->qos, mm->payloadlen, (const char *)mm->payload);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *id = NULL, *ca = NULL, *cert = NULL, *key = NULL;
    int port = 0;
    if (argc < 2)
        return 2;
    is_pub = !strcmp(argv[1], "pub");
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--tls") && i + 3 < argc) {
            ca = argv[i + 1], cert = argv[i + 2], key = argv[i + 3];
            i += 3;
        } else if (i + 1 < argc && !strcmp(argv[i], "--port"))
            port = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--id"))
            id = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--topic"))
            topic = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--msg"))
            msg = argv[++i];
        else
            return 2;
    }
    if (!port || !id || !topic || (is_pub && !msg))
        return 2;
    mosquitto_lib_init();
    struct mosquitto *m = mosquitto_new(id, true, NULL);
    if (!m)
        return 1;
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(m, on_connect);
    mosquitto_subscribe_v5_callback_set(m, on_subscribe);
    mosquitto_publish_v5_callback_set(m, on_publish);
    mosquitto_message_v5_callback_set(m, on_message);
    if (ca && (mosquitto_tls_set(m, ca, NULL, cert, key, NULL) ||
               mosquitto_tls_opts_set(m, 1, "tlsv1.3", NULL))) {
        fprintf(stderr, "mqtt_ref: TLS setup failed\n");
        return 1;
    }
    int rc = mosquitto_connect_bind_v5(m, "127.0.0.1", port, 30, NULL, NULL);
    if (rc) {
        fprintf(stderr, "mqtt_ref: connect: %s\n", mosquitto_strerror(rc));
        return 1;
    }
    /* sub runs until stdin closes (the test's way to stop it) */
    struct pollfd in = {0, POLLIN, 0};
    while (!done) {
        rc = mosquitto_loop(m, 100, 1);
        if (rc && !(is_pub && done)) {
            fprintf(stderr, "mqtt_ref: %s\n", mosquitto_strerror(rc));
            return 1;
        }
        if (!is_pub && poll(&in, 1, 0) > 0) {
            char b[64];
            if (read(0, b, sizeof(b)) <= 0)
                break;
        }
    }
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
    return 0;
}
