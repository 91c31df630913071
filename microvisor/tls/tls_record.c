/*
 * tls_record.c: the TLS 1.3 record layer (RFC 8446 section 5).
 *
 * IMPLEMENTATION NOTES
 * - Input is taken one record at a time: tls_client_recvbuf() offers the
 *   5-byte header first, then exactly the rest of that record, so a
 *   record is never split across buffers and nothing is left over. A
 *   record is opened in place in ibuf; application data then stays there
 *   until tls_client_read() has taken all of it (no room is offered
 *   meanwhile).
 * - Output records are built in place at the end of obuf: the caller of
 *   tls_rec_begin() writes the payload after a 5-byte hole, tls_rec_end()
 *   appends the inner content type, encrypts in place and writes the
 *   header. No padding is sent.
 * - Limits: a plaintext record is at most TLS_MAX_FRAG bytes, a protected
 *   one TLS_MAX_FRAG + 256; anything longer is record_overflow before a
 *   byte of its body is read, so a server that ignores max_fragment_length
 *   fails with TLS_E_RECORD_OVERFLOW, never overflows a buffer.
 * - The nonce is the IV XOR the 64-bit sequence number (5.3), so a
 *   (key, sequence) pair must never repeat. Each key protects fewer than
 *   tls_key_limit() records (RFC 8446 5.5: 2^24.5 for AES-128-GCM; for
 *   ChaCha20-Poly1305 the sequence would wrap first). Write side: at the
 *   limit tls_rec_begin() offers no room, so nothing more is sealed
 *   under that key; TLS_KU_MARGIN records before it tls_client_write()
 *   sends a KeyUpdate first (tls_ku_auto). Read side: a record under a
 *   key at its limit is refused (TLS_E_KEY_LIMIT) before it is opened,
 *   and when the peer's key comes within the margin we ask it to update
 *   (KeyUpdate with update_requested).
 */
#include <string.h>

#include "tls_priv.h"

