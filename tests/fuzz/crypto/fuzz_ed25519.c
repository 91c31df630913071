/* Differential fuzzer for Ed25519 verification against libsodium 1.0.18.
 * Mode 0: public key, signature and message straight from the input.
 * Mode 1: a valid signature is made from a seed in the input, then XOR
 * masks from the input are applied to the key and signature, so the
 * fuzzer explores near-valid inputs (S + kL, small-order points, sign
 * bits, non-canonical encodings) where verdicts could differ. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t pk[32], sk[64], sig[64], pk2[32], sk2[64];
    const uint8_t *msg;
    size_t len;

    if (size < 1 + 32 + 64)
        return 0;
    if (data[0] & 1) {
        crypto_ed25519_keypair(pk, sk, data + 1);
        crypto_sign_seed_keypair(pk2, sk2, data + 1);
        if (memcmp(pk, pk2, 32))
            abort();
        msg = data + 97;
        len = size - 97;
        crypto_ed25519_sign(sig, sk, msg, len);
        if (crypto_ed25519_verify(sig, pk, msg, len) != 0)
            abort();
        /* sparse masks: only bytes selected by data[0]'s high bits */
        for (int i = 0; i < 64; i++)
            if (((data[0] >> 1) & 7) == (i & 7))
                sig[i] ^= data[33 + i];
        if (data[0] & 0x80)
            for (int i = 0; i < 32; i++)
                pk[i] ^= data[1 + i];
    } else {
        memcpy(pk, data + 1, 32);
        memcpy(sig, data + 33, 64);
        msg = data + 97;
        len = size - 97;
    }
    int o = crypto_ed25519_verify(sig, pk, msg, len);
    int r = crypto_sign_verify_detached(sig, msg, len, pk);
    if ((o == 0) != (r == 0) || (o != 0 && o != CRYPTO_EFORGED))
        abort();
    return 0;
}
