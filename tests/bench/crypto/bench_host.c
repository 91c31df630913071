/*
 * Host benchmark: lib/crypto's time divided by the reference library's for
 * each primitive, in one run on the same machine, same inputs. The
 * reference is libsodium, or OpenSSL where libsodium 1.0.18 lacks the
 * primitive (HKDF, AES-128-GCM). Each side is timed in 41 alternating
 * short trials (~1 ms) and the fastest trial of each is kept: on a shared
 * machine short trials often fit between preemptions, long ones rarely.
 * Prints "BENCH crypto_<prim>_vs_ref <ratio> ratio".
 *
 * AES-GCM is also compared with OpenSSL's two software paths, because on
 * an x86 host the default reference is AES-NI + PCLMULQDQ, hardware the
 * M33 does not have and portable C cannot approach:
 *   crypto_aes128gcm_vs_ref_ct        OpenSSL without AES-NI/PCLMULQDQ:
 *                                     vpaes (SSSE3, constant time) + GHASH
 *                                     with 4-bit tables
 *   crypto_aes128gcm_vs_ref_portable  OpenSSL without SSSE3 either: its
 *                                     plain C T-table AES (not constant
 *                                     time)
 * OpenSSL reads OPENSSL_ia32cap once, at start-up, so each variant is a
 * re-run of this program (fork + exec) with the capability mask set.
 */
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"

#define BULK 65536
static uint8_t bulk[BULK], out[BULK + 16];
static uint8_t key[32], nonce[12], tag[16], h[64], seed[32], pk[32], sk[64];
static uint8_t sig[64], peer[32], shared[32];
static EVP_CIPHER_CTX *evp;
static volatile int sink;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double run(void (*fn)(void), int reps)
{
    double t0 = now();
    for (int i = 0; i < reps; i++)
        fn();
    return now() - t0;
}

static void ratio_named(const char *name, void (*ours)(void), void (*ref)(void), int reps)
{
    double best_o = 1e9, best_r = 1e9;
    ours();
    ref();
    for (int trial = 0; trial < 41; trial++) {
        double o = run(ours, reps), r = run(ref, reps);
        if (o < best_o) best_o = o;
        if (r < best_r) best_r = r;
    }
    printf("BENCH crypto_%s %.2f ratio\n", name, best_o / best_r);
}

static void ratio(const char *name, void (*ours)(void), void (*ref)(void), int reps)
{
    char full[32];
    snprintf(full, sizeof full, "%s_vs_ref", name);
    ratio_named(full, ours, ref, reps);
}

