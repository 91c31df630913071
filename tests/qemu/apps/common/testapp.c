#include "testapp.h"

#include <stdarg.h>

static uint32_t checks, failures;

#define STEP_MAGIC 0x57E9C0DEu
static uint32_t step_value TESTAPP_NOINIT;
static uint32_t step_magic TESTAPP_NOINIT;

uint32_t testapp_step(void)
{
    if (step_magic != STEP_MAGIC) {
        step_magic = STEP_MAGIC;
        step_value = 0;
    }
    return step_value;
}

void testapp_step_set(uint32_t step)
{
    step_magic = STEP_MAGIC;
    step_value = step;
}

void testapp_exit(uint32_t code)
{
    uint32_t block[2] = { 0x20026u /* ADP_Stopped_ApplicationExit */, code };
    fflush(stdout);
    register uint32_t r0 __asm__("r0") = 0x20u; /* SYS_EXIT_EXTENDED */
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    for (;;)
        ;
}

void testapp_check(int ok, const char *fmt, ...)
{
    va_list ap;
    checks++;
    if (!ok)
        failures++;
    printf("%s: ", ok ? "PASS" : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

const char *testapp_status_name(uint32_t s)
{
    static const char *const names[] = {
        "OKAY", "TIMENOTSET", "PARAMETERFAULT", "INVALIDBUFFERSIZE",
        "PERIPHERALACCESSFAULT", "BUFFERALREADYINUSE", "INVALIDINTERRUPT",
        "INVALIDHANDLE", "TOOMANYNOTIFICATIONBUFFERS", "INVALIDVECTOR",
        "UNAVAILABLE", "UNSUPPORTEDSTRUCTUREVERSION", "TOOMANYCHANNELS",
        "UNKNOWNCHANNELENDPOINT", "UNKNOWNCHANNELTYPE", "CHANNELCLOSED",
        "NETWORKNOTCONNECTED", "RATELIMITED", "INVALIDBUFFERALIGNMENT",
        "LATEFAULT", "RESPONSENOTPRESENT", "INDEXINVALID", "OFFSETINVALID",
        "REQUESTALREADYSENT", "REQUESTUNSUCCESSFUL", "LOGMESSAGETOOLONG",
        "LOGGINGDISABLEDBYSERVER", "TOOMANYCONFIGKEYS", "UNKNOWNCONFIGSTORE",
        "UNKNOWNCONFIGSCOPE", "INVALIDCONFIGKEY", "INVALIDAUTHENTICATION",
        "WRONGDATAREQUESTED", "INTERNALERROR", "TOOMANYELEMENTS",
        "REQUIREDELEMENTMISSING", "MICROVISORBUSY", "ADDRESSOUTOFRANGE",
        "INPUTTOOLONG",
    };
    return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

void testapp_expect_status(uint32_t got, uint32_t want, const char *what)
{
    testapp_check(got == want, "%s -> %s (want %s)", what, testapp_status_name(got),
                  testapp_status_name(want));
}

uint32_t testapp_failures(void)
{
    return failures;
}

void testapp_finish(void)
{
    step_magic = 0; /* the next run of this image starts from step 0 */
    printf("testapp: %lu checks, %lu failures\n", (unsigned long)checks,
           (unsigned long)failures);
    testapp_exit(failures);
}
