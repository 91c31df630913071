/*
 * CMSDK APB UART, polled transmit. QEMU does not enforce BAUDDIV but a DATA
 * write while TXEN=0 wedges TXFULL until reset, so init always sets TXEN.
 */
#ifndef AN505_UART_H
#define AN505_UART_H

#include "an505.h"

static inline void an505_uart_init(uint32_t base)
{
    AN505_REG32(base + AN505_UART_BAUDDIV) = 16;
    AN505_REG32(base + AN505_UART_CTRL) = 3; /* TX and RX enabled */
}

static inline void an505_uart_putc(uint32_t base, char c)
{
    while (AN505_REG32(base + AN505_UART_STATE) & 1u)
        ;
    AN505_REG32(base + AN505_UART_DATA) = (uint8_t)c;
}

#endif /* AN505_UART_H */
