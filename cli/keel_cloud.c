/*
 * keel_cloud.c: the keel verbs that talk to keel-cloud (docs/cloud.md):
 *
 *   keel login URL [--token TOKEN]
 *   keel signers add NAME KEY.pem.pub | list | delete ID
 *   keel apps create NAME BUNDLE | list | show ID | delete ID
 *   keel devices list [--tag T] | show ID | rename ID NAME | tag ID TAG... | faults ID
 *                | revoke ID
 *   keel deploy APP --device ID | --tag T       (APP: id or name)
 *   keel deployments list | show ID
 *   keel logs DEVICE [-f] [--since T]
 *   keel config set KEY VALUE | get KEY | list | delete KEY   [--device ID]
 *   keel secret set KEY VALUE | list | delete KEY            [--device ID]
 *
 * Every verb takes -o json (the API's own JSON on stdout; its field names
 * are the API's and are only ever added to) and prints a table otherwise.
 *
 * IMPLEMENTATION NOTES
 * Options are taken out of argv first (-o, --device, --tag, -f, --since,
 * --token), so they may stand anywhere; what is left are the words. Each
 * verb is a row in one table: noun, verb, the words it needs, the scope
 * the server will check, the function.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <termios.h>
#include <unistd.h>

#include "cloud_client.h"

struct opts {
    struct kc k;
    const char *device, *tag, *since, *token;
    bool follow;
    int nwords;
    char *words[16];
};

static const char usage[] =
    "usage: keel login URL [--token TOKEN]  (token from KEEL_TOKEN or standard input,\n"
    "                                        not echoed; --token shows in `ps`)\n"
    "       keel signers add NAME KEY.pem.pub | list | delete ID\n"
    "       keel apps create NAME BUNDLE | list | show ID | delete ID\n"
    "       keel devices list [--tag T] | show ID | rename ID NAME | tag ID TAG...\n"
    "                    | faults ID | revoke ID\n"
    "       keel deploy APP --device ID | --tag T    (APP: an app's id or name)\n"
    "       keel deployments list | show ID\n"
    "       keel logs DEVICE [-f] [--since 10m|2h|MS]\n"
    "       keel config set KEY VALUE | get KEY | list | delete KEY [--device ID]\n"
    "       keel secret set KEY VALUE|- | list | delete KEY [--device ID]\n"
    "Talks to the keel-cloud keel login saved (~/.config/keel/config, mode 0600;\n"
    "KEEL_URL and KEEL_TOKEN override it; KEEL_CA=FILE trusts an https instance's\n"
    "own certificate). -o json prints the API's JSON.\n"
    "exit codes: 0 ok (an empty list too), 1 failure, 2 usage, 4 not logged in,\n"
    "token invalid or revoked (also while logs -f runs), or scope insufficient\n";

static int usage_error(const char *what)
{
    fprintf(stderr, "keel: %s\n%s", what, usage);
    return KC_EXIT_USAGE;
}

/* ---- output ------------------------------------------------------------- */

struct col {
    const char *field, *head;
};

/* A table's column count, from its array, and never past what print_rows
 * holds (a count written by hand once dropped a column). */
#define COLS_MAX 8
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])) + \
                  0 * (int)sizeof(char[sizeof(a) / sizeof((a)[0]) <= COLS_MAX ? 1 : -1]))

static void print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (s)
        puts(s);
    free(s);
}

static void print_rows(struct opts *o, json_t *items, const struct col *cols, int n)
{
    struct kc_table t;
    const char *head[COLS_MAX];
    size_t i;
    json_t *it;
    for (int c = 0; c < n; c++)
        head[c] = cols[c].head;
    kc_table_init(&t, n, head);
    json_array_foreach(items, i, it) {
        char *row[COLS_MAX];
        for (int c = 0; c < n; c++)
            row[c] = kc_cell(json_object_get(it, cols[c].field));
        kc_table_add(&t, (const char *const *)row);
        for (int c = 0; c < n; c++)
            free(row[c]);
    }
    (void)o;
    kc_table_print(&t);
}

