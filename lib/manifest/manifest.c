/*
 * IMPLEMENTATION NOTES
 * Decoding walks the input once through a lib/cbor cursor; nothing is
 * recursive and nothing is allocated. Every map goes through map_next(),
 * the one place that enforces unsigned keys in strictly increasing
 * deterministic order and the critical/non-critical split, so each field
 * parser only handles its own keys. Presence of required fields is a bit
 * set checked after the map.
 *
 * manifest_open parses the payload before checking the signature so that
 * it knows which signer scope applies (an image's component or a
 * rotation's scope); the parser is fuzzed (tests/fuzz/manifest) because it
 * sees unauthenticated bytes. Nothing a message says is acted on before the
 * signature verifies, and that verdict is checked twice.
 */
#include "manifest.h"

#include <string.h>

#include "cbor.h"

static const char *const reasons[MANIFEST_E_COUNT] = {
    "ok",
    "envelope larger than the manifest size limit",
    "malformed or non-deterministic CBOR",
    "not a COSE_Sign1 (tag 18, 4-element array)",
    "trailing bytes after the CBOR item",
    "malformed COSE header",
    "algorithm missing or not EdDSA (-8)",
    "key id missing, empty or too long",
    "no trusted signer with this key id for this component",
    "signature wrong length or does not verify",
    "unknown critical field or header",
    "map keys duplicated or out of deterministic order",
    "message type unknown or not the one expected",
    "a required field is missing",
    "a field has the wrong type or is out of range",
    "component unknown or not the one expected",
    "no layers, too many layers, or a malformed layer",
    "layer digest is not a 32-byte SHA-256",
    "app policy malformed, or present on a microvisor",
    "minimum microvisor version missing on an app or present on a microvisor",
    "key rotation replayed, empties a signer set or overflows the trust store",
    "buffer too small",
    "image bytes do not match the layer digest",
};

const char *manifest_strerror(int err)
{
    if (err > 0 || err <= -MANIFEST_E_COUNT)
        return "unknown manifest error";
    return reasons[-err];
}

/* ---- Map walking ------------------------------------------------------------- */

struct mapw {
    cbor_dec_t *d;
    size_t left;
    const uint8_t *prev;
    size_t prev_len;
};

static int map_open(cbor_dec_t *d, struct mapw *w, int type_err)
{
    w->d = d;
    w->prev = NULL;
    w->prev_len = 0;
    if (cbor_peek_type(d) != CBOR_MAP)
        return cbor_dec_error(d) ? MANIFEST_E_CBOR : type_err;
    return cbor_get_map(d, &w->left) ? MANIFEST_E_CBOR : MANIFEST_OK;
}

/* 1 with *key for the next known-or-critical key, 0 at the end of the map,
 * or an error. Non-critical keys (>= 64) are skipped with their values. */
static int map_next(struct mapw *w, uint64_t *key)
{
    for (;;) {
        if (w->left == 0)
            return 0;
        w->left--;
        const uint8_t *start = w->d->p;
        int t = cbor_peek_type(w->d);
        if (t < 0)
            return MANIFEST_E_CBOR;
        if (t != CBOR_UINT)
            return MANIFEST_E_FIELD; /* every Keel key is an unsigned integer */
        if (cbor_get_uint(w->d, key))
            return MANIFEST_E_CBOR;
        size_t klen = (size_t)(w->d->p - start);
        if (w->prev && cbor_key_cmp(w->prev, w->prev_len, start, klen) >= 0)
            return MANIFEST_E_KEY_ORDER;
        w->prev = start;
        w->prev_len = klen;
        if (*key < MANIFEST_K_FIRST_NONCRITICAL)
            return 1;
        if (cbor_skip(w->d))
            return MANIFEST_E_CBOR;
    }
}

static int get_u32(cbor_dec_t *d, uint32_t *v)
{
    uint64_t u;
    int t = cbor_peek_type(d);
    if (t < 0)
        return MANIFEST_E_CBOR;
    if (t != CBOR_UINT)
        return MANIFEST_E_FIELD;
    if (cbor_get_uint(d, &u))
        return MANIFEST_E_CBOR;
    if (u > UINT32_MAX)
        return MANIFEST_E_FIELD;
    *v = (uint32_t)u;
    return MANIFEST_OK;
}

