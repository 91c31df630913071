/*
 * TLS 1.3 client and X.509: every size and limit in one place. Defaults sit
 * behind #ifndef so a board or a test build can override them; the checks
 * at the bottom make an impossible combination fail the build. docs/tls.md
 * explains how the figures follow from these.
 */
#ifndef TLS_CONFIG_H
#define TLS_CONFIG_H

/* The largest record plaintext in either direction. Below 16384 it is
 * negotiated with max_fragment_length (RFC 6066 section 4): 512, 1024,
 * 2048 or 4096. 16384 sends no such extension. 2048 is the device's
 * size (docs/cloud-link.md, RAM) and the default everywhere, so that the
 * host tests, the recorded bench handshake and the firmware agree. */
#ifndef TLS_MAX_FRAG
#define TLS_MAX_FRAG 2048u
#endif

/* The largest handshake message accepted (type and length header
 * included). The server's Certificate message is the largest the client
 * sees; it is held whole, so this also bounds the certificate chain. */
#ifndef TLS_HS_MAX
#define TLS_HS_MAX 4096u
#endif

/* One certificate's DER, and how many certificates the server may send
 * (leaf plus intermediates; the trust anchor may be repeated at the end
 * and is not counted). */
#ifndef TLS_CERT_MAX
#define TLS_CERT_MAX 2048u
#endif
#ifndef TLS_CHAIN_MAX
#define TLS_CHAIN_MAX 3u
#endif

/* Extensions in one ServerHello, HelloRetryRequest, EncryptedExtensions,
 * CertificateRequest or certificate entry, and in one X.509 certificate. */
#ifndef TLS_EXT_MAX
#define TLS_EXT_MAX 16u
#endif

/* The server host name (SNI and the subjectAltName check), without NUL. */
#ifndef TLS_HOST_MAX
#define TLS_HOST_MAX 64u
#endif

/* Session tickets (RFC 8446 4.6.1) kept in the caller's ticket store for
 * PSK resumption (psk_dhe_ke): how many, and the largest ticket kept (a
 * longer one is dropped, which only costs a full handshake next time).
 * OpenSSL's and GnuTLS's tickets carry the client certificate: 560 to
 * 614 bytes measured with the device certificate of the interop tests. */
#ifndef TLS_TICKETS_N
#define TLS_TICKETS_N 2u
#endif
#ifndef TLS_TICKET_MAX
#define TLS_TICKET_MAX 768u
#endif

/* A handshake that has not finished this long after tls_client_init
 * fails with TLS_E_TIMEOUT (checked in tls_client_tick). */
#ifndef TLS_HANDSHAKE_TIMEOUT_MS
#define TLS_HANDSHAKE_TIMEOUT_MS 30000u
#endif

/* Validity policy while wall time is unknown (docs/tls.md): a certificate
 * whose notAfter is earlier than this (seconds since 1970, the build's
 * time) is refused. The build passes the real value. */
#ifndef TLS_BUILD_TIME
#define TLS_BUILD_TIME 1764633600 /* 2025-12-02 */
#endif

/* Records one key may protect (RFC 8446 5.5). AES-128-GCM: 2^24.5 full
 * records, rounded down. ChaCha20-Poly1305: the 64-bit sequence number
 * would wrap first; the last value is kept unused (the read side refuses
 * it). A key is never used for a record at or beyond its limit, in either
 * direction. A test build lowers them to reach the limit quickly. */
#ifndef TLS_KEY_RECORDS_AESGCM
#define TLS_KEY_RECORDS_AESGCM 23726566u
#endif
#ifndef TLS_KEY_RECORDS_CHACHA
#define TLS_KEY_RECORDS_CHACHA 0xffffffffffffffffu
#endif
/* This many records before a key's limit the client sends a KeyUpdate of
 * its own before more application data (asking the peer to update too
 * when the read key is as close); the records in between are left for
 * control records (alerts, KeyUpdate answers, close_notify). */
#ifndef TLS_KU_MARGIN
#define TLS_KU_MARGIN 16u
#endif

/* Room in the output buffer kept for control records (an alert, a
 * KeyUpdate answer) behind queued application data. */
#define TLS_CTRL_RESERVE 64u

/* Derived buffer sizes. A received protected record may carry up to 255
 * bytes of type, padding and tag beyond its plaintext (RFC 8446 5.2). */
#define TLS_REC_HDR 5u
#define TLS_IN_SIZE (TLS_REC_HDR + TLS_MAX_FRAG + 256u)
#define TLS_OUT_SIZE (TLS_REC_HDR + TLS_MAX_FRAG + 1u + 16u + TLS_CTRL_RESERVE)

_Static_assert(TLS_MAX_FRAG == 512u || TLS_MAX_FRAG == 1024u || TLS_MAX_FRAG == 2048u ||
                   TLS_MAX_FRAG == 4096u || TLS_MAX_FRAG == 16384u,
               "TLS_MAX_FRAG must be a max_fragment_length value or 16384");
_Static_assert(TLS_HS_MAX >= 1024u && TLS_HS_MAX <= 65536u, "handshake message bound");
_Static_assert(TLS_CERT_MAX + 16u <= TLS_HS_MAX, "a certificate must fit a handshake message");
_Static_assert(TLS_CHAIN_MAX >= 1u && TLS_CHAIN_MAX <= 8u, "chain depth 1..8");
_Static_assert(TLS_EXT_MAX >= 8u && TLS_EXT_MAX <= 64u, "extension count bound");
_Static_assert(TLS_TICKETS_N >= 1u && TLS_TICKETS_N <= 16u, "ticket store of 1..16");
_Static_assert(TLS_TICKET_MAX >= 32u && TLS_TICKET_MAX <= 8192u, "ticket size bound");
_Static_assert(TLS_KEY_RECORDS_AESGCM > 2u * TLS_KU_MARGIN &&
                   TLS_KEY_RECORDS_AESGCM <= 23726566u,
               "AES-GCM key limit: above the margin, at most 2^24.5 (RFC 8446 5.5)");
_Static_assert(TLS_KEY_RECORDS_CHACHA > 2u * TLS_KU_MARGIN, "ChaCha20 key limit above the margin");
_Static_assert(TLS_KU_MARGIN >= 4u, "room for control records before a key's limit");
_Static_assert(TLS_HOST_MAX >= 1u && TLS_HOST_MAX <= 255u, "host name bound");
/* The ClientHello (with a cookie of up to 256 bytes and a ticket) and
 * the client's second flight must each fit one record. */
_Static_assert(TLS_MAX_FRAG >= 512u + TLS_HOST_MAX + TLS_TICKET_MAX,
               "ClientHello must fit one record");

#endif
