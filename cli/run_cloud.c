/*
 * keel run --cloud DIR and keel relay (run_cloud.h).
 *
 * IMPLEMENTATION NOTES
 * QEMU's slirp runs with restrict=on, so the emulated device reaches
 * nothing but the guestfwd rule for 10.0.2.100:PORT, and never slirp's DNS
 * (10.0.2.3 would forward to the host's resolver). The rule runs
 * `keel relay 127.0.0.1 PORT` once per TCP connection the device opens
 * (a chardev target would connect once, at QEMU's start, and could not
 * follow a broker restart). The device is provisioned with the host name
 * "localhost", which keel-cloud init's broker certificate names, and the
 * guest address, so it resolves nothing.
 */
#include "run_cloud.h"

#include <jansson.h>

#include "cloud_client.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/pem.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int broker_port(const char *dir, uint16_t *port)
{
    char path[4096], line[512];
    snprintf(path, sizeof(path), "%s/mosquitto.conf", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "keel run: --cloud %s: %s (make one with keel-cloud init)\n", path,
                strerror(errno));
        return -1;
    }
    unsigned p = 0;
    /* the first listener is the devices' one (keel-cloud init writes it first) */
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "listener %u", &p) == 1)
            break;
    fclose(f);
    if (p == 0 || p > 65535) {
        fprintf(stderr, "keel run: --cloud: no listener in %s\n", path);
        return -1;
    }
    *port = (uint16_t)p;
    return 0;
}

int run_cloud_load(const char *dir, struct run_cloud *c)
{
    char cert[4096], key[4096];
    memset(c, 0, sizeof(*c));
    snprintf(cert, sizeof(cert), "%s/ca.pem", dir);
    snprintf(key, sizeof(key), "%s/ca.key", dir);
    if (broker_port(dir, &c->port) != 0)
        return -1;
    if (provision_load_ca(cert, key, &c->ca, &c->ca_key) != 0) {
        fprintf(stderr, "keel run: --cloud: %s / %s: not the fleet CA and its key\n", cert, key);
        return -1;
    }
    c->page = (struct provision_cloud_args){ "localhost", RUN_CLOUD_GUEST_ADDR, c->port };
    return 0;
}

void run_cloud_free(struct run_cloud *c)
{
    X509_free(c->ca);
    EVP_PKEY_free(c->ca_key);
    c->ca = NULL;
    c->ca_key = NULL;
}

int run_cloud_nic(const struct run_cloud *c, char *buf, size_t cap)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return -1;
    self[n] = 0;
    if (strchr(self, ',') || strchr(self, ' '))
        return -1; /* QEMU's option syntax and slirp's command line split there */
    int len = snprintf(buf, cap,
                       "user,id=cloud,model=lan9118,restrict=on,"
                       "guestfwd=tcp:10.0.2.100:%u-cmd:%s relay 127.0.0.1 %u",
                       c->port, self, c->port);
    return len > 0 && (size_t)len < cap ? 0 : -1;
}

int run_cloud_identity_from(const uint8_t *page, size_t len, X509 *ca)
{
    if (len < 48)
        return -1;
    uint32_t cert_len = (uint32_t)page[4] | (uint32_t)page[5] << 8 | (uint32_t)page[6] << 16 |
                        (uint32_t)page[7] << 24;
    if (cert_len > len - 48)
        return -1;
    const unsigned char *p = page + 48;
    X509 *cert = d2i_X509(NULL, &p, (long)cert_len);
    EVP_PKEY *pk = X509_get0_pubkey(ca);
    int ok = cert && pk && X509_verify(cert, pk) == 1;
    X509_free(cert);
    return ok ? 0 : -1;
}

/* Copies what is readable on `from` to `to`; 0, or -1 at EOF or error. */
static int pump(int from, int to)
{
    char buf[16384];
    ssize_t n = read(from, buf, sizeof(buf));
    if (n <= 0)
        return -1;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += w;
    }
    return 0;
}

int cmd_relay(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: keel relay HOST PORT\n"
                        "Copies stdin to a TCP connection to HOST:PORT and the connection to\n"
                        "stdout (keel run --cloud gives it to QEMU for each device connection).\n");
        return 2;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
    int s = -1;
    if (getaddrinfo(argv[1], argv[2], &hints, &ai) == 0) {
        for (struct addrinfo *a = ai; a && s < 0; a = a->ai_next) {
            s = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
            if (s >= 0 && connect(s, a->ai_addr, a->ai_addrlen) != 0) {
                close(s);
                s = -1;
            }
        }
        freeaddrinfo(ai);
    }
    if (s < 0)
        return 1; /* closing stdin is the device's connection refused */
    struct pollfd p[2] = { { .fd = 0, .events = POLLIN }, { .fd = s, .events = POLLIN } };
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && pump(0, s) != 0)
            break;
        if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) && pump(s, 1) != 0)
            break;
    }
    close(s);
    return 0;
}

int run_cloud_register(const char *id)
{
    struct kc k;
    memset(&k, 0, sizeof(k));
    if (kc_load(&k) != 0)
        return -1;
    json_t *body = json_pack("{s:s}", "id", id), *out = NULL;
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text)
        return -1;
    k.quiet_status = 409; /* registered before: the flash kept its identity */
    int rc = kc_call(&k, "POST", "/v1/devices", text, strlen(text), "application/json", false,
                     &out);
    free(text);
    json_decref(out);
    memset(k.token, 0, sizeof(k.token));
    if (rc == 0)
        fprintf(stderr, "keel: registered device %s with %s\n", id, k.url);
    else if (k.status == 409)
        fprintf(stderr, "keel: device %s is already registered with %s\n", id, k.url);
    return rc == 0 || k.status == 409 ? 0 : -1;
}
