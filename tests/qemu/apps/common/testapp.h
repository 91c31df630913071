/*
 * Support for test applications (Non-secure, built with the SDK): report
 * results on the application UART and end the QEMU run with a status the
 * harness reads. Semihosting is a QEMU test facility only: a real
 * application has no such exit.
 */
#ifndef TESTAPP_H
#define TESTAPP_H

#include <stdint.h>
#include <stdio.h>

#include "mv_syscalls.h"

/* Variables that survive an application restart (NS RAM is not cleared by
 * the microvisor; the start-up code does not touch .noinit). Zero after a
 * cold boot only if the test zeroes them itself: check a magic. */
#define TESTAPP_NOINIT __attribute__((section(".noinit")))

/* A step counter that survives application restarts and device resets
 * (RAM is kept), for tests that crash on purpose: testapp_step() is 0 on a
 * cold start, else the value last given to testapp_step_set(). */
uint32_t testapp_step(void);
void testapp_step_set(uint32_t step);

/* Ends the run: QEMU exits with `code`. */
void testapp_exit(uint32_t code) __attribute__((noreturn));

/* Prints "PASS: ..." or "FAIL: ..." and counts failures. */
void testapp_check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Checks that a call returned `want`, naming both by their MvStatus names. */
void testapp_expect_status(uint32_t got, uint32_t want, const char *what);
uint32_t testapp_failures(void);

/* Ends the run with the number of failures as the status, after a summary
 * line "testapp: N checks, M failures". */
void testapp_finish(void) __attribute__((noreturn));

const char *testapp_status_name(uint32_t status);

#endif /* TESTAPP_H */
