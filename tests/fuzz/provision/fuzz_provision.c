/*
 * Input: a provisioning record as read from flash (short inputs are padded
 * with 0xFF, erased flash). Asserts provision_record_check agrees with a
 * reference model: accepted iff magic, version, "UV" and 32 upper-case hex
 * digits, and zero pad and reserved bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provision_record.h"

static int model(const struct provision_record *r)
{
    if (r->magic != PROVISION_MAGIC || r->version != PROVISION_VERSION)
        return -1;
    if (memcmp(r->device_id, "UV", 2) != 0)
        return -1;
    for (int i = 2; i < (int)PROVISION_ID_LEN; i++)
        if (!strchr("0123456789ABCDEF", r->device_id[i]) || r->device_id[i] == '\0')
            return -1;
    static const uint8_t zeros[sizeof(r->reserved)];
    if (r->pad[0] || r->pad[1] || memcmp(r->reserved, zeros, sizeof(zeros)) != 0)
        return -1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct provision_record r;
    memset(&r, 0xFF, sizeof(r));
    memcpy(&r, data, size < sizeof(r) ? size : sizeof(r));
    if (provision_record_check(&r) != model(&r))
        abort();
    return 0;
}
