/*
 * http.c: the REST API's server (libmicrohttpd): routing, bodies and their
 * limits, tokens and scopes, request ids, JSON errors.
 *
 * IMPLEMENTATION NOTES
 * One thread per connection (MHD_USE_THREAD_PER_CONNECTION), so a route
 * may block on the database and a log stream may wait for new records
 * without stalling others; the connection limit bounds the threads. The
 * route is chosen when the headers arrive, which fixes the body limit
 * before any byte of the body is kept: JSON routes max_body, uploads
 * max_bundle. The token is checked at the headers too, and a declared
 * Content-Length over the limit refused there: such a request is answered
 * (401/403/413) before its body is read, and MHD drops the connection
 * after. A chunked body over its limit is read and dropped, then answered
 * 413. Tokens are looked up by their SHA-256, so the table never holds a
 * usable token. Nothing here logs a body, a header value or a token.
 *
 * Limits on connections (config.c, KEEL-SA-2026-18): max_connections in
 * all, max_connections_per_ip from one address (MHD closes a connection
 * over either without a reply: there is no thread to answer it with), and
 * connection_timeout_s of idleness. A live log stream is a connection that
 * stays; api_logs.c bounds them in all and per token, and its keep-alives
 * (data on the wire) keep MHD's idle timer from cutting it.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "api/api.h"

static const char *const scope_names[] = {"none", "read", "deploy", "admin"};

void api_reply(struct req *r, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : strdup("");
    json_decref(body);
    size_t n = text ? strlen(text) : 0;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(n, text ? text : (char *)"", text ? MHD_RESPMEM_MUST_FREE
                                                                          : MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "X-Request-Id", r->rid);
    if (r->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof(ra), "%d", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
}

void api_error(struct req *r, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cloud_log(status >= 500 ? "error" : "info", r->rid, "%s %s -> %d %s: %s", r->method,
              r->route ? r->route->pattern : "?", status, code, msg);
    api_reply(r, status, json_pack("{s:{s:s,s:s,s:s}}", "error", "code", code, "message", msg,
                                   "request_id", r->rid));
}

void api_store_error(struct req *r, int rc)
{
    if (rc == STORE_E_CONSTRAINT)
        api_error(r, 409, "already_exists", "a resource with that identity exists");
    else if (rc == STORE_E_BUSY)
        api_error(r, 503, "store_busy", "the database is busy; retry");
    else {
        cloud_log("error", r->rid, "store: %s", r->db ? store_errmsg(r->db) : "?");
        api_error(r, 500, "internal", "internal error");
    }
}

/* ---- routing ---------------------------------------------------------------- */

/* One path segment. libmicrohttpd has already percent-decoded the path,
 * so an encoded '/' splits segments like a plain one and "%2e%2e" arrives
 * as ".."; no route has a segment a decoded string could escape from. */
static char *decode_segment(const char *s, size_t n)
{
    return strndup(s, n);
}

/* 1 if url matches pattern (params filled), 0 if not, -1 if a segment is
 * malformed. */
static int match(const char *pattern, const char *url, struct req *r)
{
    const char *p = pattern, *u = url;
    int np = 0;
    while (*p && *u) {
        if (*p == '*') {
            const char *end = strchr(u, '/');
            size_t n = end ? (size_t)(end - u) : strlen(u);
            if (n == 0 || np == 4)
                return 0;
            char *seg = decode_segment(u, n);
            if (!seg)
                return -1;
            r->params[np++] = seg;
            r->nparams = np;
            p++;
            u += n;
            continue;
        }
        if (*p != *u)
            return 0;
        p++;
        u++;
    }
    return !*p && !*u;
}

static void free_params(struct req *r)
{
    for (int i = 0; i < r->nparams; i++)
        free(r->params[i]);
    r->nparams = 0;
}

/* The route for (method, url): 0 found, 404 no such path, 405 path exists
 * with another method, 400 malformed segment. */
static int route_find(struct req *r)
{
    int status = 404;
    for (int i = 0; i < api_n_routes; i++) {
        int m = match(api_routes[i].pattern, r->url, r);
        if (m < 0) {
            free_params(r);
            return 400;
        }
        if (m == 0) {
            free_params(r);
            continue;
        }
        if (strcmp(api_routes[i].method, r->method)) {
            free_params(r);
            status = 405;
            continue;
        }
        r->route = &api_routes[i];
        return 0;
    }
    return status;
}

