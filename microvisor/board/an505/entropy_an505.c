/*
 * IMPLEMENTATION NOTES
 * board_entropy() on mps2-an505, which has no TRNG. On first use:
 *  1. the device secret: the Ed25519 identity key seed from provisioning
 *     page 3 (Secure-only flash), if the page is intact; it is only ever an
 *     HKDF input here (domain-separated by lib/entropy's salt and info),
 *     and our copy is wiped at once;
 *  2. the boot counter (lib/entropy) in FLASH_ENTROPY, incremented and read
 *     back from flash BEFORE anything is generated;
 *  3. noise: the microsecond clock around the counter's flash scan and 16
 *     samples of how many loop turns the clock takes to tick, plus the
 *     device id. Under QEMU this is worth little (none at all with
 *     -icount); on hardware it is a bonus, never relied on.
 * key = HKDF(secret || counter || noise) seeds the ChaCha20 DRBG, which
 * lives in Secure RAM (static, no heap) for the rest of the boot.
 * If the counter cannot be written (flash failure), the seed uses the last
 * counter read and the noise alone, and the console says so: streams may
 * then repeat across boots that fail the same way.
 */
#include <string.h>

#include "board.h"
#include "board_flash.h"
#include "console.h"
#include "crypto.h"
#include "entropy.h"
#include "memory_map.h"
#include "provision_record.h"

static struct entropy_drbg drbg;
static bool seeded;

static void entropy_seed_once(void)
{
    uint8_t secret[32];
    uint32_t noise[24], count = 0;
    unsigned k = 0;
    bool have_secret = provision_identity_seed((const uint8_t *)FLASH_IDENTITY,
                                               FLASH_PAGE_SIZE, secret) == 0;
    noise[k++] = (uint32_t)board_time_us();
    int rc = entropy_bootcount_next(board_flash(), FLASH_ENTROPY, &count);
    noise[k++] = (uint32_t)board_time_us();
    if (rc != ENTROPY_OK) {
        count = entropy_bootcount_read(board_flash(), FLASH_ENTROPY);
        console_printf("[entropy] boot counter not written (%d): seeding from noise\n", rc);
    }
    for (unsigned i = 0; i < 16; i++) {
        uint32_t t0 = (uint32_t)board_time_us(), spins = 0;
        while ((uint32_t)board_time_us() == t0 && spins < 100000u)
            spins++;
        noise[k++] = spins ^ (uint32_t)board_time_us() << 16;
    }
    while (k < sizeof(noise) / sizeof(noise[0]))
        noise[k++] = 0;
    uint8_t extra[sizeof(noise) + 34];
    memcpy(extra, noise, sizeof(noise));
    memcpy(extra + sizeof(noise), (const uint8_t *)FLASH_PROVISION + 8, 34); /* device id */
    entropy_seed(&drbg, have_secret ? secret : NULL, count, extra, sizeof(extra));
    crypto_wipe(secret, sizeof(secret));
    crypto_wipe(extra, sizeof(extra));
    crypto_wipe(noise, sizeof(noise));
    console_printf("[entropy] boot %lu, %s\n", (unsigned long)count,
                   have_secret ? "device secret" : "no device secret (unprovisioned)");
}

void board_entropy(void *out, size_t len)
{
    if (!seeded) {
        entropy_seed_once();
        seeded = true;
    }
    entropy_drbg_generate(&drbg, out, len);
}
