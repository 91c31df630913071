/*
 * IMPLEMENTATION NOTES
 * The update port is UART2, left Secure by board_partition(): no SAU
 * region covers it, its PPC bit (APBNSPPCEXP1 bit 7) stays 0 and its
 * interrupt stays Secure-targeted, so the application can neither reach
 * the registers nor take the interrupt (DESIGN.md: "deny by default").
 *
 * QEMU's CMSDK UART holds one received byte (RXFULL) and raises RX until
 * INTCLEAR is written; reading DATA does not clear it. The top half clears
 * the interrupt first and then empties the UART, so a byte that lands
 * after the clear raises a fresh interrupt instead of being stranded. The
 * bytes go into a ring that one producer (this top half, priority 0x40)
 * and one consumer (deferred work, 0x90) share without a lock: each index
 * is written by one side only.
 */
#include "an505.h"
#include "armv8m.h"
#include "board.h"
#include "uart.h"

#define REG AN505_REG32
#define RING_SIZE 1024u /* one WRITE frame in flight, stop and wait */
/* TXFULL polls before a byte is given up: ~1 ms of polling at 20 MHz,
 * far beyond a byte's time on a connected line. */
#define TX_SPIN_MAX 20000u

_Static_assert((RING_SIZE & (RING_SIZE - 1u)) == 0, "ring size must be a power of two");

static uint8_t ring[RING_SIZE];
static volatile uint32_t ring_head; /* written by the top half */
static volatile uint32_t ring_tail; /* written by the consumer */
static volatile uint32_t overruns;
static void (*port_event)(void);

int board_update_port_init(void (*event)(void))
{
    port_event = event;
    ring_head = ring_tail = 0;
    an505_uart_init(AN505_UART2_S);
    REG(AN505_UART2_S + AN505_UART_CTRL) = 3u | (1u << 3); /* TX, RX, RX interrupt */
    REG(AN505_UART2_S + AN505_UART_INTCLR) = 0xFu;
    NVIC_IPR(AN505_IRQ_UART2_RX) = 0x40;
    NVIC_ISER(AN505_IRQ_UART2_RX / 32u) = 1u << (AN505_IRQ_UART2_RX % 32u);
    return 0;
}

void board_update_port_irq(void)
{
    REG(AN505_UART2_S + AN505_UART_INTCLR) = 2u;
    while (REG(AN505_UART2_S + AN505_UART_STATE) & 2u) {
        uint8_t b = (uint8_t)REG(AN505_UART2_S + AN505_UART_DATA);
        uint32_t h = ring_head;
        if (h - ring_tail >= RING_SIZE) {
            overruns++;
            continue;
        }
        ring[h & (RING_SIZE - 1u)] = b;
        armv8m_dsb_isb(); /* the byte before the index that publishes it */
        ring_head = h + 1u;
    }
    if (port_event)
        port_event();
}

uint32_t board_update_port_recv(uint8_t *buf, uint32_t cap)
{
    uint32_t t = ring_tail, n = 0;
    uint32_t h = ring_head;
    while (t != h && n < cap)
        buf[n++] = ring[t++ & (RING_SIZE - 1u)];
    ring_tail = t;
    return n;
}

int board_update_port_send(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t spin = 0;
        while (REG(AN505_UART2_S + AN505_UART_STATE) & 1u)
            if (++spin > TX_SPIN_MAX)
                return -1;
        REG(AN505_UART2_S + AN505_UART_DATA) = p[i];
    }
    return 0;
}

/* The CMSDK UART has no "transmitter idle" flag: STATE bit 0 (TXFULL) says
 * the holding register is full. Wait (bounded, as send) until it is empty,
 * i.e. the last byte has moved to the shift register, then for that byte's
 * time on the line: 10 bits of BAUDDIV (16) cycles of the 20 MHz clock,
 * 8 us; wait 32 us to be safe. */
#define TX_LAST_BYTE_US 32u
void board_update_port_drain(void)
{
    uint32_t spin = 0;
    while ((REG(AN505_UART2_S + AN505_UART_STATE) & 1u) && ++spin <= TX_SPIN_MAX)
        ;
    uint64_t t0 = board_time_us();
    while (board_time_us() - t0 < TX_LAST_BYTE_US)
        ;
}

uint32_t board_update_port_overruns(void)
{
    return overruns;
}
