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

#include "backoff.h"
#include "board.h"
#include "console.h"
#include "link_config.h"
#include "provision.h"
#include "tls.h"

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

int link_init(void)
{
    const uint8_t *cert;
    size_t cert_len;
    memset(&L, 0, sizeof(L));
    if (provision_cloud_config(&L.cloud) != 0 ||
        provision_tls_identity(L.key, &cert, &cert_len) != 0) {
        console_printf("[link] no cloud provisioned: the link stays off\n");
        return -1;
    }
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
    return 0;
}

/* Ends the attempt or the session: everything released, the next attempt
 * scheduled. */
static void link_fail(struct net *n, enum link_fail_kind kind, int code, uint32_t now)
{
    if (tcp_state(&L.sock) != TCP_CLOSED)
        tcp_abort(n, &L.sock, now);
    tls_client_wipe(&L.tls);
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
    case FAIL_MQTT: console_printf("mqtt error %d", code); break;
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

static void link_start(struct net *n, uint32_t now)
{
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

/* Moves bytes between the TCP socket and the TLS engine. At most one
 * received record goes into the engine per call: a record can carry an
 * X25519 or Ed25519 computation, and each activation stays short. Returns
 * true when that record was processed (more may be ready), false when the
 * transport had nothing; link_fail() on errors. */
static bool link_pump(struct net *n, uint32_t now)
{
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
        return false;
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
        return false;
    int rc = tls_client_received(&L.tls, (size_t)got, now);
    if (rc < 0) {
        /* send the alert the engine queued, best effort, then give up */
        out = tls_client_sendbuf(&L.tls, &len);
        if (len)
            (void)tcp_send(n, &L.sock, out, len, now);
        link_fail(n, FAIL_TLS, rc, now);
        return false;
    }
    return true;
}

static void link_connected(uint32_t now)
{
    L.st = LINK_CONNECTED;
    L.was_connected = true;
    L.connected_ms = now;
    L.stats.connects++;
    bool resumed = tls_client_resumed(&L.tls);
    if (resumed)
        L.stats.resumed++;
    console_printf("[link] connected to %s (", L.cloud.host);
    print_addr(L.ip);
    console_printf(":%u) in %lu ms, TLS 1.3 %s, %s handshake, %lu steps, longest %lu us\n",
                   L.cloud.port, (unsigned long)(now - L.started_ms),
                   tls_client_suite(&L.tls) == TLS_SUITE_CHACHA20_POLY1305_SHA256
                       ? "CHACHA20_POLY1305" : "AES_128_GCM",
                   resumed ? "resumed" : "full", (unsigned long)L.steps,
                   (unsigned long)L.longest_us);
    if (L.longest_us > L.stats.longest_step_us)
        L.stats.longest_step_us = L.longest_us;
}

static bool link_step(struct net *n, uint32_t now);

bool link_poll(struct net *n, uint32_t now)
{
    if (L.st == LINK_OFF)
        return false;
    uint64_t t0 = board_time_us();
    bool more = link_step(n, now);
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
            link_connected(now);
            /* the Finished flight still waits in the engine: send it now */
            (void)link_pump(n, now);
            return false;
        }
        return more;
    }
    case LINK_MQTT:
    case LINK_CONNECTED: {
        bool more = link_pump(n, now);
        if (L.st != LINK_CONNECTED)
            return false;
        uint8_t sink[64];
        int r;
        /* No MQTT session yet: application data is read and dropped so the
         * engine keeps accepting records (NewSessionTicket among them). */
        while ((r = tls_client_read(&L.tls, sink, sizeof(sink))) > 0)
            ;
        if (r < 0)
            link_fail(n, FAIL_TLS, r, now);
        else if (tls_client_state(&L.tls) == TLS_ST_CLOSED)
            link_fail(n, FAIL_TLS, TLS_E_EOF, now);
        return more && L.st == LINK_CONNECTED;
    }
    case LINK_BACKOFF:
        if ((int32_t)(now - L.deadline_ms) >= 0) {
            L.st = LINK_WAIT_NETWORK;
            return true;
        }
        return false;
    }
    return false;
}
