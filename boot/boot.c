/*
 * IMPLEMENTATION NOTES
 * The immutable boot ROM. It trusts nothing in flash: for each microvisor
 * slot it copies the header into RAM, checks it (image_header_check), and
 * picks the valid slot with the highest version. It then copies the payload
 * into secure code memory and jumps to it. Signature and anti-rollback checks
 * (issue 4) slot in at boot_slot_acceptable(): a slot is only ever started
 * after that function says yes.
 *
 * Decisions are made on copies, never on flash read twice.
 */
#include <stdint.h>
#include <string.h>

#include "an505.h"
#include "armv8m.h"
#include "boot_handoff.h"
#include "image.h"
#include "memory_map.h"
#include "semihosting.h"
#include "uart.h"

#define BOOTROM_VERSION 0x00010000u

#define BOOT_EXIT_NO_IMAGE 0xB0
#define BOOT_EXIT_FAULT    0xB1

static void boot_puts(const char *s)
{
    while (*s)
        an505_uart_putc(AN505_UART0_S, *s++);
}

static void boot_puthex(uint32_t v)
{
    for (int shift = 28; shift >= 0; shift -= 4)
        an505_uart_putc(AN505_UART0_S, "0123456789abcdef"[(v >> shift) & 0xFu]);
}

void boot_fault(void) __attribute__((noreturn));
void boot_fault(void)
{
    boot_puts("[boot] fault in boot ROM\n");
    semihosting_exit(BOOT_EXIT_FAULT);
}

static const uint32_t boot_slots[2] = { FLASH_MV_SLOT_A, FLASH_MV_SLOT_B };

/* The place where signature and security-counter checks will go. */
static int boot_slot_acceptable(const struct image_header *hdr)
{
    return image_header_check(hdr, IMAGE_KIND_MICROVISOR, FLASH_MV_SLOT_SIZE,
                              MV_CODE_BASE, MV_CODE_SIZE);
}

static void __attribute__((noreturn)) boot_jump(uint32_t vectors)
{
    uint32_t sp = ((volatile uint32_t *)vectors)[0];
    uint32_t entry = ((volatile uint32_t *)vectors)[1];
    SCB_VTOR = vectors;
    armv8m_dsb_isb();
    __asm volatile("msr msp, %0\n\t"
                   "bx  %1\n\t" ::"r"(sp), "r"(entry) : "memory");
    __builtin_unreachable();
}

void boot_main(void) __attribute__((noreturn));
void boot_main(void)
{
    struct image_header hdr[2];
    int best = -1;

    an505_uart_init(AN505_UART0_S);
    boot_puts("[boot] Keel boot ROM ");
    boot_puthex(BOOTROM_VERSION);
    boot_puts("\n");

    for (int i = 0; i < 2; i++) {
        memcpy(&hdr[i], (const void *)boot_slots[i], sizeof(hdr[i]));
        int err = boot_slot_acceptable(&hdr[i]);
        boot_puts(i ? "[boot] slot B: " : "[boot] slot A: ");
        if (err != IMAGE_OK) {
            boot_puts(image_strerror(err));
            boot_puts("\n");
            continue;
        }
        boot_puts("microvisor ");
        boot_puthex(hdr[i].version);
        boot_puts("\n");
        if (best < 0 || hdr[i].version > hdr[best].version)
            best = i;
    }
    if (best < 0) {
        boot_puts("[boot] no valid microvisor image; halting\n");
        semihosting_exit(BOOT_EXIT_NO_IMAGE);
    }

    /* Copy from the header copy's values, not from flash again. */
    memcpy((void *)hdr[best].load_addr,
           (const void *)(boot_slots[best] + IMAGE_HEADER_SIZE),
           hdr[best].image_size);

    struct boot_handoff *handoff = (struct boot_handoff *)BOOTROM_RAM_BASE;
    handoff->magic = BOOT_HANDOFF_MAGIC;
    handoff->slot = (uint32_t)best;
    handoff->version = hdr[best].version;
    handoff->reset_syndrome =
        AN505_REG32(AN505_SYSCTL_S + AN505_SYSCTL_RESET_SYNDROME);
    handoff->bootrom_version = BOOTROM_VERSION;

    boot_puts("[boot] starting microvisor from slot ");
    boot_puts(best ? "B\n" : "A\n");
    boot_jump(hdr[best].load_addr);
}
