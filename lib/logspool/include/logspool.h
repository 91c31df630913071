/*
 * logspool.h: the flash log spool (lib/logspool): log records the cloud
 * link could not deliver yet, kept across reboots and power cuts in a ring
 * of flash pages, oldest dropped when full. docs/cloud-link.md says when
 * the device uses it; docs/flash-layout.md where it lives.
 *
 * The spool also keeps the log sequence numbers: numbers are consecutive
 * per device for its lifetime (docs/protocol.md), so they must survive a
 * reboot even when the records themselves were delivered from RAM and
 * never written here. The spool reserves them in blocks of
 * LOGSPOOL_RESERVE with one small flash record per block; a reboot starts
 * at the end of the last block, so it skips at most LOGSPOOL_RESERVE - 1
 * numbers that were never used.
 *
 * Layout (every field little-endian, every record a whole number of
 * program units, each with its own CRC-32):
 *   page:   header unit: "KLSP", page sequence number (u32, +1 per page
 *           opened), CRC-32 of those 8 bytes, ~CRC; then records.
 *   record: header unit: kind (u8: 1 log, 2 ack, 3 reserve), level (u8),
 *           text length (u16), CRC-32 of bytes 8.. of the record (u32),
 *           value (u64: the log's sequence number; for an ack, every log
 *           below it was delivered; for a reserve, numbers below it are
 *           used or reserved); a log then has device_ms (u64) and its
 *           text, zero padded to the unit.
 * A record that does not check (torn by a power cut) ends its page for
 * reading and writing; the next record goes to a new page. The newest
 * page always starts with an ack and a reserve record, so erasing the
 * oldest page never loses the spool's state.
 *
 * No allocation, no clock: the caller owns the struct and the flash, and
 * passes each record's device time. Not reentrant.
 */
#ifndef KEEL_LOGSPOOL_H
#define KEEL_LOGSPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash.h"

#define LOGSPOOL_TEXT_MAX 512u   /* bytes of one record's text (PROTO_MAX_LOG_TEXT) */
#define LOGSPOOL_RESERVE 256u    /* sequence numbers reserved per flash record */
#define LOGSPOOL_PAGES_MAX 64u

#define LOGSPOOL_OK 0
#define LOGSPOOL_E_ARG (-1)      /* bad argument (text too long, no pages...) */
#define LOGSPOOL_E_FLASH (-2)    /* the flash failed (power cut on the simulator) */
#define LOGSPOOL_E_END (-3)      /* logspool_next: no more records */

struct logspool {
    const flash_t *fl;
    uint32_t base, npages, page, unit;
    /* the page being written: its index, page sequence number and the
     * offset of the next record (page size: full or closed) */
    uint32_t cur, cur_seq, wr;
    uint32_t oldest;         /* index of the oldest valid page (== cur: only one) */
    bool any;                /* at least one valid page */
    uint64_t next_seq;       /* the number the next record gets */
    uint64_t reserved;       /* numbers below this are reserved in flash */
    uint64_t acked;          /* every log below this was delivered */
    uint64_t flash_max;      /* 1 + the highest log number in flash, or 0 */
    uint32_t dropped;        /* undelivered records erased to make room (since open) */
    uint32_t page_seq[LOGSPOOL_PAGES_MAX]; /* each page's number; 0: erased or invalid */
};

/* A position for logspool_next: start with logspool_cursor(). */
struct logspool_cursor {
    uint32_t page_seq, off;
};

struct logspool_rec {
    uint64_t seq, device_ms;
    uint8_t level;
    uint16_t len;
    char text[LOGSPOOL_TEXT_MAX];
};

/* Opens the spool in pages [base, base + npages * page size) of fl: scans
 * them, recovers the sequence numbers, what was acknowledged and where to
 * write, and writes a fresh reservation. LOGSPOOL_OK or an error. */
int logspool_open(struct logspool *s, const flash_t *fl, uint32_t base, uint32_t npages);

/* Takes the next sequence number (reserving a new block in flash when the
 * current one is used up). 0 with *seq, or LOGSPOOL_E_FLASH. */
int logspool_take_seq(struct logspool *s, uint64_t *seq);

/* Writes one record with a number from logspool_take_seq (numbers must
 * increase). When the ring is full the oldest page is erased and its
 * undelivered records counted in s->dropped. */
int logspool_append(struct logspool *s, uint64_t seq, uint64_t device_ms, uint8_t level,
                    const char *text, uint16_t len);

/* Every log below `upto` was delivered: they are skipped from now on and,
 * if the spool holds any of them, an ack record says so in flash. */
int logspool_ack(struct logspool *s, uint64_t upto);

/* Undelivered records, oldest first: a cursor from logspool_cursor, then
 * logspool_next until LOGSPOOL_E_END. A cursor stays valid across appends
 * and acks; after its page was erased it restarts at the oldest. */
struct logspool_cursor logspool_cursor(const struct logspool *s);
int logspool_next(const struct logspool *s, struct logspool_cursor *c, struct logspool_rec *r);

/* True when the spool holds undelivered records. */
bool logspool_pending(const struct logspool *s);

#endif /* KEEL_LOGSPOOL_H */
