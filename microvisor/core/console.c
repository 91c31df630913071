/*
 * IMPLEMENTATION NOTES
 * A deliberately small formatter: no floating point, no allocation, no
 * locale, bounded stack. Numbers are formatted into a 24-byte buffer, which
 * holds any 64-bit value in any supported base.
 *
 * Any context may print, and a higher-priority one may pre-empt a line
 * half-way (a fault while deferred work drains an application log line).
 * Every byte goes through console_putc, which knows whose line is open
 * (the IPSR that wrote its last byte; one byte at a time with exceptions
 * masked, so the record is always true): a context that finds another's line
 * open ends it first, so its own line starts at the left margin, and
 * counts the break. A writer of untrusted text (console_write_line) that
 * sees the count change re-emits its prefix before going on, so the rest
 * of an application's line can never stand at the margin looking like the
 * microvisor's (KEEL-SA-2026-11).
 */
#include "console.h"

#include <stdbool.h>

#include "board.h"

static uint32_t console_col;    /* bytes since the last newline */
static uint32_t console_owner;  /* the IPSR that wrote them */
static volatile uint32_t console_breaks;

/* The byte and the record of whose line it is go out together (a
 * pre-emption between the two would leave the record wrong). With
 * `unbroken`, only if no other line has cut in since *unbroken was read:
 * false then, and nothing written. */
static bool console_putc_if(char c, const uint32_t *unbroken)
{
    uint32_t me = board_console_context();
    uint32_t lock = board_console_lock();
    if (unbroken && *unbroken != console_breaks) {
        board_console_unlock(lock);
        return false;
    }
    if (console_col && console_owner != me) {
        /* Pre-empted mid-line: it resumes after this context is done. */
        board_console_putc('\r');
        board_console_putc('\n');
        console_col = 0;
        console_breaks++;
    }
    console_owner = me;
    board_console_putc(c);
    console_col = c == '\n' ? 0 : console_col + 1;
    board_console_unlock(lock);
    return true;
}

static void console_putc(char c)
{
    (void)console_putc_if(c, NULL);
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

void console_vprintf(const char *fmt, va_list ap)
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

void console_write_printable(const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = bytes[i];
        console_putc((c >= 0x20 && c < 0x7F) ? (char)c : '.');
    }
}

void console_write_line(const char *prefix, const uint8_t *bytes, size_t n)
{
    size_t i = 0;
    uint32_t breaks;
    for (;;) {
        /* Each pass: a whole prefix, then the text from where the last
         * pass was cut (another line cut in: console_breaks moved). */
        breaks = console_breaks;
        const char *p = prefix;
        while (*p && console_putc_if(*p, &breaks))
            p++;
        if (*p)
            continue;
        while (i < n) {
            uint8_t c = bytes[i];
            if (!console_putc_if((c >= 0x20 && c < 0x7F) ? (char)c : '.', &breaks))
                break;
            i++;
        }
        if (i == n)
            break;
    }
    /* Cut after its last byte, the line was ended by the intruder. */
    if (console_putc_if('\r', &breaks))
        (void)console_putc_if('\n', &breaks);
}
