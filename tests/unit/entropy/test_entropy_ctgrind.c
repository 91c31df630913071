/*
 * Constant-time check of lib/entropy's secret handling (the ctgrind
 * technique of tests/unit/crypto/test_ctgrind.c): the device secret and
 * the generator's key are marked undefined for memcheck, then seeding and
 * generation run; any branch or memory index depending on them fails.
 * Outputs are marked defined before anything looks at them.
 */
#include <string.h>
#include <valgrind/memcheck.h>

#include "entropy.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

int main(void)
{
    uint8_t secret[32], extra[40], out[1500];
    struct entropy_drbg d;
    for (unsigned i = 0; i < sizeof(secret); i++)
        secret[i] = (uint8_t)(i * 3 + 1);
    memset(extra, 0x5a, sizeof(extra));
    SECRET(secret, sizeof(secret));
    entropy_seed(&d, secret, 7, extra, sizeof(extra));
    entropy_drbg_generate(&d, out, 10);
    entropy_drbg_generate(&d, out, sizeof(out)); /* two chunks, two keys */
    uint32_t v = entropy_drbg_u32(&d);
    SECRET(d.key, sizeof(d.key));
    entropy_drbg_generate(&d, out, 64);
    entropy_drbg_wipe(&d);
    PUBLIC(out, sizeof(out));
    PUBLIC(&v, sizeof(v));
    return out[0] == 0x5a && out[1] == 0x5a && v == 0 ? 2 : 0; /* uses the outputs */
}
