/*
 * bundle.h: the keel bundle file (docs/images.md) and the signing verbs
 * keel keygen, bundle, sign, inspect and verify (host only; OpenSSL).
 *
 *   offset  size  field (little-endian)
 *   0       8     magic "KEELBDL\0"
 *   8       4     format version (1)
 *   12      4     manifest envelope length M (<= MANIFEST_MAX_SIZE)
 *   16      4     image length N (the layers, each padded to 16 with 0xFF)
 *   20      12    zero
 *   32      M     manifest envelope (COSE_Sign1), then zero padding to 16
 *   32+M'   N     image bytes: exactly what the device's slot holds and what
 *                 FOTA sends, layer i at the sum of the earlier padded sizes
 */
#ifndef KEEL_BUNDLE_H
#define KEEL_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#define BUNDLE_MAGIC "KEELBDL"
#define BUNDLE_VERSION 1u
#define BUNDLE_HEADER_SIZE 32u

struct bundle {
    uint8_t *envelope;
    size_t envelope_len;
    uint8_t *image;
    size_t image_len;
    uint8_t *file; /* what envelope and image point into (malloc'd) */
};

/* 0, or -1 with a reason in err. */
int bundle_read(const char *path, struct bundle *b, char *err, size_t errlen);
int bundle_write(const char *path, const uint8_t *env, size_t env_len, const uint8_t *image,
                 size_t image_len);
void bundle_free(struct bundle *b);
/* An Ed25519 private key (PEM, from keel keygen) as its 32-byte seed. 0 or -1. */
int bundle_load_seed(const char *path, uint8_t seed[32]);
/* A COSE_Sign1 envelope (MANIFEST_MAX_SIZE bytes of room) around payload,
 * signed with seed (unsigned if NULL). 0 or -1. */
int bundle_seal(const uint8_t *payload, size_t plen, const uint8_t seed[32], uint8_t *env,
                size_t *env_len);

int cmd_keygen(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);

#endif /* KEEL_BUNDLE_H */
