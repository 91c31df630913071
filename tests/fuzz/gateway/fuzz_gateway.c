/*
 * Fuzzes the gateway: the syscall arguments are the microvisor's widest
 * door for outside input. Built for the host from gateway.c, notify.c,
 * server_log.c, bufreg.c, work.c, console.c and wake.c with the fakes in
 * this folder; the application's memory is mapped at its real an505
 * addresses (NS code 0x00200000, NS RAM 0x28200000, 2 MiB each) and the
 * FPGA I/O block's secure alias at 0x50302000, so every pointer the
 * fuzzer passes is a real host address and an access anywhere else
 * (secure memory, flash, the NSC region ...) is unmapped and crashes.
 *
 * Input: a sequence of 22-byte records
 *     op (1) | x (1) | 4 x { selector (1), raw (4, LE) }
 * op < 0xC0 calls slot op % N of the call table (generated from
 * gateway_calls.h); the others are application actions and helpers that
 * build valid structures (see run_special). Each argument is raw or picked
 * by its selector from interesting values: region edges, misaligned and
 * wrapping addresses, secure addresses, small sizes, valid pointers, live
 * handles and buffers.
 *
 * Properties checked on every call, beyond "no crash":
 *   - the status is a defined MvStatus (0x0..0x26);
 *   - a call that does not return OKAY writes nothing to application
 *     memory or to the peripheral page; one that returns OKAY writes only
 *     its documented outputs (or, for trigger/log, its ring/spool), with
 *     the right values;
 *   - mvGetDeviceId writes exactly 34 bytes, and only when len == 34;
 *   - not-yet-implemented calls return UNAVAILABLE; handler mode refuses
 *     mvGetWakeReason, mvRestart and mvConfirmApplicationUpdate; mvRestart
 *     parks only on success; mvGetUpdateStatus writes exactly its 32 bytes;
 *   - registered buffers never overlap; the NVIC is touched only for
 *     application IRQs (host_board.c aborts otherwise);
 *   - network calls: mvRequestNetwork succeeds only with version 1, a
 *     center that is open (or 0) and a free slot, and writes a new
 *     non-zero handle; mvGetNetworkStatus answers only for live handles,
 *     with the link's status; mvGetNetworkReasons' count is the number of
 *     live requests; a link change (a harness action) writes only into the
 *     rings of centers that live requests named, one record each, with
 *     their tags, and only when the status changed.
 * Bytes near each argument are compared with a shadow copy after every
 * call; the whole 4 MiB are compared at the end of each input, which
 * catches a write anywhere else.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bufreg.h"
#include "gateway.h"
#include "host_fakes.h"
#include "memory_map.h"
#include "mv_syscalls.h"
#include "trial.h"
#include "net_status.h"
#include "notify.h"
#include "ns_mem.h"
#include "server_log.h"
#include "wake.h"
#include "work.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

struct call {
    const char *name;
    uint32_t (*fn)(GW_ARGS);
    bool park;
};

static const struct call calls[] = {
#define MV_CALL(name, impl) { #name, impl, false },
#define MV_CALL_PARK(name, impl) { #name, impl, true },
#include "gateway_calls.h"
#undef MV_CALL
#undef MV_CALL_PARK
};
#define NCALLS (sizeof(calls) / sizeof(calls[0]))

/* ---- the application's memory and its shadow ------------------------ */

struct region {
    uint32_t base, size;
    uint8_t *shadow;
    uint32_t dirty_lo, dirty_hi; /* offsets touched this input */
};
static struct region regions[2] = {
    { NS_CODE_BASE, NS_CODE_SIZE, NULL, 0, 0 },
    { NS_RAM_BASE, NS_RAM_SIZE, NULL, 0, 0 },
};
#define PERIPH_SIZE 4096u
static uint8_t periph_before[PERIPH_SIZE];

static struct region *region_of(uint32_t addr, uint32_t len)
{
    for (int i = 0; i < 2; i++) {
        struct region *r = &regions[i];
        uint32_t off = addr - r->base;
        if (addr >= r->base && off < r->size && len <= r->size - off)
            return r;
    }
    return NULL;
}

static void mark_dirty(struct region *r, uint32_t addr, uint32_t len)
{
    uint32_t lo = addr - r->base, hi = lo + len;
    if (r->dirty_lo == r->dirty_hi) {
        r->dirty_lo = lo;
        r->dirty_hi = hi;
    }
    if (lo < r->dirty_lo)
        r->dirty_lo = lo;
    if (hi > r->dirty_hi)
        r->dirty_hi = hi;
}

