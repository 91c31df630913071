/*
 * IMPLEMENTATION NOTES
 * One work item does everything: it drains the port's bytes into the
 * lib/uproto parser, carries out at most one request per activation and
 * answers it, and advances a finish-verify in steps. The request is acted
 * on only after uproto_request_decode has checked every field for its
 * type; what gets installed is authenticated by lib/update (signature,
 * signer scope, anti-rollback floor, layer digests), never by the framing.
 *
 * Budgets (docs/execution-model.md): a WRITE is at most one 1 KiB chunk
 * (a page erase and a program); hashing the image for FINISH is split into
 * VERIFY_STEP bytes per activation, and between steps the work waits for
 * the next tick (a one-shot timer) so the application runs meanwhile. The
 * response to FINISH is sent when the last step is done; requests that
 * arrive before get UPROTO_E_BUSY. BEGIN verifies an Ed25519 signature
 * once, the one activation over budget (about 1.5 M instructions).
 *
 * The update context is the microvisor's one context (trial_update(),
 * docs/updates.md "One journal writer"): the app loader, the health rules
 * and this service all write the journal through it, from deferred work,
 * so none of them caches a stale place for the next record. The health
 * rules use only its journal; a download uses its download fields, which
 * nothing else touches.
 *
 * Nothing here allocates; the frame buffer is the parser's, bounded by
 * UPROTO_FRAME_MAX; the response is one fixed 26-byte frame.
 */
#include "update_uart.h"

#include <string.h>

#include "board.h"
#include "console.h"
#include "trial.h"
#include "update.h"
#include "uproto.h"
#include "work.h"

#define VERIFY_STEP (16u * 1024u) /* bytes hashed per activation: ~0.9 M instructions */
#define RX_CHUNK 64u

_Static_assert(UPROTO_ENVELOPE_MAX == MANIFEST_MAX_SIZE, "BEGIN carries a whole envelope");
_Static_assert(UPROTO_FRAME_MAX >= MANIFEST_MAX_SIZE, "the frame buffer stages an OTA envelope");

static update_t *upd; /* trial_update(), once the first request needs it */
static struct uproto_parser parser;
static uint8_t rx[RX_CHUNK];
static uint32_t rx_len, rx_pos;
static int work_id = -1, timer_id = -1;
static bool verifying;
static bool lent; /* the parser's buffer is the OTA client's (update_uart_lend) */
static uint32_t running_mv_version;
static uint8_t verify_seq;
static uint64_t verify_busy_us;

static const char *comp_name(uint32_t comp)
{
    return comp == MANIFEST_COMP_MICROVISOR ? "microvisor" : "app";
}

/* What the last ACTIVATE did (its answer's detail, comp and next). */
struct act_outcome {
    uint8_t detail, comp;
    uint32_t ms;
};
static struct act_outcome act;

static void respond(uint8_t type, uint8_t seq, int status)
{
    bool open = upd && upd->dl != UPDATE_IDLE;
    struct uproto_response r = {
        .status = (int8_t)status,
        .detail = (int8_t)(!upd ? 0
                           : status == UPDATE_E_MANIFEST ? upd->manifest_err
                           : status == UPDATE_E_FLASH    ? upd->flash_err : 0),
        .state = (uint8_t)(open ? upd->dl : UPDATE_IDLE),
        .comp = (uint8_t)(open ? upd->dl_comp : 0),
        .next = open ? update_next_offset(upd) : 0,
        .total = open ? update_total_size(upd) : 0,
        .chunk_max = UPROTO_CHUNK_MAX,
        .version = UPROTO_VERSION,
    };
    if (type == UPROTO_ACTIVATE && status == UPDATE_OK) {
        r.detail = (int8_t)act.detail;
        r.comp = act.comp;
        r.next = act.ms;
    }
    uint8_t pl[UPROTO_RESPONSE_SIZE];
    uint8_t out[UPROTO_HEADER + UPROTO_RESPONSE_SIZE + UPROTO_TRAILER];
    uproto_response_put(&r, pl);
    size_t n = uproto_encode((uint8_t)(type | UPROTO_RESPONSE), seq, pl, sizeof(pl), out,
                             sizeof(out));
    (void)board_update_port_send(out, (uint32_t)n); /* a lost answer: the host asks again */
}

static void report(const char *what, int rc)
{
    if (rc == UPDATE_OK)
        return;
    const char *s = uproto_strerror(rc);
    console_printf("[upd] %s refused: %s%s%s\n", what, s ? s : update_strerror(rc),
                   rc == UPDATE_E_MANIFEST ? ": " : "",
                   rc == UPDATE_E_MANIFEST && upd ? manifest_strerror(upd->manifest_err) : "");
}

/* The microvisor's update context: NULL only if the boot found no
 * trusted signers or no readable journal (then nothing can be verified). */
