/*
 * api_configs.c: configs and secrets, at account scope (/v1/configs,
 * /v1/secrets) and device scope (/v1/devices/ID/configs, .../secrets).
 * Limits as Twilio's: keys 1..100 of [A-Za-z0-9._-], values up to 4096
 * bytes. Secrets are write-only: sealed with the instance's key
 * (cloud/seal.c) bound to their row, listed by key only, never returned and
 * never logged.
 */
#include <string.h>

#include "api.h"

#define CONFIG_KEY_MAX 100
#define CONFIG_VALUE_MAX 4096

struct scope {
    const char *device; /* "" for the account */
    const char *key;    /* NULL on list routes */
};

static bool key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n < 1 || n > CONFIG_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
              (k[i] >= '0' && k[i] <= '9') || k[i] == '.' || k[i] == '_' || k[i] == '-'))
            return false;
    return true;
}

/* Reads the scope from the path and checks it; false after replying. */
static bool scope_get(struct req *r, struct scope *s, bool keyed)
{
    bool dev = !strncmp(r->route->pattern, "/v1/devices/", 12);
    s->device = dev ? r->params[0] : "";
    s->key = keyed ? r->params[dev ? 1 : 0] : NULL;
    if (s->key && !key_ok(s->key)) {
        api_error(r, 400, "key_invalid", "a key is 1..%d characters of A-Z a-z 0-9 . _ -",
                  CONFIG_KEY_MAX);
        return false;
    }
    if (!dev)
        return true;
    if (!api_valid_device_id(s->device)) {
        api_error(r, 400, "id_invalid", "a device id is UV and 32 hex digits");
        return false;
    }
    struct store_val v[2] = {SV_TEXT(s->device), SV_INT(r->account)};
    struct store_result res;
    int rc = store_exec(r->db, "SELECT 1 FROM devices WHERE id = ? AND account_id = ?", v, 2,
                        &res);
    int n = rc ? 0 : res.nrows;
    store_result_free(&res);
    if (rc)
        api_store_error(r, rc);
    else if (!n)
        api_error(r, 404, "not_found", "no such device");
    return !rc && n;
}

/* The body's "value": a string of at most 4096 bytes (any content, NUL
 * excluded). NULL after replying. */
static const char *value_get(struct req *r, json_t *o)
{
    json_t *v = json_object_get(o, "value");
    if (!v) {
        api_error(r, 400, "field_missing", "'value' is required");
        return NULL;
    }
    if (!json_is_string(v)) {
        api_error(r, 400, "field_type", "'value' must be a string");
        return NULL;
    }
    if (json_string_length(v) > CONFIG_VALUE_MAX ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        api_error(r, 400, "value_too_large", "a value is at most %d bytes (no NUL)",
                  CONFIG_VALUE_MAX);
        return NULL;
    }
    return json_string_value(v);
}

static void list(struct req *r, const char *sql, bool with_value)
{
    struct scope s;
    if (!scope_get(r, &s, false))
        return;
    struct store_val v[2] = {SV_INT(r->account), SV_TEXT(s.device)};
    struct store_result res;
    int rc = store_exec(r->db, sql, v, 2, &res);
    if (rc)
        return api_store_error(r, rc);
    json_t *items = json_array();
    for (int i = 0; i < res.nrows; i++) {
        json_t *it = json_pack("{s:s,s:I}", "key", store_cell(&res, i, 0), "updated_ms",
                               (json_int_t)store_cell_int(&res, i, 1));
        if (with_value)
            json_object_set_new(it, "value", json_string(store_cell(&res, i, 2)));
        json_array_append_new(items, it);
    }
    store_result_free(&res);
    api_reply(r, 200, json_pack("{s:o}", "items", items));
}

void api_configs_list(struct req *r)
{
    list(r, "SELECT key, updated_ms, value FROM configs WHERE account_id = ? AND device_id = ? "
            "ORDER BY key", true);
}

void api_secrets_list(struct req *r)
{
    list(r, "SELECT key, updated_ms FROM secrets WHERE account_id = ? AND device_id = ? "
            "ORDER BY key", false);
}

