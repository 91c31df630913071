/*
 * IMPLEMENTATION NOTES
 * A snapshot is one program operation:
 *   +0    head, 32 bytes: "KTRS", epoch, n_keys, rotation_seq[1..2], 0, 0, 0
 *   +32   n_keys key records, 64 bytes each:
 *         scopes, kid_len, 0, 0, 0, kid[16], public_key[32], 0 x 8
 *   +end  tail, 16 bytes: "KEND", CRC-32 of everything before, ~CRC, 0
 * A torn program fails the CRC, so a page is either a whole snapshot or
 * not one. Epochs only grow; the new snapshot goes to the page that is not
 * current, after erasing it.
 */
#include <string.h>

#include "update.h"
#include "crc32.h"

#define TRS_MAGIC 0x5352544Bu /* "KTRS" */
#define END_MAGIC 0x444E454Bu /* "KEND" */
#define HEAD 32u
#define KEYREC 64u
#define TAIL 16u
#define SNAP_MAX (HEAD + MANIFEST_MAX_KEYS * KEYREC + TAIL)

static void w32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t r32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t encode(const struct manifest_trust *t, uint32_t epoch, uint8_t *b)
{
    size_t n = HEAD + t->n_keys * KEYREC + TAIL;
    memset(b, 0, n);
    w32(b, TRS_MAGIC);
    w32(b + 4, epoch);
    w32(b + 8, t->n_keys);
    w32(b + 12, t->rotation_seq[1]);
    w32(b + 16, t->rotation_seq[2]);
    for (uint32_t i = 0; i < t->n_keys; i++) {
        uint8_t *k = b + HEAD + i * KEYREC;
        w32(k, t->keys[i].scopes);
        k[4] = t->keys[i].kid_len;
        memcpy(k + 8, t->keys[i].kid, MANIFEST_KID_MAX);
        memcpy(k + 24, t->keys[i].public_key, 32);
    }
    uint8_t *e = b + n - TAIL;
    uint32_t crc = crc32_ieee(b, n - TAIL);
    w32(e, END_MAGIC);
    w32(e + 4, crc);
    w32(e + 8, ~crc);
    return n;
}

/* Reads the snapshot in one page: its epoch, or 0 if it is not valid. */
static int decode(const flash_t *f, uint32_t page, struct manifest_trust *t, uint32_t *epoch)
{
    uint8_t b[SNAP_MAX];
    *epoch = 0;
    int rc = flash_read(f, page, b, HEAD);
    if (rc)
        return UPDATE_E_FLASH;
    uint32_t n = r32(b + 8);
    if (r32(b) != TRS_MAGIC || n == 0 || n > MANIFEST_MAX_KEYS)
        return UPDATE_OK;
    size_t len = HEAD + n * KEYREC + TAIL;
    if ((rc = flash_read(f, page + HEAD, b + HEAD, len - HEAD)))
        return UPDATE_E_FLASH;
    uint8_t *e = b + len - TAIL;
    uint32_t crc = crc32_ieee(b, len - TAIL);
    if (r32(e) != END_MAGIC || r32(e + 4) != crc || r32(e + 8) != ~crc)
        return UPDATE_OK;
    memset(t, 0, sizeof(*t));
    t->n_keys = n;
    t->rotation_seq[1] = r32(b + 12);
    t->rotation_seq[2] = r32(b + 16);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *k = b + HEAD + i * KEYREC;
        t->keys[i].scopes = r32(k);
        t->keys[i].kid_len = k[4] <= MANIFEST_KID_MAX ? k[4] : MANIFEST_KID_MAX;
        memcpy(t->keys[i].kid, k + 8, MANIFEST_KID_MAX);
        memcpy(t->keys[i].public_key, k + 24, 32);
    }
    *epoch = r32(b + 4);
    return UPDATE_OK;
}

/* The current page (0 or 1) and its epoch; epoch 0 if none. */
static int current(const flash_t *f, uint32_t addr, struct manifest_trust *t, int *page,
                   uint32_t *epoch)
{
    struct manifest_trust tmp;
    uint32_t e;
    *page = -1;
    *epoch = 0;
    for (int i = 0; i < 2; i++) {
        int rc = decode(f, addr + (uint32_t)i * flash_page_size(f), &tmp, &e);
        if (rc)
            return rc;
        if (e > *epoch) {
            *epoch = e;
            *page = i;
            *t = tmp;
        }
    }
    return UPDATE_OK;
}

static int store(const flash_t *f, uint32_t page, const struct manifest_trust *t, uint32_t epoch)
{
    uint8_t b[SNAP_MAX + 16];
    size_t n = encode(t, epoch, b);
    size_t padded = (n + flash_align(f) - 1) & ~(size_t)(flash_align(f) - 1);
    memset(b + n, 0, padded - n);
    if (flash_erase_page(f, page) || flash_program(f, page, b, padded))
        return UPDATE_E_FLASH;
    return UPDATE_OK;
}

int update_trust_write(const flash_t *f, uint32_t addr, const struct manifest_trust *t)
{
    if (t->n_keys == 0 || t->n_keys > MANIFEST_MAX_KEYS)
        return UPDATE_E_STATE;
    if (flash_erase_page(f, addr + flash_page_size(f)))
        return UPDATE_E_FLASH;
    return store(f, addr, t, 1);
}

int update_trust_load(const flash_t *f, uint32_t addr, struct manifest_trust *t)
{
    int page;
    uint32_t epoch;
    int rc = current(f, addr, t, &page, &epoch);
    if (rc)
        return rc;
    return page < 0 ? UPDATE_E_NONE : UPDATE_OK;
}

int update_trust_rotate(const flash_t *f, uint32_t addr, struct manifest_trust *t,
                        const uint8_t *env, size_t len, const struct manifest_crypto *crypto,
                        uint8_t *scratch, size_t scratch_len, int *manifest_err)
{
    struct manifest_msg msg;
    struct manifest_trust now, next;
    int page;
    uint32_t epoch;
    int rc = current(f, addr, &now, &page, &epoch);
    if (rc)
        return rc;
    if (page < 0)
        return UPDATE_E_NONE;
    /* the persisted set is the authority, not the caller's copy */
    rc = manifest_open(env, len, &now, crypto, scratch, scratch_len, &msg);
    if (rc == MANIFEST_OK && msg.type != MANIFEST_TYPE_ROTATION)
        rc = MANIFEST_E_TYPE;
    next = now;
    if (rc == MANIFEST_OK)
        rc = manifest_rotation_apply(&next, &msg.u.rotation);
    if (rc) {
        *manifest_err = rc;
        return UPDATE_E_MANIFEST;
    }
    rc = store(f, addr + (uint32_t)(1 - page) * flash_page_size(f), &next, epoch + 1);
    if (rc == UPDATE_OK)
        *t = next;
    return rc;
}
