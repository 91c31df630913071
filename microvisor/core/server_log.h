/*
 * Application logging (mvServerLoggingInit / mvServerLog). Messages are
 * spooled in the buffer the application lends the microvisor and drained by
 * deferred work: until the cloud link exists the drain prints each message
 * on the microvisor console as "[app] <message>".
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
};
const struct server_log_stats *server_log_stats(void);

#endif /* SERVER_LOG_H */
