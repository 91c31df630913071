/*
 * Turning a linked ELF into a Keel image: the bytes of every loadable
 * segment, laid out by physical (load) address into one flat payload,
 * behind an image header (lib/image).
 */
#ifndef ELF_IMAGE_H
#define ELF_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct flat_image {
    uint32_t load_addr;
    uint32_t size;
    uint8_t *bytes; /* malloc'd; free with flat_image_free */
};

/* Reads a 32-bit little-endian ARM ELF executable. 0, or -1 with a message
 * in err (errlen bytes). Segments are checked against the file size and
 * each other; gaps between them are filled with 0xFF. */
int elf_to_flat(const char *path, struct flat_image *out, char *err, size_t errlen);
void flat_image_free(struct flat_image *img);

/* Reads a whole file (malloc'd). 0 or -1. */
int read_file(const char *path, uint8_t **data, size_t *len);

#endif /* ELF_IMAGE_H */
