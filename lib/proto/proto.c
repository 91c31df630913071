/*
 * proto.c: encoders and decoders of the device protocol (proto.h).
 *
 * IMPLEMENTATION NOTES
 * Every decoder walks its map once through lib/cbor's bounded cursor:
 * open() checks the header keys 0 (version) and 1 (type) and hands back the
 * number of pairs left; next_key() enforces strictly increasing keys and
 * skips extensions (64 and up) past the ones its decoder reads (up to
 * w->ext, optional fields older peers may skip); each decoder's switch
 * takes the keys it knows and rejects the rest. Required fields are tracked in a bit mask.
 * Nothing is allocated and nothing is recursive; arrays are bounded by
 * the PROTO_MAX_* sizes before any element is read.
 */
#include "proto.h"

#include <stdbool.h>
#include <string.h>

#include "cbor.h"

#define EXT_KEY 64u

struct walk {
    cbor_dec_t d;
    size_t left;       /* pairs not yet read */
    uint64_t last;     /* last key read */
    uint64_t ext;      /* extension keys 64..ext are the decoder's; 0 none */
};

static int open_msg(struct walk *w, const uint8_t *buf, size_t len, uint32_t type)
{
    uint64_t k, v;
    size_t pairs;
    cbor_dec_init(&w->d, buf, len);
    if (cbor_get_map(&w->d, &pairs) || pairs < 2 || cbor_get_uint(&w->d, &k) || k != 0 ||
        cbor_get_uint(&w->d, &v))
        return PROTO_E_CBOR;
    if (v != PROTO_VERSION)
        return PROTO_E_VERSION;
    if (cbor_get_uint(&w->d, &k) || k != 1 || cbor_get_uint(&w->d, &v))
        return PROTO_E_CBOR;
    if (type && v != type)
        return PROTO_E_TYPE;
    w->left = pairs - 2;
    w->last = 1;
    w->ext = 0;
    return (int)v;
}

/* The next known key (< 64, or 64..w->ext) in *k; 1 when the map is done,
 * or an error. Other extensions are skipped. */
static int next_key(struct walk *w, uint64_t *k)
{
    while (w->left) {
        w->left--;
        if (cbor_get_uint(&w->d, k))
            return PROTO_E_CBOR;
        if (*k <= w->last)
            return PROTO_E_ORDER;
        w->last = *k;
        if (*k < EXT_KEY || *k <= w->ext)
            return 0;
        if (cbor_skip(&w->d))
            return PROTO_E_CBOR;
    }
    return cbor_dec_at_end(&w->d) && !cbor_dec_error(&w->d) ? 1 : PROTO_E_CBOR;
}

static int get_u32(cbor_dec_t *d, uint32_t *out)
{
    uint64_t v;
    if (cbor_get_uint(d, &v))
        return PROTO_E_FIELD;
    if (v > UINT32_MAX)
        return PROTO_E_FIELD;
    *out = (uint32_t)v;
    return 0;
}

/* RFC 3629 section 4's table: the second byte's range depends on the
 * first (that is what excludes overlongs, surrogates and > U+10FFFF);
 * every later byte is 80..BF. */
size_t proto_utf8_seq(const char *p, size_t n)
{
    const uint8_t *s = (const uint8_t *)p;
    if (!n)
        return 0;
    uint8_t c = s[0], lo = 0x80, hi = 0xBF;
    size_t more;
    if (c >= 0x01 && c <= 0x7F)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        more = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        more = 2;
        if (c == 0xE0)
            lo = 0xA0; /* overlong below U+0800 */
        else if (c == 0xED)
            hi = 0x9F; /* U+D800..DFFF: surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        more = 3;
        if (c == 0xF0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xF4)
            hi = 0x8F; /* past U+10FFFF */
    } else {
        return 0; /* NUL, a continuation byte, C0, C1, F5..FF */
    }
    if (n - 1 < more || s[1] < lo || s[1] > hi)
        return 0; /* truncated, or a bad second byte */
    for (size_t k = 2; k <= more; k++)
        if (s[k] < 0x80 || s[k] > 0xBF)
            return 0;
    return more + 1;
}

