/*
 * flash_an505.h: the an505 flash backend (firmware only): the file-backed
 * PSRAM QEMU maps at 0x80000000 (Secure only), with the flash rules of
 * flash.h enforced in software. PSRAM itself would let any byte be
 * rewritten; this backend refuses to program a unit that does not read
 * erased, so code that passes on an505 also passes on STM32U5 flash.
 * (A unit programmed with all-0xFF data cannot be told from an erased one
 * here; the host simulator, which tracks every unit, catches that case.)
 */
#ifndef KEEL_FLASH_AN505_H
#define KEEL_FLASH_AN505_H

#include "flash.h"

/* Fills f for the window [base, base + size) of memory-mapped PSRAM. */
void flash_an505_init(flash_t *f, uint32_t base, uint32_t size);

#endif /* KEEL_FLASH_AN505_H */
