/*
 * What the boot ROM tells the microvisor it started: a record at a fixed
 * address in secure RAM (the first bytes of the boot ROM's RAM), written just
 * before the jump. The microvisor copies it out early, before that RAM is
 * reused.
 */
#ifndef BOOT_HANDOFF_H
#define BOOT_HANDOFF_H

#include <stdint.h>

#define BOOT_HANDOFF_MAGIC 0x4B424F54u /* "TOBK" */

struct boot_handoff {
    uint32_t magic;
    uint32_t slot;            /* 0 = A, 1 = B */
    uint32_t version;         /* of the microvisor image started */
    uint32_t reset_syndrome;  /* SYSCTL RESET_SYNDROME at boot */
    uint32_t bootrom_version;
};

#endif /* BOOT_HANDOFF_H */