int proto_utf8_valid(const char *p, size_t n)
{
    for (size_t i = 0, k; i < n; i += k)
        if (!(k = proto_utf8_seq(p + i, n - i)))
            return 0;
    return 1;
}

static int get_str(cbor_dec_t *d, struct proto_str *s, size_t max)
{
    if (cbor_get_tstr(d, &s->p, &s->n) || s->n > max)
        return PROTO_E_FIELD;
    return proto_utf8_valid(s->p, s->n) ? 0 : PROTO_E_TEXT;
}

static void head(cbor_enc_t *e, uint8_t *buf, size_t cap, size_t pairs, uint32_t type)
{
    cbor_enc_init(e, buf, cap);
    cbor_put_map(e, pairs + 2);
    cbor_put_uint(e, 0);
    cbor_put_uint(e, PROTO_VERSION);
    cbor_put_uint(e, 1);
    cbor_put_uint(e, type);
}

static int finish(cbor_enc_t *e, size_t *len)
{
    return cbor_enc_finish(e, len) == CBOR_OK ? PROTO_OK : PROTO_E_SPACE;
}

int proto_peek_type(const uint8_t *buf, size_t len)
{
    struct walk w;
    return open_msg(&w, buf, len, 0);
}

/* ---- hello / status: {2: app_version, 3: mv_version, 4: update_status,
 *      5: uptime_s, 6: [ [code, pc, uptime_ms], ... ] (optional),
 *      64: logs_dropped (optional, omitted when 0),
 *      65: [deployment_id, state, done, total, reason] (optional)} -------- */

int proto_status_encode(uint32_t type, const struct proto_status *m, uint8_t *buf, size_t cap,
                        size_t *len)
{
    cbor_enc_t e;
    if ((type != PROTO_HELLO && type != PROTO_STATUS) || m->n_faults > PROTO_MAX_FAULTS)
        return PROTO_E_FIELD;
    if (m->has_update && (m->update.state < PROTO_OTA_DOWNLOADING ||
                          m->update.state > PROTO_OTA_FAILED || m->update.done > m->update.total))
        return PROTO_E_FIELD;
    head(&e, buf, cap,
         4u + (m->n_faults ? 1u : 0u) + (m->logs_dropped ? 1u : 0u) + (m->has_update ? 1u : 0u),
         type);
    cbor_put_uint(&e, 2); cbor_put_uint(&e, m->app_version);
    cbor_put_uint(&e, 3); cbor_put_uint(&e, m->mv_version);
    cbor_put_uint(&e, 4); cbor_put_uint(&e, m->update_status);
    cbor_put_uint(&e, 5); cbor_put_uint(&e, m->uptime_s);
    if (m->n_faults) {
        cbor_put_uint(&e, 6);
        cbor_put_array(&e, m->n_faults);
        for (uint32_t i = 0; i < m->n_faults; i++) {
            cbor_put_array(&e, 3);
            cbor_put_uint(&e, m->faults[i].code);
            cbor_put_uint(&e, m->faults[i].pc);
            cbor_put_uint(&e, m->faults[i].uptime_ms);
        }
    }
    if (m->logs_dropped) {
        cbor_put_uint(&e, PROTO_KEY_LOGS_DROPPED);
        cbor_put_uint(&e, m->logs_dropped);
    }
    if (m->has_update) {
        cbor_put_uint(&e, PROTO_KEY_UPDATE);
        cbor_put_array(&e, 5);
        cbor_put_uint(&e, m->update.deployment_id);
        cbor_put_uint(&e, m->update.state);
        cbor_put_uint(&e, m->update.done);
        cbor_put_uint(&e, m->update.total);
        cbor_put_int(&e, m->update.reason);
    }
    return finish(&e, len);
}

