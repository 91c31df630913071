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
