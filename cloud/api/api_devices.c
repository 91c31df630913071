/*
 * api_devices.c: /v1/devices and /v1/deployments. Devices appear when
 * they first connect with a certificate from the fleet CA (cloud/mqtt.c)
 * and belong to the operator account (1) until moved. Revoking a device
 * marks it in the database, which every instance's broker link reads (it
 * drops whatever the device still sends) and from which the instance that
 * keeps the broker's files rewrites the ACL (broker.h); the request then
 * waits until that instance has marked the device acl_applied_ms (it does
 * once it has seen mosquitto enforce the new file), so a 200 means the
 * broker denies the device, and answers 503 broker_not_updated when that
 * did not happen within broker_wait_ms (the revocation stays recorded and
 * is applied as soon as the broker can be told). A deployment gets one
 * row per target device (deployment_devices: the device, or every
 * unrevoked device with the tag when it is created), committed with it;
 * an older unfinished deployment to one of those devices is superseded in
 * the same transaction. Then the deployment message is published to each
 * (the broker queues it for a device that is offline; ota.c sends it again
 * on the device's next hello while its row is unfinished). A device given
 * a tag joins the newest pending or in-progress deployment to it, in the
 * transaction that tags it (dep_join; docs/fota.md).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "broker.h"
#include "ota.h"

#define DEV_COLS "id, name, tags, app_version, mv_version, update_status, uptime_s, online, " \
                 "first_seen_ms, last_seen_ms, revoked_ms, acl_applied_ms, logs_dropped"

static json_t *version_json(const char *v)
{
    if (!v)
        return json_null();
    long long x = strtoll(v, NULL, 10);
    char s[32];
    snprintf(s, sizeof(s), "%u.%u.%u", (unsigned)(x >> 24), (unsigned)(x >> 16) & 0xFF,
             (unsigned)x & 0xFFFF);
    return json_string(s);
}

json_t *api_device_json(const struct store_result *res, int i)
{
    json_t *tags = json_array();
    const char *t = store_cell(res, i, 2);
    while (t && *t) { /* stored as ",a,b," so LIKE '%,tag,%' finds one */
        const char *end = strchr(t + 1, ',');
        if (!end)
            break;
        if (end > t + 1)
            json_array_append_new(tags, json_stringn(t + 1, (size_t)(end - t - 1)));
        t = end;
    }
    const char *us = store_cell(res, i, 5);
    return json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:b,s:I,s:I,s:b,s:b,s:o}", "id",
                     store_cell(res, i, 0), "name", store_cell(res, i, 1), "tags", tags,
                     "app_version", version_json(store_cell(res, i, 3)), "mv_version",
                     version_json(store_cell(res, i, 4)), "update_status",
                     us ? json_string(us) : json_null(), "uptime_s",
                     store_cell(res, i, 6) ? json_integer(store_cell_int(res, i, 6)) : json_null(),
                     "online", store_cell_int(res, i, 7) != 0, "first_seen_ms",
                     (json_int_t)store_cell_int(res, i, 8), "last_seen_ms",
                     (json_int_t)store_cell_int(res, i, 9), "revoked",
                     store_cell(res, i, 10) != NULL, "broker_denied",
                     store_cell(res, i, 11) != NULL, "logs_dropped",
                     store_cell(res, i, 12) ? json_integer(store_cell_int(res, i, 12))
                                            : json_null());
}

