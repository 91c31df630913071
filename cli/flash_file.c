/*
 * IMPLEMENTATION NOTES
 * Every write is bounds-checked against the flash size. The device identity
 * is an Ed25519 key made with OpenSSL; the id is "UV" + the upper-case hex
 * of the first 16 bytes of SHA-256(public key) (DESIGN.md).
 */
#include "flash_file.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memory_map.h"
#include "provision_record.h"

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

int flash_file_provision(int fd)
{
    struct provision_record rec;
    if (flash_file_read(fd, FLASH_PROVISION, &rec, sizeof(rec)) != 0)
        return -1;
    if (provision_record_check(&rec) == 0)
        return 0;

    memset(&rec, 0, sizeof(rec));
    rec.magic = PROVISION_MAGIC;
    rec.version = PROVISION_VERSION;
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    size_t publen = sizeof(rec.public_key);
    int ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &key) == 1 &&
             EVP_PKEY_get_raw_public_key(key, rec.public_key, &publen) == 1 &&
             publen == sizeof(rec.public_key);
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        fprintf(stderr, "keel: cannot make a device key\n");
        return -1;
    }
    uint8_t hash[SHA256_DIGEST_LENGTH];
    SHA256(rec.public_key, sizeof(rec.public_key), hash);
    rec.device_id[0] = 'U';
    rec.device_id[1] = 'V';
    for (int i = 0; i < 16; i++) {
        rec.device_id[2 + 2 * i] = "0123456789ABCDEF"[hash[i] >> 4];
        rec.device_id[3 + 2 * i] = "0123456789ABCDEF"[hash[i] & 15];
    }
    if (flash_file_erase(fd, FLASH_PROVISION, 8192) != 0 ||
        flash_file_write(fd, FLASH_PROVISION, &rec, sizeof(rec)) != 0)
        return -1;
    fprintf(stderr, "keel: provisioned device %.34s\n", rec.device_id);
    return 0;
}
