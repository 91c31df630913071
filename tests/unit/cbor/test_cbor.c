/* lib/cbor: RFC 8949 Appendix A vectors (the deterministic subset), every
 * rejection class, skip depth bound, and round-trip properties. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor.h"
#include "cbor_tokens.h"

static int failures;
#define CHECK(c)                                                        \
    do {                                                                \
        if (!(c)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
            failures++;                                                 \
        }                                                               \
    } while (0)

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* RFC 8949 Appendix A: integers encode as given */
static void test_int_vectors(void)
{
    static const struct { int64_t v; const char *hex; } iv[] = {
        {0, "00"}, {1, "01"}, {10, "0a"}, {23, "17"}, {24, "1818"}, {25, "1819"},
        {100, "1864"}, {1000, "1903e8"}, {1000000, "1a000f4240"},
        {1000000000000, "1b000000e8d4a51000"}, {-1, "20"}, {-10, "29"},
        {-100, "3863"}, {-1000, "3903e7"}, {INT64_MIN, "3b7fffffffffffffff"},
    };
    for (size_t k = 0; k < sizeof(iv) / sizeof(iv[0]); k++) {
        uint8_t want[16], buf[16];
        size_t wn = unhex(iv[k].hex, want), n;
        cbor_enc_t e;
        cbor_enc_init(&e, buf, sizeof(buf));
        cbor_put_int(&e, iv[k].v);
        CHECK(cbor_enc_finish(&e, &n) == 0 && n == wn && memcmp(buf, want, n) == 0);
        cbor_dec_t d;
        int64_t got;
        cbor_dec_init(&d, want, wn);
        CHECK(cbor_get_int(&d, &got) == 0 && got == iv[k].v && cbor_dec_at_end(&d));
    }
    uint8_t b[16];
    size_t n = unhex("1bffffffffffffffff", b);
    cbor_dec_t d;
    uint64_t u;
    int64_t i;
    cbor_dec_init(&d, b, n);
    CHECK(cbor_get_uint(&d, &u) == 0 && u == UINT64_MAX);
    cbor_dec_init(&d, b, n);
    CHECK(cbor_get_int(&d, &i) == CBOR_ERANGE);
    /* sticky: the same error again, even for a valid request */
    CHECK(cbor_get_uint(&d, &u) == CBOR_ERANGE);
}

static void test_structures(void)
{
    /* {"a": 1, "b": [2, 3]} and h'01020304', "IETF", true, null, tag 18 */
    uint8_t buf[64];
    cbor_enc_t e;
    size_t n;
    cbor_enc_init(&e, buf, sizeof(buf));
    cbor_put_map(&e, 2);
    cbor_put_tstr(&e, "a", 1);
    cbor_put_uint(&e, 1);
    cbor_put_tstr(&e, "b", 1);
    cbor_put_array(&e, 2);
    cbor_put_uint(&e, 2);
    cbor_put_uint(&e, 3);
    cbor_put_bstr(&e, "\x01\x02\x03\x04", 4);
    cbor_put_tstr(&e, "IETF", 4);
    cbor_put_bool(&e, true);
    cbor_put_null(&e);
    cbor_put_tag(&e, 18);
    cbor_put_bool(&e, false);
    CHECK(cbor_enc_finish(&e, &n) == 0);
    uint8_t want[64];
    size_t wn = unhex("a2616101616282020344010203046449455446f5f6d2f4", want);
    CHECK(n == wn && memcmp(buf, want, n) == 0);

    cbor_dec_t d;
    size_t c;
    const char *s;
    const uint8_t *p;
    uint64_t u;
    bool bv;
    cbor_dec_init(&d, buf, n);
    CHECK(cbor_get_map(&d, &c) == 0 && c == 2);
    CHECK(cbor_get_tstr(&d, &s, &c) == 0 && c == 1 && s[0] == 'a');
    CHECK(cbor_skip(&d) == 0);
    CHECK(cbor_get_tstr(&d, &s, &c) == 0 && s[0] == 'b');
    CHECK(cbor_skip(&d) == 0);
    CHECK(cbor_peek_type(&d) == CBOR_BSTR);
    CHECK(cbor_get_bstr(&d, &p, &c) == 0 && c == 4 && p[3] == 4);
    CHECK(cbor_get_uint(&d, &u) == CBOR_ETYPE); /* a text string is next */
    cbor_dec_init(&d, buf, n);
    CHECK(cbor_skip(&d) == 0 && cbor_skip(&d) == 0 && cbor_skip(&d) == 0);
    CHECK(cbor_get_bool(&d, &bv) == 0 && bv);
    CHECK(cbor_get_null(&d) == 0);
    CHECK(cbor_get_tag(&d, &u) == 0 && u == 18);
    CHECK(cbor_get_bool(&d, &bv) == 0 && !bv && cbor_dec_at_end(&d));

    /* encoder out of space is sticky */
    cbor_enc_init(&e, buf, 3);
    cbor_put_bstr(&e, "abcd", 4);
    cbor_put_uint(&e, 1);
    CHECK(cbor_enc_finish(&e, &n) == CBOR_ENOSPACE);
}

