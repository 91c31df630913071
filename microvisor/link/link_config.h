/* The cloud link's build-time sizes and timers (docs/cloud-link.md). */
#ifndef LINK_CONFIG_H
#define LINK_CONFIG_H

/* TCP rings. The TLS engine takes received bytes as soon as it has room,
 * so the receive ring needs no room for a whole record; it sets the
 * window the broker may send into. */
#ifndef LINK_TCP_RX
#define LINK_TCP_RX 2048u
#endif
#ifndef LINK_TCP_TX
#define LINK_TCP_TX 2048u
#endif

/* Back-off between attempts: doubling from MIN to MAX; a session that
 * lasted STABLE resets it. */
#ifndef LINK_BACKOFF_MIN_MS
#define LINK_BACKOFF_MIN_MS 1000u
#endif
#ifndef LINK_BACKOFF_MAX_MS
#define LINK_BACKOFF_MAX_MS 60000u
#endif
#ifndef LINK_STABLE_MS
#define LINK_STABLE_MS 30000u
#endif

/* MQTT keepalive: the broker drops a session silent for 1.5 times this. */
#ifndef LINK_KEEPALIVE_S
#define LINK_KEEPALIVE_S 60u
#endif

#endif /* LINK_CONFIG_H */
