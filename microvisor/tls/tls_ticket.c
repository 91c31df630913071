/*
 * tls_ticket.c: NewSessionTicket and PSK resumption with psk_dhe_ke
 * (RFC 8446 sections 2.2, 4.2.9, 4.2.11, 4.6.1).
 *
 * IMPLEMENTATION NOTES
 * - The store is the caller's (it outlives each connection) and bounded:
 *   TLS_TICKETS_N tickets of at most TLS_TICKET_MAX bytes. A new ticket
 *   takes an empty slot or the oldest one. A ticket is offered once
 *   (RFC 8446 C.4): when a connection chooses it, at init, it moves into
 *   that connection's context (c->psk) and is wiped from the store, so
 *   no other connection, concurrent or later, can show it again, even
 *   when this one is abandoned before the ServerHello. The context's copy
 *   is wiped when the ServerHello answers (used or not), on failure and
 *   by tls_client_wipe().
 * - Age: a ticket older than its lifetime (capped at 7 days) is not
 *   offered and is wiped. obfuscated_ticket_age = age in ms + age_add
 *   (mod 2^32), the age measured with now_ms at init.
 * - Only psk_dhe_ke is offered: every resumed handshake still does an
 *   X25519 exchange, so it keeps forward secrecy; no early data.
 * - The binder is HMAC(finished_key(binder_key), Transcript-Hash(...,
 *   truncated ClientHello)), over the running transcript, which after a
 *   HelloRetryRequest holds message_hash(ClientHello1) || HRR, so the
 *   second ClientHello's binder covers them (picotls #125).
 * - A resumed session is not re-authenticated by certificate: the ticket
 *   carries the trust of the full handshake that issued it, for at most
 *   its lifetime, and that chain's validity window. The window is checked
 *   on resumption when wall time is known, and again by
 *   tls_client_set_time(), like a full handshake's; when it fails the
 *   whole store (one server's tickets) is wiped, so a chain refused once
 *   time is learned cannot live on through its tickets
 *   (KEEL-SA-2026-07).
 */
#include <string.h>

#include "tls_priv.h"

#define TICKET_LIFETIME_MAX 604800u /* 7 days */

void tls_tickets_wipe(tls_ticket_store_t *s)
{
    crypto_wipe(s, sizeof(*s));
}

static bool ticket_fresh(const tls_ticket_t *t, uint64_t now_ms)
{
    return t->len != 0 && now_ms >= t->received_ms &&
           now_ms - t->received_ms < (uint64_t)t->lifetime_s * 1000u;
}

void tls_psk_choose(tls_client_t *c, uint64_t now_ms)
{
    tls_ticket_store_t *s = c->cfg->tickets;
    c->psk_slot = 0xff;
    if (!s)
        return;
    for (unsigned i = 0; i < TLS_TICKETS_N; i++) {
        tls_ticket_t *t = &s->t[i];
        if (t->len && !ticket_fresh(t, now_ms)) {
            crypto_wipe(t, sizeof(*t));
            continue;
        }
        /* The newest fresh ticket whose suite we still offer. */
        if (t->len && tls_suite_offered(c, t->suite) &&
            (c->psk_slot == 0xff || t->received_ms > s->t[c->psk_slot].received_ms))
            c->psk_slot = (uint8_t)i;
    }
    if (c->psk_slot == 0xff)
        return;
    /* Consumed as it is chosen: the store never shows it again. */
    c->psk = s->t[c->psk_slot];
    crypto_wipe(&s->t[c->psk_slot], sizeof(tls_ticket_t));
}

const uint8_t *tls_psk_key(const tls_client_t *c)
{
    return c->psk_slot == 0xff ? NULL : c->psk.psk;
}

void tls_psk_inherit(tls_client_t *c)
{
    c->window = c->psk.window;
    c->chain_checked = true;
}

void tls_psk_consume(tls_client_t *c)
{
    crypto_wipe(&c->psk, sizeof(c->psk));
    c->psk_slot = 0xff;
}

size_t tls_psk_ext_len(const tls_client_t *c)
{
    if (c->psk_slot == 0xff)
        return 0;
    /* modes: 4 + 2; pre_shared_key: 4 + 2 + (2 + len + 4) + 2 + 33 */
    return 6 + 4 + 2 + 2 + c->psk.len + 4 + 2 + 33;
}

