/*
 * cloud_client.h: the keel CLI's side of keel-cloud's REST API (libcurl,
 * jansson): the saved login, requests, errors and output.
 *
 * The login lives in ~/.config/keel/config (JSON {"url", "token"}, mode
 * 0600, the folder 0700); KEEL_URL and KEEL_TOKEN override it; KEEL_CA
 * names the certificate(s) to trust for an https URL instead of the
 * system's. Exit codes
 * of every cloud verb: 0 ok (an empty list too), 1 failure, 2 usage,
 * 4 authentication or permission (HTTP 401/403).
 */
#ifndef KEEL_CLOUD_CLIENT_H
#define KEEL_CLOUD_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define KC_EXIT_OK 0
#define KC_EXIT_FAIL 1
#define KC_EXIT_USAGE 2
#define KC_EXIT_AUTH 4

struct kc {
    char url[512];
    char token[128];
    bool json;          /* -o json */
    long quiet_status;  /* an HTTP status kc_call returns 1 for without a word */
    long status;        /* the last answer's HTTP status */
};

/* Loads the login; 0, or KC_EXIT_AUTH after telling the user to log in. */
int kc_load(struct kc *k);
int kc_save(const char *url, const char *token);
/*
 * One request. body (borrowed) may be NULL; ctype its type. *out gets the
 * parsed JSON answer (caller frees; NULL for 204). progress: show an upload
 * bar on stderr. Returns the exit code: 0 for 2xx, else the error is
 * printed ("keel: CODE: message") and 1 or 4 returned.
 */
int kc_call(struct kc *k, const char *method, const char *path, const void *body, size_t len,
            const char *ctype, bool progress, json_t **out);
/* GET path as a server-sent event stream, calling on_event with each
 * event's data (parsed JSON) until it ends or fails. */
int kc_stream(struct kc *k, const char *path, void (*on_event)(json_t *ev, void *arg),
              void *arg);
/* Percent-encodes s for a path segment or query value (malloc'd). */
char *kc_escape(const char *s);

/* A table for people (aligned when stdout is a terminal, TSV when piped). */
struct kc_table {
    int ncols, nrows;
    const char *head[8];
    char **cells;       /* nrows * ncols, malloc'd */
};
void kc_table_init(struct kc_table *t, int ncols, const char *const *head);
void kc_table_add(struct kc_table *t, const char *const *row);
void kc_table_print(struct kc_table *t);
/* A JSON value as a cell ("-" for null); the string is malloc'd. */
char *kc_cell(json_t *v);

#endif