static void test_rejections(void)
{
    static const struct { const char *hex; int err; } bad[] = {
        {"1817", CBOR_ENONCANON},          /* 23 in two bytes */
        {"190017", CBOR_ENONCANON},
        {"1a0000ffff", CBOR_ENONCANON},
        {"1b00000000ffffffff", CBOR_ENONCANON},
        {"5800", CBOR_ENONCANON},          /* empty bstr, long head */
        {"5f4101ff", CBOR_EINDEFINITE},
        {"9f01ff", CBOR_EINDEFINITE},
        {"f93c00", CBOR_EUNSUPPORTED},     /* half float 1.0 */
        {"fb3ff199999999999a", CBOR_EUNSUPPORTED},
        {"f7", CBOR_EUNSUPPORTED},         /* undefined */
        {"f0", CBOR_EUNSUPPORTED},         /* simple(16) */
        {"f820", CBOR_EUNSUPPORTED},       /* simple(32) */
        {"1c", CBOR_EUNSUPPORTED},         /* reserved ai 28 */
        {"ff", CBOR_EUNSUPPORTED},         /* lone break */
        {"19", CBOR_ETRUNCATED},
        {"1b0000", CBOR_ETRUNCATED},
        {"4401", CBOR_ETRUNCATED},
        {"7b7fffffffffffffff", CBOR_ETRUNCATED}, /* huge string length */
        {"9bffffffffffffffff", CBOR_ETRUNCATED}, /* huge array count */
        {"bb7fffffffffffffff", CBOR_ETRUNCATED},
        {"8201", CBOR_ETRUNCATED},
        {"c1", CBOR_ETRUNCATED},
        {"", CBOR_ETRUNCATED},
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        uint8_t b[32];
        size_t n = unhex(bad[k].hex, b);
        cbor_dec_t d;
        cbor_dec_init(&d, b, n);
        int rc = cbor_skip(&d);
        if (rc != bad[k].err)
            fprintf(stderr, "  %s: got %d want %d\n", bad[k].hex, rc, bad[k].err);
        CHECK(rc == bad[k].err);
    }
    /* depth bound: 16 nested arrays skip, 17 do not */
    uint8_t deep[64];
    memset(deep, 0x81, sizeof(deep));
    for (size_t levels = CBOR_MAX_DEPTH; levels <= CBOR_MAX_DEPTH + 1; levels++) {
        deep[levels] = 0x00;
        cbor_dec_t d;
        cbor_dec_init(&d, deep, levels + 1);
        CHECK(cbor_skip(&d) == (levels == CBOR_MAX_DEPTH ? CBOR_OK : CBOR_EDEPTH));
        deep[levels] = 0x81;
    }
    /* tags nest through the same bound */
    memset(deep, 0xC1, sizeof(deep));
    cbor_dec_t d;
    cbor_dec_init(&d, deep, sizeof(deep));
    CHECK(cbor_skip(&d) == CBOR_EDEPTH);
    /* key order */
    CHECK(cbor_key_cmp((const uint8_t *)"\x01", 1, (const uint8_t *)"\x02", 1) < 0);
    CHECK(cbor_key_cmp((const uint8_t *)"\x17", 1, (const uint8_t *)"\x18\x18", 2) < 0);
    CHECK(cbor_key_cmp((const uint8_t *)"\x18\x18", 2, (const uint8_t *)"\x20", 1) < 0);
    CHECK(cbor_key_cmp((const uint8_t *)"\x61" "a", 2, (const uint8_t *)"\x61" "a", 2) == 0);
}

/* Property: random token streams encode, decode, and re-encode identically;
 * every strict prefix of a single item is rejected as truncated. */
static void test_round_trip(void)
{
    srand(1);
    for (int iter = 0; iter < 2000; iter++) {
        uint8_t buf[512], out[512];
        cbor_enc_t e;
        cbor_enc_init(&e, buf, sizeof(buf));
        int items = rand() % 8 + 1;
        for (int k = 0; k < items; k++) {
            uint64_t v = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 2) ^ (uint64_t)rand();
            v >>= rand() % 64;
            switch (rand() % 6) {
            case 0: cbor_put_uint(&e, v); break;
            case 1: cbor_put_int(&e, -(int64_t)(v >> 1) - 1); break;
            case 2: cbor_put_bstr(&e, "0123456789abcdef0123456789abcdef01234567", v % 40); break;
            case 3: cbor_put_tstr(&e, "keel keel keel", v % 15); break;
            case 4: cbor_put_bool(&e, v & 1); break;
            default: cbor_put_null(&e); break;
            }
        }
        size_t n, m;
        CHECK(cbor_enc_finish(&e, &n) == 0);
        cbor_enc_t r;
        cbor_enc_init(&r, out, sizeof(out));
        CHECK(cbor_tokens_reencode(buf, n, &r) == 0);
        CHECK(cbor_enc_finish(&r, &m) == 0 && m == n && memcmp(buf, out, n) == 0);
        cbor_dec_t d;
        cbor_dec_init(&d, buf, n);
        size_t skipped = 0;
        while (!cbor_dec_at_end(&d) && cbor_skip(&d) == 0)
            skipped++;
        CHECK((int)skipped == items && cbor_dec_at_end(&d));
    }
}

int main(void)
{
    test_int_vectors();
    test_structures();
    test_rejections();
    test_round_trip();
    if (failures) {
        fprintf(stderr, "test_cbor: %d failures\n", failures);
        return 1;
    }
    puts("test_cbor: ok");
    return 0;
}
