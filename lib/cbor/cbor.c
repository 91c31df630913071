/*
 * IMPLEMENTATION NOTES
 * Every item starts with a head: major type (3 bits), additional info (5
 * bits) and 0/1/2/4/8 argument bytes. read_head() is the only place that
 * parses a head; it checks the argument bytes are present and that the
 * argument is in its shortest form, so every getter inherits both checks.
 * Lengths are compared with the remaining byte count before any pointer is
 * formed (d->n never underflows). cbor_skip() keeps an explicit stack of
 * "items still to skip" counts instead of recursing.
 */
#include "cbor.h"

#include <string.h>

/* ---- Encoder --------------------------------------------------------------- */

void cbor_enc_init(cbor_enc_t *e, uint8_t *buf, size_t cap)
{
    e->buf = buf;
    e->cap = cap;
    e->len = 0;
    e->err = CBOR_OK;
}

void cbor_put_raw(cbor_enc_t *e, const void *p, size_t n)
{
    if (e->err)
        return;
    if (n > e->cap - e->len) {
        e->err = CBOR_ENOSPACE;
        return;
    }
    if (n)
        memcpy(e->buf + e->len, p, n);
    e->len += n;
}

size_t cbor_head_size(uint64_t v)
{
    if (v < 24)
        return 1;
    if (v <= 0xFF)
        return 2;
    if (v <= 0xFFFF)
        return 3;
    if (v <= 0xFFFFFFFFu)
        return 5;
    return 9;
}

