/*
 * Keel image header: the fixed header that precedes a microvisor or
 * application image in its flash slot.
 *
 *   slot + 0                  slot + header_size
 *   +------------------------+------------------------------------------+
 *   | struct image_header    | payload: image_size bytes, copied to      |
 *   | (64 bytes, LE words)   | load_addr; starts with a vector table     |
 *   +------------------------+------------------------------------------+
 *
 * The header says where the payload goes and how big it is; the loader
 * checks both against the region the slot may load into before it copies a
 * byte. Signed manifests (lib/manifest, later) wrap this with a signature;
 * until then the header is the whole description.
 *
 * Shared by the boot ROM, the microvisor and the host tools, so it uses no
 * allocation and no libc beyond <stdint.h>/<stddef.h>.
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAGIC        0x4C45454Bu /* "KEEL" little-endian */
#define IMAGE_HEADER_SIZE  64u
#define IMAGE_KIND_MICROVISOR 1u
#define IMAGE_KIND_APP        2u

struct image_header {
    uint32_t magic;       /* IMAGE_MAGIC */
    uint32_t header_size; /* IMAGE_HEADER_SIZE */
    uint32_t kind;        /* IMAGE_KIND_* */
    uint32_t load_addr;   /* where the payload runs (its vector table) */
    uint32_t image_size;  /* payload bytes, > 0 */
    uint32_t version;     /* major << 24 | minor << 16 | patch */
    uint32_t reserved[10]; /* zero */
};

_Static_assert(sizeof(struct image_header) == IMAGE_HEADER_SIZE,
               "image header layout is part of the flash format");

enum image_error {
    IMAGE_OK = 0,
    IMAGE_ERR_SHORT = -1,     /* fewer bytes than a header */
    IMAGE_ERR_MAGIC = -2,
    IMAGE_ERR_HEADER_SIZE = -3,
    IMAGE_ERR_KIND = -4,
    IMAGE_ERR_SIZE = -5,      /* empty, or larger than the slot holds */
    IMAGE_ERR_LOAD_REGION = -6, /* payload would not fit the load region */
    IMAGE_ERR_RESERVED = -7,
    IMAGE_ERR_ALIGN = -8,     /* load address not 512-byte aligned */
};

/*
 * Checks a header read from a slot of slot_size bytes whose payload must
 * land inside [region_base, region_base + region_size). Reads only *hdr
 * (caller-owned, already copied out of flash). Returns IMAGE_OK or an
 * image_error saying which rule failed.
 */
int image_header_check(const struct image_header *hdr, uint32_t kind,
                       uint32_t slot_size, uint32_t region_base,
                       uint32_t region_size);

/* A short constant string for an image_error, for logs and tools. */
const char *image_strerror(int err);

#endif /* IMAGE_H */
