/*
 * tls_client.c: the TLS 1.3 client's API, its state machine and the
 * ClientHello (RFC 8446 sections 4.1.2, 4.4). The server's messages are
 * handled in tls_hs.c, records in tls_record.c, keys in tls_keysched.c.
 *
 * IMPLEMENTATION NOTES
 * - One explicit state (enum tls_state) and one table from (state,
 *   message type) to handler: a message not in the table for the current
 *   state is unexpected_message. HelloRetryRequest is handled in
 *   WAIT_SH by the ServerHello handler and may happen once.
 * - Handshake messages are reassembled in hbuf whole (at most TLS_HS_MAX
 *   bytes), so every handler sees one complete message and parses it
 *   with a cursor. A message that changes keys (ServerHello, Finished,
 *   KeyUpdate) must end its record (5.1).
 * - Errors go through tls_fail(): the first error is kept, the alert is
 *   queued with the keys in force (plaintext before ServerHello), then
 *   every secret is wiped. Nothing else is written after it.
 * - While the handshake runs, no input is taken until the queued output
 *   is sent: a flight is always written into an empty output buffer.
 */
#include <string.h>

#include "tls_priv.h"

/* ---- failure and wiping ---- */

void tls_wipe_secrets(tls_client_t *c)
{
    crypto_wipe(c->x25519_sk, sizeof(c->x25519_sk));
    crypto_wipe(c->hs_secret, sizeof(c->hs_secret));
    crypto_wipe(c->c_hs, sizeof(c->c_hs));
    crypto_wipe(c->res_master, sizeof(c->res_master));
    crypto_wipe(&c->rd, sizeof(c->rd));
    crypto_wipe(&c->wr, sizeof(c->wr));
    crypto_wipe(&c->transcript, sizeof(c->transcript));
    crypto_wipe(c->hbuf, sizeof(c->hbuf));
    c->hlen = 0;
}

static bool write_alert(tls_client_t *c, uint8_t level, uint8_t desc)
{
    size_t room;
    uint8_t *p = tls_rec_begin(c, &room, 0);
    if (room < 2)
        return false; /* the queue is full of data the peer has not taken */
    p[0] = level;
    p[1] = desc;
    tls_rec_end(c, TLS_CT_ALERT, 2);
    return true;
}

int tls_fail(tls_client_t *c, int err, uint8_t alert)
{
    if (c->err)
        return c->err;
    c->err = err;
    if (alert && !c->sent_close && c->state != TLS_ST_IDLE)
        write_alert(c, 2, alert);
    tls_wipe_secrets(c);
    tls_psk_consume(c);
    crypto_wipe(c->ibuf, sizeof(c->ibuf));
    c->app_len = 0;
    c->state = TLS_ST_FAILED;
    return err;
}

/* ---- ClientHello ---- */

static const uint16_t DEFAULT_SUITES[2] = {TLS_SUITE_CHACHA20_POLY1305_SHA256,
                                           TLS_SUITE_AES_128_GCM_SHA256};

static const uint16_t *suites_of(const tls_client_t *c)
{
    return c->cfg->suites[0] ? c->cfg->suites : DEFAULT_SUITES;
}

bool tls_suite_offered(const tls_client_t *c, uint32_t suite)
{
    const uint16_t *s = suites_of(c);
    return suite != 0 && (s[0] == suite || s[1] == suite);
}

static uint8_t *put_ext(uint8_t *p, uint32_t type, size_t len)
{
    put16(p, type);
    put16(p + 2, (uint32_t)len);
    return p + 4;
}

/* Writes the ClientHello (with the HRR's cookie on the second one) as
 * one record and adds it to the transcript. */
