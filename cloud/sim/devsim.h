/* devsim.h: keel-devsim's verbs (devsim*.c). */
#ifndef KEEL_DEVSIM_H
#define KEEL_DEVSIM_H

#include <mosquitto.h>
#include <stdbool.h>

/* keel-devsim certs: makes N device identities from the fleet CA. */
int devsim_certs(int argc, char **argv);
/* keel-devsim probe: the broker's ACL and certificate checks. */
int devsim_probe(int argc, char **argv);
/* keel-devsim hold: a device that stays connected while it is revoked. */
int devsim_hold(int argc, char **argv);
/* keel-devsim raw: publishes caller-made payloads, prints the log acks. */
int devsim_raw(int argc, char **argv);

/* keel-devsim update: a device taking an update over the air. */
int devsim_update(int argc, char **argv);
/* keel-devsim fetch: single fetches, their chunks printed. */
int devsim_fetch(int argc, char **argv);

/* The device id in a certificate file (its CN), into id[35]. 0 or -1. */
int devsim_cert_id(const char *cert_path, char id[35]);
/* A connected MQTT 5 client with cert/key for device id (its will goes to
 * devices/<id>/up/offline) under MQTT client id cid (the protocol's is the
 * device id), or NULL (reason on stderr, or *refused set when the broker
 * or TLS refused it). */
struct mosquitto *devsim_connect(const char *host, int port, const char *ca, const char *cert,
                                 const char *key, const char *id, const char *cid, void *obj,
                                 bool *refused);

#endif
