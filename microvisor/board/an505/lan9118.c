/*
 * IMPLEMENTATION NOTES
 * The an505 port of the board_netif_* contract: an SMSC LAN9118 driven
 * through its Secure alias only. The SAU leaves 0x42000000 (the NS alias)
 * Secure and the PPC bit for the ethernet stays 0, so the application can
 * never reach the chip; IRQ 48 keeps its reset target (Secure) because
 * board_irq_is_app() does not list it.
 *
 * Interrupts: only RSFL (a received frame's status is in the FIFO). The top
 * half masks the chip's interrupt (INT_EN = 0, which drops the level line)
 * and calls the registered event function, which submits the network's
 * deferred work; that work drains the FIFO with board_netif_recv() and
 * re-arms with board_netif_irq_enable(true). QEMU's LAN9118 raises IRQ 48
 * from reset until IRQ_CFG is written (FACTS.md), so the NVIC pending bit
 * is cleared after configuration, before the IRQ is enabled.
 *
 * Transmit is PIO into the TX data FIFO and completes before returning, so
 * the stack's buffer is only borrowed. Words are assembled from bytes: the
 * frame may start at any alignment.
 */
#include <stddef.h>

#include "an505.h"
#include "armv8m.h"
#include "board.h"
#include "lan9118.h"

#define LAN(off) AN505_REG32(LAN9118_S_BASE + (off))
#define LAN_POLL_MAX 100000u
#define LAN_IRQ_PRIO 0x40u /* SCHED_PRIO_DEVICE: top halves only */

static void (*netif_event)(void);

static int csr_wait(void)
{
    for (uint32_t i = 0; i < LAN_POLL_MAX; i++)
        if (!(LAN(LAN_MAC_CSR_CMD) & LAN_CSR_BUSY))
            return 0;
    return -1;
}

static uint32_t mac_csr_read(uint32_t reg)
{
    LAN(LAN_MAC_CSR_CMD) = LAN_CSR_BUSY | LAN_CSR_READ | reg;
    csr_wait();
    return LAN(LAN_MAC_CSR_DATA);
}

static void mac_csr_write(uint32_t reg, uint32_t v)
{
    LAN(LAN_MAC_CSR_DATA) = v;
    LAN(LAN_MAC_CSR_CMD) = LAN_CSR_BUSY | reg;
    csr_wait();
}

static uint32_t phy_read(uint32_t reg)
{
    mac_csr_write(LAN_MII_ACC, LAN_PHY_ADDR << 11 | reg << 6 | 1u);
    for (uint32_t i = 0; i < LAN_POLL_MAX && (mac_csr_read(LAN_MII_ACC) & 1u); i++)
        ;
    return mac_csr_read(LAN_MII_DATA);
}

int board_netif_init(uint8_t mac[6], void (*event)(void))
{
    NVIC_ICER(AN505_IRQ_ETHERNET / 32u) = 1u << (AN505_IRQ_ETHERNET % 32u);
    if (LAN(LAN_BYTE_TEST) != LAN_BYTE_TEST_VALUE || (LAN(LAN_ID_REV) >> 16) != 0x0118u)
        return -1;
    LAN(LAN_HW_CFG) = LAN_HW_CFG_SRST;
    for (uint32_t i = 0; i < LAN_POLL_MAX && (LAN(LAN_HW_CFG) & LAN_HW_CFG_SRST); i++)
        ;
    for (uint32_t i = 0; i < LAN_POLL_MAX && !(LAN(LAN_PMT_CTRL) & LAN_PMT_READY); i++)
        ;
    uint32_t hi = mac_csr_read(LAN_MAC_ADDRH), lo = mac_csr_read(LAN_MAC_ADDRL);
    mac[0] = (uint8_t)lo;
    mac[1] = (uint8_t)(lo >> 8);
    mac[2] = (uint8_t)(lo >> 16);
    mac[3] = (uint8_t)(lo >> 24);
    mac[4] = (uint8_t)hi;
    mac[5] = (uint8_t)(hi >> 8);
    netif_event = event;
    LAN(LAN_INT_EN) = 0;
    LAN(LAN_IRQ_CFG) = LAN_IRQ_CFG_ON;
    LAN(LAN_INT_STS) = 0xFFFFFFFFu;
    LAN(LAN_RX_CFG) = 0;
    mac_csr_write(LAN_MAC_CR, LAN_MAC_CR_TXEN | LAN_MAC_CR_RXEN);
    LAN(LAN_TX_CFG) = LAN_TX_CFG_ON;
    /* IRQ 48: Secure target (the reset value, asserted), device priority. */
    NVIC_ITNS(AN505_IRQ_ETHERNET / 32u) &= ~(1u << (AN505_IRQ_ETHERNET % 32u));
    NVIC_IPR(AN505_IRQ_ETHERNET) = LAN_IRQ_PRIO;
    NVIC_ICPR(AN505_IRQ_ETHERNET / 32u) = 1u << (AN505_IRQ_ETHERNET % 32u);
    NVIC_ISER(AN505_IRQ_ETHERNET / 32u) = 1u << (AN505_IRQ_ETHERNET % 32u);
    return 0;
}

