/*
 * Interrupt-controller operations the portable core needs, as functions so
 * that host builds (unit tests, the gateway fuzzer) can substitute their
 * own. Armv8-M implementation: arch/nvic.c.
 */
#ifndef NVIC_H
#define NVIC_H

#include <stdbool.h>
#include <stdint.h>

void nvic_enable(uint32_t irq, bool on);
bool nvic_is_enabled(uint32_t irq);
void nvic_pend(uint32_t irq);
/* Raw (non-secure view) priority of an application line. */
void nvic_set_priority(uint32_t irq, uint8_t prio);
/* The application's vector table base (VTOR_NS). */
uint32_t nvic_ns_vtor(void);

#endif /* NVIC_H */
