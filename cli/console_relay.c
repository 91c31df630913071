/*
 * IMPLEMENTATION NOTES
 * QEMU writes a UART byte with one send() on the UART's udp chardev, then
 * the same byte to the chardev's logfile (qemu_chr_write). Each UART's
 * chardev sends to its own socket of ours; the kernel stamps each datagram
 * as it is queued (SO_TIMESTAMPNS, CLOCK_REALTIME) and counts the ones it
 * drops (SO_RXQ_OVFL: the count so far rides on every later datagram), so
 * a datagram is "byte number n of UART u was written at t" with n exact.
 * The bytes come from the logfile pipes, blocking for QEMU, so nothing is
 * lost there: a slow relay slows the guest's UART writes, as a terminal
 * would.
 *
 * Merging: both sockets are drained, then a UART's next byte goes out when
 * its stamp is the older of the two queue heads and older than the moment
 * the drain began (a datagram queued before that moment has been read, so
 * nothing older can still come). Bytes whose datagram was dropped go out
 * just before the next byte of their UART that has one. Lines are
 * assembled per UART, so a line is never cut by the other UART's output,
 * and printed when complete. An application line is printed with
 * CONSOLE_APP_TAG first and its control characters (a carriage return
 * that would let it overwrite the tag on a terminal, an escape sequence)
 * shown as '?'.
 */
#define _GNU_SOURCE 1 /* F_SETPIPE_SZ */
#include "console_relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
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

