/*
 * tls_peer: drives microvisor/tls's client over a loopback TCP socket, for
 * the interop tests (interop_tls.py) against openssl s_server and
 * gnutls-serv.
 *
 *   tls_peer --port N --host NAME --anchor ca.der [--cert dev.der --seed dev.seed]
 *            [--suite chacha|aes] [--time UNIX] [--expect-error CLASS:NAME]
 *            [--entropy HEX128 --record FILE] [--tickets FILE [--age-tickets S]
 *            [--tamper-tickets]] STEP...
 * Steps, run in order once the handshake is done:
 *   send:TEXT      write TEXT and a newline
 *   expect:TEXT    read until the received data contains TEXT
 *   expect-keyupdate  read until the server's KeyUpdate changed our read key
 *   keyupdate      send a KeyUpdate (update_not_requested)
 *   keyupdate-req  send a KeyUpdate (update_requested)
 *   close          send close_notify and wait for the peer's (or EOF)
 *   wait-eof       read until close_notify or EOF
 * Prints "connected suite=0x...." after the handshake, "auto_keyupdates=N"
 * (KeyUpdates the engine sent by itself near a key's limit) at the end, and "error CLASS
 * NAME" on failure. --entropy and --record make the bench fixture
 * (tests/bench/tls): a fixed ClientHello and the server's bytes. Exit 0 when every step passed (or, with
 * --expect-error, when exactly that error happened), 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tls.h"

static tls_client_t client; /* about 13 KiB: not on the stack */
static FILE *record_file;   /* --record: every byte the server sent */
static tls_ticket_store_t tickets;
static const char *tickets_path; /* --tickets: the store, loaded and saved */
static uint64_t clock_skew_ms;   /* --age-tickets: pretend time passed */
static int auto_ku;              /* KeyUpdates the engine sent on its own */

static void tickets_save(void)
{
    FILE *f = tickets_path ? fopen(tickets_path, "wb") : NULL;
    if (f) {
        fwrite(&tickets, sizeof(tickets), 1, f);
        fclose(f);
    }
}
static char rx[1 << 20];
static size_t rx_len;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + clock_skew_ms;
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

/* Sends what the engine queued; 0 or -1 on a socket error. */
static int flush(int fd)
{
    size_t len;
    const uint8_t *p;
    while ((p = tls_client_sendbuf(&client, &len)), len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        tls_client_sent(&client, (size_t)w);
    }
    return 0;
}

/* One round of I/O: send, then wait up to 10 s for input and feed it. 0,
 * 1 on EOF, or a TLS error. */
static int pump(int fd)
{
    size_t room;
    if (flush(fd))
        return tls_client_eof(&client) ? tls_client_error(&client) : 1;
    uint8_t *p = tls_client_recvbuf(&client, &room);
    if (room == 0) {
        if (tls_client_error(&client))
            return tls_client_error(&client);
        return 0;
    }
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, 10000) <= 0) {
        fprintf(stderr, "tls_peer: timed out waiting for the server\n");
        exit(1);
    }
    ssize_t r = recv(fd, p, room, 0);
    if (r <= 0) {
        int rc = tls_client_eof(&client);
        return rc ? rc : 1;
    }
    if (record_file)
        fwrite(p, 1, (size_t)r, record_file);
    int rc = tls_client_received(&client, (size_t)r, now_ms());
    flush(fd);
    return rc;
}

static void drain_app(void)
{
    int n;
    while ((n = tls_client_read(&client, rx + rx_len, sizeof(rx) - 1 - rx_len)) > 0)
        rx_len += (size_t)n;
    rx[rx_len] = 0;
}

static int report(int err, const char *expect)
{
    char got[128];
    snprintf(got, sizeof(got), "%s:%s", tls_error_class(err), tls_error_name(err));
    printf("error %s %s\n", tls_error_class(err), tls_error_name(err));
    if (expect && strcmp(expect, got) == 0)
        return 0;
    if (expect)
        fprintf(stderr, "tls_peer: expected error %s, got %s\n", expect, got);
    return 1;
}

