/*
 * Keel's TLS 1.3 client (RFC 8446): an engine that does no I/O.
 *
 * The caller owns the context and moves the bytes, in BearSSL's manner:
 *   - tls_client_sendbuf() shows bytes to send; tls_client_sent() says how
 *     many the transport took;
 *   - tls_client_recvbuf() shows room for received bytes (never more than
 *     the rest of the current record); tls_client_received() says how many
 *     were put there and processes them;
 *   - tls_client_read() / tls_client_write() move application data once
 *     tls_client_state() is TLS_ST_CONNECTED.
 * Time comes in as now_ms (a monotonic millisecond clock) and, for
 * certificate validity, as wall time through tls_client_set_time().
 *
 * One handshake shape: X25519 (the only group offered), the suites
 * TLS_CHACHA20_POLY1305_SHA256 (preferred) and TLS_AES_128_GCM_SHA256,
 * Ed25519 signatures and certificates only, SNI, max_fragment_length
 * (TLS_MAX_FRAG), HelloRetryRequest with cookie, client certificate
 * authentication when the server asks, KeyUpdate both ways, close_notify,
 * NewSessionTicket and PSK resumption (psk_dhe_ke) from a caller-owned
 * ticket store.
 * docs/tls.md lists what is refused and why.
 *
 * Errors are sticky: the first one is kept (tls_client_error), an alert
 * is queued where RFC 8446 requires one, every secret is wiped, and every
 * later call fails with it. Not reentrant; no heap; no file-static state.
 */
#ifndef TLS_H
#define TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "tls_config.h"
#include "x509.h"

/* Errors (negative). The X.509 verdicts on the server's chain are
 * TLS_E_X509 + X509_E_*; an alert received from the peer is
 * TLS_E_ALERT - description. tls_error_name() names each one. */
#define TLS_OK 0
#define TLS_E_CONFIG (-1)         /* bad configuration given to init */
#define TLS_E_STATE (-2)          /* call not allowed in this state */
#define TLS_E_RECORD (-3)         /* bad record header or record type */
#define TLS_E_RECORD_OVERFLOW (-4) /* record larger than negotiated */
#define TLS_E_DECODE (-5)         /* malformed handshake message */
#define TLS_E_UNEXPECTED (-6)     /* message not allowed here */
#define TLS_E_BAD_RECORD_MAC (-7) /* a record failed to decrypt */
#define TLS_E_VERSION (-8)        /* the server did not select TLS 1.3 */
#define TLS_E_PARAMS (-9)         /* illegal parameter (suite, group, session id...) */
#define TLS_E_UNSUPPORTED_EXT (-10) /* an extension not offered, or not allowed there */
#define TLS_E_MISSING_EXT (-11)   /* a required extension is missing */
#define TLS_E_HRR (-12)           /* a second or pointless HelloRetryRequest */
#define TLS_E_KEY_SHARE (-13)     /* small-order X25519 share */
#define TLS_E_HS_TOO_BIG (-14)    /* handshake message over TLS_HS_MAX */
#define TLS_E_TOO_MANY_EXT (-15)  /* more than TLS_EXT_MAX extensions */
#define TLS_E_CERT_TOO_BIG (-16)  /* a certificate over TLS_CERT_MAX */
#define TLS_E_CHAIN_TOO_DEEP (-17) /* more than TLS_CHAIN_MAX certificates */
#define TLS_E_BAD_CERT_VERIFY (-18) /* the server's CertificateVerify is wrong */
#define TLS_E_BAD_FINISHED (-19)  /* the server's Finished is wrong */
#define TLS_E_SIG_ALG (-20)       /* CertificateVerify not Ed25519 */
#define TLS_E_TIMEOUT (-21)       /* handshake not done in time */
#define TLS_E_EOF (-22)           /* transport closed before close_notify */
#define TLS_E_NO_CERT (-23)       /* the server sent no certificate */
#define TLS_E_INTERNAL (-24)      /* output buffer full in the handshake */
#define TLS_E_KEY_LIMIT (-25)    /* a key reached its record limit (RFC 8446 5.5) */
#define TLS_E_DUPLICATE_EXT (-26) /* two extensions of one type in a block (4.2) */
#define TLS_E_COUNT 26
#define TLS_E_X509 (-100)         /* -100 + X509_E_* (-101 .. -120) */
#define TLS_E_ALERT (-256)        /* -256 - alert description */

