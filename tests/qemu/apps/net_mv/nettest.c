/*
 * IMPLEMENTATION NOTES
 * Test driver linked only into microvisor_nettest. It overrides the weak
 * seams of net_service.c: net_service_test_poll() runs a fixed script of
 * TCP clients against the host peers behind slirp's guestfwd rules
 * (tests/net/peer.py, one process per connection), and the frame seams
 * impair traffic (drop 10%, duplicate 5%, reorder 5% in each direction)
 * when the script asks for it. Results go to the console as
 * "[nettest] PASS/FAIL ..." and "BENCH ..." lines; the run ends with
 * board_exit(0 if every step passed).
 *
 * The script starts by asking the control peer (port 7000) what to run:
 * "FULL" (everything), "IMPAIR" (only the impaired transfers) or
 * "RXBENCH" (one clean 1 MiB receive, for the instructions-per-byte
 * figure under -icount).
 */
#include <string.h>

#include "board.h"
#include "console.h"
#include "impair.h"
#include "net_service.h"

#define PEER NET_IP4(10, 0, 2, 100)
#define PORT_CONTROL 7000
#define PORT_ECHO 7001
#define PORT_SOURCE 7002
#define PORT_SINK 7003
#define PORT_VANISH 7004
#define BULK (1024u * 1024u)
#define ECHO_BYTES 16384u
#define SHORT_CONNS 20u
#define STEP_TIMEOUT_MS 400000u
/* The socket's rings, the same for every transfer, impaired or not: with
 * the stack's static RAM they are net_ram_socket (tests/net/net_figures.py
 * reads the sizes of sk, rxr and txr from this image), budgeted at 24 KiB.
 * The receive ring is the largest window the LAN9118's RX FIFO can absorb
 * in one burst (NET_TCP_RCV_WND_MAX, six segments; out-of-order data is
 * kept in it too); the send ring holds two full segments in flight.
 * Measured: a 14 KiB ring (window) lost frames in the FIFO on every clean
 * transfer; a 5840-byte send ring sent no faster. */
#ifndef NETTEST_RX_RING
#define NETTEST_RX_RING 8760u
#endif
#ifndef NETTEST_TX_RING
#define NETTEST_TX_RING 2920u
#endif

enum step {
    ST_DHCP, ST_CONTROL, ST_ECHO, ST_SHORT, ST_BULK_RX, ST_BULK_TX, ST_VANISH, ST_KEEPALIVE,
    ST_IMPAIR_RX, ST_IMPAIR_TX, ST_DNS, ST_DNS_NX, ST_RENEW, ST_LINK, ST_REBIND, ST_DONE,
};

static const char *const step_names[] = {
    "dhcp", "control", "echo", "short_connections", "bulk_rx", "bulk_tx", "vanish", "keepalive",
    "impaired_bulk_rx", "impaired_bulk_tx", "dns", "dns_nxdomain", "dhcp_renew", "link_loss", "dhcp_rebind", "done",
};

static struct tcp_sock sk;
static uint8_t rxr[NETTEST_RX_RING], txr[NETTEST_TX_RING], tmp[1536];
static enum step step;
static bool connected, closing, rx_bench_only;
static uint32_t step_t0, sent, rcvd, conns, failures, bad_bytes;
static uint64_t rx_recv_us, rx_busy0;
static char line[64];
static uint32_t line_len;

static uint8_t pat(uint32_t i)
{
    return (uint8_t)((i * 31u) ^ (i >> 8));
}

/* ---- script ---- */

static void verdict(bool ok, const char *what)
{
    console_printf("[nettest] %s %s %s\n", ok ? "PASS" : "FAIL", step_names[step], what);
    if (!ok)
        failures++;
}

static void next_step(enum step s, uint32_t now)
{
    step = s;
    step_t0 = now;
    connected = closing = false;
    sent = rcvd = bad_bytes = 0;
    line_len = 0;
    line[0] = 0;
    impair_on = s == ST_IMPAIR_RX || s == ST_IMPAIR_TX;
}