static void nonce_of(const tls_dir_t *d, uint8_t nonce[12])
{
    memcpy(nonce, d->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(d->seq >> (8 * i));
}

uint64_t tls_key_limit(uint16_t suite)
{
    return suite == TLS_SUITE_AES_128_GCM_SHA256 ? TLS_KEY_RECORDS_AESGCM
                                                 : TLS_KEY_RECORDS_CHACHA;
}

uint8_t *tls_rec_begin(tls_client_t *c, size_t *room, size_t reserve)
{
    size_t overhead = TLS_REC_HDR + 1 + 16 + reserve;
    if (c->osent == c->olen)
        c->osent = c->olen = 0;
    size_t free_bytes = TLS_OUT_SIZE - c->olen;
    *room = free_bytes > overhead ? free_bytes - overhead : 0;
    /* A key at its record limit seals nothing more: every writer checks
     * the room it is given, so no nonce is ever used twice. */
    if (c->wr.on && c->wr.seq >= tls_key_limit(c->suite))
        *room = 0;
    if (*room > TLS_MAX_FRAG)
        *room = TLS_MAX_FRAG;
    return c->obuf + c->olen + TLS_REC_HDR;
}

void tls_rec_end(tls_client_t *c, uint8_t type, size_t len)
{
    uint8_t *h = c->obuf + c->olen, *p = h + TLS_REC_HDR;
    size_t total = len;
    if (c->wr.on) {
        uint8_t nonce[12];
        if (c->wr.seq >= tls_key_limit(c->suite)) { /* unreachable: room was 0 */
            crypto_wipe(p, len);
            return;
        }
        p[len] = type;
        total = len + 1 + 16;
        h[0] = TLS_CT_APPDATA;
        h[1] = 3, h[2] = 3;
        put16(h + 3, (uint32_t)total);
        nonce_of(&c->wr, nonce);
        if (c->suite == TLS_SUITE_AES_128_GCM_SHA256)
            crypto_aes128gcm_encrypt(p, p + len + 1, c->wr.key, nonce, 12, h, TLS_REC_HDR, p,
                                     len + 1);
        else
            crypto_chacha20poly1305_encrypt(p, p + len + 1, c->wr.key, nonce, h, TLS_REC_HDR,
                                            p, len + 1);
        c->wr.seq++;
    } else {
        h[0] = type;
        h[1] = 3, h[2] = 3;
        put16(h + 3, (uint32_t)len);
    }
    c->olen += TLS_REC_HDR + total;
}

int tls_rec_header(tls_client_t *c)
{
    const uint8_t *h = c->ibuf;
    size_t len = (size_t)h[3] << 8 | h[4];
    bool prot = c->rd.on || h[0] == TLS_CT_APPDATA;
    if (h[0] < TLS_CT_CCS || h[0] > TLS_CT_APPDATA || h[1] != 3)
        return tls_fail(c, TLS_E_RECORD, TLS_AL_UNEXPECTED_MESSAGE);
    if (len == 0)
        return tls_fail(c, TLS_E_RECORD, TLS_AL_DECODE_ERROR);
    if (len > (prot ? TLS_MAX_FRAG + 256u : TLS_MAX_FRAG))
        return tls_fail(c, TLS_E_RECORD_OVERFLOW, TLS_AL_RECORD_OVERFLOW);
    return 0;
}

/* Opens a protected record in place: *type and *len of the inner
 * plaintext at ibuf + TLS_REC_HDR. */
static int rec_open(tls_client_t *c, size_t len, uint8_t *type, size_t *plain)
{
    uint8_t nonce[12], *p = c->ibuf + TLS_REC_HDR;
    int rc;
    if (len < 17)
        return tls_fail(c, TLS_E_BAD_RECORD_MAC, TLS_AL_BAD_RECORD_MAC);
    /* The peer kept a key past its limit (RFC 8446 5.5): refused before
     * it is opened (this also keeps the sequence from wrapping). */
    if (c->rd.seq >= tls_key_limit(c->suite))
        return tls_fail(c, TLS_E_KEY_LIMIT, TLS_AL_UNEXPECTED_MESSAGE);
    nonce_of(&c->rd, nonce);
    /* Streaming decryption in place, then the verdict: the plaintext is
     * wiped unless the tag is right. (The verdict and the authenticated
     * plaintext are public; TLS_DECLASSIFY tells the ctgrind test so.) */
    if (c->suite == TLS_SUITE_AES_128_GCM_SHA256) {
        crypto_aes128gcm_t g;
        crypto_aes128gcm_init(&g, c->rd.key, nonce, 12, c->ibuf, TLS_REC_HDR);
        crypto_aes128gcm_decrypt_update(&g, p, p, len - 16);
        rc = crypto_aes128gcm_decrypt_final(&g, p + len - 16);
        crypto_wipe(&g, sizeof(g));
    } else {
        crypto_chacha20poly1305_t ch;
        crypto_chacha20poly1305_init(&ch, c->rd.key, nonce, c->ibuf, TLS_REC_HDR);
        crypto_chacha20poly1305_decrypt_update(&ch, p, p, len - 16);
        rc = crypto_chacha20poly1305_decrypt_final(&ch, p + len - 16);
        crypto_wipe(&ch, sizeof(ch));
    }
    TLS_DECLASSIFY(&rc, sizeof(rc));
    if (rc != 0) {
        crypto_wipe(p, len);
        return tls_fail(c, TLS_E_BAD_RECORD_MAC, TLS_AL_BAD_RECORD_MAC);
    }
    TLS_DECLASSIFY(p, len - 16);
    c->rd.seq++;
    /* The peer's key is near its limit: ask it to update (best effort;
     * the refusal above still holds if it does not). */
    if (c->rd.seq == tls_key_limit(c->suite) - TLS_KU_MARGIN)
        tls_ku_auto(c);
    /* The content type is the last non-zero byte; all zero is an error. */
    size_t n = len - 16;
    while (n > 0 && p[n - 1] == 0)
        n--;
    if (n == 0)
        return tls_fail(c, TLS_E_RECORD, TLS_AL_UNEXPECTED_MESSAGE);
    *type = p[n - 1];
    *plain = n - 1;
    if (*plain > TLS_MAX_FRAG)
        return tls_fail(c, TLS_E_RECORD_OVERFLOW, TLS_AL_RECORD_OVERFLOW);
    return 0;
}

static int on_alert(tls_client_t *c, const uint8_t *p, size_t len)
{
    if (len != 2)
        return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
    bool open = c->state == TLS_ST_CONNECTED || (c->state == TLS_ST_CLOSED && !c->peer_closed);
    if (p[1] != TLS_AL_CLOSE_NOTIFY || !open) {
        /* Every alert but close_notify on an open connection is fatal
         * here (RFC 8446 6.2); we send none back. */
        return tls_fail(c, TLS_E_ALERT - (int)p[1], 0);
    }
    c->peer_closed = 1;
    c->state = TLS_ST_CLOSED;
    if (!c->sent_close)
        tls_client_close(c);
    else
        tls_wipe_secrets(c); /* both directions closed: nothing more to key */
    return 0;
}

int tls_rec_process(tls_client_t *c)
{
    uint8_t type = c->ibuf[0], *p = c->ibuf + TLS_REC_HDR;
    size_t len = (size_t)c->ibuf[3] << 8 | c->ibuf[4];
    bool handshaking = c->state >= TLS_ST_WAIT_SH && c->state <= TLS_ST_WAIT_FINISHED;
    int rc;
    if (type == TLS_CT_CCS) {
        /* Middlebox compatibility (RFC 8446 5): one 0x01 byte, dropped,
         * while the handshake runs; anything else is unexpected. */
        if (len == 1 && p[0] == 1 && handshaking && c->hlen == 0)
            return 0;
        return tls_fail(c, TLS_E_UNEXPECTED, TLS_AL_UNEXPECTED_MESSAGE);
    }
    if (c->rd.on) {
        if (type != TLS_CT_APPDATA)
            return tls_fail(c, TLS_E_UNEXPECTED, TLS_AL_UNEXPECTED_MESSAGE);
        if ((rc = rec_open(c, len, &type, &len)) != 0)
            return rc;
    } else if (type == TLS_CT_APPDATA) {
        return tls_fail(c, TLS_E_UNEXPECTED, TLS_AL_UNEXPECTED_MESSAGE);
    }
    /* Handshake messages are not interleaved with other types (5.1). */
    if (c->hlen != 0 && type != TLS_CT_HANDSHAKE)
        return tls_fail(c, TLS_E_UNEXPECTED, TLS_AL_UNEXPECTED_MESSAGE);
    switch (type) {
    case TLS_CT_ALERT:
        return on_alert(c, p, len);
    case TLS_CT_HANDSHAKE:
        if (len == 0)
            return tls_fail(c, TLS_E_UNEXPECTED, TLS_AL_UNEXPECTED_MESSAGE);
        rc = tls_hs_input(c, p, len);
        crypto_wipe(p, len);
        return rc;
    case TLS_CT_APPDATA:
        if (c->state != TLS_ST_CONNECTED && !(c->state == TLS_ST_CLOSED && !c->peer_closed))
            return tls_fail(c, TLS_E_UNEXPECTED, TLS_AL_UNEXPECTED_MESSAGE);
        c->app_off = TLS_REC_HDR;
        c->app_len = len;
        return 0;
    default:
        return tls_fail(c, TLS_E_UNEXPECTED, TLS_AL_UNEXPECTED_MESSAGE);
    }
}
