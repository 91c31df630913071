/*
 * Differential tests: lib/crypto against libsodium and OpenSSL on random
 * keys, every message length 0..4096, random splits of the streaming calls,
 * and edge cases of Ed25519 verification. A few thousand cases; the
 * unbounded version is the fuzzers in tests/fuzz/crypto.
 */
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <sodium.h>

#include "crypto.h"
#include "testutil.h"

#define MAXLEN 4096

static uint8_t msg[MAXLEN + 64], out1[MAXLEN + 64], out2[MAXLEN + 64];

/* Feeds data to an update function in random-sized pieces (often odd). */
#define SPLIT_FEED(update, ctx, data, len)                                    \
    do {                                                                      \
        size_t off_ = 0;                                                      \
        while (off_ < (len)) {                                                \
            size_t n_ = 1 + t_rand_below(t_rand_below(4) ? 97 : (len) - off_); \
            if (n_ > (len) - off_) n_ = (len) - off_;                         \
            update(ctx, (data) + off_, n_);                                   \
            off_ += n_;                                                       \
        }                                                                     \
    } while (0)

static void test_hashes(void)
{
    for (size_t len = 0; len <= MAXLEN; len++) {
        uint8_t a[64], b[64], c[64];
        crypto_sha256_t s256;
        crypto_sha512_t s512;
        t_fill(msg, len);

        crypto_sha256(a, msg, len);
        crypto_hash_sha256(b, msg, len);
        crypto_sha256_init(&s256);
        SPLIT_FEED(crypto_sha256_update, &s256, msg, len);
        crypto_sha256_final(&s256, c);
        CHECK_MEM(a, b, 32, "sha256 len %zu", len);
        CHECK_MEM(a, c, 32, "sha256 split len %zu", len);

        crypto_sha512(a, msg, len);
        crypto_hash_sha512(b, msg, len);
        crypto_sha512_init(&s512);
        SPLIT_FEED(crypto_sha512_update, &s512, msg, len);
        crypto_sha512_final(&s512, c);
        CHECK_MEM(a, b, 64, "sha512 len %zu", len);
        CHECK_MEM(a, c, 64, "sha512 split len %zu", len);
    }
}

static void test_hmac_hkdf(void)
{
    for (int i = 0; i < 600; i++) {
        uint8_t key[200], salt[100], info[100], a[32], b[32];
        uint8_t okm1[600], okm2[600];
        size_t klen = t_rand_below(sizeof key), len = t_rand_below(MAXLEN + 1);
        size_t slen = t_rand_below(sizeof salt), ilen = t_rand_below(sizeof info);
        size_t olen = 1 + t_rand_below(sizeof okm1);
        crypto_hmac_sha256_t h;
        crypto_auth_hmacsha256_state ref;
        t_fill(key, klen);
        t_fill(msg, len);
        t_fill(salt, slen);
        t_fill(info, ilen);

        crypto_hmac_sha256_init(&h, key, klen);
        SPLIT_FEED(crypto_hmac_sha256_update, &h, msg, len);
        crypto_hmac_sha256_final(&h, a);
        crypto_auth_hmacsha256_init(&ref, key, klen);
        crypto_auth_hmacsha256_update(&ref, msg, len);
        crypto_auth_hmacsha256_final(&ref, b);
        CHECK_MEM(a, b, 32, "hmac klen %zu len %zu", klen, len);

        EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
        size_t ol = olen;
        EVP_PKEY_derive_init(pc);
        EVP_PKEY_CTX_set_hkdf_md(pc, EVP_sha256());
        EVP_PKEY_CTX_set1_hkdf_salt(pc, salt, (int)slen);
        EVP_PKEY_CTX_set1_hkdf_key(pc, msg, (int)(len ? len : 0));
        EVP_PKEY_CTX_add1_hkdf_info(pc, info, (int)ilen);
        int ok = EVP_PKEY_derive(pc, okm2, &ol) == 1 && ol == olen;
        EVP_PKEY_CTX_free(pc);
        if (len == 0)
            continue; /* OpenSSL refuses an empty IKM */
        CHECK(ok, "openssl hkdf");
        CHECK(crypto_hkdf_sha256(okm1, olen, salt, slen, msg, len, info, ilen) == 0, "hkdf rc");
        CHECK_MEM(okm1, okm2, olen, "hkdf olen %zu", olen);
    }
    uint8_t prk[32], big[255 * 32 + 1];
    crypto_hkdf_sha256_extract(prk, NULL, 0, "x", 1);
    CHECK(crypto_hkdf_sha256_expand(big, 255 * 32, prk, NULL, 0) == 0, "max len");
    CHECK(crypto_hkdf_sha256_expand(big, 255 * 32 + 1, prk, NULL, 0) == CRYPTO_EINVAL, "too long");
}

