/*
 * IMPLEMENTATION NOTES
 * Test driver linked only into microvisor_tlstest (the production
 * microvisor's sources plus microvisor/tls and this file). It overrides
 * net_service.c's weak net_service_test_poll() and, from the network's
 * deferred work, runs microvisor/tls over the microvisor's own TCP to
 * openssl s_server behind slirp's guestfwd (10.0.2.100:4433,
 * tests/qemu/test_tls.py):
 *   1. a full mutual handshake with the device identity of provisioning
 *      page 3 (the Ed25519 seed and certificate `keel run` provisions) and
 *      the test cloud CA (cloud_ca.h) as trust anchor;
 *   2. 256 KiB sent as 64-byte lines, which s_server -rev returns
 *      reversed: 256 KiB back, every byte checked; then a KeyUpdate
 *      (update_requested) and one more line, which must come back
 *      reversed under the server's updated keys (sent after the bulk:
 *      s_server -rev, reading lines, emits a stray newline when a
 *      KeyUpdate lands between two of its reads);
 *   3. "CLOSE", close_notify, then a second connection that must resume
 *      from the first one's ticket, with one line each way;
 *   4. all of it again with the link impaired (impair.c: 10% of frames
 *      dropped, 5% duplicated, 5% reordered each way), starting from an
 *      empty ticket store.
 * Results go to the console as "[tlstest] PASS/FAIL ..." lines; the run
 * ends with board_exit(0 only if every step passed). Each step is bounded
 * by STEP_TIMEOUT_MS.
 */
#include <string.h>

#include "board.h"
#include "console.h"
#include "impair.h"
#include "memory_map.h"
#include "net_service.h"
#include "provision_record.h"
#include "tls.h"

#include "cloud_ca.h"

#define PEER NET_IP4(10, 0, 2, 100)
#define PORT 4433
#define LINE 64u
#define TOTAL (256u * 1024u)
#define STEP_TIMEOUT_MS 120000u

enum step { ST_DHCP, ST_FULL, ST_RESUMED, ST_IMP_FULL, ST_IMP_RESUMED, ST_DONE };

static struct tcp_sock sk;
static uint8_t rxr[4380], txr[2920];
static tls_client_t tls;
static tls_ticket_store_t tickets;
static tls_client_config_t cfg;
static uint8_t key[64];
static enum step step;
static bool open, handshake_seen, ku_sent, ku_checked, close_sent;
static char tail[64];
static uint32_t tail_len;
static uint32_t step_t0, sent, rcvd, bad, failures, hs_ms;

static bool full_step(void)
{
    return step == ST_FULL || step == ST_IMP_FULL;
}

static void verdict(bool ok, const char *what)
{
    console_printf("[tlstest] %s %s%s\n", ok ? "PASS" : "FAIL", impair_on ? "impaired: " : "",
                   what);
    if (!ok)
        failures++;
}

/* Line i: 63 letters starting at 'a' + i % 26, then a newline. */
static uint8_t tx_byte(uint32_t off)
{
    uint32_t i = off / LINE, j = off % LINE;
    return j == LINE - 1 ? '\n' : (uint8_t)('a' + (i + j) % 26u);
}

/* What s_server -rev sends back: each line reversed. */
static uint8_t rx_byte(uint32_t off)
{
    uint32_t j = off % LINE;
    return j == LINE - 1 ? '\n' : tx_byte(off - j + (LINE - 2 - j));
}

static int identity(void)
{
    const uint8_t *page = (const uint8_t *)FLASH_IDENTITY;
    uint8_t seed[32], pk[32];
    uint32_t cert_len;
    if (provision_identity_seed(page, FLASH_PAGE_SIZE, seed) != 0)
        return -1;
    memcpy(&cert_len, page + 4, 4);
    crypto_ed25519_keypair(pk, key, seed);
    crypto_wipe(seed, sizeof(seed));
    cfg.host = "cloud.keel.test";
    cfg.anchor_der = CLOUD_CA;
    cfg.anchor_len = sizeof(CLOUD_CA);
    cfg.cert_der = page + 48;
    cfg.cert_len = cert_len;
    cfg.key = key;
    cfg.tickets = &tickets;
    return 0;
}

static void start(enum step s, uint32_t now)
{
    uint8_t entropy[64];
    step = s;
    step_t0 = now;
    sent = rcvd = bad = 0;
    handshake_seen = ku_sent = ku_checked = close_sent = false;
    tail_len = 0;
    tail[0] = 0;
    impair_on = s == ST_IMP_FULL || s == ST_IMP_RESUMED;
    if (s == ST_IMP_FULL)
        tls_tickets_wipe(&tickets); /* a full handshake again */
    if (s == ST_DONE)
        return;
    board_entropy(entropy, sizeof(entropy));
    int rc = tls_client_init(&tls, &cfg, entropy, now);
    crypto_wipe(entropy, sizeof(entropy));
    open = rc == 0 &&
           tcp_connect(net_service_stack(), &sk, PEER, PORT, rxr, sizeof(rxr), txr, sizeof(txr),
                       now) == 0;
    if (!open)
        verdict(false, "connect");
}

/* Moves bytes between the engine and the socket; false once the
 * connection is over (closed or failed). */