void board_netif_irq_enable(bool on)
{
    LAN(LAN_INT_STS) = LAN_INT_RSFL;
    LAN(LAN_INT_EN) = on ? LAN_INT_RSFL : 0u;
    /* A frame that arrived after the last drain but before the status was
     * cleared would raise no interrupt: look once more. */
    if (on && ((LAN(LAN_RX_FIFO_INF) >> 16) & 0xFFu) && netif_event)
        netif_event();
}

/* IRQ 48 top half. */
void board_netif_irq(void)
{
    LAN(LAN_INT_EN) = 0;
    NVIC_ICPR(AN505_IRQ_ETHERNET / 32u) = 1u << (AN505_IRQ_ETHERNET % 32u);
    if (netif_event)
        netif_event();
}

int board_netif_recv(uint8_t *buf, uint32_t cap)
{
    if (!((LAN(LAN_RX_FIFO_INF) >> 16) & 0xFFu))
        return 0;
    uint32_t st = LAN(LAN_RX_STAT);
    uint32_t len = (st >> 16) & 0x3FFFu; /* with the 4-byte FCS */
    uint32_t words = (len + 3u) / 4u;
    bool ok = !(st & LAN_RXS_ERROR) && len >= 18u && len - 4u <= cap;
    for (uint32_t i = 0; i < words; i++) {
        uint32_t w = LAN(LAN_RX_DATA);
        uint32_t at = i * 4u;
        if (!ok || at >= len - 4u)
            continue;
        uint32_t k = len - 4u - at;
        buf[at] = (uint8_t)w;
        if (k > 1) buf[at + 1] = (uint8_t)(w >> 8);
        if (k > 2) buf[at + 2] = (uint8_t)(w >> 16);
        if (k > 3) buf[at + 3] = (uint8_t)(w >> 24);
    }
    return ok ? (int)(len - 4u) : -1;
}

int board_netif_send(const uint8_t *frame, uint32_t len)
{
    if (len > 1514u || len < 14u)
        return -1;
    uint32_t i = 0;
    while ((LAN(LAN_TX_FIFO_INF) & 0xFFFFu) < len + 8u)
        if (++i >= LAN_POLL_MAX)
            return -1;
    LAN(LAN_TX_DATA) = LAN_TXA_FIRST | LAN_TXA_LAST | len;
    LAN(LAN_TX_DATA) = (len << 16) | len;
    for (i = 0; i + 4u <= len; i += 4u)
        LAN(LAN_TX_DATA) = (uint32_t)frame[i] | (uint32_t)frame[i + 1] << 8 |
                           (uint32_t)frame[i + 2] << 16 | (uint32_t)frame[i + 3] << 24;
    if (i < len) {
        uint32_t w = 0;
        for (uint32_t k = 0; i + k < len; k++)
            w |= (uint32_t)frame[i + k] << (8u * k);
        LAN(LAN_TX_DATA) = w;
    }
    while ((LAN(LAN_TX_FIFO_INF) >> 16) & 0xFFu)
        (void)LAN(LAN_TX_STAT);
    return 0;
}

bool board_netif_link_up(void)
{
    return (phy_read(LAN_PHY_BSR) & LAN_PHY_BSR_LINK) != 0;
}
