/*
 * api_accounts.c: /v1/time, /v1/account, /v1/accounts, /v1/tokens,
 * /v1/signers. Account 1 (made by keel-cloud init) is the operator's: only
 * its admin tokens create accounts. A token is shown once, when created;
 * the API never returns a token or its hash again.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

#include "api.h"

static const char *const scopes[] = {"read", "deploy", "admin"};

void api_time(struct req *r)
{
    api_reply(r, 200, json_pack("{s:I}", "unix_ms", (json_int_t)cloud_now_ms()));
}

void api_account_show(struct req *r)
{
    struct store_val v[1] = {SV_INT(r->account)};
    struct store_result res;
    int rc = store_exec(r->db, "SELECT id, name, created_ms FROM accounts WHERE id = ?", v, 1,
                        &res);
    if (rc)
        return api_store_error(r, rc);
    api_reply(r, 200, json_pack("{s:I,s:s,s:I,s:s}", "id", (json_int_t)store_cell_int(&res, 0, 0),
                                "name", store_cell(&res, 0, 1) ? store_cell(&res, 0, 1) : "",
                                "created_ms", (json_int_t)store_cell_int(&res, 0, 2), "scope",
                                scopes[r->scope - 1]));
    store_result_free(&res);
}

void api_accounts_create(struct req *r)
{
    if (r->account != 1)
        return api_error(r, 403, "scope_insufficient", "only the operator account (1) "
                                                       "creates accounts");
    json_t *o = api_body_object(r);
    const char *name = o ? api_get_string(r, o, "name", 100, true) : NULL;
    if (!name) {
        json_decref(o);
        return;
    }
    struct store_val v[2] = {SV_TEXT(name), SV_INT(cloud_now_ms())};
    struct store_result res;
    char token[70];
    int64_t id = 0;
    int rc = store_begin(r->db);
    if (!rc)
        rc = store_exec(r->db, "INSERT INTO accounts (name, created_ms) VALUES (?, ?) "
                               "RETURNING id", v, 2, &res);
    if (!rc) {
        id = store_cell_int(&res, 0, 0);
        store_result_free(&res);
        rc = cloud_token_create(r->db, id, "admin", "admin", token, NULL);
    }
    if (!rc)
        rc = store_commit(r->db);
    if (rc) {
        store_rollback(r->db);
        json_decref(o);
        return api_store_error(r, rc);
    }
    api_reply(r, 201, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "name", name,
                                "admin_token", token));
    memset(token, 0, sizeof(token));
    json_decref(o);
}

void api_tokens_list(struct req *r)
{
    struct store_val v[1] = {SV_INT(r->account)};
    struct store_result res;
    int rc = store_exec(r->db, "SELECT id, name, scope, created_ms, revoked_ms FROM tokens "
                               "WHERE account_id = ? ORDER BY id", v, 1, &res);
    if (rc)
        return api_store_error(r, rc);
    json_t *items = json_array();
    for (int i = 0; i < res.nrows; i++)
        json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:I,s:b}", "id",
                              (json_int_t)store_cell_int(&res, i, 0), "name",
                              store_cell(&res, i, 1), "scope", store_cell(&res, i, 2),
                              "created_ms", (json_int_t)store_cell_int(&res, i, 3), "revoked",
                              store_cell(&res, i, 4) != NULL));
    store_result_free(&res);
    api_reply(r, 200, json_pack("{s:o}", "items", items));
}

void api_tokens_create(struct req *r)
{
    json_t *o = api_body_object(r);
    const char *name = o ? api_get_string(r, o, "name", 100, true) : NULL;
    const char *scope = name ? api_get_string(r, o, "scope", 16, true) : NULL;
    if (scope && strcmp(scope, "read") && strcmp(scope, "deploy") && strcmp(scope, "admin")) {
        api_error(r, 400, "field_invalid", "'scope' must be read, deploy or admin");
        scope = NULL;
    }
    if (!scope) {
        json_decref(o);
        return;
    }
    char token[70];
    int64_t id;
    int rc = cloud_token_create(r->db, r->account, name, scope, token, &id);
    if (rc) {
        json_decref(o);
        return api_store_error(r, rc);
    }
    api_reply(r, 201, json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "name", name,
                                "scope", scope, "token", token));
    memset(token, 0, sizeof(token));
    json_decref(o);
}

void api_tokens_revoke(struct req *r)
{
    int64_t id;
    if (!api_param_id(r, 0, &id))
        return;
    struct store_val v[3] = {SV_INT(cloud_now_ms()), SV_INT(id), SV_INT(r->account)};
    struct store_result res;
    int rc = store_exec(r->db, "UPDATE tokens SET revoked_ms = ? WHERE id = ? AND "
                               "account_id = ? AND revoked_ms IS NULL", v, 3, &res);
    if (rc)
        return api_store_error(r, rc);
    if (res.changes == 0)
        return api_error(r, 404, "not_found", "no such token (or already revoked)");
    api_reply(r, 204, NULL);
}

/* ---- signers ------------------------------------------------------------------ */

