/*
 * IMPLEMENTATION NOTES
 * The immutable boot ROM: secure boot of the microvisor. It trusts nothing
 * in flash. The decision which microvisor slot to start is lib/update's
 * (update_boot: the journal's confirmed/trial state folded into the boot
 * decision table, PANIC by default); "valid" there means the manifest page
 * is committed, the COSE_Sign1 envelope verifies (lib/crypto's Ed25519)
 * against the trusted microvisor signers of the provisioning area, the
 * security counter is not below the anti-rollback floor and the download
 * was completed. The slot's layers are then copied to where they run (the
 * microvisor's code window, boot_map) and hashed there against the
 * manifest's digests: the bytes measured are the bytes that run, and the
 * image is hashed once. Only then does the boot ROM jump.
 *
 * A slot that fails any check is reported on the console with its reason;
 * with no bootable slot the boot ROM halts (semihosting exit 0xB0).
 *
 * Decisions are made on copies (the manifest is parsed from a RAM copy of
 * its page; the layers are hashed after the copy), never on flash read
 * twice. No heap: the update context is static.
 */
#include <stdint.h>
#include <string.h>

#include "an505.h"
#include "armv8m.h"
#include "boot_handoff.h"
#include "flash_an505.h"
#include "manifest_crypto_keel.h"
#include "memory_map.h"
#include "semihosting.h"
#include "uart.h"
#include "update.h"

#define BOOTROM_VERSION 0x00020100u /* 2.1: records a rejection it decides (REJECT, reason) */

#define BOOT_EXIT_NO_IMAGE 0xB0
#define BOOT_EXIT_FAULT    0xB1

static flash_t boot_flash;
static struct manifest_trust boot_trust;
static update_t boot_update;
static const struct update_layout boot_layout = KEEL_AN505_UPDATE_LAYOUT;

static void boot_puts(const char *s)
{
    while (*s)
        an505_uart_putc(AN505_UART0_S, *s++);
}

static void boot_putdec(uint32_t v)
{
    char buf[11];
    int i = sizeof(buf) - 1;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    boot_puts(&buf[i]);
}

static void boot_puthex(uint32_t v)
{
    for (int shift = 28; shift >= 0; shift -= 4)
        an505_uart_putc(AN505_UART0_S, "0123456789abcdef"[(v >> shift) & 0xFu]);
}

static void boot_putversion(uint32_t v)
{
    boot_putdec(v >> 24);
    boot_puts(".");
    boot_putdec((v >> 16) & 0xFFu);
    boot_puts(".");
    boot_putdec(v & 0xFFFFu);
}

void boot_fault(void) __attribute__((noreturn));
void boot_fault(void)
{
    boot_puts("[boot] fault in boot ROM\n");
    semihosting_exit(BOOT_EXIT_FAULT);
}

static void __attribute__((noreturn)) boot_halt(const char *why)
{
    boot_puts("[boot] ");
    boot_puts(why);
    boot_puts("; halting\n");
    semihosting_exit(BOOT_EXIT_NO_IMAGE);
}

/* The loader's map: a microvisor layer runs inside the microvisor's code
 * window, nowhere else. */
static void *boot_map(void *ctx, uint32_t comp, uint32_t target, uint32_t size)
{
    (void)ctx;
    if (comp != MANIFEST_COMP_MICROVISOR || target < MV_CODE_BASE || size > MV_CODE_SIZE ||
        target - MV_CODE_BASE > MV_CODE_SIZE - size)
        return NULL;
    return (void *)(uintptr_t)target;
}

static const struct update_loader boot_loader = { boot_map, NULL, NULL };

/* One line per slot: why it cannot boot, or nothing if it can. */
static void boot_report(const struct update_boot_result *r)
{
    if (r->record_err != UPDATE_OK)
        boot_puts("[boot] a rejection or damage record could not be written; the next boot "
                  "tries again\n");
    for (int s = 0; s < UPDATE_SLOTS; s++) {
        if (r->check[s] == UPDATE_OK)
            continue;
        boot_puts(s ? "[boot] slot B: " : "[boot] slot A: ");
        if (r->check[s] == UPDATE_E_NONE) {
            boot_puts("empty\n");
            continue;
        }
        boot_puts("rejected: ");
        boot_puts(update_strerror(r->check[s]));
        if (r->check[s] == UPDATE_E_MANIFEST) {
            boot_puts(": ");
            boot_puts(manifest_strerror(r->manifest_err[s]));
        }
        boot_puts("\n");
    }
}

