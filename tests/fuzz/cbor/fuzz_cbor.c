/* fuzz_cbor: any input either is rejected or re-encodes to itself
 * (canonical form is unique), and skip agrees with the token walk. */
#include <stdlib.h>
#include <string.h>

#include "cbor.h"
#include "cbor_tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[8192];
    cbor_enc_t e;
    cbor_enc_init(&e, out, sizeof(out));
    int rc = cbor_tokens_reencode(data, size, &e);
    size_t n;
    if (rc == CBOR_OK && cbor_enc_finish(&e, &n) == CBOR_OK) {
        if (n != size || memcmp(out, data, size) != 0)
            abort();
    }
    cbor_dec_t d;
    cbor_dec_init(&d, data, size);
    while (!cbor_dec_at_end(&d) && cbor_skip(&d) == CBOR_OK)
        ;
    /* a stream the token walk accepts is also skippable unless it nests
     * too deep or ends inside a container the flat walk cannot see; the
     * walk alone refuses negative integers below INT64_MIN (CBOR_ERANGE) */
    int sk = cbor_dec_error(&d);
    if (rc == CBOR_OK && sk != CBOR_OK && sk != CBOR_EDEPTH && sk != CBOR_ETRUNCATED)
        abort();
    if (rc != CBOR_OK && rc != CBOR_ERANGE && sk == CBOR_OK)
        abort();
    return 0;
}
