/*
 * console_printf: every conversion of the subset, widths and zero padding,
 * negative numbers, INT_MIN / INT64_MIN, 64-bit values, unknown conversions
 * and a format ending in '%'. The fake board_console_putc captures bytes.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "console.h"
#include "keel_test.h"

static char out[512];
static size_t out_len;

/* The running context, and a pre-emption to simulate: when preempt_at
 * bytes are out, context 3 (a fault, say) prints its own line, at one of
 * three points of console_putc: before its check (PRE_CHECK), between its
 * claim and the byte (PRE_BYTE), after the byte (POST_BYTE). */
enum where { PRE_CHECK, PRE_BYTE, POST_BYTE };
static uint32_t context;
static size_t preempt_at = SIZE_MAX;
static enum where preempt_where;

static void maybe_preempt(enum where w)
{
    if (context == 3 || out_len != preempt_at || preempt_where != w)
        return;
    preempt_at = SIZE_MAX;
    uint32_t was = context;
    context = 3;
    console_printf("[mv] fault\n");
    context = was;
}

uint32_t board_console_context(void)
{
    maybe_preempt(PRE_CHECK);
    return context;
}

void board_console_putc(char c)
{
    maybe_preempt(PRE_BYTE);
    if (out_len < sizeof(out) - 1)
        out[out_len++] = c;
    out[out_len] = '\0';
    maybe_preempt(POST_BYTE);
}

static const char *fmt(const char *f, ...)
{
    out_len = 0;
    out[0] = '\0';
    va_list ap;
    va_start(ap, f);
    console_vprintf(f, ap);
    va_end(ap);
    return out;
}

static void test_strings_chars(void)
{
    CHECK_STR(fmt("plain"), "plain");
    CHECK_STR(fmt(""), "");
    CHECK_STR(fmt("a\nb"), "a\r\nb");
    CHECK_STR(fmt("%s", "abc"), "abc");
    CHECK_STR(fmt("[%5s]", "abc"), "[  abc]");
    CHECK_STR(fmt("[%2s]", "abc"), "[abc]");
    CHECK_STR(fmt("[%05s]", "ab"), "[   ab]"); /* strings pad with spaces */
    CHECK_STR(fmt("%s", (char *)NULL), "(null)");
    CHECK_STR(fmt("%s%s", "", "x"), "x");
    CHECK_STR(fmt("%c%c%c", 'K', 'e', 'l'), "Kel");
    CHECK_STR(fmt("%%"), "%");
    CHECK_STR(fmt("100%% %d", 5), "100% 5");
}

static void test_signed(void)
{
    CHECK_STR(fmt("%d", 0), "0");
    CHECK_STR(fmt("%d", 42), "42");
    CHECK_STR(fmt("%d", -42), "-42");
    CHECK_STR(fmt("%d", INT_MAX), "2147483647");
    CHECK_STR(fmt("%d", INT_MIN), "-2147483648");
    CHECK_STR(fmt("%d", -1), "-1");
    CHECK_STR(fmt("[%5d]", -42), "[  -42]");
    CHECK_STR(fmt("[%05d]", 42), "[00042]");
    CHECK_STR(fmt("[%05d]", -42), "[-0042]"); /* sign before the zeros */
    CHECK_STR(fmt("[%03d]", -42), "[-42]");
    CHECK_STR(fmt("[%02d]", -7), "[-7]");
    CHECK_STR(fmt("%lld", (long long)INT64_MIN), "-9223372036854775808");
    CHECK_STR(fmt("%lld", (long long)INT64_MAX), "9223372036854775807");
    CHECK_STR(fmt("%lld", -1LL), "-1");
    CHECK_STR(fmt("%ld", -5L), "-5");
    CHECK_STR(fmt("[%022lld]", (long long)INT64_MIN), "[-009223372036854775808]");
}

static void test_unsigned_hex(void)
{
    CHECK_STR(fmt("%u", 0u), "0");
    CHECK_STR(fmt("%u", UINT32_MAX), "4294967295");
    CHECK_STR(fmt("%u", (uint32_t)-1), "4294967295");
    CHECK_STR(fmt("%x", 0xdeadbeefu), "deadbeef");
    CHECK_STR(fmt("%X", 0xdeadbeefu), "DEADBEEF");
    CHECK_STR(fmt("%x", 0u), "0");
    CHECK_STR(fmt("%08x", 0x1234u), "00001234");
    CHECK_STR(fmt("%08X", 0xabcu), "00000ABC");
    CHECK_STR(fmt("%8x", 0x1234u), "    1234");
    CHECK_STR(fmt("%08x", 0x123456789u & 0xFFFFFFFFu), "23456789");
    CHECK_STR(fmt("%02x", 0xFFFFu), "ffff"); /* width is a minimum */
    CHECK_STR(fmt("%llu", (unsigned long long)UINT64_MAX), "18446744073709551615");
    CHECK_STR(fmt("%llx", (unsigned long long)UINT64_MAX), "ffffffffffffffff");
    CHECK_STR(fmt("%llX", 0x0123456789ABCDEFull), "123456789ABCDEF");
    CHECK_STR(fmt("%016llx", 0x1ull), "0000000000000001");
    CHECK_STR(fmt("%llu", 10000000000ull), "10000000000");
    CHECK_STR(fmt("%lu", 7ul), "7");
    CHECK_STR(fmt("%30u", 1u), "                             1");
    /* Plain %u takes 32 bits even when the next argument is 64-bit. */
    CHECK_STR(fmt("%u %llu", 3u, 4ull), "3 4");
}

