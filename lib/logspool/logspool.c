/*
 * IMPLEMENTATION NOTES
 * Pages are used in index order round the ring, each with a page sequence
 * number one above the last; the spool keeps each page's number in RAM
 * (s->page_seq[], 0 = erased or invalid) so finding the oldest, the next and
 * a cursor's page needs no flash reads. Everything the spool knows is
 * rebuilt from flash by logspool_open: nothing in RAM is trusted across a
 * reboot. A record is written with one program operation; a cut leaves it
 * failing its CRC (or the unit still erased), so a reader never takes half
 * a record, and the writer never programs a unit twice: after any failed
 * program the page is closed and the next record opens a new one.
 */
#include "logspool.h"

#include <string.h>

#include "crc32.h"

#define MAGIC 0x50534C4Bu /* "KLSP" */
#define HDR 16u
#define KIND_LOG 1u
#define KIND_ACK 2u
#define KIND_RESERVE 3u

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint32_t get16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static uint32_t rec_size(uint32_t kind, uint32_t len)
{
    return kind == KIND_LOG ? HDR + ((8u + len + 15u) & ~15u) : HDR;
}

static uint32_t page_addr(const struct logspool *s, uint32_t i)
{
    return s->base + i * s->page;
}

static bool erased16(const uint8_t *p)
{
    for (unsigned i = 0; i < HDR; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

/* The page's sequence number if its header checks, else 0. */
static uint32_t read_page_header(const struct logspool *s, uint32_t i)
{
    uint8_t h[HDR];
    if (flash_read(s->fl, page_addr(s, i), h, HDR) != FLASH_OK || get32(h) != MAGIC)
        return 0;
    uint32_t crc = get32(h + 8);
    if (get32(h + 12) != ~crc || crc32_ieee(h, 8) != crc)
        return 0;
    return get32(h + 4);
}

/* The record at off in page i: its kind, or 0 at the end of the page's
 * records (erased, torn or malformed); *value and *size, and for a log
 * *r when r is not NULL. */
static uint32_t read_rec(const struct logspool *s, uint32_t i, uint32_t off,
                         struct logspool_rec *r, uint64_t *value, uint32_t *size)
{
    uint8_t rec[HDR + 8 + LOGSPOOL_TEXT_MAX + 16];
    if (off > s->page - HDR || flash_read(s->fl, page_addr(s, i) + off, rec, HDR) != FLASH_OK ||
        erased16(rec))
        return 0;
    uint32_t kind = rec[0], len = get16(rec + 2);
    if (kind < KIND_LOG || kind > KIND_RESERVE || (kind != KIND_LOG && (len || rec[1])) ||
        len > LOGSPOOL_TEXT_MAX || (kind == KIND_LOG && rec[1] > 3))
        return 0;
    uint32_t sz = rec_size(kind, len);
    if (sz > s->page - off ||
        (sz > HDR && flash_read(s->fl, page_addr(s, i) + off + HDR, rec + HDR, sz - HDR) != FLASH_OK) ||
        crc32_ieee(rec + 8, sz - 8) != get32(rec + 4))
        return 0;
    for (uint32_t k = HDR + 8 + len; k < sz && kind == KIND_LOG; k++)
        if (rec[k])
            return 0; /* the padding is zero: one encoding per record */
    *value = get64(rec + 8);
    *size = sz;
    if (kind == KIND_LOG && r) {
        r->seq = *value;
        r->level = rec[1];
        r->len = (uint16_t)len;
        r->device_ms = get64(rec + HDR);
        memcpy(r->text, rec + HDR + 8, len);
    }
    return kind;
}

/* Walks page i's records: updates what open recovers, counts logs at or
 * above `undelivered` into *pending; returns the offset after the last
 * good record. */
static uint32_t scan_page(struct logspool *s, uint32_t i, uint64_t undelivered,
                          uint32_t *pending)
{
    uint32_t off = HDR, sz;
    uint64_t v;
    uint32_t kind;
    while ((kind = read_rec(s, i, off, NULL, &v, &sz)) != 0) {
        if (kind == KIND_LOG) {
            if (v + 1 > s->flash_max)
                s->flash_max = v + 1;
            if (pending && v >= undelivered)
                (*pending)++;
        } else if (kind == KIND_ACK && v > s->acked) {
            s->acked = v;
        } else if (kind == KIND_RESERVE && v > s->reserved) {
            s->reserved = v;
        }
        off += sz;
    }
    return off;
}

static int program_rec(struct logspool *s, uint32_t kind, uint8_t level, uint64_t value,
                       uint64_t device_ms, const char *text, uint32_t len)
{
    uint8_t buf[HDR + 8 + LOGSPOOL_TEXT_MAX + 16];
    uint32_t sz = rec_size(kind, len);
    memset(buf, 0, sz);
    buf[0] = (uint8_t)kind;
    buf[1] = level;
    put16(buf + 2, len);
    put64(buf + 8, value);
    if (kind == KIND_LOG) {
        put64(buf + HDR, device_ms);
        memcpy(buf + HDR + 8, text, len);
    }
    put32(buf + 4, crc32_ieee(buf + 8, sz - 8));
    int rc = flash_program(s->fl, page_addr(s, s->cur) + s->wr, buf, sz);
    if (rc != FLASH_OK) {
        s->wr = s->page; /* closed: never program these units again */
        return rc;
    }
    s->wr += sz;
    return FLASH_OK;
}

/* The valid page with the lowest number above `after`, or npages. */
static uint32_t page_after(const struct logspool *s, uint32_t after)
{
    uint32_t best = s->npages;
    for (uint32_t i = 0; i < s->npages; i++)
        if (s->page_seq[i] > after && (best == s->npages || s->page_seq[i] < s->page_seq[best]))
            best = i;
    return best;
}

/* Opens the next page of the ring: erases it (counting what it held that
 * was never delivered) and writes its header, then the spool's state. */
static int open_page(struct logspool *s)
{
    uint32_t next = s->any ? (s->cur + 1) % s->npages : 0;
    uint32_t seq = s->any ? s->cur_seq + 1 : 1;
    for (uint32_t i = 0; i < s->npages; i++)
        if (s->page_seq[i] >= seq)
            seq = s->page_seq[i] + 1; /* numbers only grow, whatever flash held */
    if (s->page_seq[next]) {
        uint32_t lost = 0;
        uint64_t keep_max = s->flash_max, keep_ack = s->acked, keep_res = s->reserved;
        scan_page(s, next, s->acked, &lost);
        s->flash_max = keep_max;
        s->acked = keep_ack;
        s->reserved = keep_res;
        s->dropped += lost;
        s->page_seq[next] = 0;
    }
    s->cur = next;
    s->cur_seq = seq;
    s->wr = s->page;
    if (flash_erase_page(s->fl, page_addr(s, next)) != FLASH_OK)
        return LOGSPOOL_E_FLASH;
    uint8_t h[HDR];
    put32(h, MAGIC);
    put32(h + 4, seq);
    uint32_t crc = crc32_ieee(h, 8);
    put32(h + 8, crc);
    put32(h + 12, ~crc);
    if (flash_program(s->fl, page_addr(s, next), h, HDR) != FLASH_OK)
        return LOGSPOOL_E_FLASH;
    s->page_seq[next] = seq;
    s->any = true;
    s->wr = HDR;
    uint32_t o = page_after(s, 0);
    s->oldest = o < s->npages ? o : next;
    /* the newest page carries the state, so erasing the oldest loses none */
    if (program_rec(s, KIND_ACK, 0, s->acked, 0, NULL, 0) != FLASH_OK ||
        program_rec(s, KIND_RESERVE, 0, s->reserved, 0, NULL, 0) != FLASH_OK)
        return LOGSPOOL_E_FLASH;
    return LOGSPOOL_OK;
}

/* Writes a record, opening a new page when it does not fit or the
 * current one is closed; one retry on a fresh page after a failed
 * program that was not a power cut. */
static int write_rec(struct logspool *s, uint32_t kind, uint8_t level, uint64_t value,
                     uint64_t device_ms, const char *text, uint32_t len)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!s->any || s->wr + rec_size(kind, len) > s->page) {
            int rc = open_page(s);
            if (rc != LOGSPOOL_OK)
                return rc;
        }
        int rc = program_rec(s, kind, level, value, device_ms, text, len);
        if (rc == FLASH_OK)
            return LOGSPOOL_OK;
        if (rc == FLASH_EPOWER)
            return LOGSPOOL_E_FLASH;
    }
    return LOGSPOOL_E_FLASH;
}

