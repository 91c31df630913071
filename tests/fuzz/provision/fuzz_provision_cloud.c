/*
 * Input: a cloud page as read from flash. Whatever provision_cloud_parse
 * accepts must be exactly what provision_cloud_build makes from the fields
 * it returned (so the parser accepts one encoding of each page and never
 * reads past the given length), and the host name must be a short
 * NUL-terminated string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provision_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t again[PROVISION_CLOUD_HDR + PROVISION_ANCHOR_MAX];
    struct provision_cloud c;
    if (size > 8192)
        return 0;
    if (provision_cloud_parse(data, (uint32_t)size, &c) != 0)
        return 0;
    if (strnlen(c.host, sizeof(c.host)) >= sizeof(c.host) ||
        c.anchor != data + PROVISION_CLOUD_HDR ||
        PROVISION_CLOUD_HDR + (size_t)c.anchor_len > size)
        abort();
    int len = provision_cloud_build(again, sizeof(again), c.host, c.addr, c.port, c.anchor,
                                    c.anchor_len);
    if (len != (int)(PROVISION_CLOUD_HDR + c.anchor_len) || memcmp(again, data, (size_t)len))
        abort();
    return 0;
}