static void test_pointer(void)
{
    CHECK_STR(fmt("%p", (void *)(uintptr_t)0x1234), "00001234");
    CHECK_STR(fmt("%p", (void *)(uintptr_t)0x28200000u), "28200000");
    CHECK_STR(fmt("%p", (void *)0), "00000000");
}

static void test_unknown_conversions(void)
{
    /* Unknown conversions print '?' and take no argument. */
    CHECK_STR(fmt("%q%d", 5), "?5");
    CHECK_STR(fmt("%f|%d", 7), "?|7");
    CHECK_STR(fmt("%-5d", 3), "?5d"); /* no '-' flag */
    /* A format ending inside a conversion stops after the '?'. */
    CHECK_STR(fmt("abc%"), "abc?");
    CHECK_STR(fmt("abc%08"), "abc?");
    CHECK_STR(fmt("abc%ll"), "abc?");
    CHECK_STR(fmt("%d%", 1), "1?");
}

static void test_write_printable(void)
{
    const uint8_t bytes[] = { 'o', 'k', 0x00, 0x1F, 0x20, 0x7E, 0x7F, 0x80, 0xFF, '\n', '\r' };
    out_len = 0;
    console_write_printable(bytes, sizeof(bytes));
    CHECK_STR(out, "ok.. ~.....");
    out_len = 0;
    out[0] = '\0';
    console_write_printable(bytes, 0);
    CHECK_STR(out, "");
}

static void test_printf_wrapper(void)
{
    out_len = 0;
    console_printf("[mv] %s %u.%u %08x\n", "app", 1u, 2u, 0x200000u);
    CHECK_STR(out, "[mv] app 1.2 00200000\r\n");
}

/* Every line of the output is the intruder's, or starts with the prefix,
 * or is the microvisor's own part of a prefix, or is one byte: no run of
 * the application's text stands at the margin. */
static int lines_safe(const char *o)
{
    static const char prefix[] = "[app] ";
    while (*o) {
        const char *e = strstr(o, "\r\n");
        size_t len = e ? (size_t)(e - o) : strlen(o);
        bool ok = (len == 10 && !strncmp(o, "[mv] fault", 10)) ||
                  (len >= 6 && !strncmp(o, prefix, 6)) ||
                  (len < 6 && !strncmp(o, prefix, len)) ||            /* its start */
                  (len < 6 && !strncmp(o, prefix + 6 - len, len)) ||  /* its rest */
                  len <= 1;
        if (!ok)
            return 0;
        o += len + (e ? 2 : 0);
    }
    return 1;
}

/* Whether the text comes out whole, in order (lines and prefixes aside). */
static int text_whole(const char *o, const uint8_t *text, size_t n)
{
    size_t i = 0;
    const char *f = strstr(o, "[mv] fault\r\n");
    for (; *o && i < n; o++) {
        if (o == f)
            o += 11;
        else if (*o == (char)text[i])
            i++;
    }
    return i == n;
}

/* A line cut by a pre-empting context, at every byte and at every point
 * of console_putc: the intruder's line starts at the margin, the cut line
 * goes on behind its prefix, every byte of text comes out. */
static void test_preempted_line(void)
{
    static const uint8_t text[] = "ab[mv] forged";
    const size_t n = sizeof(text) - 1;
    int unsafe = 0, intruder_lost = 0, text_lost = 0;
    for (int w = PRE_CHECK; w <= POST_BYTE; w++) {
        for (size_t at = 0; at <= 6 + n; at++) {
            out_len = 0;
            out[0] = '\0';
            preempt_at = at;
            preempt_where = (enum where)w;
            console_write_line("[app] ", text, n);
            unsafe += !lines_safe(out);
            intruder_lost += preempt_at == SIZE_MAX && !strstr(out, "\r\n[mv] fault\r\n") &&
                             strncmp(out, "[mv] fault\r\n", 12);
            text_lost += !text_whole(out, text, n);
        }
    }
    CHECK(unsafe == 0);
    CHECK(intruder_lost == 0);
    CHECK(text_lost == 0);

    out_len = 0; /* the plain cases, exactly */
    preempt_at = 8;
    preempt_where = POST_BYTE;
    console_write_line("[app] ", text, n);
    /* (the writer cannot tell whether its byte went out before the cut or
     * after it, so it ends a line that may be empty) */
    CHECK_STR(out, "[app] ab\r\n[mv] fault\r\n\r\n[app] [mv] forged\r\n");

    out_len = 0; /* cut in the prefix */
    preempt_at = 3;
    preempt_where = POST_BYTE;
    console_write_line("[app] ", text, 2);
    CHECK_STR(out, "[ap\r\n[mv] fault\r\np] \r\n[app] ab\r\n");

    out_len = 0; /* between the claim and the byte: the byte stands alone */
    preempt_at = 8;
    preempt_where = PRE_BYTE;
    console_write_line("[app] ", text, n);
    CHECK_STR(out, "[app] ab\r\n[mv] fault\r\n[\r\n[app] mv] forged\r\n");

    out_len = 0; /* a microvisor line cut by another is ended, then resumed */
    preempt_at = 4;
    preempt_where = POST_BYTE;
    console_printf("[mv] one two\n");
    CHECK_STR(out, "[mv]\r\n[mv] fault\r\n one two\r\n");

    out_len = 0; /* nothing open: the intruder adds no newline */
    preempt_at = 9;
    preempt_where = POST_BYTE;
    console_printf("[net] x\n");
    CHECK_STR(out, "[net] x\r\n[mv] fault\r\n");
}

int main(void)
{
    test_strings_chars();
    test_signed();
    test_unsigned_hex();
    test_pointer();
    test_unknown_conversions();
    test_write_printable();
    test_printf_wrapper();
    test_preempted_line();
    return keel_test_done("test_console");
}
