/*
 * Attacks through the call interface, all in one application run: none may
 * crash the application or the microvisor, each must return exactly the
 * status docs/syscalls.md gives, write nothing it was not asked to, and
 * leave the microvisor answering the next call.
 */
#include <string.h>

#include "hostile.h"

#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (n))
#define NVIC_ISPR(n) REG32(0xE000E200u + 4u * (n))
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (n))
#define NVIC_ITNS(n) REG32(0xE000E380u + 4u * (n))
#define SCB_VTOR     REG32(0xE000ED08u)
#define SCB_AIRCR    REG32(0xE000ED0Cu)
#define SAU_CTRL     REG32(0xE000EDD0u)
#define SAU_TYPE     REG32(0xE000EDD4u)
#define SAU_RNR      REG32(0xE000EDD8u)
#define SAU_RBAR     REG32(0xE000EDDCu)
#define SAU_RLAR     REG32(0xE000EDE0u)

#define LED_REG    0x40302000u
#define BUTTON_REG 0x40302008u
#define SWITCH_REG 0x40302028u

#define GUARD 0xA5u

#define APP_CODE_BASE 0x00200000u
#define APP_CODE_END  0x003FFF00u /* the stubs page follows */
#define APP_RAM_BASE  0x28200000u
#define APP_RAM_END   0x28400000u

/* ---- shared helpers ---------------------------------------------------- */

static uint64_t last_us;

int hostile_mv_alive(void)
{
    uint64_t now = 0;
    if (mvNoOp() != MV_STATUS_OKAY || mvGetMicroseconds(&now) != MV_STATUS_OKAY)
        return 0;
    if (now < last_us)
        return 0;
    last_us = now;
    return 1;
}