static int get_sha256(cbor_dec_t *d, uint8_t out[32])
{
    const uint8_t *h;
    size_t n;
    if (cbor_get_bstr(d, &h, &n) || n != 32)
        return PROTO_E_FIELD;
    memcpy(out, h, 32);
    return 0;
}

static int get_i32(cbor_dec_t *d, int32_t *out)
{
    int64_t v;
    if (cbor_get_int(d, &v) || v < INT32_MIN || v > INT32_MAX)
        return PROTO_E_FIELD;
    *out = (int32_t)v;
    return 0;
}

static int get_report(cbor_dec_t *d, struct proto_ota_report *r)
{
    size_t five;
    if (cbor_get_array(d, &five) || five != 5 || cbor_get_uint(d, &r->deployment_id) ||
        get_u32(d, &r->state) || get_u32(d, &r->done) || get_u32(d, &r->total) ||
        get_i32(d, &r->reason))
        return PROTO_E_FIELD;
    if (r->state < PROTO_OTA_DOWNLOADING || r->state > PROTO_OTA_FAILED || r->done > r->total)
        return PROTO_E_FIELD;
    return 0;
}

int proto_status_decode(uint32_t type, const uint8_t *buf, size_t len, struct proto_status *m)
{
    struct walk w;
    uint64_t k;
    unsigned seen = 0;
    int rc = open_msg(&w, buf, len, type);
    memset(m, 0, sizeof(*m));
    if (rc < 0)
        return rc;
    w.ext = PROTO_KEY_UPDATE;
    while ((rc = next_key(&w, &k)) == 0) {
        size_t n;
        switch (k) {
        case PROTO_KEY_LOGS_DROPPED: /* optional, and past the mask's bits */
            if (get_u32(&w.d, &m->logs_dropped))
                return PROTO_E_FIELD;
            continue;
        case PROTO_KEY_UPDATE:
            if ((rc = get_report(&w.d, &m->update)) != 0)
                return rc;
            m->has_update = true;
            continue;
        case 2: rc = get_u32(&w.d, &m->app_version); break;
        case 3: rc = get_u32(&w.d, &m->mv_version); break;
        case 4:
            rc = get_u32(&w.d, &m->update_status);
            if (!rc && m->update_status > PROTO_UPD_REJECTED)
                rc = PROTO_E_FIELD;
            break;
        case 5: rc = cbor_get_uint(&w.d, &m->uptime_s) ? PROTO_E_FIELD : 0; break;
        case 6:
            if (cbor_get_array(&w.d, &n))
                return PROTO_E_FIELD;
            if (n > PROTO_MAX_FAULTS)
                return PROTO_E_TOO_MANY;
            for (size_t i = 0; i < n && !rc; i++) {
                size_t three;
                if (cbor_get_array(&w.d, &three) || three != 3 ||
                    get_u32(&w.d, &m->faults[i].code) || get_u32(&w.d, &m->faults[i].pc) ||
                    cbor_get_uint(&w.d, &m->faults[i].uptime_ms))
                    rc = PROTO_E_FIELD;
            }
            m->n_faults = (uint32_t)n;
            break;
        default: return PROTO_E_ORDER;
        }
        if (rc)
            return rc;
        seen |= 1u << k;
    }
    if (rc < 0)
        return rc;
    return (seen & 0x3C) == 0x3C ? PROTO_OK : PROTO_E_FIELD;
}

/* ---- logs: {2: first_seq, 3: [ [device_ms, level, text], ... ]} ------------ */

