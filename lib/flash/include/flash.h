/*
 * flash.h: the one way Keel's core touches flash (lib/flash).
 *
 * Real flash rules, the same on every backend (docs/flash-layout.md):
 *  - erase works on whole pages (8 KiB on an505 and STM32U5) and sets every
 *    byte to the erased value (0xFF);
 *  - program works on whole program units (16 bytes), aligned, and a unit
 *    may be programmed ONCE after an erase: a second program of the same
 *    unit is an error (FLASH_EPROGRAMMED), as on STM32U5's ECC flash;
 *  - reads have no alignment rule.
 * Addresses are device addresses (0x80000000.. on an505); a flash_t maps
 * them onto a backend (the PSRAM on an505, flash_sim on the host).
 *
 * Callers never assume a page or unit size: they ask flash_page_size(),
 * flash_align() and flash_erased_val().
 *
 * Ownership: a flash_t and its backend context are owned by the caller and
 * must outlive every call; buffers are borrowed for the call only and must
 * not overlap the flash window (on an505 the flash is memory mapped).
 */
#ifndef KEEL_FLASH_H
#define KEEL_FLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLASH_OK 0
#define FLASH_EINVAL (-1)      /* out of range, misaligned, or a zero page */
#define FLASH_EPROGRAMMED (-2) /* a unit programmed twice without an erase */
#define FLASH_EPOWER (-3)      /* simulator: the power is off */
#define FLASH_EIO (-4)         /* backend failure */

/* Backend operations. Offsets are relative to flash_t.base and already
 * checked for range and alignment by lib/flash. */
struct flash_ops {
    int (*read)(void *ctx, uint32_t off, void *buf, size_t len);
    int (*program)(void *ctx, uint32_t off, const void *buf, size_t len);
    int (*erase_page)(void *ctx, uint32_t off);
};

typedef struct {
    const struct flash_ops *ops;
    void *ctx;           /* the backend's own state, owned by the caller */
    uint32_t base;       /* device address of the first byte */
    uint32_t size;       /* bytes; a multiple of page_size */
    uint32_t page_size;  /* erase unit; a power of two */
    uint32_t prog_unit;  /* program unit; a power of two dividing page_size */
    uint8_t erased;      /* what erased bytes read as */
} flash_t;

/* Reads len bytes at addr. FLASH_OK or FLASH_EINVAL/EPOWER/EIO. */
int flash_read(const flash_t *f, uint32_t addr, void *buf, size_t len);
/* Programs len bytes at addr; addr and len multiples of flash_align(). Each
 * unit in the range must be erased (never programmed since its erase). */
int flash_program(const flash_t *f, uint32_t addr, const void *buf, size_t len);
/* Erases the page that starts at addr (page aligned). */
int flash_erase_page(const flash_t *f, uint32_t addr);
/* Erases every page of [addr, addr + len), both page aligned; one numbered
 * operation per page. */
int flash_erase(const flash_t *f, uint32_t addr, uint32_t len);

uint32_t flash_page_size(const flash_t *f);
uint32_t flash_align(const flash_t *f);
uint8_t flash_erased_val(const flash_t *f);
/* True if [addr, addr + len) reads as erased; false if not or unreadable.
 * (Reads erased is not proof of never programmed: a unit programmed with
 * 0xFF looks erased. Keel never programs an all-0xFF unit into a record.) */
bool flash_is_erased(const flash_t *f, uint32_t addr, size_t len);
/* True if [addr, addr + len) lies inside the flash (no wrap-around). */
bool flash_in_range(const flash_t *f, uint32_t addr, size_t len);

#endif /* KEEL_FLASH_H */