void api_configs_get(struct req *r)
{
    struct scope s;
    if (!scope_get(r, &s, true))
        return;
    struct store_val v[3] = {SV_INT(r->account), SV_TEXT(s.device), SV_TEXT(s.key)};
    struct store_result res;
    int rc = store_exec(r->db, "SELECT key, updated_ms, value FROM configs WHERE account_id = ? "
                               "AND device_id = ? AND key = ?", v, 3, &res);
    if (rc)
        return api_store_error(r, rc);
    if (res.nrows == 0)
        api_error(r, 404, "not_found", "no such config");
    else
        api_reply(r, 200, json_pack("{s:s,s:s,s:I}", "key", store_cell(&res, 0, 0), "value",
                                    store_cell(&res, 0, 2), "updated_ms",
                                    (json_int_t)store_cell_int(&res, 0, 1)));
    store_result_free(&res);
}

void api_configs_put(struct req *r)
{
    struct scope s;
    json_t *o = NULL;
    const char *value;
    if (!scope_get(r, &s, true) || !(o = api_body_object(r)) || !(value = value_get(r, o))) {
        json_decref(o);
        return;
    }
    int64_t now = cloud_now_ms();
    struct store_val v[6] = {SV_INT(r->account), SV_TEXT(s.device), SV_TEXT(s.key),
                             SV_TEXT(value), SV_INT(now), SV_INT(now)};
    v[3].n = strlen(value); /* an empty value is a value */
    if (!v[3].n)
        v[3].p = "";
    int rc = store_exec(r->db, "INSERT INTO configs (account_id, device_id, key, value, "
                               "updated_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, "
                               "device_id, key) DO UPDATE SET value = excluded.value, "
                               "updated_ms = ?", v, 6, NULL);
    if (rc)
        api_store_error(r, rc);
    else
        api_reply(r, 200, json_pack("{s:s,s:s,s:I}", "key", s.key, "value", value, "updated_ms",
                                    (json_int_t)now));
    json_decref(o);
}

static void del(struct req *r, const char *sql, const char *what)
{
    struct scope s;
    if (!scope_get(r, &s, true))
        return;
    struct store_val v[3] = {SV_INT(r->account), SV_TEXT(s.device), SV_TEXT(s.key)};
    struct store_result res;
    int rc = store_exec(r->db, sql, v, 3, &res);
    if (rc)
        return api_store_error(r, rc);
    if (res.changes == 0)
        return api_error(r, 404, "not_found", "no such %s", what);
    api_reply(r, 204, NULL);
}

void api_configs_delete(struct req *r)
{
    del(r, "DELETE FROM configs WHERE account_id = ? AND device_id = ? AND key = ?", "config");
}

void api_secrets_delete(struct req *r)
{
    del(r, "DELETE FROM secrets WHERE account_id = ? AND device_id = ? AND key = ?", "secret");
}

void api_secrets_put(struct req *r)
{
    struct scope s;
    json_t *o = NULL;
    const char *value;
    if (!scope_get(r, &s, true) || !(o = api_body_object(r)) || !(value = value_get(r, o))) {
        json_decref(o);
        return;
    }
    char aad[200];
    uint8_t sealed[CONFIG_VALUE_MAX + CLOUD_SEAL_OVERHEAD];
    size_t n = strlen(value);
    snprintf(aad, sizeof(aad), "%lld/%s/%s", (long long)r->account, s.device, s.key);
    if (cloud_seal(r->c->secret_key, aad, value, n, sealed) != 0) {
        json_decref(o);
        return api_error(r, 500, "internal", "cannot seal the secret");
    }
    json_decref(o); /* the plaintext goes no further */
    int64_t now = cloud_now_ms();
    struct store_val v[6] = {SV_INT(r->account), SV_TEXT(s.device), SV_TEXT(s.key),
                             SV_BLOB(sealed, n + CLOUD_SEAL_OVERHEAD), SV_INT(now), SV_INT(now)};
    int rc = store_exec(r->db, "INSERT INTO secrets (account_id, device_id, key, sealed, "
                               "updated_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, "
                               "device_id, key) DO UPDATE SET sealed = excluded.sealed, "
                               "updated_ms = ?", v, 6, NULL);
    memset(r->body, 0, r->body_len);
    if (rc)
        return api_store_error(r, rc);
    api_reply(r, 200, json_pack("{s:s,s:I}", "key", s.key, "updated_ms", (json_int_t)now));
}
