/*
 * api_apps.c: /v1/apps. An upload is the bundle file itself as the body
 * (POST /v1/apps?name=NAME, application/octet-stream). It is checked with
 * lib/manifest, the device's own code: the container, the COSE_Sign1
 * envelope, the signature against the account's registered signers, an
 * app manifest, and every layer's SHA-256 against the image bytes. It is
 * stored by the SHA-256 of the whole file, so a bundle is kept once however
 * many accounts upload it; the same bundle twice in one account is a 409.
 * The record is committed before the 201 goes out.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "keel_ossl.h"
#include "manifest.h"

#define APP_COLS "id, name, hash, size, version, security_counter, kid, created_ms"

static json_t *app_json(const struct store_result *res, int i)
{
    int64_t v = store_cell_int(res, i, 4);
    char ver[32];
    snprintf(ver, sizeof(ver), "%u.%u.%u", (unsigned)(v >> 24), (unsigned)(v >> 16) & 0xFF,
             (unsigned)v & 0xFFFF);
    return json_pack("{s:I,s:s,s:s,s:I,s:s,s:I,s:s,s:I}", "id",
                     (json_int_t)store_cell_int(res, i, 0), "name", store_cell(res, i, 1),
                     "hash", store_cell(res, i, 2), "size", (json_int_t)store_cell_int(res, i, 3),
                     "version", ver, "security_counter", (json_int_t)store_cell_int(res, i, 5),
                     "kid", store_cell(res, i, 6), "created_ms",
                     (json_int_t)store_cell_int(res, i, 7));
}

void api_apps_list(struct req *r)
{
    int64_t limit, after;
    if (!api_page(r, &limit, &after))
        return;
    struct store_val v[3] = {SV_INT(r->account), SV_INT(after), SV_INT(limit)};
    struct store_result res;
    int rc = store_exec(r->db, "SELECT " APP_COLS " FROM apps WHERE account_id = ? AND id > ? "
                               "ORDER BY id LIMIT ?", v, 3, &res);
    if (rc)
        return api_store_error(r, rc);
    json_t *items = json_array();
    for (int i = 0; i < res.nrows; i++)
        json_array_append_new(items, app_json(&res, i));
    json_t *next = res.nrows == limit ? json_integer(store_cell_int(&res, res.nrows - 1, 0))
                                      : json_null();
    store_result_free(&res);
    api_reply(r, 200, json_pack("{s:o,s:o}", "items", items, "next", next));
}

/* The account's signer with this kid as a one-key trust store for apps.
 * 0, 1 if there is none, or a STORE_E_*. */
static int trust_for(struct req *r, const uint8_t *kid, size_t kid_len,
                     struct manifest_trust *t)
{
    char kh[2 * MANIFEST_KID_MAX + 1];
    if (kid_len > MANIFEST_KID_MAX)
        return 1;
    cloud_hex(kid, kid_len, kh);
    struct store_val v[2] = {SV_INT(r->account), SV_TEXT(kh)};
    struct store_result res;
    int rc = store_exec(r->db, "SELECT public_key FROM signers WHERE account_id = ? AND kid = ?",
                        v, 2, &res);
    if (rc)
        return rc;
    memset(t, 0, sizeof(*t));
    if (res.nrows == 1 && cloud_unhex(store_cell(&res, 0, 0), t->keys[0].public_key, 32) == 0) {
        t->n_keys = 1;
        t->keys[0].kid_len = (uint8_t)kid_len;
        memcpy(t->keys[0].kid, kid, kid_len);
        t->keys[0].scopes = 1u << MANIFEST_COMP_APP;
    }
    store_result_free(&res);
    return t->n_keys ? 0 : 1;
}

/* Every layer's bytes hash to its digest, and the padding after each (to
 * 16 bytes) is 0xFF as keel bundle writes it: one app, one byte string. */
