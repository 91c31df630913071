/*
 * impair.c: the link impairment of the microvisor test images (impair.h).
 * Moved here from nettest.c unchanged, so that microvisor_tlstest impairs
 * its link the same way.
 */
#include <string.h>

#include "board.h"
#include "impair.h"
#include "net_service.h"


static uint32_t imp_state = 12345u;
static uint32_t imp_rand(void)
{
    imp_state ^= imp_state << 13;
    imp_state ^= imp_state >> 17;
    imp_state ^= imp_state << 5;
    return imp_state % 100u;
}
static struct net_buf *held_in;
static uint8_t held_out[1514];
static uint32_t held_out_len;
bool impair_on, impair_blackhole;
struct impair_counts impair_counts;

void net_service_frame_in(struct net *n, struct net_buf *b, uint32_t now_ms)
{
    if (impair_blackhole) { /* the peer has gone silent: nothing reaches us */
        impair_counts.blackholed++;
        net_buf_free(n, b);
        return;
    }
    uint32_t r = impair_on ? imp_rand() : 100u;
    if (r < 10) {
        impair_counts.drop++;
        net_buf_free(n, b);
        return;
    }
    if (r < 15) {
        impair_counts.dup++;
        net_input(n, b->data + b->off, b->len, now_ms);
    } else if (r < 20 && !held_in) {
        impair_counts.reorder++;
        held_in = b;
        return;
    }
    net_input_buf(n, b, now_ms);
    if (held_in) {
        struct net_buf *h = held_in;
        held_in = NULL;
        net_input_buf(n, h, now_ms);
    }
}

int net_service_frame_out(void *ctx, const uint8_t *frame, size_t len)
{
    (void)ctx;
    uint32_t r = impair_on ? imp_rand() : 100u;
    if (r < 10) {
        impair_counts.drop++;
        return 0;
    }
    if (r < 15) {
        impair_counts.dup++;
        board_netif_send(frame, (uint32_t)len);
    } else if (r < 20 && !held_out_len && len <= sizeof(held_out)) {
        impair_counts.reorder++;
        memcpy(held_out, frame, len);
        held_out_len = (uint32_t)len;
        return 0;
    }
    int rc = board_netif_send(frame, (uint32_t)len);
    if (held_out_len) {
        board_netif_send(held_out, held_out_len);
        held_out_len = 0;
    }
    return rc;
}

void impair_flush(struct net *n, uint32_t now_ms)
{
    if (held_in) {
        struct net_buf *h = held_in;
        held_in = NULL;
        net_input_buf(n, h, now_ms);
    }
    if (held_out_len) {
        board_netif_send(held_out, held_out_len);
        held_out_len = 0;
    }
}