/* Accepts an Ed25519 public key as 64 hex digits or as PEM (keel keygen's
 * KEY.pem.pub). 0 with pk filled, or -1. */
static int parse_public_key(const char *s, uint8_t pk[32])
{
    if (cloud_unhex(s, pk, 32) == 0)
        return 0;
    BIO *b = BIO_new_mem_buf(s, -1);
    EVP_PKEY *k = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
    size_t n = 32;
    int ok = k && EVP_PKEY_id(k) == EVP_PKEY_ED25519 &&
             EVP_PKEY_get_raw_public_key(k, pk, &n) == 1 && n == 32;
    EVP_PKEY_free(k);
    BIO_free(b);
    return ok ? 0 : -1;
}

static json_t *signer_json(const struct store_result *res, int i)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:I}", "id", (json_int_t)store_cell_int(res, i, 0),
                     "name", store_cell(res, i, 1), "kid", store_cell(res, i, 2), "public_key",
                     store_cell(res, i, 3), "created_ms", (json_int_t)store_cell_int(res, i, 4));
}

void api_signers_list(struct req *r)
{
    struct store_val v[1] = {SV_INT(r->account)};
    struct store_result res;
    int rc = store_exec(r->db, "SELECT id, name, kid, public_key, created_ms FROM signers "
                               "WHERE account_id = ? ORDER BY id", v, 1, &res);
    if (rc)
        return api_store_error(r, rc);
    json_t *items = json_array();
    for (int i = 0; i < res.nrows; i++)
        json_array_append_new(items, signer_json(&res, i));
    store_result_free(&res);
    api_reply(r, 200, json_pack("{s:o}", "items", items));
}

void api_signers_create(struct req *r)
{
    json_t *o = api_body_object(r);
    const char *name = o ? api_get_string(r, o, "name", 100, true) : NULL;
    json_t *jk = name ? json_object_get(o, "public_key") : NULL;
    uint8_t pk[32], h[32];
    unsigned hl = 32;
    if (name && !jk)
        api_error(r, 400, "field_missing", "'public_key' is required");
    else if (jk && !json_is_string(jk))
        api_error(r, 400, "field_type", "'public_key' must be a string");
    else if (jk && parse_public_key(json_string_value(jk), pk) != 0)
        api_error(r, 400, "field_invalid", "'public_key' must be an Ed25519 public key: 64 "
                                           "hex digits or PEM");
    else if (jk) {
        char kid[17], pkhex[65];
        EVP_Digest(pk, 32, h, &hl, EVP_sha256(), NULL);
        cloud_hex(h, 8, kid); /* kid = SHA-256(pk)[0..8), as keel sign makes it */
        cloud_hex(pk, 32, pkhex);
        struct store_val v[5] = {SV_INT(r->account), SV_TEXT(name), SV_TEXT(kid),
                                 SV_TEXT(pkhex), SV_INT(cloud_now_ms())};
        struct store_result res;
        int rc = store_exec(r->db, "INSERT INTO signers (account_id, name, kid, public_key, "
                                   "created_ms) VALUES (?, ?, ?, ?, ?) RETURNING id, name, kid, "
                                   "public_key, created_ms", v, 5, &res);
        if (rc)
            api_store_error(r, rc);
        else
            api_reply(r, 201, signer_json(&res, 0));
        store_result_free(&res);
    }
    json_decref(o);
}

void api_signers_delete(struct req *r)
{
    int64_t id;
    if (!api_param_id(r, 0, &id))
        return;
    struct store_val v[2] = {SV_INT(id), SV_INT(r->account)};
    struct store_result res;
    int rc = store_exec(r->db, "DELETE FROM signers WHERE id = ? AND account_id = ?", v, 2,
                        &res);
    if (rc)
        return api_store_error(r, rc);
    if (res.changes == 0)
        return api_error(r, 404, "not_found", "no such signer");
    api_reply(r, 204, NULL);
}