static void o_sha256(void) { crypto_sha256(h, bulk, BULK); }
static void r_sha256(void) { crypto_hash_sha256(h, bulk, BULK); }
static void o_sha512(void) { crypto_sha512(h, bulk, BULK); }
static void r_sha512(void) { crypto_hash_sha512(h, bulk, BULK); }
static void o_hmac(void) { crypto_hmac_sha256(h, key, 32, bulk, 1024); }
static void r_hmac(void)
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, 32);
    crypto_auth_hmacsha256_update(&st, bulk, 1024);
    crypto_auth_hmacsha256_final(&st, h);
}
static void o_hkdf(void) { sink = crypto_hkdf_sha256(out, 64, nonce, 12, key, 32, "info", 4); }
static void r_hkdf(void)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t n = 64;
    EVP_PKEY_derive_init(pc);
    EVP_PKEY_CTX_set_hkdf_md(pc, EVP_sha256());
    EVP_PKEY_CTX_set1_hkdf_salt(pc, nonce, 12);
    EVP_PKEY_CTX_set1_hkdf_key(pc, key, 32);
    EVP_PKEY_CTX_add1_hkdf_info(pc, (const unsigned char *)"info", 4);
    sink = EVP_PKEY_derive(pc, out, &n);
    EVP_PKEY_CTX_free(pc);
}
static void o_chapoly(void)
{
    crypto_chacha20poly1305_encrypt(out, tag, key, nonce, NULL, 0, bulk, BULK);
}
static void r_chapoly(void)
{
    unsigned long long tl;
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, tag, &tl, bulk, BULK, NULL, 0,
                                                       NULL, nonce, key);
}
static void o_gcm(void)
{
    sink = crypto_aes128gcm_encrypt(out, tag, key, nonce, 12, NULL, 0, bulk, BULK);
}
static void r_gcm(void)
{
    int n;
    EVP_EncryptInit_ex(evp, EVP_aes_128_gcm(), NULL, key, nonce);
    EVP_EncryptUpdate(evp, out, &n, bulk, BULK);
    EVP_EncryptFinal_ex(evp, out + n, &n);
    EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_GCM_GET_TAG, 16, tag);
}
static void o_x25519(void) { sink = crypto_x25519(shared, seed, peer); }
static void r_x25519(void) { sink = crypto_scalarmult(shared, seed, peer); }
static void o_sign(void) { crypto_ed25519_sign(sig, sk, bulk, 64); }
static void r_sign(void) { crypto_sign_detached(sig, NULL, bulk, 64, sk); }
static void o_verify(void) { sink = crypto_ed25519_verify(sig, pk, bulk, 64); }
static void r_verify(void) { sink = crypto_sign_verify_detached(sig, bulk, 64, pk); }

/* CPUID.1:ECX bits as OpenSSL numbers them (bit 32 + n): PCLMULQDQ 1,
 * SSSE3 9, AES-NI 25. */
static const struct {
    const char *suffix, *mask;
} gcm_variants[] = {
    { "ct", "~0x200000200000000" },
    { "portable", "~0x200020200000000" },
};

/* Re-runs this program for each AES-GCM variant; 0 if all ran. */
static int run_gcm_variants(const char *self)
{
    int status = 0;
    for (size_t i = 0; i < sizeof gcm_variants / sizeof gcm_variants[0]; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            setenv("OPENSSL_ia32cap", gcm_variants[i].mask, 1);
            execl(self, self, "--gcm-only", gcm_variants[i].suffix, (char *)NULL);
            _exit(127);
        }
        int ws;
        if (pid < 0 || waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws))
            status = 1;
    }
    return status;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 2;
    evp = EVP_CIPHER_CTX_new();
    randombytes_buf(bulk, sizeof bulk);
    randombytes_buf(key, sizeof key);
    randombytes_buf(seed, sizeof seed);
    crypto_scalarmult_base(peer, key);
    crypto_ed25519_keypair(pk, sk, seed);
    crypto_ed25519_sign(sig, sk, bulk, 64);

    if (argc == 3 && strcmp(argv[1], "--gcm-only") == 0) {
        char name[32];
        snprintf(name, sizeof name, "aes128gcm_vs_ref_%s", argv[2]);
        ratio_named(name, o_gcm, r_gcm, 2);
        EVP_CIPHER_CTX_free(evp);
        return 0;
    }
    ratio("sha256", o_sha256, r_sha256, 4);
    ratio("sha512", o_sha512, r_sha512, 4);
    ratio("hmac_sha256", o_hmac, r_hmac, 300);
    ratio("hkdf_sha256", o_hkdf, r_hkdf, 300);
    ratio("chacha20poly1305", o_chapoly, r_chapoly, 8);
    ratio("aes128gcm", o_gcm, r_gcm, 2);
    ratio("x25519", o_x25519, r_x25519, 30);
    ratio("ed25519_sign", o_sign, r_sign, 30);
    ratio("ed25519_verify", o_verify, r_verify, 30);
    EVP_CIPHER_CTX_free(evp);
    if (run_gcm_variants(argv[0]) != 0)
        return 1;
    return crypto_ed25519_verify(sig, pk, bulk, 64) == 0 ? 0 : 1;
}
