/*
 * tls_hs.c: the handlers of the server's handshake messages and the
 * client's second flight (RFC 8446 sections 4.1.3 to 4.6).
 *
 * IMPLEMENTATION NOTES
 * - Each handler gets one whole message (header included) and reads it
 *   with a cursor; a vector must be consumed exactly, so trailing bytes
 *   are decode_error. Each block of extensions is checked whole first
 *   (tls_ext_block_check): at most TLS_EXT_MAX, and a type repeated,
 *   known or not, is illegal_parameter; then an extension we did not offer
 *   is unsupported_extension (4.2), except in CertificateRequest, where
 *   unknown ones are ignored as 4.3.2 says.
 * - Each handler adds its message to the transcript at the point the
 *   key schedule needs it: CertificateVerify and Finished are checked
 *   against the hash before themselves.
 * - The certificate chain is parsed in place in hbuf (x509_cert_t points
 *   into it) and fully checked before the handler returns; only the
 *   leaf's public key and the chain's validity window are kept.
 * - CertificateVerify content (4.4.3): 64 spaces, the context string, a
 *   zero byte, the transcript hash.
 */
#include <string.h>

#include "tls_priv.h"

/* The HelloRetryRequest's fixed random: SHA-256("HelloRetryRequest"). */
static const uint8_t HRR_RANDOM[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

/* The largest cookie we echo: the second ClientHello must fit a record. */
#define TLS_COOKIE_MAX 256u

static void hash_msg(tls_client_t *c, const uint8_t *m, size_t n)
{
    crypto_sha256_update(&c->transcript, m, n);
}

/* Checks a whole block of extensions before any is acted on: at most
 * TLS_EXT_MAX, each well formed, no type twice (4.2: "MUST NOT be more
 * than one extension of the same type in a given extension block"),
 * unknown types included. TLS_EXT_MAX is small, so the pairwise compare
 * needs no table. 0 or a failure. */
int tls_ext_block_check(tls_client_t *c, tls_cur_t block)
{
    uint16_t types[TLS_EXT_MAX];
    unsigned count = 0;
    tls_cur_t data;
    uint32_t type;
    while (block.n) {
        if (count == TLS_EXT_MAX)
            return tls_fail(c, TLS_E_TOO_MANY_EXT, TLS_AL_DECODE_ERROR);
        if (!cur_u16(&block, &type) || !cur_vec(&block, 2, &data))
            return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
        for (unsigned i = 0; i < count; i++)
            if (types[i] == type)
                return tls_fail(c, TLS_E_DUPLICATE_EXT, TLS_AL_ILLEGAL_PARAMETER);
        types[count++] = (uint16_t)type;
    }
    return 0;
}

/* Iterates a block already passed by tls_ext_block_check: each call
 * returns the next (type, data) pair; 1 while one is produced, 0 at the
 * end. */
typedef struct {
    tls_cur_t cur;
} ext_iter_t;

static int ext_next(ext_iter_t *it, uint32_t *type, tls_cur_t *data)
{
    if (it->cur.n == 0)
        return 0;
    cur_u16(&it->cur, type);
    cur_vec(&it->cur, 2, data);
    return 1;
}

static int on_hello_retry(tls_client_t *c, const uint8_t *m, size_t n, const tls_cur_t *cookie)
{
    uint8_t h[32], mh[4] = {TLS_HS_MESSAGE_HASH, 0, 0, 32};
    if (c->hrr_done)
        return tls_fail(c, TLS_E_HRR, TLS_AL_UNEXPECTED_MESSAGE);
    /* We offered the one group we have, so an HRR can only ask for a
     * cookie; one that would change nothing is illegal (4.1.4). */
    if (!cookie->p)
        return tls_fail(c, TLS_E_HRR, TLS_AL_ILLEGAL_PARAMETER);
    if (cookie->n > TLS_COOKIE_MAX)
        return tls_fail(c, TLS_E_HS_TOO_BIG, TLS_AL_HANDSHAKE_FAILURE);
    c->hrr_done = 1;
    /* Transcript: message_hash(ClientHello1) || HelloRetryRequest (4.4.1). */
    tls_transcript_hash(c, h);
    crypto_sha256_init(&c->transcript);
    hash_msg(c, mh, 4);
    hash_msg(c, h, 32);
    hash_msg(c, m, n);
    return tls_write_client_hello(c, cookie->p, cookie->n);
}

int tls_on_server_hello(tls_client_t *c, const uint8_t *m, size_t n)
{
    tls_cur_t cur = {m + 4, n - 4}, random, sid, exts, data, share = {NULL, 0};
    tls_cur_t cookie = {NULL, 0};
    uint32_t version, suite, comp, type, v;
    bool have_version = false, psk = false;
    int rc;
    if (!cur_u16(&cur, &version) || !cur_take(&cur, 32, &random) || !cur_vec(&cur, 1, &sid) ||
        !cur_u16(&cur, &suite) || !cur_u8(&cur, &comp) || !cur_vec(&cur, 2, &exts) || cur.n)
        return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
    bool hrr = memcmp(random.p, HRR_RANDOM, 32) == 0;
    if ((rc = tls_ext_block_check(c, exts)) != 0)
        return rc;
    ext_iter_t it = {exts};
    while ((rc = ext_next(&it, &type, &data)) == 1) {
        if (type == TLS_EXT_SUPPORTED_VERSIONS) {
            if (!cur_u16(&data, &v) || data.n)
                return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
            if (v != 0x0304)
                return tls_fail(c, TLS_E_VERSION, TLS_AL_ILLEGAL_PARAMETER);
            have_version = true;
        } else if (type == TLS_EXT_KEY_SHARE) {
            if (!cur_u16(&data, &v))
                return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
            /* HRR: selected_group; ServerHello: the server's share. Either
             * way only X25519 was offered and its share already sent. */
            if (hrr || v != TLS_GROUP_X25519)
                return tls_fail(c, TLS_E_PARAMS, TLS_AL_ILLEGAL_PARAMETER);
            if (!cur_vec(&data, 2, &share) || data.n || share.n != 32)
                return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
        } else if (type == TLS_EXT_COOKIE && hrr) {
            if (!cur_vec(&data, 2, &cookie) || data.n || cookie.n == 0)
                return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
        } else if (type == TLS_EXT_PRE_SHARED_KEY && !hrr && c->psk_slot != 0xff) {
            /* selected_identity: we offered one, so it must be 0. */
            if (!cur_u16(&data, &v) || data.n)
                return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
            if (v != 0)
                return tls_fail(c, TLS_E_PARAMS, TLS_AL_ILLEGAL_PARAMETER);
            psk = true;
        } else {
            return tls_fail(c, TLS_E_UNSUPPORTED_EXT, TLS_AL_UNSUPPORTED_EXTENSION);
        }
    }
    if (rc < 0)
        return rc;
    /* A server without supported_versions negotiates TLS 1.2 or older. */
    if (!have_version || version != 0x0303)
        return tls_fail(c, TLS_E_VERSION, TLS_AL_PROTOCOL_VERSION);
    if (sid.n != 0 || comp != 0 || !tls_suite_offered(c, suite) ||
        (c->hrr_done && suite != c->suite))
        return tls_fail(c, TLS_E_PARAMS, TLS_AL_ILLEGAL_PARAMETER);
    c->suite = (uint16_t)suite;
    if (hrr)
        return on_hello_retry(c, m, n, &cookie);
    /* psk_dhe_ke only: a ServerHello without key_share is refused. */
    if (!share.p)
        return tls_fail(c, TLS_E_MISSING_EXT, TLS_AL_MISSING_EXTENSION);
    /* A resumed session must keep the ticket's hash; both suites use
     * SHA-256, so any offered suite is compatible. */
    c->psk_accepted = psk;
    uint8_t shared[32];
    hash_msg(c, m, n);
    rc = crypto_x25519(shared, c->x25519_sk, share.p);
    crypto_wipe(c->x25519_sk, sizeof(c->x25519_sk));
    TLS_DECLASSIFY(&rc, sizeof(rc)); /* the small-order verdict */
    if (rc != 0) {
        crypto_wipe(shared, sizeof(shared));
        return tls_fail(c, TLS_E_KEY_SHARE, TLS_AL_ILLEGAL_PARAMETER);
    }
    tls_ks_handshake(c, shared);
    crypto_wipe(shared, sizeof(shared));
    if (psk)
        tls_psk_inherit(c);
    tls_psk_consume(c); /* used or refused: never offered again */
    if ((rc = tls_window_recheck(c)) != 0)
        return rc;
    c->state = TLS_ST_WAIT_EE;
    return 0;
}

int tls_on_encrypted_extensions(tls_client_t *c, const uint8_t *m, size_t n)
{
    tls_cur_t cur = {m + 4, n - 4}, exts, data;
    uint32_t type, v;
    int rc;
    if (!cur_vec(&cur, 2, &exts) || cur.n)
        return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
    if ((rc = tls_ext_block_check(c, exts)) != 0)
        return rc;
    ext_iter_t it = {exts};
    while ((rc = ext_next(&it, &type, &data)) == 1) {
        if (type == TLS_EXT_SERVER_NAME) {
            if (data.n)
                return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
        } else if (type == TLS_EXT_MAX_FRAGMENT_LENGTH && TLS_MAX_FRAG < 16384u) {
            uint32_t want = TLS_MAX_FRAG == 512u ? 1 : TLS_MAX_FRAG == 1024u ? 2
                          : TLS_MAX_FRAG == 2048u ? 3 : 4;
            if (!cur_u8(&data, &v) || data.n)
                return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
            if (v != want) /* RFC 6066 4: must echo the requested value */
                return tls_fail(c, TLS_E_PARAMS, TLS_AL_ILLEGAL_PARAMETER);
            c->mfl_acked = 1;
        } else if (type != TLS_EXT_SUPPORTED_GROUPS) {
            /* supported_groups may come here (4.2.7); anything else was
             * not offered or belongs to another message. */
            return tls_fail(c, TLS_E_UNSUPPORTED_EXT, TLS_AL_UNSUPPORTED_EXTENSION);
        }
    }
    if (rc < 0)
        return rc;
    hash_msg(c, m, n);
    /* A resumed handshake has no Certificate, CertificateRequest nor
     * CertificateVerify (2.2). */
    c->state = c->psk_accepted ? TLS_ST_WAIT_FINISHED : TLS_ST_WAIT_CERT_CR;
    return 0;
}

int tls_on_certificate_request(tls_client_t *c, const uint8_t *m, size_t n)
{
    tls_cur_t cur = {m + 4, n - 4}, ctx, exts, data, algs;
    uint32_t type, alg;
    bool have_algs = false, ed25519 = false;
    int rc;
    if (!cur_vec(&cur, 1, &ctx) || !cur_vec(&cur, 2, &exts) || cur.n)
        return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
    /* In the handshake the context is empty (4.3.2). */
    if (ctx.n)
        return tls_fail(c, TLS_E_PARAMS, TLS_AL_ILLEGAL_PARAMETER);
    if ((rc = tls_ext_block_check(c, exts)) != 0)
        return rc;
    ext_iter_t it = {exts};
    while ((rc = ext_next(&it, &type, &data)) == 1) {
        if (type != TLS_EXT_SIGNATURE_ALGORITHMS)
            continue;
        if (!cur_vec(&data, 2, &algs) || data.n || algs.n == 0 || (algs.n & 1))
            return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
        have_algs = true;
        while (cur_u16(&algs, &alg))
            ed25519 |= alg == TLS_SIG_ED25519;
    }
    if (rc < 0)
        return rc;
    if (!have_algs)
        return tls_fail(c, TLS_E_MISSING_EXT, TLS_AL_MISSING_EXTENSION);
    hash_msg(c, m, n);
    /* Without Ed25519 among the server's algorithms we cannot sign: we
     * answer with an empty Certificate and let the server decide. */
    c->cert_requested = ed25519 ? 2 : 1;
    c->state = TLS_ST_WAIT_CERT;
    return 0;
}

int tls_on_certificate(tls_client_t *c, const uint8_t *m, size_t n)
{
    tls_cur_t cur = {m + 4, n - 4}, ctx, list, der, exts;
    x509_cert_t certs[TLS_CHAIN_MAX + 1];
    size_t count = 0;
    int rc;
    if (!cur_vec(&cur, 1, &ctx) || !cur_vec(&cur, 3, &list) || cur.n)
        return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
    if (ctx.n)
        return tls_fail(c, TLS_E_PARAMS, TLS_AL_ILLEGAL_PARAMETER);
    if (list.n == 0)
        return tls_fail(c, TLS_E_NO_CERT, TLS_AL_DECODE_ERROR);
    while (list.n) {
        if (!cur_vec(&list, 3, &der) || der.n == 0 || !cur_vec(&list, 2, &exts))
            return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
        /* We asked for no OCSP status nor SCTs: any extension is refused,
         * a repeated one (4.2) as such. */
        if ((rc = tls_ext_block_check(c, exts)) != 0)
            return rc;
        if (exts.n)
            return tls_fail(c, TLS_E_UNSUPPORTED_EXT, TLS_AL_UNSUPPORTED_EXTENSION);
        /* The anchor may follow the TLS_CHAIN_MAX certificates. */
        if (count == TLS_CHAIN_MAX + 1)
            return tls_fail(c, TLS_E_CHAIN_TOO_DEEP, TLS_AL_BAD_CERTIFICATE);
        if ((rc = x509_parse(&certs[count], der.p, der.n)) != 0)
            return tls_fail_x509(c, rc);
        count++;
    }
    rc = x509_chain_check(certs, count, &c->anchor, c->cfg->host, strlen(c->cfg->host),
                          c->time_known, tls_wall_time(c), &c->window);
    if (rc)
        return tls_fail_x509(c, rc);
    memcpy(c->leaf_pk, certs[0].pubkey, 32);
    c->chain_checked = true;
    hash_msg(c, m, n);
    c->state = TLS_ST_WAIT_CV;
    return 0;
}

static const char CV_SERVER[] = "TLS 1.3, server CertificateVerify";
static const char CV_CLIENT[] = "TLS 1.3, client CertificateVerify";

/* 64 spaces || context string || 0 || transcript hash (4.4.3). */
static size_t cv_content(uint8_t out[130], const char *label, const uint8_t hash[32])
{
    memset(out, 0x20, 64);
    memcpy(out + 64, label, 34); /* 33 characters and the zero byte */
    memcpy(out + 98, hash, 32);
    return 130;
}

int tls_on_certificate_verify(tls_client_t *c, const uint8_t *m, size_t n)
{
    tls_cur_t cur = {m + 4, n - 4}, sig;
    uint32_t alg;
    uint8_t h[32], content[130];
    if (!cur_u16(&cur, &alg) || !cur_vec(&cur, 2, &sig) || cur.n)
        return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
    if (alg != TLS_SIG_ED25519) /* the only one offered */
        return tls_fail(c, TLS_E_SIG_ALG, TLS_AL_ILLEGAL_PARAMETER);
    if (sig.n != 64)
        return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
    tls_transcript_hash(c, h);
    size_t len = cv_content(content, CV_SERVER, h);
    if (crypto_ed25519_verify(sig.p, c->leaf_pk, content, len) != 0)
        return tls_fail(c, TLS_E_BAD_CERT_VERIFY, TLS_AL_DECRYPT_ERROR);
    hash_msg(c, m, n);
    c->state = TLS_ST_WAIT_FINISHED;
    return 0;
}

/* Certificate (+ CertificateVerify) + Finished, one record under the
 * client handshake keys. */
static int write_client_flight(tls_client_t *c)
{
    size_t room, k = 0;
    uint8_t *p = tls_rec_begin(c, &room, 0), h[32];
    const tls_client_config_t *cfg = c->cfg;
    bool sign = c->cert_requested == 2 && cfg->cert_der;
    size_t need = (c->cert_requested ? 4 + 1 + 3 + (sign ? 5 + cfg->cert_len : 0) : 0) +
                  (sign ? 4 + 4 + 64 : 0) + 4 + 32;
    if (need > room)
        return tls_fail(c, TLS_E_INTERNAL, TLS_AL_INTERNAL_ERROR);
    if (c->cert_requested) {
        size_t list = sign ? 3 + cfg->cert_len + 2 : 0;
        p[k] = TLS_HS_CERTIFICATE;
        put24(p + k + 1, (uint32_t)(1 + 3 + list));
        p[k + 4] = 0; /* certificate_request_context: empty, as the server's */
        put24(p + k + 5, (uint32_t)list);
        k += 8;
        if (sign) {
            put24(p + k, (uint32_t)cfg->cert_len);
            memcpy(p + k + 3, cfg->cert_der, cfg->cert_len);
            put16(p + k + 3 + cfg->cert_len, 0);
            k += list;
        }
        hash_msg(c, p, k);
    }
    if (sign) {
        uint8_t content[130];
        size_t at = k;
        tls_transcript_hash(c, h);
        size_t len = cv_content(content, CV_CLIENT, h);
        p[k] = TLS_HS_CERTIFICATE_VERIFY;
        put24(p + k + 1, 2 + 2 + 64);
        put16(p + k + 4, TLS_SIG_ED25519);
        put16(p + k + 6, 64);
        crypto_ed25519_sign(p + k + 8, cfg->key, content, len);
        TLS_DECLASSIFY(p + k + 8, 64); /* a signature is public */
        k += 8 + 64;
        hash_msg(c, p + at, k - at);
    }
    tls_transcript_hash(c, h);
    p[k] = TLS_HS_FINISHED;
    put24(p + k + 1, 32);
    tls_finished(p + k + 4, c->c_hs, h);
    hash_msg(c, p + k, 36);
    k += 36;
    tls_rec_end(c, TLS_CT_HANDSHAKE, k);
    return 0;
}

int tls_on_finished(tls_client_t *c, const uint8_t *m, size_t n)
{
    uint8_t h[32], expect[32], c_ap[32];
    if (n != 4 + 32)
        return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
    tls_transcript_hash(c, h);
    tls_finished(expect, c->rd.secret, h);
    int bad = crypto_verify(expect, m + 4, 32);
    crypto_wipe(expect, sizeof(expect));
    TLS_DECLASSIFY(&bad, sizeof(bad));
    if (bad)
        return tls_fail(c, TLS_E_BAD_FINISHED, TLS_AL_DECRYPT_ERROR);
    hash_msg(c, m, n);
    /* Application secrets over the transcript through the server's
     * Finished; the read side switches now, the write side after ours. */
    tls_ks_application(c, c_ap);
    int rc = write_client_flight(c);
    if (rc == 0) {
        tls_dir_set(&c->wr, c->suite, c_ap);
        /* resumption_master_secret over the transcript through our
         * Finished, for the tickets that follow (7.1). */
        tls_transcript_hash(c, h);
        tls_expand_label(c->res_master, 32, c->hs_secret, "res master", h, 32);
    }
    crypto_wipe(c_ap, sizeof(c_ap));
    crypto_wipe(c->c_hs, sizeof(c->c_hs));
    crypto_wipe(c->hs_secret, sizeof(c->hs_secret));
    crypto_wipe(&c->transcript, sizeof(c->transcript));
    if (rc)
        return rc;
    c->state = TLS_ST_CONNECTED;
    return 0;
}

int tls_on_key_update(tls_client_t *c, const uint8_t *m, size_t n)
{
    if (n != 5)
        return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
    if (m[4] > 1)
        return tls_fail(c, TLS_E_PARAMS, TLS_AL_ILLEGAL_PARAMETER);
    tls_dir_update(&c->rd, c->suite);
    /* update_requested: answer with our own before more data (4.6.3);
     * after our close_notify nothing more is sent. */
    if (m[4] == 1 && !c->sent_close && !c->ku_pending)
        return tls_ku_answer(c);
    return 0;
}

/* ---- error names ---- */

static const char *const TLS_NAMES[TLS_E_COUNT] = {
    "config", "state", "record", "record_overflow", "decode", "unexpected_message",
    "bad_record_mac", "version", "illegal_parameter", "unsupported_extension",
    "missing_extension", "hello_retry", "key_share", "handshake_too_big",
    "too_many_extensions", "certificate_too_big", "chain_too_deep", "bad_certificate_verify",
    "bad_finished", "signature_algorithm", "timeout", "eof", "no_certificate", "internal",
    "key_limit", "duplicate_extension"};

static const struct {
    uint8_t code;
    const char *name;
} ALERT_NAMES[] = {
    {0, "close_notify"}, {10, "unexpected_message"}, {20, "bad_record_mac"},
    {22, "record_overflow"}, {40, "handshake_failure"}, {42, "bad_certificate"},
    {43, "unsupported_certificate"}, {44, "certificate_revoked"}, {45, "certificate_expired"},
    {46, "certificate_unknown"}, {47, "illegal_parameter"}, {48, "unknown_ca"},
    {49, "access_denied"}, {50, "decode_error"}, {51, "decrypt_error"},
    {70, "protocol_version"}, {71, "insufficient_security"}, {80, "internal_error"},
    {86, "inappropriate_fallback"}, {90, "user_canceled"}, {109, "missing_extension"},
    {110, "unsupported_extension"}, {112, "unrecognized_name"},
    {113, "bad_certificate_status_response"}, {115, "unknown_psk_identity"},
    {116, "certificate_required"}, {120, "no_application_protocol"},
};

const char *tls_error_class(int err)
{
    if (err <= TLS_E_ALERT && err > TLS_E_ALERT - 256)
        return "alert";
    if (err < TLS_E_X509 && err >= TLS_E_X509 - X509_E_COUNT)
        return "x509";
    return "tls";
}

const char *tls_error_name(int err)
{
    if (err == 0)
        return "ok";
    if (err <= TLS_E_ALERT && err > TLS_E_ALERT - 256) {
        for (size_t i = 0; i < sizeof(ALERT_NAMES) / sizeof(ALERT_NAMES[0]); i++)
            if (ALERT_NAMES[i].code == TLS_E_ALERT - err)
                return ALERT_NAMES[i].name;
        return "unknown_alert";
    }
    if (err < TLS_E_X509 && err >= TLS_E_X509 - X509_E_COUNT)
        return x509_error_name(err - TLS_E_X509);
    if (err < 0 && err >= -TLS_E_COUNT)
        return TLS_NAMES[-err - 1];
    return "unknown";
}
