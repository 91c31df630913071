/*
 * IMPLEMENTATION NOTES
 * QEMU writes a UART byte with one send() on the UART's udp chardev, then
 * the same byte to the chardev's logfile (qemu_chr_write). Both UARTs'
 * chardevs send to one socket, so the kernel's receive queue holds the
 * datagrams in the order QEMU sent them: that queue, read into `order`,
 * says whose byte comes next; the byte itself comes from that UART's pipe
 * (`pend`). The logfile pipes are blocking for QEMU, so nothing is ever
 * lost there: a slow relay slows the guest's UART writes, as a real
 * terminal would. Datagrams can be lost (a full receive queue); then a
 * UART's pipe holds more bytes than its datagrams said, and they are
 * placed by its later datagrams, or after CONSOLE_LATE_MS without any.
 *
 * Lines are assembled per UART, so a line is never cut by the other
 * UART's output, and printed when complete. An application line is
 * printed with CONSOLE_APP_TAG first and its control characters (a
 * carriage return that would let it overwrite the tag on a terminal, an
 * escape sequence) shown as '?'.
 */
#define _GNU_SOURCE 1 /* F_SETPIPE_SZ */
#include "console_relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 1024

struct bytes {
    unsigned char *p;
    size_t len, cap, head;
};

static int bytes_push(struct bytes *b, const void *src, size_t n)
{
    if (b->head > 0 && b->head == b->len) {
        b->head = b->len = 0;
    }
    if (b->len + n > b->cap) {
        if (b->head) {
            memmove(b->p, b->p + b->head, b->len - b->head);
            b->len -= b->head;
            b->head = 0;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
    return 0;
}

static size_t bytes_avail(const struct bytes *b)
{
    return b->len - b->head;
}

static int bytes_pop(struct bytes *b)
{
    return b->p[b->head++];
}

static unsigned short bound_port(int fd)
{
    struct sockaddr_in a;
    socklen_t n = sizeof(a);
    if (getsockname(fd, (struct sockaddr *)&a, &n) != 0)
        return 0;
    return ntohs(a.sin_port);
}

static int udp_bound(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int console_relay_open(struct console_relay *r)
{
    memset(r, 0, sizeof(*r));
    r->sock = udp_bound();
    if (r->sock < 0)
        goto fail;
    int big = 1 << 22;
    setsockopt(r->sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    r->port = bound_port(r->sock);
    for (int i = 0; i < 2; i++) {
        /* A free port for QEMU to send from: its source names the UART. */
        int t = udp_bound();
        if (t < 0)
            goto fail;
        r->uart_port[i] = bound_port(t);
        close(t);
        int p[2];
        if (pipe(p) != 0)
            goto fail;
        fcntl(p[0], F_SETFD, FD_CLOEXEC);
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        fcntl(p[1], F_SETPIPE_SZ, 1 << 20); /* best effort */
        r->pipe_r[i] = p[0];
        r->pipe_w[i] = p[1];
        snprintf(r->chardev[i], sizeof(r->chardev[i]),
                 "udp,id=uart%d,host=127.0.0.1,port=%u,localaddr=127.0.0.1,localport=%u,"
                 "logfile=/dev/fd/%d",
                 i, r->port, r->uart_port[i], p[1]);
    }
    if (!r->port || !r->uart_port[0] || !r->uart_port[1] ||
        r->uart_port[0] == r->uart_port[1])
        goto fail;
    return 0;
fail:
    perror("keel run: console relay");
    return -1;
}

void console_relay_child(struct console_relay *r)
{
    close(r->pipe_r[0]);
    close(r->pipe_r[1]);
}

struct relay_state {
    struct bytes pend[2];  /* each UART's bytes, not yet placed */
    struct bytes order;    /* whose byte comes next (0 or 1), from the datagrams */
    char line[2][LINE_MAX_BYTES + 8];
    size_t line_len[2];
};

static void relay_emit(struct relay_state *s, int uart)
{
    char out[LINE_MAX_BYTES + 16];
    size_t n = 0;
    if (uart == 1) {
        memcpy(out, CONSOLE_APP_TAG, sizeof(CONSOLE_APP_TAG) - 1);
        n = sizeof(CONSOLE_APP_TAG) - 1;
    }
    memcpy(out + n, s->line[uart], s->line_len[uart]);
    n += s->line_len[uart];
    out[n++] = '\n';
    s->line_len[uart] = 0;
    for (size_t off = 0; off < n;) {
        ssize_t w = write(STDOUT_FILENO, out + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

static void relay_feed(struct relay_state *s, int uart, int c)
{
    if (c == '\n') {
        relay_emit(s, uart);
        return;
    }
    if (c == '\r')
        return;
    if (uart == 1 && ((c < 0x20 && c != '\t') || c == 0x7F))
        c = '?';
    s->line[uart][s->line_len[uart]++] = (char)c;
    if (s->line_len[uart] >= LINE_MAX_BYTES)
        relay_emit(s, uart);
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Places every byte whose turn is known; returns whether any moved. */
static int relay_place(struct relay_state *s)
{
    int moved = 0;
    while (bytes_avail(&s->order)) {
        int uart = s->order.p[s->order.head];
        if (!bytes_avail(&s->pend[uart]))
            break; /* its logfile byte is on the way */
        bytes_pop(&s->order);
        relay_feed(s, uart, bytes_pop(&s->pend[uart]));
        moved = 1;
    }
    return moved;
}

/* Nothing has moved for CONSOLE_LATE_MS: bytes without a datagram go out
 * in their own UART's order, and a datagram whose byte never came is
 * dropped. */
static void relay_late(struct relay_state *s)
{
    if (bytes_avail(&s->order)) {
        int uart = s->order.p[s->order.head];
        if (!bytes_avail(&s->pend[uart])) {
            bytes_pop(&s->order);
            return;
        }
    }
    for (int u = 0; u < 2; u++)
        while (bytes_avail(&s->pend[u]))
            relay_feed(s, u, bytes_pop(&s->pend[u]));
}

int console_relay_run(struct console_relay *r, pid_t qemu)
{
    struct relay_state *s = calloc(1, sizeof(*s));
    int status = 0, qemu_done = 0, stdin_open = 1;
    int eof[2] = { 0, 0 };
    long long moved_at = now_ms();
    struct sockaddr_in app_uart = { .sin_family = AF_INET,
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                    .sin_port = htons(r->uart_port[1]) };

    close(r->pipe_w[0]);
    close(r->pipe_w[1]);
    if (!s)
        return waitpid(qemu, &status, 0) < 0 ? -1 : status;
    while (!(qemu_done && eof[0] && eof[1])) {
        struct pollfd fds[4] = {
            { .fd = r->sock, .events = POLLIN },
            { .fd = eof[0] ? -1 : r->pipe_r[0], .events = POLLIN },
            { .fd = eof[1] ? -1 : r->pipe_r[1], .events = POLLIN },
            { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
        };
        int n = poll(fds, 4, 50);
        if (n < 0 && errno != EINTR)
            break;
        unsigned char buf[65536];
        for (;;) {
            struct sockaddr_in from;
            socklen_t fl = sizeof(from);
            ssize_t got = recvfrom(r->sock, buf, sizeof(buf), MSG_DONTWAIT,
                                   (struct sockaddr *)&from, &fl);
            if (got < 0)
                break;
            unsigned short sp = ntohs(from.sin_port);
            unsigned char uart = sp == r->uart_port[0] ? 0 : sp == r->uart_port[1] ? 1 : 2;
            for (ssize_t i = 0; i < got && uart < 2; i++)
                bytes_push(&s->order, &uart, 1);
        }
        for (int u = 0; u < 2; u++) {
            while (!eof[u]) {
                ssize_t got = read(r->pipe_r[u], buf, sizeof(buf));
                if (got > 0)
                    bytes_push(&s->pend[u], buf, (size_t)got);
                else if (got == 0)
                    eof[u] = 1;
                else
                    break; /* EAGAIN */
            }
        }
        if (stdin_open && n > 0 && (fds[3].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
            if (got > 0)
                sendto(r->sock, buf, (size_t)got, 0, (struct sockaddr *)&app_uart,
                       sizeof(app_uart));
            else
                stdin_open = 0;
        }
        if (relay_place(s))
            moved_at = now_ms();
        else if (now_ms() - moved_at > CONSOLE_LATE_MS ||
                 (qemu_done && eof[0] && eof[1]))
            relay_late(s), moved_at = now_ms();
        if (!qemu_done) {
            pid_t w = waitpid(qemu, &status, WNOHANG);
            if (w == qemu)
                qemu_done = 1;
        }
    }
    while (bytes_avail(&s->order) || bytes_avail(&s->pend[0]) || bytes_avail(&s->pend[1]))
        if (!relay_place(s))
            relay_late(s);
    for (int u = 0; u < 2; u++)
        if (s->line_len[u])
            relay_emit(s, u);
    if (!qemu_done)
        waitpid(qemu, &status, 0);
    for (int u = 0; u < 2; u++)
        free(s->pend[u].p);
    free(s->order.p);
    free(s);
    close(r->sock);
    return status;
}