int proto_logs_encode(const struct proto_logs *m, uint8_t *buf, size_t cap, size_t *len)
{
    cbor_enc_t e;
    if (m->n > PROTO_MAX_LOGS)
        return PROTO_E_TOO_MANY;
    head(&e, buf, cap, 2, PROTO_LOGS);
    cbor_put_uint(&e, 2); cbor_put_uint(&e, m->first_seq);
    cbor_put_uint(&e, 3); cbor_put_array(&e, m->n);
    for (uint32_t i = 0; i < m->n; i++) {
        if (m->rec[i].text.n > PROTO_MAX_LOG_TEXT || m->rec[i].level > 3)
            return PROTO_E_FIELD;
        if (!proto_utf8_valid(m->rec[i].text.p, m->rec[i].text.n))
            return PROTO_E_TEXT;
        cbor_put_array(&e, 3);
        cbor_put_uint(&e, m->rec[i].device_ms);
        cbor_put_uint(&e, m->rec[i].level);
        cbor_put_tstr(&e, m->rec[i].text.p, m->rec[i].text.n);
    }
    return finish(&e, len);
}

int proto_logs_decode(const uint8_t *buf, size_t len, struct proto_logs *m)
{
    struct walk w;
    uint64_t k;
    unsigned seen = 0;
    int rc = open_msg(&w, buf, len, PROTO_LOGS);
    m->n = 0;
    m->first_seq = 0;
    if (rc < 0)
        return rc;
    while ((rc = next_key(&w, &k)) == 0) {
        size_t n;
        if (k == 2) {
            if (cbor_get_uint(&w.d, &m->first_seq) || m->first_seq > (UINT64_MAX >> 1))
                return PROTO_E_FIELD;
        } else if (k == 3) {
            if (cbor_get_array(&w.d, &n))
                return PROTO_E_FIELD;
            if (n > PROTO_MAX_LOGS)
                return PROTO_E_TOO_MANY;
            for (size_t i = 0; i < n; i++) {
                size_t three;
                struct proto_log *l = &m->rec[i];
                if (cbor_get_array(&w.d, &three) || three != 3 ||
                    cbor_get_uint(&w.d, &l->device_ms) || get_u32(&w.d, &l->level) ||
                    l->level > 3)
                    return PROTO_E_FIELD;
                if ((rc = get_str(&w.d, &l->text, PROTO_MAX_LOG_TEXT)) != 0)
                    return rc;
            }
            m->n = (uint32_t)n;
        } else {
            return PROTO_E_ORDER;
        }
        seen |= 1u << k;
    }
    if (rc < 0)
        return rc;
    return seen == 0xC ? PROTO_OK : PROTO_E_FIELD;
}

/* ---- small messages --------------------------------------------------------- */

/* Decodes a map of only unsigned fields 2.. into v[0..n); all required. */
static int decode_uints(const uint8_t *buf, size_t len, uint32_t type, uint64_t *v, unsigned n)
{
    struct walk w;
    uint64_t k;
    unsigned seen = 0;
    int rc = open_msg(&w, buf, len, type);
    if (rc < 0)
        return rc;
    while ((rc = next_key(&w, &k)) == 0) {
        if (k < 2 || k >= 2 + n)
            return PROTO_E_ORDER;
        if (cbor_get_uint(&w.d, &v[k - 2]))
            return PROTO_E_FIELD;
        seen |= 1u << (k - 2);
    }
    if (rc < 0)
        return rc;
    return seen == (1u << n) - 1 ? PROTO_OK : PROTO_E_FIELD;
}

int proto_ack_encode(const struct proto_ack *m, uint8_t *buf, size_t cap, size_t *len)
{
    cbor_enc_t e;
    head(&e, buf, cap, 2, PROTO_ACK);
    cbor_put_uint(&e, 2); cbor_put_uint(&e, m->msg_id);
    cbor_put_uint(&e, 3); cbor_put_int(&e, m->status);
    return finish(&e, len);
}

int proto_ack_decode(const uint8_t *buf, size_t len, struct proto_ack *m)
{
    struct walk w;
    uint64_t k;
    unsigned seen = 0;
    int rc = open_msg(&w, buf, len, PROTO_ACK);
    memset(m, 0, sizeof(*m));
    if (rc < 0)
        return rc;
    while ((rc = next_key(&w, &k)) == 0) {
        int64_t s;
        if (k == 2 && !cbor_get_uint(&w.d, &m->msg_id))
            ;
        else if (k == 3 && !cbor_get_int(&w.d, &s) && s >= INT32_MIN && s <= INT32_MAX)
            m->status = (int32_t)s;
        else
            return k == 2 || k == 3 ? PROTO_E_FIELD : PROTO_E_ORDER;
        seen |= 1u << k;
    }
    if (rc < 0)
        return rc;
    return seen == 0xC ? PROTO_OK : PROTO_E_FIELD;
}

