/*
 * provision.h: keel provision (cli/keel_provision.c) and the an505 layout
 * lib/update uses on the device (docs/flash-layout.md).
 */
#ifndef KEEL_PROVISION_H
#define KEEL_PROVISION_H

#include "update.h"

extern const struct update_layout keel_an505_layout;

int cmd_provision(int argc, char **argv);

#endif /* KEEL_PROVISION_H */
