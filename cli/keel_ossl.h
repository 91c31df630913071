/*
 * keel_ossl.h: the host's crypto for lib/manifest and lib/update, made of
 * OpenSSL (the keel CLI and host tests; the device uses lib/crypto).
 */
#ifndef KEEL_OSSL_H
#define KEEL_OSSL_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

extern const struct manifest_crypto keel_ossl_crypto;

/* Ed25519 with raw 32-byte seeds and public keys. 0 or -1. */
int keel_ossl_ed25519_public(const uint8_t seed[32], uint8_t public_key[32]);
int keel_ossl_ed25519_sign(const uint8_t seed[32], const void *msg, size_t len,
                           uint8_t sig[64]);
int keel_ossl_ed25519_verify(const uint8_t sig[64], const uint8_t public_key[32],
                             const void *msg, size_t len);
void keel_ossl_sha256(const void *data, size_t len, uint8_t out[32]);
/* kid = SHA-256(public key)[0..8) */
void keel_ossl_kid(const uint8_t public_key[32], uint8_t kid[MANIFEST_KID_SIZE]);

#endif /* KEEL_OSSL_H */
