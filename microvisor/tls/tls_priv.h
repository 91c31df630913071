/*
 * tls_priv.h: what the TLS modules share with each other (and with the
 * fuzz targets), never with callers.
 */
#ifndef TLS_PRIV_H
#define TLS_PRIV_H

#include "tls.h"

/* Marks bytes derived from secrets as public (an AEAD or Finished
 * verdict, authenticated plaintext). Nothing in a normal build; the
 * ctgrind test (tests/unit/tls) defines it to VALGRIND_MAKE_MEM_DEFINED
 * so memcheck flags only branches on values that really are secret. */
#ifndef TLS_DECLASSIFY
#define TLS_DECLASSIFY(p, n) ((void)(p), (void)(n))
#endif

/* Record content types (RFC 8446 5.1). */
#define TLS_CT_CCS 20u
#define TLS_CT_ALERT 21u
#define TLS_CT_HANDSHAKE 22u
#define TLS_CT_APPDATA 23u

/* Handshake message types (RFC 8446 4). */
#define TLS_HS_CLIENT_HELLO 1u
#define TLS_HS_SERVER_HELLO 2u
#define TLS_HS_NEW_SESSION_TICKET 4u
#define TLS_HS_ENCRYPTED_EXTENSIONS 8u
#define TLS_HS_CERTIFICATE 11u
#define TLS_HS_CERTIFICATE_REQUEST 13u
#define TLS_HS_CERTIFICATE_VERIFY 15u
#define TLS_HS_FINISHED 20u
#define TLS_HS_KEY_UPDATE 24u
#define TLS_HS_MESSAGE_HASH 254u

/* Alert descriptions (RFC 8446 6). */
#define TLS_AL_CLOSE_NOTIFY 0
#define TLS_AL_UNEXPECTED_MESSAGE 10
#define TLS_AL_BAD_RECORD_MAC 20
#define TLS_AL_RECORD_OVERFLOW 22
#define TLS_AL_HANDSHAKE_FAILURE 40
#define TLS_AL_BAD_CERTIFICATE 42
#define TLS_AL_UNSUPPORTED_CERTIFICATE 43
#define TLS_AL_CERTIFICATE_EXPIRED 45
#define TLS_AL_ILLEGAL_PARAMETER 47
#define TLS_AL_UNKNOWN_CA 48
#define TLS_AL_DECODE_ERROR 50
#define TLS_AL_DECRYPT_ERROR 51
#define TLS_AL_PROTOCOL_VERSION 70
#define TLS_AL_INTERNAL_ERROR 80
#define TLS_AL_MISSING_EXTENSION 109
#define TLS_AL_UNSUPPORTED_EXTENSION 110

/* Extension types. */
#define TLS_EXT_SERVER_NAME 0u
#define TLS_EXT_MAX_FRAGMENT_LENGTH 1u
#define TLS_EXT_SUPPORTED_GROUPS 10u
#define TLS_EXT_SIGNATURE_ALGORITHMS 13u
#define TLS_EXT_PRE_SHARED_KEY 41u
#define TLS_EXT_COOKIE 44u
#define TLS_EXT_PSK_MODES 45u
#define TLS_EXT_SUPPORTED_VERSIONS 43u
#define TLS_EXT_KEY_SHARE 51u

#define TLS_GROUP_X25519 0x001du
#define TLS_SIG_ED25519 0x0807u

/* A read cursor over untrusted bytes: every take checks what remains. */
typedef struct {
    const uint8_t *p;
    size_t n;
} tls_cur_t;

static inline bool cur_u8(tls_cur_t *c, uint32_t *v)
{
    if (c->n < 1)
        return false;
    *v = c->p[0];
    c->p++, c->n--;
    return true;
}
static inline bool cur_u16(tls_cur_t *c, uint32_t *v)
{
    if (c->n < 2)
        return false;
    *v = (uint32_t)c->p[0] << 8 | c->p[1];
    c->p += 2, c->n -= 2;
    return true;
}
static inline bool cur_u24(tls_cur_t *c, uint32_t *v)
{
    if (c->n < 3)
        return false;
    *v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
    c->p += 3, c->n -= 3;
    return true;
}
/* len bytes off the front as a sub-cursor. */
static inline bool cur_take(tls_cur_t *c, size_t len, tls_cur_t *out)
{
    if (c->n < len)
        return false;
    out->p = c->p;
    out->n = len;
    c->p += len, c->n -= len;
    return true;
}
/* A vector with a 1-, 2- or 3-byte length prefix. */
static inline bool cur_vec(tls_cur_t *c, int width, tls_cur_t *out)
{
    uint32_t len;
    bool ok = width == 1 ? cur_u8(c, &len) : width == 2 ? cur_u16(c, &len) : cur_u24(c, &len);
    return ok && cur_take(c, len, out);
}

static inline void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void put24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

/* ---- key schedule (tls_keysched.c) ---- */
/* HKDF-Expand-Label(secret, label, context, len) (RFC 8446 7.1). */
void tls_expand_label(uint8_t *out, size_t len, const uint8_t secret[32], const char *label,
                      const uint8_t *ctx, size_t ctx_len);
