/*
 * manifest_crypto_keel.h: struct manifest_crypto made of lib/crypto, for
 * the device (boot ROM, microvisor). Built only when lib/crypto is in the
 * tree (target keel_crypto); the host uses cli/keel_ossl.c instead.
 */
#ifndef KEEL_MANIFEST_CRYPTO_KEEL_H
#define KEEL_MANIFEST_CRYPTO_KEEL_H

#include "manifest.h"

extern const struct manifest_crypto manifest_crypto_keel;

#endif /* KEEL_MANIFEST_CRYPTO_KEEL_H */
