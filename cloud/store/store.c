/*
 * store.c: what both backends share: opening by URL, results, the
 * migration runner and the connection pool.
 *
 * IMPLEMENTATION NOTES
 * Migrations run in one transaction under a lock both engines honour
 * (SQLite's BEGIN IMMEDIATE write lock, PostgreSQL's transaction-scoped
 * advisory lock), so two instances starting at once apply each migration
 * exactly once and a crash mid-way leaves the old schema whole.
 */
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrations.h"

int store_open(const char *url, struct store **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!strncmp(url, "sqlite:", 7))
        return store_sqlite_open(url + 7, out, err, errlen);
    if (!strncmp(url, "postgresql:", 11) || !strncmp(url, "postgres:", 9) ||
        !strncmp(url, "pg:", 3))
        return store_pg_open(!strncmp(url, "pg:", 3) ? url + 3 : url, out, err, errlen);
    snprintf(err, errlen, "database URL must start with sqlite: or postgresql: (got '%.40s')",
             url);
    return STORE_E_IO;
}

void store_close(struct store *s)
{
    if (s)
        s->ops->close(s);
}

enum store_kind store_kind(const struct store *s) { return s->kind; }
const char *store_errmsg(const struct store *s) { return s->errmsg; }

int store_exec(struct store *s, const char *sql, const struct store_val *params, int n,
               struct store_result *res)
{
    if (res)
        memset(res, 0, sizeof(*res));
    return s->ops->exec(s, sql, params, n, res);
}

int store_tune_bulk(struct store *s)
{
    /* measured on 50 devices' interleaved batches: the temp-file statement
     * journal was 60% of the bytes written, and with the default 2 MiB
     * cache most index pages were read back from the WAL before each
     * insert (docs/cloud.md, Measured) */
    static const char *const sqlite[] = {"PRAGMA temp_store = MEMORY",
                                         "PRAGMA cache_size = -16384"};
    if (s->kind != STORE_SQLITE)
        return STORE_OK;
    for (size_t i = 0; i < sizeof(sqlite) / sizeof(sqlite[0]); i++) {
        int rc = store_exec(s, sqlite[i], NULL, 0, NULL);
        if (rc)
            return rc;
    }
    return STORE_OK;
}

