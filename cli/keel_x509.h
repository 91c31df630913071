/*
 * keel_x509.h: the fleet's X.509 certificates (OpenSSL), shared by keel
 * provision and keel-cloud init so both make one format: Ed25519 keys,
 * 20-year validity, CN as the only name. The serial is random (64 bits),
 * except for a device's certificate (KEEL_X509_CLIENT whose CN is a device
 * id, "UV" + 32 hex digits): 0x01 followed by the id's 16 bytes, so that
 * keel-cloud can revoke a device in a CRL knowing only its id.
 *   KEEL_X509_CA      self-signed fleet CA (CA:TRUE, keyCertSign, cRLSign)
 *   KEEL_X509_CLIENT  a device or keel-cloud (clientAuth)
 *   KEEL_X509_SERVER  the broker (serverAuth, SAN IP 127.0.0.1, DNS localhost)
 */
#ifndef KEEL_X509_H
#define KEEL_X509_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <time.h>

enum keel_x509_kind { KEEL_X509_CA, KEEL_X509_CLIENT, KEEL_X509_SERVER };

/* A fresh Ed25519 key, or NULL. */
EVP_PKEY *keel_x509_new_key(void);
/* A certificate for key named cn, signed by ca_key (self-signed if ca is
 * NULL), or NULL. The caller frees it. */
X509 *keel_x509_make_cert(EVP_PKEY *key, const char *cn, X509 *ca, EVP_PKEY *ca_key,
                          enum keel_x509_kind kind);
/* PEM files: the key with mode 0600, the certificate 0644. 0 or -1. */
int keel_x509_write_key(const char *path, EVP_PKEY *key);
int keel_x509_write_cert(const char *path, X509 *cert);

/* A device id ("UV" + 32 upper-case hex digits) as its certificate's
 * serial: 0x01 || the 16 bytes. 0, or -1 if id is not a device id. */
#define KEEL_X509_DEVICE_SERIAL_LEN 17
int keel_x509_device_serial(const char *id, unsigned char serial[KEEL_X509_DEVICE_SERIAL_LEN]);
/* The CA's CRL in PEM (malloc'd, *len bytes) revoking the certificates of
 * the n device ids (ids that are not device ids are skipped), issued at
 * `issued` (its lastUpdate, the entries' revocation date and its CRL
 * number) and valid for 20 years after, as long as the certificates. The
 * caller keeps `issued` strictly increasing: OpenSSL keeps the CRL it
 * already has when a new one's lastUpdate is not later. NULL on failure. */
char *keel_x509_crl_pem(X509 *ca, EVP_PKEY *ca_key, const char *const *ids, size_t n,
                        time_t issued, size_t *len);
/* The lastUpdate of the CRL in the PEM file at path, or 0. */
time_t keel_x509_crl_issued(const char *path);
/* When a CRL made now should say it was issued: an hour back, so that a
 * broker whose clock is behind ours does not find it not yet valid (and
 * refuse every device), but always after `previous`. */
time_t keel_x509_crl_next_issue(time_t previous);

#endif