int logspool_open(struct logspool *s, const flash_t *fl, uint32_t base, uint32_t npages)
{
    memset(s, 0, sizeof(*s));
    s->fl = fl;
    s->base = base;
    s->npages = npages;
    s->page = flash_page_size(fl);
    s->unit = flash_align(fl);
    if (npages < 2 || npages > LOGSPOOL_PAGES_MAX || s->unit == 0 || HDR % s->unit != 0 ||
        s->page < 1024u || !flash_in_range(fl, base, npages * s->page))
        return LOGSPOOL_E_ARG;
    uint32_t newest = npages;
    for (uint32_t i = 0; i < npages; i++) {
        s->page_seq[i] = read_page_header(s, i);
        if (s->page_seq[i] && (newest == npages || s->page_seq[i] > s->page_seq[newest]))
            newest = i;
    }
    for (uint32_t i = page_after(s, 0); i < npages; i = page_after(s, s->page_seq[i])) {
        uint32_t end = scan_page(s, i, 0, NULL);
        if (i == newest)
            s->wr = end;
    }
    if (newest < npages) {
        s->any = true;
        s->cur = newest;
        s->cur_seq = s->page_seq[newest];
        s->oldest = page_after(s, 0);
    }
    s->next_seq = s->reserved;
    if (s->flash_max > s->next_seq)
        s->next_seq = s->flash_max;
    if (s->acked > s->next_seq)
        s->next_seq = s->acked;
    s->reserved = s->next_seq + LOGSPOOL_RESERVE;
    return write_rec(s, KIND_RESERVE, 0, s->reserved, 0, NULL, 0);
}

