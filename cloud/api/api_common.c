/* api_common.c: the route table and the input checks every route shares. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

const struct route api_routes[] = {
    {"GET", "/v1/time", SCOPE_NONE, false, api_time},
    {"GET", "/v1/account", SCOPE_READ, false, api_account_show},
    {"POST", "/v1/accounts", SCOPE_ADMIN, false, api_accounts_create},
    {"GET", "/v1/tokens", SCOPE_ADMIN, false, api_tokens_list},
    {"POST", "/v1/tokens", SCOPE_ADMIN, false, api_tokens_create},
    {"DELETE", "/v1/tokens/*", SCOPE_ADMIN, false, api_tokens_revoke},
    {"GET", "/v1/signers", SCOPE_READ, false, api_signers_list},
    {"POST", "/v1/signers", SCOPE_ADMIN, false, api_signers_create},
    {"DELETE", "/v1/signers/*", SCOPE_ADMIN, false, api_signers_delete},
    {"GET", "/v1/apps", SCOPE_READ, false, api_apps_list},
    {"POST", "/v1/apps", SCOPE_DEPLOY, true, api_apps_create},
    {"GET", "/v1/apps/*", SCOPE_READ, false, api_apps_show},
    {"DELETE", "/v1/apps/*", SCOPE_DEPLOY, false, api_apps_delete},
    {"GET", "/v1/devices", SCOPE_READ, false, api_devices_list},
    {"POST", "/v1/devices", SCOPE_DEPLOY, false, api_devices_register},
    {"GET", "/v1/devices/*", SCOPE_READ, false, api_devices_show},
    {"PATCH", "/v1/devices/*", SCOPE_DEPLOY, false, api_devices_update},
    {"POST", "/v1/devices/*/revoke", SCOPE_ADMIN, false, api_devices_revoke},
    {"GET", "/v1/devices/*/logs", SCOPE_READ, false, api_logs_list},
    {"GET", "/v1/devices/*/logs/stream", SCOPE_READ, false, api_logs_stream},
    {"GET", "/v1/devices/*/faults", SCOPE_READ, false, api_faults_list},
    {"GET", "/v1/devices/*/configs", SCOPE_READ, false, api_configs_list},
    {"GET", "/v1/devices/*/configs/*", SCOPE_READ, false, api_configs_get},
    {"PUT", "/v1/devices/*/configs/*", SCOPE_DEPLOY, false, api_configs_put},
    {"DELETE", "/v1/devices/*/configs/*", SCOPE_DEPLOY, false, api_configs_delete},
    {"GET", "/v1/devices/*/secrets", SCOPE_READ, false, api_secrets_list},
    {"PUT", "/v1/devices/*/secrets/*", SCOPE_DEPLOY, false, api_secrets_put},
    {"DELETE", "/v1/devices/*/secrets/*", SCOPE_DEPLOY, false, api_secrets_delete},
    {"GET", "/v1/deployments", SCOPE_READ, false, api_deployments_list},
    {"POST", "/v1/deployments", SCOPE_DEPLOY, false, api_deployments_create},
    {"GET", "/v1/deployments/*", SCOPE_READ, false, api_deployments_show},
    {"GET", "/v1/configs", SCOPE_READ, false, api_configs_list},
    {"GET", "/v1/configs/*", SCOPE_READ, false, api_configs_get},
    {"PUT", "/v1/configs/*", SCOPE_DEPLOY, false, api_configs_put},
    {"DELETE", "/v1/configs/*", SCOPE_DEPLOY, false, api_configs_delete},
    {"GET", "/v1/secrets", SCOPE_READ, false, api_secrets_list},
    {"PUT", "/v1/secrets/*", SCOPE_DEPLOY, false, api_secrets_put},
    {"DELETE", "/v1/secrets/*", SCOPE_DEPLOY, false, api_secrets_delete},
};
const int api_n_routes = sizeof(api_routes) / sizeof(api_routes[0]);

json_t *api_body_object(struct req *r)
{
    json_error_t e;
    json_t *o = r->body_len ? json_loadb((const char *)r->body, r->body_len,
                                         JSON_REJECT_DUPLICATES, &e) : NULL;
    if (!o) {
        /* Only the position: jansson's e.text quotes the input near the
         * error ("invalid token near '...'"), and the body may be a
         * secret's value; the message goes into the log and the reply. */
        if (r->body_len)
            api_error(r, 400, "bad_json", "the body is not valid JSON (line %d, column %d)",
                      e.line, e.column);
        else
            api_error(r, 400, "bad_json", "the body is not valid JSON (empty)");
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        api_error(r, 400, "bad_json", "the body must be a JSON object");
        return NULL;
    }
    return o;
}

/* Valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF)
 * without control characters. */
static bool utf8_printable(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], len, cp;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F)
                return false;
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > n)
            return false;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += len;
    }
    return true;
}

bool api_valid_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n >= 1 && n <= max && utf8_printable((const unsigned char *)s, n);
}

bool api_valid_device_id(const char *s)
{
    if (strlen(s) != 34 || s[0] != 'U' || s[1] != 'V')
        return false;
    for (int i = 2; i < 34; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return true;
}

const char *api_get_string(struct req *r, json_t *o, const char *key, size_t max, bool required)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        if (required)
            api_error(r, 400, "field_missing", "'%s' is required", key);
        return NULL;
    }
    if (!json_is_string(v)) {
        api_error(r, 400, "field_type", "'%s' must be a string", key);
        return NULL;
    }
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v) || !api_valid_name(s, max)) {
        api_error(r, 400, "field_invalid", "'%s' must be 1..%zu bytes of printable UTF-8",
                  key, max);
        return NULL;
    }
    return s;
}

const char *api_query(struct req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

static bool parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    if (!s || !*s)
        return false;
    long long v = strtoll(s, &end, 10);
    if (*end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool api_page(struct req *r, int64_t *limit, int64_t *after)
{
    const char *l = api_query(r, "limit"), *a = api_query(r, "after");
    *limit = 100 < r->c->cfg.page_max ? 100 : r->c->cfg.page_max;
    *after = 0;
    if (l && !parse_int(l, 1, r->c->cfg.page_max, limit)) {
        api_error(r, 400, "page_invalid", "limit must be 1..%ld", r->c->cfg.page_max);
        return false;
    }
    if (a && !parse_int(a, 0, INT64_MAX, after)) {
        api_error(r, 400, "page_invalid", "after must be a cursor from a previous page");
        return false;
    }
    return true;
}

bool api_param_id(struct req *r, int i, int64_t *id)
{
    if (i < r->nparams && parse_int(r->params[i], 1, INT64_MAX, id))
        return true;
    api_error(r, 400, "id_invalid", "the id in the path must be a positive integer");
    return false;
}
