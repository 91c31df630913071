/*
 * AES-128-GCM against BearSSL's portable constant-time code, counted in
 * instructions (run under callgrind by bench_bearssl.py). One mode per run:
 *   ours     lib/crypto's crypto_aes128gcm_encrypt
 *   ct64     BearSSL br_aes_ct64 counter mode + br_ghash_ctmul64 (its best
 *            portable constant-time path on a 64-bit host: the reference)
 *   ct32     BearSSL br_aes_ct + br_ghash_ctmul32 (its 32-bit path, for
 *            scale)
 * Each encrypts the same 4 MiB once inside gcm_measured(), the only
 * function callgrind counts (--toggle-collect), with a 12-byte IV and 13
 * bytes of AD, and prints the tag; the script checks that the three tags
 * agree, so the figures compare implementations that give the same answer.
 */
#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

#define BULK (4u << 20)

static uint8_t key[16], iv[12], ad[13], tag[16];

__attribute__((noinline)) void gcm_measured(int mode, uint8_t *buf, size_t len)
{
    if (mode == 0) {
        crypto_aes128gcm_encrypt(buf, tag, key, iv, 12, ad, sizeof ad, buf, len);
    } else if (mode == 1) {
        br_aes_ct64_ctr_keys bc;
        br_gcm_context gc;
        br_aes_ct64_ctr_init(&bc, key, 16);
        br_gcm_init(&gc, &bc.vtable, br_ghash_ctmul64);
        br_gcm_reset(&gc, iv, 12);
        br_gcm_aad_inject(&gc, ad, sizeof ad);
        br_gcm_flip(&gc);
        br_gcm_run(&gc, 1, buf, len);
        br_gcm_get_tag(&gc, tag);
    } else {
        br_aes_ct_ctr_keys bc;
        br_gcm_context gc;
        br_aes_ct_ctr_init(&bc, key, 16);
        br_gcm_init(&gc, &bc.vtable, br_ghash_ctmul32);
        br_gcm_reset(&gc, iv, 12);
        br_gcm_aad_inject(&gc, ad, sizeof ad);
        br_gcm_flip(&gc);
        br_gcm_run(&gc, 1, buf, len);
        br_gcm_get_tag(&gc, tag);
    }
}

int main(int argc, char **argv)
{
    static const char *const modes[] = {"ours", "ct64", "ct32"};
    uint8_t *buf = malloc(BULK);
    int mode = -1;

    for (int i = 0; i < 3; i++)
        if (argc == 2 && strcmp(argv[1], modes[i]) == 0)
            mode = i;
    if (mode < 0 || buf == NULL) {
        fprintf(stderr, "usage: crypto_bearssl_bench ours|ct64|ct32\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(0x11 * i + 1);
    for (size_t i = 0; i < sizeof iv; i++)
        iv[i] = (uint8_t)(0x5a ^ i);
    for (size_t i = 0; i < sizeof ad; i++)
        ad[i] = (uint8_t)i;
    for (size_t i = 0; i < BULK; i++)
        buf[i] = (uint8_t)(i * 7 + (i >> 9));
    gcm_measured(mode, buf, BULK);
    printf("bytes %u tag ", BULK);
    for (int i = 0; i < 16; i++)
        printf("%02x", tag[i]);
    printf("\n");
    free(buf);
    return 0;
}
