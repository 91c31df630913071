#include "nvic.h"

#include "armv8m.h"

void nvic_enable(uint32_t irq, bool on)
{
    if (on)
        NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
    else
        NVIC_ICER(irq / 32u) = 1u << (irq % 32u);
}

bool nvic_is_enabled(uint32_t irq)
{
    return (NVIC_ISER(irq / 32u) >> (irq % 32u)) & 1u;
}

void nvic_pend(uint32_t irq)
{
    NVIC_ISPR(irq / 32u) = 1u << (irq % 32u);
}

uint32_t nvic_ns_vtor(void)
{
    return SCB_NS_VTOR;
}

void nvic_set_priority(uint32_t irq, uint8_t prio)
{
    NVIC_IPR(irq) = prio;
}