static int gcm_ref(uint8_t *ct, uint8_t tag[16], const uint8_t key[16],
                   const uint8_t *iv, size_t ivlen, const uint8_t *ad,
                   size_t adlen, const uint8_t *pt, size_t len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n, ok = 1;
    ok &= EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL);
    ok &= EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)ivlen, NULL);
    ok &= EVP_EncryptInit_ex(c, NULL, NULL, key, iv);
    if (adlen)
        ok &= EVP_EncryptUpdate(c, NULL, &n, ad, (int)adlen);
    if (len)
        ok &= EVP_EncryptUpdate(c, ct, &n, pt, (int)len);
    ok &= EVP_EncryptFinal_ex(c, ct + len, &n);
    ok &= EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    EVP_CIPHER_CTX_free(c);
    return ok;
}

static void test_aeads(void)
{
    for (size_t len = 0; len <= MAXLEN; len++) {
        uint8_t key[32], nonce[64], ad[64], t1[16], t2[16];
        size_t adlen = t_rand_below(sizeof ad + 1);
        size_t ivlen = (len % 5 == 0) ? 1 + t_rand_below(sizeof nonce) : 12;
        unsigned long long clen;
        t_fill(key, 32);
        t_fill(nonce, sizeof nonce);
        t_fill(ad, adlen);
        t_fill(msg, len);

        /* ChaCha20-Poly1305: one-shot, streaming, in-place, decrypt. */
        crypto_chacha20poly1305_encrypt(out1, t1, key, nonce, ad, adlen, msg, len);
        crypto_aead_chacha20poly1305_ietf_encrypt_detached(
            out2, t2, &clen, msg, len, ad, adlen, NULL, nonce, key);
        CHECK_MEM(out1, out2, len, "chapoly ct len %zu", len);
        CHECK_MEM(t1, t2, 16, "chapoly tag len %zu", len);
        {
            crypto_chacha20poly1305_t c;
            size_t off = 0;
            memcpy(out1, msg, len);
            crypto_chacha20poly1305_init(&c, key, nonce, ad, adlen);
            while (off < len) { /* in place, random pieces */
                size_t n = 1 + t_rand_below(len - off < 150 ? len - off : 150);
                crypto_chacha20poly1305_encrypt_update(&c, out1 + off, out1 + off, n);
                off += n;
            }
            crypto_chacha20poly1305_encrypt_final(&c, t1);
            CHECK_MEM(out1, out2, len, "chapoly stream len %zu", len);
            CHECK_MEM(t1, t2, 16, "chapoly stream tag len %zu", len);
        }
        memset(out1, 0xAA, len);
        CHECK(crypto_chacha20poly1305_decrypt(out1, key, nonce, ad, adlen, out2, len, t2) == 0,
              "chapoly decrypt len %zu", len);
        CHECK_MEM(out1, msg, len, "chapoly roundtrip len %zu", len);
        if (len) {
            out2[t_rand_below(len)] ^= (uint8_t)(1u << t_rand_below(8));
            memset(out1, 0xAA, len);
            CHECK(crypto_chacha20poly1305_decrypt(out1, key, nonce, ad, adlen, out2, len, t2) ==
                      CRYPTO_EFORGED, "chapoly forged len %zu", len);
            CHECK(out1[0] == 0xAA && out1[len - 1] == 0xAA, "pt untouched on failure");
        }

        /* AES-128-GCM, against OpenSSL; every 5th case a random IV length. */
        CHECK(crypto_aes128gcm_encrypt(out1, t1, key, nonce, ivlen, ad, adlen, msg, len) == 0, "gcm rc");
        CHECK(gcm_ref(out2, t2, key, nonce, ivlen, ad, adlen, msg, len), "openssl gcm");
        CHECK_MEM(out1, out2, len, "gcm ct len %zu ivlen %zu", len, ivlen);
        CHECK_MEM(t1, t2, 16, "gcm tag len %zu ivlen %zu", len, ivlen);
        {
            crypto_aes128gcm_t g;
            size_t off = 0;
            crypto_aes128gcm_init(&g, key, nonce, ivlen, ad, adlen);
            while (off < len) {
                size_t n = 1 + t_rand_below(len - off < 150 ? len - off : 150);
                crypto_aes128gcm_decrypt_update(&g, out1 + off, out2 + off, n);
                off += n;
            }
            CHECK(crypto_aes128gcm_decrypt_final(&g, t2) == 0, "gcm stream decrypt");
            CHECK_MEM(out1, msg, len, "gcm stream roundtrip len %zu", len);
        }
        if (len) {
            out2[t_rand_below(len)] ^= (uint8_t)(1u << t_rand_below(8));
            CHECK(crypto_aes128gcm_decrypt(out1, key, nonce, ivlen, ad, adlen, out2, len, t2) ==
                      CRYPTO_EFORGED, "gcm forged len %zu", len);
        }
    }
}