/* A list or one object: JSON as it came, or a table. */
static int show(struct opts *o, int rc, json_t *res, const struct col *cols, int n, bool list)
{
    if (rc == KC_EXIT_OK && res) {
        if (o->k.json)
            print_json(list ? json_object_get(res, "items") : res);
        else if (list)
            print_rows(o, json_object_get(res, "items"), cols, n);
        else {
            json_t *a = json_array();
            json_array_append(a, res);
            print_rows(o, a, cols, n);
            json_decref(a);
        }
    }
    json_decref(res);
    return rc;
}

static int call_show(struct opts *o, const char *method, const char *path, json_t *body,
                     const struct col *cols, int n, bool list)
{
    json_t *res = NULL;
    char *b = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int rc = kc_call(&o->k, method, path, b, b ? strlen(b) : 0, "application/json", false, &res);
    free(b);
    json_decref(body);
    return show(o, rc, res, cols, n, list);
}

static int call_quiet(struct opts *o, const char *method, const char *path, const char *done)
{
    json_t *res = NULL;
    int rc = kc_call(&o->k, method, path, NULL, 0, NULL, false, &res);
    if (rc == KC_EXIT_OK) {
        if (o->k.json)
            print_json(res ? res : json_object());
        else
            fprintf(stderr, "%s\n", done);
    }
    json_decref(res);
    return rc;
}

/* ---- verbs -------------------------------------------------------------- */

static const struct col app_cols[] = {{"id", "ID"}, {"name", "NAME"}, {"version", "VERSION"},
                                      {"size", "SIZE"}, {"hash", "SHA-256"}};
static const struct col dev_cols[] = {{"id", "ID"}, {"name", "NAME"}, {"tags", "TAGS"},
                                      {"app_version", "APP"}, {"online", "ONLINE"},
                                      {"update_status", "UPDATE"}, {"revoked", "REVOKED"},
                                      {"logs_dropped", "LOGS_LOST"}};
static const struct col dep_cols[] = {{"id", "ID"}, {"app_id", "APP"}, {"device_id", "DEVICE"},
                                      {"tag", "TAG"}, {"state", "STATE"}};
static const struct col dd_cols[] = {{"device_id", "DEVICE"}, {"state", "STATE"},
                                     {"done", "DONE"}, {"total", "TOTAL"}, {"reason", "REASON"},
                                     {"updated_ms", "UPDATED_MS"}};
static const struct col cfg_cols[] = {{"key", "KEY"}, {"value", "VALUE"}};
static const struct col sig_cols[] = {{"id", "ID"}, {"name", "NAME"}, {"kid", "KID"}};
static const struct col sec_cols[] = {{"key", "KEY"}, {"updated_ms", "UPDATED_MS"}};