int logspool_take_seq(struct logspool *s, uint64_t *seq)
{
    if (s->next_seq >= s->reserved) {
        uint64_t want = s->next_seq + LOGSPOOL_RESERVE;
        uint64_t keep = s->reserved;
        s->reserved = want;
        if (write_rec(s, KIND_RESERVE, 0, want, 0, NULL, 0) != LOGSPOOL_OK) {
            s->reserved = keep;
            return LOGSPOOL_E_FLASH;
        }
    }
    *seq = s->next_seq++;
    return LOGSPOOL_OK;
}

int logspool_append(struct logspool *s, uint64_t seq, uint64_t device_ms, uint8_t level,
                    const char *text, uint16_t len)
{
    if (len > LOGSPOOL_TEXT_MAX || seq < s->flash_max || seq >= s->reserved || level > 3)
        return LOGSPOOL_E_ARG;
    int rc = write_rec(s, KIND_LOG, level, seq, device_ms, text, len);
    if (rc == LOGSPOOL_OK)
        s->flash_max = seq + 1;
    return rc;
}

int logspool_ack(struct logspool *s, uint64_t upto)
{
    if (upto <= s->acked)
        return LOGSPOOL_OK;
    bool held = s->flash_max > s->acked;
    s->acked = upto;
    return held ? write_rec(s, KIND_ACK, 0, upto, 0, NULL, 0) : LOGSPOOL_OK;
}

bool logspool_pending(const struct logspool *s)
{
    return s->flash_max > s->acked;
}

struct logspool_cursor logspool_cursor(const struct logspool *s)
{
    uint32_t o = page_after(s, 0);
    return (struct logspool_cursor){ o < s->npages ? s->page_seq[o] : 0, HDR };
}

int logspool_next(const struct logspool *s, struct logspool_cursor *c, struct logspool_rec *r)
{
    uint32_t i = s->npages;
    for (uint32_t k = 0; k < s->npages; k++)
        if (s->page_seq[k] && s->page_seq[k] == c->page_seq)
            i = k;
    if (i == s->npages) { /* erased meanwhile (or never set): the oldest */
        i = page_after(s, 0);
        c->off = HDR;
    }
    while (i < s->npages) {
        uint64_t v;
        uint32_t sz, kind;
        uint32_t end = i == s->cur ? s->wr : s->page;
        while (c->off < end && (kind = read_rec(s, i, c->off, r, &v, &sz)) != 0) {
            c->page_seq = s->page_seq[i];
            c->off += sz;
            if (kind == KIND_LOG && v >= s->acked)
                return LOGSPOOL_OK;
        }
        i = page_after(s, s->page_seq[i]);
        c->off = HDR;
        if (i < s->npages)
            c->page_seq = s->page_seq[i];
    }
    return LOGSPOOL_E_END;
}
