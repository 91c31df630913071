#include "wake.h"

static uint32_t wake_reason;

void wake_reason_set(uint32_t reason)
{
    wake_reason = reason;
}

uint32_t wake_reason_get(void)
{
    return wake_reason;
}