/* ---- authentication --------------------------------------------------------- */

static bool authenticate(struct req *r)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    if (!h) {
        api_error(r, 401, "token_missing", "send Authorization: Bearer <token>");
        return false;
    }
    if (strncmp(h, "Bearer ", 7) || strlen(h + 7) != 69 || strncmp(h + 7, "keel_", 5)) {
        api_error(r, 401, "token_invalid", "not a keel API token");
        return false;
    }
    char hash[65];
    cloud_sha256_hex(h + 7, 69, hash);
    struct store_val v[1] = {SV_TEXT(hash)};
    struct store_result res;
    int rc = store_exec(r->db, "SELECT id, account_id, scope, revoked_ms FROM tokens "
                               "WHERE hash = ?", v, 1, &res);
    if (rc) {
        api_store_error(r, rc);
        return false;
    }
    bool ok = false;
    if (res.nrows == 0) {
        api_error(r, 401, "token_invalid", "unknown token");
    } else if (store_cell(&res, 0, 3)) {
        api_error(r, 401, "token_revoked", "this token was revoked");
    } else {
        r->token_id = store_cell_int(&res, 0, 0);
        r->account = store_cell_int(&res, 0, 1);
        const char *sc = store_cell(&res, 0, 2);
        r->scope = !strcmp(sc, "admin") ? SCOPE_ADMIN : !strcmp(sc, "deploy") ? SCOPE_DEPLOY
                                                                                : SCOPE_READ;
        if (r->scope < r->route->scope)
            api_error(r, 403, "scope_insufficient", "this needs a token with scope %s (this "
                      "one has %s)", scope_names[r->route->scope], scope_names[r->scope]);
        else
            ok = true;
    }
    store_result_free(&res);
    return ok;
}

/* ---- MHD callbacks ---------------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    struct cloud *c = cls;
    struct req *r = *con_cls;
    (void)version;
    if (!r) { /* headers: pick the route and the body limit */
        r = calloc(1, sizeof(*r));
        if (!r)
            return MHD_NO;
        uint8_t id[8];
        cloud_random(id, sizeof(id));
        cloud_hex(id, sizeof(id), r->rid);
        r->c = c;
        r->conn = conn;
        r->method = method;
        r->url = url;
        int st = route_find(r);
        r->status = st;
        r->limit = r->route && r->route->raw_body ? (size_t)c->cfg.max_bundle
                                                  : (size_t)c->cfg.max_body;
        *con_cls = r;
        /* The token is checked, and a declared body over the limit refused,
         * before a byte of the body is accepted: nobody without a valid
         * token can make keel-cloud buffer anything (KEEL-SA-2026-17).
         * A response queued now makes MHD skip the body and close. */
        if (st == 0 && r->route->scope != SCOPE_NONE) {
            r->db = store_pool_get(c->pool);
            r->answered = !authenticate(r);
            store_pool_put(c->pool, r->db);
            r->db = NULL;
        }
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (!r->answered && st == 0 && cl && strtoull(cl, NULL, 10) > r->limit) {
            api_error(r, 413, "body_too_large", "the body is over %zu bytes", r->limit);
            r->answered = true;
        }
        return MHD_YES;
    }
    if (r->answered) { /* the reply is queued: discard whatever still arrives */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->too_large || r->body_len + n > r->limit) {
            r->too_large = true;
            return MHD_YES;
        }
        if (r->body_len + n > r->body_cap) {
            size_t cap = r->body_cap ? r->body_cap : 4096;
            while (cap < r->body_len + n)
                cap *= 2;
            uint8_t *b = realloc(r->body, cap + 1);
            if (!b)
                return MHD_NO;
            r->body = b;
            r->body_cap = cap;
        }
        memcpy(r->body + r->body_len, upload, n);
        r->body_len += n;
        return MHD_YES;
    }
    if (r->body)
        r->body[r->body_len] = 0;
    if (r->status == 404) {
        api_error(r, 404, "route_not_found", "no such endpoint");
        return MHD_YES;
    }
    if (r->status == 405) {
        api_error(r, 405, "method_not_allowed", "%s is not allowed here", method);
        return MHD_YES;
    }
    if (r->status == 400) {
        api_error(r, 400, "id_invalid", "a path segment is malformed");
        return MHD_YES;
    }
    if (r->too_large) {
        api_error(r, 413, "body_too_large", "the body is over %zu bytes", r->limit);
        return MHD_YES;
    }
    r->db = store_pool_get(c->pool);
    r->route->fn(r); /* authenticated at the headers (above) */
    store_pool_put(c->pool, r->db);
    r->db = NULL;
    if (r->stream) { /* a route that streams queued nothing yet */
        MHD_add_response_header(r->stream, "X-Request-Id", r->rid);
        MHD_queue_response(conn, 200, r->stream);
        MHD_destroy_response(r->stream);
        r->stream = NULL;
        r->status = 200;
    }
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct req *r = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (!r)
        return;
    if (r->status < 400)
        cloud_log("info", r->rid, "%s %s -> %d", r->method, r->route ? r->route->pattern : "?",
                  r->status);
    free_params(r);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* max_connections means what it says only if the process may open that
 * many sockets: past RLIMIT_NOFILE accept() fails (EMFILE) below the
 * configured limit, and the database and broker link have no descriptor
 * left either. The soft limit is raised as far as needed (up to the hard
 * one); short of that keel-cloud refuses to start. */