static void *host(uint32_t addr)
{
    return (void *)(uintptr_t)addr;
}

static void map_fixed(uint32_t addr, uint32_t size)
{
    void *p = mmap(host(addr), size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != host(addr)) {
        fprintf(stderr, "gateway fuzz: cannot map 0x%08x+0x%x (%p)\n", addr, size, p);
        abort();
    }
}

/* The application writes its own memory (and the shadow follows). */
static void app_store(uint32_t addr, const void *src, uint32_t len)
{
    struct region *r = region_of(addr, len);
    if (!r || len == 0)
        return;
    memcpy(host(addr), src, len);
    memcpy(r->shadow + (addr - r->base), src, len);
    mark_dirty(r, addr, len);
}

/* ---- what the harness knows about live services --------------------- */

struct ring {
    uint32_t handle, base, size, irq;
};
static struct ring rings[MV_NOTIFICATION_MAX_CENTERS];
static unsigned nrings;
static bool spool_live;
static uint32_t spool_base, spool_size;
static uint32_t last_handle;

/* Live network requests, as the harness saw them granted. */
struct netreq {
    uint32_t handle, center, tag;
};
static struct netreq netreqs[MV_NET_REQUESTS_MAX];
static unsigned nnetreqs;
static uint32_t last_net_handle;
static uint32_t link_now = MV_NETWORKSTATUS_DELIBERATELYOFFLINE;

static struct netreq *netreq_by_handle(uint32_t h)
{
    for (unsigned i = 0; i < nnetreqs; i++)
        if (netreqs[i].handle == h)
            return &netreqs[i];
    return NULL;
}

static struct ring *ring_by_handle(uint32_t h)
{
    for (unsigned i = 0; i < nrings; i++)
        if (rings[i].handle == h)
            return &rings[i];
    return NULL;
}

static bool ranges_overlap(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
    return alen && blen && (a - b < blen || b - a < alen);
}

/* ---- argument generation --------------------------------------------- */

struct rd {
    const uint8_t *p;
    size_t n;
};

static uint8_t rd_u8(struct rd *r)
{
    if (!r->n)
        return 0;
    r->n--;
    return *r->p++;
}

static uint32_t rd_u32(struct rd *r)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)rd_u8(r) << (8 * i);
    return v;
}

static const uint32_t edges[] = {
    NS_CODE_BASE, NS_STUBS_BASE, NS_CODE_BASE + NS_CODE_SIZE, NS_RAM_BASE,
    NS_RAM_BASE + NS_RAM_SIZE, NS_STUBS_BASE - 34, NS_RAM_BASE + NS_RAM_SIZE - 34,
    NS_STUBS_BASE - 8, NS_RAM_BASE + NS_RAM_SIZE - 8, NS_RAM_BASE + NS_RAM_SIZE - 512,
    NS_STUBS_BASE - 512, NS_CODE_BASE - 4, NS_RAM_BASE - 4,
};
static const uint32_t secure_addrs[] = {
    0x10000000u, 0x10010000u, MV_NSC_BASE, 0x38000000u, 0x38100000u,
    FAKE_PERIPH_PAGE, 0x40302000u, 0x80000000u, 0xE000ED00u, 0xE002ED08u,
    0x30000000u, 0x20000000u, 0x00000000u, 0x00001000u, 0x0FFFFFF0u,
};
static const uint32_t sizes[] = {
    0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 33, 34, 35, 48, 64, 511, 512, 513,
    1023, 1024, 1025, 4096, 65535, 65536, 65537, 0x10000000u, 0x80000000u,
    0xFFFFFFFFu, 0xFFFFFFF0u, NS_RAM_SIZE, NS_APP_CODE_SIZE, 0x10000u + 34,
};
static const uint32_t irqs[] = {
    0, 2, 3, 4, 9, 10, 34, 35, 43, 48, 79, 80, 81, 87, 95, 96, 127, 128,
    0xFFFFFFFFu, 0x80000003u, 0x20000023u,
};
static const uint32_t periphs[] = {
    0x40302000u, 0x40302008u, 0x40302028u, 0x40302004u, 0x40302001u,
    0x50302000u, 0x4030204Cu, 0x40302002u, 0x00302000u,
};
#define PICK(t, v) ((t)[(v) % (sizeof(t) / sizeof((t)[0]))])

