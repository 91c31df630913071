/*
 * The update service on the board's update port (docs/update-uart.md):
 * lib/uproto requests from the host, carried out by lib/update (begin /
 * next offset / write / finish-verify / activate), answered on the same
 * port. It runs in deferred work only; the port's top half just queues
 * bytes. Until the cloud link exists this is how a new microvisor or app
 * reaches a running device.
 */
#ifndef UPDATE_UART_H
#define UPDATE_UART_H

#include <stdbool.h>
#include <stdint.h>

/* Starts the service (after sched_init and app_load): loads the trusted
 * signers and the update journal, registers its work and opens the port.
 * mv_version is the running microvisor's (an app's minimum is checked
 * against it; 0 skips the check). */
void update_uart_init(uint32_t mv_version);

/* Lends the port's frame buffer (at least MANIFEST_MAX_SIZE bytes) to the
 * OTA client, which stages a manifest envelope in it, until
 * update_uart_unlend. NULL while the port is using it: a frame partly
 * received, or a FINISH verifying. While it is lent the service reads no
 * byte from the port (they wait in the board's ring; a host that times
 * out asks again). Both run in deferred work, whose items run to
 * completion one after the other (work.h), so neither can see the buffer
 * change under it within an activation. */
uint8_t *update_uart_lend(void);
/* Gives the buffer back: the parser starts afresh and reads the port. */
void update_uart_unlend(void);

#endif /* UPDATE_UART_H */