static bool open_to(struct net *n, uint16_t port, uint32_t now)
{
    if (connected)
        return true;
    if (tcp_connect(n, &sk, PEER, port, rxr, sizeof(rxr), txr, sizeof(txr), now) != 0)
        return false;
    connected = true;
    return true;
}

/* Reads into the line buffer (for text replies); returns bytes or < 0. */
static int read_line(struct net *n, uint32_t now)
{
    int k = tcp_recv(n, &sk, (uint8_t *)line + line_len, sizeof(line) - 1 - line_len, now);
    if (k > 0) {
        line_len += (uint32_t)k;
        line[line_len] = 0;
    }
    return k;
}

static void kib_per_s(const char *name, uint32_t bytes, uint32_t ms)
{
    console_printf("BENCH %s %u KiB/s\n", name, ms ? bytes / 1024u * 1000u / ms : 0u);
}

static void do_control(struct net *n, uint32_t now)
{
    if (!open_to(n, PORT_CONTROL, now))
        return;
    int k = read_line(n, now);
    if (k < 0 || sk.state == TCP_CLOSED || strchr(line, '\n')) {
        rx_bench_only = strncmp(line, "RXBENCH", 7) == 0;
        bool impair_only = strncmp(line, "IMPAIR", 6) == 0;
        bool ok = strncmp(line, "FULL", 4) == 0 || rx_bench_only || impair_only;
        verdict(ok, line);
        if (sk.state != TCP_CLOSED)
            tcp_close(n, &sk, now);
        if (sk.state == TCP_CLOSED || ok)
            next_step(rx_bench_only ? ST_BULK_RX : impair_only ? ST_IMPAIR_RX : ST_ECHO, now);
    }
}

static void do_echo(struct net *n, uint32_t now)
{
    if (!open_to(n, PORT_ECHO, now) || sk.state == TCP_SYN_SENT)
        return;
    while (sent < ECHO_BYTES) {
        uint32_t k = 0;
        while (k < sizeof(tmp) && sent + k < ECHO_BYTES) {
            tmp[k] = pat(sent + k);
            k++;
        }
        int r = tcp_send(n, &sk, tmp, k, now);
        if (r <= 0)
            break;
        sent += (uint32_t)r;
    }
    int r;
    while ((r = tcp_recv(n, &sk, tmp, sizeof(tmp), now)) > 0) {
        for (int i = 0; i < r; i++)
            bad_bytes += tmp[i] != pat(rcvd + (uint32_t)i);
        rcvd += (uint32_t)r;
    }
    if (rcvd >= ECHO_BYTES || r < 0) {
        verdict(rcvd == ECHO_BYTES && bad_bytes == 0, "16 KiB echoed intact");
        tcp_close(n, &sk, now);
        next_step(ST_SHORT, now);
    }
}

static void do_short(struct net *n, uint32_t now)
{
    if (closing) {
        if (sk.state != TCP_CLOSED) {
            if (tcp_recv(n, &sk, tmp, sizeof(tmp), now) == NET_EOF && sk.state == TCP_CLOSE_WAIT)
                tcp_close(n, &sk, now);
            return;
        }
        closing = connected = false;
        line_len = 0;
        line[0] = 0;
        if (++conns == SHORT_CONNS) {
            verdict(bad_bytes == 0, "20 connections opened, echoed, closed");
            next_step(ST_BULK_RX, now);
        }
        return;
    }
    if (!open_to(n, PORT_ECHO, now) || sk.state == TCP_SYN_SENT)
        return;
    char msg[16] = "short-00\n";
    msg[6] = (char)('0' + conns / 10);
    msg[7] = (char)('0' + conns % 10);
    if (sent == 0 && tcp_send(n, &sk, (const uint8_t *)msg, 9, now) == 9)
        sent = 9;
    int k = read_line(n, now);
    if (line_len >= 9 || k < 0) {
        bad_bytes += line_len != 9 || memcmp(line, msg, 9) != 0;
        tcp_close(n, &sk, now);
        closing = true;
        sent = 0;
    }
}

