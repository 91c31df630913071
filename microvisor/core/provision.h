/* The device's provisioned identity, read from flash once at boot. */
#ifndef PROVISION_H
#define PROVISION_H

/* Reads and checks the provisioning record; 0 if the device is
 * provisioned. */
int provision_load(void);

/* Copies the 34-byte device id; -1 if the device is not provisioned. */
int provision_device_id(char id[34]);

#include <stddef.h>
#include <stdint.h>

#include "provision_record.h"

/* The device's TLS identity: key = its Ed25519 seed || public key (the
 * secret: the caller keeps it in secure RAM and wipes it when done), and
 * its certificate (DER, in flash). 0, or -1 if the device has none. */
int provision_tls_identity(uint8_t key[64], const uint8_t **cert, size_t *cert_len);

/* The cloud page (docs/flash-layout.md): 0 with *c filled (the anchor
 * points into flash), or -1 if the device was provisioned without a cloud. */
int provision_cloud_config(struct provision_cloud *c);

#endif /* PROVISION_H */
