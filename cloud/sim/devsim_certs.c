/*
 * devsim_certs.c: device identities for simulated devices, made as
 * keel provision makes them (cli/keel_x509.c): an Ed25519 key, a
 * certificate from the fleet CA whose CN is the device id, "UV" and the
 * first 16 bytes of SHA-256(public key) in hex.
 */
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devsim.h"
#include "keel_ossl.h"
#include "keel_x509.h"

int devsim_cert_id(const char *cert_path, char id[35])
{
    FILE *f = fopen(cert_path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    int n = x ? X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, id, 35) : -1;
    X509_free(x);
    return n == 34 ? 0 : -1;
}

int devsim_certs(int argc, char **argv)
{
    const char *ca_path = NULL, *key_path = NULL, *prefix = NULL;
    int count = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--ca"))
            ca_path = argv[i + 1];
        else if (!strcmp(argv[i], "--ca-key"))
            key_path = argv[i + 1];
        else if (!strcmp(argv[i], "--out"))
            prefix = argv[i + 1];
        else if (!strcmp(argv[i], "--count"))
            count = atoi(argv[i + 1]);
    }
    if (!ca_path || !key_path || !prefix || count < 1) {
        fprintf(stderr, "usage: keel-devsim certs --ca CA.pem --ca-key CA.key --out PREFIX "
                        "[--count N]\n");
        return 2;
    }
    FILE *f = fopen(ca_path, "r");
    X509 *ca = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    f = fopen(key_path, "r");
    EVP_PKEY *ca_key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!ca || !ca_key) {
        fprintf(stderr, "keel-devsim: cannot read the CA %s / %s\n", ca_path, key_path);
        return 1;
    }
    for (int i = 0; i < count; i++) {
        EVP_PKEY *k = keel_x509_new_key();
        uint8_t pk[32], h[32];
        size_t n = 32;
        char id[35], p[4096];
        if (!k || EVP_PKEY_get_raw_public_key(k, pk, &n) != 1)
            return 1;
        keel_ossl_sha256(pk, 32, h);
        id[0] = 'U';
        id[1] = 'V';
        for (int j = 0; j < 16; j++) {
            id[2 + 2 * j] = "0123456789ABCDEF"[h[j] >> 4];
            id[3 + 2 * j] = "0123456789ABCDEF"[h[j] & 15];
        }
        id[34] = 0;
        X509 *x = keel_x509_make_cert(k, id, ca, ca_key, KEEL_X509_CLIENT);
        snprintf(p, sizeof(p), "%s%d.key", prefix, i);
        int bad = !x || keel_x509_write_key(p, k);
        snprintf(p, sizeof(p), "%s%d.pem", prefix, i);
        bad = bad || keel_x509_write_cert(p, x);
        X509_free(x);
        EVP_PKEY_free(k);
        if (bad) {
            fprintf(stderr, "keel-devsim: cannot write %s\n", p);
            return 1;
        }
        printf("%s\n", id);
    }
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    return 0;
}