int proto_log_ack_encode(const struct proto_log_ack *m, uint8_t *buf, size_t cap, size_t *len)
{
    cbor_enc_t e;
    head(&e, buf, cap, 2, PROTO_LOG_ACK);
    cbor_put_uint(&e, 2); cbor_put_uint(&e, m->first_seq);
    cbor_put_uint(&e, 3); cbor_put_uint(&e, m->count);
    return finish(&e, len);
}

int proto_log_ack_decode(const uint8_t *buf, size_t len, struct proto_log_ack *m)
{
    uint64_t v[2];
    int rc = decode_uints(buf, len, PROTO_LOG_ACK, v, 2);
    if (rc)
        return rc;
    if (v[1] > PROTO_MAX_LOGS)
        return PROTO_E_FIELD;
    m->first_seq = v[0];
    m->count = (uint32_t)v[1];
    return PROTO_OK;
}

int proto_time_encode(uint64_t unix_ms, uint8_t *buf, size_t cap, size_t *len)
{
    cbor_enc_t e;
    head(&e, buf, cap, 1, PROTO_TIME);
    cbor_put_uint(&e, 2); cbor_put_uint(&e, unix_ms);
    return finish(&e, len);
}

int proto_time_decode(const uint8_t *buf, size_t len, uint64_t *unix_ms)
{
    return decode_uints(buf, len, PROTO_TIME, unix_ms, 1);
}

/* ---- config: {2: msg_id, 3: [ [key, value], ... ]} ------------------------- */

int proto_config_encode(const struct proto_config *m, uint8_t *buf, size_t cap, size_t *len)
{
    cbor_enc_t e;
    if (m->n > PROTO_MAX_CONFIG)
        return PROTO_E_TOO_MANY;
    head(&e, buf, cap, 2, PROTO_CONFIG);
    cbor_put_uint(&e, 2); cbor_put_uint(&e, m->msg_id);
    cbor_put_uint(&e, 3); cbor_put_array(&e, m->n);
    for (uint32_t i = 0; i < m->n; i++) {
        cbor_put_array(&e, 2);
        cbor_put_tstr(&e, m->e[i].key.p, m->e[i].key.n);
        cbor_put_tstr(&e, m->e[i].value.p, m->e[i].value.n);
    }
    return finish(&e, len);
}

int proto_config_decode(const uint8_t *buf, size_t len, struct proto_config *m)
{
    struct walk w;
    uint64_t k;
    unsigned seen = 0;
    int rc = open_msg(&w, buf, len, PROTO_CONFIG);
    m->n = 0;
    if (rc < 0)
        return rc;
    while ((rc = next_key(&w, &k)) == 0) {
        size_t n, two;
        if (k == 2) {
            if (cbor_get_uint(&w.d, &m->msg_id))
                return PROTO_E_FIELD;
        } else if (k == 3) {
            if (cbor_get_array(&w.d, &n))
                return PROTO_E_FIELD;
            if (n > PROTO_MAX_CONFIG)
                return PROTO_E_TOO_MANY;
            for (size_t i = 0; i < n; i++) {
                if (cbor_get_array(&w.d, &two) || two != 2)
                    return PROTO_E_FIELD;
                if ((rc = get_str(&w.d, &m->e[i].key, 100)) != 0 ||
                    (rc = get_str(&w.d, &m->e[i].value, 4096)) != 0)
                    return rc;
            }
            m->n = (uint32_t)n;
        } else {
            return PROTO_E_ORDER;
        }
        seen |= 1u << k;
    }
    if (rc < 0)
        return rc;
    return seen == 0xC ? PROTO_OK : PROTO_E_FIELD;
}

