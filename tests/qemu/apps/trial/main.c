/*
 * The trial test's application (tests/qemu/test_trial.py). What it does is
 * chosen by versions, so one ELF bundled several times plays every part:
 *   app version x.y.13   crashes at once (a SecureFault): a failed trial
 *   app version x.y.14   hangs with interrupts masked: a failed trial
 *   app version x.y.15   calls exit() (the SDK's _exit is mvRestart)
 *   app version x.y.7    confirms its own trial (mvConfirmApplicationUpdate)
 *   microvisor x.y.66    on trial, crashed on purpose through mvTestHook (the
 *                        test build of the microvisor answers it): a fault
 *   microvisor x.y.67    the same, a hang the secure watchdog catches
 *   anything else        runs, printing a heartbeat every 250 ms and the
 *                        update status whenever it changes
 * Every run starts with one line: wake reason and mvGetUpdateStatus.
 */
#include <stdlib.h>

#include "testapp.h"

extern enum MvStatus mvTestHook(uint32_t op);

static void show(const char *what, const struct MvUpdateStatus *s)
{
    printf("trial: %s app %lu %08lx slot %lu rejected %08lx, mv %lu %08lx slot %lu "
           "rejected %08lx\n", what,
           (unsigned long)s->application.state, (unsigned long)s->application.version,
           (unsigned long)s->application.slot, (unsigned long)s->application.rejected_version,
           (unsigned long)s->microvisor.state, (unsigned long)s->microvisor.version,
           (unsigned long)s->microvisor.slot, (unsigned long)s->microvisor.rejected_version);
}

int main(void)
{
    enum MvWakeReason wake = 0xEE;
    struct MvUpdateStatus st, now;
    mvGetWakeReason(&wake);
    enum MvStatus rc = mvGetUpdateStatus(&st);
    printf("trial: wake reason %u, status %s\n", (unsigned)wake, testapp_status_name(rc));
    show("start:", &st);
    /* a status the caller cannot write is refused */
    testapp_expect_status(mvGetUpdateStatus((struct MvUpdateStatus *)0x10000000u),
                          MV_STATUS_PARAMETERFAULT, "mvGetUpdateStatus(secure pointer)");
    testapp_expect_status(mvGetUpdateStatus((struct MvUpdateStatus *)((uintptr_t)&now + 1)),
                          MV_STATUS_PARAMETERFAULT, "mvGetUpdateStatus(misaligned)");

    uint32_t mv_patch = st.microvisor.version & 0xFFFFu;
    if (st.microvisor.state == MV_UPDATESTATE_TRIAL && (mv_patch == 66 || mv_patch == 67)) {
        printf("trial: crashing the microvisor on trial\n");
        mvTestHook(mv_patch == 66 ? 1 : 2);
        printf("trial: the microvisor survived its own fault\n");
    }
    uint32_t patch = st.application.version & 0xFFFFu;
    if (st.application.state == MV_UPDATESTATE_TRIAL && patch == 13) {
        printf("trial: crashing on trial\n");
        *(volatile uint32_t *)0x10000000u = 0; /* secure memory: SecureFault */
    }
    if (st.application.state == MV_UPDATESTATE_TRIAL && patch == 14) {
        printf("trial: hanging on trial\n");
        __asm volatile("cpsid i");
        for (;;)
            __asm volatile("" ::: "memory");
    }
    if (st.application.state == MV_UPDATESTATE_TRIAL && patch == 15) {
        printf("trial: exiting on trial\n");
        exit(0);
    }
    if (patch == 7) {
        rc = mvConfirmApplicationUpdate();
        printf("trial: mvConfirmApplicationUpdate: %s\n", testapp_status_name(rc));
    } else if (st.application.state != MV_UPDATESTATE_TRIAL) {
        testapp_expect_status(mvConfirmApplicationUpdate(), MV_STATUS_UNAVAILABLE,
                              "mvConfirmApplicationUpdate with nothing on trial");
    }
    uint64_t next = 0;
    for (uint32_t beat = 1;; beat++) {
        uint64_t t = 0;
        do
            mvGetMicroseconds(&t);
        while (t < next);
        next = t + 250000u;
        mvGetUpdateStatus(&now);
        if (now.application.state != st.application.state ||
            now.microvisor.state != st.microvisor.state) {
            show("now:", &now);
            st = now;
        }
        printf("trial: heartbeat %lu\n", (unsigned long)beat);
    }
}
