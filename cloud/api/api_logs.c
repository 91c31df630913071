/*
 * api_logs.c: /v1/devices/ID/logs (paged query), .../logs/stream
 * (server-sent events) and .../faults (the fault records devices report
 * in hello and status). Each record carries the device's clock
 * (device_ms) and the cloud's (received_ms); queries filter on the
 * receive time, whose clock the cloud trusts.
 *
 * IMPLEMENTATION NOTES
 * The stream polls the database rather than listening to the broker link,
 * so a client on any instance sees records ingested by every instance. It
 * takes a pooled connection only for each poll, never while waiting.
 *
 * A stream holds a connection (and its thread) for as long as the client
 * likes, so streams are capped (KEEL-SA-2026-18): max_streams in all,
 * max_streams_per_token per token, counted in c->stream_tokens, a slot
 * taken before the response is made and given back when MHD frees it.
 * Each stream rechecks its token once a second and ends, with a last
 * token_revoked event, once it is revoked (KEEL-SA-2026-19). A revoked
 * device's stream stays open: its stored records stay readable and no new
 * ones arrive (keel-cloud drops what a revoked device sends).
 */
#define _GNU_SOURCE /* POLLRDHUP */
#include <microhttpd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "proto.h"

#define STREAM_POLL_MS 200          /* a stream looks for new records this often */
#define STREAM_KEEPALIVE_MS 6000    /* at most this long without a byte (keepalive_ms) */
#define STREAM_TOKEN_CHECK_MS 1000  /* a stream rechecks its token this often */
#define STREAM_RETRY_S 5            /* Retry-After of a stream refused by a cap */

static bool query_ms(struct req *r, const char *key, int64_t *out)
{
    const char *s = api_query(r, key);
    char *end;
    if (!s)
        return true;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < 0) {
        api_error(r, 400, "field_invalid", "'%s' must be milliseconds since the epoch", key);
        return false;
    }
    *out = v;
    return true;
}

/* The text as a JSON string that is always made. lib/proto already refuses
 * text that is not UTF-8 or holds NUL, but rows written by an older
 * keel-cloud or by hand may still hold such bytes, and jansson refuses
 * them (json_string returns NULL): every byte that does not start a
 * well-formed character becomes U+FFFD, so one bad row can never end a
 * listing or a live stream. */
static json_t *text_json(const char *t, size_t n)
{
    if (!t)
        return json_string("");
    if (proto_utf8_valid(t, n))
        return json_stringn(t, n);
    char *out = malloc(n * 3 + 1), *o = out;
    if (!out)
        return json_string("\xEF\xBF\xBD");
    for (size_t i = 0, k; i < n; i += k) {
        if ((k = proto_utf8_seq(t + i, n - i)) != 0) {
            memcpy(o, t + i, k);
            o += k;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            k = 1;
        }
    }
    json_t *j = json_stringn(out, (size_t)(o - out));
    free(out);
    return j;
}

static json_t *log_json(const struct store_result *res, int i)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:i,s:o}", "id", (json_int_t)store_cell_int(res, i, 0),
                     "seq", (json_int_t)store_cell_int(res, i, 1), "device_ms",
                     (json_int_t)store_cell_int(res, i, 2), "received_ms",
                     (json_int_t)store_cell_int(res, i, 3), "level",
                     (int)store_cell_int(res, i, 4), "text",
                     text_json(store_cell(res, i, 5), res->lens[i * res->ncols + 5]));
}

