/*
 * mps2-an505 (SSE-200 + Cortex-M33) as QEMU 7.2 models it: addresses, register
 * offsets and interrupt numbers. Facts come from
 * shared/reference/qemu-an505-probe/FACTS.md; nothing here is Keel policy
 * (that lives in memory_map.h and board_an505.c).
 *
 * Only the boot ROM and the an505 board files include this header.
 */
#ifndef AN505_H
#define AN505_H

#include <stdint.h>

#define AN505_REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))

/* Memories: the secure alias has address bit 28 set. */
#define AN505_SSRAM1_NS    0x00000000u /* 4 MiB, MPC0 */
#define AN505_SSRAM1_S     0x10000000u
#define AN505_SSRAM1_SIZE  0x00400000u
#define AN505_SSRAM2_S     0x38000000u /* 2 MiB, MPC1 */
#define AN505_SSRAM3_NS    0x28200000u /* 2 MiB, MPC2 */
#define AN505_SSRAM3_S     0x38200000u
#define AN505_SSRAM3_SIZE  0x00200000u
#define AN505_PSRAM        0x80000000u /* 16 MiB, no MPC; our flash */
#define AN505_PSRAM_SIZE   0x01000000u

/* TrustZone memory protection controllers. */
#define AN505_MPC_SSRAM1   0x58007000u
#define AN505_MPC_SSRAM2   0x58008000u
#define AN505_MPC_SSRAM3   0x58009000u
#define AN505_MPC_CTRL       0x00u
#define AN505_MPC_BLK_MAX    0x10u
#define AN505_MPC_BLK_CFG    0x14u
#define AN505_MPC_BLK_IDX    0x18u
#define AN505_MPC_BLK_LUT    0x1Cu

/* Secure Privilege Control block (security controller). */
#define AN505_SPC          0x50080000u
#define AN505_SPC_SECRESPCFG   0x10u
#define AN505_SPC_NSCCFG       0x14u
#define AN505_SPC_SECPPCINTCLR 0x24u
#define AN505_SPC_AHBNSPPCEXP0 0x60u
#define AN505_SPC_APBNSPPC0    0x70u
#define AN505_SPC_APBNSPPCEXP1 0x84u
#define AN505_PPC_APB0_TIMER0  (1u << 0)
#define AN505_PPC_APBEXP1_UART(n) (1u << (5 + (n)))

/* CMSDK APB UART. */
#define AN505_UART0_S      0x50200000u /* microvisor console */
#define AN505_UART1_NS     0x40201000u /* application console */
#define AN505_UART1_S      0x50201000u
#define AN505_UART2_S      0x50202000u /* update port (Secure only) */
#define AN505_UART_DATA    0x00u
#define AN505_UART_STATE   0x04u /* bit0 TXFULL, bit1 RXFULL */
#define AN505_UART_CTRL    0x08u /* bit0 TXEN, bit1 RXEN, bit3 RXINTEN */
#define AN505_UART_INTCLR  0x0Cu /* INTSTATUS / INTCLEAR, bit1 RX */
#define AN505_UART_BAUDDIV 0x10u

/* CMSDK timers, 20 MHz (the main clock). */
#define AN505_TIMER0_NS    0x40000000u /* application timer */
#define AN505_TIMER0_S     0x50000000u
#define AN505_TIMER1_S     0x50001000u /* microvisor clock */
#define AN505_DUALTIMER_S  0x50002000u
#define AN505_TIMER_CTRL   0x00u /* bit0 EN, bit3 IRQEN */
#define AN505_TIMER_VALUE  0x04u
#define AN505_TIMER_RELOAD 0x08u
#define AN505_TIMER_INTCLR 0x0Cu
#define AN505_MAIN_CLOCK_HZ 20000000u

/* CMSDK watchdogs (secure one: interrupt on NMI, then reset). */
#define AN505_WDOG_S       0x50081000u
#define AN505_WDOG_LOAD    0x000u
#define AN505_WDOG_VALUE   0x004u
#define AN505_WDOG_CTRL    0x008u /* bit0 INTEN, bit1 RESEN */
#define AN505_WDOG_INTCLR  0x00Cu
#define AN505_WDOG_LOCK    0xC00u
#define AN505_WDOG_UNLOCK_KEY 0x1ACCE551u

/* FPGA I/O (LEDs, buttons, switches) and system information. */
#define AN505_FPGAIO_NS    0x40302000u
#define AN505_FPGAIO_LED   0x000u
#define AN505_FPGAIO_BUTTON 0x008u
#define AN505_FPGAIO_MISC  0x04Cu
#define AN505_SYSINFO_S    0x50020000u
#define AN505_SYSCTL_S     0x50021000u
#define AN505_SYSCTL_RESET_SYNDROME 0x100u

/* Interrupt numbers (NVIC, external). */
#define AN505_IRQ_S32K_TIMER 2
#define AN505_IRQ_TIMER0     3
#define AN505_IRQ_TIMER1     4
#define AN505_IRQ_DUALTIMER  5
#define AN505_IRQ_MPC        9
#define AN505_IRQ_PPC        10
#define AN505_IRQ_UART1_RX   34
#define AN505_IRQ_UART1_TX   35
#define AN505_IRQ_UART1      43
#define AN505_IRQ_UART2_RX   36
#define AN505_IRQ_ETHERNET   48
#define AN505_NUM_IRQS       96

#endif /* AN505_H */
