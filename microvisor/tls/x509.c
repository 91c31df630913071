/*
 * x509.c: the certificate parser and chain check (see x509.h).
 *
 * IMPLEMENTATION NOTES
 * - Every read goes through a cursor {ptr, len}: der_next() takes one
 *   TLV off the front after checking its header and length against what
 *   remains, and hands back the content as a new cursor. A parse step
 *   never indexes past its cursor, so a truncated or lying length can
 *   only ever produce X509_E_DECODE.
 * - Lengths: definite form only, minimal encoding, at most 3 length
 *   bytes (a certificate is bounded by TLS_CERT_MAX anyway).
 * - Only the fields the chain check needs are decoded; the rest of the
 *   TBS is stepped over with its length checked. Names are compared as
 *   DER bytes, as they are issued by one CA and copied by it into the
 *   issuer field (RFC 5280 7.1 allows the binary compare).
 * - Time: UTCTime (YYMMDDHHMMSSZ, years 1950..2049) and GeneralizedTime
 *   (YYYYMMDDHHMMSSZ), "Z" only, as RFC 5280 4.1.2.5 requires.
 */
#include "x509.h"

#include <string.h>

#include "crypto.h"

typedef struct {
    const uint8_t *p;
    size_t n;
} der_t;

#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_UTCTIME 0x17
#define DER_GENTIME 0x18
#define DER_SEQUENCE 0x30
#define DER_CTX0 0xa0
#define DER_CTX3 0xa3
#define DER_DNSNAME 0x82

/* One TLV of type `tag` off the front of *c; its content in *out and, if
 * whole is not NULL, the TLV with its header in *whole. */
static int der_next(der_t *c, uint8_t tag, der_t *out, x509_span_t *whole)
{
    if (c->n < 2 || c->p[0] != tag)
        return X509_E_DECODE;
    size_t hl = 2, len = c->p[1];
    if (len & 0x80) {
        size_t k = len & 0x7f;
        if (k == 0 || k > 3 || c->n < 2 + k || c->p[2] == 0)
            return X509_E_DECODE;
        len = 0;
        for (size_t i = 0; i < k; i++)
            len = (len << 8) | c->p[2 + i];
        if (len < 0x80)
            return X509_E_DECODE; /* not minimal */
        hl = 2 + k;
    }
    if (len > c->n - hl)
        return X509_E_DECODE;
    if (whole) {
        whole->ptr = c->p;
        whole->len = hl + len;
    }
    out->p = c->p + hl;
    out->n = len;
    c->p += hl + len;
    c->n -= hl + len;
    return 0;
}

static bool der_peek(const der_t *c, uint8_t tag)
{
    return c->n > 0 && c->p[0] == tag;
}

static bool der_eq(const der_t *d, const uint8_t *v, size_t n)
{
    return d->n == n && memcmp(d->p, v, n) == 0;
}