/* Handshake and connection states. */
enum tls_state {
    TLS_ST_IDLE = 0,    /* not initialised, or wiped */
    TLS_ST_WAIT_SH,     /* ClientHello queued */
    TLS_ST_WAIT_EE,
    TLS_ST_WAIT_CERT_CR,
    TLS_ST_WAIT_CERT,
    TLS_ST_WAIT_CV,
    TLS_ST_WAIT_FINISHED,
    TLS_ST_CONNECTED,   /* application data both ways */
    TLS_ST_CLOSED,      /* close_notify sent and/or received */
    TLS_ST_FAILED,      /* tls_client_error() says why */
};

#define TLS_SUITE_CHACHA20_POLY1305_SHA256 0x1303u
#define TLS_SUITE_AES_128_GCM_SHA256 0x1301u

/* One session ticket and its resumption PSK. Fixed-width fields only, so
 * the layout is the same on the host and the M33. */
typedef struct {
    uint64_t received_ms;  /* now_ms when it arrived */
    x509_window_t window;  /* validity window of the chain that issued it */
    uint32_t lifetime_s;   /* capped at 7 days (RFC 8446 4.6.1) */
    uint32_t age_add;
    uint16_t suite;
    uint16_t len;          /* 0: empty slot */
    uint8_t psk[32];
    uint8_t ticket[TLS_TICKET_MAX];
} tls_ticket_t;

/* Tickets from one server (one host name), kept by the caller across
 * connections: the newest TLS_TICKETS_N, each offered at most once (taken
 * out of the store by the connection that offers it). Holds
 * secrets: it stays in the secure world; tls_tickets_wipe() clears it. */
typedef struct {
    tls_ticket_t t[TLS_TICKETS_N];
} tls_ticket_store_t;

/* What the client is configured with. Every pointer is borrowed for the
 * life of the context and must not change while it is in use. */
typedef struct {
    const char *host;            /* SNI and the name checked, NUL-terminated */
    const uint8_t *anchor_der;   /* the trust anchor's certificate (DER) */
    size_t anchor_len;
    const uint8_t *cert_der;     /* the client certificate (DER), or NULL */
    size_t cert_len;
    const uint8_t *key;          /* its Ed25519 secret key, 64 bytes (seed || public) */
    uint16_t suites[2];          /* offered suites in preference order; 0 ends the
                                    list; all zero: CHACHA20 then AES-128-GCM */
    tls_ticket_store_t *tickets; /* NULL: no resumption; else offered from and
                                    filled by NewSessionTicket */
} tls_client_config_t;

/* One direction's record protection. */
typedef struct {
    uint8_t secret[32]; /* traffic secret (for KeyUpdate) */
    uint8_t key[32];    /* 32 (ChaCha20) or 16 (AES-128) bytes used */
    uint8_t iv[12];
    uint64_t seq;
    bool on;
} tls_dir_t;

/* The context: caller-owned, opaque (fields are private to tls/). */
typedef struct tls_client {
    const tls_client_config_t *cfg;
    x509_cert_t anchor;
    enum tls_state state;
    int err;
    uint16_t suite;
    uint8_t peer_closed, sent_close, hrr_done, cert_requested, mfl_acked, ku_pending;
    uint8_t psk_slot;              /* 0xff: no ticket offered; else c->psk is it */
    uint8_t psk_accepted;
    uint64_t start_ms, last_ms, time_ms;
    bool time_known, chain_checked;
    int64_t time_s;                /* wall time at time_ms */
    x509_window_t window;          /* the server chain's validity window */
    uint8_t random[32];
    uint8_t x25519_sk[32];
    uint8_t hs_secret[32];         /* handshake secret, then master secret */
    uint8_t c_hs[32];              /* client handshake traffic secret */
    uint8_t res_master[32];        /* resumption master secret (for tickets) */
    uint8_t leaf_pk[32];
    crypto_sha256_t transcript;
    tls_dir_t rd, wr;
    tls_ticket_t psk;              /* the ticket offered, taken out of the store */
    /* input: one record at a time */
    size_t ilen;                   /* bytes of the current record received */
    size_t app_off, app_len;       /* decrypted application data not yet read */
    uint8_t ibuf[TLS_IN_SIZE];
    /* handshake message reassembly */
    size_t hlen;
    uint8_t hbuf[TLS_HS_MAX];
    /* output */
    size_t olen, osent;
    uint8_t obuf[TLS_OUT_SIZE];
} tls_client_t;

