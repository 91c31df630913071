/*
 * Host stand-ins for what microvisor/core/gateway.c reaches beyond the
 * portable modules (ns_mem, the NVIC, the board, the scheduler's fast-IRQ
 * set, app restart, the device id), plus the knobs the fuzzer turns.
 */
#ifndef HOST_FAKES_H
#define HOST_FAKES_H

#include <stdbool.h>
#include <stdint.h>

/* Knobs (set by the harness). */
extern uint64_t fake_now_us;
extern bool fake_handler_mode;
extern uint32_t fake_vtor;
extern bool fake_provisioned;
extern bool fake_trial_confirmed;
extern uint32_t fake_restart_requests;
extern uint32_t fake_console_bytes;

/* Records kept by the fake NVIC (bit per IRQ). */
extern uint32_t fake_nvic_enabled[4];
extern uint32_t fake_nvic_pending[4];

/* The device id provision_device_id() hands out. */
extern const char fake_device_id[34];

/* Secure alias of the FPGA I/O block: a host page at its real address. */
#define FAKE_PERIPH_PAGE 0x50302000u

/* Resets the fakes' own state (not the mapped memory). */
void fake_reset(void);

/* True if irq is one the an505 board lends the application. */
bool fake_irq_is_app(uint32_t irq);

#endif /* HOST_FAKES_H */
