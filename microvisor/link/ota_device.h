/* The OTA client on the device: its engine interface over the
 * microvisor's update context (ota_device.c). */
#ifndef OTA_DEVICE_H
#define OTA_DEVICE_H

#include "ota.h"

/* The client, initialised (id: the device id; mv_version: the running
 * microvisor's). Call once, from link_init. */
struct ota *ota_device_init(const char *id, uint32_t mv_version);

#endif /* OTA_DEVICE_H */
