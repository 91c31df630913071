#include "provision.h"

#include <string.h>

#include "board.h"
#include "console.h"
#include "provision_record.h"

static struct provision_record record;
static int provisioned;

int provision_load(void)
{
    memcpy(&record, board_provisioning(), sizeof(record));
    provisioned = provision_record_check(&record) == 0;
    if (provisioned) {
        console_printf("[mv] device ");
        console_write_printable((const uint8_t *)record.device_id, PROVISION_ID_LEN);
        console_printf("\n");
    } else
        console_printf("[mv] device not provisioned\n");
    return provisioned ? 0 : -1;
}

int provision_device_id(char id[34])
{
    if (!provisioned)
        return -1;
    memcpy(id, record.device_id, PROVISION_ID_LEN);
    return 0;
}
