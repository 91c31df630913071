/* Differential fuzzer: SHA-256, SHA-512 and HMAC-SHA-256 (streamed in
 * pieces chosen by the input) against libsodium. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t a[64], b[64];
    crypto_sha256_t s2;
    crypto_sha512_t s5;
    crypto_hmac_sha256_t hm;
    crypto_auth_hmacsha256_state ref;
    size_t klen, off, step;

    if (size < 2)
        return 0;
    step = 1 + data[0]; /* piece size for the streaming calls */
    klen = data[1] % 100 < size - 2 ? data[1] % 100 : size - 2;
    const uint8_t *key = data + 2, *msg = data + 2 + klen;
    size_t len = size - 2 - klen;

    crypto_sha256_init(&s2);
    crypto_sha512_init(&s5);
    crypto_hmac_sha256_init(&hm, key, klen);
    for (off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        crypto_sha256_update(&s2, msg + off, n);
        crypto_sha512_update(&s5, msg + off, n);
        crypto_hmac_sha256_update(&hm, msg + off, n);
    }
    crypto_sha256_final(&s2, a);
    crypto_hash_sha256(b, msg, len);
    if (memcmp(a, b, 32))
        abort();
    crypto_sha512_final(&s5, a);
    crypto_hash_sha512(b, msg, len);
    if (memcmp(a, b, 64))
        abort();
    crypto_hmac_sha256_final(&hm, a);
    crypto_auth_hmacsha256_init(&ref, key, klen);
    crypto_auth_hmacsha256_update(&ref, msg, len);
    crypto_auth_hmacsha256_final(&ref, b);
    if (memcmp(a, b, 32))
        abort();
    return 0;
}