int tls_write_client_hello(tls_client_t *c, const uint8_t *cookie, size_t cookie_len)
{
    size_t room, hl = strlen(c->cfg->host);
    const uint16_t *s = suites_of(c);
    size_t ns = s[1] ? 2 : 1;
    uint8_t *m = tls_rec_begin(c, &room, 0), *p;
    size_t need = 4 + 2 + 32 + 1 + 2 + 2 * ns + 2 + 2 + (9 + hl) + 5 + 8 + 8 + 7 + 42 +
                  (cookie_len ? 6 + cookie_len : 0) + tls_psk_ext_len(c);
    if (need > room)
        return tls_fail(c, TLS_E_HS_TOO_BIG, TLS_AL_HANDSHAKE_FAILURE);
    p = m + 4;
    put16(p, 0x0303), p += 2;
    memcpy(p, c->random, 32), p += 32;
    *p++ = 0; /* legacy_session_id: empty, so no middlebox CCS is needed */
    put16(p, (uint32_t)(2 * ns)), p += 2;
    for (size_t i = 0; i < ns; i++)
        put16(p, s[i]), p += 2;
    *p++ = 1, *p++ = 0; /* legacy_compression_methods: null */
    uint8_t *exts = p;
    p += 2;
    p = put_ext(p, TLS_EXT_SERVER_NAME, 5 + hl);
    put16(p, (uint32_t)(3 + hl)), p[2] = 0, put16(p + 3, (uint32_t)hl), p += 5;
    memcpy(p, c->cfg->host, hl), p += hl;
    if (TLS_MAX_FRAG < 16384u) {
        p = put_ext(p, TLS_EXT_MAX_FRAGMENT_LENGTH, 1);
        *p++ = TLS_MAX_FRAG == 512u ? 1 : TLS_MAX_FRAG == 1024u ? 2 : TLS_MAX_FRAG == 2048u ? 3 : 4;
    }
    p = put_ext(p, TLS_EXT_SUPPORTED_GROUPS, 4);
    put16(p, 2), put16(p + 2, TLS_GROUP_X25519), p += 4;
    p = put_ext(p, TLS_EXT_SIGNATURE_ALGORITHMS, 4);
    put16(p, 2), put16(p + 2, TLS_SIG_ED25519), p += 4;
    p = put_ext(p, TLS_EXT_SUPPORTED_VERSIONS, 3);
    *p++ = 2, put16(p, 0x0304), p += 2;
    p = put_ext(p, TLS_EXT_KEY_SHARE, 38);
    put16(p, 36), put16(p + 2, TLS_GROUP_X25519), put16(p + 4, 32), p += 6;
    crypto_x25519_public_key(p, c->x25519_sk);
    TLS_DECLASSIFY(p, 32); /* a public key */
    p += 32;
    if (cookie_len) {
        p = put_ext(p, TLS_EXT_COOKIE, 2 + cookie_len);
        put16(p, (uint32_t)cookie_len), p += 2;
        memcpy(p, cookie, cookie_len), p += cookie_len;
    }
    if (c->psk_slot != 0xff)
        p = tls_psk_write_ext(c, p); /* pre_shared_key must come last */
    put16(exts, (uint32_t)(p - exts - 2));
    size_t len = (size_t)(p - m);
    m[0] = TLS_HS_CLIENT_HELLO;
    put24(m + 1, (uint32_t)(len - 4));
    if (c->psk_slot != 0xff)
        tls_psk_bind(c, m, len);
    crypto_sha256_update(&c->transcript, m, len);
    tls_rec_end(c, TLS_CT_HANDSHAKE, len);
    return 0;
}

/* ---- the state machine ---- */

typedef int (*hs_handler)(tls_client_t *, const uint8_t *, size_t);

static const struct {
    uint8_t state, type;
    hs_handler fn;
} HS_TABLE[] = {
    {TLS_ST_WAIT_SH, TLS_HS_SERVER_HELLO, tls_on_server_hello},
    {TLS_ST_WAIT_EE, TLS_HS_ENCRYPTED_EXTENSIONS, tls_on_encrypted_extensions},
    {TLS_ST_WAIT_CERT_CR, TLS_HS_CERTIFICATE_REQUEST, tls_on_certificate_request},
    {TLS_ST_WAIT_CERT_CR, TLS_HS_CERTIFICATE, tls_on_certificate},
    {TLS_ST_WAIT_CERT, TLS_HS_CERTIFICATE, tls_on_certificate},
    {TLS_ST_WAIT_CV, TLS_HS_CERTIFICATE_VERIFY, tls_on_certificate_verify},
    {TLS_ST_WAIT_FINISHED, TLS_HS_FINISHED, tls_on_finished},
    {TLS_ST_CONNECTED, TLS_HS_NEW_SESSION_TICKET, tls_on_new_session_ticket},
    {TLS_ST_CONNECTED, TLS_HS_KEY_UPDATE, tls_on_key_update},
    {TLS_ST_CLOSED, TLS_HS_NEW_SESSION_TICKET, tls_on_new_session_ticket},
    {TLS_ST_CLOSED, TLS_HS_KEY_UPDATE, tls_on_key_update},
};

