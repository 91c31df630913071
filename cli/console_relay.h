/*
 * keel run's console: the emulated device's two UARTs (UART0, the boot
 * ROM's and the microvisor's; UART1, the application's) on one terminal,
 * whole lines, in the order QEMU wrote them, every application line tagged
 * CONSOLE_APP_TAG so that it can never pass for a microvisor line.
 *
 * How the order is kept: each UART is a QEMU "udp" chardev sending to a
 * socket of ours, one per UART, so every byte QEMU writes arrives as a
 * datagram stamped by the kernel (SO_TIMESTAMPNS) when QEMU sent it, and
 * the two UARTs' bytes are merged by those stamps. The bytes themselves
 * are taken from each chardev's logfile, a pipe per UART (lossless, in that
 * UART's order); a datagram only says when its byte was written. A
 * datagram dropped by a full receive queue is counted by the kernel
 * (SO_RXQ_OVFL), so every datagram names the exact byte it stands for, and
 * a byte whose datagram was lost goes out just before its UART's next one:
 * a line's text is always exact, its place among the other UART's lines
 * exact unless its own datagrams were lost.
  */
#ifndef CONSOLE_RELAY_H
#define CONSOLE_RELAY_H

#include <stddef.h>
#include <sys/types.h>

#define CONSOLE_APP_TAG "app| "
#define CONSOLE_LATE_MS 200

struct console_relay {
    int sock[2];      /* receives each UART's datagrams */
    int pipe_r[2];    /* logfile pipes, read ends */
    int pipe_w[2];    /* write ends, for QEMU */
    unsigned short port[2], uart_port[2];
    char chardev[2][256];
};

/* Sets up the socket and pipes and writes the two QEMU "-chardev" values
 * into r->chardev (ids uart0, uart1). 0 or -1 (message printed). */
int console_relay_open(struct console_relay *r);

/* In the QEMU child, before exec: nothing of the relay but the pipes'
 * write ends stays open. */
void console_relay_child(struct console_relay *r);

/* In keel run: relays until QEMU (pid) has exited and both pipes are
 * drained; stdin goes to the application's UART. Returns waitpid's
 * status. */
int console_relay_run(struct console_relay *r, pid_t qemu);

#endif /* CONSOLE_RELAY_H */
