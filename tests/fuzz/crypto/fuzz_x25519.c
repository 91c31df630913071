/* Differential fuzzer for X25519 against libsodium (any scalar, any u,
 * including non-canonical and small-order points). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t a[32], b[32];
    if (size < 64)
        return 0;
    int o = crypto_x25519(a, data, data + 32);
    int r = crypto_scalarmult(b, data, data + 32);
    if ((o == 0) != (r == 0) || (r == 0 && memcmp(a, b, 32)))
        abort();
    return 0;
}
