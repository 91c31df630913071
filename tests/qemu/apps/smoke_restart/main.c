/* Crashes once (a read of secure RAM), then checks it was restarted with
 * the APPLICATIONCRASH wake reason. */
#include "testapp.h"


int main(void)
{
    enum MvWakeReason wake = 0xEE;
    uint32_t step = testapp_step();
    testapp_expect_status(mvGetWakeReason(&wake), MV_STATUS_OKAY, "mvGetWakeReason");
    printf("step %lu wake %u\n", (unsigned long)step, (unsigned)wake);
    if (step == 0) {
        testapp_check(wake == MV_WAKEREASON_COLDBOOT, "first run: cold boot");
        testapp_step_set(1);
        (void)*(volatile uint32_t *)0x38000000u;
        testapp_check(0, "survived a read of secure RAM");
        testapp_finish();
    }
    testapp_check(wake == MV_WAKEREASON_APPLICATIONCRASH, "after the crash: APPLICATIONCRASH");
    testapp_finish();
}
