/*
 * The emulated device's flash as a host file (flash.img): 16 MiB that QEMU
 * maps at 0x80000000. Erased flash reads 0xFF.
 */
#ifndef FLASH_FILE_H
#define FLASH_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Opens path, creating it erased (all 0xFF) if missing or of the wrong
 * size. Returns a FILE-like handle via fd, or -1 with errno. */
int flash_file_open(const char *path);
/* Writes len bytes at device address addr (inside the flash). 0 or -1. */
int flash_file_write(int fd, uint32_t addr, const void *data, size_t len);
int flash_file_read(int fd, uint32_t addr, void *data, size_t len);
/* Erases [addr, addr+len) to 0xFF. */
int flash_file_erase(int fd, uint32_t addr, size_t len);

#endif /* FLASH_FILE_H */
