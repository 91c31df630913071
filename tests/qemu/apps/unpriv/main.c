/*
 * The microvisor checks pointers at the caller's privilege: an application
 * that uses its own (non-secure) MPU to hide memory from unprivileged code
 * cannot have the microvisor write there for that code.
 *
 * MPU_NS regions: 0 app code (read-only, any privilege), 1 the first MiB of
 * app RAM (read-write, any privilege: data, bss, stack), 2 the second MiB
 * (read-write, privileged only), 3 the app's UART (device, any privilege,
 * for the test's own output). The same calls are made privileged, then
 * after dropping to unprivileged Thread mode.
 */
#include "testapp.h"

#define MPU_CTRL  (*(volatile uint32_t *)0xE000ED94u)
#define MPU_RNR   (*(volatile uint32_t *)0xE000ED98u)
#define MPU_RBAR  (*(volatile uint32_t *)0xE000ED9Cu)
#define MPU_RLAR  (*(volatile uint32_t *)0xE000EDA0u)
#define MPU_MAIR0 (*(volatile uint32_t *)0xE000EDC0u)

#define AP_RW_PRIV 0u
#define AP_RW_ANY  1u
#define AP_RO_ANY  3u

static void mpu_region(uint32_t n, uint32_t base, uint32_t limit, uint32_t ap, int xn,
                       uint32_t attr)
{
    MPU_RNR = n;
    MPU_RBAR = (base & ~0x1Fu) | (ap << 1) | (xn ? 1u : 0u);
    MPU_RLAR = (limit & ~0x1Fu) | (attr << 1) | 1u;
}

static uint64_t any_time;
static uint8_t log_buffer[1024] __attribute__((aligned(512)));
#define PRIV_ONLY ((uint64_t *)0x28300100u)

/* The way back to privileged Thread mode, for reporting (semihosting and
 * the UART driver want privilege). */
void SVC_Handler(void)
{
    __asm volatile("msr control, %0\n\tisb" ::"r"(0u) : "memory");
}

int main(void)
{
    MPU_MAIR0 = 0x00FFu; /* attribute 0: normal write-back; 1: device */
    mpu_region(0, 0x00200000u, 0x003FFFFFu, AP_RO_ANY, 0, 0);
    mpu_region(1, 0x28200000u, 0x282FFFFFu, AP_RW_ANY, 1, 0);
    mpu_region(2, 0x28300000u, 0x283FFFFFu, AP_RW_PRIV, 1, 0);
    mpu_region(3, 0x40201000u, 0x40201FFFu, AP_RW_ANY, 1, 1);
    MPU_CTRL = 1u | (1u << 2); /* enable, privileged default map */
    __asm volatile("dsb\n\tisb" ::: "memory");

    testapp_expect_status(mvServerLoggingInit(log_buffer, sizeof(log_buffer)), MV_STATUS_OKAY,
                          "privileged, log buffer in shared RAM");
    testapp_expect_status(mvGetMicroseconds(&any_time), MV_STATUS_OKAY,
                          "privileged, output in shared RAM");
    testapp_expect_status(mvGetMicroseconds(PRIV_ONLY), MV_STATUS_OKAY,
                          "privileged, output in privileged-only RAM");

    __asm volatile("msr control, %0\n\tisb" ::"r"(1u) : "memory"); /* nPRIV */
    uint32_t st_shared = mvGetMicroseconds(&any_time);
    uint64_t before = *(volatile uint64_t *)&any_time;
    uint32_t st_priv = mvGetMicroseconds(PRIV_ONLY);
    uint32_t st_log = mvServerLog((const uint8_t *)PRIV_ONLY, 8);
    uint32_t st_id = mvGetDeviceId((uint8_t *)PRIV_ONLY, MV_DEVICE_ID_LENGTH);
    uint64_t after = *(volatile uint64_t *)&any_time;
    uint32_t control;
    __asm volatile("mrs %0, control" : "=r"(control));
    __asm volatile("svc #0" ::: "memory");

    testapp_check(control & 1u, "the calls below ran unprivileged");
    testapp_expect_status(st_shared, MV_STATUS_OKAY, "unprivileged, output in shared RAM");
    testapp_expect_status(st_priv, MV_STATUS_PARAMETERFAULT,
                          "unprivileged, output in privileged-only RAM");
    testapp_expect_status(st_log, MV_STATUS_PARAMETERFAULT,
                          "unprivileged, log message in privileged-only RAM");
    testapp_expect_status(st_id, MV_STATUS_PARAMETERFAULT,
                          "unprivileged, device id into privileged-only RAM");
    testapp_check(after == before, "refused calls wrote nothing");
    testapp_finish();
}