void api_devices_list(struct req *r)
{
    int64_t limit, after;
    if (!api_page(r, &limit, &after))
        return;
    const char *tag = api_query(r, "tag");
    if (tag && (!api_valid_name(tag, 64) || strpbrk(tag, ",%_")))
        return api_error(r, 400, "field_invalid", "'tag' must be 1..64 bytes without , %% or _");
    char like[80] = "%";
    if (tag)
        snprintf(like, sizeof(like), "%%,%s,%%", tag);
    /* devices page by their id string: ?after_id= is the last id seen */
    const char *after_id = api_query(r, "after_id");
    if (after_id && !api_valid_device_id(after_id))
        return api_error(r, 400, "page_invalid", "after_id must be a device id");
    struct store_val v[4] = {SV_INT(r->account), SV_TEXT(after_id ? after_id : ""),
                             SV_TEXT(like), SV_INT(limit)};
    struct store_result res;
    int rc = store_exec(r->db, "SELECT " DEV_COLS " FROM devices WHERE account_id = ? AND "
                               "id > ? AND tags LIKE ? ORDER BY id LIMIT ?", v, 4, &res);
    (void)after;
    if (rc)
        return api_store_error(r, rc);
    json_t *items = json_array();
    for (int i = 0; i < res.nrows; i++)
        json_array_append_new(items, api_device_json(&res, i));
    json_t *next = res.nrows == limit ? json_string(store_cell(&res, res.nrows - 1, 0))
                                      : json_null();
    store_result_free(&res);
    api_reply(r, 200, json_pack("{s:o,s:o}", "items", items, "next", next));
}

/* The device named by path parameter 0, in r's account: rows in res (1),
 * or false after replying. */
static bool device_get(struct req *r, struct store_result *res)
{
    if (!api_valid_device_id(r->params[0])) {
        api_error(r, 400, "id_invalid", "a device id is UV and 32 hex digits");
        return false;
    }
    struct store_val v[2] = {SV_TEXT(r->params[0]), SV_INT(r->account)};
    int rc = store_exec(r->db, "SELECT " DEV_COLS " FROM devices WHERE id = ? AND "
                               "account_id = ?", v, 2, res);
    if (rc) {
        api_store_error(r, rc);
        return false;
    }
    if (res->nrows == 0) {
        store_result_free(res);
        api_error(r, 404, "not_found", "no such device");
        return false;
    }
    return true;
}

void api_devices_show(struct req *r)
{
    struct store_result res;
    if (!device_get(r, &res))
        return;
    api_reply(r, 200, api_device_json(&res, 0));
    store_result_free(&res);
}

/* POST /v1/devices {"id", "name"?}: registration at provisioning (keel run
 * --register), into the caller's account; a device that connects unregistered
 * lands in the operator account instead (mqtt.c). Until it connects, its
 * first and last seen times are the registration's. */
void api_devices_register(struct req *r)
{
    json_t *o = api_body_object(r);
    if (!o)
        return;
    const char *id = api_get_string(r, o, "id", 34, true);
    json_t *jn = json_object_get(o, "name");
    const char *name = jn ? api_get_string(r, o, "name", 100, false) : "";
    if (!id || !name)
        goto out;
    if (!api_valid_device_id(id)) {
        api_error(r, 400, "id_invalid", "a device id is UV and 32 hex digits");
        goto out;
    }
    int64_t now = cloud_now_ms();
    struct store_val v[5] = {SV_TEXT(id), SV_INT(r->account), SV_TEXT(name), SV_INT(now),
                             SV_INT(now)};
    int rc = store_exec(r->db, "INSERT INTO devices (id, account_id, name, online, first_seen_ms, "
                               "last_seen_ms) VALUES (?, ?, ?, 0, ?, ?)", v, 5, NULL);
    if (rc) {
        api_store_error(r, rc); /* a unique violation: 409 already_exists */
        goto out;
    }
    struct store_result res;
    struct store_val q[2] = {SV_TEXT(id), SV_INT(r->account)};
    if (store_exec(r->db, "SELECT " DEV_COLS " FROM devices WHERE id = ? AND account_id = ?", q,
                   2, &res) == 0) {
        if (res.nrows == 1)
            api_reply(r, 201, api_device_json(&res, 0));
        else
            api_error(r, 500, "internal", "the registered device is not there");
        store_result_free(&res);
    } else {
        api_error(r, 500, "internal", "the registered device could not be read back");
    }
out:
    json_decref(o);
}

/* A device given a tag while a deployment to that tag is pending or in
 * progress joins it, unless the device already has a deployment as new:
 * of the deployments its new tags (those not in old_tags, ",a,b,") have,
 * the newest. Inside the caller's transaction; the deployment joined (0:
 * none) in *joined, its message in msg[0..*len). 0 or a STORE_E_*. */
