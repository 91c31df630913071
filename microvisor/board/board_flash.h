/*
 * board_flash.h: the board's flash contract (kept out of board.h so that
 * host fakes of board.h need not know lib/flash and lib/update).
 */
#ifndef BOARD_FLASH_H
#define BOARD_FLASH_H

#include <stdint.h>

#include "flash.h"
#include "update.h"

/* The device's flash (lib/flash), where lib/update finds the slots and the
 * journal, and the address of the trusted-signer pages. */
const flash_t *board_flash(void);
const struct update_layout *board_update_layout(void);
uint32_t board_trust_addr(void);

#endif /* BOARD_FLASH_H */
