/* Why the application is running now (mvGetWakeReason). */
#ifndef WAKE_H
#define WAKE_H

#include <stdint.h>

void wake_reason_set(uint32_t reason); /* an MV_WAKEREASON_* value */
uint32_t wake_reason_get(void);

#endif /* WAKE_H */