static uint32_t gen_arg(uint8_t sel, uint32_t r)
{
    int32_t delta = (int32_t)((r >> 24) % 9u) - 4;
    switch (sel % 16u) {
    case 0: return r;
    case 1: return NS_RAM_BASE + r % NS_RAM_SIZE;
    case 2: return (NS_RAM_BASE + r % NS_RAM_SIZE) & ~7u;
    case 3: return NS_CODE_BASE + r % NS_CODE_SIZE;
    case 4: return PICK(edges, r) + (uint32_t)delta;
    case 5: return PICK(sizes, r);
    case 6: return PICK(secure_addrs, r) + ((r >> 8) & 0xFCu);
    case 7: return PICK(irqs, r);
    case 8:
        if (nnetreqs && (r & 0x200u))
            return netreqs[(r >> 10) % nnetreqs].handle ^ ((r & 0x100u) ? (r >> 20) & 0xFFu : 0);
        if (last_net_handle && (r & 0x400u))
            return last_net_handle;
        if (nrings == 0)
            return (r & 1) ? last_handle : r;
        return rings[r % nrings].handle ^ ((r & 0x100u) ? (r >> 12) & 0x3FFu : 0);
    case 9:
        if (nrings && (r & 1)) {
            const struct ring *g = &rings[(r >> 1) % nrings];
            return g->base + (r >> 8) % (g->size + 16u) - 8u;
        }
        if (spool_live)
            return spool_base + (r >> 8) % (spool_size + 1024u) - 512u;
        return NS_RAM_BASE + (r & 0xFFF8u);
    case 10: return PICK(periphs, r);
    case 11: return NS_RAM_BASE + NS_RAM_SIZE - (r % 64u);
    case 12: return NS_STUBS_BASE - (r % 64u);
    case 13: return 0xFFFFFFFFu - (r % 64u);
    case 14: return r & 0xFFFu;
    default: return NS_RAM_BASE + 512u * (r % (NS_RAM_SIZE / 512u));
    }
}

/* ---- one checked call --------------------------------------------------- */

struct range {
    uint32_t base, len;
};
#define MAX_WIN 24
struct ranges {
    struct range r[MAX_WIN];
    unsigned n;
};

static void add_range(struct ranges *s, uint32_t base, uint32_t len)
{
    if (s->n < MAX_WIN && len)
        s->r[s->n++] = (struct range){ base, len };
}

/* Adds the part of [base, base+len) that lies in a mapped region. */
static void add_window(struct ranges *w, uint32_t base, uint32_t len)
{
    for (int i = 0; i < 2; i++) {
        struct region *g = &regions[i];
        uint64_t lo = base, hi = (uint64_t)base + len;
        uint64_t glo = g->base, ghi = (uint64_t)g->base + g->size;
        if (lo < glo)
            lo = glo;
        if (hi > ghi)
            hi = ghi;
        if (lo < hi)
            add_range(w, (uint32_t)lo, (uint32_t)(hi - lo));
    }
}

static bool in_ranges(const struct ranges *s, uint32_t addr)
{
    for (unsigned i = 0; i < s->n; i++)
        if (addr - s->r[i].base < s->r[i].len)
            return true;
    return false;
}

static const struct call *cur_call;
static uint32_t cur_args[4];
static bool trace; /* KEEL_FUZZ_TRACE=1: print every call and its status */

static void fail(const char *what, uint32_t status, uint32_t addr)
{
    fprintf(stderr,
            "gateway fuzz: %s\n  call %s(0x%08x, 0x%08x, 0x%08x, 0x%08x) -> 0x%x, addr 0x%08x\n",
            what, cur_call ? cur_call->name : "(harness)", cur_args[0], cur_args[1],
            cur_args[2], cur_args[3], status, addr);
    abort();
}

/* Compares the windows with the shadow: every changed byte must be in
 * `allowed`; then brings the shadow up to date. */
static void check_windows(const struct ranges *win, const struct ranges *allowed,
                          uint32_t status)
{
    for (unsigned i = 0; i < win->n; i++) {
        uint32_t base = win->r[i].base, len = win->r[i].len;
        struct region *g = region_of(base, len);
        uint8_t *sh = g->shadow + (base - g->base);
        const uint8_t *mem = host(base);
        if (memcmp(mem, sh, len) == 0)
            continue;
        for (uint32_t k = 0; k < len; k++)
            if (mem[k] != sh[k] && !in_ranges(allowed, base + k))
                fail("write outside the call's outputs (or on failure)", status, base + k);
        memcpy(sh, mem, len);
        mark_dirty(g, base, len);
    }
}

static uint32_t read32(uint32_t addr)
{
    uint32_t v;
    memcpy(&v, host(addr), 4);
    return v;
}

