/*
 * Input: a 64-byte header (as read from flash) then kind, slot_size,
 * region_base, region_size (4 bytes LE each; missing bytes are 0). The
 * region is clipped so it does not wrap (the callers pass constants that
 * never do). Asserts that image_header_check agrees with a reference model
 * written with 64-bit arithmetic, and so that IMAGE_OK implies the payload
 * lies inside both the slot and the load region.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int model(const struct image_header *h, uint32_t kind, uint64_t slot,
                 uint64_t rbase, uint64_t rsize)
{
    if (slot < IMAGE_HEADER_SIZE)
        return IMAGE_ERR_SHORT;
    if (h->magic != IMAGE_MAGIC)
        return IMAGE_ERR_MAGIC;
    if (h->header_size != IMAGE_HEADER_SIZE)
        return IMAGE_ERR_HEADER_SIZE;
    if (h->kind != kind)
        return IMAGE_ERR_KIND;
    for (int i = 0; i < 10; i++)
        if (h->reserved[i])
            return IMAGE_ERR_RESERVED;
    if (h->image_size == 0 || IMAGE_HEADER_SIZE + (uint64_t)h->image_size > slot)
        return IMAGE_ERR_SIZE;
    if (h->load_addr % 512u)
        return IMAGE_ERR_ALIGN;
    if (h->load_addr < rbase || (uint64_t)h->load_addr + h->image_size > rbase + rsize)
        return IMAGE_ERR_LOAD_REGION;
    return IMAGE_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t buf[IMAGE_HEADER_SIZE + 16];
    memset(buf, 0, sizeof(buf));
    memcpy(buf, data, size < sizeof(buf) ? size : sizeof(buf));

    struct image_header h;
    memcpy(&h, buf, sizeof(h));
    uint32_t kind = le32(buf + 64), slot = le32(buf + 68);
    uint32_t rbase = le32(buf + 72), rsize = le32(buf + 76);
    if (rbase && rsize > 0u - rbase)
        rsize = 0u - rbase; /* region ends at 2^32 at the latest */

    int got = image_header_check(&h, kind, slot, rbase, rsize);
    int want = model(&h, kind, slot, rbase, rsize);
    if (got != want)
        abort();
    if (got == IMAGE_OK) {
        uint64_t end = (uint64_t)h.load_addr + h.image_size;
        if (!(h.load_addr >= rbase && end <= (uint64_t)rbase + rsize &&
              (uint64_t)h.image_size + IMAGE_HEADER_SIZE <= slot))
            abort();
    }
    const char *s = image_strerror(got);
    if (!s || !s[0])
        abort();
    return 0;
}
