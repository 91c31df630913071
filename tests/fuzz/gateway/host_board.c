/*
 * Host fakes for the board contract (board.h), the NVIC (nvic.h), the
 * scheduler's fast-interrupt set (sched.h, same rules as sched.c), app
 * restart (app.h) and the device id (provision.h). Values are an505's:
 * IRQ allow-list and peripheral allow-list from board_an505.c, layout from
 * memory_map.h. A call that touches an IRQ the board does not lend the
 * application aborts: the gateway must never get that far.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "board.h"
#include "host_fakes.h"
#include "trial.h"
#include "memory_map.h"
#include "mv_config.h"
#include "nvic.h"
#include "provision.h"
#include "sched.h"

uint64_t fake_now_us;
bool fake_handler_mode;
uint32_t fake_vtor = NS_CODE_BASE;
bool fake_provisioned = true;
uint32_t fake_restart_requests;
uint32_t fake_console_bytes;
uint32_t fake_nvic_enabled[4];
uint32_t fake_nvic_pending[4];
const char fake_device_id[34] = "UV0123456789ABCDEF0123456789ABCDEF";

#define AN505_NUM_IRQS 96u


static void fake_die(const char *what, uint32_t irq)
{
    fprintf(stderr, "gateway fuzz: %s (irq %u)\n", what, irq);
    abort();
}

bool fake_irq_is_app(uint32_t irq)
{
    /* board_an505.c: TIMER0, UART1 RX/TX/combined, spare 80..95 */
    return irq == 3 || irq == 34 || irq == 35 || irq == 43 || (irq >= 80 && irq <= 95);
}

void fake_reset(void)
{
    memset(fake_nvic_enabled, 0, sizeof(fake_nvic_enabled));
    memset(fake_nvic_pending, 0, sizeof(fake_nvic_pending));
    fake_handler_mode = false;
    fake_vtor = NS_CODE_BASE;
    fake_provisioned = true;
    fake_trial_confirmed = false;
}

/* --- board.h ------------------------------------------------------- */

uint32_t board_console_context(void)
{
    return 0;
}

void board_console_putc(char c)
{
    (void)c;
    fake_console_bytes++;
}

uint64_t board_time_us(void)
{
    return fake_now_us;
}

uint32_t board_clock_hz(enum board_clock which)
{
    (void)which;
    return 20000000u;
}

bool board_irq_is_app(uint32_t irq)
{
    return fake_irq_is_app(irq);
}

uint32_t board_irq_count(void)
{
    return AN505_NUM_IRQS;
}

bool board_periph_lookup(uint32_t addr, struct board_periph_access *out)
{
    static const struct {
        uint32_t ns_addr, read_mask, write_mask;
    } allow[] = {
        { 0x40302000u, 0x3u, 0x3u },  /* FPGAIO LED */
        { 0x40302008u, 0x3u, 0 },     /* BUTTON */
        { 0x40302028u, 0xFFu, 0 },    /* SWITCH */
    };
    for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++) {
        if (allow[i].ns_addr == addr) {
            out->secure_addr = addr | 0x10000000u; /* FAKE_PERIPH_PAGE + off */
            out->read_mask = allow[i].read_mask;
            out->write_mask = allow[i].write_mask;
            return true;
        }
    }
    return false;
}

static const struct board_app_layout layout = {
    .code_base = NS_CODE_BASE,
    .code_size = NS_APP_CODE_SIZE,
    .ram_base = NS_RAM_BASE,
    .ram_size = NS_RAM_SIZE,
    .stubs_base = NS_STUBS_BASE,
    .stubs_size = NS_STUBS_SIZE,
    .slot_a = FLASH_APP_SLOT_A,
    .slot_b = FLASH_APP_SLOT_B,
    .slot_size = FLASH_APP_SLOT_SIZE,
};

const struct board_app_layout *board_app_layout(void)
{
    return &layout;
}

/* --- nvic.h -------------------------------------------------------- */

void nvic_enable(uint32_t irq, bool on)
{
    if (!fake_irq_is_app(irq))
        fake_die("NVIC enable/disable of a non-application IRQ", irq);
    if (on)
        fake_nvic_enabled[irq / 32u] |= 1u << (irq % 32u);
    else
        fake_nvic_enabled[irq / 32u] &= ~(1u << (irq % 32u));
}

bool nvic_is_enabled(uint32_t irq)
{
    if (irq >= AN505_NUM_IRQS)
        fake_die("NVIC read past the board's IRQs", irq);
    return (fake_nvic_enabled[irq / 32u] >> (irq % 32u)) & 1u;
}

void nvic_pend(uint32_t irq)
{
    if (!fake_irq_is_app(irq))
        fake_die("NVIC pend of a non-application IRQ", irq);
    fake_nvic_pending[irq / 32u] |= 1u << (irq % 32u);
}

uint32_t nvic_ns_vtor(void)
{
    return fake_vtor;
}

void nvic_set_priority(uint32_t irq, uint8_t prio)
{
    (void)prio;
    if (!fake_irq_is_app(irq))
        fake_die("NVIC priority of a non-application IRQ", irq);
}

/* sched.h fast interrupts: the real microvisor/core/fast_irq.c. */

/* --- app.h, provision.h -------------------------------------------- */

void app_request_restart(void)
{
    fake_restart_requests++;
}

int provision_device_id(char id[34])
{
    if (!fake_provisioned)
        return -1;
    memcpy(id, fake_device_id, sizeof(fake_device_id));
    return 0;
}

/* trial.c (the update health rules) is not in the fuzzer: a fixed status,
 * and a trial that can be confirmed once per input. */
bool fake_trial_confirmed;

void trial_status(struct MvUpdateStatus *out)
{
    memset(out, 0, sizeof(*out));
    out->application = (struct MvUpdateComponentStatus){
        fake_trial_confirmed ? MV_UPDATESTATE_CONFIRMED : MV_UPDATESTATE_TRIAL, 0x00020000u, 1, 0};
    out->microvisor = (struct MvUpdateComponentStatus){MV_UPDATESTATE_REVERTED, 0x00010000u, 0,
                                                       0x00020000u};
}

uint32_t trial_app_confirm(void)
{
    if (fake_trial_confirmed)
        return MV_STATUS_UNAVAILABLE;
    fake_trial_confirmed = true;
    return MV_STATUS_OKAY;
}
