/*
 * crc32.h: CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320, initial
 * and final value 0xFFFFFFFF; the zlib/PNG CRC) of a byte string.
 *
 * Keel uses it where a torn flash write or line noise must read as "not
 * there": flash records (update journal, trusted signers, provisioning,
 * boot counter) and the update port's frames. It detects accidents, never
 * an attacker; what a device trusts is authenticated by signatures.
 */
#ifndef KEEL_CRC32_H
#define KEEL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 of p[0..n). crc32_ieee("123456789", 9) == 0xCBF43926. */
uint32_t crc32_ieee(const uint8_t *p, size_t n);

#endif /* KEEL_CRC32_H */