static void irq_enable(uint32_t irq)
{
    NVIC_ICPR(irq / 32u) = 1u << (irq % 32u);
    NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

static void irq_disable(uint32_t irq)
{
    NVIC_ICER(irq / 32u) = 1u << (irq % 32u);
    NVIC_ICPR(irq / 32u) = 1u << (irq % 32u);
}

static void irq_pend(uint32_t irq)
{
    NVIC_ISPR(irq / 32u) = 1u << (irq % 32u);
    __asm volatile("dsb\n\tisb" ::: "memory");
}

/* A guarded arena: good outputs go at arena + 512, misaligned ones just
 * after; every other byte must keep GUARD. */
static uint8_t arena[2048] __attribute__((aligned(512)));
#define GOOD ((uint32_t)(uintptr_t)(arena + 512))

static void arena_fill(void)
{
    memset(arena, GUARD, sizeof(arena));
}

/* All bytes of the arena outside [from, from + len) still hold GUARD. */
static int arena_guarded(uint32_t from, uint32_t len)
{
    for (uint32_t i = 0; i < sizeof(arena); i++) {
        uint32_t a = (uint32_t)(uintptr_t)&arena[i];
        if (a - from < len)
            continue;
        if (arena[i] != GUARD)
            return 0;
    }
    return 1;
}

/* Snapshot of whatever part of [addr, addr+len) is application memory, so
 * a refused call can be shown to have written none of it. */
static uint8_t snap_buf[1024];
static uint32_t snap_lo, snap_len;

static void snap_region(uint32_t addr, uint32_t len, uint32_t base, uint32_t end)
{
    uint32_t hi = addr + len < addr ? 0xFFFFFFFFu : addr + len; /* clip a wrap */
    uint32_t lo = addr > base ? addr : base;
    uint32_t top = hi < end ? hi : end;
    if (lo < top && snap_len == 0) {
        snap_lo = lo;
        snap_len = top - lo > sizeof(snap_buf) ? sizeof(snap_buf) : top - lo;
        memcpy(snap_buf, (const void *)(uintptr_t)snap_lo, snap_len);
    }
}

static void snap_take(uint32_t addr, uint32_t len)
{
    snap_len = 0;
    snap_region(addr, len, APP_CODE_BASE, APP_CODE_END);
    snap_region(addr, len, APP_RAM_BASE, APP_RAM_END);
}

static int snap_same(void)
{
    return snap_len == 0 || memcmp(snap_buf, (const void *)(uintptr_t)snap_lo, snap_len) == 0;
}

/* ---- bad pointers -------------------------------------------------------- */

struct bad_ptr {
    uint32_t addr;
    const char *cls;
};

static uint32_t align_down(uint32_t v, uint32_t a)
{
    return v & ~(a - 1u);
}

/* An aligned range of len bytes that starts below `boundary` and ends
 * above it (boundary 0: wraps past 0xFFFFFFFF); 0 if none exists. */
static int straddle(uint32_t boundary, uint32_t len, uint32_t align, uint32_t *out)
{
    uint32_t a = align_down(boundary - (len + 1u) / 2u, align);
    uint32_t end = a + len;
    if (boundary == 0u) {
        if (!(end < a && end != 0u))
            return 0;
    } else if (!(a < boundary && end > boundary)) {
        return 0;
    }
    *out = a;
    return 1;
}

#define MAX_BAD 24

static uint32_t bad_pointers(uint32_t len, uint32_t align, struct bad_ptr *out)
{
    static const struct bad_ptr fixed[] = {
        { 0x38000000u, "secure RAM" },
        { 0x38200000u, "secure alias of app RAM" },
        { 0x10010000u, "secure code" },
        { 0x10010400u, "NSC veneers" },
        { 0x10000000u, "boot ROM" },
        { 0x00001000u, "NS alias of secure code" },
        { 0x003FFF00u, "stubs page" },
        { 0x60000000u, "unmapped 0x60000000" },
        { 0xF0000000u, "unmapped 0xF0000000" },
        { 0x40201000u, "peripheral UART1" },
        { 0x40000000u, "peripheral TIMER0" },
        { 0x80000000u, "flash" },
        { 0x00000000u, "NULL" },
        { 0x28000000u, "NS alias of SSRAM2" },
        { 0x28400000u, "just past app RAM" },
    };
    static const struct { uint32_t boundary; const char *cls; } edges[] = {
        { APP_CODE_BASE, "straddles NS alias/app code" },
        { APP_CODE_END, "straddles app code/stubs" },
        { APP_RAM_BASE, "straddles app RAM start" },
        { APP_RAM_END, "straddles app RAM end" },
        { 0u, "wraps past 0xFFFFFFFF" },
    };
    uint32_t n = 0;
    for (uint32_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        out[n++] = fixed[i];
    for (uint32_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        if (straddle(edges[i].boundary, len, align, &out[n].addr))
            out[n++].cls = edges[i].cls;
    if (align > 1u)
        out[n++] = (struct bad_ptr){ GOOD + 1u, "misaligned" };
    if (align > 2u)
        out[n++] = (struct bad_ptr){ GOOD + align / 2u, "misaligned" };
    return n;
}

/* ---- the calls under attack, one pointer argument each -------------------- */

static MvNotificationHandle scratch_handle;
static struct MvNotification target_ring[4] __attribute__((aligned(8)));
static struct MvNotification probe_ring[2] __attribute__((aligned(8)));
static MvNotificationHandle close_victim; /* a live center on IRQ 84 */
static uint8_t log_buf[1024] __attribute__((aligned(512)));

static uint32_t c_usec(uint32_t p) { return mvGetMicroseconds((uint64_t *)p); }
static uint32_t c_wall(uint32_t p) { return mvGetWallTime((uint64_t *)p); }
static uint32_t c_sysclk(uint32_t p) { return mvGetSysClk((uint32_t *)p); }
static uint32_t c_hclk(uint32_t p) { return mvGetHClk((uint32_t *)p); }
static uint32_t c_pclk1(uint32_t p) { return mvGetPClk1((uint32_t *)p); }
static uint32_t c_pclk2(uint32_t p) { return mvGetPClk2((uint32_t *)p); }
static uint32_t c_devid(uint32_t p) { return mvGetDeviceId((uint8_t *)p, MV_DEVICE_ID_LENGTH); }
static uint32_t c_peek(uint32_t p) { return mvPeriphPeek32(LED_REG, (uint32_t *)p); }
static uint32_t c_wake(uint32_t p) { return mvGetWakeReason((enum MvWakeReason *)p); }
static uint32_t c_close(uint32_t p) { return mvCloseNotifications((MvNotificationHandle *)p); }
static uint32_t c_log(uint32_t p) { return mvServerLog((const uint8_t *)p, 32); }
static uint32_t c_log_init(uint32_t p) { return mvServerLoggingInit((uint8_t *)p, 1024); }

/* The network calls: a live request (center 0) the attacks must leave
 * alive, and where the calls' other outputs go (outside the arena). */
static MvNetworkHandle net_victim, net_scratch;
static uint32_t net_word_a, net_word_b;

static uint32_t net_count(void)
{
    enum MvNetworkReason r;
    uint32_t n = 0xFFFFFFFFu;
    if (mvGetNetworkReasons(&r, &n) != MV_STATUS_OKAY)
        return 0xFFFFFFFFu;
    return n;
}

/* A refused request created nothing, a refused release killed nothing. */
static int net_one_request(void)
{
    enum MvNetworkStatus st;
    return net_count() == 1u && mvGetNetworkStatus(net_victim, &st) == MV_STATUS_OKAY;
}

static uint32_t c_netreq_params(uint32_t p)
{
    return mvRequestNetwork((const struct MvRequestNetworkParams *)p, &net_scratch);
}

static uint32_t c_netreq_handle(uint32_t p)
{
    struct MvRequestNetworkParams np = { .version = 1 };
    return mvRequestNetwork(&np, (MvNetworkHandle *)p);
}

static uint32_t c_netrel(uint32_t p) { return mvReleaseNetwork((MvNetworkHandle *)p); }

static uint32_t c_netstatus(uint32_t p)
{
    return mvGetNetworkStatus(net_victim, (enum MvNetworkStatus *)p);
}

static uint32_t c_netreasons_a(uint32_t p)
{
    return mvGetNetworkReasons((enum MvNetworkReason *)p, &net_word_b);
}

static uint32_t c_netreasons_b(uint32_t p)
{
    return mvGetNetworkReasons((enum MvNetworkReason *)&net_word_a, (uint32_t *)p);
}

static uint32_t c_setup_struct(uint32_t p)
{
    return mvSetupNotifications((const struct MvNotificationSetup *)p, &scratch_handle);
}

static uint32_t c_setup_handle(uint32_t p)
{
    struct MvNotificationSetup s = { 85, target_ring, 32 };
    return mvSetupNotifications(&s, (MvNotificationHandle *)p);
}

static uint32_t c_setup_buffer(uint32_t p)
{
    struct MvNotificationSetup s = { 85, (struct MvNotification *)p, 32 };
    return mvSetupNotifications(&s, &scratch_handle);
}

/* The center attacked through mvCloseNotifications still exists: its IRQ
 * is still taken. */
static int close_victim_alive(void)
{
    struct MvNotificationSetup s = { 84, probe_ring, sizeof(probe_ring) };
    MvNotificationHandle h = 0;
    return mvSetupNotifications(&s, &h) == MV_STATUS_INVALIDINTERRUPT && h == 0;
}

/* No center was created on IRQ 85 by a refused setup. */
static int irq85_free(void)
{
    struct MvNotificationSetup s = { 85, probe_ring, sizeof(probe_ring) };
    MvNotificationHandle h = 0;
    if (mvSetupNotifications(&s, &h) != MV_STATUS_OKAY)
        return 0;
    return mvCloseNotifications(&h) == MV_STATUS_OKAY;
}

struct target {
    const char *name;
    uint32_t len, align;
    uint32_t misalign_status; /* for a pointer that is not `align`-aligned */
    uint32_t (*call)(uint32_t ptr);
    int (*unchanged)(void);   /* the state a refused call must not change */
};

static const struct target targets[] = {
    { "mvGetMicroseconds", 8, 4, MV_STATUS_PARAMETERFAULT, c_usec, 0 },
    { "mvGetWallTime", 8, 4, MV_STATUS_PARAMETERFAULT, c_wall, 0 },
    { "mvGetSysClk", 4, 4, MV_STATUS_PARAMETERFAULT, c_sysclk, 0 },
    { "mvGetHClk", 4, 4, MV_STATUS_PARAMETERFAULT, c_hclk, 0 },
    { "mvGetPClk1", 4, 4, MV_STATUS_PARAMETERFAULT, c_pclk1, 0 },
    { "mvGetPClk2", 4, 4, MV_STATUS_PARAMETERFAULT, c_pclk2, 0 },
    { "mvGetDeviceId", 34, 1, MV_STATUS_PARAMETERFAULT, c_devid, 0 },
    { "mvPeriphPeek32.output", 4, 4, MV_STATUS_PARAMETERFAULT, c_peek, 0 },
    { "mvSetupNotifications.notifications", 12, 4, MV_STATUS_PARAMETERFAULT,
      c_setup_struct, irq85_free },
    { "mvSetupNotifications.handle_out", 4, 4, MV_STATUS_PARAMETERFAULT,
      c_setup_handle, irq85_free },
    { "mvSetupNotifications.buffer", 32, 8, MV_STATUS_INVALIDBUFFERALIGNMENT,
      c_setup_buffer, irq85_free },
    { "mvCloseNotifications", 4, 4, MV_STATUS_PARAMETERFAULT, c_close, close_victim_alive },
    { "mvServerLoggingInit", 1024, 512, MV_STATUS_INVALIDBUFFERALIGNMENT, c_log_init, 0 },
    { "mvServerLog", 32, 1, MV_STATUS_PARAMETERFAULT, c_log, 0 },
    { "mvGetWakeReason", 1, 1, MV_STATUS_PARAMETERFAULT, c_wake, 0 },
    { "mvRequestNetwork.params", 12, 4, MV_STATUS_PARAMETERFAULT, c_netreq_params,
      net_one_request },
    { "mvRequestNetwork.handle_out", 4, 4, MV_STATUS_PARAMETERFAULT, c_netreq_handle,
      net_one_request },
    { "mvReleaseNetwork", 4, 4, MV_STATUS_PARAMETERFAULT, c_netrel, net_one_request },
    { "mvGetNetworkStatus.status", 4, 4, MV_STATUS_PARAMETERFAULT, c_netstatus, 0 },
    { "mvGetNetworkReasons.reasons", 4, 4, MV_STATUS_PARAMETERFAULT, c_netreasons_a, 0 },
    { "mvGetNetworkReasons.request_ref_count", 4, 4, MV_STATUS_PARAMETERFAULT, c_netreasons_b,
      0 },
};

static void attack_pointers(const struct target *t)
{
    struct bad_ptr bad[MAX_BAD];
    uint32_t n = bad_pointers(t->len, t->align, bad);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t want = (bad[i].addr % t->align) ? t->misalign_status
                                                  : MV_STATUS_PARAMETERFAULT;
        arena_fill();
        snap_take(bad[i].addr, t->len);
        uint32_t got = t->call(bad[i].addr);
        int untouched = snap_same() && arena_guarded(0, 0);
        int state = t->unchanged ? t->unchanged() : 1;
        int alive = hostile_mv_alive();
        testapp_check(got == want && untouched && state && alive,
                      "attack %s [%s] %08lx -> %s (want %s)%s%s%s", t->name, bad[i].cls,
                      (unsigned long)bad[i].addr, testapp_status_name(got),
                      testapp_status_name(want), untouched ? "" : " MEMORY WRITTEN",
                      state ? "" : " STATE CHANGED", alive ? "" : " MICROVISOR NOT ANSWERING");
    }
}

/* ---- good pointers: exactly the output is written ------------------------- */

static void good_pointers(void)
{
    uint32_t got;

    arena_fill();
    got = mvGetMicroseconds((uint64_t *)(GOOD + 4u)); /* 4-aligned is enough */
    testapp_check(got == MV_STATUS_OKAY && arena_guarded(GOOD + 4u, 8),
                  "mvGetMicroseconds at a 4-aligned (not 8) address -> %s, only 8 bytes written",
                  testapp_status_name(got));

    arena_fill();
    got = mvGetWallTime((uint64_t *)GOOD);
    testapp_check(got == MV_STATUS_TIMENOTSET && arena_guarded(0, 0),
                  "mvGetWallTime before the cloud set the clock -> %s (want TIMENOTSET), nothing written",
                  testapp_status_name(got));

    uint32_t (*const clocks[])(uint32_t) = { c_sysclk, c_hclk, c_pclk1, c_pclk2 };
    for (uint32_t i = 0; i < 4; i++) {
        arena_fill();
        got = clocks[i](GOOD);
        testapp_check(got == MV_STATUS_OKAY && REG32(GOOD) == 20000000u &&
                      arena_guarded(GOOD, 4),
                      "clock %lu -> %s, %lu Hz, only 4 bytes written", (unsigned long)i,
                      testapp_status_name(got), (unsigned long)REG32(GOOD));
    }

    arena_fill();
    got = mvGetDeviceId((uint8_t *)(GOOD + 3u), MV_DEVICE_ID_LENGTH); /* any alignment */
    testapp_check(got == MV_STATUS_OKAY && memcmp((void *)(GOOD + 3u), "UV", 2) == 0 &&
                  arena_guarded(GOOD + 3u, MV_DEVICE_ID_LENGTH),
                  "mvGetDeviceId at an odd address -> %s, exactly 34 bytes written",
                  testapp_status_name(got));

    static const uint32_t bad_lens[] = { 0, 1, 33, 35, 0xFFFFFFFFu };
    for (uint32_t i = 0; i < sizeof(bad_lens) / sizeof(bad_lens[0]); i++) {
        arena_fill();
        got = mvGetDeviceId((uint8_t *)GOOD, bad_lens[i]);
        testapp_check(got == MV_STATUS_INVALIDBUFFERSIZE && arena_guarded(0, 0),
                      "mvGetDeviceId len %lu -> %s (want INVALIDBUFFERSIZE), nothing written",
                      (unsigned long)bad_lens[i], testapp_status_name(got));
        got = mvGetDeviceId((uint8_t *)0x38000000u, bad_lens[i]);
        testapp_expect_status(got, MV_STATUS_INVALIDBUFFERSIZE,
                              "mvGetDeviceId(secure RAM, bad len): size checked first");
    }

    arena_fill();
    got = mvGetWakeReason((enum MvWakeReason *)(GOOD + 1u)); /* one byte, no alignment */
    testapp_check(got == MV_STATUS_OKAY && arena[513] == MV_WAKEREASON_COLDBOOT &&
                  arena_guarded(GOOD + 1u, 1),
                  "mvGetWakeReason at an odd address -> %s, exactly 1 byte written",
                  testapp_status_name(got));
}

/* ---- logging ------------------------------------------------------------- */

static uint8_t big_spool[65536] __attribute__((aligned(512)));
static uint8_t long_msg[1100];

static void logging_attacks(void)
{
    uint32_t got;

    got = mvServerLog((const uint8_t *)"early", 5);
    testapp_expect_status(got, MV_STATUS_UNAVAILABLE, "mvServerLog before mvServerLoggingInit");
    got = mvServerLog((const uint8_t *)0x38000000u, 5);
    testapp_expect_status(got, MV_STATUS_UNAVAILABLE,
                          "mvServerLog(secure RAM) before mvServerLoggingInit: UNAVAILABLE first");

    static const uint32_t bad_sizes[] = { 0, 256, 511, 513, 1000, 65536u + 512u, 0xFFFFFE00u };
    for (uint32_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        got = mvServerLoggingInit(big_spool, bad_sizes[i]);
        testapp_check(got == MV_STATUS_INVALIDBUFFERSIZE,
                      "mvServerLoggingInit size %lu -> %s (want INVALIDBUFFERSIZE)",
                      (unsigned long)bad_sizes[i], testapp_status_name(got));
    }
    got = mvServerLoggingInit(big_spool + 256, 100);
    testapp_expect_status(got, MV_STATUS_INVALIDBUFFERALIGNMENT,
                          "mvServerLoggingInit misaligned and bad size: alignment first");
    got = mvServerLoggingInit((uint8_t *)0x38000000u, 100);
    testapp_expect_status(got, MV_STATUS_INVALIDBUFFERSIZE,
                          "mvServerLoggingInit(secure RAM, bad size): size before pointer");
    got = mvServerLoggingInit(big_spool, sizeof(big_spool));
    testapp_expect_status(got, MV_STATUS_OKAY, "mvServerLoggingInit 65536 bytes (the maximum)");
    got = mvServerLoggingInit(log_buf, sizeof(log_buf));
    testapp_expect_status(got, MV_STATUS_OKAY, "mvServerLoggingInit replaces the spool");
    got = mvServerLoggingInit(log_buf, sizeof(log_buf));
    testapp_expect_status(got, MV_STATUS_OKAY, "mvServerLoggingInit again with the same buffer");

    memset(long_msg, 'x', sizeof(long_msg));
    got = mvServerLog(long_msg, MV_LOG_MESSAGE_MAX_LENGTH + 1u);
    testapp_expect_status(got, MV_STATUS_LOGMESSAGETOOLONG, "mvServerLog 1025 bytes");
    got = mvServerLog(long_msg, 0xFFFFu);
    testapp_expect_status(got, MV_STATUS_LOGMESSAGETOOLONG, "mvServerLog 65535 bytes");
    got = mvServerLog((const uint8_t *)0x38000000u, 2000);
    testapp_expect_status(got, MV_STATUS_PARAMETERFAULT,
                          "mvServerLog(secure RAM, 2000 bytes): pointer before length");
    got = mvServerLog((const uint8_t *)"hostile: logging works", 22);
    testapp_expect_status(got, MV_STATUS_OKAY, "mvServerLog after the refused calls");
}

/* ---- peripheral registers ------------------------------------------------ */

static void periph_attacks(void)
{
    static const struct { uint32_t reg; const char *what; } denied[] = {
        { 0x50302000u, "secure alias of the LED register" },
        { 0x40302001u, "LED register +1 (unaligned)" },
        { 0x40302002u, "LED register +2 (unaligned)" },
        { 0x40302003u, "LED register +3 (unaligned)" },
        { 0x40302004u, "FPGAIO +4 (not listed)" },
        { 0x40302050u, "FPGAIO +0x50 (not listed)" },
        { 0x50080000u, "secure privilege control" },
        { 0x50080010u, "SECRESPCFG" },
        { 0x50080070u, "APBNSPPC0" },
        { 0x40080000u, "NS privilege control" },
        { 0xE000EDD0u, "SAU_CTRL" },
        { 0xE000E380u, "NVIC_ITNS0" },
        { 0xE000ED0Cu, "AIRCR" },
        { 0x58007000u, "MPC SSRAM1" },
        { 0x58008000u, "MPC SSRAM2" },
        { 0x58009000u, "MPC SSRAM3" },
        { 0x42000000u, "ethernet (NS alias)" },
        { 0x52000000u, "ethernet (S alias)" },
        { 0x40200000u, "UART0 (NS alias)" },
        { 0x50200000u, "UART0 (S alias)" },
        { 0x40202000u, "UART2, the update port (NS alias)" },
        { 0x50202000u, "UART2, the update port (S alias)" },
        { 0x40001000u, "TIMER1" },
        { 0x50081000u, "secure watchdog" },
        { 0x40201000u, "UART1 (the app's own, not listed)" },
        { 0x40000000u, "TIMER0 (the app's own, not listed)" },
        { 0x38000000u, "secure RAM" },
        { 0x10010000u, "secure code" },
        { 0x80000000u, "flash" },
        { 0x00000000u, "NULL" },
        { 0xFFFFFFFCu, "0xFFFFFFFC" },
    };
    uint32_t got;

    for (uint32_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
        arena_fill();
        got = mvPeriphPeek32(denied[i].reg, (uint32_t *)GOOD);
        int untouched = arena_guarded(0, 0);
        uint32_t got2 = mvPeriphPoke32(denied[i].reg, 0xFFFFFFFFu, 0);
        int alive = hostile_mv_alive();
        testapp_check(got == MV_STATUS_PERIPHERALACCESSFAULT &&
                      got2 == MV_STATUS_PERIPHERALACCESSFAULT && untouched && alive,
                      "attack mvPeriphPeek32/Poke32 [register] %08lx %s -> %s/%s (want PERIPHERALACCESSFAULT)%s",
                      (unsigned long)denied[i].reg, denied[i].what, testapp_status_name(got),
                      testapp_status_name(got2), untouched ? "" : " OUTPUT WRITTEN");
    }
    got = mvPeriphPoke32(BUTTON_REG, 0xFFFFFFFFu, 0x3u);
    testapp_expect_status(got, MV_STATUS_PERIPHERALACCESSFAULT, "mvPeriphPoke32 buttons (read-only)");
    got = mvPeriphPoke32(SWITCH_REG, 0xFFFFFFFFu, 0x3u);
    testapp_expect_status(got, MV_STATUS_PERIPHERALACCESSFAULT, "mvPeriphPoke32 switches (read-only)");

    uint32_t v = 0xDEADBEEFu;
    got = mvPeriphPeek32(BUTTON_REG, &v);
    testapp_check(got == MV_STATUS_OKAY && (v & ~0x3u) == 0,
                  "mvPeriphPeek32 buttons -> %s, %08lx (only bits 0-1 visible)",
                  testapp_status_name(got), (unsigned long)v);
    v = 0xDEADBEEFu;
    got = mvPeriphPeek32(SWITCH_REG, &v);
    testapp_check(got == MV_STATUS_OKAY && (v & ~0xFFu) == 0,
                  "mvPeriphPeek32 switches -> %s, %08lx (only bits 0-7 visible)",
                  testapp_status_name(got), (unsigned long)v);

    /* new = (old & ~mask) ^ xor, on the two writable LED bits only. */
    static const struct { uint32_t mask, xorv, want; const char *what; } led[] = {
        { 0xFFFFFFFFu, 0, 0, "clear all" },
        { 0x3u, 0x1u, 1, "set bit 0 (mask 3, xor 1)" },
        { 0x0u, 0x3u, 2, "toggle both (mask 0, xor 3)" },
        { 0x0u, 0x1u, 3, "toggle bit 0" },
        { 0x1u, 0x0u, 2, "clear bit 0 (mask 1, xor 0)" },
        { 0x3u, 0x10000001u, 1, "doc example: bit 28 ignored, clear bit 1, set bit 0" },
        { 0xFFFFFFFFu, 0xFFFFFFFFu, 3, "set all: only bits 0-1 change" },
        { 0xFFFFFFFCu, 0xFFFFFFFCu, 3, "bits 2-31 only: nothing changes" },
        { 0xFFFFFFFFu, 0, 0, "clear all again" },
    };
    for (uint32_t i = 0; i < sizeof(led) / sizeof(led[0]); i++) {
        got = mvPeriphPoke32(LED_REG, led[i].mask, led[i].xorv);
        v = 0xDEADBEEFu;
        uint32_t got2 = mvPeriphPeek32(LED_REG, &v);
        testapp_check(got == MV_STATUS_OKAY && got2 == MV_STATUS_OKAY && v == led[i].want,
                      "LED poke %s -> %s, reads %08lx (want %08lx)", led[i].what,
                      testapp_status_name(got), (unsigned long)v, (unsigned long)led[i].want);
    }
}

/* ---- notifications ---------------------------------------------------------- */

static volatile uint32_t irq81_count;
volatile uint32_t hostile_irq81_crash;
void IRQ81_Handler(void)
{
    irq81_count++;
    if (hostile_irq81_crash)
        (void)REG32(0x38000000u);
}

static struct MvNotification ring2[2] __attribute__((aligned(8)));
static struct MvNotification rings[20][2] __attribute__((aligned(8)));
/* Records with a guard word on each side. */
static struct {
    uint32_t pre[4];
    struct MvNotification ring[4];
    uint32_t post[4];
} guarded_ring __attribute__((aligned(8)));

static uint32_t setup(uint32_t irq, void *buf, uint32_t size, MvNotificationHandle *h)
{
    struct MvNotificationSetup s = { irq, (struct MvNotification *)buf, size };
    return mvSetupNotifications(&s, h);
}

static int ring_guards_ok(void)
{
    for (uint32_t i = 0; i < 4; i++)
        if (guarded_ring.pre[i] != 0xA5A5A5A5u || guarded_ring.post[i] != 0xA5A5A5A5u)
            return 0;
    return 1;
}

static void notification_delivery(void)
{
    MvNotificationHandle h = 0;
    uint32_t got;
    uint64_t t0 = 0, t1 = 0;

    memset(&guarded_ring, 0xA5, sizeof(guarded_ring));
    memset(guarded_ring.ring, 0, sizeof(guarded_ring.ring));
    got = setup(81, guarded_ring.ring, 32, &h); /* two records */
    testapp_check(got == MV_STATUS_OKAY && h != 0, "mvSetupNotifications IRQ 81, 2 records -> %s",
                  testapp_status_name(got));
    irq81_count = 0;
    irq_enable(81);

    mvGetMicroseconds(&t0);
    got = mvTempTriggerNotification(h, MV_EVENTTYPE_CHANNELDATAREADABLE, 0x1111u);
    mvGetMicroseconds(&t1);
    __asm volatile("dsb\n\tisb" ::: "memory");
    struct MvNotification *r = guarded_ring.ring;
    testapp_check(got == MV_STATUS_OKAY && irq81_count == 1 &&
                  r[0].event_type == MV_EVENTTYPE_CHANNELDATAREADABLE && r[0].tag == 0x1111u &&
                  r[0].microseconds >= t0 && r[0].microseconds <= t1 && r[1].event_type == 0,
                  "mvTempTriggerNotification -> %s: record 0 written (type %lu tag %lx), IRQ delivered %lu time(s)",
                  testapp_status_name(got), (unsigned long)r[0].event_type,
                  (unsigned long)r[0].tag, (unsigned long)irq81_count);

    got = mvTempTriggerNotification(h, MV_EVENTTYPE_CHANNELNOTCONNECTED, 0x2222u);
    testapp_check(got == MV_STATUS_OKAY && irq81_count == 2 && r[1].tag == 0x2222u &&
                  r[1].event_type == MV_EVENTTYPE_CHANNELNOTCONNECTED,
                  "second trigger fills record 1, IRQ delivered again");
    got = mvTempTriggerNotification(h, MV_EVENTTYPE_UPDATEDOWNLOADED, 0x3333u);
    testapp_check(got == MV_STATUS_OKAY && irq81_count == 3 && r[0].tag == 0x1111u &&
                  r[1].tag == 0x2222u && ring_guards_ok(),
                  "third trigger on a full ring: dropped (nothing overwritten), IRQ still pended");
    r[0].event_type = MV_EVENTTYPE_NOEVENT; /* consume record 0 */
    got = mvTempTriggerNotification(h, MV_EVENTTYPE_NETWORKSTATUSCHANGED, 0x4444u);
    testapp_check(got == MV_STATUS_OKAY && irq81_count == 4 && r[0].tag == 0x4444u &&
                  r[0].event_type == MV_EVENTTYPE_NETWORKSTATUSCHANGED && r[1].tag == 0x2222u &&
                  ring_guards_ok(),
                  "after the app frees record 0 the ring wraps to it; guards intact");

    MvNotificationHandle stale = h;
    got = mvCloseNotifications(&h);
    testapp_check(got == MV_STATUS_OKAY && h == 0, "mvCloseNotifications -> %s, handle zeroed",
                  testapp_status_name(got));
    got = mvTempTriggerNotification(stale, MV_EVENTTYPE_CHANNELDATAREADABLE, 0x5555u);
    testapp_check(got == MV_STATUS_INVALIDHANDLE && irq81_count == 4 && r[1].tag == 0x2222u,
                  "trigger on a closed center -> %s (want INVALIDHANDLE), no record, no IRQ",
                  testapp_status_name(got));
    got = mvCloseNotifications(&stale);
    testapp_expect_status(got, MV_STATUS_INVALIDHANDLE, "close a stale handle");
    got = mvCloseNotifications(&h);
    testapp_expect_status(got, MV_STATUS_INVALIDHANDLE, "close handle 0");

    /* The slot is reused by a new center: the stale handle must not reach it. */
    MvNotificationHandle h2 = 0;
    memset(ring2, 0, sizeof(ring2));
    got = setup(81, ring2, sizeof(ring2), &h2);
    testapp_check(got == MV_STATUS_OKAY && h2 != stale,
                  "new center after close -> %s, a different handle", testapp_status_name(got));
    got = mvTempTriggerNotification(stale, MV_EVENTTYPE_CHANNELDATAREADABLE, 0x6666u);
    testapp_check(got == MV_STATUS_INVALIDHANDLE && ring2[0].event_type == 0,
                  "stale handle does not reach the center that reused its slot -> %s",
                  testapp_status_name(got));
    static const uint32_t forged[] = { 0, 1, 0xFF, 0x100, 0xFFFFFFFFu, 0x12345678u };
    for (uint32_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
        MvNotificationHandle f = (MvNotificationHandle)forged[i];
        if (f == h2)
            continue;
        got = mvTempTriggerNotification(f, MV_EVENTTYPE_CHANNELDATAREADABLE, 0x7777u);
        uint32_t got2 = mvCloseNotifications(&f);
        testapp_check(got == MV_STATUS_INVALIDHANDLE && got2 == MV_STATUS_INVALIDHANDLE &&
                      f == (MvNotificationHandle)forged[i],
                      "attack [bad handle] %08lx -> trigger %s, close %s (want INVALIDHANDLE)",
                      (unsigned long)forged[i], testapp_status_name(got),
                      testapp_status_name(got2));
    }
    got = mvTempTriggerNotification(h2, MV_EVENTTYPE_NOEVENT, 0x8888u);
    testapp_expect_status(got, MV_STATUS_OKAY, "trigger with type 0 is accepted");
    got = mvCloseNotifications(&h2);
    testapp_expect_status(got, MV_STATUS_OKAY, "close the second center");
    irq_disable(81);
}

static void notification_edges(void)
{
    MvNotificationHandle h = 0, h2 = 0;
    uint32_t got;

    static const uint32_t bad_sizes[] = { 0, 16, 31, 33, 40, 56, 0xFFFFFFF8u };
    for (uint32_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        h = 0;
        got = setup(86, rings[0], bad_sizes[i], &h);
        testapp_check(got == MV_STATUS_INVALIDBUFFERSIZE && h == 0,
                      "attack mvSetupNotifications [size] %lu -> %s (want INVALIDBUFFERSIZE)",
                      (unsigned long)bad_sizes[i], testapp_status_name(got));
    }
    got = setup(86, (uint8_t *)rings[0] + 4, 40, &h);
    testapp_expect_status(got, MV_STATUS_INVALIDBUFFERSIZE, "bad size and misaligned: size first");
    got = setup(86, (uint8_t *)0x38000004u, 32, &h);
    testapp_expect_status(got, MV_STATUS_INVALIDBUFFERALIGNMENT,
                          "misaligned secure buffer: alignment before the range check");
    got = setup(86, rings[0], 0xFFFFFFF0u, &h);
    testapp_expect_status(got, MV_STATUS_PARAMETERFAULT, "size 0xFFFFFFF0 (range wraps)");
    got = mvSetupNotifications((const struct MvNotificationSetup *)0x38000000u,
                               (MvNotificationHandle *)0x38000000u);
    testapp_expect_status(got, MV_STATUS_PARAMETERFAULT, "both pointers secure");
    {
        struct MvNotificationSetup s = { 86, rings[0], 40 };
        got = mvSetupNotifications(&s, (MvNotificationHandle *)0x10010400u);
        testapp_expect_status(got, MV_STATUS_PARAMETERFAULT,
                              "bad size but handle_out in the NSC region: pointers first");
    }
    got = setup(86, rings[0], 32, (MvNotificationHandle *)&rings[0][1].tag);
    testapp_expect_status(got, MV_STATUS_PARAMETERFAULT, "handle_out inside the ring itself");
    got = setup(86, rings[0], 48, &h); /* no power-of-two rule */
    testapp_check(got == MV_STATUS_OKAY, "48-byte ring (3 records) -> %s", testapp_status_name(got));
    mvCloseNotifications(&h);

    /* Overlap with the log spool and with another ring. */
    got = setup(86, log_buf + 512, 32, &h);
    testapp_expect_status(got, MV_STATUS_BUFFERALREADYINUSE, "ring inside the log spool");
    got = setup(48, log_buf, 64, &h);
    testapp_expect_status(got, MV_STATUS_BUFFERALREADYINUSE,
                          "ring overlapping the log spool with IRQ 48: overlap before IRQ");
    got = setup(86, log_buf + sizeof(log_buf) - 16, 32, &h);
    testapp_expect_status(got, MV_STATUS_BUFFERALREADYINUSE, "ring straddling the log spool end");
    got = setup(86, rings[0], 64, &h); /* rings[0] and rings[1] */
    testapp_expect_status(got, MV_STATUS_OKAY, "ring A");
    got = setup(87, rings[1], 32, &h2);
    testapp_expect_status(got, MV_STATUS_BUFFERALREADYINUSE, "ring B inside ring A");
    got = setup(87, (uint8_t *)rings[1] + 16, 32, &h2);
    testapp_expect_status(got, MV_STATUS_BUFFERALREADYINUSE, "ring B overlapping ring A's end");
    got = setup(87, rings[2], 32, &h2);
    testapp_expect_status(got, MV_STATUS_OKAY, "ring B right after ring A (touching, no overlap)");

    /* The IRQ. */
    static const uint32_t bad_irqs[] = { 48, 4, 0, 1, 2, 5, 9, 10, 32, 33, 42, 44, 79, 96, 479, 480,
                                         0x80000050u, 0xFFFFFFFFu };
    for (uint32_t i = 0; i < sizeof(bad_irqs) / sizeof(bad_irqs[0]); i++) {
        MvNotificationHandle hx = 0;
        got = setup(bad_irqs[i], rings[4], 32, &hx);
        testapp_check(got == MV_STATUS_INVALIDINTERRUPT && hx == 0,
                      "attack mvSetupNotifications [irq] %lu -> %s (want INVALIDINTERRUPT)",
                      (unsigned long)bad_irqs[i], testapp_status_name(got));
    }
    got = setup(86, rings[4], 32, &scratch_handle);
    testapp_expect_status(got, MV_STATUS_INVALIDINTERRUPT, "the same IRQ twice");
    got = mvSetFastInterrupt(86);
    testapp_expect_status(got, MV_STATUS_INVALIDINTERRUPT, "mvSetFastInterrupt on a notification IRQ");
    got = mvSetFastInterrupt(90);
    testapp_expect_status(got, MV_STATUS_OKAY, "mvSetFastInterrupt 90");
    got = setup(90, rings[4], 32, &scratch_handle);
    testapp_expect_status(got, MV_STATUS_INVALIDINTERRUPT, "notification on a fast IRQ");
    got = mvClearFastInterrupt(90);
    testapp_expect_status(got, MV_STATUS_OKAY, "mvClearFastInterrupt 90");
    mvCloseNotifications(&h);
    mvCloseNotifications(&h2);

    /* Every application IRQ gets a center; then none is left. The 32-center
     * limit cannot be reached: there are only 20 application IRQs. */
    static const uint32_t app_irqs[20] = { 3, 34, 35, 43, 80, 81, 82, 83, 84, 85, 86, 87, 88,
                                           89, 90, 91, 92, 93, 94, 95 };
    MvNotificationHandle hs[20];
    uint32_t ok = 0;
    for (uint32_t i = 0; i < 20; i++) {
        hs[i] = 0;
        if (setup(app_irqs[i], rings[i], 32, &hs[i]) == MV_STATUS_OKAY)
            ok++;
    }
    testapp_check(ok == 20, "a center on every application IRQ (%lu of 20)", (unsigned long)ok);
    got = setup(81, probe_ring, sizeof(probe_ring), &h);
    testapp_expect_status(got, MV_STATUS_INVALIDINTERRUPT, "21st center: no free application IRQ");
    ok = 0;
    for (uint32_t i = 0; i < 20; i++)
        if (mvCloseNotifications(&hs[i]) == MV_STATUS_OKAY)
            ok++;
    testapp_check(ok == 20, "all centers closed");
    testapp_check(hostile_mv_alive(), "microvisor answers after the notification attacks");
}

/* Refused log re-init leaves the working spool in place. */
static void logging_overlap(void)
{
    MvNotificationHandle h = 0;
    uint32_t got = setup(86, big_spool + 64, 32, &h);
    testapp_expect_status(got, MV_STATUS_OKAY, "ring for the log-overlap test");
    got = mvServerLoggingInit(big_spool, 512);
    testapp_expect_status(got, MV_STATUS_BUFFERALREADYINUSE, "log spool over a notification ring");
    got = mvServerLog((const uint8_t *)"hostile: spool kept", 19);
    testapp_expect_status(got, MV_STATUS_OKAY,
                          "mvServerLog after a refused re-init: the old spool still works");
    mvCloseNotifications(&h);
}

/* No call writes an output into a registered buffer (docs/syscalls.md):
 * every output of every implemented call, aimed into a live notification
 * ring and into the log spool, is refused with PARAMETERFAULT and the
 * buffer is left as it was. */
static void outputs_into_registered(void)
{
    static uint8_t ring[64] __attribute__((aligned(8)));
    MvNotificationHandle h = 0;
    uint32_t got = setup(86, ring, sizeof(ring), &h);
    testapp_expect_status(got, MV_STATUS_OKAY, "ring for the output attacks");
    uint8_t *const where[2] = { ring + 16, log_buf + 512 };
    const char *const what[2] = { "notification ring", "log spool" };
    for (int k = 0; k < 2; k++) {
        uint8_t *p = where[k];
        uint8_t before[40];
        memcpy(before, p, sizeof(before));
        uint32_t st[11];
        st[0] = mvGetMicroseconds((uint64_t *)p);
        st[1] = mvGetWallTime((uint64_t *)p);
        st[2] = mvGetSysClk((uint32_t *)p);
        st[3] = mvGetHClk((uint32_t *)p);
        st[4] = mvGetPClk1((uint32_t *)p);
        st[5] = mvGetPClk2((uint32_t *)p);
        st[6] = mvGetDeviceId(p, 34);
        st[7] = mvPeriphPeek32(0x40302000u, (uint32_t *)p);
        st[8] = mvGetWakeReason((enum MvWakeReason *)p);
        st[9] = mvGetUpdateStatus((struct MvUpdateStatus *)p);
        {
            struct MvNotificationSetup s = { 87, rings[5], 32 };
            st[10] = mvSetupNotifications(&s, (MvNotificationHandle *)p);
        }
        static const char *const names[11] = {
            "mvGetMicroseconds", "mvGetWallTime", "mvGetSysClk", "mvGetHClk", "mvGetPClk1",
            "mvGetPClk2", "mvGetDeviceId", "mvPeriphPeek32", "mvGetWakeReason",
            "mvGetUpdateStatus", "mvSetupNotifications",
        };
        for (int i = 0; i < 11; i++)
            testapp_check(st[i] == MV_STATUS_PARAMETERFAULT,
                          "attack %s [registered buffer] output into the %s -> %s "
                          "(want PARAMETERFAULT)", names[i], what[k], testapp_status_name(st[i]));
        testapp_check(memcmp(before, p, sizeof(before)) == 0, "the %s was left untouched", what[k]);
    }
    /* The handle of a center lying inside a lent buffer (its own ring's
     * last record, which no post has reached). */
    MvNotificationHandle *inside = (MvNotificationHandle *)(ring + 48);
    *inside = h;
    got = mvCloseNotifications(inside);
    testapp_check(got == MV_STATUS_PARAMETERFAULT,
                  "attack mvCloseNotifications [registered buffer] handle in a ring -> %s "
                  "(want PARAMETERFAULT)", testapp_status_name(got));
    testapp_expect_status(mvCloseNotifications(&h), MV_STATUS_OKAY, "the ring closes normally");
}

/* ---- the network calls (no cloud in this test: the link stays off) ---------- */

static struct MvNotification net_ring[4] __attribute__((aligned(8)));

static uint32_t net_request(uint32_t version, uint32_t center, uint32_t tag, MvNetworkHandle *h)
{
    struct MvRequestNetworkParams np = { .version = version };
    np.v1.notification_handle = (MvNotificationHandle)(uintptr_t)center;
    np.v1.notification_tag = tag;
    return mvRequestNetwork(&np, h);
}

static uint32_t ring_count_events(const struct MvNotification *r, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (r[i].event_type != MV_EVENTTYPE_NOEVENT)
            k++;
    return k;
}

static void network_calls(void)
{
    uint32_t got;
    MvNetworkHandle h[MV_NETWORK_MAX_REQUESTS + 1];
    MvNotificationHandle center = 0, closed = 0;

    testapp_expect_status(setup(83, net_ring, sizeof(net_ring), &center), MV_STATUS_OKAY,
                          "center on IRQ 83 for the network requests");
    testapp_expect_status(setup(88, probe_ring, sizeof(probe_ring), &closed), MV_STATUS_OKAY,
                          "a center to close");
    uint32_t closed_value = (uint32_t)(uintptr_t)closed;
    testapp_expect_status(mvCloseNotifications(&closed), MV_STATUS_OKAY, "closed again");

    /* Versions other than 1, and centers that are not open. */
    static const uint32_t versions[] = { 0, 2, 0x100u, 0xFFFFFFFFu };
    for (uint32_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        MvNetworkHandle x = (MvNetworkHandle)(uintptr_t)0xA5A5A5A5u;
        got = net_request(versions[i], 0, 1, &x);
        testapp_check(got == MV_STATUS_UNSUPPORTEDSTRUCTUREVERSION &&
                      (uint32_t)(uintptr_t)x == 0xA5A5A5A5u && net_count() == 1,
                      "attack mvRequestNetwork [version] %lu -> %s (want "
                      "UNSUPPORTEDSTRUCTUREVERSION), nothing written",
                      (unsigned long)versions[i], testapp_status_name(got));
    }
    MvNetworkHandle probe = 0;
    testapp_expect_status(net_request(1, 0, 0, &probe), MV_STATUS_OKAY, "a request to release");
    uint32_t released = (uint32_t)(uintptr_t)probe;
    testapp_expect_status(mvReleaseNetwork(&probe), MV_STATUS_OKAY, "released");
    const uint32_t bad_centers[] = {
        0x12345u, 1u, 0xFFFFFFFFu, (uint32_t)(uintptr_t)center ^ 0x100u, closed_value,
        (uint32_t)(uintptr_t)net_victim, /* a network handle is not a center */
    };
    for (uint32_t i = 0; i < sizeof(bad_centers) / sizeof(bad_centers[0]); i++) {
        MvNetworkHandle x = (MvNetworkHandle)(uintptr_t)0xA5A5A5A5u;
        got = net_request(1, bad_centers[i], 2, &x);
        testapp_check(got == MV_STATUS_INVALIDHANDLE && (uint32_t)(uintptr_t)x == 0xA5A5A5A5u &&
                      net_count() == 1,
                      "attack mvRequestNetwork [bad handle] center %08lx -> %s (want "
                      "INVALIDHANDLE), nothing written",
                      (unsigned long)bad_centers[i], testapp_status_name(got));
    }

    /* The table: the victim plus MAX - 1 more, then PARAMETERFAULT. */
    uint32_t n = 0;
    for (; n + 1u < MV_NETWORK_MAX_REQUESTS; n++) {
        h[n] = 0;
        got = net_request(1, (uint32_t)(uintptr_t)center, 0x7000u + n, &h[n]);
        testapp_check(got == MV_STATUS_OKAY && h[n] != 0 && h[n] != net_victim,
                      "mvRequestNetwork %lu -> %s, handle %08lx", (unsigned long)n,
                      testapp_status_name(got), (unsigned long)(uintptr_t)h[n]);
    }
    h[n] = (MvNetworkHandle)(uintptr_t)0xA5A5A5A5u;
    got = net_request(1, 0, 0, &h[n]);
    testapp_check(got == MV_STATUS_PARAMETERFAULT && (uint32_t)(uintptr_t)h[n] == 0xA5A5A5A5u,
                  "attack mvRequestNetwork [table full] %u live -> %s (want PARAMETERFAULT)",
                  (unsigned)MV_NETWORK_MAX_REQUESTS, testapp_status_name(got));
    enum MvNetworkReason reasons = 0;
    uint32_t count = 0;
    got = mvGetNetworkReasons(&reasons, &count);
    testapp_check(got == MV_STATUS_OKAY && count == MV_NETWORK_MAX_REQUESTS &&
                  reasons == MV_NETWORKREASON_USINGNETWORK,
                  "mvGetNetworkReasons with the table full -> %s, reasons %lx count %lu "
                  "(want USINGNETWORK only: no cloud, so none of the microvisor's own)",
                  testapp_status_name(got), (unsigned long)reasons, (unsigned long)count);

    /* Every live handle sees the link: off, since this device has no cloud. */
    for (uint32_t i = 0; i < n; i++) {
        enum MvNetworkStatus st = (enum MvNetworkStatus)0xEE;
        got = mvGetNetworkStatus(h[i], &st);
        testapp_check(got == MV_STATUS_OKAY && st == MV_NETWORKSTATUS_DELIBERATELYOFFLINE,
                      "mvGetNetworkStatus %lu -> %s, status %lu (want DELIBERATELYOFFLINE)",
                      (unsigned long)i, testapp_status_name(got), (unsigned long)st);
    }

    /* Handles that are not live: nothing written. */
    const uint32_t bad_handles[] = {
        0, 1, 0x80u, 0xFFFFFFFFu, (uint32_t)(uintptr_t)center, released,
        (uint32_t)(uintptr_t)h[0] ^ 0x100u, (uint32_t)(uintptr_t)h[0] + 1u,
    };
    for (uint32_t i = 0; i < sizeof(bad_handles) / sizeof(bad_handles[0]); i++) {
        arena_fill();
        got = mvGetNetworkStatus((MvNetworkHandle)(uintptr_t)bad_handles[i],
                                 (enum MvNetworkStatus *)GOOD);
        testapp_check(got == MV_STATUS_INVALIDHANDLE && arena_guarded(0, 0),
                      "attack mvGetNetworkStatus [bad handle] %08lx -> %s (want INVALIDHANDLE), "
                      "nothing written", (unsigned long)bad_handles[i], testapp_status_name(got));
        arena_fill();
        REG32(GOOD) = bad_handles[i];
        got = mvReleaseNetwork((MvNetworkHandle *)GOOD);
        testapp_check(got == MV_STATUS_INVALIDHANDLE && REG32(GOOD) == bad_handles[i] &&
                      arena_guarded(GOOD, 4) && net_count() == MV_NETWORK_MAX_REQUESTS,
                      "attack mvReleaseNetwork [bad handle] %08lx -> %s (want INVALIDHANDLE), "
                      "nothing written", (unsigned long)bad_handles[i], testapp_status_name(got));
    }
    /* A bad handle with a bad output: the handle is checked first. */
    got = mvGetNetworkStatus((MvNetworkHandle)(uintptr_t)1u, (enum MvNetworkStatus *)0x38000000u);
    testapp_expect_status(got, MV_STATUS_INVALIDHANDLE,
                          "mvGetNetworkStatus(bad handle, secure RAM): the handle first");

    /* Both outputs of mvGetNetworkReasons in one word. */
    arena_fill();
    got = mvGetNetworkReasons((enum MvNetworkReason *)GOOD, (uint32_t *)GOOD);
    testapp_check(got == MV_STATUS_PARAMETERFAULT && arena_guarded(0, 0),
                  "attack mvGetNetworkReasons [aliased outputs] -> %s (want PARAMETERFAULT)",
                  testapp_status_name(got));
    arena_fill();
    got = mvGetNetworkReasons((enum MvNetworkReason *)GOOD, (uint32_t *)(GOOD + 4u));
    testapp_check(got == MV_STATUS_OKAY && REG32(GOOD + 4u) == MV_NETWORK_MAX_REQUESTS &&
                  arena_guarded(GOOD, 8),
                  "mvGetNetworkReasons into adjacent words -> %s, exactly 8 bytes written",
                  testapp_status_name(got));

    /* Releases: 0 written, the second release of the same variable
     * refused, the others unaffected; the microvisor's link is not
     * touched by any of it. */
    for (uint32_t i = 0; i < n; i++) {
        MvNetworkHandle keep = h[i];
        got = mvReleaseNetwork(&h[i]);
        testapp_check(got == MV_STATUS_OKAY && h[i] == 0 && net_count() == MV_NETWORK_MAX_REQUESTS - 1u - i,
                      "mvReleaseNetwork %lu -> %s, 0 written", (unsigned long)i,
                      testapp_status_name(got));
        enum MvNetworkStatus st;
        testapp_expect_status(mvGetNetworkStatus(keep, &st), MV_STATUS_INVALIDHANDLE,
                              "a released handle is dead");
        testapp_expect_status(mvReleaseNetwork(&h[i]), MV_STATUS_INVALIDHANDLE,
                              "a second release (the variable now 0)");
    }
    testapp_check(net_count() == 1u, "only the victim request is left");
    /* Outputs into a lent buffer (the center's own ring). */
    uint8_t before[16];
    memcpy(before, &net_ring[2], sizeof(before));
    uint32_t st4[4];
    st4[0] = net_request(1, 0, 0, (MvNetworkHandle *)&net_ring[2]);
    st4[1] = mvGetNetworkStatus(net_victim, (enum MvNetworkStatus *)&net_ring[2]);
    st4[2] = mvGetNetworkReasons((enum MvNetworkReason *)&net_ring[2], &net_word_b);
    st4[3] = mvGetNetworkReasons((enum MvNetworkReason *)&net_word_a, (uint32_t *)&net_ring[2]);
    for (int i = 0; i < 4; i++)
        testapp_check(st4[i] == MV_STATUS_PARAMETERFAULT,
                      "attack network call %d [registered buffer] output into a ring -> %s "
                      "(want PARAMETERFAULT)", i, testapp_status_name(st4[i]));
    testapp_check(memcmp(before, &net_ring[2], sizeof(before)) == 0 && net_count() == 1u,
                  "the ring was left untouched, no request made");

    testapp_check(ring_count_events(net_ring, 4) == 0,
                  "no NETWORKSTATUSCHANGED was posted: the link never changed");
    testapp_expect_status(mvCloseNotifications(&center), MV_STATUS_OKAY, "IRQ 83 center closed");
}

/* ---- handler mode ----------------------------------------------------------- */

static volatile uint32_t h_wake_status, h_wake_bad_status, h_restart_status, h_restart5_status,
    h_usec_status, h_ran;
static volatile uint8_t h_wake_value;

void IRQ82_Handler(void)
{
    enum MvWakeReason w = (enum MvWakeReason)0xEE;
    uint64_t t = 0;
    h_wake_status = mvGetWakeReason(&w);
    h_wake_value = (uint8_t)w;
    h_wake_bad_status = mvGetWakeReason((enum MvWakeReason *)0x38000000u);
    h_restart_status = mvRestart(MV_RESTARTMODE_AUTOAPPLYUPDATE);
    h_restart5_status = mvRestart((enum MvRestartMode)5);
    h_usec_status = mvGetMicroseconds(&t);
    h_ran = 1;
}

static void handler_mode(void)
{
    h_ran = 0;
    irq_enable(82);
    irq_pend(82);
    irq_disable(82);
    testapp_check(h_ran == 1, "IRQ 82 handler ran");
    testapp_check(h_wake_status == MV_STATUS_UNAVAILABLE && h_wake_value == 0xEE,
                  "attack [handler mode] mvGetWakeReason -> %s (want UNAVAILABLE), nothing written",
                  testapp_status_name(h_wake_status));
    testapp_expect_status(h_wake_bad_status, MV_STATUS_UNAVAILABLE,
                          "attack [handler mode] mvGetWakeReason(secure RAM)");
    testapp_expect_status(h_restart_status, MV_STATUS_UNAVAILABLE,
                          "attack [handler mode] mvRestart (and no restart happened)");
    testapp_expect_status(h_restart5_status, MV_STATUS_UNAVAILABLE,
                          "attack [handler mode] mvRestart mode 5");
    testapp_expect_status(h_usec_status, MV_STATUS_OKAY, "mvGetMicroseconds from handler mode");

    static const uint32_t modes[] = { 1, 5, 0xFF, 0x80000000u, 0xFFFFFFFFu };
    for (uint32_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        uint32_t got = mvRestart((enum MvRestartMode)modes[i]);
        testapp_check(got == MV_STATUS_PARAMETERFAULT && hostile_mv_alive(),
                      "attack mvRestart [bad enum] mode %lu -> %s (want PARAMETERFAULT)",
                      (unsigned long)modes[i], testapp_status_name(got));
    }
}

/* ---- calls not implemented yet ---------------------------------------------- */

#define U(fn) { #fn, (void (*)(void))fn }
static const struct { const char *name; void (*fn)(void); } unimplemented[] = {
    U(mvOpenChannel), U(mvReadChannel), U(mvReadChannelComplete), U(mvWriteChannelStream),
    U(mvWriteChannel), U(mvCloseChannel), U(mvGetChannelClosureReason), U(mvSendHttpRequest),
    U(mvReadHttpResponseData), U(mvReadHttpResponseHeader), U(mvReadHttpResponseBody),
    U(mvSendConfigFetchRequest), U(mvReadConfigFetchResponseData), U(mvReadConfigResponseItem),
    U(mvMqttGetNextReadableDataType), U(mvMqttRequestConnect), U(mvMqttReadConnectResponse),
    U(mvMqttRequestSubscribe), U(mvMqttReadSubscribeResponse), U(mvMqttRequestUnsubscribe),
    U(mvMqttReadUnsubscribeResponse), U(mvMqttRequestPublish), U(mvMqttReadPublishResponse),
    U(mvMqttReceiveMessage), U(mvMqttReceiveLostMessageInfo), U(mvMqttAcknowledgeMessage),
    U(mvMqttRequestDisconnect), U(mvMqttReadDisconnectResponse), U(mvTestingComplete),
    U(mvTestLoggingInit), U(mvTestLog), U(mvPowerSave), U(mvSystemLedEnable),
    U(mvOpenSystemNotification), U(mvCloseSystemNotification), U(mvDeepSleep),
    U(mvExternalFlashOpen), U(mvExternalFlashClose), U(mvExternalFlashReadBlocking),
    U(mvExternalFlashEraseBlocking), U(mvExternalFlashWriteBlocking), U(mvExternalFlashGetInfo),
    U(mvSetWifiConfig), U(mvGetWifiConfig),
};

static void unimplemented_calls(void)
{
    for (uint32_t i = 0; i < sizeof(unimplemented) / sizeof(unimplemented[0]); i++) {
        hostile_call4_t f = (hostile_call4_t)unimplemented[i].fn;
        uint32_t s1 = f(0x38000000u, 0x10010400u, 0x80000000u, 0xF0000000u);
        arena_fill();
        /* Pointers to app memory full of 0xA5: a call that touched its
         * arguments would change some of them. */
        uint32_t s2 = f(GOOD, GOOD + 64u, GOOD + 128u, GOOD + 192u);
        int untouched = arena_guarded(0, 0);
        testapp_check(s1 == MV_STATUS_UNAVAILABLE && s2 == MV_STATUS_UNAVAILABLE && untouched &&
                      hostile_mv_alive(),
                      "attack %s [unimplemented] -> %s/%s (want UNAVAILABLE)%s",
                      unimplemented[i].name, testapp_status_name(s1), testapp_status_name(s2),
                      untouched ? "" : " ARGUMENT MEMORY WRITTEN");
    }
}

/* ---- fast interrupts: the vector table is a pointer too --------------------- */

/* A vector table the app builds in its own code window, past its image. */
#define FAKE_VECTORS ((uint32_t *)0x00380000u)

static void fast_interrupt_vectors(void)
{
    uint32_t got, primask, vtor = SCB_VTOR;

    static const uint32_t bad_irqs[] = { 4, 48, 96, 0xFFFFFFFFu };
    for (uint32_t i = 0; i < sizeof(bad_irqs) / sizeof(bad_irqs[0]); i++) {
        got = mvSetFastInterrupt(bad_irqs[i]);
        testapp_check(got == MV_STATUS_INVALIDINTERRUPT,
                      "attack mvSetFastInterrupt [irq] %lu -> %s (want INVALIDINTERRUPT)",
                      (unsigned long)bad_irqs[i], testapp_status_name(got));
    }
    testapp_expect_status(mvClearFastInterrupt(91), MV_STATUS_INVALIDINTERRUPT,
                          "mvClearFastInterrupt on a normal IRQ");
    testapp_expect_status(mvEnableFastInterrupt(91), MV_STATUS_INVALIDINTERRUPT,
                          "mvEnableFastInterrupt on a normal IRQ");
    testapp_expect_status(mvDisableFastInterrupt(4), MV_STATUS_INVALIDINTERRUPT,
                          "mvDisableFastInterrupt on a secure IRQ");

    /* VTOR_NS is the application's to set; the microvisor must not follow
     * it anywhere but application code. Interrupts stay masked meanwhile. */
    static const struct { uint32_t vtor; const char *what; } bad_vtors[] = {
        { 0x38000000u, "secure RAM" },
        { 0x10010000u, "secure code" },
        { 0x28200000u, "app RAM (not code)" },
        { 0x003FFE00u, "vector 91 in the stubs page" },
        { 0x00000000u, "NS alias of secure code" },
    };
    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask));
    for (uint32_t i = 0; i < sizeof(bad_vtors) / sizeof(bad_vtors[0]); i++) {
        SCB_VTOR = bad_vtors[i].vtor;
        got = mvSetFastInterrupt(91);
        SCB_VTOR = vtor;
        testapp_check(got == MV_STATUS_INVALIDVECTOR,
                      "attack mvSetFastInterrupt [vector table] VTOR_NS=%08lx %s -> %s (want INVALIDVECTOR)",
                      (unsigned long)bad_vtors[i].vtor, bad_vtors[i].what, testapp_status_name(got));
    }
    const struct { uint32_t handler; const char *what; } bad_handlers[] = {
        { 0x10010001u, "secure code" },
        { 0x10010401u, "NSC veneer" },
        { 0x28200001u, "app RAM" },
        { 0x003FFF11u, "stubs page" },
        { (uint32_t)(uintptr_t)IRQ81_Handler & ~1u, "app code without the Thumb bit" },
    };
    uint32_t *fake_vectors = FAKE_VECTORS;
    memcpy(fake_vectors, (const void *)vtor, 112u * 4u);
    SCB_VTOR = (uint32_t)(uintptr_t)fake_vectors;
    got = mvSetFastInterrupt(91);
    SCB_VTOR = vtor;
    testapp_expect_status(got, MV_STATUS_OKAY, "mvSetFastInterrupt with a copied table in app code");
    testapp_expect_status(mvClearFastInterrupt(91), MV_STATUS_OKAY, "mvClearFastInterrupt 91");
    for (uint32_t i = 0; i < sizeof(bad_handlers) / sizeof(bad_handlers[0]); i++) {
        fake_vectors[16 + 91] = bad_handlers[i].handler;
        SCB_VTOR = (uint32_t)(uintptr_t)fake_vectors;
        got = mvSetFastInterrupt(91);
        SCB_VTOR = vtor;
        testapp_check(got == MV_STATUS_INVALIDVECTOR,
                      "attack mvSetFastInterrupt [vector table] handler %08lx %s -> %s (want INVALIDVECTOR)",
                      (unsigned long)bad_handlers[i].handler, bad_handlers[i].what,
                      testapp_status_name(got));
    }
    __asm volatile("msr primask, %0" ::"r"(primask));
    testapp_check(hostile_mv_alive(), "microvisor answers after the vector attacks");
}

