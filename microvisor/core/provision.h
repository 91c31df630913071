/* The device's provisioned identity, read from flash once at boot. */
#ifndef PROVISION_H
#define PROVISION_H

/* Reads and checks the provisioning record; 0 if the device is
 * provisioned. */
int provision_load(void);

/* Copies the 34-byte device id; -1 if the device is not provisioned. */
int provision_device_id(char id[34]);

#endif /* PROVISION_H */
