/*
 * store.h: keel-cloud's one storage interface (cloud/store). Two backends
 * sit behind it, chosen by the database URL: SQLite ("sqlite:PATH", the
 * embedded default, WAL mode) and PostgreSQL ("postgresql://..." or any
 * libpq conninfo). The routes write their SQL once, in the common subset
 * both engines accept (placeholders "?", INSERT .. ON CONFLICT, RETURNING);
 * the PostgreSQL backend renumbers "?" to "$n".
 *
 * The schema is one list of numbered migrations (store_migrate), applied in
 * order inside transactions and recorded in schema_migrations, so every
 * instance on one PostgreSQL agrees on the schema and a newer keel-cloud
 * upgrades an older database in place. Migration text uses two macros the
 * backend expands: @ID (an auto-increment integer primary key) and @BLOB.
 *
 * Connections come from a pool (store_pool_*): one connection is used by one
 * thread at a time; the pool is thread-safe.
 *
 * Results are materialised as text cells (blobs as their bytes, lens[]
 * exact), owned by the result until store_result_free. NULL cells are NULL
 * pointers.
 *
 * Errors: 0 or a negative STORE_E_*; the backend's message in
 * store_errmsg(), valid until the next call on that connection.
 */
#ifndef KEEL_STORE_H
#define KEEL_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_OK 0
#define STORE_E_IO (-1)         /* connection or disk failure */
#define STORE_E_CONSTRAINT (-2) /* unique / foreign-key violation */
#define STORE_E_BUSY (-3)       /* lock not obtained in time */
#define STORE_E_SQL (-4)        /* malformed statement (a bug) */
#define STORE_E_NOMEM (-5)

enum store_kind { STORE_SQLITE = 1, STORE_POSTGRES = 2 };

enum store_type { STORE_NULL = 0, STORE_INT, STORE_TEXT, STORE_BLOB };

struct store_val {
    enum store_type type;
    int64_t i;
    const void *p; /* TEXT (NUL-terminated unless n) or BLOB bytes, borrowed */
    size_t n;      /* BLOB length; TEXT length or 0 for strlen */
};

#define SV_INT(v) ((struct store_val){.type = STORE_INT, .i = (v)})
#define SV_TEXT(s) ((struct store_val){.type = (s) ? STORE_TEXT : STORE_NULL, .p = (s)})
#define SV_BLOB(b, len) ((struct store_val){.type = STORE_BLOB, .p = (b), .n = (len)})
#define SV_NULLV ((struct store_val){.type = STORE_NULL})

struct store_result {
    int nrows, ncols;
    char **cells;   /* nrows * ncols, row-major; NULL = SQL NULL */
    size_t *lens;
    int64_t changes; /* rows written by INSERT/UPDATE/DELETE */
};

struct store; /* one connection */

int store_open(const char *url, struct store **out, char *err, size_t errlen);
void store_close(struct store *s);
enum store_kind store_kind(const struct store *s);
const char *store_errmsg(const struct store *s);

/* Runs one statement with n parameters bound to its "?" in order. res may
 * be NULL when no rows are wanted; otherwise the caller frees it. */
int store_exec(struct store *s, const char *sql, const struct store_val *params, int n,
               struct store_result *res);
/* Readies a connection that writes large transactions (log ingest) for
 * them; 0 or an error. SQLite: the statement journal of a multi-row
 * statement stays in memory instead of a temp file, and the page cache is
 * large enough to keep the pages every device's inserts touch from one
 * transaction to the next. Durability is unchanged: what is committed is
 * still in the WAL on disk. PostgreSQL: nothing to do. */
int store_tune_bulk(struct store *s);
int store_begin(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);
void store_result_free(struct store_result *r);
/* Cell (row, col) or NULL; its integer value (0 for NULL). */
const char *store_cell(const struct store_result *r, int row, int col);
int64_t store_cell_int(const struct store_result *r, int row, int col);

/* Applies every migration not yet recorded; 0, or an error with the failed
 * migration's number in *failed. Safe to run from several instances at once
 * (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE). */
int store_migrate(struct store *s, int *failed);
/* The highest migration this keel-cloud knows. */
int store_schema_version(void);

/* ---- Pool ---------------------------------------------------------------- */

struct store_pool;
int store_pool_open(const char *url, int size, struct store_pool **out, char *err,
                    size_t errlen);
void store_pool_close(struct store_pool *p);
/* Blocks until a connection is free. */
struct store *store_pool_get(struct store_pool *p);
void store_pool_put(struct store_pool *p, struct store *s);

/* ---- Backends (store_sqlite.c, store_pg.c) -------------------------------- */

struct store_ops {
    int (*exec)(struct store *s, const char *sql, const struct store_val *params, int n,
                struct store_result *res);
    void (*close)(struct store *s);
};

struct store {
    enum store_kind kind;
    const struct store_ops *ops;
    char errmsg[256];
    void *db; /* sqlite3 * or PGconn * */
};

int store_sqlite_open(const char *path, struct store **out, char *err, size_t errlen);
int store_pg_open(const char *conninfo, struct store **out, char *err, size_t errlen);
/* Helpers for backends: grow a result by one row of ncols cells. */
int store_result_add_row(struct store_result *r, int ncols, char **cells, size_t *lens);

#endif /* KEEL_STORE_H */