static uint32_t run_call(const struct call *c, uint32_t a0, uint32_t a1, uint32_t a2,
                         uint32_t a3)
{
    struct ranges win = { .n = 0 }, allowed = { .n = 0 };
    uint32_t args[4] = { a0, a1, a2, a3 };
    cur_call = c;
    memcpy(cur_args, args, sizeof(args));

    for (int i = 0; i < 4; i++)
        add_window(&win, args[i] - 16u, 80u);
    const struct ring *trig = NULL;
    if (c->fn == gw_temp_trigger_notification && (trig = ring_by_handle(a0)) != NULL)
        add_window(&win, trig->base, trig->size);
    if (c->fn == gw_server_log && spool_live)
        add_window(&win, spool_base, spool_size);

    /* What mvSetupNotifications will read (before it can overwrite it). */
    struct MvNotificationSetup setup = { 0 };
    bool setup_readable = region_of(a0, sizeof(setup)) != NULL && (a0 & 3u) == 0;
    if (c->fn == gw_setup_notifications && setup_readable)
        memcpy(&setup, host(a0), sizeof(setup));

    /* What mvRequestNetwork and mvReleaseNetwork read. */
    struct MvRequestNetworkParams np;
    memset(&np, 0, sizeof(np));
    bool np_readable = region_of(a0, sizeof(np)) != NULL && (a0 & 3u) == 0;
    if (c->fn == gw_request_network && np_readable)
        memcpy(&np, host(a0), sizeof(np));
    uint32_t rel_handle = 0;
    if (c->fn == gw_release_network && region_of(a0, 4) && (a0 & 3u) == 0)
        rel_handle = read32(a0);
    unsigned nreq_before = nnetreqs;

    memcpy(periph_before, host(FAKE_PERIPH_PAGE), PERIPH_SIZE);
    uint32_t restarts = fake_restart_requests;

    uint32_t status = c->fn(a0, a1, a2, a3);

    if (trace)
        fprintf(stderr, "%s(0x%08x, 0x%08x, 0x%08x, 0x%08x) -> 0x%x\n", c->name, a0, a1,
                a2, a3, status);
    if (status > MV_STATUS_INPUTTOOLONG)
        fail("status is not a defined MvStatus", status, 0);
    if (c->fn == gw_unavailable && status != MV_STATUS_UNAVAILABLE)
        fail("unimplemented call did not say UNAVAILABLE", status, 0);
    if ((fake_restart_requests != restarts) != (c->park && status == MV_STATUS_OKAY))
        fail("restart requested without success (or success without restart)", status, 0);

    /* Outputs a successful call may write, and their values. */
    if (status == MV_STATUS_OKAY) {
        if (c->fn == gw_get_microseconds || c->fn == gw_get_wall_time) {
            add_range(&allowed, a0, 8);
            if (c->fn == gw_get_microseconds && memcmp(host(a0), &fake_now_us, 8) != 0)
                fail("mvGetMicroseconds wrote the wrong time", status, a0);
        } else if (c->fn == gw_get_sys_clk || c->fn == gw_get_hclk ||
                   c->fn == gw_get_pclk1 || c->fn == gw_get_pclk2) {
            add_range(&allowed, a0, 4);
            if (read32(a0) != 20000000u)
                fail("clock call wrote the wrong value", status, a0);
        } else if (c->fn == gw_get_device_id) {
            if (a1 != MV_DEVICE_ID_LENGTH)
                fail("mvGetDeviceId succeeded with len != 34", status, a0);
            add_range(&allowed, a0, MV_DEVICE_ID_LENGTH);
            if (memcmp(host(a0), fake_device_id, MV_DEVICE_ID_LENGTH) != 0)
                fail("mvGetDeviceId wrote the wrong id", status, a0);
        } else if (c->fn == gw_periph_peek32) {
            add_range(&allowed, a1, 4);
            uint32_t mask = a0 == 0x40302028u ? 0xFFu : 0x3u;
            uint32_t reg;
            memcpy(&reg, host((a0 | 0x10000000u)), 4);
            if (read32(a1) != (reg & mask))
                fail("mvPeriphPeek32 wrote bits the app may not see", status, a1);
        } else if (c->fn == gw_setup_notifications) {
            add_range(&allowed, a1, 4);
            uint32_t h = read32(a1);
            uint32_t base = (uint32_t)(uintptr_t)setup.buffer, size = setup.buffer_size;
            if (h == 0 || !setup_readable)
                fail("mvSetupNotifications: zero handle or unreadable setup", status, a1);
            if (!region_of(base, size) || (base & 7u) || size < 32 || size % 16u)
                fail("mvSetupNotifications accepted a bad ring", status, base);
            if (!fake_irq_is_app(setup.irq))
                fail("mvSetupNotifications accepted a non-application IRQ", status, setup.irq);
            if (ranges_overlap(base, size, a1, 4))
                fail("handle output inside the ring", status, a1);
            if (spool_live && ranges_overlap(base, size, spool_base, spool_size))
                fail("ring overlaps the log spool", status, base);
            for (unsigned i = 0; i < nrings; i++) {
                if (ranges_overlap(base, size, rings[i].base, rings[i].size))
                    fail("ring overlaps another ring", status, base);
                if (rings[i].irq == setup.irq)
                    fail("two rings share an IRQ", status, setup.irq);
            }
            if (nrings >= MV_NOTIFICATION_MAX_CENTERS)
                fail("more centers than MV_NOTIFICATION_MAX_CENTERS", status, 0);
            rings[nrings++] = (struct ring){ h, base, size, setup.irq };
            last_handle = h;
        } else if (c->fn == gw_close_notifications) {
            add_range(&allowed, a0, 4);
            if (read32(a0) != 0)
                fail("mvCloseNotifications did not write 0", status, a0);
        } else if (c->fn == gw_temp_trigger_notification) {
            if (!trig)
                fail("trigger succeeded on a handle the harness never saw", status, a0);
            add_range(&allowed, trig->base, trig->size);
            if (!((fake_nvic_pending[trig->irq / 32u] >> (trig->irq % 32u)) & 1u))
                fail("trigger did not pend the center's IRQ", status, trig->irq);
        } else if (c->fn == gw_server_logging_init) {
            if (!region_of(a0, a1) || (a0 & 511u) || a1 < 512u || a1 > 65536u || a1 % 512u)
                fail("mvServerLoggingInit accepted a bad spool", status, a0);
            for (unsigned i = 0; i < nrings; i++)
                if (ranges_overlap(a0, a1, rings[i].base, rings[i].size))
                    fail("spool overlaps a ring", status, a0);
            spool_live = true;
            spool_base = a0;
            spool_size = a1;
        } else if (c->fn == gw_server_log) {
            if (!spool_live)
                fail("mvServerLog succeeded without a spool", status, 0);
            add_range(&allowed, spool_base, spool_size);
        } else if (c->fn == gw_get_wake_reason) {
            add_range(&allowed, a0, 1);
            if (fake_handler_mode)
                fail("mvGetWakeReason from handler mode", status, 0);
            if (*(uint8_t *)host(a0) != (uint8_t)wake_reason_get())
                fail("mvGetWakeReason wrote the wrong reason", status, a0);
        } else if (c->fn == gw_restart) {
            if (fake_handler_mode)
                fail("mvRestart from handler mode", status, 0);
        } else if (c->fn == gw_get_update_status) {
            struct MvUpdateStatus want;
            add_range(&allowed, a0, sizeof(want));
            trial_status(&want);
            if ((a0 & 3u) || memcmp(host(a0), &want, sizeof(want)) != 0)
                fail("mvGetUpdateStatus wrote the wrong status", status, a0);
        } else if (c->fn == gw_confirm_application_update) {
            if (fake_handler_mode)
                fail("mvConfirmApplicationUpdate from handler mode", status, 0);
        } else if (c->fn == gw_request_network) {
            add_range(&allowed, a1, 4);
            uint32_t h = read32(a1);
            uint32_t center = (uint32_t)(uintptr_t)np.v1.notification_handle;
            if (!np_readable || np.version != 1)
                fail("mvRequestNetwork accepted bad params", status, a0);
            if (center != 0 && !ring_by_handle(center))
                fail("mvRequestNetwork accepted a center that is not open", status, center);
            if (h == 0 || netreq_by_handle(h) || ring_by_handle(h))
                fail("mvRequestNetwork: zero, live or center-like handle", status, h);
            if (nnetreqs >= MV_NET_REQUESTS_MAX)
                fail("more network requests than MV_NET_REQUESTS_MAX", status, 0);
            netreqs[nnetreqs++] = (struct netreq){ h, center, np.v1.notification_tag };
            last_net_handle = h;
        } else if (c->fn == gw_release_network) {
            add_range(&allowed, a0, 4);
            struct netreq *q = netreq_by_handle(rel_handle);
            if (read32(a0) != 0 || !q)
                fail("mvReleaseNetwork: not a live handle, or 0 not written", status, a0);
            *q = netreqs[--nnetreqs];
        } else if (c->fn == gw_get_network_status) {
            add_range(&allowed, a1, 4);
            if (!netreq_by_handle(a0))
                fail("mvGetNetworkStatus answered for a handle not live", status, a0);
            if (read32(a1) != link_now)
                fail("mvGetNetworkStatus wrote the wrong status", status, a1);
        } else if (c->fn == gw_get_network_reasons) {
            add_range(&allowed, a0, 4);
            add_range(&allowed, a1, 4);
            if (a0 == a1)
                fail("mvGetNetworkReasons with both outputs in one word", status, a0);
            if (read32(a1) != nnetreqs)
                fail("mvGetNetworkReasons wrote the wrong count", status, a1);
            uint32_t r = read32(a0);
            if (((r & MV_NETWORKREASON_USINGNETWORK) != 0) != (nnetreqs != 0))
                fail("mvGetNetworkReasons: USINGNETWORK disagrees with the count", status, a0);
        }
    }
    /* The request table changes only through a successful request or
     * release; a full table refuses with PARAMETERFAULT. */
    if (c->fn == gw_request_network && status != MV_STATUS_OKAY && np_readable &&
        np.version == 1 && status == MV_STATUS_INVALIDHANDLE &&
        ((uint32_t)(uintptr_t)np.v1.notification_handle == 0 ||
         ring_by_handle((uint32_t)(uintptr_t)np.v1.notification_handle)))
        fail("mvRequestNetwork: INVALIDHANDLE for an open center (or 0)", status, a0);
    if (c->fn == gw_release_network && status == MV_STATUS_INVALIDHANDLE &&
        netreq_by_handle(rel_handle))
        fail("mvReleaseNetwork refused a live handle", status, rel_handle);
    if (c->fn == gw_get_network_status && status == MV_STATUS_INVALIDHANDLE &&
        netreq_by_handle(a0))
        fail("mvGetNetworkStatus refused a live handle", status, a0);
    if (nnetreqs != nreq_before + (c->fn == gw_request_network && status == MV_STATUS_OKAY) -
                        (c->fn == gw_release_network && status == MV_STATUS_OKAY))
        fail("network requests changed without a successful call", status, 0);
    /* A failed call changes no service state: logging set up earlier
     * keeps working after a refused mvServerLoggingInit. */
    if (c->fn == gw_server_log && status == MV_STATUS_UNAVAILABLE && spool_live)
        fail("mvServerLog unavailable although a spool was set up", status, 0);
    if (c->fn == gw_get_device_id && a1 != MV_DEVICE_ID_LENGTH &&
        status != MV_STATUS_INVALIDBUFFERSIZE)
        fail("mvGetDeviceId: len != 34 must be INVALIDBUFFERSIZE", status, a1);
    /* A closed handle's ring is forgotten (closing reads the handle before
     * writing 0, so look it up from the value the call consumed). */
    if (c->fn == gw_close_notifications && status == MV_STATUS_OKAY) {
        uint32_t h = 0;
        struct region *g = region_of(a0, 4);
        memcpy(&h, g->shadow + (a0 - g->base), 4);
        struct ring *r = ring_by_handle(h);
        if (!r)
            fail("closed a handle the harness never saw", status, h);
        *r = rings[--nrings];
    }

    check_windows(&win, &allowed, status);

    /* The peripheral page changes only through a successful poke, and
     * only in the bits the app may write. */
    if (memcmp(periph_before, host(FAKE_PERIPH_PAGE), PERIPH_SIZE) != 0) {
        if (c->fn != gw_periph_poke32 || status != MV_STATUS_OKAY)
            fail("peripheral page changed", status, a0);
        uint32_t off = (a0 | 0x10000000u) - FAKE_PERIPH_PAGE;
        uint32_t old, now;
        memcpy(&old, periph_before + off, 4);
        memcpy(&now, host(FAKE_PERIPH_PAGE + off), 4);
        uint32_t wm = a0 == 0x40302000u ? 0x3u : 0;
        uint32_t want = (old & ~wm) | (((old & ~a1) ^ a2) & wm);
        if (now != want)
            fail("mvPeriphPoke32 wrote bits it may not", status, a0);
        memcpy(periph_before + off, &now, 4);
        if (memcmp(periph_before, host(FAKE_PERIPH_PAGE), PERIPH_SIZE) != 0)
            fail("mvPeriphPoke32 wrote beyond its register", status, a0);
    }
    cur_call = NULL;
    return status;
}

