/*
 * The microvisor's network service: binds the stack (net.h) to the board's
 * NIC (board_netif_*) and to the execution model (docs/execution-model.md):
 * the NIC interrupt and a NET_POLL_MS timer submit one deferred-work item
 * that drains received frames (at most NET_SERVICE_RX_BUDGET per
 * activation, resubmitting itself if more wait) and runs net_poll().
 * The NIC is reset and DHCP starts in the first activation (not during
 * boot); without a NIC the work item stays idle.
 */
#ifndef NET_SERVICE_H
#define NET_SERVICE_H

#include <stdint.h>

#include "net.h"

#ifndef NET_SERVICE_RX_BUDGET
#define NET_SERVICE_RX_BUDGET 8u
#endif

/* Called once from mv_main before the application starts: registers the
 * work and its timer. 0, or < 0 if the tables are full. */
int net_service_init(void);

/* The stack, for the layers above (TLS, MQTT) and diagnostics; they run
 * in the same deferred work. */
struct net *net_service_stack(void);

/* Microseconds spent in the network's deferred work so far (under QEMU
 * -icount: instructions / 1000). */
uint64_t net_service_busy_us(void);

/* Prints the non-zero counters on the console. */
void net_service_dump_stats(void);

/*
 * Test seams (weak, overridden only by test images such as
 * microvisor_nettest): called at the end of each activation, and for each
 * frame in and out.
 */
void net_service_test_poll(struct net *n, uint32_t now_ms);
void net_service_frame_in(struct net *n, struct net_buf *b, uint32_t now_ms);
int net_service_frame_out(void *ctx, const uint8_t *frame, size_t len);

#endif /* NET_SERVICE_H */
