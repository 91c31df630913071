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

/* The provisioning area's pages (docs/flash-layout.md). */
#define PROVISION_PAGE 8192u

static const uint8_t *provision_page(unsigned n)
{
    return (const uint8_t *)board_provisioning() + n * PROVISION_PAGE;
}

int provision_tls_identity(uint8_t key[64], const uint8_t **cert, size_t *cert_len)
{
    const uint8_t *page = provision_page(3);
    if (!provisioned || provision_identity_seed(page, PROVISION_PAGE, key) != 0)
        return -1;
    memcpy(key + 32, record.public_key, 32);
    /* the length was checked against the page by provision_identity_seed */
    *cert_len = (size_t)page[4] | (size_t)page[5] << 8 | (size_t)page[6] << 16 |
                (size_t)page[7] << 24;
    *cert = page + 48;
    return 0;
}

int provision_cloud_config(struct provision_cloud *c)
{
    if (!provisioned)
        return -1;
    return provision_cloud_parse(provision_page(4), PROVISION_PAGE, c);
}
