/* A hostile application that goes for the network chip: it reads the
 * LAN9118 through its Non-secure alias, then its Secure alias (each must
 * fault and get the app restarted), then tries to enable and pend the
 * chip's interrupt from the Non-secure side (must have no effect). The
 * microvisor's network (DHCP) keeps working throughout. */
#include "testapp.h"

#define LAN_NS_ID_REV 0x42000050u
#define LAN_S_ID_REV  0x52000050u
#define NVIC_ISER1 (*(volatile uint32_t *)0xE000E104u)
#define NVIC_ISPR1 (*(volatile uint32_t *)0xE000E204u)
#define ETH_BIT (1u << (48 - 32))

static uint32_t step TESTAPP_NOINIT;
static uint32_t magic TESTAPP_NOINIT;

int main(void)
{
    enum MvWakeReason wake = 0xEE;
    if (magic != 0x4E455401u) {
        magic = 0x4E455401u;
        step = 0;
    }
    mvGetWakeReason(&wake);
    printf("net_hostile step %lu wake %u\n", (unsigned long)step, (unsigned)wake);
    if (step == 0) {
        step = 1;
        (void)*(volatile uint32_t *)LAN_NS_ID_REV;
        testapp_check(0, "read the LAN9118 through its NS alias");
        testapp_finish();
    }
    if (step == 1) {
        testapp_check(wake == MV_WAKEREASON_APPLICATIONCRASH, "NS alias read faulted");
        step = 2;
        (void)*(volatile uint32_t *)LAN_S_ID_REV;
        testapp_check(0, "read the LAN9118 through its Secure alias");
        testapp_finish();
    }
    testapp_check(wake == MV_WAKEREASON_APPLICATIONCRASH, "Secure alias read faulted");
    NVIC_ISER1 = ETH_BIT;
    NVIC_ISPR1 = ETH_BIT;
    testapp_check((NVIC_ISER1 & ETH_BIT) == 0 && (NVIC_ISPR1 & ETH_BIT) == 0,
                  "ethernet IRQ 48 invisible to the app (secure-targeted)");
    for (volatile uint32_t i = 0; i < 5000000u; i++)
        ;
    magic = 0;
    testapp_finish();
}
