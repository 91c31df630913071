/*
 * IMPLEMENTATION NOTES
 * Every write is bounds-checked against the flash size. (The device's
 * identity is made by provision_identity in keel_provision.c.)
 */
#include "flash_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memory_map.h"

static int flash_range_ok(uint32_t addr, size_t len)
{
    return addr >= FLASH_BASE && addr - FLASH_BASE <= FLASH_SIZE &&
           len <= FLASH_SIZE - (addr - FLASH_BASE);
}

int flash_file_open(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    if (st.st_size != (off_t)FLASH_SIZE) {
        if (ftruncate(fd, 0) != 0 || flash_file_erase(fd, FLASH_BASE, FLASH_SIZE) != 0) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

int flash_file_write(int fd, uint32_t addr, const void *data, size_t len)
{
    if (!flash_range_ok(addr, len)) {
        errno = ERANGE;
        return -1;
    }
    return pwrite(fd, data, len, (off_t)(addr - FLASH_BASE)) == (ssize_t)len ? 0 : -1;
}

int flash_file_read(int fd, uint32_t addr, void *data, size_t len)
{
    if (!flash_range_ok(addr, len)) {
        errno = ERANGE;
        return -1;
    }
    return pread(fd, data, len, (off_t)(addr - FLASH_BASE)) == (ssize_t)len ? 0 : -1;
}

int flash_file_erase(int fd, uint32_t addr, size_t len)
{
    static uint8_t ones[65536];
    if (!flash_range_ok(addr, len)) {
        errno = ERANGE;
        return -1;
    }
    memset(ones, 0xFF, sizeof(ones));
    for (size_t done = 0; done < len;) {
        size_t n = len - done < sizeof(ones) ? len - done : sizeof(ones);
        if (flash_file_write(fd, addr + (uint32_t)done, ones, n) != 0)
            return -1;
        done += n;
    }
    return 0;
}