static void put_head(cbor_enc_t *e, unsigned major, uint64_t v)
{
    uint8_t h[9];
    size_t n = cbor_head_size(v);
    static const uint8_t ai[10] = {0, 0, 24, 25, 0, 26, 0, 0, 0, 27};
    h[0] = (uint8_t)(major << 5) | (uint8_t)(n == 1 ? v : ai[n]);
    for (size_t i = 1; i < n; i++)
        h[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    cbor_put_raw(e, h, n);
}

void cbor_put_uint(cbor_enc_t *e, uint64_t v)
{
    put_head(e, CBOR_UINT, v);
}

void cbor_put_int(cbor_enc_t *e, int64_t v)
{
    if (v >= 0)
        put_head(e, CBOR_UINT, (uint64_t)v);
    else
        put_head(e, CBOR_NINT, (uint64_t)(-(v + 1)));
}

void cbor_put_bstr_head(cbor_enc_t *e, size_t n)
{
    put_head(e, CBOR_BSTR, n);
}

void cbor_put_bstr(cbor_enc_t *e, const void *p, size_t n)
{
    put_head(e, CBOR_BSTR, n);
    cbor_put_raw(e, p, n);
}

void cbor_put_tstr(cbor_enc_t *e, const char *s, size_t n)
{
    put_head(e, CBOR_TSTR, n);
    cbor_put_raw(e, s, n);
}

void cbor_put_array(cbor_enc_t *e, size_t n)
{
    put_head(e, CBOR_ARRAY, n);
}

void cbor_put_map(cbor_enc_t *e, size_t pairs)
{
    put_head(e, CBOR_MAP, pairs);
}

void cbor_put_tag(cbor_enc_t *e, uint64_t tag)
{
    put_head(e, CBOR_TAG, tag);
}

void cbor_put_bool(cbor_enc_t *e, bool v)
{
    put_head(e, CBOR_SIMPLE, v ? 21 : 20);
}

void cbor_put_null(cbor_enc_t *e)
{
    put_head(e, CBOR_SIMPLE, 22);
}

int cbor_enc_finish(const cbor_enc_t *e, size_t *len)
{
    if (e->err)
        return e->err;
    *len = e->len;
    return CBOR_OK;
}

/* ---- Decoder --------------------------------------------------------------- */

void cbor_dec_init(cbor_dec_t *d, const uint8_t *buf, size_t len)
{
    d->p = buf;
    d->n = len;
    d->err = CBOR_OK;
}

int cbor_dec_error(const cbor_dec_t *d)
{
    return d->err;
}

bool cbor_dec_at_end(const cbor_dec_t *d)
{
    return d->err == CBOR_OK && d->n == 0;
}

static int fail(cbor_dec_t *d, int err)
{
    if (!d->err)
        d->err = err;
    return d->err;
}

/* Parses the head at the cursor without consuming it: major type, argument
 * and head size. Simple values keep their additional info as argument. */
static int read_head(cbor_dec_t *d, unsigned *major, uint64_t *arg, size_t *hlen)
{
    if (d->err)
        return d->err;
    if (d->n < 1)
        return fail(d, CBOR_ETRUNCATED);
    unsigned ib = d->p[0], ai = ib & 0x1F;
    *major = ib >> 5;
    if (ai < 24) {
        *arg = ai;
        *hlen = 1;
    } else if (ai <= 27) {
        size_t k = (size_t)1 << (ai - 24);
        if (d->n - 1 < k)
            return fail(d, CBOR_ETRUNCATED);
        uint64_t v = 0;
        for (size_t i = 0; i < k; i++)
            v = (v << 8) | d->p[1 + i];
        if (*major == CBOR_SIMPLE)
            return fail(d, CBOR_EUNSUPPORTED); /* floats, 1-byte simple values */
        if (cbor_head_size(v) != 1 + k)
            return fail(d, CBOR_ENONCANON);
        *arg = v;
        *hlen = 1 + k;
    } else if (ai == 31) {
        return fail(d, *major == CBOR_SIMPLE ? CBOR_EUNSUPPORTED : CBOR_EINDEFINITE);
    } else {
        return fail(d, CBOR_EUNSUPPORTED); /* 28..30 reserved */
    }
    if (*major == CBOR_SIMPLE && (*arg < 20 || *arg > 22))
        return fail(d, CBOR_EUNSUPPORTED);
    return CBOR_OK;
}

static void consume(cbor_dec_t *d, size_t k)
{
    d->p += k;
    d->n -= k;
}

int cbor_peek_type(cbor_dec_t *d)
{
    unsigned major;
    uint64_t arg;
    size_t h;
    int rc = read_head(d, &major, &arg, &h);
    return rc ? rc : (int)major;
}

/* Consumes a head of the expected major type and returns its argument. */
static int get_head(cbor_dec_t *d, unsigned want, uint64_t *arg)
{
    unsigned major;
    size_t h;
    int rc = read_head(d, &major, arg, &h);
    if (rc)
        return rc;
    if (major != want)
        return fail(d, CBOR_ETYPE);
    consume(d, h);
    return CBOR_OK;
}

int cbor_get_uint(cbor_dec_t *d, uint64_t *v)
{
    return get_head(d, CBOR_UINT, v);
}

int cbor_get_int(cbor_dec_t *d, int64_t *v)
{
    unsigned major;
    uint64_t arg;
    size_t h;
    int rc = read_head(d, &major, &arg, &h);
    if (rc)
        return rc;
    if (major != CBOR_UINT && major != CBOR_NINT)
        return fail(d, CBOR_ETYPE);
    if (arg > (uint64_t)INT64_MAX)
        return fail(d, CBOR_ERANGE);
    consume(d, h);
    *v = major == CBOR_UINT ? (int64_t)arg : -1 - (int64_t)arg;
    return CBOR_OK;
}

static int get_string(cbor_dec_t *d, unsigned major, const uint8_t **p, size_t *n)
{
    uint64_t len;
    unsigned m;
    size_t h;
    int rc = read_head(d, &m, &len, &h);
    if (rc)
        return rc;
    if (m != major)
        return fail(d, CBOR_ETYPE);
    if (len > d->n - h)
        return fail(d, CBOR_ETRUNCATED);
    consume(d, h);
    *p = d->p;
    *n = (size_t)len;
    consume(d, (size_t)len);
    return CBOR_OK;
}

int cbor_get_bstr(cbor_dec_t *d, const uint8_t **p, size_t *n)
{
    return get_string(d, CBOR_BSTR, p, n);
}

int cbor_get_tstr(cbor_dec_t *d, const char **s, size_t *n)
{
    const uint8_t *p;
    int rc = get_string(d, CBOR_TSTR, &p, n);
    if (rc == CBOR_OK)
        *s = (const char *)p;
    return rc;
}

/* Arrays and maps: a count larger than the remaining bytes could ever hold
 * (every item takes at least one byte) is truncated input. */
static int get_count(cbor_dec_t *d, unsigned major, size_t *n, unsigned per_item)
{
    uint64_t c;
    int rc = get_head(d, major, &c);
    if (rc)
        return rc;
    if (c > d->n / per_item)
        return fail(d, CBOR_ETRUNCATED);
    *n = (size_t)c;
    return CBOR_OK;
}

int cbor_get_array(cbor_dec_t *d, size_t *n)
{
    return get_count(d, CBOR_ARRAY, n, 1);
}

int cbor_get_map(cbor_dec_t *d, size_t *pairs)
{
    return get_count(d, CBOR_MAP, pairs, 2);
}

int cbor_get_tag(cbor_dec_t *d, uint64_t *tag)
{
    return get_head(d, CBOR_TAG, tag);
}

int cbor_get_bool(cbor_dec_t *d, bool *v)
{
    uint64_t a;
    unsigned m;
    size_t h;
    int rc = read_head(d, &m, &a, &h);
    if (rc)
        return rc;
    if (m != CBOR_SIMPLE || a == 22)
        return fail(d, CBOR_ETYPE);
    consume(d, h);
    *v = a == 21;
    return CBOR_OK;
}

int cbor_get_null(cbor_dec_t *d)
{
    uint64_t a;
    unsigned m;
    size_t h;
    int rc = read_head(d, &m, &a, &h);
    if (rc)
        return rc;
    if (m != CBOR_SIMPLE || a != 22)
        return fail(d, CBOR_ETYPE);
    consume(d, h);
    return CBOR_OK;
}

int cbor_skip(cbor_dec_t *d)
{
    uint64_t todo[CBOR_MAX_DEPTH];
    size_t depth = 0;
    uint64_t pending = 1; /* items left at the current level */
    for (;;) {
        while (pending == 0) {
            if (depth == 0)
                return CBOR_OK;
            pending = todo[--depth];
        }
        pending--;
        unsigned major;
        uint64_t arg;
        size_t h;
        int rc = read_head(d, &major, &arg, &h);
        if (rc)
            return rc;
        if (major == CBOR_BSTR || major == CBOR_TSTR) {
            if (arg > d->n - h)
                return fail(d, CBOR_ETRUNCATED);
            consume(d, h + (size_t)arg);
            continue;
        }
        consume(d, h);
        if (major == CBOR_ARRAY || major == CBOR_MAP || major == CBOR_TAG) {
            uint64_t items = arg;
            if (major == CBOR_TAG)
                items = 1;
            else if (major == CBOR_MAP && arg > (UINT64_MAX >> 1))
                return fail(d, CBOR_ETRUNCATED);
            else if (major == CBOR_MAP)
                items = arg * 2;
            if (items > d->n)
                return fail(d, CBOR_ETRUNCATED);
            if (items == 0)
                continue;
            if (depth == CBOR_MAX_DEPTH)
                return fail(d, CBOR_EDEPTH);
            todo[depth++] = pending;
            pending = items;
        }
    }
}

int cbor_key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return an < bn ? -1 : an > bn ? 1 : 0;
}
