/*
 * The board contract: everything microvisor/core knows about the hardware
 * beyond the Armv8-M architecture. One implementation per board
 * (board/an505/, later board/stm32u585/); core code includes no vendor or
 * board header but this one.
 */
#ifndef BOARD_H
#define BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Early set-up: console, clocks, the microsecond clock. Interrupts masked. */
void board_init(void);

/*
 * Partitions the device (SAU, MPCs, PPCs, interrupt targets): the app gets
 * its code window, its RAM, its UART and timer; everything else stays
 * Secure. Called once before the app first runs.
 */
void board_partition(void);

/* Microvisor console: one byte out, polled. */
void board_console_putc(char c);
/* Which context is running: the exception number, 0 in Thread mode (the
 * console keeps the lines of pre-empting contexts apart by it). */
uint32_t board_console_context(void);

/* Microseconds since reset, monotonic, 64-bit. Callable from any context. */
uint64_t board_time_us(void);

/* Handler for the clock's wrap interrupt (board vector table calls it). */
void board_clock_irq(void);

/* Starts the periodic secure tick that calls mv_tick() every
 * 1,000,000 / hz microseconds. */
void board_tick_start(uint32_t hz);

enum board_clock {
    BOARD_CLOCK_SYS,
    BOARD_CLOCK_HCLK,
    BOARD_CLOCK_PCLK1,
    BOARD_CLOCK_PCLK2,
};
uint32_t board_clock_hz(enum board_clock which);

/* The secure watchdog: started with a timeout, fed by the microvisor's
 * deferred work. On expiry the board raises NMI, then resets. */
void board_watchdog_start(uint32_t timeout_ms);
void board_watchdog_feed(void);

/* Whole-device reset. */
void board_reset(void) __attribute__((noreturn));

/* Ends an emulated run with `code` (QEMU: semihosting exit). On hardware it
 * resets. Used by test images and the fatal path of test builds. */
void board_exit(uint32_t code) __attribute__((noreturn));

/* Non-secure interrupts the application may own (targeted NS, enabled,
 * used for notifications and fast interrupts). */
bool board_irq_is_app(uint32_t irq);
uint32_t board_irq_count(void);

/*
 * Peripheral registers the app may reach through mvPeriphPeek32 and
 * mvPeriphPoke32, by the address the application knows them by. Returns
 * false if `addr` is not on the board's allow-list; else the address the
 * microvisor must use and which bits the app may read and write.
 */
struct board_periph_access {
    uint32_t secure_addr;
    uint32_t read_mask;
    uint32_t write_mask;
};
bool board_periph_lookup(uint32_t addr, struct board_periph_access *out);

/* Puts the application's own peripherals (its UART and timer) back to
 * their reset state, for an application restart. */
void board_app_peripherals_reset(void);

/* Where the app's stubs page and image live (memory_map.h of the board). */
struct board_app_layout {
    uint32_t code_base, code_size;   /* what an app image may occupy */
    uint32_t ram_base, ram_size;
    uint32_t stubs_base, stubs_size; /* microvisor-written NS code */
    uint32_t slot_a, slot_b, slot_size;
};
const struct board_app_layout *board_app_layout(void);

/*
 * Random bytes for protocol use (TCP ISNs and ports, DNS ids, DHCP xids).
 * The an505 has no TRNG: board/an505/entropy_an505.c runs a ChaCha20 DRBG
 * (lib/entropy) seeded on first use from the device's secret, a boot
 * counter made durable in flash first, and timer jitter, so no two boots
 * give the same stream; what that does not protect against is in
 * docs/network.md ("Randomness"). Not for long-term keys. Never fails.
 * Secure world only; one execution context (the deferred work) at a time.
 */
void board_entropy(void *out, size_t len);

/* Provisioning record in flash (read-only to the core). */
const void *board_provisioning(void);

/*
 * The network interface (an505: board/an505/lan9118.c). Secure-only: the
 * application can reach neither the NIC nor its interrupt. Frames are
 * Ethernet II without FCS. Host tests use the stack's own simulation
 * (tests/unit/net/net_sim.c) instead.
 */
/* Resets and starts the NIC, reads its MAC; `event` is called from the
 * NIC's interrupt (top half) when frames arrive. 0, or < 0 if absent. */
int board_netif_init(uint8_t mac[6], void (*event)(void));
/* Receive interrupt on/off (off in the top half, on once drained). */
void board_netif_irq_enable(bool on);
/* Copies the next received frame into buf; returns its length, 0 if there
 * is none, < 0 if it was bad or larger than cap (then dropped). */
int board_netif_recv(uint8_t *buf, uint32_t cap);
/* Sends a frame (borrowed until return); 0 or < 0 if it was dropped. */
int board_netif_send(const uint8_t *frame, uint32_t len);
bool board_netif_link_up(void);
/* The NIC interrupt's handler (board vector table). */
void board_netif_irq(void);

/*
 * The update port (an505: UART2, board/an505/update_port.c): the host's
 * path into the update engine until the cloud link exists
 * (docs/update-uart.md). Secure-only: the application can reach neither
 * the UART nor its interrupt. The board's receive interrupt (top half)
 * keeps bytes in a bounded buffer and calls `event`; bytes that arrive
 * when it is full are dropped and counted (the protocol's CRC and the
 * host's retries recover).
 */
/* 0, or < 0 if the board has no update port. */
int board_update_port_init(void (*event)(void));
/* Moves up to cap received bytes into buf; returns how many. */
uint32_t board_update_port_recv(uint8_t *buf, uint32_t cap);
/* Sends n bytes, polled; gives up (returns < 0) if the line does not take
 * a byte within a bounded wait, so a vanished host never stalls the
 * caller. */
int board_update_port_send(const uint8_t *p, uint32_t n);
/* Returns once the bytes sent have left the UART (bounded like send): call
 * before a reset, which would otherwise cut the last bytes of an answer. */
void board_update_port_drain(void);
/* Bytes dropped because the receive buffer was full. */
uint32_t board_update_port_overruns(void);
/* The port's receive interrupt (board vector table). */
void board_update_port_irq(void);

#endif /* BOARD_H */
