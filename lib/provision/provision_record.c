#include <string.h>

#include "provision_record.h"
#include "crc32.h"

int provision_record_check(const struct provision_record *rec)
{
    if (rec->magic != PROVISION_MAGIC || rec->version != PROVISION_VERSION)
        return -1;
    if (rec->device_id[0] != 'U' || rec->device_id[1] != 'V')
        return -1;
    if (rec->pad[0] | rec->pad[1])
        return -1;
    for (unsigned i = 0; i < sizeof(rec->reserved); i++)
        if (rec->reserved[i])
            return -1;
    for (unsigned i = 2; i < PROVISION_ID_LEN; i++) {
        char c = rec->device_id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
            return -1;
    }
    return 0;
}

static uint32_t get32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int provision_identity_seed(const uint8_t *page, uint32_t page_len, uint8_t seed[32])
{
    if (page_len < 48 || get32le(page) != PROVISION_IDENTITY_MAGIC)
        return -1;
    uint32_t cert_len = get32le(page + 4), crc = get32le(page + 8);
    if (cert_len > page_len - 48 || get32le(page + 12) != ~crc)
        return -1;
    if (crc32_ieee(page + 16, 32 + cert_len) != crc)
        return -1;
    memcpy(seed, page + 16, 32);
    return 0;
}

static uint16_t get16le(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void put16le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32le(uint8_t *p, uint32_t v)
{
    put16le(p, v);
    put16le(p + 2, v >> 16);
}

/* A DNS host name as RFC 1123 allows it: labels of letters, digits and
 * '-', not starting or ending with '-', 1..63 characters each. */
static int host_ok(const char *h, uint32_t len)
{
    uint32_t label = 0;
    if (len == 0 || len > PROVISION_HOST_MAX || h[len - 1] == '.')
        return 0;
    for (uint32_t i = 0; i < len; i++) {
        char c = h[i];
        if (c == '.') {
            if (label == 0 || h[i - 1] == '-')
                return 0;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   (c == '-' && label > 0)) {
            label++;
        } else {
            return 0;
        }
    }
    return h[len - 1] != '-';
}

int provision_cloud_parse(const uint8_t *page, uint32_t page_len, struct provision_cloud *out)
{
    memset(out, 0, sizeof(*out));
    if (page_len < PROVISION_CLOUD_HDR || get32le(page) != PROVISION_CLOUD_MAGIC)
        return -1;
    uint32_t crc = get32le(page + 4);
    uint16_t port = get16le(page + 14), host_len = get16le(page + 20),
             anchor_len = get16le(page + 22);
    if (get32le(page + 8) != ~crc || get16le(page + 12) != PROVISION_CLOUD_VERSION ||
        port == 0 || anchor_len == 0 || anchor_len > PROVISION_ANCHOR_MAX ||
        anchor_len > page_len - PROVISION_CLOUD_HDR ||
        crc32_ieee(page + 12, PROVISION_CLOUD_HDR - 12u + anchor_len) != crc)
        return -1;
    const char *host = (const char *)(page + 24);
    if (!host_ok(host, host_len))
        return -1;
    for (uint32_t i = host_len; i < 64; i++)
        if (host[i])
            return -1;
    memcpy(out->host, host, host_len);
    out->addr = get32le(page + 16);
    out->port = port;
    out->anchor_len = anchor_len;
    out->anchor = page + PROVISION_CLOUD_HDR;
    return 0;
}

int provision_cloud_build(uint8_t *buf, uint32_t cap, const char *host, uint32_t addr,
                          uint16_t port, const uint8_t *anchor, uint32_t anchor_len)
{
    uint32_t host_len = (uint32_t)strnlen(host, PROVISION_HOST_MAX + 1);
    if (!host_ok(host, host_len) || port == 0 || anchor_len == 0 ||
        anchor_len > PROVISION_ANCHOR_MAX || cap < PROVISION_CLOUD_HDR + anchor_len)
        return -1;
    memset(buf, 0, PROVISION_CLOUD_HDR);
    put32le(buf, PROVISION_CLOUD_MAGIC);
    put16le(buf + 12, PROVISION_CLOUD_VERSION);
    put16le(buf + 14, port);
    put32le(buf + 16, addr);
    put16le(buf + 20, host_len);
    put16le(buf + 22, anchor_len);
    memcpy(buf + 24, host, host_len);
    memmove(buf + PROVISION_CLOUD_HDR, anchor, anchor_len);
    uint32_t crc = crc32_ieee(buf + 12, PROVISION_CLOUD_HDR - 12u + anchor_len);
    put32le(buf + 4, crc);
    put32le(buf + 8, ~crc);
    return (int)(PROVISION_CLOUD_HDR + anchor_len);
}