static bool device_ok(struct req *r)
{
    if (!api_valid_device_id(r->params[0])) {
        api_error(r, 400, "id_invalid", "a device id is UV and 32 hex digits");
        return false;
    }
    struct store_val v[2] = {SV_TEXT(r->params[0]), SV_INT(r->account)};
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

#define LOG_QUERY "SELECT id, seq, device_ms, received_ms, level, text FROM logs WHERE " \
                  "device_id = ? AND id > ? AND received_ms >= ? AND received_ms <= ? AND " \
                  "text LIKE ? ORDER BY id LIMIT ?"

/* LIKE pattern for q: its own % _ and \ escaped... kept simple: q may not
 * hold them. */
static bool like_pattern(struct req *r, char *out, size_t cap)
{
    const char *q = api_query(r, "q");
    if (q && (!api_valid_name(q, 200) || strpbrk(q, "%_"))) {
        api_error(r, 400, "field_invalid", "'q' is 1..200 bytes of text without %% or _");
        return false;
    }
    snprintf(out, cap, "%%%s%%", q ? q : "");
    return true;
}

void api_logs_list(struct req *r)
{
    int64_t limit, after, since = 0, until = INT64_MAX;
    char like[210];
    if (!api_page(r, &limit, &after) || !query_ms(r, "since", &since) ||
        !query_ms(r, "until", &until) || !like_pattern(r, like, sizeof(like)) || !device_ok(r))
        return;
    struct store_val v[6] = {SV_TEXT(r->params[0]), SV_INT(after), SV_INT(since), SV_INT(until),
                             SV_TEXT(like), SV_INT(limit)};
    struct store_result res;
    int rc = store_exec(r->db, LOG_QUERY, v, 6, &res);
    if (rc)
        return api_store_error(r, rc);
    json_t *items = json_array();
    for (int i = 0; i < res.nrows; i++)
        json_array_append_new(items, log_json(&res, i)); /* never NULL: text_json */
    json_t *next = res.nrows == limit ? json_integer(store_cell_int(&res, res.nrows - 1, 0))
                                      : json_null();
    store_result_free(&res);
    api_reply(r, 200, json_pack("{s:o,s:o}", "items", items, "next", next));
}

void api_faults_list(struct req *r)
{
    int64_t limit, after;
    if (!api_page(r, &limit, &after) || !device_ok(r))
        return;
    struct store_val v[3] = {SV_TEXT(r->params[0]), SV_INT(after), SV_INT(limit)};
    struct store_result res;
    int rc = store_exec(r->db, "SELECT id, code, pc, uptime_ms, received_ms FROM faults WHERE "
                               "device_id = ? AND id > ? ORDER BY id LIMIT ?", v, 3, &res);
    if (rc)
        return api_store_error(r, rc);
    json_t *items = json_array();
    for (int i = 0; i < res.nrows; i++)
        json_array_append_new(items, json_pack("{s:I,s:I,s:I,s:I,s:I}", "id",
                              (json_int_t)store_cell_int(&res, i, 0), "code",
                              (json_int_t)store_cell_int(&res, i, 1), "pc",
                              (json_int_t)store_cell_int(&res, i, 2), "uptime_ms",
                              (json_int_t)store_cell_int(&res, i, 3), "received_ms",
                              (json_int_t)store_cell_int(&res, i, 4)));
    json_t *next = res.nrows == limit ? json_integer(store_cell_int(&res, res.nrows - 1, 0))
                                      : json_null();
    store_result_free(&res);
    api_reply(r, 200, json_pack("{s:o,s:o}", "items", items, "next", next));
}

/* ---- live streams ------------------------------------------------------------ */

int api_streams_init(struct cloud *c)
{
    c->stream_tokens = calloc((size_t)c->cfg.max_streams, sizeof(*c->stream_tokens));
    if (!c->stream_tokens || pthread_mutex_init(&c->streams_mu, NULL) != 0) {
        free(c->stream_tokens);
        c->stream_tokens = NULL;
        return -1;
    }
    return 0;
}

void api_streams_free(struct cloud *c)
{
    if (!c->stream_tokens)
        return;
    pthread_mutex_destroy(&c->streams_mu);
    free(c->stream_tokens);
    c->stream_tokens = NULL;
}

/* A slot for a stream of token: its index, or -1 after replying 429
 * too_many_streams (this token has max_streams_per_token) or 503
 * server_busy (all max_streams are taken). The token's own cap is checked
 * first: a client over it learns it is the cause. */
static long slot_take(struct req *r)
{
    struct cloud *c = r->c;
    long free_at = -1, mine = 0;
    pthread_mutex_lock(&c->streams_mu);
    for (long i = 0; i < c->cfg.max_streams; i++) {
        if (c->stream_tokens[i] == r->token_id)
            mine++;
        else if (!c->stream_tokens[i] && free_at < 0)
            free_at = i;
    }
    if (mine < c->cfg.max_streams_per_token && free_at >= 0)
        c->stream_tokens[free_at] = r->token_id;
    pthread_mutex_unlock(&c->streams_mu);
    r->retry_after = STREAM_RETRY_S;
    if (mine >= c->cfg.max_streams_per_token) {
        api_error(r, 429, "too_many_streams", "this token has %ld live streams open, the most "
                  "max_streams_per_token allows", mine);
        return -1;
    }
    if (free_at < 0) {
        api_error(r, 503, "server_busy", "all %ld live streams this server allows are open",
                  c->cfg.max_streams);
        return -1;
    }
    r->retry_after = 0;
    return free_at;
}

static void slot_put(struct cloud *c, long i)
{
    pthread_mutex_lock(&c->streams_mu);
    c->stream_tokens[i] = 0;
    pthread_mutex_unlock(&c->streams_mu);
}

struct stream {
    struct cloud *c;
    long slot;
    int64_t token_id;
    char rid[17];
    char device[35];
    char like[210];
    int64_t after, since;
    int fd;        /* the client's socket, watched for its hang-up; -1 unknown */
    char *pending; /* formatted events not yet handed to MHD */
    size_t len, off;
    int64_t sent_ms, checked_ms; /* last bytes queued; last look at the token */
    bool ending;   /* pending is the last event: end the stream after it */
};

/* Whether the stream's token still stands: revoking a token ends its
 * streams (KEEL-SA-2026-19), looked up at most once a second, so the
 * revocation may come from any instance. A database error counts as
 * standing: the log query that follows reports it. */
static bool token_revoked(struct stream *s, struct store *db, int64_t now)
{
    if (now - s->checked_ms < STREAM_TOKEN_CHECK_MS)
        return false;
    s->checked_ms = now;
    struct store_val v[1] = {SV_INT(s->token_id)};
    struct store_result res;
    if (store_exec(db, "SELECT revoked_ms FROM tokens WHERE id = ?", v, 1, &res))
        return false;
    bool revoked = res.nrows == 0 || store_cell(&res, 0, 0) != NULL;
    store_result_free(&res);
    return revoked;
}

/* The last event of a stream whose token was revoked, in the API's error
 * shape, so a client knows not to reconnect with it. */
static void stream_end_revoked(struct stream *s)
{
    json_t *j = json_pack("{s:{s:s,s:s,s:s}}", "error", "code", "token_revoked", "message",
                          "this token was revoked", "request_id", s->rid);
    char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    size_t n = t ? strlen(t) + 32 : 0;
    s->pending = t ? malloc(n) : NULL;
    s->len = s->pending ? (size_t)snprintf(s->pending, n, "event: error\ndata: %s\n\n", t) : 0;
    free(t);
    s->ending = true;
    cloud_log("info", s->rid, "live stream ended: its token was revoked");
}

/* The keep-alive interval: a comment line every few seconds keeps proxies
 * from closing the stream, and it must come well inside
 * connection_timeout_s, whose clock only data on the wire resets: the
 * time stream_read spends waiting counts as idle, so (libmicrohttpd
 * 0.9.75, tried) a 6 s wait under a 3 s timeout gets the stream cut. */
static int64_t keepalive_ms(const struct cloud *c)
{
    int64_t half = c->cfg.connection_timeout_s * 1000 / 2;
    return half < STREAM_KEEPALIVE_MS ? half : STREAM_KEEPALIVE_MS;
}

/* Waits STREAM_POLL_MS, and meanwhile watches the socket for the client's
 * hang-up (POLLRDHUP only: bytes it sends do not wake this), so a stream
 * whose client left gives its slot back at once, not at its next failed
 * write. */
static bool client_gone(struct stream *s)
{
    if (s->fd < 0) {
        usleep(STREAM_POLL_MS * 1000);
        return false;
    }
    struct pollfd p = {.fd = s->fd, .events = POLLRDHUP};
    return poll(&p, 1, STREAM_POLL_MS) > 0 && p.revents;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *s = cls;
    (void)pos;
    while (s->off == s->len && !s->c->stopping) {
        free(s->pending);
        s->pending = NULL;
        s->len = s->off = 0;
        if (s->ending)
            return MHD_CONTENT_READER_END_OF_STREAM;
        int64_t now = cloud_now_ms();
        struct store *db = store_pool_get(s->c->pool);
        if (token_revoked(s, db, now)) {
            store_pool_put(s->c->pool, db);
            stream_end_revoked(s);
            if (!s->len)
                return MHD_CONTENT_READER_END_OF_STREAM;
            break;
        }
        struct store_val v[6] = {SV_TEXT(s->device), SV_INT(s->after), SV_INT(s->since),
                                 SV_INT(INT64_MAX), SV_TEXT(s->like), SV_INT(500)};
        struct store_result res;
        int rc = store_exec(db, LOG_QUERY, v, 6, &res);
        store_pool_put(s->c->pool, db);
        if (rc)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (res.nrows == 0) {
            store_result_free(&res);
            if (now - s->sent_ms >= keepalive_ms(s->c)) {
                s->pending = strdup(": keep-alive\n\n");
                s->len = s->pending ? strlen(s->pending) : 0;
                break;
            }
            if (client_gone(s))
                return MHD_CONTENT_READER_END_WITH_ERROR;
            continue;
        }
        size_t cap = 0;
        for (int i = 0; i < res.nrows; i++) {
            json_t *j = log_json(&res, i);
            char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
            json_decref(j);
            if (!t) /* out of memory: end the stream; the client resumes by id */
                break;
            size_t need = strlen(t) + 32;
            if (s->len + need > cap) {
                char *np = realloc(s->pending, (s->len + need) * 2);
                if (!np) {
                    free(t);
                    break;
                }
                cap = (s->len + need) * 2;
                s->pending = np;
            }
            s->len += (size_t)sprintf(s->pending + s->len, "id: %lld\ndata: %s\n\n",
                                      (long long)store_cell_int(&res, i, 0), t);
            free(t);
            s->after = store_cell_int(&res, i, 0); /* sent up to here */
        }
        store_result_free(&res);
        if (!s->pending) {
            s->len = 0;
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    if (s->c->stopping)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = s->len - s->off < max ? s->len - s->off : max;
    memcpy(buf, s->pending + s->off, n);
    s->off += n;
    s->sent_ms = cloud_now_ms();
    return (ssize_t)n;
}

/* MHD calls this when it is done with the response: the stream ended, its
 * client went away or the server stops. The slot is free again. */
static void stream_free(void *cls)
{
    struct stream *s = cls;
    slot_put(s->c, s->slot);
    free(s->pending);
    free(s);
}

void api_logs_stream(struct req *r)
{
    int64_t since = 0;
    char like[210];
    if (!query_ms(r, "since", &since) || !like_pattern(r, like, sizeof(like)) || !device_ok(r))
        return;
    long slot = slot_take(r);
    if (slot < 0)
        return;
    struct stream *s = calloc(1, sizeof(*s));
    if (!s) {
        slot_put(r->c, slot);
        return api_error(r, 500, "internal", "out of memory");
    }
    s->c = r->c;
    s->slot = slot;
    s->token_id = r->token_id;
    memcpy(s->rid, r->rid, sizeof(s->rid));
    s->sent_ms = s->checked_ms = cloud_now_ms(); /* the token was checked just now */
    snprintf(s->device, sizeof(s->device), "%s", r->params[0]);
    snprintf(s->like, sizeof(s->like), "%s", like);
    s->since = since;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    s->fd = ci ? ci->connect_fd : -1;
    const char *last = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (last)
        s->after = strtoll(last, NULL, 10);
    r->stream = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s,
                                                  stream_free);
    if (!r->stream) { /* MHD calls stream_free only for a response it made */
        stream_free(s);
        return api_error(r, 500, "internal", "out of memory");
    }
    MHD_add_response_header(r->stream, "Content-Type", "text/event-stream");
    MHD_add_response_header(r->stream, "Cache-Control", "no-cache");
}
