/*
 * Keel's memory map on mps2-an505: where each world's code, data and flash
 * live. Included by C code and, preprocessed with KEEL_LINKER_SCRIPT defined,
 * by the boot ROM's and microvisor's linker scripts, so the two can never
 * disagree. docs/memory-map.md draws it.
 *
 *   SSRAM1 secure alias (lower 2 MiB: Secure via MPC0)
 *     0x10000000  boot ROM, 64 KiB (the image QEMU loads)
 *     0x10010000  microvisor, loaded by the boot ROM from a flash slot:
 *                 vector table, then the NSC veneer table at a fixed
 *                 address (SAU region, NSC), then code; 256 KiB window
 *   SSRAM1 non-secure alias (upper 2 MiB: Non-secure via MPC0)
 *     0x00200000  application code (RAM-loaded by the microvisor)
 *     0x003FFF00  microvisor-written NS stubs (idle loop, unwind), 256 B
 *   SSRAM2 secure alias 0x38000000: microvisor RAM (64 KiB budget),
 *     boot ROM RAM above it
 *   SSRAM3 non-secure alias 0x28200000: application RAM, 2 MiB
 *   PSRAM 0x80000000, 16 MiB, Secure only: the flash (see FLASH_* below)
 *
 * The veneer table sits right after the microvisor's vector table rather
 * than at the top of the code window so that the microvisor image is one
 * contiguous blob with no gap to store in its flash slot.
 */
#ifndef MEMORY_MAP_H
#define MEMORY_MAP_H

#ifdef KEEL_LINKER_SCRIPT
#define MM_(x) x
#else
#define MM_(x) x##u
#endif

#define BOOTROM_CODE_BASE   MM_(0x10000000)
#define BOOTROM_CODE_SIZE   MM_(0x00010000)
#define BOOTROM_RAM_BASE    MM_(0x38100000)
#define BOOTROM_RAM_SIZE    MM_(0x00010000)

#define MV_CODE_BASE        MM_(0x10010000) /* vector table */
#define MV_CODE_SIZE        MM_(0x00040000)
#define MV_NSC_BASE         MM_(0x10010400) /* veneer slot 0 */
#define MV_NSC_SIZE         MM_(0x00001000) /* 512 slots of 8 bytes */
#define MV_RAM_BASE         MM_(0x38000000)
#define MV_RAM_SIZE         MM_(0x00010000)
#define MV_STACK_SIZE       MM_(0x00003000) /* main stack, in MV RAM: the TLS handshake (5.6 KiB) runs in deferred work, with faults and the tick above it */

#define NS_CODE_BASE        MM_(0x00200000)
#define NS_CODE_SIZE        MM_(0x00200000)
#define NS_STUBS_BASE       MM_(0x003FFF00) /* last 256 bytes of NS code */
#define NS_STUBS_SIZE       MM_(0x00000100)
#define NS_APP_CODE_SIZE    MM_(0x001FFF00) /* what an app may occupy */
#define NS_RAM_BASE         MM_(0x28200000)
#define NS_RAM_SIZE         MM_(0x00200000)

/* Flash (PSRAM), 8 KiB pages. */
#define FLASH_BASE          MM_(0x80000000)
#define FLASH_SIZE          MM_(0x01000000)
#define FLASH_PAGE_SIZE     MM_(0x00002000)
#define FLASH_PROVISION     MM_(0x80000000) /* 64 KiB: identity, trust anchors */
#define FLASH_TRUST         MM_(0x80002000) /* trusted signers: two pages */
#define FLASH_IDENTITY      MM_(0x80006000) /* device identity key seed, certificate */
#define FLASH_MV_SLOT_A     MM_(0x80010000) /* 512 KiB each */
#define FLASH_MV_SLOT_B     MM_(0x80090000)
#define FLASH_MV_SLOT_SIZE  MM_(0x00080000)
#define FLASH_APP_SLOT_A    MM_(0x80200000) /* 2 MiB + 64 KiB each */
#define FLASH_APP_SLOT_B    MM_(0x80410000)
#define FLASH_APP_SLOT_SIZE MM_(0x00210000)
#define FLASH_STATE         MM_(0x80F00000) /* update state, crash records */
#define FLASH_STATE_SIZE    MM_(0x00080000)
#define FLASH_ENTROPY       MM_(0x80F7C000) /* boot counter: last two state pages */
#define FLASH_ENTROPY_SIZE  MM_(0x00004000)
#define FLASH_LOG_SPOOL     MM_(0x80F80000)
#define FLASH_LOG_SPOOL_SIZE MM_(0x00080000)

/* lib/update's struct update_layout of these areas (boot ROM, microvisor,
 * keel CLI): index 1 the microvisor, 2 the app (enum manifest_component). */
#define KEEL_AN505_UPDATE_LAYOUT {                                          \
    .slot = {{0, 0}, {FLASH_MV_SLOT_A, FLASH_MV_SLOT_B},                    \
             {FLASH_APP_SLOT_A, FLASH_APP_SLOT_B}},                         \
    .slot_size = {0, FLASH_MV_SLOT_SIZE, FLASH_APP_SLOT_SIZE},              \
    .journal = FLASH_STATE,                                                 \
}

#endif /* MEMORY_MAP_H */