static int dep_join(struct req *r, const char *dev, const char *old_tags, json_t *jt,
                    int64_t *joined, uint8_t *msg, size_t cap, size_t *len)
{
    size_t i;
    json_t *t;
    int64_t best = 0;
    char hash[65] = "";
    int64_t size = 0;
    *joined = 0;
    json_array_foreach(jt, i, t) {
        char with[80];
        snprintf(with, sizeof(with), ",%s,", json_string_value(t));
        if (strstr(old_tags, with))
            continue;
        struct store_val v[4] = {SV_INT(r->account), SV_TEXT(json_string_value(t)),
                                 SV_TEXT(dev), SV_INT(best)};
        struct store_result res;
        int rc = store_exec(r->db, "SELECT d.id, a.hash, a.size FROM deployments d JOIN apps a "
                                   "ON a.id = d.app_id WHERE d.account_id = ? AND d.tag = ? AND "
                                   "d.state IN ('pending', 'in_progress') AND d.id > COALESCE("
                                   "(SELECT MAX(deployment_id) FROM deployment_devices WHERE "
                                   "device_id = ?), 0) AND d.id > ? ORDER BY d.id DESC LIMIT 1",
                            v, 4, &res);
        if (rc)
            return rc;
        if (res.nrows == 1) {
            best = store_cell_int(&res, 0, 0);
            snprintf(hash, sizeof(hash), "%s", store_cell(&res, 0, 1));
            size = store_cell_int(&res, 0, 2);
        }
        store_result_free(&res);
    }
    if (!best)
        return 0;
    int rc = ota_add_device(r->db, best, dev, cloud_now_ms());
    if (!rc && ota_deployment_message(best, hash, size, msg, cap, len) == 0)
        *joined = best;
    return rc;
}

void api_devices_update(struct req *r)
{
    struct store_result res;
    json_t *o = api_body_object(r);
    if (!o)
        return;
    const char *name = api_get_string(r, o, "name", 100, false);
    json_t *jn = json_object_get(o, "name"), *jt = json_object_get(o, "tags");
    if (jn && !name)
        goto out;
    char tags[1100] = ",";
    if (jt) {
        size_t i;
        json_t *t;
        if (!json_is_array(jt) || json_array_size(jt) > 16) {
            api_error(r, 400, "field_type", "'tags' must be an array of at most 16 strings");
            goto out;
        }
        json_array_foreach(jt, i, t) {
            const char *s = json_is_string(t) ? json_string_value(t) : NULL;
            if (!s || !api_valid_name(s, 64) || strchr(s, ',') || strchr(s, '%') ||
                strchr(s, '_')) {
                api_error(r, 400, "field_invalid", "a tag is 1..64 bytes without , %% or _");
                goto out;
            }
            strcat(tags, s);
            strcat(tags, ",");
        }
    }
    if (!device_get(r, &res))
        goto out;
    char old_tags[1100];
    snprintf(old_tags, sizeof(old_tags), "%s", store_cell(&res, 0, 2));
    bool revoked = store_cell(&res, 0, 10) != NULL;
    store_result_free(&res);
    struct store_val v[4] = {SV_TEXT(name), SV_TEXT(jt ? tags : NULL), SV_TEXT(r->params[0]),
                             SV_INT(r->account)};
    int64_t joined = 0;
    uint8_t msg[128];
    size_t len = 0;
    int rc = store_begin(r->db);
    if (!rc)
        rc = store_exec(r->db, "UPDATE devices SET name = COALESCE(?, name), tags = "
                               "COALESCE(?, tags) WHERE id = ? AND account_id = ?", v, 4, NULL);
    if (!rc && jt && !revoked)
        rc = dep_join(r, r->params[0], old_tags, jt, &joined, msg, sizeof(msg), &len);
    if (!rc)
        rc = store_commit(r->db);
    if (rc) {
        store_rollback(r->db);
        api_store_error(r, rc);
        goto out;
    }
    if (joined) {
        int sent = cloud_mqtt_send(r->c, r->params[0], "deployment", msg, len) == 0;
        cloud_log("info", r->rid, "device %s joined deployment %lld (its tag); message %s",
                  r->params[0], (long long)joined, sent ? "sent" : "not sent (no broker link)");
    }
    if (device_get(r, &res)) {
        api_reply(r, 200, api_device_json(&res, 0));
        store_result_free(&res);
    }
out:
    json_decref(o);
}

