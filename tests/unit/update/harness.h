/* Shared by the lib/update tests: a simulated an505 flash (the real memory
 * map), signing keys, signed test images, and an install helper. */
#ifndef UPDATE_HARNESS_H
#define UPDATE_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash_sim.h"
#include "keel_ossl.h"
#include "memory_map.h"
#include "update.h"

/* The crypto the device side runs on: OpenSSL by default; with
 * -DUPDATE_TEST_LIBCRYPTO, lib/crypto (what the boot ROM and microvisor
 * use). Signing is always OpenSSL, the independent implementation. */
#ifdef UPDATE_TEST_LIBCRYPTO
#include "manifest_crypto_keel.h"
#define DEVICE_CRYPTO manifest_crypto_keel
#else
#define DEVICE_CRYPTO keel_ossl_crypto
#endif

static int failures;
#define CHECK(c)                                                        \
    do {                                                                \
        if (!(c)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
            failures++;                                                 \
        }                                                               \
    } while (0)
#define EXPECT(call, want)                                              \
    do {                                                                \
        int got_ = (call);                                              \
        if (got_ != (want)) {                                           \
            fprintf(stderr, "%s:%d: %s = %d (%s), want %s\n", __FILE__, __LINE__, #call, \
                    got_, update_strerror(got_), #want);                \
            failures++;                                                 \
        }                                                               \
    } while (0)

#define PAGE 8192u
static uint8_t *mem, *bitmap;
static flash_sim_t sim;
static flash_t fl;
static struct manifest_trust trust;
static const uint8_t seed_mv[32] = {11}, seed_app[32] = {12}, seed_evil[32] = {13};
static const struct update_layout layout = {
    .slot = {{0, 0}, {FLASH_MV_SLOT_A, FLASH_MV_SLOT_B}, {FLASH_APP_SLOT_A, FLASH_APP_SLOT_B}},
    .slot_size = {0, FLASH_MV_SLOT_SIZE, FLASH_APP_SLOT_SIZE},
    .journal = FLASH_STATE,
};

struct image {
    uint32_t comp, version, counter;
    size_t size;          /* bytes of all layers, padded, as sent */
    uint8_t *bytes;
    uint8_t env[MANIFEST_MAX_SIZE];
    size_t env_len;
};

static void add_signer(const uint8_t seed[32], uint32_t comp)
{
    struct manifest_key *k = &trust.keys[trust.n_keys++];
    keel_ossl_ed25519_public(seed, k->public_key);
    k->kid_len = MANIFEST_KID_SIZE;
    keel_ossl_kid(k->public_key, k->kid);
    k->scopes = 1u << comp;
}

static void harness_init(void)
{
    mem = malloc(FLASH_SIZE);
    bitmap = malloc(FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16));
    flash_sim_init(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);
    add_signer(seed_mv, MANIFEST_COMP_MICROVISOR);
    add_signer(seed_app, MANIFEST_COMP_APP);
}

/* A signed image: n_layers layers of pseudo-random bytes (sizes not
 * multiples of 16, to exercise padding), signed by seed. */
static void make_image(struct image *img, uint32_t comp, uint32_t version, uint32_t counter,
                       size_t layer_size, unsigned n_layers, const uint8_t seed[32])
{
    struct manifest m = {.component = comp, .version = version, .security_counter = counter,
                         .n_layers = n_layers};
    size_t padded = (layer_size + 15) & ~(size_t)15;
    img->comp = comp;
    img->version = version;
    img->counter = counter;
    img->size = padded * n_layers;
    img->bytes = malloc(img->size);
    memset(img->bytes, 0xFF, img->size);
    uint32_t x = version * 2654435761u + counter;
    for (unsigned l = 0; l < n_layers; l++) {
        uint8_t *p = img->bytes + l * padded;
        for (size_t i = 0; i < layer_size; i++) {
            x = x * 1103515245u + 12345u;
            p[i] = (uint8_t)(x >> 16);
        }
        m.layers[l].target = (comp == MANIFEST_COMP_APP ? NS_CODE_BASE : MV_CODE_BASE) +
                             (uint32_t)(l * padded);
        m.layers[l].size = (uint32_t)layer_size;
        keel_ossl_sha256(p, layer_size, m.layers[l].sha256);
    }
    if (comp == MANIFEST_COMP_APP) {
        m.min_mv_version = 0x01000000;
        m.has_policy = true;
        m.policy.politeness = MANIFEST_UPDATE_POLITE;
    }
    uint8_t payload[512], prot[64], tbs[MANIFEST_SCRATCH_SIZE], sig[64], pk[32],
        kid[MANIFEST_KID_SIZE];
    size_t plen, prot_len, tbs_len;
    keel_ossl_ed25519_public(seed, pk);
    keel_ossl_kid(pk, kid);
    if (manifest_image_encode(&m, payload, sizeof(payload), &plen) ||
        manifest_protected_encode(kid, sizeof(kid), prot, sizeof(prot), &prot_len) ||
        manifest_sig_structure(prot, prot_len, payload, plen, tbs, sizeof(tbs), &tbs_len) ||
        keel_ossl_ed25519_sign(seed, tbs, tbs_len, sig) ||
        manifest_envelope_encode(prot, prot_len, payload, plen, sig, 64, img->env,
                                 sizeof(img->env), &img->env_len)) {
        fprintf(stderr, "make_image failed\n");
        exit(1);
    }
}

static int boot_ctx(update_t *u)
{
    int rc = update_init(u, &fl, &layout, &trust, &DEVICE_CRYPTO);
    u->mv_version = 0x01000000;
    return rc;
}

/* Sends the rest of img from update_next_offset() in chunks of `chunk`. */
static int send_rest(update_t *u, const struct image *img, size_t chunk)
{
    int rc;
    while (update_next_offset(u) < img->size) {
        uint32_t off = update_next_offset(u);
        size_t n = img->size - off < chunk ? img->size - off : chunk;
        if ((rc = update_write(u, off, img->bytes + off, n)))
            return rc;
    }
    return UPDATE_OK;
}

/* begin (or resume) + write + finish + activate */
static int install(update_t *u, const struct image *img, size_t chunk)
{
    int rc = update_begin(u, img->env, img->env_len);
    if (rc)
        return rc;
    if ((rc = send_rest(u, img, chunk)))
        return rc;
    if ((rc = update_finish(u)))
        return rc;
    return update_activate(u);
}

#endif
