/*
 * api.h: what every route of the REST API (the api_ files in cloud/api) shares: the
 * request, the reply helpers, input checks and the stable error codes
 * (docs/api.md lists each with its HTTP status).
 *
 * A route runs once per request, after the whole body has arrived and the
 * token has been checked against the route's scope; r->db is a pooled
 * connection it may use until it returns. It ends by calling api_reply or
 * api_error exactly once.
 */
#ifndef KEEL_CLOUD_API_H
#define KEEL_CLOUD_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cloud.h"

struct MHD_Connection;
struct MHD_Response;

enum api_scope { SCOPE_NONE = 0, SCOPE_READ = 1, SCOPE_DEPLOY = 2, SCOPE_ADMIN = 3 };

struct req {
    struct cloud *c;
    struct MHD_Connection *conn;
    char rid[17];                  /* request id, in every log line and error */
    const char *method, *url;
    const struct route *route;
    char *params[4];               /* the route's '*' path segments, decoded */
    int nparams;
    uint8_t *body;
    size_t body_len, body_cap, limit;
    bool too_large;
    bool answered;                 /* refused at the headers: the body is not read */
    int64_t account, token_id;
    enum api_scope scope;
    struct store *db;
    int status;                    /* what was sent, for the access log */
    struct MHD_Response *stream;   /* set by a route that streams (logs -f) */
    int retry_after;               /* > 0: the reply says Retry-After: this many s */
};

struct route {
    const char *method;
    const char *pattern;           /* "/v1/apps/ *" with '*' for one segment */
    enum api_scope scope;
    bool raw_body;                 /* body is bytes up to max_bundle, not JSON */
    void (*fn)(struct req *r);
};

/* ---- replies --------------------------------------------------------------- */

/* Sends body (stolen) with status. */
void api_reply(struct req *r, int status, json_t *body);
void api_error(struct req *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Maps a STORE_E_* to 409 already_exists, 503 store_busy or 500 internal. */
void api_store_error(struct req *r, int rc);

/* ---- inputs ---------------------------------------------------------------- */

/* The body as a JSON object, or NULL after replying bad_json. */
json_t *api_body_object(struct req *r);
/* Field checks: NULL/false after replying field_missing, field_type or
 * field_invalid. */
const char *api_get_string(struct req *r, json_t *o, const char *key, size_t max, bool required);
bool api_valid_name(const char *s, size_t max);
bool api_valid_device_id(const char *s);
const char *api_query(struct req *r, const char *key);
/* ?limit= (1..page_max, default 100) and ?after= (an integer cursor).
 * false after replying page_invalid. */
bool api_page(struct req *r, int64_t *limit, int64_t *after);
/* A path parameter as a positive integer id; false after replying
 * id_invalid. */
bool api_param_id(struct req *r, int i, int64_t *id);

/* ---- routes (one file per resource) ---------------------------------------- */

extern const struct route api_routes[];
extern const int api_n_routes;

void api_account_show(struct req *r);
void api_accounts_create(struct req *r);
void api_tokens_list(struct req *r);
void api_tokens_create(struct req *r);
void api_tokens_revoke(struct req *r);
void api_signers_list(struct req *r);
void api_signers_create(struct req *r);
void api_signers_delete(struct req *r);
void api_apps_list(struct req *r);
void api_apps_create(struct req *r);
void api_apps_show(struct req *r);
void api_apps_delete(struct req *r);
void api_devices_list(struct req *r);
void api_devices_show(struct req *r);
void api_devices_update(struct req *r);
void api_devices_register(struct req *r);
void api_devices_revoke(struct req *r);
void api_deployments_list(struct req *r);
void api_deployments_create(struct req *r);
void api_deployments_show(struct req *r);
void api_logs_list(struct req *r);
void api_logs_stream(struct req *r);
void api_faults_list(struct req *r);
/* The stream slots (cloud.h): made before the HTTP daemon starts, freed
 * after it stopped. 0 or -1. */
int api_streams_init(struct cloud *c);
void api_streams_free(struct cloud *c);
void api_configs_list(struct req *r);
void api_configs_put(struct req *r);
void api_configs_get(struct req *r);
void api_configs_delete(struct req *r);
void api_secrets_list(struct req *r);
void api_secrets_put(struct req *r);
void api_secrets_delete(struct req *r);
void api_time(struct req *r);

/* Device JSON from a devices row (api_devices.c's column order). */
json_t *api_device_json(const struct store_result *res, int row);

#endif