static int read_file_all(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *out = n >= 0 ? malloc((size_t)n + 1) : NULL;
    int ok = *out && fread(*out, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    if (!ok) {
        free(*out);
        return -1;
    }
    *len = (size_t)n;
    return 0;
}

static int v_login(struct opts *o)
{
    if (o->nwords != 1)
        return usage_error("keel login URL [--token TOKEN]");
    char tok[128] = "";
    /* The token is a bearer secret: --token puts it in the process list
     * (kept for scripts), so KEEL_TOKEN or standard input come first, and a
     * terminal does not echo it. */
    const char *env = getenv("KEEL_TOKEN");
    if (o->token) {
        snprintf(tok, sizeof(tok), "%s", o->token);
    } else if (env && *env) {
        snprintf(tok, sizeof(tok), "%s", env);
    } else {
        struct termios old, quiet;
        bool tty = isatty(0) && tcgetattr(0, &old) == 0;
        if (tty) {
            fprintf(stderr, "API token: ");
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(0, TCSAFLUSH, &quiet);
        }
        char *got = fgets(tok, sizeof(tok), stdin);
        if (tty) {
            tcsetattr(0, TCSAFLUSH, &old);
            fputc('\n', stderr);
        }
        if (!got)
            return usage_error("no token given");
        tok[strcspn(tok, "\r\n")] = 0;
    }
    snprintf(o->k.url, sizeof(o->k.url), "%s", o->words[0]);
    snprintf(o->k.token, sizeof(o->k.token), "%s", tok);
    json_t *res = NULL;
    int rc = kc_call(&o->k, "GET", "/v1/account", NULL, 0, NULL, false, &res);
    if (rc == KC_EXIT_OK) {
        if (kc_save(o->k.url, tok) != 0) {
            fprintf(stderr, "keel: cannot write ~/.config/keel/config\n");
            rc = KC_EXIT_FAIL;
        } else if (o->k.json) {
            print_json(res);
        } else {
            fprintf(stderr, "logged in to %s as account %s (scope %s)\n", o->k.url,
                    json_string_value(json_object_get(res, "name")),
                    json_string_value(json_object_get(res, "scope")));
        }
    }
    memset(tok, 0, sizeof(tok));
    json_decref(res);
    return rc;
}

static int v_apps(struct opts *o, const char *verb)
{
    char path[512];
    if (!strcmp(verb, "list") && o->nwords == 0)
        return call_show(o, "GET", "/v1/apps?limit=1000", NULL, app_cols, NCOLS(app_cols),
                         true);
    if (!strcmp(verb, "create") && o->nwords == 2) {
        char *b, *name = kc_escape(o->words[0]);
        size_t n;
        json_t *res = NULL;
        if (read_file_all(o->words[1], &b, &n) != 0) {
            free(name);
            fprintf(stderr, "keel: %s: cannot read\n", o->words[1]);
            return KC_EXIT_FAIL;
        }
        snprintf(path, sizeof(path), "/v1/apps?name=%s", name);
        free(name);
        int rc = kc_call(&o->k, "POST", path, b, n, "application/octet-stream", true, &res);
        free(b);
        return show(o, rc, res, app_cols, NCOLS(app_cols), false);
    }
    if ((!strcmp(verb, "show") || !strcmp(verb, "delete")) && o->nwords == 1) {
        char *id = kc_escape(o->words[0]);
        snprintf(path, sizeof(path), "/v1/apps/%s", id);
        free(id);
        return verb[0] == 's' ? call_show(o, "GET", path, NULL, app_cols, NCOLS(app_cols), false)
                              : call_quiet(o, "DELETE", path, "app deleted");
    }
    return usage_error("keel apps create NAME BUNDLE | list | show ID | delete ID");
}

/* The signers whose bundles the account's uploads accept (keel keygen's
 * KEY.pem.pub). */
static int v_signers(struct opts *o, const char *verb)
{
    char path[256];
    if (!strcmp(verb, "list") && o->nwords == 0)
        return call_show(o, "GET", "/v1/signers", NULL, sig_cols, NCOLS(sig_cols), true);
    if (!strcmp(verb, "add") && o->nwords == 2) {
        char *pem;
        size_t n;
        if (read_file_all(o->words[1], &pem, &n) != 0) {
            fprintf(stderr, "keel: %s: cannot read\n", o->words[1]);
            return KC_EXIT_FAIL;
        }
        pem[n] = 0;
        json_t *b = json_pack("{s:s,s:s}", "name", o->words[0], "public_key", pem);
        free(pem);
        return call_show(o, "POST", "/v1/signers", b, sig_cols, NCOLS(sig_cols), false);
    }
    if (!strcmp(verb, "delete") && o->nwords == 1) {
        char *id = kc_escape(o->words[0]);
        snprintf(path, sizeof(path), "/v1/signers/%s", id);
        free(id);
        return call_quiet(o, "DELETE", path, "signer deleted");
    }
    return usage_error("keel signers add NAME KEY.pem.pub | list | delete ID");
}

static int v_devices(struct opts *o, const char *verb)
{
    char path[512];
    char *id = o->nwords ? kc_escape(o->words[0]) : NULL;
    int rc = -1;
    if (!strcmp(verb, "list") && o->nwords == 0) {
        char *t = o->tag ? kc_escape(o->tag) : NULL;
        snprintf(path, sizeof(path), "/v1/devices?limit=1000%s%s", t ? "&tag=" : "", t ? t : "");
        free(t);
        rc = call_show(o, "GET", path, NULL, dev_cols, NCOLS(dev_cols), true);
    } else if (id && !strcmp(verb, "show") && o->nwords == 1) {
        snprintf(path, sizeof(path), "/v1/devices/%s", id);
        rc = call_show(o, "GET", path, NULL, dev_cols, NCOLS(dev_cols), false);
    } else if (id && !strcmp(verb, "rename") && o->nwords == 2) {
        snprintf(path, sizeof(path), "/v1/devices/%s", id);
        rc = call_show(o, "PATCH", path, json_pack("{s:s}", "name", o->words[1]), dev_cols,
                       NCOLS(dev_cols), false);
    } else if (id && !strcmp(verb, "tag") && o->nwords >= 1) {
        json_t *tags = json_array();
        for (int i = 1; i < o->nwords; i++)
            json_array_append_new(tags, json_string(o->words[i]));
        snprintf(path, sizeof(path), "/v1/devices/%s", id);
        rc = call_show(o, "PATCH", path, json_pack("{s:o}", "tags", tags), dev_cols,
                       NCOLS(dev_cols), false);
    } else if (id && !strcmp(verb, "faults") && o->nwords == 1) {
        static const struct col fault_cols[] = {{"received_ms", "RECEIVED_MS"}, {"code", "CODE"},
                                                {"pc", "PC"}, {"uptime_ms", "UPTIME_MS"}};
        snprintf(path, sizeof(path), "/v1/devices/%s/faults?limit=1000", id);
        rc = call_show(o, "GET", path, NULL, fault_cols, NCOLS(fault_cols), true);
    } else if (id && !strcmp(verb, "revoke") && o->nwords == 1) {
        snprintf(path, sizeof(path), "/v1/devices/%s/revoke", id);
        rc = call_show(o, "POST", path, NULL, dev_cols, NCOLS(dev_cols), false);
    }
    free(id);
    return rc >= 0 ? rc : usage_error("keel devices list [--tag T] | show ID | rename ID NAME | "
                                      "tag ID TAG... | faults ID | revoke ID");
}

/* APP as an id, or the name of exactly one app of the account. 0 after
 * setting *id, or an exit code. */
static int app_id(struct opts *o, const char *app, long long *id)
{
    char *end;
    *id = strtoll(app, &end, 10);
    if (*app && !*end && *id > 0)
        return KC_EXIT_OK;
    json_t *res = NULL;
    int rc = kc_call(&o->k, "GET", "/v1/apps?limit=1000", NULL, 0, NULL, false, &res);
    if (rc)
        return rc;
    size_t i, n = 0;
    json_t *a;
    json_array_foreach(json_object_get(res, "items"), i, a)
        if (!strcmp(json_string_value(json_object_get(a, "name")), app)) {
            *id = json_integer_value(json_object_get(a, "id"));
            n++;
        }
    json_decref(res);
    if (n == 1)
        return KC_EXIT_OK;
    fprintf(stderr, "keel: %s apps named '%s'; give the id (keel apps list)\n",
            n ? "several" : "no", app);
    return KC_EXIT_FAIL;
}

static int v_deploy(struct opts *o)
{
    long long app;
    if (o->nwords != 1 || !o->device == !o->tag)
        return usage_error("keel deploy APP --device ID | --tag T");
    int rc = app_id(o, o->words[0], &app);
    if (rc)
        return rc;
    json_t *b = json_pack("{s:I}", "app_id", (json_int_t)app);
    json_object_set_new(b, o->device ? "device_id" : "tag", json_string(o->device ? o->device
                                                                                  : o->tag));
    return call_show(o, "POST", "/v1/deployments", b, dep_cols, NCOLS(dep_cols), false);
}

static int v_deployments(struct opts *o, const char *verb)
{
    char path[256];
    if (!strcmp(verb, "list") && o->nwords == 0)
        return call_show(o, "GET", "/v1/deployments?limit=1000", NULL, dep_cols,
                         NCOLS(dep_cols), true);
    if (!strcmp(verb, "show") && o->nwords == 1) {
        char *id = kc_escape(o->words[0]);
        snprintf(path, sizeof(path), "/v1/deployments/%s", id);
        free(id);
        /* the deployment, then one line per target device */
        json_t *res = NULL;
        int rc = kc_call(&o->k, "GET", path, NULL, 0, NULL, false, &res);
        if (rc == KC_EXIT_OK && res && !o->k.json) {
            json_t *a = json_array();
            json_array_append(a, res);
            print_rows(o, a, dep_cols, NCOLS(dep_cols));
            json_decref(a);
            json_t *devs = json_object_get(res, "devices");
            if (json_array_size(devs)) {
                putchar('\n');
                print_rows(o, devs, dd_cols, NCOLS(dd_cols));
            }
            json_decref(res);
            return rc;
        }
        return show(o, rc, res, dep_cols, NCOLS(dep_cols), false);
    }
    return usage_error("keel deployments list | show ID");
}

/* Device text for a terminal: a device must not be able to move the
 * cursor, retitle the window or hide lines with escape sequences, so C0
 * controls, DEL and the C1 controls (U+0080..U+009F, which some terminals
 * obey) are shown as \xNN or \u00NN, and a backslash as two. -o json keeps
 * the text exact. */
static void put_text_escaped(const char *t)
{
    const unsigned char *p = (const unsigned char *)(t ? t : "");
    for (; *p; p++) {
        if (*p == '\\')
            fputs("\\\\", stdout);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\x%02x", *p);
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            printf("\\u%04x", *++p);
        else
            putchar(*p);
    }
}

static void print_log(json_t *r, void *arg)
{
    struct opts *o = arg;
    static const char *const lv[] = {"debug", "info", "warn", "error"};
    if (o->k.json) {
        char *s = json_dumps(r, JSON_COMPACT);
        puts(s);
        free(s);
    } else {
        char when[32];
        json_int_t ms = json_integer_value(json_object_get(r, "received_ms"));
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        int level = (int)json_integer_value(json_object_get(r, "level"));
        printf("%s.%03dZ %-5s #%lld ", when, (int)(ms % 1000), lv[level & 3],
               (long long)json_integer_value(json_object_get(r, "seq")));
        put_text_escaped(json_string_value(json_object_get(r, "text")));
        putchar('\n');
    }
    fflush(stdout);
}

/* --since: milliseconds since the epoch, or a duration back from now
 * (30s, 10m, 2h, 7d). -1 if malformed. */
static long long since_ms(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 0)
        return -1;
    long long unit = !*end ? 0 : !strcmp(end, "s") ? 1000 : !strcmp(end, "m") ? 60000
                   : !strcmp(end, "h") ? 3600000 : !strcmp(end, "d") ? 86400000 : -1;
    if (unit < 0)
        return -1;
    return unit ? (long long)time(NULL) * 1000 - v * unit : v;
}

