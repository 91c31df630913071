/*
 * provision.h: keel provision (cli/keel_provision.c) and the an505 layout
 * lib/update uses on the device (docs/flash-layout.md).
 */
#ifndef KEEL_PROVISION_H
#define KEEL_PROVISION_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

#include "flash.h"
#include "provision_record.h"
#include "update.h"

extern const struct update_layout keel_an505_layout;

int cmd_provision(int argc, char **argv);

/* A new fleet CA: an Ed25519 key and its self-signed certificate. 0, or -1
 * (nothing to free). */
int provision_make_ca(X509 **ca, EVP_PKEY **key);
/* Reads a CA certificate and its private key (PEM; the two paths may name
 * one file holding both) and checks they belong together. 0, or -1. */
int provision_load_ca(const char *cert_path, const char *key_path, X509 **ca,
                      EVP_PKEY **key);
/* Gives the device in fl a new identity: a fresh Ed25519 key, the
 * provisioning record (page 0: device id, public key) and the identity page
 * (page 3: the key's seed and a certificate for it from ca, CN = device
 * id). Writes the device id, NUL-terminated, to id. 0, or -1. */
int provision_identity(const flash_t *fl, X509 *ca, EVP_PKEY *ca_key,
                       char id[PROVISION_ID_LEN + 1]);

/* Where the device's cloud link goes (the cloud page, page 4). */
struct provision_cloud_args {
    const char *host;  /* the broker's name: SNI and the certificate check */
    uint32_t addr;     /* IPv4, host order; 0: the device resolves host by DNS */
    uint16_t port;
};
/* Parses "HOST:PORT[@A.B.C.D]" into *c (host points into s, which is
 * modified). 0, or -1 with the reason on stderr (who names the caller). */
int provision_cloud_arg(char *s, struct provision_cloud_args *c, const char *who);
/* Writes the cloud page: c and the trust anchor (the fleet CA certificate
 * the broker's certificate chains to). 0, or -1. */
int provision_cloud(const flash_t *fl, const struct provision_cloud_args *c, X509 *anchor);

/* Installs an image (signed envelope + slot bytes) with the device's own
 * update engine, boots it once and confirms it: the factory path is the
 * FOTA path. Prints what it installed; 0, or -1 with the reason on stderr
 * (name names the image in messages; quiet: no line on success). */
int provision_install(update_t *u, const uint8_t *env, size_t env_len, const uint8_t *image,
                      size_t image_len, uint32_t comp, const char *name, bool quiet);

#endif /* KEEL_PROVISION_H */
