/*
 * broker.h: what keel-cloud keeps for the broker (broker.c): the ACL file
 * mosquitto enforces, and the reconciler that keeps it equal to the
 * database. Every certificate's CN is its MQTT user name
 * (use_identity_as_username), so one pattern confines each device to
 * devices/<its id>/#; keel-cloud (CN keel-cloud) may use every device's
 * topics; a revoked device gets its own section that denies it everything
 * (mosquitto checks a user's own deny before the patterns). The file is
 * written atomically and mosquitto is told to reread it with SIGHUP.
 *
 * The database is the truth; the file follows it. One instance at a time
 * keeps the files in DIR (broker_acl = 1 and the lock DIR/broker.lock):
 * at start and every second it rebuilds DIR/acl from the revoked devices,
 * signals the broker when the file changed (or it has not yet since it
 * took the lock), and only then marks those devices acl_applied_ms in the
 * database. A revocation made on any instance is therefore applied by the
 * owner within a second, and the API answers from that mark.
 */
#ifndef KEEL_CLOUD_BROKER_H
#define KEEL_CLOUD_BROKER_H

#include <stdbool.h>
#include <stddef.h>

#define CLOUD_MQTT_USER "keel-cloud"

struct cloud;

/* revoked: n device ids (not "UV" + 32 hex ones are left out). 0 or -1. */
int broker_acl_write(const char *path, const char *const *revoked, size_t n);
/* Sends SIGHUP to the broker whose pid is in pidfile, after checking that
 * the process is a mosquitto (a stale pidfile must not signal whatever now
 * has the pid); 0 or -1. */
int broker_reload(const char *pidfile);

/* Starts c's reconciler thread (only when c->cfg.broker_acl); 0 or -1. */
int cloud_broker_start(struct cloud *c);
/* Asks the reconciler to run now rather than at its next second. Any
 * thread; a no-op without a reconciler. */
void cloud_broker_poke(struct cloud *c);
void cloud_broker_stop(struct cloud *c);

#endif
