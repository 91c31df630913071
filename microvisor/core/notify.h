/*
 * Notification centers (mvSetupNotifications & co.): rings of 16-byte
 * records in application memory, each tied to an application IRQ that the
 * microvisor pends after writing a record. Functions return MvStatus
 * values; pointer checks are the gateway's job, done before these run.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdint.h>

/* buffer: already checked app-writable, 8-aligned, size a multiple of 16
 * and >= 32. On success *handle is non-zero. */
uint32_t notify_setup(uint32_t irq, uint32_t buffer, uint32_t size, uint32_t *handle);
uint32_t notify_close(uint32_t handle);
/* Posts one record; MV_STATUS_INVALIDHANDLE if the handle is unknown. */
uint32_t notify_post(uint32_t handle, uint32_t event_type, uint32_t tag);
/* True if handle names an open center. */
int notify_handle_ok(uint32_t handle);
/* True if a center uses irq. */
int notify_irq_in_use(uint32_t irq);
/* Forgets every center (application restart). */
void notify_reset(void);

struct notify_stats {
    uint32_t posted, dropped_full;
};
const struct notify_stats *notify_stats(void);

#endif /* NOTIFY_H */