static bool pump(struct net *n, uint32_t now)
{
    size_t len, room;
    const uint8_t *out;
    while ((out = tls_client_sendbuf(&tls, &len)), len > 0) {
        int k = tcp_send(n, &sk, out, len, now);
        if (k <= 0)
            break;
        tls_client_sent(&tls, (size_t)k);
    }
    for (;;) {
        uint8_t *in = tls_client_recvbuf(&tls, &room);
        if (room == 0)
            break;
        int k = tcp_recv(n, &sk, in, room, now);
        if (k == NET_EOF) {
            tls_client_eof(&tls);
            break;
        }
        if (k <= 0)
            break;
        tls_client_received(&tls, (size_t)k, now);
    }
    tls_client_tick(&tls, now);
    return tls_client_error(&tls) == 0 && tcp_state(&sk) != TCP_CLOSED;
}

static void finish(struct net *n, uint32_t now, bool ok, const char *what)
{
    int err = tls_client_error(&tls);
    if (err)
        console_printf("[tlstest] error %s %s\n", tls_error_class(err), tls_error_name(err));
    verdict(ok && err == 0, what);
    tls_client_wipe(&tls);
    if (tcp_state(&sk) != TCP_CLOSED)
        tcp_abort(n, &sk, now);
    open = false;
}

static void run(struct net *n, uint32_t now, uint32_t total)
{
    bool alive = pump(n, now);
    if (!handshake_seen && tls_client_state(&tls) == TLS_ST_CONNECTED) {
        handshake_seen = true;
        hs_ms = now - step_t0;
        console_printf("[tlstest] handshake suite %x resumed %u mfl %u in %u ms\n",
                       tls_client_suite(&tls), tls_client_resumed(&tls), tls.mfl_acked, hs_ms);
        verdict(full_step() ? !tls_client_resumed(&tls) : tls_client_resumed(&tls),
                full_step() ? "full mutual handshake" : "resumed handshake");
    }
    /* Until nothing moves: a record read makes room for the next one. */
    for (bool moved = true; moved && handshake_seen && tls_client_state(&tls) == TLS_ST_CONNECTED;) {
        uint8_t buf[512];
        int k;
        uint32_t before = rcvd + sent + tail_len;
        while ((k = tls_client_read(&tls, buf, sizeof(buf))) > 0)
            for (int i = 0; i < k; i++) {
                if (rcvd < total) {
                    bad += buf[i] != rx_byte(rcvd);
                    rcvd++;
                } else if (tail_len < sizeof(tail) - 1) {
                    tail[tail_len++] = (char)buf[i];
                    tail[tail_len] = 0;
                }
            }
        while (sent < total) {
            uint32_t chunk = total - sent < sizeof(buf) ? total - sent : sizeof(buf);
            for (uint32_t i = 0; i < chunk; i++)
                buf[i] = tx_byte(sent + i);
            k = tls_client_write(&tls, buf, chunk);
            if (k <= 0)
                break;
            sent += (uint32_t)k;
        }
        if (rcvd >= total && !ku_sent) {
            console_printf("[tlstest] %u bytes sent, %u received, %u wrong\n", sent, rcvd, bad);
            verdict(rcvd == total && bad == 0, full_step() ? "256 KiB each way, checked"
                                                           : "a line each way after resuming");
            ku_sent = true;
            if (full_step()) {
                int rc = tls_client_key_update(&tls, true);
                verdict(rc == 0 && tls_client_write(&tls, "keyupdate-check\n", 16) == 16,
                        "KeyUpdate (update_requested) sent");
            } else {
                ku_checked = true;
            }
        }
        if (ku_sent && !ku_checked && strstr(tail, "kcehc-etadpuyek")) {
            verdict(true, "a line each way after the KeyUpdate");
            ku_checked = true;
        }
        if (ku_checked && !close_sent)
            close_sent = tls_client_write(&tls, "CLOSE\n", 6) == 6;
        alive = pump(n, now);
        moved = rcvd + sent + tail_len != before;
    }
    enum tls_state st = tls_client_state(&tls);
    if (close_sent && (st == TLS_ST_CLOSED || !alive)) {
        tls_client_close(&tls);
        pump(n, now);
        console_printf("[tlstest] connection took %u ms\n", now - step_t0);
        finish(n, now, true, "closed");
        start(step == ST_FULL ? ST_RESUMED : step == ST_RESUMED ? ST_IMP_FULL
                                           : step == ST_IMP_FULL ? ST_IMP_RESUMED : ST_DONE,
              now);
    } else if (!alive || st == TLS_ST_FAILED) {
        finish(n, now, false, "connection ended early");
        start(ST_DONE, now);
    }
}

void net_service_test_poll(struct net *n, uint32_t now)
{
    impair_flush(n, now);
    if (step != ST_DHCP && step != ST_DONE && now - step_t0 > STEP_TIMEOUT_MS) {
        console_printf("[tlstest] state %d sent %u rcvd %u\n", tls_client_state(&tls), sent, rcvd);
        finish(n, now, false, "timed out");
        start(ST_DONE, now);
    }
    switch (step) {
    case ST_DHCP:
        if (dhcp_state(n) == DHCP_BOUND) {
            verdict(identity() == 0, "device identity from provisioning page 3");
            start(ST_FULL, now);
        }
        break;
    case ST_FULL:
    case ST_IMP_FULL:
        if (open)
            run(n, now, TOTAL);
        break;
    case ST_RESUMED:
    case ST_IMP_RESUMED:
        if (open)
            run(n, now, LINE);
        break;
    case ST_DONE:
        if (now - step_t0 < 1000u)
            break;
        tls_tickets_wipe(&tickets);
        crypto_wipe(key, sizeof(key));
        console_printf("[tlstest] impairment: %u dropped, %u duplicated, %u reordered\n",
                       impair_counts.drop, impair_counts.dup, impair_counts.reorder);
        console_printf("[tlstest] DONE failures=%u\n", failures);
        board_exit(failures ? 1u : 0u);
    }
}
