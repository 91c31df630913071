#include "provision.h"

#include <string.h>

#include "board.h"
#include "console.h"
#include "crypto.h"
#include "provision_record.h"

static struct provision_record record;
static int provisioned;

/* The id must name the key: "UV" + hex of the first 16 bytes of its
 * SHA-256 (DESIGN.md). */
static int provision_id_matches_key(const struct provision_record *rec)
{
    uint8_t hash[32];
    char id[PROVISION_ID_LEN];
    crypto_sha256(hash, rec->public_key, sizeof(rec->public_key));
    id[0] = 'U';
    id[1] = 'V';
    for (unsigned i = 0; i < 16; i++) {
        id[2 + 2 * i] = "0123456789ABCDEF"[hash[i] >> 4];
        id[3 + 2 * i] = "0123456789ABCDEF"[hash[i] & 15];
    }
    return memcmp(id, rec->device_id, sizeof(id)) == 0;
}

int provision_load(void)
{
    memcpy(&record, board_provisioning(), sizeof(record));
    provisioned = provision_record_check(&record) == 0 && provision_id_matches_key(&record);
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
