/*
 * flash_sim.h: a simulated flash with the real rules and power cuts, for
 * host tests (lib/flash). The same rules as flash.h, enforced exactly: a
 * unit programmed twice without an erase is FLASH_EPROGRAMMED.
 *
 * Every program and every page erase is one numbered operation (0, 1, 2,
 * ...; reads are not numbered). A cut can be armed at operation N:
 *   FLASH_SIM_CUT_BEFORE  operation N does nothing;
 *   FLASH_SIM_CUT_TORN    operation N half happens, as in SQLite's test6.c:
 *                         a program lands a prefix of its 16-byte units,
 *                         then one unit of garbage (programmed, so it can
 *                         never be programmed again), the rest stays erased;
 *                         an erase erases a prefix of the page's units and
 *                         leaves the rest as it was;
 *   FLASH_SIM_CUT_AFTER   operation N completes.
 * From then on the power is off: every call returns FLASH_EPOWER until
 * flash_sim_power_on() (a reboot). How much of a torn operation lands is
 * drawn from a generator seeded by flash_sim_arm(), so runs repeat.
 *
 * Ownership: mem (size bytes) and bitmap (flash_sim_bitmap_size(size, unit)
 * bytes) are owned by the caller and must outlive the simulator.
 */
#ifndef KEEL_FLASH_SIM_H
#define KEEL_FLASH_SIM_H

#include "flash.h"

enum flash_sim_cut {
    FLASH_SIM_CUT_BEFORE = 1,
    FLASH_SIM_CUT_TORN = 2,
    FLASH_SIM_CUT_AFTER = 3,
};

typedef struct {
    uint8_t *mem;
    uint8_t *programmed; /* one bit per program unit */
    uint32_t size, page_size, unit;
    uint32_t ops;        /* numbered operations performed so far */
    uint32_t cut_at;     /* operation index of the armed cut */
    enum flash_sim_cut cut_mode; /* 0: no cut armed */
    bool dead;           /* the power is off */
    uint32_t rng;
} flash_sim_t;

/* Bytes of bitmap the simulator needs for a flash of size bytes. */
#define FLASH_SIM_BITMAP_SIZE(size, unit) (((size) / (unit) + 7u) / 8u)

/* Sets up sim and f (the flash_t to use) over mem, all erased. */
void flash_sim_init(flash_sim_t *sim, flash_t *f, uint8_t *mem, uint8_t *bitmap,
                    uint32_t base, uint32_t size, uint32_t page_size, uint32_t unit);
/* Like flash_sim_init, but keeps mem's contents (a flash image read from
 * a file): every unit that does not read erased counts as programmed. */
void flash_sim_attach(flash_sim_t *sim, flash_t *f, uint8_t *mem, uint8_t *bitmap,
                      uint32_t base, uint32_t size, uint32_t page_size, uint32_t unit);
/* Arms a cut at numbered operation op_index (counted from the last
 * flash_sim_reset_count, or init). seed varies torn outcomes. */
void flash_sim_arm(flash_sim_t *sim, uint32_t op_index, enum flash_sim_cut mode,
                   uint32_t seed);
/* Restores power and disarms: a reboot. The operation count keeps going. */
void flash_sim_power_on(flash_sim_t *sim);
void flash_sim_reset_count(flash_sim_t *sim);
uint32_t flash_sim_ops(const flash_sim_t *sim);
bool flash_sim_dead(const flash_sim_t *sim);

#endif /* KEEL_FLASH_SIM_H */