/* Waits up to broker_wait_ms for the instance that keeps the broker's
 * files to mark device id applied: 1 applied, 0 not (yet), or a (negative)
 * STORE_E_*. Polls the row, since the keeper may be another process on
 * another machine; pokes the local reconciler first. */
static int wait_applied(struct req *r, const char *id)
{
    int64_t until = cloud_now_ms() + r->c->cfg.broker_wait_ms;
    cloud_broker_poke(r->c);
    for (;;) {
        struct store_val v[1] = {SV_TEXT(id)};
        struct store_result res;
        int rc = store_exec(r->db, "SELECT acl_applied_ms FROM devices WHERE id = ?", v, 1,
                            &res);
        if (rc)
            return rc;
        bool applied = res.nrows == 1 && store_cell(&res, 0, 0) != NULL;
        store_result_free(&res);
        if (applied)
            return 1;
        if (cloud_now_ms() >= until)
            return 0;
        usleep(50 * 1000);
    }
}

void api_devices_revoke(struct req *r)
{
    struct store_result res;
    if (!device_get(r, &res))
        return;
    store_result_free(&res);
    struct store_val v[2] = {SV_INT(cloud_now_ms()), SV_TEXT(r->params[0])};
    int rc = store_exec(r->db, "UPDATE devices SET revoked_ms = COALESCE(revoked_ms, ?), "
                               "online = 0 WHERE id = ?", v, 2, NULL);
    if (rc)
        return api_store_error(r, rc);
    cloud_log("notice", r->rid, "device %s revoked", r->params[0]);
    int applied = wait_applied(r, r->params[0]);
    if (applied < 0)
        return api_store_error(r, applied);
    if (!applied) {
        cloud_log("error", r->rid, "device %s: revoked in the database, but the broker was not "
                  "found enforcing it within %ld ms", r->params[0], r->c->cfg.broker_wait_ms);
        return api_error(r, 503, "broker_not_updated",
                         "the revocation is recorded, but the broker has not been told yet: "
                         "keel-cloud keeps trying; repeat the request to see when it has");
    }
    if (device_get(r, &res)) {
        api_reply(r, 200, api_device_json(&res, 0));
        store_result_free(&res);
    }
}

/* ---- deployments ------------------------------------------------------------ */

#define DEP_COLS "id, app_id, device_id, tag, state, created_ms, updated_ms"

static json_t *dep_json(const struct store_result *res, int i)
{
    const char *d = store_cell(res, i, 2), *t = store_cell(res, i, 3);
    return json_pack("{s:I,s:I,s:o,s:o,s:s,s:I,s:I}", "id", (json_int_t)store_cell_int(res, i, 0),
                     "app_id", (json_int_t)store_cell_int(res, i, 1), "device_id",
                     d ? json_string(d) : json_null(), "tag", t ? json_string(t) : json_null(),
                     "state", store_cell(res, i, 4), "created_ms",
                     (json_int_t)store_cell_int(res, i, 5), "updated_ms",
                     (json_int_t)store_cell_int(res, i, 6));
}

/* Deployment id with its per-device rows as "devices" into *out (NULL:
 * none in this account). One statement, so one snapshot on both engines: a
 * report changes a row and the deployment's state in one transaction, and
 * a reader must not see the row without the state. 0 or a STORE_E_*. */
