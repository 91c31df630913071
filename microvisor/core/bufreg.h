/*
 * Buffers the application has lent the microvisor (notification rings, the
 * log spool, later channel buffers). One registry so that no two may
 * overlap: the microvisor must never write one service's data into
 * another's memory.
 */
#ifndef BUFREG_H
#define BUFREG_H

#include <stdbool.h>
#include <stdint.h>

#define BUFREG_MAX 40u

/* Registers [base, base+len); -1 if it overlaps a registered buffer or the
 * registry is full. Returns a slot id >= 0. */
int bufreg_add(uint32_t base, uint32_t len);
void bufreg_remove(int id);
bool bufreg_overlaps(uint32_t base, uint32_t len);
void bufreg_clear(void);

#endif /* BUFREG_H */
