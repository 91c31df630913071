/*
 * libFuzzer target for microvisor/tls/x509.c: the parser on arbitrary
 * DER, then (when it parses) the chain check with the input as leaf,
 * as intermediate and as anchor, with time known and unknown.
 */
#include <stdlib.h>
#include <string.h>

#include "test_anchor.h"
#include "x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    x509_cert_t x, anchor, chain[2];
    if (x509_parse(&anchor, test_anchor, sizeof(test_anchor)) != 0)
        abort();
    int rc = x509_parse(&x, data, size);
    if (rc != 0) {
        static const uint8_t zero[sizeof(x509_cert_t)];
        if (memcmp(&x, zero, sizeof(x)) != 0 || rc < -X509_E_COUNT || rc > 0)
            abort();
        return 0;
    }
    x509_window_t w;
    x509_chain_check(&x, 1, &anchor, "cloud.keel.test", 15, true, 1764633600, &w);
    x509_chain_check(&x, 1, &anchor, "cloud.keel.test", 15, false, 0, NULL);
    chain[0] = x;
    chain[1] = x;
    x509_chain_check(chain, 2, &x, "cloud.keel.test", 15, true, 0, NULL);
    chain[1] = anchor;
    x509_chain_check(chain, 2, &anchor, "x", 1, true, 4102444800, NULL);
    return 0;
}
