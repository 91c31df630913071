/*
 * The only code that touches non-secure memory on behalf of a call.
 *
 * A pointer from the application is a claim until checked. A buffer is
 * accepted only if all of these hold:
 *   - it is aligned to `align` (a power of two, 1 for bytes);
 *   - it does not wrap around the top of the address space;
 *   - it lies wholly inside the application's code window or its RAM (so a
 *     pointer into a peripheral, the stubs page, or any secure or unmapped
 *     address is refused before the TT check is even asked);
 *   - the TT instruction (cmse_check_address_range) says the whole range is
 *     Non-secure, in one SAU/MPU region, and readable (or read-writable)
 *     by the caller at its privilege.
 * Data is copied in before it is checked or used, so the application cannot
 * change it between check and use; results are copied out only on success.
 */
#ifndef NS_MEM_H
#define NS_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ns_region {
    uint32_t base, size;
};

/* The application's memory, set once by app.c when an image is loaded.
 * code may be {0,0} before then. */
void ns_mem_set_app_regions(struct ns_region code, struct ns_region ram);

/* The rules that need no hardware: aligned, no wrap-around, wholly inside
 * the application's code or RAM region. Portable (host tests use it). */
bool ns_range_allowed(uint32_t addr, uint32_t len, uint32_t align);

/* True if [addr, addr+len) may be read (write: also written) by the
 * current non-secure caller: ns_range_allowed() and the TT check. len 0 is
 * accepted if aligned. */
bool ns_mem_ok(uint32_t addr, uint32_t len, uint32_t align, bool write);

/* Copies len bytes from the application into dst. 0, or -1 on a refused
 * buffer (nothing copied). */
int ns_copy_in(void *dst, uint32_t ns_src, uint32_t len, uint32_t align);

/* Copies len bytes to the application. 0, or -1 on a refused buffer
 * (nothing written). */
int ns_copy_out(uint32_t ns_dst, const void *src, uint32_t len, uint32_t align);

/* True if the current call came from NS Handler mode (an interrupt or
 * exception handler of the application). */
bool ns_caller_in_handler_mode(void);

/* Reads a 32-bit word from NS memory already known to be valid (used by the
 * fault path to read a stack frame after ns_mem_ok). */
uint32_t ns_read_word(uint32_t ns_addr);

#endif /* NS_MEM_H */
