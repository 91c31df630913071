/*
 * The microvisor console (the secure UART). Output is synchronous and
 * polled, so it is safe from any context, including fault handlers, and is
 * for diagnostics only: nothing the application controls is ever printed
 * without a bound.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/*
 * printf subset: %s %c %d %u %x %X %p %%, with an optional zero flag and
 * width (e.g. %08x), and the l / ll length modifiers for %u %d %x. Plain
 * %u/%x/%d take any 32-bit integer (uint32_t included: int and long are
 * both 32 bits on the M33), %llu etc. 64-bit ones. Not format-checked by
 * the compiler for that reason: keep the arguments 32-bit.
 */
void console_printf(const char *fmt, ...);
void console_vprintf(const char *fmt, va_list ap);

/* Writes exactly n bytes, replacing anything unprintable with '.'. */
void console_write_printable(const uint8_t *bytes, size_t n);

/* One line of untrusted text: prefix, the n bytes made printable, a
 * newline. Cut by a line from a pre-empting context, it goes on behind the
 * prefix again, never at the left margin. */
void console_write_line(const char *prefix, const uint8_t *bytes, size_t n);

#endif /* CONSOLE_H */