static int v_logs(struct opts *o)
{
    if (o->nwords != 1)
        return usage_error("keel logs DEVICE [-f] [--since T]");
    long long since = o->since ? since_ms(o->since) : 0;
    if (since < 0)
        return usage_error("--since takes milliseconds or 30s, 10m, 2h, 7d");
    char path[512];
    char *id = kc_escape(o->words[0]);
    if (o->follow) {
        snprintf(path, sizeof(path), "/v1/devices/%s/logs/stream?since=%lld", id, since);
        free(id);
        return kc_stream(&o->k, path, print_log, o);
    }
    long long after = 0;
    for (;;) {
        json_t *res = NULL;
        snprintf(path, sizeof(path), "/v1/devices/%s/logs?since=%lld&after=%lld&limit=1000", id,
                 since, after);
        int rc = kc_call(&o->k, "GET", path, NULL, 0, NULL, false, &res);
        if (rc) {
            free(id);
            return rc;
        }
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(res, "items"), i, r)
            print_log(r, o);
        json_t *next = json_object_get(res, "next");
        after = json_is_integer(next) ? json_integer_value(next) : 0;
        json_decref(res);
        if (!after)
            break;
    }
    free(id);
    return KC_EXIT_OK;
}

static int v_config(struct opts *o, const char *verb, bool secret)
{
    char base[256], path[512];
    const char *kind = secret ? "secrets" : "configs";
    if (o->device) {
        char *d = kc_escape(o->device);
        snprintf(base, sizeof(base), "/v1/devices/%s/%s", d, kind);
        free(d);
    } else {
        snprintf(base, sizeof(base), "/v1/%s", kind);
    }
    char *key = o->nwords ? kc_escape(o->words[0]) : NULL;
    snprintf(path, sizeof(path), "%s/%s", base, key ? key : "");
    free(key);
    if (!strcmp(verb, "list") && o->nwords == 0)
        return call_show(o, "GET", base, NULL, secret ? sec_cols : cfg_cols, NCOLS(cfg_cols), true);
    if (!strcmp(verb, "set") && o->nwords == 2) {
        char value[4200];
        const char *v = o->words[1];
        if (!strcmp(v, "-")) { /* from stdin, so it stays out of the shell's history */
            size_t n = fread(value, 1, sizeof(value) - 1, stdin);
            value[n] = 0;
            if (n && value[n - 1] == '\n')
                value[n - 1] = 0;
            v = value;
        }
        json_t *res = NULL, *b = json_pack("{s:s}", "value", v);
        char *s = json_dumps(b, JSON_COMPACT);
        json_decref(b);
        int rc = kc_call(&o->k, "PUT", path, s, s ? strlen(s) : 0, "application/json", false,
                         &res);
        if (s)
            memset(s, 0, strlen(s));
        free(s);
        memset(value, 0, sizeof(value));
        if (secret && rc == KC_EXIT_OK && !o->k.json) {
            fprintf(stderr, "secret %s set\n", o->words[0]);
            json_decref(res);
            return rc;
        }
        return show(o, rc, res, secret ? sec_cols : cfg_cols, NCOLS(cfg_cols), false);
    }
    if (!secret && !strcmp(verb, "get") && o->nwords == 1) {
        json_t *res = NULL;
        int rc = kc_call(&o->k, "GET", path, NULL, 0, NULL, false, &res);
        if (rc == KC_EXIT_OK && o->k.json)
            print_json(res);
        else if (rc == KC_EXIT_OK)
            puts(json_string_value(json_object_get(res, "value")));
        json_decref(res);
        return rc;
    }
    if (!strcmp(verb, "delete") && o->nwords == 1)
        return call_quiet(o, "DELETE", path, secret ? "secret deleted" : "config deleted");
    return usage_error(secret ? "keel secret set KEY VALUE|- | list | delete KEY [--device ID]"
                              : "keel config set KEY VALUE | get KEY | list | delete KEY "
                                "[--device ID]");
}