static int dep_get(struct req *r, int64_t id, json_t **out)
{
    struct store_val v[2] = {SV_INT(id), SV_INT(r->account)};
    struct store_result res;
    *out = NULL;
    int rc = store_exec(r->db, "SELECT d.id, d.app_id, d.device_id, d.tag, d.state, "
                               "d.created_ms, d.updated_ms, x.device_id, x.state, x.done, "
                               "x.total, x.reason, x.updated_ms FROM deployments d LEFT JOIN "
                               "deployment_devices x ON x.deployment_id = d.id WHERE d.id = ? "
                               "AND d.account_id = ? ORDER BY x.device_id", v, 2, &res);
    if (rc)
        return rc;
    if (res.nrows) {
        json_t *a = json_array();
        for (int i = 0; i < res.nrows; i++)
            if (store_cell(&res, i, 7))
                json_array_append_new(
                    a, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "device_id",
                                 store_cell(&res, i, 7), "state", store_cell(&res, i, 8),
                                 "done", (json_int_t)store_cell_int(&res, i, 9), "total",
                                 (json_int_t)store_cell_int(&res, i, 10), "reason",
                                 (json_int_t)store_cell_int(&res, i, 11), "updated_ms",
                                 (json_int_t)store_cell_int(&res, i, 12)));
        *out = dep_json(&res, 0);
        json_object_set_new(*out, "devices", a);
    }
    store_result_free(&res);
    return 0;
}

/* In one transaction: the deployment of app (hash, size) to dev or to
 * every device with tag, its rows, older unfinished rows of those devices
 * superseded. The new deployment's row in *res, its targets in *targets. */
static int dep_insert(struct req *r, int64_t app, const char *dev, const char *tag,
                      struct store_result *res, struct store_result *targets)
{
    int64_t now = cloud_now_ms();
    struct store_val iv[6] = {SV_INT(r->account), SV_INT(app), SV_TEXT(dev), SV_TEXT(tag),
                              SV_INT(now), SV_INT(now)};
    char like[80];
    snprintf(like, sizeof(like), "%%,%s,%%", tag ? tag : "");
    struct store_val tv[2] = {SV_INT(r->account), dev ? SV_TEXT(dev) : SV_TEXT(like)};
    bool have_res = false, have_targets = false;
    int rc = store_begin(r->db);
    if (!rc)
        rc = store_exec(r->db, "INSERT INTO deployments (account_id, app_id, device_id, tag, "
                               "state, created_ms, updated_ms) VALUES (?, ?, ?, ?, 'pending', "
                               "?, ?) RETURNING " DEP_COLS, iv, 6, res);
    have_res = !rc;
    if (!rc)
        rc = store_exec(r->db, dev ? "SELECT id FROM devices WHERE account_id = ? AND id = ?"
                                   : "SELECT id FROM devices WHERE account_id = ? AND "
                                     "revoked_ms IS NULL AND tags LIKE ? ORDER BY id",
                        tv, 2, targets);
    have_targets = !rc;
    int64_t id = have_res ? store_cell_int(res, 0, 0) : 0;
    for (int i = 0; !rc && i < targets->nrows; i++)
        rc = ota_add_device(r->db, id, store_cell(targets, i, 0), now);
    if (!rc)
        rc = store_commit(r->db);
    if (rc) {
        store_rollback(r->db);
        if (have_res)
            store_result_free(res);
        if (have_targets)
            store_result_free(targets);
    }
    return rc;
}

void api_deployments_list(struct req *r)
{
    int64_t limit, after;
    if (!api_page(r, &limit, &after))
        return;
    struct store_val v[3] = {SV_INT(r->account), SV_INT(after), SV_INT(limit)};
    struct store_result res;
    int rc = store_exec(r->db, "SELECT " DEP_COLS " FROM deployments WHERE account_id = ? AND "
                               "id > ? ORDER BY id LIMIT ?", v, 3, &res);
    if (rc)
        return api_store_error(r, rc);
    json_t *items = json_array();
    for (int i = 0; i < res.nrows; i++)
        json_array_append_new(items, dep_json(&res, i));
    json_t *next = res.nrows == limit ? json_integer(store_cell_int(&res, res.nrows - 1, 0))
                                      : json_null();
    store_result_free(&res);
    api_reply(r, 200, json_pack("{s:o,s:o}", "items", items, "next", next));
}

