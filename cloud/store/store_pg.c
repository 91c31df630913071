/*
 * store_pg.c: the PostgreSQL backend (libpq), for several keel-cloud
 * instances sharing one database.
 *
 * IMPLEMENTATION NOTES
 * Statements are written with "?" placeholders (the SQLite spelling); this
 * backend renumbers them to $1..$n outside quoted literals. Parameters go
 * as text except blobs, which go in binary format as bytea; results come
 * back in text format except bytea columns, which are unescaped so a blob
 * reads back as its bytes on either engine.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define PG_BYTEA_OID 17

static char *renumber(const char *sql)
{
    size_t n = strlen(sql);
    char *out = malloc(n * 4 + 1), *o = out;
    int k = 0, quoted = 0;
    if (!out)
        return NULL;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'')
            quoted = !quoted;
        if (*p == '?' && !quoted)
            o += sprintf(o, "$%d", ++k);
        else
            *o++ = *p;
    }
    *o = 0;
    return out;
}

static int pg_fail(struct store *s, PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(s->errmsg, sizeof(s->errmsg), "%s", PQerrorMessage(s->db));
    if (r)
        PQclear(r);
    if (PQstatus(s->db) != CONNECTION_OK) {
        PQreset(s->db);
        return STORE_E_IO;
    }
    if (state && !strncmp(state, "23", 2))
        return STORE_E_CONSTRAINT;
    if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
                  !strcmp(state, "55P03")))
        return STORE_E_BUSY;
    if (state && !strncmp(state, "42", 2))
        return STORE_E_SQL;
    return STORE_E_IO;
}

static int pg_exec(struct store *s, const char *sql, const struct store_val *params, int n,
                   struct store_result *res)
{
    char *q = renumber(sql);
    const char **vals = calloc((size_t)n + 1, sizeof(*vals));
    int *lens = calloc((size_t)n + 1, sizeof(*lens)), *fmts = calloc((size_t)n + 1, sizeof(*fmts));
    char (*ints)[24] = calloc((size_t)n + 1, sizeof(*ints));
    if (!q || !vals || !lens || !fmts || !ints) {
        free(q);
        free(vals);
        free(lens);
        free(fmts);
        free(ints);
        snprintf(s->errmsg, sizeof(s->errmsg), "out of memory");
        return STORE_E_NOMEM;
    }
    for (int i = 0; i < n; i++) {
        const struct store_val *v = &params[i];
        fmts[i] = 0;
        lens[i] = 0;
        switch (v->type) {
        case STORE_INT:
            snprintf(ints[i], sizeof(ints[i]), "%lld", (long long)v->i);
            vals[i] = ints[i];
            break;
        case STORE_TEXT: vals[i] = v->p; break;
        case STORE_BLOB:
            vals[i] = v->n ? v->p : "";
            lens[i] = (int)v->n;
            fmts[i] = 1;
            break;
        default: vals[i] = NULL; break;
        }
    }
    PGresult *r = PQexecParams(s->db, q, n, NULL, vals, lens, fmts, 0);
    free(q);
    free(vals);
    free(lens);
    free(fmts);
    free(ints);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return pg_fail(s, r);
    int rc = STORE_OK;
    if (res) {
        int nc = PQnfields(r) > 64 ? 64 : PQnfields(r);
        for (int row = 0; row < PQntuples(r) && rc == STORE_OK; row++) {
            char *cells[64];
            size_t clen[64];
            for (int c = 0; c < nc; c++) {
                if (PQgetisnull(r, row, c)) {
                    cells[c] = NULL;
                    clen[c] = 0;
                    continue;
                }
                const char *t = PQgetvalue(r, row, c);
                size_t len = (size_t)PQgetlength(r, row, c);
                unsigned char *un = NULL;
                if (PQftype(r, c) == PG_BYTEA_OID && (un = PQunescapeBytea(
                                                         (const unsigned char *)t, &len)))
                    t = (const char *)un;
                cells[c] = malloc(len + 1);
                if (cells[c]) {
                    memcpy(cells[c], t, len);
                    cells[c][len] = 0;
                }
                clen[c] = len;
                PQfreemem(un);
            }
            rc = store_result_add_row(res, nc, cells, clen);
        }
        const char *ch = PQcmdTuples(r);
        res->changes = ch && *ch ? strtoll(ch, NULL, 10) : 0;
    }
    PQclear(r);
    if (rc && res)
        store_result_free(res);
    return rc;
}

static void pg_close(struct store *s)
{
    PQfinish(s->db);
    free(s);
}

static const struct store_ops pg_ops = {pg_exec, pg_close};

int store_pg_open(const char *conninfo, struct store **out, char *err, size_t errlen)
{
    struct store *s = calloc(1, sizeof(*s));
    if (!s)
        return STORE_E_NOMEM;
    PGconn *c = PQconnectdb(conninfo);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "postgresql: %s", c ? PQerrorMessage(c) : "out of memory");
        PQfinish(c);
        free(s);
        return STORE_E_IO;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    s->kind = STORE_POSTGRES;
    s->ops = &pg_ops;
    s->db = c;
    *out = s;
    return STORE_OK;
}