/* ---- entry -------------------------------------------------------------- */

int cmd_cloud(int argc, char **argv)
{
    static struct opts o;
    const char *noun = argv[0], *verb = NULL;
    memset(&o, 0, sizeof(o));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "-f") || !strcmp(a, "--follow")) {
            o.follow = true;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--device") || !strcmp(a, "--tag") ||
                   !strcmp(a, "--since") || !strcmp(a, "--token")) {
            if (!v)
                return usage_error("an option needs a value");
            if (!strcmp(a, "-o")) {
                if (strcmp(v, "json") && strcmp(v, "table"))
                    return usage_error("-o takes json or table");
                o.k.json = !strcmp(v, "json");
            } else if (!strcmp(a, "--device")) {
                o.device = v;
            } else if (!strcmp(a, "--tag")) {
                o.tag = v;
            } else if (!strcmp(a, "--since")) {
                o.since = v;
            } else {
                o.token = v;
            }
            i++;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option");
        } else if (o.nwords < 16) {
            o.words[o.nwords++] = argv[i];
        }
    }
    bool has_verb = strcmp(noun, "login") && strcmp(noun, "deploy") && strcmp(noun, "logs");
    if (has_verb) {
        if (!o.nwords)
            return usage_error("which verb?");
        verb = o.words[0];
        memmove(o.words, o.words + 1, sizeof(o.words[0]) * (size_t)--o.nwords);
    }
    if (!strcmp(noun, "login"))
        return v_login(&o);
    bool json = o.k.json;
    int rc = kc_load(&o.k);
    o.k.json = json;
    if (rc)
        return rc;
    if (!strcmp(noun, "apps"))
        return v_apps(&o, verb);
    if (!strcmp(noun, "signers"))
        return v_signers(&o, verb);
    if (!strcmp(noun, "devices"))
        return v_devices(&o, verb);
    if (!strcmp(noun, "deploy"))
        return v_deploy(&o);
    if (!strcmp(noun, "deployments"))
        return v_deployments(&o, verb);
    if (!strcmp(noun, "logs"))
        return v_logs(&o);
    if (!strcmp(noun, "config"))
        return v_config(&o, verb, false);
    if (!strcmp(noun, "secret"))
        return v_config(&o, verb, true);
    return usage_error("unknown verb");
}