void api_deployments_create(struct req *r)
{
    json_t *o = api_body_object(r);
    if (!o)
        return;
    json_t *ja = json_object_get(o, "app_id");
    const char *dev = api_get_string(r, o, "device_id", 34, false);
    const char *tag = api_get_string(r, o, "tag", 64, false);
    struct store_result res;
    int rc;
    if (!ja) {
        api_error(r, 400, "field_missing", "'app_id' is required");
    } else if (!json_is_integer(ja) || json_integer_value(ja) < 1) {
        api_error(r, 400, "field_type", "'app_id' must be a positive integer");
    } else if ((json_object_get(o, "device_id") && !dev) || (json_object_get(o, "tag") && !tag)) {
        /* replied */
    } else if (!dev == !tag) {
        api_error(r, 400, "field_invalid", "give exactly one of 'device_id' and 'tag'");
    } else if (tag && strpbrk(tag, ",%_")) {
        api_error(r, 400, "field_invalid", "'tag' must be 1..64 bytes without , %% or _");
    } else if (dev && !api_valid_device_id(dev)) {
        api_error(r, 400, "field_invalid", "'device_id' is UV and 32 hex digits");
    } else {
        struct store_val v[2] = {SV_INT(json_integer_value(ja)), SV_INT(r->account)};
        struct store_result app, targets;
        rc = store_exec(r->db, "SELECT hash, size FROM apps WHERE id = ? AND account_id = ?", v,
                        2, &app);
        if (rc) {
            api_store_error(r, rc);
            goto out;
        }
        int n = app.nrows;
        if (!n) {
            store_result_free(&app);
            api_error(r, 404, "not_found", "no such app");
            goto out;
        }
        if (dev) {
            struct store_val dv[2] = {SV_TEXT(dev), SV_INT(r->account)};
            rc = store_exec(r->db, "SELECT id FROM devices WHERE id = ? AND account_id = ?", dv,
                            2, &res);
            n = rc ? 0 : res.nrows;
            store_result_free(&res);
            if (rc || !n) {
                store_result_free(&app);
                rc ? api_store_error(r, rc) : api_error(r, 404, "not_found", "no such device");
                goto out;
            }
        }
        rc = dep_insert(r, json_integer_value(ja), dev, tag, &res, &targets);
        if (rc) {
            store_result_free(&app);
            api_store_error(r, rc);
            goto out;
        }
        /* committed: the reply is what was committed (pending, before any
         * device could answer), then the message goes out (a device that
         * misses it gets it with its next hello) */
        int64_t id = store_cell_int(&res, 0, 0);
        json_t *out;
        int grc = dep_get(r, id, &out);
        uint8_t msg[128];
        size_t len;
        int sent = 0;
        if (ota_deployment_message(id, store_cell(&app, 0, 0), store_cell_int(&app, 0, 1), msg,
                                   sizeof(msg), &len) == 0)
            for (int i = 0; i < targets.nrows; i++) {
                const char *d = store_cell(&targets, i, 0);
                if (cloud_mqtt_send(r->c, d, "deployment", msg, len) == 0) {
                    struct store_val sv[3] = {SV_INT(cloud_now_ms()), SV_INT(id), SV_TEXT(d)};
                    store_exec(r->db, "UPDATE deployment_devices SET sent_ms = ? WHERE "
                                      "deployment_id = ? AND device_id = ?", sv, 3, NULL);
                    sent++;
                }
            }
        cloud_log("info", r->rid, "deployment %lld of app %lld: %d devices, message sent to %d",
                  (long long)id, (long long)json_integer_value(ja), targets.nrows, sent);
        grc || !out ? api_store_error(r, grc ? grc : STORE_E_IO) : api_reply(r, 201, out);
        store_result_free(&res);
        store_result_free(&targets);
        store_result_free(&app);
    }
out:
    json_decref(o);
}

void api_deployments_show(struct req *r)
{
    int64_t id;
    if (!api_param_id(r, 0, &id))
        return;
    json_t *out;
    int rc = dep_get(r, id, &out);
    if (rc)
        api_store_error(r, rc);
    else if (!out)
        api_error(r, 404, "not_found", "no such deployment");
    else
        api_reply(r, 200, out);
}
