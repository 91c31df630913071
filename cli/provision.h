/*
 * provision.h: keel provision (cli/keel_provision.c) and the an505 layout
 * lib/update uses on the device (docs/flash-layout.md).
 */
#ifndef KEEL_PROVISION_H
#define KEEL_PROVISION_H

#include <stdbool.h>

#include "update.h"

extern const struct update_layout keel_an505_layout;

int cmd_provision(int argc, char **argv);

/* Installs an image (signed envelope + slot bytes) with the device's own
 * update engine, boots it once and confirms it: the factory path is the
 * FOTA path. Prints what it installed; 0, or -1 with the reason on stderr
 * (name names the image in messages; quiet: no line on success). */
int provision_install(update_t *u, const uint8_t *env, size_t env_len, const uint8_t *image,
                      size_t image_len, uint32_t comp, const char *name, bool quiet);

#endif /* KEEL_PROVISION_H */