uint8_t *tls_psk_write_ext(tls_client_t *c, uint8_t *p)
{
    const tls_ticket_t *t = &c->psk;
    uint32_t age = (uint32_t)(c->last_ms - t->received_ms) + t->age_add;
    put16(p, TLS_EXT_PSK_MODES), put16(p + 2, 2), p[4] = 1, p[5] = 1; /* psk_dhe_ke */
    p += 6;
    put16(p, TLS_EXT_PRE_SHARED_KEY);
    put16(p + 2, (uint32_t)(2 + 2 + t->len + 4 + 2 + 33));
    put16(p + 4, (uint32_t)(2 + t->len + 4));
    put16(p + 6, t->len);
    memcpy(p + 8, t->ticket, t->len);
    p += 8 + t->len;
    p[0] = (uint8_t)(age >> 24), p[1] = (uint8_t)(age >> 16), p[2] = (uint8_t)(age >> 8);
    p[3] = (uint8_t)age;
    put16(p + 4, 33);
    p[6] = 32;
    memset(p + 7, 0, 32); /* the binder, filled by tls_psk_bind */
    return p + 39;
}

/* binder_key = Derive-Secret(Extract(0, PSK), "res binder", ""). */
static void binder_key(const uint8_t psk[32], uint8_t out[32])
{
    static const uint8_t empty_hash[32] = {
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
        0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    uint8_t early[32];
    crypto_hkdf_sha256_extract(early, NULL, 0, psk, 32);
    tls_expand_label(out, 32, early, "res binder", empty_hash, 32);
    crypto_wipe(early, sizeof(early));
}

void tls_psk_bind(tls_client_t *c, uint8_t *m, size_t len)
{
    uint8_t h[32], key[32];
    crypto_sha256_t t = c->transcript;
    crypto_sha256_update(&t, m, len - 35); /* without the binders list */
    crypto_sha256_final(&t, h);
    binder_key(tls_psk_key(c), key);
    tls_finished(m + len - 32, key, h);
    crypto_wipe(key, sizeof(key));
}

int tls_on_new_session_ticket(tls_client_t *c, const uint8_t *m, size_t n)
{
    tls_cur_t cur = {m + 4, n - 4}, nonce, ticket, exts;
    uint32_t lifetime, age_add;
    if (!cur_u16(&cur, &lifetime))
        return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
    uint32_t lo, a_hi, a_lo;
    if (!cur_u16(&cur, &lo) || !cur_u16(&cur, &a_hi) || !cur_u16(&cur, &a_lo) ||
        !cur_vec(&cur, 1, &nonce) || !cur_vec(&cur, 2, &ticket) || ticket.n == 0 ||
        !cur_vec(&cur, 2, &exts) || cur.n)
        return tls_fail(c, TLS_E_DECODE, TLS_AL_DECODE_ERROR);
    lifetime = lifetime << 16 | lo;
    age_add = a_hi << 16 | a_lo;
    /* Extensions (early_data, unknown ones) are checked (count, form, no
     * type twice), else ignored. */
    int rc = tls_ext_block_check(c, exts);
    if (rc)
        return rc;
    tls_ticket_store_t *s = c->cfg->tickets;
    /* (tls_expand_label takes a context of at most 32 bytes; servers use
     * 8 or fewer for the nonce.) */
    if (!s || lifetime == 0 || ticket.n > TLS_TICKET_MAX || nonce.n > 32 || c->sent_close)
        return 0; /* not kept; the next connection does a full handshake */
    tls_ticket_t *slot = &s->t[0];
    for (unsigned i = 0; i < TLS_TICKETS_N; i++) {
        if (s->t[i].len == 0) {
            slot = &s->t[i];
            break;
        }
        if (s->t[i].received_ms < slot->received_ms)
            slot = &s->t[i];
    }
    crypto_wipe(slot, sizeof(*slot));
    /* PSK = HKDF-Expand-Label(resumption_master_secret, "resumption",
     * ticket_nonce, 32) (4.6.1). */
    tls_expand_label(slot->psk, 32, c->res_master, "resumption", nonce.p, nonce.n);
    memcpy(slot->ticket, ticket.p, ticket.n);
    slot->len = (uint16_t)ticket.n;
    slot->lifetime_s = lifetime < TICKET_LIFETIME_MAX ? lifetime : TICKET_LIFETIME_MAX;
    slot->age_add = age_add;
    slot->suite = c->suite;
    slot->received_ms = c->last_ms;
    /* The full handshake's chain window, or the one a resumed session
     * inherited from its ticket: trust never outlives the certificate. */
    slot->window = c->window;
    return 0;
}