/* The transcript hash so far, without disturbing the running hash. */
void tls_transcript_hash(const tls_client_t *c, uint8_t out[32]);
/* Installs a traffic secret in one direction for the negotiated suite. */
void tls_dir_set(tls_dir_t *d, uint16_t suite, const uint8_t secret[32]);
/* After ServerHello: handshake secret and both handshake traffic keys. */
void tls_ks_handshake(tls_client_t *c, const uint8_t shared[32]);
/* After the server's Finished: master secret and application secrets
 * (the read side switched now, the write side after our Finished). */
void tls_ks_application(tls_client_t *c, uint8_t c_ap[32]);
/* verify_data = HMAC(finished_key(base), transcript hash). */
void tls_finished(uint8_t out[32], const uint8_t base[32], const uint8_t hash[32]);
/* KeyUpdate: next traffic secret and keys (RFC 8446 7.2). */
void tls_dir_update(tls_dir_t *d, uint16_t suite);

/* ---- record layer (tls_record.c) ---- */
/* Records one key of the suite may protect (RFC 8446 5.5). */
uint64_t tls_key_limit(uint16_t suite);
/* Where the payload of the next outgoing record goes, and how much fits
 * (reserve bytes kept free for control records). */
uint8_t *tls_rec_begin(tls_client_t *c, size_t *room, size_t reserve);
/* Seals len payload bytes written at tls_rec_begin() as one record. */
void tls_rec_end(tls_client_t *c, uint8_t type, size_t len);
/* Processes one whole record in ibuf[0..TLS_REC_HDR+len); 0 or an error
 * already made sticky. */
int tls_rec_process(tls_client_t *c);
/* Validates a record header (5 bytes); 0 or an error made sticky. */
int tls_rec_header(tls_client_t *c);

/* ---- handshake (tls_client.c) ---- */
/* Handshake bytes from one record, reassembled into messages. */
int tls_hs_input(tls_client_t *c, const uint8_t *p, size_t n);
/* Fails the connection: makes err sticky, queues alert (0 = none),
 * wipes every secret. Returns err. */
int tls_fail(tls_client_t *c, int err, uint8_t alert);
/* Wipes keys, secrets and decrypted buffers (not the output queue). */
void tls_wipe_secrets(tls_client_t *c);

/* Handlers of single server messages (m[0..n) the whole message, its
 * 4-byte header included, already checked against n), for
 * the engine and the fuzz targets. Each returns 0 or fails c. */
int tls_on_server_hello(tls_client_t *c, const uint8_t *m, size_t n);
int tls_on_encrypted_extensions(tls_client_t *c, const uint8_t *m, size_t n);
int tls_on_certificate_request(tls_client_t *c, const uint8_t *m, size_t n);
int tls_on_certificate(tls_client_t *c, const uint8_t *m, size_t n);
int tls_on_certificate_verify(tls_client_t *c, const uint8_t *m, size_t n);
int tls_on_finished(tls_client_t *c, const uint8_t *m, size_t n);
int tls_on_key_update(tls_client_t *c, const uint8_t *m, size_t n);
int tls_on_new_session_ticket(tls_client_t *c, const uint8_t *m, size_t n);

/* Helpers the handlers share with tls_client.c. */
/* A block of extensions: at most TLS_EXT_MAX, well formed, no type twice
 * (known or not); 0 or fails c (too_many_extensions, decode,
 * duplicate_extension). */
int tls_ext_block_check(tls_client_t *c, tls_cur_t block);
bool tls_suite_offered(const tls_client_t *c, uint32_t suite);
int tls_write_client_hello(tls_client_t *c, const uint8_t *cookie, size_t cookie_len);
/* Fails with the TLS error and alert an X509_E_* verdict maps to. */
int tls_fail_x509(tls_client_t *c, int x509_err);
/* Wall time now (valid when time_known). */
int64_t tls_wall_time(const tls_client_t *c);
/* Answers a KeyUpdate(update_requested): queued now or once room is. */
int tls_ku_answer(tls_client_t *c);
/* A KeyUpdate of our own because a key is near its record limit
 * (update_requested when the read key is): true if queued. */
bool tls_ku_auto(tls_client_t *c);

/* ---- tickets and PSK resumption (tls_ticket.c) ---- */
/* Picks the ticket to offer at init (dropping expired ones). */
void tls_psk_choose(tls_client_t *c, uint64_t now_ms);
/* Bytes the PSK extensions add to the ClientHello (0: none offered). */
size_t tls_psk_ext_len(const tls_client_t *c);
/* Writes psk_key_exchange_modes and pre_shared_key (last) at p; the
 * binder is filled in by tls_psk_bind() once the message is complete. */
uint8_t *tls_psk_write_ext(tls_client_t *c, uint8_t *p);
/* Computes the binder over the ClientHello m[0..len) (its last 33 bytes
 * are the binder entry) and the transcript so far. */
void tls_psk_bind(tls_client_t *c, uint8_t *m, size_t len);
/* The PSK of the offered ticket, or NULL. */
const uint8_t *tls_psk_key(const tls_client_t *c);
/* Forgets the offered ticket (a ticket is used at most once). */
void tls_psk_consume(tls_client_t *c);
/* The accepted ticket's chain window becomes the connection's (before
 * tls_psk_consume). */
void tls_psk_inherit(tls_client_t *c);
/* Re-checks the chain window when time is known: 0, or fails the
 * connection and wipes the ticket store. */
int tls_window_recheck(tls_client_t *c);

#endif