int store_begin(struct store *s)
{
    return store_exec(s, s->kind == STORE_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN", NULL, 0, NULL);
}

int store_commit(struct store *s) { return store_exec(s, "COMMIT", NULL, 0, NULL); }
int store_rollback(struct store *s) { return store_exec(s, "ROLLBACK", NULL, 0, NULL); }

void store_result_free(struct store_result *r)
{
    if (!r || !r->cells)
        return;
    for (int i = 0; i < r->nrows * r->ncols; i++)
        free(r->cells[i]);
    free(r->cells);
    free(r->lens);
    memset(r, 0, sizeof(*r));
}

const char *store_cell(const struct store_result *r, int row, int col)
{
    if (row < 0 || row >= r->nrows || col < 0 || col >= r->ncols)
        return NULL;
    return r->cells[row * r->ncols + col];
}

int64_t store_cell_int(const struct store_result *r, int row, int col)
{
    const char *c = store_cell(r, row, col);
    return c ? strtoll(c, NULL, 10) : 0;
}

int store_result_add_row(struct store_result *r, int ncols, char **cells, size_t *lens)
{
    size_t have = (size_t)r->nrows * (size_t)ncols;
    char **nc = realloc(r->cells, (have + ncols) * sizeof(*nc));
    if (!nc)
        return STORE_E_NOMEM;
    r->cells = nc;
    size_t *nl = realloc(r->lens, (have + ncols) * sizeof(*nl));
    if (!nl)
        return STORE_E_NOMEM;
    r->lens = nl;
    memcpy(r->cells + have, cells, ncols * sizeof(*cells));
    memcpy(r->lens + have, lens, ncols * sizeof(*lens));
    r->ncols = ncols;
    r->nrows++;
    return STORE_OK;
}

/* ---- Migrations ----------------------------------------------------------- */

int store_schema_version(void) { return store_migrations[store_n_migrations - 1].number; }

/* One statement of a migration with the macros expanded for s's engine. */
static char *expand(const struct store *s, const char *stmt, size_t len)
{
    static const char *const names[] = {"@ID", "@BLOB"};
    const char *sqlite[] = {"INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"};
    const char *pg[] = {"BIGSERIAL PRIMARY KEY", "BYTEA"};
    const char *const *with = s->kind == STORE_SQLITE ? sqlite : pg;
    char *out = malloc(len * 4 + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len;) {
        size_t k;
        for (k = 0; k < 2; k++)
            if (!strncmp(stmt + i, names[k], strlen(names[k])))
                break;
        if (k < 2 && stmt[i] == '@') {
            o += sprintf(o, "%s", with[k]);
            i += strlen(names[k]);
        } else {
            *o++ = stmt[i++];
        }
    }
    *o = 0;
    return out;
}

static int run_migration(struct store *s, const struct store_migration *m)
{
    for (const char *p = m->sql; *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *stmt = expand(s, p, len);
        if (!stmt)
            return STORE_E_NOMEM;
        int rc = len ? store_exec(s, stmt, NULL, 0, NULL) : STORE_OK;
        free(stmt);
        if (rc)
            return rc;
        p += len + (end ? 1 : 0);
    }
    struct store_val v[2] = {SV_INT(m->number), SV_TEXT(m->what)};
    return store_exec(s, "INSERT INTO schema_migrations (number, what) VALUES (?, ?)", v, 2,
                      NULL);
}

int store_migrate(struct store *s, int *failed)
{
    struct store_result r;
    *failed = 0;
    int rc = store_begin(s);
    if (!rc && s->kind == STORE_POSTGRES)
        rc = store_exec(s, "SELECT pg_advisory_xact_lock(4242001)", NULL, 0, NULL);
    if (!rc)
        rc = store_exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER "
                           "PRIMARY KEY, what TEXT NOT NULL)", NULL, 0, NULL);
    if (!rc)
        rc = store_exec(s, "SELECT COALESCE(MAX(number), 0) FROM schema_migrations", NULL, 0,
                        &r);
    if (rc) {
        store_rollback(s);
        return rc;
    }
    int have = (int)store_cell_int(&r, 0, 0);
    store_result_free(&r);
    for (int i = 0; i < store_n_migrations; i++) {
        if (store_migrations[i].number <= have)
            continue;
        rc = run_migration(s, &store_migrations[i]);
        if (rc) {
            *failed = store_migrations[i].number;
            store_rollback(s);
            return rc;
        }
    }
    return store_commit(s);
}

/* ---- Pool ----------------------------------------------------------------- */

struct store_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int size, nfree;
    struct store **all, **free_list;
};

int store_pool_open(const char *url, int size, struct store_pool **out, char *err,
                    size_t errlen)
{
    struct store_pool *p = calloc(1, sizeof(*p));
    *out = NULL;
    if (!p)
        return STORE_E_NOMEM;
    p->all = calloc(size, sizeof(*p->all));
    p->free_list = calloc(size, sizeof(*p->free_list));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (!p->all || !p->free_list) {
        store_pool_close(p);
        return STORE_E_NOMEM;
    }
    for (int i = 0; i < size; i++) {
        int rc = store_open(url, &p->all[i], err, errlen);
        if (rc) {
            store_pool_close(p);
            return rc;
        }
        p->size++;
        p->free_list[p->nfree++] = p->all[i];
    }
    *out = p;
    return STORE_OK;
}

void store_pool_close(struct store_pool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->size; i++)
        store_close(p->all[i]);
    free(p->all);
    free(p->free_list);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

struct store *store_pool_get(struct store_pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->nfree == 0)
        pthread_cond_wait(&p->cv, &p->mu);
    struct store *s = p->free_list[--p->nfree];
    pthread_mutex_unlock(&p->mu);
    return s;
}

void store_pool_put(struct store_pool *p, struct store *s)
{
    pthread_mutex_lock(&p->mu);
    p->free_list[p->nfree++] = s;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}
