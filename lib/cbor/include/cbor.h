/*
 * cbor.h: deterministic CBOR (RFC 8949 section 4.2.1) for Keel's signed
 * formats (lib/cbor): an encoder into a caller buffer and a bounded,
 * cursor-based decoder. No allocation, no recursion.
 *
 * Subset: unsigned and negative integers (64-bit), byte and text strings,
 * arrays, maps, tags, false/true/null. Floats, undefined, other simple
 * values and indefinite lengths are not part of Keel's formats: the
 * decoder rejects them (CBOR_EUNSUPPORTED / CBOR_EINDEFINITE).
 *
 * Determinism: the decoder rejects every integer, length or tag not in its
 * shortest form (CBOR_ENONCANON). Map key order cannot be checked by a
 * one-item cursor; callers check it with cbor_key_cmp() on the raw key
 * spans, and the encoder's callers emit keys in that order.
 *
 * Errors are sticky: after the first failure every call fails with the same
 * code, so a caller may check once at the end (cbor_enc_finish,
 * cbor_dec_error). Text strings are not checked for UTF-8 validity here.
 *
 * Ownership: the encoder writes only buf[0..cap); the decoder reads only
 * buf[0..len) and hands out pointers into it (zero copy), valid while the
 * caller keeps buf.
 */
#ifndef KEEL_CBOR_H
#define KEEL_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CBOR_OK 0
#define CBOR_ETRUNCATED (-1)   /* input ends inside an item */
#define CBOR_ETYPE (-2)        /* the next item is of another type */
#define CBOR_ENONCANON (-3)    /* not the shortest encoding */
#define CBOR_EINDEFINITE (-4)  /* indefinite length */
#define CBOR_EUNSUPPORTED (-5) /* float, simple value, reserved encoding */
#define CBOR_ERANGE (-6)       /* value does not fit the requested type */
#define CBOR_EDEPTH (-7)       /* nesting deeper than CBOR_MAX_DEPTH */
#define CBOR_ENOSPACE (-8)     /* encoder: buffer full */

#ifndef CBOR_MAX_DEPTH
#define CBOR_MAX_DEPTH 16
#endif

enum cbor_type {
    CBOR_UINT = 0,
    CBOR_NINT = 1,
    CBOR_BSTR = 2,
    CBOR_TSTR = 3,
    CBOR_ARRAY = 4,
    CBOR_MAP = 5,
    CBOR_TAG = 6,
    CBOR_SIMPLE = 7,
};

/* ---- Encoder --------------------------------------------------------------- */

typedef struct {
    uint8_t *buf;
    size_t cap, len;
    int err;
} cbor_enc_t;

void cbor_enc_init(cbor_enc_t *e, uint8_t *buf, size_t cap);
void cbor_put_uint(cbor_enc_t *e, uint64_t v);
void cbor_put_int(cbor_enc_t *e, int64_t v);
void cbor_put_bstr(cbor_enc_t *e, const void *p, size_t n);
void cbor_put_tstr(cbor_enc_t *e, const char *s, size_t n);
/* Header of a byte string whose n bytes the caller appends with
 * cbor_put_raw (for nested encodings, as COSE's bstr .cbor). */
void cbor_put_bstr_head(cbor_enc_t *e, size_t n);
void cbor_put_raw(cbor_enc_t *e, const void *p, size_t n);
void cbor_put_array(cbor_enc_t *e, size_t n);
void cbor_put_map(cbor_enc_t *e, size_t pairs);
void cbor_put_tag(cbor_enc_t *e, uint64_t tag);
void cbor_put_bool(cbor_enc_t *e, bool v);
void cbor_put_null(cbor_enc_t *e);
/* CBOR_OK with *len the bytes written, or the first error. */
int cbor_enc_finish(const cbor_enc_t *e, size_t *len);
/* Bytes the head of an item with argument v takes (1, 2, 3, 5 or 9). */
size_t cbor_head_size(uint64_t v);

/* ---- Decoder --------------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t n;   /* bytes remaining */
    int err;
} cbor_dec_t;

void cbor_dec_init(cbor_dec_t *d, const uint8_t *buf, size_t len);
int cbor_dec_error(const cbor_dec_t *d);
bool cbor_dec_at_end(const cbor_dec_t *d);
/* Major type of the next item (enum cbor_type) without consuming it, or a
 * negative error. */
int cbor_peek_type(cbor_dec_t *d);
int cbor_get_uint(cbor_dec_t *d, uint64_t *v);
/* Major type 0 or 1 into int64 (CBOR_ERANGE outside it). */
int cbor_get_int(cbor_dec_t *d, int64_t *v);
int cbor_get_bstr(cbor_dec_t *d, const uint8_t **p, size_t *n);
int cbor_get_tstr(cbor_dec_t *d, const char **s, size_t *n);
int cbor_get_array(cbor_dec_t *d, size_t *n);
int cbor_get_map(cbor_dec_t *d, size_t *pairs);
int cbor_get_tag(cbor_dec_t *d, uint64_t *tag);
int cbor_get_bool(cbor_dec_t *d, bool *v);
int cbor_get_null(cbor_dec_t *d);
/* Skips one whole item (with everything nested in it), iteratively, at most
 * CBOR_MAX_DEPTH levels deep. Applies the same canonical-form checks. */
int cbor_skip(cbor_dec_t *d);
/* Deterministic key order of two encoded keys (RFC 8949 4.2.1: bytewise
 * lexicographic on the encodings): <0, 0 or >0. */
int cbor_key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn);

#endif /* KEEL_CBOR_H */