static int get_bstr(cbor_dec_t *d, const uint8_t **p, size_t *n)
{
    int t = cbor_peek_type(d);
    if (t < 0)
        return MANIFEST_E_CBOR;
    if (t != CBOR_BSTR)
        return MANIFEST_E_FIELD;
    return cbor_get_bstr(d, p, n) ? MANIFEST_E_CBOR : MANIFEST_OK;
}

static int get_array(cbor_dec_t *d, size_t *n, int type_err)
{
    int t = cbor_peek_type(d);
    if (t < 0)
        return MANIFEST_E_CBOR;
    if (t != CBOR_ARRAY)
        return type_err;
    return cbor_get_array(d, n) ? MANIFEST_E_CBOR : MANIFEST_OK;
}

/* ---- COSE_Sign1 -------------------------------------------------------------- */

static int parse_protected(const uint8_t *p, size_t n, struct manifest_cose *out)
{
    cbor_dec_t d;
    struct mapw w;
    int rc;
    bool have_alg = false;
    if (n == 0)
        return MANIFEST_E_ALG; /* an empty protected header names no algorithm */
    cbor_dec_init(&d, p, n);
    if ((rc = map_open(&d, &w, MANIFEST_E_HEADER)))
        return rc;
    out->kid = NULL;
    out->kid_len = 0;
    /* Header labels may be negative (private use): walk them by hand. */
    const uint8_t *prev = NULL;
    size_t prev_len = 0;
    for (size_t i = 0; i < w.left; i++) {
        const uint8_t *start = d.p;
        int64_t label;
        int t = cbor_peek_type(&d);
        if (t < 0)
            return MANIFEST_E_CBOR;
        if (t != CBOR_UINT && t != CBOR_NINT)
            return MANIFEST_E_HEADER;
        if (cbor_get_int(&d, &label))
            return MANIFEST_E_CBOR;
        size_t klen = (size_t)(d.p - start);
        if (prev && cbor_key_cmp(prev, prev_len, start, klen) >= 0)
            return MANIFEST_E_KEY_ORDER;
        prev = start;
        prev_len = klen;
        if (label == 1) {
            int64_t alg;
            if (cbor_peek_type(&d) < 0)
                return MANIFEST_E_CBOR;
            if (cbor_get_int(&d, &alg) || alg != MANIFEST_ALG_EDDSA)
                return MANIFEST_E_ALG;
            have_alg = true;
        } else if (label == 2) {
            /* crit: every label it names must be one we understand */
            size_t nc;
            if ((rc = get_array(&d, &nc, MANIFEST_E_HEADER)))
                return rc;
            if (nc == 0)
                return MANIFEST_E_HEADER;
            for (size_t k = 0; k < nc; k++) {
                int64_t c;
                if (cbor_peek_type(&d) < 0)
                    return MANIFEST_E_CBOR;
                if (cbor_get_int(&d, &c))
                    return MANIFEST_E_UNKNOWN_CRITICAL;
                if (c != 1 && c != 4)
                    return MANIFEST_E_UNKNOWN_CRITICAL;
            }
        } else if (label == 4) {
            const uint8_t *kid;
            size_t kn;
            if (get_bstr(&d, &kid, &kn))
                return MANIFEST_E_KID;
            if (kn == 0 || kn > MANIFEST_KID_MAX)
                return MANIFEST_E_KID;
            out->kid = kid;
            out->kid_len = kn;
        } else if (cbor_skip(&d)) {
            return MANIFEST_E_CBOR;
        }
    }
    if (!cbor_dec_at_end(&d))
        return cbor_dec_error(&d) ? MANIFEST_E_CBOR : MANIFEST_E_TRAILING;
    if (!have_alg)
        return MANIFEST_E_ALG;
    return MANIFEST_OK;
}

