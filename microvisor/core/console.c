/*
 * IMPLEMENTATION NOTES
 * A deliberately small formatter: no floating point, no allocation, no
 * locale, bounded stack. Numbers are formatted into a 24-byte buffer, which
 * holds any 64-bit value in any supported base.
 *
 * Any context may print, and a higher-priority one may pre-empt a line
 * half-way (a fault while deferred work drains an application log line).
 * Every byte goes through console_putc, which records whose line is open
 * (the IPSR that claimed its last byte, claimed before the byte goes out):
 * a context that finds another's line open ends it first, so its own line
 * starts at the left margin, and counts the break. A writer of untrusted
 * text (console_write_line) that sees the count move ends its own line and
 * goes on behind its prefix again. Nothing is masked (a fast interrupt
 * never waits for the UART), so a pre-emption between a byte's check and
 * its output can leave that one byte alone on a line; never more, so no
 * application text can stand at the margin looking like the microvisor's
 * (KEEL-SA-2026-11).
 */
#include "console.h"

#include <stdbool.h>

#include "board.h"

/* Shared with pre-empting contexts; every access is ordered by the
 * board_console_putc call beside it (an external function). */
static uint32_t console_col;   /* bytes claimed since the last newline */
static uint32_t console_owner; /* the IPSR that claimed them */
static volatile uint32_t console_breaks;
/* The context writing now: set by each entry point and put back on its
 * return, which nests exactly as pre-emption does. */
static uint32_t console_me;

static uint32_t console_enter(void)
{
    uint32_t outer = console_me;
    console_me = board_console_context();
    return outer;
}

static inline __attribute__((always_inline)) void console_putc_inline(char c)
{
    uint32_t me = console_me;
    if (console_col && console_owner != me) {
        /* Pre-empted mid-line: it resumes after this context is done. */
        board_console_putc('\r');
        board_console_putc('\n');
        console_col = 0;
        console_breaks++;
    }
    /* Claimed first: a context pre-empting between this and the byte
     * sees the line open and ends it. */
    console_owner = me;
    console_col = c == '\n' ? 0 : console_col + 1;
    board_console_putc(c);
    if (c != '\n' && !console_col) {
        /* A line that cut in after the claim ended ours: this byte
         * followed it and opens a line of its own. */
        console_owner = me;
        console_col = 1;
    }
}

static void console_putc(char c)
{
    console_putc_inline(c);
}

static void console_puts_n(const char *s, int width, char pad)
{
    int len = 0;
    while (s[len])
        len++;
    for (; width > len; width--)
        console_putc(pad);
    while (*s)
        console_putc(*s++);
}

static void console_put_number(uint64_t v, unsigned base, bool negative,
                               bool upper, int width, char pad)
{
    char buf[24];
    int i = (int)sizeof(buf) - 1;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    buf[i] = '\0';
    do {
        buf[--i] = digits[v % base];
        v /= base;
    } while (v && i > 1);
    if (negative && pad == '0') {
        /* "%05d" of -42 is "-0042": the sign goes before the zeros. */
        console_putc('-');
        width = width > 0 ? width - 1 : 0;
        negative = false;
    }
    if (negative)
        buf[--i] = '-';
    console_puts_n(&buf[i], width, pad);
}

static void console_format(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            if (*fmt == '\n')
                console_putc('\r');
            console_putc(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, longs = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            console_puts_n(s ? s : "(null)", width, ' ');
            break;
        }
        case 'c':
            console_putc((char)va_arg(ap, int));
            break;
        case 'd': {
            int64_t v = longs >= 2 ? va_arg(ap, long long)
                      : longs == 1 ? va_arg(ap, long) : va_arg(ap, int);
            console_put_number(v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v,
                               10, v < 0, false, width, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = longs >= 2 ? va_arg(ap, unsigned long long)
                       : longs == 1 ? va_arg(ap, unsigned long)
                                    : va_arg(ap, unsigned int);
            console_put_number(v, *fmt == 'u' ? 10 : 16, false, *fmt == 'X',
                               width, pad);
            break;
        }
        case 'p':
            console_put_number((uintptr_t)va_arg(ap, void *), 16, false, false,
                               8, '0');
            break;
        case '%':
            console_putc('%');
            break;
        default:
            console_putc('?');
            if (!*fmt)
                return;
            break;
        }
    }
}

void console_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    console_vprintf(fmt, ap);
    va_end(ap);
}

void console_vprintf(const char *fmt, va_list ap)
{
    uint32_t outer = console_enter();
    console_format(fmt, ap);
    console_me = outer;
}

void console_write_printable(const uint8_t *bytes, size_t n)
{
    uint32_t outer = console_enter();
    for (size_t i = 0; i < n; i++) {
        uint8_t c = bytes[i];
        console_putc((c >= 0x20 && c < 0x7F) ? (char)c : '.');
    }
    console_me = outer;
}

void console_write_line(const char *prefix, const uint8_t *bytes, size_t n)
{
    uint32_t outer = console_enter();
    size_t i = 0;
    for (;;) {
        /* Each pass: a whole prefix, then the text from where the last
         * pass was cut (another line cut in: console_breaks moved). */
        uint32_t breaks = console_breaks;
        for (const char *p = prefix; *p; p++)
            console_putc(*p);
        while (i < n && console_breaks == breaks) {
            uint8_t c = bytes[i++];
            console_putc_inline((c >= 0x20 && c < 0x7F) ? (char)c : '.');
        }
        if (console_breaks == breaks || i == n) {
            /* Cut after its last byte, the line may already be ended. */
            if (console_breaks == breaks || (console_col && console_owner == console_me)) {
                console_putc('\r');
                console_putc('\n');
            }
            break;
        }
        /* The byte the cut came with may stand after the intruder's line:
         * end that line before the prefix. */
        if (console_col && console_owner == console_me) {
            console_putc('\r');
            console_putc('\n');
        }
    }
    console_me = outer;
}
