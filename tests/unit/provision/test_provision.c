/*
 * provision_record_check: a well-formed record passes; every field it
 * checks (magic, version, "UV" prefix, 32 upper-case hex digits) is broken
 * one at a time, at every position and at the edges of each character
 * class ('0' '9' 'A' 'F' pass; '/' ':' '@' 'G' 'a' 'f' NUL fail).
 */
#include <stdint.h>

#include "keel_test.h"
#include "provision_record.h"

static struct provision_record good(void)
{
    struct provision_record r;
    memset(&r, 0, sizeof(r));
    r.magic = PROVISION_MAGIC;
    r.version = PROVISION_VERSION;
    memcpy(r.device_id, "UV0123456789ABCDEF0123456789ABCDEF", PROVISION_ID_LEN);
    for (int i = 0; i < 32; i++)
        r.public_key[i] = (uint8_t)(0xA0 + i);
    return r;
}

static void test_good(void)
{
    struct provision_record r = good();
    CHECK_EQ(provision_record_check(&r), 0);
    memcpy(r.device_id, "UV00000000000000000000000000000000", PROVISION_ID_LEN);
    CHECK_EQ(provision_record_check(&r), 0);
    memcpy(r.device_id, "UVFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", PROVISION_ID_LEN);
    CHECK_EQ(provision_record_check(&r), 0);
    memcpy(r.device_id, "UV99999999999999999999999999999999", PROVISION_ID_LEN);
    CHECK_EQ(provision_record_check(&r), 0);
    memcpy(r.device_id, "UVAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", PROVISION_ID_LEN);
    CHECK_EQ(provision_record_check(&r), 0);
}

static void test_header(void)
{
    struct provision_record r = good();
    r.magic = 0xFFFFFFFFu; /* erased flash */
    CHECK_EQ(provision_record_check(&r), -1);
    r = good(); r.magic = 0x50524F56u; /* "PROV" byte-swapped */
    CHECK_EQ(provision_record_check(&r), -1);
    r = good(); r.version = 0;
    CHECK_EQ(provision_record_check(&r), -1);
    r = good(); r.version = 2;
    CHECK_EQ(provision_record_check(&r), -1);
    r = good(); r.version = 0xFFFFFFFFu;
    CHECK_EQ(provision_record_check(&r), -1);

    struct provision_record erased;
    memset(&erased, 0xFF, sizeof(erased));
    CHECK_EQ(provision_record_check(&erased), -1);
    memset(&erased, 0, sizeof(erased));
    CHECK_EQ(provision_record_check(&erased), -1);
}

static void test_prefix(void)
{
    const char *bad[] = { "uv", "Uv", "uV", "VU", "U0", "0V", "UU", "VV" };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct provision_record r = good();
        r.device_id[0] = bad[i][0];
        r.device_id[1] = bad[i][1];
        CHECK_EQ(provision_record_check(&r), -1);
    }
}

static void test_every_digit_position(void)
{
    const char bad[] = { '/', ':', '@', 'G', 'a', 'f', 'g', 'x', ' ', '\0', '\x80', '\xff', '-' };
    const char ok[] = { '0', '9', 'A', 'F', '5', 'C' };
    for (unsigned pos = 2; pos < PROVISION_ID_LEN; pos++) {
        for (unsigned i = 0; i < sizeof(bad); i++) {
            struct provision_record r = good();
            r.device_id[pos] = bad[i];
            CHECK_EQ(provision_record_check(&r), -1);
        }
        for (unsigned i = 0; i < sizeof(ok); i++) {
            struct provision_record r = good();
            r.device_id[pos] = ok[i];
            CHECK_EQ(provision_record_check(&r), 0);
        }
    }
}

