/*
 * cloud_client.c: HTTP to keel-cloud (cloud_client.h).
 *
 * IMPLEMENTATION NOTES
 * Every cloud verb goes through kc_call, so the token handling, the error
 * format and the exit codes are one code path. The token is sent only in
 * the Authorization header and never printed. Data goes to stdout,
 * messages and the progress bar to stderr.
 */
#include "cloud_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int config_path(char *out, size_t cap, bool make_dir)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        return -1;
    snprintf(out, cap, "%s/.config", home);
    if (make_dir)
        mkdir(out, 0700);
    snprintf(out, cap, "%s/.config/keel", home);
    if (make_dir && mkdir(out, 0700) != 0 && errno != EEXIST)
        return -1;
    /* The directory holds a bearer token: one made earlier with a wider
     * mode (another tool, a permissive umask) is narrowed before the
     * token goes in. */
    struct stat st;
    if (make_dir && (lstat(out, &st) != 0 || !S_ISDIR(st.st_mode) ||
                     ((st.st_mode & 077) && chmod(out, 0700) != 0)))
        return -1;
    snprintf(out, cap, "%s/.config/keel/config", home);
    return 0;
}

int kc_save(const char *url, const char *token)
{
    char path[4096], tmp[4200];
    if (config_path(path, sizeof(path), true) != 0)
        return -1;
    snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
    json_t *o = json_pack("{s:s,s:s}", "url", url, "token", token);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int rc = fd >= 0 && o && json_dumpfd(o, fd, JSON_INDENT(2)) == 0 && fsync(fd) == 0 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    json_decref(o);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc)
        unlink(tmp);
    return rc;
}

int kc_load(struct kc *k)
{
    char path[4096];
    const char *u = getenv("KEEL_URL"), *t = getenv("KEEL_TOKEN");
    json_t *o = NULL;
    if ((!u || !t) && config_path(path, sizeof(path), false) == 0)
        o = json_load_file(path, 0, NULL);
    if (!u && o)
        u = json_string_value(json_object_get(o, "url"));
    if (!t && o)
        t = json_string_value(json_object_get(o, "token"));
    if (!u || !t) {
        fprintf(stderr, "keel: not logged in to a keel-cloud (keel login URL)\n");
        json_decref(o);
        return KC_EXIT_AUTH;
    }
    snprintf(k->url, sizeof(k->url), "%s", u);
    snprintf(k->token, sizeof(k->token), "%s", t);
    size_t n = strlen(k->url);
    while (n && k->url[n - 1] == '/')
        k->url[--n] = 0;
    json_decref(o);
    return 0;
}

struct buf {
    char *p;
    size_t n;
};

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t len = sz * n;
    char *q = realloc(b->p, b->n + len + 1);
    if (!q)
        return 0;
    b->p = q;
    memcpy(b->p + b->n, p, len);
    b->n += len;
    b->p[b->n] = 0;
    return len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)arg;
    (void)dltotal;
    (void)dlnow;
    if (ultotal <= 0)
        return 0;
    int width = 40, done = (int)(ulnow * width / ultotal);
    fprintf(stderr, "\rupload [%.*s%*s] %3d%% %lld/%lld bytes", done,
            "########################################", width - done, "",
            (int)(ulnow * 100 / ultotal), (long long)ulnow, (long long)ultotal);
    return 0;
}