/* DER encodings of the OIDs used. */
static const uint8_t OID_ED25519[] = {0x2b, 0x65, 0x70};
static const uint8_t OID_RSA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const uint8_t OID_EC[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t OID_SKI[] = {0x55, 0x1d, 0x0e};
static const uint8_t OID_KU[] = {0x55, 0x1d, 0x0f};
static const uint8_t OID_SAN[] = {0x55, 0x1d, 0x11};
static const uint8_t OID_BC[] = {0x55, 0x1d, 0x13};
static const uint8_t OID_AKI[] = {0x55, 0x1d, 0x23};
static const uint8_t OID_EKU[] = {0x55, 0x1d, 0x25};
static const uint8_t OID_EKU_ANY[] = {0x55, 0x1d, 0x25, 0x00};
static const uint8_t OID_EKU_SERVER[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
static const uint8_t OID_EKU_CLIENT[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02};

/* AlgorithmIdentifier that must be Ed25519 with absent parameters. */
static int parse_sig_alg(der_t *c)
{
    der_t seq, oid;
    if (der_next(c, DER_SEQUENCE, &seq, NULL) || der_next(&seq, DER_OID, &oid, NULL))
        return X509_E_DECODE;
    if (!der_eq(&oid, OID_ED25519, sizeof(OID_ED25519)) || seq.n != 0)
        return X509_E_SIG_ALG;
    return 0;
}

static int parse_pubkey(der_t *c, x509_cert_t *x)
{
    der_t spki, alg, oid, bits;
    if (der_next(c, DER_SEQUENCE, &spki, NULL) || der_next(&spki, DER_SEQUENCE, &alg, NULL) ||
        der_next(&alg, DER_OID, &oid, NULL))
        return X509_E_DECODE;
    if (der_eq(&oid, OID_RSA, sizeof(OID_RSA)))
        return X509_E_KEY_RSA;
    if (der_eq(&oid, OID_EC, sizeof(OID_EC)))
        return X509_E_KEY_EC;
    if (!der_eq(&oid, OID_ED25519, sizeof(OID_ED25519)))
        return X509_E_KEY_OTHER;
    if (alg.n != 0 || der_next(&spki, DER_BIT_STRING, &bits, NULL) || spki.n != 0 ||
        bits.n != 33 || bits.p[0] != 0)
        return X509_E_DECODE;
    x->pubkey = bits.p + 1;
    return 0;
}

static int digits(const uint8_t *p, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return X509_E_DECODE;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), after Howard
 * Hinnant's days_from_civil. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int parse_time(der_t *c, int64_t *out)
{
    der_t t;
    int y, mo, d, h, mi, s;
    const uint8_t *p;
    if (der_peek(c, DER_UTCTIME)) {
        if (der_next(c, DER_UTCTIME, &t, NULL) || t.n != 13 || digits(t.p, 2, &y))
            return X509_E_DECODE;
        y += y < 50 ? 2000 : 1900;
        p = t.p + 2;
    } else {
        if (der_next(c, DER_GENTIME, &t, NULL) || t.n != 15 || digits(t.p, 4, &y))
            return X509_E_DECODE;
        p = t.p + 4;
    }
    if (p[10] != 'Z' || digits(p, 2, &mo) || digits(p + 2, 2, &d) || digits(p + 4, 2, &h) ||
        digits(p + 6, 2, &mi) || digits(p + 8, 2, &s))
        return X509_E_DECODE;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return X509_E_DECODE;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return 0;
}

static int parse_basic_constraints(der_t v, x509_cert_t *x)
{
    der_t seq, b, i;
    if (der_next(&v, DER_SEQUENCE, &seq, NULL) || v.n != 0)
        return X509_E_DECODE;
    if (der_peek(&seq, DER_BOOLEAN)) {
        if (der_next(&seq, DER_BOOLEAN, &b, NULL) || b.n != 1 || b.p[0] != 0xff)
            return X509_E_DECODE; /* DER: a FALSE default is omitted */
        x->is_ca = true;
    }
    if (der_peek(&seq, DER_INTEGER)) {
        if (der_next(&seq, DER_INTEGER, &i, NULL) || i.n != 1 || i.p[0] > 0x7f || !x->is_ca)
            return X509_E_DECODE;
        x->path_len = i.p[0];
    }
    return seq.n == 0 ? 0 : X509_E_DECODE;
}

static int parse_key_usage(der_t v, x509_cert_t *x)
{
    der_t bits;
    if (der_next(&v, DER_BIT_STRING, &bits, NULL) || v.n != 0 || bits.n < 2 || bits.n > 3 ||
        bits.p[0] > 7)
        return X509_E_DECODE;
    uint16_t ku = 0;
    for (size_t i = 1; i < bits.n; i++)
        for (int b = 0; b < 8; b++)
            if (bits.p[i] & (0x80 >> b))
                ku |= (uint16_t)(1u << ((i - 1) * 8 + b));
    x->key_usage = ku;
    x->has_key_usage = true;
    return 0;
}

static int parse_eku(der_t v, x509_cert_t *x)
{
    der_t seq, oid;
    if (der_next(&v, DER_SEQUENCE, &seq, NULL) || v.n != 0 || seq.n == 0)
        return X509_E_DECODE;
    x->has_eku = true;
    while (seq.n) {
        if (der_next(&seq, DER_OID, &oid, NULL))
            return X509_E_DECODE;
        if (der_eq(&oid, OID_EKU_SERVER, sizeof(OID_EKU_SERVER)) ||
            der_eq(&oid, OID_EKU_ANY, sizeof(OID_EKU_ANY)))
            x->eku_server = true;
        if (der_eq(&oid, OID_EKU_CLIENT, sizeof(OID_EKU_CLIENT)) ||
            der_eq(&oid, OID_EKU_ANY, sizeof(OID_EKU_ANY)))
            x->eku_client = true;
    }
    return 0;
}

static int parse_san(der_t v, x509_cert_t *x)
{
    der_t seq;
    if (der_next(&v, DER_SEQUENCE, &seq, NULL) || v.n != 0 || seq.n == 0)
        return X509_E_DECODE;
    x->san.ptr = seq.p;
    x->san.len = seq.n;
    return 0;
}

/* [3] EXPLICIT Extensions: each SEQUENCE { OID, critical BOOLEAN DEFAULT
 * FALSE, OCTET STRING }. */
static int parse_extensions(der_t c, x509_cert_t *x)
{
    der_t exts, ext, oid, crit, val;
    unsigned seen = 0, count = 0;
    if (der_next(&c, DER_SEQUENCE, &exts, NULL) || c.n != 0 || exts.n == 0)
        return X509_E_DECODE;
    while (exts.n) {
        bool critical = false;
        int rc = 0;
        if (++count > TLS_EXT_MAX)
            return X509_E_TOO_MANY_EXT;
        if (der_next(&exts, DER_SEQUENCE, &ext, NULL) || der_next(&ext, DER_OID, &oid, NULL))
            return X509_E_DECODE;
        if (der_peek(&ext, DER_BOOLEAN)) {
            if (der_next(&ext, DER_BOOLEAN, &crit, NULL) || crit.n != 1 || crit.p[0] != 0xff)
                return X509_E_DECODE;
            critical = true;
        }
        if (der_next(&ext, DER_OCTET_STRING, &val, NULL) || ext.n != 0)
            return X509_E_DECODE;
        static const struct {
            const uint8_t *oid;
            int (*parse)(der_t, x509_cert_t *);
        } known[] = {
            {OID_BC, parse_basic_constraints}, {OID_KU, parse_key_usage},
            {OID_EKU, parse_eku},              {OID_SAN, parse_san},
            {OID_SKI, NULL},                   {OID_AKI, NULL},
        };
        size_t k = 0;
        while (k < sizeof(known) / sizeof(known[0]) && !der_eq(&oid, known[k].oid, 3))
            k++;
        if (k == sizeof(known) / sizeof(known[0])) {
            if (critical)
                return X509_E_CRITICAL_EXT;
            continue;
        }
        if (seen & (1u << k))
            return X509_E_DECODE; /* RFC 5280 4.2: at most one instance */
        seen |= 1u << k;
        if (known[k].parse && (rc = known[k].parse(val, x)) != 0)
            return rc;
    }
    return 0;
}

static int parse_tbs(der_t tbs, x509_cert_t *x)
{
    der_t ver, v, skip, validity;
    int rc;
    /* version [0] EXPLICIT INTEGER: 2 (v3) only */
    if (!der_peek(&tbs, DER_CTX0))
        return X509_E_VERSION;
    if (der_next(&tbs, DER_CTX0, &ver, NULL) || der_next(&ver, DER_INTEGER, &v, NULL) || ver.n)
        return X509_E_DECODE;
    if (v.n != 1 || v.p[0] != 2)
        return X509_E_VERSION;
    if (der_next(&tbs, DER_INTEGER, &skip, NULL) || skip.n == 0 || skip.n > 20)
        return X509_E_DECODE; /* serialNumber: at most 20 octets (RFC 5280) */
    if ((rc = parse_sig_alg(&tbs)) != 0)
        return rc;
    if (der_next(&tbs, DER_SEQUENCE, &skip, &x->issuer) ||
        der_next(&tbs, DER_SEQUENCE, &validity, NULL))
        return X509_E_DECODE;
    if ((rc = parse_time(&validity, &x->not_before)) != 0 ||
        (rc = parse_time(&validity, &x->not_after)) != 0 || validity.n != 0)
        return X509_E_DECODE;
    if (der_next(&tbs, DER_SEQUENCE, &skip, &x->subject))
        return X509_E_DECODE;
    if ((rc = parse_pubkey(&tbs, x)) != 0)
        return rc;
    /* issuerUniqueID [1] and subjectUniqueID [2] are not allowed by
     * RFC 5280 profile CAs; refuse them rather than skip. */
    if (der_peek(&tbs, DER_CTX3)) {
        der_t e;
        if (der_next(&tbs, DER_CTX3, &e, NULL) || (rc = parse_extensions(e, x)) != 0)
            return rc ? rc : X509_E_DECODE;
    }
    return tbs.n == 0 ? 0 : X509_E_DECODE;
}

int x509_parse(x509_cert_t *out, const uint8_t *der, size_t len)
{
    der_t c = {der, len}, cert, tbs, sig;
    int rc;
    memset(out, 0, sizeof(*out));
    out->path_len = -1;
    if (len > TLS_CERT_MAX) {
        rc = X509_E_TOO_BIG;
        goto fail;
    }
    rc = X509_E_DECODE;
    if (der_next(&c, DER_SEQUENCE, &cert, &out->der) || c.n != 0 ||
        der_next(&cert, DER_SEQUENCE, &tbs, &out->tbs))
        goto fail;
    if ((rc = parse_tbs(tbs, out)) != 0 || (rc = parse_sig_alg(&cert)) != 0)
        goto fail;
    rc = X509_E_DECODE;
    if (der_next(&cert, DER_BIT_STRING, &sig, NULL) || cert.n != 0 || sig.n != 65 ||
        sig.p[0] != 0)
        goto fail;
    out->sig = sig.p + 1;
    return 0;
fail:
    memset(out, 0, sizeof(*out));
    return rc;
}

static bool name_eq(x509_span_t a, x509_span_t b)
{
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

static bool host_eq(const uint8_t *a, size_t n, const char *host, size_t host_len)
{
    if (n != host_len)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t x = a[i], y = (uint8_t)host[i];
        x = (x >= 'A' && x <= 'Z') ? (uint8_t)(x + 32) : x;
        y = (y >= 'A' && y <= 'Z') ? (uint8_t)(y + 32) : y;
        if (x != y)
            return false;
    }
    return true;
}

/* A dNSName in the leaf's subjectAltName equal to the host. */
static int check_name(const x509_cert_t *leaf, const char *host, size_t host_len)
{
    der_t gn = {leaf->san.ptr, leaf->san.len};
    while (gn.n) {
        uint8_t tag = gn.p[0];
        der_t v;
        if (der_next(&gn, tag, &v, NULL))
            return X509_E_DECODE;
        if (tag == DER_DNSNAME && host_eq(v.p, v.n, host, host_len))
            return 0;
    }
    return X509_E_NAME;
}

static int check_time(const x509_cert_t *x, bool known, int64_t now, x509_window_t *w)
{
    if (x->not_before > w->not_before)
        w->not_before = x->not_before;
    if (x->not_after < w->not_after)
        w->not_after = x->not_after;
    if (!known)
        return x->not_after < (int64_t)TLS_BUILD_TIME ? X509_E_EXPIRED : 0;
    if (now < x->not_before)
        return X509_E_NOT_YET_VALID;
    return now > x->not_after ? X509_E_EXPIRED : 0;
}

/* issuer may sign `below` non-self-issued intermediates under it. */
static int check_issuer(const x509_cert_t *issuer, unsigned below)
{
    if (!issuer->is_ca)
        return X509_E_NOT_CA;
    if (issuer->has_key_usage && !(issuer->key_usage & X509_KU_KEY_CERT_SIGN))
        return X509_E_KEY_USAGE;
    if (issuer->path_len >= 0 && below > (unsigned)issuer->path_len)
        return X509_E_PATHLEN;
    return 0;
}

static int check_signed_by(const x509_cert_t *x, const x509_cert_t *issuer)
{
    if (!name_eq(x->issuer, issuer->subject))
        return X509_E_CHAIN_BROKEN;
    return crypto_ed25519_verify(x->sig, issuer->pubkey, x->tbs.ptr, x->tbs.len) == 0
               ? 0
               : X509_E_SIGNATURE;
}

int x509_chain_check(const x509_cert_t *certs, size_t n, const x509_cert_t *anchor,
                     const char *host, size_t host_len, bool time_known, int64_t now_s,
                     x509_window_t *window)
{
    x509_window_t w = {INT64_MIN, INT64_MAX};
    int rc;
    if (n == 0)
        return X509_E_DECODE;
    /* The anchor may close the chain as sent; it is not counted. */
    if (n > 1 && name_eq(certs[n - 1].der, anchor->der))
        n--;
    if (n > TLS_CHAIN_MAX)
        return X509_E_CHAIN_TOO_DEEP;
    const x509_cert_t *leaf = &certs[0];
    if (leaf->has_key_usage && !(leaf->key_usage & X509_KU_DIGITAL_SIGNATURE))
        return X509_E_KEY_USAGE;
    if (leaf->has_eku && !leaf->eku_server)
        return X509_E_EXT_KEY_USAGE;
    if ((rc = check_name(leaf, host, host_len)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if ((rc = check_time(&certs[i], time_known, now_s, &w)) != 0)
            return rc;
        if (i + 1 < n) {
            if ((rc = check_issuer(&certs[i + 1], (unsigned)i)) != 0 ||
                (rc = check_signed_by(&certs[i], &certs[i + 1])) != 0)
                return rc;
        }
    }
    const x509_cert_t *top = &certs[n - 1];
    if (!name_eq(top->issuer, anchor->subject))
        return X509_E_UNKNOWN_CA;
    if ((rc = check_issuer(anchor, (unsigned)(n - 1))) != 0)
        return rc;
    if (crypto_ed25519_verify(top->sig, anchor->pubkey, top->tbs.ptr, top->tbs.len) != 0)
        return X509_E_SIGNATURE;
    if (window)
        *window = w;
    return 0;
}

int x509_window_check(const x509_window_t *window, int64_t now_s)
{
    if (now_s < window->not_before)
        return X509_E_NOT_YET_VALID;
    return now_s > window->not_after ? X509_E_EXPIRED : 0;
}

const char *x509_error_name(int err)
{
    static const char *const names[X509_E_COUNT] = {
        "decode", "version", "signature_algorithm", "key_rsa", "key_ec",
        "key_other", "unknown_critical_extension", "too_many_extensions", "expired",
        "not_yet_valid", "unknown_ca", "chain_broken", "bad_signature", "not_ca",
        "path_length", "key_usage", "extended_key_usage", "name_mismatch",
        "chain_too_deep", "too_big"};
    if (err == 0)
        return "ok";
    if (err < 0 && err >= -X509_E_COUNT)
        return names[-err - 1];
    return "unknown";
}
