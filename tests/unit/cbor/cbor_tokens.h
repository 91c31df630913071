/* Shared by test_cbor and fuzz_cbor: re-encodes a CBOR byte string token by
 * token (heads and scalars, no tree); for canonical input the output must
 * equal the input byte for byte. Returns the decoder's verdict. */
#ifndef CBOR_TOKENS_H
#define CBOR_TOKENS_H

#include "cbor.h"

static int cbor_tokens_reencode(const uint8_t *in, size_t n, cbor_enc_t *e)
{
    cbor_dec_t d;
    cbor_dec_init(&d, in, n);
    while (!cbor_dec_at_end(&d)) {
        int t = cbor_peek_type(&d);
        uint64_t u;
        int64_t i;
        const uint8_t *p;
        const char *s;
        size_t len;
        bool b;
        switch (t) {
        case CBOR_UINT:
            if (cbor_get_uint(&d, &u) == 0)
                cbor_put_uint(e, u);
            break;
        case CBOR_NINT:
            if (cbor_get_int(&d, &i) == 0)
                cbor_put_int(e, i);
            break;
        case CBOR_BSTR:
            if (cbor_get_bstr(&d, &p, &len) == 0)
                cbor_put_bstr(e, p, len);
            break;
        case CBOR_TSTR:
            if (cbor_get_tstr(&d, &s, &len) == 0)
                cbor_put_tstr(e, s, len);
            break;
        case CBOR_ARRAY:
            if (cbor_get_array(&d, &len) == 0)
                cbor_put_array(e, len);
            break;
        case CBOR_MAP:
            if (cbor_get_map(&d, &len) == 0)
                cbor_put_map(e, len);
            break;
        case CBOR_TAG:
            if (cbor_get_tag(&d, &u) == 0)
                cbor_put_tag(e, u);
            break;
        case CBOR_SIMPLE:
            if (cbor_get_null(&d) == 0)
                cbor_put_null(e);
            else if (cbor_dec_error(&d) == CBOR_ETYPE) {
                d.err = 0; /* not null: must be a bool */
                if (cbor_get_bool(&d, &b) == 0)
                    cbor_put_bool(e, b);
            }
            break;
        default:
            break;
        }
        if (cbor_dec_error(&d))
            return cbor_dec_error(&d);
    }
    return CBOR_OK;
}

#endif
