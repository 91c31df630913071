/*
 * boot_to_app_main_1mib (tests/bench/firmware/figures.py, under QEMU
 * -icount: one instruction per ns): the FPGA I/O counter (20 MHz, from
 * reset) read first thing in main, for an application whose code layer is
 * 1 MiB, so the figure includes verifying (SHA-256 where it runs) and
 * loading a 1 MiB image. The padding is a constant array in the code
 * layer, kept by the read below.
 */
#include "testapp.h"

#define FPGAIO_COUNTER 0x40302018u
#define INSTR_PER_TICK 50u
/* At least 1 MiB of code layer in all: the array plus this program and the
 * SDK (about 7 KiB). */
#define PAD_BYTES (1024u * 1024u - 7u * 1024u)

static const uint8_t pad[PAD_BYTES] = {1, 2, 3};

int main(void)
{
    uint32_t boot_ticks = 0;
    mvPeriphPeek32(FPGAIO_COUNTER, &boot_ticks);
    volatile uint32_t at = PAD_BYTES - 1u;
    printf("BENCH boot_to_app_main_1mib %lu instr\n",
           (unsigned long)boot_ticks * INSTR_PER_TICK);
    printf("bench1m: pad[%lu] = %u\n", (unsigned long)at, pad[at]);
    testapp_exit(0);
}