/* ---- registers that are RAZ/WI from the Non-secure world --------------------- */

static void raz_wi(void)
{
    testapp_check(SAU_CTRL == 0 && SAU_TYPE == 0, "SAU_CTRL/SAU_TYPE read as zero from NS");
    SAU_CTRL = 0;
    SAU_RNR = 0;
    SAU_RBAR = 0;
    SAU_RLAR = 0xFFFFFFE1u; /* would make everything NS */
    SAU_CTRL = 3;
    testapp_check(SAU_CTRL == 0 && SAU_RLAR == 0, "SAU writes from NS are ignored (reads stay 0)");
    testapp_check(mvGetMicroseconds((uint64_t *)0x38000000u) == MV_STATUS_PARAMETERFAULT,
                  "after the SAU writes secure RAM is still refused");

    uint32_t itns = NVIC_ITNS(0) | NVIC_ITNS(1) | NVIC_ITNS(2);
    testapp_check(itns == 0, "NVIC_ITNS reads as zero from NS (even for app IRQs 80-95)");
    for (uint32_t w = 0; w < 3; w++)
        NVIC_ITNS(w) = 0xFFFFFFFFu;
    /* TIMER1 (IRQ 4) is the microvisor's clock, enabled and Secure: if the
     * ITNS write had taken, NS would now see it enabled. */
    testapp_check((NVIC_ISER(0) & (1u << 4)) == 0 && NVIC_ITNS(0) == 0,
                  "NVIC_ITNS writes from NS are ignored (secure IRQ 4 still invisible)");
    NVIC_ICER(0) = 1u << 4;   /* try to stop the microvisor's clock IRQ */
    NVIC_ISPR(0) = 1u << 4;   /* and to pend it */
    testapp_check((NVIC_ISPR(0) & (1u << 4)) == 0, "secure IRQ 4 cannot be pended from NS");

    /* The Secure SCB through its NS alias: RAZ/WI for privileged NS code. */
    testapp_check(REG32(0xE002ED08u) == 0, "secure VTOR alias 0xE002ED08 reads as zero from NS");
    REG32(0xE002ED08u) = 0x28200000u;
    REG32(0xE002ED0Cu) = 0x05FA0004u; /* AIRCR_S SYSRESETREQ */
    testapp_check(hostile_mv_alive(), "writes to the secure SCB alias ignored");

    /* AIRCR.SYSRESETREQ from NS: SYSRESETREQS makes it Secure-only. */
    SCB_AIRCR = 0x05FA0004u;
    __asm volatile("dsb\n\tisb" ::: "memory");
    for (volatile int i = 0; i < 10000; i++)
        ;
    testapp_check(1, "AIRCR.SYSRESETREQ from NS ignored (still running)");
    /* BFHFNMINS/PRIS are Secure-only bits. */
    SCB_AIRCR = 0x05FA0000u | (1u << 13) | (1u << 14);
    testapp_check(hostile_mv_alive(), "microvisor answers after the RAZ/WI writes");
}

