/*
 * SMSC LAN9118 registers (an505: Secure alias 0x52000000, IRQ 48). Only the
 * an505 port includes this header; the core sees the NIC through the
 * board_netif_* contract in board.h.
 */
#ifndef LAN9118_H
#define LAN9118_H

#define LAN9118_S_BASE   0x52000000u /* the microvisor's alias; NS 0x42000000 stays locked */

#define LAN_RX_DATA      0x00u
#define LAN_TX_DATA      0x20u
#define LAN_RX_STAT      0x40u
#define LAN_TX_STAT      0x48u
#define LAN_ID_REV       0x50u
#define LAN_IRQ_CFG      0x54u
#define LAN_INT_STS      0x58u
#define LAN_INT_EN       0x5Cu
#define LAN_BYTE_TEST    0x64u
#define LAN_FIFO_INT     0x68u
#define LAN_RX_CFG       0x6Cu
#define LAN_TX_CFG       0x70u
#define LAN_HW_CFG       0x74u
#define LAN_RX_FIFO_INF  0x7Cu
#define LAN_TX_FIFO_INF  0x80u
#define LAN_PMT_CTRL     0x84u
#define LAN_MAC_CSR_CMD  0xA4u
#define LAN_MAC_CSR_DATA 0xA8u

#define LAN_BYTE_TEST_VALUE 0x87654321u
#define LAN_IRQ_CFG_ON   0x111u        /* IRQ_EN, active high, push-pull */
#define LAN_INT_RSFL     (1u << 3)     /* RX status FIFO level */
#define LAN_HW_CFG_SRST  1u
#define LAN_PMT_READY    1u
#define LAN_TX_CFG_ON    2u
#define LAN_CSR_BUSY     0x80000000u
#define LAN_CSR_READ     0x40000000u

/* MAC CSR indexes */
#define LAN_MAC_CR       1u
#define LAN_MAC_ADDRH    2u
#define LAN_MAC_ADDRL    3u
#define LAN_MII_ACC      6u
#define LAN_MII_DATA     7u
#define LAN_MAC_CR_TXEN  (1u << 3)
#define LAN_MAC_CR_RXEN  (1u << 2)

#define LAN_PHY_ADDR     1u
#define LAN_PHY_BSR      1u
#define LAN_PHY_BSR_LINK (1u << 2)

/* TX command words */
#define LAN_TXA_FIRST    (1u << 13)
#define LAN_TXA_LAST     (1u << 12)
#define LAN_RXS_ERROR    (1u << 15)

#endif /* LAN9118_H */
