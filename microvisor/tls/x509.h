/*
 * X.509 for the TLS client: a DER parser over a {ptr, remaining} cursor and
 * the chain check to one trust anchor. Ed25519 keys and signatures only.
 *
 * Nothing is copied: an x509_cert_t points into the DER it was parsed
 * from, which the caller keeps alive (and unmodified) as long as the
 * x509_cert_t is used. No heap, no I/O, no clock: time is passed in.
 *
 * What is checked (docs/tls.md):
 *  - structure: v3 only; definite, minimal DER lengths; every length
 *    checked against what remains before use; TBS and outer signature
 *    algorithms both Ed25519 (1.3.101.112) without parameters;
 *  - keys: Ed25519 only; RSA and EC (P-256 and any curve) keys refused
 *    with their own errors;
 *  - extensions (at most TLS_EXT_MAX, no duplicates): basicConstraints
 *    with pathLenConstraint, keyUsage, extKeyUsage, subjectAltName;
 *    subject/authority key identifiers are ignored; any other extension
 *    marked critical is refused;
 *  - the chain: certs[0] is the leaf, each next one signs the previous
 *    one (issuer name equal byte for byte to its subject, signature
 *    verified); the last one is signed by the anchor (or is the anchor,
 *    byte for byte); every issuer is a CA (basicConstraints cA TRUE),
 *    has keyCertSign if it has keyUsage, and its pathLen covers the
 *    intermediates below it; at most TLS_CHAIN_MAX certificates;
 *  - the leaf: keyUsage, if present, has digitalSignature; extKeyUsage,
 *    if present, has serverAuth or anyExtendedKeyUsage; a dNSName in
 *    subjectAltName equals the host name (ASCII case-insensitive, no
 *    wildcards; the subject CN is not looked at);
 *  - time: with wall time known, every certificate's notBefore <= now <=
 *    notAfter; without it, every notAfter >= TLS_BUILD_TIME. The chain's
 *    window (latest notBefore, earliest notAfter) is returned so the
 *    check can be repeated once time is known (x509_window_check).
 * The anchor itself is trusted as given: its name and key are used, its
 * validity period and extensions are not checked.
 */
#ifndef X509_H
#define X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls_config.h"

/* Errors (negative), each a different reason a certificate is refused. */
#define X509_OK 0
#define X509_E_DECODE (-1)          /* malformed or truncated DER */
#define X509_E_VERSION (-2)         /* not a v3 certificate */
#define X509_E_SIG_ALG (-3)         /* signature algorithm other than Ed25519 */
#define X509_E_KEY_RSA (-4)         /* an RSA public key */
#define X509_E_KEY_EC (-5)          /* an EC (P-256 or other curve) public key */
#define X509_E_KEY_OTHER (-6)       /* any other public key algorithm */
#define X509_E_CRITICAL_EXT (-7)    /* an unknown extension marked critical */
#define X509_E_TOO_MANY_EXT (-8)    /* more than TLS_EXT_MAX extensions */
#define X509_E_EXPIRED (-9)         /* now (or the build time) after notAfter */
#define X509_E_NOT_YET_VALID (-10)  /* now before notBefore */
#define X509_E_UNKNOWN_CA (-11)     /* the chain does not end at the anchor */
#define X509_E_CHAIN_BROKEN (-12)   /* a certificate not issued by the next one */
#define X509_E_SIGNATURE (-13)      /* a signature does not verify */
#define X509_E_NOT_CA (-14)         /* an issuer without basicConstraints cA */
#define X509_E_PATHLEN (-15)        /* more intermediates than a pathLen allows */
#define X509_E_KEY_USAGE (-16)      /* keyUsage lacks keyCertSign / digitalSignature */
#define X509_E_EXT_KEY_USAGE (-17)  /* extKeyUsage without serverAuth */
#define X509_E_NAME (-18)           /* no subjectAltName dNSName equals the host */
#define X509_E_CHAIN_TOO_DEEP (-19) /* more than TLS_CHAIN_MAX certificates */
#define X509_E_TOO_BIG (-20)        /* a certificate over TLS_CERT_MAX bytes */
#define X509_E_COUNT 20

/* keyUsage bits (RFC 5280 4.2.1.3), as bit n of the BIT STRING = 1 << n. */
#define X509_KU_DIGITAL_SIGNATURE 0x001u
#define X509_KU_KEY_CERT_SIGN 0x020u

typedef struct {
    const uint8_t *ptr;
    size_t len;
} x509_span_t;

typedef struct {
    x509_span_t der;      /* the whole certificate */
    x509_span_t tbs;      /* the signed part, header included */
    x509_span_t issuer;   /* Name, header included */
    x509_span_t subject;  /* Name, header included */
    x509_span_t san;      /* subjectAltName's GeneralNames content, or empty */
    const uint8_t *pubkey; /* 32 bytes: the Ed25519 public key */
    const uint8_t *sig;    /* 64 bytes: the Ed25519 signature */
    int64_t not_before, not_after; /* seconds since 1970-01-01 UTC */
    int path_len;          /* pathLenConstraint, -1 when absent */
    uint16_t key_usage;    /* X509_KU_* bits; valid when has_key_usage */
    bool is_ca, has_key_usage, has_eku, eku_server, eku_client;
} x509_cert_t;

/* The chain's validity window: the latest notBefore and the earliest
 * notAfter of the certificates checked. */
typedef struct {
    int64_t not_before, not_after;
} x509_window_t;

/* Parses der[0..len) (exactly one certificate, nothing after it) into
 * *out. 0 or an X509_E_* code; on error *out is zeroed. */
int x509_parse(x509_cert_t *out, const uint8_t *der, size_t len);

/* Checks the chain certs[0..n) (leaf first) against the anchor, the host
 * name host[0..host_len) and the time: now_s (seconds since 1970) when
 * time_known, else the TLS_BUILD_TIME policy. *window (may be NULL)
 * receives the chain's validity window on success. 0 or an X509_E_*. */
int x509_chain_check(const x509_cert_t *certs, size_t n, const x509_cert_t *anchor,
                     const char *host, size_t host_len, bool time_known, int64_t now_s,
                     x509_window_t *window);

/* Repeats the time check on a window once wall time is known: 0,
 * X509_E_EXPIRED or X509_E_NOT_YET_VALID. */
int x509_window_check(const x509_window_t *window, int64_t now_s);

/* A readable name for an X509_E_* code ("expired", ...). */
const char *x509_error_name(int err);

#endif
