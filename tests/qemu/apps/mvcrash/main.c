/*
 * Microvisor crashes (run on microvisor_test.elf): step 0 makes the
 * microvisor fault in secure code, step 1 makes it stop feeding its
 * watchdog. After each the device must reset, boot again, and tell the
 * application MV_WAKEREASON_MICROVISORCRASH. RAM survives the reset, so the
 * step counter (testapp_step) survives it.
 */
#include "testapp.h"

extern enum MvStatus mvTestHook(uint32_t op);


int main(void)
{
    enum MvWakeReason wake = 0xEE;
    uint32_t step = testapp_step();
    mvGetWakeReason(&wake);
    printf("mvcrash: step %lu, wake reason %u\n", (unsigned long)step, (unsigned)wake);
    switch (step) {
    case 0:
        testapp_check(wake == MV_WAKEREASON_COLDBOOT, "first boot is a cold boot");
        testapp_step_set(1);
        mvTestHook(1);
        testapp_check(0, "the microvisor survived its own fault");
        break;
    case 1:
        testapp_check(wake == MV_WAKEREASON_MICROVISORCRASH, "after a secure fault: MICROVISORCRASH");
        testapp_step_set(2);
        mvTestHook(2);
        testapp_check(0, "the microvisor returned from a hang");
        break;
    default:
        testapp_check(wake == MV_WAKEREASON_MICROVISORCRASH, "after the watchdog: MICROVISORCRASH");
        break;
    }
    testapp_finish();
}
