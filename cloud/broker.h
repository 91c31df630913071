/*
 * broker.h: what keel-cloud writes for the broker (broker.c): the ACL file
 * mosquitto enforces. Every certificate's CN is its MQTT user name
 * (use_identity_as_username), so one pattern confines each device to
 * devices/<its id>/#; keel-cloud (CN keel-cloud) may use every device's
 * topics; a revoked device gets its own section that denies it everything
 * (mosquitto checks a user's own deny before the patterns). The file is
 * written atomically and mosquitto is told to reread it with SIGHUP.
 */
#ifndef KEEL_CLOUD_BROKER_H
#define KEEL_CLOUD_BROKER_H

#include <stddef.h>

#define CLOUD_MQTT_USER "keel-cloud"

/* revoked: n device ids. 0 or -1. */
int broker_acl_write(const char *path, const char *const *revoked, size_t n);
/* Sends SIGHUP to the broker whose pid is in pidfile; 0 or -1. */
int broker_reload(const char *pidfile);

#endif