/* AES-128-GCM around its bitsliced passes (2 blocks on the M33's 32-bit
 * code, 4 on the host's 64-bit code): every length 0..300, unaligned input
 * and output, in place, and streaming in pieces that start and end on
 * either side of pass and block boundaries; plus the raw block function
 * against OpenSSL's AES-128-ECB. */
static void test_gcm_passes(void)
{
    static const size_t pieces[] = {1, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100};
    static uint8_t in[400], ref[400], tagr[16], bufa[400], bufb[400];
    for (size_t len = 0; len <= 300; len++) {
        uint8_t key[16], iv[12], ad[40], tag[16];
        size_t adlen = len % 41, ioff = len % 4, ooff = (len / 4) % 4;
        t_fill(key, 16);
        t_fill(iv, 12);
        t_fill(ad, adlen);
        t_fill(in, len);
        CHECK(gcm_ref(ref, tagr, key, iv, 12, ad, adlen, in, len), "openssl gcm");

        /* one-shot, unaligned in and out */
        memcpy(bufa + ioff, in, len);
        crypto_aes128gcm_encrypt(bufb + ooff, tag, key, iv, 12, ad, adlen, bufa + ioff, len);
        CHECK_MEM(bufb + ooff, ref, len, "gcm unaligned len %zu", len);
        CHECK_MEM(tag, tagr, 16, "gcm unaligned tag len %zu", len);
        /* one-shot decrypt in place, unaligned */
        CHECK(crypto_aes128gcm_decrypt(bufb + ooff, key, iv, 12, ad, adlen, bufb + ooff, len,
                                       tag) == 0, "gcm decrypt in place len %zu", len);
        CHECK_MEM(bufb + ooff, in, len, "gcm decrypt in place len %zu", len);

        /* streaming in place with fixed piece sizes, each size in turn */
        for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
            crypto_aes128gcm_t g;
            size_t off = 0, n = pieces[k];
            memcpy(bufa + ioff, in, len);
            crypto_aes128gcm_init(&g, key, iv, 12, ad, adlen);
            while (off < len) {
                size_t m = len - off < n ? len - off : n;
                crypto_aes128gcm_encrypt_update(&g, bufa + ioff + off, bufa + ioff + off, m);
                off += m;
                n = pieces[(k + off) % (sizeof pieces / sizeof pieces[0])];
            }
            crypto_aes128gcm_encrypt_final(&g, tag);
            CHECK_MEM(bufa + ioff, ref, len, "gcm stream in place len %zu piece %zu", len,
                      pieces[k]);
            CHECK_MEM(tag, tagr, 16, "gcm stream tag len %zu piece %zu", len, pieces[k]);
        }
    }
    for (int i = 0; i < 200; i++) {
        uint8_t key[16], blk[16], a[16], b[16];
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        int n;
        t_fill(key, 16);
        t_fill(blk, 16);
        crypto_aes128_encrypt_block(a, key, blk);
        EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL);
        EVP_CIPHER_CTX_set_padding(c, 0);
        EVP_EncryptUpdate(c, b, &n, blk, 16);
        EVP_CIPHER_CTX_free(c);
        CHECK_MEM(a, b, 16, "aes block %d", i);
    }
}

