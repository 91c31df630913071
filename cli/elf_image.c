/*
 * IMPLEMENTATION NOTES
 * The ELF is developer input but still input: every offset and size read
 * from it is checked against the file length before use, and the span of
 * the loadable segments is capped (IMAGE_MAX_SPAN) so a corrupt file
 * cannot make us allocate gigabytes.
 */
#include "elf_image.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAGE_MAX_SPAN (16u * 1024u * 1024u)

int read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
}

void flat_image_free(struct flat_image *img)
{
    free(img->bytes);
    img->bytes = NULL;
}

int elf_to_flat(const char *path, struct flat_image *out, char *err, size_t errlen)
{
    uint8_t *file;
    size_t len;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (read_file(path, &file, &len) != 0) {
        snprintf(err, errlen, "%s: cannot read", path);
        return -1;
    }
    const Elf32_Ehdr *eh = (const Elf32_Ehdr *)file;
    if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS32 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
        eh->e_machine != EM_ARM || eh->e_type != ET_EXEC) {
        snprintf(err, errlen, "%s: not a 32-bit little-endian ARM executable", path);
        goto out;
    }
    if (eh->e_phentsize != sizeof(Elf32_Phdr) || eh->e_phoff > len ||
        (size_t)eh->e_phnum * sizeof(Elf32_Phdr) > len - eh->e_phoff) {
        snprintf(err, errlen, "%s: program headers out of bounds", path);
        goto out;
    }
    const Elf32_Phdr *ph = (const Elf32_Phdr *)(file + eh->e_phoff);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_filesz == 0)
            continue;
        if (ph[i].p_offset > len || ph[i].p_filesz > len - ph[i].p_offset) {
            snprintf(err, errlen, "%s: segment %u outside the file", path, i);
            goto out;
        }
        if (ph[i].p_paddr < lo)
            lo = ph[i].p_paddr;
        if ((uint64_t)ph[i].p_paddr + ph[i].p_filesz > hi)
            hi = (uint64_t)ph[i].p_paddr + ph[i].p_filesz;
    }
    if (hi <= lo) {
        snprintf(err, errlen, "%s: no loadable data", path);
        goto out;
    }
    if (hi - lo > IMAGE_MAX_SPAN) {
        snprintf(err, errlen, "%s: loadable segments span %llu bytes (max %u)", path,
                 (unsigned long long)(hi - lo), IMAGE_MAX_SPAN);
        goto out;
    }
    out->load_addr = (uint32_t)lo;
    out->size = (uint32_t)(hi - lo);
    out->bytes = malloc(out->size);
    if (!out->bytes) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    memset(out->bytes, 0xFF, out->size);
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_filesz == 0)
            continue;
        memcpy(out->bytes + (ph[i].p_paddr - lo), file + ph[i].p_offset, ph[i].p_filesz);
    }
    rc = 0;
out:
    free(file);
    if (rc != 0)
        flat_image_free(out);
    return rc;
}