static void do_bulk_rx(struct net *n, uint32_t now)
{
    if (!open_to(n, PORT_SOURCE, now) || sk.state == TCP_SYN_SENT)
        return;
    int r;
    if (rcvd == 0 && rx_recv_us == 0)
        rx_busy0 = net_service_busy_us();
    for (;;) {
        uint64_t t0 = board_time_us();
        r = tcp_recv(n, &sk, tmp, sizeof(tmp), now);
        rx_recv_us += board_time_us() - t0;
        if (r <= 0)
            break;
        for (int i = 0; i < r; i++)
            bad_bytes += tmp[i] != pat(rcvd + (uint32_t)i);
        rcvd += (uint32_t)r;
    }
    if (r == 0)
        return;
    if (rx_bench_only) {
        /* Under -icount: 1 instruction = 1 ns. Driver, stack and the copy
         * out of the socket; not the test's own pattern check. */
        uint64_t us = net_service_busy_us() - rx_busy0 + rx_recv_us;
        console_printf("BENCH tcp_rx_instr_per_byte %u instructions/byte\n",
                       (uint32_t)(us * 1000u / (rcvd ? rcvd : 1u)));
    }
    uint32_t ms = now - step_t0;
    console_printf("[nettest] %s: %u bytes, %u bad, %u ms, end %d\n", step_names[step], rcvd,
                   bad_bytes, ms, r);
    verdict(rcvd == BULK && bad_bytes == 0 && r == NET_EOF, "1 MiB received intact");
    if (step == ST_IMPAIR_RX || step == ST_BULK_RX)
        net_service_dump_stats(); /* the receive direction's counters */
    if (step == ST_BULK_RX && !rx_bench_only)
        kib_per_s("tcp_rx_throughput", rcvd, ms);
    if (sk.state != TCP_CLOSED)
        tcp_close(n, &sk, now);
    if (rx_bench_only)
        next_step(ST_DONE, now);
    else
        next_step(step == ST_BULK_RX ? ST_BULK_TX : ST_IMPAIR_TX, now);
}

static void do_bulk_tx(struct net *n, uint32_t now)
{
    if (!open_to(n, PORT_SINK, now) || sk.state == TCP_SYN_SENT)
        return;
    while (sent < BULK && sk.state == TCP_ESTABLISHED) {
        uint32_t k = 0;
        while (k < sizeof(tmp) && sent + k < BULK) {
            tmp[k] = pat(sent + k);
            k++;
        }
        int r = tcp_send(n, &sk, tmp, k, now);
        if (r <= 0)
            break;
        sent += (uint32_t)r;
    }
    if (sent == BULK && !closing) {
        tcp_close(n, &sk, now);
        closing = true;
    }
    int r = read_line(n, now);
    if (r >= 0 && !strchr(line, '\n') && sk.state != TCP_CLOSED)
        return;
    uint32_t ms = now - step_t0;
    line[strcspn(line, "\n")] = 0; /* one console line */
    console_printf("[nettest] %s: sent %u, peer says '%s', %u ms\n", step_names[step], sent,
                   line, ms);
    verdict(sent == BULK && strncmp(line, "OK 1048576", 10) == 0, "1 MiB sent intact");
    if (step == ST_BULK_TX)
        kib_per_s("tcp_tx_throughput", sent, ms);
    if (sk.state != TCP_CLOSED)
        tcp_close(n, &sk, now);
    next_step(step == ST_BULK_TX ? ST_VANISH : ST_DONE, now);
}

static void do_vanish(struct net *n, uint32_t now)
{
    if (!open_to(n, PORT_VANISH, now) || sk.state == TCP_SYN_SENT)
        return;
    while (sent < BULK && sk.state != TCP_CLOSED) {
        memset(tmp, 'v', sizeof(tmp));
        int r = tcp_send(n, &sk, tmp, sizeof(tmp), now);
        if (r <= 0)
            break;
        sent += (uint32_t)r;
    }
    int r = tcp_recv(n, &sk, tmp, sizeof(tmp), now);
    if (r == NET_EOF && sk.state == TCP_CLOSE_WAIT && !closing) {
        tcp_close(n, &sk, now); /* the peer is gone: close our side too */
        closing = true;
    }
    if (sk.state != TCP_CLOSED)
        return;
    console_printf("[nettest] vanish: sent %u before the end (error %d)\n", sent, sk.err);
    verdict((sk.err == NET_ERR_RESET || sk.err == 0) && sk.fin_rcvd + (sk.err != 0) > 0 &&
                net_bufs_free(n) >= NET_POOL_N - NET_ARP_PENDING,
            "peer vanished: connection ended, buffers back in the pool");
    next_step(ST_KEEPALIVE, now);
}