static int engine_ready(void)
{
    if (!upd) {
        upd = trial_update();
        if (!upd)
            return UPROTO_E_TRUST;
        if (upd->mv_version == 0)
            upd->mv_version = running_mv_version; /* no app was loaded to set it */
    }
    return UPDATE_OK;
}

static int do_begin(const struct uproto_request *r)
{
    int rc = engine_ready();
    if (rc == UPDATE_OK)
        rc = update_begin(upd, r->data, r->len);
    if (rc == UPDATE_E_INSTALLED) {
        console_printf("[upd] begin: already installed: this image is the confirmed one; "
                       "nothing written\n");
        return rc;
    }
    if (rc == UPDATE_OK) {
        const struct manifest *m = &upd->dl_info.m;
        console_printf("[upd] begin %s %u.%u.%u, security counter %u: slot %c, %u of %u bytes "
                       "there\n", comp_name(upd->dl_comp), m->version >> 24,
                       (m->version >> 16) & 0xFFu, m->version & 0xFFFFu, m->security_counter,
                       'A' + upd->dl_slot, update_next_offset(upd), update_total_size(upd));
    }
    report("begin", rc);
    return rc;
}

static int do_next(const struct uproto_request *r)
{
    int rc = engine_ready();
    if (rc || (upd->dl != UPDATE_IDLE && upd->dl_comp == r->comp))
        return rc;
    rc = update_resume(upd, r->comp);
    if (rc == UPDATE_E_TRIAL)
        report("next", rc);
    return rc;
}

/* Activates the verified download and decides about the reset asked for:
 * now, or once the trial a reset would end is over (trial_reset_blocked).
 * *reset_now says whether handle() resets after answering. */
static int do_activate(const struct uproto_request *r, bool *reset_now)
{
    uint64_t t0 = board_time_us();
    bool reboot = (r->flags & UPROTO_ACTIVATE_REBOOT) != 0;
    *reset_now = false;
    if (!upd || upd->dl != UPDATE_VERIFIED) {
        report("activate", UPDATE_E_STATE);
        return UPDATE_E_STATE;
    }
    uint32_t comp = upd->dl_comp, slot = upd->dl_slot, v = upd->dl_info.m.version;
    bool already = update_activated_already(upd);
    int rc = update_activate(upd);
    report("activate", rc);
    if (rc != UPDATE_OK)
        return rc;
    uint32_t other = 0, ms = 0;
    memset(&act, 0, sizeof(act));
    act.detail = already ? UPROTO_ACT_ALREADY : 0;
    if (already)
        console_printf("[upd] %s %u.%u.%u in slot %c was activated already (the next trial): "
                       "nothing written", comp_name(comp), v >> 24, (v >> 16) & 0xFFu,
                       v & 0xFFFFu, 'A' + slot);
    else
        console_printf("[upd] activated %s %u.%u.%u in slot %c: trial on the next boot "
                       "(verify %u us, activate %u us)", comp_name(comp), v >> 24,
                       (v >> 16) & 0xFFu, v & 0xFFFFu, 'A' + slot, (uint32_t)verify_busy_us,
                       (uint32_t)(board_time_us() - t0));
    if (!reboot) {
        act.detail |= UPROTO_ACT_NO_REBOOT;
        console_printf("; not rebooting: it boots at the next reset\n");
    } else if (trial_reset_blocked(&other, &ms)) {
        /* a reset now would revert that trial: the health rules' work
         * resets once it is over */
        act.detail |= UPROTO_ACT_DEFERRED;
        act.comp = (uint8_t)other;
        act.ms = ms;
        console_printf("; the reboot waits until the %s's trial ends (about %u ms): a reset "
                       "now would revert it\n", comp_name(other), ms);
        trial_reset_when_clear(comp_name(comp));
    } else if (trial_running(&other)) {
        act.detail |= UPROTO_ACT_ENDS_TRIAL;
        act.comp = (uint8_t)other;
        console_printf("; rebooting, which ends the %s's trial: it cannot pass any more\n",
                       comp_name(other));
        *reset_now = true;
    } else {
        console_printf("; rebooting\n");
        *reset_now = true;
    }
    return rc;
}

static void start_verify(uint8_t seq)
{
    verifying = true;
    verify_seq = seq;
    verify_busy_us = 0;
    work_submit(work_id, board_time_us());
}

/* One step of FINISH; answers once it is done. */
static void verify_step(void)
{
    uint64_t t0 = board_time_us();
    int rc = update_finish_step(upd, VERIFY_STEP);
    verify_busy_us += board_time_us() - t0;
    if (rc == 1) {
        timer_start(timer_id, board_time_us() + 1u, 0); /* next tick: let the app run */
        return;
    }
    verifying = false;
    if (rc == UPDATE_OK)
        console_printf("[upd] verified %s image, %u bytes\n", comp_name(upd->dl_comp),
                       update_total_size(upd));
    if (rc == UPDATE_E_DAMAGED)
        console_printf("[upd] finish: the staged %s image no longer matches its digests "
                       "(damaged in flash since it was verified): its damaged part is sent "
                       "again\n", comp_name(upd->dl_comp));
    else
        report("finish", rc);
    respond(UPROTO_FINISH, verify_seq, rc);
}

