#include "provision_record.h"

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