static void test_x25519(void)
{
    for (int i = 0; i < 300; i++) {
        uint8_t sk[32], pk[32], a[32], b[32];
        int r1, r2;
        t_fill(sk, 32);
        t_fill(pk, 32);
        if (i % 3 == 0) { /* a real public key */
            crypto_x25519_public_key(a, sk);
            crypto_scalarmult_base(b, sk);
            CHECK_MEM(a, b, 32, "x25519 base %d", i);
            memcpy(pk, a, 32);
            t_fill(sk, 32);
        }
        r1 = crypto_x25519(a, sk, pk);
        r2 = crypto_scalarmult(b, sk, pk);
        CHECK((r1 == 0) == (r2 == 0), "x25519 verdict %d", i);
        if (r2 == 0)
            CHECK_MEM(a, b, 32, "x25519 %d", i);
    }
}

static void mutate_sig(uint8_t sig[64], uint8_t pk[32], int kind)
{
    static const uint8_t L[32] = {
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
        0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0x10};
    unsigned c = 0;
    switch (kind) {
    case 1: /* S + L: the malleated, non-canonical twin */
        for (int i = 0; i < 32; i++) {
            c += sig[32 + i] + L[i];
            sig[32 + i] = (uint8_t)c;
            c >>= 8;
        }
        break;
    case 2: sig[63] |= 0xe0; break; /* S far too large */
    case 3: t_fill(sig, 32); break;  /* random R */
    case 4: t_fill(pk, 32); break;   /* random A: mostly off-curve */
    case 5: memset(pk, 0, 32); pk[0] = t_rand_below(2); break; /* small order */
    case 6: memset(sig, 0, 32); sig[0] = 1; break;              /* R = identity */
    case 7: memset(pk, 0xff, 32); pk[0] = (uint8_t)(0xec + t_rand_below(4)); pk[31] = 0x7f; break;
    case 8: pk[31] ^= 0x80; break;   /* sign of x */
    case 9: sig[31] ^= 0x80; break;
    case 10: memset(sig + 32, 0, 32); break; /* S = 0 */
    default: break;
    }
}

static void test_ed25519(void)
{
    for (int i = 0; i < 400; i++) {
        uint8_t seed[32], pk1[32], pk2[32], sk1[64], sk2[64], s1[64], s2[64];
        size_t len = t_rand_below(i < 200 ? 300 : MAXLEN + 1);
        t_fill(seed, 32);
        t_fill(msg, len);
        crypto_ed25519_keypair(pk1, sk1, seed);
        crypto_sign_seed_keypair(pk2, sk2, seed);
        CHECK_MEM(pk1, pk2, 32, "ed25519 pk %d", i);
        CHECK_MEM(sk1, sk2, 64, "ed25519 sk %d", i);
        crypto_ed25519_sign(s1, sk1, msg, len);
        crypto_sign_detached(s2, NULL, msg, len, sk2);
        CHECK_MEM(s1, s2, 64, "ed25519 sig %d", i);
        CHECK(crypto_ed25519_verify(s1, pk1, msg, len) == 0, "ed25519 verify %d", i);

        int kind = i % 11;
        mutate_sig(s2, pk2, kind);
        int ours = crypto_ed25519_verify(s2, pk2, msg, len);
        int ref = crypto_sign_verify_detached(s2, msg, len, pk2);
        CHECK((ours == 0) == (ref == 0), "ed25519 edge kind %d case %d: ours %d ref %d",
              kind, i, ours, ref);
        CHECK(ours == 0 || ours == CRYPTO_EFORGED, "verdict values");
    }
}

/* Every single-bit flip of a signature, public key or message is rejected,
 * as is every truncation of the message. */