static int hs_dispatch(tls_client_t *c, const uint8_t *m, size_t n)
{
    for (size_t i = 0; i < sizeof(HS_TABLE) / sizeof(HS_TABLE[0]); i++)
        if (HS_TABLE[i].state == c->state && HS_TABLE[i].type == m[0])
            return HS_TABLE[i].fn(c, m, n);
    return tls_fail(c, TLS_E_UNEXPECTED, TLS_AL_UNEXPECTED_MESSAGE);
}

int tls_hs_input(tls_client_t *c, const uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t take;
        if (c->hlen < 4) {
            take = 4 - c->hlen < n ? 4 - c->hlen : n;
            memcpy(c->hbuf + c->hlen, p, take);
            c->hlen += take, p += take, n -= take;
            if (c->hlen < 4)
                return 0;
        }
        size_t total = 4 + ((size_t)c->hbuf[1] << 16 | (size_t)c->hbuf[2] << 8 | c->hbuf[3]);
        if (total > TLS_HS_MAX)
            return tls_fail(c, TLS_E_HS_TOO_BIG, TLS_AL_HANDSHAKE_FAILURE);
        take = total - c->hlen < n ? total - c->hlen : n;
        memcpy(c->hbuf + c->hlen, p, take);
        c->hlen += take, p += take, n -= take;
        if (c->hlen < total)
            return 0;
        uint8_t type = c->hbuf[0];
        int rc = hs_dispatch(c, c->hbuf, total);
        crypto_wipe(c->hbuf, total);
        c->hlen = 0;
        if (rc)
            return rc;
        /* A key change ends its record (RFC 8446 5.1). */
        if (n > 0 && (type == TLS_HS_SERVER_HELLO || type == TLS_HS_FINISHED ||
                      type == TLS_HS_KEY_UPDATE))
            return tls_fail(c, TLS_E_UNEXPECTED, TLS_AL_UNEXPECTED_MESSAGE);
    }
    return 0;
}

/* ---- API ---- */

int tls_client_init(tls_client_t *c, const tls_client_config_t *cfg,
                    const uint8_t entropy[64], uint64_t now_ms)
{
    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    c->psk_slot = 0xff;
    size_t hl = cfg->host ? strlen(cfg->host) : 0;
    if (hl == 0 || hl > TLS_HOST_MAX || !cfg->anchor_der)
        return c->err = TLS_E_CONFIG;
    if (cfg->cert_der && (!cfg->key || cfg->cert_len == 0 || cfg->cert_len > TLS_CERT_MAX ||
                          cfg->cert_len + 128 > TLS_MAX_FRAG))
        return c->err = TLS_E_CONFIG;
    for (int i = 0; i < 2; i++)
        if (cfg->suites[i] && cfg->suites[i] != TLS_SUITE_CHACHA20_POLY1305_SHA256 &&
            cfg->suites[i] != TLS_SUITE_AES_128_GCM_SHA256)
            return c->err = TLS_E_CONFIG;
    int rc = x509_parse(&c->anchor, cfg->anchor_der, cfg->anchor_len);
    if (rc)
        return c->err = TLS_E_X509 + rc;
    memcpy(c->random, entropy, 32);
    memcpy(c->x25519_sk, entropy + 32, 32);
    c->start_ms = c->last_ms = now_ms;
    crypto_sha256_init(&c->transcript);
    tls_psk_choose(c, now_ms);
    c->state = TLS_ST_WAIT_SH;
    return tls_write_client_hello(c, NULL, 0);
}

const uint8_t *tls_client_sendbuf(const tls_client_t *c, size_t *len)
{
    *len = c->olen - c->osent;
    return c->obuf + c->osent;
}

static int flush_pending(tls_client_t *c);

void tls_client_sent(tls_client_t *c, size_t len)
{
    if (len > c->olen - c->osent)
        len = c->olen - c->osent;
    c->osent += len;
    if (c->osent == c->olen)
        c->osent = c->olen = 0;
    if (c->ku_pending && !c->err)
        flush_pending(c);
}

static bool handshaking(const tls_client_t *c)
{
    return c->state >= TLS_ST_WAIT_SH && c->state <= TLS_ST_WAIT_FINISHED;
}

