/*
 * store_sqlite.c: the SQLite backend (the embedded default).
 *
 * IMPLEMENTATION NOTES
 * WAL mode with synchronous=FULL: every COMMIT waits for the WAL to reach
 * the disk, so a transaction keel-cloud acknowledged survives a power cut
 * of the host, not only a crash of the process (NORMAL would survive kill
 * -9 but could lose the last commits on power loss, and an ack is a
 * promise). The cost is one fsync per transaction, which log ingest pays
 * once per batch (mqtt.c). There is deliberately no switch back.
 * Several connections to one file (the pool) read concurrently and take
 * turns writing, waiting up to busy_timeout for the lock. Prepared
 * statements are cached per connection by their text, as the routes use
 * a few fixed statements over and over.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define SQLITE_CACHE 48

struct sqlite_store {
    struct store base;
    struct {
        char *sql;
        sqlite3_stmt *stmt;
    } cache[SQLITE_CACHE];
    int ncache;
};

static int map_rc(struct store *s, int rc)
{
    snprintf(s->errmsg, sizeof(s->errmsg), "%s", sqlite3_errmsg(s->db));
    switch (rc & 0xFF) {
    case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return STORE_OK;
    case SQLITE_CONSTRAINT: return STORE_E_CONSTRAINT;
    case SQLITE_BUSY: case SQLITE_LOCKED: return STORE_E_BUSY;
    case SQLITE_NOMEM: return STORE_E_NOMEM;
    case SQLITE_ERROR: return STORE_E_SQL;
    default: return STORE_E_IO;
    }
}

static sqlite3_stmt *prepare(struct sqlite_store *q, const char *sql)
{
    for (int i = 0; i < q->ncache; i++)
        if (!strcmp(q->cache[i].sql, sql))
            return q->cache[i].stmt;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(q->base.db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
        SQLITE_OK)
        return NULL;
    if (q->ncache == SQLITE_CACHE) { /* full: evict the oldest */
        sqlite3_finalize(q->cache[0].stmt);
        free(q->cache[0].sql);
        memmove(q->cache, q->cache + 1, sizeof(q->cache[0]) * (SQLITE_CACHE - 1));
        q->ncache--;
    }
    q->cache[q->ncache].sql = strdup(sql);
    q->cache[q->ncache].stmt = st;
    if (!q->cache[q->ncache].sql) {
        sqlite3_finalize(st);
        return NULL;
    }
    q->ncache++;
    return st;
}

static int sqlite_exec(struct store *s, const char *sql, const struct store_val *params, int n,
                       struct store_result *res)
{
    struct sqlite_store *q = (struct sqlite_store *)s;
    sqlite3_stmt *st = prepare(q, sql);
    if (!st)
        return map_rc(s, sqlite3_errcode(s->db));
    int rc = SQLITE_OK;
    for (int i = 0; i < n && rc == SQLITE_OK; i++) {
        const struct store_val *v = &params[i];
        switch (v->type) {
        case STORE_INT: rc = sqlite3_bind_int64(st, i + 1, v->i); break;
        case STORE_TEXT:
            rc = sqlite3_bind_text(st, i + 1, v->p, v->n ? (int)v->n : -1, SQLITE_STATIC);
            break;
        case STORE_BLOB: rc = sqlite3_bind_blob64(st, i + 1, v->p, v->n, SQLITE_STATIC); break;
        default: rc = sqlite3_bind_null(st, i + 1); break;
        }
    }
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW || !res)
            continue;
        int nc = sqlite3_column_count(st);
        char *cells[64];
        size_t lens[64];
        if (nc > 64)
            nc = 64;
        for (int c = 0; c < nc; c++) {
            const void *b = sqlite3_column_type(st, c) == SQLITE_BLOB
                                ? sqlite3_column_blob(st, c)
                                : (const void *)sqlite3_column_text(st, c);
            size_t len = (size_t)sqlite3_column_bytes(st, c);
            if (sqlite3_column_type(st, c) == SQLITE_NULL) {
                cells[c] = NULL;
                lens[c] = 0;
                continue;
            }
            cells[c] = malloc(len + 1);
            if (cells[c]) {
                memcpy(cells[c], b, len);
                cells[c][len] = 0;
            }
            lens[c] = len;
        }
        if (store_result_add_row(res, nc, cells, lens) != STORE_OK) {
            for (int c = 0; c < nc; c++)
                free(cells[c]);
            rc = SQLITE_NOMEM;
        }
    }
    int out = rc == SQLITE_DONE ? STORE_OK : map_rc(s, rc);
    if (res && out == STORE_OK)
        res->changes = sqlite3_changes64(s->db);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (out && res)
        store_result_free(res);
    return out;
}

static void sqlite_close(struct store *s)
{
    struct sqlite_store *q = (struct sqlite_store *)s;
    for (int i = 0; i < q->ncache; i++) {
        sqlite3_finalize(q->cache[i].stmt);
        free(q->cache[i].sql);
    }
    sqlite3_close(s->db);
    free(q);
}

static const struct store_ops sqlite_ops = {sqlite_exec, sqlite_close};

int store_sqlite_open(const char *path, struct store **out, char *err, size_t errlen)
{
    struct sqlite_store *q = calloc(1, sizeof(*q));
    sqlite3 *db = NULL;
    if (!q)
        return STORE_E_NOMEM;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                       SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        free(q);
        return STORE_E_IO;
    }
    static const char pragmas[] =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;";
    sqlite3_busy_timeout(db, 10000);
    char *msg = NULL;
    if (sqlite3_exec(db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, msg ? msg : "cannot configure");
        sqlite3_free(msg);
        sqlite3_close(db);
        free(q);
        return STORE_E_IO;
    }
    q->base.kind = STORE_SQLITE;
    q->base.ops = &sqlite_ops;
    q->base.db = db;
    *out = &q->base;
    return STORE_OK;
}
