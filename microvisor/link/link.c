/*
 * IMPLEMENTATION NOTES
 * One connection, owned here, in static storage sized at build time
 * (link_config.h): the TCP socket and its two rings, the TLS context and
 * the session tickets. The device's secret key is copied out of flash once
 * into this secure RAM and never leaves it.
 *
 * Every failure takes one path, link_fail(): the socket is aborted, the
 * TLS context wiped, and the next attempt waits backoff_next_ms() (the
 * rule the application restarts use): doubling from LINK_BACKOFF_MIN_MS
 * up to LINK_BACKOFF_MAX_MS, forgotten once a session has lasted
 * LINK_STABLE_MS, so a broker that accepts and then drops the device at
 * once does not see a reconnect storm. The wait is drawn uniformly from
 * [wait/2, wait] so that a fleet that lost its broker together does not
 * come back together.
 */
#include "link.h"

#include <string.h>

#include "app.h"
#include "backoff.h"
#include "board.h"
#include "board_flash.h"
#include "console.h"
#include "fault.h"
#include "gateway.h"
#include "link_config.h"
#include "logspool.h"
#include "memory_map.h"
#include "mqtt.h"
#include "mv_syscalls.h"
#include "ota_device.h"
#include "provision.h"
#include "server_log.h"
#include "sstack.h"
#include "tls.h"
#include "uplink.h"

enum link_fail_kind { FAIL_NONE = 0, FAIL_DNS, FAIL_TCP, FAIL_TLS, FAIL_MQTT };

static struct {
    enum link_state st;
    bool provisioned;
    struct provision_cloud cloud;
    uint8_t key[64];
    tls_client_config_t tls_cfg;
    tls_ticket_store_t tickets;
    tls_client_t tls;
    struct tcp_sock sock;
    uint8_t rx[LINK_TCP_RX], tx[LINK_TCP_TX];
    uint32_t ip;
    uint32_t deadline_ms;        /* of the current step, or the back-off's end */
    uint32_t started_ms;         /* when the current attempt began */
    uint32_t connected_ms;       /* when the session was established */
    bool was_connected;          /* the failing attempt had reached CONNECTED */
    uint32_t steps;              /* activations of the current attempt */
    uint32_t longest_us;         /* the longest of them */
    uint32_t prev_wait_ms;
    struct link_stats stats;
    /* the MQTT session over TLS, and the messages over it */
    char id[PROVISION_ID_LEN + 1];
    char will_topic[64], down_filter[64];
    uint32_t mv_version;
    mqtt_config_t mqtt_cfg;
    mqtt_client_t mqtt;
    bool subscribed;
    struct logspool spool;
    bool spool_ok;
    struct uplink up;
    char topic[MQTT_TOPIC_MAX + 1];
    /* what the application's network handles were last told */
    uint8_t app_status;
    bool app_calm;
} L;

static const char *const state_names[] = {
    "off", "wait-network", "resolving", "tcp", "tls", "mqtt", "connected", "backoff",
};