int manifest_cose_parse(const uint8_t *buf, size_t len, struct manifest_cose *out)
{
    cbor_dec_t d;
    uint64_t tag;
    size_t n;
    int rc;
    if (len > MANIFEST_MAX_SIZE)
        return MANIFEST_E_TOO_LARGE;
    cbor_dec_init(&d, buf, len);
    int t = cbor_peek_type(&d);
    if (t < 0)
        return MANIFEST_E_CBOR;
    if (t != CBOR_TAG || cbor_get_tag(&d, &tag) || tag != MANIFEST_COSE_TAG)
        return MANIFEST_E_NOT_SIGN1;
    if ((rc = get_array(&d, &n, MANIFEST_E_NOT_SIGN1)))
        return rc;
    if (n != 4)
        return MANIFEST_E_NOT_SIGN1;
    if ((rc = get_bstr(&d, &out->protected_hdr, &out->protected_len)))
        return rc == MANIFEST_E_FIELD ? MANIFEST_E_HEADER : rc;
    /* unprotected: a map, whose contents Keel does not use */
    if (cbor_peek_type(&d) != CBOR_MAP)
        return cbor_dec_error(&d) ? MANIFEST_E_CBOR : MANIFEST_E_HEADER;
    if (cbor_skip(&d))
        return MANIFEST_E_CBOR;
    if ((rc = get_bstr(&d, &out->payload, &out->payload_len)))
        return rc == MANIFEST_E_FIELD ? MANIFEST_E_NOT_SIGN1 : rc;
    if ((rc = get_bstr(&d, &out->signature, &out->signature_len)))
        return rc == MANIFEST_E_FIELD ? MANIFEST_E_SIGNATURE : rc;
    if (!cbor_dec_at_end(&d))
        return MANIFEST_E_TRAILING;
    return parse_protected(out->protected_hdr, out->protected_len, out);
}

/* ---- Image manifest ---------------------------------------------------------- */

static int parse_layer(cbor_dec_t *d, struct manifest_layer *l)
{
    struct mapw w;
    uint64_t key;
    unsigned seen = 0;
    int rc;
    if ((rc = map_open(d, &w, MANIFEST_E_LAYERS)))
        return rc;
    while ((rc = map_next(&w, &key)) == 1) {
        if (key == 1) {
            rc = get_u32(d, &l->target);
        } else if (key == 2) {
            rc = get_u32(d, &l->size);
            if (rc == MANIFEST_OK && l->size == 0)
                rc = MANIFEST_E_LAYERS;
        } else if (key == 3) {
            const uint8_t *h;
            size_t hn;
            rc = get_bstr(d, &h, &hn);
            if (rc == MANIFEST_E_FIELD || (rc == MANIFEST_OK && hn != 32))
                rc = MANIFEST_E_HASH;
            if (rc == MANIFEST_OK)
                memcpy(l->sha256, h, 32);
        } else {
            return MANIFEST_E_UNKNOWN_CRITICAL;
        }
        if (rc)
            return rc;
        seen |= 1u << key;
    }
    if (rc < 0)
        return rc;
    return seen == 0xE ? MANIFEST_OK : MANIFEST_E_MISSING;
}

static int parse_policy(cbor_dec_t *d, struct manifest_policy *p)
{
    struct mapw w;
    uint64_t key;
    int rc;
    if ((rc = map_open(d, &w, MANIFEST_E_POLICY)))
        return rc;
    while ((rc = map_next(&w, &key)) == 1) {
        if (key == 1) {
            int t = cbor_peek_type(d);
            if (t < 0)
                return MANIFEST_E_CBOR;
            if (t != CBOR_SIMPLE || cbor_get_bool(d, &p->debug))
                return MANIFEST_E_POLICY;
        } else if (key == 2) {
            size_t n;
            if ((rc = get_array(d, &n, MANIFEST_E_POLICY)))
                return rc;
            if (n > MANIFEST_MAX_RESTARTS)
                return MANIFEST_E_POLICY;
            p->n_restarts = (uint8_t)n;
            for (size_t i = 0; i < n; i++)
                if ((rc = get_u32(d, &p->restart_ms[i])))
                    return rc == MANIFEST_E_FIELD ? MANIFEST_E_POLICY : rc;
        } else if (key == 3) {
            if ((rc = get_u32(d, &p->politeness)))
                return rc == MANIFEST_E_FIELD ? MANIFEST_E_POLICY : rc;
            if (p->politeness > MANIFEST_UPDATE_ON_RESTART)
                return MANIFEST_E_POLICY;
        } else if (key == 4) {
            if ((rc = get_u32(d, &p->checkin_s)))
                return rc == MANIFEST_E_FIELD ? MANIFEST_E_POLICY : rc;
        } else if (key == 5) {
            /* 0 is the default and is left out, so one policy has one encoding */
            if ((rc = get_u32(d, &p->trial_s)))
                return rc == MANIFEST_E_FIELD ? MANIFEST_E_POLICY : rc;
            if (p->trial_s == 0 || p->trial_s > MANIFEST_TRIAL_MAX_S)
                return MANIFEST_E_POLICY;
        } else {
            return MANIFEST_E_UNKNOWN_CRITICAL;
        }
    }
    return rc;
}