/* ---- command: {2: msg_id, 3: name, 4: arg (bstr)} --------------------------- */

int proto_command_encode(const struct proto_command *m, uint8_t *buf, size_t cap, size_t *len)
{
    cbor_enc_t e;
    head(&e, buf, cap, 3, PROTO_COMMAND);
    cbor_put_uint(&e, 2); cbor_put_uint(&e, m->msg_id);
    cbor_put_uint(&e, 3); cbor_put_tstr(&e, m->name.p, m->name.n);
    cbor_put_uint(&e, 4); cbor_put_bstr(&e, m->arg, m->arg_len);
    return finish(&e, len);
}

int proto_command_decode(const uint8_t *buf, size_t len, struct proto_command *m)
{
    struct walk w;
    uint64_t k;
    unsigned seen = 0;
    int rc = open_msg(&w, buf, len, PROTO_COMMAND);
    memset(m, 0, sizeof(*m));
    if (rc < 0)
        return rc;
    while ((rc = next_key(&w, &k)) == 0) {
        if (k == 2)
            rc = cbor_get_uint(&w.d, &m->msg_id) ? PROTO_E_FIELD : 0;
        else if (k == 3)
            rc = get_str(&w.d, &m->name, 64);
        else if (k == 4)
            rc = cbor_get_bstr(&w.d, &m->arg, &m->arg_len) || m->arg_len > 4096 ? PROTO_E_FIELD
                                                                                : 0;
        else
            return PROTO_E_ORDER;
        if (rc)
            return rc;
        seen |= 1u << k;
    }
    if (rc < 0)
        return rc;
    return seen == 0x1C ? PROTO_OK : PROTO_E_FIELD;
}

/* ---- deploy: {2: msg_id, 3: deployment_id, 4: sha256 (bstr 32), 5: size} --- */

int proto_deploy_encode(const struct proto_deploy *m, uint8_t *buf, size_t cap, size_t *len)
{
    cbor_enc_t e;
    head(&e, buf, cap, 4, PROTO_DEPLOY);
    cbor_put_uint(&e, 2); cbor_put_uint(&e, m->msg_id);
    cbor_put_uint(&e, 3); cbor_put_uint(&e, m->deployment_id);
    cbor_put_uint(&e, 4); cbor_put_bstr(&e, m->sha256, 32);
    cbor_put_uint(&e, 5); cbor_put_uint(&e, m->size);
    return finish(&e, len);
}

int proto_deploy_decode(const uint8_t *buf, size_t len, struct proto_deploy *m)
{
    struct walk w;
    uint64_t k;
    unsigned seen = 0;
    int rc = open_msg(&w, buf, len, PROTO_DEPLOY);
    memset(m, 0, sizeof(*m));
    if (rc < 0)
        return rc;
    while ((rc = next_key(&w, &k)) == 0) {
        if (k == 2)
            rc = cbor_get_uint(&w.d, &m->msg_id) ? PROTO_E_FIELD : 0;
        else if (k == 3)
            rc = cbor_get_uint(&w.d, &m->deployment_id) ? PROTO_E_FIELD : 0;
        else if (k == 4)
            rc = get_sha256(&w.d, m->sha256);
        else if (k == 5)
            rc = get_u32(&w.d, &m->size);
        else
            return PROTO_E_ORDER;
        if (rc)
            return rc;
        seen |= 1u << k;
    }
    if (rc < 0)
        return rc;
    return seen == 0x3C ? PROTO_OK : PROTO_E_FIELD;
}

/* ---- fetch: {2: req_id, 3: sha256 (bstr 32), 4: offset, 5: length} -------- */

