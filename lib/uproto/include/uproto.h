/*
 * uproto.h: the update protocol over a byte stream (lib/uproto), shared by
 * the device (microvisor/core/update_uart.c, on a Secure-only UART) and the
 * host (`keel update`). Framing, CRC and the field rules of every message
 * live here once, so both ends parse the same way. docs/update-uart.md
 * draws every byte.
 *
 *   frame:  "KU" | type | seq | len (u16 LE) | payload (len) | crc32 (LE)
 *           crc32 = CRC-32 (IEEE) of every byte before it
 *
 * The host sends one request and waits for its response (stop and wait);
 * a response has the request's type | 0x80 and echoes its seq. The
 * protocol core does no I/O and keeps no static state: the caller owns the
 * parser and passes time in.
 *
 * Ownership: a parser is the caller's; a frame returned by uproto_feed
 * points into the parser's buffer and is valid until the next feed. Output
 * buffers are the caller's and must not overlap the inputs.
 */
#ifndef KEEL_UPROTO_H
#define KEEL_UPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UPROTO_VERSION 2u /* 2: ACTIVATE answers say what happened (UPROTO_ACT_*) */

#define UPROTO_MAGIC0 0x4Bu          /* 'K' */
#define UPROTO_MAGIC1 0x55u          /* 'U' */
#define UPROTO_HEADER 6u
#define UPROTO_TRAILER 4u
#define UPROTO_ENVELOPE_MAX 2048u    /* = MANIFEST_MAX_SIZE */
#define UPROTO_CHUNK_MAX 1024u       /* image bytes in one WRITE */
#define UPROTO_PAYLOAD_MAX UPROTO_ENVELOPE_MAX
#define UPROTO_FRAME_MAX (UPROTO_HEADER + UPROTO_PAYLOAD_MAX + UPROTO_TRAILER)
#define UPROTO_RESPONSE_SIZE 16u
/* A frame whose bytes stop arriving for this long is dropped: the next
 * byte starts a new frame (the host resends after its own timeout). */
#define UPROTO_GAP_MS 250u

/* Requests; a response's type is the request's | UPROTO_RESPONSE. */
enum uproto_type {
    UPROTO_STATUS = 0x01,   /* payload empty */
    UPROTO_BEGIN = 0x02,    /* payload: the signed manifest envelope */
    UPROTO_NEXT = 0x03,     /* payload: u8 component; resumes from flash if idle */
    UPROTO_WRITE = 0x04,    /* payload: u32 offset, 1..UPROTO_CHUNK_MAX bytes */
    UPROTO_FINISH = 0x05,   /* payload empty; answered once the hashes are checked */
    UPROTO_ACTIVATE = 0x06, /* payload: u8 flags */
};
#define UPROTO_RESPONSE 0x80u
#define UPROTO_ACTIVATE_REBOOT 0x01u /* reset the device once the response is sent */

/* What an ACTIVATE answered with status 0 did: its detail byte. */
#define UPROTO_ACT_REBOOTING 0   /* activated; the device resets now */
#define UPROTO_ACT_NO_REBOOT 1   /* activated; it boots at the device's next reset */
#define UPROTO_ACT_DEFERRED 2    /* activated; the reset waits until the trial of the
                                  * answer's comp ends (about next ms): a reset now
                                  * would revert that trial */
#define UPROTO_ACT_ENDS_TRIAL 3  /* activated; the device resets now, which ends comp's
                                  * trial: it could not pass any more */
#define UPROTO_ACT_ALREADY 0x10  /* flag: it was the next trial already, nothing written */

/* Protocol errors, far from lib/update's UPDATE_E_* (-1..-14), which a
 * response's status carries unchanged. */
#define UPROTO_OK 0
#define UPROTO_E_CRC (-32)      /* frame CRC wrong: dropped */
#define UPROTO_E_LENGTH (-33)   /* frame length over UPROTO_PAYLOAD_MAX: dropped */
#define UPROTO_E_TYPE (-34)     /* unknown request type */
#define UPROTO_E_PAYLOAD (-35)  /* payload the wrong size, or a field out of range */
#define UPROTO_E_BUSY (-36)     /* the device is still verifying: ask again later */
#define UPROTO_E_TRUST (-37)    /* the device has no trusted signers to check with */
#define UPROTO_E_REBOOTING (-38) /* a deferred reboot into an activated image is pending:
                                  * nothing but STATUS until it has happened */

#define UPROTO_FRAME 1          /* uproto_feed: a complete frame */

struct uproto_frame {
    uint8_t type, seq;
    uint16_t len;
    const uint8_t *payload;     /* into the parser's buffer */
};

struct uproto_parser {
    uint8_t buf[UPROTO_FRAME_MAX];
    uint32_t have;              /* bytes of the frame being received */
    uint32_t last_ms;           /* when its last byte arrived */
    uint32_t dropped;           /* bytes skipped looking for a frame start */
};

void uproto_parser_init(struct uproto_parser *p);

/*
 * Consumes bytes from data[0..n) into the parser and stops at the end of
 * a frame; *used says how many were consumed. Returns UPROTO_FRAME with
 * *out set; 0 when every byte was consumed and no frame is complete; or
 * UPROTO_E_CRC / UPROTO_E_LENGTH for a frame it dropped, with out->type
 * and out->seq as received (unauthenticated: only for an error answer).
 * now_ms may wrap; a gap over UPROTO_GAP_MS inside a frame drops it.
 */
int uproto_feed(struct uproto_parser *p, const uint8_t *data, size_t n, uint32_t now_ms,
                size_t *used, struct uproto_frame *out);

/* Frames payload[0..len) into out[0..cap). Returns the frame's size, or 0
 * if len > UPROTO_PAYLOAD_MAX or cap is too small. */
size_t uproto_encode(uint8_t type, uint8_t seq, const uint8_t *payload, size_t len,
                     uint8_t *out, size_t cap);

/* A request, its fields checked for its type. */
struct uproto_request {
    uint8_t type, seq;
    const uint8_t *data;        /* BEGIN: envelope; WRITE: image bytes (into the frame) */
    uint32_t len;
    uint32_t offset;            /* WRITE */
    uint8_t comp;               /* NEXT: 1 microvisor, 2 app */
    uint8_t flags;              /* ACTIVATE */
};
/* UPROTO_OK, UPROTO_E_TYPE or UPROTO_E_PAYLOAD. */
int uproto_request_decode(const struct uproto_frame *f, struct uproto_request *out);

/* Every response has the same 16-byte payload: the outcome and where the
 * download stands. */
struct uproto_response {
    int8_t status;              /* 0, an UPDATE_E_* or an UPROTO_E_* */
    int8_t detail;              /* the manifest reason behind UPDATE_E_MANIFEST,
                                 * the flash error behind UPDATE_E_FLASH, else 0 */
    uint8_t state;              /* enum update_dl_state of the download */
    uint8_t comp;               /* its component, 0 if none */
    uint32_t next;              /* the image offset the device wants next */
    uint32_t total;             /* the image's size */
    uint16_t chunk_max;
    uint8_t version;            /* UPROTO_VERSION */
};
void uproto_response_put(const struct uproto_response *r, uint8_t out[UPROTO_RESPONSE_SIZE]);
/* UPROTO_OK, or UPROTO_E_PAYLOAD if f is not a 16-byte response. */
int uproto_response_decode(const struct uproto_frame *f, struct uproto_response *out);

/* The reason for an UPROTO_E_* code; NULL for any other code. */
const char *uproto_strerror(int err);

#endif /* KEEL_UPROTO_H */
