/*
 * IMPLEMENTATION NOTES
 * Encoders emit map keys in increasing order by construction (the order
 * of the statements below), which is the deterministic order for small
 * unsigned keys; tests decode every output with the strict decoder and
 * tests/interop checks it with python3-cbor2. Optional fields are left out
 * rather than encoded as defaults, so a message has one encoding.
 */
#include "manifest.h"

#include "cbor.h"

static int finish(cbor_enc_t *e, size_t *len)
{
    return cbor_enc_finish(e, len) ? MANIFEST_E_NOSPACE : MANIFEST_OK;
}

static void put_policy(cbor_enc_t *e, const struct manifest_policy *p)
{
    size_t n = 1 + (p->n_restarts > 0) + 1 + (p->checkin_s != 0) + (p->trial_s != 0);
    cbor_put_map(e, n);
    cbor_put_uint(e, 1);
    cbor_put_bool(e, p->debug);
    if (p->n_restarts > 0) {
        cbor_put_uint(e, 2);
        cbor_put_array(e, p->n_restarts);
        for (unsigned i = 0; i < p->n_restarts && i < MANIFEST_MAX_RESTARTS; i++)
            cbor_put_uint(e, p->restart_ms[i]);
    }
    cbor_put_uint(e, 3);
    cbor_put_uint(e, p->politeness);
    if (p->checkin_s != 0) {
        cbor_put_uint(e, 4);
        cbor_put_uint(e, p->checkin_s);
    }
    if (p->trial_s != 0) {
        cbor_put_uint(e, 5);
        cbor_put_uint(e, p->trial_s);
    }
}

int manifest_image_encode(const struct manifest *m, uint8_t *buf, size_t cap, size_t *len)
{
    cbor_enc_t e;
    bool app = m->component == MANIFEST_COMP_APP;
    if (m->n_layers == 0 || m->n_layers > MANIFEST_MAX_LAYERS)
        return MANIFEST_E_LAYERS;
    cbor_enc_init(&e, buf, cap);
    cbor_put_map(&e, 5 + app + (app && m->has_policy));
    cbor_put_uint(&e, MANIFEST_K_TYPE);
    cbor_put_uint(&e, MANIFEST_TYPE_IMAGE);
    cbor_put_uint(&e, MANIFEST_K_COMPONENT);
    cbor_put_uint(&e, m->component);
    cbor_put_uint(&e, MANIFEST_K_VERSION);
    cbor_put_uint(&e, m->version);
    cbor_put_uint(&e, MANIFEST_K_COUNTER);
    cbor_put_uint(&e, m->security_counter);
    cbor_put_uint(&e, MANIFEST_K_LAYERS);
    cbor_put_array(&e, m->n_layers);
    for (uint32_t i = 0; i < m->n_layers; i++) {
        cbor_put_map(&e, 3);
        cbor_put_uint(&e, 1);
        cbor_put_uint(&e, m->layers[i].target);
        cbor_put_uint(&e, 2);
        cbor_put_uint(&e, m->layers[i].size);
        cbor_put_uint(&e, 3);
        cbor_put_bstr(&e, m->layers[i].sha256, 32);
    }
    if (app) {
        cbor_put_uint(&e, MANIFEST_K_MIN_MV);
        cbor_put_uint(&e, m->min_mv_version);
        if (m->has_policy) {
            cbor_put_uint(&e, MANIFEST_K_POLICY);
            put_policy(&e, &m->policy);
        }
    }
    return finish(&e, len);
}

int manifest_rotation_encode(const struct manifest_rotation *r, uint8_t *buf, size_t cap,
                             size_t *len)
{
    cbor_enc_t e;
    if (r->n_add > MANIFEST_MAX_ROTATION_KEYS || r->n_remove > MANIFEST_MAX_ROTATION_KEYS)
        return MANIFEST_E_ROTATION;
    cbor_enc_init(&e, buf, cap);
    cbor_put_map(&e, 3 + (r->n_add > 0) + (r->n_remove > 0));
    cbor_put_uint(&e, MANIFEST_K_TYPE);
    cbor_put_uint(&e, MANIFEST_TYPE_ROTATION);
    cbor_put_uint(&e, 2);
    cbor_put_uint(&e, r->scope);
    cbor_put_uint(&e, 3);
    cbor_put_uint(&e, r->sequence);
    if (r->n_add > 0) {
        cbor_put_uint(&e, 4);
        cbor_put_array(&e, r->n_add);
        for (uint32_t i = 0; i < r->n_add; i++) {
            cbor_put_array(&e, 2);
            cbor_put_bstr(&e, r->add[i].kid, r->add[i].kid_len);
            cbor_put_bstr(&e, r->add[i].public_key, 32);
        }
    }
    if (r->n_remove > 0) {
        cbor_put_uint(&e, 5);
        cbor_put_array(&e, r->n_remove);
        for (uint32_t i = 0; i < r->n_remove; i++)
            cbor_put_bstr(&e, r->remove[i].kid, r->remove[i].kid_len);
    }
    return finish(&e, len);
}

int manifest_protected_encode(const uint8_t *kid, size_t kid_len, uint8_t *buf, size_t cap,
                              size_t *len)
{
    cbor_enc_t e;
    if (kid_len > MANIFEST_KID_MAX)
        return MANIFEST_E_KID;
    cbor_enc_init(&e, buf, cap);
    cbor_put_map(&e, kid_len ? 2 : 1);
    cbor_put_uint(&e, 1);
    cbor_put_int(&e, MANIFEST_ALG_EDDSA);
    if (kid_len) {
        cbor_put_uint(&e, 4);
        cbor_put_bstr(&e, kid, kid_len);
    }
    return finish(&e, len);
}

int manifest_sig_structure(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                           size_t payload_len, uint8_t *buf, size_t cap, size_t *len)
{
    cbor_enc_t e;
    cbor_enc_init(&e, buf, cap);
    cbor_put_array(&e, 4);
    cbor_put_tstr(&e, "Signature1", 10);
    cbor_put_bstr(&e, prot, prot_len);
    cbor_put_bstr(&e, NULL, 0);
    cbor_put_bstr(&e, payload, payload_len);
    return finish(&e, len);
}

int manifest_envelope_encode(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                             size_t payload_len, const uint8_t *sig, size_t sig_len,
                             uint8_t *buf, size_t cap, size_t *len)
{
    cbor_enc_t e;
    cbor_enc_init(&e, buf, cap);
    cbor_put_tag(&e, MANIFEST_COSE_TAG);
    cbor_put_array(&e, 4);
    cbor_put_bstr(&e, prot, prot_len);
    cbor_put_map(&e, 0);
    cbor_put_bstr(&e, payload, payload_len);
    cbor_put_bstr(&e, sig, sig_len);
    int rc = finish(&e, len);
    if (rc == MANIFEST_OK && *len > MANIFEST_MAX_SIZE)
        return MANIFEST_E_TOO_LARGE;
    return rc;
}
