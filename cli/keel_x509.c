/* keel_x509.c: fleet certificates (keel_x509.h). */
#include "keel_x509.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VALID_S (20L * 365 * 86400)

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int keel_x509_device_serial(const char *id, unsigned char serial[KEEL_X509_DEVICE_SERIAL_LEN])
{
    if (!id || strlen(id) != 34 || id[0] != 'U' || id[1] != 'V')
        return -1;
    serial[0] = 0x01; /* leading byte keeps the INTEGER positive and 17 bytes long */
    for (int i = 0; i < 16; i++) {
        int hi = hexval(id[2 + 2 * i]), lo = hexval(id[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return -1;
        serial[1 + i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

/* The certificate's serial: the device id's for a device, random otherwise. */
static int set_serial(X509 *x, const char *cn, enum keel_x509_kind kind)
{
    unsigned char dev[KEEL_X509_DEVICE_SERIAL_LEN];
    BIGNUM *bn = NULL;
    int ok;
    if (kind == KEEL_X509_CLIENT && keel_x509_device_serial(cn, dev) == 0)
        ok = (bn = BN_bin2bn(dev, sizeof(dev), NULL)) != NULL;
    else
        ok = (bn = BN_new()) != NULL && BN_rand(bn, 64, 0, 0) == 1;
    ok = ok && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

EVP_PKEY *keel_x509_new_key(void)
{
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    if (!c || EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_keygen(c, &k) != 1)
        k = NULL;
    EVP_PKEY_CTX_free(c);
    return k;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = ext && X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

X509 *keel_x509_make_cert(EVP_PKEY *key, const char *cn, X509 *ca, EVP_PKEY *ca_key,
                          enum keel_x509_kind kind)
{
    X509 *x = X509_new();
    X509 *issuer = ca ? ca : x;
    int ok = x && X509_set_version(x, 2) == 1 && set_serial(x, cn, kind) == 0 &&
             X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
             X509_gmtime_adj(X509_getm_notAfter(x), VALID_S) &&
             X509_set_pubkey(x, key) == 1 &&
             X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                        (const unsigned char *)cn, -1, -1, 0) == 1 &&
             X509_set_issuer_name(x, X509_get_subject_name(issuer)) == 1;
    if (ok && kind == KEEL_X509_CA)
        ok = add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") == 0 &&
             add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") == 0;
    if (ok && kind != KEEL_X509_CA)
        ok = add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
             add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") == 0 &&
             add_ext(x, issuer, NID_ext_key_usage,
                     kind == KEEL_X509_SERVER ? "serverAuth" : "clientAuth") == 0;
    if (ok && kind == KEEL_X509_SERVER)
        ok = add_ext(x, issuer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") == 0;
    if (ok)
        ok = X509_sign(x, ca_key, NULL) > 0; /* Ed25519: no separate digest */
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int keel_x509_write_key(const char *path, EVP_PKEY *key)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = f && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
    if (f && fclose(f) != 0)
        ok = 0;
    else if (!f && fd >= 0)
        close(fd);
    return ok ? 0 : -1;
}

int keel_x509_write_cert(const char *path, X509 *cert)
{
    FILE *f = fopen(path, "w");
    int ok = f && PEM_write_X509(f, cert) == 1;
    if (f && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

/* One revoked entry: the device's serial, revoked at the CRL's issue time
 * (keel-cloud's own record has the real time; the broker needs only the
 * serial). */
static int crl_add(X509_CRL *crl, const char *id, const ASN1_TIME *when)
{
    unsigned char serial[KEEL_X509_DEVICE_SERIAL_LEN];
    X509_REVOKED *r = NULL;
    BIGNUM *bn = NULL;
    ASN1_INTEGER *ai = NULL;
    if (keel_x509_device_serial(id, serial) != 0)
        return 0; /* not a device id: nothing to revoke */
    int ok = (bn = BN_bin2bn(serial, sizeof(serial), NULL)) && (ai = BN_to_ASN1_INTEGER(bn, NULL)) &&
             (r = X509_REVOKED_new()) && X509_REVOKED_set_serialNumber(r, ai) == 1 &&
             X509_REVOKED_set_revocationDate(r, (ASN1_TIME *)when) == 1 &&
             X509_CRL_add0_revoked(crl, r) == 1;
    if (ok)
        r = NULL; /* the CRL owns it now */
    X509_REVOKED_free(r);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return ok ? 0 : -1;
}

time_t keel_x509_crl_next_issue(time_t previous)
{
    time_t t = time(NULL) - 3600;
    return t > previous ? t : previous + 1;
}

time_t keel_x509_crl_issued(const char *path)
{
    FILE *f = fopen(path, "r");
    X509_CRL *crl = f ? PEM_read_X509_CRL(f, NULL, NULL, NULL) : NULL;
    struct tm tm;
    time_t t = 0;
    if (crl && ASN1_TIME_to_tm(X509_CRL_get0_lastUpdate(crl), &tm) == 1)
        t = timegm(&tm);
    X509_CRL_free(crl);
    if (f)
        fclose(f);
    return t > 0 ? t : 0;
}

char *keel_x509_crl_pem(X509 *ca, EVP_PKEY *ca_key, const char *const *ids, size_t n,
                        time_t issued, size_t *len)
{
    long long number = (long long)issued;
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *now = ASN1_TIME_set(NULL, issued), *next = ASN1_TIME_adj(NULL, issued, 0, VALID_S);
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    BIO *mem = NULL;
    char *out = NULL;
    int ok = crl && now && next && num && X509_CRL_set_version(crl, 1) == 1 &&
             X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) == 1 &&
             X509_CRL_set1_lastUpdate(crl, now) == 1 && X509_CRL_set1_nextUpdate(crl, next) == 1 &&
             ASN1_INTEGER_set_int64(num, number) == 1 &&
             X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = crl_add(crl, ids[i], now) == 0;
    ok = ok && X509_CRL_sort(crl) == 1 && X509_CRL_sign(crl, ca_key, NULL) > 0 &&
         (mem = BIO_new(BIO_s_mem())) && PEM_write_bio_X509_CRL(mem, crl) == 1;
    if (ok) {
        char *p;
        long l = BIO_get_mem_data(mem, &p);
        if (l > 0 && (out = malloc((size_t)l))) {
            memcpy(out, p, (size_t)l);
            *len = (size_t)l;
        }
    }
    BIO_free(mem);
    ASN1_INTEGER_free(num);
    ASN1_TIME_free(now);
    ASN1_TIME_free(next);
    X509_CRL_free(crl);
    return out;
}