/* A datagram's byte: its index in its UART's stream, and when it was sent. */
struct stamp {
    unsigned long long index;
    long long ns;
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
    r->sock[0] = r->sock[1] = r->pipe_r[0] = r->pipe_r[1] = -1;
    for (int i = 0; i < 2; i++) {
        int one = 1, big = 1 << 22;
        r->sock[i] = udp_bound();
        if (r->sock[i] < 0 ||
            setsockopt(r->sock[i], SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0 ||
            setsockopt(r->sock[i], SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) != 0)
            goto fail;
        setsockopt(r->sock[i], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
        fcntl(r->sock[i], F_SETFL, O_NONBLOCK);
        r->port[i] = bound_port(r->sock[i]);
        /* A free port for QEMU to send from: where input to the UART goes. */
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
                 i, r->port[i], r->uart_port[i], p[1]);
        if (!r->port[i] || !r->uart_port[i])
            goto fail;
    }
    if (r->uart_port[0] == r->uart_port[1])
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

struct uart_state {
    struct bytes pend;              /* bytes from the pipe, not yet out */
    unsigned long long pend_index;  /* stream index of pend's first byte */
    struct stamp *q;                /* datagram stamps, oldest first */
    size_t qhead, qlen, qcap;
    unsigned long long received;    /* datagram bytes read */
    char line[LINE_MAX_BYTES + 8];
    size_t line_len;
    bool continued;                 /* line goes on one cut at LINE_MAX_BYTES */
};

/* What starts the rest of a line cut at LINE_MAX_BYTES: without it, the
 * microvisor's relay of an application log line ("[app] " + up to its
 * 1 KiB) could put the application's text at the margin as if it were a
 * microvisor line. */
#define CONTINUED_TAG "... "

static void relay_emit(struct uart_state *u, int uart, bool cut)
{
    char out[LINE_MAX_BYTES + 24];
    size_t n = 0;
    if (uart == 1) {
        memcpy(out, CONSOLE_APP_TAG, sizeof(CONSOLE_APP_TAG) - 1);
        n = sizeof(CONSOLE_APP_TAG) - 1;
    }
    if (u->continued) {
        memcpy(out + n, CONTINUED_TAG, sizeof(CONTINUED_TAG) - 1);
        n += sizeof(CONTINUED_TAG) - 1;
    }
    memcpy(out + n, u->line, u->line_len);
    n += u->line_len;
    out[n++] = '\n';
    u->line_len = 0;
    u->continued = cut;
    for (size_t off = 0; off < n;) {
        ssize_t w = write(STDOUT_FILENO, out + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

static void relay_feed(struct uart_state *u, int uart, int c)
{
    if (c == '\n') {
        relay_emit(u, uart, false);
        return;
    }
    if (c == '\r')
        return;
    if (uart == 1 && ((c < 0x20 && c != '\t') || c == 0x7F))
        c = '?';
    u->line[u->line_len++] = (char)c;
    if (u->line_len >= LINE_MAX_BYTES)
        relay_emit(u, uart, true);
}

/* Sends out the UART's pipe bytes with index < end. */
static void relay_out_to(struct uart_state *u, int uart, unsigned long long end)
{
    while (u->pend_index < end && bytes_avail(&u->pend)) {
        relay_feed(u, uart, bytes_pop(&u->pend));
        u->pend_index++;
    }
}

static long long realtime_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void relay_stamp(struct uart_state *u, unsigned long long index, long long ns)
{
    if (u->qhead + u->qlen == u->qcap) {
        if (u->qhead) {
            memmove(u->q, u->q + u->qhead, u->qlen * sizeof(*u->q));
            u->qhead = 0;
        } else {
            size_t cap = u->qcap ? 2 * u->qcap : 4096;
            struct stamp *q = realloc(u->q, cap * sizeof(*q));
            if (!q)
                return; /* its byte goes out without a stamp */
            u->q = q;
            u->qcap = cap;
        }
    }
    u->q[u->qhead + u->qlen++] = (struct stamp){ index, ns };
}

/* Reads every queued datagram of one UART into stamps. */
static void relay_drain(int sock, struct uart_state *u)
{
    unsigned char buf[4096];
    char ctl[256];
    for (;;) {
        struct iovec iov = { buf, sizeof(buf) };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
                            .msg_control = ctl, .msg_controllen = sizeof(ctl) };
        ssize_t got = recvmsg(sock, &m, MSG_DONTWAIT);
        if (got < 0)
            return;
        long long ns = realtime_ns();
        unsigned long long dropped = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                struct timespec t;
                memcpy(&t, CMSG_DATA(c), sizeof(t));
                ns = (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
            } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
                uint32_t d;
                memcpy(&d, CMSG_DATA(c), sizeof(d));
                dropped = d; /* datagrams dropped so far: one byte each */
            }
        }
        for (ssize_t i = 0; i < got; i++)
            relay_stamp(u, u->received + dropped + (unsigned long long)i, ns);
        u->received += (unsigned long long)got;
    }
}

/* Sends out, in stamp order, every byte whose place is settled: its stamp
 * older than `settled` (nothing older can still arrive) and its byte read
 * from the pipe. Returns whether anything went out. */
static int relay_merge(struct uart_state *u, long long settled)
{
    int moved = 0;
    for (;;) {
        int pick = -1;
        for (int k = 0; k < 2; k++) {
            if (!u[k].qlen || u[k].q[u[k].qhead].ns > settled)
                continue;
            if (pick < 0 || u[k].q[u[k].qhead].ns < u[pick].q[u[pick].qhead].ns)
                pick = k;
        }
        if (pick < 0)
            return moved;
        struct uart_state *s = &u[pick];
        struct stamp st = s->q[s->qhead];
        if (st.index < s->pend_index) { /* already out (a late flush) */
            s->qhead++, s->qlen--;
            continue;
        }
        if (s->pend_index + bytes_avail(&s->pend) <= st.index)
            return moved; /* its logfile byte is on the way */
        s->qhead++, s->qlen--;
        relay_out_to(s, pick, st.index + 1); /* dropped ones first, then it */
        moved = 1;
    }
}

int console_relay_run(struct console_relay *r, pid_t qemu)
{
    struct uart_state *u = calloc(2, sizeof(*u));
    int status = 0, qemu_done = 0, stdin_open = 1;
    int eof[2] = { 0, 0 };
    long long moved_at = realtime_ns();
    struct sockaddr_in app_uart = { .sin_family = AF_INET,
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                    .sin_port = htons(r->uart_port[1]) };

    close(r->pipe_w[0]);
    close(r->pipe_w[1]);
    if (!u)
        return waitpid(qemu, &status, 0) < 0 ? -1 : status;
    while (!(qemu_done && eof[0] && eof[1])) {
        struct pollfd fds[5] = {
            { .fd = r->sock[0], .events = POLLIN },
            { .fd = r->sock[1], .events = POLLIN },
            { .fd = eof[0] ? -1 : r->pipe_r[0], .events = POLLIN },
            { .fd = eof[1] ? -1 : r->pipe_r[1], .events = POLLIN },
            { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
        };
        int n = poll(fds, 5, 50);
        if (n < 0 && errno != EINTR)
            break;
        long long settled = realtime_ns();
        relay_drain(r->sock[0], &u[0]);
        relay_drain(r->sock[1], &u[1]);
        unsigned char buf[65536];
        for (int k = 0; k < 2; k++) {
            while (!eof[k]) {
                ssize_t got = read(r->pipe_r[k], buf, sizeof(buf));
                if (got > 0)
                    bytes_push(&u[k].pend, buf, (size_t)got);
                else if (got == 0)
                    eof[k] = 1;
                else
                    break; /* EAGAIN */
            }
        }
        if (stdin_open && n > 0 && (fds[4].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
            if (got > 0)
                sendto(r->sock[1], buf, (size_t)got, 0, (struct sockaddr *)&app_uart,
                       sizeof(app_uart));
            else
                stdin_open = 0;
        }
        if (relay_merge(u, settled)) {
            moved_at = realtime_ns();
        } else if (realtime_ns() - moved_at > CONSOLE_LATE_MS * 1000000LL) {
            /* Bytes no datagram will ever place (the last ones dropped):
             * out in their own UART's order. */
            for (int k = 0; k < 2; k++)
                relay_out_to(&u[k], k, ~0ULL);
            moved_at = realtime_ns();
        }
        if (!qemu_done && waitpid(qemu, &status, WNOHANG) == qemu)
            qemu_done = 1;
    }
    relay_drain(r->sock[0], &u[0]);
    relay_drain(r->sock[1], &u[1]);
    relay_merge(u, ~0ULL >> 1);
    for (int k = 0; k < 2; k++) {
        relay_out_to(&u[k], k, ~0ULL);
        if (u[k].line_len)
            relay_emit(&u[k], k, false);
        free(u[k].pend.p);
        free(u[k].q);
    }
    free(u);
    if (!qemu_done)
        waitpid(qemu, &status, 0);
    close(r->sock[0]);
    close(r->sock[1]);
    return status;
}