static CURL *setup(struct kc *k, const char *method, const char *path, struct curl_slist **h,
                   const char *ctype)
{
    char url[2048], auth[200];
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    snprintf(url, sizeof(url), "%s%s", k->url, path);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", k->token);
    *h = curl_slist_append(NULL, auth);
    if (ctype) {
        char ct[128];
        snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
        *h = curl_slist_append(*h, ct);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    const char *ca = getenv("KEEL_CA");
    if (ca && *ca) /* a self-hosted instance's own certificate or CA */
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    return c;
}

static int report(long status, json_t *o)
{
    json_t *e = json_object_get(o, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    fprintf(stderr, "keel: %s: %s (HTTP %ld)\n", code ? code : "error", msg ? msg : "no details",
            status);
    return status == 401 || status == 403 ? KC_EXIT_AUTH : KC_EXIT_FAIL;
}

int kc_call(struct kc *k, const char *method, const char *path, const void *body, size_t len,
            const char *ctype, bool progress, json_t **out)
{
    struct curl_slist *h = NULL;
    struct buf b = {NULL, 0};
    long status = 0;
    *out = NULL;
    CURL *c = setup(k, method, path, &h, body ? ctype : NULL);
    if (!c)
        return KC_EXIT_FAIL;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (progress && isatty(2)) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    }
    CURLcode rc = curl_easy_perform(c);
    if (progress && isatty(2))
        fputc('\n', stderr);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (rc != CURLE_OK) {
        fprintf(stderr, "keel: %s: %s\n", k->url, curl_easy_strerror(rc));
        free(b.p);
        return KC_EXIT_FAIL;
    }
    json_t *o = b.n ? json_loadb(b.p, b.n, 0, NULL) : NULL;
    free(b.p);
    k->status = status;
    if (status == k->quiet_status) { /* the caller handles this answer itself */
        json_decref(o);
        return KC_EXIT_FAIL;
    }
    if (status < 200 || status > 299) {
        int ec = report(status, o);
        json_decref(o);
        return ec;
    }
    if (b.n && !o) {
        fprintf(stderr, "keel: %s answered something that is not JSON\n", k->url);
        return KC_EXIT_FAIL;
    }
    *out = o;
    return KC_EXIT_OK;
}

struct sse {
    struct buf line;
    void (*fn)(json_t *, void *);
    void *arg;
    bool error_event; /* the event being read is "event: error" */
    int ec;           /* an error event's exit code; 0 if none came */
};

static size_t on_sse(char *p, size_t sz, size_t n, void *arg)
{
    struct sse *s = arg;
    size_t len = sz * n;
    if (on_data(p, 1, len, &s->line) != len)
        return 0;
    char *nl;
    while ((nl = memchr(s->line.p, '\n', s->line.n))) {
        *nl = 0;
        if (!strcmp(s->line.p, "event: error")) {
            s->error_event = true;
        } else if (!s->line.p[0]) { /* a blank line ends the event */
            s->error_event = false;
        } else if (!strncmp(s->line.p, "data: ", 6)) {
            json_t *o = json_loads(s->line.p + 6, 0, NULL);
            /* the stream's last word, e.g. token_revoked: an error, not a record */
            if (o && s->error_event)
                s->ec = report(401, o);
            else if (o)
                s->fn(o, s->arg);
            json_decref(o);
        }
        size_t used = (size_t)(nl - s->line.p) + 1;
        memmove(s->line.p, nl + 1, s->line.n - used);
        s->line.n -= used;
    }
    return len;
}

int kc_stream(struct kc *k, const char *path, void (*on_event)(json_t *ev, void *arg), void *arg)
{
    struct curl_slist *h = NULL;
    struct sse s = {{NULL, 0}, on_event, arg, false, 0};
    long status = 0;
    CURL *c = setup(k, "GET", path, &h, NULL);
    if (!c)
        return KC_EXIT_FAIL;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_sse);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    int ec = KC_EXIT_OK;
    if (status >= 300) {
        json_t *o = s.line.n ? json_loadb(s.line.p, s.line.n, 0, NULL) : NULL;
        ec = report(status, o);
        json_decref(o);
    } else if (s.ec) {
        ec = s.ec;
    } else if (rc != CURLE_OK) {
        fprintf(stderr, "keel: stream ended: %s\n", curl_easy_strerror(rc));
        ec = KC_EXIT_FAIL;
    }
    free(s.line.p);
    return ec;
}

char *kc_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0), *out = e ? strdup(e) : NULL;
    curl_free(e);
    return out;
}

void kc_table_init(struct kc_table *t, int ncols, const char *const *head)
{
    memset(t, 0, sizeof(*t));
    t->ncols = ncols;
    for (int i = 0; i < ncols; i++)
        t->head[i] = head[i];
}

void kc_table_add(struct kc_table *t, const char *const *row)
{
    char **c = realloc(t->cells, (size_t)(t->nrows + 1) * t->ncols * sizeof(*c));
    if (!c)
        return;
    t->cells = c;
    for (int i = 0; i < t->ncols; i++)
        c[t->nrows * t->ncols + i] = strdup(row[i] ? row[i] : "-");
    t->nrows++;
}

/* display width of UTF-8 text, counting code points */
static int width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

void kc_table_print(struct kc_table *t)
{
    bool tty = isatty(1);
    int w[8] = {0};
    for (int i = 0; i < t->ncols; i++) {
        w[i] = width(t->head[i]);
        for (int r = 0; r < t->nrows; r++) {
            int x = width(t->cells[r * t->ncols + i]);
            w[i] = x > w[i] ? x : w[i];
        }
    }
    for (int r = -1; r < t->nrows; r++) {
        if (r < 0 && !tty)
            continue; /* piped: rows only, tab-separated */
        for (int i = 0; i < t->ncols; i++) {
            const char *v = r < 0 ? t->head[i] : t->cells[r * t->ncols + i];
            if (!tty)
                printf("%s%s", v, i + 1 < t->ncols ? "\t" : "\n");
            else
                printf("%s%*s%s", v, i + 1 < t->ncols ? w[i] - width(v) : 0, "",
                       i + 1 < t->ncols ? "  " : "\n");
        }
    }
    for (int i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
}

char *kc_cell(json_t *v)
{
    char tmp[64];
    if (!v || json_is_null(v))
        return strdup("-");
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v));
        return strdup(tmp);
    }
    if (json_is_boolean(v))
        return strdup(json_is_true(v) ? "yes" : "no");
    if (json_is_array(v)) {
        size_t i, n = 0;
        json_t *x;
        char *out = calloc(1, 1);
        json_array_foreach(v, i, x) {
            const char *s = json_is_string(x) ? json_string_value(x) : "?";
            char *o2 = realloc(out, n + strlen(s) + 2);
            if (!o2)
                break;
            out = o2;
            n += (size_t)sprintf(out + n, "%s%s", i ? "," : "", s);
        }
        if (!n) {
            free(out);
            return strdup("-");
        }
        return out;
    }
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}