static int parse_image(cbor_dec_t *d, struct mapw *w, struct manifest *m)
{
    uint64_t key;
    unsigned seen = 0;
    int rc;
    memset(m, 0, sizeof(*m));
    while ((rc = map_next(w, &key)) == 1) {
        switch (key) {
        case MANIFEST_K_COMPONENT:
            rc = get_u32(d, &m->component);
            if (rc == MANIFEST_OK && m->component != MANIFEST_COMP_MICROVISOR &&
                m->component != MANIFEST_COMP_APP)
                rc = MANIFEST_E_COMPONENT;
            break;
        case MANIFEST_K_VERSION:
            rc = get_u32(d, &m->version);
            break;
        case MANIFEST_K_COUNTER:
            rc = get_u32(d, &m->security_counter);
            break;
        case MANIFEST_K_LAYERS: {
            size_t n;
            if ((rc = get_array(d, &n, MANIFEST_E_LAYERS)))
                break;
            if (n == 0 || n > MANIFEST_MAX_LAYERS) {
                rc = MANIFEST_E_LAYERS;
                break;
            }
            m->n_layers = (uint32_t)n;
            for (size_t i = 0; i < n && rc == MANIFEST_OK; i++)
                rc = parse_layer(d, &m->layers[i]);
            break;
        }
        case MANIFEST_K_MIN_MV:
            rc = get_u32(d, &m->min_mv_version);
            break;
        case MANIFEST_K_POLICY:
            m->has_policy = true;
            rc = parse_policy(d, &m->policy);
            break;
        default:
            rc = MANIFEST_E_UNKNOWN_CRITICAL;
            break;
        }
        if (rc)
            return rc;
        seen |= 1u << key;
    }
    if (rc < 0)
        return rc;
    const unsigned need = 1u << MANIFEST_K_COMPONENT | 1u << MANIFEST_K_VERSION |
                          1u << MANIFEST_K_COUNTER | 1u << MANIFEST_K_LAYERS;
    if ((seen & need) != need)
        return MANIFEST_E_MISSING;
    bool app = m->component == MANIFEST_COMP_APP;
    if (app != !!(seen & (1u << MANIFEST_K_MIN_MV)))
        return MANIFEST_E_MIN_MV;
    if (!app && m->has_policy)
        return MANIFEST_E_POLICY;
    return MANIFEST_OK;
}

/* ---- Key rotation ------------------------------------------------------------ */

static int parse_kid(cbor_dec_t *d, uint8_t *kid, uint8_t *kid_len)
{
    const uint8_t *p;
    size_t n;
    int rc = get_bstr(d, &p, &n);
    if (rc)
        return rc == MANIFEST_E_FIELD ? MANIFEST_E_KID : rc;
    if (n == 0 || n > MANIFEST_KID_MAX)
        return MANIFEST_E_KID;
    memcpy(kid, p, n);
    *kid_len = (uint8_t)n;
    return MANIFEST_OK;
}

