/*
 * util.c: constant-time compare and secure wipe.
 *
 * IMPLEMENTATION NOTES
 * crypto_verify ORs the XOR of every byte pair and turns the result into
 * 0 / -1 with arithmetic only, so neither an early exit nor a data-dependent
 * branch exists. The returned -1 is all ones, far in bits from 0.
 *
 * crypto_wipe writes through a volatile pointer: a plain memset before a
 * buffer dies is a dead store the optimiser is allowed to delete, a volatile
 * store is observable behaviour and must be kept.
 */
#include "crypto.h"
#include "ct.h"

int crypto_verify(const void *a, const void *b, size_t len)
{
    uint32_t d = ct_diff(a, b, len);
    return (int)ct_nonzero_mask(ct_barrier32(d));
}

void crypto_wipe(void *p, size_t len)
{
    volatile uint8_t *v = p;
    for (size_t i = 0; i < len; i++)
        v[i] = 0;
}