static int fd_budget(struct cloud *c)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)c->cfg.max_connections + (rlim_t)c->cfg.db_connections * 2 + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) {
        rl.rlim_cur = need;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
            return 0;
    }
    cloud_log("error", NULL, "max_connections %ld needs about %llu open files; the limit "
              "(ulimit -n) is %llu: lower max_connections or raise the limit",
              c->cfg.max_connections, (unsigned long long)need,
              (unsigned long long)rl.rlim_cur);
    return -1;
}

int cloud_http_start(struct cloud *c)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG | MHD_USE_POLL;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)c->cfg.http_port);
    if (inet_pton(AF_INET, c->cfg.http_address, &sa.sin_addr) != 1) {
        cloud_log("error", NULL, "http_address %s is not an IPv4 address", c->cfg.http_address);
        return -1;
    }
    /* Bearer tokens and secrets cross this socket: in clear only on
     * loopback, unless the operator says a proxy on this host does TLS. */
    if (!c->cfg.tls_cert[0] && (ntohl(sa.sin_addr.s_addr) >> 24) != 127 &&
        !c->cfg.plain_http_any_address) {
        cloud_log("error", NULL, "http_address %s is not loopback and no tls_cert is set: "
                  "refusing plain HTTP (set tls_cert, or plain_http_any_address = 1 behind a "
                  "TLS proxy)", c->cfg.http_address);
        return -1;
    }
    uint8_t *cert = NULL, *key = NULL;
    size_t n;
    if (c->cfg.tls_cert[0]) {
        if (cloud_read_file(c->cfg.tls_cert, &cert, &n) || cloud_read_file(c->cfg.tls_key, &key, &n)) {
            cloud_log("error", NULL, "cannot read tls_cert / tls_key");
            free(cert);
            return -1;
        }
        flags |= MHD_USE_TLS;
    }
    if (fd_budget(c) != 0 || api_streams_init(c) != 0) {
        free(cert);
        free(key);
        return -1;
    }
    c->http = MHD_start_daemon(flags, 0, NULL, NULL, on_request, c,
                               MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                               MHD_OPTION_NOTIFY_COMPLETED, on_completed, c,
                               MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->cfg.max_connections,
                               MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                               (unsigned)c->cfg.max_connections_per_ip,
                               MHD_OPTION_CONNECTION_TIMEOUT,
                               (unsigned)c->cfg.connection_timeout_s,
                               cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
                               MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
    /* MHD keeps pointing at cert and key while it runs: they stay. */
    if (!c->http)
        api_streams_free(c);
    return c->http ? 0 : -1;
}

void cloud_http_stop(struct cloud *c)
{
    if (c->http) {
        MHD_stop_daemon(c->http); /* every stream has ended: c->stopping */
        api_streams_free(c);
    }
    c->http = NULL;
}
