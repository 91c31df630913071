/*
 * run_cloud.h: keel run --cloud DIR, an emulated device for a keel-cloud
 * instance on this machine (cli/run_cloud.c), and keel relay, the byte
 * pipe QEMU's slirp runs for each connection the device opens to it.
 */
#ifndef KEEL_RUN_CLOUD_H
#define KEEL_RUN_CLOUD_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>

#include "provision.h"

/* The address the emulated device reaches the broker at: slirp forwards it
 * (restrict=on: nothing else is reachable) to the broker on loopback. */
#define RUN_CLOUD_GUEST_ADDR 0x0A000264u /* 10.0.2.100 */

struct run_cloud {
    X509 *ca;           /* DIR/ca.pem: the fleet CA, the device's trust anchor */
    EVP_PKEY *ca_key;   /* DIR/ca.key: issues the device's certificate */
    uint16_t port;      /* the broker's device listener on 127.0.0.1 */
    struct provision_cloud_args page;
};

/* Reads the instance in DIR (keel-cloud init DIR): the fleet CA and the
 * broker's port. 0, or -1 with the reason on stderr. */
int run_cloud_load(const char *dir, struct run_cloud *c);
void run_cloud_free(struct run_cloud *c);

/* The -nic option that connects the device to the broker and to nothing
 * else. 0, or -1 if it does not fit. */
int run_cloud_nic(const struct run_cloud *c, char *buf, size_t cap);

/* 0 if the certificate on the identity page `page` was issued by ca (a
 * device keeps its identity across runs, so a flash provisioned for
 * another fleet is kept but cannot connect). */
int run_cloud_identity_from(const uint8_t *page, size_t len, X509 *ca);

/* keel relay HOST PORT: copies stdin to a TCP connection and the
 * connection to stdout until either side closes. */
int cmd_relay(int argc, char **argv);

/* Registers device id with the keel-cloud of the saved login (POST
 * /v1/devices); one already registered counts as done. 0 or -1. */
int run_cloud_register(const char *id);

#endif /* KEEL_RUN_CLOUD_H */