static int parse_rotation(cbor_dec_t *d, struct mapw *w, struct manifest_rotation *r)
{
    uint64_t key;
    unsigned seen = 0;
    int rc;
    size_t n;
    memset(r, 0, sizeof(*r));
    while ((rc = map_next(w, &key)) == 1) {
        switch (key) {
        case 2:
            rc = get_u32(d, &r->scope);
            if (rc == MANIFEST_OK && r->scope != MANIFEST_COMP_MICROVISOR &&
                r->scope != MANIFEST_COMP_APP)
                rc = MANIFEST_E_COMPONENT;
            break;
        case 3:
            rc = get_u32(d, &r->sequence);
            break;
        case 4:
            if ((rc = get_array(d, &n, MANIFEST_E_FIELD)))
                break;
            if (n > MANIFEST_MAX_ROTATION_KEYS) {
                rc = MANIFEST_E_ROTATION;
                break;
            }
            r->n_add = (uint32_t)n;
            for (size_t i = 0; i < n && rc == MANIFEST_OK; i++) {
                size_t two;
                const uint8_t *pk;
                size_t pkn;
                if ((rc = get_array(d, &two, MANIFEST_E_FIELD)))
                    break;
                if (two != 2) {
                    rc = MANIFEST_E_FIELD;
                    break;
                }
                if ((rc = parse_kid(d, r->add[i].kid, &r->add[i].kid_len)))
                    break;
                if ((rc = get_bstr(d, &pk, &pkn)))
                    break;
                if (pkn != 32) {
                    rc = MANIFEST_E_FIELD;
                    break;
                }
                memcpy(r->add[i].public_key, pk, 32);
            }
            break;
        case 5:
            if ((rc = get_array(d, &n, MANIFEST_E_FIELD)))
                break;
            if (n > MANIFEST_MAX_ROTATION_KEYS) {
                rc = MANIFEST_E_ROTATION;
                break;
            }
            r->n_remove = (uint32_t)n;
            for (size_t i = 0; i < n && rc == MANIFEST_OK; i++)
                rc = parse_kid(d, r->remove[i].kid, &r->remove[i].kid_len);
            break;
        default:
            rc = MANIFEST_E_UNKNOWN_CRITICAL;
            break;
        }
        if (rc)
            return rc;
        seen |= 1u << key;
    }
    if (rc < 0)
        return rc;
    if ((seen & 0xC) != 0xC)
        return MANIFEST_E_MISSING;
    if (r->n_add + r->n_remove == 0)
        return MANIFEST_E_ROTATION;
    return MANIFEST_OK;
}

int manifest_payload_parse(const uint8_t *payload, size_t len, struct manifest_msg *msg)
{
    cbor_dec_t d;
    struct mapw w;
    uint64_t key;
    uint32_t type;
    int rc;
    cbor_dec_init(&d, payload, len);
    if ((rc = map_open(&d, &w, MANIFEST_E_TYPE)))
        return rc;
    /* the type comes first (key 1 is the smallest key) */
    if ((rc = map_next(&w, &key)) != 1)
        return rc == 0 ? MANIFEST_E_MISSING : rc;
    if (key != MANIFEST_K_TYPE)
        return MANIFEST_E_MISSING;
    if ((rc = get_u32(&d, &type)))
        return rc == MANIFEST_E_FIELD ? MANIFEST_E_TYPE : rc;
    if (type == MANIFEST_TYPE_IMAGE)
        rc = parse_image(&d, &w, &msg->u.image);
    else if (type == MANIFEST_TYPE_ROTATION)
        rc = parse_rotation(&d, &w, &msg->u.rotation);
    else
        rc = MANIFEST_E_TYPE;
    if (rc)
        return rc;
    if (!cbor_dec_at_end(&d))
        return cbor_dec_error(&d) ? MANIFEST_E_CBOR : MANIFEST_E_TRAILING;
    msg->type = type;
    return MANIFEST_OK;
}

/* ---- Verification -------------------------------------------------------------- */

const struct manifest_key *manifest_trust_find(const struct manifest_trust *trust,
                                               const uint8_t *kid, size_t kid_len,
                                               uint32_t scope)
{
    if (scope > 31)
        return NULL;
    for (uint32_t i = 0; i < trust->n_keys && i < MANIFEST_MAX_KEYS; i++) {
        const struct manifest_key *k = &trust->keys[i];
        if (k->kid_len == kid_len && memcmp(k->kid, kid, kid_len) == 0 &&
            (k->scopes & (1u << scope)))
            return k;
    }
    return NULL;
}