/* ---- the whole run ------------------------------------------------------------ */

void hostile_api_attacks(void)
{
    hostile_mv_alive();
    logging_attacks();

    /* A live center for the close attacks (IRQ 84). */
    testapp_expect_status(setup(84, target_ring + 2, 32, &close_victim), MV_STATUS_OKAY,
                          "center on IRQ 84 for the mvCloseNotifications attacks");
    /* Before any request: the application has not used the network API. */
    {
        enum MvNetworkReason r = 0;
        uint32_t n = 0xEEu;
        uint32_t got = mvGetNetworkReasons(&r, &n);
        testapp_check(got == MV_STATUS_OKAY && r == MV_NETWORKREASON_NEVERUSEDNETWORKAPI &&
                      n == 0, "mvGetNetworkReasons before any request -> %s, reasons %lx "
                      "count %lu (want NEVERUSEDNETWORKAPI, 0)", testapp_status_name(got),
                      (unsigned long)r, (unsigned long)n);
    }
    /* A live network request for the network attacks. */
    {
        struct MvRequestNetworkParams np = { .version = 1 };
        testapp_expect_status(mvRequestNetwork(&np, &net_victim), MV_STATUS_OKAY,
                              "network request for the network call attacks");
    }
    for (uint32_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
        attack_pointers(&targets[i]);
    network_calls();
    testapp_expect_status(mvReleaseNetwork(&net_victim), MV_STATUS_OKAY,
                          "the network request survived every refused release");
    testapp_expect_status(mvCloseNotifications(&close_victim), MV_STATUS_OKAY,
                          "the IRQ 84 center survived every refused close");
    /* The log init attacks may not have replaced the spool. */
    testapp_expect_status(mvServerLoggingInit(log_buf, sizeof(log_buf)), MV_STATUS_OKAY,
                          "log spool re-initialised");
    testapp_expect_status(mvServerLog((const uint8_t *)"hostile: pointer attacks done", 29),
                          MV_STATUS_OKAY, "mvServerLog after the pointer attacks");

    good_pointers();
    periph_attacks();
    notification_delivery();
    notification_edges();
    logging_overlap();
    outputs_into_registered();
    handler_mode();
    unimplemented_calls();
    fast_interrupt_vectors();
    raz_wi();
}
