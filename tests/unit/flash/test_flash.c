/* lib/flash and its simulator: the rules, and every kind of power cut. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash.h"
#include "flash_sim.h"

static int failures;
#define CHECK(c)                                                        \
    do {                                                                \
        if (!(c)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
            failures++;                                                 \
        }                                                               \
    } while (0)

#define BASE 0x80000000u
#define SIZE (4u * 8192u)
static uint8_t mem[SIZE], bitmap[FLASH_SIM_BITMAP_SIZE(SIZE, 16)];
static flash_sim_t sim;
static flash_t f;

static void test_rules(void)
{
    uint8_t buf[64], in[64];
    flash_sim_init(&sim, &f, mem, bitmap, BASE, SIZE, 8192, 16);
    CHECK(flash_page_size(&f) == 8192 && flash_align(&f) == 16 && flash_erased_val(&f) == 0xFF);
    CHECK(flash_is_erased(&f, BASE, SIZE));
    memset(in, 0x5A, sizeof(in));
    CHECK(flash_program(&f, BASE + 16, in, 32) == FLASH_OK);
    CHECK(flash_read(&f, BASE + 16, buf, 32) == FLASH_OK && memcmp(buf, in, 32) == 0);
    /* program once: the same bytes again, or overlapping, is refused */
    CHECK(flash_program(&f, BASE + 16, in, 16) == FLASH_EPROGRAMMED);
    CHECK(flash_program(&f, BASE + 32, in, 32) == FLASH_EPROGRAMMED);
    CHECK(flash_program(&f, BASE + 48, in, 16) == FLASH_OK);
    /* alignment and range */
    CHECK(flash_program(&f, BASE + 8, in, 16) == FLASH_EINVAL);
    CHECK(flash_program(&f, BASE + 64, in, 8) == FLASH_EINVAL);
    CHECK(flash_program(&f, BASE + SIZE - 16, in, 32) == FLASH_EINVAL);
    CHECK(flash_program(&f, BASE - 16, in, 16) == FLASH_EINVAL);
    CHECK(flash_read(&f, 0xFFFFFFF0u, buf, 32) == FLASH_EINVAL);
    CHECK(flash_read(&f, BASE + SIZE, buf, 1) == FLASH_EINVAL);
    CHECK(flash_read(&f, BASE + SIZE, buf, 0) == FLASH_OK);
    CHECK(flash_erase_page(&f, BASE + 16) == FLASH_EINVAL);
    CHECK(flash_erase_page(&f, BASE + SIZE) == FLASH_EINVAL);
    CHECK(flash_erase(&f, BASE, 100) == FLASH_EINVAL);
    /* erase makes units programmable again */
    CHECK(flash_erase_page(&f, BASE) == FLASH_OK);
    CHECK(flash_is_erased(&f, BASE, 8192));
    CHECK(flash_program(&f, BASE + 16, in, 16) == FLASH_OK);
    CHECK(!flash_is_erased(&f, BASE, 8192));
    CHECK(flash_erase(&f, BASE, 2 * 8192) == FLASH_OK);
    CHECK(flash_sim_ops(&sim) == 6);
}

static void test_cuts(void)
{
    uint8_t in[128], buf[128];
    for (unsigned i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i + 1);
    /* BEFORE: nothing lands, power off afterwards */
    flash_sim_init(&sim, &f, mem, bitmap, BASE, SIZE, 8192, 16);
    flash_sim_arm(&sim, 1, FLASH_SIM_CUT_BEFORE, 7);
    CHECK(flash_program(&f, BASE, in, 16) == FLASH_OK);
    CHECK(flash_program(&f, BASE + 16, in, 128) == FLASH_EPOWER);
    CHECK(flash_sim_dead(&sim));
    CHECK(flash_read(&f, BASE, buf, 16) == FLASH_EPOWER);
    flash_sim_power_on(&sim);
    CHECK(flash_is_erased(&f, BASE + 16, 128));
    /* AFTER: the operation lands, then the power goes */
    flash_sim_reset_count(&sim);
    flash_sim_arm(&sim, 0, FLASH_SIM_CUT_AFTER, 7);
    CHECK(flash_program(&f, BASE + 16, in, 128) == FLASH_EPOWER);
    flash_sim_power_on(&sim);
    CHECK(flash_read(&f, BASE + 16, buf, 128) == FLASH_OK && memcmp(buf, in, 128) == 0);
    /* TORN: a prefix of units lands, one garbage unit that is now
     * programmed, the rest erased; over seeds every prefix length shows */
    unsigned seen = 0;
    for (uint32_t seed = 0; seed < 200; seed++) {
        flash_sim_init(&sim, &f, mem, bitmap, BASE, SIZE, 8192, 16);
        flash_sim_arm(&sim, 0, FLASH_SIM_CUT_TORN, seed);
        CHECK(flash_program(&f, BASE, in, 128) == FLASH_EPOWER);
        flash_sim_power_on(&sim);
        unsigned land = 0;
        while (land < 8 && flash_read(&f, BASE + land * 16, buf, 16) == FLASH_OK &&
               memcmp(buf, in + land * 16, 16) == 0)
            land++;
        CHECK(land < 8);
        seen |= 1u << land;
        CHECK(flash_program(&f, BASE + land * 16, in, 16) == FLASH_EPROGRAMMED);
        if (land + 1 < 8)
            CHECK(flash_is_erased(&f, BASE + (land + 1) * 16, (7 - land) * 16));
    }
    CHECK(seen == 0xFF);
    /* TORN erase: a prefix is erased, the rest keeps its old bytes */
    flash_sim_init(&sim, &f, mem, bitmap, BASE, SIZE, 8192, 16);
    memset(buf, 0, sizeof(buf));
    for (uint32_t a = 0; a < 8192; a += 128)
        CHECK(flash_program(&f, BASE + a, buf, 128) == FLASH_OK);
    flash_sim_reset_count(&sim);
    flash_sim_arm(&sim, 0, FLASH_SIM_CUT_TORN, 3);
    CHECK(flash_erase_page(&f, BASE) == FLASH_EPOWER);
    flash_sim_power_on(&sim);
    CHECK(!flash_is_erased(&f, BASE, 8192));
    CHECK(flash_erase_page(&f, BASE) == FLASH_OK && flash_is_erased(&f, BASE, 8192));
}

static void test_attach(void)
{
    uint8_t in[16] = {1, 2, 3};
    flash_sim_init(&sim, &f, mem, bitmap, BASE, SIZE, 8192, 16);
    CHECK(flash_program(&f, BASE + 32, in, 16) == FLASH_OK);
    flash_sim_attach(&sim, &f, mem, bitmap, BASE, SIZE, 8192, 16);
    CHECK(flash_program(&f, BASE + 32, in, 16) == FLASH_EPROGRAMMED);
    CHECK(flash_program(&f, BASE + 48, in, 16) == FLASH_OK);
    CHECK(flash_sim_ops(&sim) == 1);
}

int main(void)
{
    test_rules();
    test_cuts();
    test_attach();
    if (failures) {
        fprintf(stderr, "test_flash: %d failures\n", failures);
        return 1;
    }
    puts("test_flash: ok");
    return 0;
}