int manifest_open(const uint8_t *buf, size_t len, const struct manifest_trust *trust,
                  const struct manifest_crypto *crypto, uint8_t *scratch,
                  size_t scratch_len, struct manifest_msg *msg)
{
    struct manifest_cose c;
    size_t tbs_len;
    int rc = manifest_cose_parse(buf, len, &c);
    if (rc)
        return rc;
    if (!c.kid)
        return MANIFEST_E_KID;
    if ((rc = manifest_payload_parse(c.payload, c.payload_len, msg)))
        return rc;
    memcpy(msg->kid, c.kid, c.kid_len);
    msg->kid_len = (uint8_t)c.kid_len;
    uint32_t scope = msg->type == MANIFEST_TYPE_IMAGE ? msg->u.image.component
                                                      : msg->u.rotation.scope;
    const struct manifest_key *k = manifest_trust_find(trust, c.kid, c.kid_len, scope);
    if (!k)
        return MANIFEST_E_UNKNOWN_KID;
    if (c.signature_len != 64)
        return MANIFEST_E_SIGNATURE;
    if (manifest_sig_structure(c.protected_hdr, c.protected_len, c.payload, c.payload_len,
                               scratch, scratch_len, &tbs_len))
        return MANIFEST_E_NOSPACE;
    volatile int v1 = crypto->ed25519_verify(c.signature, k->public_key, scratch, tbs_len);
    if (v1 != 0)
        return MANIFEST_E_SIGNATURE;
    volatile int v2 = v1;
    if (v2 != 0) /* a second look, for a glitched first branch */
        return MANIFEST_E_SIGNATURE;
    return MANIFEST_OK;
}

static int key_index(const struct manifest_trust *t, const uint8_t *kid, size_t kid_len)
{
    for (uint32_t i = 0; i < t->n_keys; i++)
        if (t->keys[i].kid_len == kid_len && memcmp(t->keys[i].kid, kid, kid_len) == 0)
            return (int)i;
    return -1;
}

int manifest_rotation_apply(struct manifest_trust *trust, const struct manifest_rotation *r)
{
    struct manifest_trust t = *trust;
    uint32_t bit = 1u << r->scope;
    if (r->scope != MANIFEST_COMP_MICROVISOR && r->scope != MANIFEST_COMP_APP)
        return MANIFEST_E_COMPONENT;
    if (r->sequence <= t.rotation_seq[r->scope] || r->n_add > MANIFEST_MAX_ROTATION_KEYS ||
        r->n_remove > MANIFEST_MAX_ROTATION_KEYS)
        return MANIFEST_E_ROTATION;
    for (uint32_t i = 0; i < r->n_remove; i++) {
        int k = key_index(&t, r->remove[i].kid, r->remove[i].kid_len);
        if (k < 0 || !(t.keys[k].scopes & bit))
            return MANIFEST_E_UNKNOWN_KID;
        t.keys[k].scopes &= ~bit;
        if (t.keys[k].scopes == 0) {
            t.keys[k] = t.keys[t.n_keys - 1];
            t.n_keys--;
        }
    }
    for (uint32_t i = 0; i < r->n_add; i++) {
        int k = key_index(&t, r->add[i].kid, r->add[i].kid_len);
        if (k >= 0) {
            /* same kid: must be the same key, gaining this scope */
            if (memcmp(t.keys[k].public_key, r->add[i].public_key, 32) != 0)
                return MANIFEST_E_ROTATION;
            t.keys[k].scopes |= bit;
            continue;
        }
        if (t.n_keys == MANIFEST_MAX_KEYS)
            return MANIFEST_E_ROTATION;
        t.keys[t.n_keys] = r->add[i];
        t.keys[t.n_keys].scopes = bit;
        t.n_keys++;
    }
    bool any = false;
    for (uint32_t i = 0; i < t.n_keys; i++)
        any |= (t.keys[i].scopes & bit) != 0;
    if (!any)
        return MANIFEST_E_ROTATION;
    t.rotation_seq[r->scope] = r->sequence;
    *trust = t;
    return MANIFEST_OK;
}