/* Reads the trust anchors and the journal, decides, loads and measures the
 * chosen slot into the microvisor's code window. Returns only with a
 * microvisor ready to start. */
static void boot_choose(struct update_boot_result *r)
{
    flash_an505_init(&boot_flash, FLASH_BASE, FLASH_SIZE);
    if (update_trust_load(&boot_flash, FLASH_TRUST, &boot_trust) != UPDATE_OK)
        boot_halt("no trusted signers in the provisioning area");
    if (update_init(&boot_update, &boot_flash, &boot_layout, &boot_trust,
                    &manifest_crypto_keel) != UPDATE_OK)
        boot_halt("cannot read the update journal");
    boot_update.loader = &boot_loader;
    memset(r, 0, sizeof(*r));
    int rc = update_boot(&boot_update, MANIFEST_COMP_MICROVISOR, r);
    boot_report(r);
    if (rc != UPDATE_OK)
        boot_halt("no valid microvisor image");
}

/* The loaded image's vector table must start it inside itself, on a stack
 * in the microvisor's RAM. */
static void boot_check_vectors(const struct manifest *m)
{
    const struct manifest_layer *l = &m->layers[0];
    uint32_t sp = ((volatile uint32_t *)MV_CODE_BASE)[0];
    uint32_t entry = ((volatile uint32_t *)MV_CODE_BASE)[1];
    if (l->target != MV_CODE_BASE || !(entry & 1u) || (entry & ~1u) < MV_CODE_BASE ||
        (entry & ~1u) - MV_CODE_BASE >= l->size || sp < MV_RAM_BASE ||
        sp - MV_RAM_BASE > MV_RAM_SIZE)
        boot_halt("microvisor vector table outside its image or RAM");
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

static void boot_handoff_write(const struct update_boot_result *r)
{
    struct boot_handoff *handoff = (struct boot_handoff *)BOOTROM_RAM_BASE;
    handoff->magic = BOOT_HANDOFF_MAGIC;
    handoff->slot = (uint32_t)r->slot;
    handoff->version = r->info.m.version;
    handoff->reset_syndrome = AN505_REG32(AN505_SYSCTL_S + AN505_SYSCTL_RESET_SYNDROME);
    handoff->bootrom_version = BOOTROM_VERSION;
}

void boot_main(void) __attribute__((noreturn));
void boot_main(void)
{
    static struct update_boot_result r;

    an505_uart_init(AN505_UART0_S);
    boot_puts("[boot] Keel boot ROM ");
    boot_puthex(BOOTROM_VERSION);
    boot_puts("\n");

    boot_choose(&r);
    if (r.action == UPDATE_REVERT_TO_A || r.action == UPDATE_REVERT_TO_B) {
        /* The trial was started (ATTEMPT) and the device reset before the
         * microvisor confirmed it: a crash, the watchdog or a power cut. */
        boot_puts(r.slot ? "[boot] microvisor trial in slot A" : "[boot] microvisor trial in slot B");
        boot_puts(" reset before it was confirmed: rejected, reverting\n");
    } else if (r.rejected) {
        /* the activated microvisor could not be started: recorded, with why */
        const struct update_ref *rej = &update_state(&boot_update, MANIFEST_COMP_MICROVISOR)->rejected;
        boot_puts("[boot] microvisor update ");
        boot_putversion(rej->version);
        boot_puts(rej->slot ? " in slot B rejected: " : " in slot A rejected: ");
        boot_puts(update_reject_strerror(rej->reason));
        boot_puts("; it was not started\n");
    }
    boot_check_vectors(&r.info.m);
    boot_puts(r.slot ? "[boot] slot B: microvisor " : "[boot] slot A: microvisor ");
    boot_putversion(r.info.m.version);
    boot_puts(", security counter ");
    boot_putdec(r.info.m.security_counter);
    boot_puts(r.action == UPDATE_TRIAL_A || r.action == UPDATE_TRIAL_B ? ", on trial\n"
                                                                       : "\n");
    boot_handoff_write(&r);
    boot_puts("[boot] starting microvisor from slot ");
    boot_puts(r.slot ? "B\n" : "A\n");
    boot_jump(MV_CODE_BASE);
}