/* Exhaustive over one position: exactly 16 byte values are digits. */
static void test_character_classes(void)
{
    int accepted = 0;
    for (int c = 0; c < 256; c++) {
        struct provision_record r = good();
        r.device_id[17] = (char)c;
        if (provision_record_check(&r) == 0) {
            accepted++;
            CHECK((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'));
        }
    }
    CHECK_EQ(accepted, 16);
}

/* The public key is not interpreted (its hash binding to the id is
 * checked where keys are used); the pad and reserved bytes must be zero. */
static void test_unchecked_fields(void)
{
    struct provision_record r = good();
    memset(r.public_key, 0, sizeof(r.public_key));
    CHECK_EQ(provision_record_check(&r), 0);
    r = good();
    r.pad[0] = 1;
    CHECK_EQ(provision_record_check(&r), -1);
    r = good();
    r.pad[1] = 0x80;
    CHECK_EQ(provision_record_check(&r), -1);
    r = good();
    r.reserved[51] = 1;
    CHECK_EQ(provision_record_check(&r), -1);
    r = good();
    r.reserved[0] = 1;
    CHECK_EQ(provision_record_check(&r), -1);
}

static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static void put32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The identity page as keel provision writes it (cli/keel_provision.c):
 * the seed comes back only from an intact page. */
static void test_identity_seed(void)
{
    static uint8_t page[8192];
    uint8_t seed[32], out[32];
    CHECK_EQ(crc32_ref((const uint8_t *)"123456789", 9), 0xCBF43926u);
    memset(page, 0xFF, sizeof(page));
    CHECK_EQ(provision_identity_seed(page, sizeof(page), out), -1); /* erased */
    for (unsigned i = 0; i < 32; i++)
        seed[i] = (uint8_t)(i * 5 + 3);
    memcpy(page + 16, seed, 32);
    memset(page + 48, 0x30, 300); /* a "certificate" */
    uint32_t crc = crc32_ref(page + 16, 332);
    put32le(page, PROVISION_IDENTITY_MAGIC);
    put32le(page + 4, 300);
    put32le(page + 8, crc);
    put32le(page + 12, ~crc);
    memset(out, 0, sizeof(out));
    CHECK_EQ(provision_identity_seed(page, sizeof(page), out), 0);
    CHECK_EQ(memcmp(out, seed, 32), 0);
    page[20] ^= 1; /* a flipped seed bit */
    CHECK_EQ(provision_identity_seed(page, sizeof(page), out), -1);
    page[20] ^= 1;
    put32le(page + 4, 8192); /* a length past the page */
    CHECK_EQ(provision_identity_seed(page, sizeof(page), out), -1);
    put32le(page + 4, 300);
    put32le(page + 12, crc); /* the complement does not match */
    CHECK_EQ(provision_identity_seed(page, sizeof(page), out), -1);
    CHECK_EQ(provision_identity_seed(page, 40, out), -1);
}

/* The cloud page: built and parsed back; every header field, the CRC, the
 * host-name syntax and the padding broken one at a time. */
static void test_cloud_page(void)
{
    static uint8_t page[8192], anchor[300];
    struct provision_cloud c;
    for (unsigned i = 0; i < sizeof(anchor); i++)
        anchor[i] = (uint8_t)(i * 7 + 1);
    memset(page, 0xFF, sizeof(page));
    CHECK_EQ(provision_cloud_parse(page, sizeof(page), &c), -1); /* erased */
    int len = provision_cloud_build(page, sizeof(page), "broker.example-1.net", 0x0A000264u,
                                    8883, anchor, sizeof(anchor));
    CHECK_EQ(len, (int)(PROVISION_CLOUD_HDR + sizeof(anchor)));
    CHECK_EQ(provision_cloud_parse(page, sizeof(page), &c), 0);
    CHECK(strcmp(c.host, "broker.example-1.net") == 0);
    CHECK_EQ(c.addr, 0x0A000264u);
    CHECK_EQ(c.port, 8883);
    CHECK_EQ(c.anchor_len, sizeof(anchor));
    CHECK(c.anchor == page + PROVISION_CLOUD_HDR);
    CHECK_EQ(provision_cloud_parse(page, (uint32_t)len - 1, &c), -1); /* anchor cut */
    CHECK(c.anchor == NULL && c.port == 0);
    for (int off = 0; off < len; off++) { /* any flipped bit is seen */
        page[off] ^= 0x10;
        CHECK_EQ(provision_cloud_parse(page, sizeof(page), &c), -1);
        page[off] ^= 0x10;
    }
    CHECK_EQ(provision_cloud_parse(page, sizeof(page), &c), 0);

    const char *bad[] = { "", "-a", "a-", "a..b", ".a", "a.", "a_b", "a b", "a.-b", "a-.b",
                          "0123456789012345678901234567890123456789012345678901234567890123" };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ(provision_cloud_build(page, sizeof(page), bad[i], 0, 1, anchor, 10), -1);
    CHECK(provision_cloud_build(page, sizeof(page), "localhost", 0, 1, anchor, 10) > 0);
    CHECK(provision_cloud_build(page, sizeof(page), "a-b.c9", 0, 1, anchor, 10) > 0);
    CHECK_EQ(provision_cloud_build(page, sizeof(page), "h", 0, 0, anchor, 10), -1); /* port 0 */
    CHECK_EQ(provision_cloud_build(page, sizeof(page), "h", 0, 1, anchor, 0), -1);
    CHECK_EQ(provision_cloud_build(page, sizeof(page), "h", 0, 1, page, PROVISION_ANCHOR_MAX + 1), -1);
    CHECK_EQ(provision_cloud_build(page, PROVISION_CLOUD_HDR + 9, "h", 0, 1, anchor, 10), -1);
    CHECK_EQ(provision_cloud_build(page, PROVISION_CLOUD_HDR + 10, "h", 0, 1, anchor, 10),
             (int)PROVISION_CLOUD_HDR + 10);
    CHECK_EQ(provision_cloud_parse(page, sizeof(page), &c), 0);
    CHECK(strcmp(c.host, "h") == 0 && c.addr == 0);
}

int main(void)
{
    test_cloud_page();
    test_identity_seed();
    test_good();
    test_header();
    test_prefix();
    test_every_digit_position();
    test_character_classes();
    test_unchecked_fields();
    return keel_test_done("test_provision");
}