const char *link_state_name(enum link_state s)
{
    return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

enum link_state link_state(void)
{
    return L.st;
}

const struct link_stats *link_stats(void)
{
    return &L.stats;
}

static const char *net_error_name(int e)
{
    switch (e) {
    case NET_ERR_RESET: return "reset by the peer";
    case NET_ERR_TIMEOUT: return "timed out";
    case NET_ERR_REFUSED: return "refused";
    case NET_ERR_ABORTED: return "aborted";
    case NET_ERR_BUSY: return "no socket";
    case NET_ERR_NOBUF: return "no buffer";
    case NET_ERR_NOIP: return "no address";
    case NET_EOF: return "closed by the peer";
    default: return "error";
    }
}

static void print_addr(uint32_t ip)
{
    console_printf("%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u, ip & 255u);
}

static void link_mqtt_event(void *arg, const mqtt_event_t *ev);
static void link_status(void *ctx, struct proto_status *st, uint32_t now_ms);

static void cat(char *dst, size_t cap, const char *a, const char *b, const char *c)
{
    size_t n = 0;
    for (const char *parts[] = { a, b, c }, **p = parts; p < parts + 3; p++)
        for (const char *q = *p; *q && n + 1 < cap; q++)
            dst[n++] = *q;
    dst[n] = 0;
}

int link_init(uint32_t mv_version)
{
    const uint8_t *cert;
    size_t cert_len;
    memset(&L, 0, sizeof(L));
    L.mv_version = mv_version;
    if (provision_cloud_config(&L.cloud) != 0 ||
        provision_tls_identity(L.key, &cert, &cert_len) != 0 ||
        provision_device_id(L.id) != 0) {
        console_printf("[link] no cloud provisioned: the link stays off\n");
        return -1;
    }
    L.id[PROVISION_ID_LEN] = 0;
    cat(L.will_topic, sizeof(L.will_topic), "devices/", L.id, "/up/offline");
    cat(L.down_filter, sizeof(L.down_filter), "devices/", L.id, "/down/#");
    L.mqtt_cfg = (mqtt_config_t){
        .client_id = L.id,
        .keepalive_s = LINK_KEEPALIVE_S,
        .clean_session = false,
        .will_topic = L.will_topic,
        .will_qos = 1,
        .on_event = link_mqtt_event,
    };
    if (mqtt_init(&L.mqtt, &L.mqtt_cfg) != MQTT_OK)
        return -1;
    /* the flash spool: undelivered logs and the log sequence numbers */
    L.spool_ok = logspool_open(&L.spool, board_flash(), FLASH_LOG_SPOOL,
                               FLASH_LOG_SPOOL_SIZE / flash_page_size(board_flash())) ==
                 LOGSPOOL_OK;
    if (!L.spool_ok)
        console_printf("[link] log spool unusable: logs are kept in RAM only\n");
    else if (logspool_pending(&L.spool))
        console_printf("[link] log spool: records from %lu on wait for the cloud\n",
                       (unsigned long)L.spool.acked);
    uplink_init(&L.up, L.id, L.spool_ok ? &L.spool : NULL, link_status, NULL);
    uplink_set_ota(&L.up, ota_device_init(L.id, mv_version));
    L.tls_cfg = (tls_client_config_t){
        .host = L.cloud.host,
        .anchor_der = L.cloud.anchor,
        .anchor_len = L.cloud.anchor_len,
        .cert_der = cert,
        .cert_len = cert_len,
        .key = L.key,
        .tickets = &L.tickets,
    };
    L.provisioned = true;
    L.st = LINK_WAIT_NETWORK;
    L.app_status = MV_NETWORKSTATUS_CONNECTING;
    gateway_network_changed(L.app_status, false);
    return 0;
}

/* Ends the attempt or the session: everything released, the next attempt
 * scheduled. */
static void link_fail(struct net *n, enum link_fail_kind kind, int code, uint32_t now)
{
    if (tcp_state(&L.sock) != TCP_CLOSED)
        tcp_abort(n, &L.sock, now);
    tls_client_wipe(&L.tls);
    if (mqtt_state(&L.mqtt) != MQTT_ST_IDLE)
        mqtt_connection_lost(&L.mqtt);
    if (L.st == LINK_CONNECTED)
        uplink_session_down(&L.up, now);
    uint32_t ran = L.was_connected ? now - L.connected_ms : 0;
    L.was_connected = false;
    L.prev_wait_ms = backoff_next_ms(L.prev_wait_ms, ran, LINK_BACKOFF_MIN_MS,
                                     LINK_BACKOFF_MAX_MS, LINK_STABLE_MS);
    uint32_t r;
    board_entropy(&r, sizeof(r));
    uint32_t half = L.prev_wait_ms / 2u;
    uint32_t wait = half + r % (L.prev_wait_ms - half + 1u);
    L.stats.failures++;
    L.stats.last_error = code;
    L.stats.backoff_ms = wait;
    console_printf("[link] %s: ", link_state_name(L.st));
    switch (kind) {
    case FAIL_DNS: console_printf("cannot resolve %s", L.cloud.host); break;
    case FAIL_TCP: console_printf("tcp %s", net_error_name(code)); break;
    case FAIL_TLS: {
        const char *cls = tls_error_class(code);
        console_printf("tls %s%s%s", cls[0] == 't' ? "" : cls, cls[0] == 't' ? "" : " ",
                       tls_error_name(code));
        break;
    }
    case FAIL_MQTT: console_printf("mqtt %s", mqtt_error_name(code)); break;
    default: console_printf("failed"); break;
    }
    console_printf(", retry in %lu ms\n", (unsigned long)wait);
    L.deadline_ms = now + wait;
    L.st = LINK_BACKOFF;
}

static void link_start_tcp(struct net *n, uint32_t now)
{
    L.st = LINK_TCP;
    int rc = tcp_connect(n, &L.sock, L.ip, L.cloud.port, L.rx, sizeof(L.rx), L.tx,
                         sizeof(L.tx), now);
    if (rc < 0)
        link_fail(n, FAIL_TCP, rc, now);
}

__attribute__((weak)) void link_bench_event(int ev)
{
    (void)ev;
}

static void link_start(struct net *n, uint32_t now)
{
    link_bench_event(0);
    L.stats.attempts++;
    L.started_ms = now;
    L.steps = 0;
    L.longest_us = 0;
    if (L.cloud.addr) {
        L.ip = L.cloud.addr;
        link_start_tcp(n, now);
        return;
    }
    L.st = LINK_RESOLVING;
    int rc = dns_query(n, L.cloud.host, now);
    if (rc < 0)
        link_fail(n, FAIL_DNS, rc, now);
}

/* Moves application data between the TLS engine and the MQTT session
 * (both ways); false, or link_fail() on errors. */
static bool link_pump_mqtt(struct net *n, uint32_t now)
{
    if (L.st != LINK_MQTT && L.st != LINK_CONNECTED)
        return false;
    bool moved = false;
    for (int k = 0; k < 4; k++) {
        size_t len, room;
        const uint8_t *out = mqtt_sendbuf(&L.mqtt, &len);
        if (len) {
            int w = tls_client_write(&L.tls, out, len);
            if (w < 0 && w != TLS_E_KEY_LIMIT) {
                link_fail(n, FAIL_TLS, w, now);
                return false;
            }
            if (w > 0) {
                mqtt_sent(&L.mqtt, (size_t)w, now);
                moved = true;
            }
        }
        uint8_t *in = mqtt_recvbuf(&L.mqtt, &room);
        int r = room ? tls_client_read(&L.tls, in, room) : 0;
        if (r < 0) {
            link_fail(n, FAIL_TLS, r, now);
            return false;
        }
        if (r > 0) {
            int rc = mqtt_received(&L.mqtt, (size_t)r, now);
            if (rc < 0) {
                link_fail(n, FAIL_MQTT, rc, now);
                return false;
            }
            moved = true;
        }
        if (!moved || L.st == LINK_BACKOFF)
            break;
    }
    return moved;
}

/* Moves bytes between the TCP socket and the TLS engine. At most one
 * received record goes into the engine per call: a record can carry an
 * X25519 or Ed25519 computation, and each activation stays short. Returns
 * true when that record was processed (more may be ready), false when the
 * transport had nothing; link_fail() on errors. */
static bool link_pump(struct net *n, uint32_t now)
{
    bool moved = link_pump_mqtt(n, now);
    if (L.st == LINK_BACKOFF)
        return false;
    size_t len;
    const uint8_t *out = tls_client_sendbuf(&L.tls, &len);
    if (len) {
        int sent = tcp_send(n, &L.sock, out, len, now);
        if (sent < 0) {
            link_fail(n, FAIL_TCP, sent, now);
            return false;
        }
        tls_client_sent(&L.tls, (size_t)sent);
    }
    size_t room;
    uint8_t *in = tls_client_recvbuf(&L.tls, &room);
    if (!room)
        return moved;
    int got = tcp_recv(n, &L.sock, in, room, now);
    if (got == NET_EOF) {
        int e = tls_client_eof(&L.tls);
        link_fail(n, e ? FAIL_TLS : FAIL_TCP, e ? e : NET_EOF, now);
        return false;
    }
    if (got < 0) {
        link_fail(n, FAIL_TCP, got, now);
        return false;
    }
    if (got == 0)
        return moved;
    int rc = tls_client_received(&L.tls, (size_t)got, now);
    if (rc < 0) {
        /* send the alert the engine queued, best effort, then give up */
        out = tls_client_sendbuf(&L.tls, &len);
        if (len)
            (void)tcp_send(n, &L.sock, out, len, now);
        link_fail(n, FAIL_TLS, rc, now);
        return false;
    }
    (void)link_pump_mqtt(n, now); /* what the record carried, and any answer */
    if (L.st != LINK_BACKOFF && (out = tls_client_sendbuf(&L.tls, &len), len)) {
        int sent = tcp_send(n, &L.sock, out, len, now);
        if (sent < 0) {
            link_fail(n, FAIL_TCP, sent, now);
            return false;
        }
        tls_client_sent(&L.tls, (size_t)sent);
    }
    return true;
}

/* CONNACK accepted: the session is up. */
static void link_connected(uint32_t now)
{
    L.st = LINK_CONNECTED;
    L.was_connected = true;
    L.connected_ms = now;
    L.stats.connects++;
    uplink_session_up(&L.up, now);
    bool resumed = tls_client_resumed(&L.tls);
    if (resumed)
        L.stats.resumed++;
    console_printf("[link] connected to %s (", L.cloud.host);
    print_addr(L.ip);
    console_printf(":%u) in %lu ms, TLS 1.3 %s, %s handshake, %lu steps, longest %lu us, "
                   "secure stack peak %lu\n",
                   L.cloud.port, (unsigned long)(now - L.started_ms),
                   tls_client_suite(&L.tls) == TLS_SUITE_CHACHA20_POLY1305_SHA256
                       ? "CHACHA20_POLY1305" : "AES_128_GCM",
                   resumed ? "resumed" : "full", (unsigned long)L.steps,
                   (unsigned long)L.longest_us, (unsigned long)sstack_peak());
    if (L.longest_us > L.stats.longest_step_us)
        L.stats.longest_step_us = L.longest_us;
}

static bool link_step(struct net *n, uint32_t now);
static void link_time_known(uint32_t now);
static int link_publish(void *ctx, const char *topic, const uint8_t *payload, size_t len);

/* The status the application's network handles see (docs/twilio-compat.md):
 * CONNECTED only while the MQTT session is up and the carrier and an
 * address are there (no packet moves without them, whatever TCP still
 * believes); DISCONNECTEDWITHLINKUP while waiting out a back-off on a
 * working local network; CONNECTING otherwise. Runs after every step, so
 * it is a compare, and the gateway hears only of changes. */
static void link_report(const struct net *n)
{
    bool carrier = n->link_up && n->ip != 0;
    uint8_t st = MV_NETWORKSTATUS_CONNECTING;
    if (carrier && L.st == LINK_CONNECTED)
        st = MV_NETWORKSTATUS_CONNECTED;
    else if (carrier && L.st == LINK_BACKOFF)
        st = MV_NETWORKSTATUS_DISCONNECTEDWITHLINKUP;
    bool calm = L.st == LINK_BACKOFF;
    if (st == L.app_status && calm == L.app_calm)
        return;
    L.app_status = st;
    L.app_calm = calm;
    gateway_network_changed(st, calm);
}

bool link_poll(struct net *n, uint32_t now)
{
    if (L.st == LINK_OFF)
        return false;
    uint64_t t0 = board_time_us();
    bool more = link_step(n, now);
    link_report(n);
    uint64_t took = board_time_us() - t0;
    L.steps++;
    if (took > L.longest_us)
        L.longest_us = (uint32_t)took;
    return more;
}

static bool link_step(struct net *n, uint32_t now)
{
    switch (L.st) {
    case LINK_OFF:
        return false;
    case LINK_WAIT_NETWORK:
        uplink_poll(&L.up, now, link_publish, NULL);
        if (n->ip != 0 && n->link_up)
            link_start(n, now);
        return false;
    case LINK_RESOLVING: {
        uint32_t ip;
        enum dns_state d = dns_result(n, &ip);
        if (d == DNS_DONE) {
            L.ip = ip;
            link_start_tcp(n, now);
        } else if (d == DNS_FAILED) {
            link_fail(n, FAIL_DNS, NET_ERR_TIMEOUT, now);
        }
        return false;
    }
    case LINK_TCP: {
        enum tcp_state t = tcp_state(&L.sock);
        if (t == TCP_ESTABLISHED) {
            uint8_t entropy[64];
            board_entropy(entropy, sizeof(entropy));
            int rc = tls_client_init(&L.tls, &L.tls_cfg, entropy, now);
            memset(entropy, 0, sizeof(entropy));
            int64_t unix_ms;
            if (rc == 0 && uplink_wall_ms(&L.up, now, &unix_ms))
                rc = tls_client_set_time(&L.tls, unix_ms / 1000, now);
            if (rc < 0) {
                link_fail(n, FAIL_TLS, rc, now);
                return false;
            }
            L.st = LINK_TLS;
            return true;
        }
        if (t == TCP_CLOSED)
            link_fail(n, FAIL_TCP, L.sock.err ? L.sock.err : NET_ERR_RESET, now);
        return false;
    }
    case LINK_TLS: {
        bool more = link_pump(n, now);
        if (L.st != LINK_TLS)
            return false;
        int rc = tls_client_tick(&L.tls, now);
        if (rc < 0) {
            link_fail(n, FAIL_TLS, rc, now);
            return false;
        }
        if (tls_client_state(&L.tls) == TLS_ST_CONNECTED) {
            /* TLS is up: the MQTT session next (CONNECT after our Finished) */
            L.subscribed = false;
            (void)mqtt_connect(&L.mqtt, now);
            L.st = LINK_MQTT;
            (void)link_pump(n, now);
            return L.st == LINK_MQTT;
        }
        return more;
    }
    case LINK_MQTT:
    case LINK_CONNECTED: {
        bool more = link_pump(n, now);
        if (L.st != LINK_MQTT && L.st != LINK_CONNECTED)
            return false;
        int rc = mqtt_tick(&L.mqtt, now);
        if (rc < 0 || mqtt_state(&L.mqtt) == MQTT_ST_FAILED) {
            link_fail(n, FAIL_MQTT, rc < 0 ? rc : mqtt_error(&L.mqtt), now);
            return false;
        }
        if (tls_client_state(&L.tls) == TLS_ST_CLOSED) {
            link_fail(n, FAIL_TLS, TLS_E_EOF, now);
            return false;
        }
        if (L.st == LINK_CONNECTED) {
            if (!L.subscribed) {
                const char *filters[1] = { L.down_filter };
                const uint8_t qos[1] = { 1 };
                L.subscribed = mqtt_subscribe(&L.mqtt, filters, qos, 1, NULL) == MQTT_OK;
            }
            uplink_poll(&L.up, now, link_publish, NULL);
            if (L.up.ram_used + 1024u <= UPLINK_RAM_LOG)
                server_log_kick(); /* room again for held application logs */
            (void)link_pump_mqtt(n, now);
        }
        return more && (L.st == LINK_MQTT || L.st == LINK_CONNECTED);
    }
    case LINK_BACKOFF:
        uplink_poll(&L.up, now, link_publish, NULL); /* spools a long outage */
        if ((int32_t)(now - L.deadline_ms) >= 0) {
            L.st = LINK_WAIT_NETWORK;
            return true;
        }
        return false;
    }
    return false;
}

/* The cloud's clock arrived: mvGetWallTime works from now on, and TLS
 * checks the broker's certificate against it (again for this connection:
 * an expired certificate then ends it). */
static void link_time_known(uint32_t now)
{
    int64_t unix_ms;
    if (!uplink_wall_ms(&L.up, now, &unix_ms) || unix_ms <= 0)
        return;
    uint64_t t_us = board_time_us();
    gateway_set_wall_time_offset((uint64_t)unix_ms * 1000u - t_us);
    int rc = tls_client_set_time(&L.tls, unix_ms / 1000, now);
    if (rc < 0)
        console_printf("[link] the broker's certificate is not valid at the cloud's time: %s\n",
                       tls_error_name(rc));
}

static int link_publish(void *ctx, const char *topic, const uint8_t *payload, size_t len)
{
    (void)ctx;
    return mqtt_publish(&L.mqtt, topic, payload, len, 1, false, NULL) == MQTT_OK ? 0 : -1;
}

static void link_mqtt_event(void *arg, const mqtt_event_t *ev)
{
    (void)arg;
    uint32_t now = (uint32_t)(board_time_us() / 1000u);
    link_bench_event((int)ev->type);
    switch (ev->type) {
    case MQTT_EV_CONNACK:
        if (ev->return_code == 0) {
            L.subscribed = ev->session_present && L.subscribed;
            link_connected(now);
        }
        break;
    case MQTT_EV_SUBACK:
        if (ev->n < 1 || ev->granted[0] == MQTT_SUBACK_FAILURE) {
            console_printf("[link] the broker refused the subscription to %s\n", L.down_filter);
            L.subscribed = false;
        }
        break;
    case MQTT_EV_PUBLISH:
        if (ev->topic_len < sizeof(L.topic)) {
            memcpy(L.topic, ev->topic, ev->topic_len);
            L.topic[ev->topic_len] = 0;
            uint32_t times = L.up.stats.times;
            (void)uplink_downlink(&L.up, L.topic, ev->payload, ev->len, now);
            if (L.up.stats.times != times)
                link_time_known(now);
        }
        break;
    case MQTT_EV_DROPPED:
        console_printf("[link] dropped a %lu-byte downlink message (over %u)\n",
                       (unsigned long)ev->len, (unsigned)MQTT_RX_MAX);
        break;
    default:
        break;
    }
}

static void link_status(void *ctx, struct proto_status *st, uint32_t now_ms)
{
    (void)ctx;
    st->app_version = app_loaded_version();
    st->mv_version = L.mv_version;
    st->update_status = PROTO_UPD_IDLE;
    st->uptime_s = board_time_us() / 1000000u;
    (void)now_ms;
    for (uint32_t i = 0; i < PROTO_MAX_FAULTS; i++) {
        const struct crash_record *r = fault_record_newest(i);
        if (!r)
            break;
        st->faults[i] = (struct proto_fault){ r->kind, r->pc, r->time_us / 1000u };
        st->n_faults = i + 1;
    }
}

bool link_wall_ms(int64_t *unix_ms)
{
    return L.st != LINK_OFF && uplink_wall_ms(&L.up, (uint32_t)(board_time_us() / 1000u), unix_ms);
}

/* server_log's drain hands each application message here. Text that is
 * not UTF-8 has each bad byte replaced by '?' (the protocol carries text
 * only); a message over PROTO_MAX_LOG_TEXT goes as several records, cut
 * at character boundaries, all or none. */
bool server_log_deliver(uint8_t *msg, uint32_t len, uint64_t now_us)
{
    char *clean = (char *)msg; /* server_log's own secure copy: fixed in place */
    if (L.st == LINK_OFF)
        return true;
    uint32_t now = (uint32_t)(now_us / 1000u), n = 0;
    while (n < len) {
        size_t k = proto_utf8_seq(clean + n, len - n);
        if (k == 0)
            clean[n++] = '?';
        else
            n += (uint32_t)k;
    }
    unsigned parts = len ? (len + PROTO_MAX_LOG_TEXT - 1u) / PROTO_MAX_LOG_TEXT + 1u : 1u;
    if (!uplink_room(&L.up, len, parts, now))
        return false;
    uint32_t off = 0;
    do {
        uint32_t take = len - off;
        if (take > PROTO_MAX_LOG_TEXT) {
            take = PROTO_MAX_LOG_TEXT;
            while (take && ((uint8_t)clean[off + take] & 0xC0u) == 0x80u)
                take--; /* not inside a character */
        }
        if (uplink_log(&L.up, clean + off, take, 1, now_us / 1000u, now) != 0)
            break; /* cannot happen after uplink_room; the rest is lost, counted */
        off += take;
    } while (off < len);
    return true;
}