uint8_t *tls_client_recvbuf(tls_client_t *c, size_t *room)
{
    *room = 0;
    if (c->err || c->state == TLS_ST_IDLE || c->peer_closed || c->app_len)
        return c->ibuf;
    if (handshaking(c) && c->osent < c->olen)
        return c->ibuf;
    if (c->ilen < TLS_REC_HDR)
        *room = TLS_REC_HDR - c->ilen;
    else
        *room = TLS_REC_HDR + ((size_t)c->ibuf[3] << 8 | c->ibuf[4]) - c->ilen;
    return c->ibuf + c->ilen;
}

int tls_client_received(tls_client_t *c, size_t len, uint64_t now_ms)
{
    size_t room;
    if (c->err)
        return c->err;
    tls_client_recvbuf(c, &room);
    if (len > room)
        return tls_fail(c, TLS_E_STATE, TLS_AL_INTERNAL_ERROR);
    c->last_ms = now_ms;
    c->ilen += len;
    if (c->ilen == TLS_REC_HDR && len) {
        int rc = tls_rec_header(c);
        if (rc)
            return rc;
    }
    if (c->ilen > TLS_REC_HDR && c->ilen == TLS_REC_HDR + ((size_t)c->ibuf[3] << 8 | c->ibuf[4])) {
        c->ilen = 0;
        int rc = tls_rec_process(c);
        if (rc)
            return rc;
    }
    return tls_client_tick(c, now_ms);
}

int tls_client_eof(tls_client_t *c)
{
    if (c->err)
        return c->err;
    if (c->peer_closed)
        return 0;
    return tls_fail(c, TLS_E_EOF, 0);
}

int tls_client_tick(tls_client_t *c, uint64_t now_ms)
{
    if (c->err)
        return c->err;
    c->last_ms = now_ms;
    if (handshaking(c) && now_ms - c->start_ms > TLS_HANDSHAKE_TIMEOUT_MS)
        return tls_fail(c, TLS_E_TIMEOUT, 0);
    return 0;
}

int64_t tls_wall_time(const tls_client_t *c)
{
    /* A clock that went backwards (against the API's rule) counts as no
     * time passed, never as a wrapped, far-future offset. */
    uint64_t d = c->last_ms > c->time_ms ? c->last_ms - c->time_ms : 0;
    return c->time_s + (int64_t)(d / 1000u);
}

static uint8_t x509_alert(int x)
{
    switch (x) {
    case X509_E_EXPIRED:
    case X509_E_NOT_YET_VALID:
        return TLS_AL_CERTIFICATE_EXPIRED;
    case X509_E_UNKNOWN_CA:
        return TLS_AL_UNKNOWN_CA;
    case X509_E_KEY_RSA:
    case X509_E_KEY_EC:
    case X509_E_KEY_OTHER:
    case X509_E_SIG_ALG:
    case X509_E_CRITICAL_EXT:
        return TLS_AL_UNSUPPORTED_CERTIFICATE;
    default:
        return TLS_AL_BAD_CERTIFICATE;
    }
}

int tls_fail_x509(tls_client_t *c, int x)
{
    if (x == X509_E_CHAIN_TOO_DEEP)
        return tls_fail(c, TLS_E_CHAIN_TOO_DEEP, TLS_AL_BAD_CERTIFICATE);
    if (x == X509_E_TOO_BIG)
        return tls_fail(c, TLS_E_CERT_TOO_BIG, TLS_AL_BAD_CERTIFICATE);
    return tls_fail(c, TLS_E_X509 + x, x509_alert(x));
}

int tls_client_set_time(tls_client_t *c, int64_t unix_s, uint64_t now_ms)
{
    if (c->err)
        return c->err;
    c->time_known = true;
    c->time_s = unix_s;
    c->time_ms = c->last_ms = now_ms;
    return tls_window_recheck(c);
}

int tls_window_recheck(tls_client_t *c)
{
    if (!c->chain_checked || !c->time_known)
        return 0;
    int x = x509_window_check(&c->window, tls_wall_time(c));
    if (x == 0)
        return 0;
    /* Every ticket in the store came from this server, whose chain is now
     * refused: none may resume a session past that verdict. */
    if (c->cfg->tickets)
        tls_tickets_wipe(c->cfg->tickets);
    return tls_fail_x509(c, x);
}

