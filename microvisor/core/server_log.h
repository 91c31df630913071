/*
 * Application logging (mvServerLoggingInit / mvServerLog). Messages are
 * spooled in the buffer the application lends the microvisor and drained by
 * deferred work: each message goes to the cloud link (server_log_deliver,
 * link/link.c) and is printed on the microvisor console as
 * "[app] <message>".
 */
#ifndef SERVER_LOG_H
#define SERVER_LOG_H

#include <stdbool.h>
#include <stdint.h>

/* Registers the spool (already checked: app-writable, aligned, sized). */
uint32_t server_log_init(uint32_t buffer, uint32_t size);
/* True once a spool is registered (mvServerLog is UNAVAILABLE before). */
bool server_log_active(void);
/* Queues a message already copied into secure memory. */
uint32_t server_log_append(const uint8_t *msg, uint32_t len);
/* Deferred work: drains the spool. */
void server_log_drain(uint64_t now_us);
/* The work id the drain runs under (set by server_log_setup). */
void server_log_setup(int work_id);
/* True while queued messages wait to be drained. */
bool server_log_pending(void);

/* Forgets the spool (application restart). */
void server_log_reset(void);

struct server_log_stats {
    uint32_t queued, dropped_full, delivered;
    uint32_t held;  /* drains stopped because the link's queue was full */
};

/* Hands one message (server_log's secure copy, which the link may fix
 * in place) to the cloud link; false if its queue is full (the
 * drain stops, keeping the message, until server_log_kick). Defined by
 * link/link.c; a weak default takes everything (images without the link).
 * Runs in deferred work. */
bool server_log_deliver(uint8_t *msg, uint32_t len, uint64_t now_us);
/* The link has room again: resume draining. Deferred work only. */
void server_log_kick(void);
const struct server_log_stats *server_log_stats(void);

#endif /* SERVER_LOG_H */
