/*
 * IMPLEMENTATION NOTES
 * Every bound is checked with subtraction against a known-good size, never
 * by adding attacker values together, so no check can be defeated by a
 * 32-bit wrap-around.
 */
#include "image.h"

int image_header_check(const struct image_header *hdr, uint32_t kind,
                       uint32_t slot_size, uint32_t region_base,
                       uint32_t region_size)
{
    if (slot_size < IMAGE_HEADER_SIZE)
        return IMAGE_ERR_SHORT;
    if (hdr->magic != IMAGE_MAGIC)
        return IMAGE_ERR_MAGIC;
    if (hdr->header_size != IMAGE_HEADER_SIZE)
        return IMAGE_ERR_HEADER_SIZE;
    if (hdr->kind != kind)
        return IMAGE_ERR_KIND;
    for (size_t i = 0; i < sizeof(hdr->reserved) / sizeof(hdr->reserved[0]); i++)
        if (hdr->reserved[i] != 0)
            return IMAGE_ERR_RESERVED;
    if (hdr->image_size == 0 || hdr->image_size > slot_size - IMAGE_HEADER_SIZE)
        return IMAGE_ERR_SIZE;
    if (hdr->load_addr & 0x1FFu)
        return IMAGE_ERR_ALIGN;
    if (hdr->load_addr < region_base || hdr->load_addr - region_base >= region_size ||
        hdr->image_size > region_size - (hdr->load_addr - region_base))
        return IMAGE_ERR_LOAD_REGION;
    return IMAGE_OK;
}

const char *image_strerror(int err)
{
    switch (err) {
    case IMAGE_OK: return "ok";
    case IMAGE_ERR_SHORT: return "slot smaller than a header";
    case IMAGE_ERR_MAGIC: return "bad magic (empty slot?)";
    case IMAGE_ERR_HEADER_SIZE: return "unknown header size";
    case IMAGE_ERR_KIND: return "wrong image kind";
    case IMAGE_ERR_SIZE: return "payload size out of range";
    case IMAGE_ERR_LOAD_REGION: return "payload outside its load region";
    case IMAGE_ERR_RESERVED: return "reserved header field not zero";
    case IMAGE_ERR_ALIGN: return "load address not 512-byte aligned";
    }
    return "unknown error";
}
