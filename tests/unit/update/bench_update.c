/* make bench: a 1 MiB app update through lib/update on the host simulator
 * (flash operations and time; the device figure, update_apply_1mib, is
 * tests/bench/update), and the boot-time verification of it. */
#include <time.h>

#include "harness.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(void)
{
    update_t *u = malloc(sizeof(*u));
    struct update_boot_result r;
    struct image mv, app;
    harness_init();
    make_image(&mv, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 4096, 1, seed_mv);
    make_image(&app, MANIFEST_COMP_APP, 0x01000000, 1, 1u << 20, 1, seed_app);
    if (boot_ctx(u) || update_journal_format(u) || install(u, &mv, 4096) ||
        update_boot(u, MANIFEST_COMP_MICROVISOR, &r) || update_confirm(u, MANIFEST_COMP_MICROVISOR))
        return 1;
    flash_sim_reset_count(&sim);
    double t0 = now_ms();
    if (install(u, &app, 1024)) /* FOTA-sized chunks */
        return 1;
    double t1 = now_ms();
    uint32_t ops = flash_sim_ops(&sim);
    if (boot_ctx(u) || update_boot(u, MANIFEST_COMP_APP, &r))
        return 1;
    double t2 = now_ms();
    printf("BENCH update_apply_1mib_host_flash_ops %u ops\n", ops);
    printf("BENCH update_apply_1mib_host %.1f ms\n", t1 - t0);
    printf("BENCH update_boot_verify_1mib_host %.1f ms\n", t2 - t1);
    printf("BENCH update_ctx_ram %zu bytes\n", sizeof(update_t));
    free(app.bytes);
    free(mv.bytes);
    free(u);
    free(mem);
    free(bitmap);
    return failures != 0;
}
