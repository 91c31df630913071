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

/*
 * The cloud page (provisioning page 4, docs/flash-layout.md): where the
 * device's cloud link goes and what it trusts there. Little-endian:
 *
 *   offset  size  field
 *   0       4     magic "KCLD"
 *   4       4     CRC-32 of bytes 12 .. 88 + anchor length (all that follows)
 *   8       4     ~CRC
 *   12      2     version (1)
 *   14      2     broker TCP port (not 0)
 *   16      4     broker IPv4 address, 0 = resolve the host name by DNS
 *   20      2     host name length (1 .. PROVISION_HOST_MAX)
 *   22      2     trust anchor length (1 .. PROVISION_ANCHOR_MAX)
 *   24      64    host name (letters, digits, '-', '.'), NUL padded
 *   88      ...   trust anchor: the fleet CA's certificate (DER)
 *
 * The host name is always what TLS checks the broker's certificate
 * against (and sends as SNI), whether or not an address is given.
 */
#define PROVISION_CLOUD_MAGIC 0x444C434Bu /* "KCLD" */
#define PROVISION_CLOUD_VERSION 1u
#define PROVISION_HOST_MAX 63u
#define PROVISION_ANCHOR_MAX 2048u
#define PROVISION_CLOUD_HDR 88u

struct provision_cloud {
    char host[PROVISION_HOST_MAX + 1]; /* NUL-terminated */
    uint32_t addr;                     /* host order; 0: use DNS */
    uint16_t port;
    uint16_t anchor_len;
    const uint8_t *anchor;             /* points into the page */
};

/* Checks the cloud page and fills *out (anchor borrowed from `page`,
 * page_len readable bytes). 0, or -1 if the page is erased, torn or
 * malformed (*out then zeroed). */
int provision_cloud_parse(const uint8_t *page, uint32_t page_len, struct provision_cloud *out);

/* Builds the page image in buf (cap bytes; the rest of the page stays
 * erased). Returns its length, or -1 for a bad host name, port or anchor
 * or too small a buffer. Host side (keel provision, keel run); the device
 * only parses. */
int provision_cloud_build(uint8_t *buf, uint32_t cap, const char *host, uint32_t addr,
                          uint16_t port, const uint8_t *anchor, uint32_t anchor_len);

#endif /* PROVISION_RECORD_H */
