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

#include <stdint.h>

/* Starts the service (after sched_init and app_load): loads the trusted
 * signers and the update journal, registers its work and opens the port.
 * mv_version is the running microvisor's (an app's minimum is checked
 * against it; 0 skips the check). */
void update_uart_init(uint32_t mv_version);

#endif /* UPDATE_UART_H */