int proto_fetch_encode(const struct proto_fetch *m, uint8_t *buf, size_t cap, size_t *len)
{
    cbor_enc_t e;
    if (m->length < 1 || m->length > PROTO_CHUNK_MAX)
        return PROTO_E_FIELD;
    head(&e, buf, cap, 4, PROTO_FETCH);
    cbor_put_uint(&e, 2); cbor_put_uint(&e, m->req_id);
    cbor_put_uint(&e, 3); cbor_put_bstr(&e, m->sha256, 32);
    cbor_put_uint(&e, 4); cbor_put_uint(&e, m->offset);
    cbor_put_uint(&e, 5); cbor_put_uint(&e, m->length);
    return finish(&e, len);
}

int proto_fetch_decode(const uint8_t *buf, size_t len, struct proto_fetch *m)
{
    struct walk w;
    uint64_t k;
    unsigned seen = 0;
    int rc = open_msg(&w, buf, len, PROTO_FETCH);
    memset(m, 0, sizeof(*m));
    if (rc < 0)
        return rc;
    while ((rc = next_key(&w, &k)) == 0) {
        if (k == 2)
            rc = get_u32(&w.d, &m->req_id);
        else if (k == 3)
            rc = get_sha256(&w.d, m->sha256);
        else if (k == 4)
            rc = get_u32(&w.d, &m->offset);
        else if (k == 5)
            rc = get_u32(&w.d, &m->length) || m->length < 1 || m->length > PROTO_CHUNK_MAX
                     ? PROTO_E_FIELD : 0;
        else
            return PROTO_E_ORDER;
        if (rc)
            return rc;
        seen |= 1u << k;
    }
    if (rc < 0)
        return rc;
    return seen == 0x3C ? PROTO_OK : PROTO_E_FIELD;
}

/* ---- chunk: {2: req_id, 3: status, 4: offset, 5: total, 6: data (bstr)} ---- */

int proto_chunk_encode(const struct proto_chunk *m, uint8_t *buf, size_t cap, size_t *len)
{
    cbor_enc_t e;
    if (m->len > PROTO_CHUNK_MAX || (m->status != PROTO_CHUNK_OK && m->len) ||
        (m->status == PROTO_CHUNK_OK && (uint64_t)m->offset + m->len > m->total))
        return PROTO_E_FIELD;
    head(&e, buf, cap, 5, PROTO_CHUNK);
    cbor_put_uint(&e, 2); cbor_put_uint(&e, m->req_id);
    cbor_put_uint(&e, 3); cbor_put_int(&e, m->status);
    cbor_put_uint(&e, 4); cbor_put_uint(&e, m->offset);
    cbor_put_uint(&e, 5); cbor_put_uint(&e, m->total);
    cbor_put_uint(&e, 6); cbor_put_bstr(&e, m->data, m->len);
    return finish(&e, len);
}

int proto_chunk_decode(const uint8_t *buf, size_t len, struct proto_chunk *m)
{
    struct walk w;
    uint64_t k;
    unsigned seen = 0;
    int rc = open_msg(&w, buf, len, PROTO_CHUNK);
    memset(m, 0, sizeof(*m));
    if (rc < 0)
        return rc;
    while ((rc = next_key(&w, &k)) == 0) {
        if (k == 2)
            rc = get_u32(&w.d, &m->req_id);
        else if (k == 3)
            rc = get_i32(&w.d, &m->status);
        else if (k == 4)
            rc = get_u32(&w.d, &m->offset);
        else if (k == 5)
            rc = get_u32(&w.d, &m->total);
        else if (k == 6)
            rc = cbor_get_bstr(&w.d, &m->data, &m->len) || m->len > PROTO_CHUNK_MAX
                     ? PROTO_E_FIELD : 0;
        else
            return PROTO_E_ORDER;
        if (rc)
            return rc;
        seen |= 1u << k;
    }
    if (rc < 0)
        return rc;
    if (seen != 0x7C)
        return PROTO_E_FIELD;
    /* bytes only with status 0, and never past the object's end */
    if ((m->status != PROTO_CHUNK_OK && m->len) ||
        (m->status == PROTO_CHUNK_OK && (uint64_t)m->offset + m->len > m->total))
        return PROTO_E_FIELD;
    return PROTO_OK;
}