/* Starts a handshake: checks cfg, queues the ClientHello. entropy[0..64)
 * comes from the caller's random source (client random, X25519 secret)
 * and is not kept beyond the context. 0 or TLS_E_CONFIG (or an X.509
 * error for a bad anchor). */
int tls_client_init(tls_client_t *c, const tls_client_config_t *cfg,
                    const uint8_t entropy[64], uint64_t now_ms);

/* Bytes waiting to be sent: a pointer into the context, valid until the
 * next call; *len 0 when nothing waits. */
const uint8_t *tls_client_sendbuf(const tls_client_t *c, size_t *len);
void tls_client_sent(tls_client_t *c, size_t len);

/* Room for received bytes (a pointer into the context); *room 0 when the
 * engine cannot take any now (unread application data, a handshake
 * flight not yet sent, closed or failed). */
uint8_t *tls_client_recvbuf(tls_client_t *c, size_t *room);
/* len bytes were written at tls_client_recvbuf(); processes them. 0 or
 * the sticky error. */
int tls_client_received(tls_client_t *c, size_t len, uint64_t now_ms);
/* The transport was closed by the peer: TLS_E_EOF unless close_notify came. */
int tls_client_eof(tls_client_t *c);
/* Timers (the handshake deadline). 0 or the sticky error. */
int tls_client_tick(tls_client_t *c, uint64_t now_ms);

/* Wall time became known: unix_s seconds since 1970 at now_ms. The
 * server chain's validity is checked against it, again if the handshake
 * already passed the chain under the build-time policy. 0 or the error
 * (TLS_E_X509 + X509_E_EXPIRED / X509_E_NOT_YET_VALID) made sticky. */
int tls_client_set_time(tls_client_t *c, int64_t unix_s, uint64_t now_ms);

/* Copies up to len bytes of received application data to out. Returns
 * the count (0: none yet; after the peer's close_notify, 0 with the state
 * TLS_ST_CLOSED) or the sticky error. */
int tls_client_read(tls_client_t *c, void *out, size_t len);
/* Queues up to len bytes as one record; returns how many were taken (0
 * when the output buffer is full: send first) or the sticky error. Near
 * the sending key's record limit a KeyUpdate is queued first; if the key
 * is at its limit and no KeyUpdate could go out, TLS_E_KEY_LIMIT (not
 * sticky: send what is queued, then write again). */
int tls_client_write(tls_client_t *c, const void *data, size_t len);
/* Queues a KeyUpdate and switches the sending keys; request asks the
 * server to update its own. 0, TLS_E_STATE or the sticky error. */
int tls_client_key_update(tls_client_t *c, bool request);
/* Queues close_notify. Send what tls_client_sendbuf() shows, then wipe. */
int tls_client_close(tls_client_t *c);
/* Wipes the whole context (every secret and buffer). */
void tls_client_wipe(tls_client_t *c);

/* Clears a ticket store (all its PSKs). */
void tls_tickets_wipe(tls_ticket_store_t *s);

enum tls_state tls_client_state(const tls_client_t *c);
/* True once a handshake was completed by resuming a ticket. */
bool tls_client_resumed(const tls_client_t *c);
int tls_client_error(const tls_client_t *c);
uint16_t tls_client_suite(const tls_client_t *c);
/* A readable name for any error: TLS_E_* ("bad_finished"), TLS_E_X509 +
 * X509_E_* (the X.509 name, "expired") or a received alert (its RFC 8446
 * name, "handshake_failure"); tls_error_class() says which of the three
 * ("tls", "x509", "alert"). */
const char *tls_error_name(int err);
const char *tls_error_class(int err);

#endif