/* Keepalive (this image has NET_TCP_KA_* shortened, see CMakeLists.txt):
 * an idle connection to the echo peer stays up while its probes are
 * answered; then every frame to us is dropped (the peer, or the path,
 * has gone silent) and keepalive must end the connection with
 * NET_ERR_TIMEOUT after NET_TCP_KA_PROBES unanswered probes. */
static uint32_t ka_black_t0, ka_probes0;

static void do_keepalive(struct net *n, uint32_t now)
{
    const uint32_t *st = net_stats(n);
    if (!open_to(n, PORT_ECHO, now) || sk.state == TCP_SYN_SENT)
        return;
    if (sent == 0 && sk.state == TCP_ESTABLISHED) {
        tcp_keepalive(&sk, true);
        if (tcp_send(n, &sk, (const uint8_t *)"ka\n", 3, now) == 3)
            sent = 3;
        ka_probes0 = st[NET_STAT_TCP_KEEPALIVE_PROBE];
        return;
    }
    if (!impair_blackhole) {
        read_line(n, now);
        /* Idle for two keepalive periods with answers: still up. */
        if (now - step_t0 < 2u * (NET_TCP_KA_IDLE_MS + NET_TCP_KA_INTVL_MS))
            return;
        bool alive = sk.state == TCP_ESTABLISHED && strcmp(line, "ka\n") == 0 &&
                     st[NET_STAT_TCP_KEEPALIVE_PROBE] - ka_probes0 >= 2u;
        console_printf("[nettest] keepalive: %u probes answered, state %d\n",
                       st[NET_STAT_TCP_KEEPALIVE_PROBE] - ka_probes0, sk.state);
        if (!alive) {
            verdict(false, "idle connection kept up by answered probes");
            tcp_abort(n, &sk, now);
            next_step(ST_DONE, now);
            return;
        }
        impair_blackhole = true;
        ka_black_t0 = now;
        return;
    }
    uint32_t limit = NET_TCP_KA_IDLE_MS + (NET_TCP_KA_PROBES + 1u) * NET_TCP_KA_INTVL_MS;
    if (sk.state != TCP_CLOSED && now - ka_black_t0 < limit + 3000u)
        return;
    uint32_t ms = now - ka_black_t0;
    impair_blackhole = false;
    console_printf("[nettest] keepalive: peer silent, connection ended after %u ms (error %d, "
                   "%u frames dropped)\n", ms, sk.err, impair_counts.blackholed);
    verdict(sk.state == TCP_CLOSED && sk.err == NET_ERR_TIMEOUT && ms >= NET_TCP_KA_IDLE_MS &&
                n->stats[NET_STAT_TCP_KEEPALIVE_TIMEOUT] == 1,
            "silent peer detected by keepalive");
    if (sk.state != TCP_CLOSED)
        tcp_abort(n, &sk, now);
    next_step(ST_DONE, now);
}

static void do_dns(struct net *n, uint32_t now)
{
    uint32_t ip = 0;
    const char *name = step == ST_DNS ? "broker.keel.test" : "nxdomain.keel.test";
    if (!connected) {
        connected = dns_query(n, name, now) == 0;
        return;
    }
    enum dns_state st = dns_result(n, &ip);
    if (st == DNS_PENDING)
        return;
    console_printf("[nettest] %s: state %d address %u.%u.%u.%u\n", name, st, ip >> 24,
                   (ip >> 16) & 255u, (ip >> 8) & 255u, ip & 255u);
    if (step == ST_DNS) {
        verdict(st == DNS_DONE && ip == NET_IP4(10, 0, 3, 100) &&
                    n->stats[NET_STAT_DNS_MISMATCH] >= 1 && n->stats[NET_STAT_DNS_NOT_OURS] >= 1,
                "A record through a CNAME; forged answers ignored");
        next_step(ST_DNS_NX, now);
    } else {
        verdict(st == DNS_FAILED, "NXDOMAIN reported as failure");
        next_step(ST_RENEW, now);
    }
}

