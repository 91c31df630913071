/*
 * entropy.h: random numbers for a device without a TRNG (lib/entropy).
 *
 * Two parts, both portable and host-tested:
 *
 *  - a DRBG: ChaCha20 used as a "fast key erasure" generator (Bernstein,
 *    2017): each request runs ChaCha20 under the current key with a zero
 *    nonce; the first 32 bytes of that key stream become the next key and
 *    are never output, the rest is the output. Once a request returns, the
 *    key that produced it is gone, so a later compromise of the state does
 *    not reveal earlier outputs (backtracking resistance). No reseeding
 *    from fresh entropy happens after the seed (there is none to be had):
 *    prediction resistance comes only from the seed's secrecy.
 *
 *  - a boot counter persisted in flash, incremented and made durable
 *    BEFORE the boot's generator is seeded, so no two boots ever seed it
 *    with the same counter, whatever the power cuts (see
 *    entropy_bootcount_next).
 *
 * entropy_seed() derives the generator's key from a per-device secret, the
 * boot counter and whatever jitter the board can measure (HKDF-SHA256).
 * docs/network.md and docs/security/threat-model.md state what this does
 * and does not protect against.
 *
 * No heap. The caller owns every context; entropy_drbg_wipe() clears one.
 */
#ifndef KEEL_ENTROPY_H
#define KEEL_ENTROPY_H

#include <stddef.h>
#include <stdint.h>

#include "flash.h"

#define ENTROPY_OK 0
#define ENTROPY_EFLASH (-1)     /* the counter record could not be made durable */
#define ENTROPY_EEXHAUSTED (-2) /* the counter reached 2^32 - 1 */

/* The generator's whole state: one ChaCha20 key. */
struct entropy_drbg {
    uint8_t key[32];
};

/* Sets the key (copied; key may be wiped by the caller afterwards). */
void entropy_drbg_init(struct entropy_drbg *d, const uint8_t key[32]);
/* Fills out[0..len) (any length; keys are erased every 1 KiB of output). */
void entropy_drbg_generate(struct entropy_drbg *d, void *out, size_t len);
/* 32 random bits. */
uint32_t entropy_drbg_u32(struct entropy_drbg *d);
void entropy_drbg_wipe(struct entropy_drbg *d);

/*
 * Seeds d with key = HKDF-SHA256(salt = "keel/entropy/v1",
 *                                IKM  = secret || boot_count (LE 32) || extra,
 *                                info = "chacha20 drbg key", 32 bytes).
 * secret: the device's secret (32 bytes) or NULL when the device has none
 * (then the stream is unique per boot but predictable to whoever knows the
 * inputs: see the threat model). extra: board noise (timer jitter, the
 * device id), extra_len <= 256. Borrowed for the call; wiped here are only
 * the function's own temporaries.
 */
void entropy_seed(struct entropy_drbg *d, const uint8_t *secret, uint32_t boot_count,
                  const void *extra, size_t extra_len);

/*
 * The boot counter: two flash pages at `area` (page aligned) of 16-byte
 * records written once into erased flash (docs/flash-layout.md):
 *
 *   +--------+---------+--------+--------+
 *   | "KBC1" | counter | crc32  | ~crc32 |   crc32 over the first 8 bytes
 *   +--------+---------+--------+--------+
 *
 * entropy_bootcount_next() finds the highest valid counter in both pages,
 * appends counter + 1 after the last programmed unit of its page (or, when
 * that page is full, erases the other page and starts it), reads the
 * record back, and only then returns the new value in *out. A power cut
 * before the read-back returns nothing, and the next boot gets a value
 * above every value ever returned: a torn record reads as invalid, and the
 * page holding the highest counter is never erased. 0 or ENTROPY_E*.
 * The first boot returns 1.
 */
int entropy_bootcount_next(const flash_t *f, uint32_t area, uint32_t *out);
/* The highest valid counter (0 if none). */
uint32_t entropy_bootcount_read(const flash_t *f, uint32_t area);

#endif /* KEEL_ENTROPY_H */