int main(int argc, char **argv)
{
    static uint8_t anchor[4096], cert[4096], key[64];
    tls_client_config_t cfg = {0};
    const char *expect = NULL;
    static uint8_t fixed_entropy[64];
    int port = 0, i, have_entropy = 0;
    int64_t unix_time = -1;
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(o, "--port"))
            port = atoi(v);
        else if (!strcmp(o, "--host"))
            cfg.host = v;
        else if (!strcmp(o, "--anchor"))
            cfg.anchor_len = read_file(v, anchor, sizeof(anchor)), cfg.anchor_der = anchor;
        else if (!strcmp(o, "--cert"))
            cfg.cert_len = read_file(v, cert, sizeof(cert)), cfg.cert_der = cert;
        else if (!strcmp(o, "--seed")) {
            uint8_t seed[32], pk[32];
            if (read_file(v, seed, 32) != 32)
                return 2;
            crypto_ed25519_keypair(pk, key, seed);
            cfg.key = key;
        } else if (!strcmp(o, "--suite"))
            cfg.suites[0] = !strcmp(v, "aes") ? TLS_SUITE_AES_128_GCM_SHA256
                                              : TLS_SUITE_CHACHA20_POLY1305_SHA256;
        else if (!strcmp(o, "--time"))
            unix_time = strtoll(v, NULL, 10);
        else if (!strcmp(o, "--expect-error"))
            expect = v;
        else if (!strcmp(o, "--entropy")) {
            /* 128 hex digits instead of getrandom (bench fixtures only) */
            for (int k = 0; k < 64 && v[2 * k] && v[2 * k + 1]; k++) {
                char hex[3] = {v[2 * k], v[2 * k + 1], 0};
                fixed_entropy[k] = (uint8_t)strtoul(hex, NULL, 16);
            }
            have_entropy = 1;
        } else if (!strcmp(o, "--record"))
            record_file = fopen(v, "wb");
        else if (!strcmp(o, "--tickets")) {
            tickets_path = v;
            FILE *f = fopen(v, "rb");
            if (f) {
                if (fread(&tickets, sizeof(tickets), 1, f) != 1)
                    memset(&tickets, 0, sizeof(tickets));
                fclose(f);
            }
            cfg.tickets = &tickets;
        } else if (!strcmp(o, "--age-tickets"))
            clock_skew_ms = strtoull(v, NULL, 10) * 1000u;
        else if (!strcmp(o, "--tamper-tickets")) {
            for (unsigned k = 0; k < TLS_TICKETS_N; k++)
                if (tickets.t[k].len)
                    tickets.t[k].ticket[tickets.t[k].len / 2] ^= 0x5a;
            i--; /* takes no value */
        }
        else {
            fprintf(stderr, "tls_peer: unknown option %s\n", o);
            return 2;
        }
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("connect");
        return 2;
    }
    uint8_t entropy[64];
    if (have_entropy)
        memcpy(entropy, fixed_entropy, 64);
    else if (getrandom(entropy, sizeof(entropy), 0) != sizeof(entropy))
        return 2;
    uint64_t init_ms = now_ms();
    int rc = tls_client_init(&client, &cfg, entropy, init_ms);
    if (rc == 0 && unix_time >= 0)
        rc = tls_client_set_time(&client, unix_time, now_ms());
    if (rc)
        return report(rc, expect);
    while (tls_client_state(&client) != TLS_ST_CONNECTED) {
        rc = pump(fd);
        if (rc < 0)
            return flush(fd), report(rc, expect);
        if (rc == 1) {
            fprintf(stderr, "tls_peer: EOF in the handshake\n");
            return report(tls_client_error(&client), expect);
        }
    }
    /* The context's fields are private to tls/, but the test may look. */
    printf("connected suite=0x%04x hrr=%d mfl=%d resumed=%d init_ms=%llu\n",
           tls_client_suite(&client), client.hrr_done, client.mfl_acked,
           tls_client_resumed(&client), (unsigned long long)init_ms);
    fflush(stdout);
    for (; i < argc; i++) {
        const char *s = argv[i];
        if (!strncmp(s, "send:", 5)) {
            char line[512];
            size_t n = (size_t)snprintf(line, sizeof(line), "%s\n", s + 5), off = 0;
            while (off < n) {
                uint64_t seq = client.wr.seq;
                int w = tls_client_write(&client, line + off, n - off);
                /* The sequence went back: the engine changed its key by
                 * itself (a KeyUpdate before the key's record limit). */
                auto_ku += w > 0 && client.wr.seq <= seq;
                if (w < 0)
                    return report(w, expect);
                off += (size_t)w;
                if (flush(fd))
                    return 1;
            }
        } else if (!strncmp(s, "expect:", 7)) {
            drain_app();
            while (!strstr(rx, s + 7)) {
                rc = pump(fd);
                drain_app();
                if (rc < 0)
                    return report(rc, expect);
                if (rc == 1 || tls_client_state(&client) == TLS_ST_CLOSED) {
                    fprintf(stderr, "tls_peer: closed before '%s' (got '%s')\n", s + 7, rx);
                    return 1;
                }
            }
            printf("got %s\n", s + 7);
            fflush(stdout);
        } else if (!strcmp(s, "expect-keyupdate")) {
            /* Until the server's KeyUpdate changed our reading key. */
            uint8_t before[32];
            memcpy(before, client.rd.secret, 32);
            while (!memcmp(before, client.rd.secret, 32)) {
                rc = pump(fd);
                drain_app();
                if (rc < 0)
                    return report(rc, expect);
                if (rc == 1 || tls_client_state(&client) == TLS_ST_CLOSED) {
                    fprintf(stderr, "tls_peer: closed before a KeyUpdate\n");
                    return 1;
                }
            }
            printf("got keyupdate\n");
            fflush(stdout);
        } else if (!strcmp(s, "keyupdate") || !strcmp(s, "keyupdate-req")) {
            rc = tls_client_key_update(&client, !strcmp(s, "keyupdate-req"));
            if (rc || flush(fd))
                return report(rc, expect);
        } else if (!strcmp(s, "close") || !strcmp(s, "wait-eof")) {
            if (!strcmp(s, "close") && (tls_client_close(&client) || flush(fd)))
                return 1;
            while ((rc = pump(fd)) == 0 && tls_client_state(&client) != TLS_ST_CLOSED)
                drain_app();
            if (rc < 0)
                return report(rc, expect);
            flush(fd);
            printf("closed\n");
        } else {
            fprintf(stderr, "tls_peer: unknown step %s\n", s);
            return 2;
        }
    }
    printf("auto_keyupdates=%d\n", auto_ku);
    int kept = 0;
    for (unsigned k = 0; k < TLS_TICKETS_N; k++)
        kept += tickets.t[k].len != 0;
    if (tickets_path) {
        printf("tickets %d", kept);
        for (unsigned k = 0; k < TLS_TICKETS_N; k++)
            printf(" %u", tickets.t[k].len);
        printf("\n");
    }
    tickets_save();
    tls_client_wipe(&client);
    close(fd);
    if (record_file)
        fclose(record_file);
    if (expect) {
        fprintf(stderr, "tls_peer: expected error %s, none happened\n", expect);
        return 1;
    }
    return 0;
}