void net_service_test_poll(struct net *n, uint32_t now)
{
    impair_flush(n, now);
    if (step != ST_DHCP && step != ST_DONE && now - step_t0 > STEP_TIMEOUT_MS) {
        verdict(false, "timed out");
        console_printf("[nettest] state %d sent %u rcvd %u snd_una-iss %u rto %u\n", sk.state,
                       sent, rcvd, sk.snd_una - sk.iss, sk.rto);
        tcp_abort(n, &sk, now);
        next_step(ST_DONE, now);
    }
    switch (step) {
    case ST_DHCP:
        if (dhcp_state(n) == DHCP_BOUND) {
            next_step(ST_DHCP, now);
            if (n->ip == NET_IP4(10, 0, 3, 15)) { /* the l2_peer fixture */
                verdict(n->dns_server == NET_IP4(10, 0, 3, 3), "lease 10.0.3.15 from the fixture");
                next_step(ST_DNS, now);
                break;
            }
            verdict(n->ip == NET_IP4(10, 0, 2, 15), "lease 10.0.2.15 from slirp");
            next_step(ST_CONTROL, now);
        }
        break;
    case ST_CONTROL: do_control(n, now); break;
    case ST_ECHO: do_echo(n, now); break;
    case ST_SHORT: do_short(n, now); break;
    case ST_BULK_RX:
    case ST_IMPAIR_RX: do_bulk_rx(n, now); break;
    case ST_BULK_TX:
    case ST_IMPAIR_TX: do_bulk_tx(n, now); break;
    case ST_VANISH: do_vanish(n, now); break;
    case ST_KEEPALIVE: do_keepalive(n, now); break;
    case ST_DNS:
    case ST_DNS_NX: do_dns(n, now); break;
    case ST_RENEW:
        if (n->dhcp.bound_count >= 3) { /* bound, renewed twice (6 s lease) */
            verdict(n->ip == NET_IP4(10, 0, 3, 15), "lease renewed at T1");
            next_step(ST_LINK, now);
            sent = n->dhcp.bound_count;
        }
        break;
    case ST_LINK: /* the test script takes the link down and up (QMP set_link) */
        if (!n->link_up && !closing) {
            console_printf("[nettest] link down\n");
            closing = true;
        }
        if (closing && n->link_up && dhcp_state(n) == DHCP_BOUND && n->dhcp.bound_count > sent) {
            verdict(n->ip == NET_IP4(10, 0, 3, 15), "link lost and back: lease confirmed (INIT-REBOOT)");
            next_step(ST_REBIND, now);
            sent = n->dhcp.bound_count;
        }
        break;
    case ST_REBIND: /* the fixture now ignores unicast renewals */
        if (dhcp_state(n) == DHCP_REBINDING && !closing) {
            console_printf("[nettest] rebinding (T2)\n");
            closing = true;
        }
        if (closing && dhcp_state(n) == DHCP_BOUND && n->dhcp.bound_count > sent) {
            verdict(n->ip == NET_IP4(10, 0, 3, 15), "renewal unanswered: lease rebound at T2");
            next_step(ST_DONE, now);
        }
        break;
    case ST_DONE:
        if (sk.state != TCP_CLOSED && now - step_t0 < 5000u)
            break;
        console_printf("[nettest] impairment: %u dropped, %u duplicated, %u reordered\n",
                       impair_counts.drop, impair_counts.dup, impair_counts.reorder);
        net_service_dump_stats();
        console_printf("[nettest] DONE failures=%u\n", failures);
        board_exit(failures ? 1u : 0u);
    }
}