static bool layers_match(const struct manifest *m, const uint8_t *img, size_t n)
{
    size_t off = 0;
    for (uint32_t i = 0; i < m->n_layers; i++) {
        uint8_t h[32];
        unsigned hl = 32;
        size_t sz = m->layers[i].size;
        if (sz > n - off)
            return false;
        EVP_Digest(img + off, sz, h, &hl, EVP_sha256(), NULL);
        if (memcmp(h, m->layers[i].sha256, 32))
            return false;
        size_t end = off + ((sz + 15) & ~(size_t)15);
        if (end > n)
            return false;
        for (size_t k = off + sz; k < end; k++)
            if (img[k] != 0xFF)
                return false;
        off = end;
    }
    return off == n;
}

void api_apps_create(struct req *r)
{
    const char *name = api_query(r, "name");
    if (!name)
        return api_error(r, 400, "field_missing", "'name' (query parameter) is required");
    if (!api_valid_name(name, 100))
        return api_error(r, 400, "field_invalid", "'name' must be 1..100 bytes of printable "
                                                  "UTF-8");
    struct manifest_bundle b;
    struct manifest_cose cose;
    int rc = manifest_bundle_split(r->body, r->body_len, &b);
    if (rc)
        return api_error(r, 400, "bundle_invalid", "not a keel bundle (%s)",
                         rc == MANIFEST_BUNDLE_E_MAGIC ? "no KEELBDL header"
                         : rc == MANIFEST_BUNDLE_E_VERSION ? "unknown container version"
                                                           : "sizes disagree");
    rc = manifest_cose_parse(b.envelope, b.envelope_len, &cose);
    if (rc == MANIFEST_E_KID || (!rc && (!cose.kid_len || !cose.signature_len)))
        return api_error(r, 422, "bundle_unsigned", "the bundle is not signed (keel sign)");
    if (rc)
        return api_error(r, 400, "bundle_invalid", "manifest: %s", manifest_strerror(rc));
    /* what it is before who signed it: a microvisor or a key rotation is no
     * app, whoever signed it */
    static _Thread_local struct manifest_msg peek;
    rc = manifest_payload_parse(cose.payload, cose.payload_len, &peek);
    if (rc)
        return api_error(r, 400, "bundle_invalid", "manifest: %s", manifest_strerror(rc));
    if (peek.type != MANIFEST_TYPE_IMAGE || peek.u.image.component != MANIFEST_COMP_APP)
        return api_error(r, 400, "bundle_invalid", "not an app bundle");
    struct manifest_trust trust;
    rc = trust_for(r, cose.kid, cose.kid_len, &trust);
    if (rc == 1)
        return api_error(r, 422, "signer_unknown", "the bundle's signer is not registered "
                                                   "with this account (POST /v1/signers)");
    if (rc)
        return api_store_error(r, rc);
    static _Thread_local uint8_t scratch[MANIFEST_SCRATCH_SIZE];
    struct manifest_msg msg;
    rc = manifest_open(b.envelope, b.envelope_len, &trust, &keel_ossl_crypto, scratch,
                       sizeof(scratch), &msg);
    if (rc == MANIFEST_E_SIGNATURE)
        return api_error(r, 422, "bundle_signature", "the signature does not verify");
    if (rc == MANIFEST_E_UNKNOWN_KID || rc == MANIFEST_E_COMPONENT)
        return api_error(r, 422, "signer_unknown", "the signer may not sign apps here");
    if (rc)
        return api_error(r, 400, "bundle_invalid", "manifest: %s", manifest_strerror(rc));
    if (msg.type != MANIFEST_TYPE_IMAGE || msg.u.image.component != MANIFEST_COMP_APP)
        return api_error(r, 400, "bundle_invalid", "not an app bundle");
    if (!layers_match(&msg.u.image, b.image, b.image_len))
        return api_error(r, 400, "bundle_invalid", "the image bytes do not match the "
                                                   "manifest's layer digests");

    char hash[65], kid[2 * MANIFEST_KID_MAX + 1];
    cloud_sha256_hex(r->body, r->body_len, hash);
    cloud_hex(msg.kid, msg.kid_len, kid);
    struct store_val bv[3] = {SV_TEXT(hash), SV_INT((int64_t)r->body_len),
                              SV_BLOB(r->body, r->body_len)};
    struct store_val av[8] = {SV_INT(r->account), SV_TEXT(name), SV_TEXT(hash),
                              SV_INT((int64_t)r->body_len), SV_INT(msg.u.image.version),
                              SV_INT(msg.u.image.security_counter), SV_TEXT(kid),
                              SV_INT(cloud_now_ms())};
    struct store_result res;
    rc = store_begin(r->db);
    if (!rc)
        rc = store_exec(r->db, "INSERT INTO blobs (hash, size, data) VALUES (?, ?, ?) "
                               "ON CONFLICT (hash) DO NOTHING", bv, 3, NULL);
    if (!rc)
        rc = store_exec(r->db, "INSERT INTO apps (account_id, name, hash, size, version, "
                               "security_counter, kid, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                               "RETURNING " APP_COLS, av, 8, &res);
    if (!rc)
        rc = store_commit(r->db);
    if (rc) {
        store_rollback(r->db);
        if (rc == STORE_E_CONSTRAINT)
            return api_error(r, 409, "already_exists", "this bundle (sha256 %s) is already "
                                                       "uploaded", hash);
        return api_store_error(r, rc);
    }
    cloud_log("info", r->rid, "app %s stored: %s, %zu bytes", store_cell(&res, 0, 0), hash,
              r->body_len);
    api_reply(r, 201, app_json(&res, 0));
    store_result_free(&res);
}

void api_apps_show(struct req *r)
{
    int64_t id;
    if (!api_param_id(r, 0, &id))
        return;
    struct store_val v[2] = {SV_INT(id), SV_INT(r->account)};
    struct store_result res;
    int rc = store_exec(r->db, "SELECT " APP_COLS " FROM apps WHERE id = ? AND account_id = ?",
                        v, 2, &res);
    if (rc)
        return api_store_error(r, rc);
    if (res.nrows == 0)
        api_error(r, 404, "not_found", "no such app");
    else
        api_reply(r, 200, app_json(&res, 0));
    store_result_free(&res);
}

void api_apps_delete(struct req *r)
{
    int64_t id;
    if (!api_param_id(r, 0, &id))
        return;
    struct store_val v[2] = {SV_INT(id), SV_INT(r->account)};
    struct store_result res, used;
    int rc = store_begin(r->db);
    if (!rc)
        rc = store_exec(r->db, "SELECT hash FROM apps WHERE id = ? AND account_id = ?", v, 2,
                        &res);
    if (rc) {
        store_rollback(r->db);
        return api_store_error(r, rc);
    }
    if (res.nrows == 0) {
        store_rollback(r->db);
        return api_error(r, 404, "not_found", "no such app");
    }
    rc = store_exec(r->db, "SELECT COUNT(*) FROM deployments WHERE app_id = ?", v, 1, &used);
    if (!rc && store_cell_int(&used, 0, 0) > 0) {
        store_rollback(r->db);
        store_result_free(&res);
        store_result_free(&used);
        return api_error(r, 409, "app_in_use", "deployments use this app");
    }
    store_result_free(&used);
    struct store_val hv[1] = {SV_TEXT(store_cell(&res, 0, 0))};
    if (!rc)
        rc = store_exec(r->db, "DELETE FROM apps WHERE id = ?", v, 1, NULL);
    if (!rc)
        rc = store_exec(r->db, "DELETE FROM blobs WHERE hash = ? AND NOT EXISTS (SELECT 1 FROM "
                               "apps WHERE apps.hash = blobs.hash)", hv, 1, NULL);
    if (!rc)
        rc = store_commit(r->db);
    store_result_free(&res);
    if (rc) {
        store_rollback(r->db);
        return api_store_error(r, rc);
    }
    api_reply(r, 204, NULL);
}
