/*
 * M33 bench image for microvisor/tls: the full mutual-auth handshake of
 * fixture.h (ClientHello to the first application byte: X25519 twice,
 * the server chain's and CertificateVerify's Ed25519 verifies, our
 * signature, the key schedule and every record) counted in instructions
 * under QEMU -icount, as tests/bench/m33/bench_m33.c does for lib/crypto:
 * one CMSDK TIMER0 tick is 50 instructions.
 *
 * Prints "M33 <name> <value> 0" lines through semihosting:
 *   tls_handshake_full  instructions;
 *   tls_handshake_resumed  the same for the resumed connection (PSK with
 *                       X25519: two X25519, no signatures);
 *   tls_tickets         sizeof(tls_ticket_store_t), bytes;
 *   tls_context         sizeof(tls_client_t), bytes;
 *   tls_stack           peak stack depth of the handshake, bytes.
 * Exit code 0 only if the handshake completed with the right byte.
 */
#include <stdint.h>
#include <string.h>

#include "replay.h"

extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;
int main(void);

void bench_reset(void)
{
    uint32_t *s = &__data_load, *d = &__data_start;
    while (d < &__data_end)
        *d++ = *s++;
    for (d = &__bss_start; d < &__bss_end;)
        *d++ = 0;
    main();
    for (;;)
        ;
}

static void bench_fault(void)
{
    for (;;)
        ;
}

__attribute__((section(".vectors"), used)) void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top, bench_reset, bench_fault, bench_fault,
    bench_fault, bench_fault, bench_fault, bench_fault,
};

static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void print_result(const char *name, uint32_t v)
{
    char line[64], num[12], *p = line;
    int n = 0;
    for (const char *q = "M33 "; *q;)
        *p++ = *q++;
    while (*name)
        *p++ = *name++;
    *p++ = ' ';
    do {
        num[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = num[--n];
    *p++ = ' ', *p++ = '0', *p++ = '\n', *p = 0;
    semihost(0x04, line); /* SYS_WRITE0 */
}

static void sh_exit(uint32_t code)
{
    uint32_t blk[2] = {0x20026, code}; /* ADP_Stopped_ApplicationExit */
    semihost(0x20, blk);               /* SYS_EXIT_EXTENDED */
    for (;;)
        ;
}

#define TIMER0_CTRL (*(volatile uint32_t *)0x50000000)
#define TIMER0_VALUE (*(volatile uint32_t *)0x50000004)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x50000008)

static tls_client_t client;

/* The stack below the current frame is painted, the handshake run, and
 * the deepest overwritten word found. */
#define STACK_PAINT 0x5a5a5a5au
#define STACK_SCAN 16384u

static __attribute__((noinline)) void paint(void)
{
    uint32_t *sp = (uint32_t *)__builtin_frame_address(0);
    for (uint32_t i = 64; i < STACK_SCAN / 4; i++)
        sp[-(int32_t)i] = STACK_PAINT;
}

static uint32_t stack_used(const uint32_t *top)
{
    uint32_t i = STACK_SCAN / 4;
    while (i > 64 && top[-(int32_t)i] == STACK_PAINT)
        i--;
    return i * 4;
}

int main(void)
{
    uint8_t first = 0;
    size_t sent;
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xffffffff;
    TIMER0_VALUE = 0xffffffff;
    TIMER0_CTRL = 1;
    uint32_t e0 = TIMER0_VALUE, e1 = TIMER0_VALUE, overhead = (e0 - e1) * 50;

    tls_client_config_t full = replay_config(NULL);
    paint();
    const uint32_t *top = (const uint32_t *)__builtin_frame_address(0);
    uint32_t t0 = TIMER0_VALUE;
    int rc = replay_full(&client, &full, FIXTURE_SERVER, sizeof(FIXTURE_SERVER), &first, &sent);
    uint32_t t1 = TIMER0_VALUE;
    uint32_t stack = stack_used(top);
    bool ok = rc == 0 && first == 'x';
    print_result("tls_handshake_full", (t0 - t1) * 50 - overhead);
    first = 0;
    tls_client_config_t resumed = replay_config(&replay_store);
    t0 = TIMER0_VALUE;
    rc = replay_resumed(&client, &resumed, FIXTURE_RESUME_SERVER, sizeof(FIXTURE_RESUME_SERVER), &first,
                        &sent);
    t1 = TIMER0_VALUE;
    ok = ok && rc == 0 && first == 'x' && tls_client_resumed(&client);
    print_result("tls_handshake_resumed", (t0 - t1) * 50 - overhead);
    print_result("tls_context", (uint32_t)sizeof(client));
    print_result("tls_tickets", (uint32_t)sizeof(tls_ticket_store_t));
    print_result("tls_stack", stack);
    tls_client_wipe(&client);
    sh_exit(ok ? 0 : 1);
    return 0;
}