static void handle(const struct uproto_frame *f)
{
    struct uproto_request r;
    bool reset_now = false;
    int rc = uproto_request_decode(f, &r);
    if (rc == UPROTO_OK && verifying && r.type != UPROTO_STATUS)
        rc = UPROTO_E_BUSY;
    /* a deferred reboot fires when a trial ends, whatever the port does:
     * a session started now would be cut off by it (review-10 L3), and a
     * download could overwrite the activated, not yet booted image */
    if (rc == UPROTO_OK && trial_reset_pending() && r.type != UPROTO_STATUS)
        rc = UPROTO_E_REBOOTING;
    if (rc) {
        respond(f->type, f->seq, rc);
        return;
    }
    switch (r.type) {
    case UPROTO_BEGIN:
        rc = do_begin(&r);
        break;
    case UPROTO_NEXT:
        rc = do_next(&r);
        break;
    case UPROTO_WRITE:
        rc = upd ? update_write(upd, r.offset, r.data, r.len) : UPDATE_E_STATE;
        if (rc != UPDATE_OK && rc != UPDATE_E_OFFSET)
            report("write", rc);
        break;
    case UPROTO_FINISH:
        if (upd && (upd->dl == UPDATE_DOWNLOADING || upd->dl == UPDATE_DOWNLOADED)) {
            start_verify(r.seq);
            return;
        }
        /* verified already: OK; otherwise out of sequence */
        rc = upd ? update_finish(upd) : UPDATE_E_STATE;
        break;
    case UPROTO_ACTIVATE:
        rc = do_activate(&r, &reset_now);
        break;
    default: /* UPROTO_STATUS */
        rc = UPDATE_OK;
        break;
    }
    respond(r.type, r.seq, rc);
    if (reset_now) {
        board_update_port_drain(); /* the answer's last byte is on the line */
        board_reset();
    }
}

static void update_uart_work(uint64_t now_us)
{
    struct uproto_frame f;
    uint32_t now_ms = (uint32_t)(now_us / 1000u);
    if (lent)
        return; /* bytes wait in the port's ring until unlend */
    if (verifying)
        verify_step();
    for (;;) {
        if (rx_pos == rx_len) {
            rx_pos = 0;
            rx_len = board_update_port_recv(rx, sizeof(rx));
            if (rx_len == 0)
                return;
        }
        size_t used;
        int rc = uproto_feed(&parser, rx + rx_pos, rx_len - rx_pos, now_ms, &used, &f);
        rx_pos += (uint32_t)used;
        if (rc == UPROTO_FRAME) {
            handle(&f);
            break; /* one request per activation */
        }
        if (rc == UPROTO_E_CRC || rc == UPROTO_E_LENGTH) {
            respond(f.type, f.seq, rc);
            break;
        }
    }
    work_submit(work_id, now_us); /* bytes may remain: keep activations short */
}

uint8_t *update_uart_lend(void)
{
    uint32_t now_ms = (uint32_t)(board_time_us() / 1000u);
    if (lent || verifying)
        return NULL;
    /* a frame cut off for longer than the parser waits is dropped anyway
     * (a host that died mid-frame must not hold the buffer) */
    if (parser.have != 0 && now_ms - parser.last_ms <= UPROTO_GAP_MS)
        return NULL;
    parser.dropped += parser.have;
    parser.have = 0;
    lent = true;
    return parser.buf;
}

void update_uart_unlend(void)
{
    if (!lent)
        return;
    lent = false;
    uproto_parser_init(&parser); /* its buffer held an envelope, no frame */
    if (work_id >= 0)
        work_submit(work_id, board_time_us()); /* what arrived meanwhile */
}

static void on_port_event(void)
{
    work_submit(work_id, board_time_us());
}

void update_uart_init(uint32_t mv_version)
{
    running_mv_version = mv_version;
    uproto_parser_init(&parser);
    work_id = work_register(update_uart_work);
    timer_id = timer_register(work_id);
    if (work_id < 0 || timer_id < 0) {
        console_printf("[upd] no update port: no work item or timer left\n");
        return;
    }
    /* printed before the port can raise its interrupt: this thread's line
     * is then whole even if a request is already waiting (the console is
     * not line-atomic against deferred work) */
    console_printf("[upd] update port ready\n");
    if (board_update_port_init(on_port_event) != 0)
        console_printf("[upd] the board has no update port\n");
}
