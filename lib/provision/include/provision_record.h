/*
 * The provisioning record: the first bytes of the flash's provisioning area,
 * written once at the factory (keel run / keel provision) and only read by
 * the device. It names the device; identity keys, the certificate and trust
 * anchors join it with signed images (issue 4).
 *
 *   offset  size  field
 *   0       4     magic "PROV"
 *   4       4     version (1)
 *   8       34    device id: "UV" + 32 upper-case hex digits, the first
 *                 16 bytes of SHA-256 of the device's Ed25519 public key
 *   42      2     zero
 *   44      32    device Ed25519 public key
 *   76      52    zero (reserved)
 */
#ifndef PROVISION_RECORD_H
#define PROVISION_RECORD_H

#include <stdint.h>

#define PROVISION_MAGIC   0x564F5250u /* "PROV" */
#define PROVISION_VERSION 1u
#define PROVISION_ID_LEN  34u

struct provision_record {
    uint32_t magic;
    uint32_t version;
    char device_id[PROVISION_ID_LEN];
    uint8_t pad[2];
    uint8_t public_key[32];
    uint8_t reserved[52];
};

_Static_assert(sizeof(struct provision_record) == 128, "flash format");

/* 0 if the record is well formed (magic, version, id syntax, zero pad and
 * reserved bytes), else -1. */
int provision_record_check(const struct provision_record *rec);

/*
 * The device identity page (provisioning page 3, docs/flash-layout.md):
 * "KIDN", certificate length, CRC-32 of seed and certificate, ~CRC, the
 * 32-byte Ed25519 private key seed, the certificate. Copies the seed into
 * seed[32] if the page is intact; 0, or -1 (seed untouched). `page` is
 * page_len readable bytes (on an505 the memory-mapped flash page), only
 * borrowed. The seed is the device's secret: the caller wipes its copy.
 */
#define PROVISION_IDENTITY_MAGIC 0x4E44494Bu /* "KIDN" */
int provision_identity_seed(const uint8_t *page, uint32_t page_len, uint8_t seed[32]);

#endif /* PROVISION_RECORD_H */
