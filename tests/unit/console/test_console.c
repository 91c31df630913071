/*
 * console_printf: every conversion of the subset, widths and zero padding,
 * negative numbers, INT_MIN / INT64_MIN, 64-bit values, unknown conversions
 * and a format ending in '%'. The fake board_console_putc captures bytes.
 */
#include <limits.h>
#include <stdint.h>

#include "board.h"
#include "console.h"
#include "keel_test.h"

static char out[512];
static size_t out_len;

/* The running context, and a pre-emption to simulate: after preempt_at
 * bytes, context 3 (a fault, say) prints its own line. */
static uint32_t context;
static size_t preempt_at = SIZE_MAX;

uint32_t board_console_context(void)
{
    return context;
}

/* Exceptions are taken between bytes, never inside the lock. */
uint32_t board_console_lock(void)
{
    if (out_len == preempt_at) {
        preempt_at = SIZE_MAX;
        uint32_t was = context;
        context = 3;
        console_printf("[mv] fault\n");
        context = was;
    }
    return 0;
}

void board_console_unlock(uint32_t state)
{
    (void)state;
}

void board_console_putc(char c)
{
    if (out_len < sizeof(out) - 1)
        out[out_len++] = c;
    out[out_len] = '\0';
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

/* A line cut by a pre-empting context: the intruder's line starts at the
 * margin, and the cut line goes on behind its prefix, so no part of
 * untrusted text ever stands at the margin. */
static void test_preempted_line(void)
{
    static const uint8_t text[] = "ab[mv] forged";
    out_len = 0;
    preempt_at = 8; /* after "[app] ab" */
    console_write_line("[app] ", text, sizeof(text) - 1);
    CHECK_STR(out, "[app] ab\r\n[mv] fault\r\n[app] [mv] forged\r\n");

    out_len = 0; /* cut in the prefix itself */
    preempt_at = 3;
    console_write_line("[app] ", text, 2);
    CHECK_STR(out, "[ap\r\n[mv] fault\r\n[app] ab\r\n");

    out_len = 0; /* cut after its last byte: no empty line */
    preempt_at = 8;
    console_write_line("[app] ", text, 2);
    CHECK_STR(out, "[app] ab\r\n[mv] fault\r\n");

    out_len = 0; /* a microvisor line cut by another is ended, then resumed */
    preempt_at = 4;
    console_printf("[mv] one two\n");
    CHECK_STR(out, "[mv]\r\n[mv] fault\r\n one two\r\n");

    out_len = 0; /* nothing open: the intruder adds no newline */
    preempt_at = 9;
    console_printf("[net] x\n[net] y\n");
    CHECK_STR(out, "[net] x\r\n[mv] fault\r\n[net] y\r\n");
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