int tls_client_read(tls_client_t *c, void *out, size_t len)
{
    if (c->err)
        return c->err;
    size_t n = len < c->app_len ? len : c->app_len;
    if (n > 0x7fffffff)
        n = 0x7fffffff;
    memcpy(out, c->ibuf + c->app_off, n);
    crypto_wipe(c->ibuf + c->app_off, n);
    c->app_off += n;
    c->app_len -= n;
    return (int)n;
}

int tls_client_write(tls_client_t *c, const void *data, size_t len)
{
    size_t room;
    if (c->err)
        return c->err;
    if (c->state != TLS_ST_CONNECTED)
        return TLS_E_STATE;
    /* Within TLS_KU_MARGIN records of the key's limit, no more data goes
     * under it: a KeyUpdate first, or nothing until one can be queued. */
    uint64_t limit = tls_key_limit(c->suite);
    if (c->wr.seq >= limit - TLS_KU_MARGIN && !tls_ku_auto(c))
        return c->wr.seq >= limit ? TLS_E_KEY_LIMIT : 0;
    uint8_t *p = tls_rec_begin(c, &room, TLS_CTRL_RESERVE);
    size_t n = len < room ? len : room;
    if (n == 0)
        return 0;
    memcpy(p, data, n);
    tls_rec_end(c, TLS_CT_APPDATA, n);
    return (int)n;
}

/* A KeyUpdate(update_not_requested) owed to the peer, sent once room is. */
static int flush_pending(tls_client_t *c)
{
    size_t room;
    if (c->sent_close) { /* nothing follows our close_notify (6.1) */
        c->ku_pending = 0;
        return 0;
    }
    uint8_t *p = tls_rec_begin(c, &room, 0);
    if (room < 5)
        return 0;
    p[0] = TLS_HS_KEY_UPDATE, put24(p + 1, 1), p[4] = 0;
    tls_rec_end(c, TLS_CT_HANDSHAKE, 5);
    tls_dir_update(&c->wr, c->suite);
    c->ku_pending = 0;
    return 0;
}

int tls_client_key_update(tls_client_t *c, bool request)
{
    size_t room;
    if (c->err)
        return c->err;
    if (c->state != TLS_ST_CONNECTED || c->ku_pending)
        return TLS_E_STATE;
    uint8_t *p = tls_rec_begin(c, &room, 0);
    if (room < 5)
        return TLS_E_STATE;
    p[0] = TLS_HS_KEY_UPDATE, put24(p + 1, 1), p[4] = request ? 1 : 0;
    tls_rec_end(c, TLS_CT_HANDSHAKE, 5);
    tls_dir_update(&c->wr, c->suite);
    return 0;
}

bool tls_ku_auto(tls_client_t *c)
{
    /* An answer still owed (ku_pending) will change our key anyway. */
    if (c->err || c->state != TLS_ST_CONNECTED || c->ku_pending)
        return false;
    bool request = c->rd.seq >= tls_key_limit(c->suite) - TLS_KU_MARGIN;
    return tls_client_key_update(c, request) == 0;
}

int tls_ku_answer(tls_client_t *c)
{
    c->ku_pending = 1;
    return flush_pending(c);
}

int tls_client_close(tls_client_t *c)
{
    if (c->err)
        return c->err;
    if (c->state != TLS_ST_CONNECTED && c->state != TLS_ST_CLOSED)
        return TLS_E_STATE;
    if (!c->sent_close) {
        /* Not reported sent unless queued: a full queue is retried once
         * the transport has taken bytes (the peer would read EOF alone as
         * truncation). */
        if (!write_alert(c, 1, TLS_AL_CLOSE_NOTIFY))
            return TLS_E_STATE;
        c->sent_close = 1;
        c->ku_pending = 0; /* no KeyUpdate after close_notify (6.1) */
    }
    c->state = TLS_ST_CLOSED;
    if (c->peer_closed)
        tls_wipe_secrets(c); /* nothing more goes either way */
    return 0;
}

void tls_client_wipe(tls_client_t *c)
{
    crypto_wipe(c, sizeof(*c));
}

enum tls_state tls_client_state(const tls_client_t *c)
{
    return c->state;
}

int tls_client_error(const tls_client_t *c)
{
    return c->err;
}

bool tls_client_resumed(const tls_client_t *c)
{
    return c->psk_accepted && c->state == TLS_ST_CONNECTED;
}

uint16_t tls_client_suite(const tls_client_t *c)
{
    return c->suite;
}