static void test_bitflips(void)
{
    uint8_t seed[32], pk[32], sk[64], sig[64], m[24];
    t_fill(seed, 32);
    t_fill(m, sizeof m);
    crypto_ed25519_keypair(pk, sk, seed);
    crypto_ed25519_sign(sig, sk, m, sizeof m);
    for (int bit = 0; bit < 512; bit++) {
        sig[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        CHECK(crypto_ed25519_verify(sig, pk, m, sizeof m) == CRYPTO_EFORGED, "sig bit %d", bit);
        sig[bit / 8] ^= (uint8_t)(1 << (bit % 8));
    }
    for (int bit = 0; bit < 256; bit++) {
        pk[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        CHECK(crypto_ed25519_verify(sig, pk, m, sizeof m) == CRYPTO_EFORGED, "pk bit %d", bit);
        pk[bit / 8] ^= (uint8_t)(1 << (bit % 8));
    }
    for (int bit = 0; bit < (int)sizeof m * 8; bit++) {
        m[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        CHECK(crypto_ed25519_verify(sig, pk, m, sizeof m) == CRYPTO_EFORGED, "msg bit %d", bit);
        m[bit / 8] ^= (uint8_t)(1 << (bit % 8));
    }
    for (size_t n = 0; n < sizeof m; n++)
        CHECK(crypto_ed25519_verify(sig, pk, m, n) == CRYPTO_EFORGED, "truncated msg %zu", n);
    CHECK(crypto_ed25519_verify(sig, pk, m, sizeof m) == 0, "intact");

    /* AEADs: flips of tag, key, nonce, AD and ciphertext; truncations. */
    uint8_t key[32], nonce[12], ad[8], pt[40], ct[40], tag[16], out[40];
    t_fill(key, 32);
    t_fill(nonce, 12);
    t_fill(ad, 8);
    t_fill(pt, 40);
    for (int aead = 0; aead < 2; aead++) {
        uint8_t *fields[5] = {tag, key, nonce, ad, ct};
        size_t sizes[5] = {16, aead ? 16 : 32, 12, 8, 40};
        if (aead)
            crypto_aes128gcm_encrypt(ct, tag, key, nonce, 12, ad, 8, pt, 40);
        else
            crypto_chacha20poly1305_encrypt(ct, tag, key, nonce, ad, 8, pt, 40);
        for (int f = 0; f < 5; f++) {
            for (size_t bit = 0; bit < sizes[f] * 8; bit++) {
                int rc;
                fields[f][bit / 8] ^= (uint8_t)(1 << (bit % 8));
                rc = aead ? crypto_aes128gcm_decrypt(out, key, nonce, 12, ad, 8, ct, 40, tag)
                          : crypto_chacha20poly1305_decrypt(out, key, nonce, ad, 8, ct, 40, tag);
                CHECK(rc == CRYPTO_EFORGED, "aead %d field %d bit %zu", aead, f, bit);
                fields[f][bit / 8] ^= (uint8_t)(1 << (bit % 8));
            }
        }
        for (size_t n = 0; n < 40; n++) {
            int rc = aead ? crypto_aes128gcm_decrypt(out, key, nonce, 12, ad, 8, ct, n, tag)
                          : crypto_chacha20poly1305_decrypt(out, key, nonce, ad, 8, ct, n, tag);
            CHECK(rc == CRYPTO_EFORGED, "aead %d truncated to %zu", aead, n);
        }
        for (size_t n = 0; n < 8; n++) {
            int rc = aead ? crypto_aes128gcm_decrypt(out, key, nonce, 12, ad, n, ct, 40, tag)
                          : crypto_chacha20poly1305_decrypt(out, key, nonce, ad, n, ct, 40, tag);
            CHECK(rc == CRYPTO_EFORGED, "aead %d ad truncated to %zu", aead, n);
        }
        int rc = aead ? crypto_aes128gcm_decrypt(out, key, nonce, 12, ad, 8, ct, 40, tag)
                      : crypto_chacha20poly1305_decrypt(out, key, nonce, ad, 8, ct, 40, tag);
        CHECK(rc == 0 && memcmp(out, pt, 40) == 0, "aead %d intact", aead);
    }

    /* HMAC: every bit of key and message changes the tag. */
    uint8_t hk[32], hm[16], h0[32], h1[32];
    t_fill(hk, 32);
    t_fill(hm, 16);
    crypto_hmac_sha256(h0, hk, 32, hm, 16);
    for (int bit = 0; bit < 256 + 128; bit++) {
        uint8_t *p = bit < 256 ? hk : hm;
        int b = bit < 256 ? bit : bit - 256;
        p[b / 8] ^= (uint8_t)(1 << (b % 8));
        crypto_hmac_sha256(h1, hk, 32, hm, 16);
        CHECK(crypto_verify(h0, h1, 32) == CRYPTO_EFORGED, "hmac bit %d", bit);
        p[b / 8] ^= (uint8_t)(1 << (b % 8));
    }
    CHECK(crypto_verify(h0, h0, 32) == 0, "verify equal");
    CHECK(crypto_verify(h0, h1, 0) == 0, "verify empty");
}

int main(void)
{
    if (sodium_init() < 0)
        return 2;
    test_hashes();
    test_hmac_hkdf();
    test_aeads();
    test_gcm_passes();
    test_x25519();
    test_ed25519();
    test_bitflips();
    return t_report("crypto_diff");
}
