/*
 * IMPLEMENTATION NOTES
 * A deliberately small formatter: no floating point, no allocation, no
 * locale, bounded stack. Numbers are formatted into a 24-byte buffer, which
 * holds any 64-bit value in any supported base.
 */
#include "console.h"

#include <stdbool.h>

#include "board.h"

static void console_puts_n(const char *s, int width, char pad)
{
    int len = 0;
    while (s[len])
        len++;
    for (; width > len; width--)
        board_console_putc(pad);
    while (*s)
        board_console_putc(*s++);
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
        board_console_putc('-');
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
                board_console_putc('\r');
            board_console_putc(*fmt);
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
            board_console_putc((char)va_arg(ap, int));
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
            board_console_putc('%');
            break;
        default:
            board_console_putc('?');
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
        board_console_putc((c >= 0x20 && c < 0x7F) ? (char)c : '.');
    }
}