static const struct call *call_by_fn(uint32_t (*fn)(GW_ARGS))
{
    for (size_t i = 0; i < NCALLS; i++)
        if (calls[i].fn == fn)
            return &calls[i];
    abort();
}

/* ---- application actions and helpers ------------------------------------ */

static void run_special(uint8_t op, uint8_t x, const uint32_t a[4])
{
    switch ((op - 0xC0u) % 10u) {
    case 0: { /* the application stores into its own memory */
        uint8_t buf[16];
        uint32_t len = 1u << (x % 5u);
        for (uint32_t i = 0; i < len; i++)
            buf[i] = (uint8_t)(a[1] >> (8 * (i % 4)));
        app_store(a[0], buf, len);
        break;
    }
    case 1: { /* the deferred-work handler runs: the log drain reads only */
        struct ranges win = { .n = 0 }, none = { .n = 0 };
        if (spool_live)
            add_window(&win, spool_base, spool_size);
        cur_call = NULL;
        work_run_pending(fake_now_us);
        check_windows(&win, &none, 0);
        break;
    }
    case 2: /* time passes; caller mode, VTOR, provisioning, wake reason */
        fake_now_us += a[0];
        fake_handler_mode = (x & 2u) != 0;
        if (x & 4u)
            fake_vtor = a[2];
        if (x & 8u)
            fake_provisioned = !fake_provisioned;
        if (x & 16u)
            wake_reason_set(a[3] & 0xFFu);
        break;
    case 3: { /* mvSetupNotifications with a well-formed structure */
        struct MvNotificationSetup s;
        memset(&s, 0, sizeof(s));
        s.irq = (x & 0x80u) ? x & 0x7Fu : PICK(irqs, x);
        s.buffer = (struct MvNotification *)(uintptr_t)a[2];
        s.buffer_size = a[3];
        app_store(a[0], &s, sizeof(s));
        run_call(call_by_fn(gw_setup_notifications), a[0], a[1], 0, 0);
        break;
    }
    case 4: { /* mvSetFastInterrupt with a vector table entry prepared */
        uint32_t irq = (x & 0x80u) ? x & 0x7Fu : PICK(irqs, x);
        uint32_t vtor = a[0];
        uint32_t handler = (x & 0x40u) ? a[1] : (a[1] | 1u);
        fake_vtor = vtor;
        app_store(vtor + 4u * (16u + irq), &handler, 4);
        run_call(call_by_fn(gw_set_fast_interrupt), irq, a[2], a[3], 0);
        break;
    }
    case 5: /* the application restarts */
        gateway_app_reset();
        nrings = 0;
        spool_live = false;
        nnetreqs = 0;
        break;
    case 9: { /* mvRequestNetwork with a well-formed structure */
        struct MvRequestNetworkParams p;
        memset(&p, 0, sizeof(p));
        p.version = (x & 0x40u) ? a[3] : 1u;
        uint32_t center = 0;
        if (x & 0x20u)
            center = a[2];
        else if (nrings && (x & 0x10u))
            center = rings[x % nrings].handle;
        p.v1.notification_handle = (MvNotificationHandle)(uintptr_t)center;
        p.v1.notification_tag = a[3] ^ 0x5A5A0000u;
        app_store(a[0], &p, sizeof(p));
        run_call(call_by_fn(gw_request_network), a[0], a[1], 0, 0);
        break;
    }
    case 8: { /* the cloud link's status changes (from deferred work) */
        uint32_t st = a[1] % 4u;
        bool calm = (x & 1u) != 0;
        struct ranges win = { .n = 0 }, allowed = { .n = 0 };
        uint32_t posted_before = notify_stats()->posted + notify_stats()->dropped_full;
        uint32_t want = 0;
        for (unsigned i = 0; i < nrings; i++)
            add_window(&win, rings[i].base, rings[i].size);
        for (unsigned i = 0; i < nnetreqs; i++) {
            const struct ring *g = ring_by_handle(netreqs[i].center);
            if (g) {
                add_range(&allowed, g->base, g->size);
                want++;
            }
        }
        bool changed = st != link_now;
        cur_call = NULL;
        gateway_network_changed(st, calm);
        link_now = st;
        uint32_t posted = notify_stats()->posted + notify_stats()->dropped_full - posted_before;
        if (posted != (changed ? want : 0))
            fail("link change: wrong number of NETWORKSTATUSCHANGED records", posted, st);
        check_windows(&win, &allowed, 0);
        if (net_status_current() != st)
            fail("link change: status not taken", net_status_current(), st);
        break;
    }
    case 6: { /* mvServerLog of a message the application wrote */
        uint8_t msg[64];
        for (unsigned i = 0; i < sizeof(msg); i++)
            msg[i] = (uint8_t)(a[2] >> (8 * (i % 4))) + (uint8_t)i;
        uint32_t len = a[1] & 0xFFFFu;
        for (uint32_t off = 0; off < len && off < 2048u; off += sizeof(msg))
            app_store(a[0] + off, msg, len - off < sizeof(msg) ? len - off : sizeof(msg));
        run_call(call_by_fn(gw_server_log), a[0], a[1], a[2], a[3]);
        break;
    }
    default: { /* trigger a live center; maybe consume its records first */
        if (nrings == 0) {
            run_call(call_by_fn(gw_temp_trigger_notification), a[0], a[1], a[2], 0);
            break;
        }
        const struct ring *g = &rings[x % nrings];
        if (x & 0x80u) {
            uint32_t zero = 0;
            for (uint32_t off = 8; off < g->size && off < 4096u; off += 16)
                app_store(g->base + off, &zero, 4);
        }
        run_call(call_by_fn(gw_temp_trigger_notification), g->handle, a[1], a[2], 0);
        break;
    }
    }
}

