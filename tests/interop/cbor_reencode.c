/* Reads records (4-byte little-endian length, then CBOR bytes) on stdin;
 * for each writes one status byte (0 accepted, else -error) and, if
 * accepted, the record re-encoded by lib/cbor, length-prefixed. */
#include <stdio.h>
#include <stdlib.h>

#include "cbor.h"
#include "cbor_tokens.h"

int main(void)
{
    static uint8_t in[1 << 16], out[1 << 16];
    uint8_t h[4];
    while (fread(h, 1, 4, stdin) == 4) {
        size_t n = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
        if (n > sizeof(in) || fread(in, 1, n, stdin) != n)
            return 2;
        cbor_enc_t e;
        size_t m = 0;
        cbor_enc_init(&e, out, sizeof(out));
        int rc = cbor_tokens_reencode(in, n, &e);
        /* a whole item must also be skippable as one unit */
        cbor_dec_t d;
        cbor_dec_init(&d, in, n);
        if (rc == CBOR_OK && (cbor_skip(&d) != CBOR_OK || !cbor_dec_at_end(&d)))
            rc = CBOR_ETRUNCATED;
        if (rc == CBOR_OK)
            rc = cbor_enc_finish(&e, &m);
        putchar(rc == CBOR_OK ? 0 : -rc);
        if (rc == CBOR_OK) {
            uint8_t l[4] = {(uint8_t)m, (uint8_t)(m >> 8), (uint8_t)(m >> 16), (uint8_t)(m >> 24)};
            fwrite(l, 1, 4, stdout);
            fwrite(out, 1, m, stdout);
        }
    }
    return 0;
}