/* ---- libFuzzer entry points ---------------------------------------------- */

static int submit_work_pends;
static void hook_pend(void) { submit_work_pends++; }
static uint32_t hook_lock(void) { return 0; }
static void hook_unlock(uint32_t s) { (void)s; }
static const struct work_hooks hooks = { hook_pend, hook_lock, hook_unlock };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    trace = getenv("KEEL_FUZZ_TRACE") != NULL;
    for (int i = 0; i < 2; i++) {
        map_fixed(regions[i].base, regions[i].size);
        regions[i].shadow = calloc(1, regions[i].size);
        if (!regions[i].shadow)
            abort();
    }
    map_fixed(FAKE_PERIPH_PAGE, PERIPH_SIZE);
    ns_mem_set_app_regions((struct ns_region){ NS_CODE_BASE, NS_APP_CODE_SIZE },
                           (struct ns_region){ NS_RAM_BASE, NS_RAM_SIZE });
    work_init(&hooks);
    gateway_init();
    return 0;
}

static void reset_input(void)
{
    gateway_app_reset(); /* notify_reset, server_log_reset, bufreg_clear, fast IRQs */
    notify_reset();
    server_log_reset();
    bufreg_clear();
    work_run_pending(0); /* forget pending work (no spool: drains nothing) */
    fake_reset();
    fake_now_us = 1000000u;
    fake_restart_requests = 0;
    wake_reason_set(MV_WAKEREASON_COLDBOOT);
    nrings = 0;
    spool_live = false;
    last_handle = 0;
    nnetreqs = 0;
    last_net_handle = 0;
    gateway_network_changed(MV_NETWORKSTATUS_DELIBERATELYOFFLINE, false);
    link_now = MV_NETWORKSTATUS_DELIBERATELYOFFLINE;
    for (int i = 0; i < 2; i++) {
        struct region *r = &regions[i];
        if (r->dirty_hi > r->dirty_lo) {
            memset((uint8_t *)host(r->base) + r->dirty_lo, 0, r->dirty_hi - r->dirty_lo);
            memset(r->shadow + r->dirty_lo, 0, r->dirty_hi - r->dirty_lo);
        }
        r->dirty_lo = r->dirty_hi = 0;
    }
    memset(host(FAKE_PERIPH_PAGE), 0, PERIPH_SIZE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reset_input();
    struct rd in = { data, size };
    while (in.n >= 22) {
        uint8_t op = rd_u8(&in), x = rd_u8(&in);
        uint32_t a[4];
        for (int i = 0; i < 4; i++) {
            uint8_t sel = rd_u8(&in);
            a[i] = gen_arg(sel, rd_u32(&in));
        }
        fake_now_us += 1 + (x & 0x0Fu);
        if (op < 0xC0u)
            run_call(&calls[op % NCALLS], a[0], a[1], a[2], a[3]);
        else
            run_special(op, x, a);
    }
    /* Anything written outside the windows checked per call shows here. */
    for (int i = 0; i < 2; i++) {
        struct region *r = &regions[i];
        if (memcmp(host(r->base), r->shadow, r->size) != 0) {
            uint32_t k = 0;
            while (((uint8_t *)host(r->base))[k] == r->shadow[k])
                k++;
            cur_call = NULL;
            fail("application memory changed where no call may write", 0, r->base + k);
        }
    }
    return 0;
}
